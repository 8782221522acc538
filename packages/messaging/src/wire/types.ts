/**
 * Message type numbers go on the wire: APPEND ONLY. Never renumber or reuse a
 * value; a retired type keeps its number with a comment.
 */
export enum MessageType {
  Heartbeat = 1,
  Leave = 2,
  Propose = 3,
  Accept = 4,
  Reject = 5,
  Commit = 6,
  Data = 7,
  Ack = 8,
}

/** Version of the packet envelope; the first byte of every packet. */
export const WIRE_VERSION = 1;
