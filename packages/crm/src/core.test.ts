import { describe, expect, it } from 'vitest';
import type { CrmEvent } from './core.js';
import type { QuorumConfig } from './quorum.js';
import { SimCluster, type SimNode } from './sim/cluster.js';
import { SeededRandom } from './sim/random.js';
import type { SimDoc } from './sim/doc.js';
import type { ProposalResult } from './types.js';

const CORE = { heartbeatIntervalMs: 100, electionTimeoutMs: 300, dcLeaseMs: 600, maxClockDriftRatio: 0.05 };

interface Harness {
  cluster: SimCluster;
  results: Map<string, ProposalResult>;
  events: { node: number; event: CrmEvent<SimDoc> }[];
  until(predicate: () => boolean, maxMs: number): number;
  acting(): number[];
  propose(node: number, change: Parameters<SimCluster['propose']>[1]): string;
}

function harness(quorum: QuorumConfig, seed = 7, core: object = {}): Harness {
  const results = new Map<string, ProposalResult>();
  const events: Harness['events'] = [];
  const cluster = new SimCluster({
    quorum,
    random: new SeededRandom(seed),
    core: { ...CORE, ...core },
    maxDriftRatio: 0.05,
    viewDelayMs: 50,
    fenceDelayMs: 100,
    faults: { lossRatio: 0, duplicateRatio: 0, delayMinMs: 1, delayMaxMs: 5 },
    observer: {
      onEvent: (node: SimNode, event) => {
        events.push({ node: node.id, event });
        if (event.type === 'result') results.set(`${node.id}/${event.seq}`, event.result);
      },
    },
  });
  for (const q of quorum.nodes) cluster.start(q.id);
  const acting = () => cluster.liveNodes().filter((n) => n.core!.isActingDc(cluster.localMs(n))).map((n) => n.id);
  return {
    cluster,
    results,
    events,
    acting,
    until(predicate, maxMs) {
      const start = cluster.nowMs;
      while (!predicate()) {
        if (cluster.nowMs - start > maxMs) throw new Error(`condition not met within ${maxMs} ms of virtual time`);
        cluster.runUntil(cluster.nowMs + 10, 10);
        expect(acting().length).toBeLessThanOrEqual(1);
      }
      return cluster.nowMs - start;
    },
    propose(node, change) {
      return `${node}/${cluster.propose(node, change)}`;
    },
  };
}

const three: QuorumConfig = { nodes: [{ id: 1 }, { id: 2 }, { id: 3 }] };
const doc = (h: Harness, id: number): SimDoc => h.cluster.nodes.get(id)!.core!.committedEntry.doc;

describe('DC election and lease', () => {
  it('elects exactly one DC, which acts only after waiting out any earlier lease', () => {
    const h = harness(three);
    h.until(() => h.acting().length === 1, 5000);
    const dc = h.cluster.nodes.get(h.acting()[0]!)!;
    const window = dc.core!.actingWindowMs()!;
    const electedAt = h.events.find((e) => e.node === dc.id && e.event.type === 'role' && e.event.role === 'leader');
    expect(electedAt).toBeDefined();
    expect(window.fromMs - dc.core!.leaseWaitMs).toBeGreaterThan(0);
    expect(dc.core!.leaseWaitMs).toBeGreaterThanOrEqual(Math.ceil((600 * 1.05) / 0.95));
  });

  it('after the DC dies, another is acting within lease wait + election time', () => {
    const h = harness(three);
    h.until(() => h.acting().length === 1, 5000);
    const old = h.acting()[0]!;
    h.cluster.crash(old);
    const took = h.until(() => h.acting().length === 1, 5000);
    expect(h.acting()[0]).not.toBe(old);
    const bound = 700 /* lease wait */ + 2 * 300 /* election timeout */ + 50 /* view */ + 300 /* vote, heartbeat, ticks */;
    expect(took).toBeLessThan(bound);
  });

  it('an isolated DC stops acting before the majority side starts', () => {
    const h = harness({ nodes: [{ id: 1 }, { id: 2 }, { id: 3 }, { id: 4 }, { id: 5 }] }, 11);
    h.until(() => h.acting().length === 1, 5000);
    const old = h.acting()[0]!;
    for (const other of [1, 2, 3, 4, 5]) if (other !== old) (h.cluster.cut(old, other), h.cluster.cut(other, old));
    // `until` asserts at every step that at most one node acts.
    h.until(() => h.acting().length === 1 && h.acting()[0] !== old, 5000);
    expect(h.cluster.nodes.get(old)!.core!.isActingDc(h.cluster.localMs(h.cluster.nodes.get(old)!))).toBe(false);
    const actingEvents = h.events.filter((e) => e.node === old && e.event.type === 'acting').map((e) => (e.event.type === 'acting' ? e.event.acting : null));
    expect(actingEvents).toEqual([true, false]);
  });

  it('a minority never elects a DC', () => {
    const h = harness({ nodes: [{ id: 1 }, { id: 2 }, { id: 3 }, { id: 4 }, { id: 5 }] });
    h.cluster.crash(3);
    h.cluster.crash(4);
    h.cluster.crash(5);
    h.cluster.runUntil(5000, 10);
    expect(h.acting()).toEqual([]);
    expect(h.cluster.nodes.get(1)!.core!.quorumStatus()).toMatchObject({ quorate: false, totalVotes: 2, quorum: 3 });
    expect(h.events.some((e) => e.event.type === 'no-quorum' && e.event.policy === 'stop')).toBe(true);
  });
});

