/**
 * DC failover on loopback with real processes: time from killing the acting DC
 * to another node acting, against the protocol's own floor (the lease wait a new
 * DC must sit out) and its bound (lease wait + two election timeouts).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Proc, freeUdpPorts, waitFor } from '../testing/proc-cluster.js';

const TIMING = { tickMs: 20, heartbeatIntervalMs: 100, electionTimeoutMs: 400, dcLeaseMs: 1000, maxClockDriftRatio: 0.05 };
const LEASE_WAIT_MS = Math.ceil((TIMING.dcLeaseMs * 1.05) / 0.95) + 1;

async function acting(procs: Proc[]): Promise<number[]> {
  const statuses = await Promise.all(procs.filter((p) => p.alive).map((p) => p.status()));
  return statuses.filter((s) => s.actingDc).map((s) => s.id);
}

export default async function run(): Promise<void> {
  const ports = await freeUdpPorts(3);
  const nodes = ports.map((port, i) => ({ id: i + 1, name: `n${i + 1}`, links: [{ addr: '127.0.0.1', port }] }));
  const keyHex = randomBytes(32).toString('hex');
  const dirs = nodes.map((n) => mkdtempSync(join(tmpdir(), `vigil-crm-bench-${n.id}-`)));
  const procs = nodes.map((n, i) => new Proc({ nodeId: n.id, nodes, stateDir: dirs[i], keyHex, timing: TIMING, messaging: { heartbeatIntervalMs: 100, tokenTimeoutMs: 1000 } }));
  const samples: number[] = [];
  try {
    for (let round = 0; round < 3; round++) {
      const [dc] = await waitFor('an acting DC', async () => ((await acting(procs)).length === 1 ? acting(procs) : null));
      const victim = procs[dc! - 1]!;
      const start = performance.now();
      await victim.kill();
      await waitFor('a new acting DC', async () => (await acting(procs)).length === 1);
      samples.push(performance.now() - start);
      // Bring the old DC back so the next round again has three nodes.
      procs[dc! - 1] = new Proc({ nodeId: dc, nodes, stateDir: dirs[dc! - 1], keyHex, timing: TIMING, messaging: { heartbeatIntervalMs: 100, tokenTimeoutMs: 1000 } });
      await waitFor('the old DC to rejoin', async () => (await procs[dc! - 1]!.status().catch(() => null))?.nodes[dc!] === 'member');
    }
  } finally {
    await Promise.all(procs.map((p) => p.kill()));
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
  const bound = LEASE_WAIT_MS + 2 * TIMING.electionTimeoutMs;
  console.log(
    `crm failover (3 processes, loopback): ${samples.map((s) => s.toFixed(0)).join(', ')} ms; mean ${mean.toFixed(0)} ms = ` +
      `${(mean / LEASE_WAIT_MS).toFixed(2)}x the lease wait floor (${LEASE_WAIT_MS} ms), ${(mean / bound).toFixed(2)}x the bound lease wait + 2 election timeouts (${bound} ms)`,
  );
}
