import { INFINITY } from '@vigil/cib';
import { addScore, scoreOf } from './options.js';
import {
  canRunResources,
  type CloneRsc,
  type ColocationEdge,
  type GroupRsc,
  type PrimitiveRsc,
  type Rsc,
  type SchedNode,
  type WorkingSet,
} from './working-set.js';

type Weights = Map<string, number>;

/** Where each score came from, recorded only when someone asks (`vigil why`, --show-scores). */
export interface ScoreTrace {
  record(rsc: string, node: string, score: number): void;
}

/**
 * Assign every resource to a node (or to none), highest priority first,
 * colocation primaries before their dependents.
 */
export function assignResources(ws: WorkingSet, trace?: ScoreTrace): void {
  const utilization = ws.options.placementStrategy !== 'default';
  const order = ws.resources
    .map((r, i) => ({ r, i, ...(utilization ? assignmentScores(r, ws) : { current: undefined, best: 0 }) }))
    .sort(
      (a, b) =>
        b.r.priority - a.r.priority ||
        // With a placement strategy, what is active (and most attached to where
        // it is) claims capacity first, then what most wants its best node.
        (a.current !== undefined && b.current !== undefined ? b.current - a.current : 0) ||
        (utilization ? Number(b.current !== undefined) - Number(a.current !== undefined) : 0) ||
        b.best - a.best ||
        a.i - b.i,
    )
    .map((x) => x.r);
  const ctx: AssignContext = { ws, ...(trace ? { trace } : {}) };
  for (const r of order) assign(r, ctx);
}

/** A resource's score on its current node (if active) and on its best node, before any placement. */
function assignmentScores(r: Rsc, ws: WorkingSet): { current: number | undefined; best: number } {
  const prims = r.variant === 'primitive' ? [r] : r.variant === 'group' ? r.children : [];
  if (prims.length === 0) return { current: undefined, best: 0 };
  const total = new Map<string, number>();
  for (const p of prims) for (const [n, v] of primitiveWeights(p, ws)) total.set(n, addScore(total.get(n) ?? 0, v));
  // A node that could never hold it (even empty) does not count as a place for it.
  const own = ownUtilization(r, ws);
  for (const node of ws.nodes) {
    if (Object.entries(own).some(([k, v]) => v > 0 && v > (node.utilization[k] ?? 0))) total.set(node.name, -INFINITY);
  }
  const cur = prims[0]!.runningOn[0];
  let best = -INFINITY;
  for (const v of total.values()) best = Math.max(best, v);
  return { current: cur ? total.get(cur.name) ?? 0 : undefined, best };
}

interface AssignContext {
  readonly ws: WorkingSet;
  readonly trace?: ScoreTrace;
}

function assign(r: Rsc, ctx: AssignContext): void {
  if (r.assignedDone || r.assigning) return;
  r.assigning = true;
  switch (r.variant) {
    case 'primitive':
      assignPrimitive(r, ctx);
      break;
    case 'group':
      assignGroup(r, ctx);
      break;
    case 'clone':
      assignClone(r, ctx);
      break;
    case 'bundle':
      break;
  }
  r.assigning = false;
  r.assignedDone = true;
}

// ------------------------------------------------------------ weights

/** Configured preferences along the parent chain; asymmetric clusters start at -INFINITY. */
function baseWeights(r: Rsc, ws: WorkingSet): Weights {
  const w: Weights = new Map();
  for (const node of ws.nodes) {
    let s: number | undefined = ws.options.symmetricCluster ? 0 : undefined;
    for (let x: Rsc | undefined = r; x; x = x.parent) {
      const v = x.allowed.get(node.name);
      if (v !== undefined) s = s === undefined ? v : addScore(s, v);
    }
    w.set(node.name, s ?? -INFINITY);
  }
  return w;
}

