/**
 * CrmNode: the IO shell around CrmCore, as etcd's node.go is around raft.go.
 * It feeds the core ticks from a Clock, membership views and peer messages
 * from @vigil/messaging, persists each ready() batch to a CrmStore before
 * sending its messages, and turns 'result' events into settled promises.
 */
import { EventEmitter } from 'eventemitter3';
import { createNode, systemClock, type Clock, type CreateNodeOptions, type MessagingNode, type NodeConfig, type TimerHandle } from '@vigil/messaging';
import { CrmCore, type CrmCoreOptions, type CrmEvent, type Role } from './core.js';
import { CrmError } from './errors.js';
import { CHANNEL, decodeMessage, encodeMessage, type CrmMessage } from './messages.js';
import type { LifecycleState } from './lifecycle.js';
import type { NodeId, QuorumConfig, QuorumStatus } from './quorum.js';
import { DiskStore, type CrmStore } from './store.js';
import type { CibChange, CibOps, CibVersion, LogEntry, NoQuorumPolicy, ProposalResult } from './types.js';
import { xmlCibOps } from './xml-cib.js';

/** Where peer messages go and come from; MessagingNode fits, tests may plug in another. */
export interface CrmTransport {
  send(to: NodeId, channel: string, payload: string): Promise<void>;
  on(event: 'message', fn: (m: { from: number; channel: string; payload: Buffer }) => void): unknown;
  on(event: 'view', fn: (v: { members: number[] }) => void): unknown;
  view(): { members: number[] };
  stop(): Promise<void>;
}

export interface CrmNodeTiming {
  readonly tickMs?: number;
  readonly heartbeatIntervalMs?: number;
  readonly electionTimeoutMs?: number;
  readonly dcLeaseMs?: number;
  readonly maxClockDriftRatio?: number;
  readonly proposalTimeoutMs?: number;
}

export interface CrmNodeOptions<D = string> {
  readonly nodeId: NodeId;
  /** Messaging's nodelist, with optional quorum votes per node. */
  readonly nodes: readonly (NodeConfig & { readonly votes?: number })[];
  readonly stateDir?: string;
  readonly store?: CrmStore<D>;
  readonly ops?: CibOps<D>;
  readonly quorum?: Omit<QuorumConfig, 'nodes'>;
  readonly timing?: CrmNodeTiming;
  readonly noQuorumPolicy?: NoQuorumPolicy;
  readonly key?: Buffer;
  readonly keyFile?: string;
  readonly messaging?: Partial<CreateNodeOptions>;
  readonly transport?: CrmTransport;
  readonly clock?: Clock;
  readonly random?: () => number;
  /**
   * Power off a peer; resolve true once it is confirmed off. Needed by two_node
   * clusters, where a lone survivor may act only after fencing its peer.
   */
  readonly fence?: (node: NodeId) => Promise<boolean>;
}

export interface CrmNodeStatus {
  readonly id: NodeId;
  readonly role: Role;
  readonly term: number;
  readonly leader: NodeId | null;
  readonly actingDc: boolean;
  readonly needsSync: boolean;
  readonly quorum: QuorumStatus;
  readonly committed: { readonly index: number; readonly term: number; readonly version: CibVersion };
  readonly nodes: Record<NodeId, LifecycleState>;
}

export interface CrmNodeEvents<D> {
  event: (event: CrmEvent<D>) => void;
  committed: (entry: LogEntry<D>) => void;
  error: (error: Error) => void;
}

export class CrmNode<D = string> extends EventEmitter<CrmNodeEvents<D>> {
  private readonly core: CrmCore<D>;
  private readonly store: CrmStore<D>;
  private readonly ops: CibOps<D>;
  private readonly clock: Clock;
  private readonly tickMs: number;
  private timer: TimerHandle | null = null;
  private stopped = false;
  private readonly waiting = new Map<number, (result: ProposalResult) => void>();
  /** What loading the store found wrong (files set aside); empty on a clean start. */
  readonly storeNotes: readonly string[];

