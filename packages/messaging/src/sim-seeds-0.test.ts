import { describe, expect, it } from 'vitest';
import { runScenario } from './testing/scenario.js';
import { seedSlice } from './testing/seeds.js';

// Half 1 of 2 of the seeded simulation runs (the other half runs in a parallel file).
describe('randomized cluster simulation (safety and convergence)', () => {
  const seeds = seedSlice(0, 2);
  it(`holds for ${seeds.length} seeds`, async () => {
    const failures: string[] = [];
    let views = 0;
    for (const seed of seeds) {
      const r = await runScenario(seed);
      views += r.viewsInstalled;
      if (!r.ok) failures.push(`seed ${seed} (replay: runScenario(${seed})): ${r.failure}`);
    }
    expect(failures).toEqual([]);
    // The runs really changed membership, not just idled.
    expect(views).toBeGreaterThan(seeds.length * 5);
  }, 600_000);
});
