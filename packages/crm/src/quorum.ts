/**
 * Votequorum semantics (corosync votequorum(5)) as a pure state machine: it is
 * fed membership views and ticks, and answers "is this partition quorate" and
 * "is this set of nodes a quorum" (the latter is what elections and commits use).
 */
import { CrmError } from './errors.js';

export type NodeId = number;

export interface QuorumNode {
  readonly id: NodeId;
  /** quorum_votes; default 1. */
  readonly votes?: number;
}

export type TieBreakerNode = 'lowest' | 'highest' | readonly NodeId[];

export interface QuorumConfig {
  readonly nodes: readonly QuorumNode[];
  /** Overrides the sum of configured votes, as quorum.expected_votes does. */
  readonly expectedVotes?: number;
  readonly twoNode?: boolean;
  /** Defaults to true when two_node is set (it can still be turned off explicitly). */
  readonly waitForAll?: boolean;
  readonly lastManStanding?: boolean;
  readonly lastManStandingWindowMs?: number;
  readonly autoTieBreaker?: boolean;
  readonly autoTieBreakerNode?: TieBreakerNode;
}

export interface QuorumStatus {
  readonly quorate: boolean;
  readonly expectedVotes: number;
  readonly totalVotes: number;
  /** Votes needed for quorum (1 when two_node is in force). */
  readonly quorum: number;
  readonly members: readonly NodeId[];
  readonly twoNode: boolean;
  readonly waitForAll: boolean;
  /** True once every configured node has been seen in one view (WFA released). */
  readonly allSeenOnce: boolean;
  readonly lastManStanding: boolean;
  readonly autoTieBreaker: boolean;
}

const DEFAULT_LMS_WINDOW_MS = 10_000;

export function validateQuorumConfig(config: QuorumConfig): void {
  if (config.nodes.length === 0) throw new CrmError('VIGIL_CRM_BAD_QUORUM_CONFIG', 'quorum: nodelist is empty');
  const seen = new Set<NodeId>();
  for (const node of config.nodes) {
    if (!Number.isInteger(node.id) || node.id <= 0) {
      throw new CrmError('VIGIL_CRM_BAD_QUORUM_CONFIG', `quorum: node id ${String(node.id)} is not a positive integer`);
    }
    if (seen.has(node.id)) throw new CrmError('VIGIL_CRM_BAD_QUORUM_CONFIG', `quorum: node id ${node.id} appears twice`);
    seen.add(node.id);
    const votes = node.votes ?? 1;
    if (!Number.isInteger(votes) || votes < 0) {
      throw new CrmError('VIGIL_CRM_BAD_QUORUM_CONFIG', `quorum: node ${node.id}: quorum_votes ${String(votes)} is not a non-negative integer`);
    }
    if (config.lastManStanding && votes !== 1) {
      throw new CrmError('VIGIL_CRM_BAD_QUORUM_CONFIG', `quorum: node ${node.id}: last_man_standing needs every node to have exactly 1 vote`);
    }
  }
  if (config.expectedVotes !== undefined && (!Number.isInteger(config.expectedVotes) || config.expectedVotes < 1)) {
    throw new CrmError('VIGIL_CRM_BAD_QUORUM_CONFIG', `quorum: expected_votes ${String(config.expectedVotes)} is not a positive integer`);
  }
  if (config.twoNode && config.nodes.length > 2) {
    // votequorum silently drops two_node when a third node joins; a nodelist of
    // three with two_node is a configuration mistake we can name up front.
    throw new CrmError('VIGIL_CRM_BAD_QUORUM_CONFIG', `quorum: two_node is set but the nodelist has ${config.nodes.length} nodes`);
  }
}

/** Majority of the expected votes: more than half. */
export function majorityOf(expectedVotes: number): number {
  return Math.floor(expectedVotes / 2) + 1;
}

export class Votequorum {
  private readonly config: QuorumConfig;
  private readonly votesById = new Map<NodeId, number>();
  private readonly configuredExpected: number;
  private expected: number;
  private members: NodeId[] = [];
  private allSeenOnce = false;
  /** When the current view started, for the last_man_standing window. */
  private viewSinceMs = 0;
  private lmsAppliedForView = false;
  /** status() is asked on every tick; recomputed only after something changed. */
  private cachedStatus: QuorumStatus | null = null;
  private readonly sortedIds: readonly NodeId[];

