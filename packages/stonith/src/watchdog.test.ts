import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { ManualClock, systemClock } from './clock.js';
import { LinuxWatchdog, ProcessWatchdog, SelfFenceMonitor, effectiveStonithWatchdogTimeoutMs, watchdogFencedAtMs, type SelfFenceState, type WatchdogDevice } from './watchdog.js';
import { waitFor } from '../test-fixtures/harness.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A watchdog model on the manual clock: it fires when a feed is later than its timeout. */
class ModelWatchdog implements WatchdogDevice {
  armed = false;
  lastFeedAt = 0;
  firedAt: number | undefined;
  constructor(
    readonly timeoutMs: number,
    private readonly clock: ManualClock,
  ) {}
  async arm(): Promise<void> {
    this.armed = true;
    this.lastFeedAt = this.clock.now();
    this.schedule();
  }
  feed(): void {
    if (this.firedAt === undefined) this.lastFeedAt = this.clock.now();
  }
  async disarm(): Promise<void> {
    this.armed = false;
  }
  private schedule(): void {
    this.clock.setTimer(50, () => {
      if (!this.armed || this.firedAt !== undefined) return;
      if (this.clock.now() - this.lastFeedAt > this.timeoutMs) this.firedAt = this.clock.now();
      else this.schedule();
    });
  }
}

function monitor(stop: () => Promise<void>) {
  const clock = new ManualClock(0);
  const watchdog = new ModelWatchdog(5_000, clock);
  const states: SelfFenceState[] = [];
  const m = new SelfFenceMonitor({ clock, watchdog, stopResources: stop, stopDeadlineMs: 3_000, onStateChange: (s) => states.push(s) });
  return { clock, watchdog, m, states };
}

describe('self-fencing on lost quorum', () => {
  it('keeps feeding while healthy, for far longer than the watchdog timeout', async () => {
    const { clock, watchdog, m } = monitor(async () => undefined);
    await m.start();
    await clock.advance(60_000);
    expect(watchdog.firedAt).toBeUndefined();
    expect(m.current).toBe('healthy');
  });

  it('stays up when its resources stop before the deadline', async () => {
    let release!: () => void;
    const { clock, watchdog, m, states } = monitor(() => new Promise<void>((r) => (release = r)));
    await m.start();
    await clock.advance(1_000);
    m.setHealthy(false, 'quorum lost');
    await clock.advance(2_000);
    release();
    await clock.advance(60_000);
    expect(states).toEqual(['healthy', 'stopping', 'stopped']);
    expect(watchdog.firedAt).toBeUndefined();
    m.setHealthy(true, 'quorum regained');
    expect(m.current).toBe('healthy');
  });

  it('stops feeding when stopping overruns its deadline, so the watchdog resets the node before stonith-watchdog-timeout', async () => {
    const { clock, watchdog, m, states } = monitor(() => new Promise<void>(() => undefined));
    await m.start();
    await clock.advance(1_000);
    const lostAt = clock.now();
    m.setHealthy(false, 'lease expired');
    await clock.advance(20_000);
    expect(states).toEqual(['healthy', 'stopping', 'resetting']);
    expect(watchdog.firedAt).toBeDefined();
    // the node dies no later than deadline + watchdog timeout (+ one model tick)
    expect(watchdog.firedAt!).toBeLessThanOrEqual(lostAt + 3_000 + 5_000 + 50);
    const fencedAt = watchdogFencedAtMs(lostAt, effectiveStonithWatchdogTimeoutMs(-1, watchdog.timeoutMs))!;
    expect(fencedAt).toBeGreaterThanOrEqual(watchdog.firedAt!);
  });

  it('treats a failed stop like an overrun', async () => {
    const { clock, m } = monitor(async () => {
      throw new Error('stop of db failed');
    });
    await m.start();
    m.setHealthy(false, 'quorum lost');
    await clock.advance(10);
    expect(m.current).toBe('resetting');
  });

  it('validates stonith-watchdog-timeout against the watchdog timeout', () => {
    expect(effectiveStonithWatchdogTimeoutMs(0, 5000)).toBeUndefined();
    expect(effectiveStonithWatchdogTimeoutMs(-1, 5000)).toBe(10_000);
    expect(effectiveStonithWatchdogTimeoutMs(12_000, 5000)).toBe(12_000);
    expect(() => effectiveStonithWatchdogTimeoutMs(4000, 5000)).toThrow(/must be longer than the watchdog timeout/);
  });
});

describe('process-level watchdog stand-in', () => {
  const children: ChildProcess[] = [];
  const watchdogs: ProcessWatchdog[] = [];
  afterEach(() => {
    for (const w of watchdogs.splice(0)) w.kill();
    for (const c of children.splice(0)) c.kill('SIGKILL');
  });
  const victim = (): ChildProcess => {
    const c = spawn('sleep', ['300'], { stdio: 'ignore' });
    children.push(c);
    return c;
  };
  const alive = (c: ChildProcess): boolean => c.exitCode === null && c.signalCode === null;

  it('kills its victim once feeding stops, and not while it is fed', async () => {
    const v = victim();
    const w = new ProcessWatchdog(3000, v.pid!);
    watchdogs.push(w);
    await w.arm();
    for (let i = 0; i < 20; i++) {
      w.feed();
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(alive(v)).toBe(true);
    await waitFor('the watchdog to kill its victim', () => !alive(v), 20_000);
    expect(v.signalCode).toBe('SIGKILL');
    expect(await w.fired()).toBe(true);
  });

  it('disarms with the magic close', async () => {
    const v = victim();
    const w = new ProcessWatchdog(1000, v.pid!);
    watchdogs.push(w);
    await w.arm();
    await w.disarm();
    expect(await w.fired()).toBe(false);
    expect(alive(v)).toBe(true);
  });

  it('resets the node through SelfFenceMonitor when resources will not stop', async () => {
    const v = victim();
    const w = new ProcessWatchdog(1000, v.pid!);
    watchdogs.push(w);
    const m = new SelfFenceMonitor({ clock: systemClock, watchdog: w, stopResources: () => new Promise(() => undefined), stopDeadlineMs: 300, feedIntervalMs: 100 });
    await m.start();
    m.setHealthy(false, 'quorum lost');
    await waitFor('the self-fence reset', () => !alive(v), 20_000);
    expect(m.current).toBe('resetting');
    expect(await w.fired()).toBe(true);
  });
});

describe('Linux watchdog protocol (on a plain file, never the real device)', () => {
  it('feeds by writing and disarms with the magic close', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-wd-'));
    try {
      const path = join(dir, 'watchdog');
      const w = new LinuxWatchdog(10_000, path);
      await w.arm();
      w.feed();
      w.feed();
      await w.disarm();
      w.feed(); // after the magic close: ignored
      expect(readFileSync(path)).toEqual(Buffer.from([0, 0, 0x56]));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says clearly when the watchdog cannot be opened', async () => {
    await expect(new LinuxWatchdog(1000, '/nonexistent/dir/watchdog').arm()).rejects.toThrow(/cannot open \/nonexistent\/dir\/watchdog/);
    await expect(LinuxWatchdog.open('/dev/null', 'no-such-watchdog')).rejects.toThrow(/cannot read the watchdog timeout of no-such-watchdog/);
  });
});
