import { mkdtemp, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentExecutor, NativeAgentRegistry, type Agent } from '@vigil/ra';
import { LocalResourceManager } from '../lrm.js';

// A native agent that does nothing: what is left is the LRM and executor cost.
const noop: Agent = {
  metadata: { name: 'noop', parameters: [], actions: [] },
  start: async () => 0,
  stop: async () => 0,
  monitor: async () => 0,
};

/** CPU (user+system) of this process and its reaped children, in ms (Linux /proc). */
function cpuMs(): { self: number; children: number } {
  const self = process.cpuUsage();
  let children = 0;
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // cutime and cstime are fields 16 and 17 of stat(5); index 13/14 after the comm field.
    children = ((Number(fields[13]) + Number(fields[14])) * 1000) / 100;
  } catch {
    children = NaN;
  }
  return { self: (self.user + self.system) / 1000, children };
}

async function timeOps(n: number, op: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < Math.min(1000, n); i++) await op(); // warm-up
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await op();
  return (performance.now() - t0) / n;
}

export default async function run(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-lrm-bench-'));
  const natives = new NativeAgentRegistry();
  natives.register('noop', noop);
  const executor = new AgentExecutor({ nodeName: 'bench', stateDir: dir, natives });
  await executor.start();
  const agent = { class: 'native', type: 'noop' } as const;
  try {
    // 1. Per-op overhead, sequential, one resource.
    const n = 20_000;
    const direct = await timeOps(n, () => noop.monitor({} as never));
    const viaExecutor = await timeOps(n, () => executor.run({ resourceId: 'r', agent, action: 'monitor', timeoutMs: 20_000 }));
    const lrm = new LocalResourceManager({ nodeName: 'bench', runner: executor });
    const resource = { id: 'r', agent, params: { a: '1' } };
    const viaLrm = await timeOps(n, () => lrm.exec({ resource, action: 'monitor', timeoutMs: 20_000 }));
    const us = (ms: number): string => `${(ms * 1000).toFixed(1)} us`;
    console.log(`lrm: per-op cost, native no-op agent (${n} sequential ops): direct call ${us(direct)}, executor.run ${us(viaExecutor)}, lrm.exec ${us(viaLrm)}`);
    console.log(`lrm: LRM's own overhead per op (lrm.exec - executor.run): ${us(viaLrm - viaExecutor)}; whole stack vs direct call: ${us(viaLrm - direct)} (target < 1000 us), ratio ${(viaLrm / direct).toFixed(1)}x`);

    // 2. Throughput with many resources in parallel.
    const many = 200;
    const rounds = 50;
    const par = new LocalResourceManager({ nodeName: 'bench', runner: executor, maxParallel: 16 });
    const t0 = performance.now();
    for (let r = 0; r < rounds; r++) {
      await Promise.all(Array.from({ length: many }, (_, i) => par.exec({ resource: { id: `p${i}`, agent }, action: 'monitor' })));
    }
    const perOp = (performance.now() - t0) / (many * rounds);
    console.log(`lrm: ${many} resources x ${rounds} rounds in parallel (limit 16): ${us(perOp)} per op, ${(1000 / perOp).toFixed(0)} ops/s`);

    // 3. CPU of 500 resources with 10 s monitors, first runs spread over one interval, for one full interval.
    const count = 500;
    const intervalMs = 10_000;
    const mon = new LocalResourceManager({ nodeName: 'bench', runner: executor, maxParallel: 16 });
    let runs = 0;
    const counting: Agent = {
      ...noop,
      metadata: { name: 'counting', parameters: [{ name: 'n', required: false, unique: false, reloadable: false, deprecated: false, type: 'integer' }], actions: [] },
      monitor: async () => {
        runs += 1;
        return 0;
      },
    };
    natives.register('counting', counting);
    // Baseline: what this process burns doing nothing for 2 s (GC after the phases above, timers).
    const idle0 = cpuMs();
    const idleWall0 = performance.now();
    await new Promise((r) => setTimeout(r, 2000));
    const idlePct = ((cpuMs().self - idle0.self) / (performance.now() - idleWall0)) * 100;
    const before = cpuMs();
    const wall0 = performance.now();
    await Promise.all(
      Array.from({ length: count }, (_, i) =>
        mon.exec({
          resource: { id: `m${i}`, agent: { class: 'native', type: 'counting' }, params: { n: String(i) } },
          action: 'monitor',
          intervalMs,
          startDelayMs: Math.floor((i * intervalMs) / count),
        }),
      ),
    );
    const deadline = wall0 + intervalMs * 2;
    while (runs < count * 2 && performance.now() < deadline + 2000) await new Promise((r) => setTimeout(r, 100));
    const wall = performance.now() - wall0;
    const after = cpuMs();
    mon.close();
    const cpu = after.self - before.self;
    console.log(`lrm: ${count} resources, ${intervalMs / 1000} s monitors (native agent), ${runs} monitor runs in ${(wall / 1000).toFixed(1)} s: CPU ${cpu.toFixed(0)} ms = ${((cpu / wall) * 100).toFixed(2)}% of one core, ${((cpu / runs) * 1000).toFixed(0)} us per monitor (idle baseline ${idlePct.toFixed(2)}%)`);

    // 4. The same load with a real shell agent, extrapolated from a sample (fork + ocf-shellfuncs dominate).
    const dummy = { class: 'ocf', provider: 'heartbeat', type: 'Dummy' } as const;
    const probe = await executor.run({ resourceId: 'd', agent: dummy, action: 'monitor' });
    if (probe.opStatus === 0) {
      const sample = 40;
      const c0 = cpuMs();
      const w0 = performance.now();
      for (let i = 0; i < sample; i++) await executor.run({ resourceId: `d${i}`, agent: dummy, action: 'monitor' });
      const w = performance.now() - w0;
      const c1 = cpuMs();
      const perMonitorMs = (c1.self - c0.self + (c1.children - c0.children)) / sample;
      const corePct = ((perMonitorMs * count) / intervalMs) * 100;
      console.log(`lrm: ocf:heartbeat:Dummy monitor: ${(w / sample).toFixed(1)} ms wall, ${perMonitorMs.toFixed(1)} ms CPU (incl. children) each; 500 such monitors every 10 s would use ~${corePct.toFixed(0)}% of one core (${(corePct / ((cpu / wall) * 100)).toFixed(0)}x the native agent)`);
    } else {
      console.log('lrm: ocf:heartbeat:Dummy not installed; shell-agent sample skipped');
    }
  } finally {
    await executor.close();
    await rm(dir, { recursive: true, force: true });
  }
}
