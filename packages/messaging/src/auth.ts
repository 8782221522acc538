import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { promises as fsp, constants as fsConstants } from 'node:fs';
import * as path from 'node:path';
import { AuthKeyError } from './errors.js';
import { WIRE_VERSION } from './wire/types.js';

export type AuthScheme = 'hmac-sha256' | 'aes-256-gcm';

const SCHEME_CODE: Record<AuthScheme, number> = { 'hmac-sha256': 1, 'aes-256-gcm': 2 };
export const MIN_KEY_BYTES = 32;
export const DEFAULT_KEY_BYTES = 64;
const SALT = Buffer.from('vigil-messaging-v1');

/**
 * Envelope, clear on the wire (authenticated in both schemes):
 *   0 version u8 | 1 scheme u8 | 2 keyId u32 | 6 sender node id u32 |
 *   10 incarnation u64 | 18 packet seq u48 | 24 message type u8 | 25 body…
 * followed by a 32-byte HMAC tag or a 16-byte GCM tag (the body then being ciphertext).
 */
export const HEADER_BYTES = 25;

export interface EnvelopeHeader {
  version: number;
  scheme: number;
  keyId: number;
  sender: number;
  incarnation: number;
  seq: number;
  type: number;
}

export function parseHeader(packet: Buffer): EnvelopeHeader | null {
  if (packet.length < HEADER_BYTES) return null;
  return {
    version: packet[0]!,
    scheme: packet[1]!,
    keyId: packet.readUInt32BE(2),
    sender: packet.readUInt32BE(6),
    incarnation: packet.readUInt32BE(10) * 4294967296 + packet.readUInt32BE(14),
    seq: packet.readUIntBE(18, 6),
    type: packet[24]!,
  };
}

/** What MessagingNode needs from a packet authenticator. */
export interface PacketSealer {
  readonly tagBytes: number;
  seal(sender: number, incarnation: number, seq: number, type: number, body: Buffer): Buffer;
  matches(h: EnvelopeHeader): boolean;
  open(packet: Buffer, h: EnvelopeHeader): Buffer | null;
}

/**
 * Seals and opens packets with the cluster key. The key file's bytes are never
 * used directly: HKDF derives one key per purpose, and for GCM one key per
 * (sender, incarnation) so that the packet seq alone makes every nonce unique.
 */
export class PacketAuth implements PacketSealer {
  readonly scheme: AuthScheme;
  readonly keyId: number;
  private readonly schemeCode: number;
  private readonly hmacKey: Buffer;
  private readonly gcmMaster: Buffer;
  private readonly gcmKeys = new Map<string, Buffer>();

  constructor(key: Buffer, scheme: AuthScheme) {
    if (key.length < MIN_KEY_BYTES) throw new AuthKeyError(`cluster key has ${key.length} bytes, at least ${MIN_KEY_BYTES} are required`);
    this.scheme = scheme;
    this.schemeCode = SCHEME_CODE[scheme];
    this.keyId = Buffer.from(hkdfSync('sha256', key, SALT, 'key-id', 4)).readUInt32BE(0);
    this.hmacKey = Buffer.from(hkdfSync('sha256', key, SALT, 'hmac-sha256', 32));
    this.gcmMaster = Buffer.from(hkdfSync('sha256', key, SALT, 'aes-256-gcm', 32));
  }

  get tagBytes(): number {
    return this.scheme === 'hmac-sha256' ? 32 : 16;
  }

  seal(sender: number, incarnation: number, seq: number, type: number, body: Buffer): Buffer {
    const out = Buffer.allocUnsafe(HEADER_BYTES + body.length + this.tagBytes);
    writeHeader(out, this.schemeCode, this.keyId, sender, incarnation, seq, type);
    const header = out.subarray(0, HEADER_BYTES);
    if (this.scheme === 'hmac-sha256') {
      body.copy(out, HEADER_BYTES);
      createHmac('sha256', this.hmacKey).update(out.subarray(0, HEADER_BYTES + body.length)).digest().copy(out, HEADER_BYTES + body.length);
    } else {
      const cipher = createCipheriv('aes-256-gcm', this.senderKey(sender, incarnation), nonce(seq));
      cipher.setAAD(header);
      const ct = cipher.update(body);
      ct.copy(out, HEADER_BYTES);
      const fin = cipher.final();
      fin.copy(out, HEADER_BYTES + ct.length);
      cipher.getAuthTag().copy(out, HEADER_BYTES + body.length);
    }
    return out;
  }

