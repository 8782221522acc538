import { expandReferences } from '@vigil/cib';
import type { Rsc, WorkingSet } from '../working-set.js';

/**
 * Resolve constraint references to scheduler resources: tags expand to their
 * members, a template to every primitive made from it, and a clone's
 * configured child id stands for the clone itself.
 */
export function resolveRefs(ids: readonly string[], ws: WorkingSet): Rsc[] {
  const out: Rsc[] = [];
  const needsExpansion = ws.cib.configuration.tags.length > 0 || ws.cib.configuration.templates.length > 0;
  for (const id of needsExpansion ? expandReferences(ws.cib, ids) : ids) {
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
