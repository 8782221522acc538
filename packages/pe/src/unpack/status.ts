import { INFINITY, type Cib, type LrmResource, type Primitive } from '@vigil/cib';
import { scoreOf } from '../options.js';
import { addCloneInstance, makePrimitive, type ResourceContext } from './resources.js';
import { replayHistory } from './history.js';
import type { CloneRsc, FailedOp, NodeHistory, PrimitiveRsc, Rsc, SchedNode, WorkingSet } from '../working-set.js';
import { ROLE_ORDER } from '../working-set.js';

interface StatusContext {
  readonly ws: Pick<WorkingSet, 'options' | 'nowSec' | 'nodeByName' | 'byId' | 'warnings'>;
  readonly resources: Rsc[];
  readonly primitives: PrimitiveRsc[];
  readonly rctx: ResourceContext;
  readonly failedOps: FailedOp[];
}

function stripInstance(id: string): string {
  const i = id.lastIndexOf(':');
  return i > 0 && /^\d+$/.test(id.slice(i + 1)) ? id.slice(0, i) : id;
}

/**
 * Read every node's operation history into the resources it belongs to:
 * current roles, failures, fail counts, and orphans (history for resources
 * no longer configured).
 */
export function unpackStatus(cib: Cib, sc: StatusContext): void {
  const primitiveById = new Map<string, PrimitiveRsc>();
  const cloneOfChild = new Map<string, CloneRsc>();
  for (const p of sc.primitives) primitiveById.set(p.id, p);
  for (const r of sc.resources) {
    if (r.variant !== 'clone') continue;
    if (r.def.child.kind === 'primitive') cloneOfChild.set(r.def.child.id, r);
    else for (const c of r.def.child.children) cloneOfChild.set(c.id, r);
  }
  // (clone, node) → instance index, so members of a cloned group on one node
  // land in the same instance.
  const cloneNodeInstance = new Map<string, number>();
  const activeInstanceNodes = new Map<string, Set<number>>();

  for (const state of cib.status) {
    const node = (state.uname !== undefined ? sc.ws.nodeByName.get(state.uname) : undefined)
      ?? [...sc.ws.nodeByName.values()].find((n) => n.id === state.id);
    if (!node) continue;
    // A cleanly stopped node runs nothing, whatever its old history says.
    if (!node.online && !node.unclean && !node.pending) continue;
    for (const lrm of state.lrmResources) {
      mapHistory(lrm, node, sc, primitiveById, cloneOfChild, cloneNodeInstance, activeInstanceNodes);
    }
  }

  const failures = indexFailureAttrs(sc.ws.nodeByName.values());
  for (const p of sc.primitives) finishPrimitive(p, sc, failures);
}

function mapHistory(
  lrm: LrmResource,
  node: SchedNode,
  sc: StatusContext,
  primitiveById: Map<string, PrimitiveRsc>,
  cloneOfChild: Map<string, CloneRsc>,
  cloneNodeInstance: Map<string, number>,
  activeInstanceNodes: Map<string, Set<number>>,
): void {
  const exact = primitiveById.get(lrm.id);
  const base = stripInstance(lrm.id);
  const clone = cloneOfChild.get(base);
  let target: PrimitiveRsc | undefined;
  let history: NodeHistory | undefined;
  if (exact && !(clone && !clone.unique)) {
    target = exact;
  } else if (clone) {
    const probe = primitiveById.get(clone.instances[0] && clone.instances[0].variant === 'primitive' ? clone.instances[0].id : `${base}:0`)
      ?? findMember(clone, base, 0);
    const ctxRsc = probe ?? undefined;
    history = replayHistory(lrm, historyCtx(ctxRsc, node, sc, lrm.id), sc.failedOps);
    clone.discovery.set(`known:${node.name}`, 'always');
    const active = history.role !== 'Stopped' || history.failed;
    if (!active && !clone.unique) {
      // An inactive anonymous instance only tells us the node was probed.
      return;
    }
    let idx: number | undefined;
    if (clone.unique) {
      const n = Number(lrm.id.slice(base.length + 1));
      idx = Number.isInteger(n) ? n : undefined;
    } else {
      // One instance per node; a member recorded again (under another
      // number) while the node's instance already has it active is an
      // extra copy: an orphan, under its recorded number when that is free
      // and beyond clone-max.
      const used = activeInstanceNodes.get(clone.id) ?? new Set<number>();
      activeInstanceNodes.set(clone.id, used);
      const nodeKey = `${clone.id}@${node.name}`;
      const existing = cloneNodeInstance.get(nodeKey);
      const taken = existing !== undefined && findMember(clone, base, existing)?.history.has(node.name) === true;
      if (existing !== undefined && !taken) {
        idx = existing;
      } else if (existing !== undefined) {
        // Extra copies recorded under the same number belong together.
        const extraKey = `${nodeKey}#${lrm.id.slice(base.length)}`;
        const extra = cloneNodeInstance.get(extraKey);
        if (extra !== undefined && findMember(clone, base, extra)?.history.has(node.name) !== true) {
          idx = extra;
        } else {
          const wanted = Number(lrm.id.slice(base.length + 1));
          idx = Number.isInteger(wanted) && wanted >= clone.cloneMax && !used.has(wanted) ? wanted : clone.cloneMax;
          while (used.has(idx)) idx++;
          used.add(idx);
          cloneNodeInstance.set(extraKey, idx);
        }
      } else {
        idx = 0;
        while (used.has(idx)) idx++;
        used.add(idx);
        cloneNodeInstance.set(nodeKey, idx);
      }
    }
    if (idx === undefined) return;
    while (clone.instances.length <= idx) {
      const extra = addCloneInstance(clone, clone.instances.length, { ...clone.meta }, sc.rctx);
      extra.orphan = true;
      for (const p of extra.variant === 'primitive' ? [extra] : extra.children) {
        sc.primitives.push(p);
        primitiveById.set(p.id, p);
        sc.ws.byId.set(p.id, p);
      }
    }
    target = findMember(clone, base, idx);
  }
  if (!target) {
    target = makeOrphan(lrm, sc, primitiveById);
  }
  const h = history ?? replayHistory(lrm, historyCtx(target, node, sc, lrm.id), sc.failedOps);
  h.recordedId = lrm.id;
  target.history.set(node.name, h);
}