  /** Whether the header names this cluster's key and scheme (else the packet is foreign). */
  matches(h: EnvelopeHeader): boolean {
    return h.version === WIRE_VERSION && h.scheme === this.schemeCode && h.keyId === this.keyId;
  }

  /** The authenticated body, or null when the tag does not verify (forged or corrupted). */
  open(packet: Buffer, h: EnvelopeHeader): Buffer | null {
    const bodyEnd = packet.length - this.tagBytes;
    if (bodyEnd < HEADER_BYTES) return null;
    const tag = packet.subarray(bodyEnd);
    if (this.scheme === 'hmac-sha256') {
      const expected = createHmac('sha256', this.hmacKey).update(packet.subarray(0, bodyEnd)).digest();
      return timingSafeEqual(expected, tag) ? packet.subarray(HEADER_BYTES, bodyEnd) : null;
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.senderKey(h.sender, h.incarnation), nonce(h.seq));
      decipher.setAAD(packet.subarray(0, HEADER_BYTES));
      decipher.setAuthTag(tag);
      const plain = decipher.update(packet.subarray(HEADER_BYTES, bodyEnd));
      const fin = decipher.final();
      return fin.length === 0 ? plain : Buffer.concat([plain, fin]);
    } catch {
      return null;
    }
  }

  private senderKey(sender: number, incarnation: number): Buffer {
    const id = `${sender}/${incarnation}`;
    let k = this.gcmKeys.get(id);
    if (!k) {
      // Bounded: a flood of forged (sender, incarnation) pairs must not grow memory.
      if (this.gcmKeys.size >= 1024) this.gcmKeys.clear();
      k = Buffer.from(hkdfSync('sha256', this.gcmMaster, SALT, `sender ${id}`, 32));
      this.gcmKeys.set(id, k);
    }
    return k;
  }
}

/**
 * NOT SECURE — simulations only (thousands of seeded runs, where crypto would
 * dominate the run time). Same envelope and checks as PacketAuth, but the tag
 * is a 32-bit FNV-1a checksum: corrupted packets still count as forged, replay
 * and stale handling are unchanged. Only reachable through the simulator.
 */
export class ChecksumSealer implements PacketSealer {
  readonly tagBytes = 4;
  private readonly inner: PacketAuth;

  constructor(key: Buffer) {
    this.inner = new PacketAuth(key, 'hmac-sha256');
  }

  seal(sender: number, incarnation: number, seq: number, type: number, body: Buffer): Buffer {
    const out = Buffer.allocUnsafe(HEADER_BYTES + body.length + 4);
    writeHeader(out, SCHEME_CODE['hmac-sha256'], this.inner.keyId, sender, incarnation, seq, type);
    body.copy(out, HEADER_BYTES);
    out.writeUInt32BE(fnv1a(out.subarray(0, out.length - 4)), out.length - 4);
    return out;
  }

  matches(h: EnvelopeHeader): boolean {
    return this.inner.matches(h);
  }

  open(packet: Buffer, _h: EnvelopeHeader): Buffer | null {
    const end = packet.length - 4;
    if (end < HEADER_BYTES) return null;
    return packet.readUInt32BE(end) === fnv1a(packet.subarray(0, end)) ? packet.subarray(HEADER_BYTES, end) : null;
  }
}

function writeHeader(out: Buffer, schemeCode: number, keyId: number, sender: number, incarnation: number, seq: number, type: number): void {
  out[0] = WIRE_VERSION;
  out[1] = schemeCode;
  out.writeUInt32BE(keyId, 2);
  out.writeUInt32BE(sender, 6);
  out.writeUInt32BE(Math.floor(incarnation / 4294967296), 10);
  out.writeUInt32BE(incarnation % 4294967296, 14);
  out.writeUIntBE(seq, 18, 6);
  out[24] = type;
}

function fnv1a(b: Buffer): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return h >>> 0;
}

function nonce(seq: number): Buffer {
  const n = Buffer.alloc(12);
  n.writeUIntBE(seq, 6, 6);
  return n;
}

export type ReplayVerdict = 'fresh' | 'new-incarnation' | 'stale' | 'replayed';