/** A primitive's own view: configured scores, stickiness, and bans from failures. */
function primitiveWeights(p: PrimitiveRsc, ws: WorkingSet): Weights {
  const w = baseWeights(p, ws);
  const fatal = [...p.history.values()].some((h) => h.fatal);
  for (const node of ws.nodes) {
    let s = w.get(node.name)!;
    const h = p.history.get(node.name);
    const fails = p.failCount.get(node.name) ?? 0;
    if (fatal || !canRunResources(node) || h?.banned || (p.migrationThreshold > 0 && fails >= p.migrationThreshold)) {
      s = -INFINITY;
    }
    w.set(node.name, s);
  }
  if (p.runningOn.length === 1 && p.stickiness !== 0) {
    const cur = p.runningOn[0]!.name;
    const h = p.history.get(cur);
    if (!h?.failed || p.stickiness < 0 || true) w.set(cur, addScore(w.get(cur)!, p.stickiness));
  }
  return w;
}

function groupWeights(g: GroupRsc, ctx: AssignContext): Weights {
  // Each member is colocated with the one before it, so the members'
  // preferences flow towards the first member, later ones first.
  let acc: Weights | undefined;
  for (let i = g.children.length - 1; i >= 0; i--) {
    const child = g.children[i]!;
    let cw = primitiveWeights(child, ctx.ws);
    cw = applyAsDependent(child, cw, ctx);
    acc = acc === undefined ? cw : mergeInfluence(cw, acc, 1, ctx.ws);
  }
  return acc ?? baseWeights(g, ctx.ws);
}

function available(ws: WorkingSet, w: Weights): boolean {
  for (const node of ws.nodes) if ((w.get(node.name) ?? -INFINITY) >= 0 && canRunResources(node)) return true;
  return false;
}

/** Add a dependent's preferences, scaled by the colocation score, unless that would leave nowhere to run. */
function mergeInfluence(w: Weights, dependent: Weights, factor: number, ws: WorkingSet): Weights {
  const out: Weights = new Map(w);
  for (const [node, v] of dependent) {
    const cur = out.get(node) ?? 0;
    let add: number;
    if (factor > 0) {
      add = v <= -INFINITY ? -INFINITY : v >= INFINITY ? (factor >= 1 ? INFINITY : Math.round(INFINITY * factor)) : Math.round(v * factor);
    } else {
      add = v >= INFINITY ? (factor <= -1 ? -INFINITY : Math.round(INFINITY * factor)) : v <= -INFINITY ? 0 : Math.round(v * factor);
    }
    if (factor < 1 && factor > 0 && add <= -INFINITY) add = v <= -INFINITY ? 0 : add;
    out.set(node, addScore(cur, add));
  }
  return available(ws, out) ? out : w;
}

/**
 * With node-attribute colocation, a dependent's preference for a node
 * counts for every node with the same attribute value: the best score
 * among them.
 */
function byAttribute(w: Weights, attr: string, ws: WorkingSet): Weights {
  const best = new Map<string, number>();
  for (const node of ws.nodes) {
    const v = node.attrs[attr];
    if (v === undefined) continue;
    const s = w.get(node.name) ?? -INFINITY;
    best.set(v, Math.max(best.get(v) ?? -INFINITY, s));
  }
  const out: Weights = new Map();
  for (const node of ws.nodes) {
    const v = node.attrs[attr];
    out.set(node.name, v === undefined ? -INFINITY : best.get(v)!);
  }
  return out;
}

function dependentWeights(r: Rsc, ctx: AssignContext, visiting: Set<Rsc>): Weights | undefined {
  if (visiting.has(r)) return undefined;
  visiting.add(r);
  let w: Weights;
  switch (r.variant) {
    case 'primitive':
      w = primitiveWeights(r, ctx.ws);
      break;
    case 'group':
      w = groupWeights(r, ctx);
      break;
    case 'clone':
      w = baseWeights(r, ctx.ws);
      break;
    default:
      return undefined;
  }
  // Where it must be because of primaries already placed counts too.
  for (const edge of r.colocationsAsDependent) {
    if (!edge.primary.assignedDone || edge.dependentRole === 'Promoted' || Math.abs(edge.score) < INFINITY) continue;
    w = new Map(w);
    applyEdge(edge, w, ctx.ws);
  }
  return mergeDependents(r, w, ctx, visiting);
}

