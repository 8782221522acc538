import type { ColocationConstraint, ResourceSet } from '@vigil/cib';
import { isTrue } from '../options.js';
import type { ColocationEdge, Role, Rsc, WorkingSet } from '../working-set.js';
import { resolveRefs } from './refs.js';

function addEdge(
  ws: WorkingSet,
  id: string,
  dependent: Rsc,
  primary: Rsc,
  score: number,
  dependentRole: Role | undefined,
  primaryRole: Role | undefined,
  nodeAttribute: string | undefined,
  influence: boolean | undefined,
): void {
  if (dependent === primary) return;
  const critical = dependent.meta['critical'];
  const edge: ColocationEdge = {
    id,
    dependent,
    primary,
    score,
    ...(dependentRole && dependentRole !== 'Started' ? { dependentRole } : {}),
    ...(primaryRole && primaryRole !== 'Started' ? { primaryRole } : {}),
    nodeAttribute: nodeAttribute ?? '#uname',
    influence: influence ?? (critical === undefined ? true : isTrue(critical)),
  };
  dependent.colocationsAsDependent.push(edge);
  primary.colocationsAsPrimary.push(edge);
}

/**
 * rsc_colocation: "dependent with primary". In a sequential set each member
 * goes with the one before it; with several sets, each set goes with the
 * next one.
 */
export function applyColocation(c: ColocationConstraint, ws: WorkingSet): void {
  if (c.sets.length === 0) {
    if (c.rsc === undefined || c.withRsc === undefined) return;
    const deps = resolveRefs([c.rsc], ws);
    const prims = resolveRefs([c.withRsc], ws);
    for (const d of deps) for (const p of prims) addEdge(ws, c.id, d, p, c.score, c.rscRole, c.withRscRole, c.nodeAttribute, c.influence);
    return;
  }
  const resolved = c.sets.map((s) => ({ set: s, members: resolveRefs(s.resources, ws) }));
  for (const { set, members } of resolved) {
    if (!set.sequential) continue;
    const score = set.score ?? c.score;
    for (let i = 1; i < members.length; i++) {
      addEdge(ws, c.id, members[i]!, members[i - 1]!, score, set.role, set.role, c.nodeAttribute, c.influence);
    }
  }
  for (let i = 0; i + 1 < resolved.length; i++) {
    const dep = resolved[i]!;
    const prim = resolved[i + 1]!;
    const primaries = prim.set.sequential ? prim.members.slice(-1) : prim.members;
    const dependents = dep.set.sequential ? dep.members.slice(0, 1) : dep.members;
    for (const d of dependents) {
      for (const p of primaries) addEdge(ws, c.id, d, p, c.score, roleOf(dep.set), roleOf(prim.set), c.nodeAttribute, c.influence);
    }
  }
}

function roleOf(set: ResourceSet): Role | undefined {
  return set.role;
}
