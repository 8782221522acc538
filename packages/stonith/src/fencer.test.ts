import { describe, expect, it } from 'vitest';
import { Fencer, WATCHDOG_DEVICE_ID, describeHistoryEntry, type FencerConfig } from './fencer.js';
import { ManualClock, sleep, type Clock } from './clock.js';
import { StonithError, isStonithError } from './errors.js';
import type { ActionOptions, DeviceMetadata, FenceDevice, PowerState } from './device.js';
import type { StonithDeviceConfig } from './config.js';

type Behaviour = 'ok' | 'fail' | 'hang';

/** A device whose every call is recorded; behaviour per action, latency on the injected clock. */
class FakeDevice implements FenceDevice {
  readonly type = 'fake';
  readonly calls: { action: string; plug?: string; at: number }[] = [];
  power: PowerState = 'on';
  constructor(
    private readonly clock: Clock,
    readonly behaviour: Partial<Record<string, Behaviour>> = {},
    private readonly latencyMs = 100,
    private readonly plugs: string[] = [],
  ) {}
  private async act(action: string, opts: ActionOptions = {}): Promise<void> {
    this.calls.push({ action, ...(opts.plug !== undefined ? { plug: opts.plug } : {}), at: this.clock.now() });
    const b = this.behaviour[action] ?? 'ok';
    if (b === 'hang') return new Promise(() => undefined);
    await sleep(this.clock, this.latencyMs);
    if (b === 'fail') throw new StonithError('VIGIL_STONITH_DEVICE_REFUSED', `fake ${action} failed`);
  }
  async off(o?: ActionOptions): Promise<void> {
    await this.act('off', o);
    this.power = 'off';
  }
  async on(o?: ActionOptions): Promise<void> {
    await this.act('on', o);
    this.power = 'on';
  }
  async reboot(o?: ActionOptions): Promise<void> {
    await this.act('reboot', o);
  }
  async status(o?: ActionOptions): Promise<PowerState> {
    await this.act('status', o);
    return this.power;
  }
  async list(o?: ActionOptions): Promise<string[]> {
    await this.act('list', o);
    return this.plugs;
  }
  async monitor(o?: ActionOptions): Promise<void> {
    await this.act('monitor', o);
  }
  async metadata(): Promise<DeviceMetadata> {
    return { name: 'fake', shortdesc: '', parameters: [], actions: [] };
  }
}

function setup(config: FencerConfig, devices: Record<string, FakeDevice | ((clock: Clock) => FakeDevice)>, opts: { random?: number; stonithTimeoutMs?: number; nodeAttributes?: (n: string) => Record<string, string> } = {}) {
  const clock = new ManualClock(1_000_000);
  const built: Record<string, FakeDevice> = {};
  for (const [id, d] of Object.entries(devices)) built[id] = typeof d === 'function' ? d(clock) : d;
  const fencer = new Fencer(
    {
      clock,
      random: () => opts.random ?? 0,
      createDevice: (cfg: StonithDeviceConfig) => {
        const d = built[cfg.id];
        if (!d) throw new Error(`no fake for ${cfg.id}`);
        return d;
      },
      ...(opts.stonithTimeoutMs ? { stonithTimeoutMs: opts.stonithTimeoutMs } : {}),
      ...(opts.nodeAttributes ? { nodeAttributes: opts.nodeAttributes } : {}),
    },
    config,
  );
  return { clock, fencer, dev: built };
}

const dev = (id: string, params: Record<string, string> = {}, meta?: Record<string, string>): StonithDeviceConfig => ({ id, type: 'fake', params, ...(meta ? { meta } : {}) });
const level = (id: string, index: number, target: string, devices: string[]) => ({ id, index, target, devices });

