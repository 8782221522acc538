/**
 * A simulated cluster: CrmCore nodes on an in-memory network with virtual real
 * time, one drifting clock per node, simulated disks that can come back
 * truncated or corrupted, crashes, restarts and fencing. Everything is driven
 * by the caller (the random runner or a scripted test); nothing reads a clock.
 */
import { CrmCore, type CrmCoreOptions, type CrmEvent } from '../core.js';
import type { CrmMessage } from '../messages.js';
import type { NodeId, QuorumConfig } from '../quorum.js';
import { encodeRecord } from '../record.js';
import { assembleLoaded, decodeHard, decodeLog } from '../store.js';
import type { CibChange, HardState, LogEntry, LogState } from '../types.js';
import { simDocOps, type SimDoc } from './doc.js';
import type { SeededRandom } from './random.js';

export type DiskFault = 'keep' | 'truncate' | 'corrupt';

export class SimDisk {
  /** Raw file contents as a restart reads them; null when the file does not exist. */
  hardText: string | null = null;
  logText: string | null = null;
  /** The decoded log as last written, so checkers need not re-parse. null once a fault destroyed it. */
  log: LogState<SimDoc> | null = null;
  private hard: HardState | null = null;
  /** Encoding (and hashing) is deferred to the next restart: a running node never reads its files. */
  private dirty = false;

  save(update: { readonly hard?: HardState; readonly log?: LogState<SimDoc> }): void {
    if (update.hard) this.hard = update.hard;
    if (update.log) this.log = update.log;
    this.dirty = true;
  }

  /** The bytes on disk, as the same encoder the real store uses would have written them. */
  flush(): void {
    if (!this.dirty) return;
    if (this.hard) this.hardText = encodeRecord(this.hard);
    if (this.log) this.logText = encodeRecord(this.log);
    this.dirty = false;
  }

  /** What the store does after setting a bad log aside: no log file, loss recorded. */
  setAsideLog(hard: HardState): void {
    this.flush();
    this.logText = null;
    this.log = null;
    this.hard = { ...hard, logLost: true };
    this.hardText = encodeRecord(this.hard);
  }

  damage(fault: DiskFault, random: SeededRandom): void {
    this.flush();
    if (fault === 'keep' || this.logText === null) return;
    const text = this.logText;
    if (fault === 'truncate') this.logText = text.slice(0, random.int(0, text.length - 1));
    else {
      const at = random.int(0, text.length - 1);
      const flipped = text.charCodeAt(at) === 0x30 ? '1' : '0';
      this.logText = text.slice(0, at) + flipped + text.slice(at + 1);
    }
    this.log = null;
  }
}

export interface LinkFaults {
  lossRatio: number;
  duplicateRatio: number;
  delayMinMs: number;
  delayMaxMs: number;
}

interface InFlight {
  readonly deliverAtMs: number;
  readonly order: number;
  readonly to: NodeId;
  readonly toIncarnation: number;
  readonly message: CrmMessage<SimDoc>;
}

export interface SimNode {
  readonly id: NodeId;
  alive: boolean;
  incarnation: number;
  core: CrmCore<SimDoc> | null;
  readonly disk: SimDisk;
  /** local = offsetMs + rate × real */
  readonly clockOffsetMs: number;
  readonly clockRate: number;
  deliveredViewKey: string;
  pendingViewKey: string;
  pendingViewSinceMs: number;
  /** Set when a fault destroyed its log, cleared when it has resynced. */
  diskLost: boolean;
}

export interface ClusterObserver {
  onEvent?(node: SimNode, event: CrmEvent<SimDoc>, realMs: number): void;
  onPersist?(node: SimNode, before: LogEntry<SimDoc>, after: LogEntry<SimDoc>, realMs: number): void;
}

export interface ClusterOptions {
  readonly quorum: QuorumConfig;
  readonly random: SeededRandom;
  readonly core?: Partial<Omit<CrmCoreOptions<SimDoc>, 'id' | 'quorum' | 'ops' | 'random'>>;
  readonly maxDriftRatio: number;
  readonly viewDelayMs: number;
  readonly fenceDelayMs: number;
  /** A fence completed and powered this node off (the runner reboots it later). */
  readonly onFenceKill?: (target: NodeId) => void;
  readonly faults: LinkFaults;
  readonly observer?: ClusterObserver;
  readonly trace?: (line: string) => void;
}

const MAX_DRAIN_ROUNDS = 64;
const MAX_IN_FLIGHT = 20_000;

