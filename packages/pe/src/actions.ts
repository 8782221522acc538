import type { Operation } from '@vigil/cib';
import { parseDurationMs } from '@vigil/cib';
import type { ResourceOrder } from './constraints/ordering.js';
import {
  ROLE_ORDER,
  allPrimitivesOf,
  type CloneRsc,
  type GroupRsc,
  type PrimitiveRsc,
  type Rsc,
  type SchedNode,
  type WorkingSet,
} from './working-set.js';

export type ActionTask =
  | 'start'
  | 'stop'
  | 'promote'
  | 'demote'
  | 'monitor'
  | 'migrate_to'
  | 'migrate_from'
  | 'reload-agent'
  | 'stonith'
  | 'do_shutdown'
  | 'running'
  | 'stopped'
  | 'promoted'
  | 'demoted';

export interface Action {
  readonly id: number;
  /** The primitive acted on, or the group/clone for its pseudo actions. */
  readonly rsc?: Rsc;
  readonly task: ActionTask;
  readonly node?: SchedNode;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** Pseudo actions are bookkeeping (group "running", stops implied by fencing). */
  pseudo: boolean;
  /** Required actions go in the graph; optional ones only carry ordering. */
  required: boolean;
  runnable: boolean;
  /** Why this action became required or unrunnable, for the summary. */
  reason?: string;
  /** Extra parameters for the executor (stonith action, migrate target...). */
  readonly meta: Record<string, string>;
}

export interface ActionOrdering {
  readonly first: Action;
  readonly then: Action;
  /** `first` required → `then` required (a restart of first restarts then). */
  readonly impliesThen: boolean;
  /** `then` required → `first` required (stopping first stops then before it). */
  readonly impliesFirst: boolean;
  /** `then` cannot run unless `first` can. */
  readonly runnableLeft: boolean;
  /** How the summary names `first` when it stands for a group or clone ("grp running"). */
  readonly label?: string;
  /** How the summary names `then` when it makes `first` required (the reverse of "A start then B start" says "required A start"). */
  readonly thenLabel?: string;
  /**
   * When `then` is a start that becomes unrunnable, whether its resource,
   * if active, must stop. Not for asymmetrical orders, nor while `first` is
   * active (its stop then drives what happens through the reverse order).
   */
  readonly stopsThen: boolean;
  /** The reason `then` gets when `first` cannot run, instead of "unrunnable FIRST". */
  readonly blockReason?: string;
  /** Only carries runnability: not an ordering the graph needs. */
  readonly noEdge?: boolean;
}

/** "then" actions that may run once `min` of the `firsts` can (require-all=false, clone-min). */
export interface Join {
  readonly key: string;
  readonly label: string;
  readonly min: number;
  readonly firsts: Action[];
  readonly thens: Action[];
  readonly firstRsc: Rsc;
  /** Whether a running "then" that becomes unrunnable must stop. */
  readonly stopsThen: boolean;
}

export interface ActionSet {
  readonly joins: Join[];
  readonly actions: Action[];
  readonly orderings: ActionOrdering[];
  /** start/stop/promote/demote actions per primitive, keyed "rsc task node?". */
  readonly byKey: Map<string, Action>;
  readonly byRsc: Map<Rsc, Action[]>;
}

const DEFAULT_TIMEOUT_MS = 20_000;
const INFINITY_SCORE = 1_000_000;

function opTimeout(p: PrimitiveRsc | undefined, task: string, intervalMs: number, defaultMs: number): number {
  if (!p) return DEFAULT_TIMEOUT_MS;
  let byName: Operation | undefined;
  for (const o of p.ops) {
    if (o.name !== task) continue;
    if (o.intervalMs === intervalMs) {
      byName = o;
      break;
    }
    byName ??= o;
  }
  return byName?.timeoutMs ?? defaultMs;
}

/** op_defaults timeout, read once per scheduling run. */
function defaultTimeoutMs(ws: WorkingSet): number {
  const dflt = ws.opDefaults['timeout'];
  if (dflt !== undefined) {
    try {
      return parseDurationMs(dflt);
    } catch {
      /* fall through */
    }
  }
  return DEFAULT_TIMEOUT_MS;
}

export function keyOf(rsc: Rsc, task: string, node?: SchedNode): string {
  return `${rsc.id} ${task}${node ? ` ${node.name}` : ''}`;
}

