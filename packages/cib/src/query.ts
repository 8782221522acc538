/** Read-only lookups over a parsed Cib. Indexes are built once per Cib and cached. */
import type { Cib, Primitive, Resource } from './model.js';
import { unpackNvSets, type RuleContext } from './rules.js';

const resourceIndexes = new WeakMap<Cib, Map<string, Resource>>();

function resourceIndex(cib: Cib): Map<string, Resource> {
  let index = resourceIndexes.get(cib);
  if (!index) {
    index = new Map();
    const visit = (r: Resource): void => {
      index!.set(r.id, r);
      if (r.kind === 'group') r.children.forEach(visit);
      else if (r.kind === 'clone') visit(r.child);
      else if (r.kind === 'bundle' && r.primitive) visit(r.primitive);
    };
    cib.configuration.resources.forEach(visit);
    resourceIndexes.set(cib, index);
  }
  return index;
}

/** A resource at any depth (top level, in a group, clone or bundle) by id. */
export function findResource(cib: Cib, id: string): Resource | undefined {
  return resourceIndex(cib).get(id);
}

/** Every primitive in a resource or in the whole configuration, depth first in document order. */
export function allPrimitives(from: Resource | Cib): Primitive[] {
  const out: Primitive[] = [];
  const visit = (r: Resource): void => {
    if (r.kind === 'primitive') out.push(r);
    else if (r.kind === 'group') r.children.forEach(visit);
    else if (r.kind === 'clone') visit(r.child);
    else if (r.primitive) visit(r.primitive);
  };
  if ('configuration' in from) from.configuration.resources.forEach(visit);
  else visit(from);
  return out;
}

/** Replaces tag ids by the ids they tag (in tag order), dropping repeats; other ids pass through. */
export function expandTags(cib: Cib, ids: readonly string[]): string[] {
  const tags = new Map(cib.configuration.tags.map((t) => [t.id, t.refs] as const));
  const out: string[] = [];
  const seen = new Set<string>();
  const add = (id: string, depth: number): void => {
    const refs = tags.get(id);
    if (refs !== undefined && depth < 8) {
      for (const r of refs) add(r, depth + 1);
    } else if (!seen.has(id)) {
      seen.add(id);
      out.push(id);
    }
  };
  for (const id of ids) add(id, 0);
  return out;
}

/**
 * crm_config flattened: cib-bootstrap-options first, then sets by score;
 * names are kept as written (2.x and 3.x spellings both pass through).
 */
export function clusterOptions(cib: Cib, ctx: RuleContext): Record<string, string> {
  return unpackNvSets(cib.configuration.crmConfig, ctx, { firstId: 'cib-bootstrap-options' });
}
