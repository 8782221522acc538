import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ctsDir, expectedSummary, family, runCase } from './tools/conformance.js';

const dir = ctsDir();
const present = existsSync(join(dir, 'xml'));

describe.skipIf(!present)(`scheduler conformance on ${dir}`, () => {
  it('passes at least 45% of the regression cases, none crashing', () => {
    const names = readdirSync(join(dir, 'xml')).filter((f) => f.endsWith('.xml')).map((f) => f.slice(0, -4));
    const results = names.map((n) => runCase(dir, n));
    const crashes = results.filter((r) => r.reason?.startsWith('crash'));
    expect(crashes.map((r) => `${r.name}: ${r.reason}`)).toEqual([]);
    const passed = results.filter((r) => r.pass).length;
    expect(passed / results.length).toBeGreaterThanOrEqual(0.45);
  }, 300_000);
});

describe('conformance helpers', () => {
  it('reads only the Transition Summary lines, folding white space', () => {
    const text = 'Current cluster status:\n  * x\n\nTransition Summary:\n  * Start      rsc1     ( node1 )\n  * Fence (reboot) n2 \'why\'\n\nExecuting Cluster Transition:\n  * Resource action: rsc1 start on node1\n';
    expect(expectedSummary(text)).toEqual(['* Start rsc1 ( node1 )', "* Fence (reboot) n2 'why'"]);
  });

  it('groups cases into families by name prefix', () => {
    expect(family('ticket-clone-10')).toBe('ticket');
    expect(family('promoted-12')).toBe('promoted');
    expect(family('594')).toBe('(numbered)');
  });
});