  private constructor(
    options: CrmNodeOptions<D>,
    private readonly transport: CrmTransport,
    store: CrmStore<D>,
    ops: CibOps<D>,
  ) {
    super();
    this.store = store;
    this.ops = ops;
    this.clock = options.clock ?? systemClock;
    this.tickMs = options.timing?.tickMs ?? 20;
    const empty: LogEntry<D> = { term: 0, index: 0, doc: ops.initial(), applied: {} };
    const loaded = store.load(empty);
    this.storeNotes = loaded.notes;
    const coreOptions: CrmCoreOptions<D> = {
      id: options.nodeId,
      quorum: { ...options.quorum, nodes: options.nodes.map((n) => ({ id: n.id, ...(n.votes !== undefined ? { votes: n.votes } : {}) })) },
      ops,
      random: options.random ?? Math.random,
      ...stripUndefined({ ...options.timing, tickMs: undefined }),
      ...(options.noQuorumPolicy ? { noQuorumPolicy: options.noQuorumPolicy } : {}),
    };
    this.core = new CrmCore(coreOptions, { persisted: loaded.persisted, logLost: loaded.logLost, nowMs: this.clock.now() });
    this.fence = options.fence;
  }

  private readonly fence: ((node: NodeId) => Promise<boolean>) | undefined;

  static async start<D = string>(options: CrmNodeOptions<D>): Promise<CrmNode<D>> {
    const ops = options.ops ?? (xmlCibOps as unknown as CibOps<D>);
    if (!options.store && !options.stateDir) throw new CrmError('VIGIL_CRM_BAD_QUORUM_CONFIG', 'crm: pass stateDir (or a store) to keep the CIB on disk');
    const store = options.store ?? new DiskStore<D>(options.stateDir!);
    const transport: CrmTransport =
      options.transport ??
      ((await createNode({ ...options.messaging, nodeId: options.nodeId, nodes: options.nodes.map(({ id, name, links }) => ({ id, name, links })), ...(options.key ? { key: options.key } : {}), ...(options.keyFile ? { keyFile: options.keyFile } : {}), ...(options.clock ? { clock: options.clock } : {}) })) as MessagingNode as unknown as CrmTransport);
    const node = new CrmNode<D>(options, transport, store, ops);
    node.attach();
    // Reported once the caller can listen: what was set aside and why.
    queueMicrotask(() => {
      for (const note of node.storeNotes) {
        node.emit('error', new CrmError('VIGIL_CRM_CORRUPT_STORE', `crm store ${options.stateDir ?? ''}: ${note}; the file was set aside and the CIB will be resynced from the DC`));
      }
    });
    return node;
  }

  private attach(): void {
    this.transport.on('message', (m) => {
      if (m.channel !== CHANNEL || this.stopped) return;
      let message: CrmMessage<D>;
      try {
        message = decodeMessage<D>(m.payload.toString('utf8'));
      } catch (error) {
        this.emit('error', error as Error);
        return;
      }
      if (message.from !== m.from) return; // the authenticated sender must match the claimed one
      this.core.step(message, this.clock.now());
      this.pump();
    });
    this.transport.on('view', (view) => {
      if (this.stopped) return;
      this.core.onView(view.members, this.clock.now());
      this.pump();
    });
    this.core.onView(this.transport.view().members, this.clock.now());
    this.scheduleTick();
  }

  private scheduleTick(): void {
    if (this.stopped) return;
    this.timer = this.clock.setTimer(this.tickMs, () => {
      this.timer = null;
      if (this.stopped) return;
      this.core.tick(this.clock.now());
      this.pump();
      this.scheduleTick();
    });
  }

  private pump(): void {
    for (let round = 0; round < 64 && this.core.hasReady(); round++) {
      const batch = this.core.ready();
      if (batch.persist) this.store.save(batch.persist);
      for (const message of batch.messages) {
        this.transport.send(message.to, CHANNEL, encodeMessage(message)).catch(() => undefined); // the protocol retries
      }
      for (const event of batch.events) this.handleEvent(event);
      this.core.advance();
    }
  }

