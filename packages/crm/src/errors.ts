/**
 * Errors raised by crm. Codes are stable and never reused: callers (the CLI,
 * the HTTP API) branch on `code`, people read `message`.
 */

export const CRM_ERROR_CODES = {
  VIGIL_CRM_BAD_QUORUM_CONFIG: 'the quorum configuration is inconsistent',
  VIGIL_CRM_NO_DC: 'no designated coordinator is available to take the change',
  VIGIL_CRM_STALE_VERSION: 'a conditional replace named a version that is no longer current',
  VIGIL_CRM_INVALID_CIB: 'the proposed configuration does not parse or validate',
  VIGIL_CRM_OLDER_VERSION: 'a replacement would move the CIB version backwards',
  VIGIL_CRM_PROPOSAL_TIMEOUT: 'a change was not committed within its deadline',
  VIGIL_CRM_QUEUE_FULL: 'too many changes are waiting for the DC',
  VIGIL_CRM_CORRUPT_STORE: 'a stored file failed its checksum or is truncated',
  VIGIL_CRM_BAD_MESSAGE: 'a peer sent a message that does not decode',
} as const;

export type CrmErrorCode = keyof typeof CRM_ERROR_CODES;

export class CrmError extends Error {
  readonly code: CrmErrorCode;
  constructor(code: CrmErrorCode, message: string) {
    super(message);
    this.name = 'CrmError';
    this.code = code;
  }
}

/** A broken invariant is a bug: crash loudly rather than carry on unsafely. */
export function invariant(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`vigil crm invariant violated: ${message}`);
}
