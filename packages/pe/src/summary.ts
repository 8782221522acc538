import type { Action, ActionSet } from './actions.js';
import { keyOf } from './actions.js';
import { ROLE_ORDER, type PrimitiveRsc, type Role, type SchedNode, type WorkingSet } from './working-set.js';

export interface SummaryLine {
  readonly kind: 'Fence' | 'Start' | 'Stop' | 'Move' | 'Recover' | 'Restart' | 'Promote' | 'Demote' | 'Migrate' | 'Re-promote' | 'Reload';
  readonly resource?: string;
  readonly node?: string;
  /** The text crm_simulate prints after "* ". */
  readonly text: string;
}

function shown(role: Role): boolean {
  return role !== 'Started' && role !== 'Stopped' && role !== 'Unknown';
}

/** "( A )", "( Promoted A )", "( A -> B )", "( Unpromoted -> Promoted A )"... as Pacemaker prints them. */
function details(from: SchedNode | undefined, fromRole: Role, to: SchedNode | undefined, toRole: Role): string {
  if (!from || !to || from === to) {
    const node = (to ?? from)!.name;
    if (from && to && fromRole !== toRole) return `${fromRole} -> ${toRole} ${node}`;
    if (!from && to && toRole === 'Promoted') return `Stopped -> ${toRole} ${node}`;
    const role = from ? fromRole : toRole;
    return shown(role) ? `${role} ${node}` : node;
  }
  if (fromRole !== toRole) return `${fromRole} ${from.name} -> ${toRole} ${to.name}`;
  return shown(fromRole) ? `${from.name} -> ${to.name} ${fromRole}` : `${from.name} -> ${to.name}`;
}

/** Reason of a start that waits for a probe on a node still joining (printed as a bare "blocked"). */
export const PROBE_PENDING = 'probe pending';

/** " due to REASON"; an empty reason (an instance kept from running by interleaving) prints none. */
function due(reason: string | undefined): string {
  const r = reason ?? 'node availability';
  return r === '' ? '' : ` due to ${r}`;
}

function line(kind: SummaryLine['kind'], p: PrimitiveRsc, d: string, suffix = ''): SummaryLine {
  return { kind, resource: p.id, text: `${kind} ${p.id} ( ${d} )${suffix}` };
}

/** One summary line per resource that changes, and one per fencing. */
export function summarize(ws: WorkingSet, set: ActionSet): SummaryLine[] {
  const out: SummaryLine[] = [];
  for (const a of set.actions) {
    if (a.task === 'stonith' && a.node) {
      out.push({ kind: 'Fence', node: a.node.name, text: `Fence (${a.meta['action'] ?? 'reboot'}) ${a.node.name} '${a.reason ?? 'node is unclean'}'` });
    }
  }
  for (const p of ws.primitives) {
    if (p.managed && p.runningOn.length > 1 && (!p.assigned || p.nextRole === 'Stopped')) {
      // Stopping something active in several places: one line per place.
      for (const node of p.runningOn) {
        const role = p.history.get(node.name)?.role ?? 'Started';
        const reason = p.stopReason ?? 'node availability';
        out.push(line('Stop', p, details(node, role, undefined, role), ` due to ${reason}`));
      }
      continue;
    }
    const l = primitiveLine(p, set);
    if (l) out.push(l);
  }
  return out;
}

function find(set: ActionSet, p: PrimitiveRsc, task: string, node?: SchedNode): Action | undefined {
  return set.byKey.get(keyOf(p, task, node));
}

