import { afterAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCib } from '@vigil/cib';
import { schedule } from '@vigil/pe';
import { AgentExecutor, OpStatus, parseAgentSpec } from '@vigil/ra';
import { LocalResourceManager, type OpResult } from './index.js';

// The op history the LRM writes must drive the scheduler exactly as
// Pacemaker's does: a healthy resource needs no action, a failed monitor
// means recovery in place.

const FIXTURES = fileURLToPath(new URL('../test-fixtures', import.meta.url));
const haveDummy = existsSync('/usr/lib/ocf/resource.d/heartbeat/Dummy');
const havePacemakerDummy = existsSync('/usr/lib/ocf/resource.d/pacemaker/Dummy');
const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

function cibWith(primitive: string, lrmXml: string): string {
  return `<cib admin_epoch="0" epoch="1" num_updates="0" validate-with="pacemaker-3.9" have-quorum="true">
  <configuration><crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
  <nodes><node id="n1" uname="n1"/></nodes><resources>${primitive}</resources><constraints/></configuration>
  <status><node_state id="n1" uname="n1" in_ccm="true" crmd="online" join="member" expected="member">${lrmXml}</node_state></status></cib>`;
}

async function rig(ocfRoot?: string) {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-lrm-pe-'));
  const executor = new AgentExecutor({ nodeName: 'n1', stateDir: dir, ...(ocfRoot ? { ocfRoot } : {}) });
  await executor.start();
  const lrm = new LocalResourceManager({ nodeName: 'n1', runner: executor });
  rigs.push(executor);
  cleanups.push(async () => {
    lrm.close();
    await executor.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { dir, lrm };
}

const rigs: AgentExecutor[] = [];
const NOW = () => Math.floor(Date.now() / 1000) + 1;

describe.skipIf(!haveDummy)('op history read by @vigil/pe', () => {
  it('a resource the LRM started and monitors needs nothing more', async () => {
    const { lrm } = await rig();
    const resource = { id: 'web', agent: parseAgentSpec('ocf:heartbeat:Dummy'), params: {} };
    await lrm.exec({ resource, action: 'monitor', transitionKey: '1:1:7:abc', expectedRc: 7 });
    await lrm.exec({ resource, action: 'start', transitionKey: '2:1:0:abc' });
    await lrm.exec({ resource, action: 'monitor', intervalMs: 10_000, timeoutMs: 20_000, transitionKey: '3:1:0:abc' });
    const primitive = `<primitive id="web" class="ocf" provider="heartbeat" type="Dummy"><operations><op id="web-mon" name="monitor" interval="10s" timeout="20s"/></operations></primitive>`;
    const result = schedule(parseCib(cibWith(primitive, lrm.toXml())), NOW());
    expect(result.summary.map((l) => l.text)).toEqual([]);
    // Stopped, forgotten and probed again: the scheduler wants it started.
    await lrm.exec({ resource, action: 'stop', transitionKey: '4:2:0:abc' });
    lrm.forget('web');
    await lrm.exec({ resource, action: 'monitor', transitionKey: '1:1:7:abc', expectedRc: 7 });
    expect(schedule(parseCib(cibWith(primitive, lrm.toXml())), NOW()).summary.map((l) => l.text)).toEqual(['Start web ( n1 )']);
  });
});

describe('a failed recurring monitor in the history', () => {
  it('makes the scheduler recover the resource in place', async () => {
    const { lrm, dir } = await rig(join(FIXTURES, 'ocf'));
    const control = join(dir, 'control');
    const resource = { id: 'flaky', agent: parseAgentSpec('ocf:vigil-test:Flaky'), params: { control } };
    await lrm.exec({ resource, action: 'start', transitionKey: '1:1:0:abc' });
    const failed = new Promise<OpResult>((resolve) => lrm.on('result', (r) => r.action === 'monitor' && r.rc === 7 && resolve(r)));
    await lrm.exec({ resource, action: 'monitor', intervalMs: 200, transitionKey: '2:1:0:abc' });
    await writeFile(`${control}.new`, 'gone\n');
    await rename(`${control}.new`, control);
    expect((await failed).opStatus).toBe(OpStatus.DONE);
    const primitive = `<primitive id="flaky" class="ocf" provider="vigil-test" type="Flaky"><instance_attributes id="fi"><nvpair id="fi1" name="control" value="${control}"/></instance_attributes><operations><op id="flaky-mon" name="monitor" interval="200ms" timeout="20s"/></operations></primitive>`;
    const result = schedule(parseCib(cibWith(primitive, lrm.toXml())), NOW());
    expect(result.summary.map((l) => l.text)).toEqual(['Recover flaky ( n1 )']);
  });
});

describe.skipIf(!havePacemakerDummy)('digests read by @vigil/pe', () => {
  it('a change to a reloadable parameter means reload; a change to another one means restart', async () => {
    const { lrm } = await rig();
    const executor = rigs[rigs.length - 1]!;
    const agent = parseAgentSpec('ocf:pacemaker:Dummy');
    const meta = await executor.metadata(agent);
    const restartParams = meta.parameters.filter((p) => !p.reloadable).map((p) => p.name);
    expect(restartParams).toEqual(['state']);
    const state = join(executor.rscTmpDir, 'web.state');
    const resource = { id: 'web', agent, params: { fake: 'a', state }, restartParams };
    await lrm.exec({ resource, action: 'start', transitionKey: '1:1:0:abc' });
    await lrm.exec({ resource, action: 'monitor', intervalMs: 10_000, transitionKey: '2:1:0:abc' });
    const configured = (fake: string, st: string) =>
      `<primitive id="web" class="ocf" provider="pacemaker" type="Dummy"><instance_attributes id="wi"><nvpair id="wi1" name="fake" value="${fake}"/><nvpair id="wi2" name="state" value="${st}"/></instance_attributes><operations><op id="web-mon" name="monitor" interval="10s" timeout="20s"/></operations></primitive>`;
    const plan = (primitive: string) => schedule(parseCib(cibWith(primitive, lrm.toXml())), NOW()).summary.map((l) => l.text);
    expect(plan(configured('a', state))).toEqual([]);
    expect(plan(configured('b', state))).toEqual(['Reload web ( n1 )']);
    expect(plan(configured('a', `${state}.2`))).toEqual(['Restart web ( n1 ) due to resource definition change']);
    await lrm.exec({ resource, action: 'stop' });
  });
});