export class ActionBuilder {
  readonly actions: Action[] = [];
  readonly orderings: ActionOrdering[] = [];
  readonly byKey = new Map<string, Action>();
  readonly joins: Join[] = [];
  /** Every action of each resource, so lookups stay linear in the number of resources. */
  readonly byRsc = new Map<Rsc, Action[]>();
  private nextId = 0;
  private readonly defaultTimeout: number;

  constructor(ws: WorkingSet) {
    this.defaultTimeout = defaultTimeoutMs(ws);
  }

  add(init: { rsc?: Rsc; task: ActionTask; node?: SchedNode; intervalMs?: number; pseudo?: boolean; required?: boolean; runnable?: boolean; reason?: string; meta?: Record<string, string> }): Action {
    const p = init.rsc?.variant === 'primitive' ? init.rsc : undefined;
    const a: Action = {
      id: this.nextId++,
      ...(init.rsc ? { rsc: init.rsc } : {}),
      task: init.task,
      ...(init.node ? { node: init.node } : {}),
      intervalMs: init.intervalMs ?? 0,
      timeoutMs: opTimeout(p, init.task, init.intervalMs ?? 0, this.defaultTimeout),
      pseudo: init.pseudo ?? false,
      required: init.required ?? false,
      runnable: init.runnable ?? true,
      ...(init.reason ? { reason: init.reason } : {}),
      meta: init.meta ?? {},
    };
    this.actions.push(a);
    if (init.rsc) {
      const list = this.byRsc.get(init.rsc);
      if (list) list.push(a);
      else this.byRsc.set(init.rsc, [a]);
    }
    if (init.rsc && (init.intervalMs ?? 0) === 0 && init.task !== 'monitor') {
      this.byKey.set(keyOf(init.rsc, init.task, init.node), a);
      if (!this.byKey.has(keyOf(init.rsc, init.task))) this.byKey.set(keyOf(init.rsc, init.task), a);
    }
    return a;
  }

  order(first: Action | undefined, then: Action | undefined, flags: Partial<Omit<ActionOrdering, 'first' | 'then'>>): void {
    if (!first || !then || first === then) return;
    this.orderings.push({
      first,
      then,
      impliesThen: flags.impliesThen ?? false,
      impliesFirst: flags.impliesFirst ?? false,
      runnableLeft: flags.runnableLeft ?? false,
      stopsThen: flags.stopsThen ?? true,
      ...(flags.blockReason ? { blockReason: flags.blockReason } : {}),
      ...(flags.noEdge ? { noEdge: true } : {}),
      ...(flags.label ? { label: flags.label } : {}),
      ...(flags.thenLabel ? { thenLabel: flags.thenLabel } : {}),
    });
  }

  /** Actions of one resource with the given task (all intervals). */
  of(rsc: Rsc, task: ActionTask): Action[] {
    return (this.byRsc.get(rsc) ?? []).filter((a) => a.task === task);
  }

  result(): ActionSet {
    return { actions: this.actions, orderings: this.orderings, byKey: this.byKey, byRsc: this.byRsc, joins: this.joins };
  }
}

/** Does the resource need a full restart where it runs now? */
function needsRestart(p: PrimitiveRsc, node: SchedNode): string | undefined {
  // Active in several places: stop everywhere, start once (multiple-active=stop_start).
  if (p.runningOn.length > 1 && (p.meta['multiple-active'] ?? 'stop_start') === 'stop_start') return 'multiple active';
  const h = p.history.get(node.name);
  if (h?.failed) return 'failed';
  if (p.definitionChanged.has(node.name)) return 'resource definition change';
  // (An empty reason: the summary gives none.)
  if (p.restartOn.has(node.name)) return '';
  return undefined;
}

