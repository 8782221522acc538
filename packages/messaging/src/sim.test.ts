import { describe, expect, it } from 'vitest';
import { createSimCluster } from './sim.js';
import { MessagingNode } from './node.js';
import type { LinkEvent, View } from './node.js';

const INTERVAL = 200;
const TOKEN = 1000;

function settled(seed: number, size = 5, extra: Parameters<typeof createSimCluster>[0] extends infer O ? Partial<O> : never = {}) {
  const c = createSimCluster({ size, seed, heartbeatIntervalMs: INTERVAL, tokenTimeoutMs: TOKEN, ...extra });
  expect(c.runUntil(() => c.converged(), 5_000)).toBe(true);
  return c;
}

describe('membership on the simulated network', () => {
  it('forms one view of all nodes with one id and leader', () => {
    const c = settled(1);
    const views = [...c.views().values()];
    expect(new Set(views.map((v) => `${v.viewId}/${v.leader}/${v.members}`)).size).toBe(1);
    expect(views[0]!.members).toEqual([1, 2, 3, 4, 5]);
  });

  it('evicts a crashed node within token timeout + one interval, with leave events', () => {
    for (const seed of [2, 3, 4, 5, 6]) {
      const c = settled(seed);
      const left: number[] = [];
      for (const n of c.running()) n.on('leave', (r) => left.push(r.node));
      c.advance(c.random.int(INTERVAL));
      const crashedAt = c.clock.now();
      c.crash(3);
      expect(c.runUntil(() => c.converged(), 5_000, 1)).toBe(true);
      expect(c.clock.now() - crashedAt).toBeLessThanOrEqual(TOKEN + INTERVAL);
      expect(left).toEqual([3, 3, 3, 3]);
      expect(c.node(1)!.view().members).toEqual([1, 2, 4, 5]);
    }
  });

  it('a graceful stop is seen at once, not after the token timeout', () => {
    const c = settled(7);
    const t0 = c.clock.now();
    c.stop(2);
    expect(c.runUntil(() => c.converged(), 5_000, 1)).toBe(true);
    expect(c.clock.now() - t0).toBeLessThan(INTERVAL);
  });

  it('a restarted node rejoins with a new incarnation; peers see leave then join', () => {
    const c = settled(8);
    const oldIncarnation = c.node(4)!.incarnation;
    const events: string[] = [];
    c.node(1)!.on('leave', (r) => events.push(`leave ${r.node}`));
    c.node(1)!.on('join', (r) => events.push(`join ${r.node}`));
    c.restart(4);
    expect(c.node(4)!.incarnation).toBeGreaterThan(oldIncarnation);
    expect(c.runUntil(() => c.converged(), 5_000, 1)).toBe(true);
    expect(events).toEqual(['leave 4', 'join 4']);
  });

  it('one late or lost heartbeat does not evict a node (suspicion, then probe)', () => {
    const c = settled(9, 3);
    const changes: View[] = [];
    c.node(1)!.on('view', (v) => changes.push(v));
    // Node 3 is silent towards everyone for 3 intervals: suspected, never evicted.
    c.blockOneWay(3, 1);
    c.blockOneWay(3, 2);
    c.advance(3 * INTERVAL);
    c.heal();
    c.advance(3 * TOKEN);
    expect(changes).toEqual([]);
    expect(c.node(1)!.stats().suspicions).toBeGreaterThan(0);
  });

  it('a process frozen for less than the token timeout is kept and, on waking, evicts no one', () => {
    const c = settled(14);
    const changes: View[] = [];
    for (const n of c.running()) n.on('view', (v) => changes.push(v));
    c.freeze(3, 800);
    c.advance(3 * TOKEN);
    expect(changes).toEqual([]);
    expect(c.node(3)!.stats().lagForgivenMs).toBeGreaterThanOrEqual(600);
  });

  it('a process frozen for longer is evicted, then finds its view outdated and rejoins', () => {
    const c = settled(15);
    c.freeze(3, 3 * TOKEN);
    expect(c.runUntil(() => c.converged([[1, 2, 4, 5]]) && c.node(1)!.view().members.length === 4, 3 * TOKEN, 5)).toBe(true);
    expect(c.runUntil(() => c.converged(), 5_000)).toBe(true);
  });

  it('splits 3/2 on a partition and merges on heal, with increasing view ids', () => {
    const c = settled(10);
    const ids = new Map<number, number[]>();
    for (const n of c.running()) n.on('view', (v) => ids.set(n.nodeId, [...(ids.get(n.nodeId) ?? []), v.viewId]));
    c.partition([[1, 2, 3], [4, 5]]);
    expect(c.runUntil(() => c.converged([[1, 2, 3], [4, 5]]), 5_000)).toBe(true);
    expect(c.node(4)!.view().members).toEqual([4, 5]);
    c.heal();
    expect(c.runUntil(() => c.converged(), 5_000)).toBe(true);
    for (const seq of ids.values()) expect([...seq].sort((a, b) => a - b)).toEqual(seq);
  });

  it('asymmetric loss: A hears B but B does not hear A, so they never share a view', () => {
    const c = settled(11, 3);
    c.blockOneWay(1, 2); // 2 no longer hears 1; 1 still hears 2
    c.advance(6 * TOKEN);
    const v1 = c.node(1)!.view().members;
    const v2 = c.node(2)!.view().members;
    expect(v1.includes(2)).toBe(false);
    expect(v2.includes(1)).toBe(false);
    // Node 3 hears both: it shares a view with exactly one of them, and all of its members agree.
    const v3 = c.node(3)!.view();
    for (const m of v3.members) expect(c.node(m)!.view()).toEqual(v3);
    c.heal();
    expect(c.runUntil(() => c.converged(), 8_000)).toBe(true);
  });

  it('reports each link separately; a node stays a member while any link is up', () => {
    const c = settled(12, 3, { linksPerNode: 3 });
    const linkEvents: LinkEvent[] = [];
    c.node(1)!.on('link', (e) => linkEvents.push(e));
    const viewBefore = c.node(1)!.view();
    c.setLinkDown(2, 1); // node 2's storage network goes down
    c.advance(2 * TOKEN);
    expect(linkEvents).toEqual([{ node: 2, link: 1, up: false }]);
    expect(c.node(1)!.view()).toEqual(viewBefore);
    expect(c.node(1)!.links().filter((l) => !l.up)).toEqual([{ node: 2, link: 1, up: false }]);
    expect(c.node(1)!.peers().find((p) => p.node === 2)).toMatchObject({ name: 'node2', reachable: true, suspect: false, links: [true, false, true] });
    c.setLinkDown(2, 0);
    c.setLinkDown(2, 2);
    expect(c.runUntil(() => c.converged([[1, 3], [2]]), 3_000, 1)).toBe(true);
    c.heal();
    expect(c.runUntil(() => c.converged(), 3_000)).toBe(true);
    expect(linkEvents.filter((e) => e.up).map((e) => e.link).sort()).toEqual([0, 1, 2]);
  });

  it('a node with the wrong cluster key changes nothing and is counted', () => {
    const c = settled(13, 3);
    const before = c.node(1)!.view();
    const intruder = new MessagingNode({
      nodeId: 3,
      nodes: c.config.map((n) => (n.id === 3 ? { ...n, links: [{ addr: 'sim-intruder', port: 1 }] } : n)),
      key: Buffer.alloc(32, 0xee),
      transport: c.network.createTransport(),
      clock: c.clock,
    });
    c.crash(3);
    c.advance(3 * TOKEN);
    expect(c.node(1)!.view().members).toEqual([1, 2]);
    expect(c.node(1)!.stats().foreign).toBeGreaterThan(0);
    expect(c.node(1)!.view().viewId).toBeGreaterThan(before.viewId);
    void intruder.crash();
  });
});

