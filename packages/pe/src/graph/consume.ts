import type { GraphAction, TransitionGraph } from './produce.js';

export type ActionState = 'waiting' | 'running' | 'done' | 'failed' | 'skipped';

export type TransitionOutcome = 'in-progress' | 'complete' | 'aborted';

/**
 * The transition engine's core: a pure state machine over one transition
 * graph. The owner (the DC control loop, or a simulator) asks which actions
 * may start now, runs them however it likes, and reports each result. An
 * unexpected result aborts the transition: nothing new starts, what is
 * running is allowed to finish, and the owner then schedules afresh from the
 * updated CIB. Pseudo actions complete as soon as their inputs have.
 */
export class TransitionRunner {
  private readonly states = new Map<number, ActionState>();
  private readonly inputs = new Map<number, number[]>();
  private readonly batchLimit: number;
  private abortReason: string | undefined;

  constructor(readonly graph: TransitionGraph, opts: { batchLimit?: number } = {}) {
    for (const a of graph.actions) {
      this.states.set(a.id, 'waiting');
      this.inputs.set(a.id, []);
    }
    for (const [before, after] of graph.edges) this.inputs.get(after)?.push(before);
    const limit = opts.batchLimit ?? graph.batchLimit;
    this.batchLimit = limit > 0 ? limit : Number.POSITIVE_INFINITY;
  }

  state(id: number): ActionState {
    const s = this.states.get(id);
    if (s === undefined) throw new Error(`transition has no action ${id}`);
    return s;
  }

  get running(): GraphAction[] {
    return this.graph.actions.filter((a) => this.states.get(a.id) === 'running');
  }

  get aborted(): string | undefined {
    return this.abortReason;
  }

  /**
   * Start every action whose inputs are all done, up to batch-limit actions
   * running at once (pseudo actions do not count and complete at once).
   * Returns the real actions the owner must now execute.
   */
  next(): GraphAction[] {
    if (this.abortReason !== undefined) return [];
    const started: GraphAction[] = [];
    let runningCount = this.running.length;
    for (let progress = true; progress; ) {
      progress = false;
      for (const a of this.graph.actions) {
        if (this.states.get(a.id) !== 'waiting' || !this.ready(a.id)) continue;
        if (a.type === 'pseudo_event') {
          this.states.set(a.id, 'done');
          progress = true;
          continue;
        }
        if (runningCount >= this.batchLimit) continue;
        this.states.set(a.id, 'running');
        runningCount++;
        started.push(a);
      }
    }
    return started;
  }

  private ready(id: number): boolean {
    return (this.inputs.get(id) ?? []).every((i) => this.states.get(i) === 'done');
  }

  /** Report the result of an action the owner ran. */
  complete(id: number, ok: boolean, reason?: string): void {
    const s = this.state(id);
    if (s !== 'running') throw new Error(`action ${id} is ${s}, not running`);
    this.states.set(id, ok ? 'done' : 'failed');
    if (!ok) this.abort(reason ?? `action ${this.graph.actions[id]?.key ?? id} failed`);
  }

  /** Stop starting new actions: the CIB changed or an action failed. */
  abort(reason: string): void {
    this.abortReason ??= reason;
    for (const [id, s] of this.states) if (s === 'waiting') this.states.set(id, 'skipped');
  }

  outcome(): TransitionOutcome {
    if (this.running.length > 0) return 'in-progress';
    if (this.abortReason !== undefined) return 'aborted';
    for (const s of this.states.values()) if (s === 'waiting') return 'in-progress';
    return 'complete';
  }
}
