import { EventEmitter } from 'eventemitter3';
import { PacketAuth, ReplayWindow, parseHeader, readAuthKeyFile, HEADER_BYTES, type AuthScheme, type PacketSealer } from './auth.js';
import { systemClock, type Clock, type TimerHandle } from './clock.js';
import { configDigest, validateAuth, validateNodes, validateTiming, type NodeConfig, type Timing } from './config.js';
import { ConfigError, MessagingError } from './errors.js';
import { MembershipCore, type CoreEvent, type InstalledView, type Outgoing } from './membership.js';
import { systemRandom, type Random } from './random.js';
import { ReliableCore } from './reliable.js';
import type { LinkAddress, Transport } from './transport.js';
import { UdpTransport } from './udp-transport.js';
import { decodeBody, encodeBody } from './wire/message.js';
import { MessageType } from './wire/types.js';
import type { Member } from './wire/agreement.js';

export interface CreateNodeOptions {
  nodeId: number;
  nodes: NodeConfig[];
  /** The cluster key itself, or use `keyFile`. */
  key?: Buffer;
  /** Path of the authkey file written by `vigil cluster keygen`. */
  keyFile?: string;
  auth?: AuthScheme;
  heartbeatIntervalMs?: number;
  tokenTimeoutMs?: number;
  suspectAfterMs?: number;
  /** Largest UDP payload sent; 1400 avoids IP fragmentation on a 1500-byte MTU. */
  maxPacketBytes?: number;
  maxMessageBytes?: number;
  /** Per-peer bytes queued by `send` before it rejects with VIGIL_MESSAGING_BACKPRESSURE. */
  maxQueuedBytes?: number;
  sendTimeoutMs?: number;
  windowFragments?: number;
  transport?: Transport;
  clock?: Clock;
  random?: Random;
  /** Called with protocol trace events (agreement steps), for checkers and debugging. */
  onTrace?: (event: TraceEvent) => void;
}

export interface View {
  /** Increases with every view this node installs; with `leader` it names the view cluster-wide. */
  viewId: number;
  leader: number;
  /** Node ids, ascending. */
  members: number[];
}

export interface NodeRef {
  node: number;
  name: string;
}

export interface LinkEvent {
  node: number;
  link: number;
  up: boolean;
}

export interface MessageEvent {
  from: number;
  channel: string;
  payload: Buffer;
}

export interface TraceEvent {
  kind: 'accepted' | 'installed';
  node: number;
  incarnation: number;
  viewId: number;
  leader: number;
  members: { node: number; incarnation: number }[];
}

export interface MessagingStats {
  incarnation: number;
  packetsIn: number;
  packetsOut: number;
  bytesIn: number;
  bytesOut: number;
  /** Wrong version, scheme or cluster key id, unknown sender, or too short. */
  foreign: number;
  /** Claimed to be from this cluster but failed authentication. */
  forged: number;
  /** Authentic but seen before. */
  replayed: number;
  /** From an earlier incarnation of the sender. */
  stale: number;
  /** Authentic but not decodable. */
  malformed: number;
  retransmits: number;
  suspicions: number;
  viewChanges: number;
  /** Total time our own timers ran late and was forgiven to peers. */
  lagForgivenMs: number;
  /** Authentic heartbeats from a node whose node list differs from ours (misconfiguration). */
  configMismatches: number;
}

export interface LinkState {
  node: number;
  link: number;
  up: boolean;
}

export interface PeerState {
  node: number;
  name: string;
  reachable: boolean;
  /** Silent for suspectAfterMs and being probed; not yet evicted. */
  suspect: boolean;
  /** 0 until heard. */
  incarnation: number;
  /** Up/down per link, index = link number. */
  links: boolean[];
}

export interface BroadcastResult {
  delivered: number[];
  failed: { node: number; error: Error }[];
}

