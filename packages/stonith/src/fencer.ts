/**
 * The fencer: given the configured stonith devices and fencing-topology,
 * fence one node and say truthfully whether it happened.
 *
 * Rules it keeps:
 *  - success only when every device of one level confirmed the action, or an
 *    operator confirmed the node down (`confirm`); a timeout, a crash or a
 *    cancelled request is a failure, never a success;
 *  - levels are tried in index order, the next after any device of a level
 *    fails; without topology each capable device is its own level, highest
 *    `priority` first;
 *  - concurrent requests for the same target and action share one execution
 *    and one history entry (every origin is kept);
 *  - every request leaves a history entry: who asked, which devices, the
 *    result and times.
 *
 * Time, randomness and devices are injected (Clock, random, createDevice), so
 * tests run topologies with fake devices on a manual clock.
 */
import { StonithError, describeError, isStonithError, type StonithErrorCode } from './errors.js';
import { runAction, type ActionOptions, type FenceAction, type FenceDevice } from './device.js';
import { sleep, type Clock } from './clock.js';
import {
  DEFAULT_RETRIES,
  fencingDelayMs,
  parseTargeting,
  plugFor,
  staticListIncludes,
  type DeviceTargeting,
  type StonithDeviceConfig,
} from './config.js';
import { levelsFor, validateLevels, type FencingLevelConfig, type ResolvedLevel } from './topology.js';

export type FencingAction = 'off' | 'reboot' | 'on';

export interface FenceRequest {
  readonly target: string;
  /** Pacemaker's stonith-action default is reboot. */
  readonly action?: 'off' | 'reboot';
  /** Who asked: a node name, "operator:alice", "crm"... */
  readonly origin: string;
  /** Added to the device delay, e.g. from priority-fencing-delay. */
  readonly extraDelayMs?: number;
  /** Overrides the fencer's stonith timeout for devices without pcmk_<action>_timeout. */
  readonly timeoutMs?: number;
}

export type FenceState = 'pending' | 'success' | 'failed';

export interface DeviceAttempt {
  readonly level: number;
  readonly device: string;
  /** The action asked of the device after pcmk_<action>_action mapping. */
  readonly action: FenceAction;
  readonly ok: boolean;
  readonly error?: string;
  readonly code?: string;
  readonly startedAt: number;
  readonly completedAt: number;
}

export interface FenceHistoryEntry {
  readonly id: number;
  readonly target: string;
  readonly action: FencingAction;
  /** Everyone who asked; merged requests add theirs. */
  readonly origins: readonly string[];
  readonly state: FenceState;
  /** Devices that confirmed the action (empty unless state is success by device). */
  readonly devices: readonly string[];
  /** Set when an operator, not a device, confirmed the node down. */
  readonly confirmedBy?: string;
  /** Why it failed, or how it succeeded. */
  readonly reason?: string;
  readonly code?: StonithErrorCode;
  readonly attempts: readonly DeviceAttempt[];
  readonly delayMs: number;
  readonly startedAt: number;
  readonly completedAt?: number;
}

export interface FenceResult {
  readonly ok: boolean;
  readonly entry: FenceHistoryEntry;
}

export interface FencerOptions {
  readonly clock: Clock;
  /** Uniform in [0, 1); drives pcmk_delay_max. */
  readonly random?: () => number;
  readonly createDevice: (cfg: StonithDeviceConfig) => FenceDevice;
  /** fencing-timeout / stonith-timeout: per device action, 60 s by default. */
  readonly stonithTimeoutMs?: number;
  /** Node attributes for levels with target-attribute. */
  readonly nodeAttributes?: (node: string) => Readonly<Record<string, string>>;
  /** History entries kept; the oldest finished ones go first. */
  readonly historyLimit?: number;
  /** How long a dynamic-list answer is trusted. */
  readonly listCacheMs?: number;
  /** Called on every change of an entry, so callers can show progress. */
  readonly onUpdate?: (entry: FenceHistoryEntry) => void;
  /**
   * Watchdog fencing (SBD-like): nodes that `covers` run a self-fencing
   * watchdog, so once `timeoutMs` (the effective stonith-watchdog-timeout)
   * has passed they are known to have reset. Used as the last resort when no
   * device can fence such a node, and wherever a level names `watchdog`.
   */
  readonly watchdog?: { readonly timeoutMs: number; readonly covers: (node: string) => boolean };
}

