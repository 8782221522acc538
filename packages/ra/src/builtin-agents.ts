import { createServer, type Server } from 'node:http';
import type { Agent, AgentContext } from './native.js';
import { NativeAgentRegistry } from './native.js';
import type { AgentMetadata } from './metadata.js';

/**
 * Agents every Vigil daemon carries, written as native TypeScript agents so
 * that a cluster runs with no resource-agents package installed (the demo,
 * quick trials). In a CIB they are ocf:vigil:NAME. They live inside the
 * daemon process: when the daemon dies, so do they, like a service on a
 * machine that lost power.
 */
export const BUILTIN_PROVIDER = 'vigil';

function metadata(name: string, shortdesc: string, parameters: AgentMetadata['parameters'] = []): AgentMetadata {
  return {
    name,
    version: '1.0',
    shortdesc,
    longdesc: shortdesc,
    parameters,
    actions: [
      { name: 'start', timeoutMs: 20_000 },
      { name: 'stop', timeoutMs: 20_000 },
      { name: 'monitor', timeoutMs: 20_000, intervalMs: 10_000 },
      { name: 'meta-data', timeoutMs: 5_000 },
    ],
  } as unknown as AgentMetadata;
}

const OK = 0;
const NOT_RUNNING = 7;
const RUNNING_PROMOTED = 8;

/** Like ocf:pacemaker:Dummy: remembers whether it was started. */
export function dummyAgent(): Agent {
  const running = new Set<string>();
  return {
    metadata: metadata('Dummy', 'Does nothing but remember that it runs (an address-like stand-in)', [
      { name: 'state', shortdesc: 'ignored, accepted for compatibility', required: false, unique: false, type: 'string' },
      { name: 'ip', shortdesc: 'the address this stands for (shown only)', required: false, unique: true, type: 'string' },
    ] as never),
    async start(ctx) {
      running.add(ctx.resourceId);
      return OK;
    },
    async stop(ctx) {
      running.delete(ctx.resourceId);
      return OK;
    },
    async monitor(ctx) {
      return running.has(ctx.resourceId) ? OK : NOT_RUNNING;
    },
    async reload() {
      return OK;
    },
    async migrateTo(ctx) {
      running.delete(ctx.resourceId);
      return OK;
    },
    async migrateFrom(ctx) {
      running.add(ctx.resourceId);
      return OK;
    },
  };
}

/**
 * Like ocf:pacemaker:Stateful: a promotable service that sets its own
 * promotion score (higher once promoted, so the primary stays put).
 */
export function statefulAgent(): Agent {
  const roles = new Map<string, 'Unpromoted' | 'Promoted'>();
  const score = (ctx: AgentContext, promoted: boolean): Promise<void> =>
    ctx.attributes.setPromotionScore(promoted ? 10 : 5);
  return {
    metadata: metadata('Stateful', 'A promotable service that reports its own promotion score'),
    async start(ctx) {
      roles.set(ctx.resourceId, 'Unpromoted');
      await score(ctx, false);
      return OK;
    },
    async stop(ctx) {
      roles.delete(ctx.resourceId);
      await ctx.attributes.clearPromotionScore();
      return OK;
    },
    async promote(ctx) {
      if (!roles.has(ctx.resourceId)) return NOT_RUNNING;
      roles.set(ctx.resourceId, 'Promoted');
      await score(ctx, true);
      return OK;
    },
    async demote(ctx) {
      if (!roles.has(ctx.resourceId)) return NOT_RUNNING;
      roles.set(ctx.resourceId, 'Unpromoted');
      await score(ctx, false);
      return OK;
    },
    async monitor(ctx) {
      const role = roles.get(ctx.resourceId);
      if (role === undefined) return NOT_RUNNING;
      return role === 'Promoted' ? RUNNING_PROMOTED : OK;
    },
    async notify() {
      return OK;
    },
  };
}

/** A small HTTP server on 127.0.0.1:`port`; monitor asks it over loopback. */
export function httpServerAgent(): Agent {
  const servers = new Map<string, Server>();
  return {
    metadata: metadata('http', 'A small HTTP server on a loopback port', [
      { name: 'port', shortdesc: 'TCP port', required: true, unique: true, type: 'integer' },
      { name: 'body', shortdesc: 'what it answers', required: false, unique: false, type: 'string' },
    ] as never),
    async start(ctx) {
      if (servers.has(ctx.resourceId)) return OK;
      const port = Number(ctx.params['port']);
      if (!Number.isInteger(port) || port < 1 || port > 65535) return { rc: 6, reason: `port '${ctx.params['port']}' is not a TCP port` };
      const body = ctx.params['body'] ?? `served by ${ctx.nodeName}`;
      const server = createServer((_req, res) => res.end(`${body}\n`));
      try {
        await new Promise<void>((ok, fail) => {
          server.once('error', fail);
          server.listen(port, '127.0.0.1', () => ok());
        });
      } catch (err) {
        return { rc: 1, reason: `cannot listen on 127.0.0.1:${port}: ${(err as Error).message}` };
      }
      servers.set(ctx.resourceId, server);
      return OK;
    },
    async stop(ctx) {
      const server = servers.get(ctx.resourceId);
      servers.delete(ctx.resourceId);
      if (server) await new Promise<void>((ok) => server.close(() => ok()));
      return OK;
    },
    async monitor(ctx) {
      if (!servers.has(ctx.resourceId)) return NOT_RUNNING;
      try {
        const res = await fetch(`http://127.0.0.1:${ctx.params['port']}/`, { signal: ctx.signal });
        return res.ok ? OK : { rc: 1, reason: `HTTP ${res.status}` };
      } catch (err) {
        return { rc: 1, reason: `no answer: ${(err as Error).message}` };
      }
    },
  };
}

/** A registry holding the built-in agents (fresh state per call: one per daemon). */
export function builtinAgents(registry = new NativeAgentRegistry()): NativeAgentRegistry {
  const add = (name: string, make: () => Agent): void => {
    // A program may bring its own agent of the same name; it wins.
    if (registry.get(name, BUILTIN_PROVIDER) === undefined) registry.register(name, make(), BUILTIN_PROVIDER);
  };
  add('Dummy', dummyAgent);
  add('Stateful', statefulAgent);
  add('http', httpServerAgent);
  return registry;
}
