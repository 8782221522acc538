/**
 * The election, lease and CIB replication protocol as a pure state machine in
 * the etcd-raft RawNode style: inputs are tick(nowMs), step(message),
 * onView(view) and propose(change); outputs come in batches from ready(), which
 * the caller must handle in order (persist first, then send, then apply
 * events) before calling advance(). No clock reads, no IO, no randomness
 * except the injected `random`.
 *
 * Safety argument in brief (see README for the long form):
 * - Terms and votes as in raft; a vote is granted only to a log at least as
 *   new as the voter's, so a new DC holds every committed CIB.
 * - Quorums are votequorum quorums (majority of expected votes or the
 *   auto_tie_breaker half); any two intersect.
 * - A DC acts only while it holds a lease: the send time of the latest
 *   heartbeat round a quorum acknowledged, plus dcLeaseMs, on its own clock.
 * - A new DC waits leaseWaitMs after winning before it acts. Every node that
 *   helped the old DC renew and also voted for the new one acked before voting
 *   (after voting it rejects the old term), so the old lease began before the
 *   election and, with clock rates within 1±ρ, ends before the wait is over.
 */
import { CrmError, invariant } from './errors.js';
import type { CrmMessage, Append, AppendReply, PreVoteReply, PreVoteRequest, Propose, ProposeReply, VoteReply, VoteRequest } from './messages.js';
import { AttributeDamper } from './attributes.js';
import { NodeLifecycles, type LifecycleEvent, type LifecycleState } from './lifecycle.js';
import { Votequorum, type NodeId, type QuorumConfig, type QuorumStatus } from './quorum.js';
import {
  compareVersions,
  formatVersion,
  type CibChange,
  type CibOps,
  type CibVersion,
  type HardState,
  type LogEntry,
  type LogState,
  type NoQuorumPolicy,
  type PersistentState,
  type ProposalResult,
} from './types.js';

export type Role = 'follower' | 'candidate' | 'leader';

export interface CrmCoreOptions<D> {
  readonly id: NodeId;
  readonly quorum: QuorumConfig;
  readonly ops: CibOps<D>;
  /** Uniform in [0, 1); seeded in the simulator. */
  readonly random: () => number;
  readonly heartbeatIntervalMs?: number;
  /** Followers wait a random time in [electionTimeoutMs, 2 × electionTimeoutMs) without a DC. */
  readonly electionTimeoutMs?: number;
  /** How long a DC may act after sending a heartbeat round that a quorum acknowledged. */
  readonly dcLeaseMs?: number;
  /** Bound on clock rate error: every clock runs at 1 ± this of real time. */
  readonly maxClockDriftRatio?: number;
  readonly proposalTimeoutMs?: number;
  readonly proposalRetryMs?: number;
  readonly maxPendingEntries?: number;
  readonly maxOutstandingProposals?: number;
  /** A peer that has not acked an entry gets it again after this long (default 3 heartbeats). */
  readonly entryResendMs?: number;
  readonly noQuorumPolicy?: NoQuorumPolicy;
  /** For the checker's own test only: a new DC acts at once, without waiting out the old lease. */
  readonly unsafeSkipLeaseWait?: boolean;
  /** For the checker's own test only: grant votes without comparing logs (loses commits). */
  readonly unsafeIgnoreLogInVotes?: boolean;
}

export interface CrmStartState<D> {
  readonly persisted: PersistentState<D> | null;
  /** The log file was lost or corrupt: take no part in votes until synced from a DC. */
  readonly logLost: boolean;
  readonly nowMs: number;
}

export type CrmEvent<D> =
  | { readonly type: 'role'; readonly role: Role; readonly term: number; readonly leader: NodeId | null }
  | { readonly type: 'committed'; readonly entry: LogEntry<D> }
  | { readonly type: 'result'; readonly seq: number; readonly result: ProposalResult }
  | { readonly type: 'quorum'; readonly status: QuorumStatus }
  | { readonly type: 'no-quorum'; readonly policy: NoQuorumPolicy }
  /**
   * This node started or stopped acting as DC. Reported at the first tick or
   * message after the change, so a decision must still check isActingDc(now).
   */
  | { readonly type: 'acting'; readonly acting: boolean; readonly term: number }
  | { readonly type: 'fence'; readonly node: NodeId }
  | { readonly type: 'lifecycle'; readonly node: NodeId; readonly from: LifecycleState; readonly to: LifecycleState }
  /** The DC created an entry on top of `parent` (observability and the simulator's lineage checks). */
  | { readonly type: 'appended'; readonly entry: LogEntry<D>; readonly parent: { readonly term: number; readonly index: number } };

export interface Ready<D> {
  /** Persist before sending messages: replies promise that this is on disk. */
  readonly persist: { readonly hard?: HardState; readonly log?: LogState<D> } | null;
  readonly messages: readonly CrmMessage<D>[];
  readonly events: readonly CrmEvent<D>[];
}

interface OutboundProposal<D> {
  readonly seq: number;
  readonly change: CibChange<D>;
  readonly deadlineMs: number;
  nextSendMs: number;
}

interface Waiter {
  readonly origin: string;
  readonly seq: number;
  readonly from: NodeId;
}

const MAX_APPLIED_ORIGINS = 64;

