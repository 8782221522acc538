import { EventEmitter } from 'eventemitter3';
import { OcfRc, OpStatus, undegraded, type ActionResult, type ActionRunner, type AgentSpec, type OpStatusCode } from '@vigil/ra';
import { CoalescingTimers, realClock, type Clock } from './clock.js';
import { opDigest } from './digest.js';
import { LrmError } from './errors.js';
import type { OpRecord, ResourceHistory } from './history.js';
import { lrmXml } from './history.js';

export interface ResourceDef {
  readonly id: string;
  readonly agent: AgentSpec;
  /** Instance attributes (OCF_RESKEY_*); the op-digest is taken over these. */
  readonly params?: Readonly<Record<string, string>>;
  /** Resource meta attributes (OCF_RESKEY_CRM_meta_*), e.g. clone_max. */
  readonly meta?: Readonly<Record<string, string>>;
  /**
   * The agent's parameters that are NOT reloadable (meta-data without
   * reloadable="1"). When given, records carry op-force-restart (these
   * names) and op-restart-digest (over just these), so the scheduler can
   * tell a change reload-agent can apply from one that needs a restart.
   */
  readonly restartParams?: readonly string[];
  /**
   * Alternatively the reloadable ones; the restart parameters are then the
   * configured parameters not in this list.
   */
  readonly reloadableParams?: readonly string[];
}

export interface OpRequest {
  readonly resource: ResourceDef;
  readonly action: string;
  /** > 0 makes a recurring op (normally monitor). */
  readonly intervalMs?: number;
  readonly timeoutMs?: number;
  /** Recurring ops only: wait this long before the first run. */
  readonly startDelayMs?: number;
  /** From the transition graph; echoed into the history record. */
  readonly transitionKey?: string;
  /**
   * The rc that counts as success, for the last_failure record. Defaults:
   * 0 for everything but probes (monitor, interval 0), where 0, 7 and 8 all
   * count as an answer rather than a failure.
   */
  readonly expectedRc?: number;
  /** Op-specific meta (notify_* variables and the like), merged over the resource's. */
  readonly meta?: Readonly<Record<string, string>>;
}

export interface OpResult extends ActionResult {
  readonly callId: number;
  readonly queueTimeMs: number;
  /** The history record this result wrote. */
  readonly record: OpRecord;
  /** True if the rc differs from the expected one or the op did not complete. */
  readonly failed: boolean;
}

export interface LrmEvents {
  /** Every result of a one-shot op, and recurring results when they differ from the last reported one. */
  result: (result: OpResult) => void;
  /** Every completed execution, including recurring runs whose result did not change. */
  executed: (result: OpResult) => void;
  /** An op left the queue and its agent was started (for pending records, record-pending=true). */
  started: (resourceId: string, action: string, intervalMs: number, callId: number) => void;
  /** A recurring op was cancelled (by stop, cancel() or re-registration). */
  cancelled: (resourceId: string, action: string, intervalMs: number) => void;
}

export interface LrmOptions {
  readonly nodeName: string;
  /** node_state id for lrmXml(); defaults to the node name. */
  readonly nodeId?: string;
  readonly runner: ActionRunner;
  readonly clock?: Clock;
  /** Ops running at once across resources (Pacemaker's node-action-limit). */
  readonly maxParallel?: number;
  readonly maxQueuePerResource?: number;
  readonly defaultTimeoutMs?: number;
  /**
   * Recurring runs due within the same slot of this size share one timer
   * (default 100 ms; 0 = one timer each). Saves wake-ups with many monitors.
   */
  readonly timerResolutionMs?: number;
  /** How long past its timeout an op may go unanswered before the LRM gives up on it (default 30 s). */
  readonly watchdogGraceMs?: number;
}

interface Task {
  readonly request: OpRequest;
  readonly enqueuedAt: number;
  readonly callId: number;
  readonly recurring?: RecurringOp;
  readonly resolve: (r: OpResult) => void;
}

interface RecurringOp {
  readonly key: string;
  request: OpRequest;
  readonly callId: number;
  cancelled: boolean;
  queued: boolean;
  timer: unknown;
  lastReported?: { rc: number; opStatus: number };
  firstResolve?: (r: OpResult) => void;
}

