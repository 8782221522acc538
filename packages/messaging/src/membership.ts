import { PeerLiveness } from './failure-detector.js';
import { lagToForgive } from './awareness.js';
import { Topology, connectedComponent, partitionCliques } from './topology.js';
import type { Random } from './random.js';
import { invariant } from './errors.js';
import { MessageType } from './wire/types.js';
import type { WireMessage } from './wire/message.js';
import { HB_PROBE, HB_REPLY, type Heartbeat, type Row } from './wire/heartbeat.js';
import { REJECT_EPOCH, REJECT_MEMBERS, type Member, type Propose } from './wire/agreement.js';

export interface MembershipOptions {
  self: number;
  nodeCount: number;
  /** Links usable towards each node (the smaller of both ends' link counts). */
  linkCounts: number[];
  incarnation: number;
  configDigest: number;
  heartbeatIntervalMs: number;
  tokenTimeoutMs: number;
  suspectAfterMs: number;
  settleMs: number;
  roundTimeoutMs: number;
  /** A member whose clique leader has not formed a view for this long falls back to a view of itself. */
  stuckTimeoutMs: number;
  random: Random;
}

/** 'all': every usable link (heartbeats, agreement); 'best': one link that is up. */
export type Route = 'all' | 'best';

export interface Outgoing {
  to: number;
  route: Route;
  message: WireMessage;
  /** For 'best': the how-many-th try; retries rotate over the links that are up. */
  attempt?: number;
  /** For 'best': use this link (an ack goes back on the link its data came in on). */
  viaLink?: number;
}

export interface InstalledView {
  epoch: number;
  leader: number;
  members: Member[];
}

export type CoreEvent =
  | { kind: 'view'; view: InstalledView; joined: Member[]; left: Member[] }
  | { kind: 'link'; node: number; link: number; up: boolean }
  | { kind: 'peer'; node: number; incarnation: number; alive: boolean }
  | { kind: 'suspect'; node: number }
  /** Trace for checkers: this node agreed to exactly this view. */
  | { kind: 'accepted'; epoch: number; leader: number; members: Member[] };

const NO_LEADER = 0xffff;
/** Unchanged rows carried per heartbeat besides our own and the recently changed ones. */
const ROTATING_ROWS = 8;

interface Round {
  epoch: number;
  members: Member[];
  key: string;
  accepted: Set<number>;
  startedMs: number;
  lastSendMs: number;
}

export function memberKey(members: Member[]): string {
  return members.map((m) => `${m.node}@${m.incarnation}`).join(',');
}

/**
 * The membership protocol as a pure state machine (no IO, no clock): inputs are
 * `receive` and `tick(nowMs)`, outputs are drained with `takeOutbox` / `takeEvents`.
 *
 * Agreement: every node gossips its adjacency row (the peers it is mutually
 * connected with); all nodes then compute the same clique partition. The lowest
 * node of a clique leads: it proposes the clique with an epoch above any seen,
 * each member accepts only if the proposal equals the clique it computes itself,
 * and the view is installed only once every member accepted. So a view never
 * names a node that did not agree to it, and connected nodes settle on one view.
 */
export class MembershipCore {
  readonly peers: PeerLiveness[];
  readonly topology: Topology;
  private readonly o: MembershipOptions;
  private outbox: Outgoing[] = [];
  private events: CoreEvent[] = [];

  private installed: InstalledView;
  private installedAtMs = -Infinity;
  private promised = { epoch: 0, leader: -1 };
  private acceptedProposal: Propose | null = null;
  private maxEpochSeen = 0;
  private round: Round | null = null;
  private nextRoundAllowedMs = -Infinity;
  private failedRounds = 0;
  private cliqueCache: { version: number; members: Member[] } | null = null;
  private gossipCursor = 0;
  private candidateKey = '';
  private candidateSinceMs = -Infinity;
  private stuckSinceMs: number | null = null;

  private rowVersion = 0;
  private rowDirty = false;
  private lastRowBroadcastMs = -Infinity;
  private nextHeartbeatMs = -Infinity;
  private expectedTickMs = Infinity;
  lagForgivenMs = 0;
  suspicions = 0;
  /** Authentic heartbeats from nodes configured with a different node list. */
  configMismatches = 0;

