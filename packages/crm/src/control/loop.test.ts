import { describe, expect, it } from 'vitest';
import { cibFromXml, parseXml, type XmlElement } from '@vigil/cib';
import type { GraphAction } from '@vigil/pe';
import { ControlLoop, type ActionOutcome, type TransitionReport } from './loop.js';
import { transientAttribute, withMembership, withNodeFenced, withOpRecord } from './status.js';
import { setTransientAttribute } from '../xml-cib.js';

const CONFIG = `<cib admin_epoch="0" epoch="1" num_updates="0" validate-with="pacemaker-3.0" have-quorum="true">
  <configuration>
    <crm_config><cluster_property_set id="o"><nvpair id="o1" name="fencing-enabled" value="true"/></cluster_property_set></crm_config>
    <nodes><node id="1" uname="n1"/><node id="2" uname="n2"/><node id="3" uname="n3"/></nodes>
    <resources>
      <group id="web">
        <primitive id="vip" class="ocf" provider="heartbeat" type="Dummy"><operations><op id="vip-m" name="monitor" interval="10s"/></operations></primitive>
        <primitive id="httpd" class="ocf" provider="heartbeat" type="Dummy"/>
      </group>
      <primitive id="db" class="ocf" provider="heartbeat" type="Dummy"/>
    </resources>
    <constraints><rsc_location id="web-n1" rsc="web" node="n1" score="100"/></constraints>
  </configuration>
  <status/>
</cib>`;

/** An in-memory cluster: which resources really run where, and the CIB the DC keeps. */
class FakeCluster {
  root: XmlElement = parseXml(CONFIG);
  readonly running = new Map<string, Set<string>>([['n1', new Set()], ['n2', new Set()], ['n3', new Set()]]);
  readonly fenced: string[] = [];
  readonly failStart = new Set<string>();
  callId = 0;
  log: string[] = [];

  constructor() {
    for (const n of ['n1', 'n2', 'n3']) this.setUp(n, true);
  }

  setUp(node: string, up: boolean): void {
    this.root = withMembership(this.root, node, up
      ? { inCluster: true, peerUp: true, join: 'member', expected: 'member' }
      : { inCluster: false, peerUp: false, join: 'down', expected: 'member' });
  }

  activeCount(rsc: string): number {
    return [...this.running.values()].filter((s) => s.has(rsc)).length;
  }

  execute = async (a: GraphAction, key: string): Promise<ActionOutcome> => {
    const node = a.node!;
    const rsc = a.resource!;
    const here = this.running.get(node)!;
    let rc = 0;
    if (a.task === 'start') {
      if (this.failStart.has(`${rsc}@${node}`)) rc = 1;
      else here.add(rsc);
    } else if (a.task === 'stop') here.delete(rsc);
    else if (a.task === 'monitor') rc = here.has(rsc) ? 0 : 7;
    this.log.push(`${a.task}${a.intervalMs ? `_${a.intervalMs}` : ''} ${rsc} ${node} rc=${rc}`);
    const recurring = a.intervalMs > 0;
    const id = recurring ? `${rsc}_monitor_${a.intervalMs}` : `${rsc}_last_0`;
    this.root = withOpRecord(this.root, node, { id: rsc, class: 'ocf', provider: 'heartbeat', type: 'Dummy' }, {
      id,
      operation: a.task,
      'operation_key': `${rsc}_${a.task}_${a.intervalMs}`,
      interval: String(a.intervalMs),
      'call-id': String(++this.callId),
      'rc-code': String(rc),
      'op-status': '0',
      'transition-key': key,
      'on_node': node,
    });
    return { rc, opStatus: 0 };
  };

  deps() {
    return {
      cib: () => cibFromXml(this.root),
      nowSec: () => 1_700_000_000,
      execute: this.execute,
      fence: async (node: string) => {
        this.fenced.push(node);
        this.running.get(node)!.clear();
        return true;
      },
      recordFenced: async (node: string) => {
        this.root = withNodeFenced(this.root, node);
      },
      recordFailure: async (node: string, rsc: string, task: string, intervalMs: number, startFailure: boolean) => {
        const name = `fail-count-${rsc}#${task}_${intervalMs}`;
        const cur = Number(transientAttribute(this.root, node, name) ?? '0');
        this.root = setTransientAttribute(this.root, node, name, startFailure ? 'INFINITY' : String(cur + 1));
      },
    };
  }
}

function settle(loop: ControlLoop): Promise<TransitionReport[]> {
  const reports: TransitionReport[] = [];
  return new Promise((resolve, reject) => {
    loop.on('transition', (r) => reports.push(r));
    loop.once('idle', () => resolve(reports));
    loop.once('error', reject);
  });
}

describe('ControlLoop', () => {
  it('probes, starts everything once, and then has nothing left to do', async () => {
    const c = new FakeCluster();
    const loop = new ControlLoop(c.deps(), 'dc');
    const done = settle(loop);
    loop.poke('start');
    const reports = await done;
    expect(reports.at(-1)?.outcome).toBe('complete');
    expect([...c.running.get('n1')!].sort()).toEqual(['httpd', 'vip']);
    expect(c.activeCount('db')).toBe(1);
    // vip starts before httpd (group order) and probes come first.
    const vipStart = c.log.indexOf('start vip n1 rc=0');
    expect(vipStart).toBeGreaterThan(c.log.findIndex((l) => l.startsWith('monitor vip')));
    expect(c.log.indexOf('start httpd n1 rc=0')).toBeGreaterThan(vipStart);
    expect(c.log).toContain('monitor_10000 vip n1 rc=0');
  });

  it('fences a lost node before its resources start elsewhere', async () => {
    const c = new FakeCluster();
    const loop = new ControlLoop(c.deps(), 'dc');
    let done = settle(loop);
    loop.poke('start');
    await done;
    c.log = [];
    c.setUp('n1', false);
    done = settle(loop);
    loop.poke('n1 lost');
    await done;
    expect(c.fenced).toEqual(['n1']);
    const webNode = ['n2', 'n3'].find((n) => c.running.get(n)!.has('vip'));
    expect(webNode).toBeDefined();
    expect(c.running.get(webNode!)!.has('httpd')).toBe(true);
    for (const r of ['vip', 'httpd', 'db']) expect(c.activeCount(r)).toBe(1);
  });

  it('moves a resource whose start fails to another node', async () => {
    const c = new FakeCluster();
    c.failStart.add('db@n2');
    c.failStart.add('db@n3');
    const loop = new ControlLoop(c.deps(), 'dc');
    const done = settle(loop);
    loop.poke('start');
    const reports = await done;
    expect(reports.some((r) => r.outcome === 'aborted')).toBe(true);
    expect(c.activeCount('db')).toBe(1);
    expect(c.running.get('n1')!.has('db')).toBe(true);
    expect(transientAttribute(c.root, 'n2', 'fail-count-db#start_0') ?? transientAttribute(c.root, 'n3', 'fail-count-db#start_0')).toBe('INFINITY');
  });
});
