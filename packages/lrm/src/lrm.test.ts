import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { OcfRc, OpStatus, parseAgentSpec, type ActionRequest, type ActionResult, type ActionRunner } from '@vigil/ra';
import { FakeClock, LocalResourceManager, canonicalParameters, opDigest, type OpResult, type ResourceDef } from './index.js';

/** A runner whose answers the test scripts, and which can hold ops open. */
class ScriptedRunner implements ActionRunner {
  readonly calls: ActionRequest[] = [];
  answers: Array<Partial<ActionResult>> = [];
  gate: Promise<void> | undefined;
  running = 0;
  maxRunning = 0;

  async run(request: ActionRequest): Promise<ActionResult> {
    this.calls.push(request);
    this.running += 1;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    try {
      if (this.gate) await this.gate;
      const answer = this.answers.shift() ?? {};
      return {
        resourceId: request.resourceId, action: request.action, intervalMs: request.intervalMs ?? 0,
        rc: 0, opStatus: OpStatus.DONE, stdout: '', stderr: '', outputDroppedBytes: 0,
        startedAtMs: 0, execTimeMs: 3, ...answer,
      };
    } finally {
      this.running -= 1;
    }
  }
}

const rsc = (id: string, params: Record<string, string> = { a: '1' }): ResourceDef => ({
  id, agent: parseAgentSpec('ocf:heartbeat:Dummy'), params,
});

function setup(maxParallel = 4) {
  const clock = new FakeClock();
  const runner = new ScriptedRunner();
  const lrm = new LocalResourceManager({ nodeName: 'n1', runner, clock, maxParallel });
  const events: OpResult[] = [];
  lrm.on('result', (r) => events.push(r));
  return { clock, runner, lrm, events };
}

describe('recurring monitors', () => {
  it('report only changes, and keep going after the agent crashes', async () => {
    const { clock, runner, lrm, events } = setup();
    runner.answers = [
      { rc: 0 }, { rc: 0 }, { rc: 0 },
      { rc: 1, opStatus: OpStatus.ERROR, exitReason: 'agent was killed by SIGKILL' },
      { rc: 1, opStatus: OpStatus.ERROR, exitReason: 'agent was killed by SIGKILL' },
      { rc: 0 }, { rc: 7 },
    ];
    const first = await lrm.exec({ resource: rsc('r1'), action: 'monitor', intervalMs: 10_000 });
    expect(first.rc).toBe(0);
    for (let i = 0; i < 6; i++) await clock.advance(10_000);
    expect(runner.calls).toHaveLength(7);
    expect(events.map((e) => [e.rc, e.opStatus])).toEqual([[0, 0], [1, 4], [0, 0], [7, 0]]);
    // One call-id for the life of the recurring op, as Pacemaker records it.
    expect(new Set(events.map((e) => e.callId)).size).toBe(1);
    const ids = lrm.history('r1').map((r) => r.id);
    expect(ids).toEqual(['r1_last_failure_0', 'r1_monitor_10000']);
    expect(lrm.history('r1').find((r) => r.id === 'r1_monitor_10000')).toMatchObject({ rcCode: 7, intervalMs: 10_000 });
  });

  it('wait for start-delay before the first run', async () => {
    const { clock, runner, lrm } = setup();
    const first = lrm.exec({ resource: rsc('r1'), action: 'monitor', intervalMs: 5_000, startDelayMs: 30_000 });
    await clock.advance(29_000);
    expect(runner.calls).toHaveLength(0);
    await clock.advance(1_000);
    expect((await first).rc).toBe(0);
    await clock.advance(5_000);
    expect(runner.calls).toHaveLength(2);
  });

  it('are cancelled by stop: no further runs, record removed, cancellation announced', async () => {
    const { clock, runner, lrm } = setup();
    const cancelled: string[] = [];
    lrm.on('cancelled', (id, action, interval) => cancelled.push(`${id} ${action} ${interval}`));
    await lrm.exec({ resource: rsc('r1'), action: 'start' });
    await lrm.exec({ resource: rsc('r1'), action: 'monitor', intervalMs: 10_000 });
    const stop = await lrm.exec({ resource: rsc('r1'), action: 'stop' });
    expect(stop.rc).toBe(0);
    expect(cancelled).toEqual(['r1 monitor 10000']);
    const before = runner.calls.length;
    await clock.advance(60_000);
    expect(runner.calls).toHaveLength(before);
    expect(lrm.history('r1').map((r) => `${r.id}:${r.operation}`)).toEqual(['r1_last_0:stop']);
    expect(clock.pendingTimers).toBe(0);
  });

  it('a result listener that stops the resource leaves no timer behind', async () => {
    const { clock, runner, lrm } = setup();
    runner.answers = [{ rc: 0 }, { rc: 7 }];
    lrm.on('result', (r) => {
      if (r.action === 'monitor' && r.rc === 7) void lrm.exec({ resource: rsc('r1'), action: 'stop' });
    });
    await lrm.exec({ resource: rsc('r1'), action: 'monitor', intervalMs: 10_000 });
    await clock.advance(10_000);
    expect(runner.calls.map((c) => c.action)).toEqual(['monitor', 'monitor', 'stop']);
    expect(clock.pendingTimers).toBe(0);
  });

  it('registering the same monitor again replaces it rather than doubling it', async () => {
    const { clock, runner, lrm } = setup();
    await lrm.exec({ resource: rsc('r1'), action: 'monitor', intervalMs: 10_000 });
    await lrm.exec({ resource: rsc('r1'), action: 'monitor', intervalMs: 10_000 });
    runner.calls.length = 0;
    await clock.advance(10_000);
    expect(runner.calls).toHaveLength(1);
    expect(lrm.recurringOps()).toEqual([{ resourceId: 'r1', action: 'monitor', intervalMs: 10_000 }]);
  });
});