export class CrmCore<D> {
  readonly id: NodeId;
  readonly origin: string;
  private readonly ops: CibOps<D>;
  private readonly random: () => number;
  private readonly quorum: Votequorum;
  private readonly heartbeatIntervalMs: number;
  private readonly electionTimeoutMs: number;
  private readonly dcLeaseMs: number;
  readonly leaseWaitMs: number;
  private readonly proposalTimeoutMs: number;
  private readonly proposalRetryMs: number;
  private readonly maxPendingEntries: number;
  private readonly maxOutstandingProposals: number;
  private noQuorumPolicy: NoQuorumPolicy;
  private wasActing = false;
  private readonly unsafeIgnoreLogInVotes: boolean;

  private nowMs: number;
  private hard: HardState;
  private log: LogState<D>;
  private role: Role = 'follower';
  private leaderId: NodeId | null = null;
  private logLost: boolean;
  private heardLeaderAtMs = Number.NEGATIVE_INFINITY;
  private electionDeadlineMs = 0;
  private votes = new Set<NodeId>();
  /** An open pre-vote: the term we would campaign for and who said yes. */
  private preVote: { term: number; grants: Set<NodeId> } | null = null;
  /** null until the first membership view: no quorum verdict before we know who is there. */
  private quorate: boolean | null = null;
  private viewMembers = new Set<NodeId>();
  private readonly fencedPeers = new Set<NodeId>();
  private readonly fenceRequested = new Set<NodeId>();
  /** When each peer last sent us anything: the view can lag behind a reboot. */
  private readonly heardFromMs = new Map<NodeId, number>();
  /** A doc with a higher admin_epoch found on disk at start (an operator's offline edit). */
  private offlineEdit: D | null = null;

  // DC state
  private electedAtMs = 0;
  private actFromMs = 0;
  private leaseExpiryMs = 0;
  private stepDownAtMs = 0;
  private round = 0;
  private lastHeartbeatMs = Number.NEGATIVE_INFINITY;
  private readonly roundSentMs = new Map<number, number>();
  private readonly ackRound = new Map<NodeId, number>();
  private readonly matchIndex = new Map<NodeId, number>();
  /** The entry last sent to each peer and when, to throttle resending whole documents. */
  private readonly entrySent = new Map<NodeId, { index: number; atMs: number }>();
  private readonly entryResendMs: number;
  private noopIndex = 0;
  private commitIndex = 0;
  /** Entries after `log.committed`, oldest first; the last one equals log.last. */
  private chain: LogEntry<D>[] = [];
  private readonly waiters = new Map<number, Waiter[]>();
  private persistedIndex = 0;

  private readonly lifecycles: NodeLifecycles;
  private readonly attributes = new AttributeDamper();

  // Proposer state
  private nextSeq = 1;
  private readonly outbox = new Map<number, OutboundProposal<D>>();

  // Ready batch under construction
  private pendingHard: HardState | null = null;
  private pendingLog: LogState<D> | null = null;
  private messages: CrmMessage<D>[] = [];
  private events: CrmEvent<D>[] = [];

  constructor(options: CrmCoreOptions<D>, start: CrmStartState<D>) {
    this.id = options.id;
    this.ops = options.ops;
    this.random = options.random;
    this.quorum = new Votequorum(options.quorum, start.nowMs);
    if (!this.quorum.isConfigured(this.id)) {
      throw new CrmError('VIGIL_CRM_BAD_QUORUM_CONFIG', `quorum: this node's id ${this.id} is not in the nodelist`);
    }
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? 100;
    this.electionTimeoutMs = options.electionTimeoutMs ?? 500;
    this.dcLeaseMs = options.dcLeaseMs ?? 1000;
    const rho = options.maxClockDriftRatio ?? 0.05;
    invariant(rho >= 0 && rho < 0.5, 'maxClockDriftRatio must be in [0, 0.5)');
    invariant(this.dcLeaseMs > this.heartbeatIntervalMs * 2, 'dcLeaseMs must exceed two heartbeat intervals');
    this.leaseWaitMs = options.unsafeSkipLeaseWait ? 0 : Math.ceil((this.dcLeaseMs * (1 + rho)) / (1 - rho)) + 1;
    this.proposalTimeoutMs = options.proposalTimeoutMs ?? 15_000;
    this.proposalRetryMs = options.proposalRetryMs ?? 400;
    this.maxPendingEntries = options.maxPendingEntries ?? 64;
    this.maxOutstandingProposals = options.maxOutstandingProposals ?? 256;
    this.noQuorumPolicy = options.noQuorumPolicy ?? 'stop';
    this.unsafeIgnoreLogInVotes = options.unsafeIgnoreLogInVotes === true;
    this.entryResendMs = options.entryResendMs ?? 3 * this.heartbeatIntervalMs;
    // The origin names this incarnation, so sequence numbers restart safely.
    this.origin = `${this.id}.${Math.floor(this.random() * 0xffffffff).toString(16)}`;
    this.nowMs = start.nowMs;
    const persisted = start.persisted;
    if (persisted) {
      this.hard = persisted.hard;
      this.log = persisted.log;
      if (compareVersions(this.ops.version(persisted.log.committed.doc), this.ops.version(persisted.log.last.doc)) > 0) {
        // Only an edit outside the cluster can make the committed doc newer than the last entry.
        this.offlineEdit = persisted.log.committed.doc;
      }
    } else {
      const empty: LogEntry<D> = { term: 0, index: 0, doc: this.ops.initial(), applied: {} };
      this.hard = { term: 0, votedFor: null };
      this.log = { last: empty, committed: empty };
    }
    this.lifecycles = new NodeLifecycles(this.quorum.nodeIds);
    this.logLost = start.logLost || this.hard.logLost === true;
    if (this.logLost && this.hard.logLost !== true) this.setHard(this.hard);
    this.persistedIndex = this.log.last.index;
    this.resetElectionDeadline();
  }

