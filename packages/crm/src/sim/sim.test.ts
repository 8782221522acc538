import { describe, expect, it } from 'vitest';
import { runSeed } from './run.js';

describe('deterministic simulation', () => {
  it('300 seeds: no safety or liveness violations', () => {
    const failures: string[] = [];
    let commits = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const result = runSeed(seed);
      commits += result.commits;
      if (result.violations.length) failures.push(`seed ${seed}: ${result.violations.join(' | ')}`);
    }
    expect(failures).toEqual([]);
    // The runs must actually do work, or "no violations" means nothing.
    expect(commits).toBeGreaterThan(300 * 20);
  });

  it('replays a seed exactly', () => {
    const a = runSeed(4242);
    const b = runSeed(4242);
    expect(b).toEqual(a);
    expect(a.elections).toBeGreaterThan(0);
  });

  it('catches a DC that acts without waiting out the old lease (checker self-test)', () => {
    let caught: string | null = null;
    for (let seed = 1; seed <= 300 && caught === null; seed++) {
      const result = runSeed(seed, { unsafeSkipLeaseWait: true });
      if (result.violations.length) caught = result.violations[0]!;
    }
    expect(caught).toMatch(/DC windows overlap|act as DC at once/);
  });

  it('catches votes that ignore how new the candidate log is (checker self-test)', () => {
    let caught: string | null = null;
    for (let seed = 1; seed <= 300 && caught === null; seed++) {
      const result = runSeed(seed, { unsafeIgnoreLogInVotes: true });
      if (result.violations.length) caught = result.violations[0]!;
    }
    expect(caught).toMatch(/fork|is on the disks of only|not in the committed history|acknowledged as version/);
  });
});
