/**
 * What this package writes must stay valid for Pacemaker's own RelaxNG
 * schemas (Debian's pacemaker-common ships them): a CIB that validates before
 * a round trip or an edit validates after it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bumpEpoch, emptyCib, parseCib, parseXml, serializeCib, withClusterOption, withConfigurationSection, withNodeAttribute } from './index.js';

const SCHEMA_DIR = '/usr/share/pacemaker';
const ctsDir = process.env.VIGIL_CTS_DIR ?? join(import.meta.dirname, '../../../../shared/cts-scheduler/xml');
const hasXmllint = spawnSync('xmllint', ['--version']).status === 0;
const hasSchemas = existsSync(join(SCHEMA_DIR, 'pacemaker-3.0.rng'));
const hasCorpus = existsSync(ctsDir);

function schemaFor(xmlText: string): string | undefined {
  const version = /validate-with="(pacemaker-[\d.]+)"/.exec(xmlText)?.[1];
  const path = version && join(SCHEMA_DIR, `${version}.rng`);
  return path && existsSync(path) ? path : undefined;
}

function validates(xmlText: string, schema: string): { ok: boolean; output: string } {
  const r = spawnSync('xmllint', ['--noout', '--relaxng', schema, '-'], { input: xmlText, encoding: 'utf8', timeout: 60_000 });
  return { ok: r.status === 0, output: `${r.stderr}`.slice(0, 2000) };
}

const reason = !hasXmllint ? 'xmllint not installed' : !hasSchemas ? `${SCHEMA_DIR} has no Pacemaker schemas` : !hasCorpus ? `${ctsDir} not found` : '';

describe.skipIf(reason !== '')(`serialized CIBs validate against Pacemaker's RelaxNG schemas${reason ? ` (skipped: ${reason})` : ''}`, () => {
  // Every 12th corpus file: enough variety (bundles, clones, tickets, rules) at a bounded cost.
  const sample = hasCorpus
    ? readdirSync(ctsDir).filter((f) => f.endsWith('.xml')).sort().filter((_, i) => i % 12 === 0)
    : [];

  it.each(sample)('%s stays valid through serialize and edits', (file) => {
    const text = readFileSync(join(ctsDir, file), 'utf8');
    const schema = schemaFor(text);
    if (!schema || !validates(text, schema).ok) return; // only a valid input can be expected to stay valid

    const cib = parseCib(text, { source: file });
    for (const pretty of [false, true]) {
      const result = validates(serializeCib(cib, { pretty }), schema);
      expect(result.output).toContain('validates');
      expect(result.ok).toBe(true);
    }

    const edited = bumpEpoch(withClusterOption(withClusterOption(cib, 'maintenance-mode', 'true'), 'vigil-test-option', 'a "quoted" <value> & more'));
    const result = validates(serializeCib(edited), schema);
    expect(result.output).toContain('validates');
    expect(parseCib(serializeCib(edited)).version.epoch).toBe(cib.version.epoch + 1);
  });

  it('a replaced resources section is written in a schema-valid form', () => {
    const file = sample.find((f) => schemaFor(readFileSync(join(ctsDir, f), 'utf8'))?.endsWith('pacemaker-3.0.rng'));
    if (!file) return;
    const text = readFileSync(join(ctsDir, file), 'utf8');
    const schema = schemaFor(text)!;
    const cib = parseCib(text);
    const resources = parseXml(
      `<resources><primitive id="vigil-vip" class="ocf" provider="heartbeat" type="IPaddr2">
        <instance_attributes id="vigil-vip-ia"><nvpair id="vigil-vip-ip" name="ip" value="192.0.2.10"/></instance_attributes>
        <operations><op id="vigil-vip-mon" name="monitor" interval="10s"/></operations></primitive></resources>`,
    );
    // Constraints may name resources that are gone now; keep the edit about resources only.
    const edited = withConfigurationSection(withConfigurationSection(cib, 'constraints', parseXml('<constraints/>')), 'resources', resources);
    expect(validates(serializeCib(edited, { pretty: true }), schema).ok).toBe(true);
  });

  it('emptyCib and a node attribute on it validate', () => {
    const cib = withNodeAttribute(emptyCib(), '1', 'fail-count-r1#start_0', 'INFINITY');
    const result = validates(serializeCib(cib, { pretty: true }), join(SCHEMA_DIR, 'pacemaker-3.9.rng'));
    expect(result.output).toContain('validates');
  });

  it('a pacemaker-1.2 CIB stays valid for its own schema through a round trip and an edit', () => {
    const text = readFileSync(join(import.meta.dirname, 'test-support/pacemaker-1.2-example.xml'), 'utf8');
    const schema = join(SCHEMA_DIR, 'pacemaker-1.2.rng');
    expect(validates(text, schema).ok).toBe(true);
    const cib = parseCib(text);
    expect(validates(serializeCib(cib), schema).ok).toBe(true);
    expect(validates(serializeCib(bumpEpoch(withClusterOption(cib, 'maintenance-mode', 'true'))), schema).ok).toBe(true);
  });
});