  constructor(options: MembershipOptions) {
    this.o = options;
    invariant(options.self >= 0 && options.self < options.nodeCount, 'self index in range');
    this.peers = options.linkCounts.map((n) => new PeerLiveness(n));
    this.topology = new Topology(options.nodeCount);
    this.installed = { epoch: 0, leader: options.self, members: [{ node: options.self, incarnation: options.incarnation }] };
    this.publishOwnRow();
    this.events.push({ kind: 'accepted', epoch: 0, leader: options.self, members: this.installed.members });
    this.events.push({ kind: 'view', view: this.installed, joined: this.installed.members, left: [] });
  }

  get self(): number {
    return this.o.self;
  }

  get incarnation(): number {
    return this.o.incarnation;
  }

  view(): InstalledView {
    return this.installed;
  }

  takeOutbox(): Outgoing[] {
    const out = this.outbox;
    this.outbox = [];
    return out;
  }

  takeEvents(): CoreEvent[] {
    const ev = this.events;
    this.events = [];
    return ev;
  }

  isAlive(node: number): boolean {
    return node === this.o.self || this.peers[node]!.alive;
  }

  /**
   * Link to send reliable data on: the first link that is up, else the one heard
   * last. Retries rotate over the up links, so a link that just failed (and is not
   * yet declared down) delays a retransmission by one timeout, not by the token timeout.
   */
  bestLink(node: number, attempt = 0): number {
    const p = this.peers[node]!;
    const up: number[] = [];
    p.linkUp.forEach((u, k) => {
      if (u) up.push(k);
    });
    if (up.length > 0) return up[attempt % up.length]!;
    let best = 0;
    p.linkHeardMs.forEach((t, k) => {
      if (t > p.linkHeardMs[best]!) best = k;
    });
    return (best + attempt) % p.linkCount;
  }

  // ---- inputs ---------------------------------------------------------------

  receive(from: number, link: number, incarnation: number, msg: WireMessage, nowMs: number, packetSeq = Infinity): void {
    if (from === this.o.self || from < 0 || from >= this.o.nodeCount) return;
    const p = this.peers[from]!;
    if (incarnation <= p.leftIncarnation) return;
    if (incarnation < p.incarnation) return;
    if (incarnation > p.incarnation) this.peerRestarted(from, incarnation);
    switch (msg.type) {
      case MessageType.Heartbeat: this.onHeartbeat(from, link, msg.body, nowMs, packetSeq); break;
      case MessageType.Leave: this.onLeave(from, incarnation, nowMs); break;
      case MessageType.Propose: this.onPropose(from, msg.body); break;
      case MessageType.Accept: this.onAccept(from, msg.body.epoch, msg.body.leader, nowMs); break;
      case MessageType.Reject: this.onReject(msg.body.epoch, msg.body.maxEpoch, msg.body.reason, nowMs); break;
      case MessageType.Commit: this.onCommit(from, msg.body, nowMs); break;
      default: break;
    }
    this.flushTriggered(nowMs);
  }

  tick(nowMs: number): void {
    const lag = lagToForgive(nowMs, this.expectedTickMs, this.o.heartbeatIntervalMs);
    if (lag > 0) {
      this.lagForgivenMs += lag;
      for (const p of this.peers) p.forgiveLag(lag);
    }
    this.expectedTickMs = Infinity;
    this.checkPeers(nowMs);
    if (nowMs >= this.nextHeartbeatMs) {
      this.nextHeartbeatMs = nowMs + this.o.heartbeatIntervalMs;
      for (let i = 0; i < this.o.nodeCount; i++) if (i !== this.o.self) this.sendHeartbeat(i, 0, nowMs);
      this.rowDirty = false;
      this.lastRowBroadcastMs = nowMs;
    }
    this.stepAgreement(nowMs);
    this.flushTriggered(nowMs);
  }

