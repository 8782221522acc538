/** Errors for caller mistakes; agent failures are results, not errors. Codes are never reused. */
export const LRM_ERROR_CODES = {
  VIGIL_LRM_QUEUE_FULL: "a resource's op queue is at its limit",
  VIGIL_LRM_CLOSED: 'the LRM was used after close()',
  VIGIL_LRM_BAD_REQUEST: 'an op request has an invalid field',
} as const;

export type LrmErrorCode = keyof typeof LRM_ERROR_CODES;

export class LrmError extends Error {
  readonly code: LrmErrorCode;
  constructor(code: LrmErrorCode, message: string) {
    super(message);
    this.name = 'LrmError';
    this.code = code;
  }
}
