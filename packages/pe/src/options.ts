import { INFINITY, parseDurationMs } from '@vigil/cib';

/**
 * Cluster options the scheduler reads, with Pacemaker's defaults. Pacemaker
 * 3.x renamed several options; both spellings are accepted and the newer one
 * wins when both are set.
 */
export interface ClusterOptions {
  readonly fencingEnabled: boolean;
  readonly fencingAction: 'reboot' | 'off' | 'poweroff';
  readonly symmetricCluster: boolean;
  readonly noQuorumPolicy: 'stop' | 'freeze' | 'ignore' | 'demote' | 'fence' | 'suicide';
  readonly maintenanceMode: boolean;
  readonly stopOrphanResources: boolean;
  readonly stopOrphanActions: boolean;
  readonly startFailureIsFatal: boolean;
  readonly startupFencing: boolean;
  readonly placementStrategy: 'default' | 'utilization' | 'minimal' | 'balanced';
  readonly stopAllResources: boolean;
  readonly concurrentFencing: boolean;
  readonly shutdownLock: boolean;
  /** node-pending-timeout in seconds; 0 means pending nodes are never fenced for it. */
  readonly nodePendingTimeoutSec: number;
  /** shutdown-lock-limit in seconds; 0 means locks last until the node returns. */
  readonly shutdownLockLimitSec: number;
  readonly nodeHealthStrategy: string;
  readonly clusterName?: string;
  readonly batchLimit: number;
}

const RENAMED: ReadonlyArray<readonly [string, string]> = [
  ['stonith-enabled', 'fencing-enabled'],
  ['stonith-action', 'fencing-action'],
  ['stonith-timeout', 'fencing-timeout'],
  ['stonith-watchdog-timeout', 'fencing-watchdog-timeout'],
  ['stop-orphan-resources', 'stop-removed-resources'],
  ['stop-orphan-actions', 'cancel-removed-actions'],
];

export function readClusterOptions(raw: Readonly<Record<string, string>>): ClusterOptions {
  const get = (name: string): string | undefined => {
    for (const [old, renamed] of RENAMED) {
      if (name === renamed) return raw[renamed] ?? raw[old];
    }
    return raw[name] ?? raw[name.replace(/-/g, '_')];
  };
  const bool = (name: string, dflt: boolean): boolean => {
    const v = get(name);
    return v === undefined ? dflt : isTrue(v);
  };
  const action = get('fencing-action') ?? 'reboot';
  const nqp = get('no-quorum-policy') ?? 'stop';
  const ps = get('placement-strategy') ?? 'default';
  const batch = Number(get('batch-limit') ?? '0');
  return {
    fencingEnabled: bool('fencing-enabled', true),
    fencingAction: action === 'off' || action === 'poweroff' ? action : 'reboot',
    symmetricCluster: bool('symmetric-cluster', true),
    noQuorumPolicy: (['stop', 'freeze', 'ignore', 'demote', 'fence', 'suicide'].includes(nqp) ? nqp : 'stop') as ClusterOptions['noQuorumPolicy'],
    maintenanceMode: bool('maintenance-mode', false),
    stopOrphanResources: bool('stop-removed-resources', true),
    stopOrphanActions: bool('cancel-removed-actions', true),
    startFailureIsFatal: bool('start-failure-is-fatal', true),
    startupFencing: bool('startup-fencing', true),
    placementStrategy: (['default', 'utilization', 'minimal', 'balanced'].includes(ps) ? ps : 'default') as ClusterOptions['placementStrategy'],
    stopAllResources: bool('stop-all-resources', false),
    concurrentFencing: bool('concurrent-fencing', true),
    shutdownLock: bool('shutdown-lock', false),
    shutdownLockLimitSec: durationSec(get('shutdown-lock-limit')),
    nodePendingTimeoutSec: durationSec(get('node-pending-timeout')),
    nodeHealthStrategy: get('node-health-strategy') ?? 'none',
    clusterName: get('cluster-name'),
    batchLimit: Number.isFinite(batch) ? batch : 0,
  };
}

function durationSec(text: string | undefined): number {
  if (text === undefined) return 0;
  try {
    return Math.floor(parseDurationMs(text) / 1000);
  } catch {
    return 0;
  }
}

export function isTrue(value: string | undefined): boolean {
  if (value === undefined) return false;
  const v = value.trim().toLowerCase();
  return v === 'true' || v === 'yes' || v === 'on' || v === 'y' || v === '1';
}

/** Pacemaker's score text: integers, ±INFINITY, and the node-health colour names. */
export function scoreOf(text: string | undefined, dflt = 0): number {
  if (text === undefined) return dflt;
  const t = text.trim();
  if (/^[+]?INFINITY$/i.test(t)) return INFINITY;
  if (/^-INFINITY$/i.test(t)) return -INFINITY;
  const n = Number.parseInt(t, 10);
  if (!Number.isFinite(n)) return dflt;
  return Math.max(-INFINITY, Math.min(INFINITY, n));
}

/** Score addition: -INFINITY dominates +INFINITY; sums saturate at ±INFINITY. */
export function addScore(a: number, b: number): number {
  if (a <= -INFINITY || b <= -INFINITY) return -INFINITY;
  if (a >= INFINITY || b >= INFINITY) return INFINITY;
  return Math.max(-INFINITY, Math.min(INFINITY, a + b));
}

export function scoreText(score: number): string {
  if (score >= INFINITY) return 'INFINITY';
  if (score <= -INFINITY) return '-INFINITY';
  return String(score);
}
