import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCib, serializeCib, type Cib } from '@vigil/cib';
import { clusterStatus } from '../status/index.js';
import { demoClusterCib, EXAMPLE_NOW_SEC } from '../testing/example-cib.js';
import { applyNodeAction, applyNodeAttribute, applyProperty, applyResourceAction, restartPlan } from './cib-actions.js';
import { ClusterError, type ResourceActionRequest } from './handle.js';

const demo = (): Cib => parseCib(demoClusterCib());
const act = (cib: Cib, action: ResourceActionRequest['action'], resource: string, node?: string) =>
  applyResourceAction(cib, { action, resource, ...(node !== undefined ? { node } : {}) }, EXAMPLE_NOW_SEC);
const locations = (cib: Cib) =>
  cib.configuration.constraints.flatMap((c) => (c.kind === 'rsc_location' ? [`${c.id}:${c.rsc}@${c.node}=${c.score}${c.role ? `/${c.role}` : ''}`] : []));

function thrown(fn: () => unknown): ClusterError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ClusterError) return err;
    throw err;
  }
  throw new Error('expected a ClusterError');
}

describe('resource actions as CIB edits', () => {
  it('does not pile up constraints when a move is repeated, and clear removes only cli- ones', () => {
    let cib = act(demo(), 'move', 'vip', 'n3').cib;
    cib = act(cib, 'move', 'vip', 'n1').cib;
    expect(locations(cib)).toEqual(['cli-ban-vip-on-n2:vip@n2=-1000000', 'cli-prefer-vip:vip@n1=1000000/Started']);
    const cleared = act(cib, 'clear', 'vip', 'n1');
    expect(locations(cleared.cib)).toEqual(['cli-ban-vip-on-n2:vip@n2=-1000000']);
    expect(act(cleared.cib, 'clear', 'vip').message).toBe('removed cli-ban-vip-on-n2');
    // Nothing to clear is not a change.
    const none = act(demo(), 'clear', 'web');
    expect(none.cib.version).toEqual(demo().version);
    expect(none.message).toBe('no move, ban or promote-on constraints for web');
  });

  it('keeps the version when an action changes nothing', () => {
    const stopped = act(demo(), 'stop', 'vip').cib;
    expect(act(stopped, 'stop', 'vip').cib).toBe(stopped);
    expect(act(stopped, 'start', 'vip').cib.version.epoch).toBe(stopped.version.epoch + 1);
  });

  it('plans a restart as a stop and a restore of the original target-role', () => {
    const plan = restartPlan(demo(), 'vip', EXAMPLE_NOW_SEC);
    expect(plan.stop.cib.configuration.resources.find((r) => r.id === 'vip')!.metaAttributes[0]!.nvpairs).toMatchObject([
      { name: 'target-role', value: 'Stopped' },
    ]);
    const back = plan.restore(plan.stop.cib);
    expect(back.message).toBe('restart of vip: removed target-role');
    expect(back.cib.configuration.resources.find((r) => r.id === 'vip')!.metaAttributes.flatMap((m) => m.nvpairs)).toEqual([]);
    const started = act(demo(), 'start', 'web').cib;
    expect(restartPlan(started, 'web', EXAMPLE_NOW_SEC).restore(started).message).toBe('restart of web: set target-role=Started');
    expect(thrown(() => restartPlan(demo(), 'idle', EXAMPLE_NOW_SEC)).message).toBe("resource 'idle' is not running, so there is nothing to restart");
    expect(thrown(() => act(demo(), 'restart', 'vip')).code).toBe('INVALID_ACTION');
  });

  it('bans from where the resource runs, and says why it cannot guess', () => {
    expect(act(demo(), 'ban', 'vip').message).toBe('added cli-ban-vip-on-n1: vip may not run on n1');
    expect(thrown(() => act(demo(), 'ban', 'idle')).message).toBe("resource 'idle' is not running; name the node to ban it from");
    expect(thrown(() => act(demo(), 'ban', 'db-clone')).message).toBe("resource 'db-clone' runs on n1, n2; name the node to ban it from");
  });

  it('cleans up one resource, leaving other resources and other nodes alone', () => {
    const other = demoClusterCib().replace(
      '<lrm_resource id="vip"',
      '<lrm_resource id="other" class="ocf" provider="heartbeat" type="Dummy"><lrm_rsc_op id="other_start_0" operation="start" interval="0" call-id="9" rc-code="1" op-status="0" transition-key="1:1:0:0b7d3c1e-5c1f-4c8e-9d3a-1f0e7a2b3c4d" on_node="n1" last-rc-change="1699999900" exec-time="5" queue-time="0"/></lrm_resource><lrm_resource id="vip"',
    ).replace(primitiveIdle(), `${primitiveIdle()}<primitive id="other" class="ocf" provider="heartbeat" type="Dummy"/>`);
    const cib = parseCib(other);
    const before = clusterStatus(cib, { nowSec: EXAMPLE_NOW_SEC });
    expect(before.failedActions.map((f) => `${f.resource}@${f.node}`).sort()).toEqual(['other@n1', 'web-app@n2']);
    const onN1 = act(cib, 'cleanup', 'web-app', 'n1');
    expect(clusterStatus(onN1.cib, { nowSec: EXAMPLE_NOW_SEC }).failedActions).toHaveLength(2);
    const done = act(cib, 'cleanup', 'web-app');
    const after = clusterStatus(done.cib, { nowSec: EXAMPLE_NOW_SEC });
    expect(after.failedActions.map((f) => `${f.resource}@${f.node}`)).toEqual(['other@n1']);
    expect(after.failCounts).toEqual([]);
    // The successful start stays: the resource still reads as running where it was.
    expect(after.resources.find((r) => r.id === 'web')).toMatchObject({ children: [{ active: true }, { active: true, failed: false }] });
    expect(done.cib.version).toEqual({ adminEpoch: 0, epoch: 5, numUpdates: 1 });
  });

  it('refuses unknown resources and nodes without changing anything', () => {
    const cib = demo();
    expect(thrown(() => act(cib, 'stop', 'ghost'))).toMatchObject({ code: 'NOT_FOUND', where: { element: 'resource', id: 'ghost' } });
    expect(thrown(() => act(cib, 'move', 'vip', 'n9'))).toMatchObject({ code: 'NOT_FOUND', where: { element: 'node', id: 'n9' } });
    expect(thrown(() => act(cib, 'move', 'vip'))).toMatchObject({ code: 'INVALID_ACTION', where: { field: 'node' } });
    expect(thrown(() => applyNodeAction(cib, 'standby', 'n9'))).toMatchObject({ code: 'NOT_FOUND' });
    expect(thrown(() => applyNodeAttribute(cib, 'n9', 'a', '1'))).toMatchObject({ code: 'NOT_FOUND' });
    expect(serializeCib(cib)).toBe(serializeCib(demo()));
  });

  it('toggles standby and maintenance as permanent node attributes', () => {
    const on = applyNodeAction(demo(), 'standby', 'n1');
    expect(on.message).toBe('set standby=on on n1');
    expect(clusterStatus(on.cib, { nowSec: EXAMPLE_NOW_SEC }).nodes[0]).toMatchObject({ name: 'n1', standby: true });
    // Asking again changes nothing, so the epoch stays.
    const again = applyNodeAction(on.cib, 'standby', 'n1');
    expect(again.cib).toBe(on.cib);
    const off = applyNodeAction(again.cib, 'online', 'n1');
    expect(clusterStatus(off.cib, { nowSec: EXAMPLE_NOW_SEC }).nodes[0]).toMatchObject({ standby: false });
    // n3 was configured in standby; online removes it from the existing set.
    const n3 = applyNodeAction(demo(), 'online', 'n3');
    expect(clusterStatus(n3.cib, { nowSec: EXAMPLE_NOW_SEC }).nodes[2]).toMatchObject({ name: 'n3', standby: false });
  });
});

