/**
 * Times parseCib over the Pacemaker scheduler corpus against the raw
 * fast-xml-parser parse of the same text (the floor any XML-based parser pays).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { XMLParser } from 'fast-xml-parser';
import { parseCib } from '../index.js';

function corpusDir(): string | undefined {
  const candidates = [
    process.env.VIGIL_CTS_DIR,
    fileURLToPath(new URL('../../../../../shared/cts-scheduler/xml', import.meta.url)),
    join(process.cwd(), '../shared/cts-scheduler/xml'),
  ];
  return candidates.find((d) => d !== undefined && existsSync(d));
}

function timeMs(rounds: number, fn: () => void): number {
  fn(); // warm-up: JIT and caches
  const start = performance.now();
  for (let i = 0; i < rounds; i++) fn();
  return (performance.now() - start) / rounds;
}

export default async function run(): Promise<void> {
  const dir = corpusDir();
  if (!dir) {
    console.log('cib parse: skipped (no cts-scheduler corpus; set VIGIL_CTS_DIR)');
    return;
  }
  const texts = readdirSync(dir)
    .filter((f) => f.endsWith('.xml'))
    .sort()
    .map((f) => ({ name: f, text: readFileSync(join(dir, f), 'utf8') }));
  const bytes = texts.reduce((n, t) => n + Buffer.byteLength(t.text), 0);
  const raw = new XMLParser({ preserveOrder: true, ignoreAttributes: false, attributeNamePrefix: '', parseAttributeValue: false, parseTagValue: false });
  const rounds = 3;

  const rawMs = timeMs(rounds, () => {
    for (const t of texts) raw.parse(t.text);
  });
  const cibMs = timeMs(rounds, () => {
    for (const t of texts) parseCib(t.text, { source: t.name });
  });
  const mb = bytes / 1e6;
  console.log(
    `cib parse corpus: ${texts.length} files, ${mb.toFixed(1)} MB: parseCib ${(cibMs / texts.length).toFixed(2)} ms/file mean, ` +
      `${(mb / (cibMs / 1000)).toFixed(1)} MB/s; raw fast-xml-parser ${(rawMs / texts.length).toFixed(2)} ms/file, ` +
      `${(mb / (rawMs / 1000)).toFixed(1)} MB/s; ratio ${(cibMs / rawMs).toFixed(2)}x`,
  );

  const largest = texts.reduce((a, b) => (b.text.length > a.text.length ? b : a));
  const bigRawMs = timeMs(5, () => raw.parse(largest.text));
  const bigCibMs = timeMs(5, () => parseCib(largest.text));
  console.log(
    `cib parse largest (${largest.name}, ${(Buffer.byteLength(largest.text) / 1024).toFixed(0)} KB): parseCib ${bigCibMs.toFixed(1)} ms, ` +
      `raw fast-xml-parser ${bigRawMs.toFixed(1)} ms; ratio ${(bigCibMs / bigRawMs).toFixed(2)}x`,
  );
}
