/**
 * `pnpm sim --seeds N [--seed S] [--first S] [--jobs J] [--unsafe-skip-lease-wait] [--verbose]`:
 * runs N seeded simulations (or replays one), prints each failing seed with its
 * violations and a replay command, and ends with exactly
 * `sim: N seeds, K violations`. Exit code 1 on any violation.
 * Seeds are split across worker threads; output is in seed order either way.
 */
import { availableParallelism } from 'node:os';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { runSeed, type SimRunResult } from './run.js';

interface Args {
  seeds: number;
  seed: number | null;
  first: number;
  jobs: number;
  unsafe: boolean;
  unsafeVotes: boolean;
  verbose: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { seeds: 100, seed: null, first: 1, jobs: Math.min(2, availableParallelism()), unsafe: false, unsafeVotes: false, verbose: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = (): number => {
      const text = argv[++i];
      const n = Number(text);
      if (text === undefined || !Number.isInteger(n) || n < 0) throw new Error(`${flag} needs a non-negative integer, got ${String(text)}`);
      return n;
    };
    if (flag === '--seeds') args.seeds = value();
    else if (flag === '--seed') args.seed = value();
    else if (flag === '--first') args.first = value();
    else if (flag === '--jobs') args.jobs = Math.max(1, value());
    else if (flag === '--unsafe-skip-lease-wait') args.unsafe = true;
    else if (flag === '--unsafe-ignore-log-in-votes') args.unsafeVotes = true;
    else if (flag === '--verbose') args.verbose = true;
    else if (flag === '--') continue;
    else throw new Error(`unknown option ${flag} (use --seeds N, --seed S, --first S, --jobs J, --unsafe-skip-lease-wait, --unsafe-ignore-log-in-votes, --verbose)`);
  }
  return args;
}

interface Job {
  seeds: number[];
  unsafe: boolean;
  unsafeVotes: boolean;
}

function runJob(job: Job, trace?: (line: string) => void): SimRunResult[] {
  return job.seeds.map((seed) => runSeed(seed, { unsafeSkipLeaseWait: job.unsafe, unsafeIgnoreLogInVotes: job.unsafeVotes, ...(trace ? { trace } : {}) }));
}

async function runParallel(seeds: number[], args: Args): Promise<SimRunResult[]> {
  const jobs = Math.min(args.jobs, seeds.length);
  if (jobs <= 1) return runJob({ seeds, unsafe: args.unsafe, unsafeVotes: args.unsafeVotes });
  const parts: number[][] = Array.from({ length: jobs }, () => []);
  seeds.forEach((seed, i) => parts[i % jobs]!.push(seed));
  const results = await Promise.all(
    parts.map(
      (part) =>
        new Promise<SimRunResult[]>((resolve, reject) => {
          const worker = new Worker(new URL(import.meta.url), { workerData: { seeds: part, unsafe: args.unsafe, unsafeVotes: args.unsafeVotes } satisfies Job });
          worker.once('message', (r: SimRunResult[]) => resolve(r));
          worker.once('error', reject);
        }),
    ),
  );
  return results.flat().sort((a, b) => a.seed - b.seed);
}

async function main(): Promise<void> {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`vigil sim: ${(error as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  const seeds = args.seed !== null ? [args.seed] : Array.from({ length: args.seeds }, (_, i) => args.first + i);
  const replaying = args.seed !== null && args.verbose;
  const results = replaying ? runJob({ seeds, unsafe: args.unsafe, unsafeVotes: args.unsafeVotes }, (line) => process.stdout.write(line + '\n')) : await runParallel(seeds, args);
  let violations = 0;
  let commits = 0;
  for (const result of results) {
    commits += result.commits;
    if (args.verbose) process.stdout.write(`seed ${result.seed}: ${result.nodes} nodes, ${result.elections} elections, ${result.commits} commits\n`);
    if (result.violations.length === 0) continue;
    violations += result.violations.length;
    process.stdout.write(`seed ${result.seed} (${result.nodes} nodes) FAILED; replay with: pnpm sim --seed ${result.seed}${args.unsafe ? ' --unsafe-skip-lease-wait' : ''}${args.unsafeVotes ? ' --unsafe-ignore-log-in-votes' : ''} --verbose\n`);
    for (const v of result.violations) process.stdout.write(`  ${v}\n`);
  }
  if (args.verbose) process.stdout.write(`commit events: ${commits}\n`);
  process.stdout.write(`sim: ${seeds.length} seeds, ${violations} violations\n`);
  if (violations > 0) process.exitCode = 1;
}

if (isMainThread) {
  void main();
} else {
  parentPort!.postMessage(runJob(workerData as Job));
}