function mergeDependents(r: Rsc, w: Weights, ctx: AssignContext, visiting: Set<Rsc>): Weights {
  let out = w;
  for (const edge of r.colocationsAsPrimary) {
    if (!edge.influence || edge.dependent.assignedDone || edge.dependentRole === 'Promoted' || edge.primaryRole === 'Promoted') continue;
    if (r.variant === 'clone' && edge.dependent.variant !== 'clone') continue;
    let dw = dependentWeights(edge.dependent, ctx, visiting);
    if (!dw) continue;
    if (edge.nodeAttribute !== '#uname') dw = byAttribute(dw, edge.nodeAttribute, ctx.ws);
    const factor = edge.score / INFINITY;
    out = mergeInfluence(out, dw, factor, ctx.ws);
  }
  return out;
}

// ------------------------------------------------------------ colocations

/** Nodes where a primary is (to be) active, in the given role if any. */
export function primaryNodes(primary: Rsc, role: string | undefined): SchedNode[] {
  switch (primary.variant) {
    case 'primitive':
      if (!primary.assigned) return [];
      if (role === 'Promoted' && primary.nextRole !== 'Promoted') return [];
      if (role === 'Unpromoted' && primary.nextRole !== 'Unpromoted') return [];
      return [primary.assigned];
    case 'group': {
      const first = primary.children[0];
      if (!first?.assigned) return [];
      // A group is somewhere only as a whole.
      if (primary.children.some((c) => c.managed && c.assigned !== first.assigned)) return [];
      if (role === 'Promoted' || role === 'Unpromoted') {
        return first.nextRole === role ? [first.assigned] : [];
      }
      return [first.assigned];
    }
    case 'clone': {
      const nodes: SchedNode[] = [];
      for (const inst of primary.instances) {
        const lead = inst.variant === 'primitive' ? inst : inst.children[0];
        if (!lead?.assigned) continue;
        if (inst.variant === 'group' && inst.children.some((c) => c.managed && c.assigned !== lead.assigned)) continue;
        // A failed instance left where it is (blocked) is nothing to run with.
        if (!lead.managed && lead.history.get(lead.assigned.name)?.failed) continue;
        if (role === 'Promoted' && lead.nextRole !== 'Promoted') continue;
        if (role === 'Unpromoted' && lead.nextRole !== 'Unpromoted') continue;
        nodes.push(lead.assigned);
      }
      return nodes;
    }
    default:
      return [];
  }
}

function matchesAny(node: SchedNode, targets: SchedNode[], attr: string): boolean {
  const v = node.attrs[attr];
  if (v === undefined) return false;
  return targets.some((t) => t.attrs[attr] === v);
}

/** Apply "this with primary" colocations: primaries are assigned first. */
function applyAsDependent(r: Rsc, w: Weights, ctx: AssignContext): Weights {
  let out = new Map(w);
  for (const edge of r.colocationsAsDependent) {
    if (edge.dependentRole === 'Promoted') continue;
    assign(edge.primary, ctx);
    const before = Math.abs(edge.score) < INFINITY ? new Map(out) : undefined;
    applyEdge(edge, out, ctx.ws);
    // An optional colocation never leaves a resource with nowhere to run.
    if (before && !available(ctx.ws, out) && available(ctx.ws, before)) out = before;
  }
  return out;
}

function applyEdge(edge: ColocationEdge, w: Weights, ws: WorkingSet): void {
  if (edge.primary.assigning && !edge.primary.assignedDone) return;
  const targets = primaryNodes(edge.primary, edge.primaryRole);
  for (const node of ws.nodes) {
    const m = matchesAny(node, targets, edge.nodeAttribute);
    const cur = w.get(node.name) ?? 0;
    if (edge.score >= INFINITY) {
      if (!m) w.set(node.name, -INFINITY);
    } else if (edge.score <= -INFINITY) {
      if (m) w.set(node.name, -INFINITY);
    } else if (m) {
      w.set(node.name, addScore(cur, edge.score));
    }
  }
}

// ------------------------------------------------------------ choosing

type Utilization = Record<string, number>;

function addUtil(into: Utilization, more: Utilization): void {
  for (const [k, v] of Object.entries(more)) into[k] = (into[k] ?? 0) + v;
}

