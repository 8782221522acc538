import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CibError,
  applyPatch,
  applyXmlChanges,
  bumpEpoch,
  bumpNumUpdates,
  diffCib,
  diffXml,
  parseCib,
  parseXml,
  patchFromXml,
  patchToXml,
  serializeCib,
  serializeXml,
  withClusterOption,
  withNodeAttribute,
  type XmlChange,
} from './index.js';
import { cibText } from './test-support/cib-text.js';

const ctsDir = process.env.VIGIL_CTS_DIR ?? join(import.meta.dirname, '../../../../shared/cts-scheduler/xml');
const files = existsSync(ctsDir) ? readdirSync(ctsDir).filter((f) => f.endsWith('.xml')).sort() : [];

function roundTrip(a: string, b: string): XmlChange[] {
  const x = parseXml(a);
  const y = parseXml(b);
  const changes = diffXml(x, y);
  expect(applyXmlChanges(x, changes)).toEqual(y);
  return changes;
}

describe('diffXml / applyXmlChanges', () => {
  it('finds nothing between equal trees', () => {
    const t = cibText();
    expect(diffXml(parseXml(t), parseXml(t))).toEqual([]);
  });

  it('describes attribute, text, create, delete and move changes with id paths', () => {
    const changes = roundTrip(
      '<cib epoch="1"><configuration><resources><primitive id="a" type="x"/><primitive id="b" type="y"/><primitive id="c"/></resources></configuration></cib>',
      '<cib epoch="2"><configuration><resources><primitive id="c"/><primitive id="a" type="z" class="lsb"/><primitive id="d"/></resources></configuration></cib>',
    );
    expect(changes).toEqual([
      { op: 'modify', path: '/cib', set: { epoch: '2' }, unset: [] },
      { op: 'delete', path: "/cib/configuration/resources/primitive[@id='b']" },
      { op: 'move', path: "/cib/configuration/resources/primitive[@id='c']", position: 0 },
      { op: 'modify', path: "/cib/configuration/resources/primitive[@id='a']", set: { type: 'z', class: 'lsb' }, unset: [] },
      { op: 'create', path: '/cib/configuration/resources', position: 2, element: { name: 'primitive', attrs: { id: 'd' }, children: [] } },
    ]);
  });

  it('addresses elements without ids by position', () => {
    const changes = roundTrip('<a><b x="1"/><b x="2"/><c/></a>', '<a><b x="1"/><b x="3">t</b></a>');
    expect(changes.map((c) => c.path)).toEqual(['/a/c', '/a/b[2]']);
  });

  it('handles repeated ids among siblings (status may have them)', () => {
    roundTrip('<a><op id="x" n="1"/><op id="x" n="2"/></a>', '<a><op id="x" n="2"/><op id="x" n="1"/><op id="x" n="3"/></a>');
  });

  it('keeps attribute order', () => {
    roundTrip('<a p="1" q="2"/>', '<a q="2" p="1"/>');
    roundTrip('<a p="1" q="2"/>', '<a q="3" p="1"/>');
    roundTrip('<a p="1" q="2" r="3"/>', '<a r="3" s="4" p="1"/>');
    expect(roundTrip('<a p="1" q="2"/>', '<a p="1" q="3" r="4"/>')).toEqual([{ op: 'modify', path: '/a', set: { q: '3', r: '4' }, unset: [] }]);
  });

  it('refuses a change whose path does not resolve', () => {
    const t = parseXml('<cib><configuration/></cib>');
    expect(() => applyXmlChanges(t, [{ op: 'delete', path: "/cib/configuration/resources/primitive[@id='nope']" }])).toThrow(
      /nothing at '\/cib\/configuration\/resources\/primitive\[@id='nope'\]'/,
    );
    expect(() => applyXmlChanges(t, [{ op: 'delete', path: 'cib' }])).toThrow(CibError);
    expect(() => applyXmlChanges(t, [{ op: 'create', path: '/cib', position: 9, element: t }])).toThrow(/position 9/);
  });
});

describe.skipIf(files.length === 0)(`diff between corpus CIBs${files.length ? '' : ` (skipped: ${ctsDir} not found)`}`, () => {
  // Neighbouring files are often variations of one cluster, unrelated ones stress everything at once.
  const pairs = files.filter((_, i) => i % 4 === 0).map((f, i, all) => [f, all[(i + 1) % all.length]!] as const);

  it.each(pairs)('%s -> %s', (fa, fb) => {
    const a = readFileSync(join(ctsDir, fa), 'utf8');
    const b = readFileSync(join(ctsDir, fb), 'utf8');
    roundTrip(a, b);
    roundTrip(b, a);
  });
});

