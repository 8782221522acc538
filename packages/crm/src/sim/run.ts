/**
 * One seeded simulation run: a random cluster (3–7 nodes, votes, tie-breaker,
 * drift), a fault phase (partitions both symmetric and one-way, loss, delay,
 * duplication, crashes, restarts with kept, truncated or corrupted disks,
 * client changes through any node), then a healing phase that must converge.
 */
import type { NodeId, QuorumConfig } from '../quorum.js';
import { SimChecker } from './checker.js';
import { SimCluster, type DiskFault } from './cluster.js';
import type { SimDoc } from './doc.js';
import { SeededRandom } from './random.js';
import type { CibChange } from '../types.js';

export interface SimRunOptions {
  /** The deliberately broken variant, to prove the checker catches it. */
  readonly unsafeSkipLeaseWait?: boolean;
  /** Another broken variant: votes ignore how new the candidate's log is. */
  readonly unsafeIgnoreLogInVotes?: boolean;
  readonly faultPhaseMs?: number;
  readonly healPhaseMs?: number;
  /** Receives a line per notable happening, for replaying a failing seed by eye. */
  readonly trace?: (line: string) => void;
}

export interface SimRunResult {
  readonly seed: number;
  readonly nodes: number;
  readonly violations: readonly string[];
  readonly commits: number;
  readonly elections: number;
  /** Virtual time simulated, in ms. */
  readonly virtualMs: number;
}

const TICK_MS = 10;
/** Election timeout ×2, lease wait, a heartbeat or two, and room for one more re-election. */
const CONVERGENCE_BOUND_MS = 4000;
const MAX_DRIFT = 0.05;
const CORE = { heartbeatIntervalMs: 100, electionTimeoutMs: 300, dcLeaseMs: 600, maxClockDriftRatio: MAX_DRIFT, proposalTimeoutMs: 4000, proposalRetryMs: 300 };

export function runSeed(seed: number, options: SimRunOptions = {}): SimRunResult {
  const random = new SeededRandom(seed);
  const faultRandom = random.fork();
  const clusterRandom = random.fork();
  // Two nodes means a two_node cluster, which leans on fencing; 3–7 use plain votes.
  const nodeCount = random.int(2, 7);
  const quorum = randomQuorum(random, nodeCount);
  const livenessBoundMs = 5000;
  const checker = new SimChecker(quorum, livenessBoundMs);
  let commits = 0;
  let elections = 0;
  const restarts: { atMs: number; id: NodeId }[] = [];
  const cluster = new SimCluster({
    quorum,
    random: clusterRandom,
    core: {
      ...CORE,
      ...(options.unsafeSkipLeaseWait ? { unsafeSkipLeaseWait: true } : {}),
      ...(options.unsafeIgnoreLogInVotes ? { unsafeIgnoreLogInVotes: true } : {}),
    },
    maxDriftRatio: MAX_DRIFT,
    // Failure detection is sometimes slower than the lease: then only the lease keeps DCs apart.
    viewDelayMs: random.chance(0.5) ? random.int(50, 300) : random.int(300, 1500),
    fenceDelayMs: 200,
    // Fencing reboots the target: it comes back with its disk after a while.
    onFenceKill: (target) => restarts.push({ atMs: cluster.nowMs + faultRandom.int(500, 2500), id: target }),
    faults: { lossRatio: 0, duplicateRatio: 0, delayMinMs: 1, delayMaxMs: 5 },
    ...(options.trace ? { trace: options.trace } : {}),
    observer: {
      onEvent: (node, event, realMs) => {
        if (options.trace && event.type !== 'appended') {
          options.trace(`t=${realMs.toFixed(1)} n${node.id} ${event.type} ${JSON.stringify(event, (k, v) => (k === 'doc' ? undefined : v))}`);
        }
        if (event.type === 'committed') commits += 1;
        if (event.type === 'role' && event.role === 'leader') elections += 1;
        checker.onEvent(node, event, realMs);
      },
    },
  });
  const ids = quorum.nodes.map((n) => n.id);
  for (const id of ids) cluster.start(id);

  const faultPhaseMs = options.faultPhaseMs ?? 7000;
  const healPhaseMs = options.healPhaseMs ?? 7000;
  let nextFaultMs = random.int(500, 1500);
  let nextProposalMs = 200;
  const endMs = faultPhaseMs + healPhaseMs;
  while (cluster.nowMs < endMs && checker.violations.length === 0) {
    const now = cluster.nowMs;
    const faulting = now < faultPhaseMs;
    if (faulting && now >= nextFaultMs) {
      injectFault(cluster, faultRandom, ids, restarts);
      nextFaultMs = now + faultRandom.int(300, 2000);
    }
    if (!faulting && now - TICK_MS < faultPhaseMs) healEverything(cluster, restarts);
    for (let i = restarts.length - 1; i >= 0; i--) {
      if (restarts[i]!.atMs > now) continue;
      restartWithDiskFault(cluster, checker, faultRandom, restarts[i]!.id);
      restarts.splice(i, 1);
    }
    // Clients stop writing a little before the end so the final state can settle.
    if (now >= nextProposalMs && now < endMs - 2500) {
      proposeSomething(cluster, faultRandom, ids);
      nextProposalMs = now + faultRandom.int(50, 400);
    }
    cluster.runUntil(now + TICK_MS, TICK_MS);
    checker.afterStep(cluster);
  }
  // A healed cluster must settle within a bound: one acting DC, everyone on its CIB.
  let problems = checker.violations.length === 0 ? checker.convergenceProblems(cluster) : [];
  const settleDeadlineMs = cluster.nowMs + CONVERGENCE_BOUND_MS;
  while (problems.length > 0 && cluster.nowMs < settleDeadlineMs && checker.violations.length === 0) {
    cluster.runUntil(cluster.nowMs + TICK_MS, TICK_MS);
    checker.afterStep(cluster);
    problems = checker.convergenceProblems(cluster);
  }
  checker.reportConvergence(cluster, problems);
  return { seed, nodes: nodeCount, violations: checker.violations, commits, elections, virtualMs: cluster.nowMs };
}

