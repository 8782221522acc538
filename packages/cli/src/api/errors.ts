/**
 * Errors the HTTP API answers with: one table, stable codes never reused.
 * Each answer is `{ "error": { "code", "message", ...details } }` with the
 * status below; docs in packages/cli/README.md list the same table, and a
 * test checks the two agree.
 */
export const API_ERRORS = {
  VIGIL_API_UNAUTHORIZED: { status: 401, meaning: 'the bearer token is missing or wrong; nothing was done' },
  VIGIL_API_BAD_REQUEST: { status: 400, meaning: 'the request does not match the route schema (a field, parameter or body is invalid)' },
  VIGIL_API_INVALID_CIB: { status: 400, meaning: 'the CIB XML does not parse or is invalid; the error names the element and id; nothing was applied' },
  VIGIL_API_INVALID_ACTION: { status: 400, meaning: 'the action does not apply to this resource or node (e.g. promote on a resource that is not promotable)' },
  VIGIL_API_NOT_FOUND: { status: 404, meaning: 'no such resource, node, attribute or route' },
  VIGIL_API_CONFLICT: { status: 409, meaning: 'the change was based on a stale CIB version (epoch); nothing was applied' },
  VIGIL_API_UNSUPPORTED_MEDIA_TYPE: { status: 415, meaning: 'the body has a content type this route does not take' },
  VIGIL_API_TOO_LARGE: { status: 413, meaning: 'the body exceeds the size limit' },
  VIGIL_API_UNAVAILABLE: { status: 503, meaning: 'this node cannot serve the request now (no DC, no quorum, shutting down, busy)' },
  VIGIL_API_INTERNAL: { status: 500, meaning: 'an unexpected failure; the daemon log has the details' },
} as const;

export type ApiErrorCode = keyof typeof API_ERRORS;

export class ApiError extends Error {
  readonly code: ApiErrorCode;
  readonly status: number;
  readonly details: Readonly<Record<string, string | number>>;

  constructor(code: ApiErrorCode, message: string, details: Record<string, string | number> = {}) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.status = API_ERRORS[code].status;
    this.details = details;
  }

  toJSON(): { error: { code: ApiErrorCode; message: string } & Record<string, string | number> } {
    return { error: { ...this.details, code: this.code, message: this.message } };
  }
}

/** The JSON schema of every error body, shared by all routes. */
export const ERROR_BODY_SCHEMA = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string' },
        message: { type: 'string' },
        element: { type: 'string' },
        id: { type: 'string' },
        field: { type: 'string' },
        cause: { type: 'string' },
      },
    },
  },
} as const;