/** Create start/stop/promote/demote (and recurring monitor) actions for one primitive. */
export function createPrimitiveActions(p: PrimitiveRsc, b: ActionBuilder, ws: WorkingSet, fencedNodes: Set<string>): void {
  const target = p.assigned;
  const managed = p.managed && !p.blocked;
  for (const node of p.migrationLeftovers) {
    if (!p.runningOn.includes(node)) b.add({ rsc: p, task: 'stop', node, required: managed, runnable: managed && node.online, reason: 'migration clean-up' });
  }
  // Stops on every node the resource must leave (or restart on).
  for (const node of p.runningOn) {
    const staying = target === node && ROLE_ORDER[p.nextRole] > ROLE_ORDER.Stopped;
    const restart = staying ? needsRestart(p, node) : undefined;
    const role = p.history.get(node.name)?.role ?? 'Started';
    const needStop = !staying || restart !== undefined;
    const implied = fencedNodes.has(node.name);
    if (role === 'Promoted' && (needStop || p.nextRole !== 'Promoted')) {
      b.add({ rsc: p, task: 'demote', node, required: managed, pseudo: implied, runnable: managed || implied });
    }
    b.add({
      rsc: p,
      task: 'stop',
      node,
      required: needStop && managed,
      pseudo: implied,
      runnable: (managed && (node.online || implied)) || implied,
      ...(restart ? { reason: restart } : {}),
    });
  }
  if (target && canMigrate(p, target)) {
    // Live migration: migrate_to on the source, migrate_from on the target;
    // the stop on the source and the start on the target become bookkeeping.
    const from = p.runningOn[0]!;
    const to = b.add({ rsc: p, task: 'migrate_to', node: from, required: true, meta: { migrate_target: target.name, migrate_source: from.name } });
    const fromAction = b.add({ rsc: p, task: 'migrate_from', node: target, required: true, meta: { migrate_target: target.name, migrate_source: from.name } });
    b.order(to, fromAction, { impliesThen: true, runnableLeft: true });
    const stop = b.byKey.get(keyOf(p, 'stop', from));
    const pseudoStart = b.add({ rsc: p, task: 'start', node: target, required: true, pseudo: true, runnable: managed });
    b.order(fromAction, stop, {});
    b.order(fromAction, pseudoStart, {});
    addRecurring(p, target, b);
    return;
  }
  if (target) {
    const running = p.runningOn.includes(target);
    const restart = running ? needsRestart(p, target) : undefined;
    b.add({ rsc: p, task: 'start', node: target, required: managed && (!running || restart !== undefined), runnable: managed });
    if (running && restart === undefined && p.reloadNeeded.has(target.name)) {
      // Only reloadable parameters changed: the agent applies them in place.
      b.add({ rsc: p, task: 'reload-agent', node: target, required: managed, runnable: managed });
    }
    const curRole = running ? p.history.get(target.name)?.role : 'Stopped';
    if (p.nextRole === 'Promoted' && (curRole !== 'Promoted' || restart !== undefined || p.runningOn.length > 1)) {
      b.add({ rsc: p, task: 'promote', node: target, required: managed, runnable: managed });
    }
    addRecurring(p, target, b);
  } else {
    // A start that cannot happen anywhere still carries orderings, so that
    // whatever depends on this resource knows it is not coming.
    b.add({ rsc: p, task: 'start', required: false, runnable: false, reason: p.stopReason ?? 'node availability' });
  }
}

/** Moving (or restarting) by stop and start, not by migration. */
function relocatesByStopStart(f: PrimitiveRsc): boolean {
  if (!f.managed || f.runningOn.length === 0 || f.assigned === null || f.nextRole === 'Stopped') return false;
  const from = f.runningOn[0]!;
  if (f.assigned !== from) return !canMigrate(f, f.assigned);
  return needsRestart(f, from) !== undefined;
}

/**
 * A resource cannot live-migrate while something its start is ordered after
 * relocates by stop and start: it would have to wait for that start anyway.
 */
export function markUnmigrateable(ws: WorkingSet, orders: readonly ResourceOrder[]): void {
  const firstsOf = new Map<PrimitiveRsc, { f: PrimitiveRsc; label: string }[]>();
  const add = (then: PrimitiveRsc, f: PrimitiveRsc, label: string): void => {
    const l = firstsOf.get(then);
    if (l) l.push({ f, label });
    else firstsOf.set(then, [{ f, label }]);
  };
  for (const o of orders) {
    if (o.reversed || o.kind !== 'Mandatory' || o.firstAction !== 'start' || o.thenAction !== 'start') continue;
    // (An order onto a group goes through the group as a whole and does not pin its members.)
    const thens = o.then.variant === 'primitive' ? [o.then] : [];
    const firsts = allPrimitivesOf(o.first);
    const label = o.first.variant === 'primitive' ? o.first.id : o.first.id;
    for (const t of thens) for (const f of firsts) add(t, f, label);
  }
  for (const r of ws.resources) {
    if (r.variant !== 'group') continue;
    for (let i = 1; i < r.children.length; i++) add(r.children[i]!, r.children[i - 1]!, r.children[i - 1]!.id);
  }
  for (let changed = true; changed; ) {
    changed = false;
    for (const [then, firsts] of firstsOf) {
      if (then.unmigrateable !== undefined || !then.allowMigrate) continue;
      const hit = firsts.find(({ f }) => relocatesByStopStart(f));
      if (hit) {
        then.unmigrateable = `unmigrateable ${hit.label} stop`;
        changed = true;
      }
    }
  }
}