describe('queues', () => {
  it('run one op at a time per resource, in order', async () => {
    const { runner, lrm } = setup();
    let open!: () => void;
    runner.gate = new Promise((r) => (open = r));
    const ops = ['start', 'monitor', 'stop'].map((action) => lrm.exec({ resource: rsc('r1'), action }));
    await new Promise((r) => setImmediate(r));
    expect(runner.calls.map((c) => c.action)).toEqual(['start']);
    open();
    runner.gate = undefined;
    const results = await Promise.all(ops);
    expect(results.map((r) => r.action)).toEqual(['start', 'monitor', 'stop']);
    expect(runner.maxRunning).toBe(1);
    expect(results.map((r) => r.callId)).toEqual([1, 2, 3]);
  });

  it('run different resources in parallel up to the limit, and measure queue time', async () => {
    const { clock, runner, lrm } = setup(2);
    let open!: () => void;
    runner.gate = new Promise((r) => (open = r));
    const ops = ['a', 'b', 'c', 'd'].map((id) => lrm.exec({ resource: rsc(id), action: 'start' }));
    await new Promise((r) => setImmediate(r));
    expect(runner.calls.map((c) => c.resourceId)).toEqual(['a', 'b']);
    await clock.advance(1500);
    open();
    const results = await Promise.all(ops);
    expect(runner.maxRunning).toBe(2);
    expect(results.map((r) => r.queueTimeMs)).toEqual([0, 0, 1500, 1500]);
  });

  it('give up on a runner that never answers, so the resource queue moves on', async () => {
    const { clock, runner, lrm } = setup();
    runner.gate = new Promise(() => {});
    const hung = lrm.exec({ resource: rsc('r'), action: 'start', timeoutMs: 1000 });
    const next = lrm.exec({ resource: rsc('r'), action: 'monitor' });
    await clock.advance(1000 + 30_000);
    expect(await hung).toMatchObject({ opStatus: OpStatus.TIMED_OUT, exitReason: 'the executor gave no answer within 31000ms' });
    runner.gate = undefined;
    await clock.advance(21_000 + 30_000);
    expect((await next).opStatus).toBe(OpStatus.TIMED_OUT);
    expect(runner.calls.map((c) => c.action)).toEqual(['start', 'monitor']);
  });

  it('refuse ops beyond the per-resource queue bound', async () => {
    const clock = new FakeClock();
    const runner = new ScriptedRunner();
    runner.gate = new Promise(() => {});
    const lrm = new LocalResourceManager({ nodeName: 'n1', runner, clock, maxQueuePerResource: 2 });
    void lrm.exec({ resource: rsc('r'), action: 'start' });
    void lrm.exec({ resource: rsc('r'), action: 'monitor' });
    void lrm.exec({ resource: rsc('r'), action: 'monitor' });
    await expect(lrm.exec({ resource: rsc('r'), action: 'stop' })).rejects.toMatchObject({ code: 'VIGIL_LRM_QUEUE_FULL' });
  });
});

