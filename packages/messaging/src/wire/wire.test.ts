import { describe, expect, it } from 'vitest';
import { decodeHeartbeat, encodeHeartbeat, decodeLeave, encodeLeave, HB_PROBE, type Heartbeat } from './heartbeat.js';
import { decodeAccept, decodeCommit, decodePropose, decodeReject, encodeAccept, encodeCommit, encodePropose, encodeReject, REJECT_MEMBERS } from './agreement.js';
import { decodeAck, decodeData, encodeAck, encodeData, DATA_FIRST, DATA_LAST, type Data } from './data.js';
import { decodeBody, encodeBody, type WireMessage } from './message.js';
import { MessageType } from './types.js';
import { DecodeError } from '../errors.js';

describe('heartbeat codec', () => {
  const hb: Heartbeat = {
    flags: HB_PROBE,
    configDigest: 0xdeadbeef,
    echoIncarnation: 1_732_000_000_000 * 1024 + 77,
    heardLinks: 0b101,
    viewEpoch: 42,
    viewLeader: 3,
    promisedEpoch: 43,
    rows: [
      { node: 0, incarnation: 5, version: 9, peers: [1, 2, 15] },
      { node: 15, incarnation: 2 ** 52, version: 0, peers: [] },
    ],
  };

  it('round-trips every field, including 53-bit incarnations and sparse bitmaps', () => {
    expect(decodeHeartbeat(encodeHeartbeat(hb))).toEqual(hb);
  });

  it('rejects truncated and padded input with a DecodeError', () => {
    const bytes = encodeHeartbeat(hb);
    expect(() => decodeHeartbeat(bytes.subarray(0, bytes.length - 1))).toThrow(DecodeError);
    expect(() => decodeHeartbeat(Buffer.concat([bytes, Buffer.from([0])]))).toThrow(/trailing/);
  });

  it('leave has an empty body', () => {
    expect(encodeLeave().length).toBe(0);
    expect(decodeLeave(encodeLeave())).toEqual({});
  });
});

describe('agreement codecs', () => {
  const members = [{ node: 0, incarnation: 1 }, { node: 7, incarnation: 2 ** 50 + 3 }];
  it('propose and commit round-trip', () => {
    const p = { epoch: 0xfffffffe, leader: 0, members };
    expect(decodePropose(encodePropose(p))).toEqual(p);
    expect(decodeCommit(encodeCommit(p))).toEqual(p);
  });
  it('accept and reject round-trip', () => {
    expect(decodeAccept(encodeAccept({ epoch: 5, leader: 2 }))).toEqual({ epoch: 5, leader: 2 });
    const r = { epoch: 5, leader: 2, reason: REJECT_MEMBERS, maxEpoch: 9 };
    expect(decodeReject(encodeReject(r))).toEqual(r);
  });
});

describe('data codecs', () => {
  it('first fragment carries channel and total size; later ones do not', () => {
    const first: Data = { toIncarnation: 99, generation: 3, seq: 0, flags: DATA_FIRST, channel: 'cib', totalBytes: 5000, chunk: Buffer.from('hello') };
    expect(decodeData(encodeData(first))).toEqual(first);
    const last: Data = { toIncarnation: 99, generation: 3, seq: 1, flags: DATA_LAST, chunk: Buffer.alloc(0) };
    expect(decodeData(encodeData(last))).toEqual(last);
  });
  it('ack round-trips a full selective bitmap', () => {
    const a = { toIncarnation: 1, generation: 2, nextSeq: 3, selective: 0xffffffff };
    expect(decodeAck(encodeAck(a))).toEqual(a);
  });
});

describe('message dispatch', () => {
  it('decodes by type and refuses unknown types', () => {
    const m: WireMessage = { type: MessageType.Accept, body: { epoch: 1, leader: 1 } };
    expect(decodeBody(m.type, encodeBody(m))).toEqual(m);
    expect(() => decodeBody(200, Buffer.alloc(0))).toThrow(/unknown message type 200/);
  });
  it('keeps wire numbers stable (append-only enum)', () => {
    expect([MessageType.Heartbeat, MessageType.Leave, MessageType.Propose, MessageType.Accept, MessageType.Reject, MessageType.Commit, MessageType.Data, MessageType.Ack])
      .toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });
});
