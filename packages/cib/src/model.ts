/**
 * The typed, immutable model of a Pacemaker CIB.
 *
 * The XML element tree (`XmlElement`) is the source of truth: every typed
 * object below is a read-only view derived from it at parse time and keeps a
 * reference to the element it came from (`xml`), so that serialization never
 * loses an attribute or element the typed view does not know about. Changes
 * are made on the tree (see edit.ts) and produce a new `Cib`.
 *
 * Units are explicit in field names (`intervalMs`, `timeoutMs`). Scores are
 * plain numbers clamped to ±INFINITY (1 000 000), as Pacemaker does.
 */

export const INFINITY = 1_000_000;

/** A parsed XML element. Attribute and child order are kept as written. */
export interface XmlElement {
  readonly name: string;
  readonly attrs: Readonly<Record<string, string>>;
  readonly children: readonly XmlElement[];
  /** Text content, when an element has any (rare in a CIB: descriptions). */
  readonly text?: string;
}

export interface Nvpair {
  readonly id: string;
  readonly name: string;
  /** Absent for `<nvpair name="x"/>`, which unsets a value. */
  readonly value?: string;
  readonly xml: XmlElement;
}

export type NvSetKind =
  | 'instance_attributes'
  | 'meta_attributes'
  | 'utilization'
  | 'cluster_property_set';

/** A block of name/value pairs, optionally guarded by a rule. */
export interface NvSet {
  readonly id: string;
  readonly kind: NvSetKind;
  /** Sets are applied in descending score order; the first value of a name wins. */
  readonly score?: number;
  readonly rule?: Rule;
  readonly nvpairs: readonly Nvpair[];
  /** An `id-ref` set is resolved at parse time; this keeps the referenced id. */
  readonly idRef?: string;
  readonly xml: XmlElement;
}

// ---------------------------------------------------------------- rules

export type BooleanOp = 'and' | 'or';

export interface Rule {
  readonly id: string;
  readonly score?: number;
  readonly scoreAttribute?: string;
  readonly booleanOp: BooleanOp;
  /** Role a location rule applies to (Started, Promoted, Unpromoted, ...), normalized to the 3.x names. */
  readonly role?: RoleName;
  readonly expressions: readonly RuleExpression[];
  readonly idRef?: string;
  readonly xml: XmlElement;
}

export type ExpressionOperation = 'lt' | 'gt' | 'lte' | 'gte' | 'eq' | 'ne' | 'defined' | 'not_defined';
export type ExpressionType = 'string' | 'integer' | 'number' | 'version';

export interface AttributeExpression {
  readonly kind: 'expression';
  readonly id: string;
  readonly attribute: string;
  readonly operation: ExpressionOperation;
  readonly value?: string;
  readonly type?: ExpressionType;
  /** Where `value` comes from: the literal, or a resource parameter / meta attribute named by it. */
  readonly valueSource: 'literal' | 'param' | 'meta';
  readonly xml: XmlElement;
}

/** Fields of a `date_spec` or `duration`; each a single value or range like "9-16". */
export interface DateSpec {
  readonly id?: string;
  readonly years?: string;
  readonly months?: string;
  readonly monthdays?: string;
  readonly hours?: string;
  readonly minutes?: string;
  readonly seconds?: string;
  readonly yeardays?: string;
  readonly weekdays?: string;
  readonly weekyears?: string;
  readonly weeks?: string;
  /** Only in a `<duration>`: days to add. */
  readonly days?: string;
  readonly moon?: string;
}

export interface DateExpression {
  readonly kind: 'date_expression';
  readonly id: string;
  readonly operation: 'in_range' | 'gt' | 'lt' | 'date_spec';
  readonly start?: string;
  readonly end?: string;
  readonly duration?: DateSpec;
  readonly dateSpec?: DateSpec;
  readonly xml: XmlElement;
}

export interface ResourceExpression {
  readonly kind: 'rsc_expression';
  readonly id: string;
  readonly class?: string;
  readonly provider?: string;
  readonly type?: string;
  readonly xml: XmlElement;
}