function findMember(clone: CloneRsc, base: string, idx: number): PrimitiveRsc | undefined {
  const inst = clone.instances[idx];
  if (!inst) return undefined;
  if (inst.variant === 'primitive') return inst;
  return inst.children.find((c) => c.baseId === base);
}

function historyCtx(p: PrimitiveRsc | undefined, node: SchedNode, sc: StatusContext, rscId: string) {
  return {
    options: sc.ws.options,
    nowSec: sc.ws.nowSec,
    failureTimeoutSec: p?.failureTimeoutSec ?? 0,
    ops: p?.ops ?? [],
    node: node.name,
    rscId: p?.id ?? rscId,
  };
}

function makeOrphan(lrm: LrmResource, sc: StatusContext, primitiveById: Map<string, PrimitiveRsc>): PrimitiveRsc {
  const existing = primitiveById.get(lrm.id);
  if (existing) return existing;
  const def: Primitive = {
    kind: 'primitive',
    id: lrm.id,
    class: lrm.class ?? 'ocf',
    ...(lrm.provider !== undefined ? { provider: lrm.provider } : {}),
    type: lrm.type ?? 'unknown',
    metaAttributes: [],
    instanceAttributes: [],
    utilization: [],
    operations: [],
    xml: lrm.xml,
  };
  const p = makePrimitive(def, lrm.id, undefined, sc.rctx, false);
  p.orphan = true;
  sc.primitives.push(p);
  sc.resources.push(p);
  primitiveById.set(p.id, p);
  sc.ws.byId.set(p.id, p);
  return p;
}

/** fail-count-RSC[#op] and last-failure-RSC[#op] node attributes, by resource id. */
interface FailureAttrs {
  /** op: the "#task_interval" part of the attribute name, when there is one. */
  counts: { node: SchedNode; value: string; op?: string }[];
  /** node name → latest last-failure time. */
  last: Map<string, number>;
}

interface FailureIndex {
  readonly byRsc: Map<string, FailureAttrs>;
  /** Base id → the instance ids ("rsc:2") fail counts were recorded under. */
  readonly instanceIds: Map<string, Set<string>>;
}

function indexFailureAttrs(nodes: Iterable<SchedNode>): FailureIndex {
  const out = new Map<string, FailureAttrs>();
  const instanceIds = new Map<string, Set<string>>();
  const entry = (rsc: string): FailureAttrs => {
    let e = out.get(rsc);
    if (!e) out.set(rsc, (e = { counts: [], last: new Map() }));
    return e;
  };
  const rscOf = (rest: string): string => (rest.includes('#') ? rest.slice(0, rest.indexOf('#')) : rest);
  const noteInstance = (rsc: string): void => {
    const base = stripInstance(rsc);
    if (base === rsc) return;
    let set = instanceIds.get(base);
    if (!set) instanceIds.set(base, (set = new Set()));
    set.add(rsc);
  };
  for (const node of nodes) {
    for (const [name, value] of Object.entries(node.attrs)) {
      if (name.startsWith('fail-count-')) {
        const rest = name.slice('fail-count-'.length);
        const hash = rest.indexOf('#');
        entry(rscOf(rest)).counts.push({ node, value, ...(hash >= 0 ? { op: rest.slice(hash + 1) } : {}) });
        noteInstance(rscOf(rest));
      } else if (name.startsWith('last-failure-')) {
        const e = entry(rscOf(name.slice('last-failure-'.length)));
        e.last.set(node.name, Math.max(e.last.get(node.name) ?? 0, Number(value) || 0));
      }
    }
  }
  return { byRsc: out, instanceIds };
}