  /** Graceful stop: tell every peer this incarnation is gone. */
  leave(): void {
    for (let i = 0; i < this.o.nodeCount; i++) {
      if (i !== this.o.self) this.outbox.push({ to: i, route: 'all', message: { type: MessageType.Leave, body: {} } });
    }
  }

  /** Earliest time `tick` has something to do. */
  nextDeadline(nowMs: number): number {
    const o = this.o;
    let t = this.nextHeartbeatMs;
    for (let i = 0; i < this.peers.length; i++) {
      if (i === o.self) continue;
      const p = this.peers[i]!;
      const last = p.lastHeardMs();
      if (p.alive) {
        t = Math.min(t, last + o.tokenTimeoutMs);
        t = Math.min(t, p.suspect ? p.lastProbeMs + o.heartbeatIntervalMs / 2 : last + o.suspectAfterMs);
      }
      p.linkHeardMs.forEach((h, k) => {
        if (p.linkUp[k]) t = Math.min(t, h + o.tokenTimeoutMs);
      });
    }
    if (this.rowDirty) t = Math.min(t, this.lastRowBroadcastMs + o.heartbeatIntervalMs / 4);
    // Agreement steps also run on every heartbeat tick; only future instants matter here,
    // a past one was already acted on (or is waiting on others).
    const soon = (at: number): void => {
      if (at > nowMs) t = Math.min(t, at);
    };
    if (this.round) {
      soon(this.round.lastSendMs + o.heartbeatIntervalMs / 2);
      soon(this.round.startedMs + o.roundTimeoutMs);
    } else {
      soon(Math.max(this.candidateSinceMs + o.settleMs, this.nextRoundAllowedMs));
      if (this.stuckSinceMs !== null) soon(this.stuckSinceMs + o.stuckTimeoutMs);
      if (this.installed.leader === o.self) soon(this.installedAtMs + o.roundTimeoutMs);
    }
    // Checks in tick compare differences (now - last >= x) while deadlines are sums
    // (last + x); in floating point the two can disagree by one ulp. A floor of
    // 1 ms ahead keeps that from spinning the timer at zero delay.
    t = Math.max(t, nowMs + 1);
    this.expectedTickMs = t;
    return t;
  }

  // ---- failure detection ----------------------------------------------------

  private peerRestarted(from: number, incarnation: number): void {
    const p = this.peers[from]!;
    if (p.alive) this.markDead(from);
    p.resetFor(incarnation);
  }

  private onHeartbeat(from: number, link: number, hb: Heartbeat, nowMs: number, packetSeq: number): void {
    const o = this.o;
    const p = this.peers[from]!;
    if (hb.configDigest !== o.configDigest) {
      this.configMismatches++;
      return;
    }
    if (link < 0 || link >= p.linkCount) return;
    if (packetSeq !== Infinity) {
      // Overtaken by a newer heartbeat (copies on other links, reordering): it still
      // proves its link works, but its echo and reports describe the past.
      if (packetSeq < p.lastHeartbeatSeq) {
        p.linkHeardMs[link] = nowMs;
        this.updatePeer(from, nowMs);
        return;
      }
      p.lastHeartbeatSeq = packetSeq;
    }
    const wasHearing = p.hears(nowMs, o.tokenTimeoutMs);
    p.linkHeardMs[link] = nowMs;
    p.peerHearsLinks = hb.heardLinks;
    p.echoOk = hb.echoIncarnation === o.incarnation;
    p.reportedEpoch = hb.viewEpoch;
    p.reportedLeader = hb.viewLeader === NO_LEADER ? -1 : hb.viewLeader;
    p.reportedPromised = hb.promisedEpoch;
    const sameView = hb.viewEpoch === this.installed.epoch && p.reportedLeader === this.installed.leader;
    p.staleReports = sameView ? 0 : p.staleReports + 1;
    this.maxEpochSeen = Math.max(this.maxEpochSeen, hb.viewEpoch, hb.promisedEpoch);
    if (p.suspect) p.suspect = false;
    for (const row of hb.rows) {
      if (row.node === o.self) continue;
      if (this.topology.offer(row, nowMs)) this.rowDirty = true;
    }
    this.updatePeer(from, nowMs);
    // Answer probes, and complete a handshake at once instead of one interval later.
    const needsAnswer = (hb.flags & HB_PROBE) !== 0 || ((hb.flags & HB_REPLY) === 0 && (!p.echoOk || !wasHearing));
    if (needsAnswer && nowMs - p.lastTriggeredMs >= o.heartbeatIntervalMs / 4) {
      p.lastTriggeredMs = nowMs;
      this.sendHeartbeat(from, HB_REPLY, nowMs);
    }
    this.maybeImplicitCommit(from, hb, nowMs);
  }

