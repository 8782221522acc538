import { INFINITY, unpackNvSets, type Cib } from '@vigil/cib';
import { readClusterOptions } from './options.js';
import { unpackNodes } from './unpack/nodes.js';
import { unpackResources, type ResourceContext } from './unpack/resources.js';
import { unpackStatus } from './unpack/status.js';
import { applyLocation } from './constraints/location.js';
import { applyColocation } from './constraints/colocation.js';
import { collectOrder, type ResourceOrder } from './constraints/ordering.js';
import { applyTicket, readTickets } from './constraints/ticket.js';
import { applyNodeHealth } from './constraints/health.js';
import { assignResources, type ScoreTrace } from './assign.js';
import {
  ActionBuilder,
  applyResourceOrder,
  blockPromotionWithPrimary,
  inhibitInterleaved,
  markUnmigrateable,
  createPrimitiveActions,
  orderGroupMembers,
  orderPrimitiveLifecycle,
  propagate,
  type ActionSet,
} from './actions.js';
import { checkDigests } from './digest.js';
import { PROBE_PENDING, summarize, type SummaryLine } from './summary.js';
import { produceGraph, type TransitionGraph } from './graph/produce.js';
import {
  allPrimitivesOf,
  type FailedOp,
  type PrimitiveRsc,
  type Rsc,
  type SchedNode,
  type WorkingSet,
} from './working-set.js';

export interface ScheduleOptions {
  /** Record every node score per resource (for --show-scores and `vigil why`). */
  readonly traceScores?: boolean;
}

export interface ScheduleResult {
  readonly graph: TransitionGraph;
  readonly summary: readonly SummaryLine[];
  readonly working: WorkingSet;
  readonly actions: ActionSet;
  /** resource id → node → final score, when traceScores was asked for. */
  readonly scores?: ReadonlyMap<string, ReadonlyMap<string, number>>;
  readonly warnings: readonly string[];
}

/**
 * The policy engine: a pure function of the CIB and the time. It reads
 * configuration and status, decides where every resource should be and in
 * which role, and returns the actions (with their orderings) that get the
 * cluster there.
 */
export function schedule(cib: Cib, nowSec: number, opts: ScheduleOptions = {}): ScheduleResult {
  const ws = unpack(cib, nowSec);
  markStopFailures(ws);
  fenceInquoratePartition(ws);
  checkDigests(ws);
  applyConstraints(ws);
  const scores = new Map<string, Map<string, number>>();
  const trace: ScoreTrace | undefined = opts.traceScores
    ? { record: (rsc, node, score) => { let m = scores.get(rsc); if (!m) scores.set(rsc, (m = new Map())); m.set(node, score); } }
    : undefined;
  if (ws.options.stopAllResources) {
    // stop-all-resources: everything is as if its target-role were Stopped.
    for (const r of ws.byId.values()) r.targetRole = 'Stopped';
  }
  assignResources(ws, trace);
  applyQuorumPolicy(ws);
  const actions = buildActions(ws);
  const summary = summarize(ws, actions);
  const graph = produceGraph(ws, actions);
  return { graph, summary, working: ws, actions, ...(opts.traceScores ? { scores } : {}), warnings: ws.warnings };
}