  private handleEvent(event: CrmEvent<D>): void {
    if (event.type === 'result') {
      const settle = this.waiting.get(event.seq);
      this.waiting.delete(event.seq);
      settle?.(event.result);
    }
    if (event.type === 'committed') this.emit('committed', event.entry);
    if (event.type === 'fence') this.runFence(event.node);
    this.emit('event', event);
  }

  private runFence(node: NodeId): void {
    if (!this.fence) {
      this.emit('error', new CrmError('VIGIL_CRM_NO_DC', `crm: node ${node} must be fenced before this node may act alone, and no fencer is configured`));
      return;
    }
    this.fence(node).then(
      (ok) => {
        if (this.stopped) return;
        if (ok) this.core.onFenced(node);
        else this.core.onFenceFailed(node);
        this.pump();
      },
      (error: Error) => {
        this.emit('error', error);
        if (!this.stopped) (this.core.onFenceFailed(node), this.pump());
      },
    );
  }

  status(): CrmNodeStatus {
    const committed = this.core.committedEntry;
    return {
      id: this.core.id,
      role: this.core.currentRole,
      term: this.core.term,
      leader: this.core.leader,
      actingDc: this.core.isActingDc(this.clock.now()),
      needsSync: this.core.needsSync,
      quorum: this.core.quorumStatus(),
      committed: { index: committed.index, term: committed.term, version: this.ops.version(committed.doc) },
      nodes: this.core.nodeStates(),
    };
  }

  /** Whether this node may decide as DC at this instant; check before every decision. */
  isActingDc(): boolean {
    return this.core.isActingDc(this.clock.now());
  }

  /** Applies a no-quorum-policy read from the committed CIB (crm_config). */
  setNoQuorumPolicy(policy: NoQuorumPolicy): void {
    this.core.setNoQuorumPolicy(policy);
  }

  /** The committed CIB as this node holds it. */
  cib(): D {
    return this.core.committedEntry.doc;
  }

  /** Sends a change to the DC; resolves once it is committed on a quorum, or with why not. */
  propose(change: CibChange<D>): Promise<ProposalResult> {
    if (this.stopped) return Promise.resolve({ ok: false, code: 'VIGIL_CRM_NO_DC', message: 'this crm node is stopped' });
    return new Promise((resolve) => {
      const seq = this.core.propose(change, this.clock.now());
      this.waiting.set(seq, resolve);
      this.pump();
    });
  }

  /** cibadmin --replace: with `expected`, refused unless the CIB is still at that version. */
  replace(doc: D, expected?: CibVersion): Promise<ProposalResult> {
    return this.propose({ kind: 'replace', doc, ...(expected ? { expected } : {}) });
  }

  /** A transient node attribute, written through the DC after `dampenMs` of quiet. */
  setAttribute(node: string, name: string, value: string | null, dampenMs = 0): void {
    this.core.setNodeAttribute(node, name, value, this.clock.now(), dampenMs);
    this.pump();
  }

  /** Clean shutdown: stop acting, tell peers (they record this node as lost, not unclean), then stop. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true; // no more ticks or inputs: nothing may restart a campaign now
    if (this.timer) this.clock.clearTimer(this.timer);
    this.timer = null;
    this.core.leave(this.clock.now());
    const farewells: Promise<void>[] = [];
    for (let round = 0; round < 64 && this.core.hasReady(); round++) {
      const batch = this.core.ready();
      if (batch.persist) this.store.save(batch.persist);
      for (const m of batch.messages) farewells.push(this.transport.send(m.to, CHANNEL, encodeMessage(m)).catch(() => undefined));
      for (const event of batch.events) this.handleEvent(event);
      this.core.advance();
    }
    // Bounded: a peer that does not ack within a second learns of it from the view instead.
    let timer: TimerHandle | null = null;
    await Promise.race([Promise.all(farewells), new Promise<void>((resolve) => (timer = this.clock.setTimer(1000, resolve)))]);
    if (timer) this.clock.clearTimer(timer);
    for (const settle of this.waiting.values()) settle({ ok: false, code: 'VIGIL_CRM_NO_DC', message: 'crm node stopped before the change was confirmed' });
    this.waiting.clear();
    await this.transport.stop();
  }
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
