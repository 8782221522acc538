import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { simulate, formatSummary } from '../simulate.js';

/**
 * Runs every scheduler regression case: a case passes when the Transition
 * Summary lines equal the expected ones as a multiset, with runs of white
 * space folded to one space.
 */
const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '../../../..');

export function ctsDir(): string {
  return process.env['VIGIL_CTS_DIR'] ?? resolve(repoRoot, '../shared/cts-scheduler');
}

const fold = (s: string): string => s.replace(/\s+/g, ' ').trim();

export function expectedSummary(text: string): string[] {
  const lines = text.split('\n');
  const out: string[] = [];
  let inside = false;
  for (const l of lines) {
    if (l.startsWith('Transition Summary:')) {
      inside = true;
      continue;
    }
    if (inside && /^\S/.test(l)) break;
    if (inside && l.trim().startsWith('*')) out.push(fold(l));
  }
  return out;
}

export function family(name: string): string {
  if (/^\d/.test(name)) return '(numbered)';
  const first = name.split(/[-_]/)[0]!.replace(/\d+$/, '');
  return first || name;
}

export interface CaseResult {
  readonly name: string;
  readonly pass: boolean;
  readonly reason?: string;
}

export function runCase(dir: string, name: string): CaseResult {
  const xml = readFileSync(join(dir, 'xml', `${name}.xml`), 'utf8');
  const expected = expectedSummary(readFileSync(join(dir, 'summary', `${name}.summary`), 'utf8'));
  let actual: string[];
  try {
    const sim = simulate(xml, `${name}.xml`, Math.floor(Date.now() / 1000));
    actual = formatSummary(sim.result.summary).map(fold);
  } catch (err) {
    return { name, pass: false, reason: `crash: ${(err as Error).message.split('\n')[0]}` };
  }
  const counts = new Map<string, number>();
  for (const l of expected) counts.set(l, (counts.get(l) ?? 0) + 1);
  const unexpected: string[] = [];
  for (const l of actual) {
    const c = counts.get(l) ?? 0;
    if (c > 0) counts.set(l, c - 1);
    else unexpected.push(l);
  }
  const missing = [...counts].flatMap(([l, c]) => Array<string>(c).fill(l));
  if (missing.length === 0 && unexpected.length === 0) return { name, pass: true };
  const reason = [
    missing.length ? `missing ${missing.length}: ${missing[0]}` : '',
    unexpected.length ? `unexpected ${unexpected.length}: ${unexpected[0]}` : '',
  ].filter(Boolean).join(' | ');
  return { name, pass: false, reason };
}

function main(): void {
  const dir = ctsDir();
  if (!existsSync(join(dir, 'xml'))) {
    process.stderr.write(`conformance: no cases at ${dir} (set VIGIL_CTS_DIR)\n`);
    process.exitCode = 2;
    return;
  }
  const filter = process.argv[2];
  const names = readdirSync(join(dir, 'xml'))
    .filter((f) => f.endsWith('.xml'))
    .map((f) => f.slice(0, -4))
    .filter((n) => existsSync(join(dir, 'summary', `${n}.summary`)))
    .filter((n) => !filter || n.includes(filter))
    .sort();
  const results = names.map((n) => runCase(dir, n));
  const families = new Map<string, { pass: number; total: number }>();
  for (const r of results) {
    const f = family(r.name);
    const e = families.get(f) ?? { pass: 0, total: 0 };
    e.total++;
    if (r.pass) e.pass++;
    families.set(f, e);
  }
  const rows = [...families].sort((a, b) => b[1].total - a[1].total || a[0].localeCompare(b[0]));
  process.stdout.write(`${'family'.padEnd(24)} ${'passed'.padStart(7)} ${'total'.padStart(6)}   rate\n`);
  for (const [f, e] of rows) {
    process.stdout.write(`${f.padEnd(24)} ${String(e.pass).padStart(7)} ${String(e.total).padStart(6)}   ${((100 * e.pass) / e.total).toFixed(0).padStart(3)}%\n`);
  }
  const failed = results.filter((r) => !r.pass);
  const reportPath = process.env['VIGIL_CONFORMANCE_REPORT'] ?? resolve(repoRoot, 'conformance-report.txt');
  writeFileSync(reportPath, failed.map((r) => `${r.name}: ${r.reason}`).join('\n') + '\n');
  const passed = results.length - failed.length;
  process.stdout.write(`pass rate: ${((100 * passed) / Math.max(1, results.length)).toFixed(1)}% (report: ${reportPath})\n`);
  process.stdout.write(`${passed} passed, ${failed.length} failed\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
