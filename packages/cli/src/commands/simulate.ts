import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { CibError } from '@vigil/cib';
import { graphToXml } from '@vigil/pe';
import { formatSimulation, simulate } from '../simulate.js';
import { connect, DEFAULT_CONFIG } from './client.js';

export function registerSimulateCommands(program: Command): void {
  program
    .command('simulate')
    .description('Run the scheduler on a CIB and print what the cluster would do (like crm_simulate -S)')
    .option('-x, --xml-file <file>', 'CIB XML to schedule against')
    .option('-L, --live', 'schedule against the running cluster\'s CIB (nothing is executed)')
    .option('--config <file>', 'with --live: cluster configuration', process.env['VIGIL_CONFIG'] ?? DEFAULT_CONFIG)
    .option('--node <name>', 'with --live: ask this node\'s daemon')
    .option('-s, --show-scores', 'print the allocation score of every resource on every node')
    .option('-G, --save-graph <file>', 'write the transition graph as XML')
    .option('--json', 'print the result as JSON')
    .option('--now <epochSeconds>', 'the time to assume (default: the CIB execution-date, else now)')
    .action(async (opts: { xmlFile?: string; live?: boolean; config?: string; node?: string; showScores?: boolean; saveGraph?: string; json?: boolean; now?: string }) => {
      let text: string;
      const source = opts.live ? 'live CIB' : opts.xmlFile;
      if (!source || (opts.live && opts.xmlFile)) {
        process.stderr.write('vigil: simulate needs exactly one of -x FILE or --live\n');
        process.exitCode = 64;
        return;
      }
      try {
        if (opts.live) {
          const client = await connect({ ...(opts.config ? { config: opts.config } : {}), ...(opts.node ? { node: opts.node } : {}) });
          const res = await client.request('GET', '/cib');
          text = await res.text();
          if (!res.ok) throw new Error(`${res.status}: ${text}`);
        } else {
          text = readFileSync(opts.xmlFile!, 'utf8');
        }
      } catch (err) {
        process.stderr.write(`vigil: cannot read ${source}: ${(err as Error).message}\n`);
        process.exitCode = 66;
        return;
      }
      const nowArg = opts.now !== undefined ? Number(opts.now) : undefined;
      if (nowArg !== undefined && !Number.isFinite(nowArg)) {
        process.stderr.write(`vigil: --now: '${opts.now}' is not a number of seconds\n`);
        process.exitCode = 64;
        return;
      }
      let sim;
      try {
        sim = simulate(text, source, Math.floor(Date.now() / 1000), {
          showScores: opts.showScores ?? false,
          ...(nowArg !== undefined ? { nowSec: nowArg } : {}),
        });
      } catch (err) {
        if (err instanceof CibError) {
          process.stderr.write(`vigil: ${err.message}\n`);
          process.exitCode = 65;
          return;
        }
        throw err;
      }
      if (opts.saveGraph) writeFileSync(opts.saveGraph, graphToXml(sim.result.graph));
      if (opts.json) {
        const r = sim.result;
        process.stdout.write(
          JSON.stringify(
            {
              now: sim.nowSec,
              summary: r.summary.map((l) => l.text),
              graph: r.graph,
              warnings: r.warnings,
              ...(r.scores ? { scores: Object.fromEntries([...r.scores].map(([k, v]) => [k, Object.fromEntries(v)])) } : {}),
            },
            null,
            2,
          ) + '\n',
        );
        return;
      }
      process.stdout.write(formatSimulation(sim, { showScores: opts.showScores ?? false }));
    });
}