describe('the replicated CIB', () => {
  it('a change made through a non-DC node is committed everywhere and survives the DC', () => {
    const h = harness(three);
    h.until(() => h.acting().length === 1, 5000);
    const dc = h.acting()[0]!;
    const other = [1, 2, 3].find((id) => id !== dc)!;
    const base = doc(h, other);
    const req = h.propose(other, { kind: 'replace', doc: { ...base, config: { rsc: 'vip' } }, expected: base.version });
    h.until(() => h.results.has(req), 3000);
    expect(h.results.get(req)).toMatchObject({ ok: true, version: { adminEpoch: 0, epoch: base.version.epoch + 1, numUpdates: 0 } });
    h.until(() => [1, 2, 3].every((id) => doc(h, id).config['rsc'] === 'vip'), 1000);
    h.cluster.crash(dc);
    h.until(() => h.acting().length === 1, 5000);
    const survivor = h.acting()[0]!;
    expect(doc(h, survivor).config['rsc']).toBe('vip');
    h.cluster.start(dc);
    h.until(() => h.cluster.nodes.get(dc)!.core!.committedEntry.index === h.cluster.nodes.get(survivor)!.core!.committedEntry.index, 3000);
    expect(doc(h, dc).config['rsc']).toBe('vip');
  });

  it('refuses a stale conditional replace with a clear error and applies nothing', () => {
    const h = harness(three);
    h.until(() => h.acting().length === 1, 5000);
    const stale = doc(h, 1);
    const first = h.propose(1, { kind: 'replace', doc: { ...stale, config: { a: '1' } }, expected: stale.version });
    h.until(() => h.results.has(first), 3000);
    const second = h.propose(2, { kind: 'replace', doc: { ...stale, config: { a: '2' } }, expected: stale.version });
    h.until(() => h.results.has(second), 3000);
    const result = h.results.get(second)!;
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.code).toBe('VIGIL_CRM_STALE_VERSION');
      expect(result.message).toMatch(/expected CIB version 0\.\d+\.0 but the cluster is at 0\.\d+\.0/);
    }
    h.until(() => doc(h, 3).config['a'] === '1', 1000);
  });

  it('refuses a config that does not validate, whole, and one that would move the version back', () => {
    const h = harness(three);
    h.until(() => h.acting().length === 1, 5000);
    const base = doc(h, 2);
    const bad = h.propose(2, { kind: 'replace', doc: { ...base, config: { ok: 'yes', broken: '<primitive' } } });
    h.until(() => h.results.has(bad), 3000);
    expect(h.results.get(bad)).toMatchObject({ ok: false, code: 'VIGIL_CRM_INVALID_CIB' });
    expect(doc(h, 1).config['ok']).toBeUndefined();
    const bump = h.propose(2, { kind: 'replace', doc: { ...base, version: { adminEpoch: 0, epoch: 9, numUpdates: 0 }, config: { x: '1' } } });
    h.until(() => h.results.has(bump), 3000);
    expect(h.results.get(bump)).toMatchObject({ ok: true, version: { adminEpoch: 0, epoch: 9, numUpdates: 0 } });
    const older = h.propose(2, { kind: 'replace', doc: { ...base, version: { adminEpoch: 0, epoch: 3, numUpdates: 0 } } });
    h.until(() => h.results.has(older), 3000);
    expect(h.results.get(older)).toMatchObject({ ok: false, code: 'VIGIL_CRM_OLDER_VERSION' });
  });

  it('writes node attributes through the DC, coalescing changes inside the dampening window', () => {
    const h = harness(three);
    h.until(() => h.acting().length === 1, 5000);
    const node = h.cluster.nodes.get(3)!;
    const commitsBefore = h.events.filter((e) => e.node === 3 && e.event.type === 'committed').length;
    for (const value of ['1', '2', '3', '4']) {
      node.core!.setNodeAttribute('node3', 'pingd', value, h.cluster.localMs(node), 500);
      h.cluster.drain(node);
      h.cluster.runUntil(h.cluster.nowMs + 50, 10);
    }
    expect(doc(h, 1).status['node3']?.['pingd']).toBeUndefined();
    h.until(() => doc(h, 1).status['node3']?.['pingd'] === '4', 2000);
    h.cluster.runUntil(h.cluster.nowMs + 500, 10);
    const values = h.events
      .filter((e) => e.node === 3 && e.event.type === 'committed')
      .slice(commitsBefore)
      .map((e) => (e.event.type === 'committed' ? e.event.entry.doc.status['node3']?.['pingd'] : undefined))
      .filter((v) => v !== undefined);
    expect(new Set(values)).toEqual(new Set(['4']));
  });

  it('a node whose log was corrupted does not vote until it has resynced, then converges', () => {
    const h = harness(three);
    h.until(() => h.acting().length === 1, 5000);
    const req = h.propose(1, { kind: 'attribute', node: 'node1', name: 'fail-count-db', value: '2' });
    h.until(() => h.results.has(req), 3000);
    const victim = [1, 2, 3].find((id) => id !== h.acting()[0])!;
    h.cluster.crash(victim);
    h.cluster.start(victim, 'corrupt');
    const node = h.cluster.nodes.get(victim)!;
    expect(node.core!.needsSync).toBe(true);
    expect(node.core!.committedEntry.index).toBe(0);
    h.until(() => !node.core!.needsSync && doc(h, victim).status['node1']?.['fail-count-db'] === '2', 3000);
    expect(node.diskLost).toBe(false);
  });

  it("an operator's offline edit with a higher admin_epoch wins when the node rejoins", () => {
    const h = harness(three);
    h.until(() => h.acting().length === 1, 5000);
    const victim = [1, 2, 3].find((id) => id !== h.acting()[0])!;
    h.cluster.crash(victim);
    // The operator edits the stored committed CIB while the node is down.
    const disk = h.cluster.nodes.get(victim)!.disk;
    const log = disk.log!;
    disk.flush();
    const edited: SimDoc = { ...log.committed.doc, version: { adminEpoch: 5, epoch: 0, numUpdates: 0 }, config: { edited: 'offline' } };
    disk.save({ log: { last: log.last, committed: { ...log.committed, doc: edited } } });
    h.cluster.start(victim);
    h.until(() => [1, 2, 3].every((id) => doc(h, id).config['edited'] === 'offline'), 5000);
    expect(doc(h, 1).version.adminEpoch).toBe(5);
  });
});

