/**
 * The cluster configuration file every daemon reads (`vigil cluster init`
 * writes it): nodes with their links, timings, quorum options, and where the
 * authkey and API token live. Validation names the file and field at fault.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { writeAuthKeyFile } from '@vigil/messaging';
import { DaemonError } from './errors.js';

export interface LinkConfig {
  readonly addr: string;
  readonly port: number;
}

export interface NodeEntry {
  readonly id: number;
  readonly name: string;
  readonly links: readonly LinkConfig[];
  /** HTTP API address of this node's daemon (loopback by default). */
  readonly api: { readonly host: string; readonly port: number };
}

export interface TimingConfig {
  readonly heartbeatIntervalMs: number;
  readonly tokenTimeoutMs: number;
  readonly dcLeaseMs: number;
  readonly electionTimeoutMs: number;
}

export interface QuorumOptions {
  readonly twoNode?: boolean;
  readonly waitForAll?: boolean;
  readonly lastManStanding?: boolean;
  readonly autoTieBreaker?: boolean;
}

export interface ClusterConfig {
  readonly name: string;
  readonly nodes: readonly NodeEntry[];
  /** Absolute paths, resolved against the config file's directory. */
  readonly authkeyFile: string;
  readonly apiTokenFile: string;
  readonly timing: TimingConfig;
  readonly quorum: QuorumOptions;
  /** The file this came from, for error messages. */
  readonly source: string;
}

export const DEFAULT_TIMING: TimingConfig = {
  heartbeatIntervalMs: 200,
  tokenTimeoutMs: 1000,
  dcLeaseMs: 1000,
  electionTimeoutMs: 500,
};

function fail(source: string, field: string, why: string): never {
  throw new DaemonError('VIGIL_CRM_BAD_CONFIG', `${source}: ${field}: ${why}`);
}

/**
 * Parse `n1=127.0.0.1:5405[,127.0.0.2:5405],n2=127.0.0.1:5406,...`: a token
 * with `=` starts a node, a token without one is another link of the node
 * before it.
 */
export function parseNodesSpec(spec: string): { name: string; links: LinkConfig[] }[] {
  const nodes: { name: string; links: LinkConfig[] }[] = [];
  for (const raw of spec.split(',')) {
    const token = raw.trim();
    if (!token) continue;
    let addrPort = token;
    if (token.includes('=')) {
      const [name, rest] = token.split('=', 2) as [string, string];
      if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) fail('--nodes', token, `'${name}' is not a valid node name`);
      if (nodes.some((n) => n.name === name)) fail('--nodes', token, `node '${name}' is given twice`);
      nodes.push({ name, links: [] });
      addrPort = rest;
    } else if (nodes.length === 0) {
      fail('--nodes', token, 'expected NAME=ADDR:PORT first');
    }
    const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(addrPort);
    if (!m) fail('--nodes', token, `'${addrPort}' is not ADDR:PORT`);
    const port = Number(m[2]);
    if (port < 1 || port > 65535) fail('--nodes', token, `port ${port} is out of range`);
    nodes.at(-1)!.links.push({ addr: m[1]!, port });
  }
  if (nodes.length === 0) fail('--nodes', spec, 'no nodes given');
  return nodes;
}

/** Write cluster.json, an authkey (0600) and an API token (0600) into `dir`. */
export async function initCluster(dir: string, name: string, nodesSpec: string, opts: { quorum?: QuorumOptions; timing?: Partial<TimingConfig>; force?: boolean } = {}): Promise<string> {
  const nodes = parseNodesSpec(nodesSpec);
  mkdirSync(dir, { recursive: true });
  const configPath = join(dir, 'cluster.json');
  if (existsSync(configPath) && !opts.force) fail(configPath, 'file', 'exists already (use --force to overwrite)');
  const twoNode = opts.quorum?.twoNode ?? nodes.length === 2;
  const doc = {
    name,
    authkey: 'authkey',
    apiToken: 'api-token',
    timing: { ...DEFAULT_TIMING, ...(opts.timing ?? {}) },
    quorum: { ...(twoNode ? { twoNode: true, waitForAll: true } : {}), ...(opts.quorum ?? {}) },
    nodes: nodes.map((n, i) => ({ id: i + 1, name: n.name, links: n.links, api: { host: '127.0.0.1', port: n.links[0]!.port } })),
  };
  writeFileSync(configPath, JSON.stringify(doc, null, 2) + '\n');
  await writeAuthKeyFile(join(dir, 'authkey'), { force: opts.force ?? false });
  writeFileSync(join(dir, 'api-token'), randomBytes(24).toString('hex') + '\n', { mode: 0o600 });
  return configPath;
}

function num(source: string, field: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) fail(source, field, `must be an integer from ${min} to ${max}`);
  return v;
}

function str(source: string, field: string, v: unknown): string {
  if (typeof v !== 'string' || v.length === 0) fail(source, field, 'must be a non-empty string');
  return v;
}

