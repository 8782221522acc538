import { VirtualClock, type Clock, type TimerHandle } from './clock.js';
import { MemoryNetwork, type NetworkFaults } from './memory-transport.js';
import type { LinkAddress, PacketHandler, Transport } from './transport.js';
import { MessagingNode, type CreateNodeOptions, type TraceEvent, type View } from './node.js';
import { seededRandom, type Random } from './random.js';
import type { NodeConfig } from './config.js';
import { ChecksumSealer, type AuthScheme } from './auth.js';

export interface SimClusterOptions {
  /** Node ids 1..size. */
  size: number;
  linksPerNode?: number;
  seed: number;
  heartbeatIntervalMs?: number;
  tokenTimeoutMs?: number;
  auth?: AuthScheme;
  /**
   * Replace packet crypto by a checksum (NOT SECURE) to run many seeds fast.
   * Envelope, replay and stale checks stay; only the MAC is cheaper.
   */
  checksumAuth?: boolean;
  faults?: Partial<NetworkFaults>;
  /** Extra options passed to every node (e.g. maxPacketBytes). */
  nodeOptions?: Partial<CreateNodeOptions>;
  onTrace?: (e: TraceEvent) => void;
  /** Called for each node created (first start and every restart), to attach listeners. */
  onNode?: (node: MessagingNode) => void;
}

/**
 * Freezes one simulated process, like SIGSTOP: while frozen its timers and
 * incoming packets wait; on thaw the overdue timers run first, then the queued
 * packets (the order Node's event loop uses after a stall). Time keeps flowing.
 */
class Freezer {
  private frozenUntilMs = -Infinity;
  private deferred: (() => void)[] = [];
  private packets: (() => void)[] = [];

  constructor(private readonly base: VirtualClock) {}

  get frozen(): boolean {
    return this.base.now() < this.frozenUntilMs;
  }

  freeze(ms: number): void {
    const until = this.base.now() + ms;
    if (until <= this.frozenUntilMs) return;
    this.frozenUntilMs = until;
    this.base.setTimer(ms, () => {
      if (this.frozenUntilMs !== until) return;
      for (const fn of this.deferred.splice(0)) fn();
      for (const deliver of this.packets.splice(0)) deliver();
    });
  }

  clock(): Clock {
    const base = this.base;
    return {
      now: () => base.now(),
      wallNow: () => base.wallNow(),
      setTimer: (delayMs, fn) => {
        const h: { inner: TimerHandle | null; cancelled: boolean } = { inner: null, cancelled: false };
        const run = (): void => {
          if (!h.cancelled) fn();
        };
        h.inner = base.setTimer(delayMs, () => (this.frozen ? this.deferred.push(run) : run()));
        return h;
      },
      clearTimer: (handle) => {
        const h = handle as { inner: TimerHandle | null; cancelled: boolean };
        h.cancelled = true;
        if (h.inner) base.clearTimer(h.inner);
      },
    };
  }

  transport(inner: Transport): Transport {
    return {
      open: (local: LinkAddress[], onPacket: PacketHandler) =>
        inner.open(local, (link, packet) => (this.frozen ? this.packets.push(() => onPacket(link, packet)) : onPacket(link, packet))),
      send: (link, to, packet) => {
        if (!this.frozen) inner.send(link, to, packet);
      },
      close: () => inner.close(),
    };
  }
}

/**
 * A whole cluster on one virtual clock and one in-memory network, running the
 * same MessagingNode code as real nodes. Everything is decided by the seed.
 */
export class SimCluster {
  readonly clock: VirtualClock;
  readonly network: MemoryNetwork;
  readonly random: Random;
  readonly config: NodeConfig[];
  readonly key: Buffer;
  private readonly live = new Map<number, MessagingNode>();
  private readonly freezers = new Map<number, Freezer>();

  constructor(private readonly options: SimClusterOptions) {
    this.random = seededRandom(options.seed);
    this.clock = new VirtualClock(1_000_000 + this.random.int(1_000_000));
    this.network = new MemoryNetwork(this.clock, seededRandom(this.random.int(2 ** 31)));
    if (options.faults) this.network.setFaults(options.faults);
    const links = options.linksPerNode ?? 1;
    this.config = Array.from({ length: options.size }, (_, i) => ({
      id: i + 1,
      name: `node${i + 1}`,
      links: Array.from({ length: links }, (_, k) => ({ addr: `sim-link${k}-node${i + 1}`, port: 5405 })),
    }));
    this.key = Buffer.alloc(32, options.seed & 0xff);
    for (const n of this.config) this.start(n.id);
  }

