import { serializeXml, type XmlElement } from '@vigil/cib';
import { formatTime, PENDING_TEXT } from './text.js';
import type { ClusterStatus, GroupStatus, NodeStatus, PrimitiveStatus, ResourceStatus } from './model.js';

/** The crm_mon XML API version whose schema this output follows (Pacemaker's api/crm_mon-2.25.rng). */
export const CRM_MON_API_VERSION = '2.25';

function el(name: string, attrs: Record<string, string | number | boolean | undefined>, children: XmlElement[] = []): XmlElement {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) out[k] = String(v);
  return { name, attrs: out, children };
}

function isoUtc(sec: number): string {
  return new Date(sec * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}


function summary(s: ClusterStatus): XmlElement {
  const sum = s.summary;
  const dcNode = sum.dc ? s.nodes.find((n) => n.name === sum.dc!.name) : undefined;
  const children = [
    el('stack', { type: sum.stack }),
    sum.dc
      ? el('current_dc', {
          present: true,
          version: sum.dc.version ?? 'unknown',
          name: sum.dc.name,
          id: dcNode?.id ?? sum.dc.id,
          with_quorum: sum.quorate,
          mixed_version: false,
        })
      : el('current_dc', { present: false }),
  ];
  // The schema wants last_update and last_change together or not at all.
  children.push(el('last_update', { time: formatTime(sum.lastUpdatedSec) }));
  const c = sum.lastChange;
  children.push(
    el('last_change', {
      time: c ? formatTime(c.timeSec) : '',
      user: c?.user ?? '',
      client: c?.client ?? '',
      origin: c?.origin ?? '',
    }),
  );
  children.push(
    el('nodes_configured', { number: sum.nodesConfigured }),
    el('resources_configured', {
      number: sum.resourceInstancesConfigured,
      disabled: sum.resourceInstancesDisabled,
      blocked: sum.resourceInstancesBlocked,
    }),
    el('cluster_options', {
      'stonith-enabled': sum.options.stonithEnabled,
      'symmetric-cluster': sum.options.symmetricCluster,
      'no-quorum-policy': sum.options.noQuorumPolicy,
      'maintenance-mode': sum.options.maintenanceMode,
      'stop-all-resources': sum.options.stopAllResources,
      'stonith-timeout-ms': sum.options.stonithTimeoutMs,
      'priority-fencing-delay-ms': sum.options.priorityFencingDelayMs,
    }),
  );
  return el('summary', {}, children);
}

function node(n: NodeStatus): XmlElement {
  return el('node', {
    name: n.name,
    id: n.id,
    online: n.online,
    standby: n.standby,
    standby_onfail: false,
    maintenance: n.maintenance,
    pending: n.pending,
    unclean: n.unclean,
    shutdown: n.shutdown,
    expected_up: n.expectedUp,
    is_dc: n.isDc,
    resources_running: n.resourcesRunning,
    type: n.type === 'member' || n.type === 'remote' || n.type === 'ping' ? n.type : 'unknown',
  });
}

function primitive(p: PrimitiveStatus, nodeIds: Map<string, string>, anonymousClone: boolean): XmlElement {
  // As crm_mon does: an operation in flight replaces the role ("Starting"), except a monitor, which is only noted.
  const becoming = p.pending !== undefined ? PENDING_TEXT[p.pending] : undefined;
  return el(
    'resource',
    {
      // Anonymous clone instances are interchangeable, so crm_mon names them by the configured id.
      id: anonymousClone ? p.baseId : p.id,
      resource_agent: p.agent,
      role: becoming ?? p.role,
      target_role: p.targetRole,
      active: p.active,
      orphaned: p.orphaned,
      blocked: p.blocked,
      managed: p.managed,
      failed: p.failed,
      failure_ignored: false,
      nodes_running_on: p.locations.length,
      pending: p.pending === 'monitor' ? 'Monitoring' : undefined,
    },
    // "cached" says the location comes from a node that can be trusted to report it; an unclean one cannot.
    p.locations.map((l) => el('node', { name: l.node, id: nodeIds.get(l.node) ?? l.node, cached: !l.unclean })),
  );
}

function group(g: GroupStatus, nodeIds: Map<string, string>, anonymousClone: boolean): XmlElement {
  return el(
    'group',
    { id: g.id, number_resources: g.children.length, managed: g.managed, disabled: g.disabled },
    g.children.map((c) => primitive(c, nodeIds, anonymousClone)),
  );
}

function resource(r: ResourceStatus, nodeIds: Map<string, string>): XmlElement[] {
  switch (r.kind) {
    case 'primitive':
      return [primitive(r, nodeIds, false)];
    case 'group':
      return [group(r, nodeIds, false)];
    case 'clone':
      return [
        el(
          'clone',
          {
            id: r.id,
            multi_state: r.promotable,
            unique: r.unique,
            managed: r.managed,
            disabled: r.disabled,
            failed: r.failed,
            failure_ignored: false,
            target_role: r.targetRole,
          },
          r.instances.map((i) => (i.kind === 'group' ? group(i, nodeIds, !r.unique) : primitive(i, nodeIds, !r.unique))),
        ),
      ];
    case 'bundle':
      // Bundles are not scheduled yet, and the schema requires a container type and image we do not model.
      return [];
  }
}

/**
 * The status as `crm_mon --output-as=xml` prints it: a <pacemaker-result>
 * document that validates against Pacemaker's api-result / crm_mon RelaxNG
 * schemas, so tools that parse crm_mon's XML can read Vigil's.
 */
export function renderStatusXml(s: ClusterStatus, request = 'vigil status --output xml'): string {
  const nodeIds = new Map(s.nodes.map((n) => [n.name, n.id] as const));
  const children: XmlElement[] = [
    summary(s),
    el('nodes', {}, s.nodes.map(node)),
    el('resources', {}, s.resources.flatMap((r) => resource(r, nodeIds))),
  ];
  const withAttrs = s.nodes.filter((n) => Object.keys(n.attributes).length > 0);
  if (withAttrs.length) {
    children.push(
      el(
        'node_attributes',
        {},
        withAttrs.map((n) =>
          el(
            'node',
            { name: n.name },
            Object.entries(n.attributes).map(([name, value]) => el('attribute', { name, value })),
          ),
        ),
      ),
    );
  }
  if (s.failCounts.length) {
    const byNode = s.nodes.filter((n) => s.failCounts.some((f) => f.node === n.name));
    children.push(
      el(
        'node_history',
        {},
        byNode.map((n) =>
          el(
            'node',
            { name: n.name },
            s.failCounts
              .filter((f) => f.node === n.name)
              .map((f) =>
                el('resource_history', {
                  id: f.resource,
                  orphan: false,
                  'migration-threshold': f.migrationThreshold,
                  'fail-count': f.failCount >= 1_000_000 ? 'INFINITY' : f.failCount,
                  'last-failure': f.lastFailureSec !== undefined ? formatTime(f.lastFailureSec) : undefined,
                }),
              ),
          ),
        ),
      ),
    );
  }
  if (s.failedActions.length) {
    children.push(
      el(
        'failures',
        {},
        s.failedActions.map((f) =>
          el('failure', {
            op_key: `${f.resource}_${f.task}_${f.intervalMs}`,
            node: f.node,
            exitstatus: f.rcText,
            exitreason: f.exitReason ?? 'none',
            exitcode: f.rc,
            call: f.callId,
            status: f.opStatusText,
            ...(f.lastRcChangeSec !== undefined
              ? {
                  'last-rc-change': isoUtc(f.lastRcChangeSec),
                  queued: f.queueTimeMs ?? 0,
                  exec: f.execTimeMs ?? 0,
                  interval: f.intervalMs,
                  task: f.task,
                }
              : {}),
          }),
        ),
      ),
    );
  }
  if (s.tickets.length) {
    children.push(
      el(
        'tickets',
        {},
        s.tickets.map((t) =>
          el('ticket', {
            id: t.id,
            status: t.granted ? 'granted' : 'revoked',
            standby: t.standby,
            'last-granted': t.lastGrantedSec !== undefined ? formatTime(t.lastGrantedSec) : undefined,
          }),
        ),
      ),
    );
  }
  if (s.bans.length) {
    children.push(
      el(
        'bans',
        {},
        s.bans.map((b) =>
          el('ban', {
            id: b.id,
            resource: b.resource,
            node: b.node,
            weight: b.score,
            'promoted-only': b.promotedOnly,
            master_only: b.promotedOnly,
          }),
        ),
      ),
    );
  }
  children.push(el('status', { code: 0, message: 'OK' }));
  return serializeXml(el('pacemaker-result', { 'api-version': CRM_MON_API_VERSION, request }, children), { pretty: true });
}
