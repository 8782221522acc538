import { createServer, type Server } from 'node:http';
import type { Agent } from '@vigil/ra';

/**
 * A native agent managing an HTTP server inside this very process: start
 * listens, stop closes, monitor asks the server over loopback whether it
 * answers. No script, no fork.
 */
export interface HttpServiceAgent extends Agent {
  /** Close a server behind the cluster's back, as a crash would. */
  crash(resourceId: string): Promise<void>;
}

export function httpServiceAgent(): HttpServiceAgent {
  const servers = new Map<string, Server>();
  return {
    async crash(resourceId: string) {
      const server = servers.get(resourceId);
      servers.delete(resourceId);
      if (server) await new Promise<void>((ok) => server.close(() => ok()));
    },
    metadata: {
      name: 'http-service',
      version: '1.0',
      shortdesc: 'An in-process HTTP server',
      longdesc: 'Serves a greeting on a loopback port; used by the embedded example.',
      parameters: [
        { name: 'port', shortdesc: 'TCP port on 127.0.0.1', longdesc: '', required: true, unique: true, type: 'integer' },
        { name: 'greeting', shortdesc: 'Body to serve', longdesc: '', required: false, unique: false, type: 'string', default: 'hello from vigil' },
      ],
      actions: [],
    } as never,
    async start(ctx) {
      if (servers.has(ctx.resourceId)) return 0;
      const port = Number(ctx.params['port']);
      const body = ctx.params['greeting'] ?? 'hello from vigil';
      const server = createServer((_req, res) => res.end(`${body}\n`));
      await new Promise<void>((ok, fail) => {
        server.once('error', fail);
        server.listen(port, '127.0.0.1', () => ok());
      });
      servers.set(ctx.resourceId, server);
      return 0;
    },
    async stop(ctx) {
      const server = servers.get(ctx.resourceId);
      if (server) await new Promise<void>((ok) => server.close(() => ok()));
      servers.delete(ctx.resourceId);
      return 0;
    },
    async monitor(ctx) {
      if (!servers.has(ctx.resourceId)) return 7; // not running
      try {
        const res = await fetch(`http://127.0.0.1:${ctx.params['port']}/`, { signal: ctx.signal });
        return res.ok ? 0 : 1;
      } catch (err) {
        return { rc: 1, reason: `no answer: ${(err as Error).message}` };
      }
    },
  };
}