/** Live migration needs the agent's consent and a healthy source and target. */
function canMigrate(p: PrimitiveRsc, target: SchedNode): boolean {
  if (p.unmigrateable !== undefined) return false;
  if (!p.allowMigrate || !p.managed || p.runningOn.length !== 1) return false;
  const from = p.runningOn[0]!;
  if (from === target || !from.online || from.unclean || !target.online) return false;
  if (p.className === 'stonith' || p.nextRole === 'Promoted') return false;
  const h = p.history.get(from.name);
  if (!h || h.failed || h.role !== 'Started') return false;
  if (p.parent?.variant === 'clone' || p.parent?.parent?.variant === 'clone') return false;
  return true;
}

function addRecurring(p: PrimitiveRsc, node: SchedNode, b: ActionBuilder): void {
  const role = p.nextRole;
  for (const op of p.ops) {
    if (op.name !== 'monitor' || op.intervalMs <= 0 || !op.enabled) continue;
    if (!opMatchesRole(op, role)) continue;
    const h = p.history.get(node.name);
    const known = h?.recurring.has(`monitor_${op.intervalMs}`) && p.runningOn.includes(node);
    b.add({ rsc: p, task: 'monitor', node, intervalMs: op.intervalMs, required: !known, runnable: p.managed });
  }
}

function opMatchesRole(op: Operation, role: string): boolean {
  if (op.role === undefined) return role !== 'Promoted';
  if (op.role === 'Promoted') return role === 'Promoted';
  if (op.role === 'Unpromoted' || op.role === 'Started') return role === 'Unpromoted' || role === 'Started';
  return false;
}

/** The primitive-level actions ordered as a resource's own lifecycle needs. */
export function orderPrimitiveLifecycle(p: PrimitiveRsc, b: ActionBuilder): void {
  // A clean-up stop after a completed migration does not restart anything.
  const stops = b.of(p, 'stop').filter((a) => a.node === undefined || p.runningOn.includes(a.node));
  const demotes = b.of(p, 'demote');
  const start = b.byKey.get(keyOf(p, 'start'));
  const promote = b.byKey.get(keyOf(p, 'promote'));
  for (const d of demotes) {
    for (const s of stops) b.order(d, s, { impliesThen: false, impliesFirst: true });
  }
  // A resource cannot start anywhere while a stop it needs cannot happen.
  for (const s of stops) b.order(s, start, { impliesThen: true, runnableLeft: true, stopsThen: false });
  b.order(start, promote, { impliesThen: true, runnableLeft: true });
  for (const m of b.of(p, 'monitor')) {
    b.order(p.nextRole === 'Promoted' && m.intervalMs > 0 ? promote ?? start : start, m, { impliesThen: true, runnableLeft: true });
  }
}

/** Actions a resource-level order names, by resource variant. */
export function actionsFor(r: Rsc, task: string, b: ActionBuilder): Action[] {
  const mapped = task === 'running' ? 'start' : task === 'stopped' ? 'stop' : task === 'promoted' ? 'promote' : task === 'demoted' ? 'demote' : task;
  const prims = r.variant === 'primitive' ? [r] : r.variant === 'group' ? groupEdge(r.children, mapped) : allPrimitivesOf(r);
  const out: Action[] = [];
  for (const p of prims) for (const a of b.byRsc.get(p) ?? []) if (a.task === mapped && a.intervalMs === 0) out.push(a);
  return out;
}

/** A group starts when its first member starts and has stopped when its first member has stopped. */
function groupEdge(children: PrimitiveRsc[], task: string): PrimitiveRsc[] {
  if (children.length === 0) return [];
  if (task === 'start' || task === 'promote') return [children[0]!];
  return [children[0]!];
}

/**
 * A mandatory colocation of the promoted role with a primary: where the
 * primary cannot start, the instance there cannot be promoted.
 */
