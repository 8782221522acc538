import type { LrmResource, LrmRscOp, Operation } from '@vigil/cib';
import type { ClusterOptions } from '../options.js';
import type { FailedOp, NodeHistory, Role } from '../working-set.js';

/** OCF exit codes (Pacemaker's documented numbering). */
export const RC = {
  OK: 0,
  ERR_GENERIC: 1,
  ERR_ARGS: 2,
  UNIMPLEMENTED: 3,
  ERR_PERM: 4,
  NOT_INSTALLED: 5,
  NOT_CONFIGURED: 6,
  NOT_RUNNING: 7,
  RUNNING_PROMOTED: 8,
  FAILED_PROMOTED: 9,
  DEGRADED: 190,
  DEGRADED_PROMOTED: 191,
} as const;

/** Execution status of an op record (op-status): Pacemaker's on-disk numbering, as in @vigil/ra's OpStatus. */
export const OP_STATUS = {
  PENDING: -1,
  DONE: 0,
  CANCELLED: 1,
  TIMEOUT: 2,
  NOT_SUPPORTED: 3,
  ERROR: 4,
  ERROR_HARD: 5,
  ERROR_FATAL: 6,
  NOT_INSTALLED: 7,
  NOT_CONNECTED: 8,
  INVALID: 9,
  NO_FENCE_DEVICE: 10,
  NO_SECRETS: 11,
} as const;

/** The target rc recorded in a transition key "action:transition:target-rc:uuid". */
export function expectedRc(op: LrmRscOp): number | undefined {
  const key = op.transitionKey ?? op.transitionMagic?.split(';')[1];
  if (!key) return undefined;
  const parts = key.split(':');
  if (parts.length < 4) return undefined;
  const rc = Number(parts[2]);
  return Number.isInteger(rc) ? rc : undefined;
}

export interface HistoryContext {
  readonly options: ClusterOptions;
  readonly nowSec: number;
  readonly failureTimeoutSec: number;
  readonly ops: readonly Operation[];
  readonly node: string;
  readonly rscId: string;
}

export type Severity = 'soft' | 'hard' | 'fatal';

function severityOf(op: LrmRscOp): Severity {
  if (op.opStatus === OP_STATUS.ERROR) return rcSeverity(op.rcCode);
  if (op.opStatus === OP_STATUS.ERROR_FATAL) return 'fatal';
  if (op.opStatus === OP_STATUS.NOT_INSTALLED || op.opStatus === OP_STATUS.NOT_SUPPORTED || op.opStatus === OP_STATUS.ERROR_HARD || op.opStatus === OP_STATUS.INVALID) return 'hard';
  if (op.opStatus !== OP_STATUS.DONE) return 'soft';
  return rcSeverity(op.rcCode);
}

function rcSeverity(rc: number): Severity {
  switch (rc) {
    case RC.ERR_ARGS:
    case RC.UNIMPLEMENTED:
    case RC.ERR_PERM:
    case RC.NOT_INSTALLED:
      return 'hard';
    case RC.NOT_CONFIGURED:
      return 'fatal';
    default:
      return 'soft';
  }
}

/** The on-fail configured for an op, or Pacemaker's default for it. */
export function onFailFor(task: string, intervalMs: number, ops: readonly Operation[], options: ClusterOptions): string {
  const configured = ops.find((o) => o.name === task && o.intervalMs === intervalMs)?.onFail
    ?? (task === 'monitor' && intervalMs === 0 ? undefined : ops.find((o) => o.name === task && o.intervalMs === intervalMs)?.onFail);
  if (configured) return configured;
  if (task === 'stop') return options.fencingEnabled ? 'fence' : 'block';
  if (task === 'demote') return ops.find((o) => o.name === 'monitor' && o.role === 'Promoted')?.onFail ?? 'restart';
  return 'restart';
}

/** The transition number in an op's transition key ("action:transition:target-rc:uuid"). */
function transitionOf(op: LrmRscOp): number | undefined {
  const key = op.transitionKey ?? op.transitionMagic?.split(';')[1];
  const n = Number(key?.split(':')[1]);
  return Number.isInteger(n) ? n : undefined;
}

function byCallOrder(a: LrmRscOp, b: LrmRscOp): number {
  // A pending op (no call id yet) is the newest, unless its transition is
  // older than the other op's: then it was superseded.
  if ((a.callId < 0) !== (b.callId < 0)) {
    const ta = transitionOf(a);
    const tb = transitionOf(b);
    if (ta !== undefined && tb !== undefined && ta >= 0 && tb >= 0 && ta !== tb) return ta - tb;
  }
  const ap = a.callId < 0 ? Number.MAX_SAFE_INTEGER : a.callId;
  const bp = b.callId < 0 ? Number.MAX_SAFE_INTEGER : b.callId;
  if (ap !== bp) return ap - bp;
  return (a.lastRcChange ?? 0) - (b.lastRcChange ?? 0);
}