describe('history records', () => {
  it('carry what the scheduler reads, with last_failure on an unexpected rc', async () => {
    const { clock, runner, lrm } = setup();
    runner.answers = [{ rc: 0, execTimeMs: 12 }, { rc: 1, exitReason: 'boom' }];
    await lrm.exec({ resource: rsc('r1'), action: 'start', transitionKey: '3:7:0:abc' });
    await clock.advance(5_000);
    const failed = await lrm.exec({ resource: rsc('r1'), action: 'stop', transitionKey: '4:7:0:abc' });
    expect(failed.failed).toBe(true);
    const [last, failure] = [lrm.history('r1').find((r) => r.id === 'r1_last_0')!, lrm.history('r1').find((r) => r.id === 'r1_last_failure_0')!];
    expect(last).toMatchObject({
      operation: 'stop', operationKey: 'r1_stop_0', callId: 2, rcCode: 1, opStatus: 0, intervalMs: 0,
      transitionKey: '4:7:0:abc', transitionMagic: '0:1;4:7:0:abc', onNode: 'n1', exitReason: 'boom',
      opDigest: opDigest({ a: '1' }), lastRcChange: Math.floor(clock.now() / 1000),
    });
    expect(failure).toMatchObject({ operation: 'stop', rcCode: 1 });
    // Probes answering "not running" are not failures.
    runner.answers = [{ rc: 7 }];
    expect((await lrm.exec({ resource: rsc('p'), action: 'monitor' })).failed).toBe(false);
    runner.answers = [{ rc: 7 }];
    expect((await lrm.exec({ resource: rsc('p'), action: 'monitor', expectedRc: 0 })).failed).toBe(true);
    runner.answers = [{ rc: 190 }];
    expect((await lrm.exec({ resource: rsc('p'), action: 'start' })).failed).toBe(false);
  });

  it('render as lrm_rsc_op XML that @vigil/cib reads back with the same values', async () => {
    const { lrm } = setup();
    await lrm.exec({ resource: rsc('web', { port: '80', conf: 'a"b' }), action: 'start', transitionKey: '1:2:0:uuid' });
    await lrm.exec({ resource: rsc('web', { port: '80', conf: 'a"b' }), action: 'monitor', intervalMs: 10_000 });
    const { parseCib } = await import('@vigil/cib');
    const xml = `<cib admin_epoch="0" epoch="1" num_updates="0" validate-with="pacemaker-3.9"><configuration><crm_config/><nodes/><resources/><constraints/></configuration><status><node_state id="n1" uname="n1">${lrm.toXml()}</node_state></status></cib>`;
    const cib = parseCib(xml);
    const res = cib.status[0]!.lrmResources[0]!;
    expect([res.id, res.class, res.provider, res.type]).toEqual(['web', 'ocf', 'heartbeat', 'Dummy']);
    const ops = res.ops.map((op) => ({ ...op, xml: undefined }));
    const ours = lrm.history('web');
    expect(ops.map((o) => [o.id, o.operation, o.intervalMs, o.callId, o.rcCode, o.opStatus, o.opDigest, o.onNode, o.execTimeMs, o.queueTimeMs, o.lastRcChange]))
      .toEqual(ours.map((o) => [o.id, o.operation, o.intervalMs, o.callId, o.rcCode, o.opStatus, o.opDigest, o.onNode, o.execTimeMs, o.queueTimeMs, o.lastRcChange]));
    expect(ops[0]!.transitionKey).toBe('1:2:0:uuid');
  });
});

describe('restart digest', () => {
  it('ignores reloadable parameters, so a reload-only change keeps it', async () => {
    const { lrm } = setup();
    const def = (fake: string, state: string): ResourceDef => ({
      id: 'd', agent: parseAgentSpec('ocf:heartbeat:Dummy'), params: { fake, state }, reloadableParams: ['fake'],
    });
    const a = (await lrm.exec({ resource: def('1', '/s'), action: 'start' })).record;
    const b = (await lrm.exec({ resource: def('2', '/s'), action: 'start' })).record;
    const c = (await lrm.exec({ resource: def('2', '/t'), action: 'start' })).record;
    expect(a.opDigest).not.toBe(b.opDigest);
    expect(a.opRestartDigest).toBe(b.opRestartDigest);
    expect(c.opRestartDigest).not.toBe(b.opRestartDigest);
    expect(c.opForceRestart).toEqual(['state']);
    expect(lrm.toXml()).toContain('op-force-restart=" state "');
    const { parseCib } = await import('@vigil/cib');
    const cib = parseCib(`<cib admin_epoch="0" epoch="1" num_updates="0"><configuration><crm_config/><nodes/><resources/><constraints/></configuration><status><node_state id="n1" uname="n1">${lrm.toXml()}</node_state></status></cib>`);
    expect(cib.status[0]!.lrmResources[0]!.ops[0]!.opRestartDigest).toBe(c.opRestartDigest);
  });
});

