import { clusterOptions, parseDurationMs, type Cib, type LrmRscOp, type NodeType } from '@vigil/cib';
import { rcName } from '@vigil/ra';
import {
  unpack,
  ROLE_ORDER,
  type CloneRsc,
  type GroupRsc,
  type PrimitiveRsc,
  type Role,
  type Rsc,
  type WorkingSet,
} from '@vigil/pe';

/**
 * What the daemon knows that the CIB does not say by itself: who is DC right
 * now, whether this partition has quorum, which node is asking, and the time.
 * Offline rendering of a CIB file leaves dc/quorate to the CIB's own attributes.
 */
export interface StatusLive {
  /** Name of the current DC; defaults to the node whose id the CIB's dc-uuid names. */
  readonly dc?: string;
  /** Partition has quorum; defaults to the CIB's have-quorum. */
  readonly quorate?: boolean;
  /** The node this status is seen from (for health checks and `localNode`). */
  readonly nodeName?: string;
  /** Seconds since the epoch; fail counts and failures expire against it. */
  readonly nowSec: number;
  /** Names of nodes in the current membership view, when the caller knows it. */
  readonly membership?: readonly string[];
  /** The stack name printed in the summary. */
  readonly stack?: string;
}

/** Bump when a field changes meaning or disappears; adding fields does not bump it. */
export const STATUS_FORMAT_VERSION = 1;

export interface ClusterStatus {
  readonly formatVersion: typeof STATUS_FORMAT_VERSION;
  readonly summary: StatusSummary;
  readonly nodes: readonly NodeStatus[];
  readonly resources: readonly ResourceStatus[];
  readonly failedActions: readonly FailedAction[];
  readonly failCounts: readonly FailCount[];
  readonly bans: readonly Ban[];
  readonly tickets: readonly TicketStatus[];
  readonly warnings: readonly string[];
}

export interface StatusSummary {
  readonly stack: string;
  /** null when no node is DC. */
  readonly dc: { readonly name: string; readonly id: string; readonly version?: string } | null;
  readonly quorate: boolean;
  readonly localNode?: string;
  readonly lastUpdatedSec: number;
  readonly lastChange?: {
    readonly timeSec: number;
    readonly user?: string;
    readonly client?: string;
    readonly origin?: string;
  };
  readonly cibVersion: { readonly adminEpoch: number; readonly epoch: number; readonly numUpdates: number };
  readonly nodesConfigured: number;
  readonly resourceInstancesConfigured: number;
  readonly resourceInstancesDisabled: number;
  readonly resourceInstancesBlocked: number;
  /** Members of the current membership view, when the daemon supplied one. */
  readonly membership?: readonly string[];
  readonly options: {
    readonly stonithEnabled: boolean;
    readonly symmetricCluster: boolean;
    readonly noQuorumPolicy: string;
    readonly maintenanceMode: boolean;
    readonly stopAllResources: boolean;
    readonly stonithTimeoutMs: number;
    readonly priorityFencingDelayMs: number;
  };
}

export interface NodeStatus {
  readonly name: string;
  readonly id: string;
  readonly type: NodeType;
  readonly online: boolean;
  readonly standby: boolean;
  readonly maintenance: boolean;
  readonly pending: boolean;
  readonly unclean: boolean;
  readonly shutdown: boolean;
  readonly expectedUp: boolean;
  readonly isDc: boolean;
  /** In the membership view; only present when the daemon supplied one. */
  readonly member?: boolean;
  readonly resourcesRunning: number;
  /** Transient attributes other than fail counts and last-failure stamps. */
  readonly attributes: Readonly<Record<string, string>>;
}

export interface ResourceLocation {
  readonly node: string;
  readonly role: Role;
  readonly failed: boolean;
  /** An operation recorded as in flight on this node (start, stop, monitor...). */
  readonly pending?: string;
  /** The node needs fencing: whether the resource really still runs there is unknown. */
  readonly unclean?: boolean;
}

