import { createSimCluster, type SimCluster } from '../sim.js';
import { seededRandom } from '../random.js';
import type { TraceEvent } from '../node.js';

/**
 * One randomized simulation run (tigerbeetle's VOPR idea, small): a cluster,
 * faults and crashes drawn from the seed, safety checked after every step,
 * then liveness checked once the network heals. The seed alone reproduces it.
 */
export interface ScenarioResult {
  seed: number;
  ok: boolean;
  /** First violation, with enough context to replay the seed. */
  failure?: string;
  size: number;
  viewsInstalled: number;
  messagesDelivered: number;
  virtualMs: number;
}

const key = (members: { node: number; incarnation: number }[]): string => members.map((m) => `${m.node}@${m.incarnation}`).join(',');

export async function runScenario(seed: number, opts: { faultPhaseMs?: number; convergeLimitMs?: number; onFailure?: (cluster: SimCluster) => void } = {}): Promise<ScenarioResult> {
  const rnd = seededRandom(seed ^ 0x5bd1e995);
  const size = 3 + rnd.int(3);
  const linksPerNode = 1 + rnd.int(2);
  const violations: string[] = [];
  // (viewId/leader) -> members key, and which (node@incarnation) accepted which view.
  const proposals = new Map<string, string>();
  const accepted = new Set<string>();
  let viewsInstalled = 0;
  const onTrace = (e: TraceEvent): void => {
    // A leader's restart starts a new life whose epochs may repeat the old one's.
    const leaderIncarnation = e.members.find((m) => m.node === e.leader)?.incarnation ?? 0;
    const id = `${e.viewId}/${e.leader}@${leaderIncarnation}`;
    const members = key(e.members);
    const known = proposals.get(id);
    if (known !== undefined && known !== members) violations.push(`view ${id} has two member lists: ${known} vs ${members}`);
    proposals.set(id, members);
    if (e.kind === 'accepted') {
      accepted.add(`${e.node}@${e.incarnation}#${id}`);
      return;
    }
    viewsInstalled++;
    for (const m of e.members) {
      if (!accepted.has(`${m.node}@${m.incarnation}#${id}`)) {
        violations.push(`node ${e.node} installed view ${id} [${members}] but member ${m.node}@${m.incarnation} never agreed to it`);
      }
    }
  };

  // Reliable messages: per (sender incarnation, receiver) seqs must strictly increase, with the right bytes.
  const lastSeen = new Map<string, number>();
  let delivered = 0;
  const sent = new Map<string, number>();
  const cluster: SimCluster = createSimCluster({
    size,
    linksPerNode,
    seed,
    // Real crypto in a quarter of the runs; the rest use the checksum sealer, which
    // keeps every protocol path but makes thousands of seeds affordable.
    ...(() => {
      const dice = rnd.int(8);
      return dice === 0 ? { auth: 'aes-256-gcm' as const } : dice === 1 ? { auth: 'hmac-sha256' as const } : { checksumAuth: true };
    })(),
    onTrace,
    onNode: (node) => {
      node.on('message', (m) => {
        if (m.channel !== 'sim') return;
        const text = m.payload.toString('utf8');
        const [tag, from, inc, seqText, pad] = text.split('|');
        const seq = Number(seqText);
        if (tag !== 'sim' || Number(from) !== m.from || !Number.isInteger(seq) || pad !== 'x'.repeat(seq % 3000)) {
          violations.push(`node ${node.nodeId} got a corrupted message from ${m.from}: ${text.slice(0, 60)}`);
          return;
        }
        const stream = `${from}@${inc}>${node.nodeId}@${node.incarnation}`;
        const prev = lastSeen.get(stream) ?? -1;
        if (seq <= prev) violations.push(`node ${node.nodeId} got seq ${seq} from ${stream} after ${prev} (duplicate or reordered)`);
        lastSeen.set(stream, seq);
        delivered++;
      });
    },
  });
  const sendSome = (): void => {
    for (const n of cluster.running()) {
      for (const to of n.view().members) {
        if (to === n.nodeId || rnd.next() < 0.5) continue;
        const stream = `${n.nodeId}@${n.incarnation}>${to}`;
        const seq = sent.get(stream) ?? 0;
        sent.set(stream, seq + 1);
        n.send(to, 'sim', `sim|${n.nodeId}|${n.incarnation}|${seq}|${'x'.repeat(seq % 3000)}`).catch(() => undefined);
      }
    }
  };

  const start = cluster.clock.now();
  const check = (): boolean => violations.length === 0;
  cluster.runUntil(() => cluster.converged(), 5_000);

  // Fault phase: a random walk over network conditions and node lives.
  const faultEnd = cluster.clock.now() + (opts.faultPhaseMs ?? 500 + rnd.int(3_000));
  const crashed = new Set<number>();
  while (cluster.clock.now() < faultEnd && check()) {
    const dice = rnd.int(10);
    const ids = cluster.ids;
    const pick = (): number => ids[rnd.int(ids.length)]!;
    if (dice === 0) cluster.network.setFaults({ dropRate: rnd.next() * 0.3 });
    else if (dice === 1) cluster.network.setFaults({ duplicateRate: rnd.next() * 0.2, corruptRate: rnd.next() * 0.05, minDelayMs: 0.1, maxDelayMs: 0.1 + rnd.next() * 40 });
    else if (dice === 2) {
      const cut = 1 + rnd.int(size - 1);
      const shuffled = [...ids].sort(() => rnd.next() - 0.5);
      cluster.partition([shuffled.slice(0, cut), shuffled.slice(cut)]);
    } else if (dice === 3) cluster.blockOneWay(pick(), pick());
    else if (dice === 4) cluster.setLinkDown(pick(), rnd.int(linksPerNode), true);
    else if (dice === 5 && crashed.size < size - 1) {
      const id = pick();
      if (cluster.isRunning(id)) {
        if (rnd.int(3) === 0) cluster.stop(id);
        else cluster.crash(id);
        crashed.add(id);
      }
    } else if (dice === 6 && crashed.size > 0) {
      const id = [...crashed][rnd.int(crashed.size)]!;
      crashed.delete(id);
      cluster.start(id);
    } else if (dice === 7) cluster.heal();
    else if (dice === 8 && rnd.int(2) === 0) cluster.freeze(pick(), rnd.int(2_500));
    else sendSome();
    cluster.advance(50 + rnd.int(700));
  }

  // Liveness: calm network, some nodes back, maybe a clean partition left in place.
  cluster.network.setFaults({ dropRate: 0, duplicateRate: 0, corruptRate: 0, minDelayMs: 0.1, maxDelayMs: 0.5 });
  cluster.heal();
  for (const id of [...crashed]) {
    if (rnd.int(2) === 0) {
      crashed.delete(id);
      cluster.start(id);
    }
  }
  let groups = [cluster.ids];
  if (rnd.int(3) === 0) {
    const cut = 1 + rnd.int(size - 1);
    const shuffled = [...cluster.ids].sort(() => rnd.next() - 0.5);
    groups = [shuffled.slice(0, cut), shuffled.slice(cut)];
    cluster.partition(groups);
  }
  // Sometimes leave one one-way block inside a group: connectivity is then not
  // transitive and no single view is possible; views must still be consistent
  // cliques that never hold both ends of the broken direction.
  let oneWay: [number, number] | null = null;
  const biggest = [...groups].sort((x, y) => y.length - x.length)[0]!.filter((id) => cluster.isRunning(id));
  if (biggest.length >= 3 && rnd.int(4) === 0) {
    const a = biggest[rnd.int(biggest.length)]!;
    const others = biggest.filter((id) => id !== a);
    const b = others[rnd.int(others.length)]!;
    oneWay = [a, b];
    cluster.blockOneWay(a, b);
  }
  const consistent = (): boolean => {
    for (const n of cluster.running()) {
      const v = n.view();
      if (oneWay && v.members.includes(oneWay[0]) && v.members.includes(oneWay[1])) return false;
      for (const m of v.members) {
        const w = cluster.node(m)?.view();
        if (!w || w.viewId !== v.viewId || w.leader !== v.leader || w.members.join(',') !== v.members.join(',')) return false;
        if (m !== n.nodeId && !n.isReachable(m)) return false;
      }
    }
    return true;
  };
  const settledNow = (): boolean => (oneWay ? consistent() : cluster.converged(groups));
  // Settled and stayed so for longer than a token timeout: a snapshot right after the heal
  // can still include a peer whose silence during the fault is about to time out.
  let since: number | null = null;
  const stable = (): boolean => {
    if (!settledNow()) since = null;
    else if (since === null) since = cluster.clock.now();
    return since !== null && cluster.clock.now() - since >= 1_200;
  };
  const converged = check() && cluster.runUntil(() => stable() || !check(), opts.convergeLimitMs ?? 14_000, 50);
  if (check() && !converged) {
    const views = [...cluster.views()].map(([id, v]) => `${id}:${v.viewId}/${v.leader}[${v.members.join(',')}]`).join(' ');
    const goal = oneWay ? `consistent views with ${oneWay[0]}->${oneWay[1]} blocked in` : 'convergence to';
    violations.push(`no ${goal} ${JSON.stringify(groups)} (running ${cluster.running().map((n) => n.nodeId).join(',')}): ${views}`);
  }
  if (converged && check()) {
    // Once settled, every send inside a group must be acknowledged.
    let total = 0;
    let acked = 0;
    const errors: string[] = [];
    for (const n of cluster.running()) {
      for (const to of n.view().members) {
        if (to === n.nodeId) continue;
        total++;
        n.send(to, 'final', Buffer.alloc(5000, 7)).then(() => { acked++; }, (e: Error) => { errors.push(`${n.nodeId}->${to}: ${e.message}`); });
      }
    }
    cluster.runUntil(() => acked + errors.length === total, 5_000, 20);
    // Promise callbacks run as microtasks, after this synchronous stretch of virtual time.
    await new Promise((resolve) => setImmediate(resolve));
    if (acked !== total) violations.push(`${total - acked} of ${total} sends inside a settled view were not acked: ${errors.slice(0, 3).join('; ')}`);
  }
  if (violations.length > 0) opts.onFailure?.(cluster);
  void cluster.stopAll();
  const result: ScenarioResult = { seed, ok: violations.length === 0, size, viewsInstalled, messagesDelivered: delivered, virtualMs: cluster.clock.now() - start };
  if (violations.length > 0) result.failure = violations[0]!;
  return result;
}