function primitiveIdle(): string {
  const m = /<primitive id="idle"[\s\S]*?<\/primitive>/.exec(demoClusterCib());
  return m![0];
}

const SCHEMA = '/usr/share/pacemaker/pacemaker-3.9.rng';
const canValidate = existsSync(SCHEMA) && spawnSync('xmllint', ['--version']).status === 0;

describe.skipIf(!canValidate)('edited CIBs stay valid for Pacemaker (needs xmllint and pacemaker-common)', () => {
  it('every action leaves a CIB that validates against pacemaker-3.9.rng', () => {
    let cib = demo();
    const steps: ((c: Cib) => Cib)[] = [
      (c) => act(c, 'stop', 'web').cib,
      (c) => act(c, 'start', 'idle').cib,
      (c) => act(c, 'move', 'vip', 'n3').cib,
      (c) => act(c, 'ban', 'web', 'n1').cib,
      (c) => act(c, 'promote-on', 'db', 'n2').cib,
      (c) => act(c, 'clear', 'vip').cib,
      (c) => act(c, 'cleanup', 'web-app').cib,
      (c) => applyNodeAction(c, 'standby', 'n2').cib,
      (c) => applyNodeAction(c, 'maintenance', 'n4').cib,
      (c) => applyNodeAction(c, 'online', 'n3').cib,
      (c) => applyNodeAttribute(c, 'n4', 'rack', 'r1'),
      (c) => applyProperty(c, 'maintenance-mode', 'true'),
    ];
    const docs: string[] = [];
    for (const step of steps) {
      cib = step(cib);
      docs.push(serializeCib(cib));
    }
    for (const [i, doc] of docs.entries()) {
      const r = spawnSync('xmllint', ['--noout', '--relaxng', SCHEMA, '-'], { input: doc, encoding: 'utf8', timeout: 60_000 });
      expect(`step ${i}: ${r.status === 0 ? 'valid' : r.stderr}`).toBe(`step ${i}: valid`);
    }
    expect(cib.version.epoch).toBe(5 + 10);
  });
});