/** The reserved device id of watchdog fencing, as in Pacemaker's topology. */
export const WATCHDOG_DEVICE_ID = 'watchdog';

export interface FencerConfig {
  readonly devices: readonly StonithDeviceConfig[];
  readonly levels: readonly FencingLevelConfig[];
}

interface MutableEntry {
  id: number;
  target: string;
  action: FencingAction;
  origins: string[];
  state: FenceState;
  devices: string[];
  confirmedBy?: string;
  reason?: string;
  code?: StonithErrorCode;
  attempts: DeviceAttempt[];
  delayMs: number;
  startedAt: number;
  completedAt?: number;
}

interface Configured {
  readonly config: StonithDeviceConfig;
  readonly targeting: DeviceTargeting;
  readonly key: string;
  device?: FenceDevice;
  listCache?: { readonly at: number; readonly plugs: readonly string[] };
  /** Actions running on the device now, and those waiting for pcmk_action_limit. */
  running: number;
  readonly waiting: (() => void)[];
}

interface InFlight {
  readonly entry: MutableEntry;
  readonly promise: Promise<FenceResult>;
  readonly controller: AbortController;
}

/** Pacemaker pads every fencing timeout by a fifth for its own processing. */
const TIMEOUT_PADDING = 1.2;

export class Fencer {
  private devices = new Map<string, Configured>();
  private levels: readonly FencingLevelConfig[] = [];
  private readonly entries: MutableEntry[] = [];
  private readonly inflight = new Map<string, InFlight>();
  private nextId = 1;
  private readonly random: () => number;
  private readonly stonithTimeoutMs: number;
  private readonly historyLimit: number;
  private readonly listCacheMs: number;

  constructor(private readonly opts: FencerOptions, config?: FencerConfig) {
    this.random = opts.random ?? Math.random;
    this.stonithTimeoutMs = opts.stonithTimeoutMs ?? 60_000;
    this.historyLimit = Math.max(1, opts.historyLimit ?? 500);
    this.listCacheMs = opts.listCacheMs ?? 60_000;
    if (config) this.configure(config);
  }

  /**
   * Replace the configuration. Validates everything first, so a bad CIB
   * leaves the previous configuration in force. Requests already running
   * keep the devices they started with.
   */
  configure(config: FencerConfig): void {
    const next = new Map<string, Configured>();
    for (const cfg of config.devices) {
      if (next.has(cfg.id)) throw new StonithError('VIGIL_STONITH_BAD_CONFIG', `stonith device id '${cfg.id}' appears twice`);
      const targeting = parseTargeting(cfg);
      const key = JSON.stringify([cfg.type, cfg.params, cfg.meta ?? {}]);
      const old = this.devices.get(cfg.id);
      next.set(cfg.id, old && old.key === key ? old : { config: cfg, targeting, key, running: 0, waiting: [] });
    }
    if (this.opts.watchdog) {
      if (next.has(WATCHDOG_DEVICE_ID)) {
        throw new StonithError('VIGIL_STONITH_BAD_CONFIG', `stonith device id '${WATCHDOG_DEVICE_ID}' is reserved for watchdog fencing`);
      }
      next.set(WATCHDOG_DEVICE_ID, this.watchdogMember(this.devices.get(WATCHDOG_DEVICE_ID)));
    }
    validateLevels(config.levels, new Set(next.keys()));
    this.devices = next;
    this.levels = [...config.levels];
  }

  deviceIds(): string[] {
    return [...this.devices.keys()].filter((id) => id !== WATCHDOG_DEVICE_ID || !this.opts.watchdog);
  }

