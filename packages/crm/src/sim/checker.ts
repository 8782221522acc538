/**
 * Invariant checks over a simulated cluster, safety first:
 * - at most one node acting as DC at any instant of real time;
 * - committed CIB entries never fork, versions only grow, nothing invalid commits,
 *   every change acknowledged to a client stays committed;
 * - the newest committed entry is on the disks of a quorum (nodes whose disk a
 *   fault destroyed count until they resync, since the fault model took it);
 * then liveness:
 * - a connected, quorate set of healthy nodes has an acting DC within a bound;
 * - at the end, after healing, all live members hold the same committed CIB.
 */
import type { CrmEvent } from '../core.js';
import { Votequorum, type QuorumConfig, type NodeId } from '../quorum.js';
import { compareVersions, formatVersion, type LogEntry } from '../types.js';
import type { SimCluster, SimNode, ClusterObserver } from './cluster.js';
import { simDocOps, type SimDoc } from './doc.js';

interface ActingRecord {
  readonly node: NodeId;
  readonly term: number;
  startMs: number;
  endMs: number;
  open: boolean;
}

const key = (e: { term: number; index: number }): string => `${e.term}:${e.index}`;

export class SimChecker implements ClusterObserver {
  readonly violations: string[] = [];
  private readonly acting = new Map<string, ActingRecord>();
  private readonly contentByKey = new Map<string, string>();
  private readonly parentByKey = new Map<string, LogEntry<SimDoc> | null>();
  private readonly entryByKey = new Map<string, LogEntry<SimDoc>>();
  private maxCommitted: LogEntry<SimDoc> | null = null;
  private readonly committedVersionByNode = new Map<NodeId, LogEntry<SimDoc>>();
  private readonly acknowledged: { index: number; version: string; node: NodeId; seq: number }[] = [];
  private readonly quorum: Votequorum;
  private qualifyingSince: { key: string; sinceMs: number } | null = null;
  private presenceCacheKey = '';
  cluster: SimCluster | null = null;

  constructor(
    quorumConfig: QuorumConfig,
    private readonly livenessBoundMs: number,
  ) {
    this.quorum = new Votequorum(quorumConfig, 0);
  }

  private fail(realMs: number, message: string): void {
    if (this.violations.length < 20) this.violations.push(`t=${realMs.toFixed(1)}ms: ${message}`);
  }

  // ------------------------------------------------------------ observer hooks

  private onAppended(node: SimNode, entry: LogEntry<SimDoc>, parent: { term: number; index: number }, realMs: number): void {
    const k = key(entry);
    const content = JSON.stringify(entry.doc) + JSON.stringify(entry.applied);
    const known = this.contentByKey.get(k);
    if (known !== undefined) {
      if (known !== content) this.fail(realMs, `node ${node.id}: entry ${k} was created twice with different contents (two DCs in one term?)`);
      return;
    }
    if (parent.index !== entry.index - 1) this.fail(realMs, `node ${node.id}: entry ${k} skips from parent ${key(parent)}`);
    this.contentByKey.set(k, content);
    this.parentByKey.set(k, parent.index === 0 ? null : (this.entryByKey.get(key(parent)) ?? null));
    this.entryByKey.set(k, entry);
  }

  onEvent(node: SimNode, event: CrmEvent<SimDoc>, realMs: number): void {
    if (event.type === 'appended') this.onAppended(node, event.entry, event.parent, realMs);
    if (event.type === 'committed') this.onCommitted(node, event.entry, realMs);
    if (event.type === 'result' && event.result.ok) {
      this.acknowledged.push({ index: event.result.index, version: formatVersion(event.result.version), node: node.id, seq: event.seq });
    }
  }

  private descends(entry: LogEntry<SimDoc>, ancestor: LogEntry<SimDoc>): boolean {
    let cur: LogEntry<SimDoc> | null | undefined = entry;
    for (let steps = 0; cur && steps < 100_000; steps++) {
      if (cur.index < ancestor.index) return false;
      if (cur.index === ancestor.index) return cur.term === ancestor.term;
      cur = this.parentByKey.get(key(cur));
    }
    return false;
  }

  private onCommitted(node: SimNode, entry: LogEntry<SimDoc>, realMs: number): void {
    const problem = simDocOps.validate(entry.doc);
    if (problem !== null) this.fail(realMs, `node ${node.id}: committed an invalid CIB: ${problem}`);
    const previous = this.committedVersionByNode.get(node.id);
    if (previous && compareVersions(entry.doc.version, previous.doc.version) < 0) {
      this.fail(realMs, `node ${node.id}: committed version went back from ${formatVersion(previous.doc.version)} to ${formatVersion(entry.doc.version)}`);
    }
    this.committedVersionByNode.set(node.id, entry);
    const max = this.maxCommitted;
    if (!max || entry.index > max.index) {
      if (max && !this.descends(entry, max)) this.fail(realMs, `node ${node.id}: committed ${key(entry)} does not descend from committed ${key(max)} (fork)`);
      if (max && compareVersions(entry.doc.version, max.doc.version) < 0) this.fail(realMs, `committed versions shrink from ${key(max)} to ${key(entry)}`);
      this.maxCommitted = entry;
    } else if (!this.descends(max, entry)) {
      this.fail(realMs, `node ${node.id}: committed ${key(entry)} is not an ancestor of committed ${key(max)} (fork)`);
    }
  }

