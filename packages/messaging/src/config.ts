import { createHash } from 'node:crypto';
import { ConfigError } from './errors.js';
import type { AuthScheme } from './auth.js';
import type { LinkAddress } from './transport.js';

export interface NodeConfig {
  id: number;
  name: string;
  links: LinkAddress[];
}

export interface Timing {
  heartbeatIntervalMs: number;
  tokenTimeoutMs: number;
  suspectAfterMs: number;
  settleMs: number;
  roundTimeoutMs: number;
  stuckTimeoutMs: number;
}

export const DEFAULT_HEARTBEAT_INTERVAL_MS = 200;
export const DEFAULT_TOKEN_TIMEOUT_MS = 1000;
/**
 * Heartbeats carry adjacency rows (N bits each); beyond a few hundred nodes
 * they would outgrow a UDP datagram during a cluster-wide change.
 */
export const MAX_NODES = 256;
export const MAX_LINKS = 8;

const AUTH_SCHEMES: AuthScheme[] = ['hmac-sha256', 'aes-256-gcm'];

function fail(field: string, msg: string, got: unknown): never {
  throw new ConfigError(`${field}: ${msg}, got ${JSON.stringify(got)}`);
}

function positiveInt(field: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) fail(field, `must be an integer from ${min} to ${max}`, v);
  return v;
}

/** Validates the node list; every message names the offending field. */
export function validateNodes(nodes: unknown): NodeConfig[] {
  if (!Array.isArray(nodes) || nodes.length === 0) fail('nodes', 'must be a non-empty array', nodes);
  if (nodes.length > MAX_NODES) fail('nodes', `must list at most ${MAX_NODES} nodes`, nodes.length);
  const ids = new Set<number>();
  const names = new Set<string>();
  const addrs = new Set<string>();
  return nodes.map((n: unknown, i): NodeConfig => {
    const at = `nodes[${i}]`;
    if (typeof n !== 'object' || n === null) fail(at, 'must be an object', n);
    const { id, name, links } = n as Record<string, unknown>;
    positiveInt(`${at}.id`, id, 1, 0xffffffff);
    if (ids.has(id as number)) fail(`${at}.id`, 'duplicates another node id', id);
    ids.add(id as number);
    if (typeof name !== 'string' || name.length === 0 || name.length > 255) fail(`${at}.name`, 'must be a non-empty string', name);
    if (names.has(name)) fail(`${at}.name`, 'duplicates another node name', name);
    names.add(name);
    if (!Array.isArray(links) || links.length === 0 || links.length > MAX_LINKS) fail(`${at}.links`, `must be an array of 1 to ${MAX_LINKS} links`, links);
    const out = links.map((l: unknown, k): LinkAddress => {
      const lat = `${at}.links[${k}]`;
      if (typeof l !== 'object' || l === null) fail(lat, 'must be an object {addr, port}', l);
      const { addr, port } = l as Record<string, unknown>;
      if (typeof addr !== 'string' || addr.length === 0) fail(`${lat}.addr`, 'must be a non-empty address string', addr);
      positiveInt(`${lat}.port`, port, 1, 65535);
      const key = `${addr}:${port}`;
      if (addrs.has(key)) fail(lat, 'is used by another link', key);
      addrs.add(key);
      return { addr, port: port as number };
    });
    return { id: id as number, name, links: out };
  });
}

export function validateAuth(auth: unknown): AuthScheme {
  if (auth === undefined) return 'hmac-sha256';
  if (!AUTH_SCHEMES.includes(auth as AuthScheme)) fail('auth', `must be one of ${AUTH_SCHEMES.join(', ')}`, auth);
  return auth as AuthScheme;
}

export interface TimingInput {
  heartbeatIntervalMs?: number;
  tokenTimeoutMs?: number;
  suspectAfterMs?: number;
}

/** Derives every protocol timer from the two a user sets. */
export function validateTiming(t: TimingInput): Timing {
  const heartbeatIntervalMs = t.heartbeatIntervalMs === undefined ? DEFAULT_HEARTBEAT_INTERVAL_MS : positiveInt('heartbeatIntervalMs', t.heartbeatIntervalMs, 10, 60_000);
  const tokenTimeoutMs = t.tokenTimeoutMs === undefined ? Math.max(DEFAULT_TOKEN_TIMEOUT_MS, 3 * heartbeatIntervalMs) : positiveInt('tokenTimeoutMs', t.tokenTimeoutMs, 20, 600_000);
  if (tokenTimeoutMs < 2 * heartbeatIntervalMs) {
    fail('tokenTimeoutMs', `must be at least twice heartbeatIntervalMs (${heartbeatIntervalMs}) so that one late packet cannot evict a node`, tokenTimeoutMs);
  }
  const suspectAfterMs = t.suspectAfterMs === undefined ? Math.max(heartbeatIntervalMs + 1, Math.round(tokenTimeoutMs / 2)) : positiveInt('suspectAfterMs', t.suspectAfterMs, 1, tokenTimeoutMs);
  return {
    heartbeatIntervalMs,
    tokenTimeoutMs,
    suspectAfterMs,
    settleMs: Math.max(5, Math.round(heartbeatIntervalMs / 2)),
    roundTimeoutMs: Math.max(2 * heartbeatIntervalMs, 50),
    stuckTimeoutMs: 2 * tokenTimeoutMs,
  };
}

/** Nodes with different node lists must not form a view: their bitmaps would disagree. */
export function configDigest(nodes: NodeConfig[], auth: AuthScheme): number {
  const h = createHash('sha256');
  h.update(auth);
  for (const n of [...nodes].sort((a, b) => a.id - b.id)) h.update(`|${n.id}/${n.name}/${n.links.length}`);
  return h.digest().readUInt32BE(0);
}