export interface MessagingEvents {
  view: (view: View) => void;
  join: (node: NodeRef) => void;
  leave: (node: NodeRef) => void;
  link: (e: LinkEvent) => void;
  message: (m: MessageEvent) => void;
  suspect: (node: NodeRef) => void;
}

/**
 * One cluster node's messaging endpoint. Wires the pure cores (membership,
 * reliable streams) to a transport, a clock and the packet authenticator.
 */
export class MessagingNode extends EventEmitter<MessagingEvents> {
  readonly nodeId: number;
  readonly nodes: NodeConfig[];
  readonly timing: Timing;
  readonly incarnation: number;
  private readonly selfIndex: number;
  private readonly idToIndex = new Map<number, number>();
  private readonly auth: PacketSealer;
  private readonly clock: Clock;
  private readonly transport: Transport;
  private readonly core: MembershipCore;
  private readonly reliable: ReliableCore;
  private readonly replay: ReplayWindow[];
  private readonly onTrace: ((e: TraceEvent) => void) | undefined;
  private packetSeq = 0;
  private timer: TimerHandle | null = null;
  private timerAtMs = Infinity;
  private flushing = false;
  private stopped = false;
  private started = false;
  private currentView: View;
  private readonly counters: Omit<MessagingStats, 'incarnation' | 'retransmits' | 'suspicions' | 'lagForgivenMs' | 'configMismatches'> = {
    packetsIn: 0, packetsOut: 0, bytesIn: 0, bytesOut: 0, foreign: 0, forged: 0, replayed: 0, stale: 0, malformed: 0, viewChanges: 0,
  };
  /** Resolves once the transport listens. */
  readonly ready: Promise<void>;

  /** `sealer` replaces the cluster-key authenticator; only the simulator passes one. */
  constructor(options: CreateNodeOptions & { key: Buffer; sealer?: PacketSealer }) {
    super();
    this.nodes = [...validateNodes(options.nodes)].sort((a, b) => a.id - b.id);
    this.nodes.forEach((n, i) => this.idToIndex.set(n.id, i));
    const selfIndex = this.idToIndex.get(options.nodeId);
    if (selfIndex === undefined) throw new ConfigError(`nodeId: ${options.nodeId} is not the id of any entry in nodes`);
    this.selfIndex = selfIndex;
    this.nodeId = options.nodeId;
    const scheme = validateAuth(options.auth);
    this.auth = options.sealer ?? new PacketAuth(options.key, scheme);
    this.timing = validateTiming(options);
    this.clock = options.clock ?? systemClock;
    this.transport = options.transport ?? new UdpTransport();
    this.onTrace = options.onTrace;
    const random = options.random ?? systemRandom();
    // Restart-ordered, and unique even for two starts in the same millisecond.
    this.incarnation = Math.floor(this.clock.wallNow()) * 1024 + random.int(1024) + 1;
    const self = this.nodes[selfIndex]!;
    const linkCounts = this.nodes.map((n) => Math.min(n.links.length, self.links.length));
    this.core = new MembershipCore({
      self: selfIndex,
      nodeCount: this.nodes.length,
      linkCounts,
      incarnation: this.incarnation,
      configDigest: configDigest(this.nodes, scheme),
      random,
      ...this.timing,
    });
    const maxPacketBytes = options.maxPacketBytes ?? 1400;
    if (!Number.isInteger(maxPacketBytes) || maxPacketBytes < 256 || maxPacketBytes > 65000) {
      throw new ConfigError(`maxPacketBytes: must be an integer from 256 to 65000, got ${JSON.stringify(options.maxPacketBytes)}`);
    }
    this.reliable = new ReliableCore({
      self: selfIndex,
      nodeCount: this.nodes.length,
      chunkBytes: maxPacketBytes - HEADER_BYTES - this.auth.tagBytes - 24,
      windowFragments: options.windowFragments ?? 128,
      maxQueuedBytes: options.maxQueuedBytes ?? 256 * 1024 * 1024,
      maxMessageBytes: options.maxMessageBytes ?? 64 * 1024 * 1024,
      sendTimeoutMs: options.sendTimeoutMs ?? Math.max(30_000, 10 * this.timing.tokenTimeoutMs),
      initialRtoMs: this.timing.heartbeatIntervalMs,
      maxRtoMs: Math.max(this.timing.tokenTimeoutMs, 100),
    }, this.incarnation);
    this.replay = this.nodes.map(() => new ReplayWindow());
    this.currentView = { viewId: 0, leader: this.nodeId, members: [this.nodeId] };
    const opened = this.transport.open(self.links, (link, packet) => this.onPacket(link, packet));
    if (opened instanceof Promise) {
      this.ready = opened.then(() => this.begin());
    } else {
      this.begin();
      this.ready = Promise.resolve();
    }
  }