export function loadClusterConfig(path: string): ClusterConfig {
  const source = resolve(path);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(source, 'utf8'));
  } catch (err) {
    fail(source, 'file', (err as Error).message);
  }
  if (typeof raw !== 'object' || raw === null) fail(source, '(root)', 'must be a JSON object');
  const o = raw as Record<string, unknown>;
  const base = dirname(source);
  const at = (p: string): string => (isAbsolute(p) ? p : join(base, p));
  if (!Array.isArray(o['nodes']) || o['nodes'].length === 0) fail(source, 'nodes', 'must be a non-empty list');
  const names = new Set<string>();
  const ids = new Set<number>();
  const nodes = (o['nodes'] as unknown[]).map((n, i): NodeEntry => {
    const f = `nodes[${i}]`;
    if (typeof n !== 'object' || n === null) fail(source, f, 'must be an object');
    const e = n as Record<string, unknown>;
    const name = str(source, `${f}.name`, e['name']);
    const id = num(source, `${f}.id`, e['id'], 1, 2 ** 31 - 1);
    if (names.has(name)) fail(source, `${f}.name`, `'${name}' is used twice`);
    if (ids.has(id)) fail(source, `${f}.id`, `${id} is used twice`);
    names.add(name);
    ids.add(id);
    if (!Array.isArray(e['links']) || e['links'].length === 0) fail(source, `${f}.links`, 'must be a non-empty list');
    const links = (e['links'] as unknown[]).map((l, j) => {
      const lf = `${f}.links[${j}]`;
      const le = (l ?? {}) as Record<string, unknown>;
      return { addr: str(source, `${lf}.addr`, le['addr']), port: num(source, `${lf}.port`, le['port'], 1, 65535) };
    });
    const api = (e['api'] ?? {}) as Record<string, unknown>;
    return {
      id,
      name,
      links,
      api: {
        host: api['host'] === undefined ? '127.0.0.1' : str(source, `${f}.api.host`, api['host']),
        port: api['port'] === undefined ? links[0]!.port : num(source, `${f}.api.port`, api['port'], 1, 65535),
      },
    };
  });
  const t = (o['timing'] ?? {}) as Record<string, unknown>;
  const timing: TimingConfig = {
    heartbeatIntervalMs: t['heartbeatIntervalMs'] === undefined ? DEFAULT_TIMING.heartbeatIntervalMs : num(source, 'timing.heartbeatIntervalMs', t['heartbeatIntervalMs'], 10, 60_000),
    tokenTimeoutMs: t['tokenTimeoutMs'] === undefined ? DEFAULT_TIMING.tokenTimeoutMs : num(source, 'timing.tokenTimeoutMs', t['tokenTimeoutMs'], 50, 600_000),
    dcLeaseMs: t['dcLeaseMs'] === undefined ? DEFAULT_TIMING.dcLeaseMs : num(source, 'timing.dcLeaseMs', t['dcLeaseMs'], 100, 600_000),
    electionTimeoutMs: t['electionTimeoutMs'] === undefined ? DEFAULT_TIMING.electionTimeoutMs : num(source, 'timing.electionTimeoutMs', t['electionTimeoutMs'], 50, 600_000),
  };
  if (timing.tokenTimeoutMs <= timing.heartbeatIntervalMs) fail(source, 'timing.tokenTimeoutMs', 'must be longer than heartbeatIntervalMs');
  const q = (o['quorum'] ?? {}) as Record<string, unknown>;
  const bool = (field: string): boolean | undefined => {
    const v = q[field];
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean') fail(source, `quorum.${field}`, 'must be true or false');
    return v;
  };
  const quorum: QuorumOptions = {
    ...(bool('twoNode') !== undefined ? { twoNode: bool('twoNode')! } : {}),
    ...(bool('waitForAll') !== undefined ? { waitForAll: bool('waitForAll')! } : {}),
    ...(bool('lastManStanding') !== undefined ? { lastManStanding: bool('lastManStanding')! } : {}),
    ...(bool('autoTieBreaker') !== undefined ? { autoTieBreaker: bool('autoTieBreaker')! } : {}),
  };
  if (quorum.twoNode && nodes.length !== 2) fail(source, 'quorum.twoNode', `needs exactly 2 nodes, not ${nodes.length}`);
  return {
    name: str(source, 'name', o['name']),
    nodes,
    authkeyFile: at(str(source, 'authkey', o['authkey'] ?? 'authkey')),
    apiTokenFile: at(str(source, 'apiToken', o['apiToken'] ?? 'api-token')),
    timing,
    quorum,
    source,
  };
}

export function readApiToken(config: ClusterConfig): string {
  try {
    return readFileSync(config.apiTokenFile, 'utf8').trim();
  } catch (err) {
    fail(config.source, 'apiToken', `cannot read ${config.apiTokenFile}: ${(err as Error).message}`);
  }
}
