import { describe, expect, it } from 'vitest';
import { runScenario } from './scenario.js';
import { seedSlice } from './seeds.js';

/**
 * The seeded simulation runs, slice `index` of `count`: each slice lives in
 * its own test file so vitest runs them in parallel.
 */
export function defineSeedSuite(index: number, count: number): void {
  describe(`randomized cluster simulation (safety and convergence), slice ${index + 1} of ${count}`, () => {
    const seeds = seedSlice(index, count);
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
}
