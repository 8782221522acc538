import type { Rsc, WorkingSet } from '../working-set.js';

/**
 * Resolve constraint references to scheduler resources: tags expand to their
 * members, and a clone's configured child id stands for the clone itself.
 */
export function resolveRefs(ids: readonly string[], ws: WorkingSet): Rsc[] {
  const out: Rsc[] = [];
  for (const id of ids) {
    const tag = ws.cib.configuration.tags.find((t) => t.id === id);
    if (tag) {
      out.push(...resolveRefs(tag.refs, ws));
      continue;
    }
    const r = ws.byId.get(id);
    if (r) {
      out.push(r);
      continue;
    }
    const clone = ws.resources.find((x) => x.variant === 'clone' && x.childId === id);
    if (clone) out.push(clone);
  }
  return out;
}
