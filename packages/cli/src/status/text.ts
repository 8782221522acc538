import {
  type ClusterStatus,
  type CloneStatus,
  type FailedAction,
  type GroupStatus,
  type NodeStatus,
  type PrimitiveStatus,
  type ResourceLocation,
  type ResourceStatus,
} from './model.js';

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** ctime-style "Mon Nov 23 16:32:55 2026", in UTC so output does not depend on the host's zone. */
export function formatTime(sec: number): string {
  const d = new Date(sec * 1000);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return (
    `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${d.getUTCFullYear()}`
  );
}

const INFINITY = 1_000_000;

function scoreText(n: number): string {
  return n >= INFINITY ? 'INFINITY' : n <= -INFINITY ? '-INFINITY' : String(n);
}

function summaryLines(s: ClusterStatus): string[] {
  const sum = s.summary;
  const lines = ['Cluster Summary:', `  * Stack: ${sum.stack}`];
  const quorum = sum.quorate ? 'partition with quorum' : 'partition WITHOUT quorum';
  if (sum.dc) lines.push(`  * Current DC: ${sum.dc.name} (version ${sum.dc.version ?? 'unknown'}) - ${quorum}`);
  else lines.push('  * Current DC: NONE');
  lines.push(`  * Last updated: ${formatTime(sum.lastUpdatedSec)}${sum.localNode ? ` on ${sum.localNode}` : ''}`);
  if (sum.lastChange) {
    const c = sum.lastChange;
    const via = c.client ? ` by ${c.user || 'unknown'} via ${c.client}${c.origin ? ` on ${c.origin}` : ''}` : '';
    lines.push(`  * Last change:  ${formatTime(c.timeSec)}${via}`);
  }
  lines.push(`  * ${sum.nodesConfigured} node${sum.nodesConfigured === 1 ? '' : 's'} configured`);
  const extra: string[] = [];
  if (sum.resourceInstancesDisabled) extra.push(`${sum.resourceInstancesDisabled} DISABLED`);
  if (sum.resourceInstancesBlocked) extra.push(`${sum.resourceInstancesBlocked} BLOCKED from further action due to failure`);
  const n = sum.resourceInstancesConfigured;
  lines.push(`  * ${n} resource instance${n === 1 ? '' : 's'} configured${extra.length ? ` (${extra.join(', ')})` : ''}`);
  if (sum.options.maintenanceMode) lines.push('', '              *** Resource management is DISABLED ***');
  else if (sum.options.stopAllResources) lines.push('', '    *** Resource management is DISABLED: stop-all-resources ***');
  return lines;
}

/** Node names in crm_mon's order: case-insensitive, digit runs compared as numbers. */
export function compareNodeNames(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true, sensitivity: 'base' });
}

function nodeLines(nodes: readonly NodeStatus[]): string[] {
  const lines = ['Node List:'];
  nodes = [...nodes].sort((a, b) => compareNodeNames(a.name, b.name));
  const online: string[] = [];
  const offline: string[] = [];
  for (const n of nodes) {
    if (n.unclean) lines.push(`  * Node ${n.name}: UNCLEAN (${n.online ? 'online' : 'offline'})`);
    else if (n.pending) lines.push(`  * Node ${n.name}: pending`);
    else if (n.online && n.standby)
      lines.push(`  * Node ${n.name}: standby${n.resourcesRunning > 0 ? ' (with active resources)' : ''}`);
    else if (n.online && n.maintenance) lines.push(`  * Node ${n.name}: maintenance`);
    else if (n.online) online.push(n.name);
    else offline.push(n.name);
  }
  if (online.length) lines.push(`  * Online: [ ${online.join(' ')} ]`);
  if (offline.length) lines.push(`  * OFFLINE: [ ${offline.join(' ')} ]`);
  return lines;
}

function displayRole(l: ResourceLocation): string {
  return l.role === 'Unpromoted' || l.role === 'Promoted' ? l.role : 'Started';
}

/**
 * One primitive as crm_mon prints it. crm_mon treats "failed" as a property
 * of the resource, so every location of a failed resource reads FAILED.
 */