export class SimCluster {
  readonly nodes = new Map<NodeId, SimNode>();
  nowMs = 0;
  /** Directed link a→b is cut when `${a}>${b}` is here. */
  readonly cutLinks = new Set<string>();
  faults: LinkFaults;
  private inFlight: InFlight[] = [];
  private order = 0;
  private readonly random: SeededRandom;
  private readonly pendingFences: { atMs: number; by: NodeId; byIncarnation: number; target: NodeId }[] = [];
  /** Bumped on every crash, restart or link change: liveness windows restart then. */
  topologyEpoch = 0;
  topologySinceMs = 0;

  constructor(private readonly options: ClusterOptions) {
    this.random = options.random;
    this.faults = options.faults;
    for (const q of options.quorum.nodes) {
      const drift = (this.random.next() * 2 - 1) * options.maxDriftRatio;
      this.nodes.set(q.id, {
        id: q.id,
        alive: false,
        incarnation: 0,
        core: null,
        disk: new SimDisk(),
        clockOffsetMs: this.random.int(0, 100_000),
        clockRate: 1 + drift,
        deliveredViewKey: '',
        pendingViewKey: '',
        pendingViewSinceMs: 0,
        diskLost: false,
      });
    }
  }

  localMs(node: SimNode, realMs = this.nowMs): number {
    return node.clockOffsetMs + node.clockRate * realMs;
  }

  realOf(node: SimNode, localMs: number): number {
    return (localMs - node.clockOffsetMs) / node.clockRate;
  }

  private topologyChanged(): void {
    this.topologyEpoch += 1;
    this.topologySinceMs = this.nowMs;
  }

  start(id: NodeId, fault: DiskFault = 'keep'): void {
    const node = this.nodes.get(id)!;
    if (node.alive) return;
    node.disk.damage(fault, this.random);
    const empty: LogEntry<SimDoc> = { term: 0, index: 0, doc: simDocOps.initial(), applied: {} };
    const loaded = assembleLoaded(empty, decodeHard(node.disk.hardText), decodeLog<SimDoc>(node.disk.logText));
    if (loaded.logLost) node.diskLost = true;
    this.options.trace?.(`t=${this.nowMs.toFixed(1)} n${id} start disk=${fault} ${loaded.notes.join('; ')}`);
    node.incarnation += 1;
    node.alive = true;
    node.deliveredViewKey = '';
    node.pendingViewKey = '';
    node.core = new CrmCore<SimDoc>(
      { ...this.options.core, id, quorum: this.options.quorum, ops: simDocOps, random: () => this.random.next() },
      { persisted: loaded.persisted, logLost: loaded.logLost, nowMs: this.localMs(node) },
    );
    // As DiskStore does: the bad file is set aside and the loss recorded at once.
    if (loaded.logLost && loaded.persisted) node.disk.setAsideLog(loaded.persisted.hard);
    this.topologyChanged();
  }

  crash(id: NodeId): void {
    const node = this.nodes.get(id)!;
    if (!node.alive) return;
    node.alive = false;
    node.core = null;
    this.options.trace?.(`t=${this.nowMs.toFixed(1)} n${id} crash`);
    this.topologyChanged();
  }

  cut(from: NodeId, to: NodeId): void {
    const key = `${from}>${to}`;
    if (this.cutLinks.has(key)) return;
    this.cutLinks.add(key);
    this.options.trace?.(`t=${this.nowMs.toFixed(1)} cut ${key}`);
    this.topologyChanged();
  }

  heal(): void {
    if (this.cutLinks.size === 0) return;
    this.cutLinks.clear();
    this.options.trace?.(`t=${this.nowMs.toFixed(1)} heal`);
    this.topologyChanged();
  }

  linkUp(from: NodeId, to: NodeId): boolean {
    return from === to || !this.cutLinks.has(`${from}>${to}`);
  }

  propose(id: NodeId, change: CibChange<SimDoc>): number | null {
    const node = this.nodes.get(id)!;
    if (!node.alive || !node.core) return null;
    const seq = node.core.propose(change, this.localMs(node));
    this.drain(node);
    return seq;
  }

  /** Advance real time to `untilMs`, delivering messages in order and ticking every node each tickMs. */
  runUntil(untilMs: number, tickMs: number): void {
    while (this.nowMs < untilMs) {
      const next = Math.min(untilMs, this.nowMs + tickMs);
      this.deliverUntil(next);
      this.nowMs = next;
      this.runFences();
      for (const node of this.nodes.values()) {
        if (!node.alive || !node.core) continue;
        this.updateView(node);
        node.core.tick(this.localMs(node));
        this.drain(node);
      }
    }
  }