export function blockPromotionWithPrimary(ws: WorkingSet, b: ActionBuilder): void {
  // Likewise a primitive that must run with a primitive cannot start where that one cannot.
  for (const dep of ws.primitives) {
    for (const edge of dep.colocationsAsDependent) {
      if (edge.score < INFINITY_SCORE || edge.dependentRole || edge.primaryRole || edge.primary.variant !== 'primitive') continue;
      const primary = edge.primary;
      if (!primary.assigned || dep.assigned !== primary.assigned) continue;
      const start = b.byKey.get(keyOf(primary, 'start', primary.assigned));
      const depStart = b.byKey.get(keyOf(dep, 'start', dep.assigned));
      b.order(start, depStart, { runnableLeft: true, blockReason: `colocation with ${primary.id}`, noEdge: true });
    }
  }
  for (const c of ws.resources) {
    if (c.variant !== 'clone' || !c.promotable) continue;
    for (const edge of c.colocationsAsDependent) {
      if (edge.dependentRole !== 'Promoted' || edge.score < INFINITY_SCORE || edge.primary.variant !== 'primitive') continue;
      const primary = edge.primary;
      const start = primary.assigned ? b.byKey.get(keyOf(primary, 'start', primary.assigned)) : undefined;
      if (!start) continue;
      for (const p of allPrimitivesOf(c)) {
        if (p.assigned !== primary.assigned) continue;
        for (const promote of b.of(p, 'promote')) {
          b.order(start, promote, { runnableLeft: true, blockReason: `colocation with ${primary.id}`, noEdge: true });
        }
      }
    }
  }
}

/** Implicit orderings inside groups and clones. */
export function orderGroupMembers(children: PrimitiveRsc[], b: ActionBuilder): void {
  for (let i = 1; i < children.length; i++) {
    const prev = children[i - 1]!;
    const cur = children[i]!;
    for (const s of b.of(prev, 'start')) {
      for (const t of b.of(cur, 'start')) b.order(s, t, { impliesThen: true, runnableLeft: true });
    }
    for (const s of b.of(cur, 'stop')) {
      // An earlier member cannot stop while a later one cannot.
      for (const t of b.of(prev, 'stop')) b.order(s, t, { impliesFirst: true, runnableLeft: true });
    }
    // A member (re)starts only once the member after it could stop.
    for (const s of b.of(cur, 'stop')) {
      for (const t of b.of(prev, 'start')) if (t.node) b.order(s, t, { runnableLeft: true, stopsThen: false });
    }
    for (const s of b.of(prev, 'promote')) {
      for (const t of b.of(cur, 'promote')) b.order(s, t, { impliesThen: true, runnableLeft: true });
    }
  }
}