function primitiveLine(p: PrimitiveStatus, locations: readonly ResourceLocation[], indent: string, name = p.id): string {
  const head = `${indent}* ${name}\t(${p.agent}):\t`;
  const flags = (p.blocked ? ' (blocked)' : p.managed ? '' : ' (unmanaged)') + (p.targetRole === 'Stopped' ? ' (disabled)' : '');
  if (locations.length === 0) return `${head} Stopped${flags}`;
  const failed = p.failed;
  const first = displayRole(locations[0]!);
  if (locations.length > 1 && locations.every((l) => displayRole(l) === first && l.pending === undefined && !l.unclean)) {
    const state = failed ? `FAILED${first === 'Started' ? '' : ' ' + first}` : first;
    return `${head} ${state} [ ${locations.map((l) => l.node).join(' ')} ]${flags}`;
  }
  const parts = locations.map((l) => {
    const role = displayRole(l);
    const unclean = l.unclean ? ' (UNCLEAN)' : '';
    if (failed) return `FAILED ${role === 'Started' ? '' : role + ' '}${l.node}${unclean}`;
    // An operation in flight shows as what it is becoming ("Starting n1"); a pending monitor only as a note.
    const becoming = l.pending !== undefined ? PENDING_TEXT[l.pending] : undefined;
    if (becoming) return `${becoming} ${l.node}${unclean}`;
    return `${role} ${l.node}${unclean}${l.pending === 'monitor' ? ' (Monitoring)' : ''}`;
  });
  return `${head} ${parts.join(', ')}${flags}`;
}

/** How crm_mon names an operation in flight in place of the role. */
export const PENDING_TEXT: Readonly<Record<string, string>> = {
  start: 'Starting',
  stop: 'Stopping',
  migrate_to: 'Migrating',
  migrate_from: 'Migrating',
  promote: 'Promoting',
  demote: 'Demoting',
};

function resourceLines(r: ResourceStatus, nodes: readonly NodeStatus[], indent: string): string[] {
  switch (r.kind) {
    case 'primitive':
      return [primitiveLine(r, r.locations, indent)];
    case 'group':
      return [`${indent}* Resource Group: ${r.id}${r.managed ? '' : ' (unmanaged)'}:`, ...r.children.map((c) => primitiveLine(c, c.locations, indent + '  '))];
    case 'clone':
      return cloneLines(r, nodes, indent);
    case 'bundle':
      return [`${indent}* Container bundle: ${r.id}: (not scheduled by this version)`];
  }
}

/** Anonymous clones collapse into one line per role, as crm_mon does; unique ones list each instance. */
function cloneLines(c: CloneStatus, nodes: readonly NodeStatus[], indent: string): string[] {
  const flags = [c.promotable ? 'promotable' : '', c.unique ? 'unique' : '', c.managed ? '' : 'unmanaged', c.disabled ? 'disabled' : ''].filter(
    Boolean,
  );
  const lines = [`${indent}* Clone Set: ${c.id} [${c.childId}]${flags.length ? ` (${flags.join(', ')})` : ''}:`];
  if (c.unique) {
    for (const inst of c.instances) lines.push(...resourceLines(inst, nodes, indent + '  '));
    return lines;
  }
  const byRole = new Map<string, string[]>();
  const used = new Set<string>();
  for (const inst of c.instances) {
    if (inst.kind === 'group') {
      const where = groupPlacement(inst);
      if (where === 'stopped') continue;
      if (where === 'mixed') {
        // Members of an anonymous clone's group are named by their configured ids.
        lines.push(
          `${indent}  * Resource Group: ${inst.id}${inst.managed ? '' : ' (unmanaged)'}:`,
          ...inst.children.map((c) => primitiveLine(c, c.locations, indent + '    ', c.baseId)),
        );
        for (const ch of inst.children) for (const l of ch.locations) used.add(l.node);
        continue;
      }
      used.add(where.node);
      byRole.set(where.role, [...(byRole.get(where.role) ?? []), where.node]);
      continue;
    }
    for (const l of inst.locations) {
      used.add(l.node);
      if (l.failed || !inst.managed || l.pending !== undefined || l.unclean) {
        // Anonymous instances are interchangeable, so crm_mon names them by the configured id.
        lines.push(primitiveLine(inst, [l], indent + '  ', inst.baseId));
        continue;
      }
      const role = displayRole(l);
      byRole.set(role, [...(byRole.get(role) ?? []), l.node]);
    }
  }
  for (const role of ['Promoted', 'Unpromoted', 'Started']) {
    const names = byRole.get(role);
    if (!names?.length) continue;
    names.sort(compareNodeNames);
    lines.push(`${indent}  * ${role}: [ ${names.join(' ')} ]`);
  }
  const stopped = nodes
    .filter((n) => !used.has(n.name))
    .map((n) => n.name)
    .sort(compareNodeNames);
  if (stopped.length) lines.push(`${indent}  * Stopped: [ ${stopped.join(' ')} ]`);
  return lines;
}