describe('fencing topology', () => {
  it('falls back from a failing level to a working one, and records who, what, which device, when', async () => {
    const { clock, fencer, dev: d } = setup(
      { devices: [dev('ipmi-n1', { pcmk_host_list: 'n1' }), dev('pdu', { pcmk_host_list: 'n1' })], levels: [level('l1', 1, 'n1', ['ipmi-n1']), level('l2', 2, 'n1', ['pdu'])] },
      { 'ipmi-n1': (c) => new FakeDevice(c, { off: 'fail' }), pdu: (c) => new FakeDevice(c) },
    );
    const started = clock.now();
    const result = fencer.fence({ target: 'n1', action: 'off', origin: 'node2' });
    await clock.advance(10_000);
    const { ok, entry } = await result;
    expect(ok).toBe(true);
    expect(entry).toMatchObject({ target: 'n1', action: 'off', origins: ['node2'], state: 'success', devices: ['pdu'], startedAt: started });
    expect(entry.completedAt).toBeGreaterThan(started);
    // pcmk_off_retries defaults to 2: three tries at level 1 before level 2
    expect(d['ipmi-n1']!.calls.map((c) => c.action)).toEqual(['off', 'off', 'off']);
    expect(d.pdu!.calls).toEqual([{ action: 'off', plug: 'n1', at: expect.any(Number) }]);
    expect(entry.attempts.map((a) => `${a.level}:${a.device}:${a.ok}`)).toEqual(['1:ipmi-n1:false', '1:ipmi-n1:false', '1:ipmi-n1:false', '2:pdu:true']);
    expect(fencer.isFencedSince('n1', started)).toBe(true);
    expect(fencer.history('n1')).toHaveLength(1);
  });

  it('fails a level when any of its devices fails, and reports failure when every level failed', async () => {
    const { clock, fencer, dev: d } = setup(
      {
        devices: [dev('a', { pcmk_off_retries: '0' }), dev('b', { pcmk_off_retries: '0' }), dev('c', { pcmk_off_retries: '0' })],
        levels: [level('l1', 1, 'n1', ['a', 'b']), level('l2', 2, 'n1', ['c'])],
      },
      { a: (c) => new FakeDevice(c), b: (c) => new FakeDevice(c, { off: 'fail' }), c: (c) => new FakeDevice(c, { off: 'fail' }) },
    );
    const result = fencer.fence({ target: 'n1', action: 'off', origin: 'crm' });
    await clock.advance(10_000);
    const { ok, entry } = await result;
    expect(ok).toBe(false);
    expect(entry.state).toBe('failed');
    expect(entry.code).toBe('VIGIL_STONITH_ALL_LEVELS_FAILED');
    expect(entry.devices).toEqual([]);
    expect(entry.reason).toMatch(/level 1 b off: fake off failed; level 2 c off: fake off failed/);
    expect(d.a!.calls).toHaveLength(1);
    expect(fencer.isFencedSince('n1', 0)).toBe(false);
  });

  it('never reports success for a device that does not answer: it times out and fails', async () => {
    const { clock, fencer } = setup({ devices: [dev('slow', { pcmk_host_list: 'n1', pcmk_off_retries: '0', pcmk_off_timeout: '10s' })], levels: [] }, { slow: (c) => new FakeDevice(c, { off: 'hang' }) });
    let settled = false;
    const result = fencer.fence({ target: 'n1', action: 'off', origin: 'crm' }).finally(() => (settled = true));
    await clock.advance(11_000);
    expect(settled).toBe(false); // 10 s padded by 1.2
    await clock.advance(2_000);
    const { ok, entry } = await result;
    expect(ok).toBe(false);
    expect(entry.attempts[0]).toMatchObject({ ok: false, code: 'VIGIL_STONITH_TIMEOUT' });
  });

  it('turns a reboot through two devices into all off, then all on', async () => {
    const { clock, fencer, dev: d } = setup(
      { devices: [dev('psu1'), dev('psu2')], levels: [level('l1', 1, 'n1', ['psu1', 'psu2'])] },
      { psu1: (c) => new FakeDevice(c), psu2: (c) => new FakeDevice(c) },
    );
    const result = fencer.fence({ target: 'n1', action: 'reboot', origin: 'crm' });
    await clock.advance(5_000);
    expect((await result).ok).toBe(true);
    const order = [...d.psu1!.calls.map((c) => ({ ...c, d: 1 })), ...d.psu2!.calls.map((c) => ({ ...c, d: 2 }))].sort((a, b) => a.at - b.at).map((c) => `${c.d}:${c.action}`);
    expect(order).toEqual(['1:off', '2:off', '1:on', '2:on']);
  });

  it('selects levels by pattern and by node attribute, lowest index first', async () => {
    const { clock, fencer, dev: d } = setup(
      {
        devices: [dev('rack-a'), dev('rack-b'), dev('fallback')],
        levels: [
          { id: 'p', index: 2, targetPattern: 'web[0-9]+', devices: ['fallback'] },
          { id: 'attr', index: 1, targetAttribute: 'rack', targetValue: 'b', devices: ['rack-b'] },
          { id: 'attr-a', index: 1, targetAttribute: 'rack', targetValue: 'a', devices: ['rack-a'] },
        ],
      },
      { 'rack-a': (c) => new FakeDevice(c), 'rack-b': (c) => new FakeDevice(c, { reboot: 'fail' }), fallback: (c) => new FakeDevice(c) },
      { nodeAttributes: (n) => (n === 'web1' ? { rack: 'b' } : {}) },
    );
    const result = fencer.fence({ target: 'web1', origin: 'crm' });
    await clock.advance(5_000);
    const { ok, entry } = await result;
    expect(ok).toBe(true);
    expect(entry.devices).toEqual(['fallback']);
    expect(d['rack-a']!.calls).toHaveLength(0);
    expect(d['rack-b']!.calls.length).toBeGreaterThan(0);
  });
});

