import { Reader, Writer } from './buffer.js';

/** One node's adjacency row, relayed so every node can compute the same partition. */
export interface Row {
  node: number;
  incarnation: number;
  version: number;
  /** Indexes of the nodes this node is mutually connected with. */
  peers: number[];
}

export const HB_PROBE = 1;
export const HB_REPLY = 2;

export interface Heartbeat {
  /** HB_PROBE asks for an immediate reply; HB_REPLY marks that reply (never answered). */
  flags: number;
  configDigest: number;
  /** The receiver's incarnation as the sender hears it now; 0 when the sender does not hear it. */
  echoIncarnation: number;
  /** Bit k set: the sender hears the receiver on link k. */
  heardLinks: number;
  viewEpoch: number;
  /** Index of the installed view's leader, 0xffff when none. */
  viewLeader: number;
  promisedEpoch: number;
  rows: Row[];
}

export function encodeHeartbeat(hb: Heartbeat): Buffer {
  const w = new Writer(64 + hb.rows.length * 24)
    .u8(hb.flags)
    .u32(hb.configDigest)
    .u64(hb.echoIncarnation)
    .u32(hb.heardLinks)
    .u32(hb.viewEpoch)
    .u16(hb.viewLeader)
    .u32(hb.promisedEpoch)
    .u16(hb.rows.length);
  for (const r of hb.rows) w.u16(r.node).u64(r.incarnation).u32(r.version).bitmap(r.peers);
  return w.finish();
}

export function decodeHeartbeat(buf: Buffer): Heartbeat {
  const r = new Reader(buf);
  const hb: Heartbeat = {
    flags: r.u8('flags'),
    configDigest: r.u32('configDigest'),
    echoIncarnation: r.u64('echoIncarnation'),
    heardLinks: r.u32('heardLinks'),
    viewEpoch: r.u32('viewEpoch'),
    viewLeader: r.u16('viewLeader'),
    promisedEpoch: r.u32('promisedEpoch'),
    rows: [],
  };
  const n = r.u16('row count');
  for (let i = 0; i < n; i++) {
    hb.rows.push({ node: r.u16('row node'), incarnation: r.u64('row incarnation'), version: r.u32('row version'), peers: r.bitmap('row peers') });
  }
  r.end('heartbeat');
  return hb;
}

/** A graceful stop: the sender's incarnation (in the envelope) is gone for good. */
export function encodeLeave(): Buffer {
  return Buffer.alloc(0);
}

export function decodeLeave(buf: Buffer): Record<string, never> {
  new Reader(buf).end('leave');
  return {};
}