/** Whether a node has room for `need` on top of what is already placed there. */
function fitsOn(node: SchedNode, need: Utilization, ws: WorkingSet): boolean {
  if (ws.options.placementStrategy === 'default') return true;
  for (const [k, v] of Object.entries(need)) {
    if (v <= 0) continue;
    if ((node.used[k] ?? 0) + v > (node.utilization[k] ?? 0)) return false;
  }
  return true;
}

function primitiveUtilization(p: PrimitiveRsc, ws: WorkingSet): Utilization {
  const out: Utilization = {};
  for (const set of p.def.utilization) {
    for (const nv of set.nvpairs) {
      if (nv.value === undefined || out[nv.name] !== undefined) continue;
      out[nv.name] = scoreOf(nv.value, 0);
    }
  }
  return out;
}

/** What a resource itself uses: a group or clone instance sums its primitives. */
function ownUtilization(r: Rsc, ws: WorkingSet): Utilization {
  const out: Utilization = {};
  switch (r.variant) {
    case 'primitive':
      addUtil(out, primitiveUtilization(r, ws));
      break;
    case 'group':
      for (const c of r.children) if (!c.assignedDone) addUtil(out, primitiveUtilization(c, ws));
      break;
    case 'clone': {
      const inst = r.instances[0];
      if (inst) addUtil(out, ownUtilization(inst, ws));
      break;
    }
    default:
      break;
  }
  return out;
}

/**
 * The capacity a node needs to take a resource: its own utilization plus
 * that of everything not yet placed that must run with it (mandatory
 * colocations, followed through non-clone dependents), so that a primary
 * is not put where its dependents cannot follow.
 */
function neededUtilization(r: Rsc, ws: WorkingSet, seen = new Set<Rsc>()): Utilization {
  seen.add(r);
  const out = ownUtilization(r, ws);
  if (ws.options.placementStrategy === 'default') return out;
  const primaries = r.parent?.variant === 'clone' ? [r, r.parent] : [r];
  for (const primary of primaries) {
    for (const edge of primary.colocationsAsPrimary) {
      const dep = edge.dependent;
      if (edge.score < INFINITY || dep.assignedDone || dep.assigning || seen.has(dep) || edge.dependentRole || edge.primaryRole) continue;
      // A clone instance makes room for the instance of a colocated clone, not for
      // a single resource that will go with only one of the instances.
      if (primary.variant === 'clone' && dep.variant !== 'clone') continue;
      seen.add(dep);
      addUtil(out, dep.variant === 'clone' ? ownUtilization(dep, ws) : neededUtilization(dep, ws, seen));
    }
  }
  return out;
}

/** Placement-strategy=balanced: which node has more free capacity (by count of attributes where it has more). */
function freeCapacityOrder(a: SchedNode, b: SchedNode): number {
  let aMore = 0;
  let bMore = 0;
  const names = new Set([...Object.keys(a.utilization), ...Object.keys(b.utilization)]);
  for (const k of names) {
    const fa = (a.utilization[k] ?? 0) - (a.used[k] ?? 0);
    const fb = (b.utilization[k] ?? 0) - (b.used[k] ?? 0);
    if (fa > fb) aMore++;
    else if (fb > fa) bMore++;
  }
  return aMore - bMore;
}

function pickNode(w: Weights, current: SchedNode[], ws: WorkingSet, fits: (n: SchedNode) => boolean): SchedNode | null {
  let best: SchedNode | null = null;
  let bestScore = -INFINITY;
  for (const node of ws.nodes) {
    const s = w.get(node.name) ?? -INFINITY;
    if (s < 0 || s <= -INFINITY || !canRunResources(node) || !fits(node)) continue;
    if (best === null || better(node, s, best, bestScore, current, ws)) {
      best = node;
      bestScore = s;
    }
  }
  return best;
}