  private onLeave(from: number, incarnation: number, nowMs: number): void {
    const p = this.peers[from]!;
    p.leftIncarnation = incarnation;
    p.linkHeardMs.fill(-Infinity);
    p.echoOk = false;
    this.updatePeer(from, nowMs);
  }

  private checkPeers(nowMs: number): void {
    const o = this.o;
    for (let i = 0; i < this.peers.length; i++) {
      if (i === o.self) continue;
      const p = this.peers[i]!;
      this.updatePeer(i, nowMs);
      if (!p.alive) continue;
      const silentMs = nowMs - p.lastHeardMs();
      if (!p.suspect && silentMs >= o.suspectAfterMs) {
        p.suspect = true;
        this.suspicions++;
        this.events.push({ kind: 'suspect', node: i });
      }
      if (p.suspect && nowMs - p.lastProbeMs >= o.heartbeatIntervalMs / 2) {
        p.lastProbeMs = nowMs;
        this.sendHeartbeat(i, HB_PROBE, nowMs);
      }
    }
  }

  /** Recomputes link and liveness state of one peer from what was heard. */
  private updatePeer(i: number, nowMs: number): void {
    const o = this.o;
    const p = this.peers[i]!;
    for (let k = 0; k < p.linkCount; k++) {
      const up = nowMs - p.linkHeardMs[k]! < o.tokenTimeoutMs && (p.peerHearsLinks & (1 << k)) !== 0 && p.echoOk;
      if (up !== p.linkUp[k]) {
        p.linkUp[k] = up;
        this.events.push({ kind: 'link', node: i, link: k, up });
      }
    }
    const alive = p.echoOk && p.hears(nowMs, o.tokenTimeoutMs);
    if (alive && !p.alive) {
      p.alive = true;
      p.suspect = false;
      this.events.push({ kind: 'peer', node: i, incarnation: p.incarnation, alive: true });
      this.publishOwnRow();
    } else if (!alive && p.alive) {
      this.markDead(i);
    }
  }

  private markDead(i: number): void {
    const p = this.peers[i]!;
    p.alive = false;
    p.suspect = false;
    p.echoOk = false;
    for (let k = 0; k < p.linkCount; k++) {
      if (p.linkUp[k]) {
        p.linkUp[k] = false;
        this.events.push({ kind: 'link', node: i, link: k, up: false });
      }
    }
    this.events.push({ kind: 'peer', node: i, incarnation: p.incarnation, alive: false });
    this.publishOwnRow();
  }

  private publishOwnRow(): void {
    const peers: number[] = [];
    this.peers.forEach((p, i) => {
      if (i !== this.o.self && p.alive) peers.push(i);
    });
    this.rowVersion++;
    this.topology.set({ node: this.o.self, incarnation: this.o.incarnation, version: this.rowVersion, peers });
    this.rowDirty = true;
  }

  private sendHeartbeat(to: number, flags: number, nowMs: number): void {
    const o = this.o;
    const p = this.peers[to]!;
    const hears = p.hears(nowMs, o.tokenTimeoutMs) && p.incarnation > p.leftIncarnation;
    const body: Heartbeat = {
      flags,
      configDigest: o.configDigest,
      echoIncarnation: hears ? p.incarnation : 0,
      heardLinks: hears ? p.heardLinksMask(nowMs, o.tokenTimeoutMs) : 0,
      viewEpoch: this.installed.epoch,
      viewLeader: this.installed.leader,
      promisedEpoch: this.promised.epoch,
      rows: this.rowsToGossip(nowMs),
    };
    this.outbox.push({ to, route: 'all', message: { type: MessageType.Heartbeat, body } });
  }