  /**
   * The watchdog as a device: "off" succeeds once the watchdog timeout has
   * passed, for nodes known to run a watchdog; the node's own watchdog did
   * the work (it reset unless it could stop its resources in time).
   */
  private watchdogMember(existing: Configured | undefined): Configured {
    if (existing) return existing;
    const wd = this.opts.watchdog!;
    const config: StonithDeviceConfig = { id: WATCHDOG_DEVICE_ID, type: 'watchdog', params: { pcmk_host_check: 'none' } };
    const targeting: DeviceTargeting = {
      ...parseTargeting(config),
      // the wait is the whole action; one attempt, never cut short by the stonith timeout
      retries: { off: 0, reboot: 0 },
      timeoutMs: { off: wd.timeoutMs + this.stonithTimeoutMs, reboot: wd.timeoutMs + this.stonithTimeoutMs },
      priority: Number.NEGATIVE_INFINITY,
    };
    const clock = this.opts.clock;
    const selfFenced = async (opts: ActionOptions = {}): Promise<void> => {
      const node = opts.plug ?? '';
      if (!wd.covers(node)) throw new StonithError('VIGIL_STONITH_NO_DEVICE', `${node} does not run a watchdog, so it cannot be fenced by waiting`);
      await sleep(clock, wd.timeoutMs, opts.signal);
    };
    const unsupported = async (): Promise<never> => {
      throw new StonithError('VIGIL_STONITH_UNSUPPORTED_ACTION', 'watchdog fencing can only wait for a node to reset itself');
    };
    const device: FenceDevice = {
      type: 'watchdog',
      off: selfFenced,
      reboot: selfFenced,
      on: unsupported,
      status: unsupported,
      list: async () => [],
      monitor: async () => undefined,
      metadata: async () => ({ name: 'watchdog', shortdesc: 'Self-fencing by watchdog: waits stonith-watchdog-timeout', parameters: [], actions: ['off', 'reboot'] }),
    };
    return { config, targeting, key: 'watchdog', device, running: 0, waiting: [] };
  }

  /** Fence a node. Resolves (never rejects) with ok=true only on confirmed success. */
  fence(req: FenceRequest): Promise<FenceResult> {
    const action: FencingAction = req.action ?? 'reboot';
    if (!req.target) return Promise.resolve(this.finishedFailure(req, action, 'VIGIL_STONITH_BAD_PARAM', 'no target node given'));
    const key = `${req.target}\0${action}`;
    const running = this.inflight.get(key);
    if (running) {
      if (!running.entry.origins.includes(req.origin)) running.entry.origins.push(req.origin);
      this.emit(running.entry);
      return running.promise;
    }
    const entry = this.newEntry(req.target, action, [req.origin]);
    const controller = new AbortController();
    const promise = this.execute(entry, req, controller.signal).finally(() => this.inflight.delete(key));
    this.inflight.set(key, { entry, promise, controller });
    return promise;
  }

  /**
   * Unfence a node: `on` through every device that provides unfencing and
   * can reach the node. All must succeed.
   */
  async unfence(target: string, origin: string): Promise<FenceResult> {
    const entry = this.newEntry(target, 'on', [origin]);
    const controller = new AbortController();
    const candidates = [...this.devices.values()].filter((d) => d.targeting.providesUnfencing);
    const capable: Configured[] = [];
    for (const d of candidates) if (await this.canFence(d, target, controller.signal)) capable.push(d);
    if (capable.length === 0) return this.fail(entry, 'VIGIL_STONITH_NO_DEVICE', `no device with provides=unfencing can reach ${target}`);
    const ok = await this.runLevel(entry, { id: 'unfencing', index: 0, devices: capable.map((d) => d.config.id) }, capable, 'on', {}, controller.signal);
    if (ok) return this.succeed(entry, capable.map((d) => d.config.id), 'unfenced by every device that provides unfencing');
    return this.fail(entry, 'VIGIL_STONITH_DEVICE_REFUSED', `unfencing ${target} failed: ${this.attemptSummary(entry)}`);
  }

  /**
   * An operator states the node is down (`vigil fence confirm NODE`). Pending
   * requests for it end as successes, marked as confirmed by `by`.
   */
  confirm(node: string, by: string): FenceHistoryEntry {
    if (!node) throw new StonithError('VIGIL_STONITH_BAD_PARAM', 'confirm: no node given');
    let last: MutableEntry | undefined;
    for (const running of this.inflight.values()) {
      if (running.entry.target !== node || running.entry.action === 'on') continue;
      this.markConfirmed(running.entry, by);
      running.controller.abort(new StonithError('VIGIL_STONITH_CANCELLED', `confirmed down by ${by}`));
      last = running.entry;
    }
    if (last) return snapshot(last);
    const entry = this.newEntry(node, 'off', [by]);
    this.markConfirmed(entry, by);
    return snapshot(entry);
  }

