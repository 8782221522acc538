import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CibError, allPrimitives, findResource, parseCib, parseXml, serializeCib, serializeXml, type Cib } from './index.js';

const ctsDir = process.env.VIGIL_CTS_DIR ?? join(import.meta.dirname, '../../../../shared/cts-scheduler/xml');
const files = existsSync(ctsDir) ? readdirSync(ctsDir).filter((f) => f.endsWith('.xml')).sort() : [];

/** The typed model without the `xml` back-references, for deep comparison. */
export function canonical(cib: Cib): string {
  return JSON.stringify(cib, (key, value: unknown) => (key === 'xml' || key === 'runtime' || key === 'network' || key === 'storage' ? undefined : value));
}

const suiteName = files.length ? 'Pacemaker scheduler regression CIBs' : `Pacemaker scheduler regression CIBs (skipped: ${ctsDir} not found; set VIGIL_CTS_DIR)`;

describe.skipIf(files.length === 0)(suiteName, () => {
  it('finds the whole corpus', () => {
    expect(files.length).toBeGreaterThanOrEqual(574);
  });

  it.each(files)('%s parses and survives serialize -> parse unchanged', (file) => {
    const text = readFileSync(join(ctsDir, file), 'utf8');
    const cib = parseCib(text, { source: file });
    expect(cib.xml.name).toBe('cib');

    const compact = parseCib(serializeCib(cib), { source: file });
    expect(canonical(compact)).toBe(canonical(cib));
    expect(compact.xml).toEqual(cib.xml);

    const pretty = parseCib(serializeCib(cib, { pretty: true }), { source: file });
    expect(canonical(pretty)).toBe(canonical(cib));

    // Every primitive is reachable by id, so the scheduler's lookups work on every corpus file.
    for (const p of allPrimitives(cib)) expect(findResource(cib, p.id)).toBe(p);

    // Strict mode refuses exactly what lenient mode warned about, starting with the first warning.
    let strictError: CibError | undefined;
    try {
      parseCib(text, { source: file, strict: true });
    } catch (e) {
      if (!(e instanceof CibError)) throw e;
      strictError = e;
    }
    if (cib.warnings.length === 0) expect(strictError).toBeUndefined();
    else expect(cib.warnings[0]!.startsWith(strictError!.message)).toBe(true);
  });

  it('keeps what the typed view does not model (bundles, alerts) through a round trip', () => {
    const file = files.find((f) => readFileSync(join(ctsDir, f), 'utf8').includes('<bundle'));
    if (!file) return;
    const cib = parseCib(readFileSync(join(ctsDir, file), 'utf8'));
    const again = parseXml(serializeXml(cib.xml));
    expect(again).toEqual(cib.xml);
  });
});
