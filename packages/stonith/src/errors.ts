/**
 * Errors raised by fence devices and the fencer. Codes are stable and never
 * reused: the fencer and the CLI branch on `code`, people read `message`.
 */

export const STONITH_ERROR_CODES = {
  VIGIL_STONITH_BAD_PARAM: 'a device parameter is missing or has an invalid value',
  VIGIL_STONITH_UNKNOWN_DEVICE_TYPE: 'no fence device implementation is registered under that type',
  VIGIL_STONITH_UNSUPPORTED_ACTION: 'the device cannot perform the requested action',
  VIGIL_STONITH_TIMEOUT: 'the device did not answer in time',
  VIGIL_STONITH_UNREACHABLE: 'the device could not be reached at all',
  VIGIL_STONITH_AUTH_USER: 'the device rejected the user name',
  VIGIL_STONITH_AUTH_PASSWORD: 'the device rejected the password or key',
  VIGIL_STONITH_AUTH_PRIVILEGE: 'the user lacks the privilege level the action needs',
  VIGIL_STONITH_PROTOCOL: 'the device answered with something the protocol does not allow',
  VIGIL_STONITH_DEVICE_REFUSED: 'the device understood the request and refused or failed it',
  VIGIL_STONITH_HOST_KEY: 'the SSH host key does not match the configured one',
  VIGIL_STONITH_NOT_DEAD: 'the power-off command ran but the host kept answering',
  VIGIL_STONITH_AGENT_FAILED: 'a fence agent script exited with an error',
  VIGIL_STONITH_AGENT_NOT_FOUND: 'a fence agent script does not exist or is not executable',
  VIGIL_STONITH_NO_DEVICE: 'no configured device can fence the target',
  VIGIL_STONITH_ALL_LEVELS_FAILED: 'every fencing-topology level failed for the target',
  VIGIL_STONITH_BAD_CONFIG: 'a stonith primitive or fencing level is invalid',
  VIGIL_STONITH_WATCHDOG: 'the watchdog device could not be opened or fed',
  VIGIL_STONITH_CANCELLED: 'the fencing request was cancelled',
} as const;

export type StonithErrorCode = keyof typeof STONITH_ERROR_CODES;

export class StonithError extends Error {
  override readonly name = 'StonithError';
  constructor(
    readonly code: StonithErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isStonithError(err: unknown, code?: StonithErrorCode): err is StonithError {
  return err instanceof StonithError && (code === undefined || err.code === code);
}

/** A message for an unknown thrown value, without a stack trace. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