function isExpired(op: LrmRscOp, ctx: HistoryContext): boolean {
  if (ctx.failureTimeoutSec <= 0) return false;
  const when = op.lastRcChange ?? op.lastRun;
  if (when === undefined) return false;
  return when + ctx.failureTimeoutSec <= ctx.nowSec;
}

/**
 * Replay one resource's operation history on one node, oldest call first,
 * and say what state it left the resource in there.
 */
export function replayHistory(lrm: LrmResource, ctx: HistoryContext, failed: FailedOp[]): NodeHistory {
  const h: NodeHistory = {
    role: 'Stopped',
    failed: false,
    stopFailed: false,
    banned: false,
    fatal: false,
    recurring: new Map(),
  };
  const ops = [...lrm.ops].sort(byCallOrder);
  const lsb = lrm.class === 'lsb';
  for (const op of ops) {
    applyOp(h, lsb ? lsbStatusAsOcf(op) : op, ctx, failed);
  }
  return h;
}

/**
 * LSB init scripts answer "status" with their own codes: 1 and 2 (dead,
 * leftovers remain) and 3 mean not running, 4 means unknown. Old executors
 * recorded them as is; read them as the OCF codes they stand for.
 */
function lsbStatusAsOcf(op: LrmRscOp): LrmRscOp {
  if (op.operation !== 'monitor' && op.operation !== 'status') return op;
  const rc = op.rcCode;
  if (rc === 1 || rc === 2 || rc === 3) return { ...op, rcCode: RC.NOT_RUNNING };
  if (rc === 4) return { ...op, rcCode: RC.ERR_GENERIC };
  return op;
}

function setRole(h: NodeHistory, role: Role): void {
  h.role = role;
  if (role === 'Stopped') {
    h.recurring.clear();
    h.startDigest = undefined;
    h.digestOp = undefined;
  }
}

function applyOp(h: NodeHistory, op: LrmRscOp, ctx: HistoryContext, failed: FailedOp[]): void {
  const task = op.operation;
  if (task === 'notify' || task === 'meta-data' || task === 'validate-all') return;
  if (op.opStatus === OP_STATUS.CANCELLED) return;
  const isProbe = task === 'monitor' && op.intervalMs === 0;

  if (op.opStatus === OP_STATUS.PENDING || op.callId === -1) {
    h.pending = task;
    if (task === 'start' || task === 'migrate_from') setRole(h, 'Started');
    else if (task === 'promote') setRole(h, 'Promoted');
    return;
  }
  h.pending = undefined;
  h.lastRcChangeSec = op.lastRcChange ?? h.lastRcChangeSec;

  const expected = expectedRc(op);
  const ok = isSuccess(op, expected, isProbe);
  if (ok) {
    applySuccess(h, op, task, isProbe);
    return;
  }

  if (isExpired(op, ctx) && task !== 'stop') {
    // An expired failure no longer counts; a failed monitor that found the
    // resource stopped still tells us it is stopped.
    if (task === 'monitor' && op.rcCode === RC.NOT_RUNNING) setRole(h, 'Stopped');
    return;
  }

  const severity = severityOf(op);
  const onFail = onFailFor(task, op.intervalMs, ctx.ops, ctx.options);
  // An agent that is not installed cannot be pretended to be running.
  if (onFail === 'ignore' && op.opStatus !== OP_STATUS.NOT_INSTALLED) {
    // The failure is recorded but changes nothing: a monitor that failed
    // (even one finding it stopped) leaves the resource as it was.
    if (task !== 'monitor') applySuccess(h, op, task, isProbe);
    return;
  }
  const record: FailedOp = {
    rsc: ctx.rscId,
    task,
    intervalMs: op.intervalMs,
    node: ctx.node,
    rc: op.rcCode,
    opStatus: op.opStatus,
    callId: op.callId,
    ...(op.exitReason !== undefined ? { exitReason: op.exitReason } : {}),
    ...(op.lastRcChange !== undefined ? { lastRcChange: op.lastRcChange } : {}),
  };
  failed.push(record);
  h.lastFailure = record;
  h.onFail = onFail;

  if (isProbe && (op.rcCode === RC.NOT_INSTALLED || op.opStatus === OP_STATUS.NOT_INSTALLED)) {
    // Nothing can be running if the agent is not even installed here.
    setRole(h, 'Stopped');
    h.banned = true;
    return;
  }
  if (severity === 'hard') h.banned = true;
  if (severity === 'fatal') h.fatal = true;

  switch (task) {
    case 'stop':
      h.stopFailed = true;
      h.failed = true;
      if (h.role === 'Stopped') setRole(h, 'Started');
      return;
    case 'start':
    case 'migrate_from':
      h.failed = true;
      if (task === 'migrate_from') h.migrateFromFailed = true;
      setRole(h, 'Started');
      return;
    case 'migrate_to':
      h.failed = true;
      h.failedMigrateTarget = op.migrateTarget;
      if (h.role === 'Stopped') setRole(h, 'Started');
      return;
    case 'promote':
      h.failed = true;
      setRole(h, 'Promoted');
      return;
    case 'demote':
      // A failed demote is recovered from the unpromoted role, unless the
      // failure blocks the resource where it is (then it stays promoted).
      h.failed = true;
      setRole(h, onFail === 'block' ? 'Promoted' : 'Unpromoted');
      return;
    case 'monitor':
      if (op.rcCode === RC.NOT_RUNNING && (op.opStatus === OP_STATUS.DONE || op.opStatus === OP_STATUS.ERROR)) {
        // Found stopped where it should run: it may be half-alive, so it is
        // recovered (stopped, then started) rather than merely started.
        if (h.role === 'Stopped') setRole(h, 'Started');
        h.failed = true;
      } else if (op.rcCode === RC.RUNNING_PROMOTED || op.rcCode === RC.FAILED_PROMOTED) {
        setRole(h, 'Promoted');
        h.failed = true;
      } else {
        if (h.role === 'Stopped') setRole(h, 'Started');
        h.failed = true;
      }
      return;
    default:
      h.failed = true;
      if (h.role === 'Stopped') setRole(h, 'Started');
  }
}

