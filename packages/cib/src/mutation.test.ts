/**
 * Damaged CIBs must fail with a CibError (or parse), never with a TypeError
 * or a half-built model. Mutations are drawn from a fixed seed so a failure
 * reproduces; the seed and mutation are in the test name.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CibError, applyXmlChanges, diffXml, parseCib, parseXml, serializeXml, type XmlElement } from './index.js';
import { cibText } from './test-support/cib-text.js';

/** mulberry32: small, seedable, good enough to pick mutations. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const GARBAGE = ['', 'x', '-1', 'INFINITY1', '10x', 'Master', 'true', '99999999999', 'r1', 'a b', 'P', '2005-13-45', ':', 'monitor'];

function allElements(el: XmlElement, out: XmlElement[] = []): XmlElement[] {
  out.push(el);
  for (const c of el.children) allElements(c, out);
  return out;
}

/** Rebuilds the tree with `fn` applied to the element at `target` (by identity). */
function mapTree(el: XmlElement, target: XmlElement, fn: (e: XmlElement) => XmlElement[]): XmlElement[] {
  if (el === target) return fn(el);
  return [{ ...el, children: el.children.flatMap((c) => mapTree(c, target, fn)) }];
}

function mutate(root: XmlElement, next: () => number): { tree: XmlElement; what: string } {
  const elements = allElements(root).filter((e) => e !== root);
  const target = elements[Math.floor(next() * elements.length)]!;
  const keys = Object.keys(target.attrs);
  const kind = Math.floor(next() * 5);
  let what = '';
  const tree = mapTree(root, target, (e) => {
    if (kind === 0 && keys.length > 0) {
      const key = keys[Math.floor(next() * keys.length)]!;
      const attrs = { ...e.attrs };
      delete attrs[key];
      what = `drop ${e.name}@${key}`;
      return [{ ...e, attrs }];
    }
    if (kind === 1 && keys.length > 0) {
      const key = keys[Math.floor(next() * keys.length)]!;
      const value = GARBAGE[Math.floor(next() * GARBAGE.length)]!;
      what = `set ${e.name}@${key}=${JSON.stringify(value)}`;
      return [{ ...e, attrs: { ...e.attrs, [key]: value } }];
    }
    if (kind === 2) {
      what = `remove <${e.name}>`;
      return [];
    }
    if (kind === 3) {
      const name = ['operation', 'rules', 'x', 'primitive', 'group', 'clone', 'nvpair'][Math.floor(next() * 7)]!;
      what = `rename <${e.name}> to <${name}>`;
      return [{ ...e, name }];
    }
    what = `duplicate <${e.name}>`;
    return [e, e];
  })[0]!;
  return { tree, what };
}

const ctsDir = process.env.VIGIL_CTS_DIR ?? join(import.meta.dirname, '../../../../shared/cts-scheduler/xml');
const seeds: Array<{ name: string; text: string }> = [
  {
    name: 'built-in',
    text: cibText({
      crmConfig: '<cluster_property_set id="cbo"><nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set>',
      resources: `<primitive id="r1" class="ocf" provider="heartbeat" type="Dummy"><operations><op id="r1-mon" name="monitor" interval="10s" role="Started" timeout="20s"/></operations></primitive>
        <clone id="c1"><meta_attributes id="c1-m"><nvpair id="c1-p" name="promotable" value="true"/></meta_attributes><group id="g1"><primitive id="r2" class="lsb" type="x"/></group></clone>`,
      constraints: `<rsc_location id="l1" rsc="r1"><rule id="lr" score="10" boolean-op="or"><expression id="le" attribute="#uname" operation="eq" value="node1" type="string"/>
          <date_expression id="ld" operation="in_range" start="2005-001"><duration id="ldu" years="1"/></date_expression></rule></rsc_location>
        <rsc_colocation id="co1" rsc="r1" with-rsc="c1" score="INFINITY" rsc-role="Started" with-rsc-role="Promoted"/>
        <rsc_order id="or1"><resource_set id="s1" sequential="false"><resource_ref id="r1"/><resource_ref id="r2"/></resource_set></rsc_order>`,
      status: `<node_state id="1" uname="node1" in_ccm="true" crmd="online"><lrm id="1"><lrm_resources><lrm_resource id="r1" class="ocf" provider="heartbeat" type="Dummy">
        <lrm_rsc_op id="r1_last_0" operation="start" interval="0" call-id="3" rc-code="0" op-status="0" last-rc-change="100"/></lrm_resource></lrm_resources></lrm></node_state>`,
    }),
  },
];
if (existsSync(ctsDir)) {
  for (const f of ['bundle-interleave-start.xml', 'rule-dbl-as-auto-number-match.xml', 'ticket-promoted-1.xml', 'template-1.xml']) {
    if (existsSync(join(ctsDir, f))) seeds.push({ name: f, text: readFileSync(join(ctsDir, f), 'utf8') });
  }
}

const MUTATIONS_PER_SEED = Number(process.env.VIGIL_MUTATIONS ?? 150);

describe('mutated CIBs fail cleanly', () => {
  it.each(seeds)('$name: each mutation parses or throws CibError', ({ name, text }) => {
    const root = parseXml(text);
    const next = rng(0x5eed + name.length);
    let refused = 0;
    for (let i = 0; i < MUTATIONS_PER_SEED; i++) {
      const { tree, what } = mutate(root, next);
      for (const strict of [false, true]) {
        try {
          parseCib(serializeXml(tree), { source: name, strict });
        } catch (e) {
          if (!(e instanceof CibError)) {
            throw new Error(`${name}, mutation ${i} (${what}), strict=${strict}: ${(e as Error).stack}`);
          }
          expect(e.message.startsWith(`${name}: `)).toBe(true);
          refused++;
        }
      }
    }
    // The mutations must actually exercise the error paths.
    expect(refused).toBeGreaterThan(MUTATIONS_PER_SEED / 10);
  });

  it.each(seeds)('$name: a diff to each mutation replays to exactly that tree', ({ text, name }) => {
    const root = parseXml(text);
    const next = rng(0xd1ff + name.length);
    let tree = root;
    for (let i = 0; i < 40; i++) {
      // Mutations accumulate, so later diffs span several changes at once.
      tree = mutate(tree, next).tree;
      expect(applyXmlChanges(root, diffXml(root, tree))).toEqual(tree);
      expect(applyXmlChanges(tree, diffXml(tree, root))).toEqual(root);
    }
  });
});
