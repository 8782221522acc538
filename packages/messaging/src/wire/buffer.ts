import { DecodeError } from '../errors.js';

const TWO_32 = 4294967296;

/** Growable big-endian writer; every wire codec writes through it. */
export class Writer {
  private buf: Buffer;
  private off = 0;

  constructor(initialBytes = 128) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  private ensure(n: number): void {
    if (this.off + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.off + n));
    this.buf.copy(next, 0, 0, this.off);
    this.buf = next;
  }

  u8(v: number): this {
    this.ensure(1);
    this.buf.writeUInt8(v, this.off);
    this.off += 1;
    return this;
  }

  u16(v: number): this {
    this.ensure(2);
    this.buf.writeUInt16BE(v, this.off);
    this.off += 2;
    return this;
  }

  u32(v: number): this {
    this.ensure(4);
    this.buf.writeUInt32BE(v >>> 0, this.off);
    this.off += 4;
    return this;
  }

  /** Unsigned integer up to 2^53, as two big-endian u32 halves. */
  u64(v: number): this {
    if (!Number.isSafeInteger(v) || v < 0) throw new DecodeError(`u64 out of range: ${v}`);
    this.u32(Math.floor(v / TWO_32));
    return this.u32(v % TWO_32);
  }

  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.off);
    this.off += b.length;
    return this;
  }

  /** Length-prefixed (u16) byte string. */
  blob16(b: Uint8Array): this {
    if (b.length > 0xffff) throw new DecodeError(`blob of ${b.length} bytes exceeds 65535`);
    this.u16(b.length);
    return this.bytes(b);
  }

  /** Length-prefixed (u8) UTF-8 string. */
  str8(s: string): this {
    const b = Buffer.from(s, 'utf8');
    if (b.length > 255) throw new DecodeError(`string of ${b.length} bytes exceeds 255`);
    this.u8(b.length);
    return this.bytes(b);
  }

  /** Set of small non-negative integers as a length-prefixed bitmap. */
  bitmap(members: Iterable<number>): this {
    let max = -1;
    for (const m of members) max = Math.max(max, m);
    const bytes = Buffer.alloc(max < 0 ? 0 : (max >> 3) + 1);
    for (const m of members) bytes[m >> 3]! |= 1 << (m & 7);
    return this.blob16(bytes);
  }

  finish(): Buffer {
    return this.buf.subarray(0, this.off);
  }
}

export class Reader {
  private off: number;

  constructor(private readonly buf: Buffer, offset = 0) {
    this.off = offset;
  }

  private need(n: number, what: string): void {
    if (this.off + n > this.buf.length) {
      throw new DecodeError(`truncated message: ${what} needs ${n} bytes at offset ${this.off} of ${this.buf.length}`);
    }
  }

  get remaining(): number {
    return this.buf.length - this.off;
  }

  u8(what = 'u8'): number {
    this.need(1, what);
    return this.buf.readUInt8(this.off++);
  }

  u16(what = 'u16'): number {
    this.need(2, what);
    const v = this.buf.readUInt16BE(this.off);
    this.off += 2;
    return v;
  }

  u32(what = 'u32'): number {
    this.need(4, what);
    const v = this.buf.readUInt32BE(this.off);
    this.off += 4;
    return v;
  }

  u64(what = 'u64'): number {
    const hi = this.u32(what);
    const lo = this.u32(what);
    const v = hi * TWO_32 + lo;
    if (!Number.isSafeInteger(v)) throw new DecodeError(`${what} exceeds 2^53`);
    return v;
  }

  bytes(n: number, what = 'bytes'): Buffer {
    this.need(n, what);
    const b = this.buf.subarray(this.off, this.off + n);
    this.off += n;
    return b;
  }

  blob16(what = 'blob'): Buffer {
    return this.bytes(this.u16(what), what);
  }

  str8(what = 'string'): string {
    return this.bytes(this.u8(what), what).toString('utf8');
  }

  bitmap(what = 'bitmap'): number[] {
    const b = this.blob16(what);
    const out: number[] = [];
    for (let i = 0; i < b.length; i++) {
      const byte = b[i]!;
      if (byte === 0) continue;
      for (let bit = 0; bit < 8; bit++) if (byte & (1 << bit)) out.push(i * 8 + bit);
    }
    return out;
  }

  rest(): Buffer {
    const b = this.buf.subarray(this.off);
    this.off = this.buf.length;
    return b;
  }

  end(what: string): void {
    if (this.off !== this.buf.length) {
      throw new DecodeError(`${what}: ${this.buf.length - this.off} unexpected trailing bytes`);
    }
  }
}