interface ResourceState {
  readonly id: string;
  def: ResourceDef;
  busy: boolean;
  inReady: boolean;
  readonly queue: Task[];
  readonly recurring: Map<string, RecurringOp>;
  readonly history: Map<string, OpRecord>;
  digestFor?: Readonly<Record<string, string>>;
  digest?: string;
}

const recurringKey = (action: string, intervalMs: number): string => `${action}_${intervalMs}`;

/**
 * The local resource manager: per-resource FIFO queues (one op at a time per
 * resource), different resources in parallel up to maxParallel, recurring
 * monitors that report only changes, and the op history as status records.
 */
export class LocalResourceManager extends EventEmitter<LrmEvents> {
  private readonly clock: Clock;
  private readonly timers: CoalescingTimers;
  private readonly maxParallel: number;
  private readonly maxQueue: number;
  private readonly resources = new Map<string, ResourceState>();
  private readonly ready: ResourceState[] = [];
  private active = 0;
  private nextCallId = 1;
  private closed = false;

  constructor(private readonly options: LrmOptions) {
    super();
    this.clock = options.clock ?? realClock;
    this.timers = new CoalescingTimers(this.clock, options.timerResolutionMs ?? 100);
    this.maxParallel = options.maxParallel ?? 8;
    this.maxQueue = options.maxQueuePerResource ?? 64;
    if (!(this.maxParallel >= 1)) throw new LrmError('VIGIL_LRM_BAD_REQUEST', 'LRM options: maxParallel must be at least 1');
  }

  /**
   * Queue an op. One-shot ops resolve with their result. A recurring op
   * (intervalMs > 0) resolves with its first result and keeps running until
   * cancelled; registering the same action and interval again replaces it.
   * A stop first cancels the resource's recurring ops.
   */
  exec(request: OpRequest): Promise<OpResult> {
    if (this.closed) return Promise.reject(new LrmError('VIGIL_LRM_CLOSED', 'LRM is closed'));
    const intervalMs = request.intervalMs ?? 0;
    if (!Number.isFinite(intervalMs) || intervalMs < 0) {
      return Promise.reject(new LrmError('VIGIL_LRM_BAD_REQUEST', `op ${request.resource.id} ${request.action}: interval ${intervalMs} is invalid`));
    }
    const rs = this.state(request.resource);
    if (rs.queue.length >= this.maxQueue) {
      return Promise.reject(new LrmError('VIGIL_LRM_QUEUE_FULL', `resource '${rs.id}': ${rs.queue.length} ops already queued (limit ${this.maxQueue})`));
    }
    if (request.action === 'stop') this.cancelAll(rs.id);
    if (intervalMs > 0) return this.registerRecurring(rs, request);
    return new Promise((resolve) => {
      rs.queue.push({ request, enqueuedAt: this.clock.now(), callId: this.nextCallId++, resolve });
      this.markReady(rs);
      this.pump();
    });
  }

  private registerRecurring(rs: ResourceState, request: OpRequest): Promise<OpResult> {
    const intervalMs = request.intervalMs!;
    const key = recurringKey(request.action, intervalMs);
    this.cancel(rs.id, request.action, intervalMs);
    return new Promise((resolve) => {
      const op: RecurringOp = { key, request, callId: this.nextCallId++, cancelled: false, queued: false, timer: undefined, firstResolve: resolve };
      rs.recurring.set(key, op);
      const delay = request.startDelayMs ?? 0;
      if (delay > 0) op.timer = this.timers.set(() => this.enqueueRecurring(rs, op), delay);
      else this.enqueueRecurring(rs, op);
    });
  }

  private enqueueRecurring(rs: ResourceState, op: RecurringOp): void {
    op.timer = undefined;
    if (op.cancelled || op.queued || this.closed) return;
    op.queued = true;
    rs.queue.push({
      request: op.request,
      enqueuedAt: this.clock.now(),
      callId: op.callId,
      recurring: op,
      resolve: (r) => {
        const first = op.firstResolve;
        op.firstResolve = undefined;
        first?.(r);
      },
    });
    this.markReady(rs);
    this.pump();
  }

  /** Cancel one recurring op; its history record goes away as in Pacemaker. */
  cancel(resourceId: string, action: string, intervalMs: number): boolean {
    const rs = this.resources.get(resourceId);
    const op = rs?.recurring.get(recurringKey(action, intervalMs));
    if (!rs || !op) return false;
    this.dropRecurring(rs, op);
    return true;
  }