/** Turn a resource-level ordering into action orderings. */
export function applyResourceOrder(o: ResourceOrder, b: ActionBuilder): void {
  const origThen = o.reversed ? o.first : o.then;
  if (o.first.variant === 'clone' && o.then.variant === 'clone' && origThen.variant === 'clone' && origThen.interleave && !o.oneOrMore) {
    applyInterleavedOrder(o, o.first, o.then, b);
    return;
  }
  const firsts = o.first.variant === 'group' ? groupActions(o.first.children, o.firstAction, 'first', b) : actionsFor(o.first, o.firstAction, b);
  const thens = o.then.variant === 'group' ? groupActions(o.then.children, o.thenAction, 'then', b) : actionsFor(o.then, o.thenAction, b);
  const mandatory = o.kind === 'Mandatory';
  const cloneFirst = o.first.variant === 'clone' ? (o.first as CloneRsc) : undefined;
  const label = o.first.variant === 'group' || o.first.variant === 'clone' ? `${o.first.id} ${PSEUDO_DONE[o.firstAction] ?? o.firstAction}` : undefined;
  const stopLike = o.thenAction === 'stop' || o.thenAction === 'demote';
  if (o.oneOrMore && mandatory && !stopLike) {
    // Only some of the firsts are needed: order after them, but let a join decide runnability.
    for (const t of thens) for (const f of firsts) b.order(f, t, {});
    b.joins.push({ label: o.oneOrMore.label, min: o.oneOrMore.min, firsts, thens, key: `${o.oneOrMore.label}`, firstRsc: o.first, stopsThen: true });
    return;
  }
  // A first that is active and going away entirely acts through the reverse order instead.
  const firstPrims = allPrimitivesOf(o.first);
  const firstActive = !cloneFirst && firstPrims.some((p) => p.runningOn.length > 0) && firstPrims.every((p) => p.runningOn.length === 0 || p.assigned === null);
  const undone = INVERSE_TASK[o.thenAction];
  const thenLabel = o.reversed && undone ? `${o.then.id} ${o.then.variant === 'primitive' ? undone : PSEUDO_DONE[undone] ?? undone}` : undefined;
  for (const t of thens) {
    for (const f of firsts) {
      b.order(f, t, {
        ...(label ? { label } : {}),
        ...(thenLabel ? { thenLabel } : {}),
        stopsThen: o.symmetrical && !firstActive,
        // Starting one more instance of a clone does not restart what follows it.
        // A configured "stop A then stop B" makes B stop whenever A does;
        // the reverse of "start A then start B" instead stops A's dependents first.
        impliesThen: mandatory && (stopLike ? !o.reversed : !(cloneFirst && !redoesActive(f))),
        // One instance of a clone stopping does not stop what only needs the clone somewhere.
        impliesFirst: mandatory && stopLike && o.reversed && o.then.variant !== 'clone',
        // A stop that must wait for another stop cannot happen while that one cannot.
        runnableLeft: mandatory && !cloneFirst && (!stopLike || (!f.runnable && !f.pseudo)),
      });
    }
  }
  if (cloneFirst && mandatory && !stopLike) {
    // "Then" needs at least one instance of the clone able to run; what runs
    // after a clone that will run nowhere stops (symmetrical orders only).
    const label = `${cloneFirst.id} ${PSEUDO_DONE[o.firstAction] ?? o.firstAction}`;
    if (o.firstAction === 'start') {
      b.joins.push({ label, min: 1, firsts, thens, key: label, firstRsc: o.first, stopsThen: o.symmetrical });
    } else if (!allPrimitivesOf(cloneFirst).some((p) => p.assigned !== null && (o.firstAction !== 'promote' || p.nextRole === 'Promoted'))) {
      // Promotion (or another role change) of a clone: at least one instance must get there.
      for (const t of thens) {
        if (!t.runnable) continue;
        t.runnable = false;
        t.reason ??= `unrunnable ${label}`;
        const p = t.rsc;
        if (o.symmetrical && t.task === 'start' && p?.variant === 'primitive' && t.node) {
          const stop = b.byKey.get(keyOf(p, 'stop', t.node));
          if (stop && !stop.required) {
            stop.required = true;
            stop.reason = t.reason;
          }
        }
      }
    }
  }
}

function isInhibited(inst: PrimitiveRsc | GroupRsc): boolean {
  const lead = inst.variant === 'primitive' ? inst : inst.children[0];
  return lead?.inhibited === true;
}

/**
 * Before orderings become action orderings: an instance of an interleaved
 * "then" clone whose node will have no (uninhibited) instance of the "first"
 * clone cannot be active, and neither can what is interleaved after it.
 */
export function inhibitInterleaved(orders: readonly ResourceOrder[]): void {
  for (let changed = true; changed; ) {
    changed = false;
    for (const o of orders) {
      if (o.reversed || o.kind !== 'Mandatory' || o.oneOrMore) continue;
      if (o.thenAction === 'stop' || o.thenAction === 'demote') continue;
      const first = o.first;
      const then = o.then;
      if (first.variant !== 'clone' || then.variant !== 'clone' || !then.interleave) continue;
      for (const ti of then.instances) {
        if (isInhibited(ti)) continue;
        const node = instanceNode(ti, false);
        if (!node) continue;
        if (first.instances.some((f) => instanceNode(f, false) === node && !isInhibited(f))) continue;
        for (const m of ti.variant === 'primitive' ? [ti] : ti.children) m.inhibited = true;
        changed = true;
      }
    }
  }
}

function instanceNode(inst: PrimitiveRsc | GroupRsc, current: boolean): SchedNode | undefined {
  const lead = inst.variant === 'primitive' ? inst : inst.children[0];
  if (!lead) return undefined;
  return current ? lead.runningOn[0] : lead.assigned ?? undefined;
}

/**
 * interleave=true: each instance of "then" waits only for the instance of
 * "first" on its own node; with none there, it cannot run.
 */
