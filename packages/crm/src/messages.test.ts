import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, type CrmMessage } from './messages.js';

const samples: CrmMessage<{ x: number }>[] = [
  { type: 'vote', from: 1, to: 2, term: 3, lastTerm: 2, lastIndex: 9 },
  { type: 'vote-reply', from: 2, to: 1, term: 3, granted: true },
  { type: 'append', from: 1, to: 3, term: 3, round: 17, entry: { term: 3, index: 10, doc: { x: 1 }, applied: { '2.ab': 4 } }, commitIndex: 9 },
  { type: 'append', from: 1, to: 3, term: 3, round: 18, entry: null, commitIndex: 10 },
  { type: 'append-reply', from: 3, to: 1, term: 3, round: 18, ok: true, lastTerm: 3, lastIndex: 10 },
  { type: 'propose', from: 2, to: 1, term: 3, origin: '2.ab', seq: 5, change: { kind: 'attribute', node: 'n2', name: 'pingd', value: null } },
  { type: 'leave', from: 2, to: 3, term: 9 },
  { type: 'prevote', from: 4, to: 1, term: 8, lastTerm: 7, lastIndex: 30 },
  { type: 'prevote-reply', from: 1, to: 4, term: 8, granted: false },
  { type: 'propose-reply', from: 1, to: 2, term: 3, origin: '2.ab', seq: 5, result: { ok: false, code: 'VIGIL_CRM_STALE_VERSION', message: 'stale' } },
];

describe('crm wire messages', () => {
  it('round-trip every message type', () => {
    for (const message of samples) expect(decodeMessage(encodeMessage(message))).toEqual(message);
  });

  it('reject what is not a crm message, naming the problem', () => {
    expect(() => decodeMessage('{')).toThrow(/not JSON/);
    expect(() => decodeMessage('{"v":2,"type":"vote"}')).toThrow(/unsupported wire version 2/);
    expect(() => decodeMessage('{"v":1,"type":"hello"}')).toThrow(/unknown type hello/);
    expect(() => decodeMessage('{"v":1,"type":"vote","from":1,"to":2,"term":"3"}')).toThrow(/field term is not a number/);
  });
});
