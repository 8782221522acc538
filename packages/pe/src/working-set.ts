import type { Cib, LrmRscOp, NodeType, Primitive, RoleName, Group, Clone, Bundle, Operation } from '@vigil/cib';
import type { ClusterOptions } from './options.js';

/** A node as the scheduler sees it after unpacking configuration and status. */
export interface SchedNode {
  readonly id: string;
  readonly name: string;
  readonly type: NodeType;
  /** Position in the configuration, for stable ordering. */
  readonly index: number;
  online: boolean;
  /** Needs fencing (or, with fencing disabled, is assumed down). */
  unclean: boolean;
  fenceReason?: string;
  standby: boolean;
  maintenance: boolean;
  pending: boolean;
  shutdown: boolean;
  expectedUp: boolean;
  /** Node attributes for rules: configured, transient, and the built-ins (#uname, #id, #kind, #is_dc...). */
  attrs: Record<string, string>;
  utilization: Record<string, number>;
  /** Primitives assigned here so far, for the default strategy's balancing. */
  assignedCount: number;
  /** Utilization consumed by assigned resources. */
  used: Record<string, number>;
  isDc: boolean;
  /** True for nodes that exist in status but not in configuration. */
  unknownInConfig: boolean;
}

export type Role = RoleName;

export const ROLE_ORDER: Record<Role, number> = {
  Unknown: 0,
  Stopped: 1,
  Started: 2,
  Unpromoted: 3,
  Promoted: 4,
};

/** What the history of one resource on one node says. */
export interface NodeHistory {
  role: Role;
  /** A failure left the resource in need of recovery on this node. */
  failed: boolean;
  /** A stop failed: only fencing (or blocking) makes it safe. */
  stopFailed: boolean;
  /** The last failed operation, for "Failed Resource Actions". */
  lastFailure?: FailedOp;
  /** Hard failure: the resource may not run on this node until cleaned up. */
  banned: boolean;
  /** Fatal failure: the resource may not run anywhere. */
  fatal: boolean;
  /** The lrm_resource id the history was recorded under ("rsc:3" for an anonymous instance). */
  recordedId?: string;
  /** A pending (in-flight) operation. */
  pending?: string;
  /** A migration left half-done: migrate_to succeeded here toward `migrateTarget`. */
  migrateTarget?: string;
  migrateSource?: string;
  /** A migrate_to from here failed: the target may have been left running it. */
  failedMigrateTarget?: string;
  /** A migrate_from here failed (even if the resource was stopped since). */
  migrateFromFailed?: boolean;
  /** The on-fail policy that applies to the last failure. */
  onFail?: string;
  /** Recurring monitors recorded as running (interval ms → op record id). */
  recurring: Map<string, { intervalMs: number; name: string; digest?: string }>;
  /** Parameters digest of the last start/reload, to detect definition changes. */
  startDigest?: string;
  /** The op record (start, reload, migrate_from or a probe finding it running) the digests come from. */
  digestOp?: LrmRscOp;
  lastRcChangeSec?: number;
}

export interface FailedOp {
  readonly rsc: string;
  readonly task: string;
  readonly intervalMs: number;
  readonly node: string;
  readonly rc: number;
  readonly opStatus: number;
  readonly callId: number;
  readonly exitReason?: string;
  readonly lastRcChange?: number;
}

interface RscCommon {
  readonly id: string;
  parent?: GroupRsc | CloneRsc;
  meta: Record<string, string>;
  priority: number;
  managed: boolean;
  targetRole: Role;
  /** Location preferences, node name → score. */
  allowed: Map<string, number>;
  /** Nodes where probing is allowed (resource-discovery). */
  discovery: Map<string, 'always' | 'never' | 'exclusive'>;
  /** Per-node scores that apply only to the Promoted role. */
  promotedScores: Map<string, number>;
  /** Colocations where this resource is the dependent. */
  colocationsAsDependent: ColocationEdge[];
  /** Colocations where this resource is the primary. */
  colocationsAsPrimary: ColocationEdge[];
  assigning: boolean;
  assignedDone: boolean;
  orphan: boolean;
}

