/**
 * RMCP+ session establishment, pure: Open Session and RAKP messages 1-4 for
 * cipher suite 3 (RAKP-HMAC-SHA1, HMAC-SHA1-96, AES-CBC-128), and the key
 * derivation SIK -> K1, K2 (IPMI v2.0 sections 13.17-13.32).
 *
 * Naming follows the spec: "m" is the remote console (us), "c" the managed
 * system (the BMC). Random numbers come in as parameters so tests can pin them.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { StonithError } from '../errors.js';
import type { SessionKeys } from './wire.js';

export const AuthAlgorithm = { RakpHmacSha1: 0x01 } as const;
export const IntegrityAlgorithm = { HmacSha1_96: 0x01 } as const;
export const ConfidentialityAlgorithm = { AesCbc128: 0x01 } as const;

/** IPMI privilege levels (append-only: numbers are on the wire). */
export const PrivilegeLevel = { callback: 1, user: 2, operator: 3, administrator: 4 } as const;
export type PrivilegeName = keyof typeof PrivilegeLevel;

/** Bit 4 of the RAKP 1 role byte: look the user up by name only, not by name and role. */
export const NAME_ONLY_LOOKUP = 0x10;

const RMCP_PLUS_STATUS: Record<number, string> = {
  0x01: 'insufficient resources to create a session',
  0x02: 'invalid session id',
  0x03: 'invalid payload type',
  0x04: 'invalid authentication algorithm',
  0x05: 'invalid integrity algorithm',
  0x06: 'no matching authentication payload',
  0x07: 'no matching integrity payload',
  0x08: 'inactive session id',
  0x09: 'invalid role',
  0x0a: 'unauthorized role or privilege level requested',
  0x0b: 'insufficient resources to create a session at the requested role',
  0x0c: 'invalid name length',
  0x0d: 'unauthorized name',
  0x0e: 'unauthorized GUID',
  0x0f: 'invalid integrity check value',
  0x10: 'invalid confidentiality algorithm',
  0x11: 'no cipher suite match with proposed security algorithms',
  0x12: 'illegal or unrecognized parameter',
};

export function rmcpPlusStatusText(status: number): string {
  return RMCP_PLUS_STATUS[status] ?? `status 0x${status.toString(16).padStart(2, '0')}`;
}

export interface OpenSessionRequest {
  readonly tag: number;
  readonly consoleSessionId: number;
  readonly privilege: number;
}

export function encodeOpenSessionRequest(req: OpenSessionRequest): Buffer {
  const msg = Buffer.alloc(32);
  msg[0] = req.tag;
  msg[1] = req.privilege;
  msg.writeUInt32LE(req.consoleSessionId >>> 0, 4);
  algorithmRecord(AuthAlgorithm.RakpHmacSha1, 0x00).copy(msg, 8);
  algorithmRecord(IntegrityAlgorithm.HmacSha1_96, 0x01).copy(msg, 16);
  algorithmRecord(ConfidentialityAlgorithm.AesCbc128, 0x02).copy(msg, 24);
  return msg;
}

function algorithmRecord(algorithm: number, payloadKind: number): Buffer {
  return Buffer.from([payloadKind, 0, 0, 0x08, algorithm, 0, 0, 0]);
}

export interface OpenSessionResponse {
  readonly tag: number;
  readonly status: number;
  readonly privilege: number;
  readonly consoleSessionId: number;
  readonly bmcSessionId: number;
}

export function decodeOpenSessionResponse(msg: Buffer): OpenSessionResponse {
  if (msg.length < 2) throw protocol('Open Session response is too short');
  const status = msg[1]!;
  // Error responses may stop right after the console session id.
  if (status !== 0) {
    return { tag: msg[0]!, status, privilege: 0, consoleSessionId: msg.length >= 8 ? msg.readUInt32LE(4) : 0, bmcSessionId: 0 };
  }
  if (msg.length < 36) throw protocol(`Open Session response of ${msg.length} bytes is too short`);
  if (msg[12 + 4] !== AuthAlgorithm.RakpHmacSha1 || msg[20 + 4] !== IntegrityAlgorithm.HmacSha1_96 || msg[28 + 4] !== ConfidentialityAlgorithm.AesCbc128) {
    throw protocol('the BMC chose algorithms other than the proposed cipher suite 3');
  }
  return {
    tag: msg[0]!,
    status,
    privilege: msg[2]!,
    consoleSessionId: msg.readUInt32LE(4),
    bmcSessionId: msg.readUInt32LE(8),
  };
}

export interface Rakp1 {
  readonly tag: number;
  readonly bmcSessionId: number;
  readonly consoleRandom: Buffer;
  /** The role byte as sent: privilege level, optionally with NAME_ONLY_LOOKUP. */
  readonly role: number;
  readonly username: Buffer;
}

export function encodeRakp1(m: Rakp1): Buffer {
  const msg = Buffer.alloc(28 + m.username.length);
  msg[0] = m.tag;
  msg.writeUInt32LE(m.bmcSessionId >>> 0, 4);
  m.consoleRandom.copy(msg, 8);
  msg[24] = m.role;
  msg[27] = m.username.length;
  m.username.copy(msg, 28);
  return msg;
}

