import { startDemoCluster, killAndRecover } from '../commands/demo.js';
import { DEFAULT_TIMING } from '@vigil/crm';

/**
 * Failover time with the default timings: SIGKILL of the node running the
 * web group until the group is started on a survivor (from the survivors'
 * logs), and until its HTTP server answers again. Each run is a fresh
 * three-daemon cluster. The baseline is the configured token timeout, the
 * time a failure must take to be noticed at all: the ratio says how much
 * the rest (agreement, fencing, scheduling, starting) adds.
 */
const RUNS = Number(process.env['VIGIL_BENCH_FAILOVER_RUNS'] ?? 10);

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export default async function run(): Promise<void> {
  const started: number[] = [];
  const serving: number[] = [];
  const victimWasDc: boolean[] = [];
  for (let i = 0; i < RUNS; i++) {
    const { cluster, httpPort } = await startDemoCluster();
    try {
      const dc = (await cluster.status()).summary.dc?.name;
      const t = await killAndRecover(cluster, httpPort);
      if (t.recoveredMs !== undefined) started.push(t.recoveredMs);
      if (t.servingMs !== undefined) serving.push(t.servingMs);
      victimWasDc.push(dc === t.victim);
      process.stdout.write(`  run ${i + 1}/${RUNS}: victim ${t.victim}${dc === t.victim ? ' (was DC)' : ''}, started elsewhere after ${t.recoveredMs} ms, serving after ${t.servingMs} ms\n`);
    } finally {
      await cluster.stop();
    }
  }
  const token = DEFAULT_TIMING.tokenTimeoutMs;
  for (const [name, xs] of [['started on a survivor', started], ['HTTP answering again', serving]] as const) {
    const s = [...xs].sort((a, b) => a - b);
    if (s.length === 0) continue;
    const median = pct(s, 50);
    const p90 = pct(s, 90);
    process.stdout.write(
      `failover (${name}) over ${s.length} runs: median ${median} ms (${(median / token).toFixed(2)}x token timeout ${token} ms), p90 ${p90} ms (${(p90 / token).toFixed(2)}x)\n`,
    );
  }
  process.stdout.write(`  runs where the killed node was also the DC: ${victimWasDc.filter(Boolean).length}/${victimWasDc.length}\n`);
}