describe('a larger cluster (rows gossiped in rotation)', () => {
  it('24 nodes converge, survive crashes and a 12/12 partition, with small heartbeats', () => {
    const c = createSimCluster({ size: 24, seed: 30 });
    expect(c.runUntil(() => c.converged(), 10_000, 20)).toBe(true);
    const s0 = c.node(1)!.stats();
    c.advance(2_000);
    const s1 = c.node(1)!.stats();
    // Steady state: own row + 8 rotating rows, not all 24.
    expect((s1.bytesOut - s0.bytesOut) / (s1.packetsOut - s0.packetsOut)).toBeLessThan(400);
    c.crash(7);
    c.crash(19);
    expect(c.runUntil(() => c.converged(), 5_000, 5)).toBe(true);
    c.start(7);
    c.start(19);
    expect(c.runUntil(() => c.converged(), 5_000, 5)).toBe(true);
    const left = c.ids.slice(0, 12);
    const right = c.ids.slice(12);
    c.partition([left, right]);
    expect(c.runUntil(() => c.converged([left, right]), 8_000, 5)).toBe(true);
    c.heal();
    expect(c.runUntil(() => c.converged(), 8_000, 5)).toBe(true);
  });
});

describe('reliable messages on the simulated network', () => {
  it('delivers in order, once, despite loss, duplication and reordering', async () => {
    const c = settled(20, 3);
    c.network.setFaults({ dropRate: 0.2, duplicateRate: 0.2, minDelayMs: 0.1, maxDelayMs: 20 });
    const got: number[] = [];
    c.node(2)!.on('message', (m) => got.push(Number(m.payload.toString())));
    let acked = 0;
    for (let i = 0; i < 300; i++) void c.node(1)!.send(2, 'seq', String(i)).then(() => { acked++; });
    c.runUntil(() => got.length === 300, 20_000);
    c.advance(5_000);
    await new Promise((r) => setImmediate(r));
    expect(got).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(acked).toBe(300);
    expect(c.node(1)!.stats().retransmits).toBeGreaterThan(0);
  });

  it('moves a multi-megabyte payload intact without starving heartbeats', async () => {
    const c = settled(21, 3);
    const big = Buffer.alloc(6 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4) big.writeUInt32LE(i, i);
    let received: Buffer | null = null;
    c.node(3)!.on('message', (m) => { received = m.payload; });
    const views: View[] = [];
    for (const n of c.running()) n.on('view', (v) => views.push(v));
    let done = false;
    void c.node(1)!.send(3, 'cib', big).then(() => { done = true; });
    c.runUntil(() => received !== null, 60_000);
    c.advance(50);
    await new Promise((r) => setImmediate(r));
    expect(received!.equals(big)).toBe(true);
    expect(done).toBe(true);
    expect(views).toEqual([]);
  });

  it('a transfer fails over to another link when its link goes down mid-way', async () => {
    const c = settled(25, 2, { linksPerNode: 2 });
    c.network.setFaults({ minDelayMs: 1, maxDelayMs: 2 });
    const big = Buffer.alloc(2 * 1024 * 1024, 3);
    let got: Buffer | null = null;
    c.node(2)!.on('message', (m) => { got = m.payload; });
    let acked = false;
    void c.node(1)!.send(2, 'cib', big).then(() => { acked = true; });
    c.advance(5);
    expect(got).toBeNull();
    c.setLinkDown(2, 0);
    const downAt = c.clock.now();
    c.runUntil(() => got !== null, 20_000, 1);
    // Retransmissions rotate to the other link: no wait for link 0 to be declared down.
    expect(c.clock.now() - downAt).toBeLessThan(TOKEN / 2);
    c.advance(2 * TOKEN);
    await new Promise((r) => setImmediate(r));
    expect(got!.equals(big)).toBe(true);
    expect(acked).toBe(true);
    expect(c.node(1)!.view().members).toEqual([1, 2]);
    expect(c.node(1)!.peers()[0]!.links).toEqual([false, true]);
  });

  it('rejects sends to unreachable peers and fails pending sends when the peer dies', async () => {
    const c = settled(22, 3);
    c.partition([[1, 2], [3]]);
    const pending = c.node(1)!.send(3, 'x', Buffer.alloc(10));
    c.runUntil(() => !c.node(1)!.isReachable(3), 5_000);
    await expect(pending).rejects.toMatchObject({ code: 'VIGIL_MESSAGING_PEER_LOST' });
    await expect(c.node(1)!.send(3, 'x', 'y')).rejects.toMatchObject({ code: 'VIGIL_MESSAGING_NOT_CONNECTED' });
    await expect(c.node(1)!.send(99, 'x', 'y')).rejects.toMatchObject({ code: 'VIGIL_MESSAGING_NOT_CONNECTED' });
  });

  it('applies backpressure when a peer queue is full', async () => {
    const c = settled(23, 2, { nodeOptions: { maxQueuedBytes: 100_000 } });
    const first = c.node(1)!.send(2, 'a', Buffer.alloc(80_000));
    await expect(c.node(1)!.send(2, 'a', Buffer.alloc(80_000))).rejects.toMatchObject({ code: 'VIGIL_MESSAGING_BACKPRESSURE' });
    c.advance(1_000);
    await first;
    const third = c.node(1)!.send(2, 'a', Buffer.alloc(80_000));
    c.advance(1_000);
    await third;
  });

  it('broadcast reaches every other member of the view', async () => {
    const c = settled(24, 4);
    const got: number[] = [];
    for (const n of c.running()) n.on('message', (m) => { if (m.channel === 'all') got.push(n.nodeId); });
    const result = c.node(2)!.broadcast('all', 'hello');
    c.advance(100);
    const r = await result;
    expect(r.delivered.sort()).toEqual([1, 3, 4]);
    expect(r.failed).toEqual([]);
    expect(got.sort()).toEqual([1, 3, 4]);
  });
});