  // ---------------------------------------------------------------- queries

  get term(): number {
    return this.hard.term;
  }

  get currentRole(): Role {
    return this.role;
  }

  get leader(): NodeId | null {
    return this.leaderId;
  }

  get committedEntry(): LogEntry<D> {
    return this.log.committed;
  }

  get lastEntry(): LogEntry<D> {
    return this.log.last;
  }

  get needsSync(): boolean {
    return this.logLost;
  }

  quorumStatus(): QuorumStatus {
    return this.quorum.status();
  }

  /** Each configured node's lifecycle state as this node knows it (the DC knows sync states). */
  nodeStates(): Record<NodeId, LifecycleState> {
    return this.lifecycles.states();
  }

  /** True only while this node may decide as DC: elected, old lease waited out, own lease valid. */
  isActingDc(nowMs: number): boolean {
    return this.role === 'leader' && nowMs >= this.actFromMs && nowMs < this.leaseExpiryMs;
  }

  /** While DC: from when it may act (after the old lease) until its lease runs out, local clock. */
  actingWindowMs(): { readonly fromMs: number; readonly untilMs: number } | null {
    return this.role === 'leader' ? { fromMs: this.actFromMs, untilMs: this.leaseExpiryMs } : null;
  }

  // ---------------------------------------------------------------- inputs

  onView(members: Iterable<NodeId>, nowMs: number): void {
    this.nowMs = Math.max(this.nowMs, nowMs);
    this.viewMembers = new Set(members);
    this.viewMembers.add(this.id);
    for (const id of this.viewMembers) {
      this.fencedPeers.delete(id);
      this.fenceRequested.delete(id);
    }
    this.quorum.onView(this.viewMembers, this.nowMs);
    for (const peer of this.quorum.nodeIds) {
      if (peer === this.id) continue;
      const state = this.lifecycles.state(peer);
      const present = this.viewMembers.has(peer);
      if (present && (state === 'lost' || state === 'unclean' || state === 'fenced')) this.lifecycle(peer, { type: 'JOIN' });
      if (!present && (state === 'member' || state === 'pending' || state === 'rejoining')) this.lifecycle(peer, { type: 'LEAVE' });
    }
    this.afterQuorumChange();
  }

  private lifecycle(node: NodeId, event: LifecycleEvent): void {
    if (event.type === 'SYNCED' && this.lifecycles.state(node) === 'member') return; // the common case, kept cheap
    const change = this.lifecycles.send(node, event);
    if (change) this.events.push({ type: 'lifecycle', ...change });
  }

  /** A peer announced a clean shutdown: it is lost, not unclean, and needs no fencing. */
  onPeerShutdown(node: NodeId): void {
    this.lifecycle(node, { type: 'LEAVE_CLEAN' });
  }

  /**
   * This node is shutting down cleanly: stop acting at once and tell every
   * peer, so they record it as lost rather than unclean. Send the batch, then stop.
   */
  leave(nowMs: number): void {
    this.nowMs = Math.max(this.nowMs, nowMs);
    if (this.role !== 'follower') this.becomeFollower(this.hard.term, null);
    for (const peer of this.quorum.nodeIds) {
      if (peer !== this.id) this.messages.push({ type: 'leave', from: this.id, to: peer, term: this.hard.term });
    }
    this.noteActing();
  }

  /**
   * Sets a node attribute through the DC. With dampenMs, changes inside the
   * window are coalesced and only the last value is written when it closes.
   */
  setNodeAttribute(node: string, name: string, value: string | null, nowMs: number, dampenMs = 0): void {
    this.nowMs = Math.max(this.nowMs, nowMs);
    if (!this.attributes.set({ node, name, value }, this.nowMs, dampenMs)) {
      this.events.push({ type: 'result', seq: 0, result: { ok: false, code: 'VIGIL_CRM_QUEUE_FULL', message: `too many dampened attribute writes waiting; ${node}/${name} dropped` } });
      return;
    }
    this.flushAttributes();
  }

  private flushAttributes(): void {
    for (const write of this.attributes.due(this.nowMs)) this.propose({ kind: 'attribute', ...write }, this.nowMs);
  }

  /** The fencer confirmed that this peer is powered off (two_node survivors need this). */
  onFenced(node: NodeId): void {
    if (this.viewMembers.has(node)) return;
    this.fencedPeers.add(node);
    this.fenceRequested.delete(node);
    this.lifecycle(node, { type: 'FENCE_OK' });
  }

  /** The fencer gave up on this peer: it stays unclean and is asked for again later. */
  onFenceFailed(node: NodeId): void {
    this.fenceRequested.delete(node);
    this.lifecycle(node, { type: 'FENCE_FAIL' });
  }