describe('device selection without topology', () => {
  it('honours pcmk_host_list, pcmk_host_map plugs and priority order', async () => {
    const { clock, fencer, dev: d } = setup(
      {
        devices: [
          dev('low', { pcmk_host_list: 'n1,n2', priority: '1' }),
          dev('high', { pcmk_host_map: 'n1:port-7;n3:port-9', priority: '10' }),
          dev('other', { pcmk_host_list: 'n3' }),
        ],
        levels: [],
      },
      { low: (c) => new FakeDevice(c), high: (c) => new FakeDevice(c), other: (c) => new FakeDevice(c) },
    );
    expect(await fencer.capableDevices('n1')).toEqual(['high', 'low']);
    expect(await fencer.capableDevices('n2')).toEqual(['low']);
    expect(await fencer.capableDevices('n4')).toEqual([]);
    const result = fencer.fence({ target: 'n1', action: 'off', origin: 'crm' });
    await clock.advance(5_000);
    expect((await result).entry.devices).toEqual(['high']);
    expect(d.high!.calls).toEqual([{ action: 'off', plug: 'port-7', at: expect.any(Number) }]);
    expect(d.low!.calls).toHaveLength(0);
  });

  it('asks the device with dynamic-list and status checks, and defaults like Pacemaker', async () => {
    const { clock, fencer } = setup(
      {
        devices: [
          dev('lister', { pcmk_host_check: 'dynamic-list' }),
          dev('prober', { pcmk_host_check: 'status' }),
          dev('any', { pcmk_host_check: 'none' }),
          dev('default-list'),
          dev('broken', { pcmk_host_check: 'status' }),
        ],
        levels: [],
      },
      {
        lister: (c) => new FakeDevice(c, {}, 10, ['n1', 'n2']),
        prober: (c) => new FakeDevice(c),
        any: (c) => new FakeDevice(c),
        'default-list': (c) => new FakeDevice(c, {}, 10, ['n2']),
        broken: (c) => new FakeDevice(c, { status: 'fail' }),
      },
    );
    const capable = fencer.capableDevices('n1');
    await clock.advance(1_000);
    expect(await capable).toEqual(['lister', 'prober', 'any']);
    const capable2 = fencer.capableDevices('n2');
    await clock.advance(1_000);
    expect(await capable2).toEqual(['lister', 'prober', 'any', 'default-list']);
  });

  it('fails with NO_DEVICE when nothing can fence the target', async () => {
    const { fencer } = setup({ devices: [dev('a', { pcmk_host_list: 'n2' })], levels: [] }, { a: (c) => new FakeDevice(c) });
    const { ok, entry } = await fencer.fence({ target: 'n1', origin: 'crm' });
    expect(ok).toBe(false);
    expect(entry.code).toBe('VIGIL_STONITH_NO_DEVICE');
  });

  it('sends pcmk_reboot_action instead of reboot', async () => {
    const { clock, fencer, dev: d } = setup({ devices: [dev('a', { pcmk_host_list: 'n1', pcmk_reboot_action: 'off' })], levels: [] }, { a: (c) => new FakeDevice(c) });
    const result = fencer.fence({ target: 'n1', action: 'reboot', origin: 'crm' });
    await clock.advance(1_000);
    expect((await result).ok).toBe(true);
    expect(d.a!.calls.map((c) => c.action)).toEqual(['off']);
  });
});

