/**
 * Time is injected so that the same protocol code runs on the wall clock and
 * under the deterministic simulator's virtual clock.
 */
export type TimerHandle = { readonly __timer: true } | object;

export interface Clock {
  /** Monotonic milliseconds. */
  now(): number;
  /** Milliseconds since the epoch, only used to make restart incarnations increase. */
  wallNow(): number;
  setTimer(delayMs: number, fn: () => void): TimerHandle;
  clearTimer(handle: TimerHandle): void;
}

export const systemClock: Clock = {
  now: () => performance.timeOrigin + performance.now(),
  wallNow: () => Date.now(),
  setTimer: (delayMs, fn) => {
    const t = setTimeout(fn, Math.max(0, delayMs));
    return t as unknown as TimerHandle;
  },
  clearTimer: (handle) => clearTimeout(handle as unknown as NodeJS.Timeout),
};

interface ScheduledEvent {
  at: number;
  order: number;
  fn: () => void;
  cancelled: boolean;
}

/**
 * Virtual time: nothing happens until `advance` is called, then events run in
 * (time, insertion) order. Network deliveries of the memory transport and every
 * node timer share this one queue, so a simulation is a pure function of its seed.
 */
export class VirtualClock implements Clock {
  private nowMs: number;
  private order = 0;
  private heap: ScheduledEvent[] = [];
  /** Guards against a runaway feedback loop (a bug) hanging a test forever. */
  readonly maxEventsPerAdvance: number;

  constructor(startMs = 1_000_000, maxEventsPerAdvance = 5_000_000) {
    this.nowMs = startMs;
    this.maxEventsPerAdvance = maxEventsPerAdvance;
  }

  now(): number {
    return this.nowMs;
  }

  wallNow(): number {
    return this.nowMs;
  }

  setTimer(delayMs: number, fn: () => void): TimerHandle {
    const ev: ScheduledEvent = { at: this.nowMs + Math.max(0, delayMs), order: this.order++, fn, cancelled: false };
    this.push(ev);
    return ev;
  }

  clearTimer(handle: TimerHandle): void {
    (handle as ScheduledEvent).cancelled = true;
  }

  /** Number of events still queued (cancelled ones included until popped). */
  get pending(): number {
    return this.heap.length;
  }

  /** Runs every event due up to now + ms, then sets the clock to now + ms. */
  advance(ms: number): void {
    this.runUntil(this.nowMs + ms);
  }

  runUntil(targetMs: number): void {
    let ran = 0;
    while (this.heap.length > 0 && this.heap[0]!.at <= targetMs) {
      const ev = this.pop()!;
      if (ev.cancelled) continue;
      this.nowMs = Math.max(this.nowMs, ev.at);
      if (++ran > this.maxEventsPerAdvance) {
        throw new Error(`VirtualClock: more than ${this.maxEventsPerAdvance} events before ${targetMs}`);
      }
      ev.fn();
    }
    this.nowMs = Math.max(this.nowMs, targetMs);
  }

  /**
   * Advances in steps of `stepMs` until `done()` holds or `limitMs` of virtual
   * time has passed; returns whether the condition was met.
   */
  advanceUntil(done: () => boolean, limitMs: number, stepMs = 10): boolean {
    const end = this.nowMs + limitMs;
    while (this.nowMs < end) {
      if (done()) return true;
      this.runUntil(Math.min(end, this.nowMs + stepMs));
    }
    return done();
  }

  private less(a: ScheduledEvent, b: ScheduledEvent): boolean {
    return a.at < b.at || (a.at === b.at && a.order < b.order);
  }

  private push(ev: ScheduledEvent): void {
    const h = this.heap;
    h.push(ev);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private pop(): ScheduledEvent | undefined {
    const h = this.heap;
    if (h.length === 0) return undefined;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}
