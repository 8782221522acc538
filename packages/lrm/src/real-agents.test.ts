import { afterAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer, get, type Server } from 'node:http';
import { AgentExecutor, MemoryAttributeStore, NativeAgentRegistry, OcfRc, OpStatus, parseAgentSpec, type Agent } from '@vigil/ra';
import { LocalResourceManager, type OpResult } from './index.js';

const FIXTURES = fileURLToPath(new URL('../test-fixtures', import.meta.url));
const haveStateful = existsSync('/usr/lib/ocf/resource.d/pacemaker/Stateful');

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function rig(ocfRoot?: string, natives?: NativeAgentRegistry) {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-lrm-'));
  const attributes = new MemoryAttributeStore();
  const executor = new AgentExecutor({
    nodeName: 'n1', stateDir: dir, attributes, killGraceMs: 1000,
    ...(ocfRoot ? { ocfRoot } : {}), ...(natives ? { natives } : {}),
  });
  await executor.start();
  const lrm = new LocalResourceManager({ nodeName: 'n1', runner: executor });
  cleanups.push(async () => {
    lrm.close();
    await executor.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { dir, attributes, executor, lrm };
}

// A monitor may read the control file at any moment: replace it atomically,
// never truncate-then-write.
async function setControl(file: string, text: string): Promise<void> {
  await writeFile(`${file}.new`, text);
  await rename(`${file}.new`, file);
}

async function waitFor(cond: () => boolean | Promise<boolean>, what: string, deadlineMs = 30_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe.skipIf(!haveStateful)('LRM driving ocf:pacemaker:Stateful', () => {
  it('start, recurring monitor, promote, demote, stop, with history and promotion scores', async () => {
    const { lrm, attributes } = await rig();
    const resource = { id: 'db', agent: parseAgentSpec('ocf:pacemaker:Stateful'), params: {} };
    expect((await lrm.exec({ resource, action: 'monitor' })).rc).toBe(OcfRc.NOT_RUNNING);
    expect((await lrm.exec({ resource, action: 'start' })).rc).toBe(0);
    expect(attributes.peek('n1', 'master-db', 'reboot')).toBe('5');
    const mon = await lrm.exec({ resource, action: 'monitor', intervalMs: 11_000 });
    expect(mon.rc).toBe(0);
    expect((await lrm.exec({ resource, action: 'promote' })).rc).toBe(0);
    expect(attributes.peek('n1', 'master-db', 'reboot')).toBe('10');
    expect((await lrm.exec({ resource, action: 'demote' })).rc).toBe(0);
    expect((await lrm.exec({ resource, action: 'stop' })).rc).toBe(0);
    expect(attributes.peek('n1', 'master-db', 'reboot')).toBeUndefined();
    expect(lrm.recurringOps()).toEqual([]);
    const history = lrm.history('db');
    expect(history.map((r) => [r.id, r.operation, r.rcCode])).toEqual([['db_last_0', 'stop', 0]]);
    expect(history[0]!.execTimeMs).toBeGreaterThanOrEqual(0);
  });
});

describe('LRM with a crashing agent (fixture)', () => {
  it('a recurring monitor reports the crash and the recovery, and nothing in between', async () => {
    const { lrm, dir } = await rig(join(FIXTURES, 'ocf'));
    const control = join(dir, 'control');
    const resource = { id: 'flaky', agent: parseAgentSpec('ocf:vigil-test:Flaky'), params: { control } };
    const reported: OpResult[] = [];
    lrm.on('result', (r) => reported.push(r));
    expect((await lrm.exec({ resource, action: 'start' })).rc).toBe(0);
    await lrm.exec({ resource, action: 'monitor', intervalMs: 200 });
    const runs = async () => (await readFile(`${control}.runs`, 'utf8').catch(() => '')).split('\n').length - 1;
    await waitFor(async () => (await runs()) >= 3, 'three monitor runs');
    await setControl(control, 'crash\n');
    await waitFor(() => reported.some((r) => r.opStatus === OpStatus.ERROR), 'the crash to be reported');
    const crashRuns = await runs();
    await waitFor(async () => (await runs()) >= crashRuns + 2, 'monitors to go on after the crash');
    await setControl(control, 'ok\n');
    await waitFor(() => reported.filter((r) => r.action === 'monitor').length >= 3, 'the recovery to be reported');
    const monitors = reported.filter((r) => r.action === 'monitor').map((r) => [r.rc, r.opStatus]);
    expect(monitors).toEqual([[0, 0], [1, OpStatus.ERROR], [0, 0]]);
    expect(reported.find((r) => r.opStatus === OpStatus.ERROR)!.exitReason).toContain('SIGKILL');
    await lrm.exec({ resource, action: 'stop' });
    const after = await runs();
    await new Promise((r) => setTimeout(r, 600));
    expect(await runs()).toBe(after);
  });
});

describe('a native agent managing an in-process HTTP service', () => {
  it('starts, monitors over loopback, notices the service dying, stops', async () => {
    let server: Server | undefined;
    const probe = (port: number) =>
      new Promise<number>((resolve) => {
        const req = get({ host: '127.0.0.1', port, path: '/health', timeout: 2000 }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', () => resolve(0));
        req.on('timeout', () => req.destroy());
      });
    let port = 0;
    const http: Agent = {
      metadata: { name: 'http', parameters: [{ name: 'body', required: true, unique: false, reloadable: false, deprecated: false, type: 'string' }], actions: [] },
      async start(ctx) {
        const s = createServer((_req, res) => res.end(ctx.params['body']));
        await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
        port = (s.address() as { port: number }).port;
        server = s;
      },
      async stop() {
        const s = server;
        server = undefined;
        if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
      },
      async monitor() {
        if (!server) return OcfRc.NOT_RUNNING;
        return (await probe(port)) === 200 ? OcfRc.SUCCESS : { rc: OcfRc.ERR_GENERIC, reason: 'health check failed' };
      },
    };
    const natives = new NativeAgentRegistry();
    natives.register('http', http, 'vigil');
    const { lrm } = await rig(undefined, natives);
    const resource = { id: 'api', agent: parseAgentSpec('ocf:vigil:http'), params: { body: 'ok' } };
    const reported: Array<[number, string | undefined]> = [];
    lrm.on('result', (r) => r.action === 'monitor' && reported.push([r.rc, r.exitReason]));
    expect((await lrm.exec({ resource, action: 'start' })).rc).toBe(0);
    expect(await probe(port)).toBe(200);
    expect((await lrm.exec({ resource, action: 'monitor', intervalMs: 100 })).rc).toBe(0);
    // The service dies behind the agent's back: its socket closes but the agent still thinks it runs.
    const dying = server!;
    dying.closeAllConnections();
    await new Promise<void>((resolve) => dying.close(() => resolve()));
    await waitFor(() => reported.length >= 2, 'the failure to be reported');
    expect(reported[1]).toEqual([OcfRc.ERR_GENERIC, 'health check failed']);
    expect(lrm.history('api').some((r) => r.id === 'api_last_failure_0')).toBe(true);
    expect((await lrm.exec({ resource, action: 'stop' })).rc).toBe(0);
    expect(lrm.recurringOps()).toEqual([]);
  });
});