function primitiveLine(p: PrimitiveRsc, set: ActionSet): SummaryLine | undefined {
  if (!p.managed) return undefined;
  const target = p.assigned ?? undefined;
  const nextRole: Role = p.nextRole;
  if (p.runningOn.length === 0) {
    if (!target || nextRole === 'Stopped') return undefined;
    const start = find(set, p, 'start', target);
    if (!start) return undefined;
    if (!start.runnable) {
      // An interleaved instance with nothing to run after on its node is simply not placed.
      if (start.reason === '') return undefined;
      if (start.reason === PROBE_PENDING) return line('Start', p, target.name, ' blocked');
      return line('Start', p, target.name, `${due(start.reason)} (blocked)`);
    }
    if (nextRole === 'Promoted') {
      const promote = find(set, p, 'promote', target);
      if (promote && !promote.runnable && promote.reason?.startsWith('colocation with ')) {
        return line('Promote', p, details(undefined, 'Stopped', target, 'Promoted'), ` due to ${promote.reason} (blocked)`);
      }
      if (promote && !promote.runnable) return line('Start', p, target.name);
      return line('Promote', p, details(undefined, 'Stopped', target, 'Promoted'));
    }
    return line('Start', p, target.name);
  }
  // Active in several places: the summary speaks of the one in the highest
  // role, preferring the node it stays on.
  const rank = (n: SchedNode): number => ROLE_ORDER[p.history.get(n.name)?.role ?? 'Started'] * 2 + (n === target ? 1 : 0);
  const from = [...p.runningOn].sort((a, b) => rank(b) - rank(a))[0]!;
  const fromRole = p.history.get(from.name)?.role ?? 'Started';
  const stop = find(set, p, 'stop', from);
  // Fencing its node resolves a failure there: the resource just moves.
  const fromHistory = p.history.get(from.name);
  const failed = (fromHistory?.failed ?? false) && !(from.unclean && p.runningOn.length === 1);
  if (!target || nextRole === 'Stopped') {
    const own = stop?.reason && stop.reason !== 'failed' && !(stop.reason.startsWith('unrunnable') && !stop.runnable) ? stop.reason : undefined;
    const reason = own ?? p.stopReason ?? 'node availability';
    const blocked = stop && !stop.runnable ? ' (blocked)' : '';
    return line('Stop', p, details(from, fromRole, undefined, fromRole), ` due to ${reason}${blocked}`);
  }
  if (p.runningOn.length === 1 || !p.runningOn.includes(target)) {
    // fall through to the single-location cases below
  }
  const start = find(set, p, 'start', target);
  if (p.runningOn.length > 1 && target === from) {
    const anyFailed = p.runningOn.some((n) => p.history.get(n.name)?.failed);
    const why = anyFailed && p.meta['multiple-active'] === 'stop_unexpected' ? ' due to being multiply active' : '';
    return line(anyFailed ? 'Recover' : 'Restart', p, details(target, nextRole, target, nextRole), why);
  }
  if (target === from && p.runningOn.length === 1) {
    if (stop?.required) {
      if (start && !start.runnable) {
        return line('Stop', p, details(from, fromRole, undefined, fromRole), due(stop.reason?.startsWith('required') ? stop.reason : start.reason));
      }
      const toRole = nextRole;
      if (failed) return line('Recover', p, details(from, fromRole, target, toRole));
      const reason = stop.reason ?? start?.reason;
      return line('Restart', p, details(from, fromRole, target, toRole), reason ? ` due to ${reason}` : '');
    }
    if (find(set, p, 'reload-agent', target)?.required) return line('Reload', p, details(from, fromRole, target, nextRole));
    if (fromRole === 'Promoted' && nextRole !== 'Promoted') {
      const demote = find(set, p, 'demote', from);
      if (demote?.required) return line('Demote', p, details(from, fromRole, target, nextRole));
    }
    if (fromRole !== 'Promoted' && nextRole === 'Promoted') {
      const promote = find(set, p, 'promote', target);
      if (promote?.required) {
        if (!promote.runnable) return undefined;
        return line('Promote', p, details(from, fromRole, target, nextRole));
      }
    }
    return undefined;
  }
  // Moving (or active in several places).
  if (start && !start.runnable) {
    if (stop && !stop.runnable && stop.reason?.startsWith('unrunnable')) {
      return line('Stop', p, details(from, fromRole, undefined, fromRole), `${due(stop.reason)} (blocked)`);
    }
    return line('Stop', p, details(from, fromRole, undefined, fromRole), due(start.reason));
  }
  const toRole = nextRole;
  if (p.runningOn.length > 1) {
    const anyFailed = p.runningOn.some((n) => p.history.get(n.name)?.failed);
    return line(anyFailed ? 'Recover' : 'Move', p, details(from, fromRole, target, toRole));
  }
  if (failed) return line('Recover', p, details(from, fromRole, target, toRole));
  if ((set.byRsc.get(p) ?? []).some((a) => a.task === 'migrate_to' && a.required)) {
    return line('Migrate', p, details(from, fromRole, target, toRole));
  }
  return line('Move', p, details(from, fromRole, target, toRole), p.unmigrateable && p.allowMigrate ? ` due to ${p.unmigrateable}` : '');
}