  /** Cancel all recurring ops of a resource. */
  cancelAll(resourceId: string): number {
    const rs = this.resources.get(resourceId);
    if (!rs) return 0;
    const ops = [...rs.recurring.values()];
    for (const op of ops) this.dropRecurring(rs, op);
    return ops.length;
  }

  private dropRecurring(rs: ResourceState, op: RecurringOp): void {
    op.cancelled = true;
    if (op.timer !== undefined) this.timers.clear(op.timer);
    op.timer = undefined;
    rs.recurring.delete(op.key);
    // A queued-but-not-started run disappears; a running one finishes unreported.
    const idx = rs.queue.findIndex((t) => t.recurring === op);
    if (idx >= 0) rs.queue.splice(idx, 1);
    rs.history.delete(`${rs.id}_${op.key}`);
    const intervalMs = op.request.intervalMs ?? 0;
    if (op.firstResolve) {
      const first = op.firstResolve;
      op.firstResolve = undefined;
      first(this.cancelledResult(rs, op));
    }
    this.emit('cancelled', rs.id, op.request.action, intervalMs);
  }

  private cancelledResult(rs: ResourceState, op: RecurringOp): OpResult {
    const now = this.clock.now();
    const record = this.makeRecord(rs, op.request, op.callId, `${rs.id}_${op.key}`, {
      rc: OcfRc.ERR_GENERIC, opStatus: OpStatus.CANCELLED, execTimeMs: 0, queueTimeMs: 0, now,
    });
    return {
      resourceId: rs.id, action: op.request.action, intervalMs: op.request.intervalMs ?? 0,
      rc: OcfRc.ERR_GENERIC, opStatus: OpStatus.CANCELLED, exitReason: 'cancelled before it ran',
      stdout: '', stderr: '', outputDroppedBytes: 0, startedAtMs: now, execTimeMs: 0,
      callId: op.callId, queueTimeMs: 0, record, failed: false,
    };
  }

  private state(def: ResourceDef): ResourceState {
    let rs = this.resources.get(def.id);
    if (!rs) {
      rs = { id: def.id, def, busy: false, inReady: false, queue: [], recurring: new Map(), history: new Map() };
      this.resources.set(def.id, rs);
    } else {
      rs.def = def;
    }
    return rs;
  }

  private markReady(rs: ResourceState): void {
    if (rs.busy || rs.inReady || rs.queue.length === 0) return;
    rs.inReady = true;
    this.ready.push(rs);
  }

  private pump(): void {
    while (this.active < this.maxParallel && this.ready.length > 0) {
      const rs = this.ready.shift()!;
      rs.inReady = false;
      const task = rs.queue.shift();
      if (!task) continue;
      rs.busy = true;
      this.active += 1;
      void this.execute(rs, task).finally(() => {
        rs.busy = false;
        this.active -= 1;
        this.markReady(rs);
        this.pump();
      });
    }
  }

  private async execute(rs: ResourceState, task: Task): Promise<void> {
    const { request } = task;
    const startedAt = this.clock.now();
    const queueTimeMs = Math.max(0, startedAt - task.enqueuedAt);
    this.emit('started', rs.id, request.action, request.intervalMs ?? 0, task.callId);
    const result = await this.runGuarded(rs.id, request, startedAt);
    const op = task.recurring;
    if (op) op.queued = false;
    if (op && (op.cancelled || this.closed)) return;

    const failed = isFailure(request, result);
    const changed = !op?.lastReported || op.lastReported.rc !== result.rc || op.lastReported.opStatus !== result.opStatus;
    const recordId = op ? `${rs.id}_${op.key}` : `${rs.id}_last_0`;
    let record = rs.history.get(recordId);
    if (changed || !record) {
      const now = this.clock.now();
      record = this.makeRecord(rs, request, task.callId, recordId, { ...result, queueTimeMs, now });
      rs.history.set(recordId, record);
      if (failed) {
        const failureId = `${rs.id}_last_failure_0`;
        rs.history.set(failureId, this.makeRecord(rs, request, task.callId, failureId, { ...result, queueTimeMs, now }));
      }
      if (op) op.lastReported = { rc: result.rc, opStatus: result.opStatus };
    }
    const opResult: OpResult = { ...result, callId: task.callId, queueTimeMs, record, failed };
    if (changed) this.emit('result', opResult);
    this.emit('executed', opResult);
    task.resolve(opResult);
    // A listener above may have cancelled the op (a stop queued on failure).
    if (op && !op.cancelled && !this.closed) {
      op.timer = this.timers.set(() => this.enqueueRecurring(rs, op), op.request.intervalMs!);
    }
  }