function better(a: SchedNode, as: number, b: SchedNode, bs: number, current: SchedNode[], ws: WorkingSet): boolean {
  if (as !== bs) return as > bs;
  // Equal scores: balance first (free capacity, then count), then stay put, then CIB order.
  if (ws.options.placementStrategy === 'balanced') {
    const free = freeCapacityOrder(a, b);
    if (free !== 0) return free > 0;
  }
  if (ws.options.placementStrategy !== 'minimal' && a.assignedCount !== b.assignedCount) return a.assignedCount < b.assignedCount;
  const ac = current.includes(a);
  const bc = current.includes(b);
  if (ac !== bc) return ac;
  return a.name < b.name;
}

function take(p: PrimitiveRsc, node: SchedNode | null, ws: WorkingSet): void {
  p.assigned = node;
  if (node) {
    node.assignedCount++;
    for (const [k, v] of Object.entries(primitiveUtilization(p, ws))) node.used[k] = (node.used[k] ?? 0) + v;
  }
}

/**
 * Meta attributes are inherited with the child's own value winning, so a
 * resource's target-role already is the one that applies to it: a member
 * that says Started runs even in a collective that says Stopped.
 */
function wantsToRun(r: Rsc): boolean {
  return r.targetRole !== 'Stopped';
}

// ------------------------------------------------------------ variants

function assignPrimitive(p: PrimitiveRsc, ctx: AssignContext): void {
  const ws = ctx.ws;
  if (!p.managed) {
    // Unmanaged resources stay exactly where they are.
    take(p, p.runningOn[0] ?? null, ws);
    p.nextRole = p.runningOn.length ? (p.history.get(p.runningOn[0]!.name)?.role ?? 'Started') : 'Stopped';
    return;
  }
  if (p.orphan || !wantsToRun(p)) {
    take(p, null, ws);
    p.nextRole = 'Stopped';
    if (p.orphan) p.stopReason = 'node availability';
    else if (p.stopReason !== 'node availability') delete p.stopReason;
    return;
  }
  let w = primitiveWeights(p, ws);
  w = applyAsDependent(p, w, ctx);
  w = mergeDependents(p, w, ctx, new Set([p]));
  // Room for what must follow it too if possible, else for itself alone.
  const need = neededUtilization(p, ws);
  const own = ownUtilization(p, ws);
  const node = pickNode(w, p.runningOn, ws, (n) => fitsOn(n, need, ws)) ?? pickNode(w, p.runningOn, ws, (n) => fitsOn(n, own, ws));
  take(p, node, ws);
  ctx.trace && w.forEach((s, n) => ctx.trace!.record(p.id, n, s));
  p.nextRole = node ? 'Started' : 'Stopped';
  if (!node) p.stopReason = 'node availability';
}

function assignGroup(g: GroupRsc, ctx: AssignContext): void {
  const ws = ctx.ws;
  if (!wantsToRun(g) || g.children.length === 0) {
    for (const c of g.children) {
      if (!c.managed) assignPrimitive(c, ctx);
      else {
        take(c, null, ws);
        c.nextRole = 'Stopped';
      }
      c.assignedDone = true;
    }
    return;
  }
  let w = groupWeights(g, ctx);
  w = applyAsDependent(g, w, ctx);
  w = mergeDependents(g, w, ctx, new Set([g]));
  const current = g.children[0]?.runningOn ?? [];
  const need = neededUtilization(g, ws);
  const own = ownUtilization(g, ws);
  const node = pickNode(w, current, ws, (n) => fitsOn(n, need, ws)) ?? pickNode(w, current, ws, (n) => fitsOn(n, own, ws));
  ctx.trace && w.forEach((s, n) => ctx.trace!.record(g.id, n, s));
  let blocked = node === null;
  for (const c of g.children) {
    c.assignedDone = true;
    if (!c.managed) {
      assignPrimitive(c, ctx);
      // An unmanaged member that is not running holds back the members after it.
      if (c.assigned === null) blocked = true;
      continue;
    }
    if (blocked || !wantsToRun(c)) {
      take(c, null, ws);
      c.nextRole = 'Stopped';
      c.stopReason = 'node availability';
      blocked = true;
      continue;
    }
    const own = applyAsDependent(c, primitiveWeights(c, ws), ctx);
    const s = own.get(node!.name) ?? -INFINITY;
    if (s <= -INFINITY || s < 0 && s <= -INFINITY) {
      take(c, null, ws);
      c.nextRole = 'Stopped';
      c.stopReason = 'node availability';
      blocked = true;
      continue;
    }
    take(c, node, ws);
    c.nextRole = 'Started';
  }
}

