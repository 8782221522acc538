/**
 * The cost of the edits the cluster manager makes all the time (a node
 * attribute, an operation result, a patch from the DC) against a full parse
 * of the same CIB, on the corpus's largest file.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { applyPatch, bumpNumUpdates, diffCib, parseCib, withClusterOption, withNodeAttribute } from '../index.js';

function corpusDir(): string | undefined {
  const candidates = [
    process.env.VIGIL_CTS_DIR,
    fileURLToPath(new URL('../../../../../shared/cts-scheduler/xml', import.meta.url)),
    join(process.cwd(), '../shared/cts-scheduler/xml'),
  ];
  return candidates.find((d) => d !== undefined && existsSync(d));
}

function timeMs(rounds: number, fn: (i: number) => void): number {
  fn(-1);
  const start = performance.now();
  for (let i = 0; i < rounds; i++) fn(i);
  return (performance.now() - start) / rounds;
}

export default async function run(): Promise<void> {
  const dir = corpusDir();
  if (!dir) {
    console.log('cib edit: skipped (no cts-scheduler corpus; set VIGIL_CTS_DIR)');
    return;
  }
  const largest = readdirSync(dir)
    .filter((f) => f.endsWith('.xml'))
    .map((f) => join(dir, f))
    .reduce((a, b) => (statSync(b).size > statSync(a).size ? b : a));
  const text = readFileSync(largest, 'utf8');
  const cib = parseCib(text);
  const nodeId = cib.status[0]?.id ?? '1';

  const parseMs = timeMs(5, () => parseCib(text));
  const attrMs = timeMs(50, (i) => withNodeAttribute(cib, nodeId, 'vigil-bench', String(i)));
  const optionMs = timeMs(10, (i) => withClusterOption(cib, 'vigil-bench', String(i)));
  const updated = bumpNumUpdates(withNodeAttribute(cib, nodeId, 'vigil-bench', '1'));
  const patch = diffCib(cib, updated);
  const applyMs = timeMs(50, () => applyPatch(cib, patch));
  const diffMs = timeMs(5, () => diffCib(cib, parseCib(text)));

  const name = largest.split('/').pop();
  const ratio = (ms: number): string => `${(ms / parseMs).toFixed(3)}x of a full parse`;
  console.log(`cib edit (${name}): full parseCib ${parseMs.toFixed(1)} ms (baseline)`);
  console.log(`cib edit: withNodeAttribute ${attrMs.toFixed(2)} ms, ${ratio(attrMs)}`);
  console.log(`cib edit: applyPatch (status-only, ${patch.changes.length} changes) ${applyMs.toFixed(2)} ms, ${ratio(applyMs)}`);
  console.log(`cib edit: withClusterOption (configuration re-read) ${optionMs.toFixed(2)} ms, ${ratio(optionMs)}`);
  console.log(`cib edit: diffCib of two separately parsed copies (+ one parse) ${diffMs.toFixed(1)} ms, ${ratio(diffMs)}`);
}