export function unpack(cib: Cib, nowSec: number): WorkingSet {
  const warnings: string[] = [...((cib as { warnings?: readonly string[] }).warnings ?? [])];
  const rawOptions = unpackNvSets(cib.configuration.crmConfig, { nowSec });
  const options = readClusterOptions(rawOptions);
  const nodes = unpackNodes(cib, options, nowSec);
  const nodeByName = new Map(nodes.map((n) => [n.name, n] as const));
  const rscDefaultsRaw = unpackNvSets(cib.configuration.rscDefaults, { nowSec });
  const opDefaults = unpackNvSets(cib.configuration.opDefaults, { nowSec });
  const rctx: ResourceContext = {
    nowSec,
    rscDefaults: cib.configuration.rscDefaults,
    nodes,
    maintenanceMode: options.maintenanceMode,
    warnings,
  };
  const resources = unpackResources(cib.configuration.resources, rctx);
  const byId = new Map<string, Rsc>();
  const primitives: PrimitiveRsc[] = [];
  const index = (r: Rsc): void => {
    byId.set(r.id, r);
    if (r.variant === 'group') r.children.forEach(index);
    if (r.variant === 'clone') r.instances.forEach(index);
    if (r.variant === 'primitive') primitives.push(r);
  };
  resources.forEach(index);
  const failedOps: FailedOp[] = [];
  const dc = nodes.find((n) => n.isDc);
  const ws: WorkingSet = {
    cib,
    nowSec,
    options,
    haveQuorum: cib.haveQuorum ?? false,
    nodes,
    nodeByName,
    resources,
    byId,
    primitives,
    rscDefaults: rscDefaultsRaw,
    opDefaults,
    failedOps,
    warnings,
    ...(dc ? { dcName: dc.name } : {}),
  };
  unpackStatus(cib, { ws, resources, primitives, rctx, failedOps });
  for (const p of primitives) inheritParentParams(p);
  applyShutdownLocks(ws);
  // stop-removed-resources=false: what is no longer configured is left running, unmanaged.
  if (!options.stopOrphanResources) {
    for (const p of primitives) if (p.orphan && p.parent === undefined) p.managed = false;
  }
  // Resources on nodes in maintenance are left alone.
  for (const p of primitives) {
    if (p.runningOn.some((n) => n.maintenance)) p.managed = false;
  }
  return ws;
}

/**
 * shutdown-lock: what was active on a node that shut down cleanly may run
 * only there until it rejoins (or shutdown-lock-limit passes). Locks come
 * from the shutdown-lock time recorded with the resource's history, and
 * from nodes shutting down now. Clone instances, fencing devices and remote
 * connections are never locked.
 */
function applyShutdownLocks(ws: WorkingSet): void {
  if (!ws.options.shutdownLock) return;
  const lockable = (r: Rsc | undefined): r is PrimitiveRsc =>
    r?.variant === 'primitive' && r.parent?.variant !== 'clone' && r.parent?.parent?.variant !== 'clone' && r.className !== 'stonith' && !r.isRemoteConnection;
  const lock = (p: PrimitiveRsc, node: SchedNode): void => {
    for (const other of ws.nodes) if (other !== node) p.allowed.set(other.name, -INFINITY);
  };
  for (const state of ws.cib.status) {
    const node = state.uname !== undefined ? ws.nodeByName.get(state.uname) : undefined;
    if (!node || node.online) continue;
    for (const lrm of state.lrmResources) {
      const since = Number(lrm.xml.attrs['shutdown-lock']);
      if (!Number.isFinite(since) || since <= 0) continue;
      if (ws.options.shutdownLockLimitSec > 0 && since + ws.options.shutdownLockLimitSec <= ws.nowSec) continue;
      const p = ws.byId.get(lrm.id);
      if (lockable(p)) lock(p, node);
    }
  }
  for (const p of ws.primitives) {
    if (!lockable(p)) continue;
    const node = p.runningOn.find((n) => n.shutdown && n.online);
    if (node) lock(p, node);
  }
}

/**
 * Instance attributes set on a group or clone reach the agents of its
 * primitives too (the primitive's own values win); they are part of the
 * parameters the executor recorded digests over.
 */
function inheritParentParams(p: PrimitiveRsc): void {
  let inherited: Record<string, string> | undefined;
  for (let parent = p.parent; parent; parent = parent.parent) {
    for (const set of parent.def.xml.children) {
      if (set.name !== 'instance_attributes') continue;
      for (const nv of set.children) {
        const name = nv.attrs['name'];
        const value = nv.attrs['value'];
        if (nv.name !== 'nvpair' || name === undefined || value === undefined) continue;
        inherited ??= {};
        if (!(name in inherited)) inherited[name] = value;
      }
    }
  }
  if (inherited) p.params = { ...inherited, ...p.params };
}

/**
 * Apply each failure's on-fail policy: a failed stop leaves the resource
 * possibly active, so its node must be fenced (or the resource blocked);
 * other policies stop the resource, block it, put the node in standby,
 * fence it, or only demote.
 */