export interface PrimitiveStatus {
  readonly kind: 'primitive';
  /** Instance id: `rsc` or, inside a clone, `rsc:N`. */
  readonly id: string;
  /** The configured id, without a clone instance suffix. */
  readonly baseId: string;
  /** `class:provider:type` as crm_mon prints it. */
  readonly agent: string;
  /** The highest role the resource has anywhere; Stopped when nowhere. */
  readonly role: Role;
  readonly targetRole?: string;
  readonly active: boolean;
  readonly orphaned: boolean;
  readonly blocked: boolean;
  readonly managed: boolean;
  readonly failed: boolean;
  /** An operation in flight (start, stop...), when recorded as pending. */
  readonly pending?: string;
  readonly locations: readonly ResourceLocation[];
}

export interface GroupStatus {
  readonly kind: 'group';
  readonly id: string;
  readonly managed: boolean;
  readonly disabled: boolean;
  readonly children: readonly PrimitiveStatus[];
}

export interface CloneStatus {
  readonly kind: 'clone';
  readonly id: string;
  readonly childId: string;
  readonly promotable: boolean;
  readonly unique: boolean;
  readonly managed: boolean;
  readonly disabled: boolean;
  readonly failed: boolean;
  readonly targetRole?: string;
  readonly instances: readonly (PrimitiveStatus | GroupStatus)[];
}

export interface BundleStatus {
  readonly kind: 'bundle';
  readonly id: string;
}

export type ResourceStatus = PrimitiveStatus | GroupStatus | CloneStatus | BundleStatus;

export interface FailedAction {
  readonly resource: string;
  readonly task: string;
  readonly intervalMs: number;
  readonly node: string;
  readonly rc: number;
  readonly rcText: string;
  readonly opStatus: number;
  readonly opStatusText: string;
  readonly callId: number;
  readonly exitReason?: string;
  readonly lastRcChangeSec?: number;
  readonly execTimeMs?: number;
  readonly queueTimeMs?: number;
}

export interface FailCount {
  readonly node: string;
  readonly resource: string;
  /** 1000000 stands for INFINITY, as in the CIB. */
  readonly failCount: number;
  readonly migrationThreshold: number;
  readonly lastFailureSec?: number;
}

export interface Ban {
  readonly id: string;
  readonly resource: string;
  readonly node: string;
  readonly score: number;
  readonly promotedOnly: boolean;
}

export interface TicketStatus {
  readonly id: string;
  readonly granted: boolean;
  readonly standby: boolean;
  readonly lastGrantedSec?: number;
}

// Execution status of an operation, independent of the agent's exit code.
/** Pacemaker's execution status numbering (as @vigil/ra's OpStatus), in crm_mon's words. */
const OP_STATUS_TEXT: Record<number, string> = {
  [-1]: 'pending',
  0: 'complete',
  1: 'Cancelled',
  2: 'Timed Out',
  3: 'NOT SUPPORTED',
  4: 'Error',
  5: 'Hard error',
  6: 'Fatal error',
  7: 'Not installed',
  8: 'Not connected',
  9: 'Invalid',
  10: 'No fence device',
  11: 'No secrets',
};

/** crm_mon's words for an agent's exit code (its own wording for the degraded promoted code). */
export function rcText(rc: number): string {
  return rc === 191 ? 'promoted (degraded)' : rcName(rc);
}

export function opStatusText(status: number): string {
  return OP_STATUS_TEXT[status] ?? `unknown (${status})`;
}

