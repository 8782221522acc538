import { describe, expect, it } from 'vitest';
import {
  CibError,
  bumpEpoch,
  bumpNumUpdates,
  clusterOptions,
  emptyCib,
  unpackNvSets,
  withNodeAttribute,
  withVersion,
  compareVersions,
  parseCib,
  parseXml,
  serializeCib,
  withClusterOption,
  withConfigurationSection,
  withStatus,
} from './index.js';
import { cibText } from './test-support/cib-text.js';

const base = parseCib(cibText({ crmConfig: '<cluster_property_set id="cib-bootstrap-options"><nvpair id="o1" name="stonith-enabled" value="true"/></cluster_property_set>' }));

describe('edits return a new Cib and leave the input alone', () => {
  it('withClusterOption replaces, adds and removes values', () => {
    const before = serializeCib(base);
    const changed = withClusterOption(base, 'stonith-enabled', 'false');
    const added = withClusterOption(changed, 'no-quorum-policy', 'freeze');
    const removed = withClusterOption(added, 'stonith-enabled', undefined);
    expect(clusterOptions(changed, { nowSec: 0 })).toEqual({ 'stonith-enabled': 'false' });
    expect(clusterOptions(added, { nowSec: 0 })).toEqual({ 'stonith-enabled': 'false', 'no-quorum-policy': 'freeze' });
    expect(clusterOptions(removed, { nowSec: 0 })).toEqual({ 'no-quorum-policy': 'freeze' });
    expect(serializeCib(base)).toBe(before);
    expect(clusterOptions(base, { nowSec: 0 })).toEqual({ 'stonith-enabled': 'true' });
    // the new nvpair got an id that does not clash
    const ids = added.configuration.crmConfig[0]!.nvpairs.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('withClusterOption creates the bootstrap set when there is none', () => {
    const bare = parseCib(cibText());
    const cib = withClusterOption(bare, 'cluster-name', 'prod');
    expect(cib.configuration.crmConfig[0]!.id).toBe('cib-bootstrap-options');
    expect(clusterOptions(cib, { nowSec: 0 })).toEqual({ 'cluster-name': 'prod' });
  });

  it('withConfigurationSection swaps a section, and refuses an invalid one without changing anything', () => {
    const resources = parseXml('<resources><primitive id="vip" class="ocf" provider="heartbeat" type="IPaddr2"/></resources>');
    const cib = withConfigurationSection(base, 'resources', resources);
    expect(cib.configuration.resources.map((r) => r.id)).toEqual(['vip']);
    expect(base.configuration.resources.map((r) => r.id)).toEqual(['r1', 'r2']);

    const bad = parseXml('<resources><primitive id="vip" class="ocf" type="IPaddr2"/></resources>');
    expect(() => withConfigurationSection(base, 'resources', bad)).toThrow(CibError);
    expect(() => withConfigurationSection(base, 'constraints', resources)).toThrow(/expected a <constraints> element/);
    expect(() => withConfigurationSection(base, 'status', parseXml('<status/>'))).toThrow(/'status' is not a configuration section/);
    expect(base.configuration.resources.map((r) => r.id)).toEqual(['r1', 'r2']);
  });

  it('withStatus replaces the status section from node_state elements', () => {
    const ns = parseXml('<node_state id="1" uname="node1" in_ccm="true" crmd="online" join="member" expected="member"/>');
    const cib = withStatus(base, [ns]);
    expect(cib.status.map((s) => s.uname)).toEqual(['node1']);
    expect(base.status).toEqual([]);
  });

  it('bumpEpoch resets num_updates; bumpNumUpdates counts; compareVersions orders them', () => {
    const v = parseCib(cibText({ rootAttrs: 'admin_epoch="0" epoch="5" num_updates="3"' }));
    const u = bumpNumUpdates(v);
    const e = bumpEpoch(u);
    expect(u.version).toEqual({ adminEpoch: 0, epoch: 5, numUpdates: 4 });
    expect(e.version).toEqual({ adminEpoch: 0, epoch: 6, numUpdates: 0 });
    expect(parseCib(serializeCib(e)).version).toEqual(e.version);
    expect(compareVersions(v, u)).toBe(-1);
    expect(compareVersions(e, u)).toBe(1);
    expect(compareVersions(e, e.version)).toBe(0);
    expect(compareVersions({ adminEpoch: 1, epoch: 0, numUpdates: 0 }, { adminEpoch: 0, epoch: 99, numUpdates: 99 })).toBe(1);
  });

  it('withStatus re-reads only the status: configuration views are shared, configuration warnings kept', () => {
    const lenient = parseCib(
      cibText({
        constraints: '<rsc_order id="o1" first="r1" then="r2" kind="foo"/>',
        status: '<node_state uname="ghost"/>',
      }),
    );
    expect(lenient.warnings).toHaveLength(2);
    const cib = withStatus(lenient, [parseXml('<node_state id="2" uname="node2"/>')]);
    expect(cib.configuration).toBe(lenient.configuration);
    expect(cib.warnings).toEqual([lenient.warnings[0]]);
    expect(cib.status.map((s) => s.id)).toEqual(['2']);
    // and the same result as a full parse of the new document
    expect(parseCib(serializeCib(cib)).warnings).toEqual(cib.warnings);
  });

  it('withNodeAttribute creates, updates and removes transient attributes', () => {
    const nowhere = { nowSec: 0 };
    const a = withNodeAttribute(base, '1', 'fail-count-r1#monitor_10000', '1');
    const state = a.status.find((s) => s.id === '1')!;
    expect(state.uname).toBe('node1');
    expect(unpackNvSets(state.transientAttributes, nowhere)).toEqual({ 'fail-count-r1#monitor_10000': '1' });
    expect(state.transientAttributes[0]!.nvpairs[0]!.id).toBe('status-1-fail-count-r1.monitor_10000');

    const b = withNodeAttribute(withNodeAttribute(a, '1', 'fail-count-r1#monitor_10000', '2'), '1', 'pingd', '100');
    expect(unpackNvSets(b.status[0]!.transientAttributes, nowhere)).toEqual({ 'fail-count-r1#monitor_10000': '2', pingd: '100' });
    expect(b.status).toHaveLength(1);
    expect(b.configuration).toBe(base.configuration);

    const c = withNodeAttribute(b, '1', 'pingd', undefined);
    expect(unpackNvSets(c.status[0]!.transientAttributes, nowhere)).toEqual({ 'fail-count-r1#monitor_10000': '2' });
    expect(withNodeAttribute(c, '1', 'pingd', undefined)).toBe(c);
    expect(withNodeAttribute(c, '1', 'fail-count-r1#monitor_10000', '2')).toBe(c);
    expect(base.status).toEqual([]);
    expect(parseCib(serializeCib(c)).status[0]!.transientAttributes[0]!.nvpairs.map((p) => p.name)).toEqual(['fail-count-r1#monitor_10000']);
  });

  it('emptyCib is a valid starting point for edits', () => {
    const cib = emptyCib();
    expect(cib.version).toEqual({ adminEpoch: 0, epoch: 0, numUpdates: 0 });
    expect(cib.validateWith).toBe('pacemaker-3.9');
    const named = bumpEpoch(withClusterOption(cib, 'cluster-name', 'lab'));
    expect(clusterOptions(named, { nowSec: 0 })).toEqual({ 'cluster-name': 'lab' });
    expect(named.version.epoch).toBe(1);
    expect(withVersion(named, { adminEpoch: 3, epoch: 2, numUpdates: 1 }).xml.attrs).toMatchObject({ admin_epoch: '3', epoch: '2', num_updates: '1' });
  });
});