function leadOf(inst: PrimitiveRsc | GroupRsc): PrimitiveRsc | undefined {
  return inst.variant === 'primitive' ? inst : inst.children[0];
}

function instanceWeights(inst: PrimitiveRsc | GroupRsc, ctx: AssignContext): Weights {
  return inst.variant === 'primitive' ? primitiveWeights(inst, ctx.ws) : groupWeights(inst, ctx);
}

function assignClone(c: CloneRsc, ctx: AssignContext): void {
  const ws = ctx.ws;
  // The clone's own colocations restrict where any instance may go.
  const mask = applyAsDependent(c, new Map(ws.nodes.map((n) => [n.name, 0])), ctx);
  const perNode = new Map<string, number>();
  const placeable = c.instances.filter((i) => !i.orphan).slice(0, c.cloneMax);
  const running = placeable.filter((i) => (leadOf(i)?.runningOn.length ?? 0) > 0);
  const stopped = placeable.filter((i) => (leadOf(i)?.runningOn.length ?? 0) === 0);
  const weightsOf = new Map<PrimitiveRsc | GroupRsc, Weights>();
  // What must run with the promoted instance pulls instances toward where it prefers to be.
  const promotedPull = promotedDependentPull(c, ctx);
  for (const inst of placeable) {
    const w = instanceWeights(inst, ctx);
    for (const [n, s] of mask) w.set(n, addScore(w.get(n) ?? 0, s));
    for (const [n, s] of promotedPull) w.set(n, addScore(w.get(n) ?? 0, s));
    weightsOf.set(inst, w);
  }
  const placed = new Map<PrimitiveRsc | GroupRsc, SchedNode | null>();
  // Utilization of instances placed in this pass but not yet taken.
  const pendingUse = new Map<SchedNode, Utilization>();
  const needOf = new Map<PrimitiveRsc | GroupRsc, Utilization>();
  const fits = (node: SchedNode, inst: PrimitiveRsc | GroupRsc): boolean => {
    if (ws.options.placementStrategy === 'default') return true;
    let need = needOf.get(inst);
    if (!need) needOf.set(inst, (need = neededUtilization(inst, ws)));
    const pend = pendingUse.get(node) ?? {};
    for (const [k, v] of Object.entries(need)) {
      if (v > 0 && (node.used[k] ?? 0) + (pend[k] ?? 0) + v > (node.utilization[k] ?? 0)) return false;
    }
    return true;
  };
  const reserve = (node: SchedNode, inst: PrimitiveRsc | GroupRsc): void => {
    if (ws.options.placementStrategy === 'default') return;
    let pend = pendingUse.get(node);
    if (!pend) pendingUse.set(node, (pend = {}));
    addUtil(pend, ownUtilization(inst, ws));
  };
  const canUse = (node: SchedNode, w: Weights, inst: PrimitiveRsc | GroupRsc): boolean =>
    canRunResources(node) && (w.get(node.name) ?? -INFINITY) >= 0 && (perNode.get(node.name) ?? 0) < c.cloneNodeMax && fits(node, inst);

  const availableNodes = ws.nodes.filter((n) => canRunResources(n)).length || 1;
  const toPlace = Math.min(c.cloneMax, availableNodes * c.cloneNodeMax);
  const fairShare = Math.max(1, Math.ceil(toPlace / availableNodes));
  // Instances stay where they run, but no node keeps more than its fair
  // share while others could take some (the rest are placed below).
  for (const inst of running) {
    const lead = leadOf(inst)!;
    const cur = lead.runningOn[0]!;
    const w = weightsOf.get(inst)!;
    if ((perNode.get(cur.name) ?? 0) >= fairShare) continue;
    if (wantsToRun(inst) && lead.runningOn.length === 1 && canUse(cur, w, inst)) {
      placed.set(inst, cur);
      reserve(cur, inst);
      perNode.set(cur.name, (perNode.get(cur.name) ?? 0) + 1);
    }
  }
  const pending = [...running.filter((i) => !placed.has(i)), ...stopped];
  let count = placed.size;
  for (const pass of [Math.min(fairShare, c.cloneNodeMax), c.cloneNodeMax]) {
    for (const inst of pending) {
      if (placed.has(inst) || count >= toPlace || !wantsToRun(inst)) continue;
      const w = weightsOf.get(inst)!;
      const lead = leadOf(inst);
      let best: SchedNode | null = null;
      let bestScore = -INFINITY;
      for (const node of ws.nodes) {
        if (!canUse(node, w, inst) || (perNode.get(node.name) ?? 0) >= pass) continue;
        const s = w.get(node.name)!;
        const fewer = best !== null && s === bestScore && (perNode.get(node.name) ?? 0) !== (perNode.get(best.name) ?? 0);
        if (fewer ? (perNode.get(node.name) ?? 0) < (perNode.get(best!.name) ?? 0) : best === null || better(node, s, best, bestScore, lead?.runningOn ?? [], ws)) {
          best = node;
          bestScore = s;
        }
      }
      if (best) {
        placed.set(inst, best);
        reserve(best, inst);
        perNode.set(best.name, (perNode.get(best.name) ?? 0) + 1);
        count++;
      }
    }
  }
  for (const inst of c.instances) {
    const node = placed.get(inst) ?? null;
    const members = inst.variant === 'primitive' ? [inst] : inst.children;
    let blocked = node === null;
    for (const m of members) {
      m.assignedDone = true;
      if (!m.managed) {
        take(m, m.runningOn[0] ?? null, ws);
        m.nextRole = m.runningOn.length ? (m.history.get(m.runningOn[0]!.name)?.role ?? 'Started') : 'Stopped';
        continue;
      }
      if (!blocked && inst.variant === 'group') {
        // A member that may not run there (or is disabled) holds back the members after it.
        const own = primitiveWeights(m, ws).get(node!.name) ?? -INFINITY;
        if (own <= -INFINITY || !wantsToRun(m)) blocked = true;
      }
      take(m, blocked ? null : node, ws);
      m.nextRole = blocked ? 'Stopped' : c.promotable ? 'Unpromoted' : 'Started';
      if (blocked) m.stopReason = 'node availability';
    }
    inst.assignedDone = true;
  }
  if (c.promotable) assignPromotion(c, ctx);
}