function isSuccess(op: LrmRscOp, expected: number | undefined, isProbe: boolean): boolean {
  // Old executors recorded "error" for any rc other than 0, even an expected
  // one (a probe finding the resource stopped); the rc decides.
  if (op.opStatus === OP_STATUS.ERROR && expected !== undefined && op.rcCode === expected) return true;
  const rc = op.rcCode;
  if (isProbe && op.opStatus === OP_STATUS.ERROR && (rc === RC.NOT_RUNNING || rc === RC.RUNNING_PROMOTED)) return true;
  if (op.opStatus !== OP_STATUS.DONE) return false;
  if (isProbe) return rc === RC.OK || rc === RC.NOT_RUNNING || rc === RC.RUNNING_PROMOTED || rc === RC.DEGRADED || rc === RC.DEGRADED_PROMOTED;
  if (rc === RC.DEGRADED) return expected === undefined || expected === RC.OK;
  if (rc === RC.DEGRADED_PROMOTED) return expected === undefined || expected === RC.RUNNING_PROMOTED;
  if (expected !== undefined) return rc === expected;
  if (op.operation === 'monitor') return rc === RC.OK || rc === RC.RUNNING_PROMOTED;
  return rc === RC.OK;
}

function applySuccess(h: NodeHistory, op: LrmRscOp, task: string, isProbe: boolean): void {
  const rc = op.rcCode;
  switch (task) {
    case 'start':
    case 'migrate_from':
      setRole(h, 'Started');
      h.failed = false;
      h.failedMigrateTarget = undefined;
      h.startDigest = op.opDigest;
      h.digestOp = op;
      if (task === 'migrate_from') h.migrateSource = op.migrateSource;
      return;
    case 'stop':
      setRole(h, 'Stopped');
      h.failed = false;
      h.stopFailed = false;
      h.migrateTarget = undefined;
      h.migrateSource = undefined;
      return;
    case 'promote':
      setRole(h, 'Promoted');
      h.failed = false;
      return;
    case 'demote':
      setRole(h, 'Unpromoted');
      h.failed = false;
      return;
    case 'migrate_to':
      if (h.role === 'Stopped') setRole(h, 'Started');
      h.migrateTarget = op.migrateTarget;
      h.failedMigrateTarget = undefined;
      return;
    case 'monitor':
      if (rc === RC.NOT_RUNNING) {
        setRole(h, 'Stopped');
        if (isProbe) h.failed = false;
      } else if (rc === RC.RUNNING_PROMOTED || rc === RC.DEGRADED_PROMOTED) {
        setRole(h, 'Promoted');
      } else if (h.role === 'Stopped' || (isProbe && h.role === 'Promoted')) {
        setRole(h, 'Started');
      }
      // A probe finding it running is no evidence of the parameters it was
      // started with: its digest is left alone.
      // The same recurring monitor succeeding after it failed: the failure is
      // history (its fail count still counts), not the current state.
      if (op.intervalMs > 0 && rc !== RC.NOT_RUNNING && h.failed && !h.stopFailed && h.lastFailure?.task === 'monitor' && h.lastFailure.intervalMs === op.intervalMs && (op.lastRcChange ?? 0) > (h.lastFailure.lastRcChange ?? 0)) {
        h.failed = false;
        h.onFail = undefined;
      }
      if (op.intervalMs > 0 && rc !== RC.NOT_RUNNING) {
        h.recurring.set(`${task}_${op.intervalMs}`, { intervalMs: op.intervalMs, name: task, ...(op.opDigest ? { digest: op.opDigest } : {}) });
      }
      return;
    case 'reload':
    case 'reload-agent':
      h.startDigest = op.opDigest;
      h.digestOp = op;
      return;
    default:
      return;
  }
}