describe('pcmk_action_limit', () => {
  const run = async (limit?: string) => {
    const params: Record<string, string> = { pcmk_host_list: 'n1 n2 n3', ...(limit ? { pcmk_action_limit: limit } : {}) };
    const { clock, fencer, dev: d } = setup({ devices: [dev('pdu', params)], levels: [] }, { pdu: (c) => new FakeDevice(c, {}, 1000) });
    const t0 = clock.now();
    const results = ['n1', 'n2', 'n3'].map((n) => fencer.fence({ target: n, action: 'off', origin: 'crm' }));
    await clock.advance(10_000);
    expect((await Promise.all(results)).every((r) => r.ok)).toBe(true);
    return d.pdu!.calls.map((c) => c.at - t0);
  };

  it('runs one action at a time on a device by default', async () => {
    expect(await run()).toEqual([0, 1000, 2000]);
  });

  it('runs them side by side when the limit allows', async () => {
    expect(await run('-1')).toEqual([0, 0, 0]);
    expect(await run('2')).toEqual([0, 0, 1000]);
  });

  it('lets a queued action that timed out leave the queue without blocking the device', async () => {
    const { clock, fencer, dev: d } = setup(
      { devices: [dev('pdu', { pcmk_host_list: 'n1 n2 n3', pcmk_off_timeout: '5s', pcmk_off_retries: '0' })], levels: [] },
      { pdu: (c) => new FakeDevice(c, {}, 5500) },
    );
    const t0 = clock.now();
    const a = fencer.fence({ target: 'n1', action: 'off', origin: 'crm' }); // 5.5 s < 6 s padded timeout
    const b = fencer.fence({ target: 'n2', action: 'off', origin: 'crm' }); // waits 5.5 s, then has 0.5 s: times out
    await clock.advance(30_000);
    expect((await a).ok).toBe(true);
    expect((await b).ok).toBe(false);
    const c = fencer.fence({ target: 'n3', action: 'off', origin: 'crm' });
    await clock.advance(30_000);
    expect((await c).ok).toBe(true);
    expect(d.pdu!.calls.map((x) => `${x.plug}@${x.at - t0}`)).toEqual(['n1@0', 'n2@5500', 'n3@30000']);
  });
});