  tick(nowMs: number): void {
    this.nowMs = Math.max(this.nowMs, nowMs);
    this.quorum.tick(this.nowMs);
    this.afterQuorumChange();
    if (this.role === 'leader') this.tickLeader();
    else if (this.nowMs >= this.electionDeadlineMs) this.maybeCampaign();
    this.tickTwoNodeFencing();
    this.flushAttributes();
    this.tickOutbox();
    this.noteActing();
  }

  step(message: CrmMessage<D>, nowMs: number): void {
    this.stepMessage(message, nowMs);
    this.noteActing();
  }

  private stepMessage(message: CrmMessage<D>, nowMs: number): void {
    this.nowMs = Math.max(this.nowMs, nowMs);
    if (message.to !== this.id || !this.quorum.isConfigured(message.from)) return;
    this.heardFromMs.set(message.from, this.nowMs);
    if (this.fencedPeers.has(message.from)) {
      // A fenced peer that speaks has rebooted: from now on it counts again, and
      // commits need it, even before the membership view says it is back.
      this.fencedPeers.delete(message.from);
      this.fenceRequested.delete(message.from);
    }
    const state = this.lifecycles.state(message.from);
    if (message.type !== 'leave' && (state === 'lost' || state === 'unclean' || state === 'fenced')) this.lifecycle(message.from, { type: 'JOIN' });
    if (message.type === 'vote') return this.onVoteRequest(message);
    if (message.type === 'prevote') return this.onPreVoteRequest(message);
    if (message.type === 'prevote-reply') return this.onPreVoteReply(message);
    if (message.type === 'leave') return this.onPeerShutdown(message.from);
    if (message.term > this.hard.term) {
      const leader = message.type === 'append' ? message.from : null;
      this.becomeFollower(message.term, leader);
    }
    switch (message.type) {
      case 'vote-reply':
        return this.onVoteReply(message);
      case 'append':
        return this.onAppend(message);
      case 'append-reply':
        return this.onAppendReply(message);
      case 'propose':
        return this.onPropose(message);
      case 'propose-reply':
        return this.onProposeReply(message);
    }
  }

  /** Queue a change for the DC. The outcome arrives as a 'result' event with this seq. */
  propose(change: CibChange<D>, nowMs: number): number {
    this.nowMs = Math.max(this.nowMs, nowMs);
    const seq = this.nextSeq++;
    if (this.outbox.size >= this.maxOutstandingProposals) {
      this.events.push({ type: 'result', seq, result: { ok: false, code: 'VIGIL_CRM_QUEUE_FULL', message: `more than ${this.maxOutstandingProposals} changes are waiting for the DC` } });
      return seq;
    }
    this.outbox.set(seq, { seq, change, deadlineMs: this.nowMs + this.proposalTimeoutMs, nextSendMs: this.nowMs });
    this.tickOutbox();
    return seq;
  }

  /** no-quorum-policy lives in the CIB (crm_config); the owner passes each committed value. */
  setNoQuorumPolicy(policy: NoQuorumPolicy): void {
    this.noQuorumPolicy = policy;
  }

  private noteActing(): void {
    const acting = this.isActingDc(this.nowMs);
    if (acting === this.wasActing) return;
    this.wasActing = acting;
    this.events.push({ type: 'acting', acting, term: this.hard.term });
  }

  hasReady(): boolean {
    return this.pendingHard !== null || this.pendingLog !== null || this.messages.length > 0 || this.events.length > 0;
  }

  ready(): Ready<D> {
    const persist =
      this.pendingHard || this.pendingLog
        ? { ...(this.pendingHard ? { hard: this.pendingHard } : {}), ...(this.pendingLog ? { log: this.pendingLog } : {}) }
        : null;
    const batch: Ready<D> = { persist, messages: this.messages, events: this.events };
    this.pendingHard = null;
    this.pendingLog = null;
    this.messages = [];
    this.events = [];
    return batch;
  }

  /** The last ready() batch was persisted: count our own copy toward commits. */
  advance(): void {
    this.persistedIndex = this.log.last.index;
    if (this.role === 'leader') this.maybeCommit();
  }

  // ---------------------------------------------------------------- quorum

  private isCoreQuorum(ids: Iterable<NodeId>): boolean {
    const set = new Set(ids);
    if (!this.quorum.isQuorumSet(set)) return false;
    const status = this.quorum.status();
    if (!status.twoNode) return true;
    // two_node makes one node a quorum; it may act alone only once the fencer
    // has confirmed the peer is off, or two survivors would both decide. And
    // only if it has synced with a DC since it started: a node that rebooted
    // while its peer carried on alone lacks what the peer committed.
    if (this.quorum.nodeIds.every((id) => set.has(id))) return true;
    if (this.lifecycles.state(this.id) !== 'member') return false;
    return this.quorum.nodeIds.every((id) => set.has(id) || this.fencedPeers.has(id));
  }

  private afterQuorumChange(): void {
    if (this.viewMembers.size === 0) return;
    const status = this.quorum.status();
    if (status.quorate === this.quorate) return;
    this.quorate = status.quorate;
    this.events.push({ type: 'quorum', status });
    if (!status.quorate) {
      this.events.push({ type: 'no-quorum', policy: this.noQuorumPolicy });
      if (this.role !== 'follower') this.becomeFollower(this.hard.term, null);
    }
  }

