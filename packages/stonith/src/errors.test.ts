import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { STONITH_ERROR_CODES } from './errors.js';

describe('error codes', () => {
  it('are all documented in the README with the same meaning, and nothing else is', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const documented = [...readme.matchAll(/^\| `(VIGIL_STONITH_\w+)` \| (.*) \|$/gm)].map((m) => [m[1], m[2]]);
    expect(documented).toEqual(Object.entries(STONITH_ERROR_CODES));
  });
});