  /**
   * Our own row, every row that changed within the token timeout, and a few
   * others in rotation: a heartbeat stays small in a large cluster while recent
   * changes spread at once and every row is refreshed within a few intervals.
   */
  private rowsToGossip(nowMs: number): Row[] {
    const rows = this.topology.rows;
    const n = rows.length;
    const out: Row[] = [];
    const taken = new Set<number>();
    for (let i = 0; i < n; i++) {
      const r = rows[i];
      if (r && (i === this.o.self || nowMs - this.topology.changedAtMs[i]! < this.o.tokenTimeoutMs)) {
        out.push(r);
        taken.add(i);
      }
    }
    for (let k = 0, added = 0; k < n && added < ROTATING_ROWS; k++) {
      const i = (this.gossipCursor + k) % n;
      const r = rows[i];
      if (r && !taken.has(i)) {
        out.push(r);
        added++;
      }
    }
    this.gossipCursor = (this.gossipCursor + ROTATING_ROWS) % n;
    return out;
  }

  /** Adjacency changes travel at once (rate-limited) rather than at the next interval. */
  private flushTriggered(nowMs: number): void {
    if (!this.rowDirty || nowMs - this.lastRowBroadcastMs < this.o.heartbeatIntervalMs / 4) return;
    this.rowDirty = false;
    this.lastRowBroadcastMs = nowMs;
    for (let i = 0; i < this.o.nodeCount; i++) {
      if (i !== this.o.self && (this.peers[i]!.alive || this.peers[i]!.hears(nowMs, this.o.tokenTimeoutMs))) this.sendHeartbeat(i, HB_REPLY, nowMs);
    }
  }

  // ---- agreement ------------------------------------------------------------

  /**
   * The clique this node belongs to, split from the nodes it is connected to
   * (itself included). Nodes it has declared dead are left out even while
   * others' rows still show them, so that such a node cannot pull this one into
   * a clique of one before the other rows catch up.
   */
  currentClique(): Member[] {
    // Alive peers are exactly our own row, so the topology version covers every input.
    if (this.cliqueCache && this.cliqueCache.version === this.topology.version) return this.cliqueCache.members;
    const members = this.computeClique();
    this.cliqueCache = { version: this.topology.version, members };
    return members;
  }

  private computeClique(): Member[] {
    const self = this.o.self;
    const adj = this.topology.adjacency();
    const component = connectedComponent(adj, self);
    const near = component.filter((i) => i === self || this.peers[i]!.alive);
    const cliques = partitionCliques(adj, near);
    const mine = cliques.find((c) => c.includes(self)) ?? [self];
    return mine
      .sort((a, b) => a - b)
      .map((i) => ({ node: i, incarnation: i === self ? this.o.incarnation : this.peers[i]!.incarnation }));
  }

  private stepAgreement(nowMs: number): void {
    const o = this.o;
    const clique = this.currentClique();
    const key = memberKey(clique);
    if (key !== this.candidateKey) {
      this.candidateKey = key;
      this.candidateSinceMs = nowMs;
    }
    const installedKey = memberKey(this.installed.members);
    if (installedKey === key) this.stuckSinceMs = null;
    else if (this.stuckSinceMs === null) this.stuckSinceMs = nowMs;

    const r = this.round;
    if (r) {
      if (r.key !== key || nowMs - r.startedMs >= o.roundTimeoutMs) {
        this.abortRound(nowMs, o.heartbeatIntervalMs / 2);
      } else {
        if (nowMs - r.lastSendMs >= o.heartbeatIntervalMs / 2) this.sendProposals(r, nowMs);
        return;
      }
    }
    if (this.installed.members.length > 1 && this.viewOutdated()) {
      // Members of our view have moved on to a newer view without us: ours no
      // longer exists anywhere else, so do not keep claiming it.
      const alone = [{ node: o.self, incarnation: o.incarnation }];
      this.startRound(alone, memberKey(alone), nowMs);
      return;
    }
    if (nowMs - this.candidateSinceMs < o.settleMs || nowMs < this.nextRoundAllowedMs) return;
    if (this.stuckSinceMs !== null && nowMs - this.stuckSinceMs >= o.stuckTimeoutMs && this.installed.members.length > 1) {
      // No round has formed our clique for a long time (the others see a different
      // partition): leave a view we can no longer vouch for rather than keep it.
      const alone = [{ node: o.self, incarnation: o.incarnation }];
      this.stuckSinceMs = nowMs;
      this.startRound(alone, memberKey(alone), nowMs);
      return;
    }
    if (clique[0]!.node === o.self && this.needsNewView(clique, key, nowMs)) this.startRound(clique, key, nowMs);
  }

