import { describe, expect, it } from 'vitest';
import { parseCib } from '@vigil/cib';
import { EMPTY_CIB_XML, xmlCibOps } from './xml-cib.js';

describe('CibOps over real CIB XML', () => {
  it('reads and writes the version triple', () => {
    expect(xmlCibOps.version(EMPTY_CIB_XML)).toEqual({ adminEpoch: 0, epoch: 0, numUpdates: 0 });
    const bumped = xmlCibOps.withVersion(EMPTY_CIB_XML, { adminEpoch: 1, epoch: 7, numUpdates: 3 });
    expect(parseCib(bumped).version).toEqual({ adminEpoch: 1, epoch: 7, numUpdates: 3 });
    expect(xmlCibOps.version(bumped)).toEqual({ adminEpoch: 1, epoch: 7, numUpdates: 3 });
    const declared = `<?xml version="1.0"?>\n<cib epoch='4' num_updates="2" admin_epoch="1" validate-with="pacemaker-3.9"><configuration/></cib>`;
    expect(xmlCibOps.version(declared)).toEqual({ adminEpoch: 1, epoch: 4, numUpdates: 2 });
    const commentFirst = '<!-- edited --><cib admin_epoch="2" epoch="1" num_updates="0"><configuration/><status/></cib>';
    expect(xmlCibOps.version(commentFirst)).toEqual({ adminEpoch: 2, epoch: 1, numUpdates: 0 });
  });

  it('accepts the empty CIB and refuses a document that does not parse, saying why', () => {
    expect(xmlCibOps.validate(EMPTY_CIB_XML)).toBeNull();
    expect(xmlCibOps.validate('<cib><configuration>')).toMatch(/not well-formed XML/);
    const dup = EMPTY_CIB_XML.replace('<resources/>', '<resources><primitive id="a" class="ocf" provider="heartbeat" type="Dummy"/><primitive id="a" class="ocf" provider="heartbeat" type="Dummy"/></resources>');
    expect(xmlCibOps.validate(dup)).toMatch(/'a'/);
  });

  it('writes transient node attributes where Pacemaker keeps them, and removes them', () => {
    const withNode = EMPTY_CIB_XML.replace('<nodes/>', '<nodes><node id="1" uname="alpha"/></nodes>');
    const set = xmlCibOps.setNodeAttribute(withNode, 'alpha', 'fail-count-db#monitor_10000', '2');
    expect(set).toContain('<node_state id="1" uname="alpha"><transient_attributes id="1"><instance_attributes id="status-1">');
    expect(set).toContain('<nvpair id="status-1-fail-count-db#monitor_10000" name="fail-count-db#monitor_10000" value="2"/>');
    const state = parseCib(set).status[0]!;
    expect(JSON.stringify(state)).toContain('fail-count-db#monitor_10000');
    const again = xmlCibOps.setNodeAttribute(set, 'alpha', 'fail-count-db#monitor_10000', '3');
    expect(again.match(/nvpair/g)).toHaveLength(1);
    expect(again).toContain('value="3"');
    expect(xmlCibOps.setNodeAttribute(again, 'alpha', 'fail-count-db#monitor_10000', null)).not.toContain('nvpair');
  });
});
