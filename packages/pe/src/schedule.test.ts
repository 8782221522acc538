import { describe, expect, it } from 'vitest';
import { parseCib } from '@vigil/cib';
import { schedule } from './index.js';
import { parametersDigest } from './digest.js';

const NOW = 1_700_000_000;

interface NodeSpec {
  name: string;
  state?: 'online' | 'lost' | 'down';
  attrs?: Record<string, string>;
  lrm?: string;
}

function op(rsc: string, task: string, rc: number, callId: number, node: string, interval = 0, targetRc = 0): string {
  return `<lrm_rsc_op id="${rsc}_${task}_${interval}" operation="${task}" interval="${interval}" call-id="${callId}" rc-code="${rc}" op-status="0" transition-key="1:1:${targetRc}:abc" on_node="${node}" last-rc-change="${NOW - 100}"/>`;
}

function lrmResource(id: string, ops: string[]): string {
  return `<lrm_resource id="${id}" class="ocf" provider="heartbeat" type="Dummy">${ops.join('')}</lrm_resource>`;
}

function cib(opts: { props?: Record<string, string>; nodes: NodeSpec[]; resources: string; constraints?: string; quorum?: boolean }): string {
  const props = { 'fencing-enabled': 'true', ...(opts.props ?? {}) };
  const nv = Object.entries(props).map(([k, v], i) => `<nvpair id="p${i}" name="${k}" value="${v}"/>`).join('');
  const nodes = opts.nodes.map((n) => `<node id="${n.name}" uname="${n.name}"/>`).join('');
  const states = opts.nodes
    .map((n) => {
      const st = n.state ?? 'online';
      const up = st === 'online';
      const attrs = Object.entries(n.attrs ?? {}).map(([k, v], i) => `<nvpair id="${n.name}-a${i}" name="${k}" value="${v}"/>`).join('');
      return `<node_state id="${n.name}" uname="${n.name}" in_ccm="${up}" crmd="${up ? 'online' : 'offline'}" join="${up ? 'member' : 'down'}" expected="${st === 'down' ? 'down' : 'member'}">`
        + (attrs ? `<transient_attributes id="${n.name}-t"><instance_attributes id="${n.name}-ia">${attrs}</instance_attributes></transient_attributes>` : '')
        + `<lrm id="${n.name}"><lrm_resources>${n.lrm ?? ''}</lrm_resources></lrm></node_state>`;
    })
    .join('');
  return `<cib admin_epoch="0" epoch="1" num_updates="0" validate-with="pacemaker-3.0" have-quorum="${opts.quorum ?? true}">
  <configuration><crm_config><cluster_property_set id="cib-bootstrap-options">${nv}</cluster_property_set></crm_config>
  <nodes>${nodes}</nodes><resources>${opts.resources}</resources><constraints>${opts.constraints ?? ''}</constraints></configuration>
  <status>${states}</status></cib>`;
}

const dummy = (id: string, meta = ''): string =>
  `<primitive id="${id}" class="ocf" provider="heartbeat" type="Dummy">${meta}<operations><op id="${id}-mon" name="monitor" interval="10s" timeout="20s"/></operations></primitive>`;

function summary(xml: string): string[] {
  return schedule(parseCib(xml), NOW).summary.map((l) => l.text).sort();
}

