/**
 * IPMI over LAN framing, pure: RMCP header, IPMI 1.5 and 2.0 (RMCP+) session
 * headers, IPMI LAN messages with their checksums, and the RMCP+ integrity
 * (HMAC-SHA1-96) and confidentiality (AES-CBC-128) envelopes.
 *
 * Layouts follow the IPMI v2.0 specification, sections 13.6-13.8 (RMCP and
 * session headers), 13.28-13.29 (integrity, confidentiality). Multi-byte
 * session fields are little-endian on the wire.
 */
import { createCipheriv, createDecipheriv, createHmac, timingSafeEqual } from 'node:crypto';
import { StonithError } from '../errors.js';

export const RMCP_VERSION = 0x06;
export const RMCP_CLASS_IPMI = 0x07;
export const AUTH_TYPE_NONE = 0x00;
export const AUTH_TYPE_RMCP_PLUS = 0x06;

/** RMCP+ payload types (append-only: numbers are on the wire). */
export const PayloadType = {
  Ipmi: 0x00,
  OpenSessionRequest: 0x10,
  OpenSessionResponse: 0x11,
  Rakp1: 0x12,
  Rakp2: 0x13,
  Rakp3: 0x14,
  Rakp4: 0x15,
} as const;

export const BMC_SLAVE_ADDRESS = 0x20;
export const REMOTE_SOFTWARE_ID = 0x81;
export const INTEGRITY_AUTHCODE_BYTES = 12;
const AES_BLOCK_BYTES = 16;

/** Keys of an established RMCP+ session (derived in rakp.ts). */
export interface SessionKeys {
  /** HMAC-SHA1-96 key: K1. */
  readonly integrityKey: Buffer;
  /** AES-128 key: the first 16 bytes of K2. */
  readonly aesKey: Buffer;
}

export function rmcpHeader(): Buffer {
  // 0xff as the sequence number: no RMCP-level ACK is wanted.
  return Buffer.from([RMCP_VERSION, 0x00, 0xff, RMCP_CLASS_IPMI]);
}

/** Two's-complement checksum: the bytes plus the checksum sum to 0 mod 256. */
export function checksum(bytes: Uint8Array): number {
  let sum = 0;
  for (const b of bytes) sum = (sum + b) & 0xff;
  return (0x100 - sum) & 0xff;
}

export interface IpmiRequest {
  readonly netFn: number;
  readonly cmd: number;
  /** 6-bit requester sequence number, used to match a response to its request. */
  readonly rqSeq: number;
  readonly data: Uint8Array;
}

export interface IpmiResponse {
  readonly netFn: number;
  readonly cmd: number;
  readonly rqSeq: number;
  readonly completionCode: number;
  readonly data: Buffer;
}

export function encodeIpmiRequest(req: IpmiRequest): Buffer {
  const head = Buffer.from([BMC_SLAVE_ADDRESS, (req.netFn << 2) & 0xff]);
  const body = Buffer.concat([Buffer.from([REMOTE_SOFTWARE_ID, (req.rqSeq << 2) & 0xff, req.cmd]), Buffer.from(req.data)]);
  return Buffer.concat([head, Buffer.from([checksum(head)]), body, Buffer.from([checksum(body)])]);
}

export function decodeIpmiResponse(msg: Buffer): IpmiResponse {
  // rqAddr, netFn/rqLUN, chk1, rsAddr, rqSeq/rsLUN, cmd, completion code, data..., chk2
  if (msg.length < 8) throw protocol(`IPMI response of ${msg.length} bytes is too short`);
  if (checksum(msg.subarray(0, 2)) !== msg[2]) throw protocol('IPMI response header checksum is wrong');
  if (checksum(msg.subarray(3, msg.length - 1)) !== msg[msg.length - 1]) throw protocol('IPMI response body checksum is wrong');
  return {
    netFn: msg[1]! >> 2,
    rqSeq: msg[4]! >> 2,
    cmd: msg[5]!,
    completionCode: msg[6]!,
    data: Buffer.from(msg.subarray(7, msg.length - 1)),
  };
}

/** A pre-session IPMI 1.5 packet (used only for Get Channel Authentication Capabilities). */
export function encodeV15Packet(ipmiMessage: Buffer): Buffer {
  const session = Buffer.alloc(10);
  session[0] = AUTH_TYPE_NONE;
  // sequence number and session id stay 0 outside a session
  session[9] = ipmiMessage.length;
  return Buffer.concat([rmcpHeader(), session, ipmiMessage]);
}

export interface RmcpPlusPacket {
  readonly payloadType: number;
  readonly sessionId: number;
  readonly sequence: number;
  readonly payload: Buffer;
  readonly encrypted: boolean;
  readonly authenticated: boolean;
}

export interface EncodeOptions {
  readonly payloadType: number;
  readonly sessionId: number;
  readonly sequence: number;
  readonly payload: Uint8Array;
  /** When given, the packet is encrypted and signed with these keys. */
  readonly keys?: SessionKeys;
  /** 16 random bytes; required when `keys` is given. */
  readonly iv?: Buffer;
}

