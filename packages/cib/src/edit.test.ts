import { describe, expect, it } from 'vitest';
import {
  CibError,
  bumpEpoch,
  bumpNumUpdates,
  clusterOptions,
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
});