  private begin(): void {
    if (this.stopped) return;
    this.started = true;
    this.flush();
    this.onTimer();
  }

  // ---- public API -------------------------------------------------------------

  view(): View {
    return { ...this.currentView, members: [...this.currentView.members] };
  }

  nameOf(nodeId: number): string | undefined {
    const i = this.idToIndex.get(nodeId);
    return i === undefined ? undefined : this.nodes[i]!.name;
  }

  /** Whether the node is reachable now (in both directions, on some link). */
  isReachable(nodeId: number): boolean {
    const i = this.idToIndex.get(nodeId);
    return i !== undefined && this.core.isAlive(i);
  }

  links(): LinkState[] {
    const out: LinkState[] = [];
    this.core.peers.forEach((p, i) => {
      if (i === this.selfIndex) return;
      p.linkUp.forEach((up, link) => out.push({ node: this.nodes[i]!.id, link, up }));
    });
    return out;
  }

  /** Every other configured node as this node sees it now (for host health policies). */
  peers(): PeerState[] {
    const out: PeerState[] = [];
    this.core.peers.forEach((p, i) => {
      if (i === this.selfIndex) return;
      const n = this.nodes[i]!;
      out.push({ node: n.id, name: n.name, reachable: p.alive, suspect: p.suspect, incarnation: p.incarnation, links: [...p.linkUp] });
    });
    return out;
  }

  stats(): MessagingStats {
    return {
      incarnation: this.incarnation,
      ...this.counters,
      retransmits: this.reliable.retransmits,
      suspicions: this.core.suspicions,
      lagForgivenMs: this.core.lagForgivenMs,
      configMismatches: this.core.configMismatches,
    };
  }

  /**
   * Reliable, ordered (per peer) delivery. Resolves when the peer acknowledged
   * the whole message; rejects with VIGIL_MESSAGING_NOT_CONNECTED, _PEER_LOST,
   * _SEND_TIMEOUT, _BACKPRESSURE, _TOO_LARGE or _STOPPED.
   */
  send(to: number, channel: string, payload: Buffer | Uint8Array | string): Promise<void> {
    const buf = typeof payload === 'string' ? Buffer.from(payload) : Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
    if (this.stopped) return Promise.reject(new MessagingError('VIGIL_MESSAGING_STOPPED', 'node is stopped'));
    const i = this.idToIndex.get(to);
    if (i === undefined) return Promise.reject(new MessagingError('VIGIL_MESSAGING_NOT_CONNECTED', `node ${to} is not in the cluster configuration`));
    if (i === this.selfIndex) {
      const copy = Buffer.from(buf);
      queueMicrotask(() => this.safeEmit('message', { from: this.nodeId, channel, payload: copy }));
      return Promise.resolve();
    }
    if (!this.core.isAlive(i)) {
      return Promise.reject(new MessagingError('VIGIL_MESSAGING_NOT_CONNECTED', `node ${to} (${this.nodes[i]!.name}) is not reachable`));
    }
    const p = this.reliable.send(i, this.core.peers[i]!.incarnation, channel, buf, this.clock.now());
    this.flush();
    return p;
  }

