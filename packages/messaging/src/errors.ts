/**
 * Operating errors of the messaging layer. Codes are stable and never reused:
 * callers (crm, cli) switch on `code`, not on message text.
 */
export type MessagingErrorCode =
  | 'VIGIL_MESSAGING_CONFIG'
  | 'VIGIL_MESSAGING_AUTHKEY'
  | 'VIGIL_MESSAGING_BIND'
  | 'VIGIL_MESSAGING_NOT_CONNECTED'
  | 'VIGIL_MESSAGING_PEER_LOST'
  | 'VIGIL_MESSAGING_SEND_TIMEOUT'
  | 'VIGIL_MESSAGING_BACKPRESSURE'
  | 'VIGIL_MESSAGING_TOO_LARGE'
  | 'VIGIL_MESSAGING_STOPPED'
  | 'VIGIL_MESSAGING_DECODE';

export class MessagingError extends Error {
  readonly code: MessagingErrorCode;
  constructor(code: MessagingErrorCode, message: string) {
    super(message);
    this.name = 'MessagingError';
    this.code = code;
  }
}

export class ConfigError extends MessagingError {
  constructor(message: string) {
    super('VIGIL_MESSAGING_CONFIG', message);
  }
}

export class AuthKeyError extends MessagingError {
  constructor(message: string) {
    super('VIGIL_MESSAGING_AUTHKEY', message);
  }
}

/** A packet that authenticated but whose body does not parse (or a codec given bad bytes). */
export class DecodeError extends MessagingError {
  constructor(message: string) {
    super('VIGIL_MESSAGING_DECODE', message);
  }
}

/** Broken internal invariant: a bug, never an operating condition. */
export function invariant(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`vigil messaging invariant violated: ${message}`);
}