function markStopFailures(ws: WorkingSet): void {
  for (const p of ws.primitives) {
    if (p.runningOn.length > 1 && p.managed && !(p.parent?.variant === 'clone' || p.parent?.parent?.variant === 'clone')) {
      const policy = p.meta['multiple-active'] ?? 'stop_start';
      if (policy === 'block') {
        p.blocked = true;
        p.managed = false;
      } else if (policy === 'stop_only') {
        p.targetRole = 'Stopped';
        p.stopReason = 'node availability';
      }
    }
    for (const [nodeName, h] of p.history) {
      const node = ws.nodeByName.get(nodeName);
      if (!node) continue;
      if (h.stopFailed) {
        if (h.onFail === 'fence' && ws.options.fencingEnabled) {
          node.unclean = true;
          node.fenceReason ??= `${p.id} failed there`;
        } else if (node.unclean && ws.options.fencingEnabled && (ws.haveQuorum || ws.options.noQuorumPolicy === 'ignore' || node.online)) {
          // The node is being fenced anyway: that stops the resource for sure.
        } else {
          p.blocked = true;
          p.managed = false;
        }
        continue;
      }
      if (!h.failed || h.role === 'Stopped') continue;
      switch (h.onFail) {
        case 'stop':
          p.targetRole = 'Stopped';
          p.stopReason = 'node availability';
          break;
        case 'block':
          p.blocked = true;
          p.managed = false;
          break;
        case 'standby':
          node.standby = true;
          break;
        case 'fence':
          if (ws.options.fencingEnabled) {
            node.unclean = true;
            node.fenceReason ??= `${p.id} failed there`;
          }
          break;
        case 'demote':
          if (h.role === 'Promoted') {
            h.failed = false;
            const clone = p.parent?.variant === 'clone' ? p.parent : p.parent?.parent;
            (clone ?? p).promotedScores.set(nodeName, -1_000_000);
          }
          break;
        default:
          break;
      }
    }
  }
}

function applyConstraints(ws: WorkingSet): void {
  const tickets = readTickets(ws.cib);
  for (const c of ws.cib.configuration.constraints) {
    if (c.kind === 'rsc_location') applyLocation(c, ws);
    else if (c.kind === 'rsc_colocation') applyColocation(c, ws);
    else if (c.kind === 'rsc_ticket') applyTicket(c, ws, tickets);
  }
  applyNodeHealth(ws);
}

/** no-quorum-policy=fence (or suicide): without quorum, every node of this partition is fenced. */
function fenceInquoratePartition(ws: WorkingSet): void {
  if (ws.haveQuorum || !ws.options.fencingEnabled) return;
  if (ws.options.noQuorumPolicy !== 'fence' && ws.options.noQuorumPolicy !== 'suicide') return;
  for (const node of ws.nodes) {
    if (!node.online) continue;
    node.unclean = true;
    node.fenceReason ??= 'cluster does not have quorum';
  }
}

function applyQuorumPolicy(ws: WorkingSet): void {
  if (ws.haveQuorum || ws.options.noQuorumPolicy === 'ignore') return;
  for (const p of ws.primitives) {
    if (!p.managed) continue;
    if (p.runningOn.length === 0) continue;
    // Where its node is being fenced, it stops for that reason anyway.
    if (p.runningOn.every((n) => n.unclean)) continue;
    const policy = ws.options.noQuorumPolicy;
    if (policy === 'freeze') {
      p.assigned = p.runningOn[0]!;
      p.nextRole = p.history.get(p.assigned.name)?.role ?? 'Started';
      continue;
    }
    const clone = p.parent?.variant === 'clone' ? p.parent : p.parent?.parent;
    if (policy === 'demote' && clone?.variant === 'clone' && clone.promotable) {
      // demote: promotable resources stay, demoted; everything else stops.
      if (p.nextRole === 'Promoted') p.nextRole = 'Unpromoted';
      continue;
    }
    // stop: what requires nothing keeps running without quorum.
    if (policy !== 'demote' && p.meta['requires'] === 'nothing') continue;
    p.assigned = null;
    p.nextRole = 'Stopped';
    p.stopReason = 'no quorum';
  }
}

