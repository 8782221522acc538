import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChildNode, freeUdpPorts, until } from '../test-support/harness.js';
import { writeAuthKeyFile } from '../auth.js';

/**
 * Real processes on loopback UDP:
 *  1. failure detection: SIGKILL a node, time until every survivor installs a
 *     view without it (stamped by the survivors themselves), over N runs;
 *  2. idle cost: CPU per node of a settled 16-node cluster.
 */
const INTERVAL_MS = 200;
const TOKEN_MS = 1000;
const COROSYNC3_DEFAULT_MS = 3000 + 3600; // token + consensus before a membership change

function percentile(sorted: number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

function line(s: string): void {
  process.stdout.write(`${s}\n`);
}

interface ClusterSpec {
  nodes: { id: number; name: string; links: { addr: string; port: number }[] }[];
  keyFile: string;
}

async function makeSpec(dir: string, count: number): Promise<ClusterSpec> {
  const keyFile = join(dir, `authkey-${count}`);
  await writeAuthKeyFile(keyFile);
  const ports = await freeUdpPorts('127.0.0.1', count);
  return { keyFile, nodes: ports.map((port, i) => ({ id: i + 1, name: `bench${i + 1}`, links: [{ addr: '127.0.0.1', port }] })) };
}

function spawn(spec: ClusterSpec, id: number): ChildNode {
  return new ChildNode(id, { nodeId: id, nodes: spec.nodes, keyFile: spec.keyFile, heartbeatIntervalMs: INTERVAL_MS, tokenTimeoutMs: TOKEN_MS });
}

async function detection(dir: string, runs: number, all: ChildNode[]): Promise<void> {
  const spec = await makeSpec(dir, 3);
  const survivors = [spawn(spec, 1), spawn(spec, 2)];
  all.push(...survivors);
  const has = (c: ChildNode, id: number): boolean => c.view()?.members.includes(id) ?? false;
  const times: number[] = [];
  for (let run = 0; run < runs; run++) {
    const victim = spawn(spec, 3);
    all.push(victim);
    await until(() => survivors.every((s) => has(s, 3)) && has(victim, 1) && has(victim, 2), 60_000, 'the victim to join');
    // Kill at a random phase of the heartbeat cycle.
    await new Promise((r) => setTimeout(r, 300 + Math.random() * INTERVAL_MS));
    const marks = survivors.map((s) => s.events.length);
    const killedAt = Date.now();
    victim.kill('SIGKILL');
    await until(() => survivors.every((s) => !has(s, 3)), 60_000, 'survivors to drop the victim');
    const seen = survivors.map((s, i) => s.events.slice(marks[i]).find((e) => e.ev === 'view' && !(e['view'] as { members: number[] }).members.includes(3))!.t - killedAt);
    times.push(Math.max(...seen));
    await victim.exitedPromise();
  }
  const sorted = [...times].sort((a, b) => a - b);
  const target = TOKEN_MS + INTERVAL_MS;
  const p50 = percentile(sorted, 50);
  const p99 = percentile(sorted, 99);
  line(`failure detection, killed node, 3 processes on loopback, heartbeat ${INTERVAL_MS} ms, token ${TOKEN_MS} ms, ${runs} runs:`);
  line(`  p50 ${p50} ms, p99 ${p99} ms, min ${sorted[0]} ms, max ${sorted[sorted.length - 1]} ms`);
  line(`  p99 / (token + interval = ${target} ms) = ${(p99 / target).toFixed(2)}  (target <= 1.00)`);
  line(`  p99 / Corosync 3 defaults (token 3000 + consensus 3600 = ${COROSYNC3_DEFAULT_MS} ms) = ${(p99 / COROSYNC3_DEFAULT_MS).toFixed(2)}`);
  for (const s of survivors) s.kill();
  await Promise.all(survivors.map((s) => s.exitedPromise()));
}

async function idleCpu(dir: string, size: number, measureMs: number, all: ChildNode[]): Promise<{ meanPct: number; pps: number }> {
  const spec = await makeSpec(dir, size);
  const nodes = spec.nodes.map((n) => spawn(spec, n.id));
  all.push(...nodes);
  const everyone = spec.nodes.map((n) => n.id).join(',');
  await until(() => nodes.every((c) => c.view()?.members.join(',') === everyone), 120_000, `a ${size}-node view`);
  // Let start-up work (module loading, JIT) settle before measuring.
  await new Promise((r) => setTimeout(r, 2_000));
  const sample = async (): Promise<{ cpuMs: number; wallMs: number; packetsOut: number }[]> =>
    Promise.all(nodes.map(async (c) => {
      const cpu = await c.request({ cmd: 'cpu' }, 'cpu');
      const st = await c.request({ cmd: 'stats' }, 'stats');
      return { cpuMs: cpu['cpuMs'] as number, wallMs: cpu['wallMs'] as number, packetsOut: (st['stats'] as { packetsOut: number }).packetsOut };
    }));
  const before = await sample();
  await new Promise((r) => setTimeout(r, measureMs));
  const after = await sample();
  const perNode = after.map((a, i) => {
    const b = before[i]!;
    const wall = a.wallMs - b.wallMs;
    return { cpuPct: ((a.cpuMs - b.cpuMs) / wall) * 100, pps: ((a.packetsOut - b.packetsOut) / wall) * 1000 };
  });
  const mean = perNode.reduce((s, x) => s + x.cpuPct, 0) / perNode.length;
  const max = Math.max(...perNode.map((x) => x.cpuPct));
  const pps = perNode.reduce((s, x) => s + x.pps, 0) / perNode.length;
  const stable = nodes.every((c) => c.view()?.members.join(',') === everyone);
  if (size > 1) {
    line(`idle ${size}-node cluster, ${size} processes on loopback, measured over ${measureMs} ms:`);
    line(`  CPU per node: mean ${mean.toFixed(2)}% of one core, max ${max.toFixed(2)}%; ${pps.toFixed(0)} packets/s sent per node; view stable: ${stable}`);
  }
  for (const c of nodes) c.kill();
  await Promise.all(nodes.map((c) => c.exitedPromise()));
  return { meanPct: mean, pps };
}

export default async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-msg-'));
  const all: ChildNode[] = [];
  try {
    await detection(dir, Number(process.env['VIGIL_BENCH_DETECTION_RUNS'] ?? 20), all);
    const idleMs = Number(process.env['VIGIL_BENCH_IDLE_MS'] ?? 10_000);
    // Baseline: the same runner process as a one-node cluster (timers, no peers).
    const alone = await idleCpu(dir, 1, idleMs, all);
    const cluster = await idleCpu(dir, 16, idleMs, all);
    line(`  baseline, same runner as a 1-node cluster: ${alone.meanPct.toFixed(2)}%; 16-node / baseline = ${(cluster.meanPct / Math.max(alone.meanPct, 0.01)).toFixed(1)}x`);
    line(`  protocol cost per packet handled (sent + received, baseline removed): ${(((cluster.meanPct - alone.meanPct) / 100) * 1e6 / (2 * cluster.pps)).toFixed(1)} us of CPU`);
  } finally {
    for (const c of all) c.kill();
    await Promise.all(all.map((c) => c.exitedPromise(5_000)));
    rmSync(dir, { recursive: true, force: true });
  }
}