  get ids(): number[] {
    return this.config.map((n) => n.id);
  }

  node(id: number): MessagingNode | undefined {
    return this.live.get(id);
  }

  /** Nodes currently running. */
  running(): MessagingNode[] {
    return [...this.live.values()];
  }

  isRunning(id: number): boolean {
    return this.live.has(id);
  }

  advance(ms: number): void {
    this.clock.advance(ms);
  }

  /** Advances virtual time until `done()` or `limitMs` passed; returns whether it held. */
  runUntil(done: () => boolean, limitMs: number, stepMs = 10): boolean {
    return this.clock.advanceUntil(done, limitMs, stepMs);
  }

  /** Kills a node without a word to its peers. */
  crash(id: number): void {
    const n = this.live.get(id);
    if (!n) return;
    this.live.delete(id);
    void n.crash();
  }

  /** Graceful stop: peers learn at once. */
  stop(id: number): void {
    const n = this.live.get(id);
    if (!n) return;
    this.live.delete(id);
    void n.stop();
  }

  /** Starts (or restarts, with a new incarnation) a node. */
  start(id: number): MessagingNode {
    if (this.live.has(id)) throw new Error(`sim: node ${id} is already running`);
    const o = this.options;
    const freezer = new Freezer(this.clock);
    this.freezers.set(id, freezer);
    const node = new MessagingNode({
      ...o.nodeOptions,
      nodeId: id,
      nodes: this.config,
      key: this.key,
      auth: o.auth ?? 'hmac-sha256',
      heartbeatIntervalMs: o.heartbeatIntervalMs ?? 200,
      tokenTimeoutMs: o.tokenTimeoutMs ?? 1000,
      transport: freezer.transport(this.network.createTransport()),
      clock: freezer.clock(),
      random: seededRandom(this.random.int(2 ** 31)),
      ...(o.checksumAuth ? { sealer: new ChecksumSealer(this.key) } : {}),
      ...(o.onTrace ? { onTrace: o.onTrace } : {}),
    });
    this.live.set(id, node);
    o.onNode?.(node);
    return node;
  }

  /**
   * Stops a node's process for `ms` without killing it (SIGSTOP/SIGCONT, a long
   * GC pause, a starved VM): it neither sends nor handles anything meanwhile.
   */
  freeze(id: number, ms: number): void {
    if (this.live.has(id)) this.freezers.get(id)!.freeze(ms);
  }

  restart(id: number): MessagingNode {
    this.crash(id);
    return this.start(id);
  }

  /** Cuts every link between the groups, both ways; nodes not listed keep their links. */
  partition(groups: number[][]): void {
    for (let a = 0; a < groups.length; a++) {
      for (let b = 0; b < groups.length; b++) {
        if (a === b) continue;
        for (const x of groups[a]!) for (const y of groups[b]!) this.blockOneWay(x, y);
      }
    }
  }

  /** Packets from `from` to `to` are lost on every link; the other direction still works. */
  blockOneWay(from: number, to: number, link?: number): void {
    const f = this.config[from - 1]!;
    const t = this.config[to - 1]!;
    f.links.forEach((l, k) => {
      if (link === undefined || link === k) this.network.block(l, t.links[k]!);
    });
  }

  /** Takes one link of one node down (its interface), or brings it back. */
  setLinkDown(id: number, link: number, down = true): void {
    this.network.setLinkDown(this.config[id - 1]!.links[link]!, down);
  }

  heal(): void {
    this.network.heal();
  }

  views(): Map<number, View> {
    const out = new Map<number, View>();
    for (const [id, n] of this.live) out.set(id, n.view());
    return out;
  }

  /**
   * Whether every running node in each group has installed the same view, whose
   * members are exactly that group's running nodes, and reaches all of them now.
   */
  converged(groups: number[][] = [this.ids]): boolean {
    for (const g of groups) {
      const alive = g.filter((id) => this.live.has(id)).sort((a, b) => a - b);
      if (alive.length === 0) continue;
      const first = this.live.get(alive[0]!)!.view();
      if (first.members.join(',') !== alive.join(',')) return false;
      for (const id of alive) {
        const v = this.live.get(id)!.view();
        if (v.viewId !== first.viewId || v.leader !== first.leader || v.members.join(',') !== first.members.join(',')) return false;
        const node = this.live.get(id)!;
        if (!alive.every((other) => node.isReachable(other))) return false;
      }
    }
    return true;
  }

  async stopAll(): Promise<void> {
    for (const id of [...this.live.keys()]) this.crash(id);
  }
}

export function createSimCluster(options: SimClusterOptions): SimCluster {
  return new SimCluster(options);
}
