import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { LRM_ERROR_CODES } from './errors.js';

describe('error codes', () => {
  it('are all documented in the README', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    for (const code of Object.keys(LRM_ERROR_CODES)) expect([code, readme.includes(code)]).toEqual([code, true]);
  });
});
