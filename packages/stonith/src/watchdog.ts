/**
 * Watchdog self-fencing, SBD-like. A node that loses quorum or its lease
 * must stop its resources; if that does not finish before a deadline it stops
 * feeding its watchdog and the watchdog resets it. The rest of the cluster
 * may then treat the node as fenced once `stonith-watchdog-timeout` has
 * passed since it lost the node, without any device confirming it.
 *
 * Devices: `LinuxWatchdog` (/dev/watchdog, e.g. softdog: a real reset) and
 * `ProcessWatchdog` (a separate process that SIGKILLs a chosen pid when not
 * fed: the stand-in tests use). `SelfFenceMonitor` is the clock-driven logic.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { open, readFile, type FileHandle } from 'node:fs/promises';
import { StonithError, describeError } from './errors.js';
import type { Clock, TimerHandle } from './clock.js';

export interface WatchdogDevice {
  /** How long the device waits for a feed before it resets. */
  readonly timeoutMs: number;
  /** Arm the watchdog; from now on it must be fed within timeoutMs. */
  arm(): Promise<void>;
  feed(): void;
  /** Magic close: disarm cleanly (only on orderly shutdown). */
  disarm(): Promise<void>;
}

/**
 * /dev/watchdog. Node cannot issue the WDIOC_SETTIMEOUT ioctl, so the timeout
 * is the driver's own (softdog: the soft_margin module parameter), read from
 * sysfs. Arming this on a real machine means it WILL reset if not fed.
 */
export class LinuxWatchdog implements WatchdogDevice {
  private handle: FileHandle | undefined;
  constructor(
    readonly timeoutMs: number,
    private readonly path = '/dev/watchdog',
  ) {}

  /** Read the driver's timeout from /sys/class/watchdog/<name>/timeout. */
  static async open(path = '/dev/watchdog', sysfsName = 'watchdog0'): Promise<LinuxWatchdog> {
    let seconds: number;
    try {
      seconds = Number((await readFile(`/sys/class/watchdog/${sysfsName}/timeout`, 'utf8')).trim());
    } catch (err) {
      throw new StonithError('VIGIL_STONITH_WATCHDOG', `cannot read the watchdog timeout of ${sysfsName}: ${describeError(err)} (is softdog loaded?)`);
    }
    if (!Number.isFinite(seconds) || seconds <= 0) throw new StonithError('VIGIL_STONITH_WATCHDOG', `watchdog ${sysfsName} reports timeout '${seconds}'`);
    return new LinuxWatchdog(seconds * 1000, path);
  }

  async arm(): Promise<void> {
    try {
      this.handle = await open(this.path, 'w');
    } catch (err) {
      throw new StonithError('VIGIL_STONITH_WATCHDOG', `cannot open ${this.path}: ${describeError(err)}`);
    }
  }

  feed(): void {
    const handle = this.handle;
    if (!handle) return;
    // Any write feeds the kernel watchdog; a failed write simply is no feed.
    // Writes are chained so a late feed can never land after the magic 'V'
    // (the driver forgets a 'V' when another write follows it).
    this.writes = this.writes.then(() => handle.write('\0')).then(
      () => undefined,
      () => undefined,
    );
  }

  async disarm(): Promise<void> {
    const handle = this.handle;
    if (!handle) return;
    this.handle = undefined;
    await this.writes;
    await handle.write('V');
    await handle.close();
  }

  private writes: Promise<void> = Promise.resolve();
}

/**
 * A watchdog process for tests and for running without root: it SIGKILLs
 * `victimPid` unless fed within timeoutMs. Like the kernel one, losing its
 * feeder without the magic 'V' (the feeder died) also fires it.
 */
export class ProcessWatchdog implements WatchdogDevice {
  private child: ChildProcess | undefined;
  private firedPromise: Promise<boolean> | undefined;

  constructor(
    readonly timeoutMs: number,
    private readonly victimPid: number,
  ) {}

  async arm(): Promise<void> {
    const script = `
      const victim = Number(process.argv[1]), timeoutMs = Number(process.argv[2]);
      let timer;
      const fire = () => { try { process.kill(victim, 'SIGKILL'); } catch {} process.stdout.write('fired\\n'); process.exit(0); };
      const rearm = () => { clearTimeout(timer); timer = setTimeout(fire, timeoutMs); };
      rearm();
      process.stdin.on('data', (d) => { if (d.includes(86)) { clearTimeout(timer); process.stdout.write('disarmed\\n'); process.exit(0); } rearm(); });
      process.stdin.on('end', fire);
      process.stdout.write('armed\\n');
    `;
    const child = spawn(process.execPath, ['-e', script, String(this.victimPid), String(this.timeoutMs)], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.child = child;
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
    });
    this.firedPromise = new Promise((resolve) => child.on('close', () => resolve(out.includes('fired'))));
    child.stdin!.on('error', () => undefined);
    const armed = await new Promise<boolean>((resolve) => {
      const check = (): void => {
        if (out.includes('armed')) resolve(true);
      };
      child.stdout!.on('data', check);
      child.once('close', () => resolve(false));
      child.once('error', () => resolve(false));
    });
    if (!armed) throw new StonithError('VIGIL_STONITH_WATCHDOG', 'the watchdog process did not start');
  }

  feed(): void {
    this.child?.stdin?.write('.');
  }

  async disarm(): Promise<void> {
    if (!this.child) return;
    this.child.stdin?.write('V');
    await this.firedPromise;
    this.child = undefined;
  }

  /** Resolves when the watchdog process ends: true when it fired. */
  fired(): Promise<boolean> {
    return this.firedPromise ?? Promise.resolve(false);
  }

  /** Stop the watchdog process without firing (test clean-up). */
  kill(): void {
    this.child?.kill('SIGKILL');
  }
}