describe('delays', () => {
  it('waits pcmk_delay_base plus a random share up to pcmk_delay_max, plus the caller\'s delay', async () => {
    const { clock, fencer, dev: d } = setup(
      { devices: [dev('a', { pcmk_host_list: 'n1', pcmk_delay_base: '2s', pcmk_delay_max: '10s' })], levels: [] },
      { a: (c) => new FakeDevice(c) },
      { random: 0.5 },
    );
    const t0 = clock.now();
    const result = fencer.fence({ target: 'n1', action: 'off', origin: 'crm', extraDelayMs: 1000 });
    await clock.advance(6_900);
    expect(d.a!.calls).toHaveLength(0);
    await clock.advance(200);
    expect(d.a!.calls.map((c) => c.at - t0)).toEqual([7000]);
    const { entry } = await result;
    expect(entry.delayMs).toBe(7000);
  });

  it('takes a per-node pcmk_delay_base from a host map', async () => {
    const { clock, fencer, dev: d } = setup({ devices: [dev('a', { pcmk_host_list: 'n1 n2', pcmk_delay_base: 'n1:0s;n2:5s' })], levels: [] }, { a: (c) => new FakeDevice(c) });
    const t0 = clock.now();
    const r1 = fencer.fence({ target: 'n1', action: 'off', origin: 'x' });
    const r2 = fencer.fence({ target: 'n2', action: 'off', origin: 'x' });
    await clock.advance(10_000);
    await Promise.all([r1, r2]);
    expect(d.a!.calls.map((c) => `${c.plug}@${c.at - t0}`)).toEqual(['n1@0', 'n2@5000']);
  });
});

describe('merging, confirmation, unfencing', () => {
  it('merges concurrent requests for one node into one execution and one history entry', async () => {
    const { clock, fencer, dev: d } = setup({ devices: [dev('a', { pcmk_host_list: 'n1 n2' })], levels: [] }, { a: (c) => new FakeDevice(c, {}, 1000) });
    const first = fencer.fence({ target: 'n1', action: 'off', origin: 'node2' });
    await clock.advance(100);
    const second = fencer.fence({ target: 'n1', action: 'off', origin: 'node3' });
    const third = fencer.fence({ target: 'n2', action: 'off', origin: 'node3' });
    expect(fencer.pending()).toHaveLength(2);
    await clock.advance(5_000);
    const [a, b] = await Promise.all([first, second, third]);
    expect(a!.entry.id).toBe(b!.entry.id);
    expect(a!.entry.origins).toEqual(['node2', 'node3']);
    expect(d.a!.calls.filter((c) => c.plug === 'n1')).toHaveLength(1);
    expect(fencer.history()).toHaveLength(2);
  });

  it('lets an operator confirm a node down: pending requests end as confirmed, not device, successes', async () => {
    const { clock, fencer } = setup({ devices: [dev('a', { pcmk_host_list: 'n1', pcmk_off_timeout: '600s' })], levels: [] }, { a: (c) => new FakeDevice(c, { off: 'hang' }) });
    const result = fencer.fence({ target: 'n1', action: 'off', origin: 'crm' });
    await clock.advance(1_000);
    const confirmedAt = clock.now();
    const confirmed = fencer.confirm('n1', 'operator:alice');
    expect(confirmed).toMatchObject({ state: 'success', confirmedBy: 'operator:alice', devices: [] });
    const { ok, entry } = await result;
    expect(ok).toBe(true);
    expect(entry.confirmedBy).toBe('operator:alice');
    expect(fencer.isFencedSince('n1', confirmedAt)).toBe(true);
    // with nothing pending, a confirmation is its own entry
    const alone = fencer.confirm('n9', 'operator:bob');
    expect(alone).toMatchObject({ target: 'n9', origins: ['operator:bob'], state: 'success', confirmedBy: 'operator:bob' });
  });

  it('unfences through every capable device that provides unfencing', async () => {
    const { clock, fencer, dev: d } = setup(
      { devices: [dev('scsi', { pcmk_host_list: 'n1' }, { provides: 'unfencing' }), dev('power', { pcmk_host_list: 'n1' })], levels: [] },
      { scsi: (c) => new FakeDevice(c), power: (c) => new FakeDevice(c) },
    );
    const result = fencer.unfence('n1', 'crm');
    await clock.advance(1_000);
    const { ok, entry } = await result;
    expect(ok).toBe(true);
    expect(entry).toMatchObject({ action: 'on', devices: ['scsi'] });
    expect(d.scsi!.calls.map((c) => c.action)).toEqual(['on']);
    expect(d.power!.calls).toHaveLength(0);
    // unfencing is not fencing
    expect(fencer.isFencedSince('n1', 0)).toBe(false);
  });

  it('fails unfencing when no device provides it or one of them fails', async () => {
    const { clock, fencer } = setup(
      { devices: [dev('scsi', { pcmk_host_list: 'n1', pcmk_on_retries: '0' }, { provides: 'unfencing' }), dev('net', { pcmk_host_list: 'n1' }, { provides: 'unfencing' })], levels: [] },
      { scsi: (c) => new FakeDevice(c), net: (c) => new FakeDevice(c, { on: 'fail' }) },
    );
    const r = fencer.unfence('n1', 'crm');
    await clock.advance(5_000);
    const { ok, entry } = await r;
    expect(ok).toBe(false);
    expect(entry.reason).toMatch(/unfencing n1 failed: .*net on: fake on failed/);
    const none = await fencer.unfence('n2', 'crm');
    expect(none.ok).toBe(false);
    expect(none.entry.code).toBe('VIGIL_STONITH_NO_DEVICE');
  });
});