  private tickTwoNodeFencing(): void {
    const status = this.quorum.status();
    if (!status.twoNode || !status.quorate) return;
    for (const peer of this.quorum.nodeIds) {
      if (this.viewMembers.has(peer) || this.fencedPeers.has(peer) || this.fenceRequested.has(peer)) continue;
      // A peer that spoke to us lately is alive and reachable whatever the view says yet.
      if (this.nowMs - (this.heardFromMs.get(peer) ?? Number.NEGATIVE_INFINITY) < 2 * this.electionTimeoutMs) continue;
      this.fenceRequested.add(peer);
      this.lifecycle(peer, { type: 'FENCE_START' });
      this.events.push({ type: 'fence', node: peer });
    }
  }

  // ---------------------------------------------------------------- roles

  private resetElectionDeadline(): void {
    this.electionDeadlineMs = this.nowMs + this.electionTimeoutMs * (1 + this.random());
  }

  private setHard(hard: HardState): void {
    this.hard = { term: hard.term, votedFor: hard.votedFor, logLost: this.logLost };
    this.pendingHard = this.hard;
  }

  private markSynced(): void {
    if (!this.logLost) return;
    this.logLost = false;
    this.setHard(this.hard);
  }

  private setLog(log: LogState<D>): void {
    this.log = log;
    this.pendingLog = log;
  }

  private becomeFollower(term: number, leader: NodeId | null): void {
    const wasLeader = this.role === 'leader';
    if (leader !== null) this.preVote = null;
    if (term > this.hard.term) this.setHard({ term, votedFor: null });
    const changed = this.role !== 'follower' || this.leaderId !== leader;
    this.role = 'follower';
    this.leaderId = leader;
    this.leaseExpiryMs = 0;
    if (wasLeader) this.dropLeaderState();
    this.resetElectionDeadline();
    if (changed) this.events.push({ type: 'role', role: 'follower', term: this.hard.term, leader });
  }

  private dropLeaderState(): void {
    // Uncommitted entries may still commit under the next DC; their proposers retry
    // and the `applied` map turns a retry of an applied change into a plain ack.
    this.chain = [];
    this.waiters.clear();
    this.roundSentMs.clear();
    this.ackRound.clear();
    this.matchIndex.clear();
    this.entrySent.clear();
  }

  private maybeCampaign(): void {
    this.resetElectionDeadline();
    if (this.quorate !== true || this.logLost) return;
    const term = this.hard.term + 1;
    this.preVote = { term, grants: new Set([this.id]) };
    for (const peer of this.quorum.nodeIds) {
      if (peer === this.id) continue;
      this.messages.push({ type: 'prevote', from: this.id, to: peer, term, lastTerm: this.log.last.term, lastIndex: this.log.last.index });
    }
    if (this.isCoreQuorum(this.preVote.grants)) this.campaign();
  }

  private campaign(): void {
    this.preVote = null;
    this.role = 'candidate';
    this.leaderId = null;
    this.setHard({ term: this.hard.term + 1, votedFor: this.id });
    this.votes = new Set([this.id]);
    this.events.push({ type: 'role', role: 'candidate', term: this.hard.term, leader: null });
    for (const peer of this.quorum.nodeIds) {
      if (peer === this.id) continue;
      this.messages.push({ type: 'vote', from: this.id, to: peer, term: this.hard.term, lastTerm: this.log.last.term, lastIndex: this.log.last.index });
    }
    if (this.isCoreQuorum(this.votes)) this.becomeLeader();
  }

  private becomeLeader(): void {
    this.role = 'leader';
    this.leaderId = this.id;
    this.electedAtMs = this.nowMs;
    this.actFromMs = this.nowMs + this.leaseWaitMs;
    this.leaseExpiryMs = 0;
    this.stepDownAtMs = this.nowMs + this.dcLeaseMs;
    this.dropLeaderState();
    // A no-op entry in our own term lets us commit (and so confirm) whatever the last DC left.
    const last = this.log.last;
    const noop: LogEntry<D> = { term: this.hard.term, index: last.index + 1, doc: last.doc, applied: last.applied };
    this.noopIndex = noop.index;
    this.commitIndex = this.log.committed.index;
    this.chain = [noop];
    this.setLog({ last: noop, committed: this.log.committed });
    this.events.push({ type: 'appended', entry: noop, parent: { term: last.term, index: last.index } });
    this.events.push({ type: 'role', role: 'leader', term: this.hard.term, leader: this.id });
    this.lifecycle(this.id, { type: 'SYNCED' });
    this.broadcastAppend();
    if (this.offlineEdit !== null) this.offerOfflineEdit(noop);
  }

  // ---------------------------------------------------------------- votes

  /**
   * A node that hears a live DC ignores candidates: a peer behind an asymmetric
   * partition must not depose a DC that a quorum still follows.
   */
  private dcAlive(): boolean {
    return (
      (this.role === 'leader' && this.nowMs < this.stepDownAtMs) ||
      (this.role === 'follower' && this.leaderId !== null && this.nowMs - this.heardLeaderAtMs < this.electionTimeoutMs)
    );
  }

