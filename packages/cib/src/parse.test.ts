import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CibError,
  INFINITY,
  allPrimitives,
  clusterOptions,
  evaluateRule,
  expandReferences,
  expandTags,
  findResource,
  parentOf,
  parseCib,
  parseXml,
  serializeXml,
  unpackNvSets,
  type Clone,
  type ColocationConstraint,
  type Group,
  type LocationConstraint,
  type OrderConstraint,
  type Primitive,
} from './index.js';
import { cibText, cibWithRule } from './test-support/cib-text.js';

function failure(text: string, strict = false): CibError {
  try {
    parseCib(text, { source: 'cib.xml', strict });
  } catch (e) {
    if (e instanceof CibError) return e;
    throw e;
  }
  throw new Error('expected parseCib to throw');
}

const prim = (id: string, extra = '', body = ''): string =>
  `<primitive id="${id}" class="ocf" provider="heartbeat" type="Dummy" ${extra}>${body}</primitive>`;

describe('bad input is refused with a code and a message naming the place', () => {
  const cases: Array<{ name: string; text: string; code: string; message: RegExp; strict?: boolean }> = [
    { name: 'not XML at all', text: 'hello world', code: 'VIGIL_CIB_NOT_XML', message: /^cib\.xml: not well-formed XML at line 1/ },
    { name: 'unbalanced tags', text: '<cib><configuration></cib>', code: 'VIGIL_CIB_NOT_XML', message: /^cib\.xml: not well-formed XML.*configuration/ },
    { name: 'empty document', text: '  ', code: 'VIGIL_CIB_NOT_XML', message: /^cib\.xml: empty document/ },
    { name: 'root is not <cib>', text: '<configuration/>', code: 'VIGIL_CIB_BAD_ROOT', message: /<configuration>, expected <cib>/ },
    { name: 'no configuration', text: '<cib epoch="1"><status/></cib>', code: 'VIGIL_CIB_MISSING_SECTION', message: /no <configuration>/ },
    {
      name: 'primitive without id',
      text: cibText({ resources: '<primitive class="ocf" provider="heartbeat" type="Dummy"/>' }),
      code: 'VIGIL_CIB_MISSING_ID',
      message: /^cib\.xml: <primitive>: id: <primitive> has no id$/,
    },
    {
      name: 'duplicate id',
      text: cibText({ resources: prim('r1') + prim('r1') }),
      code: 'VIGIL_CIB_DUPLICATE_ID',
      message: /^cib\.xml: primitive 'r1': id: id 'r1' is already used by a <primitive>$/,
    },
    {
      name: 'misspelt element inside a primitive',
      text: cibText({ resources: prim('r1', '', '<operation><op id="m" name="monitor" interval="10s"/></operation>') }),
      code: 'VIGIL_CIB_UNKNOWN_ELEMENT',
      message: /^cib\.xml: primitive 'r1': <operation> is not allowed in <primitive>$/,
    },
    {
      name: 'unknown rule condition',
      text: cibWithRule('<rule id="rule1" score="1"><expresion id="e1" attribute="a" operation="defined"/></rule>'),
      code: 'VIGIL_CIB_UNKNOWN_ELEMENT',
      message: /rule 'rule1': <expresion> is not allowed in <rule>/,
    },
    {
      name: 'two nodes with one name',
      text: cibText({ nodes: '<node id="1" uname="node1"/><node id="2" uname="node1"/>' }),
      code: 'VIGIL_CIB_DUPLICATE_ID',
      message: /^cib\.xml: node '2': uname: node name 'node1' is used twice$/,
    },
    {
      name: 'id that is not an XML id',
      text: cibText({ resources: prim('web:0') }),
      code: 'VIGIL_CIB_BAD_ID',
      message: /^cib\.xml: primitive 'web:0': id: 'web:0' is not a valid id/,
    },
    {
      name: 'duplicate id across kinds (nvpair vs constraint)',
      text: cibText({ resources: prim('r1', '', '<meta_attributes id="m"><nvpair id="x" name="a" value="1"/></meta_attributes>'), constraints: '<rsc_order id="x" first="r1" then="r1"/>' }),
      code: 'VIGIL_CIB_DUPLICATE_ID',
      message: /rsc_order 'x'.*already used by a <nvpair>/,
    },
    {
      name: 'colocation naming an unknown resource (strict)',
      text: cibText({ constraints: '<rsc_colocation id="c1" rsc="r1" with-rsc="foo" score="INFINITY"/>' }),
      strict: true,
      code: 'VIGIL_CIB_UNKNOWN_REFERENCE',
      message: /^cib\.xml: rsc_colocation 'c1': with-rsc: unknown resource 'foo'$/,
    },
    {
      name: 'score INFINITY1',
      text: cibText({ constraints: '<rsc_location id="l1" rsc="r1" node="node1" score="INFINITY1"/>' }),
      code: 'VIGIL_CIB_BAD_SCORE',
      message: /^cib\.xml: rsc_location 'l1': score: 'INFINITY1' is not a score/,
    },
    {
      name: 'interval 10x',
      text: cibText({ resources: prim('r1', '', '<operations><op id="r1-mon" name="monitor" interval="10x"/></operations>') }),
      code: 'VIGIL_CIB_BAD_DURATION',
      message: /^cib\.xml: op 'r1-mon': interval: '10x' is not a duration/,
    },
    {
      name: 'unknown resource class',
      text: cibText({ resources: '<primitive id="r1" class="ocff" provider="heartbeat" type="Dummy"/>' }),
      code: 'VIGIL_CIB_UNKNOWN_CLASS',
      message: /^cib\.xml: primitive 'r1': class: unknown resource class 'ocff'/,
    },
    {
      name: 'nested clones',
      text: cibText({ resources: `<clone id="c1"><clone id="c2">${prim('r1')}</clone></clone>` }),
      code: 'VIGIL_CIB_BAD_NESTING',
      message: /^cib\.xml: clone 'c1': a clone cannot hold <clone> 'c2'/,
    },
    {
      name: 'group in group',
      text: cibText({ resources: `<group id="g1"><group id="g2">${prim('r1')}</group></group>` }),
      code: 'VIGIL_CIB_BAD_NESTING',
      message: /^cib\.xml: group 'g1': a group may hold only primitives, not <group> 'g2'/,
    },
    {
      name: 'clone inside a group',
      text: cibText({ resources: `<group id="g1"><clone id="c1">${prim('r1')}</clone></group>` }),
      code: 'VIGIL_CIB_BAD_NESTING',
      message: /group 'g1'.*<clone> 'c1'/,
    },
    {
      name: 'clone with two children',
      text: cibText({ resources: `<clone id="c1">${prim('r1')}${prim('r2')}</clone>` }),
      code: 'VIGIL_CIB_BAD_NESTING',
      message: /clone 'c1'.*'r2' is a second/,
    },
    {
      name: 'primitive without type',
      text: cibText({ resources: '<primitive id="r1" class="lsb"/>' }),
      code: 'VIGIL_CIB_MISSING_ATTRIBUTE',
      message: /^cib\.xml: primitive 'r1': type: missing required attribute 'type'$/,
    },
    {
      name: 'ocf without provider',
      text: cibText({ resources: '<primitive id="r1" class="ocf" type="Dummy"/>' }),
      code: 'VIGIL_CIB_MISSING_ATTRIBUTE',
      message: /^cib\.xml: primitive 'r1': provider: class 'ocf' needs a provider$/,
    },
    {
      name: 'order without then',
      text: cibText({ constraints: '<rsc_order id="o1" first="r1"/>' }),
      code: 'VIGIL_CIB_MISSING_ATTRIBUTE',
      message: /^cib\.xml: rsc_order 'o1': then: missing required attribute 'then'$/,
    },
    {
      name: 'colocation without score (strict)',
      text: cibText({ constraints: '<rsc_colocation id="c1" rsc="r1" with-rsc="r2"/>' }),
      strict: true,
      code: 'VIGIL_CIB_MISSING_ATTRIBUTE',
      message: /rsc_colocation 'c1': score: missing required attribute 'score'/,
    },
    {
      name: 'bad boolean-op',
      text: cibWithRule('<rule id="rule1" score="1" boolean-op="xor"/>'),
      code: 'VIGIL_CIB_BAD_VALUE',
      message: /^cib\.xml: rule 'rule1': boolean-op: 'xor' is not a boolean-op/,
    },
    {
      name: 'bad expression operation',
      text: cibWithRule('<rule id="rule1" score="1"><expression id="e1" attribute="a" operation="equals" value="1"/></rule>'),
      code: 'VIGIL_CIB_BAD_VALUE',
      message: /^cib\.xml: expression 'e1': operation: 'equals' is not one of/,
    },
    {
      name: 'expression without value',
      text: cibWithRule('<rule id="rule1" score="1"><expression id="e1" attribute="a" operation="eq"/></rule>'),
      code: 'VIGIL_CIB_MISSING_ATTRIBUTE',
      message: /expression 'e1': value: missing required attribute 'value'/,
    },
    {
      name: 'bad role',
      text: cibText({ constraints: '<rsc_colocation id="c1" rsc="r1" with-rsc="r2" score="10" rsc-role="Leader"/>' }),
      code: 'VIGIL_CIB_BAD_ROLE',
      message: /^cib\.xml: rsc_colocation 'c1': rsc-role: 'Leader' is not a role/,
    },
    {
      name: 'dangling id-ref',
      text: cibText({ resources: prim('r1', '', '<meta_attributes id-ref="nowhere"/>') }),
      code: 'VIGIL_CIB_DANGLING_IDREF',
      message: /^cib\.xml: meta_attributes 'nowhere': id-ref: id-ref 'nowhere' names no element$/,
    },
    {
      name: 'id-ref to the wrong kind of element',
      text: cibText({ resources: prim('r1', '', '<meta_attributes id-ref="r2"/>') + prim('r2') }),
      code: 'VIGIL_CIB_DANGLING_IDREF',
      message: /names a <primitive>, expected <meta_attributes>/,
    },
    {
      name: 'bad date',
      text: cibWithRule('<rule id="rule1" score="1"><date_expression id="d1" operation="gt" start="2005-02-30"/></rule>'),
      code: 'VIGIL_CIB_BAD_DATE',
      message: /^cib\.xml: date_expression 'd1': start: '2005-02-30' is not an ISO 8601 date-time: day 30 out of range$/,
    },
    {
      name: 'bad date_spec range',
      text: cibWithRule('<rule id="rule1" score="1"><date_expression id="d1" operation="date_spec"><date_spec id="s1" hours="nine"/></date_expression></rule>'),
      code: 'VIGIL_CIB_BAD_DATE',
      message: /date_spec 's1': hours: 'nine' is not a range/,
    },
    {
      name: 'gt without start',
      text: cibWithRule('<rule id="rule1" score="1"><date_expression id="d1" operation="gt" end="2005-01-01"/></rule>'),
      code: 'VIGIL_CIB_MISSING_ATTRIBUTE',
      message: /date_expression 'd1': start: missing/,
    },
    {
      name: 'unknown template',
      text: cibText({ resources: '<primitive id="r1" template="nope"/>' }),
      code: 'VIGIL_CIB_UNKNOWN_REFERENCE',
      message: /primitive 'r1': template: unknown template 'nope'/,
    },
    {
      name: 'epoch not a number',
      text: cibText({ rootAttrs: 'epoch="one"' }),
      code: 'VIGIL_CIB_BAD_NUMBER',
      message: /^cib\.xml: <cib>: epoch: 'one' is not an integer$/,
    },
    {
      name: 'bad boolean',
      text: cibText({ constraints: '<rsc_order id="o1" first="r1" then="r2" symmetrical="sometimes"/>' }),
      code: 'VIGIL_CIB_BAD_BOOLEAN',
      message: /rsc_order 'o1': symmetrical: 'sometimes' is not a boolean/,
    },
    {
      name: 'node without uname',
      text: cibText({ nodes: '<node id="1"/>' }),
      code: 'VIGIL_CIB_MISSING_ATTRIBUTE',
      message: /node '1': uname: missing required attribute 'uname'/,
    },
    {
      name: 'unknown order kind (strict)',
      text: cibText({ constraints: '<rsc_order id="o1" first="r1" then="r2" kind="Sometimes"/>' }),
      strict: true,
      code: 'VIGIL_CIB_BAD_VALUE',
      message: /rsc_order 'o1': kind: 'Sometimes' is not an order kind/,
    },
    {
      name: 'fencing level without target',
      text: cibText({ resources: '<primitive id="f1" class="stonith" type="fence_ipmilan"/>', fencing: '<fencing-level id="fl1" index="1" devices="f1"/>' }),
      code: 'VIGIL_CIB_MISSING_ATTRIBUTE',
      message: /fencing-level 'fl1': target: needs exactly one of/,
    },
  ];

  it('refuses absurdly deep nesting instead of recursing into it', () => {
    const depth = 500;
    const rules = '<rule id="r0" score="1">' + Array.from({ length: depth }, (_, i) => `<rule id="r${i + 1}">`).join('') + '</rule>'.repeat(depth + 1);
    const err = failure(cibWithRule(rules));
    expect(err.code).toBe('VIGIL_CIB_NOT_XML');
    expect(err.message).toMatch(/^cib\.xml: cannot parse: .*nested/);
  });

  it('has at least 15 cases', () => expect(cases.length).toBeGreaterThanOrEqual(15));

  it.each(cases)('$name', ({ text, code, message, strict }) => {
    const err = failure(text, strict);
    expect(err.code).toBe(code);
    expect(err.message).toMatch(message);
    expect(err.source).toBe('cib.xml');
  });

  it('carries element, id and field on the error object', () => {
    const err = failure(cibText({ constraints: '<rsc_location id="l1" rsc="r1" node="node1" score="INFINITY1"/>' }));
    expect(err).toMatchObject({ element: 'rsc_location', id: 'l1', field: 'score', detail: "'INFINITY1' is not a score (an integer, INFINITY or -INFINITY)" });
  });
});

