import { Reader, Writer } from './buffer.js';

export const DATA_FIRST = 1;
export const DATA_LAST = 2;

/** One fragment of a reliable, ordered node-to-node message. */
export interface Data {
  /** The receiver's incarnation; data meant for an earlier life of the receiver is dropped. */
  toIncarnation: number;
  /** Bumped when the sender resets the stream (peer restart, timeout); seqs restart at 0. */
  generation: number;
  seq: number;
  flags: number;
  /** Present on the first fragment only. */
  channel?: string;
  /** Whole message length, on the first fragment only. */
  totalBytes?: number;
  chunk: Buffer;
}

/** Cumulative acknowledgement plus a selective bitmap of the 32 seqs after it. */
export interface Ack {
  toIncarnation: number;
  generation: number;
  /** Next seq the receiver expects: everything below it was delivered. */
  nextSeq: number;
  /** Bit i set: seq nextSeq + 1 + i was received out of order. */
  selective: number;
}

export function dataHeaderBytes(channel: string | undefined): number {
  return 8 + 4 + 4 + 1 + (channel === undefined ? 0 : 1 + Buffer.byteLength(channel) + 4);
}

export function encodeData(d: Data): Buffer {
  const w = new Writer(dataHeaderBytes(d.channel) + d.chunk.length)
    .u64(d.toIncarnation)
    .u32(d.generation)
    .u32(d.seq)
    .u8(d.flags);
  if (d.flags & DATA_FIRST) w.str8(d.channel ?? '').u32(d.totalBytes ?? 0);
  return w.bytes(d.chunk).finish();
}

export function decodeData(buf: Buffer): Data {
  const r = new Reader(buf);
  const d: Data = { toIncarnation: r.u64('toIncarnation'), generation: r.u32('generation'), seq: r.u32('seq'), flags: r.u8('flags'), chunk: Buffer.alloc(0) };
  if (d.flags & DATA_FIRST) {
    d.channel = r.str8('channel');
    d.totalBytes = r.u32('totalBytes');
  }
  d.chunk = r.rest();
  return d;
}

export function encodeAck(a: Ack): Buffer {
  return new Writer(20).u64(a.toIncarnation).u32(a.generation).u32(a.nextSeq).u32(a.selective).finish();
}

export function decodeAck(buf: Buffer): Ack {
  const r = new Reader(buf);
  const a = { toIncarnation: r.u64('toIncarnation'), generation: r.u32('generation'), nextSeq: r.u32('nextSeq'), selective: r.u32('selective') };
  r.end('ack');
  return a;
}