  /** Would this node vote for such a candidate now? Shared by votes and pre-votes. */
  private wouldVote(lastTerm: number, lastIndex: number): boolean {
    if (this.dcAlive()) return false;
    const last = this.log.last;
    const upToDate = this.unsafeIgnoreLogInVotes || lastTerm > last.term || (lastTerm === last.term && lastIndex >= last.index);
    // A node that lost its log could help elect a DC lacking a committed entry it
    // once held. With two nodes the candidate is the only other copy there is,
    // so the vote is safe and refusing it would block the cluster for good.
    const amnesiaBlocks = this.logLost && this.quorum.nodeIds.length > 2;
    return upToDate && !amnesiaBlocks;
  }

  private onPreVoteRequest(message: PreVoteRequest): void {
    const granted = message.term > this.hard.term && this.wouldVote(message.lastTerm, message.lastIndex);
    // A refusal carries our own term, so a pre-candidate that fell behind on terms catches up.
    this.messages.push({ type: 'prevote-reply', from: this.id, to: message.from, term: granted ? message.term : this.hard.term, granted });
  }

  private onPreVoteReply(message: PreVoteReply): void {
    if (!message.granted) {
      if (message.term > this.hard.term) this.becomeFollower(message.term, null);
      return;
    }
    const open = this.preVote !== null && message.term === this.preVote.term && message.term === this.hard.term + 1;
    if (!open || !message.granted || this.role === 'leader' || this.dcAlive()) return;
    this.preVote!.grants.add(message.from);
    if (this.isCoreQuorum(this.preVote!.grants)) this.campaign();
  }

  private onVoteRequest(message: VoteRequest): void {
    const reply = (granted: boolean): void => {
      this.messages.push({ type: 'vote-reply', from: this.id, to: message.from, term: this.hard.term, granted });
    };
    if (message.term < this.hard.term) return reply(false);
    if (this.dcAlive()) return reply(false); // not even the newer term is taken from it
    if (message.term > this.hard.term) this.becomeFollower(message.term, null);
    if (!this.wouldVote(message.lastTerm, message.lastIndex)) return reply(false);
    const free = this.hard.votedFor === null || this.hard.votedFor === message.from;
    if (!free) return reply(false);
    if (this.hard.votedFor !== message.from) this.setHard({ term: this.hard.term, votedFor: message.from });
    this.resetElectionDeadline();
    reply(true);
  }

  private onVoteReply(message: VoteReply): void {
    if (this.role !== 'candidate' || message.term !== this.hard.term || !message.granted) return;
    this.votes.add(message.from);
    if (this.isCoreQuorum(this.votes)) this.becomeLeader();
  }

  // ---------------------------------------------------------------- replication (follower side)

  private onAppend(message: Append<D>): void {
    const reply = (ok: boolean): void => {
      const last = this.log.last;
      this.messages.push({ type: 'append-reply', from: this.id, to: message.from, term: this.hard.term, round: message.round, ok, lastTerm: last.term, lastIndex: last.index });
    };
    if (message.term < this.hard.term) return reply(false);
    invariant(this.role !== 'leader', `two DCs in term ${message.term}`);
    if (this.role === 'candidate' || this.leaderId !== message.from) this.becomeFollower(message.term, message.from);
    this.heardLeaderAtMs = this.nowMs;
    this.preVote = null;
    this.resetElectionDeadline();
    const entry = message.entry;
    if (entry) this.installEntry(entry);
    this.followCommit(message.term, message.commitIndex);
    // Synced means: we hold everything the DC has committed, and the DC counts
    // us for what it commits next. While it still treats us as fenced (solo) it
    // may commit without us, so a two_node survivor must not yet go it alone.
    const last = this.log.last;
    if (message.solo !== true && last.term === message.term && last.index >= message.commitIndex) this.lifecycle(this.id, { type: 'SYNCED' });
    if (this.offlineEdit !== null) this.offerOfflineEdit(this.log.last);
    reply(true);
  }

  private installEntry(entry: LogEntry<D>): void {
    const last = this.log.last;
    const newer = entry.term > last.term || (entry.term === last.term && entry.index > last.index);
    if (!newer) return;
    invariant(entry.index > this.log.committed.index || entry.term > last.term, 'a DC sent an entry older than our committed one');
    this.setLog({ last: entry, committed: this.log.committed });
    if (entry.term === this.hard.term) this.markSynced();
  }

  private offerOfflineEdit(entry: LogEntry<D>): void {
    const edit = this.offlineEdit;
    this.offlineEdit = null;
    if (edit === null) return;
    // Pacemaker lets an operator's offline edit win by raising admin_epoch.
    if (this.ops.version(edit).adminEpoch > this.ops.version(entry.doc).adminEpoch) {
      this.propose({ kind: 'replace', doc: edit }, this.nowMs);
    }
  }

  private followCommit(term: number, commitIndex: number): void {
    const last = this.log.last;
    // Our last entry is from the current DC's own term, hence in its log.
    if (last.term !== term || commitIndex < last.index || last.index <= this.log.committed.index) return;
    this.setLog({ last, committed: last });
    this.events.push({ type: 'committed', entry: last });
    this.markSynced();
  }

  // ---------------------------------------------------------------- replication (DC side)

  private tickLeader(): void {
    if (this.nowMs >= this.stepDownAtMs) {
      // No quorum renewed our lease in time: stop deciding before anyone else can start.
      this.becomeFollower(this.hard.term, null);
      return;
    }
    if (this.nowMs - this.lastHeartbeatMs >= this.heartbeatIntervalMs) this.broadcastAppend();
  }

