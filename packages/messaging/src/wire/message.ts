import { MessageType } from './types.js';
import { decodeHeartbeat, decodeLeave, encodeHeartbeat, encodeLeave, type Heartbeat } from './heartbeat.js';
import {
  decodeAccept, decodeCommit, decodePropose, decodeReject, encodeAccept, encodeCommit, encodePropose, encodeReject,
  type Accept, type Commit, type Propose, type Reject,
} from './agreement.js';
import { decodeAck, decodeData, encodeAck, encodeData, type Ack, type Data } from './data.js';
import { DecodeError } from '../errors.js';

/** Every protocol message, tagged by its wire type. */
export type WireMessage =
  | { type: MessageType.Heartbeat; body: Heartbeat }
  | { type: MessageType.Leave; body: Record<string, never> }
  | { type: MessageType.Propose; body: Propose }
  | { type: MessageType.Accept; body: Accept }
  | { type: MessageType.Reject; body: Reject }
  | { type: MessageType.Commit; body: Commit }
  | { type: MessageType.Data; body: Data }
  | { type: MessageType.Ack; body: Ack };

export function encodeBody(m: WireMessage): Buffer {
  switch (m.type) {
    case MessageType.Heartbeat: return encodeHeartbeat(m.body);
    case MessageType.Leave: return encodeLeave();
    case MessageType.Propose: return encodePropose(m.body);
    case MessageType.Accept: return encodeAccept(m.body);
    case MessageType.Reject: return encodeReject(m.body);
    case MessageType.Commit: return encodeCommit(m.body);
    case MessageType.Data: return encodeData(m.body);
    case MessageType.Ack: return encodeAck(m.body);
  }
}

export function decodeBody(type: number, body: Buffer): WireMessage {
  switch (type) {
    case MessageType.Heartbeat: return { type, body: decodeHeartbeat(body) };
    case MessageType.Leave: return { type, body: decodeLeave(body) };
    case MessageType.Propose: return { type, body: decodePropose(body) };
    case MessageType.Accept: return { type, body: decodeAccept(body) };
    case MessageType.Reject: return { type, body: decodeReject(body) };
    case MessageType.Commit: return { type, body: decodeCommit(body) };
    case MessageType.Data: return { type, body: decodeData(body) };
    case MessageType.Ack: return { type, body: decodeAck(body) };
    default: throw new DecodeError(`unknown message type ${type}`);
  }
}