  // ------------------------------------------------------------ per-step checks

  afterStep(cluster: SimCluster): void {
    this.checkActing(cluster);
    this.checkPresence(cluster);
    this.checkLiveness(cluster);
  }

  private checkActing(cluster: SimCluster): void {
    const now = cluster.nowMs;
    for (const record of this.acting.values()) {
      const node = cluster.nodes.get(record.node)!;
      const still = node.alive && node.core?.currentRole === 'leader' && node.core.term === record.term;
      if (record.open && !still) {
        record.open = false;
        record.endMs = Math.min(record.endMs, now);
      }
    }
    for (const node of cluster.liveNodes()) {
      const core = node.core!;
      const window = core.actingWindowMs();
      if (window === null || window.untilMs === 0) continue;
      const recordKey = `${node.id}@${core.term}`;
      const start = cluster.realOf(node, window.fromMs);
      const end = cluster.realOf(node, window.untilMs);
      if (end <= start) continue;
      const record = this.acting.get(recordKey);
      if (record) record.endMs = Math.max(record.endMs, end);
      else this.acting.set(recordKey, { node: node.id, term: core.term, startMs: start, endMs: end, open: true });
      this.checkOverlap(this.acting.get(recordKey)!, now);
    }
    // Also catch a node that acts right now by its own clock while another record covers now.
    const actingNow = cluster.liveNodes().filter((n) => n.core!.isActingDc(cluster.localMs(n)));
    if (actingNow.length > 1) this.fail(now, `${actingNow.length} nodes act as DC at once: ${actingNow.map((n) => n.id).join(', ')}`);
  }

  private checkOverlap(record: ActingRecord, now: number): void {
    for (const other of this.acting.values()) {
      if (other === record || other.node === record.node) continue;
      if (record.startMs < other.endMs && other.startMs < record.endMs) {
        this.fail(now, `DC windows overlap: node ${record.node} (term ${record.term}) acts ${record.startMs.toFixed(1)}–${record.endMs.toFixed(1)}, node ${other.node} (term ${other.term}) ${other.startMs.toFixed(1)}–${other.endMs.toFixed(1)}`);
        other.endMs = Math.min(other.endMs, record.startMs); // report each overlap once
      }
    }
  }

  private checkPresence(cluster: SimCluster): void {
    const committed = this.maxCommitted;
    if (!committed) return;
    const nodes = [...cluster.nodes.values()];
    const cacheKey = key(committed) + '|' + nodes.map((n) => (n.disk.log ? key(n.disk.log.last) : n.diskLost ? 'lost' : 'none')).join(',');
    if (cacheKey === this.presenceCacheKey) return;
    this.presenceCacheKey = cacheKey;
    const holders = nodes.filter((n) => n.disk.log && this.descends(n.disk.log.last, committed)).map((n) => n.id);
    const lost = nodes.filter((n) => n.diskLost).map((n) => n.id);
    if (holders.length === 0 || !this.quorum.isQuorumSet([...holders, ...lost])) {
      this.fail(cluster.nowMs, `committed ${key(committed)} (version ${formatVersion(committed.doc.version)}) is on the disks of only [${holders.join(', ')}]${lost.length ? ` (lost disks: ${lost.join(', ')})` : ''}`);
    }
  }

  /**
   * Whether destroying this node's disk stays within what the cluster is meant
   * to survive: another disk holds the newest committed entry and the nodes
   * with intact disks can still form a quorum to elect a DC.
   */
  diskLossIsRecoverable(cluster: SimCluster, id: NodeId): boolean {
    const others = [...cluster.nodes.values()].filter((n) => n.id !== id && !n.diskLost);
    if (!this.quorum.isQuorumSet(others.map((n) => n.id))) return false;
    const committed = this.maxCommitted;
    if (!committed) return true;
    return others.some((n) => n.disk.log && this.descends(n.disk.log.last, committed));
  }

  private qualifyingCache: { signature: string; set: NodeId[] | null } = { signature: '', set: null };

