/**
 * crm figures: the cost of a durable CIB write against a plain non-durable
 * write of the same bytes, and simulator throughput (seeds per second and
 * virtual-to-real speed-up).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { EMPTY_CIB_XML } from '../xml-cib.js';
import { encodeRecord } from '../record.js';
import { DiskStore } from '../store.js';
import { runSeed } from '../sim/run.js';
import type { LogEntry } from '../types.js';

export default async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-crm-bench-'));
  try {
    const doc = EMPTY_CIB_XML.replace('<resources/>', `<resources>${'<primitive id="r" class="ocf" provider="heartbeat" type="Dummy"/>'.repeat(1)}</resources>`).padEnd(64 * 1024, ' ');
    const entry: LogEntry<string> = { term: 1, index: 1, doc, applied: {} };
    const store = new DiskStore<string>(join(dir, 'store'));
    const rounds = 50;
    let start = performance.now();
    for (let i = 0; i < rounds; i++) writeFileSync(join(dir, 'plain'), encodeRecord({ last: entry, committed: entry }));
    const plainMs = (performance.now() - start) / rounds;
    start = performance.now();
    for (let i = 0; i < rounds; i++) store.save({ log: { last: { ...entry, index: i }, committed: entry } });
    const durableMs = (performance.now() - start) / rounds;
    console.log(`crm store: durable 64 KiB CIB write ${durableMs.toFixed(2)} ms vs plain writeFile ${plainMs.toFixed(2)} ms (${(durableMs / plainMs).toFixed(1)}x, the price of fsync + rename + dir fsync)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const seeds = 40;
  const start = performance.now();
  let virtualMs = 0;
  for (let seed = 1; seed <= seeds; seed++) {
    virtualMs += runSeed(seed).virtualMs;
  }
  const realMs = performance.now() - start;
  console.log(`crm sim: ${(seeds / (realMs / 1000)).toFixed(1)} seeds/s on one thread, virtual time runs ${(virtualMs / realMs).toFixed(0)}x faster than real`);
}
