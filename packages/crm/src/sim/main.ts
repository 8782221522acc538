/**
 * `pnpm sim --seeds N [--seed S] [--unsafe-skip-lease-wait]`: runs N seeded
 * simulations (or replays one), prints each failing seed with its violations,
 * and ends with exactly `sim: N seeds, K violations`. Exit code 1 on any violation.
 */
import { runSeed } from './run.js';

interface Args {
  seeds: number;
  seed: number | null;
  first: number;
  unsafe: boolean;
  verbose: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { seeds: 100, seed: null, first: 1, unsafe: false, verbose: false };
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
    else if (flag === '--unsafe-skip-lease-wait') args.unsafe = true;
    else if (flag === '--verbose') args.verbose = true;
    else if (flag === '--') continue;
    else throw new Error(`unknown option ${flag} (use --seeds N, --seed S, --first S, --unsafe-skip-lease-wait, --verbose)`);
  }
  return args;
}

function main(): void {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`vigil sim: ${(error as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  const seeds = args.seed !== null ? [args.seed] : Array.from({ length: args.seeds }, (_, i) => args.first + i);
  let violations = 0;
  let commits = 0;
  for (const seed of seeds) {
    const result = runSeed(seed, { unsafeSkipLeaseWait: args.unsafe, ...(args.verbose && args.seed !== null ? { trace: (line: string) => process.stdout.write(line + '\n') } : {}) });
    commits += result.commits;
    if (args.verbose) process.stdout.write(`seed ${seed}: ${result.nodes} nodes, ${result.elections} elections, ${result.commits} commits\n`);
    if (result.violations.length === 0) continue;
    violations += result.violations.length;
    process.stdout.write(`seed ${seed} (${result.nodes} nodes) FAILED; replay with: pnpm sim --seed ${seed}${args.unsafe ? ' --unsafe-skip-lease-wait' : ''}\n`);
    for (const v of result.violations) process.stdout.write(`  ${v}\n`);
  }
  if (args.verbose) process.stdout.write(`commit events: ${commits}\n`);
  process.stdout.write(`sim: ${seeds.length} seeds, ${violations} violations\n`);
  if (violations > 0) process.exitCode = 1;
}

main();