/**
 * Preferences of non-clone resources colocated with the promoted role (and
 * of what depends on them), scaled by the colocation score; where they
 * cannot run does not count.
 */
function promotedDependentPull(c: CloneRsc, ctx: AssignContext): Weights {
  const out: Weights = new Map();
  if (!c.promotable) return out;
  for (const edge of c.colocationsAsPrimary) {
    if (edge.primaryRole !== 'Promoted' || !edge.influence || edge.score <= 0 || edge.dependent.variant === 'clone' || edge.dependent.assignedDone) continue;
    const dw = dependentWeights(edge.dependent, ctx, new Set<Rsc>([c]));
    if (!dw) continue;
    for (const [n, v] of dw) {
      if (v <= -INFINITY) continue;
      out.set(n, addScore(out.get(n) ?? 0, Math.round((Math.min(v, INFINITY) * edge.score) / INFINITY)));
    }
  }
  return out;
}

/** Nodes where a resource that must run with the promoted role cannot run. */
function promotedDependentBans(c: CloneRsc, ctx: AssignContext): Set<string> {
  const out = new Set<string>();
  for (const edge of c.colocationsAsPrimary) {
    if (edge.primaryRole !== 'Promoted' || edge.score < INFINITY || edge.dependent.variant === 'clone' || edge.dependent.assignedDone) continue;
    const dw = dependentWeights(edge.dependent, ctx, new Set<Rsc>([c]));
    if (!dw) continue;
    for (const [n, v] of dw) if (v <= -INFINITY) out.add(n);
  }
  return out;
}

