/**
 * Errors raised by the resource-agent layer. Codes are stable and never
 * reused: callers branch on `code`, people read `message`.
 *
 * Note what is *not* an error here: an agent that is missing, fails, hangs
 * or crashes produces an `ActionResult` (rc + op-status), exactly as the
 * cluster records it. Errors are for input the caller got wrong.
 */
export const RA_ERROR_CODES = {
  VIGIL_RA_BAD_AGENT_SPEC: 'an agent name is not CLASS[:PROVIDER]:TYPE',
  VIGIL_RA_UNKNOWN_CLASS: 'an agent class is not one Pacemaker (or Vigil, native) defines',
  VIGIL_RA_UNKNOWN_ACTION: 'an action name is not one the agent API defines',
  VIGIL_RA_BAD_METADATA: 'agent meta-data is not valid resource-agent XML',
  VIGIL_RA_UNKNOWN_PARAMETER: 'an instance attribute is not a parameter of the agent',
  VIGIL_RA_MISSING_PARAMETER: 'a required parameter of the agent has no value',
  VIGIL_RA_BAD_PARAMETER: 'a parameter or meta name or value cannot be passed in an environment',
  VIGIL_RA_BAD_DURATION: 'a timeout or interval is not a valid duration',
  VIGIL_RA_DUPLICATE_AGENT: 'a native agent is registered twice under one name',
  VIGIL_RA_BAD_OPTIONS: 'executor options are invalid',
  VIGIL_RA_NOT_STARTED: 'the executor was used before start() or after close()',
} as const;

export type RaErrorCode = keyof typeof RA_ERROR_CODES;

export class RaError extends Error {
  readonly code: RaErrorCode;
  constructor(code: RaErrorCode, message: string) {
    super(message);
    this.name = 'RaError';
    this.code = code;
  }
}
