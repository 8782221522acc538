/**
 * Errors of the node daemon. Codes are stable and never reused; the CLI and
 * the HTTP API branch on `code`.
 */
export const DAEMON_ERROR_CODES = {
  VIGIL_CRM_BAD_CONFIG: 'the cluster configuration file is missing a field or has a bad value',
  VIGIL_CRM_UNKNOWN_NODE: 'a node name that the configuration does not list',
  VIGIL_CRM_UNKNOWN_RESOURCE: 'a resource id that the CIB does not define',
  VIGIL_CRM_NOT_DC: 'the request needs the designated coordinator and there is none',
  VIGIL_CRM_WRITE_CONFLICT: 'the CIB kept changing under a write; it was not applied',
  VIGIL_CRM_EXEC_FAILED: 'an action could not be sent to or run on its node',
} as const;

export type DaemonErrorCode = keyof typeof DAEMON_ERROR_CODES;

export class DaemonError extends Error {
  readonly code: DaemonErrorCode;
  constructor(code: DaemonErrorCode, message: string) {
    super(message);
    this.name = 'DaemonError';
    this.code = code;
  }
}