describe('what Pacemaker tolerates is a warning when lenient', () => {
  it('leaves out a constraint naming an unknown resource, as Pacemaker ignores it, and says so', () => {
    const text = cibText({
      constraints: `<rsc_colocation id="c1" rsc="r1" with-rsc="foo" score="INFINITY"/>
        <rsc_order id="o1"><resource_set id="s1"><resource_ref id="r1"/><resource_ref id="ghost"/></resource_set></rsc_order>
        <rsc_order id="o2" first="r1" then="r2"/>`,
    });
    const cib = parseCib(text, { source: 'cib.xml' });
    expect(cib.warnings).toEqual([
      "cib.xml: rsc_colocation 'c1': with-rsc: unknown resource 'foo'; the constraint is ignored",
      "cib.xml: resource_set 's1': resource_ref: unknown resource 'ghost'; the constraint is ignored",
    ]);
    expect(cib.configuration.constraints.map((c) => c.id)).toEqual(['o2']);
    // the element itself stays in the document
    expect(serializeXml(cib.xml)).toContain('with-rsc="foo"');
  });

  it('skips a location with neither node+score nor a rule', () => {
    const cib = parseCib(cibText({ constraints: '<rsc_location id="l1" rsc="r1" node="node1"/>' }));
    expect(cib.configuration.constraints).toEqual([]);
    expect(cib.warnings).toEqual(["rsc_location 'l1': score: needs 'node' and 'score', or a rule; it has no 'score'; ignored"]);
    expect(() => parseCib(cibText({ constraints: '<rsc_location id="l1" rsc="r1" node="node1"/>' }), { strict: true })).toThrow(
      "rsc_location 'l1': score: needs 'node' and 'score', or a rule; it has no 'score'",
    );
  });

  it('reads a colocation without score as 0, an unknown order kind as Mandatory, an invalid influence as unset', () => {
    const cib = parseCib(
      cibText({
        constraints: `<rsc_colocation id="c1" rsc="r1" with-rsc="r2"/>
          <rsc_order id="o1" first="r1" then="r2" kind="foo"/>
          <rsc_colocation id="c2" rsc="r1" with-rsc="r2" score="5" influence="invalid"/>`,
      }),
    );
    const [c1, o1, c2] = cib.configuration.constraints as [ColocationConstraint, OrderConstraint, ColocationConstraint];
    expect(c1.score).toBe(0);
    expect(o1.orderKind).toBe('Mandatory');
    expect(c2.influence).toBeUndefined();
    expect(cib.warnings).toHaveLength(3);
  });

  it('accepts clone instance ids, tags and templates as constraint targets', () => {
    const cib = parseCib(
      cibText({
        resources: `<template id="t1" class="ocf" provider="heartbeat" type="Dummy"/><clone id="c">${prim('r1')}</clone>`,
        tags: '<tag id="tag1"><obj_ref id="r1"/></tag>',
        constraints: `<rsc_location id="l1" rsc="r1:0" node="node1" score="5"/><rsc_location id="l2" rsc="tag1" node="node1" score="5"/><rsc_location id="l3" rsc="t1" node="node1" score="5"/>`,
      }),
      { strict: true },
    );
    expect(cib.warnings).toEqual([]);
  });
});