describe('watchdog fencing', () => {
  const make = (config: FencerConfig, devices: Record<string, (c: Clock) => FakeDevice> = {}) => {
    const clock = new ManualClock(0);
    const built: Record<string, FakeDevice> = {};
    for (const [id, f] of Object.entries(devices)) built[id] = f(clock);
    const fencer = new Fencer({ clock, createDevice: (cfg) => built[cfg.id]!, watchdog: { timeoutMs: 10_000, covers: (n) => n !== 'no-sbd' } }, config);
    return { clock, fencer, built };
  };

  it('reports a node with a watchdog fenced only once stonith-watchdog-timeout has passed', async () => {
    const { clock, fencer } = make({ devices: [], levels: [] });
    let done = false;
    const result = fencer.fence({ target: 'n1', action: 'off', origin: 'crm' }).finally(() => (done = true));
    await clock.advance(9_999);
    expect(done).toBe(false);
    expect(fencer.isFencedSince('n1', 0)).toBe(false);
    await clock.advance(2);
    const { ok, entry } = await result;
    expect(ok).toBe(true);
    expect(entry.devices).toEqual([WATCHDOG_DEVICE_ID]);
    expect(entry.completedAt).toBe(10_000);
  });

  it('never waits for a node that has no watchdog', async () => {
    const { fencer } = make({ devices: [], levels: [] });
    const { ok, entry } = await fencer.fence({ target: 'no-sbd', action: 'off', origin: 'crm' });
    expect(ok).toBe(false);
    expect(entry.code).toBe('VIGIL_STONITH_NO_DEVICE');
  });

  it('comes after real devices, and can be named in a level', async () => {
    const { clock, fencer, built } = make(
      { devices: [dev('ipmi', { pcmk_host_list: 'n1 n2', pcmk_off_retries: '0' })], levels: [level('l1', 1, 'n2', ['watchdog'])] },
      { ipmi: (c) => new FakeDevice(c, { off: 'fail' }) },
    );
    expect(await fencer.capableDevices('n1')).toEqual(['ipmi', 'watchdog']);
    const r1 = fencer.fence({ target: 'n1', action: 'off', origin: 'crm' });
    const r2 = fencer.fence({ target: 'n2', action: 'off', origin: 'crm' });
    await clock.advance(20_000);
    const [a, b] = await Promise.all([r1, r2]);
    expect(a.entry.attempts.map((x) => `${x.device}:${x.ok}`)).toEqual(['ipmi:false', 'watchdog:true']);
    expect(b.entry.devices).toEqual(['watchdog']);
    expect(built.ipmi!.calls.map((c) => c.plug)).toEqual(['n1']);
    expect(fencer.deviceIds()).toEqual(['ipmi']);
  });

  it('reserves the device id', () => {
    expect(() => make({ devices: [dev('watchdog')], levels: [] })).toThrow(/reserved for watchdog fencing/);
  });
});