  history(target?: string): FenceHistoryEntry[] {
    return this.entries.filter((e) => target === undefined || e.target === target).map(snapshot);
  }

  pending(): FenceHistoryEntry[] {
    return [...this.inflight.values()].map((f) => snapshot(f.entry));
  }

  /** Whether the node was fenced (by a device or an operator) at or after `sinceMs`. */
  isFencedSince(node: string, sinceMs: number): boolean {
    return this.entries.some((e) => e.target === node && e.action !== 'on' && e.state === 'success' && (e.completedAt ?? -Infinity) >= sinceMs);
  }

  /**
   * Failed fencing attempts of the node since its last success: what the
   * cluster compares with stonith-max-attempts before it stops retrying.
   */
  consecutiveFailures(node: string): number {
    let n = 0;
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const e = this.entries[i]!;
      if (e.target !== node || e.action === 'on' || e.state === 'pending') continue;
      if (e.state === 'success') break;
      n++;
    }
    return n;
  }

  /** Devices that can fence the target, in the order they would be tried without topology. */
  async capableDevices(target: string, signal?: AbortSignal): Promise<string[]> {
    const out: Configured[] = [];
    for (const d of this.devices.values()) {
      if (d.config.id === WATCHDOG_DEVICE_ID && this.opts.watchdog) {
        if (this.opts.watchdog.covers(target)) out.push(d);
      } else if (await this.canFence(d, target, signal)) out.push(d);
    }
    return sortByPriority(out).map((d) => d.config.id);
  }

  // ------------------------------------------------------------ execution

  private async execute(entry: MutableEntry, req: FenceRequest, signal: AbortSignal): Promise<FenceResult> {
    try {
      const plan = await this.plan(entry.target, signal);
      if (plan.length === 0) return this.fail(entry, 'VIGIL_STONITH_NO_DEVICE', `no configured device can fence ${entry.target}`);
      const first = plan[0]!.members[0]!;
      entry.delayMs = fencingDelayMs(first.targeting, entry.target, this.random()) + Math.max(0, req.extraDelayMs ?? 0);
      if (entry.delayMs > 0) {
        this.emit(entry);
        await sleep(this.opts.clock, entry.delayMs, signal);
      }
      for (const level of plan) {
        if (signal.aborted || entry.state !== 'pending') break;
        const ok = await this.runLevel(entry, level.level, level.members, entry.action, req, signal);
        if (ok && entry.state === 'pending') {
          return this.succeed(entry, level.members.map((m) => m.config.id), `level ${level.level.index} (${level.level.devices.join(', ')}) confirmed ${entry.action}`);
        }
      }
      if (entry.state !== 'pending') return { ok: entry.state === 'success', entry: snapshot(entry) };
      return this.fail(entry, 'VIGIL_STONITH_ALL_LEVELS_FAILED', `fencing ${entry.target} (${entry.action}) failed at every level: ${this.attemptSummary(entry)}`);
    } catch (err) {
      if (entry.state !== 'pending') return { ok: entry.state === 'success', entry: snapshot(entry) };
      const code: StonithErrorCode = isStonithError(err) ? err.code : 'VIGIL_STONITH_DEVICE_REFUSED';
      return this.fail(entry, code, describeError(err));
    }
  }

  private async plan(target: string, signal: AbortSignal): Promise<{ level: ResolvedLevel; members: Configured[] }[]> {
    const attributes = this.opts.nodeAttributes?.(target) ?? {};
    const levels = levelsFor(this.levels, target, attributes);
    if (levels.length > 0) {
      // Topology names its devices explicitly: no host check, as configured is as meant.
      return levels.map((level) => ({ level, members: level.devices.map((id) => this.devices.get(id)!) }));
    }
    const capable: Configured[] = [];
    for (const d of this.devices.values()) {
      if (d.config.id === WATCHDOG_DEVICE_ID && this.opts.watchdog) continue;
      if (await this.canFence(d, target, signal)) capable.push(d);
    }
    // Watchdog fencing is the last resort: real devices confirm sooner.
    const watchdog = this.opts.watchdog?.covers(target) ? this.devices.get(WATCHDOG_DEVICE_ID) : undefined;
    if (watchdog) capable.push(watchdog);
    return sortByPriority(capable).map((d, i) => ({ level: { id: `implicit-${d.config.id}`, index: i + 1, devices: [d.config.id] }, members: [d] }));
  }

  /**
   * Run one level: every member must confirm. A reboot through several
   * devices (e.g. two power supplies) is all off, then all on: the node is
   * fenced once everything is off, so a failed `on` is recorded, not fatal.
   */
  private async runLevel(entry: MutableEntry, level: ResolvedLevel, members: Configured[], action: FencingAction, req: Pick<FenceRequest, 'timeoutMs'>, signal: AbortSignal): Promise<boolean> {
    if (action === 'reboot' && members.length > 1) {
      for (const m of members) if (!(await this.runDevice(entry, level.index, m, 'off', req, signal))) return false;
      for (const m of members) await this.runDevice(entry, level.index, m, 'on', req, signal);
      return true;
    }
    for (const m of members) if (!(await this.runDevice(entry, level.index, m, action, req, signal))) return false;
    return true;
  }

  private async runDevice(entry: MutableEntry, levelIndex: number, member: Configured, wanted: FencingAction, req: Pick<FenceRequest, 'timeoutMs'>, signal: AbortSignal): Promise<boolean> {
    const t = member.targeting;
    const action = t.actionMap[wanted] ?? wanted;
    if (action !== 'off' && action !== 'on' && action !== 'reboot') {
      this.record(entry, { level: levelIndex, device: t.id, action, ok: false, error: `pcmk_${wanted}_action maps to '${action}', which cannot fence`, startedAt: this.opts.clock.now(), completedAt: this.opts.clock.now() });
      return false;
    }
    const timeoutMs = Math.round((t.timeoutMs[wanted] ?? req.timeoutMs ?? this.stonithTimeoutMs) * TIMEOUT_PADDING);
    const attempts = 1 + (t.retries[wanted] ?? DEFAULT_RETRIES);
    const deadline = this.opts.clock.now() + timeoutMs;
    const plug = plugFor(t, entry.target);
    let device: FenceDevice;
    try {
      device = this.deviceOf(member);
    } catch (err) {
      const now = this.opts.clock.now();
      this.record(entry, { level: levelIndex, device: t.id, action, ok: false, error: describeError(err), ...(isStonithError(err) ? { code: err.code } : {}), startedAt: now, completedAt: now });
      return false;
    }
    for (let attempt = 0; attempt < attempts; attempt++) {
      const remaining = deadline - this.opts.clock.now();
      if (remaining <= 0 || signal.aborted) break;
      const startedAt = this.opts.clock.now();
      try {
        await this.bounded(remaining, signal, (s) => this.limited(member, s, () => runAction(device, action, { ...(plug !== undefined ? { plug } : {}), signal: s })), `${t.id} ${action} ${entry.target}`);
        this.record(entry, { level: levelIndex, device: t.id, action, ok: true, startedAt, completedAt: this.opts.clock.now() });
        return true;
      } catch (err) {
        this.record(entry, { level: levelIndex, device: t.id, action, ok: false, error: describeError(err), ...(isStonithError(err) ? { code: err.code } : {}), startedAt, completedAt: this.opts.clock.now() });
      }
    }
    return false;
  }

  /**
   * pcmk_action_limit: many PDUs and BMCs take one connection at a time.
   * Waiting counts against the action's timeout: an aborted waiter leaves the
   * queue, and an aborted runner hands its slot on at once rather than when
   * its (told to stop) device call finally returns.
   */
  private limited<T>(member: Configured, signal: AbortSignal, work: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let released = false;
      const release = (): void => {
        if (released) return;
        released = true;
        signal.removeEventListener('abort', release);
        const next = member.waiting.shift();
        if (next) next();
        else member.running--;
      };
      const start = (): void => {
        signal.removeEventListener('abort', dropWaiter);
        // The caller holds a slot here (taken directly, or handed on by release()).
        if (signal.aborted) {
          release();
          reject(new StonithError('VIGIL_STONITH_CANCELLED', 'cancelled while waiting for the device'));
          return;
        }
        signal.addEventListener('abort', release, { once: true });
        let running: Promise<T>;
        try {
          running = work();
        } catch (err) {
          release();
          reject(err);
          return;
        }
        running.then(
          (v) => {
            release();
            resolve(v);
          },
          (e: unknown) => {
            release();
            reject(e);
          },
        );
      };
      const dropWaiter = (): void => {
        const i = member.waiting.indexOf(start);
        if (i >= 0) member.waiting.splice(i, 1);
        reject(new StonithError('VIGIL_STONITH_CANCELLED', 'cancelled while waiting for the device'));
      };
      if (member.running < member.targeting.actionLimit) {
        member.running++;
        start();
      } else {
        member.waiting.push(start);
        signal.addEventListener('abort', dropWaiter, { once: true });
      }
    });
  }

  private async canFence(d: Configured, target: string, signal?: AbortSignal): Promise<boolean> {
    const t = d.targeting;
    const plug = plugFor(t, target) ?? target;
    const viaList = async (): Promise<boolean | undefined> => {
      const now = this.opts.clock.now();
      if (!d.listCache || now - d.listCache.at > this.listCacheMs) {
        const plugs = await this.bounded(this.stonithTimeoutMs, signal, (s) => this.deviceOf(d).list({ signal: s }), `${t.id} list`);
        d.listCache = { at: now, plugs };
      }
      if (d.listCache.plugs.length === 0) return undefined;
      return d.listCache.plugs.includes(plug) || d.listCache.plugs.includes(target);
    };
    const viaStatus = async (): Promise<boolean> => {
      await this.bounded(this.stonithTimeoutMs, signal, (s) => this.deviceOf(d).status({ plug, signal: s }), `${t.id} status`);
      return true;
    };
    try {
      switch (t.hostCheck) {
        case 'static-list':
          return staticListIncludes(t, target);
        case 'none':
          return true;
        case 'dynamic-list':
          return (await viaList()) ?? false;
        case 'status':
          return await viaStatus();
        case undefined: {
          const listed = await viaList().catch(() => undefined);
          if (listed !== undefined) return listed;
          try {
            return await viaStatus();
          } catch (err) {
            // A device without a status action can be asked to fence anything (pcmk_host_check=none).
            return isStonithError(err, 'VIGIL_STONITH_UNSUPPORTED_ACTION');
          }
        }
      }
    } catch {
      return false;
    }
  }

  private deviceOf(d: Configured): FenceDevice {
    d.device ??= this.opts.createDevice(d.config);
    return d.device;
  }

  /** Run `work` with a deadline on the injected clock and the request's cancellation. */
  private bounded<T>(timeoutMs: number, outer: AbortSignal | undefined, work: (signal: AbortSignal) => Promise<T>, what: string): Promise<T> {
    const controller = new AbortController();
    return new Promise<T>((resolve, reject) => {
      let done = false;
      const finish = (fn: () => void): void => {
        if (done) return;
        done = true;
        this.opts.clock.clearTimer(timer);
        outer?.removeEventListener('abort', onAbort);
        fn();
      };
      const onAbort = (): void => {
        controller.abort();
        finish(() => reject(new StonithError('VIGIL_STONITH_CANCELLED', `${what}: cancelled`)));
      };
      const timer = this.opts.clock.setTimer(timeoutMs, () => {
        controller.abort();
        finish(() => reject(new StonithError('VIGIL_STONITH_TIMEOUT', `${what}: no result within ${timeoutMs} ms`)));
      });
      if (outer?.aborted) {
        onAbort();
        return;
      }
      outer?.addEventListener('abort', onAbort, { once: true });
      let running: Promise<T>;
      try {
        running = work(controller.signal);
      } catch (err) {
        finish(() => reject(err));
        return;
      }
      running.then(
        (v) => finish(() => resolve(v)),
        (e: unknown) => finish(() => reject(e)),
      );
    });
  }

  // ------------------------------------------------------------ history

  private newEntry(target: string, action: FencingAction, origins: string[]): MutableEntry {
    const entry: MutableEntry = { id: this.nextId++, target, action, origins, state: 'pending', devices: [], attempts: [], delayMs: 0, startedAt: this.opts.clock.now() };
    this.entries.push(entry);
    this.trimHistory();
    this.emit(entry);
    return entry;
  }

  private trimHistory(): void {
    for (let i = 0; this.entries.length > this.historyLimit && i < this.entries.length; ) {
      if (this.entries[i]!.state !== 'pending') this.entries.splice(i, 1);
      else i++;
    }
  }

  private record(entry: MutableEntry, attempt: DeviceAttempt): void {
    entry.attempts.push(attempt);
    this.emit(entry);
  }

  private succeed(entry: MutableEntry, devices: string[], reason: string): FenceResult {
    if (entry.state === 'pending') {
      entry.state = 'success';
      entry.devices = devices;
      entry.reason = reason;
      entry.completedAt = this.opts.clock.now();
      this.emit(entry);
    }
    return { ok: entry.state === 'success', entry: snapshot(entry) };
  }

  private fail(entry: MutableEntry, code: StonithErrorCode, reason: string): FenceResult {
    if (entry.state === 'pending') {
      entry.state = 'failed';
      entry.code = code;
      entry.reason = reason;
      entry.completedAt = this.opts.clock.now();
      this.emit(entry);
    }
    return { ok: entry.state === 'success', entry: snapshot(entry) };
  }

  private markConfirmed(entry: MutableEntry, by: string): void {
    if (entry.state !== 'pending') return;
    entry.state = 'success';
    entry.confirmedBy = by;
    entry.devices = [];
    entry.reason = `confirmed down by ${by}, not by a device`;
    entry.completedAt = this.opts.clock.now();
    this.emit(entry);
  }

  private finishedFailure(req: FenceRequest, action: FencingAction, code: StonithErrorCode, reason: string): FenceResult {
    const entry = this.newEntry(req.target, action, [req.origin]);
    return this.fail(entry, code, reason);
  }

  private attemptSummary(entry: MutableEntry): string {
    const failed = entry.attempts.filter((a) => !a.ok);
    if (failed.length === 0) return 'no device ran';
    return failed.map((a) => `level ${a.level} ${a.device} ${a.action}: ${a.error ?? 'failed'}`).join('; ');
  }

  private emit(entry: MutableEntry): void {
    this.opts.onUpdate?.(snapshot(entry));
  }
}

