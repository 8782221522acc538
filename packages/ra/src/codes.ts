/**
 * OCF exit codes, op-status values and recovery classes, as Pacemaker
 * defines and records them (Pacemaker Administration, "OCF Return Codes").
 */

export const OcfRc = {
  SUCCESS: 0,
  ERR_GENERIC: 1,
  ERR_ARGS: 2,
  ERR_UNIMPLEMENTED: 3,
  ERR_PERM: 4,
  ERR_INSTALLED: 5,
  ERR_CONFIGURED: 6,
  NOT_RUNNING: 7,
  RUNNING_PROMOTED: 8,
  FAILED_PROMOTED: 9,
  DEGRADED: 190,
  DEGRADED_PROMOTED: 191,
} as const;

const RC_NAMES: Record<number, string> = {
  0: 'ok',
  1: 'error',
  2: 'invalid parameter',
  3: 'unimplemented feature',
  4: 'insufficient privileges',
  5: 'not installed',
  6: 'not configured',
  7: 'not running',
  8: 'promoted',
  9: 'promoted (failed)',
  190: 'OCF_DEGRADED',
  191: 'OCF_DEGRADED_PROMOTED',
};

/** Human name of an OCF rc, the words crm_mon prints. */
export function rcName(rc: number): string {
  return RC_NAMES[rc] ?? `unknown (${rc})`;
}

/**
 * Execution status as stored in the op-status attribute of lrm_rsc_op.
 * The numbers are Pacemaker's on-disk values (enum pcmk_exec_status), so a
 * status section written by Pacemaker reads the same here and vice versa.
 */
export const OpStatus = {
  PENDING: -1,
  DONE: 0,
  CANCELLED: 1,
  TIMED_OUT: 2,
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

export type OpStatusCode = (typeof OpStatus)[keyof typeof OpStatus];

const STATUS_NAMES: Record<number, string> = {
  [-1]: 'pending',
  0: 'complete',
  1: 'Cancelled',
  2: 'Timed Out',
  3: 'NOT SUPPORTED',
  4: 'Error',
  5: 'Hard error',
  6: 'Fatal error',
  7: 'Not installed',
  8: 'Not connected',
  9: 'Invalid parameter',
  10: 'No fence device',
  11: 'No secrets',
};

export function opStatusName(status: number): string {
  return STATUS_NAMES[status] ?? `unknown (${status})`;
}

/**
 * What the cluster does when an rc differs from the expected one:
 * soft = restart here or move, hard = ban from this node, fatal = ban
 * everywhere, none = treated as success (degraded) or not a failure at all.
 */
export type RecoveryClass = 'none' | 'soft' | 'hard' | 'fatal';

export function recoveryClass(rc: number): RecoveryClass {
  switch (rc) {
    case OcfRc.ERR_GENERIC:
    case OcfRc.ERR_ARGS:
    case OcfRc.ERR_UNIMPLEMENTED:
    case OcfRc.ERR_PERM:
    case OcfRc.ERR_INSTALLED:
      return 'hard';
    case OcfRc.ERR_CONFIGURED:
      return 'fatal';
    case OcfRc.NOT_RUNNING:
    case OcfRc.DEGRADED:
    case OcfRc.DEGRADED_PROMOTED:
      return 'none';
    default:
      // 0, 8, 9 and custom codes: a transient problem when unexpected.
      return 'soft';
  }
}

/** The degraded codes count as success of their undegraded twin. */
export function undegraded(rc: number): number {
  if (rc === OcfRc.DEGRADED) return OcfRc.SUCCESS;
  if (rc === OcfRc.DEGRADED_PROMOTED) return OcfRc.RUNNING_PROMOTED;
  return rc;
}

/** Actions the OCF API defines; anything else is refused before spawning. */
export const OCF_ACTIONS = [
  'start',
  'stop',
  'monitor',
  'promote',
  'demote',
  'notify',
  'reload',
  'reload-agent',
  'migrate_to',
  'migrate_from',
  'validate-all',
  'meta-data',
] as const;

export type OcfAction = (typeof OCF_ACTIONS)[number];

export function isOcfAction(name: string): name is OcfAction {
  return (OCF_ACTIONS as readonly string[]).includes(name);
}

/**
 * Recovery class of a whole result: the rc decides when the agent ran to
 * completion; otherwise the execution status does (an agent that is not
 * installed here is a hard failure, a timeout a soft one).
 */
export function resultRecoveryClass(rc: number, opStatus: number): RecoveryClass {
  switch (opStatus) {
    case OpStatus.DONE:
      return recoveryClass(rc);
    case OpStatus.NOT_INSTALLED:
    case OpStatus.NOT_SUPPORTED:
    case OpStatus.ERROR_HARD:
      return 'hard';
    case OpStatus.ERROR_FATAL:
    case OpStatus.INVALID:
      return 'fatal';
    case OpStatus.CANCELLED:
    case OpStatus.PENDING:
      return 'none';
    default:
      // TIMED_OUT, ERROR (killed by a signal), NOT_CONNECTED: may work next time.
      return 'soft';
  }
}