describe('history', () => {
  it('counts failures since the last success and describes each entry in one line', async () => {
    let works = false;
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const device = new FakeDevice(clock);
    const fencer = new Fencer(
      { clock, createDevice: () => (works ? device : new FakeDevice(clock, { off: 'fail' })) },
      { devices: [dev('a', { pcmk_host_list: 'n1', pcmk_off_retries: '0' })], levels: [] },
    );
    const attempt = async (): Promise<void> => {
      const r = fencer.fence({ target: 'n1', action: 'off', origin: 'node2' });
      await clock.advance(1_000);
      await r;
    };
    await attempt();
    await attempt();
    expect(fencer.consecutiveFailures('n1')).toBe(2);
    const [failed] = fencer.history('n1');
    expect(describeHistoryEntry(failed!)).toBe(
      'off of n1 FAILED at 2026-01-01T00:00:00.100Z, requested by node2: fencing n1 (off) failed at every level: level 1 a off: fake off failed',
    );
    fencer.confirm('n1', 'operator:alice');
    expect(fencer.consecutiveFailures('n1')).toBe(0);
    expect(describeHistoryEntry(fencer.history('n1')[2]!)).toBe('off of n1 confirmed by operator:alice (no device) at 2026-01-01T00:00:02.000Z, requested by operator:alice');
    works = true;
    fencer.configure({ devices: [dev('b', { pcmk_host_list: 'n1' })], levels: [] });
    await attempt();
    expect(describeHistoryEntry(fencer.history('n1')[3]!)).toBe('off of n1 succeeded through b at 2026-01-01T00:00:02.100Z, requested by node2');
  });
});

describe('configuration', () => {
  it('rejects bad levels and device attributes by name and keeps the previous configuration', () => {
    const { fencer } = setup({ devices: [dev('a', { pcmk_host_list: 'n1' })], levels: [] }, { a: (c) => new FakeDevice(c) });
    const bad = (cfg: FencerConfig): unknown => {
      try {
        fencer.configure(cfg);
      } catch (e) {
        return e;
      }
      return undefined;
    };
    expect((bad({ devices: [dev('a')], levels: [level('l1', 1, 'n1', ['nope'])] }) as Error).message).toBe("fencing-level 'l1' devices: 'nope' is not a configured stonith device");
    expect((bad({ devices: [dev('a')], levels: [level('l1', 10, 'n1', ['a'])] }) as Error).message).toMatch(/index: 10 is not 1..9/);
    expect((bad({ devices: [dev('a', { pcmk_host_check: 'sometimes' })], levels: [] }) as Error).message).toMatch(/stonith device 'a' pcmk_host_check: 'sometimes'/);
    expect((bad({ devices: [dev('a', { pcmk_delay_max: 'soon' })], levels: [] }) as Error).message).toMatch(/stonith device 'a' pcmk_delay_max: 'soon' is not a duration/);
    expect((bad({ devices: [dev('a', { pcmk_host_check: 'static-list' })], levels: [] }) as Error).message).toMatch(/static-list needs/);
    expect(isStonithError(bad({ devices: [dev('a'), dev('a')], levels: [] }), 'VIGIL_STONITH_BAD_CONFIG')).toBe(true);
    expect(fencer.deviceIds()).toEqual(['a']);
  });

  it('keeps a bounded history', async () => {
    const clock = new ManualClock();
    const fencer = new Fencer({ clock, createDevice: () => new FakeDevice(clock), historyLimit: 3 }, { devices: [], levels: [] });
    for (let i = 0; i < 10; i++) fencer.confirm(`n${i}`, 'op');
    expect(fencer.history().map((e) => e.target)).toEqual(['n7', 'n8', 'n9']);
  });
});