  constructor(config: QuorumConfig, nowMs: number) {
    validateQuorumConfig(config);
    this.config = config;
    for (const node of config.nodes) this.votesById.set(node.id, node.votes ?? 1);
    const sum = [...this.votesById.values()].reduce((a, b) => a + b, 0);
    this.configuredExpected = config.expectedVotes ?? sum;
    this.expected = this.configuredExpected;
    this.viewSinceMs = nowMs;
    this.sortedIds = [...this.votesById.keys()].sort((a, b) => a - b);
  }

  get waitForAll(): boolean {
    return this.config.waitForAll ?? this.config.twoNode === true;
  }

  votesOf(id: NodeId): number {
    return this.votesById.get(id) ?? 0;
  }

  isConfigured(id: NodeId): boolean {
    return this.votesById.has(id);
  }

  get nodeIds(): readonly NodeId[] {
    return this.sortedIds;
  }

  /** A new membership view (the nodes this node can currently talk to, itself included). */
  onView(members: Iterable<NodeId>, nowMs: number): void {
    const next = [...new Set(members)].filter((id) => this.votesById.has(id)).sort((a, b) => a - b);
    this.members = next;
    this.cachedStatus = null;
    this.viewSinceMs = nowMs;
    this.lmsAppliedForView = false;
    const total = this.sumVotes(next);
    if (total > this.expected) this.expected = total;
    if (next.length === this.votesById.size) this.allSeenOnce = true;
  }

  tick(nowMs: number): void {
    if (!this.config.lastManStanding || this.lmsAppliedForView) return;
    const window = this.config.lastManStandingWindowMs ?? DEFAULT_LMS_WINDOW_MS;
    if (nowMs - this.viewSinceMs < window) return;
    this.lmsAppliedForView = true;
    // LMS only ever lowers expected votes of a partition that is quorate now.
    const total = this.sumVotes(this.members);
    if (this.isQuorumSet(this.members) && total < this.expected) {
      this.expected = Math.max(total, 1);
      this.cachedStatus = null;
    }
  }

  private sumVotes(ids: Iterable<NodeId>): number {
    let total = 0;
    for (const id of ids) total += this.votesById.get(id) ?? 0;
    return total;
  }

  private twoNodeActive(): boolean {
    return this.config.twoNode === true && this.votesById.size === 2;
  }

  private tieBreakerIn(ids: ReadonlySet<NodeId>): boolean {
    const spec = this.config.autoTieBreakerNode ?? 'lowest';
    const all = this.nodeIds;
    if (spec === 'lowest') return ids.has(all[0]!);
    if (spec === 'highest') return ids.has(all[all.length - 1]!);
    // The first listed node that is part of the cluster decides.
    for (const id of spec) if (this.votesById.has(id)) return ids.has(id);
    return false;
  }

  quorumVotes(): number {
    return this.twoNodeActive() ? 1 : majorityOf(this.expected);
  }

  /**
   * Whether these nodes together hold quorum under the current expected votes.
   * Used for election votes, lease renewals and commits. Ignores wait_for_all,
   * which is about this node's own history, not about a set.
   */
  isQuorumSet(ids: Iterable<NodeId>): boolean {
    const set = new Set<NodeId>();
    let total = 0;
    for (const id of ids) {
      const votes = this.votesById.get(id);
      if (votes === undefined || set.has(id)) continue;
      set.add(id);
      total += votes;
    }
    if (total >= this.quorumVotes()) return true;
    if (this.config.autoTieBreaker && !this.twoNodeActive() && total * 2 === this.expected) return this.tieBreakerIn(set);
    return false;
  }

  status(): QuorumStatus {
    if (this.cachedStatus) return this.cachedStatus;
    this.cachedStatus = this.computeStatus();
    return this.cachedStatus;
  }

  private computeStatus(): QuorumStatus {
    const total = this.sumVotes(this.members);
    const quorate = this.isQuorumSet(this.members) && (!this.waitForAll || this.allSeenOnce);
    return {
      quorate,
      expectedVotes: this.expected,
      totalVotes: total,
      quorum: this.quorumVotes(),
      members: [...this.members],
      twoNode: this.twoNodeActive(),
      waitForAll: this.waitForAll,
      allSeenOnce: this.allSeenOnce,
      lastManStanding: this.config.lastManStanding === true,
      autoTieBreaker: this.config.autoTieBreaker === true,
    };
  }
}