function sortByPriority(devices: Configured[]): Configured[] {
  // Stable: equal priorities keep configuration order.
  return devices.map((d, i) => ({ d, i })).sort((a, b) => b.d.targeting.priority - a.d.targeting.priority || a.i - b.i).map((x) => x.d);
}

function snapshot(e: MutableEntry): FenceHistoryEntry {
  return { ...e, origins: [...e.origins], devices: [...e.devices], attempts: [...e.attempts] };
}

/** One line per entry, for `vigil fence history` and logs. Times are ISO 8601 UTC. */
export function describeHistoryEntry(e: FenceHistoryEntry): string {
  const when = (ms: number | undefined): string => (ms === undefined ? '-' : new Date(ms).toISOString());
  const who = `requested by ${e.origins.join(', ')}`;
  switch (e.state) {
    case 'pending':
      return `${e.action} of ${e.target} pending since ${when(e.startedAt)}, ${who}`;
    case 'success':
      return e.confirmedBy !== undefined
        ? `${e.action} of ${e.target} confirmed by ${e.confirmedBy} (no device) at ${when(e.completedAt)}, ${who}`
        : `${e.action} of ${e.target} succeeded through ${e.devices.join(' + ')} at ${when(e.completedAt)}, ${who}`;
    case 'failed':
      return `${e.action} of ${e.target} FAILED at ${when(e.completedAt)}, ${who}: ${e.reason ?? e.code ?? 'unknown'}`;
  }
}