describe('schedule', () => {
  it('starts a stopped resource and probes it everywhere first', () => {
    const r = schedule(parseCib(cib({ nodes: [{ name: 'n1' }, { name: 'n2' }], resources: dummy('web') })), NOW);
    expect(r.summary.map((l) => l.text)).toEqual(['Start web ( n1 )']);
    const probes = r.graph.actions.filter((a) => a.task === 'monitor' && a.intervalMs === 0);
    expect(probes.map((a) => a.node).sort()).toEqual(['n1', 'n2']);
    const start = r.graph.actions.find((a) => a.task === 'start')!;
    for (const p of probes) expect(r.graph.edges).toContainEqual([p.id, start.id]);
    expect(r.graph.actions.some((a) => a.task === 'monitor' && a.intervalMs === 10_000 && a.node === 'n1')).toBe(true);
  });

  it('fences a lost node before starting its resources elsewhere', () => {
    const xml = cib({
      nodes: [{ name: 'n1', state: 'lost', lrm: lrmResource('web', [op('web', 'start', 0, 1, 'n1')]) }, { name: 'n2' }, { name: 'n3' }],
      resources: dummy('web'),
    });
    const r = schedule(parseCib(xml), NOW);
    expect(r.summary.map((l) => l.text).sort()).toEqual(["Fence (reboot) n1 'peer is no longer part of the cluster'", 'Move web ( n1 -> n2 )']);
    const fence = r.graph.actions.find((a) => a.task === 'stonith')!;
    const start = r.graph.actions.find((a) => a.task === 'start' && a.resource === 'web')!;
    // The start must be reachable from the fence through the graph's orderings.
    const reach = new Set([fence.id]);
    for (let changed = true; changed; ) {
      changed = false;
      for (const [b, a] of r.graph.edges) if (reach.has(b) && !reach.has(a)) { reach.add(a); changed = true; }
    }
    expect(reach.has(start.id)).toBe(true);
  });

  it('does not fence when fencing is disabled and recovers at once', () => {
    const xml = cib({
      props: { 'fencing-enabled': 'false' },
      nodes: [{ name: 'n1', state: 'lost', lrm: lrmResource('web', [op('web', 'start', 0, 1, 'n1')]) }, { name: 'n2' }],
      resources: dummy('web'),
    });
    expect(summary(xml)).toEqual(['Start web ( n2 )']);
  });

  it('without quorum, stops resources and blocks starts', () => {
    const xml = cib({
      quorum: false,
      nodes: [{ name: 'n1', lrm: lrmResource('a', [op('a', 'start', 0, 1, 'n1')]) }, { name: 'n2' }],
      resources: dummy('a') + dummy('b'),
    });
    expect(summary(xml)).toEqual(['Start b ( n2 ) due to no quorum (blocked)', 'Stop a ( n1 ) due to no quorum']);
  });

  it('stickiness keeps a running resource where it is against a weaker preference', () => {
    const sticky = '<meta_attributes id="m"><nvpair id="m1" name="resource-stickiness" value="200"/></meta_attributes>';
    const base = {
      nodes: [{ name: 'n1', lrm: lrmResource('web', [op('web', 'start', 0, 1, 'n1')]) }, { name: 'n2' }],
      constraints: '<rsc_location id="pref" rsc="web" node="n2" score="100"/>',
    };
    expect(summary(cib({ ...base, resources: dummy('web', sticky) }))).toEqual([]);
    expect(summary(cib({ ...base, resources: dummy('web') }))).toEqual(['Move web ( n1 -> n2 )']);
  });

  it('recovers a failed group member in place and restarts the members after it', () => {
    const xml = cib({
      nodes: [
        {
          name: 'n1',
          lrm:
            lrmResource('ip', [op('ip', 'start', 0, 1, 'n1'), op('ip', 'monitor', 7, 3, 'n1', 10_000)]) +
            lrmResource('app', [op('app', 'start', 0, 2, 'n1')]),
          attrs: { 'fail-count-ip#monitor_10000': '1' },
        },
        { name: 'n2' },
      ],
      resources: `<group id="g">${dummy('ip')}${dummy('app')}</group>`,
      constraints: '<rsc_location id="pref" rsc="g" node="n1" score="50"/>',
    });
    expect(summary(xml)).toEqual(['Recover ip ( n1 )', 'Restart app ( n1 ) due to required ip start']);
  });

  it('moves a resource away once migration-threshold failures are reached', () => {
    const meta = '<meta_attributes id="m"><nvpair id="m1" name="migration-threshold" value="2"/></meta_attributes>';
    const xml = cib({
      nodes: [
        { name: 'n1', lrm: lrmResource('web', [op('web', 'start', 0, 1, 'n1')]), attrs: { 'fail-count-web#monitor_10000': '2' } },
        { name: 'n2' },
      ],
      resources: dummy('web', meta),
    });
    expect(summary(xml)).toEqual(['Move web ( n1 -> n2 )']);
  });

  it('honours mandatory colocation and ordering between primitives', () => {
    const xml = cib({
      nodes: [{ name: 'n1' }, { name: 'n2' }],
      resources: dummy('db') + dummy('app'),
      constraints:
        '<rsc_location id="db-n2" rsc="db" node="n2" score="100"/>' +
        '<rsc_colocation id="app-with-db" rsc="app" with-rsc="db" score="INFINITY"/>' +
        '<rsc_order id="db-then-app" first="db" then="app"/>',
    });
    const r = schedule(parseCib(xml), NOW);
    expect(r.summary.map((l) => l.text).sort()).toEqual(['Start app ( n2 )', 'Start db ( n2 )']);
    const dbStart = r.graph.actions.find((a) => a.resource === 'db' && a.task === 'start')!;
    const appStart = r.graph.actions.find((a) => a.resource === 'app' && a.task === 'start')!;
    expect(r.graph.edges).toContainEqual([dbStart.id, appStart.id]);
  });

  it('blocks a dependent start when what it is ordered after cannot run', () => {
    const xml = cib({
      nodes: [{ name: 'n1' }],
      resources: dummy('db', '<meta_attributes id="m"><nvpair id="m1" name="target-role" value="Stopped"/></meta_attributes>') + dummy('app'),
      constraints: '<rsc_order id="db-then-app" first="db" then="app"/>',
    });
    expect(summary(xml)).toEqual(['Start app ( n1 ) due to unrunnable db start (blocked)']);
  });

  it('is pure: the same input and time give the same graph', () => {
    const xml = cib({ nodes: [{ name: 'n1' }, { name: 'n2' }], resources: dummy('a') + dummy('b') });
    const a = schedule(parseCib(xml), NOW);
    const b = schedule(parseCib(xml), NOW);
    expect(JSON.stringify(a.graph)).toEqual(JSON.stringify(b.graph));
  });
});

