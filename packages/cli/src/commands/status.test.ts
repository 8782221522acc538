import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoClusterCib, EXAMPLE_NOW_SEC } from '../testing/example-cib.js';
import { statusOfCibFile, StatusFileError } from './status.js';

describe('status of a CIB file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-status-file-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const cibFile = join(dir, 'cib.xml');
  writeFileSync(cibFile, demoClusterCib());

  it('renders as crm_mon text, JSON or XML', () => {
    const text = statusOfCibFile(cibFile, 'text', EXAMPLE_NOW_SEC);
    expect(text).toMatch(/^Cluster Summary:\n/);
    expect(text).toContain('  * Clone Set: db-clone [db] (promotable):\n    * Promoted: [ n1 ]\n    * Unpromoted: [ n2 ]\n');
    expect(JSON.parse(statusOfCibFile(cibFile, 'json', EXAMPLE_NOW_SEC))).toMatchObject({
      formatVersion: 1,
      summary: { dc: { name: 'n1' }, quorate: true },
    });
    expect(statusOfCibFile(cibFile, 'xml', EXAMPLE_NOW_SEC)).toMatch(/^<pacemaker-result api-version="2\.25"/);
  });

  it('names the file and element of a CIB that does not parse', () => {
    const bad = join(dir, 'bad.xml');
    writeFileSync(bad, demoClusterCib().replace('<primitive id="idle" class="ocf"', '<primitive id="idle" class="bogus"'));
    const err = (() => {
      try {
        statusOfCibFile(bad, 'text', EXAMPLE_NOW_SEC);
      } catch (e) {
        return e as StatusFileError;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(StatusFileError);
    expect(err!.exitCode).toBe(65);
    expect(err!.message.startsWith(`${bad}: primitive 'idle': class: unknown resource class 'bogus'`)).toBe(true);
  });

  it('refuses an unknown format and a missing file', () => {
    expect(() => statusOfCibFile(cibFile, 'yaml', EXAMPLE_NOW_SEC)).toThrow("--output: 'yaml' is not one of text, json, xml");
    expect(() => statusOfCibFile(join(dir, 'nope.xml'), 'text', EXAMPLE_NOW_SEC)).toThrow(/^cannot read .*nope\.xml: ENOENT/);
  });
});
