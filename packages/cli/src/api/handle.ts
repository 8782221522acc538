import type { Cib, CibVersion, XmlElement } from '@vigil/cib';

/**
 * What the HTTP API needs from a running node. The daemon implements it;
 * tests and `vigil api --cib FILE` use MemoryClusterHandle. Every method
 * either applies its change whole or throws without applying anything.
 */
export interface ClusterHandle {
  /** The CIB as this node holds it, with what only the live node knows. */
  status(): Promise<StatusSnapshot>;
  getCib(): Promise<Cib>;
  /**
   * Replace the whole CIB. Refuses (CONFLICT) a CIB whose version is older
   * than the current one, or, with `expectVersion`, any current version but that one.
   */
  replaceCib(cib: Cib, opts?: ReplaceOptions): Promise<CibVersion>;
  /** Replace one configuration section (`resources`, `constraints`...), as `cibadmin --replace -o SECTION`. */
  replaceSection(section: ConfigSection, element: XmlElement, opts?: ReplaceOptions): Promise<CibVersion>;
  /** Set, or with undefined remove, a cluster property in cib-bootstrap-options. */
  setProperty(name: string, value: string | undefined): Promise<CibVersion>;
  resourceAction(request: ResourceActionRequest): Promise<ActionOutcome>;
  nodeAction(action: NodeAction, node: string): Promise<ActionOutcome>;
  /** Set, or with undefined remove, a node attribute (transient: lasts until the node restarts). */
  setNodeAttribute(node: string, name: string, value: string | undefined): Promise<CibVersion>;
  /** Fence a node now (the DC does it; elsewhere NOT_DC). Resolves with the outcome, which may be a failure. */
  fence?(node: string, action: 'off' | 'reboot', origin: string): Promise<FenceOutcome>;
  /** Record an operator's word that a node is down (vigil fence confirm). */
  confirmFenced?(node: string, by: string): Promise<FenceOutcome>;
  /** What the fencer did and is doing, newest last. */
  fenceHistory?(): Promise<readonly Record<string, unknown>[]>;
}

export interface FenceOutcome {
  readonly node: string;
  readonly ok: boolean;
  readonly message: string;
}

export interface StatusSnapshot {
  readonly cib: Cib;
  /** Name of the DC, if there is one. */
  readonly dc?: string;
  readonly quorate: boolean;
  /** The node this daemon runs on. */
  readonly nodeName: string;
  /** Names of the nodes in the current membership view. */
  readonly membership?: readonly string[];
  /** The node's clock, in seconds since the epoch. */
  readonly nowSec: number;
}

export interface ReplaceOptions {
  /** Apply only if the current CIB has exactly this version (optimistic concurrency, HTTP If-Match). */
  readonly expectVersion?: CibVersion;
}

export const CONFIG_SECTIONS = [
  'crm_config',
  'nodes',
  'resources',
  'constraints',
  'rsc_defaults',
  'op_defaults',
  'tags',
  'fencing-topology',
] as const;
export type ConfigSection = (typeof CONFIG_SECTIONS)[number];

/**
 * Resource operations, as crm_resource offers them: start/stop set
 * target-role; move/ban/promote-on add `cli-prefer-*` / `cli-ban-*`
 * location constraints and clear removes them; cleanup forgets failures;
 * restart stops and starts in place.
 */
export const RESOURCE_ACTIONS = ['start', 'stop', 'restart', 'move', 'ban', 'clear', 'cleanup', 'promote-on'] as const;
export type ResourceAction = (typeof RESOURCE_ACTIONS)[number];

/** standby/online toggle the standby node attribute; maintenance/ready toggle maintenance. */
export const NODE_ACTIONS = ['standby', 'online', 'maintenance', 'ready'] as const;
export type NodeAction = (typeof NODE_ACTIONS)[number];

export interface ResourceActionRequest {
  readonly action: ResourceAction;
  readonly resource: string;
  /** Target node: required for move and promote-on; for ban, defaults to where the resource runs. */
  readonly node?: string;
}

export interface ActionOutcome {
  readonly cibVersion: CibVersion;
  /** One line for people: what was changed. */
  readonly message: string;
}

/**
 * How a handle says why it refused. The API maps NOT_FOUND to 404,
 * CONFLICT to 409, INVALID / INVALID_ACTION to 400, NOT_DC and UNAVAILABLE to 503.
 * The daemon may throw these, or its own CrmError / CibError, which map the same way.
 */
export const CLUSTER_ERROR_CODES = ['NOT_FOUND', 'CONFLICT', 'INVALID', 'INVALID_ACTION', 'NOT_DC', 'UNAVAILABLE'] as const;
export type ClusterErrorCode = (typeof CLUSTER_ERROR_CODES)[number];

export interface ClusterErrorWhere {
  readonly element?: string;
  readonly id?: string;
  readonly field?: string;
}

export class ClusterError extends Error {
  readonly code: ClusterErrorCode;
  readonly where: ClusterErrorWhere;

  constructor(code: ClusterErrorCode, message: string, where: ClusterErrorWhere = {}) {
    super(message);
    this.name = 'ClusterError';
    this.code = code;
    this.where = where;
  }
}