function fenceableNodes(ws: WorkingSet): SchedNode[] {
  if (!ws.options.fencingEnabled) return [];
  // Without quorum only members of this partition may be fenced: a node we
  // cannot see may be running in the partition that has quorum.
  if (!ws.haveQuorum && ws.options.noQuorumPolicy !== 'ignore') return ws.nodes.filter((n) => n.unclean && n.online);
  return ws.nodes.filter((n) => n.unclean);
}

function buildActions(ws: WorkingSet): ActionSet {
  const b = new ActionBuilder(ws);
  const fenced = new Set<string>();
  const fences = fenceableNodes(ws).map((node) => {
    fenced.add(node.name);
    return b.add({ task: 'stonith', node, required: true, reason: node.fenceReason ?? 'node is unclean', meta: { action: ws.options.fencingAction === 'reboot' ? 'reboot' : 'off' } });
  });
  const orders: ResourceOrder[] = [];
  for (const c of ws.cib.configuration.constraints) if (c.kind === 'rsc_order') collectOrder(c, ws, orders);
  markUnmigrateable(ws, orders);
  for (const p of ws.primitives) createPrimitiveActions(p, b, ws, fenced);
  const noQuorumBlocks = !ws.haveQuorum && ws.options.noQuorumPolicy !== 'ignore';
  // With unclean nodes not yet fenced, nothing they might run can start elsewhere.
  const unfenced = ws.nodes.filter((n) => n.unclean && !fenced.has(n.name));
  for (const a of b.actions) {
    if (a.task !== 'start' && a.task !== 'promote') continue;
    const p = a.rsc?.variant === 'primitive' ? a.rsc : undefined;
    if (!p || !a.node) continue;
    // Only requires=nothing lets a resource start without quorum.
    if (noQuorumBlocks && !p.runningOn.includes(a.node) && p.meta['requires'] !== 'nothing') {
      a.runnable = false;
      a.reason = 'no quorum';
    }
    if (unfenced.length > 0 && p.className !== 'stonith' && p.runningOn.some((n) => unfenced.includes(n))) {
      a.runnable = false;
      a.reason ??= 'unfenced node';
    }
  }
  for (const fence of fences) {
    for (const a of b.actions) {
      if (a.node === fence.node && (a.task === 'stop' || a.task === 'demote')) b.order(fence, a, {});
    }
  }
  for (const p of ws.primitives) orderPrimitiveLifecycle(p, b);
  for (const r of ws.resources) orderMembers(r, b);
  inhibitInterleaved(orders);
  for (const o of orders) applyResourceOrder(o, b);
  blockPromotionWithPrimary(ws, b);
  addProbes(ws, b);
  const set = b.result();
  propagate(set, ws);
  return set;
}

function orderMembers(r: Rsc, b: ActionBuilder): void {
  if (r.variant === 'group') orderGroupMembers(r.children, b);
  if (r.variant === 'clone') for (const inst of r.instances) if (inst.variant === 'group') orderGroupMembers(inst.children, b);
}

/** Probe (one-shot monitor) each resource on each online node that has no record of it. */
function addProbes(ws: WorkingSet, b: ActionBuilder): void {
  for (const r of ws.resources) {
    for (const p of allPrimitivesOf(r)) {
      if (!p.managed || p.orphan) continue;
      for (const node of ws.nodes) {
        if (node.pending && !p.history.has(node.name) && !node.unclean) {
          // A node still joining cannot be probed yet; until it is, nothing
          // knows the resource is not already running there.
          for (const a of b.of(p, 'start')) {
            if (!a.node || !a.runnable || p.runningOn.includes(a.node)) continue;
            a.runnable = false;
            a.reason = PROBE_PENDING;
          }
        }
        if (!node.online || node.pending) continue;
        if (p.history.has(node.name)) continue;
        const clone = p.parent?.variant === 'clone' ? p.parent : p.parent?.parent;
        if (clone?.variant === 'clone') {
          if (clone.discovery.has(`known:${node.name}`)) continue;
          if (p.instance !== undefined && p.instance > 0 && !clone.unique) continue;
        }
        const mode = r.discovery.get(node.name) ?? p.discovery.get(node.name);
        if (mode === 'never') continue;
        const probe = b.add({ rsc: p, task: 'monitor', node, intervalMs: 0, required: true });
        for (const a of b.of(p, 'start')) b.order(probe, a, {});
      }
    }
  }
}