const started = (rsc: string, node: string, extra = ''): string =>
  `<lrm_rsc_op id="${rsc}_start_0" operation="start" interval="0" call-id="2" rc-code="0" op-status="0" transition-key="1:1:0:abc" on_node="${node}" last-rc-change="${NOW - 100}"${extra}/>`;

const cloneOf = (id: string, child: string, meta: Record<string, string> = {}): string =>
  `<clone id="${id}">${child}<meta_attributes id="${id}-m">${Object.entries(meta).map(([k, v]) => `<nvpair id="${id}-${k}" name="${k}" value="${v}"/>`).join('')}</meta_attributes></clone>`;

describe('clone orderings', () => {
  it('interleaved: an instance waits only for the instance of the first clone on its own node', () => {
    const xml = cib({
      nodes: [{ name: 'n1', lrm: lrmResource('a', [started('a', 'n1')]) + lrmResource('b', [started('b', 'n1')]) }, { name: 'n2', lrm: lrmResource('a', [started('a', 'n2')]) + lrmResource('b', [started('b', 'n2')]) }],
      resources: cloneOf('a-clone', dummy('a'), { interleave: 'true' }) + cloneOf('b-clone', dummy('b'), { interleave: 'true' }),
      constraints: '<rsc_location id="ban-a" rsc="a-clone" node="n2" score="-INFINITY"/><rsc_order id="o" first="a-clone" then="b-clone"/>',
    });
    // b:1 on n2 loses its local a; b:0 on n1 keeps running untouched.
    const lines = summary(xml);
    expect(lines).toContain('Stop a:1 ( n2 ) due to node availability');
    expect(lines.some((l) => l.startsWith('Stop b:1 ( n2 )'))).toBe(true);
    expect(lines.some((l) => l.includes('b:0'))).toBe(false);
  });

  it('one instance of a clone stopping does not restart what follows the clone', () => {
    const xml = cib({
      nodes: [{ name: 'n1', lrm: lrmResource('a', [started('a', 'n1')]) + lrmResource('app', [started('app', 'n1')]) }, { name: 'n2', lrm: lrmResource('a', [started('a', 'n2')]) }],
      resources: cloneOf('a-clone', dummy('a')) + dummy('app', '<meta_attributes id="app-m"><nvpair id="app-st" name="resource-stickiness" value="100"/></meta_attributes>'),
      constraints: '<rsc_location id="ban-a" rsc="a-clone" node="n2" score="-INFINITY"/><rsc_order id="o" first="a-clone" then="app"/>',
    });
    expect(summary(xml)).toEqual(['Stop a:1 ( n2 ) due to node availability']);
  });

  it('clone-min: what follows the clone needs that many instances', () => {
    const xml = cib({
      nodes: [{ name: 'n1' }, { name: 'n2' }],
      resources: cloneOf('a-clone', dummy('a'), { 'clone-min': '2' }) + dummy('app'),
      constraints: '<rsc_location id="ban-a" rsc="a-clone" node="n2" score="-INFINITY"/><rsc_order id="o" first="a-clone" then="app"/>',
    });
    expect(summary(xml)).toEqual(['Start a:0 ( n1 )', 'Start app ( n2 ) due to unrunnable clone-one-or-more:o (blocked)']);
  });

  it('require-all=false set: the next set needs only one member of it', () => {
    const stopped = '<meta_attributes id="MID"><nvpair id="MID-1" name="target-role" value="Stopped"/></meta_attributes>';
    const order = (members: string) =>
      `<rsc_order id="o"><resource_set id="s1" sequential="false" require-all="false">${members}</resource_set><resource_set id="s2"><resource_ref id="d"/></resource_set></rsc_order>`;
    const one = cib({ nodes: [{ name: 'n1' }], resources: dummy('b', stopped.replace(/MID/g, 'mb')) + dummy('c') + dummy('d'), constraints: order('<resource_ref id="b"/><resource_ref id="c"/>') });
    expect(summary(one)).toEqual(['Start c ( n1 )', 'Start d ( n1 )']);
    const none = cib({ nodes: [{ name: 'n1' }], resources: dummy('b', stopped.replace(/MID/g, 'mb')) + dummy('c', stopped.replace(/MID/g, 'mc')) + dummy('d'), constraints: order('<resource_ref id="b"/><resource_ref id="c"/>') });
    expect(summary(none)).toEqual(['Start d ( n1 ) due to unrunnable one-or-more:s1 (blocked)']);
  });
});