function randomQuorum(random: SeededRandom, nodeCount: number): QuorumConfig {
  if (nodeCount === 2) return { nodes: [{ id: 1 }, { id: 2 }], twoNode: true };
  const weighted = random.chance(0.2);
  const nodes = Array.from({ length: nodeCount }, (_, i) => ({ id: i + 1, votes: weighted && i === 0 ? 2 : 1 }));
  const autoTieBreaker = random.chance(0.5);
  return { nodes, autoTieBreaker, autoTieBreakerNode: random.chance(0.8) ? 'lowest' : 'highest' };
}

function injectFault(cluster: SimCluster, random: SeededRandom, ids: NodeId[], restarts: { atMs: number; id: NodeId }[]): void {
  const kind = random.int(0, 9);
  if (kind <= 1) {
    // Symmetric split into two sides.
    cluster.heal();
    const side = new Set(ids.filter(() => random.chance(0.5)));
    for (const a of ids) for (const b of ids) if (side.has(a) !== side.has(b)) cluster.cut(a, b);
  } else if (kind === 2) {
    // One-way cuts: a node that can hear but not be heard, or the reverse.
    const a = random.pick(ids);
    for (const b of ids) if (b !== a && random.chance(0.6)) (random.chance(0.5) ? cluster.cut(a, b) : cluster.cut(b, a));
  } else if (kind === 3) {
    const a = random.pick(ids);
    for (const b of ids) if (b !== a) (cluster.cut(a, b), cluster.cut(b, a));
  } else if (kind === 4) {
    cluster.heal();
  } else if (kind <= 6) {
    const live = cluster.liveNodes();
    // Prefer killing the DC: that is where the interesting races are.
    const dc = live.find((n) => n.core!.currentRole === 'leader');
    const victim = dc && random.chance(0.6) ? dc : live.length ? random.pick(live) : null;
    if (victim) {
      cluster.crash(victim.id);
      restarts.push({ atMs: cluster.nowMs + random.int(100, 2500), id: victim.id });
    }
  } else {
    cluster.faults = {
      lossRatio: random.chance(0.5) ? random.next() * 0.2 : 0,
      duplicateRatio: random.chance(0.5) ? random.next() * 0.1 : 0,
      delayMinMs: random.int(0, 5),
      delayMaxMs: random.int(5, random.chance(0.3) ? 400 : 60),
    };
  }
}

function restartWithDiskFault(cluster: SimCluster, checker: SimChecker, random: SeededRandom, id: NodeId): void {
  // Destroy a disk only when the cluster can rebuild from the others: losing the
  // last copy is outside any protocol's reach and says nothing about this one.
  const roll = random.next();
  const recoverable = checker.diskLossIsRecoverable(cluster, id);
  const fault: DiskFault = !recoverable || roll < 0.7 ? 'keep' : roll < 0.85 ? 'truncate' : 'corrupt';
  cluster.start(id, fault);
}

function healEverything(cluster: SimCluster, restarts: { atMs: number; id: NodeId }[]): void {
  cluster.heal();
  cluster.faults = { lossRatio: 0.02, duplicateRatio: 0.01, delayMinMs: 1, delayMaxMs: 20 };
  restarts.length = 0;
  for (const node of cluster.nodes.values()) if (!node.alive) cluster.start(node.id, 'keep');
}

function proposeSomething(cluster: SimCluster, random: SeededRandom, ids: NodeId[]): void {
  const live = cluster.liveNodes();
  if (live.length === 0) return;
  const node = random.pick(live);
  const committed = node.core!.committedEntry.doc;
  const roll = random.next();
  let change: CibChange<SimDoc>;
  if (roll < 0.5) {
    change = { kind: 'attribute', node: `node${random.pick(ids)}`, name: random.pick(['fail-count-db', 'master-db', 'pingd']), value: random.chance(0.1) ? null : String(random.int(0, 100)) };
  } else if (roll < 0.8) {
    const config = { ...committed.config, [`key${random.int(1, 5)}`]: String(random.int(0, 1000)) };
    change = { kind: 'replace', doc: { ...committed, config }, expected: committed.version };
  } else if (roll < 0.9) {
    change = { kind: 'replace', doc: { ...committed, config: { ...committed.config, broken: '<primitive id=' } } };
  } else {
    change = { kind: 'replace', doc: { ...committed, config: { ...committed.config, unconditional: String(random.int(0, 9)) } } };
  }
  cluster.propose(node.id, change);
}
