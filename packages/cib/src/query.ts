/** Read-only lookups over a parsed Cib. Indexes are built once per Cib and cached. */
import type { Cib, Primitive, Resource } from './model.js';
import { unpackNvSets, type RuleContext } from './rules.js';

interface ResourceIndex {
  readonly byId: Map<string, Resource>;
  readonly parentById: Map<string, Resource>;
}

// Keyed by the configuration, which edits that touch only status or the version share.
const resourceIndexes = new WeakMap<object, ResourceIndex>();

function resourceIndex(cib: Cib): ResourceIndex {
  let index = resourceIndexes.get(cib.configuration);
  if (!index) {
    const byId = new Map<string, Resource>();
    const parentById = new Map<string, Resource>();
    const visit = (r: Resource, parent: Resource | undefined): void => {
      byId.set(r.id, r);
      if (parent) parentById.set(r.id, parent);
      if (r.kind === 'group') for (const c of r.children) visit(c, r);
      else if (r.kind === 'clone') visit(r.child, r);
      else if (r.kind === 'bundle' && r.primitive) visit(r.primitive, r);
    };
    for (const r of cib.configuration.resources) visit(r, undefined);
    index = { byId, parentById };
    resourceIndexes.set(cib.configuration, index);
  }
  return index;
}

/** A resource at any depth (top level, in a group, clone or bundle) by id. */
export function findResource(cib: Cib, id: string): Resource | undefined {
  return resourceIndex(cib).byId.get(id);
}

/** The group, clone or bundle directly holding a resource; undefined at top level or when unknown. */
export function parentOf(cib: Cib, id: string): Resource | undefined {
  return resourceIndex(cib).parentById.get(id);
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

const tagIndexes = new WeakMap<object, Map<string, readonly string[]>>();

function tagIndex(cib: Cib): Map<string, readonly string[]> {
  let index = tagIndexes.get(cib.configuration);
  if (!index) {
    index = new Map(cib.configuration.tags.map((t) => [t.id, t.refs] as const));
    tagIndexes.set(cib.configuration, index);
  }
  return index;
}

/**
 * What a constraint's resource reference stands for: tags are replaced by
 * what they tag and templates by the primitives made from them; other ids
 * pass through. Order is kept, repeats dropped.
 */
export function expandReferences(cib: Cib, ids: readonly string[]): string[] {
  const templates = new Set(cib.configuration.templates.map((t) => t.id));
  const out: string[] = [];
  const seen = new Set<string>();
  for (const id of expandTags(cib, ids)) {
    const ids = templates.has(id) ? allPrimitives(cib).filter((p) => p.template === id).map((p) => p.id) : [id];
    for (const x of ids) {
      if (!seen.has(x)) {
        seen.add(x);
        out.push(x);
      }
    }
  }
  return out;
}

/** Replaces tag ids by the ids they tag (in tag order), dropping repeats; other ids pass through. */
export function expandTags(cib: Cib, ids: readonly string[]): string[] {
  const tags = tagIndex(cib);
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