describe('operation digests', () => {
  const withParams = (id: string, params: Record<string, string>): string =>
    `<primitive id="${id}" class="ocf" provider="heartbeat" type="Dummy"><instance_attributes id="${id}-ia">${Object.entries(params).map(([k, v]) => `<nvpair id="${id}-${k}" name="${k}" value="${v}"/>`).join('')}</instance_attributes></primitive>`;

  it('computes the executor digest over the sorted parameters', () => {
    expect(parametersDigest({})).toBe('f2317cad3d54cec5d7d7aa7d0bf35cf8');
    expect(parametersDigest({ target_role: 'Started', ip: '127.0.0.10' })).toBe('e2316cec5f5e8fbe72dc0a36709b4ffb');
    expect(parametersDigest({ b: '2', a: '1' })).toBe(parametersDigest({ a: '1', b: '2' }));
  });

  it('restarts a resource whose parameters changed since it started, and leaves an unchanged one alone', () => {
    const digest = parametersDigest({ ip: '10.0.0.1' });
    const run = (ip: string) =>
      summary(cib({ nodes: [{ name: 'n1', lrm: lrmResource('vip', [started('vip', 'n1', ` op-digest="${digest}"`)]) }], resources: withParams('vip', { ip }) }));
    expect(run('10.0.0.1')).toEqual([]);
    expect(run('10.0.0.2')).toEqual(['Restart vip ( n1 ) due to resource definition change']);
  });

  it('reloads when only reloadable parameters changed', () => {
    const all = parametersDigest({ ip: '10.0.0.1', label: 'x' });
    const restart = parametersDigest({ ip: '10.0.0.1' });
    const extra = ` op-digest="${all}" op-force-restart=" ip " op-restart-digest="${restart}"`;
    const run = (params: Record<string, string>) =>
      summary(cib({ nodes: [{ name: 'n1', lrm: lrmResource('vip', [started('vip', 'n1', extra)]) }], resources: withParams('vip', params) }));
    expect(run({ ip: '10.0.0.1', label: 'y' })).toEqual(['Reload vip ( n1 )']);
    expect(run({ ip: '10.0.0.9', label: 'x' })).toEqual(['Restart vip ( n1 ) due to resource definition change']);
  });
});

describe('orderings and what is already running', () => {
  const disabled = (id: string) => dummy(id, `<meta_attributes id="${id}-m"><nvpair id="${id}-tr" name="target-role" value="Stopped"/></meta_attributes>`);
  const run = (aRunning: boolean, symmetrical: boolean) =>
    summary(cib({
      nodes: [{ name: 'n1', lrm: (aRunning ? lrmResource('a', [started('a', 'n1')]) : '') + lrmResource('b', [started('b', 'n1')]) }],
      resources: disabled('a') + dummy('b'),
      constraints: `<rsc_order id="o" first="a" then="b"${symmetrical ? '' : ' symmetrical="false"'}/>`,
    }));

  it('a symmetrical order stops what runs after a first that is stopping', () => {
    expect(run(true, true)).toEqual(['Stop a ( n1 ) due to node availability', 'Stop b ( n1 ) due to required a start']);
  });

  it('a symmetrical order stops what runs after a first that cannot start', () => {
    expect(run(false, true)).toEqual(['Stop b ( n1 ) due to unrunnable a start']);
  });

  it('an asymmetrical order leaves what already runs alone', () => {
    expect(run(true, false)).toEqual(['Stop a ( n1 ) due to node availability']);
    expect(run(false, false)).toEqual([]);
  });
});

describe('utilization', () => {
  const withNodes = (strategy: string, caps: Record<string, number>, resources: string, extra: Partial<Parameters<typeof cib>[0]> = {}) => {
    const xml = cib({ nodes: Object.keys(caps).map((name) => ({ name })), resources, props: { 'placement-strategy': strategy }, ...extra });
    // Node capacities go on the configured nodes.
    return xml.replace(/<node id="(\w+)" uname="\w+"\/>/g, (_m, n: string) => `<node id="${n}" uname="${n}"><utilization id="${n}-u"><nvpair id="${n}-u-cpu" name="cpu" value="${caps[n]}"/></utilization></node>`);
  };
  const needs = (id: string, cpu: number) =>
    `<primitive id="${id}" class="ocf" provider="heartbeat" type="Dummy"><utilization id="${id}-u"><nvpair id="${id}-u-cpu" name="cpu" value="${cpu}"/></utilization></primitive>`;

  it('only places a resource where its requirement fits', () => {
    expect(summary(withNodes('utilization', { n1: 1, n2: 4 }, needs('big', 3)))).toEqual(['Start big ( n2 )']);
    expect(summary(withNodes('utilization', { n1: 1, n2: 2 }, needs('big', 3)))).toEqual([]);
  });

  it('balanced prefers the node with the most free capacity', () => {
    expect(summary(withNodes('balanced', { n1: 2, n2: 4 }, needs('a', 1) + needs('b', 1)))).toEqual(['Start a ( n2 )', 'Start b ( n2 )']);
  });

  it('a group needs room for all its members on one node', () => {
    const group = `<group id="g">${needs('g1', 2)}${needs('g2', 2)}</group>`;
    expect(summary(withNodes('utilization', { n1: 3, n2: 4 }, group))).toEqual(['Start g1 ( n2 )', 'Start g2 ( n2 )']);
  });

  it('a primary makes room for what is mandatorily colocated with it', () => {
    const xml = withNodes('utilization', { n1: 3, n2: 4 }, needs('db', 2) + needs('app', 2), {
      constraints: '<rsc_colocation id="c" rsc="app" with-rsc="db" score="INFINITY"/>',
    });
    expect(summary(xml)).toEqual(['Start app ( n2 )', 'Start db ( n2 )']);
  });
});