  /** Sends to every other member of the current view; settles when each has acked or failed. */
  async broadcast(channel: string, payload: Buffer | Uint8Array | string): Promise<BroadcastResult> {
    const targets = this.currentView.members.filter((m) => m !== this.nodeId);
    const results = await Promise.allSettled(targets.map((t) => this.send(t, channel, payload)));
    const out: BroadcastResult = { delivered: [], failed: [] };
    results.forEach((r, k) => {
      if (r.status === 'fulfilled') out.delivered.push(targets[k]!);
      else out.failed.push({ node: targets[k]!, error: r.reason as Error });
    });
    return out;
  }

  /** Graceful stop: peers are told at once instead of waiting for the token timeout. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    if (this.started) {
      this.core.leave();
      this.flush();
    }
    await this.halt(new MessagingError('VIGIL_MESSAGING_STOPPED', 'node stopped'));
  }

  /** Stops without telling anyone, as a crash would: for simulations and tests. */
  async crash(): Promise<void> {
    await this.halt(new MessagingError('VIGIL_MESSAGING_STOPPED', 'node crashed'));
  }

  private async halt(error: Error): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) this.clock.clearTimer(this.timer);
    this.timer = null;
    this.reliable.failAll(error);
    await this.transport.close();
  }

  // ---- plumbing -----------------------------------------------------------------

  private onPacket(link: number, packet: Buffer): void {
    if (this.stopped) return;
    const c = this.counters;
    c.packetsIn++;
    c.bytesIn += packet.length;
    const h = parseHeader(packet);
    if (!h || !this.auth.matches(h)) {
      c.foreign++;
      return;
    }
    const from = this.idToIndex.get(h.sender);
    if (from === undefined || from === this.selfIndex) {
      c.foreign++;
      return;
    }
    const rw = this.replay[from]!;
    if (rw.isStale(h.incarnation)) {
      c.stale++;
      return;
    }
    const body = this.auth.open(packet, h);
    if (!body) {
      c.forged++;
      return;
    }
    const verdict = rw.accept(h.incarnation, h.seq);
    if (verdict === 'replayed') {
      c.replayed++;
      return;
    }
    if (verdict === 'stale') {
      c.stale++;
      return;
    }
    let msg;
    try {
      msg = decodeBody(h.type, body);
    } catch {
      c.malformed++;
      return;
    }
    const now = this.clock.now();
    if (msg.type === MessageType.Data) this.reliable.onData(from, h.incarnation, msg.body, link);
    else if (msg.type === MessageType.Ack) this.reliable.onAck(from, msg.body, now);
    else this.core.receive(from, link, h.incarnation, msg, now, h.seq);
    this.flush();
  }

  private onTimer(): void {
    this.timer = null;
    this.timerAtMs = Infinity;
    if (this.stopped) return;
    const now = this.clock.now();
    this.core.tick(now);
    this.reliable.tick(now);
    this.flush();
  }

  private armTimer(): void {
    if (this.stopped) return;
    const now = this.clock.now();
    const at = Math.min(this.core.nextDeadline(now), this.reliable.nextDeadline());
    if (this.timer && this.timerAtMs <= at) return;
    if (this.timer) this.clock.clearTimer(this.timer);
    this.timerAtMs = at;
    this.timer = this.clock.setTimer(Math.max(0, Math.ceil(at - now)), () => this.onTimer());
  }

  /** Drains both cores' outputs; re-entrant calls (from event handlers) are folded in. */
  private flush(): void {
    if (this.flushing) return;
    this.flushing = true;
    try {
      for (let round = 0; round < 1000; round++) {
        const events = this.core.takeEvents();
        const out = [...this.core.takeOutbox(), ...this.reliable.takeOutbox()];
        const delivered = this.reliable.takeDelivered();
        if (events.length === 0 && out.length === 0 && delivered.length === 0) break;
        for (const o of out) this.transmit(o);
        for (const e of events) this.handleCoreEvent(e);
        for (const d of delivered) this.safeEmit('message', { from: this.nodes[d.from]!.id, channel: d.channel, payload: d.payload });
      }
    } finally {
      this.flushing = false;
    }
    this.armTimer();
  }

  private transmit(o: Outgoing): void {
    if (this.stopped) return;
    const peer = this.nodes[o.to]!;
    const body = encodeBody(o.message);
    // Sealed once per link: each copy needs its own seq, or the receiver's replay
    // window would drop the copies on the other links and they would look down.
    const send = (link: number): void => {
      const packet = this.auth.seal(this.nodeId, this.incarnation, this.packetSeq++, o.message.type, body);
      this.counters.packetsOut++;
      this.counters.bytesOut += packet.length;
      this.transport.send(link, peer.links[link] as LinkAddress, packet);
    };
    const links = this.core.peers[o.to]!.linkCount;
    if (o.route === 'best') send(o.viaLink !== undefined && o.viaLink < links ? o.viaLink : this.core.bestLink(o.to, o.attempt ?? 0));
    else for (let k = 0; k < links; k++) send(k);
  }

  private ref(index: number): NodeRef {
    const n = this.nodes[index]!;
    return { node: n.id, name: n.name };
  }

  private trace(kind: TraceEvent['kind'], epoch: number, leader: number, members: Member[]): void {
    this.onTrace?.({
      kind,
      node: this.nodeId,
      incarnation: this.incarnation,
      viewId: epoch,
      leader: this.nodes[leader]!.id,
      members: members.map((m) => ({ node: this.nodes[m.node]!.id, incarnation: m.incarnation })),
    });
  }

  private handleCoreEvent(e: CoreEvent): void {
    switch (e.kind) {
      case 'view':
        this.installView(e.view, e.joined, e.left);
        break;
      case 'link':
        this.safeEmit('link', { node: this.nodes[e.node]!.id, link: e.link, up: e.up });
        break;
      case 'peer':
        if (!e.alive) this.reliable.peerLost(e.node, `node ${this.nodes[e.node]!.id} (${this.nodes[e.node]!.name}) is no longer reachable`);
        break;
      case 'suspect':
        this.safeEmit('suspect', this.ref(e.node));
        break;
      case 'accepted':
        this.trace('accepted', e.epoch, e.leader, e.members);
        break;
    }
  }

  private installView(v: InstalledView, joined: Member[], left: Member[]): void {
    this.counters.viewChanges++;
    this.trace('installed', v.epoch, v.leader, v.members);
    this.currentView = { viewId: v.epoch, leader: this.nodes[v.leader]!.id, members: v.members.map((m) => this.nodes[m.node]!.id).sort((a, b) => a - b) };
    for (const m of left) if (m.node !== this.selfIndex) this.safeEmit('leave', this.ref(m.node));
    for (const m of joined) if (m.node !== this.selfIndex) this.safeEmit('join', this.ref(m.node));
    this.safeEmit('view', this.view());
  }

  /** A throwing listener is the application's bug; it must not corrupt protocol state. */
  private safeEmit<K extends keyof MessagingEvents>(event: K, arg: Parameters<MessagingEvents[K]>[0]): void {
    try {
      (this.emit as (e: K, a: unknown) => boolean)(event, arg);
    } catch (err) {
      queueMicrotask(() => {
        throw err;
      });
    }
  }
}

/** Creates a node and waits until it listens. */
export async function createNode(options: CreateNodeOptions): Promise<MessagingNode> {
  let key = options.key;
  if (!key) {
    if (!options.keyFile) throw new ConfigError('key: pass the cluster key (key) or the path of the authkey file (keyFile)');
    key = await readAuthKeyFile(options.keyFile);
  }
  const node = new MessagingNode({ ...options, key });
  try {
    await node.ready;
  } catch (e) {
    await node.crash().catch(() => undefined);
    throw e;
  }
  return node;
}