export interface PrimitiveRsc extends RscCommon {
  readonly variant: 'primitive';
  /** The configured id (without the clone instance suffix). */
  readonly baseId: string;
  readonly def: Primitive;
  readonly className: string;
  readonly provider?: string;
  readonly type: string;
  params: Record<string, string>;
  ops: readonly Operation[];
  stickiness: number;
  migrationThreshold: number;
  failureTimeoutSec: number;
  allowMigrate: boolean;
  isRemoteConnection: boolean;
  /** Current role per node, from history. */
  history: Map<string, NodeHistory>;
  /** Nodes where the resource is active now (role above Stopped). */
  runningOn: SchedNode[];
  /** Sources of completed live migrations, still to be cleaned up with a stop. */
  migrationLeftovers: SchedNode[];
  failCount: Map<string, number>;
  /** Assignment result. */
  assigned: SchedNode | null;
  nextRole: Role;
  /** Why it cannot run, for the summary ("node availability", "no quorum"...). */
  stopReason?: string;
  /** Clone instance number, when part of a clone. */
  instance?: number;
  /** Set when the resource's parameters changed since it started here. */
  definitionChanged: Set<string>;
  /** Nodes where the resource must be restarted if it stays (left half-migrated there). */
  restartOn: Set<string>;
  /** Nodes where only reloadable parameters changed: a reload instead of a restart. */
  reloadNeeded: Set<string>;
  /** True when the resource is blocked from any action (on-fail=block, unmanaged failed stop). */
  blocked: boolean;
  /** Why live migration is ruled out by what the resource is ordered after ("unmigrateable A stop"). */
  unmigrateable?: string;
  /** An interleaved clone instance kept from running: nothing it is ordered after runs on its node. */
  inhibited?: boolean;
  /** The node the resource should be recovered on in place, if failed. */
  restartReason?: string;
}

export interface GroupRsc extends RscCommon {
  readonly variant: 'group';
  readonly def: Group;
  children: PrimitiveRsc[];
}

export interface CloneRsc extends RscCommon {
  readonly variant: 'clone';
  readonly def: Clone;
  readonly promotable: boolean;
  readonly unique: boolean;
  readonly cloneMax: number;
  readonly cloneNodeMax: number;
  readonly promotedMax: number;
  readonly promotedNodeMax: number;
  readonly interleave: boolean;
  readonly ordered: boolean;
  readonly notify: boolean;
  /** Instances: each a primitive or a group copy with an instance suffix. */
  instances: (PrimitiveRsc | GroupRsc)[];
  /** Id of the configured child (primitive or group). */
  readonly childId: string;
}

export interface BundleRsc extends RscCommon {
  readonly variant: 'bundle';
  readonly def: Bundle;
}

export type Rsc = PrimitiveRsc | GroupRsc | CloneRsc | BundleRsc;

export interface ColocationEdge {
  readonly id: string;
  readonly dependent: Rsc;
  readonly primary: Rsc;
  readonly score: number;
  readonly dependentRole?: Role;
  readonly primaryRole?: Role;
  readonly nodeAttribute: string;
  readonly influence: boolean;
}

export interface WorkingSet {
  readonly cib: Cib;
  readonly nowSec: number;
  readonly options: ClusterOptions;
  readonly haveQuorum: boolean;
  readonly nodes: SchedNode[];
  readonly nodeByName: Map<string, SchedNode>;
  readonly resources: Rsc[];
  readonly byId: Map<string, Rsc>;
  readonly primitives: PrimitiveRsc[];
  readonly rscDefaults: Record<string, string>;
  readonly opDefaults: Record<string, string>;
  readonly failedOps: FailedOp[];
  readonly warnings: string[];
  readonly dcName?: string;
}

export function allPrimitivesOf(rsc: Rsc): PrimitiveRsc[] {
  switch (rsc.variant) {
    case 'primitive':
      return [rsc];
    case 'group':
      return rsc.children;
    case 'clone':
      return rsc.instances.flatMap(allPrimitivesOf);
    case 'bundle':
      return [];
  }
}

export function topOf(rsc: Rsc): Rsc {
  let r: Rsc = rsc;
  while (r.parent) r = r.parent;
  return r;
}

export function canRunResources(node: SchedNode): boolean {
  return node.online && !node.unclean && !node.standby && !node.pending && !node.shutdown && !node.maintenance;
}