  private viewOutdated(): boolean {
    return this.installed.members.some((m) => {
      if (m.node === this.o.self) return false;
      const p = this.peers[m.node]!;
      return p.alive && p.incarnation === m.incarnation && p.staleReports >= 2 && p.reportedEpoch > this.installed.epoch;
    });
  }

  private needsNewView(clique: Member[], key: string, nowMs: number): boolean {
    if (memberKey(this.installed.members) !== key) return true;
    if (this.installed.leader !== this.o.self || nowMs - this.installedAtMs < this.o.roundTimeoutMs) return false;
    // A member still reports another view in heartbeats sent after our commit
    // (one may have been in flight during it): agree again.
    return clique.some((m) => m.node !== this.o.self && this.peers[m.node]!.staleReports >= 2);
  }

  private startRound(members: Member[], key: string, nowMs: number): void {
    const o = this.o;
    const epoch = Math.max(this.maxEpochSeen, this.installed.epoch, this.promised.epoch) + 1;
    this.maxEpochSeen = epoch;
    this.promised = { epoch, leader: o.self };
    this.acceptedProposal = { epoch, leader: o.self, members };
    this.events.push({ kind: 'accepted', epoch, leader: o.self, members });
    const r: Round = { epoch, members, key, accepted: new Set([o.self]), startedMs: nowMs, lastSendMs: nowMs };
    this.round = r;
    if (members.length === 1) {
      this.commitRound(r, nowMs);
      return;
    }
    this.sendProposals(r, nowMs);
  }

  private sendProposals(r: Round, nowMs: number): void {
    r.lastSendMs = nowMs;
    const body: Propose = { epoch: r.epoch, leader: this.o.self, members: r.members };
    for (const m of r.members) {
      if (!r.accepted.has(m.node)) this.outbox.push({ to: m.node, route: 'all', message: { type: MessageType.Propose, body } });
    }
  }

  private abortRound(nowMs: number, backoffMs: number): void {
    this.round = null;
    // Repeated failures (a partition seen differently by others) back off up to
    // the token timeout, so a stuck leader does not flood its peers with proposals.
    this.failedRounds = Math.min(this.failedRounds + 1, 8);
    const maxMs = Math.min(this.o.tokenTimeoutMs, backoffMs * 2 ** Math.max(0, this.failedRounds - 2));
    this.nextRoundAllowedMs = nowMs + maxMs / 2 + this.o.random.next() * (maxMs / 2);
  }

  private commitRound(r: Round, nowMs: number): void {
    this.round = null;
    this.install({ epoch: r.epoch, leader: this.o.self, members: r.members }, nowMs);
    const body: Propose = { epoch: r.epoch, leader: this.o.self, members: r.members };
    for (const m of r.members) {
      if (m.node !== this.o.self) this.outbox.push({ to: m.node, route: 'all', message: { type: MessageType.Commit, body } });
    }
  }

