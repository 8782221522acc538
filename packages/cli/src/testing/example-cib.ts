/**
 * Small CIB documents for the status and API tests: a few nodes with
 * membership state, resources, and operation history written the way the
 * local resource manager records it.
 */
export const EXAMPLE_NOW_SEC = 1_700_000_000;

export interface ExampleNode {
  readonly name: string;
  readonly state?: 'online' | 'lost' | 'down';
  /** Permanent node attributes (standby, maintenance...). */
  readonly config?: Record<string, string>;
  /** Transient attributes (fail counts, promotion scores...). */
  readonly transient?: Record<string, string>;
  readonly lrm?: string;
}

export interface OpSpec {
  readonly rsc: string;
  readonly task: string;
  readonly rc?: number;
  readonly callId: number;
  readonly node: string;
  readonly intervalMs?: number;
  /** The rc the cluster expected; a promote or a promoted monitor expects 8. */
  readonly expectRc?: number;
  readonly opStatus?: number;
  readonly execMs?: number;
  readonly exitReason?: string;
  readonly agoSec?: number;
}

export function op(o: OpSpec): string {
  const interval = o.intervalMs ?? 0;
  const reason = o.exitReason !== undefined ? ` exit-reason="${o.exitReason}"` : '';
  return (
    `<lrm_rsc_op id="${o.rsc}_${o.task}_${interval}" operation="${o.task}" interval="${interval}" call-id="${o.callId}" ` +
    `rc-code="${o.rc ?? 0}" op-status="${o.opStatus ?? 0}" transition-key="1:1:${o.expectRc ?? 0}:0b7d3c1e-5c1f-4c8e-9d3a-1f0e7a2b3c4d" ` +
    `on_node="${o.node}" last-rc-change="${EXAMPLE_NOW_SEC - (o.agoSec ?? 100)}" exec-time="${o.execMs ?? 10}" queue-time="0"${reason}/>`
  );
}

export function lrmResource(id: string, ops: readonly string[], agent = 'ocf:heartbeat:Dummy'): string {
  const [cls, provider, type] = agent.split(':');
  return `<lrm_resource id="${id}" class="${cls}" provider="${provider}" type="${type}">${ops.join('')}</lrm_resource>`;
}

export function primitive(id: string, opts: { agent?: string; meta?: Record<string, string>; promotable?: boolean } = {}): string {
  const [cls, provider, type] = (opts.agent ?? 'ocf:heartbeat:Dummy').split(':');
  const meta = Object.entries(opts.meta ?? {})
    .map(([k, v]) => `<nvpair id="${id}-m-${k}" name="${k}" value="${v}"/>`)
    .join('');
  const metaSet = meta ? `<meta_attributes id="${id}-meta">${meta}</meta_attributes>` : '';
  const ops = opts.promotable
    ? `<op id="${id}-mon-p" name="monitor" interval="10s" role="Promoted"/><op id="${id}-mon-u" name="monitor" interval="11s" role="Unpromoted"/>`
    : `<op id="${id}-mon" name="monitor" interval="10s" timeout="20s"/>`;
  return `<primitive id="${id}" class="${cls}" provider="${provider}" type="${type}">${metaSet}<operations>${ops}</operations></primitive>`;
}

export interface ExampleCib {
  readonly nodes: readonly ExampleNode[];
  readonly resources: string;
  readonly constraints?: string;
  readonly props?: Record<string, string>;
  readonly quorum?: boolean;
  /** Name of the DC node; its id goes into dc-uuid. */
  readonly dc?: string;
  readonly epoch?: number;
}

function nvpairs(prefix: string, attrs: Record<string, string>): string {
  return Object.entries(attrs)
    .map(([k, v], i) => `<nvpair id="${prefix}-${i}" name="${k}" value="${v}"/>`)
    .join('');
}

