import { INFINITY, type Cib, type TicketConstraint } from '@vigil/cib';
import { isTrue } from '../options.js';
import { allPrimitivesOf, type Role, type Rsc, type WorkingSet } from '../working-set.js';
import { resolveRefs } from './refs.js';

export interface TicketState {
  readonly granted: boolean;
  readonly standby: boolean;
}

/** Ticket states live in the status section (status/tickets/ticket_state). */
export function readTickets(cib: Cib): Map<string, TicketState> {
  const out = new Map<string, TicketState>();
  const status = cib.xml.children.find((c) => c.name === 'status');
  const tickets = status?.children.find((c) => c.name === 'tickets');
  for (const t of tickets?.children ?? []) {
    if (t.name !== 'ticket_state' || !t.attrs['id']) continue;
    out.set(t.attrs['id'], { granted: isTrue(t.attrs['granted']), standby: isTrue(t.attrs['standby']) });
  }
  return out;
}

type Policy = 'stop' | 'demote' | 'fence' | 'freeze';

/**
 * rsc_ticket: a resource may run (or be promoted) only while its ticket is
 * granted and not in standby. When it is not, loss-policy says what happens
 * to what is already running: stop it, demote it, fence its node, or freeze.
 * A ticket in standby asks for a graceful stop (or demotion).
 */
export function applyTicket(c: TicketConstraint, ws: WorkingSet, tickets: Map<string, TicketState>): void {
  const state = tickets.get(c.ticket) ?? { granted: false, standby: false };
  if (state.granted && !state.standby) return;
  const targets: { rsc: Rsc; role: Role }[] = [];
  if (c.rsc !== undefined) for (const r of resolveRefs([c.rsc], ws)) targets.push({ rsc: r, role: c.rscRole ?? 'Started' });
  for (const set of c.sets) for (const r of resolveRefs(set.resources, ws)) targets.push({ rsc: r, role: set.role ?? c.rscRole ?? 'Started' });

  for (const { rsc, role } of targets) {
    const promotedOnly = role === 'Promoted';
    let policy: Policy = c.lossPolicy ?? 'stop';
    if (state.granted && state.standby) policy = policy === 'stop' || !promotedOnly ? 'stop' : 'demote';
    if (!promotedOnly && policy === 'demote') policy = 'stop';
    switch (policy) {
      case 'stop':
        banEverywhere(rsc, ws);
        break;
      case 'demote':
        forbidPromotion(rsc, ws);
        break;
      case 'fence':
        fenceWhereActive(rsc, promotedOnly, ws);
        if (promotedOnly) forbidPromotion(rsc, ws);
        else banEverywhere(rsc, ws);
        break;
      case 'freeze':
        freeze(rsc, promotedOnly, ws);
        break;
    }
  }
}

function banEverywhere(rsc: Rsc, ws: WorkingSet): void {
  for (const node of ws.nodes) rsc.allowed.set(node.name, -INFINITY);
}

function forbidPromotion(rsc: Rsc, ws: WorkingSet): void {
  for (const node of ws.nodes) rsc.promotedScores.set(node.name, -INFINITY);
}

function fenceWhereActive(rsc: Rsc, promotedOnly: boolean, ws: WorkingSet): void {
  for (const p of allPrimitivesOf(rsc)) {
    for (const node of p.runningOn) {
      if (promotedOnly && p.history.get(node.name)?.role !== 'Promoted') continue;
      if (!node.unclean) {
        node.unclean = true;
        node.fenceReason = 'deadman ticket was lost';
      }
    }
  }
}

function freeze(rsc: Rsc, promotedOnly: boolean, ws: WorkingSet): void {
  const prims = allPrimitivesOf(rsc);
  if (promotedOnly) {
    // Whatever is promoted stays promoted; nothing else may be.
    const promotedOn = new Set(prims.flatMap((p) => p.runningOn.filter((n) => p.history.get(n.name)?.role === 'Promoted').map((n) => n.name)));
    for (const node of ws.nodes) if (!promotedOn.has(node.name)) rsc.promotedScores.set(node.name, -INFINITY);
    return;
  }
  for (const p of prims) {
    for (const node of ws.nodes) {
      if (!p.runningOn.includes(node)) p.allowed.set(node.name, -INFINITY);
    }
  }
}