  private broadcastAppend(): void {
    this.round += 1;
    this.lastHeartbeatMs = this.nowMs;
    this.roundSentMs.set(this.round, this.nowMs);
    this.pruneRounds();
    const last = this.log.last;
    for (const peer of this.quorum.nodeIds) {
      if (peer === this.id) continue;
      const behind = (this.matchIndex.get(peer) ?? 0) < last.index;
      // A whole CIB per heartbeat to a slow peer would swamp it; resend only
      // when it is a new entry or the last copy has had time to be acked.
      const sent = this.entrySent.get(peer);
      const fresh = !sent || sent.index !== last.index || this.nowMs - sent.atMs >= this.entryResendMs;
      const entry = behind && fresh ? last : null;
      if (entry) this.entrySent.set(peer, { index: last.index, atMs: this.nowMs });
      const solo = this.fencedPeers.has(peer);
      this.messages.push({ type: 'append', from: this.id, to: peer, term: this.hard.term, round: this.round, entry, commitIndex: this.commitIndex, ...(solo ? { solo } : {}) });
    }
    this.ackRound.set(this.id, this.round);
    this.renewLease();
  }

  private pruneRounds(): void {
    for (const [round, sentMs] of this.roundSentMs) {
      if (this.nowMs - sentMs > this.dcLeaseMs * 2) this.roundSentMs.delete(round);
      else break;
    }
  }

  private onAppendReply(message: AppendReply): void {
    if (this.role !== 'leader' || message.term !== this.hard.term || !message.ok) return;
    if (message.round > (this.ackRound.get(message.from) ?? 0)) this.ackRound.set(message.from, message.round);
    // Follow what the peer reports even downwards: a peer that lost its disk no
    // longer holds what it once acked, and must not be counted for it again.
    this.matchIndex.set(message.from, message.lastTerm === this.hard.term ? message.lastIndex : 0);
    if (message.lastTerm === this.hard.term && message.lastIndex >= this.commitIndex) this.lifecycle(message.from, { type: 'SYNCED' });
    this.renewLease();
    this.maybeCommit();
  }

  private renewLease(): void {
    // The newest round such that the nodes that acked it (or a later one) form a quorum.
    const rounds = [...new Set(this.ackRound.values())].sort((a, b) => b - a);
    for (const round of rounds) {
      const ackers = [...this.ackRound].filter(([, r]) => r >= round).map(([id]) => id);
      if (!this.isCoreQuorum(ackers)) continue;
      const sentMs = this.roundSentMs.get(round);
      if (sentMs === undefined) return;
      this.leaseExpiryMs = Math.max(this.leaseExpiryMs, sentMs + this.dcLeaseMs);
      this.stepDownAtMs = Math.max(this.stepDownAtMs, this.leaseExpiryMs);
      return;
    }
  }

  private maybeCommit(): void {
    const match = new Map(this.matchIndex);
    match.set(this.id, this.persistedIndex);
    const candidates = [...new Set(match.values())].filter((i) => i >= this.noopIndex && i > this.commitIndex).sort((a, b) => b - a);
    for (const index of candidates) {
      const holders = [...match].filter(([, i]) => i >= index).map(([id]) => id);
      if (this.isCoreQuorum(holders)) return this.commitThrough(index);
    }
  }

  private commitThrough(index: number): void {
    const entry = this.chain.find((e) => e.index === index);
    invariant(entry !== undefined, `commit index ${index} is not in the DC's chain`);
    this.commitIndex = index;
    const done = this.chain.filter((e) => e.index <= index);
    this.chain = this.chain.filter((e) => e.index > index);
    this.setLog({ last: this.log.last, committed: entry });
    this.events.push({ type: 'committed', entry });
    for (const [waitIndex, list] of this.waiters) {
      if (waitIndex > index) continue;
      this.waiters.delete(waitIndex);
      const at = done.find((e) => e.index === waitIndex) ?? entry;
      const version = this.ops.version(at.doc);
      for (const waiter of list) this.deliverResult(waiter, { ok: true, version, index: at.index });
    }
    // Tell followers promptly so they apply without waiting a heartbeat.
    this.broadcastAppend();
    // Our own next proposal may go now that the one before it settled.
    this.tickOutbox();
  }

  private deliverResult(waiter: Waiter, result: ProposalResult): void {
    if (waiter.from === this.id && waiter.origin === this.origin) return this.settleOwn(waiter.seq, result);
    this.messages.push({ type: 'propose-reply', from: this.id, to: waiter.from, term: this.hard.term, origin: waiter.origin, seq: waiter.seq, result });
  }

  private onPropose(message: Propose<D>): void {
    this.acceptProposal({ origin: message.origin, seq: message.seq, from: message.from }, message.change);
  }

