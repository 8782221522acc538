import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { RA_ERROR_CODES } from './errors.js';

describe('error codes', () => {
  it('are all documented in the README', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    for (const code of Object.keys(RA_ERROR_CODES)) {
      const documented = readme.includes(code) || readme.includes(`…${code.slice('VIGIL_RA'.length)}`);
      expect([code, documented]).toEqual([code, true]);
    }
  });
});