describe('CIB patches', () => {
  const base = parseCib(cibText({ rootAttrs: 'admin_epoch="0" epoch="4" num_updates="2" validate-with="pacemaker-3.9"' }));

  it('carries a configuration edit from one CIB to an equal one', () => {
    const edited = bumpEpoch(withClusterOption(base, 'maintenance-mode', 'true'));
    const patch = diffCib(base, edited);
    expect(patch.source).toEqual(base.version);
    expect(patch.target).toEqual({ adminEpoch: 0, epoch: 5, numUpdates: 0 });
    const replica = parseCib(serializeCib(base));
    const applied = applyPatch(replica, patch);
    expect(serializeCib(applied)).toBe(serializeCib(edited));
    expect(applied.version).toEqual(patch.target);
  });

  it('applies a status-only patch without re-reading the configuration', () => {
    const updated = bumpNumUpdates(withNodeAttribute(base, '1', 'pingd', '100'));
    const applied = applyPatch(base, diffCib(base, updated));
    expect(applied.configuration).toBe(base.configuration);
    expect(applied.version.numUpdates).toBe(3);
    expect(applied.status[0]!.transientAttributes[0]!.nvpairs[0]!.value).toBe('100');
  });

  it('refuses a patch made for another version, or one leading to an invalid CIB, applying nothing', () => {
    const edited = bumpEpoch(withClusterOption(base, 'maintenance-mode', 'true'));
    const patch = diffCib(base, edited);
    const err = (() => {
      try {
        applyPatch(edited, patch);
      } catch (e) {
        return e as CibError;
      }
      return undefined;
    })();
    expect(err?.code).toBe('VIGIL_CIB_PATCH_VERSION');
    expect(err?.message).toBe('patch is for version 0.4.2, the CIB is at 0.5.0');

    const breaking = { ...patch, changes: [{ op: 'modify', path: "/cib/configuration/resources/primitive[@id='r1']", set: {}, unset: ['class'] } as const] };
    expect(() => applyPatch(base, breaking)).toThrow(/primitive 'r1': class: missing required attribute 'class'/);
    expect(serializeCib(base)).toContain('class="ocf"');
  });

  it('writes and reads the <diff format="2"> form without loss', () => {
    const edited = bumpEpoch(withNodeAttribute(withClusterOption(base, 'maintenance-mode', 'true'), '1', 'pingd', '5'));
    const patch = diffCib(base, edited);
    const xml = serializeXml(patchToXml(patch), { pretty: true });
    expect(xml).toContain('<diff format="2">');
    expect(xml).toContain('<change-attr name="epoch" operation="set" value="5"/>');
    expect(patchFromXml(parseXml(xml))).toEqual(patch);
    expect(serializeCib(applyPatch(base, patchFromXml(parseXml(xml))))).toBe(serializeCib(edited));
    const textPatch = { source: base.version, target: base.version, changes: [{ op: 'modify', path: '/a', set: {}, unset: [], text: null } as const] };
    expect(patchFromXml(patchToXml(textPatch))).toEqual(textPatch);
  });

  it('reads a diff as Pacemaker writes it, and refuses malformed ones', () => {
    const pacemakerStyle = parseXml(`<diff format="2">
      <version><source admin_epoch="0" epoch="4" num_updates="2"/><target admin_epoch="0" epoch="4" num_updates="3"/></version>
      <change operation="modify" path="/cib"><change-list><change-attr name="num_updates" operation="set" value="3"/></change-list>
        <change-result><cib num_updates="3"/></change-result></change>
      <change operation="delete" path="/cib/configuration/resources/primitive[@id='r2']"/>
    </diff>`);
    const applied = applyPatch(base, patchFromXml(pacemakerStyle));
    expect(applied.version.numUpdates).toBe(3);
    expect(applied.configuration.resources.map((r) => r.id)).toEqual(['r1']);
    expect(() => patchFromXml(parseXml('<diff format="1"/>'))).toThrow(/expected <diff format="2">/);
    expect(() => patchFromXml(parseXml('<diff format="2"><version><source/></version></diff>'))).toThrow(/no <target>/);
    expect(() => patchFromXml(parseXml('<diff format="2"><version><source/><target/></version><change operation="explode" path="/cib"/></diff>'))).toThrow(
      /unknown change operation 'explode'/,
    );
  });
});