function applyInterleavedOrder(o: ResourceOrder, first: CloneRsc, then: CloneRsc, b: ActionBuilder): void {
  const mandatory = o.kind === 'Mandatory';
  const stopLike = o.thenAction === 'stop' || o.thenAction === 'demote';
  for (const ti of then.instances) {
    // Starting pairs instances by where they are going; stopping by where they are.
    const node = stopLike ? instanceNode(ti, true) ?? instanceNode(ti, false) : instanceNode(ti, false);
    if (!node) continue;
    const fi = stopLike
      ? first.instances.find((f) => instanceNode(f, true) === node) ?? first.instances.find((f) => instanceNode(f, false) === node)
      : first.instances.find((f) => instanceNode(f, false) === node && !isInhibited(f));
    const thens = ti.variant === 'group' ? groupActions(ti.children, o.thenAction, 'then', b) : actionsFor(ti, o.thenAction, b);
    if (!fi) {
      if (mandatory && !stopLike && !o.reversed) {
        // Nothing of "first" will run here, so this instance cannot either.
        for (const t of thens) {
          if (!t.runnable) continue;
          t.runnable = false;
          t.reason = '';
          const p = t.rsc;
          if (t.task === 'start' && p?.variant === 'primitive' && t.node) {
            const stop = b.byKey.get(keyOf(p, 'stop', t.node));
            if (stop && !stop.required) {
              stop.required = true;
              stop.reason = '';
            }
          }
        }
      }
      continue;
    }
    const firsts = fi.variant === 'group' ? groupActions(fi.children, o.firstAction, 'first', b) : actionsFor(fi, o.firstAction, b);
    for (const t of thens) {
      for (const f of firsts) {
        b.order(f, t, {
          impliesThen: mandatory && !stopLike,
          impliesFirst: mandatory && stopLike,
          runnableLeft: mandatory && (!stopLike || (!f.runnable && !f.pseudo)),
        });
      }
    }
  }
}

const INVERSE_TASK: Record<string, string> = { stop: 'start', demote: 'promote', start: 'stop', promote: 'demote' };

const PSEUDO_DONE: Record<string, string> = { start: 'running', stop: 'stopped', promote: 'promoted', demote: 'demoted' };

function groupActions(children: PrimitiveRsc[], task: string, side: 'first' | 'then', b: ActionBuilder): Action[] {
  if (children.length === 0) return [];
  const mapped = task === 'running' ? 'start' : task === 'stopped' ? 'stop' : task === 'promoted' ? 'promote' : task === 'demoted' ? 'demote' : task;
  // "first" side: the group is done starting when its last member started, done stopping when its first member stopped.
  let member: PrimitiveRsc;
  if (mapped === 'start' || mapped === 'promote') member = side === 'first' ? children[children.length - 1]! : children[0]!;
  else member = side === 'first' ? children[0]! : children[children.length - 1]!;
  return (b.byRsc.get(member) ?? []).filter((a) => a.task === mapped && a.intervalMs === 0);
}

/**
 * Propagate requiredness and runnability along orderings until nothing
 * changes: a restart of a "first" restarts what is ordered after it, a
 * stop of what something depends on stops that something first, and an
 * action that cannot run blocks what mandatorily follows it.
 */