export function exampleCib(c: ExampleCib): string {
  const props = { 'stonith-enabled': 'false', ...(c.props ?? {}) };
  const nodes = c.nodes
    .map((n) => {
      const cfg = n.config ? `<instance_attributes id="${n.name}-ia">${nvpairs(`${n.name}-ia`, n.config)}</instance_attributes>` : '';
      return `<node id="${n.name}" uname="${n.name}">${cfg}</node>`;
    })
    .join('');
  const states = c.nodes
    .map((n) => {
      const st = n.state ?? 'online';
      const up = st === 'online';
      const transient = n.transient
        ? `<transient_attributes id="${n.name}-t"><instance_attributes id="${n.name}-ta">${nvpairs(`${n.name}-ta`, n.transient)}</instance_attributes></transient_attributes>`
        : '';
      return (
        `<node_state id="${n.name}" uname="${n.name}" in_ccm="${up}" crmd="${up ? 'online' : 'offline'}" join="${up ? 'member' : 'down'}" expected="${st === 'down' ? 'down' : 'member'}">` +
        `${transient}<lrm id="${n.name}"><lrm_resources>${n.lrm ?? ''}</lrm_resources></lrm></node_state>`
      );
    })
    .join('');
  const dc = c.dc !== undefined ? ` dc-uuid="${c.dc}"` : '';
  return `<cib admin_epoch="0" epoch="${c.epoch ?? 5}" num_updates="0" validate-with="pacemaker-3.9" have-quorum="${c.quorum ?? true ? 1 : 0}"${dc} cib-last-written="Tue Nov 14 22:13:20 2023" update-client="cibadmin" update-user="root" update-origin="n1">
  <configuration>
    <crm_config><cluster_property_set id="cib-bootstrap-options">${nvpairs('opt', props)}</cluster_property_set></crm_config>
    <nodes>${nodes}</nodes>
    <resources>${c.resources}</resources>
    <constraints>${c.constraints ?? ''}</constraints>
  </configuration>
  <status>${states}</status>
</cib>`;
}

/**
 * A three-node cluster seen from n1 (the DC): a VIP on n1, a web group on n2,
 * a promotable database promoted on n1 and unpromoted on n2, n3 in standby,
 * n4 offline, and a failed monitor of `web-app` on n2 that left a fail count.
 */
export function demoClusterCib(epoch = 5): string {
  const promoted = (node: string, call: number): string[] => [
    op({ rsc: 'db', task: 'start', callId: call, node }),
    op({ rsc: 'db', task: 'promote', callId: call + 1, node }),
    op({ rsc: 'db', task: 'monitor', intervalMs: 10_000, rc: 8, expectRc: 8, callId: call + 2, node }),
  ];
  const unpromoted = (node: string, call: number): string[] => [
    op({ rsc: 'db', task: 'start', callId: call, node }),
    op({ rsc: 'db', task: 'monitor', intervalMs: 11_000, callId: call + 1, node }),
  ];
  const started = (rsc: string, node: string, call: number): string => lrmResource(rsc, [op({ rsc, task: 'start', callId: call, node })]);
  return exampleCib({
    epoch,
    dc: 'n1',
    nodes: [
      {
        name: 'n1',
        transient: { 'master-db': '10' },
        lrm: started('vip', 'n1', 2) + lrmResource('db', promoted('n1', 10), 'ocf:pacemaker:Stateful'),
      },
      {
        name: 'n2',
        transient: {
          'fail-count-web-app#monitor_10000': '1',
          'last-failure-web-app#monitor_10000': String(EXAMPLE_NOW_SEC - 50),
          'master-db': '5',
        },
        lrm:
          started('web-ip', 'n2', 3) +
          lrmResource('web-app', [
            op({ rsc: 'web-app', task: 'start', callId: 4, node: 'n2' }),
            op({ rsc: 'web-app', task: 'monitor', intervalMs: 10_000, rc: 7, callId: 5, node: 'n2', agoSec: 50, execMs: 40, exitReason: 'pid file vanished' }),
          ]) +
          lrmResource('db', unpromoted('n2', 20), 'ocf:pacemaker:Stateful'),
      },
      { name: 'n3', config: { standby: 'on' } },
      { name: 'n4', state: 'down' },
    ],
    resources:
      primitive('vip', { agent: 'ocf:heartbeat:IPaddr2' }) +
      `<group id="web">${primitive('web-ip', { agent: 'ocf:heartbeat:IPaddr2' })}${primitive('web-app')}</group>` +
      `<clone id="db-clone"><meta_attributes id="db-clone-meta"><nvpair id="db-clone-p" name="promotable" value="true"/></meta_attributes>${primitive('db', { agent: 'ocf:pacemaker:Stateful', promotable: true })}</clone>` +
      primitive('idle', { meta: { 'target-role': 'Stopped' } }),
    constraints: '<rsc_location id="cli-ban-vip-on-n2" rsc="vip" node="n2" score="-INFINITY"/>',
  });
}
