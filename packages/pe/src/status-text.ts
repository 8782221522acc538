import type { ActionSet } from './actions.js';
import { keyOf } from './actions.js';
import {
  allPrimitivesOf,
  type CloneRsc,
  type PrimitiveRsc,
  type Role,
  type Rsc,
  type SchedNode,
  type WorkingSet,
} from './working-set.js';

/** Where a primitive is and in which role, per node. */
type Placement = Map<string, { role: Role; failed: boolean }>;

function current(p: PrimitiveRsc): Placement {
  const m: Placement = new Map();
  for (const node of p.runningOn) {
    const h = p.history.get(node.name);
    m.set(node.name, { role: h?.role ?? 'Started', failed: h?.failed ?? false });
  }
  return m;
}

/** The state the transition leaves a primitive in, assuming every runnable action succeeds. */
function after(p: PrimitiveRsc, set: ActionSet): Placement {
  const m = current(p);
  for (const [nodeName] of [...m]) {
    const stop = set.byKey.get(`${p.id} stop ${nodeName}`);
    if (stop?.required && stop.runnable) m.delete(nodeName);
  }
  const target = p.assigned;
  if (target) {
    const start = set.byKey.get(keyOf(p, 'start', target));
    if (start?.runnable && (start.required || m.has(target.name))) {
      const promote = set.byKey.get(keyOf(p, 'promote', target));
      const role: Role = p.nextRole === 'Promoted' ? (promote?.runnable ? 'Promoted' : 'Unpromoted') : p.nextRole;
      m.set(target.name, { role, failed: false });
    }
  }
  for (const [nodeName, st] of m) {
    const demote = set.byKey.get(`${p.id} demote ${nodeName}`);
    if (demote?.required && demote.runnable && st.role === 'Promoted') st.role = 'Unpromoted';
  }
  return m;
}

function agentName(p: PrimitiveRsc): string {
  return p.provider ? `${p.className}:${p.provider}:${p.type}` : `${p.className}:${p.type}`;
}

function nodeLines(ws: WorkingSet, fenced: Set<string>): string[] {
  const lines: string[] = ['  * Node List:'];
  const online: string[] = [];
  const offline: string[] = [];
  for (const n of ws.nodes) {
    if (fenced.has(n.name)) {
      offline.push(n.name);
      continue;
    }
    if (n.unclean) lines.push(`    * Node ${n.name}: UNCLEAN (${n.online ? 'online' : 'offline'})`);
    else if (n.pending) lines.push(`    * Node ${n.name}: pending`);
    else if (n.online && n.standby) lines.push(`    * Node ${n.name}: standby`);
    else if (n.online && n.maintenance) lines.push(`    * Node ${n.name}: maintenance`);
    else if (n.online) online.push(n.name);
    else offline.push(n.name);
  }
  if (online.length) lines.push(`    * Online: [ ${online.join(' ')} ]`);
  if (offline.length) lines.push(`    * OFFLINE: [ ${offline.join(' ')} ]`);
  return lines;
}

function primitiveLine(p: PrimitiveRsc, place: Placement, indent: string): string {
  const head = `${indent}* ${p.id}\t(${agentName(p)}):\t`;
  const flags = p.managed ? '' : ' (unmanaged)';
  if (place.size === 0) return `${head} Stopped${flags}`;
  const parts = [...place].map(([node, st]) => {
    const role = st.role === 'Unpromoted' || st.role === 'Promoted' ? st.role : 'Started';
    return st.failed ? `FAILED ${role === 'Started' ? '' : role + ' '}${node}` : `${role} ${node}`;
  });
  return `${head} ${parts.join(', ')}${flags}`;
}

function rscLines(r: Rsc, placeOf: (p: PrimitiveRsc) => Placement, ws: WorkingSet, indent: string): string[] {
  switch (r.variant) {
    case 'primitive':
      return [primitiveLine(r, placeOf(r), indent)];
    case 'group':
      return [`${indent}* Resource Group: ${r.id}:`, ...r.children.map((c) => primitiveLine(c, placeOf(c), indent + '  '))];
    case 'clone':
      return cloneLines(r, placeOf, ws, indent);
    case 'bundle':
      return [`${indent}* Container bundle: ${r.id}: (not scheduled by this version)`];
  }
}

function cloneLines(c: CloneRsc, placeOf: (p: PrimitiveRsc) => Placement, ws: WorkingSet, indent: string): string[] {
  const flags = [c.unique ? 'unique' : '', c.promotable ? 'promotable' : ''].filter(Boolean);
  const lines = [`${indent}* Clone Set: ${c.id} [${c.childId}]${flags.length ? ` (${flags.join(', ')})` : ''}:`];
  if (c.unique || c.def.child.kind === 'group') {
    for (const inst of c.instances) lines.push(...rscLines(inst, placeOf, ws, indent + '  '));
    return lines;
  }
  const byRole = new Map<string, string[]>();
  const used = new Set<string>();
  for (const inst of c.instances) {
    for (const p of allPrimitivesOf(inst)) {
      for (const [node, st] of placeOf(p)) {
        if (st.failed || !p.managed) {
          lines.push(primitiveLine(p, new Map([[node, st]]), indent + '  '));
          used.add(node);
          continue;
        }
        const role = st.role === 'Promoted' ? 'Promoted' : st.role === 'Unpromoted' ? 'Unpromoted' : 'Started';
        const l = byRole.get(role) ?? [];
        l.push(node);
        byRole.set(role, l);
        used.add(node);
      }
    }
  }
  for (const role of ['Promoted', 'Unpromoted', 'Started']) {
    const nodes = byRole.get(role);
    if (nodes?.length) lines.push(`${indent}  * ${role}: [ ${sortNodes(nodes, ws).join(' ')} ]`);
  }
  const stopped = ws.nodes.filter((n) => !used.has(n.name)).map((n) => n.name);
  if (stopped.length) lines.push(`${indent}  * Stopped: [ ${stopped.join(' ')} ]`);
  return lines;
}

function sortNodes(names: string[], ws: WorkingSet): string[] {
  const idx = (n: string): number => ws.nodeByName.get(n)?.index ?? 0;
  return [...names].sort((a, b) => idx(a) - idx(b));
}

/**
 * The cluster status as crm_simulate prints it ("Current cluster status"),
 * or, given the scheduled actions, as it will be once they have run.
 */
export function formatClusterStatus(ws: WorkingSet, set?: ActionSet): string {
  const fenced = new Set<string>();
  if (set) for (const a of set.actions) if (a.task === 'stonith' && a.runnable && a.node) fenced.add(a.node.name);
  const placeOf = (p: PrimitiveRsc): Placement => (set ? after(p, set) : current(p));
  const lines = [...nodeLines(ws, fenced), '', '  * Full List of Resources:'];
  if (ws.resources.length === 0) lines.push('    * No resources');
  for (const r of ws.resources) lines.push(...rscLines(r, placeOf, ws, '    '));
  return lines.join('\n');
}

export type { SchedNode };
