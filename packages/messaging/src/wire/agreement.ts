import { Reader, Writer } from './buffer.js';

export interface Member {
  node: number;
  incarnation: number;
}

/** Leader asks every member to agree to a view. */
export interface Propose {
  epoch: number;
  leader: number;
  members: Member[];
}

export interface Accept {
  epoch: number;
  leader: number;
}

export const REJECT_EPOCH = 1;
export const REJECT_MEMBERS = 2;

export interface Reject {
  epoch: number;
  leader: number;
  reason: number;
  /** Highest epoch the rejecting node has seen, so the leader can outbid it. */
  maxEpoch: number;
}

/** Sent once every member accepted: the view is installed. */
export type Commit = Propose;

function writeMembers(w: Writer, members: Member[]): void {
  w.u16(members.length);
  for (const m of members) w.u16(m.node).u64(m.incarnation);
}

function readMembers(r: Reader): Member[] {
  const n = r.u16('member count');
  const out: Member[] = [];
  for (let i = 0; i < n; i++) out.push({ node: r.u16('member node'), incarnation: r.u64('member incarnation') });
  return out;
}

export function encodePropose(p: Propose): Buffer {
  const w = new Writer().u32(p.epoch).u16(p.leader);
  writeMembers(w, p.members);
  return w.finish();
}

export function decodePropose(buf: Buffer): Propose {
  const r = new Reader(buf);
  const p = { epoch: r.u32('epoch'), leader: r.u16('leader'), members: readMembers(r) };
  r.end('propose');
  return p;
}

export const encodeCommit = encodePropose;
export const decodeCommit = decodePropose;

export function encodeAccept(a: Accept): Buffer {
  return new Writer(8).u32(a.epoch).u16(a.leader).finish();
}

export function decodeAccept(buf: Buffer): Accept {
  const r = new Reader(buf);
  const a = { epoch: r.u32('epoch'), leader: r.u16('leader') };
  r.end('accept');
  return a;
}

export function encodeReject(x: Reject): Buffer {
  return new Writer(16).u32(x.epoch).u16(x.leader).u8(x.reason).u32(x.maxEpoch).finish();
}

export function decodeReject(buf: Buffer): Reject {
  const r = new Reader(buf);
  const x = { epoch: r.u32('epoch'), leader: r.u16('leader'), reason: r.u8('reason'), maxEpoch: r.u32('maxEpoch') };
  r.end('reject');
  return x;
}
