/**
 * Time for the LRM's own decisions (recurring schedules, queue and
 * last-rc-change times). Agent timeouts use real timers inside the executor:
 * a process cannot be paused by a fake clock.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
}

export const realClock: Clock = {
  now: () => Date.now(),
  // Timers keep the process alive: a process whose only work is recurring
  // monitors must not exit. LocalResourceManager.close() clears them.
  setTimer: (fn, ms) => setTimeout(fn, ms),
  clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

interface FakeTimer {
  readonly id: number;
  readonly at: number;
  readonly fn: () => void;
}

/** A clock that moves only when told to; timers fire in time order. */
export class FakeClock implements Clock {
  private current: number;
  private nextId = 1;
  private timers: FakeTimer[] = [];

  constructor(startMs = Date.UTC(2026, 0, 1)) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  setTimer(fn: () => void, ms: number): unknown {
    const timer = { id: this.nextId++, at: this.current + Math.max(0, ms), fn };
    this.timers.push(timer);
    return timer.id;
  }

  clearTimer(handle: unknown): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }

  get pendingTimers(): number {
    return this.timers.length;
  }

  /**
   * Move time forward, firing due timers one by one and letting promise
   * callbacks run between them (so an op started by a timer can finish
   * and schedule its next run before later timers are considered).
   */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    for (let guard = 0; guard < 100_000; guard++) {
      await settle();
      this.timers.sort((a, b) => a.at - b.at || a.id - b.id);
      const next = this.timers[0];
      if (!next || next.at > target) break;
      this.timers.shift();
      this.current = next.at;
      next.fn();
    }
    this.current = target;
    await settle();
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/**
 * Groups timers that fall due in the same `resolutionMs` slot under one
 * underlying timer. With hundreds of recurring monitors the process then
 * wakes at most 1000/resolutionMs times a second instead of once per
 * monitor; each wake-up costs far more CPU than the monitor's own work.
 * Timers fire late by less than resolutionMs, never early.
 */
export class CoalescingTimers {
  private readonly slots = new Map<number, { handle: unknown; entries: Set<{ fn: () => void }> }>();

  constructor(
    private readonly clock: Clock,
    private readonly resolutionMs: number,
  ) {}

  set(fn: () => void, ms: number): unknown {
    if (this.resolutionMs <= 1) return this.clock.setTimer(fn, ms);
    const due = this.clock.now() + Math.max(0, ms);
    const slot = Math.ceil(due / this.resolutionMs) * this.resolutionMs;
    let bucket = this.slots.get(slot);
    if (!bucket) {
      const entries = new Set<{ fn: () => void }>();
      const handle = this.clock.setTimer(() => {
        this.slots.delete(slot);
        for (const e of entries) e.fn();
      }, slot - this.clock.now());
      bucket = { handle, entries };
      this.slots.set(slot, bucket);
    }
    const entry = { fn };
    bucket.entries.add(entry);
    return { slot, entry };
  }

  clear(handle: unknown): void {
    if (this.resolutionMs <= 1) {
      this.clock.clearTimer(handle);
      return;
    }
    const h = handle as { slot: number; entry: { fn: () => void } } | undefined;
    if (!h) return;
    const bucket = this.slots.get(h.slot);
    if (!bucket) return;
    bucket.entries.delete(h.entry);
    if (bucket.entries.size === 0) {
      this.clock.clearTimer(bucket.handle);
      this.slots.delete(h.slot);
    }
  }
}