describe('live migration', () => {
  const migratable = (id: string) =>
    `<primitive id="${id}" class="ocf" provider="heartbeat" type="Dummy"><meta_attributes id="${id}-m"><nvpair id="${id}-am" name="allow-migrate" value="true"/></meta_attributes></primitive>`;
  const xml = (order: boolean) =>
    cib({
      nodes: [{ name: 'n1', lrm: lrmResource('a', [started('a', 'n1')]) + lrmResource('b', [started('b', 'n1')]) }, { name: 'n2' }],
      resources: dummy('a') + migratable('b'),
      constraints: '<rsc_location id="la" rsc="a" node="n1" score="-INFINITY"/><rsc_location id="lb" rsc="b" node="n1" score="-INFINITY"/>' + (order ? '<rsc_order id="o" first="a" then="b"/>' : ''),
    });

  it('migrates a resource that allows it', () => {
    expect(summary(xml(false))).toEqual(['Migrate b ( n1 -> n2 )', 'Move a ( n1 -> n2 )']);
  });

  it('does not migrate after something that moves by stop and start', () => {
    expect(summary(xml(true))).toEqual(['Move a ( n1 -> n2 )', 'Move b ( n1 -> n2 ) due to unmigrateable a stop']);
  });
});

describe('colocation', () => {
  it('an optional anti-colocation gives way when it would leave the dependent nowhere to run', () => {
    const xml = cib({
      nodes: [{ name: 'n1', lrm: lrmResource('a', [started('a', 'n1')]) }, { name: 'n2' }],
      resources: dummy('a') + dummy('b'),
      constraints:
        '<rsc_location id="lb" rsc="b" node="n2" score="-INFINITY"/><rsc_colocation id="c" rsc="b" with-rsc="a" score="-5000"/>',
    });
    expect(summary(xml)).toEqual(['Start b ( n1 )']);
  });
});

describe('placement ties', () => {
  it('equal scores go to the less loaded node before the current one (no stickiness)', () => {
    const running = ['r1', 'r2', 'r3', 'r4'].map((r) => lrmResource(r, [started(r, 'n1')])).join('');
    const xml = cib({ nodes: [{ name: 'n1', lrm: running }, { name: 'n2' }], resources: ['r1', 'r2', 'r3', 'r4'].map((r) => dummy(r)).join('') });
    expect(summary(xml)).toEqual(['Move r2 ( n1 -> n2 )', 'Move r4 ( n1 -> n2 )']);
  });
});

describe('anonymous clone history', () => {
  it('a second active copy on one node is an orphan that is stopped', () => {
    const copy = (n: number) => `<lrm_resource id="a:${n}" class="ocf" provider="heartbeat" type="Dummy">${started(`a:${n}`, 'n1')}</lrm_resource>`;
    const xml = cib({ nodes: [{ name: 'n1', lrm: copy(0) + copy(3) }, { name: 'n2' }], resources: cloneOf('a-clone', dummy('a')) });
    expect(summary(xml)).toEqual(['Start a:1 ( n2 )', 'Stop a:3 ( n1 ) due to node availability']);
  });
});