export interface OperationExpression {
  readonly kind: 'op_expression';
  readonly id: string;
  readonly name: string;
  readonly intervalMs?: number;
  readonly xml: XmlElement;
}

export interface NestedRule {
  readonly kind: 'rule';
  readonly rule: Rule;
}

export type RuleExpression =
  | AttributeExpression
  | DateExpression
  | ResourceExpression
  | OperationExpression
  | NestedRule;

// ---------------------------------------------------------------- nodes

export type NodeType = 'member' | 'remote' | 'ping';

export interface CibNode {
  readonly id: string;
  readonly uname: string;
  readonly type: NodeType;
  /** Legacy per-node score attribute (rare). */
  readonly score?: number;
  readonly instanceAttributes: readonly NvSet[];
  readonly utilization: readonly NvSet[];
  readonly xml: XmlElement;
}

// ---------------------------------------------------------------- resources

/** Roles, normalized to Pacemaker 3.x names (Master -> Promoted, Slave -> Unpromoted). */
export type RoleName = 'Stopped' | 'Started' | 'Unpromoted' | 'Promoted' | 'Unknown';

export interface Operation {
  readonly id: string;
  readonly name: string;
  readonly intervalMs: number;
  readonly timeoutMs?: number;
  readonly startDelayMs?: number;
  readonly intervalOrigin?: string;
  readonly role?: RoleName;
  readonly onFail?: string;
  /** `enabled="false"` disables a recurring op. */
  readonly enabled: boolean;
  readonly recordPending?: boolean;
  readonly description?: string;
  readonly instanceAttributes: readonly NvSet[];
  readonly metaAttributes: readonly NvSet[];
  readonly xml: XmlElement;
}

interface ResourceCommon {
  readonly id: string;
  readonly description?: string;
  readonly metaAttributes: readonly NvSet[];
  readonly xml: XmlElement;
}

export interface Primitive extends ResourceCommon {
  readonly kind: 'primitive';
  /** ocf, lsb, systemd, service, stonith, nagios, upstart... (after template expansion). */
  readonly class: string;
  readonly provider?: string;
  readonly type: string;
  /** Id of the `<template>` this primitive was built from, if any. */
  readonly template?: string;
  readonly instanceAttributes: readonly NvSet[];
  readonly utilization: readonly NvSet[];
  readonly operations: readonly Operation[];
}

export interface Group extends ResourceCommon {
  readonly kind: 'group';
  readonly children: readonly Primitive[];
}

export interface Clone extends ResourceCommon {
  readonly kind: 'clone';
  /** True for `<master>` and for `<clone>` with meta `promotable=true`. */
  readonly promotable: boolean;
  /** True when written as the legacy `<master>` element. */
  readonly legacyMaster: boolean;
  readonly child: Primitive | Group;
}

/** Bundles are kept as parsed elements plus the few fields the scheduler reads first. */
export interface Bundle extends ResourceCommon {
  readonly kind: 'bundle';
  /** docker, podman or rkt: the first child element naming the container runtime. */
  readonly runtime?: XmlElement;
  readonly network?: XmlElement;
  readonly storage?: XmlElement;
  readonly primitive?: Primitive;
}

export type Resource = Primitive | Group | Clone | Bundle;

export interface Template {
  readonly id: string;
  readonly class: string;
  readonly provider?: string;
  readonly type: string;
  readonly instanceAttributes: readonly NvSet[];
  readonly metaAttributes: readonly NvSet[];
  readonly utilization: readonly NvSet[];
  readonly operations: readonly Operation[];
  readonly xml: XmlElement;
}

// ---------------------------------------------------------------- constraints

export interface ResourceRef {
  readonly id: string;
}

export interface ResourceSet {
  readonly id: string;
  /** Resource (or tag) ids, in written order. */
  readonly resources: readonly string[];
  readonly sequential: boolean;
  readonly requireAll: boolean;
  readonly ordering?: 'group' | 'listed';
  readonly action?: string;
  readonly role?: RoleName;
  readonly score?: number;
  readonly kind?: OrderKind;
  readonly xml: XmlElement;
}

