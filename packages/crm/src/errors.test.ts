import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CRM_ERROR_CODES } from './errors.js';

const srcDir = fileURLToPath(new URL('.', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

describe('crm error codes', () => {
  it('every VIGIL_CRM_ code used in the core, store and node is in the table, and every table entry is used', () => {
    const files = ['core.ts', 'node.ts', 'store.ts', 'messages.ts', 'quorum.ts', 'record.ts', 'attributes.ts', 'xml-cib.ts'].map((f) => join(srcDir, f));
    const used = new Set(files.flatMap((f) => readFileSync(f, 'utf8').match(/VIGIL_CRM_[A-Z_]+/g) ?? []));
    const table = new Set(Object.keys(CRM_ERROR_CODES));
    for (const code of used) expect(table, `${code} is used but not in CRM_ERROR_CODES`).toContain(code);
    const anywhere = new Set(sources(srcDir).filter((f) => !f.endsWith('errors.ts')).flatMap((f) => readFileSync(f, 'utf8').match(/VIGIL_CRM_[A-Z_]+/g) ?? []));
    for (const code of table) expect(anywhere.has(code), `${code} is never raised`).toBe(true);
  });
});
