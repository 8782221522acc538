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

function push(out: ResourceOrder[], id: string, first: Rsc, fa: string, then: Rsc, ta: string, kind: OrderKind, symmetrical: boolean): void {
  if (first === then) return;
  out.push({ id, first, firstAction: fa, then, thenAction: ta, kind, reversed: false });
  if (symmetrical && INVERSE[fa] && INVERSE[ta]) {
    out.push({ id, first: then, firstAction: INVERSE[ta]!, then: first, thenAction: INVERSE[fa]!, kind, reversed: true });
  }
}

export function collectOrder(c: OrderConstraint, ws: WorkingSet, out: ResourceOrder[]): void {
  const kind = kindOf(c);
  const symmetrical = c.symmetrical ?? kind !== 'Serialize';
  if (c.sets.length === 0) {
    if (c.first === undefined || c.then === undefined) return;
    const fa = c.firstAction ?? 'start';
    const ta = c.thenAction ?? fa;
    for (const f of resolveRefs([c.first], ws)) {
      for (const t of resolveRefs([c.then], ws)) push(out, c.id, f, fa, t, ta, kind, symmetrical);
    }
    return;
  }
  const sets = c.sets.map((s) => ({ set: s, members: resolveRefs(s.resources, ws) }));
  for (const { set, members } of sets) {
    if (!set.sequential) continue;
    const action = set.action ?? 'start';
    const k = set.kind ?? kind;
    for (let i = 1; i < members.length; i++) push(out, c.id, members[i - 1]!, action, members[i]!, action, k, symmetrical);
  }
  for (let i = 0; i + 1 < sets.length; i++) {
    const a = sets[i]!;
    const b = sets[i + 1]!;
    const firsts = a.set.sequential ? a.members.slice(-1) : a.members;
    const thens = b.set.sequential ? b.members.slice(0, 1) : b.members;
    for (const f of firsts) {
      for (const t of thens) push(out, c.id, f, a.set.action ?? 'start', t, b.set.action ?? 'start', kind, symmetrical);
    }
  }
}
