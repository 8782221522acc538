import type { OrderConstraint, OrderKind } from '@vigil/cib';
import type { Rsc, WorkingSet } from '../working-set.js';
import { resolveRefs } from './refs.js';

/** A resource-level ordering, turned into action orderings when actions exist. */
export interface ResourceOrder {
  readonly id: string;
  readonly first: Rsc;
  readonly firstAction: string;
  readonly then: Rsc;
  readonly thenAction: string;
  readonly kind: OrderKind;
  /** Added as the reverse of a symmetrical order. */
  readonly reversed: boolean;
  /** The constraint is symmetrical (its reverse was added too). */
  readonly symmetrical: boolean;
  /**
   * Set when "then" needs only some of the firsts that share this label
   * (require-all=false sets, or a clone first with clone-min / require-all=false):
   * then may run once `min` of them can.
   */
  readonly oneOrMore?: { readonly label: string; readonly min: number };
}

const INVERSE: Record<string, string> = {
  start: 'stop',
  stop: 'start',
  promote: 'demote',
  demote: 'promote',
  promoted: 'demoted',
  demoted: 'promoted',
  running: 'stopped',
  stopped: 'running',
};

function kindOf(c: OrderConstraint): OrderKind {
  if (c.orderKind) return c.orderKind;
  if (c.score !== undefined) return c.score > 0 ? 'Mandatory' : 'Optional';
  return 'Mandatory';
}

function push(
  out: ResourceOrder[],
  id: string,
  first: Rsc,
  fa: string,
  then: Rsc,
  ta: string,
  kind: OrderKind,
  symmetrical: boolean,
  oneOrMore?: ResourceOrder['oneOrMore'],
): void {
  if (first === then) return;
  const sym = symmetrical && INVERSE[fa] !== undefined && INVERSE[ta] !== undefined;
  out.push({ id, first, firstAction: fa, then, thenAction: ta, kind, reversed: false, symmetrical: sym, ...(oneOrMore ? { oneOrMore } : {}) });
  if (sym) {
    out.push({ id, first: then, firstAction: INVERSE[ta]!, then: first, thenAction: INVERSE[fa]!, kind, reversed: true, symmetrical: sym, ...(oneOrMore ? { oneOrMore } : {}) });
  }
}

/** A clone first with clone-min (or an order with require-all=false) needs only some instances. */
function cloneOneOrMore(c: OrderConstraint, first: Rsc): ResourceOrder['oneOrMore'] {
  if (first.variant !== 'clone') return undefined;
  const cloneMin = Number.parseInt(first.meta['clone-min'] ?? '', 10);
  if (c.requireAll === false) return { label: `clone-one-or-more:${c.id}`, min: 1 };
  if (Number.isFinite(cloneMin) && cloneMin > 0) return { label: `clone-one-or-more:${c.id}`, min: cloneMin };
  return undefined;
}

export function collectOrder(c: OrderConstraint, ws: WorkingSet, out: ResourceOrder[]): void {
  const kind = kindOf(c);
  const symmetrical = c.symmetrical ?? kind !== 'Serialize';
  if (c.sets.length === 0) {
    if (c.first === undefined || c.then === undefined) return;
    const fa = c.firstAction ?? 'start';
    const ta = c.thenAction ?? fa;
    for (const f of resolveRefs([c.first], ws)) {
      const oneOrMore = fa === 'start' || fa === 'promote' ? cloneOneOrMore(c, f) : undefined;
      for (const t of resolveRefs([c.then], ws)) push(out, c.id, f, fa, t, ta, kind, symmetrical, oneOrMore);
    }
    return;
  }
  const sets = c.sets.map((s) => ({ set: s, members: resolveRefs(s.resources, ws) }));
  for (const { set, members } of sets) {
    // A set that needs only one of its members imposes no order among them.
    if (!set.sequential || !set.requireAll) continue;
    const action = set.action ?? 'start';
    const k = set.kind ?? kind;
    for (let i = 1; i < members.length; i++) push(out, c.id, members[i - 1]!, action, members[i]!, action, k, symmetrical);
  }
  for (let i = 0; i + 1 < sets.length; i++) {
    const a = sets[i]!;
    const b = sets[i + 1]!;
    const oneOrMore = a.set.requireAll ? undefined : { label: `one-or-more:${a.set.id}`, min: 1 };
    const firsts = a.set.sequential && a.set.requireAll ? a.members.slice(-1) : a.members;
    const thens = b.set.sequential && b.set.requireAll ? b.members.slice(0, 1) : b.members;
    for (const f of firsts) {
      for (const t of thens) push(out, c.id, f, a.set.action ?? 'start', t, b.set.action ?? 'start', kind, symmetrical, oneOrMore);
    }
  }
}