describe('a pacemaker-1.2 CIB (master/slave, normal nodes, score-based order)', () => {
  const text = readFileSync(join(import.meta.dirname, 'test-support/pacemaker-1.2-example.xml'), 'utf8');
  const cib = parseCib(text, { source: 'legacy.xml', strict: true });

  it('reads into the same 3.x-shaped model', () => {
    expect(cib.validateWith).toBe('pacemaker-1.2');
    expect(cib.haveQuorum).toBe(true);
    expect(cib.configuration.nodes.map((n) => [n.uname, n.type])).toEqual([['alpha', 'member'], ['beta', 'member']]);
    const ms = cib.configuration.resources[0] as Clone;
    expect([ms.kind, ms.promotable, ms.legacyMaster, ms.child.id]).toEqual(['clone', true, true, 'drbd']);
    expect((ms.child as Primitive).operations.map((o) => [o.role, o.intervalMs])).toEqual([['Promoted', 29_000], ['Unpromoted', 31_000]]);
    expect((cib.configuration.resources[1] as Group).children.map((p) => `${p.class}:${p.provider ?? ''}:${p.type}`)).toEqual([
      'ocf:heartbeat:Filesystem', 'ocf:heartbeat:IPaddr2', 'lsb::apache2',
    ]);
    const [colo, order] = cib.configuration.constraints;
    expect(colo).toMatchObject({ kind: 'rsc_colocation', withRscRole: 'Promoted', score: INFINITY });
    expect(order).toMatchObject({ kind: 'rsc_order', firstAction: 'promote', score: INFINITY });
    expect(clusterOptions(cib, { nowSec: 0 })).toEqual({ 'stonith-enabled': 'false', 'no-quorum-policy': 'ignore' });
  });

  it('evaluates its ping rule per node', () => {
    const rule = (cib.configuration.constraints[3] as LocationConstraint).rules[0]!;
    expect(evaluateRule(rule, { nodeAttrs: {}, nowSec: 0 })).toBe(true);
    expect(evaluateRule(rule, { nodeAttrs: { pingd: '0' }, nowSec: 0 })).toBe(true);
    expect(evaluateRule(rule, { nodeAttrs: { pingd: '200' }, nowSec: 0 })).toBe(false);
  });
});