describe('node lifecycle', () => {
  it('a clean shutdown leaves a node lost; a vanished node is unclean', () => {
    const h = harness(three);
    h.until(() => h.acting().length === 1, 5000);
    const dc = h.acting()[0]!;
    const [quitter, vanisher] = [1, 2, 3].filter((id) => id !== dc) as [number, number];
    h.until(() => h.cluster.nodes.get(dc)!.core!.nodeStates()[quitter] === 'member' && h.cluster.nodes.get(dc)!.core!.nodeStates()[vanisher] === 'member', 2000);
    const node = h.cluster.nodes.get(quitter)!;
    node.core!.leave(h.cluster.localMs(node));
    h.cluster.drain(node);
    h.cluster.runUntil(h.cluster.nowMs + 20, 10);
    h.cluster.crash(quitter);
    h.until(() => h.cluster.nodes.get(dc)!.core!.nodeStates()[quitter] === 'lost', 2000);
    h.cluster.start(quitter);
    h.until(() => h.cluster.nodes.get(dc)!.core!.nodeStates()[quitter] === 'member', 3000);
    h.cluster.crash(vanisher);
    h.until(() => h.cluster.nodes.get(dc)!.core!.nodeStates()[vanisher] === 'unclean', 2000);
  });
});

describe('two_node clusters', () => {
  const two: QuorumConfig = { nodes: [{ id: 1 }, { id: 2 }], twoNode: true };

  it('a lone node after a cold start waits for its peer (wait_for_all)', () => {
    const h = harness(two);
    h.cluster.crash(2);
    h.cluster.runUntil(4000, 10);
    expect(h.acting()).toEqual([]);
    expect(h.cluster.nodes.get(1)!.core!.quorumStatus()).toMatchObject({ twoNode: true, quorate: false, allSeenOnce: false });
  });

  it('the survivor fences its peer, then carries on alone and commits', () => {
    const h = harness(two);
    h.until(() => h.acting().length === 1, 5000);
    const dc = h.acting()[0]!;
    const peer = dc === 1 ? 2 : 1;
    // The peer vanishes from the network (alive but unreachable): the survivor must fence it.
    h.cluster.cut(dc, peer);
    h.cluster.cut(peer, dc);
    h.until(() => h.events.some((e) => e.node === dc && e.event.type === 'fence' && e.event.node === peer), 3000);
    h.until(() => h.acting().length === 1 && !h.cluster.nodes.get(peer)!.alive, 5000);
    expect(h.cluster.nodes.get(dc)!.core!.nodeStates()[peer]).toBe('fenced');
    const req = h.propose(dc, { kind: 'attribute', node: `node${dc}`, name: 'alone', value: 'yes' });
    h.until(() => h.results.has(req), 3000);
    expect(h.results.get(req)).toMatchObject({ ok: true });
    h.cluster.heal();
    h.cluster.start(peer);
    h.until(() => doc(h, peer).status[`node${dc}`]?.['alone'] === 'yes', 5000);
    expect(h.cluster.nodes.get(dc)!.core!.nodeStates()[peer]).toBe('member');
  });

  it('a rebooted peer takes over alone only with everything the survivor committed meanwhile', () => {
    const h = harness(two, 21);
    h.until(() => h.acting().length === 1, 5000);
    const dc = h.acting()[0]!;
    const peer = dc === 1 ? 2 : 1;
    h.cluster.crash(peer);
    h.until(() => h.cluster.nodes.get(dc)!.core!.nodeStates()[peer] === 'fenced', 3000);
    const alone = h.propose(dc, { kind: 'attribute', node: 'n1', name: 'written-alone', value: '1' });
    h.until(() => h.results.has(alone), 3000);
    h.cluster.start(peer);
    // Changes keep coming while the survivor has not yet noticed the reboot.
    const during = [1, 2, 3].map((i) => h.propose(dc, { kind: 'attribute', node: 'n1', name: `during-${i}`, value: String(i) }));
    h.until(() => during.every((r) => h.results.get(r)?.ok === true), 3000);
    h.until(() => h.cluster.nodes.get(peer)!.core!.nodeStates()[peer] === 'member', 3000);
    h.cluster.crash(dc);
    h.until(() => h.acting()[0] === peer, 5000);
    const status = doc(h, peer).status['n1'] ?? {};
    expect(status).toMatchObject({ 'written-alone': '1', 'during-1': '1', 'during-2': '2', 'during-3': '3' });
  });
});