function isIgnored(p: PrimitiveRsc, opKey: string): boolean {
  const us = opKey.lastIndexOf('_');
  if (us < 0) return false;
  const task = opKey.slice(0, us);
  const interval = Number(opKey.slice(us + 1));
  return p.ops.some((o) => o.name === task && o.intervalMs === interval && o.onFail === 'ignore');
}

function finishPrimitive(p: PrimitiveRsc, sc: StatusContext, failures: FailureIndex): void {
  const clone = p.parent?.variant === 'clone' ? p.parent : p.parent?.parent?.variant === 'clone' ? p.parent.parent : undefined;
  const promotable = clone?.variant === 'clone' && clone.promotable;
  // A failed migrate_to may have left the resource half-started on the
  // target: unless the target knows better since, count it as active there.
  for (const h of p.history.values()) {
    const targetName = h.failedMigrateTarget;
    if (targetName === undefined) continue;
    const th = p.history.get(targetName);
    if (th && th.role === 'Stopped' && (th.lastRcChangeSec ?? 0) <= (h.lastRcChangeSec ?? 0) && sc.ws.nodeByName.get(targetName)?.online) {
      th.role = 'Started';
      // Its state there is unknown: if it stays, it is restarted.
      p.restartOn.add(targetName);
    }
  }
  for (const [nodeName, h] of p.history) {
    if (h.role === 'Started' && promotable) h.role = 'Unpromoted';
    if (h.role === 'Unpromoted' && !promotable) h.role = 'Started';
    // A migration completed on the target (migrate_from succeeded there)
    // leaves only a clean-up stop on the source: it runs on the target.
    const target = h.migrateTarget !== undefined ? p.history.get(h.migrateTarget) : undefined;
    if (target && !h.failed && !target.failed && target.migrateSource === nodeName && ROLE_ORDER[target.role] > ROLE_ORDER.Stopped) {
      const node = sc.ws.nodeByName.get(nodeName);
      if (node) p.migrationLeftovers.push(node);
      h.role = 'Stopped';
      continue;
    }
    // migrate_to done but the target never completed it: the source copy is
    // in an unknown state and is recovered (stopped, started afresh).
    // (A target that is up and has not tried yet may still complete it.)
    if (h.migrateTarget !== undefined && ROLE_ORDER[h.role] > ROLE_ORDER.Stopped && target?.migrateSource !== nodeName) {
      const targetNode = sc.ws.nodeByName.get(h.migrateTarget);
      if (!targetNode?.online || target?.migrateFromFailed) h.failed = true;
    }
    if (ROLE_ORDER[h.role] > ROLE_ORDER.Stopped) {
      const node = sc.ws.nodeByName.get(nodeName);
      if (node) p.runningOn.push(node);
    }
  }
  // Fail counts live in transient node attributes, one per operation.
  const totals = new Map<SchedNode, number>();
  // Anonymous instances are interchangeable: their fail counts, recorded
  // under whichever instance number the node used, all belong to the node.
  const anonymous = clone?.variant === 'clone' && !clone.unique;
  const names = anonymous ? [p.baseId, ...(failures.instanceIds.get(p.baseId) ?? [])] : p.id === p.baseId ? [p.id] : [p.id, p.baseId];
  for (const rsc of names) {
    const f = failures.byRsc.get(rsc);
    if (!f) continue;
    for (const { node, value, op } of f.counts) {
      // Failures of an operation with on-fail=ignore do not count.
      if (op !== undefined && isIgnored(p, op)) continue;
      const last = f.last.get(node.name) ?? 0;
      if (p.failureTimeoutSec > 0 && last > 0 && last + p.failureTimeoutSec <= sc.ws.nowSec) continue;
      totals.set(node, Math.min(INFINITY, (totals.get(node) ?? 0) + Math.max(0, scoreOf(value, 0))));
    }
  }
  for (const [node, total] of totals) if (total > 0) p.failCount.set(node.name, total);
}