describe('the typed model', () => {
  it('reads version, quorum and DC', () => {
    const cib = parseCib(cibText({ rootAttrs: 'admin_epoch="2" epoch="31" num_updates="7" have-quorum="1" dc-uuid="1" validate-with="pacemaker-1.2"' }));
    expect(cib.version).toEqual({ adminEpoch: 2, epoch: 31, numUpdates: 7 });
    expect(cib.haveQuorum).toBe(true);
    expect(cib.dcUuid).toBe('1');
    expect(cib.validateWith).toBe('pacemaker-1.2');
  });

  it('resolves id-ref on sets and rules and keeps the referenced id', () => {
    const cib = parseCib(
      cibText({
        resources:
          prim('r1', '', '<instance_attributes id="shared"><nvpair id="s1" name="ip" value="10.0.0.1"/></instance_attributes>') +
          prim('r2', '', '<instance_attributes id-ref="shared"/>'),
        constraints: `<rsc_location id="l1" rsc="r1"><rule id="on-ssd" score="5"><expression id="e" attribute="ssd" operation="defined"/></rule></rsc_location>
          <rsc_location id="l2" rsc="r2"><rule id-ref="on-ssd"/></rsc_location>`,
      }),
      { strict: true },
    );
    const r2 = findResource(cib, 'r2') as Primitive;
    expect(r2.instanceAttributes[0]).toMatchObject({ id: 'shared', idRef: 'shared', kind: 'instance_attributes' });
    expect(r2.instanceAttributes[0]!.nvpairs.map((p) => [p.name, p.value])).toEqual([['ip', '10.0.0.1']]);
    const l2 = cib.configuration.constraints[1] as LocationConstraint;
    expect(l2.rules[0]).toMatchObject({ id: 'on-ssd', idRef: 'on-ssd', score: 5 });
    expect(l2.rules[0]!.expressions[0]).toMatchObject({ kind: 'expression', attribute: 'ssd', operation: 'defined' });
  });

  it('expands templates, the primitive\'s own values winning', () => {
    const cib = parseCib(
      cibText({
        resources: `<template id="vm" class="ocf" provider="heartbeat" type="VirtualDomain">
            <instance_attributes id="vm-ia"><nvpair id="vm-ia-h" name="hypervisor" value="qemu:///system"/><nvpair id="vm-ia-c" name="config" value="default.xml"/></instance_attributes>
            <operations><op id="vm-mon" name="monitor" interval="30s"/><op id="vm-start" name="start" interval="0" timeout="90s"/></operations>
          </template>
          <primitive id="vm1" template="vm">
            <instance_attributes id="vm1-ia"><nvpair id="vm1-ia-c" name="config" value="vm1.xml"/></instance_attributes>
            <operations><op id="vm1-mon" name="monitor" interval="30s" timeout="60s"/></operations>
          </primitive>`,
      }),
      { strict: true },
    );
    expect(expandReferences(cib, ['vm', 'vm1'])).toEqual(['vm1']);
    const vm1 = findResource(cib, 'vm1') as Primitive;
    expect(vm1).toMatchObject({ class: 'ocf', provider: 'heartbeat', type: 'VirtualDomain', template: 'vm' });
    expect(unpackNvSets(vm1.instanceAttributes, { nowSec: 0 })).toEqual({ config: 'vm1.xml', hypervisor: 'qemu:///system' });
    expect(vm1.operations.map((o) => [o.id, o.intervalMs, o.timeoutMs])).toEqual([
      ['vm1-mon', 30_000, 60_000],
      ['vm-start', 0, 90_000],
    ]);
    expect(cib.configuration.templates[0]!.id).toBe('vm');
  });

  it('expands tags and templates in constraint references', () => {
    const cib = parseCib(
      cibText({
        resources: `<template id="t1" class="ocf" provider="heartbeat" type="Dummy"/>
          <primitive id="p1" template="t1"/><group id="g"><primitive id="p2" template="t1"/></group>${prim('r1')}`,
        tags: '<tag id="tag1"><obj_ref id="t1"/><obj_ref id="r1"/></tag>',
      }),
      { strict: true },
    );
    expect(expandReferences(cib, ['tag1'])).toEqual(['p1', 'p2', 'r1']);
    expect(expandReferences(cib, ['r1', 't1', 'p1'])).toEqual(['r1', 'p1', 'p2']);
    expect(expandTags(cib, ['tag1'])).toEqual(['t1', 'r1']);
  });

  it('reads <master> and promotable clones alike', () => {
    const cib = parseCib(
      cibText({
        resources: `<master id="ms1">${prim('db1', '', '<operations><op id="db1-mon" name="monitor" interval="10" role="Master"/><op id="db1-mon2" name="monitor" interval="11" role="Slave"/></operations>')}</master>
          <clone id="ms2"><meta_attributes id="ms2-meta"><nvpair id="ms2-p" name="promotable" value="true"/></meta_attributes>${prim('db2')}</clone>
          <clone id="plain"><group id="g">${prim('a')}${prim('b')}</group></clone>`,
      }),
      { strict: true },
    );
    const [ms1, ms2, plain] = cib.configuration.resources as [Clone, Clone, Clone];
    expect([ms1.promotable, ms1.legacyMaster]).toEqual([true, true]);
    expect([ms2.promotable, ms2.legacyMaster]).toEqual([true, false]);
    expect([plain.promotable, plain.legacyMaster]).toEqual([false, false]);
    expect((ms1.child as Primitive).operations.map((o) => [o.role, o.intervalMs])).toEqual([['Promoted', 10_000], ['Unpromoted', 11_000]]);
    expect((plain.child as Group).children.map((p) => p.id)).toEqual(['a', 'b']);
    expect(allPrimitives(cib).map((p) => p.id)).toEqual(['db1', 'db2', 'a', 'b']);
    expect(findResource(cib, 'b')?.kind).toBe('primitive');
    expect(parentOf(cib, 'b')?.id).toBe('g');
    expect(parentOf(cib, 'g')?.id).toBe('plain');
    expect(parentOf(cib, 'plain')).toBeUndefined();
  });

  it('normalizes roles in constraints, sets and rules to the 3.x names', () => {
    const cib = parseCib(
      cibText({
        constraints: `<rsc_colocation id="c1" rsc="r1" with-rsc="r2" score="INFINITY" rsc-role="Slave" with-rsc-role="Master"/>
          <rsc_location id="l1" rsc="r1"><rule id="lr" role="master" score="-INFINITY"><expression id="e" attribute="a" operation="defined"/></rule></rsc_location>
          <rsc_order id="o1"><resource_set id="s1" role="Master" sequential="false"><resource_ref id="r1"/><resource_ref id="r2"/></resource_set></rsc_order>
          <rsc_ticket id="t1" rsc="r1" rsc-role="Master" ticket="ticketA" loss-policy="demote"/>`,
      }),
      { strict: true },
    );
    const [c1, l1, o1, t1] = cib.configuration.constraints;
    expect(c1).toMatchObject({ rscRole: 'Unpromoted', withRscRole: 'Promoted', score: INFINITY });
    expect((l1 as LocationConstraint).rules[0]).toMatchObject({ role: 'Promoted', score: -INFINITY });
    expect((o1 as OrderConstraint).sets[0]).toMatchObject({ role: 'Promoted', sequential: false, requireAll: true, resources: ['r1', 'r2'] });
    expect(t1).toMatchObject({ kind: 'rsc_ticket', rscRole: 'Promoted', ticket: 'ticketA', lossPolicy: 'demote' });
  });

  it('reads bundles as elements plus their primitive', () => {
    const cib = parseCib(
      cibText({
        resources: `<bundle id="web"><docker image="nginx" replicas="2"/><network ip-range-start="10.0.0.10"><port-mapping id="pm" port="80"/></network>
          <storage><storage-mapping id="sm" source-dir="/srv" target-dir="/srv" options="ro"/></storage>${prim('httpd')}</bundle>`,
      }),
      { strict: true },
    );
    const web = findResource(cib, 'web');
    expect(web?.kind).toBe('bundle');
    if (web?.kind !== 'bundle') return;
    expect(web.runtime?.attrs.image).toBe('nginx');
    expect(web.network?.children[0]?.attrs.port).toBe('80');
    expect(web.storage?.children).toHaveLength(1);
    expect(web.primitive?.id).toBe('httpd');
  });

  it('reads status: node_state, transient attributes, lrm_rsc_op numbers, tickets', () => {
    const cib = parseCib(
      cibText({
        status: `<node_state id="1" uname="node1" in_ccm="1700000000" crmd="online" join="member" expected="member">
            <transient_attributes id="1"><instance_attributes id="status-1"><nvpair id="status-1-fail" name="fail-count-r1#monitor_10000" value="3"/></instance_attributes></transient_attributes>
            <lrm id="1"><lrm_resources>
              <lrm_resource id="r1" class="ocf" provider="heartbeat" type="Dummy">
                <lrm_rsc_op id="r1_last_0" operation="migrate_to" interval="0" call-id="12" rc-code="0" op-status="0" last-rc-change="1700000100" last-run="1700000090" exec-time="250" queue-time="3" on_node="node1" migrate_source="node1" migrate_target="node2" transition-key="1:2:0:abc" op-digest="d1" exit-reason="moved"/>
                <lrm_rsc_op id="r1_monitor_10000" operation="monitor" interval="10000" call-id="13" rc-code="7" op-status="-1"/>
              </lrm_resource>
            </lrm_resources></lrm>
          </node_state>
          <tickets><ticket_state id="ticketA" granted="true" last-granted="1700000000"/></tickets>`,
      }),
      { strict: true },
    );
    const ns = cib.status[0]!;
    expect(ns).toMatchObject({ id: '1', uname: 'node1', inCcm: '1700000000', crmd: 'online', join: 'member', expected: 'member' });
    expect(ns.transientAttributes[0]!.nvpairs[0]!.name).toBe('fail-count-r1#monitor_10000');
    const [migrate, monitor] = ns.lrmResources[0]!.ops;
    expect(migrate).toMatchObject({
      operation: 'migrate_to', intervalMs: 0, callId: 12, rcCode: 0, opStatus: 0, lastRcChange: 1700000100, lastRun: 1700000090,
      execTimeMs: 250, queueTimeMs: 3, onNode: 'node1', migrateSource: 'node1', migrateTarget: 'node2', exitReason: 'moved',
      transitionKey: '1:2:0:abc', opDigest: 'd1',
    });
    expect(monitor).toMatchObject({ intervalMs: 10_000, rcCode: 7, opStatus: -1 });
    expect(cib.tickets).toMatchObject([{ id: 'ticketA', granted: true, standby: false, lastGranted: 1700000000 }]);
  });

  it('reads tags, fencing levels and cluster options (2.x and 3.x names as written)', () => {
    const cib = parseCib(
      cibText({
        crmConfig: `<cluster_property_set id="extra" score="100"><nvpair id="x1" name="stonith-enabled" value="false"/></cluster_property_set>
          <cluster_property_set id="cib-bootstrap-options"><nvpair id="b1" name="fencing-enabled" value="true"/><nvpair id="b2" name="stonith-enabled" value="true"/></cluster_property_set>`,
        resources: prim('r1') + prim('r2') + '<primitive id="f1" class="stonith" type="fence_ipmilan"/><primitive id="f2" class="stonith" type="fence_ipmilan"/>',
        tags: '<tag id="web"><obj_ref id="r1"/><obj_ref id="r2"/></tag>',
        fencing: '<fencing-level id="fl1" index="1" target="node1" devices="f1,f2"/><fencing-level id="fl2" index="2" target-attribute="rack" target-value="1" devices="f2"/>',
      }),
      { strict: true },
    );
    expect(expandTags(cib, ['web', 'f1', 'r1'])).toEqual(['r1', 'r2', 'f1']);
    expect(cib.configuration.fencingTopology.map((l) => [l.index, l.target, l.targetAttribute, l.devices])).toEqual([
      [1, 'node1', undefined, ['f1', 'f2']],
      [2, undefined, 'rack', ['f2']],
    ]);
    // cib-bootstrap-options is applied first, whatever the other sets' scores
    expect(clusterOptions(cib, { nowSec: 0 })).toEqual({ 'fencing-enabled': 'true', 'stonith-enabled': 'true' });
  });

  it('reads alerts with recipients, attributes and event filters', () => {
    const text = cibText({ resources: prim('r1') + prim('r2') }).replace(
      '</configuration>',
      `<alerts>
        <alert id="a1" path="/usr/share/pacemaker/alerts/alert_file.sh" description="log">
          <meta_attributes id="a1-m"><nvpair id="a1-t" name="timeout" value="15s"/></meta_attributes>
          <instance_attributes id="a1-i"><nvpair id="a1-d" name="debug" value="false"/></instance_attributes>
          <select><select_nodes/><select_attributes><attribute id="a1-s1" name="standby"/></select_attributes></select>
          <recipient id="a1-r1" value="/var/log/cluster-alerts.log"><meta_attributes id="a1-r1-m"><nvpair id="a1-r1-f" name="timestamp-format" value="%c"/></meta_attributes></recipient>
        </alert>
        <alert id="a2" path="/bin/true"/>
      </alerts></configuration>`,
    );
    const [a1, a2] = parseCib(text, { strict: true }).configuration.alerts;
    expect(a1).toMatchObject({ id: 'a1', path: '/usr/share/pacemaker/alerts/alert_file.sh', description: 'log' });
    expect(a1!.select).toEqual({ nodes: true, fencing: false, resources: false, attributes: true, attributeNames: ['standby'] });
    expect(unpackNvSets(a1!.metaAttributes, { nowSec: 0 })).toEqual({ timeout: '15s' });
    expect(a1!.recipients.map((r) => [r.id, r.value, unpackNvSets(r.metaAttributes, { nowSec: 0 })])).toEqual([
      ['a1-r1', '/var/log/cluster-alerts.log', { 'timestamp-format': '%c' }],
    ]);
    expect(a2).toMatchObject({ id: 'a2', path: '/bin/true', recipients: [] });
    expect(a2!.select).toBeUndefined();
    expect(() => parseCib(text.replace('path="/bin/true"', ''))).toThrow("alert 'a2': path: missing required attribute 'path'");
  });

  it('reads ACLs in the 2.x+ form and the 1.x form', () => {
    const withAcls = (acls: string, validateWith: string): string =>
      cibText({ rootAttrs: `epoch="1" validate-with="${validateWith}"` }).replace('</configuration>', `<acls>${acls}</acls></configuration>`);
    const modern = parseCib(
      withAcls(
        `<acl_target id="alice"><role id="read-all"/><role id="operator"/></acl_target>
         <acl_target id="bob-target" name="bob"><role id="read-all"/></acl_target>
         <acl_group id="haclient"><role id="read-all"/></acl_group>
         <acl_role id="read-all" description="see everything"><acl_permission id="ra-1" kind="read" xpath="/cib"/></acl_role>
         <acl_role id="operator">
           <acl_permission id="op-1" kind="write" object-type="primitive" attribute="target-role"/>
           <acl_permission id="op-2" kind="deny" reference="r1"/>
         </acl_role>`,
        'pacemaker-3.9',
      ),
      { strict: true },
    ).configuration.acls;
    expect(modern.targets.map((t) => [t.kind, t.name, t.roles])).toEqual([
      ['user', 'alice', ['read-all', 'operator']],
      ['user', 'bob', ['read-all']],
      ['group', 'haclient', ['read-all']],
    ]);
    expect(modern.roles[1]!.permissions.map((p) => [p.kind, p.xpath, p.objectType, p.attribute, p.reference])).toEqual([
      ['write', undefined, 'primitive', 'target-role', undefined],
      ['deny', undefined, undefined, undefined, 'r1'],
    ]);

    const legacy = parseCib(
      withAcls(
        `<acl_role id="monitor"><read id="m-1" xpath="/cib/status"/></acl_role>
         <acl_user id="carol"><role_ref id="monitor"/></acl_user>
         <acl_user id="erin"><write id="e-1" tag="nvpair" attribute="value"/><deny id="e-2" tag="primitive" ref="r1"/></acl_user>`,
        'pacemaker-1.2',
      ),
      { strict: true },
    ).configuration.acls;
    expect(legacy.targets[0]).toMatchObject({ kind: 'user', name: 'carol', roles: ['monitor'], permissions: [] });
    expect(legacy.targets[1]!.permissions.map((p) => [p.kind, p.objectType, p.attribute, p.reference])).toEqual([
      ['write', 'nvpair', 'value', undefined],
      ['deny', 'primitive', undefined, 'r1'],
    ]);
    expect(legacy.roles[0]!.permissions[0]).toMatchObject({ kind: 'read', xpath: '/cib/status' });

    expect(() => parseCib(withAcls('<acl_target id="dave"><role id="ghost"/></acl_target>', 'pacemaker-3.9'), { strict: true })).toThrow(
      "acl_target 'dave': role: unknown ACL role 'ghost'",
    );
    expect(() => parseCib(withAcls('<acl_role id="x"><acl_permission id="p" kind="read"/></acl_role>', 'pacemaker-3.9'))).toThrow(
      "acl_permission 'p': xpath: needs exactly one of 'xpath', 'reference', 'object-type'",
    );
    expect(() => parseCib(withAcls('<acl_role id="x"><acl_permission id="p" kind="own" xpath="/cib"/></acl_role>', 'pacemaker-3.9'))).toThrow(
      /acl_permission 'p': kind: 'own' is not one of read, write, deny/,
    );
  });

  it('serializes attribute values with markup characters safely', () => {
    const cib = parseCib(cibText({ resources: prim('r1', 'description="a &lt; b &amp; &quot;c&quot;&#10;next"') }));
    const again = parseXml(serializeXml(cib.xml));
    expect((findResource(cib, 'r1') as Primitive).description).toBe('a < b & "c"\nnext');
    expect(again).toEqual(cib.xml);
  });
});
