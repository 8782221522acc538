/**
 * Shapes shared by the replication core, its messages and its stores. The CIB
 * document is opaque here (type parameter D): the core needs only its version
 * triple, a validator and an attribute setter, injected as CibOps.
 */
import type { NodeId } from './quorum.js';

export interface CibVersion {
  readonly adminEpoch: number;
  readonly epoch: number;
  readonly numUpdates: number;
}

export function compareVersions(a: CibVersion, b: CibVersion): number {
  return a.adminEpoch - b.adminEpoch || a.epoch - b.epoch || a.numUpdates - b.numUpdates;
}

export function formatVersion(v: CibVersion): string {
  return `${v.adminEpoch}.${v.epoch}.${v.numUpdates}`;
}

/** What the core needs to know about a CIB document. Documents must survive JSON. */
export interface CibOps<D> {
  /** The document a brand-new cluster starts from. */
  initial(): D;
  version(doc: D): CibVersion;
  withVersion(doc: D, version: CibVersion): D;
  /** null when the document is acceptable; otherwise why it is not (refused whole). */
  validate(doc: D): string | null;
  /**
   * True when two documents have the same configuration (they may differ in
   * status). A replace that changes only the status is a status update:
   * it advances num_updates, not epoch, as in Pacemaker.
   */
  sameConfiguration?(a: D, b: D): boolean;
  /** Writes (or, with null, removes) a transient node attribute in the status section. */
  setNodeAttribute(doc: D, node: string, name: string, value: string | null): D;
}

export type CibChange<D> =
  | { readonly kind: 'replace'; readonly doc: D; readonly expected?: CibVersion }
  | { readonly kind: 'attribute'; readonly node: string; readonly name: string; readonly value: string | null };

/**
 * One replicated CIB state. Each entry is a whole document, so a node needs
 * only its latest entry: (term, index) orders entries as in raft, and
 * `applied` remembers the highest request sequence applied per origin so a
 * retried request is never applied twice.
 */
export interface LogEntry<D> {
  readonly term: number;
  readonly index: number;
  readonly doc: D;
  readonly applied: Readonly<Record<string, number>>;
}

export interface HardState {
  readonly term: number;
  readonly votedFor: NodeId | null;
  /** Set while the node's CIB log was lost and not yet rebuilt from a DC; survives restarts. */
  readonly logLost?: boolean;
}

export interface LogState<D> {
  /** The newest entry this node holds (maybe not committed yet). */
  readonly last: LogEntry<D>;
  /** The newest entry this node knows to be committed. */
  readonly committed: LogEntry<D>;
}

export interface PersistentState<D> {
  readonly hard: HardState;
  readonly log: LogState<D>;
}

export type ProposalResult =
  | { readonly ok: true; readonly version: CibVersion; readonly index: number }
  | { readonly ok: false; readonly code: string; readonly message: string };

export type NoQuorumPolicy = 'stop' | 'freeze' | 'demote' | 'ignore' | 'fence' | 'suicide';

export const EMPTY_ENTRY_INDEX = 0;