/** A cloned group collapses into its clone's role lists only when all its members sit together, healthy, in one role. */
function groupPlacement(g: GroupStatus): 'stopped' | 'mixed' | { node: string; role: string } {
  if (g.children.every((c) => c.locations.length === 0)) return 'stopped';
  const first = g.children[0]?.locations[0];
  if (!first) return 'mixed';
  const together = g.children.every(
    (c) => c.locations.length === 1 && c.locations[0]!.node === first.node && displayRole(c.locations[0]!) === displayRole(first),
  );
  if (!together || g.children.some((c) => c.failed || !c.managed)) return 'mixed';
  return { node: first.node, role: displayRole(first) };
}

/** "40ms", "30.160s", "1m30.009s", "2h5m" — how Pacemaker prints an elapsed time. */
export function durationText(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const restMs = ms % 60_000;
  const s = restMs % 1000 === 0 ? String(restMs / 1000) : (restMs / 1000).toFixed(3);
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${restMs ? `${s}s` : ''}`;
}

function intervalText(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

function failedActionLine(f: FailedAction): string {
  const op = f.intervalMs > 0 ? `${intervalText(f.intervalMs)}-interval ${f.task}` : f.task === 'monitor' ? 'probe' : f.task;
  const what =
    f.opStatus === 0
      ? `returned '${f.rcText}'${f.exitReason ? ` (${f.exitReason})` : ''}`
      : `could not be executed (${f.opStatusText}${f.exitReason ? `: ${f.exitReason}` : ''})`;
  const at = f.lastRcChangeSec !== undefined ? ` at ${formatTime(f.lastRcChangeSec)}` : '';
  const after = f.execTimeMs !== undefined && f.execTimeMs > 0 && at ? ` after ${durationText(f.execTimeMs)}` : '';
  return `  * ${f.resource} ${op} on ${f.node} ${what}${at}${after}`;
}

function attributeLines(nodes: readonly NodeStatus[]): string[] {
  const withAttrs = nodes.filter((n) => Object.keys(n.attributes).length > 0).sort((a, b) => compareNodeNames(a.name, b.name));
  if (!withAttrs.length) return [];
  const lines = ['', 'Node Attributes:'];
  for (const n of withAttrs) {
    lines.push(`  * Node: ${n.name}:`);
    for (const [name, value] of Object.entries(n.attributes)) lines.push(`    * ${name.padEnd(32)}\t: ${value.padEnd(10)}`);
  }
  return lines;
}

function migrationLines(s: ClusterStatus): string[] {
  const lines = ['Migration Summary:'];
  for (const node of s.nodes) {
    const counts = s.failCounts.filter((f) => f.node === node.name);
    if (!counts.length) continue;
    lines.push(`  * Node: ${node.name}:`);
    for (const f of counts) {
      const last = f.lastFailureSec !== undefined ? ` last-failure='${formatTime(f.lastFailureSec)}'` : '';
      lines.push(
        `    * ${f.resource}: migration-threshold=${f.migrationThreshold} fail-count=${scoreText(f.failCount)}${last}`,
      );
    }
  }
  return lines;
}

/**
 * The status in crm_mon's text layout (`crm_mon -1 -r -f -A`): summary,
 * node list, every resource with its role and location, node attributes,
 * fail counts, and failed actions. The node and resource lists match `formatClusterStatus` in pe,
 * which prints them crm_simulate's way; they are rebuilt here from the
 * status model so that a client holding only the JSON can print them.
 */
export function renderStatusText(s: ClusterStatus): string {
  const parts: string[] = [...summaryLines(s), '', ...nodeLines(s.nodes), '', 'Full List of Resources:'];
  if (s.resources.length === 0) parts.push('  * No resources');
  for (const r of s.resources) parts.push(...resourceLines(r, s.nodes, '  '));
  parts.push(...attributeLines(s.nodes), '', ...migrationLines(s));
  if (s.failedActions.length) parts.push('', 'Failed Resource Actions:', ...s.failedActions.map(failedActionLine));
  return parts.join('\n') + '\n';
}
