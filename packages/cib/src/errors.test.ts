import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CIB_ERROR_CODES, CibError } from './index.js';

describe('error codes', () => {
  const codes = Object.keys(CIB_ERROR_CODES);

  it('are all VIGIL_CIB_* with a description', () => {
    for (const code of codes) {
      expect(code).toMatch(/^VIGIL_CIB_[A-Z_]+$/);
      expect(CIB_ERROR_CODES[code as keyof typeof CIB_ERROR_CODES].length).toBeGreaterThan(10);
    }
  });

  it('are each named in the README, which users read to handle them', () => {
    const readme = readFileSync(join(import.meta.dirname, '../README.md'), 'utf8');
    for (const code of codes) {
      const short = code.replace('VIGIL_CIB', '…');
      expect(readme.includes(code) || readme.includes(`\`${short}\``), code).toBe(true);
    }
  });

  it('build messages from the location and the detail', () => {
    const e = new CibError('VIGIL_CIB_BAD_SCORE', "'x' is not a score", { source: 'a.xml', element: 'rsc_location', id: 'l1', field: 'score' });
    expect(e.message).toBe("a.xml: rsc_location 'l1': score: 'x' is not a score");
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('CibError');
    expect(new CibError('VIGIL_CIB_NOT_XML', 'empty').message).toBe('empty');
    expect(new CibError('VIGIL_CIB_MISSING_ID', 'no id', { element: 'op' }).message).toBe('<op>: no id');
  });
});
