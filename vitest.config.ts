import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

const pkgs = ['cib', 'pe', 'ra', 'lrm', 'stonith', 'messaging', 'crm', 'cli'];

// Tests run against the TypeScript sources of sibling packages, so a test run
// never depends on a stale dist/ build.
export default defineConfig({
  resolve: {
    alias: Object.fromEntries(
      pkgs.map((p) => [`@vigil/${p}`, fileURLToPath(new URL(`./packages/${p}/src/index.ts`, import.meta.url))]),
    ),
  },
  test: {
    reporters: ['default', './tools/summary-reporter.ts'],
    include: ['packages/*/src/**/*.test.ts', 'examples/*/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Real-process tests fight for 2 cores; files run in a small pool.
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
  },
});