export type SelfFenceState = 'idle' | 'healthy' | 'stopping' | 'stopped' | 'resetting';

export interface SelfFenceOptions {
  readonly clock: Clock;
  readonly watchdog: WatchdogDevice;
  /** Stop every local resource; resolves when all are stopped. */
  readonly stopResources: () => Promise<void>;
  /** Feed period; a third of the watchdog timeout by default. */
  readonly feedIntervalMs?: number;
  /** How long stopping may take before the node gives up and lets the watchdog reset it. */
  readonly stopDeadlineMs: number;
  readonly onStateChange?: (state: SelfFenceState, reason: string) => void;
}

/**
 * Feeds the watchdog while the node may run resources. On losing quorum or
 * its lease it stops resources; when they are stopped in time the node is
 * safe and keeps feeding, otherwise it stops feeding and the watchdog fires.
 */
export class SelfFenceMonitor {
  private state: SelfFenceState = 'idle';
  private feedTimer: TimerHandle | undefined;
  private deadlineTimer: TimerHandle | undefined;
  private readonly feedIntervalMs: number;

  constructor(private readonly opts: SelfFenceOptions) {
    this.feedIntervalMs = opts.feedIntervalMs ?? Math.max(1, Math.floor(opts.watchdog.timeoutMs / 3));
    if (this.feedIntervalMs >= opts.watchdog.timeoutMs) {
      throw new StonithError('VIGIL_STONITH_BAD_CONFIG', `watchdog feed interval ${this.feedIntervalMs} ms must be shorter than its timeout ${opts.watchdog.timeoutMs} ms`);
    }
  }

  get current(): SelfFenceState {
    return this.state;
  }

  async start(): Promise<void> {
    if (this.state !== 'idle') return;
    await this.opts.watchdog.arm();
    this.setState('healthy', 'watchdog armed');
    this.feedLoop();
  }

  /** Report quorum / lease health; losing it starts the stop-or-reset sequence. */
  setHealthy(healthy: boolean, reason: string): void {
    if (healthy) {
      if (this.state === 'stopped') this.setState('healthy', reason);
      return;
    }
    if (this.state !== 'healthy') return;
    this.setState('stopping', reason);
    this.deadlineTimer = this.opts.clock.setTimer(this.opts.stopDeadlineMs, () => {
      if (this.state === 'stopping') this.reset(`resources not stopped within ${this.opts.stopDeadlineMs} ms after: ${reason}`);
    });
    this.opts.stopResources().then(
      () => {
        if (this.state !== 'stopping') return;
        if (this.deadlineTimer) this.opts.clock.clearTimer(this.deadlineTimer);
        this.setState('stopped', 'all resources stopped in time');
      },
      (err: unknown) => {
        if (this.state === 'stopping') this.reset(`stopping resources failed: ${describeError(err)}`);
      },
    );
  }

  /** Orderly shutdown: stop feeding and disarm, so no reset follows. */
  async shutdown(): Promise<void> {
    this.clearTimers();
    if (this.state !== 'resetting') await this.opts.watchdog.disarm();
    this.state = 'idle';
  }

  private reset(reason: string): void {
    this.clearTimers();
    this.setState('resetting', reason);
    // Not feeding is the whole action: the watchdog resets the node.
  }

  private feedLoop(): void {
    if (this.state === 'resetting' || this.state === 'idle') return;
    this.opts.watchdog.feed();
    this.feedTimer = this.opts.clock.setTimer(this.feedIntervalMs, () => this.feedLoop());
  }

  private clearTimers(): void {
    if (this.feedTimer) this.opts.clock.clearTimer(this.feedTimer);
    if (this.deadlineTimer) this.opts.clock.clearTimer(this.deadlineTimer);
    this.feedTimer = undefined;
    this.deadlineTimer = undefined;
  }

  private setState(state: SelfFenceState, reason: string): void {
    this.state = state;
    this.opts.onStateChange?.(state, reason);
  }
}

/**
 * The `stonith-watchdog-timeout` the cluster should wait before treating a
 * lost node as self-fenced. A negative value means "twice the watchdog
 * timeout", as Pacemaker does; a positive one must exceed the watchdog's own
 * timeout, or the cluster could act while the node still runs. 0 disables
 * watchdog fencing (undefined is returned).
 */
export function effectiveStonithWatchdogTimeoutMs(configuredMs: number, watchdogTimeoutMs: number): number | undefined {
  if (configuredMs === 0) return undefined;
  if (configuredMs < 0) return 2 * watchdogTimeoutMs;
  if (configuredMs <= watchdogTimeoutMs) {
    throw new StonithError(
      'VIGIL_STONITH_BAD_CONFIG',
      `stonith-watchdog-timeout ${configuredMs} ms must be longer than the watchdog timeout ${watchdogTimeoutMs} ms`,
    );
  }
  return configuredMs;
}

/** When a node lost at `lostAtMs` counts as self-fenced, or undefined without watchdog fencing. */
export function watchdogFencedAtMs(lostAtMs: number, stonithWatchdogTimeoutMs: number | undefined): number | undefined {
  return stonithWatchdogTimeoutMs === undefined ? undefined : lostAtMs + stonithWatchdogTimeoutMs;
}