  private deliverUntil(untilMs: number): void {
    this.inFlight.sort((a, b) => a.deliverAtMs - b.deliverAtMs || a.order - b.order);
    let i = 0;
    for (; i < this.inFlight.length; i++) {
      const item = this.inFlight[i]!;
      if (item.deliverAtMs > untilMs) break;
      this.nowMs = Math.max(this.nowMs, item.deliverAtMs);
      const node = this.nodes.get(item.to)!;
      if (!node.alive || !node.core || node.incarnation !== item.toIncarnation) continue;
      if (!this.linkUp(item.message.from, item.to)) continue;
      node.core.step(item.message, this.localMs(node));
      this.drain(node);
    }
    this.inFlight = this.inFlight.slice(i);
  }

  private send(message: CrmMessage<SimDoc>): void {
    const to = this.nodes.get(message.to);
    if (!to || !to.alive || !this.linkUp(message.from, message.to)) return;
    if (this.random.chance(this.faults.lossRatio)) return;
    const copies = this.random.chance(this.faults.duplicateRatio) ? 2 : 1;
    for (let c = 0; c < copies; c++) {
      if (this.inFlight.length >= MAX_IN_FLIGHT) return;
      const delay = this.faults.delayMinMs + this.random.next() * (this.faults.delayMaxMs - this.faults.delayMinMs);
      this.inFlight.push({ deliverAtMs: this.nowMs + delay, order: this.order++, to: to.id, toIncarnation: to.incarnation, message });
    }
  }

  /** The membership view the messaging layer would report: nodes reachable both ways. */
  trueView(node: SimNode): NodeId[] {
    const members: NodeId[] = [];
    for (const other of this.nodes.values()) {
      if (other.alive && this.linkUp(node.id, other.id) && this.linkUp(other.id, node.id)) members.push(other.id);
    }
    return members;
  }

  private updateView(node: SimNode): void {
    const view = this.trueView(node);
    const key = view.join(',');
    if (key !== node.pendingViewKey) {
      node.pendingViewKey = key;
      node.pendingViewSinceMs = this.nowMs;
    }
    // Failure detection takes time: report a view once it has held for viewDelayMs.
    if (key !== node.deliveredViewKey && this.nowMs - node.pendingViewSinceMs >= this.options.viewDelayMs) {
      node.deliveredViewKey = key;
      node.core!.onView(view, this.localMs(node));
    }
  }

  private runFences(): void {
    for (let i = this.pendingFences.length - 1; i >= 0; i--) {
      const fence = this.pendingFences[i]!;
      if (fence.atMs > this.nowMs) continue;
      this.pendingFences.splice(i, 1);
      const by = this.nodes.get(fence.by)!;
      // A fencer that died meanwhile never completes its request.
      if (!by.alive || by.incarnation !== fence.byIncarnation) continue;
      this.crash(fence.target);
      this.options.trace?.(`t=${this.nowMs.toFixed(1)} n${fence.by} fenced n${fence.target}`);
      this.options.onFenceKill?.(fence.target);
      by.core!.onFenced(fence.target);
      this.drain(by);
    }
  }

  drain(node: SimNode): void {
    for (let round = 0; round < MAX_DRAIN_ROUNDS && node.core && node.core.hasReady(); round++) {
      const core = node.core;
      const before = core.lastEntry;
      const batch = core.ready();
      if (batch.persist) {
        const prev = node.disk.log?.last ?? before;
        node.disk.save(batch.persist);
        if (batch.persist.log) this.options.observer?.onPersist?.(node, prev, batch.persist.log.last, this.nowMs);
      }
      for (const message of batch.messages) this.send(message);
      for (const event of batch.events) {
        if (event.type === 'fence') {
          this.pendingFences.push({ atMs: this.nowMs + this.options.fenceDelayMs, by: node.id, byIncarnation: node.incarnation, target: event.node });
        }
        this.options.observer?.onEvent?.(node, event, this.nowMs);
      }
      core.advance();
      if (node.diskLost && !core.needsSync) node.diskLost = false;
    }
  }

  liveNodes(): SimNode[] {
    return [...this.nodes.values()].filter((n) => n.alive && n.core);
  }
}
