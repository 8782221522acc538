/**
 * The DC control loop: whenever the CIB or the membership changes, schedule
 * afresh with the policy engine and drive the resulting transition graph,
 * sending each action to its node and recording each result, until the
 * cluster reaches the state the scheduler asked for.
 *
 * The loop owns no IO: executing an action on a node, fencing, and writing
 * results into the replicated CIB are injected, so the same loop runs in the
 * daemon and under a simulator.
 */
import { EventEmitter } from 'eventemitter3';
import type { Cib } from '@vigil/cib';
import { TransitionRunner, schedule, type GraphAction, type TransitionGraph } from '@vigil/pe';

/** What an executed resource action returned. */
export interface ActionOutcome {
  readonly rc: number;
  /** Pacemaker's op-status: 0 done, 2 timed out, 4 error, 5 not installed... */
  readonly opStatus: number;
  readonly exitReason?: string;
}

export interface ControlDeps {
  /** The newest committed CIB. */
  cib(): Cib;
  /** Seconds since the epoch, for the scheduler's rules and failure timeouts. */
  nowSec(): number;
  /** Run a resource action on its node and report its result. */
  execute(action: GraphAction, transitionKey: string): Promise<ActionOutcome>;
  /** Fence a node; true only when a device (or an operator) confirmed it. */
  fence(node: string, action: string): Promise<boolean>;
  /** Record a completed fencing in the CIB (node down, its history cleared). */
  recordFenced(node: string): Promise<void>;
  /** The rc an action must return to count as success, when the graph alone cannot tell. */
  expectedRc?(action: GraphAction): number | undefined;
  /** A reason not to schedule yet (e.g. a joining node has not sent its history). */
  hold?(): string | undefined;
  /** Raise the fail count of a resource on a node after a failed action. */
  recordFailure(node: string, resource: string, task: string, intervalMs: number, startFailure: boolean): Promise<void>;
}

export interface TransitionReport {
  readonly id: number;
  readonly outcome: 'complete' | 'aborted';
  readonly actions: number;
  readonly durationMs: number;
  readonly abortReason?: string;
}

export interface ControlEvents {
  transition: (report: TransitionReport) => void;
  action: (action: GraphAction, outcome: ActionOutcome | { fenced: boolean }) => void;
  idle: () => void;
  error: (err: Error) => void;
}

/** The rc that counts as success for an action, as the graph expects it. */
export function expectedRcOf(a: GraphAction): number | undefined {
  if (a.task === 'monitor' && a.intervalMs === 0) return undefined; // a probe's answer is information
  if (a.task === 'monitor' && a.meta['role'] === 'Promoted') return 8;
  return 0;
}

export class ControlLoop extends EventEmitter<ControlEvents> {
  private running = false;
  private dirty = false;
  private stopped = false;
  private runner: TransitionRunner | undefined;
  private transitionId = 0;
  private readonly maxTransitionsPerPoke: number;

  constructor(private readonly deps: ControlDeps, private readonly dcId: string, opts: { maxTransitionsPerPoke?: number } = {}) {
    super();
    this.maxTransitionsPerPoke = opts.maxTransitionsPerPoke ?? 50;
  }

  /**
   * Something changed. With `abort`, a transition in flight stops starting
   * new actions (what runs finishes) and the cluster is rescheduled.
   */
  poke(reason: string, abort = true): void {
    if (this.stopped) return;
    this.dirty = true;
    if (abort && this.runner && this.runner.outcome() === 'in-progress') this.runner.abort(reason);
    if (!this.running) void this.loop();
  }

  stop(): void {
    this.stopped = true;
    this.runner?.abort('control loop stopped');
  }

  get busy(): boolean {
    return this.running;
  }

  private async loop(): Promise<void> {
    this.running = true;
    try {
      let rounds = 0;
      while (this.dirty && !this.stopped) {
        this.dirty = false;
        if (++rounds > this.maxTransitionsPerPoke) {
          this.emit('error', new Error(`gave up after ${this.maxTransitionsPerPoke} transitions without settling`));
          break;
        }
        if (this.deps.hold?.() !== undefined) break;
        const result = schedule(this.deps.cib(), this.deps.nowSec());
        if (result.graph.actions.length === 0) break;
        const report = await this.drive(result.graph);
        this.emit('transition', report);
        // A completed transition changed the CIB; schedule once more to
        // confirm nothing is left (or to react to what happened meanwhile).
        this.dirty = true;
      }
    } catch (err) {
      this.emit('error', err as Error);
    } finally {
      this.running = false;
      if (!this.stopped) {
        if (this.dirty) void this.loop();
        else this.emit('idle');
      }
    }
  }

  private async drive(graph: TransitionGraph): Promise<TransitionReport> {
    const id = ++this.transitionId;
    const started = Date.now();
    const runner = new TransitionRunner(graph);
    this.runner = runner;
    const inflight = new Set<Promise<void>>();
    const launch = (): void => {
      for (const action of runner.next()) {
        const p = this.perform(action, id, runner).finally(() => inflight.delete(p));
        inflight.add(p);
      }
    };
    launch();
    while (inflight.size > 0) {
      await Promise.race(inflight);
      launch();
    }
    const outcome = runner.outcome() === 'complete' ? 'complete' : 'aborted';
    this.runner = undefined;
    return {
      id,
      outcome,
      actions: graph.actions.length,
      durationMs: Date.now() - started,
      ...(runner.aborted !== undefined ? { abortReason: runner.aborted } : {}),
    };
  }

  private async perform(action: GraphAction, transitionId: number, runner: TransitionRunner): Promise<void> {
    if (action.task === 'stonith') {
      const node = action.node!;
      let fenced = false;
      try {
        fenced = await this.deps.fence(node, action.meta['action'] ?? 'reboot');
        if (fenced) await this.deps.recordFenced(node);
      } catch (err) {
        this.emit('error', err as Error);
      }
      this.emit('action', action, { fenced });
      runner.complete(action.id, fenced, fenced ? undefined : `fencing of ${node} failed`);
      return;
    }
    const expected = this.deps.expectedRc ? this.deps.expectedRc(action) : expectedRcOf(action);
    const key = `${action.id}:${transitionId}:${expected ?? 7}:${this.dcId}`;
    let outcome: ActionOutcome;
    try {
      outcome = await this.deps.execute(action, key);
    } catch (err) {
      outcome = { rc: 1, opStatus: 4, exitReason: (err as Error).message };
    }
    this.emit('action', action, outcome);
    const answered = outcome.opStatus === 0;
    const ok = expected === undefined ? answered && (outcome.rc === 7) : answered && outcome.rc === expected;
    // "Not connected": the node is gone and nothing is known of the action;
    // that is for fencing to settle, not a failure of the resource.
    if (!ok && expected !== undefined && outcome.opStatus !== 8 && action.resource && action.node) {
      try {
        await this.deps.recordFailure(action.node, action.resource, action.task, action.intervalMs, action.task === 'start');
      } catch (err) {
        this.emit('error', err as Error);
      }
    }
    // A probe that finds the resource running is not a failure, but the
    // graph was built on a wrong belief: abort and reschedule.
    runner.complete(action.id, ok, ok ? undefined : `${action.key} on ${action.node}: rc=${outcome.rc} status=${outcome.opStatus}`);
  }
}
