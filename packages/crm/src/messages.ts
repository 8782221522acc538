/**
 * Peer messages of the election and replication protocol. The `type` tags go
 * on the wire: append new ones, never rename or reuse. Encoded as JSON behind a
 * version number so a later binary form can coexist.
 */
import { CrmError } from './errors.js';
import type { NodeId } from './quorum.js';
import type { CibChange, LogEntry, ProposalResult } from './types.js';

export const WIRE_VERSION = 1;

interface Envelope {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly term: number;
}

export interface VoteRequest extends Envelope {
  readonly type: 'vote';
  readonly lastTerm: number;
  readonly lastIndex: number;
}

export interface VoteReply extends Envelope {
  readonly type: 'vote-reply';
  readonly granted: boolean;
}

/** Heartbeat and replication in one: entry is sent only to peers known to lack it. */
export interface Append<D> extends Envelope {
  readonly type: 'append';
  readonly round: number;
  readonly entry: LogEntry<D> | null;
  readonly commitIndex: number;
  /** two_node: the DC still treats the receiver as fenced and commits without it. */
  readonly solo?: boolean;
}

export interface AppendReply extends Envelope {
  readonly type: 'append-reply';
  readonly round: number;
  readonly ok: boolean;
  readonly lastTerm: number;
  readonly lastIndex: number;
}

export interface Propose<D> extends Envelope {
  readonly type: 'propose';
  readonly origin: string;
  readonly seq: number;
  readonly change: CibChange<D>;
}

export interface ProposeReply extends Envelope {
  readonly type: 'propose-reply';
  readonly origin: string;
  readonly seq: number;
  readonly result: ProposalResult;
}

/**
 * Pre-vote (raft §9.6): "would you vote for me in `term`?" Nobody changes
 * state on it, so a node that merely lost a few heartbeats cannot bump the
 * term and depose a DC the rest of the cluster still follows.
 */
export interface PreVoteRequest extends Envelope {
  readonly type: 'prevote';
  readonly lastTerm: number;
  readonly lastIndex: number;
}

/** A grant echoes the proposed term (answers to an older pre-vote are told apart); a refusal carries the voter's term. */
export interface PreVoteReply extends Envelope {
  readonly type: 'prevote-reply';
  readonly granted: boolean;
}

/** "I am shutting down cleanly": peers mark the sender lost, not unclean, so it is not fenced. */
export interface Leave extends Envelope {
  readonly type: 'leave';
}

export type CrmMessage<D> = VoteRequest | VoteReply | Append<D> | AppendReply | Propose<D> | ProposeReply | PreVoteRequest | PreVoteReply | Leave;

export const CHANNEL = 'crm';

export function encodeMessage<D>(message: CrmMessage<D>): string {
  return JSON.stringify({ v: WIRE_VERSION, ...message });
}

const NUMBER_FIELDS: Record<CrmMessage<unknown>['type'], readonly string[]> = {
  vote: ['lastTerm', 'lastIndex'],
  'vote-reply': [],
  append: ['round', 'commitIndex'],
  'append-reply': ['round', 'lastTerm', 'lastIndex'],
  propose: ['seq'],
  'propose-reply': ['seq'],
  prevote: ['lastTerm', 'lastIndex'],
  'prevote-reply': [],
  leave: [],
};

export function decodeMessage<D>(text: string): CrmMessage<D> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new CrmError('VIGIL_CRM_BAD_MESSAGE', 'crm message: not JSON');
  }
  if (typeof value !== 'object' || value === null) throw new CrmError('VIGIL_CRM_BAD_MESSAGE', 'crm message: not an object');
  const record = value as Record<string, unknown>;
  if (record['v'] !== WIRE_VERSION) throw new CrmError('VIGIL_CRM_BAD_MESSAGE', `crm message: unsupported wire version ${String(record['v'])}`);
  const type = record['type'];
  if (typeof type !== 'string' || !(type in NUMBER_FIELDS)) {
    throw new CrmError('VIGIL_CRM_BAD_MESSAGE', `crm message: unknown type ${String(type)}`);
  }
  for (const field of ['from', 'to', 'term', ...NUMBER_FIELDS[type as CrmMessage<D>['type']]]) {
    if (typeof record[field] !== 'number' || !Number.isFinite(record[field])) {
      throw new CrmError('VIGIL_CRM_BAD_MESSAGE', `crm message ${type}: field ${field} is not a number`);
    }
  }
  delete record['v'];
  return record as unknown as CrmMessage<D>;
}
