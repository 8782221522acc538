import type { AgentMetadata } from './metadata.js';

/** One clone instance and the node it is on (or will be on). */
export interface NotifyEntry {
  readonly resource: string;
  readonly node?: string;
}

/** What the cluster tells clone instances around an action (Pacemaker "Clone Notifications"). */
export interface Notification {
  readonly type: 'pre' | 'post';
  readonly operation: 'start' | 'stop' | 'promote' | 'demote';
  readonly active?: readonly NotifyEntry[];
  readonly inactive?: readonly NotifyEntry[];
  readonly start?: readonly NotifyEntry[];
  readonly stop?: readonly NotifyEntry[];
  readonly promote?: readonly NotifyEntry[];
  readonly demote?: readonly NotifyEntry[];
  readonly promoted?: readonly NotifyEntry[];
  readonly unpromoted?: readonly NotifyEntry[];
  /** Every node the clone may run on (notify_all_uname). */
  readonly allNodes?: readonly string[];
}

const LISTS = ['active', 'start', 'stop', 'promote', 'demote', 'promoted', 'unpromoted'] as const;
// Agents written before Pacemaker 2.1 read the master/slave spellings.
const LEGACY: Partial<Record<(typeof LISTS)[number], string>> = { promoted: 'master', unpromoted: 'slave' };

/**
 * The meta attributes (keys without CRM_meta_) for a notify action:
 * notify_type, notify_operation and the *_resource / *_uname pairs as
 * space-separated lists in matching order. inactive has no uname list.
 */
export function notificationMeta(n: Notification): Record<string, string> {
  const meta: Record<string, string> = {
    notify_type: n.type,
    notify_operation: n.operation,
  };
  const put = (name: string, entries: readonly NotifyEntry[] | undefined): void => {
    const list = entries ?? [];
    meta[`notify_${name}_resource`] = list.map((e) => e.resource).join(' ');
    meta[`notify_${name}_uname`] = list.map((e) => e.node ?? '').join(' ').trim();
  };
  for (const name of LISTS) {
    put(name, n[name]);
    const legacy = LEGACY[name];
    if (legacy) put(legacy, n[name]);
  }
  meta['notify_inactive_resource'] = (n.inactive ?? []).map((e) => e.resource).join(' ');
  if (n.allNodes) meta['notify_all_uname'] = n.allNodes.join(' ');
  return meta;
}

export interface UniqueConflict {
  readonly parameter: string;
  readonly value: string;
  readonly resources: readonly string[];
}

/**
 * Parameters marked unique="1" must not share a value between resources of
 * the same agent (two IPaddr2 with one ip). Returns every clash, for a
 * config check that names the parameter and the resources.
 */
export function findUniqueConflicts(
  meta: AgentMetadata,
  resources: ReadonlyArray<{ readonly id: string; readonly params: Readonly<Record<string, string>> }>,
): UniqueConflict[] {
  const out: UniqueConflict[] = [];
  for (const p of meta.parameters.filter((x) => x.unique)) {
    const byValue = new Map<string, string[]>();
    for (const r of resources) {
      const value = r.params[p.name] ?? p.default;
      if (value === undefined || value === '') continue;
      byValue.set(value, [...(byValue.get(value) ?? []), r.id]);
    }
    for (const [value, ids] of byValue) {
      if (ids.length > 1) out.push({ parameter: p.name, value, resources: ids });
    }
  }
  return out;
}