export type ResourceDiscovery = 'always' | 'never' | 'exclusive';

export interface LocationConstraint {
  readonly kind: 'rsc_location';
  readonly id: string;
  readonly rsc?: string;
  readonly rscPattern?: string;
  readonly node?: string;
  readonly score?: number;
  readonly role?: RoleName;
  readonly resourceDiscovery?: ResourceDiscovery;
  readonly rules: readonly Rule[];
  readonly sets: readonly ResourceSet[];
  readonly xml: XmlElement;
}

export interface ColocationConstraint {
  readonly kind: 'rsc_colocation';
  readonly id: string;
  readonly rsc?: string;
  readonly withRsc?: string;
  readonly score: number;
  readonly rscRole?: RoleName;
  readonly withRscRole?: RoleName;
  readonly nodeAttribute?: string;
  readonly influence?: boolean;
  readonly sets: readonly ResourceSet[];
  readonly xml: XmlElement;
}

export type OrderKind = 'Mandatory' | 'Optional' | 'Serialize';

export interface OrderConstraint {
  readonly kind: 'rsc_order';
  readonly id: string;
  readonly first?: string;
  readonly then?: string;
  readonly firstAction?: string;
  readonly thenAction?: string;
  /** Explicit kind; when absent, derived from `score` (0 = Optional) or Mandatory. */
  readonly orderKind?: OrderKind;
  readonly score?: number;
  readonly symmetrical?: boolean;
  readonly requireAll?: boolean;
  readonly sets: readonly ResourceSet[];
  readonly xml: XmlElement;
}

export interface TicketConstraint {
  readonly kind: 'rsc_ticket';
  readonly id: string;
  readonly rsc?: string;
  readonly rscRole?: RoleName;
  readonly ticket: string;
  readonly lossPolicy?: 'stop' | 'demote' | 'fence' | 'freeze';
  readonly sets: readonly ResourceSet[];
  readonly xml: XmlElement;
}

export type Constraint =
  | LocationConstraint
  | ColocationConstraint
  | OrderConstraint
  | TicketConstraint;

export interface Tag {
  readonly id: string;
  readonly refs: readonly string[];
  readonly xml: XmlElement;
}

export interface FencingLevel {
  readonly id: string;
  readonly index: number;
  /** Exactly one of target, targetPattern, targetAttribute is set. */
  readonly target?: string;
  readonly targetPattern?: string;
  readonly targetAttribute?: string;
  readonly targetValue?: string;
  readonly devices: readonly string[];
  readonly xml: XmlElement;
}

export interface AlertRecipient {
  readonly id: string;
  /** Passed to the agent: an address, a file name, whatever it understands. */
  readonly value: string;
  readonly description?: string;
  readonly instanceAttributes: readonly NvSet[];
  readonly metaAttributes: readonly NvSet[];
  readonly xml: XmlElement;
}

/** Which events an alert agent receives; absent on an Alert means all of them. */
export interface AlertSelect {
  readonly nodes: boolean;
  readonly fencing: boolean;
  readonly resources: boolean;
  readonly attributes: boolean;
  /** With `attributes`: only these names; empty means every attribute. */
  readonly attributeNames: readonly string[];
}

export interface Alert {
  readonly id: string;
  /** The alert agent to run. */
  readonly path: string;
  readonly description?: string;
  readonly instanceAttributes: readonly NvSet[];
  readonly metaAttributes: readonly NvSet[];
  readonly select?: AlertSelect;
  readonly recipients: readonly AlertRecipient[];
  readonly xml: XmlElement;
}

export type AclKind = 'read' | 'write' | 'deny';

/** One grant or denial; exactly one of xpath, reference, objectType is set. */
export interface AclPermission {
  readonly id: string;
  readonly kind: AclKind;
  readonly xpath?: string;
  readonly reference?: string;
  readonly objectType?: string;
  /** With objectType: only elements of that type having this attribute. */
  readonly attribute?: string;
  readonly description?: string;
  readonly xml: XmlElement;
}