const INTERNAL_ATTR = /^(fail-count-|last-failure-|#)/;

/**
 * The cluster's status as crm_mon shows it, computed from the CIB with the
 * scheduler's own unpacking, so what status says and what the scheduler acts
 * on cannot disagree. Pure: the time comes from `live.nowSec`.
 */
export function clusterStatus(cib: Cib, live: StatusLive): ClusterStatus {
  const ws = unpack(cib, live.nowSec);
  const dcName = live.dc ?? ws.dcName;
  const members = live.membership ? new Set(live.membership) : undefined;
  const resources = ws.resources.map((r) => resourceStatus(r));
  const countable = ws.primitives.filter((p) => !p.orphan);
  const rawOptions = clusterOptions(cib, { nowSec: live.nowSec });
  const dcNode = dcName !== undefined ? ws.nodeByName.get(dcName) : undefined;
  const summary: StatusSummary = {
    stack: live.stack ?? 'vigil',
    dc:
      dcName === undefined
        ? null
        : {
            name: dcName,
            id: dcNode?.id ?? dcName,
            ...(rawOptions['dc-version'] !== undefined ? { version: rawOptions['dc-version'] } : {}),
          },
    quorate: live.quorate ?? ws.haveQuorum,
    ...(live.nodeName !== undefined ? { localNode: live.nodeName } : {}),
    lastUpdatedSec: live.nowSec,
    ...lastChangeOf(cib),
    cibVersion: { ...cib.version },
    nodesConfigured: ws.nodes.length,
    resourceInstancesConfigured: countable.length,
    resourceInstancesDisabled: countable.filter((p) => p.meta['target-role'] === 'Stopped').length,
    resourceInstancesBlocked: countable.filter((p) => p.blocked).length,
    ...(live.membership ? { membership: [...live.membership] } : {}),
    options: {
      stonithEnabled: ws.options.fencingEnabled,
      symmetricCluster: ws.options.symmetricCluster,
      noQuorumPolicy: ws.options.noQuorumPolicy,
      maintenanceMode: ws.options.maintenanceMode,
      stopAllResources: ws.options.stopAllResources,
      stonithTimeoutMs: durationMsOr(rawOptions['fencing-timeout'] ?? rawOptions['stonith-timeout'], 60_000),
      priorityFencingDelayMs: durationMsOr(rawOptions['priority-fencing-delay'], 0),
    },
  };
  const nodes: NodeStatus[] = ws.nodes.map((n) => ({
    name: n.name,
    id: n.id,
    type: n.type,
    online: n.online,
    standby: n.standby,
    maintenance: n.maintenance,
    pending: n.pending,
    unclean: n.unclean,
    shutdown: n.shutdown,
    expectedUp: n.expectedUp,
    isDc: n.name === dcName,
    ...(members ? { member: members.has(n.name) } : {}),
    resourcesRunning: ws.primitives.filter((p) => p.runningOn.includes(n)).length,
    attributes: transientAttributes(cib, n.id, n.name),
  }));
  return {
    formatVersion: STATUS_FORMAT_VERSION,
    summary,
    nodes,
    resources,
    failedActions: failedActions(ws),
    failCounts: failCounts(ws),
    bans: bans(cib),
    tickets: cib.tickets.map((t) => ({
      id: t.id,
      granted: t.granted,
      standby: t.standby,
      ...(t.lastGranted !== undefined ? { lastGrantedSec: t.lastGranted } : {}),
    })),
    warnings: [...ws.warnings],
  };
}

function lastChangeOf(cib: Cib): { lastChange?: StatusSummary['lastChange'] } {
  const a = cib.xml.attrs;
  const raw = a['cib-last-written'];
  if (raw === undefined) return {};
  // Pacemaker writes this stamp without a zone; Vigil writes it in UTC.
  const ms = Date.parse(/[a-z]{3}$|Z$|[+-]\d\d:?\d\d$/i.test(raw) ? raw : `${raw} UTC`);
  if (!Number.isFinite(ms)) return {};
  return {
    lastChange: {
      timeSec: Math.floor(ms / 1000),
      ...(a['update-user'] !== undefined ? { user: a['update-user'] } : {}),
      ...(a['update-client'] !== undefined ? { client: a['update-client'] } : {}),
      ...(a['update-origin'] !== undefined ? { origin: a['update-origin'] } : {}),
    },
  };
}

function durationMsOr(raw: string | undefined, dflt: number): number {
  if (raw === undefined) return dflt;
  try {
    return parseDurationMs(raw);
  } catch {
    return dflt;
  }
}

function transientAttributes(cib: Cib, nodeId: string, nodeName: string): Record<string, string> {
  const state = cib.status.find((s) => s.id === nodeId || (s.uname !== undefined && s.uname === nodeName));
  const out: Record<string, string> = {};
  if (!state) return out;
  // Later sets win, as when the attribute manager writes them.
  for (const set of state.transientAttributes) {
    for (const nv of set.nvpairs) {
      if (nv.value === undefined || INTERNAL_ATTR.test(nv.name)) continue;
      out[nv.name] = nv.value;
    }
  }
  return out;
}

/** "#default" (Pacemaker's spelling of "unset") counts as no target role. */
function definedRole(raw: string | undefined): string | undefined {
  return raw === undefined || raw === '#default' ? undefined : raw;
}

function agentOf(p: PrimitiveRsc): string {
  return p.provider ? `${p.className}:${p.provider}:${p.type}` : `${p.className}:${p.type}`;
}

function highestRole(locations: readonly ResourceLocation[]): Role {
  let role: Role = 'Stopped';
  for (const l of locations) if (ROLE_ORDER[l.role] > ROLE_ORDER[role]) role = l.role;
  return role;
}

function primitiveStatus(p: PrimitiveRsc): PrimitiveStatus {
  const locations: ResourceLocation[] = p.runningOn.map((node) => {
    const h = p.history.get(node.name);
    return {
      node: node.name,
      role: h?.role ?? 'Started',
      failed: h?.failed ?? false,
      ...(h?.pending !== undefined ? { pending: h.pending } : {}),
      ...(node.unclean ? { unclean: true } : {}),
    };
  });
  const pending = [...p.history.values()].find((h) => h.pending !== undefined)?.pending;
  const targetRole = definedRole(p.meta['target-role']);
  return {
    kind: 'primitive',
    id: p.id,
    baseId: p.baseId,
    agent: agentOf(p),
    role: highestRole(locations),
    ...(targetRole !== undefined ? { targetRole } : {}),
    active: locations.length > 0,
    orphaned: p.orphan,
    blocked: p.blocked,
    managed: p.managed,
    failed: locations.some((l) => l.failed),
    ...(pending !== undefined ? { pending } : {}),
    locations,
  };
}

function groupStatus(g: GroupRsc): GroupStatus {
  return {
    kind: 'group',
    id: g.id,
    managed: g.managed,
    disabled: definedRole(g.meta['target-role']) === 'Stopped',
    children: g.children.map(primitiveStatus),
  };
}

function cloneStatus(c: CloneRsc): CloneStatus {
  const instances = c.instances.map((i) => (i.variant === 'group' ? groupStatus(i) : primitiveStatus(i)));
  const prims = instances.flatMap((i) => (i.kind === 'group' ? i.children : [i]));
  const targetRole = definedRole(c.meta['target-role']);
  return {
    kind: 'clone',
    id: c.id,
    childId: c.childId,
    promotable: c.promotable,
    unique: c.unique,
    managed: c.managed,
    disabled: targetRole === 'Stopped',
    failed: prims.some((p) => p.failed),
    ...(targetRole !== undefined ? { targetRole } : {}),
    instances,
  };
}

function resourceStatus(r: Rsc): ResourceStatus {
  switch (r.variant) {
    case 'primitive':
      return primitiveStatus(r);
    case 'group':
      return groupStatus(r);
    case 'clone':
      return cloneStatus(r);
    case 'bundle':
      return { kind: 'bundle', id: r.id };
  }
}

/** The history record behind a failure: same call, task, interval and result (a call id alone can repeat across records). */
function findOp(ws: WorkingSet, f: WorkingSet['failedOps'][number]): { op: LrmRscOp; lrmId: string } | undefined {
  const { node } = f;
  const base = (id: string): string => id.replace(/:\d+$/, '');
  const nodeId = ws.nodeByName.get(node)?.id;
  for (const state of ws.cib.status) {
    if (state.uname !== node && state.id !== nodeId) continue;
    for (const lrm of state.lrmResources) {
      if (base(lrm.id) !== base(f.rsc)) continue;
      const op = lrm.ops.find(
        (o) => o.callId === f.callId && o.operation === f.task && o.intervalMs === f.intervalMs && o.rcCode === f.rc,
      );
      if (op) return { op, lrmId: lrm.id };
    }
  }
  return undefined;
}

function failedActions(ws: WorkingSet): FailedAction[] {
  return ws.failedOps.map((f) => {
    const found = findOp(ws, f);
    const op = found?.op;
    return {
      // The id as the node recorded it: anonymous clone instances are interchangeable, so the record names the instance the node used.
      resource: found?.lrmId ?? f.rsc,
      task: f.task,
      intervalMs: f.intervalMs,
      node: f.node,
      rc: f.rc,
      rcText: rcText(f.rc),
      opStatus: f.opStatus,
      opStatusText: opStatusText(f.opStatus),
      callId: f.callId,
      ...(f.exitReason ? { exitReason: f.exitReason } : {}),
      ...(f.lastRcChange !== undefined ? { lastRcChangeSec: f.lastRcChange } : {}),
      ...(op?.execTimeMs !== undefined ? { execTimeMs: op.execTimeMs } : {}),
      ...(op?.queueTimeMs !== undefined ? { queueTimeMs: op.queueTimeMs } : {}),
    };
  });
}

function lastFailureOf(ws: WorkingSet, node: string, rscIds: readonly string[]): number | undefined {
  const attrs = ws.nodeByName.get(node)?.attrs ?? {};
  let last: number | undefined;
  for (const [name, value] of Object.entries(attrs)) {
    if (!name.startsWith('last-failure-')) continue;
    const rest = name.slice('last-failure-'.length);
    const rsc = rest.includes('#') ? rest.slice(0, rest.indexOf('#')) : rest;
    if (!rscIds.includes(rsc)) continue;
    const n = Number(value);
    if (Number.isFinite(n) && (last === undefined || n > last)) last = n;
  }
  return last;
}

/** Instances of an anonymous clone share one fail count per node, kept under the configured id. */
function isAnonymousInstance(p: PrimitiveRsc): boolean {
  const clone = p.parent?.variant === 'clone' ? p.parent : p.parent?.parent?.variant === 'clone' ? p.parent.parent : undefined;
  return clone !== undefined && !clone.unique;
}

function failCounts(ws: WorkingSet): FailCount[] {
  const out: FailCount[] = [];
  for (const node of ws.nodes) {
    const seen = new Set<string>();
    for (const p of ws.primitives) {
      const count = p.failCount.get(node.name);
      if (count === undefined || count <= 0) continue;
      const resource = isAnonymousInstance(p) ? p.baseId : p.id;
      if (seen.has(resource)) continue;
      seen.add(resource);
      const last = lastFailureOf(ws, node.name, [p.id, p.baseId]);
      out.push({
        node: node.name,
        resource,
        failCount: count,
        migrationThreshold: p.migrationThreshold,
        ...(last !== undefined ? { lastFailureSec: last } : {}),
      });
    }
  }
  return out;
}

function bans(cib: Cib): Ban[] {
  const out: Ban[] = [];
  for (const c of cib.configuration.constraints) {
    if (c.kind !== 'rsc_location' || c.rsc === undefined || c.node === undefined) continue;
    if (c.score === undefined || c.score >= 0) continue;
    out.push({ id: c.id, resource: c.rsc, node: c.node, score: c.score, promotedOnly: c.role === 'Promoted' });
  }
  return out;
}

/** Every primitive in the tree, clone instances and group members included. */
export function allPrimitiveStatuses(resources: readonly ResourceStatus[]): PrimitiveStatus[] {
  return resources.flatMap((r): PrimitiveStatus[] => {
    switch (r.kind) {
      case 'primitive':
        return [r];
      case 'group':
        return [...r.children];
      case 'clone':
        return allPrimitiveStatuses(r.instances);
      case 'bundle':
        return [];
    }
  });
}