  /** Applies a change on top of the newest entry. Only an acting DC does this. */
  private acceptProposal(waiter: Waiter, change: CibChange<D>): void {
    if (!this.isActingDc(this.nowMs)) return; // the proposer retries until a DC acts
    const last = this.log.last;
    if ((last.applied[waiter.origin] ?? 0) >= waiter.seq) return this.addWaiter(last.index, waiter);
    if (this.chain.length >= this.maxPendingEntries) {
      return this.deliverResult(waiter, { ok: false, code: 'VIGIL_CRM_QUEUE_FULL', message: `the DC has ${this.maxPendingEntries} uncommitted changes` });
    }
    const outcome = this.applyChange(last.doc, change);
    if (typeof outcome === 'object' && outcome !== null && 'error' in outcome) return this.deliverResult(waiter, outcome.error);
    const applied = trimApplied({ ...last.applied, [waiter.origin]: waiter.seq });
    const entry: LogEntry<D> = { term: this.hard.term, index: last.index + 1, doc: outcome.doc, applied };
    this.chain.push(entry);
    this.setLog({ last: entry, committed: this.log.committed });
    this.events.push({ type: 'appended', entry, parent: { term: last.term, index: last.index } });
    this.addWaiter(entry.index, waiter);
    this.broadcastAppend();
  }

  private addWaiter(index: number, waiter: Waiter): void {
    if (index <= this.commitIndex) {
      return this.deliverResult(waiter, { ok: true, version: this.ops.version(this.log.committed.doc), index });
    }
    const list = this.waiters.get(index) ?? [];
    list.push(waiter);
    this.waiters.set(index, list);
  }

  private applyChange(current: D, change: CibChange<D>): { doc: D } | { error: ProposalResult } {
    const cur = this.ops.version(current);
    if (change.kind === 'attribute') {
      const doc = this.ops.setNodeAttribute(current, change.node, change.name, change.value);
      return { doc: this.ops.withVersion(doc, { ...cur, numUpdates: cur.numUpdates + 1 }) };
    }
    if (change.expected && compareVersions(change.expected, cur) !== 0) {
      return refuse('VIGIL_CRM_STALE_VERSION', `replace expected CIB version ${formatVersion(change.expected)} but the cluster is at ${formatVersion(cur)}; re-read and retry`);
    }
    const problem = this.ops.validate(change.doc);
    if (problem !== null) return refuse('VIGIL_CRM_INVALID_CIB', `replace refused, nothing applied: ${problem}`);
    const given = this.ops.version(change.doc);
    if (change.expected && this.ops.sameConfiguration?.(change.doc, current)) {
      // Only the status changed: a status update, not a new configuration.
      return { doc: this.ops.withVersion(change.doc, { ...cur, numUpdates: cur.numUpdates + 1 }) };
    }
    const next = nextReplaceVersion(given, cur);
    if (next === null) {
      return refuse('VIGIL_CRM_OLDER_VERSION', `replacement has version ${formatVersion(given)}, older than the cluster's ${formatVersion(cur)}`);
    }
    return { doc: this.ops.withVersion(change.doc, next) };
  }

  // ---------------------------------------------------------------- proposer side

  /**
   * Proposals from one origin go to the DC strictly one after another: the
   * DC takes a sequence number at or below the highest it applied for an
   * origin as a retry of something already applied, so a later proposal
   * must never overtake an earlier one that is still waiting.
   */
  private tickOutbox(): void {
    for (const item of this.outbox.values()) {
      if (this.nowMs >= item.deadlineMs) {
        this.settleOwn(item.seq, { ok: false, code: 'VIGIL_CRM_PROPOSAL_TIMEOUT', message: `change ${this.origin}/${item.seq} was not confirmed within ${this.proposalTimeoutMs} ms; it may or may not have been applied` });
        continue;
      }
      if (this.nowMs < item.nextSendMs) break;
      item.nextSendMs = this.nowMs + this.proposalRetryMs;
      if (this.role === 'leader') this.acceptProposal({ origin: this.origin, seq: item.seq, from: this.id }, item.change);
      else if (this.leaderId !== null) {
        this.messages.push({ type: 'propose', from: this.id, to: this.leaderId, term: this.hard.term, origin: this.origin, seq: item.seq, change: item.change });
      }
      break;
    }
  }

  private onProposeReply(message: ProposeReply): void {
    if (message.origin !== this.origin) return;
    this.settleOwn(message.seq, message.result);
    this.tickOutbox();
  }

  private settleOwn(seq: number, result: ProposalResult): void {
    if (!this.outbox.delete(seq)) return;
    this.events.push({ type: 'result', seq, result });
  }
}

function refuse(code: string, message: string): { error: ProposalResult } {
  return { error: { ok: false, code, message } };
}

/**
 * Versions only grow. A replacement carrying a higher (admin_epoch, epoch)
 * keeps it (an operator's deliberate bump); one carrying the current pair is an
 * edit of the current config and gets epoch + 1; anything lower is refused.
 */
export function nextReplaceVersion(given: CibVersion, current: CibVersion): CibVersion | null {
  const pair = given.adminEpoch - current.adminEpoch || given.epoch - current.epoch;
  if (pair > 0) return { adminEpoch: given.adminEpoch, epoch: given.epoch, numUpdates: 0 };
  if (pair === 0) return { adminEpoch: current.adminEpoch, epoch: current.epoch + 1, numUpdates: 0 };
  return null;
}

function trimApplied(applied: Record<string, number>): Record<string, number> {
  const keys = Object.keys(applied);
  if (keys.length <= MAX_APPLIED_ORIGINS) return applied;
  const kept: Record<string, number> = {};
  for (const key of keys.slice(keys.length - MAX_APPLIED_ORIGINS)) kept[key] = applied[key]!;
  return kept;
}