export interface Rakp2 {
  readonly tag: number;
  readonly status: number;
  readonly consoleSessionId: number;
  readonly bmcRandom: Buffer;
  readonly bmcGuid: Buffer;
  readonly authCode: Buffer;
}

export function decodeRakp2(msg: Buffer): Rakp2 {
  if (msg.length < 8) throw protocol('RAKP message 2 is too short');
  const status = msg[1]!;
  const empty = Buffer.alloc(0);
  if (status !== 0) return { tag: msg[0]!, status, consoleSessionId: msg.readUInt32LE(4), bmcRandom: empty, bmcGuid: empty, authCode: empty };
  if (msg.length < 40 + 20) throw protocol(`RAKP message 2 of ${msg.length} bytes is too short`);
  return {
    tag: msg[0]!,
    status,
    consoleSessionId: msg.readUInt32LE(4),
    bmcRandom: Buffer.from(msg.subarray(8, 24)),
    bmcGuid: Buffer.from(msg.subarray(24, 40)),
    authCode: Buffer.from(msg.subarray(40, 60)),
  };
}

export function encodeRakp3(tag: number, status: number, bmcSessionId: number, authCode: Buffer): Buffer {
  const msg = Buffer.alloc(8 + authCode.length);
  msg[0] = tag;
  msg[1] = status;
  msg.writeUInt32LE(bmcSessionId >>> 0, 4);
  authCode.copy(msg, 8);
  return msg;
}

export interface Rakp4 {
  readonly tag: number;
  readonly status: number;
  readonly consoleSessionId: number;
  readonly integrityCheck: Buffer;
}

export function decodeRakp4(msg: Buffer): Rakp4 {
  if (msg.length < 8) throw protocol('RAKP message 4 is too short');
  return {
    tag: msg[0]!,
    status: msg[1]!,
    consoleSessionId: msg.readUInt32LE(4),
    integrityCheck: Buffer.from(msg.subarray(8, 20)),
  };
}

/** Everything both sides hash during the RAKP exchange. */
export interface RakpContext {
  readonly consoleSessionId: number;
  readonly bmcSessionId: number;
  readonly consoleRandom: Buffer;
  readonly bmcRandom: Buffer;
  readonly bmcGuid: Buffer;
  readonly role: number;
  readonly username: Buffer;
  /** Kuid: the user's password. */
  readonly password: Buffer;
  /** Kg: the BMC key, when the BMC has one; otherwise Kuid is used. */
  readonly bmcKey?: Buffer;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0, 0);
  return b;
}

function hmacSha1(key: Buffer, ...parts: Buffer[]): Buffer {
  const h = createHmac('sha1', key);
  for (const p of parts) h.update(p);
  return h.digest();
}

function roleAndName(ctx: RakpContext): Buffer {
  return Buffer.concat([Buffer.from([ctx.role, ctx.username.length]), ctx.username]);
}

/** What the BMC must have put in RAKP 2 if it knows the same password. */
export function expectedRakp2AuthCode(ctx: RakpContext): Buffer {
  return hmacSha1(ctx.password, u32(ctx.consoleSessionId), u32(ctx.bmcSessionId), ctx.consoleRandom, ctx.bmcRandom, ctx.bmcGuid, roleAndName(ctx));
}

export function rakp3AuthCode(ctx: RakpContext): Buffer {
  return hmacSha1(ctx.password, ctx.bmcRandom, u32(ctx.consoleSessionId), roleAndName(ctx));
}

export function sessionIntegrityKey(ctx: RakpContext): Buffer {
  return hmacSha1(ctx.bmcKey ?? ctx.password, ctx.consoleRandom, ctx.bmcRandom, roleAndName(ctx));
}

export function deriveSessionKeys(sik: Buffer): SessionKeys {
  const k1 = hmacSha1(sik, Buffer.alloc(20, 0x01));
  const k2 = hmacSha1(sik, Buffer.alloc(20, 0x02));
  return { integrityKey: k1, aesKey: k2.subarray(0, 16) };
}

/** What the BMC must have put in RAKP 4: HMAC-SHA1-96 under SIK. */
export function expectedRakp4IntegrityCheck(ctx: RakpContext, sik: Buffer): Buffer {
  return hmacSha1(sik, ctx.consoleRandom, u32(ctx.bmcSessionId), ctx.bmcGuid).subarray(0, 12);
}

export function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** IPMI passwords are at most 20 bytes (16 for IPMI 1.5 users); HMAC pads shorter keys itself. */
export function passwordKey(password: string): Buffer {
  const key = Buffer.from(password, 'utf8');
  if (key.length > 20) throw new StonithError('VIGIL_STONITH_BAD_PARAM', 'IPMI: password is longer than 20 bytes');
  return key;
}

function protocol(message: string): StonithError {
  return new StonithError('VIGIL_STONITH_PROTOCOL', `IPMI: ${message}`);
}