describe('op digest', () => {
  it('changes with a parameter value and only then', () => {
    const base = opDigest({ ip: '10.0.0.1', cidr_netmask: '24' });
    expect(opDigest({ cidr_netmask: '24', ip: '10.0.0.1' })).toBe(base);
    expect(opDigest({ ip: '10.0.0.1', cidr_netmask: '24', CRM_meta_timeout: '20000' })).toBe(base);
    expect(opDigest({ ip: '10.0.0.2', cidr_netmask: '24' })).not.toBe(base);
    expect(opDigest({ ip: '10.0.0.1' })).not.toBe(base);
    expect(canonicalParameters({ b: '<&>', a: '1' })).toBe(' <parameters a="1" b="&lt;&amp;&gt;"/>\n');
    // The byte form Pacemaker's executor hashes: an empty parameter set.
    expect(opDigest({})).toBe(createHash('md5').update(' <parameters/>\n').digest('hex'));
    expect(base).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe('runner failures', () => {
  it('a runner that throws becomes an error result and the monitor lives on', async () => {
    const clock = new FakeClock();
    let n = 0;
    const runner: ActionRunner = {
      async run(req) {
        n += 1;
        if (n === 2) throw new Error('executor bug');
        return { resourceId: req.resourceId, action: req.action, intervalMs: req.intervalMs ?? 0, rc: 0, opStatus: 0, stdout: '', stderr: '', outputDroppedBytes: 0, startedAtMs: 0, execTimeMs: 0 };
      },
    };
    const lrm = new LocalResourceManager({ nodeName: 'n1', runner, clock });
    const seen: number[] = [];
    lrm.on('result', (r) => seen.push(r.opStatus));
    await lrm.exec({ resource: rsc('r'), action: 'monitor', intervalMs: 1000 });
    await clock.advance(3000);
    expect(n).toBe(4);
    expect(seen).toEqual([OpStatus.DONE, OpStatus.ERROR, OpStatus.DONE]);
    expect(OcfRc.SUCCESS).toBe(0);
  });
});

describe('coalesced timers', () => {
  it('monitors due in the same slot share one timer, and none fires early', async () => {
    const clock = new FakeClock(1_000_000);
    const runner = new ScriptedRunner();
    const lrm = new LocalResourceManager({ nodeName: 'n1', runner, clock, timerResolutionMs: 100 });
    const firsts = Array.from({ length: 50 }, (_, i) =>
      lrm.exec({ resource: rsc(`r${i}`), action: 'monitor', intervalMs: 1000, startDelayMs: 1 + i }),
    );
    // Delays of 1..50 ms all land in the slot ending at 100 ms.
    expect(clock.now()).toBe(1_000_000);
    expect(runner.calls).toHaveLength(0);
    await clock.advance(99);
    expect(runner.calls).toHaveLength(0);
    await clock.advance(1);
    expect(runner.calls).toHaveLength(50);
    expect((await Promise.all(firsts)).every((r) => r.rc === 0)).toBe(true);
    expect(clock.pendingTimers).toBe(1);
    lrm.close();
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('events, migration records and close', () => {
  it('announce starts and every execution; report only changes', async () => {
    const { clock, lrm } = setup();
    const started: string[] = [];
    let executed = 0;
    let reported = 0;
    lrm.on('started', (id, action, interval, callId) => started.push(`${id} ${action} ${interval} #${callId}`));
    lrm.on('executed', () => (executed += 1));
    lrm.on('result', () => (reported += 1));
    await lrm.exec({ resource: rsc('r'), action: 'monitor', intervalMs: 1000 });
    await clock.advance(3000);
    expect(started).toEqual(['r monitor 1000 #1', 'r monitor 1000 #1', 'r monitor 1000 #1', 'r monitor 1000 #1']);
    expect([executed, reported]).toEqual([4, 1]);
  });

  it('migrate_to records name source and target, and @vigil/cib reads them', async () => {
    const { lrm } = setup();
    await lrm.exec({ resource: rsc('vm'), action: 'migrate_to', meta: { migrate_source: 'n1', migrate_target: 'n2' } });
    expect(lrm.history('vm')[0]).toMatchObject({ migrateSource: 'n1', migrateTarget: 'n2' });
    const { parseCib } = await import('@vigil/cib');
    const cib = parseCib(`<cib admin_epoch="0" epoch="1" num_updates="0"><configuration><crm_config/><nodes/><resources/><constraints/></configuration><status><node_state id="n1" uname="n1">${lrm.toXml()}</node_state></status></cib>`);
    expect(cib.status[0]!.lrmResources[0]!.ops[0]).toMatchObject({ operation: 'migrate_to', migrateSource: 'n1', migrateTarget: 'n2' });
  });

  it('close cancels recurring ops and resolves queued ops as cancelled', async () => {
    const { clock, runner, lrm } = setup(1);
    let open!: () => void;
    runner.gate = new Promise((r) => (open = r));
    const running = lrm.exec({ resource: rsc('a'), action: 'start' });
    const queued = lrm.exec({ resource: rsc('a'), action: 'monitor' });
    await new Promise((r) => setImmediate(r));
    lrm.close();
    expect(await queued).toMatchObject({ opStatus: OpStatus.CANCELLED });
    open();
    expect((await running).rc).toBe(0);
    await expect(lrm.exec({ resource: rsc('a'), action: 'stop' })).rejects.toMatchObject({ code: 'VIGIL_LRM_CLOSED' });
    expect(clock.pendingTimers).toBe(0);
  });
});