/** The promotion score an instance has on its node (crm_master / crm_attribute -p). */
function promotionScore(c: CloneRsc, inst: PrimitiveRsc | GroupRsc, node: SchedNode): number | undefined {
  const members = inst.variant === 'primitive' ? [inst] : inst.children;
  let total: number | undefined;
  for (const m of members) {
    // Anonymous instances are interchangeable: besides the base name, a
    // node may have recorded the score under the instance number its own
    // history uses for the resource.
    const recorded = m.history.get(node.name)?.recordedId;
    const names = c.unique ? [m.id, m.baseId] : [m.baseId, ...(recorded && recorded !== m.id ? [recorded] : []), m.id];
    let v: string | undefined;
    for (const n of names) {
      v = node.attrs[`master-${n}`] ?? node.attrs[`promotion-${n}`];
      if (v !== undefined) break;
    }
    if (v === undefined) continue;
    total = addScore(total ?? 0, scoreOf(v, 0));
  }
  return total;
}

function assignPromotion(c: CloneRsc, ctx: AssignContext): void {
  const ws = ctx.ws;
  const promotedPull = promotedDependentPull(c, ctx);
  const candidates: { inst: PrimitiveRsc | GroupRsc; node: SchedNode; score: number; promotedNow: boolean; index: number }[] = [];
  c.instances.forEach((inst, index) => {
    const lead = leadOf(inst);
    if (!lead?.assigned || !lead.managed) return;
    const node = lead.assigned;
    const promotedNow = lead.history.get(node.name)?.role === 'Promoted';
    let score = promotionScore(c, inst, node);
    const roleScore = c.promotedScores.get(node.name);
    // Promoted-role colocations: the promoted instance goes with (or away from) its primary.
    let coloc: number | undefined;
    for (const edge of c.colocationsAsDependent) {
      if (edge.dependentRole !== 'Promoted') continue;
      assign(edge.primary, ctx);
      const targets = primaryNodes(edge.primary, edge.primaryRole);
      const m = matchesAny(node, targets, edge.nodeAttribute);
      if (edge.score >= INFINITY && !m) coloc = -INFINITY;
      else if (edge.score <= -INFINITY && m) coloc = -INFINITY;
      else if (m) coloc = addScore(coloc ?? 0, edge.score);
    }
    // Without any promotion preference (agent score, Promoted-role location
    // or colocation) an instance is not promoted, unless it already is.
    if (score === undefined && roleScore === undefined && !promotedNow && !(coloc !== undefined && coloc >= INFINITY)) return;
    score ??= 0;
    if (roleScore !== undefined) score = addScore(score, roleScore);
    if (coloc !== undefined) score = addScore(score, coloc);
    // A dependent's preference steers promotion; where it cannot run does not forbid it.
    const pull = promotedPull.get(node.name);
    if (pull !== undefined) score = addScore(score, pull);
    candidates.push({ inst, node, score, promotedNow, index });
  });
  // Where what must run with the promoted instance cannot run, promote only
  // if there is nowhere better (it does not make the node ineligible).
  const shunned = promotedDependentBans(c, ctx);
  const rank = (x: { node: SchedNode }): number => (shunned.has(x.node.name) ? 1 : 0);
  candidates.sort((a, b) => rank(a) - rank(b) || b.score - a.score || Number(b.promotedNow) - Number(a.promotedNow) || a.index - b.index);
  const perNode = new Map<string, number>();
  let promoted = 0;
  // Instances left promoted because they cannot be touched still take a promoted slot.
  for (const inst of c.instances) {
    const lead = leadOf(inst);
    if (!lead || lead.managed || !lead.assigned || lead.nextRole !== 'Promoted') continue;
    promoted++;
    perNode.set(lead.assigned.name, (perNode.get(lead.assigned.name) ?? 0) + 1);
  }
  const wanted = c.targetRole !== 'Unpromoted';
  for (const cand of candidates) {
    if (!wanted || promoted >= c.promotedMax || cand.score < 0) break;
    if ((perNode.get(cand.node.name) ?? 0) >= c.promotedNodeMax) continue;
    perNode.set(cand.node.name, (perNode.get(cand.node.name) ?? 0) + 1);
    promoted++;
    const members = cand.inst.variant === 'primitive' ? [cand.inst] : cand.inst.children;
    for (const m of members) if (m.assigned) m.nextRole = 'Promoted';
  }
}