  /**
   * Run through the runner, turning a throw into an error result and a
   * runner that never answers into a timeout: the runner enforces the op
   * timeout itself; the watchdog only keeps a bug or a wedged native agent
   * from holding the resource's queue forever.
   */
  private async runGuarded(resourceId: string, request: OpRequest, startedAt: number): Promise<ActionResult> {
    const timeoutMs = request.timeoutMs ?? this.options.defaultTimeoutMs ?? 20_000;
    const meta = request.meta ? { ...(request.resource.meta ?? {}), ...request.meta } : request.resource.meta;
    const failure = (opStatus: OpStatusCode, exitReason: string, execTimeMs: number): ActionResult => ({
      resourceId, action: request.action, intervalMs: request.intervalMs ?? 0,
      rc: OcfRc.ERR_GENERIC, opStatus, exitReason,
      stdout: '', stderr: '', outputDroppedBytes: 0, startedAtMs: startedAt, execTimeMs,
    });
    let watchdog: unknown;
    try {
      const run = this.options.runner.run({
        resourceId,
        agent: request.resource.agent,
        action: request.action,
        params: request.resource.params ?? {},
        ...(meta ? { meta } : {}),
        intervalMs: request.intervalMs ?? 0,
        timeoutMs,
      });
      const overdueMs = timeoutMs + (this.options.watchdogGraceMs ?? 30_000);
      const overdue = new Promise<ActionResult>((resolve) => {
        watchdog = this.clock.setTimer(
          () => resolve(failure(OpStatus.TIMED_OUT, `the executor gave no answer within ${overdueMs}ms`, overdueMs)),
          overdueMs,
        );
      });
      return await Promise.race([run, overdue]);
    } catch (err) {
      return failure(OpStatus.ERROR, (err as Error).message, 0);
    } finally {
      this.clock.clearTimer(watchdog);
    }
  }

  private makeRecord(
    rs: ResourceState,
    request: OpRequest,
    callId: number,
    id: string,
    r: { rc: number; opStatus: number; execTimeMs: number; queueTimeMs: number; now: number; exitReason?: string },
  ): OpRecord {
    const previous = rs.history.get(id);
    const nowSec = Math.floor(r.now / 1000);
    const intervalMs = request.intervalMs ?? 0;
    const magic = request.transitionKey !== undefined ? `${r.opStatus}:${r.rc};${request.transitionKey}` : undefined;
    return {
      id,
      operationKey: `${rs.id}_${request.action}_${intervalMs}`,
      operation: request.action,
      intervalMs,
      callId,
      rcCode: r.rc,
      opStatus: r.opStatus,
      ...(request.transitionKey !== undefined ? { transitionKey: request.transitionKey } : {}),
      ...(magic !== undefined ? { transitionMagic: magic } : {}),
      opDigest: this.digestOf(rs, request.resource.params ?? {}),
      ...restartFields(request.resource),
      lastRcChange: previous && previous.rcCode === r.rc && previous.operation === request.action ? previous.lastRcChange : nowSec,
      lastRun: nowSec,
      execTimeMs: r.execTimeMs,
      queueTimeMs: r.queueTimeMs,
      onNode: this.options.nodeName,
      ...(r.exitReason !== undefined ? { exitReason: r.exitReason } : {}),
      ...migrationFields(request),
    };
  }

  // md5 per op is most of the LRM's own cost; params objects are reused across ops.
  private digestOf(rs: ResourceState, params: Readonly<Record<string, string>>): string {
    if (rs.digestFor !== params || rs.digest === undefined) {
      rs.digest = opDigest(params);
      rs.digestFor = params;
    }
    return rs.digest;
  }

  /** History records of one resource, sorted by call-id. */
  history(resourceId: string): OpRecord[] {
    const rs = this.resources.get(resourceId);
    return rs ? [...rs.history.values()].sort((a, b) => a.callId - b.callId || (a.id < b.id ? -1 : 1)) : [];
  }