/**
 * Per-sender anti-replay: packets of an older incarnation are stale, and within
 * the current incarnation each seq is accepted once, inside a sliding window.
 */
export class ReplayWindow {
  static readonly WINDOW = 1024;
  incarnation = 0;
  private maxSeq = -1;
  private readonly seen = new Uint8Array(ReplayWindow.WINDOW);

  /** Cheap check before spending crypto on the packet. */
  isStale(incarnation: number): boolean {
    return incarnation < this.incarnation;
  }

  /** Call only for authenticated packets: records the seq. */
  accept(incarnation: number, seq: number): ReplayVerdict {
    const W = ReplayWindow.WINDOW;
    if (incarnation < this.incarnation) return 'stale';
    let verdict: ReplayVerdict = 'fresh';
    if (incarnation > this.incarnation) {
      verdict = this.incarnation === 0 ? 'fresh' : 'new-incarnation';
      this.incarnation = incarnation;
      this.maxSeq = -1;
      this.seen.fill(0);
    }
    if (seq > this.maxSeq) {
      const gap = seq - this.maxSeq;
      if (gap >= W) this.seen.fill(0);
      else for (let s = this.maxSeq + 1; s < seq; s++) this.seen[s % W] = 0;
      this.maxSeq = seq;
      this.seen[seq % W] = 1;
      return verdict;
    }
    if (seq <= this.maxSeq - W) return 'replayed';
    if (this.seen[seq % W]) return 'replayed';
    this.seen[seq % W] = 1;
    return verdict;
  }
}

export function generateAuthKey(bytes = DEFAULT_KEY_BYTES): Buffer {
  if (!Number.isInteger(bytes) || bytes < MIN_KEY_BYTES || bytes > 4096) {
    throw new AuthKeyError(`key size ${bytes} is invalid: use ${MIN_KEY_BYTES} to 4096 bytes`);
  }
  return randomBytes(bytes);
}

/** Reads the cluster key file; refuses files other users could read, like ssh does for keys. */
export async function readAuthKeyFile(file: string): Promise<Buffer> {
  let stat;
  try {
    stat = await fsp.stat(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new AuthKeyError(code === 'ENOENT'
      ? `authkey file ${file} does not exist (create it with 'vigil cluster keygen --out ${file}')`
      : `cannot read authkey file ${file}: ${code ?? String(e)}`);
  }
  if (!stat.isFile()) throw new AuthKeyError(`authkey file ${file} is not a regular file`);
  if ((stat.mode & 0o077) !== 0) {
    throw new AuthKeyError(`authkey file ${file} has mode ${(stat.mode & 0o777).toString(8).padStart(4, '0')}; it must not be readable by group or others (chmod 600 ${file})`);
  }
  const key = await fsp.readFile(file);
  if (key.length < MIN_KEY_BYTES) throw new AuthKeyError(`authkey file ${file} holds ${key.length} bytes; at least ${MIN_KEY_BYTES} are required`);
  return key;
}

export interface WriteAuthKeyOptions {
  force?: boolean;
  bytes?: number;
}

/**
 * Writes a fresh random key with mode 0600. Without `force` an existing file is
 * never touched; with it the new key replaces the old one atomically (rename).
 */
export async function writeAuthKeyFile(file: string, opts: WriteAuthKeyOptions = {}): Promise<void> {
  const key = generateAuthKey(opts.bytes ?? DEFAULT_KEY_BYTES);
  const dir = path.dirname(path.resolve(file));
  await fsp.mkdir(dir, { recursive: true, mode: 0o755 }).catch((e: NodeJS.ErrnoException) => {
    throw new AuthKeyError(`cannot create directory ${dir} for authkey file: ${e.code ?? String(e)}`);
  });
  if (!opts.force) {
    let handle;
    try {
      handle = await fsp.open(file, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o600);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new AuthKeyError(code === 'EEXIST'
        ? `authkey file ${file} already exists; use --force to replace it (every node then needs the new key)`
        : `cannot create authkey file ${file}: ${code ?? String(e)}`);
    }
    try {
      await handle.writeFile(key);
      await handle.sync();
    } finally {
      await handle.close();
    }
    return;
  }
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    const handle = await fsp.open(tmp, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o600);
    try {
      await handle.writeFile(key);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fsp.rename(tmp, file);
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    throw new AuthKeyError(`cannot write authkey file ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}