  /** The largest set of live, healthy, quorate nodes that all reach each other both ways. */
  private qualifyingSet(cluster: SimCluster): NodeId[] | null {
    const healthy = cluster.liveNodes().filter((n) => !n.core!.needsSync && n.core!.quorumStatus().quorate);
    const synced = this.quorum.status().twoNode ? healthy.map((n) => n.core!.nodeStates()[n.id]).join(',') : '';
    const signature = `${cluster.topologyEpoch}|${healthy.map((n) => n.id).join(',')}|${synced}`;
    if (signature === this.qualifyingCache.signature) return this.qualifyingCache.set;
    const set = this.searchQualifying(cluster, healthy);
    this.qualifyingCache = { signature, set };
    return set;
  }

  /**
   * The union of every set of healthy nodes that reach each other both ways and
   * hold quorum: some node of one such set must be acting DC. (Several sets can
   * overlap under one-way cuts; the DC may sit in any of them.) A lone two_node
   * survivor counts only once it has synced since its start, as the core demands.
   */
  private searchQualifying(cluster: SimCluster, healthy: SimNode[]): NodeId[] | null {
    const union = new Set<NodeId>();
    const count = healthy.length;
    for (let mask = 1; mask < 1 << count; mask++) {
      const set = healthy.filter((_, i) => mask & (1 << i));
      if (set.every((n) => union.has(n.id))) continue;
      const connected = set.every((a) => set.every((b) => cluster.linkUp(a.id, b.id)));
      if (!connected || !this.quorum.isQuorumSet(set.map((n) => n.id))) continue;
      const lone = set.length === 1 && this.quorum.status().twoNode;
      if (lone && set[0]!.core!.nodeStates()[set[0]!.id] !== 'member') continue;
      for (const n of set) union.add(n.id);
    }
    return union.size ? [...union].sort((a, b) => a - b) : null;
  }

  private checkLiveness(cluster: SimCluster): void {
    // Liveness is promised only on a network where a heartbeat round trip fits in a lease.
    const set = cluster.faults.delayMaxMs <= 100 ? this.qualifyingSet(cluster) : null;
    if (!set) {
      this.qualifyingSince = null;
      return;
    }
    const hasDc = set.some((id) => {
      const node = cluster.nodes.get(id)!;
      return node.core!.isActingDc(cluster.localMs(node));
    });
    const setKey = `${cluster.topologyEpoch}|${set.join(',')}`;
    if (!this.qualifyingSince || this.qualifyingSince.key !== setKey || hasDc) {
      this.qualifyingSince = { key: setKey, sinceMs: hasDc ? cluster.nowMs : Math.max(cluster.nowMs, cluster.topologySinceMs) };
      return;
    }
    if (cluster.nowMs - this.qualifyingSince.sinceMs >= this.livenessBoundMs) {
      this.fail(cluster.nowMs, `nodes [${set.join(', ')}] were connected and quorate for ${this.livenessBoundMs} ms without an acting DC`);
      this.qualifyingSince = null;
    }
  }

  /**
   * Problems that keep a healed cluster from counting as converged: not exactly
   * one acting DC, a live node on another committed entry, or an acknowledged
   * change missing from the committed history. Empty when converged.
   */
  convergenceProblems(cluster: SimCluster): string[] {
    const live = cluster.liveNodes();
    const dcs = live.filter((n) => n.core!.isActingDc(cluster.localMs(n)));
    if (dcs.length !== 1) return [`after healing, ${dcs.length} acting DCs among live nodes`];
    const problems: string[] = [];
    const reference = dcs[0]!.core!.committedEntry;
    for (const node of live) {
      const mine = node.core!.committedEntry;
      if (key(mine) !== key(reference)) problems.push(`after healing, node ${node.id} holds committed ${key(mine)}, DC ${dcs[0]!.id} holds ${key(reference)}`);
    }
    for (const ack of this.acknowledged) {
      const entry = this.findCommittedAt(reference, ack.index);
      if (!entry) problems.push(`change ${ack.node}/${ack.seq} was acknowledged at index ${ack.index} but is not in the committed history`);
      else if (formatVersion(entry.doc.version) !== ack.version) {
        problems.push(`change ${ack.node}/${ack.seq} acknowledged as version ${ack.version}, committed history has ${formatVersion(entry.doc.version)} at index ${ack.index}`);
      }
    }
    return problems;
  }

  reportConvergence(cluster: SimCluster, problems: readonly string[]): void {
    for (const problem of problems) this.fail(cluster.nowMs, problem);
  }

  private findCommittedAt(head: LogEntry<SimDoc>, index: number): LogEntry<SimDoc> | null {
    let cur: LogEntry<SimDoc> | null | undefined = head;
    for (let steps = 0; cur && steps < 100_000; steps++) {
      if (cur.index === index) return cur;
      if (cur.index < index) return null;
      cur = this.parentByKey.get(key(cur));
    }
    return null;
  }
}
