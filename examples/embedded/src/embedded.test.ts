import { afterAll, describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import type { ClusterNode } from '@vigil/crm';
import { runEmbedded } from './embedded.js';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('embedded node with a native agent', () => {
  let node: ClusterNode | undefined;
  afterAll(async () => {
    await node?.stop();
  });

  it('starts the in-process service, and restarts it when it fails', async () => {
    const servicePort = await freePort();
    const started = await runEmbedded({ clusterPort: await freePort(), servicePort, log: () => undefined });
    node = started.node;
    const answer = (): Promise<string | undefined> =>
      fetch(`http://127.0.0.1:${servicePort}/`).then((res) => (res.ok ? res.text() : undefined));
    expect(await until('the service to answer', answer)).toBe('hello from vigil\n');
    expect(node.activeHere()).toEqual(['greeter']);

    // Crash it: the 1 s monitor notices, the fail count rises, and the
    // service is recovered in place.
    await started.agent.crash('greeter');
    await until('a recorded failure', async () => (/fail-count-greeter#monitor_1000" value="1"/.test(node!.cibXml()) ? true : undefined));
    expect(await until('the service to answer again', answer)).toBe('hello from vigil\n');
  });
});