describe('promotion', () => {
  it('a mandatory promoted-role colocation promotes with the primary, blocked where the primary cannot start', () => {
    const disabled = dummy('c', '<meta_attributes id="c-m"><nvpair id="c-tr" name="target-role" value="Stopped"/></meta_attributes>');
    const xml = cib({
      nodes: [{ name: 'n1' }, { name: 'n2' }],
      resources: cloneOf('p-clone', dummy('p'), { promotable: 'true' }) + dummy('a') + disabled,
      constraints:
        '<rsc_colocation id="c1" rsc="p-clone" rsc-role="Promoted" with-rsc="a" score="INFINITY"/><rsc_order id="o" first="c" then="a"/>',
    });
    const lines = summary(xml);
    const aLine = lines.find((l) => l.startsWith('Start a ('))!;
    expect(aLine).toMatch(/due to unrunnable c start \(blocked\)$/);
    const node = /\( (n\d) \)/.exec(aLine)![1];
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^Promote p:\\d \\( Stopped -> Promoted ${node} \\) due to colocation with a \\(blocked\\)$`)));
  });
});

describe('mandatory colocation and runnability', () => {
  it('a dependent stops with its primary when the primary cannot start', () => {
    const xml = cib({
      nodes: [{ name: 'n1', lrm: lrmResource('central', [started('central', 'n1')]) + lrmResource('engine', [started('engine', 'n1')]) + lrmResource('k', [started('k', 'n1')]) }],
      resources: cloneOf('k-clone', dummy('k'), { 'target-role': 'Stopped' }) + dummy('central') + dummy('engine'),
      constraints: '<rsc_order id="o" first="k-clone" then="central"/><rsc_colocation id="c" rsc="engine" with-rsc="central" score="INFINITY"/>',
    });
    expect(summary(xml)).toEqual([
      'Stop central ( n1 ) due to unrunnable k-clone running',
      'Stop engine ( n1 ) due to colocation with central',
      'Stop k:0 ( n1 ) due to node availability',
    ]);
  });
});

describe('shutdown-lock', () => {
  it('keeps what ran on a cleanly stopped node from starting elsewhere until the lock expires', () => {
    const locked = (since: number) =>
      `<lrm_resource id="web" class="ocf" provider="heartbeat" type="Dummy" shutdown-lock="${since}">${started('web', 'n2')}<lrm_rsc_op id="web_stop_0" operation="stop" interval="0" call-id="3" rc-code="0" op-status="0" transition-key="1:1:0:abc" on_node="n2"/></lrm_resource>`;
    const xml = (since: number) =>
      cib({ props: { 'shutdown-lock': 'true', 'shutdown-lock-limit': '5m' }, nodes: [{ name: 'n1' }, { name: 'n2', state: 'down', lrm: locked(since) }], resources: dummy('web') });
    expect(summary(xml(NOW - 60))).toEqual([]);
    expect(summary(xml(NOW - 600))).toEqual(['Start web ( n1 )']);
  });
});

describe('migration history', () => {
  const mig = (task: string, node: string, call: number, rc = 0) =>
    `<lrm_rsc_op id="vm_${task}_0" operation="${task}" interval="0" call-id="${call}" rc-code="${rc}" op-status="${rc === 0 ? 0 : 4}" transition-key="1:1:0:abc" on_node="${node}" migrate_source="n1" migrate_target="n2"/>`;
  const vm = `<primitive id="vm" class="ocf" provider="heartbeat" type="Dummy"><meta_attributes id="vm-m"><nvpair id="vm-am" name="allow-migrate" value="true"/><nvpair id="vm-st" name="resource-stickiness" value="100"/></meta_attributes></primitive>`;

  it('a migration completed on the target leaves only a clean-up stop on the source', () => {
    const xml = cib({
      nodes: [{ name: 'n1', lrm: lrmResource('vm', [started('vm', 'n1'), mig('migrate_to', 'n1', 3)]) }, { name: 'n2', lrm: lrmResource('vm', [mig('migrate_from', 'n2', 4)]) }],
      resources: vm,
    });
    const r = schedule(parseCib(xml), NOW);
    expect(r.summary).toEqual([]);
    expect(r.graph.actions.some((a) => a.task === 'stop' && a.node === 'n1' && a.resource === 'vm')).toBe(true);
  });

  it('a migrate_from that failed leaves the source to be recovered', () => {
    const xml = cib({
      nodes: [{ name: 'n1', lrm: lrmResource('vm', [started('vm', 'n1'), mig('migrate_to', 'n1', 3)]) }, { name: 'n2', lrm: lrmResource('vm', [mig('migrate_from', 'n2', 4, 1), mig('stop', 'n2', 5)]) }],
      resources: vm,
    });
    expect(summary(xml)).toEqual(['Recover vm ( n1 )']);
  });
});

describe('promoted-role dependents', () => {
  it('the promoted instance goes where what must run with it prefers', () => {
    const xml = cib({
      nodes: [{ name: 'n1', attrs: { 'master-p': '1' } }, { name: 'n2', attrs: { 'master-p': '1' } }, { name: 'n3', attrs: { 'master-p': '1' } }],
      resources: cloneOf('p-clone', dummy('p'), { promotable: 'true', 'clone-max': '2' }) + dummy('app'),
      constraints:
        '<rsc_colocation id="c" rsc="app" with-rsc="p-clone" with-rsc-role="Promoted" score="INFINITY"/><rsc_location id="l" rsc="app" node="n3" score="5000"/>',
    });
    const lines = summary(xml);
    expect(lines).toContain('Start app ( n3 )');
    expect(lines).toContainEqual(expect.stringMatching(/^Promote p:\d \( Stopped -> Promoted n3 \)$/));
  });
});

describe('failures on a node being fenced', () => {
  it('a resource that failed on a node being fenced moves rather than recovers', () => {
    const failedMon = `<lrm_rsc_op id="web_monitor_10000" operation="monitor" interval="10000" call-id="3" rc-code="7" op-status="0" transition-key="1:1:0:abc" on_node="n1"/>`;
    const xml = cib({ nodes: [{ name: 'n1', state: 'lost', lrm: lrmResource('web', [started('web', 'n1'), failedMon]) }, { name: 'n2' }], resources: dummy('web') });
    const lines = summary(xml);
    expect(lines).toContain('Move web ( n1 -> n2 )');
    expect(lines.some((l) => l.startsWith('Fence (reboot) n1'))).toBe(true);
  });
});

describe('no quorum', () => {
  const fence = '<primitive id="fence" class="stonith" type="fence_dummy"><meta_attributes id="fence-m"><nvpair id="fence-rq" name="requires" value="nothing"/></meta_attributes></primitive>';
  const xml = (policy: string) =>
    cib({
      props: { 'no-quorum-policy': policy },
      quorum: false,
      nodes: [{ name: 'n1', lrm: lrmResource('web', [started('web', 'n1')]) + `<lrm_resource id="fence" class="stonith" type="fence_dummy">${started('fence', 'n1')}</lrm_resource>` }],
      resources: fence + dummy('web'),
    });

  it('stop keeps what requires nothing (here a fencing device) running', () => {
    expect(summary(xml('stop'))).toEqual(['Stop web ( n1 ) due to no quorum']);
  });

  it('demote stops everything that is not promotable, even what requires nothing', () => {
    expect(summary(xml('demote'))).toEqual(['Stop fence ( n1 ) due to no quorum', 'Stop web ( n1 ) due to no quorum']);
  });
});

describe('location rules', () => {
  it('value-source=param compares node attributes with the resource parameter; rsc-pattern searches ids, ! negates', () => {
    const withFake = (id: string, v: string) =>
      `<primitive id="${id}" class="ocf" provider="heartbeat" type="Dummy"><instance_attributes id="${id}-ia"><nvpair id="${id}-f" name="fake" value="${v}"/></instance_attributes></primitive>`;
    const rule = (id: string, pattern: string) =>
      `<rsc_location id="${id}" rsc-pattern="${pattern}"><rule id="${id}-r" score="INFINITY"><expression id="${id}-e" attribute="fake" operation="eq" value="fake" value-source="param"/></rule></rsc_location>`;
    const xml = cib({
      nodes: [{ name: 'n1', attrs: { fake: '1' } }, { name: 'n2', attrs: { fake: '2' } }],
      resources: withFake('db1', '2') + withFake('web', '1'),
      constraints: rule('l1', 'db') + rule('l2', '!db'),
    });
    expect(summary(xml)).toEqual(['Start db1 ( n2 )', 'Start web ( n1 )']);
  });
});

describe('stop orders', () => {
  it('"stop A then stop B" restarts B when A stops', () => {
    const xml = cib({
      nodes: [{ name: 'n1', lrm: lrmResource('a', [started('a', 'n1')]) + lrmResource('b', [started('b', 'n1')]) }],
      resources: dummy('a', '<meta_attributes id="a-m"><nvpair id="a-tr" name="target-role" value="Stopped"/></meta_attributes>') + dummy('b'),
      constraints: '<rsc_order id="o" first="a" first-action="stop" then="b" then-action="stop"/>',
    });
    expect(summary(xml)).toEqual(['Restart b ( n1 )', 'Stop a ( n1 ) due to node availability']);
  });
});

describe('node health', () => {
  const xml = (strategy: string, colour: string, allowUnhealthy = false) =>
    cib({
      props: { 'node-health-strategy': strategy },
      nodes: [{ name: 'n1', attrs: { '#health-disk': colour }, lrm: lrmResource('web', [started('web', 'n1')]) }, { name: 'n2' }],
      resources: dummy('web', allowUnhealthy ? '<meta_attributes id="w-m"><nvpair id="w-au" name="allow-unhealthy-nodes" value="true"/></meta_attributes>' : ''),
    });

  it('migrate-on-red moves resources off a red node, unless they allow unhealthy nodes', () => {
    expect(summary(xml('migrate-on-red', 'red'))).toEqual(['Move web ( n1 -> n2 )']);
    expect(summary(xml('migrate-on-red', 'yellow'))).toEqual([]);
    expect(summary(xml('migrate-on-red', 'red', true))).toEqual([]);
  });

  it('only-green also moves them off a yellow node', () => {
    expect(summary(xml('only-green', 'yellow'))).toEqual(['Move web ( n1 -> n2 )']);
  });
});

describe('pending nodes', () => {
  it('fences a node that stayed pending longer than node-pending-timeout', () => {
    const xml = (sinceAgo: number) =>
      cib({ props: { 'node-pending-timeout': '300s' }, nodes: [{ name: 'n1' }, { name: 'n2' }], resources: dummy('web') }).replace(
        /<node_state id="n2"[^>]*>/,
        `<node_state id="n2" uname="n2" in_ccm="${NOW - sinceAgo}" crmd="0">`,
      );
    expect(summary(xml(600))).toContain("Fence (reboot) n2 'peer pending timed out on joining the process group'");
    expect(summary(xml(60)).some((l) => l.startsWith('Fence'))).toBe(false);
  });
});

describe('joining nodes', () => {
  it('a start waits for the probe on a node that is still joining', () => {
    const xml = cib({ nodes: [{ name: 'n1' }, { name: 'n2' }], resources: dummy('web') }).replace(
      /<node_state id="n2"[^>]*>/,
      '<node_state id="n2" uname="n2" in_ccm="true" crmd="online" join="pending" expected="member">',
    );
    expect(summary(xml)).toEqual(['Start web ( n1 ) blocked']);
  });

  it('a node that failed the membership criteria is fenced', () => {
    const xml = cib({ nodes: [{ name: 'n1' }, { name: 'n2' }], resources: dummy('web') }).replace(
      /<node_state id="n2"[^>]*>/,
      '<node_state id="n2" uname="n2" in_ccm="true" crmd="online" join="banned">',
    );
    expect(summary(xml)).toContain("Fence (reboot) n2 'peer failed Pacemaker membership criteria'");
  });
});

describe('groups as colocation primaries', () => {
  it('a disabled member stops the members after it, and what must run with the group', () => {
    const off = '<meta_attributes id="g2-m"><nvpair id="g2-tr" name="target-role" value="Stopped"/></meta_attributes>';
    const run = (r: string) => lrmResource(r, [started(r, 'n1')]);
    const xml = cib({
      nodes: [{ name: 'n1', lrm: run('g1') + run('g2') + run('g3') + run('app') }],
      resources: `<group id="g">${dummy('g1')}${dummy('g2', off)}${dummy('g3')}</group>` + dummy('app'),
      constraints: '<rsc_colocation id="c" rsc="app" with-rsc="g" score="INFINITY"/>',
    });
    expect(summary(xml)).toEqual([
      'Stop app ( n1 ) due to node availability',
      'Stop g2 ( n1 ) due to node availability',
      'Stop g3 ( n1 ) due to node availability',
    ]);
  });
});

describe('pending operations', () => {
  it('a pending start from an older transition than a completed stop is superseded', () => {
    const pendingStart = `<lrm_rsc_op id="web_start_0" operation="start" interval="0" call-id="-1" rc-code="1" op-status="-1" transition-key="1:8:0:abc" on_node="n1"/>`;
    const stop = `<lrm_rsc_op id="web_stop_0" operation="stop" interval="0" call-id="8" rc-code="0" op-status="0" transition-key="2:9:0:abc" on_node="n1"/>`;
    const xml = cib({ nodes: [{ name: 'n1', lrm: lrmResource('web', [pendingStart, stop]) }], resources: dummy('web') });
    expect(summary(xml)).toEqual(['Start web ( n1 )']);
  });
});

describe('failed migrate_to', () => {
  it('the target may be running a half-migrated copy: it is restarted there', () => {
    const op = (task: string, call: number, rc = 0) =>
      `<lrm_rsc_op id="vm_${task}_0" operation="${task}" interval="0" call-id="${call}" rc-code="${rc}" op-status="${rc === 0 ? 0 : 4}" transition-key="1:1:0:abc" on_node="n1" migrate_source="n1" migrate_target="n2" last-rc-change="${NOW - 50}"/>`;
    const probe = `<lrm_rsc_op id="vm_monitor_0" operation="monitor" interval="0" call-id="2" rc-code="7" op-status="0" transition-key="1:1:7:abc" on_node="n2" last-rc-change="${NOW - 100}"/>`;
    const xml = cib({
      nodes: [{ name: 'n1', lrm: lrmResource('vm', [started('vm', 'n1'), op('migrate_to', 17, 1), op('stop', 18)]) }, { name: 'n2', lrm: lrmResource('vm', [probe]) }],
      resources: '<primitive id="vm" class="ocf" provider="heartbeat" type="Dummy"><meta_attributes id="vm-m"><nvpair id="vm-st" name="resource-stickiness" value="100"/></meta_attributes></primitive>',
      constraints: '<rsc_location id="l" rsc="vm" node="n1" score="-INFINITY"/>',
    });
    expect(summary(xml)).toEqual(['Restart vm ( n2 )']);
  });
});

describe('promotion and failed dependents', () => {
  it('promotion moves to where the group that must run with it still can', () => {
    const failedMon = `<lrm_rsc_op id="g1_monitor_10000" operation="monitor" interval="10000" call-id="3" rc-code="7" op-status="0" transition-key="1:1:0:abc" on_node="n1"/>`;
    const promoted = (n: string) => `<lrm_resource id="p" class="ocf" provider="heartbeat" type="Dummy">${started('p', n)}<lrm_rsc_op id="p_promote_0" operation="promote" interval="0" call-id="3" rc-code="0" op-status="0" transition-key="1:1:0:abc" on_node="${n}"/></lrm_resource>`;
    const xml = cib({
      nodes: [
        { name: 'n1', attrs: { 'master-p': '10', 'fail-count-g1#monitor_10000': '1' }, lrm: promoted('n1') + lrmResource('g1', [started('g1', 'n1'), failedMon]) },
        { name: 'n2', attrs: { 'master-p': '5' }, lrm: lrmResource('p', [started('p', 'n2')]) },
      ],
      resources:
        cloneOf('p-clone', dummy('p'), { promotable: 'true' }) +
        `<group id="g">${dummy('g1', '<meta_attributes id="g1-m"><nvpair id="g1-mt" name="migration-threshold" value="1"/></meta_attributes>')}</group>`,
      constraints: '<rsc_colocation id="c" rsc="g" with-rsc="p-clone" with-rsc-role="Promoted" score="INFINITY"/>',
    });
    const lines = summary(xml);
    expect(lines).toContainEqual(expect.stringMatching(/^Demote p:\d \( Promoted -> Unpromoted n1 \)$/));
    expect(lines).toContainEqual(expect.stringMatching(/^Promote p:\d \( Unpromoted -> Promoted n2 \)$/));
    expect(lines).toContain('Recover g1 ( n1 -> n2 )');
  });
});
