import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AgentExecutor,
  MemoryAttributeStore,
  NativeAgentRegistry,
  OcfRc,
  OpStatus,
  RaError,
  parseAgentSpec,
  type ActionRequest,
  type Agent,
} from './index.js';

const FIXTURES = fileURLToPath(new URL('../test-fixtures', import.meta.url));
const OCF = '/usr/lib/ocf/resource.d';
const haveHeartbeat = existsSync(`${OCF}/heartbeat/Dummy`) && existsSync(`${OCF}/heartbeat/anything`);
const havePacemaker = existsSync(`${OCF}/pacemaker/Dummy`) && existsSync(`${OCF}/pacemaker/Stateful`) && existsSync(`${OCF}/pacemaker/attribute`);

const dirs: string[] = [];
async function stateDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'vigil-ra-'));
  dirs.push(d);
  return d;
}
const executors: AgentExecutor[] = [];
async function executor(extra: Partial<ConstructorParameters<typeof AgentExecutor>[0]> = {}): Promise<AgentExecutor> {
  const ex = new AgentExecutor({ nodeName: 'node1', stateDir: await stateDir(), ...extra });
  await ex.start();
  executors.push(ex);
  return ex;
}
afterAll(async () => {
  for (const ex of executors) await ex.close();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(cond: () => boolean | Promise<boolean>, what: string, deadlineMs = 20_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe.skipIf(!haveHeartbeat)('ocf:heartbeat agents (resource-agents package)', () => {
  it('Dummy: probe, start, monitor, stop, monitor', async () => {
    const ex = await executor();
    const req = (action: string): ActionRequest => ({ resourceId: 'd1', agent: parseAgentSpec('ocf:heartbeat:Dummy'), action });
    expect((await ex.run(req('monitor'))).rc).toBe(OcfRc.NOT_RUNNING);
    const start = await ex.run(req('start'));
    expect([start.rc, start.opStatus]).toEqual([0, OpStatus.DONE]);
    // Its state file lands in this executor's own HA_RSCTMP.
    expect(existsSync(join(ex.rscTmpDir, 'Dummy-d1.state'))).toBe(true);
    expect((await ex.run(req('monitor'))).rc).toBe(0);
    expect((await ex.run(req('stop'))).rc).toBe(0);
    expect((await ex.run(req('monitor'))).rc).toBe(OcfRc.NOT_RUNNING);
  });

  it('Dummy: migrate_to / migrate_from between two executors, reload and validate-all', async () => {
    const a = await executor({ nodeName: 'a' });
    const b = await executor({ nodeName: 'b' });
    const agent = parseAgentSpec('ocf:heartbeat:Dummy');
    const meta = { migrate_source: 'a', migrate_target: 'b' };
    const on = (ex: AgentExecutor, action: string) => ex.run({ resourceId: 'vm', agent, action, meta });
    expect((await on(a, 'start')).rc).toBe(0);
    const to = await on(a, 'migrate_to');
    expect(to.rc).toBe(0);
    expect(to.stderr).toContain('Migrating vm to b.');
    expect((await on(a, 'monitor')).rc).toBe(OcfRc.NOT_RUNNING);
    const from = await on(b, 'migrate_from');
    expect([from.rc, from.stderr.includes('Migrating vm from a.')]).toEqual([0, true]);
    expect((await on(b, 'monitor')).rc).toBe(0);
    expect((await on(b, 'reload')).rc).toBe(0);
    expect((await on(b, 'validate-all')).rc).toBe(0);
    expect((await on(b, 'stop')).rc).toBe(0);
  });

  it('anything: manages a real long-running process', async () => {
    const ex = await executor();
    const pidfile = join(ex.rscTmpDir, 'sleeper.pid');
    const req = (action: string): ActionRequest => ({
      resourceId: 'sleeper',
      agent: parseAgentSpec('ocf:heartbeat:anything'),
      action,
      params: { binfile: '/bin/sleep', cmdline_options: '1000', pidfile, logfile: '/dev/null' },
      timeoutMs: 30_000,
    });
    const start = await ex.run(req('start'));
    expect(start.rc, start.stderr).toBe(0);
    const pid = Number((await readFile(pidfile, 'utf8')).trim());
    try {
      expect(alive(pid)).toBe(true);
      expect((await ex.run(req('monitor'))).rc).toBe(0);
      expect((await ex.run(req('stop'))).rc).toBe(0);
      await waitFor(() => !alive(pid), `pid ${pid} to exit`);
      expect((await ex.run(req('monitor'))).rc).toBe(OcfRc.NOT_RUNNING);
    } finally {
      if (alive(pid)) process.kill(pid, 'SIGKILL');
    }
  });

  it('checks instance attributes against the meta-data, naming the parameter', async () => {
    const ex = await executor();
    const agent = parseAgentSpec('ocf:heartbeat:anything');
    await expect(ex.run({ resourceId: 'a', agent, action: 'start', params: { binfile: '/bin/true', bogus: '1' }, validate: true }))
      .rejects.toThrow(/parameter 'bogus' is not a parameter of agent anything/);
    await expect(ex.run({ resourceId: 'a', agent, action: 'start', params: {}, validate: true }))
      .rejects.toMatchObject({ code: 'VIGIL_RA_MISSING_PARAMETER', message: expect.stringContaining("'binfile'") });
    const meta = await ex.metadata(agent);
    expect(meta.parameters.find((p) => p.name === 'binfile')?.required).toBe(true);
  });
});

describe.skipIf(!havePacemaker)('ocf:pacemaker agents (pacemaker-resource-agents package)', () => {
  it('Dummy gets the full OCF environment', async () => {
    const ex = await executor({ nodeId: '101' });
    const envfile = join(ex.rscTmpDir, 'env.txt');
    const result = await ex.run({
      resourceId: 'pd:1',
      agent: parseAgentSpec('ocf:pacemaker:Dummy'),
      action: 'monitor',
      intervalMs: 10_000,
      timeoutMs: 15_000,
      params: { envfile, fake: 'x y', OCF_CHECK_LEVEL: '10' },
      meta: { clone: '1', clone_max: '2', 'globally-unique': 'false', notify_type: 'pre' },
    });
    expect(result.rc).toBe(OcfRc.NOT_RUNNING);
    const env = new Map(
      (await readFile(envfile, 'utf8')).split('\n').filter((l) => /^[A-Za-z_]+=/.test(l)).map((l) => {
        const i = l.indexOf('=');
        return [l.slice(0, i), l.slice(i + 1)] as const;
      }),
    );
    expect(Object.fromEntries([...env].filter(([k]) => /^(OCF_|HA_VARRUN|HA_RSCTMP)/.test(k)))).toMatchObject({
      OCF_ROOT: '/usr/lib/ocf',
      OCF_FUNCTIONS_DIR: '/usr/lib/ocf/lib/heartbeat',
      OCF_RESOURCE_INSTANCE: 'pd:1',
      OCF_RESOURCE_TYPE: 'Dummy',
      OCF_RESOURCE_PROVIDER: 'pacemaker',
      OCF_RESKEY_fake: 'x y',
      OCF_CHECK_LEVEL: '10',
      OCF_RESKEY_CRM_meta_interval: '10000',
      OCF_RESKEY_CRM_meta_timeout: '15000',
      OCF_RESKEY_CRM_meta_name: 'monitor',
      OCF_RESKEY_CRM_meta_clone: '1',
      OCF_RESKEY_CRM_meta_clone_max: '2',
      OCF_RESKEY_CRM_meta_globally_unique: 'false',
      OCF_RESKEY_CRM_meta_notify_type: 'pre',
      OCF_RESKEY_CRM_meta_on_node: 'node1',
      OCF_RESKEY_CRM_meta_on_node_uuid: '101',
      HA_VARRUN: ex.varRunDir,
      HA_RSCTMP: ex.rscTmpDir,
    });
  });

  it('Stateful: start, monitor, promote, demote, stop with its promotion score in the attribute store', async () => {
    const store = new MemoryAttributeStore();
    const ex = await executor({ attributes: store });
    const agent = parseAgentSpec('ocf:pacemaker:Stateful');
    const run = async (action: string, intervalMs = 0) => {
      const r = await ex.run({ resourceId: 'db', agent, action, intervalMs });
      return r.rc;
    };
    const score = () => store.peek('node1', 'master-db', 'reboot');
    expect(await run('monitor')).toBe(OcfRc.NOT_RUNNING);
    expect(await run('start')).toBe(0);
    expect(score()).toBe('5');
    expect(await run('monitor', 11_000)).toBe(0);
    expect(await run('promote')).toBe(0);
    expect(score()).toBe('10');
    expect(await run('monitor', 10_000)).toBe(OcfRc.RUNNING_PROMOTED);
    expect(await run('demote')).toBe(0);
    expect(score()).toBe('5');
    expect(await run('stop')).toBe(0);
    expect(score()).toBeUndefined();
    expect(await run('monitor')).toBe(OcfRc.NOT_RUNNING);
  });

  it('attribute: start/monitor/stop drive a node attribute through attrd_updater', async () => {
    const store = new MemoryAttributeStore();
    const ex = await executor({ attributes: store });
    const agent = parseAgentSpec('ocf:pacemaker:attribute');
    const params = { name: 'site-up', active_value: 'yes', inactive_value: 'no' };
    const run = (action: string) => ex.run({ resourceId: 'flag', agent, action, params });
    expect((await run('monitor')).rc).toBe(OcfRc.NOT_RUNNING);
    expect((await run('start')).rc).toBe(0);
    expect(store.peek('node1', 'site-up', 'reboot')).toBe('yes');
    expect((await run('monitor')).rc).toBe(0);
    // Someone else changes the attribute: the agent's monitor notices, through attrd_updater -Q.
    await store.set('node1', 'site-up', 'maybe', 'reboot');
    const changed = await run('monitor');
    expect([changed.rc, changed.exitReason]).toEqual([OcfRc.ERR_GENERIC, "Node attribute site-up='maybe' differs from expected value 'yes'"]);
    expect((await run('stop')).rc).toBe(0);
    expect(store.peek('node1', 'site-up', 'reboot')).toBe('no');
    expect((await run('monitor')).rc).toBe(OcfRc.NOT_RUNNING);
  });

  it('two executors on one machine keep separate state and attribute stores', async () => {
    const storeA = new MemoryAttributeStore();
    const storeB = new MemoryAttributeStore();
    const a = await executor({ attributes: storeA, nodeName: 'a' });
    const b = await executor({ attributes: storeB, nodeName: 'b' });
    const agent = parseAgentSpec('ocf:pacemaker:Stateful');
    expect((await a.run({ resourceId: 'db', agent, action: 'start' })).rc).toBe(0);
    expect((await b.run({ resourceId: 'db', agent, action: 'monitor' })).rc).toBe(OcfRc.NOT_RUNNING);
    expect(storeA.peek('a', 'master-db', 'reboot')).toBe('5');
    expect(storeB.list('b', 'reboot')).toEqual([]);
    await a.run({ resourceId: 'db', agent, action: 'stop' });
  });
});

describe('bad input and misbehaving agents', () => {
  it('a missing agent is "not installed" (rc 5), not an exception', async () => {
    const ex = await executor();
    for (const name of ['ocf:nobody:Nothing', 'lsb:no-such-service', 'native:ghost', 'systemd:nginx', 'nagios:check_x']) {
      const r = await ex.run({ resourceId: 'x', agent: parseAgentSpec(name), action: 'start', validate: true });
      expect([name, r.rc, r.opStatus]).toEqual([name, OcfRc.ERR_INSTALLED, OpStatus.NOT_INSTALLED]);
      expect(r.exitReason).toContain('not');
    }
  });

  it('a script that may not be run is rc 4; one whose interpreter is missing is not installed', async () => {
    const root = await stateDir();
    await mkdir(join(root, 'resource.d', 'broken'), { recursive: true });
    await writeFile(join(root, 'resource.d', 'broken', 'NoExec'), '#!/bin/sh\nexit 0\n');
    await chmod(join(root, 'resource.d', 'broken', 'NoExec'), 0o644);
    await writeFile(join(root, 'resource.d', 'broken', 'NoShell'), '#!/nonexistent/interpreter\nexit 0\n');
    await chmod(join(root, 'resource.d', 'broken', 'NoShell'), 0o755);
    const ex = await executor({ ocfRoot: root });
    const noExec = await ex.run({ resourceId: 'x', agent: parseAgentSpec('ocf:broken:NoExec'), action: 'start' });
    // root may execute anything with some x bit; with none at all access(X_OK) fails for root too.
    expect([noExec.rc, noExec.opStatus]).toEqual([OcfRc.ERR_PERM, OpStatus.ERROR]);
    const noShell = await ex.run({ resourceId: 'x', agent: parseAgentSpec('ocf:broken:NoShell'), action: 'start' });
    expect([noShell.rc, noShell.opStatus]).toEqual([OcfRc.ERR_INSTALLED, OpStatus.NOT_INSTALLED]);
  });

  it('parameter names that cannot live in an environment are refused by name', async () => {
    const ex = await executor();
    const agent = parseAgentSpec('ocf:heartbeat:Dummy');
    await expect(ex.run({ resourceId: 'x', agent, action: 'monitor', params: { 'a=b': '1' } })).rejects.toThrow("resource 'x': parameter name 'a=b' cannot be passed to an agent");
    await expect(ex.run({ resourceId: 'x', agent, action: 'monitor', meta: { m: 'a\0b' } })).rejects.toMatchObject({ code: 'VIGIL_RA_BAD_PARAMETER' });
  });

  it('an unknown action is refused before anything runs', async () => {
    const ex = await executor();
    await expect(ex.run({ resourceId: 'x', agent: parseAgentSpec('ocf:heartbeat:Dummy'), action: 'explode' })).rejects.toThrow(RaError);
  });

  it('a hung agent is killed at its timeout together with its children, even if it ignores SIGTERM', async () => {
    const ex = await executor({ ocfRoot: join(FIXTURES, 'ocf'), killGraceMs: 500 });
    const pidfile = join(ex.rscTmpDir, 'hang.pids');
    const started = Date.now();
    const r = await ex.run({
      resourceId: 'h',
      agent: parseAgentSpec('ocf:vigil-test:Hang'),
      action: 'start',
      params: { pidfile, ignore_term: '1' },
      timeoutMs: 1500,
    });
    expect([r.opStatus, r.rc]).toEqual([OpStatus.TIMED_OUT, OcfRc.ERR_GENERIC]);
    expect(r.exitReason).toContain('timed out after 1500ms');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
    const pids = (await readFile(pidfile, 'utf8')).trim().split(/\s+/).map(Number);
    expect(pids).toHaveLength(2);
    await waitFor(() => pids.every((p) => !alive(p)), `agent ${pids[0]} and child ${pids[1]} to die`);
  });

  it('an agent writing megabytes keeps only a bounded amount of output', async () => {
    const ex = await executor({ ocfRoot: join(FIXTURES, 'ocf'), outputLimitBytes: 64 * 1024 });
    const r = await ex.run({
      resourceId: 'c',
      agent: parseAgentSpec('ocf:vigil-test:Chatty'),
      action: 'start',
      params: { mb: '8' },
      timeoutMs: 60_000,
    });
    expect(r.rc).toBe(1);
    expect(r.exitReason).toBe('talked too much');
    expect(r.stdout.length).toBeLessThan(64 * 1024 + 100);
    expect(r.stderr.length).toBeLessThan(64 * 1024 + 100);
    expect(r.outputDroppedBytes).toBeGreaterThan(16 * 1024 * 1024 - 2 * 64 * 1024);
    expect(r.stdout.startsWith('ooo')).toBe(true);
  });

  it('memory stays flat while an agent writes 2 x 64 MB', async () => {
    const ex = await executor({ ocfRoot: join(FIXTURES, 'ocf'), outputLimitBytes: 64 * 1024 });
    const before = process.memoryUsage();
    let peakRss = before.rss;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);
    try {
      const r = await ex.run({ resourceId: 'c', agent: parseAgentSpec('ocf:vigil-test:Chatty'), action: 'start', params: { mb: '64' }, timeoutMs: 120_000 });
      expect(r.outputDroppedBytes).toBeGreaterThan(127 * 1024 * 1024);
    } finally {
      clearInterval(sampler);
    }
    // Buffering the output would need 128 MB or more; allow for allocator noise.
    expect(peakRss - before.rss).toBeLessThan(48 * 1024 * 1024);
  });
});

describe('helper commands on the agent PATH', () => {
  const runtimes = existsSync('/usr/bin/perl') ? (['perl', 'node'] as const) : (['node'] as const);
  it.each(runtimes)('answer crm_node, crm_master and crm_attribute from this executor (%s client)', async (runtime) => {
    const store = new MemoryAttributeStore();
    const ex = await executor({ ocfRoot: join(FIXTURES, 'ocf'), attributes: store, nodeName: 'alpha', helperRuntime: runtime });
    expect(await readFile(join(ex.binDir, 'crm_node'), 'utf8')).toContain(runtime === 'perl' ? '/usr/bin/perl' : process.execPath);
    const agent = parseAgentSpec('ocf:vigil-test:Helpers');
    const r = await ex.run({ resourceId: 'h1', agent, action: 'start' });
    expect([r.rc, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toBe('node=alpha\nscore=7\nquery=scope=nodes  name=colour value=blue\nabsent_rc=105\n');
    expect(store.peek('alpha', 'colour', 'forever')).toBe('blue');
    expect((await ex.run({ resourceId: 'h1', agent, action: 'stop' })).rc).toBe(0);
    expect(store.peek('alpha', 'master-h1', 'reboot')).toBeUndefined();
    // Anonymous clone instances share the clone's score name; unique ones keep their number.
    await ex.run({ resourceId: 'ms:1', agent, action: 'start', meta: { globally_unique: 'false' } });
    expect(store.peek('alpha', 'master-ms', 'reboot')).toBe('7');
    await ex.run({ resourceId: 'ms:2', agent, action: 'start', meta: { globally_unique: 'true' } });
    expect(store.peek('alpha', 'master-ms:2', 'reboot')).toBe('7');
    // Values with spaces and non-ASCII text survive the trip both ways.
    await store.set('alpha', 'motto', 'très bien, ça va', 'forever');
    const q = await ex.run({ resourceId: 'h1', agent, action: 'monitor' });
    expect([q.rc, q.stdout]).toEqual([7, 'motto=très bien, ça va\n']);
  });
});

describe('LSB init scripts', () => {
  it('runs start/status/stop with LSB status semantics and builds meta-data from the header', async () => {
    const ex = await executor({ lsbDir: join(FIXTURES, 'init.d') });
    const agent = parseAgentSpec('lsb:vigil-sleeper');
    const run = (action: string) => ex.run({ resourceId: 'sleeper', agent, action });
    expect((await run('monitor')).rc).toBe(OcfRc.NOT_RUNNING);
    expect((await run('start')).rc).toBe(0);
    const pid = Number(await readFile(join(ex.rscTmpDir, 'vigil-sleeper.pid'), 'utf8'));
    try {
      expect((await run('monitor')).rc).toBe(0);
      // LSB status 1 (dead, pid file left) is "not running" for the cluster.
      process.kill(pid, 'SIGKILL');
      await waitFor(() => !alive(pid), 'sleeper to die');
      const dead = await run('monitor');
      expect([dead.rc, dead.stdout.trim()]).toEqual([OcfRc.NOT_RUNNING, 'dead, pid file exists']);
      expect((await run('stop')).rc).toBe(0);
      expect((await run('stop')).rc).toBe(0);
      const meta = await ex.metadata(agent);
      expect(meta.shortdesc).toBe('Test service that sleeps');
      expect((await ex.listAgents('lsb'))).toContain('lsb:vigil-sleeper');
      expect((await run('promote')).opStatus).toBe(OpStatus.NOT_SUPPORTED);
    } finally {
      if (alive(pid)) process.kill(pid, 'SIGKILL');
    }
  });
  it('service:NAME runs the init script of that name', async () => {
    const ex = await executor({ lsbDir: join(FIXTURES, 'init.d') });
    expect((await ex.run({ resourceId: 's', agent: parseAgentSpec('service:vigil-sleeper'), action: 'monitor' })).rc).toBe(OcfRc.NOT_RUNNING);
  });
});

describe('native TypeScript agents', () => {
  function counterAgent(): Agent & { running: Set<string> } {
    const running = new Set<string>();
    return {
      running,
      metadata: {
        name: 'counter',
        parameters: [
          { name: 'limit', required: true, unique: false, reloadable: false, deprecated: false, type: 'integer' },
          { name: 'mode', required: false, unique: false, reloadable: false, deprecated: false, type: 'string', default: 'fast' },
        ],
        actions: [{ name: 'start', timeoutMs: 5000 }],
      },
      async start(ctx) {
        if (ctx.params['mode'] !== 'fast') return { rc: OcfRc.ERR_CONFIGURED, reason: `mode ${ctx.params['mode']}` };
        running.add(ctx.resourceId);
        await ctx.attributes.setPromotionScore(42);
      },
      async stop(ctx) {
        running.delete(ctx.resourceId);
      },
      async monitor(ctx) {
        return running.has(ctx.resourceId) ? OcfRc.SUCCESS : OcfRc.NOT_RUNNING;
      },
      async promote() {
        throw new Error('cannot promote: disk full');
      },
      async demote(ctx) {
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
        return 0;
      },
    };
  }

  it('runs in-process by name, with defaults, promotion scores and exit reasons', async () => {
    const natives = new NativeAgentRegistry();
    const agent = counterAgent();
    natives.register('counter', agent);
    expect(() => natives.register('counter', agent)).toThrow(/already registered/);
    const store = new MemoryAttributeStore();
    const ex = await executor({ natives, attributes: store });
    const spec = parseAgentSpec('native:counter');
    const run = (action: string, params: Record<string, string> = { limit: '3' }, timeoutMs?: number) =>
      ex.run({ resourceId: 'c1', agent: spec, action, params, ...(timeoutMs ? { timeoutMs } : {}) });
    expect((await run('monitor')).rc).toBe(OcfRc.NOT_RUNNING);
    expect((await run('start')).rc).toBe(0);
    expect(store.peek('node1', 'master-c1', 'reboot')).toBe('42');
    expect((await run('monitor')).rc).toBe(0);
    expect(await run('promote')).toMatchObject({ rc: 1, opStatus: OpStatus.DONE, exitReason: 'cannot promote: disk full' });
    expect(await run('demote', undefined, 100)).toMatchObject({ opStatus: OpStatus.TIMED_OUT });
    expect(await run('notify')).toMatchObject({ rc: OcfRc.ERR_UNIMPLEMENTED, opStatus: OpStatus.NOT_SUPPORTED });
    expect(await run('start', {})).toMatchObject({ rc: OcfRc.ERR_CONFIGURED, exitReason: expect.stringContaining("'limit'") });
    expect(await run('start', { limit: '1', mode: 'slow' })).toMatchObject({ rc: OcfRc.ERR_CONFIGURED, exitReason: 'mode slow' });
    expect((await run('meta-data')).stdout).toContain('<parameter name="limit" required="1">');
    expect(await ex.listAgents('native')).toEqual(['native:counter']);
  });

  it('are reachable as ocf:PROVIDER:TYPE when registered under a provider (CIB-valid names)', async () => {
    const natives = new NativeAgentRegistry();
    natives.register('counter', counterAgent(), 'vigil');
    const ex = await executor({ natives });
    const spec = parseAgentSpec('ocf:vigil:counter');
    expect((await ex.run({ resourceId: 'c', agent: spec, action: 'start', params: { limit: '1' } })).rc).toBe(0);
    expect((await ex.run({ resourceId: 'c', agent: spec, action: 'monitor', params: { limit: '1' } })).rc).toBe(0);
    await expect(ex.run({ resourceId: 'c', agent: spec, action: 'start', params: { limit: '1', x: '2' }, validate: true })).rejects.toThrow(/parameter 'x'/);
    expect(await ex.listAgents('ocf', 'vigil')).toEqual(['ocf:vigil:counter']);
    expect((await ex.metadata(spec)).name).toBe('counter');
  });
});