  private onPropose(from: number, p: Propose): void {
    const self = this.o.self;
    if (p.leader !== from) return;
    this.maxEpochSeen = Math.max(this.maxEpochSeen, p.epoch);
    const reject = (reason: number): void => {
      const maxEpoch = Math.max(this.maxEpochSeen, this.installed.epoch, this.promised.epoch);
      this.outbox.push({ to: from, route: 'all', message: { type: MessageType.Reject, body: { epoch: p.epoch, leader: p.leader, reason, maxEpoch } } });
    };
    const samePromise = p.epoch === this.promised.epoch && p.leader === this.promised.leader;
    if (p.epoch <= this.installed.epoch || p.epoch < this.promised.epoch || (p.epoch === this.promised.epoch && !samePromise)) {
      reject(REJECT_EPOCH);
      return;
    }
    if (memberKey(p.members) !== memberKey(this.currentClique())) {
      reject(REJECT_MEMBERS);
      return;
    }
    invariant(p.members.some((m) => m.node === self && m.incarnation === this.o.incarnation), 'clique contains self');
    if (!samePromise) {
      if (this.round && this.round.epoch < p.epoch) this.round = null;
      this.promised = { epoch: p.epoch, leader: p.leader };
      this.acceptedProposal = p;
      this.events.push({ kind: 'accepted', epoch: p.epoch, leader: p.leader, members: p.members });
    }
    this.outbox.push({ to: from, route: 'all', message: { type: MessageType.Accept, body: { epoch: p.epoch, leader: p.leader } } });
  }

  private onAccept(from: number, epoch: number, leader: number, nowMs: number): void {
    const r = this.round;
    if (!r || leader !== this.o.self || epoch !== r.epoch) return;
    const member = r.members.find((m) => m.node === from);
    if (!member || member.incarnation !== this.peers[from]!.incarnation) return;
    r.accepted.add(from);
    if (r.accepted.size === r.members.length) this.commitRound(r, nowMs);
  }

  private onReject(epoch: number, maxEpoch: number, reason: number, nowMs: number): void {
    this.maxEpochSeen = Math.max(this.maxEpochSeen, maxEpoch);
    if (!this.round || this.round.epoch !== epoch) return;
    // An epoch clash is fixed by bidding higher at once; a membership mismatch
    // needs gossip to catch up first.
    this.abortRound(nowMs, reason === REJECT_EPOCH ? this.o.heartbeatIntervalMs / 4 : this.o.heartbeatIntervalMs);
  }

  private onCommit(from: number, c: Propose, nowMs: number): void {
    const a = this.acceptedProposal;
    if (!a || c.leader !== from || a.leader !== c.leader || a.epoch !== c.epoch || memberKey(a.members) !== memberKey(c.members)) return;
    if (c.epoch <= this.installed.epoch) return;
    this.install(a, nowMs);
  }

  /** The leader's heartbeat shows it installed the proposal we accepted: a lost Commit. */
  private maybeImplicitCommit(from: number, hb: Heartbeat, nowMs: number): void {
    const a = this.acceptedProposal;
    if (!a || a.leader !== from || hb.viewLeader !== from || hb.viewEpoch !== a.epoch) return;
    if (a.epoch <= this.installed.epoch) return;
    this.install(a, nowMs);
  }

  private install(v: InstalledView, nowMs: number): void {
    const old = this.installed;
    invariant(v.epoch > old.epoch, `view epochs increase (${old.epoch} -> ${v.epoch})`);
    const oldKeys = new Set(old.members.map((m) => `${m.node}@${m.incarnation}`));
    const newKeys = new Set(v.members.map((m) => `${m.node}@${m.incarnation}`));
    const joined = v.members.filter((m) => !oldKeys.has(`${m.node}@${m.incarnation}`));
    const left = old.members.filter((m) => !newKeys.has(`${m.node}@${m.incarnation}`));
    this.installed = { epoch: v.epoch, leader: v.leader, members: [...v.members] };
    this.failedRounds = 0;
    for (const p of this.peers) p.staleReports = 0;
    this.installedAtMs = nowMs;
    if (this.round && this.round.epoch <= v.epoch) this.round = null;
    if (memberKey(v.members) === this.candidateKey) this.stuckSinceMs = null;
    this.events.push({ kind: 'view', view: this.installed, joined, left });
    // Members learn of the new view from our next heartbeat too.
    this.rowDirty = true;
  }
}