export interface AclRole {
  readonly id: string;
  readonly description?: string;
  readonly permissions: readonly AclPermission[];
  readonly xml: XmlElement;
}

/** A user (acl_target, or 1.x acl_user) or a group (acl_group) and the roles it holds. */
export interface AclTarget {
  readonly kind: 'user' | 'group';
  readonly id: string;
  /** The user or group name: `name` when given, else the id. */
  readonly name: string;
  /** Role ids, in document order. */
  readonly roles: readonly string[];
  /** Permissions written directly in a 1.x acl_user; empty otherwise. */
  readonly permissions: readonly AclPermission[];
  readonly xml: XmlElement;
}

export interface Acls {
  readonly targets: readonly AclTarget[];
  readonly roles: readonly AclRole[];
}

export interface Configuration {
  readonly crmConfig: readonly NvSet[];
  readonly nodes: readonly CibNode[];
  readonly resources: readonly Resource[];
  readonly templates: readonly Template[];
  readonly constraints: readonly Constraint[];
  readonly rscDefaults: readonly NvSet[];
  readonly opDefaults: readonly NvSet[];
  readonly tags: readonly Tag[];
  readonly fencingTopology: readonly FencingLevel[];
  readonly alerts: readonly Alert[];
  readonly acls: Acls;
}

// ---------------------------------------------------------------- status

export interface LrmRscOp {
  readonly id: string;
  readonly operation: string;
  readonly intervalMs: number;
  readonly callId: number;
  readonly rcCode: number;
  /** Pacemaker's exec status: -1 pending, 0 done, 1 cancelled, 2 timed out, 3 not supported, 4 error, 5 hard error, 6 fatal error, 7 not installed, 8 not connected, 9 invalid. */
  readonly opStatus: number;
  readonly transitionKey?: string;
  readonly transitionMagic?: string;
  readonly opDigest?: string;
  readonly opRestartDigest?: string;
  readonly opSecureDigest?: string;
  /** Seconds since the epoch. */
  readonly lastRcChange?: number;
  readonly lastRun?: number;
  readonly execTimeMs?: number;
  readonly queueTimeMs?: number;
  readonly onNode?: string;
  readonly exitReason?: string;
  /** For migrate_to / migrate_from records. */
  readonly migrateSource?: string;
  readonly migrateTarget?: string;
  readonly xml: XmlElement;
}

export interface LrmResource {
  readonly id: string;
  readonly class?: string;
  readonly provider?: string;
  readonly type?: string;
  readonly container?: string;
  readonly ops: readonly LrmRscOp[];
  readonly xml: XmlElement;
}

export interface NodeState {
  readonly id: string;
  readonly uname?: string;
  /** Raw values: "true"/"false" in 1.x/2.x, or a timestamp (membership since) in newer CIBs. */
  readonly inCcm?: string;
  readonly crmd?: string;
  readonly join?: string;
  readonly expected?: string;
  readonly shutdown?: string;
  readonly remoteNode?: boolean;
  readonly transientAttributes: readonly NvSet[];
  readonly lrmResources: readonly LrmResource[];
  readonly xml: XmlElement;
}

/** A ticket's state from the status section (multi-site clusters). */
export interface TicketState {
  readonly id: string;
  readonly granted: boolean;
  readonly standby: boolean;
  /** Seconds since the epoch. */
  readonly lastGranted?: number;
  readonly xml: XmlElement;
}

export interface CibVersion {
  readonly adminEpoch: number;
  readonly epoch: number;
  readonly numUpdates: number;
}

export interface Cib {
  readonly version: CibVersion;
  readonly validateWith?: string;
  readonly haveQuorum?: boolean;
  readonly dcUuid?: string;
  readonly configuration: Configuration;
  readonly status: readonly NodeState[];
  /** `status/tickets/ticket_state`, in document order. */
  readonly tickets: readonly TicketState[];
  /**
   * Problems Pacemaker tolerates (it logs a configuration error and ignores
   * the offending part), found while parsing leniently. Empty when strict.
   */
  readonly warnings: readonly string[];
  /** The whole document; the source of truth for serialization. */
  readonly xml: XmlElement;
}