export function encodeRmcpPlus(opts: EncodeOptions): Buffer {
  const secured = opts.keys !== undefined;
  let payload = Buffer.from(opts.payload);
  if (secured) {
    if (!opts.iv || opts.iv.length !== AES_BLOCK_BYTES) throw new Error('an AES IV of 16 bytes is required');
    payload = encryptPayload(payload, opts.keys!.aesKey, opts.iv);
  }
  const header = Buffer.alloc(12);
  header[0] = AUTH_TYPE_RMCP_PLUS;
  header[1] = (opts.payloadType & 0x3f) | (secured ? 0xc0 : 0);
  header.writeUInt32LE(opts.sessionId >>> 0, 2);
  header.writeUInt32LE(opts.sequence >>> 0, 6);
  header.writeUInt16LE(payload.length, 10);
  const session = Buffer.concat([header, payload]);
  if (!secured) return Buffer.concat([rmcpHeader(), session]);
  // Integrity pad: authType..nextHeader must be a multiple of 4 bytes long.
  const padLength = (4 - ((session.length + 2) % 4)) % 4;
  const trailer = Buffer.concat([Buffer.alloc(padLength, 0xff), Buffer.from([padLength, RMCP_CLASS_IPMI])]);
  const signed = Buffer.concat([session, trailer]);
  const authCode = integrityCode(opts.keys!.integrityKey, signed);
  return Buffer.concat([rmcpHeader(), signed, authCode]);
}

/**
 * Decode any RMCP packet from a BMC. IPMI 1.5 packets come back with
 * payloadType Ipmi and sessionId 0. A secured packet is verified and
 * decrypted with `keys`; a bad signature raises, so forged packets never reach
 * the session logic.
 */
export function decodePacket(packet: Buffer, keys?: SessionKeys): RmcpPlusPacket {
  if (packet.length < 5 || packet[0] !== RMCP_VERSION || packet[3] !== RMCP_CLASS_IPMI) {
    throw protocol('not an RMCP/IPMI packet');
  }
  const session = packet.subarray(4);
  if (session[0] !== AUTH_TYPE_RMCP_PLUS) {
    if (session[0] !== AUTH_TYPE_NONE) throw protocol(`unexpected IPMI 1.5 auth type ${session[0]}`);
    if (session.length < 10) throw protocol('truncated IPMI 1.5 session header');
    const length = session[9]!;
    const payload = session.subarray(10, 10 + length);
    if (payload.length !== length) throw protocol('truncated IPMI 1.5 message');
    return {
      payloadType: PayloadType.Ipmi,
      sessionId: session.readUInt32LE(5),
      sequence: session.readUInt32LE(1),
      payload: Buffer.from(payload),
      encrypted: false,
      authenticated: false,
    };
  }
  if (session.length < 12) throw protocol('truncated RMCP+ session header');
  const typeByte = session[1]!;
  const encrypted = (typeByte & 0x80) !== 0;
  const authenticated = (typeByte & 0x40) !== 0;
  const payloadType = typeByte & 0x3f;
  const sessionId = session.readUInt32LE(2);
  const sequence = session.readUInt32LE(6);
  const length = session.readUInt16LE(10);
  let payload = session.subarray(12, 12 + length);
  if (payload.length !== length) throw protocol('truncated RMCP+ payload');
  if (authenticated) {
    if (!keys) throw protocol('an authenticated packet arrived before the session had keys');
    const signedEnd = session.length - INTEGRITY_AUTHCODE_BYTES;
    if (signedEnd < 12 + length + 2) throw protocol('truncated RMCP+ integrity trailer');
    const expected = integrityCode(keys.integrityKey, session.subarray(0, signedEnd));
    const got = session.subarray(signedEnd);
    if (got.length !== expected.length || !timingSafeEqual(got, expected)) {
      throw protocol('RMCP+ packet failed its integrity check');
    }
  }
  if (encrypted) {
    if (!keys) throw protocol('an encrypted packet arrived before the session had keys');
    payload = decryptPayload(Buffer.from(payload), keys.aesKey);
  }
  return { payloadType, sessionId, sequence, payload: Buffer.from(payload), encrypted, authenticated };
}

export function integrityCode(k1: Buffer, signed: Uint8Array): Buffer {
  return createHmac('sha1', k1).update(signed).digest().subarray(0, INTEGRITY_AUTHCODE_BYTES);
}

/** AES-CBC-128 with the spec's own padding: 1, 2, 3... then the pad length. */
export function encryptPayload(plain: Buffer, aesKey: Buffer, iv: Buffer): Buffer {
  const padLength = (AES_BLOCK_BYTES - ((plain.length + 1) % AES_BLOCK_BYTES)) % AES_BLOCK_BYTES;
  const pad = Buffer.alloc(padLength);
  for (let i = 0; i < padLength; i++) pad[i] = i + 1;
  const cipher = createCipheriv('aes-128-cbc', aesKey.subarray(0, 16), iv);
  cipher.setAutoPadding(false);
  const body = Buffer.concat([cipher.update(Buffer.concat([plain, pad, Buffer.from([padLength])])), cipher.final()]);
  return Buffer.concat([iv, body]);
}

export function decryptPayload(data: Buffer, aesKey: Buffer): Buffer {
  if (data.length < 2 * AES_BLOCK_BYTES || data.length % AES_BLOCK_BYTES !== 0) {
    throw protocol(`encrypted payload of ${data.length} bytes is not IV + whole AES blocks`);
  }
  const decipher = createDecipheriv('aes-128-cbc', aesKey.subarray(0, 16), data.subarray(0, AES_BLOCK_BYTES));
  decipher.setAutoPadding(false);
  const plain = Buffer.concat([decipher.update(data.subarray(AES_BLOCK_BYTES)), decipher.final()]);
  const padLength = plain[plain.length - 1]!;
  if (padLength >= AES_BLOCK_BYTES || padLength + 1 > plain.length) throw protocol('bad confidentiality pad length');
  return plain.subarray(0, plain.length - 1 - padLength);
}

function protocol(message: string): StonithError {
  return new StonithError('VIGIL_STONITH_PROTOCOL', `IPMI: ${message}`);
}