export function propagate(set: ActionSet, ws: WorkingSet): void {
  const joins = mergeJoins(set.joins);
  // Worklist: an ordering is looked at again only when one of its two actions changed.
  const byAction = new Map<Action, ActionOrdering[]>();
  const joinsOf = new Map<Action, typeof joins>();
  const link = <T>(m: Map<Action, T[]>, a: Action, v: T): void => {
    const l = m.get(a);
    if (l) l.push(v);
    else m.set(a, [v]);
  };
  for (const o of set.orderings) {
    link(byAction, o.first, o);
    link(byAction, o.then, o);
  }
  for (const j of joins) for (const f of j.firsts) link(joinsOf, f, j);
  // First in, first out, so reasons come out in the order orderings were made.
  let queue: ActionOrdering[] = [...set.orderings];
  let head = 0;
  const queuedJoins = new Set(joins);
  const touched = (a: Action): void => {
    for (const o of byAction.get(a) ?? []) queue.push(o);
    for (const j of joinsOf.get(a) ?? []) queuedJoins.add(j);
  };
  while (head < queue.length || queuedJoins.size > 0) {
    while (head < queue.length) {
      const o = queue[head++]!;
      if (head > 65_536 && head * 2 > queue.length) {
        queue = queue.slice(head);
        head = 0;
      }
      const { first, then } = o;
      // A start that is the tail of a live migration restarts nothing after it.
      if (o.impliesThen && first.required && (first.runnable || first.node !== undefined) && !(first.pseudo && first.task === 'start') && !then.required && then.rsc) {
        // (A stop required by another stop is reported without a reason.)
        makeRequired(then, then.task === 'stop' ? '' : `required ${o.label ?? `${first.rsc?.id ?? ''} ${first.task}`}`, set, touched);
      }
      // Nor does the stop that ends a live migration stop what depends on it.
      if (o.impliesFirst && then.required && !first.required && first.rsc && !(then.task === 'stop' && then.rsc && set.byKey.get(keyOf(then.rsc, 'migrate_to'))?.required)) {
        makeRequired(first, `required ${o.thenLabel ?? `${then.rsc?.id ?? ''} ${then.task}`}`, set, touched);
      }
      if (o.runnableLeft && !first.runnable && then.runnable && !(first.task === 'start' && !first.required && first.node && isActiveOn(first))) {
        makeUnrunnable(then, o.blockReason ?? `unrunnable ${o.label ?? `${first.rsc?.id ?? ''} ${first.task}`}`, set, o.stopsThen, touched);
      }
    }
    const pending = [...queuedJoins];
    queuedJoins.clear();
    for (const j of pending) {
      if (!j.thens.some((t) => t.runnable)) continue;
      const able = new Set<Rsc>();
      for (const f of j.firsts) {
        if (!f.runnable || !f.node || !f.rsc) continue;
        able.add(f.rsc.parent?.variant === 'group' ? f.rsc.parent : f.rsc);
      }
      if (able.size >= j.min) continue;
      for (const t of j.thens) {
        if (t.runnable) makeUnrunnable(t, `unrunnable ${j.label}`, set, j.stopsThen, touched);
      }
    }
  }
}

/** Joins from several orders that share a label and a "then" count their firsts together. */
function mergeJoins(joins: readonly Join[]): { label: string; min: number; firsts: Action[]; thens: Action[]; stopsThen: boolean }[] {
  const byKey = new Map<string, { label: string; min: number; firsts: Action[]; thens: Action[]; stopsThen: boolean }>();
  for (const j of joins) {
    for (const t of j.thens) {
      const key = `${j.label}\u0000${t.id}`;
      let m = byKey.get(key);
      if (!m) byKey.set(key, (m = { label: j.label, min: j.min, firsts: [], thens: [t], stopsThen: j.stopsThen }));
      m.firsts.push(...j.firsts);
    }
  }
  return [...byKey.values()];
}

function makeUnrunnable(then: Action, reason: string, set: ActionSet, stopsThen: boolean, touched: (a: Action) => void): void {
  then.runnable = false;
  then.reason ??= reason;
  touched(then);
  // Something running that can no longer run where it is must stop.
  if (stopsThen && then.task === 'start' && then.rsc?.variant === 'primitive' && then.node) {
    const stop = set.byKey.get(keyOf(then.rsc, 'stop', then.node));
    if (stop && !stop.required) {
      stop.required = true;
      stop.reason = then.reason;
      touched(stop);
    }
  }
}

/** The action repeats what is already true there: a restart, or a promotion of what is promoted now. */
function redoesActive(a: Action): boolean {
  if (a.task !== 'promote') return isActiveOn(a);
  return a.rsc?.variant === 'primitive' && a.node !== undefined && a.rsc.history.get(a.node.name)?.role === 'Promoted';
}

function isActiveOn(a: Action): boolean {
  return a.rsc?.variant === 'primitive' && a.node !== undefined && a.rsc.runningOn.includes(a.node);
}

function makeRequired(a: Action, reason: string, set: ActionSet, touched: (a: Action) => void): void {
  const p = a.rsc?.variant === 'primitive' ? a.rsc : undefined;
  if (!p || !p.managed) return;
  if (a.task === 'start' && !a.node) return;
  a.required = true;
  a.reason ??= reason;
  touched(a);
  // Starting again where it already runs means a restart; a forced stop
  // where the resource stays means it starts again.
  let partner: Action | undefined;
  if (a.task === 'start' && a.node && p.runningOn.includes(a.node)) partner = set.byKey.get(keyOf(p, 'stop', a.node));
  if (a.task === 'stop' && a.node && p.assigned === a.node && p.nextRole !== 'Stopped') partner = set.byKey.get(keyOf(p, 'start', a.node));
  if (partner && !partner.required) {
    partner.required = true;
    partner.reason ??= reason;
    touched(partner);
  }
}