  /** Every resource that has history, for the status section. */
  resourceHistories(): ResourceHistory[] {
    return [...this.resources.values()]
      .filter((rs) => rs.history.size > 0)
      .map((rs) => ({ id: rs.id, agent: rs.def.agent, ops: this.history(rs.id) }));
  }

  /** `<lrm>` for this node's node_state. */
  toXml(): string {
    return lrmXml(this.options.nodeId ?? this.options.nodeName, this.resourceHistories());
  }

  /** Forget a resource's history (crm_resource --cleanup); its recurring ops are cancelled. */
  forget(resourceId: string): void {
    this.cancelAll(resourceId);
    const rs = this.resources.get(resourceId);
    if (rs && !rs.busy && rs.queue.length === 0) this.resources.delete(resourceId);
    else rs?.history.clear();
  }

  /** Recurring ops currently registered, as "rsc action interval". */
  recurringOps(): Array<{ resourceId: string; action: string; intervalMs: number }> {
    const out: Array<{ resourceId: string; action: string; intervalMs: number }> = [];
    for (const rs of this.resources.values()) {
      for (const op of rs.recurring.values()) out.push({ resourceId: rs.id, action: op.request.action, intervalMs: op.request.intervalMs ?? 0 });
    }
    return out;
  }

  get runningOps(): number {
    return this.active;
  }

  /** Cancel recurring ops and refuse new work; ops already running finish. */
  close(): void {
    for (const rs of this.resources.values()) {
      this.cancelAll(rs.id);
      // Queued one-shot ops never start; their callers learn it from the result.
      for (const task of rs.queue.splice(0)) task.resolve(this.cancelledTask(rs, task));
    }
    this.closed = true;
  }

  private cancelledTask(rs: ResourceState, task: Task): OpResult {
    const now = this.clock.now();
    const { request } = task;
    const record = this.makeRecord(rs, request, task.callId, `${rs.id}_last_0`, {
      rc: OcfRc.ERR_GENERIC, opStatus: OpStatus.CANCELLED, execTimeMs: 0, queueTimeMs: now - task.enqueuedAt, now,
    });
    return {
      resourceId: rs.id, action: request.action, intervalMs: request.intervalMs ?? 0,
      rc: OcfRc.ERR_GENERIC, opStatus: OpStatus.CANCELLED, exitReason: 'LRM closed before the op ran',
      stdout: '', stderr: '', outputDroppedBytes: 0, startedAtMs: now, execTimeMs: 0,
      callId: task.callId, queueTimeMs: now - task.enqueuedAt, record, failed: false,
    };
  }
}

function restartFields(def: ResourceDef): { opRestartDigest?: string; opForceRestart?: readonly string[] } {
  let names = def.restartParams;
  if (!names && def.reloadableParams) {
    const reloadable = new Set(def.reloadableParams);
    names = Object.keys(def.params ?? {}).filter((n) => !reloadable.has(n));
  }
  if (!names) return {};
  const restart = new Set(names);
  return { opForceRestart: [...restart].sort(), opRestartDigest: opDigest(def.params ?? {}, (n) => restart.has(n)) };
}

// migrate_to / migrate_from records name both ends, which the scheduler needs
// to finish or undo a partial migration.
function migrationFields(request: OpRequest): { migrateSource?: string; migrateTarget?: string } {
  if (request.action !== 'migrate_to' && request.action !== 'migrate_from') return {};
  const meta = { ...(request.resource.meta ?? {}), ...(request.meta ?? {}) };
  return {
    ...(meta['migrate_source'] !== undefined ? { migrateSource: meta['migrate_source'] } : {}),
    ...(meta['migrate_target'] !== undefined ? { migrateTarget: meta['migrate_target'] } : {}),
  };
}

function isFailure(request: OpRequest, result: ActionResult): boolean {
  if (result.opStatus !== OpStatus.DONE) return true;
  const rc = undegraded(result.rc);
  if (request.expectedRc !== undefined) return rc !== undegraded(request.expectedRc);
  const probe = request.action === 'monitor' && (request.intervalMs ?? 0) === 0;
  if (probe) return rc !== OcfRc.SUCCESS && rc !== OcfRc.NOT_RUNNING && rc !== OcfRc.RUNNING_PROMOTED;
  // Recurring monitors of a promoted instance answer 8; the caller says so via expectedRc.
  return rc !== OcfRc.SUCCESS;
}
