/**
 * XmlElement tree -> typed Cib. One pass collects the configuration's ids (so
 * id-refs resolve in O(1)); a second builds the typed views in dependency
 * order — templates, resources, tags, then constraints, checked against the
 * resources and tags by map lookups — and then the status section.
 *
 * Lenient (default) vs strict: what Pacemaker itself tolerates with a
 * configuration error (it ignores the offending part) is a warning when
 * lenient and an error when strict; what Pacemaker refuses is always an error.
 */
import { parseIsoDateTime, parseRange, addDuration, DATE_SPEC_FIELDS, DURATION_FIELDS } from './dates.js';
import { CibError, type CibErrorCode, describeWhere, type Where } from './errors.js';
import type {
  AclKind,
  AclPermission,
  AclRole,
  AclTarget,
  Acls,
  Alert,
  AlertRecipient,
  AttributeExpression,
  Bundle,
  Cib,
  CibNode,
  Clone,
  ColocationConstraint,
  Configuration,
  Constraint,
  DateExpression,
  DateSpec,
  ExpressionOperation,
  ExpressionType,
  FencingLevel,
  Group,
  LocationConstraint,
  LrmResource,
  LrmRscOp,
  NodeState,
  NodeType,
  Nvpair,
  NvSet,
  NvSetKind,
  Operation,
  OrderConstraint,
  OrderKind,
  Primitive,
  Resource,
  ResourceDiscovery,
  ResourceSet,
  RoleName,
  Rule,
  RuleExpression,
  Tag,
  Template,
  TicketConstraint,
  TicketState,
  XmlElement,
} from './model.js';
import { isTruthy, normalizeRole, parseBoolean, parseDurationMs, parseInteger, parseScore } from './values.js';
import { childElements, firstChild, parseXml } from './xml.js';

export interface ParseOptions {
  /** File name (or other origin) named in errors and warnings. */
  readonly source?: string;
  /** Turn problems Pacemaker tolerates into errors. Default false. */
  readonly strict?: boolean;
}

/** Agent classes Pacemaker knows; anything else cannot be run. */
export const RESOURCE_CLASSES: ReadonlySet<string> = new Set([
  'ocf', 'lsb', 'heartbeat', 'stonith', 'service', 'systemd', 'upstart', 'nagios',
]);

const NVSET_KINDS: ReadonlySet<string> = new Set([
  'instance_attributes', 'meta_attributes', 'utilization', 'cluster_property_set',
]);

// Elements whose `id` names something else rather than defining an id.
const REFERENCE_ELEMENTS: ReadonlySet<string> = new Set(['resource_ref', 'obj_ref', 'role_ref']);
const ACL_HOLDERS: ReadonlySet<string> = new Set(['acl_target', 'acl_group', 'acl_user']);

// What each resource element may hold. Nesting errors (a group in a group)
// are reported by the resource readers with a sharper message, so those
// names are allowed here.
const NESTABLE = ['primitive', 'group', 'clone', 'master', 'bundle'];
const PRIMITIVE_CHILDREN: ReadonlySet<string> = new Set(['meta_attributes', 'instance_attributes', 'operations', 'utilization']);
const GROUP_CHILDREN: ReadonlySet<string> = new Set([...NESTABLE, 'meta_attributes', 'instance_attributes', 'utilization']);
const CLONE_CHILDREN = GROUP_CHILDREN;
const BUNDLE_CHILDREN: ReadonlySet<string> = new Set([
  ...NESTABLE, 'docker', 'podman', 'rkt', 'network', 'storage', 'meta_attributes', 'instance_attributes', 'utilization',
]);

const ALERT_CHILDREN: ReadonlySet<string> = new Set(['meta_attributes', 'instance_attributes', 'select', 'recipient']);
const RECIPIENT_CHILDREN: ReadonlySet<string> = new Set(['meta_attributes', 'instance_attributes']);

const ACL_KINDS: ReadonlySet<string> = new Set(['read', 'write', 'deny']);
// acl_permission since 2.0; read/write/deny elements in 1.x.
const PERMISSION_ELEMENTS: ReadonlySet<string> = new Set(['acl_permission', 'read', 'write', 'deny']);

// Nearly every id is ASCII; the Unicode-aware test is several times slower.
const ASCII_ID_RE = /^[A-Za-z_][\w.-]*$/;
const XML_ID_RE = /^[\p{L}_][\p{L}\p{N}_.-]*$/u;

const EXPRESSION_OPERATIONS: ReadonlySet<string> = new Set([
  'lt', 'gt', 'lte', 'gte', 'eq', 'ne', 'defined', 'not_defined',
]);
const EXPRESSION_TYPES: ReadonlySet<string> = new Set(['string', 'integer', 'number', 'version']);
const ORDER_KINDS: Record<string, OrderKind> = { mandatory: 'Mandatory', optional: 'Optional', serialize: 'Serialize' };
const LOSS_POLICIES = new Set(['stop', 'demote', 'fence', 'freeze']);
const DISCOVERY = new Set(['always', 'never', 'exclusive']);
const NODE_TYPES: Record<string, NodeType> = { member: 'member', normal: 'member', remote: 'remote', ping: 'ping' };

/** Parses CIB XML text. Throws CibError; tolerated problems land in `cib.warnings`. */
export function parseCib(xmlText: string, opts: ParseOptions = {}): Cib {
  return cibFromXml(parseXml(xmlText, opts.source), opts);
}

/** Builds the typed model from an already parsed tree. */
export function cibFromXml(root: XmlElement, opts: ParseOptions = {}): Cib {
  return new CibReader(opts).read(root);
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

// How many of a Cib's warnings come from its configuration, so a status-only
// update can keep those and replace the rest.
const configurationWarningCounts = new WeakMap<Cib, number>();

/**
 * The Cib for `root`. When `root` shares its `<configuration>` element with
 * `base.xml` (an edit of status or root attributes only), the configuration
 * views are shared and only the rest is read afresh, which keeps frequent
 * status updates (operation results, node attributes) cheap; otherwise this
 * is a full `cibFromXml`.
 */
export function cibWithStatusFromXml(base: Cib, root: XmlElement, opts: ParseOptions = {}): Cib {
  if (firstChild(root, 'configuration') !== firstChild(base.xml, 'configuration')) return cibFromXml(root, opts);
  return new CibReader(opts).readStatusOnly(base, root);
}

/** Carries parse bookkeeping to a Cib made by copying `from` with other root attributes. */
export function inheritParseState(from: Cib, to: Cib): Cib {
  const count = configurationWarningCounts.get(from);
  if (count !== undefined) configurationWarningCounts.set(to, count);
  return to;
}

class CibReader {
  private readonly source: string | undefined;
  private readonly strict: boolean;
  private readonly warnings: string[] = [];
  /** Configuration elements by id. */
  private readonly ids = new Map<string, XmlElement>();
  private readonly templates = new Map<string, Template>();
  /** Every resource at any depth, by id. */
  private readonly resources = new Map<string, Resource>();
  private readonly tagIds = new Set<string>();
  /** Set while reading one constraint when Pacemaker would ignore it. */
  private constraintIgnored = false;

  constructor(opts: ParseOptions) {
    this.source = opts.source;
    this.strict = opts.strict ?? false;
  }

  read(root: XmlElement): Cib {
    if (root.name !== 'cib') {
      this.fail('VIGIL_CIB_BAD_ROOT', `the root element is <${root.name}>, expected <cib>`);
    }
    const configEl = firstChild(root, 'configuration');
    if (!configEl) this.fail('VIGIL_CIB_MISSING_SECTION', 'no <configuration> section', root);
    this.collectIds(configEl, false);
    const configuration = this.configuration(configEl);
    const configurationWarnings = this.warnings.length;
    const { status, tickets } = this.statusSection(firstChild(root, 'status'));
    const cib: Cib = { ...this.rootFields(root), configuration, status, tickets, warnings: this.warnings, xml: root };
    configurationWarningCounts.set(cib, configurationWarnings);
    return cib;
  }

  /** Re-reads the root attributes and the status section of `root`, sharing the configuration with `base`. */
  readStatusOnly(base: Cib, root: XmlElement): Cib {
    if (root.name !== 'cib') {
      this.fail('VIGIL_CIB_BAD_ROOT', `the root element is <${root.name}>, expected <cib>`);
    }
    const kept = configurationWarningCounts.get(base) ?? base.warnings.length;
    this.warnings.push(...base.warnings.slice(0, kept));
    const { status, tickets } = this.statusSection(firstChild(root, 'status'));
    const cib: Cib = {
      ...this.rootFields(root),
      configuration: base.configuration,
      status,
      tickets,
      warnings: this.warnings,
      xml: root,
    };
    configurationWarningCounts.set(cib, kept);
    return cib;
  }

  private rootFields(root: XmlElement): Pick<Cib, 'version' | 'validateWith' | 'haveQuorum' | 'dcUuid'> {
    const a = root.attrs;
    const fields: Mutable<Pick<Cib, 'version' | 'validateWith' | 'haveQuorum' | 'dcUuid'>> = {
      version: {
        adminEpoch: this.integer(root, 'admin_epoch') ?? 0,
        epoch: this.integer(root, 'epoch') ?? 0,
        numUpdates: this.integer(root, 'num_updates') ?? 0,
      },
    };
    if (a['validate-with'] !== undefined) fields.validateWith = a['validate-with'];
    if (a['have-quorum'] !== undefined) fields.haveQuorum = this.boolean(root, 'have-quorum');
    if (a['dc-uuid'] !== undefined) fields.dcUuid = a['dc-uuid'];
    return fields;
  }

  private statusSection(statusEl: XmlElement | undefined): { status: NodeState[]; tickets: TicketState[] } {
    const status: NodeState[] = [];
    for (const el of statusEl ? childElements(statusEl, 'node_state') : []) {
      if (el.attrs.id === undefined || el.attrs.id === '') {
        this.tolerate('VIGIL_CIB_MISSING_ID', '<node_state> has no id', el, 'id', 'its history is ignored');
      } else {
        status.push(this.nodeState(el));
      }
    }
    const ticketsEl = statusEl && firstChild(statusEl, 'tickets');
    const tickets = ticketsEl ? childElements(ticketsEl, 'ticket_state').map((el) => this.ticketState(el)) : [];
    return { status, tickets };
  }

  // ---------------------------------------------------------- diagnostics

  private where(el: XmlElement | undefined, field?: string): Where {
    const w: Mutable<Where> = {};
    if (this.source !== undefined) w.source = this.source;
    if (el) {
      w.element = el.name;
      const id = el.attrs.id ?? el.attrs['id-ref'];
      if (id !== undefined) w.id = id;
    }
    if (field !== undefined) w.field = field;
    return w;
  }

  private fail(code: CibErrorCode, detail: string, el?: XmlElement, field?: string): never {
    throw new CibError(code, detail, this.where(el, field));
  }

  /** Something Pacemaker ignores with a configuration error: an error when strict, else a warning. */
  private tolerate(code: CibErrorCode, detail: string, el: XmlElement, field?: string, consequence?: string): void {
    const where = this.where(el, field);
    if (this.strict) throw new CibError(code, detail, where);
    this.warnings.push(describeWhere(where) + detail + (consequence !== undefined ? `; ${consequence}` : ''));
  }

  // ---------------------------------------------------------- attributes

  private id(el: XmlElement): string {
    const id = el.attrs.id;
    if (id === undefined || id === '') this.fail('VIGIL_CIB_MISSING_ID', `<${el.name}> has no id`, el, 'id');
    return id;
  }

  private required(el: XmlElement, name: string): string {
    const v = el.attrs[name];
    if (v === undefined || v === '') this.fail('VIGIL_CIB_MISSING_ATTRIBUTE', `missing required attribute '${name}'`, el, name);
    return v;
  }

  private score(el: XmlElement, name: string): number | undefined {
    const v = el.attrs[name];
    return v === undefined ? undefined : parseScore(v, this.where(el, name));
  }

  private duration(el: XmlElement, name: string): number | undefined {
    const v = el.attrs[name];
    return v === undefined ? undefined : parseDurationMs(v, this.where(el, name));
  }

  private boolean(el: XmlElement, name: string): boolean | undefined {
    const v = el.attrs[name];
    return v === undefined ? undefined : parseBoolean(v, this.where(el, name));
  }

  private lenientDuration(el: XmlElement, name: string): number | undefined {
    const v = el.attrs[name];
    if (v === undefined) return undefined;
    try {
      return parseDurationMs(v, this.where(el, name));
    } catch (e) {
      if (!(e instanceof CibError)) throw e;
      this.tolerate(e.code, e.detail, el, name, 'using the default');
      return undefined;
    }
  }

  /** A boolean Pacemaker reads with a configuration error and its default when invalid. */
  private lenientBoolean(el: XmlElement, name: string): boolean | undefined {
    const v = el.attrs[name];
    if (v === undefined) return undefined;
    try {
      return parseBoolean(v, this.where(el, name));
    } catch (e) {
      if (!(e instanceof CibError)) throw e;
      this.tolerate(e.code, e.detail, el, name, 'using the default');
      return undefined;
    }
  }

  private integer(el: XmlElement, name: string): number | undefined {
    const v = el.attrs[name];
    return v === undefined ? undefined : parseInteger(v, this.where(el, name));
  }

  private role(el: XmlElement, name: string): RoleName | undefined {
    const v = el.attrs[name];
    return v === undefined ? undefined : normalizeRole(v, this.where(el, name));
  }

  private oneOf<T extends string>(el: XmlElement, name: string, allowed: ReadonlySet<string>): T | undefined {
    const v = el.attrs[name];
    if (v === undefined) return undefined;
    if (!allowed.has(v)) {
      this.fail('VIGIL_CIB_BAD_VALUE', `'${v}' is not one of ${[...allowed].join(', ')}`, el, name);
    }
    return v as T;
  }

  // ---------------------------------------------------------- ids

  private collectIds(el: XmlElement, inAcl: boolean): void {
    const id = el.attrs.id;
    // Node ids are their own namespace: a remote node shares its id with the resource that runs it.
    const isReference = REFERENCE_ELEMENTS.has(el.name) || (inAcl && el.name === 'role') || el.name === 'node';
    if (id !== undefined && !isReference) {
      // The schema types these ids as XML IDs; a ':' in particular would clash with clone instance names (rsc:0).
      if (!ASCII_ID_RE.test(id) && !XML_ID_RE.test(id)) {
        this.fail('VIGIL_CIB_BAD_ID', `'${id}' is not a valid id (a letter or '_', then letters, digits, '_', '-', '.')`, el, 'id');
      }
      const seen = this.ids.get(id);
      if (seen !== undefined) {
        this.fail('VIGIL_CIB_DUPLICATE_ID', `id '${id}' is already used by a <${seen.name}>`, el, 'id');
      }
      this.ids.set(id, el);
    }
    const childInAcl = ACL_HOLDERS.has(el.name);
    for (const child of el.children) this.collectIds(child, childInAcl);
  }

  /** Follows `id-ref` to the element it names; the referenced element must have the same tag. */
  private deref(el: XmlElement): { target: XmlElement; idRef?: string } {
    const ref = el.attrs['id-ref'];
    if (ref === undefined) return { target: el };
    const target = this.ids.get(ref);
    if (target === undefined) {
      this.fail('VIGIL_CIB_DANGLING_IDREF', `id-ref '${ref}' names no element`, el, 'id-ref');
    }
    const sameFamily = target.name === el.name || (NVSET_KINDS.has(target.name) && NVSET_KINDS.has(el.name));
    if (!sameFamily) {
      this.fail('VIGIL_CIB_DANGLING_IDREF', `id-ref '${ref}' names a <${target.name}>, expected <${el.name}>`, el, 'id-ref');
    }
    if (target.attrs['id-ref'] !== undefined) {
      this.fail('VIGIL_CIB_DANGLING_IDREF', `id-ref '${ref}' names another reference`, el, 'id-ref');
    }
    return { target, idRef: ref };
  }

  // ---------------------------------------------------------- configuration

  private configuration(el: XmlElement): Configuration {
    const crmConfigEl = firstChild(el, 'crm_config');
    const crmConfig = crmConfigEl ? this.nvsets(crmConfigEl, ['cluster_property_set']) : [];
    const nodesEl = firstChild(el, 'nodes');
    const nodes = nodesEl ? childElements(nodesEl, 'node').map((n) => this.node(n)) : [];
    this.checkNodesUnique(nodes);

    const resourcesEl = firstChild(el, 'resources');
    // Templates first: primitives anywhere may name one.
    const templates: Template[] = [];
    if (resourcesEl) {
      for (const t of childElements(resourcesEl, 'template')) {
        const tmpl = this.template(t);
        templates.push(tmpl);
        this.templates.set(tmpl.id, tmpl);
      }
    }
    const resources: Resource[] = [];
    if (resourcesEl) {
      for (const r of resourcesEl.children) {
        if (r.name === 'template') continue;
        resources.push(this.resource(r));
      }
    }

    const tagsEl = firstChild(el, 'tags');
    const tags = tagsEl ? childElements(tagsEl, 'tag').map((t) => this.tag(t)) : [];
    for (const t of tags) this.tagIds.add(t.id);
    for (const t of tags) this.checkTagRefs(t);

    const constraintsEl = firstChild(el, 'constraints');
    const constraints: Constraint[] = [];
    if (constraintsEl) {
      for (const c of constraintsEl.children) {
        const parsed = this.constraint(c);
        if (parsed) constraints.push(parsed);
      }
    }
    const rscDefaultsEl = firstChild(el, 'rsc_defaults');
    const opDefaultsEl = firstChild(el, 'op_defaults');
    const fencingEl = firstChild(el, 'fencing-topology');
    const alertsEl = firstChild(el, 'alerts');
    return {
      crmConfig,
      nodes,
      resources,
      templates,
      constraints,
      rscDefaults: rscDefaultsEl ? this.nvsets(rscDefaultsEl, ['meta_attributes', 'instance_attributes']) : [],
      opDefaults: opDefaultsEl ? this.nvsets(opDefaultsEl, ['meta_attributes', 'instance_attributes']) : [],
      tags,
      fencingTopology: fencingEl ? childElements(fencingEl, 'fencing-level').map((f) => this.fencingLevel(f)) : [],
      alerts: alertsEl ? childElements(alertsEl, 'alert').map((a) => this.alert(a)) : [],
      acls: this.acls(firstChild(el, 'acls')),
    };
  }

  private acls(el: XmlElement | undefined): Acls {
    if (!el) return { targets: [], roles: [] };
    const roles: AclRole[] = [];
    const targets: AclTarget[] = [];
    for (const c of el.children) {
      if (c.name === 'acl_role') {
        const role: Mutable<AclRole> = {
          id: this.id(c),
          permissions: c.children.filter((p) => PERMISSION_ELEMENTS.has(p.name)).map((p) => this.aclPermission(p)),
          xml: c,
        };
        if (c.attrs.description !== undefined) role.description = c.attrs.description;
        roles.push(role);
      } else if (c.name === 'acl_target' || c.name === 'acl_group' || c.name === 'acl_user') {
        targets.push({
          kind: c.name === 'acl_group' ? 'group' : 'user',
          id: this.id(c),
          name: c.attrs.name ?? c.attrs.id!,
          roles: c.children.filter((r) => r.name === 'role' || r.name === 'role_ref').map((r) => this.id(r)),
          permissions: c.children.filter((p) => PERMISSION_ELEMENTS.has(p.name)).map((p) => this.aclPermission(p)),
          xml: c,
        });
      } else {
        this.unexpectedChild(el, c);
      }
    }
    const roleIds = new Set(roles.map((r) => r.id));
    for (const t of targets) {
      for (const r of t.roles) if (!roleIds.has(r)) this.tolerate('VIGIL_CIB_UNKNOWN_REFERENCE', `unknown ACL role '${r}'`, t.xml, 'role');
    }
    return { targets, roles };
  }

  /** 2.x+ acl_permission with `kind`, or a 1.x read/write/deny element. */
  private aclPermission(el: XmlElement): AclPermission {
    const kind = el.name === 'acl_permission' ? this.oneOf<AclKind>(el, 'kind', ACL_KINDS) : (el.name as AclKind);
    if (kind === undefined) this.required(el, 'kind');
    const p: Mutable<AclPermission> = { id: this.id(el), kind: kind!, xml: el };
    const a = el.attrs;
    if (a.xpath !== undefined) p.xpath = a.xpath;
    if (a.reference !== undefined) p.reference = a.reference;
    else if (a.ref !== undefined) p.reference = a.ref;
    if (a['object-type'] !== undefined) p.objectType = a['object-type'];
    else if (a.tag !== undefined) p.objectType = a.tag;
    if (a.attribute !== undefined) p.attribute = a.attribute;
    if (a.description !== undefined) p.description = a.description;
    const selectors = [p.xpath, p.reference, p.objectType].filter((x) => x !== undefined).length;
    // 1.x also allowed tag and ref together (elements of that type with that id).
    const legacyPair = el.name !== 'acl_permission' && selectors === 2 && p.xpath === undefined;
    if (selectors !== 1 && !legacyPair) {
      this.fail('VIGIL_CIB_MISSING_ATTRIBUTE', `needs exactly one of 'xpath', 'reference', 'object-type'`, el, 'xpath');
    }
    return p;
  }

  private alert(el: XmlElement): Alert {
    this.checkChildren(el, ALERT_CHILDREN);
    const alert: Mutable<Alert> = {
      id: this.id(el),
      path: this.required(el, 'path'),
      instanceAttributes: this.nvsets(el, ['instance_attributes']),
      metaAttributes: this.nvsets(el, ['meta_attributes']),
      recipients: childElements(el, 'recipient').map((r) => {
        this.checkChildren(r, RECIPIENT_CHILDREN);
        const recipient: Mutable<AlertRecipient> = {
          id: this.id(r),
          value: this.required(r, 'value'),
          instanceAttributes: this.nvsets(r, ['instance_attributes']),
          metaAttributes: this.nvsets(r, ['meta_attributes']),
          xml: r,
        };
        if (r.attrs.description !== undefined) recipient.description = r.attrs.description;
        return recipient;
      }),
      xml: el,
    };
    if (el.attrs.description !== undefined) alert.description = el.attrs.description;
    const select = firstChild(el, 'select');
    if (select) {
      const attributes = firstChild(select, 'select_attributes');
      alert.select = {
        nodes: firstChild(select, 'select_nodes') !== undefined,
        fencing: firstChild(select, 'select_fencing') !== undefined,
        resources: firstChild(select, 'select_resources') !== undefined,
        attributes: attributes !== undefined,
        attributeNames: attributes ? childElements(attributes, 'attribute').map((a) => this.required(a, 'name')) : [],
      };
    }
    return alert;
  }

  // ---------------------------------------------------------- nvsets and rules

  private nvsets(parent: XmlElement, kinds: readonly string[]): NvSet[] {
    const out: NvSet[] = [];
    for (const c of parent.children) if (kinds.includes(c.name)) out.push(this.nvset(c));
    return out;
  }

  private nvset(el: XmlElement): NvSet {
    const { target, idRef } = this.deref(el);
    const ruleEl = firstChild(target, 'rule');
    const set: Mutable<NvSet> = {
      id: this.id(target),
      kind: el.name as NvSetKind,
      nvpairs: childElements(target, 'nvpair').map((p) => this.nvpair(p)),
      xml: el,
    };
    const score = this.score(target, 'score');
    if (score !== undefined) set.score = score;
    if (ruleEl) set.rule = this.rule(ruleEl);
    if (idRef !== undefined) set.idRef = idRef;
    return set;
  }

  private nvpair(el: XmlElement): Nvpair {
    const { target } = this.deref(el);
    const pair: Mutable<Nvpair> = { id: this.id(target), name: this.required(target, 'name'), xml: el };
    if (target.attrs.value !== undefined) pair.value = target.attrs.value;
    return pair;
  }

  private rule(el: XmlElement): Rule {
    const { target, idRef } = this.deref(el);
    const op = target.attrs['boolean-op'];
    if (op !== undefined && op !== 'and' && op !== 'or') {
      this.fail('VIGIL_CIB_BAD_VALUE', `'${op}' is not a boolean-op (and, or)`, target, 'boolean-op');
    }
    const expressions: RuleExpression[] = [];
    for (const c of target.children) {
      switch (c.name) {
        case 'expression':
          expressions.push(this.attributeExpression(c));
          break;
        case 'date_expression':
          expressions.push(this.dateExpression(c));
          break;
        case 'rsc_expression': {
          const e: Mutable<RuleExpression & { kind: 'rsc_expression' }> = { kind: 'rsc_expression', id: this.id(c), xml: c };
          if (c.attrs.class !== undefined) e.class = c.attrs.class;
          if (c.attrs.provider !== undefined) e.provider = c.attrs.provider;
          if (c.attrs.type !== undefined) e.type = c.attrs.type;
          expressions.push(e);
          break;
        }
        case 'op_expression': {
          const e: Mutable<RuleExpression & { kind: 'op_expression' }> = {
            kind: 'op_expression',
            id: this.id(c),
            name: this.required(c, 'name'),
            xml: c,
          };
          const interval = this.duration(c, 'interval');
          if (interval !== undefined) e.intervalMs = interval;
          expressions.push(e);
          break;
        }
        case 'rule':
          expressions.push({ kind: 'rule', rule: this.rule(c) });
          break;
        default:
          this.unexpectedChild(target, c);
      }
    }
    const rule: Mutable<Rule> = {
      id: this.id(target),
      booleanOp: op === 'or' ? 'or' : 'and',
      expressions,
      xml: el,
    };
    const score = this.score(target, 'score');
    if (score !== undefined) rule.score = score;
    if (target.attrs['score-attribute'] !== undefined) rule.scoreAttribute = target.attrs['score-attribute'];
    const role = this.role(target, 'role');
    if (role !== undefined) rule.role = role;
    if (idRef !== undefined) rule.idRef = idRef;
    return rule;
  }

  private attributeExpression(el: XmlElement): AttributeExpression {
    const id = this.id(el);
    const attribute = this.required(el, 'attribute');
    const operation = this.oneOf<ExpressionOperation>(el, 'operation', EXPRESSION_OPERATIONS);
    if (operation === undefined) this.required(el, 'operation');
    const value = el.attrs.value;
    if (value === undefined && operation !== 'defined' && operation !== 'not_defined') {
      this.required(el, 'value');
    }
    const valueSource = this.oneOf<'literal' | 'param' | 'meta'>(el, 'value-source', new Set(['literal', 'param', 'meta']));
    const expr: Mutable<AttributeExpression> = {
      kind: 'expression',
      id,
      attribute,
      operation: operation!,
      valueSource: valueSource ?? 'literal',
      xml: el,
    };
    if (value !== undefined) expr.value = value;
    const type = this.oneOf<ExpressionType>(el, 'type', EXPRESSION_TYPES);
    if (type !== undefined) expr.type = type;
    return expr;
  }

  private dateExpression(el: XmlElement): DateExpression {
    const id = this.id(el);
    const operation =
      this.oneOf<DateExpression['operation']>(el, 'operation', new Set(['in_range', 'gt', 'lt', 'date_spec'])) ?? 'in_range';
    const expr: Mutable<DateExpression> = { kind: 'date_expression', id, operation, xml: el };
    let startSec: number | undefined;
    if (el.attrs.start !== undefined) {
      expr.start = el.attrs.start;
      startSec = parseIsoDateTime(el.attrs.start, this.where(el, 'start'));
    }
    if (el.attrs.end !== undefined) {
      expr.end = el.attrs.end;
      parseIsoDateTime(el.attrs.end, this.where(el, 'end'));
    }
    const durationEl = firstChild(el, 'duration');
    if (durationEl) {
      expr.duration = this.dateFields(durationEl, DURATION_FIELDS);
      // Validates every field now, so evaluation cannot fail later.
      addDuration(startSec ?? 0, expr.duration, this.where(durationEl));
    }
    const specEl = firstChild(el, 'date_spec');
    if (specEl) {
      expr.dateSpec = this.dateFields(specEl, DATE_SPEC_FIELDS);
      for (const f of DATE_SPEC_FIELDS) {
        const text = expr.dateSpec[f];
        if (text !== undefined) parseRange(text, this.where(specEl, f));
      }
    }
    if (operation === 'gt' && expr.start === undefined) this.required(el, 'start');
    if (operation === 'lt' && expr.end === undefined) this.required(el, 'end');
    if (operation === 'in_range' && expr.start === undefined && expr.end === undefined) {
      this.fail('VIGIL_CIB_MISSING_ATTRIBUTE', `in_range needs 'start' or 'end'`, el, 'start');
    }
    if (operation === 'date_spec' && !specEl) {
      this.fail('VIGIL_CIB_MISSING_ATTRIBUTE', 'operation date_spec needs a <date_spec> child', el, 'date_spec');
    }
    return expr;
  }

  private dateFields(el: XmlElement, fields: readonly string[]): DateSpec {
    const spec: Record<string, string> = {};
    if (el.attrs.id !== undefined) spec.id = el.attrs.id;
    for (const f of fields) if (el.attrs[f] !== undefined) spec[f] = el.attrs[f]!;
    return spec as DateSpec;
  }

  // ---------------------------------------------------------- nodes

  private node(el: XmlElement): CibNode {
    const typeText = el.attrs.type;
    let type: NodeType = 'member';
    if (typeText !== undefined) {
      const t = NODE_TYPES[typeText.toLowerCase()];
      if (t === undefined) this.fail('VIGIL_CIB_BAD_VALUE', `'${typeText}' is not a node type (member, remote, ping)`, el, 'type');
      type = t;
    }
    const node: Mutable<CibNode> = {
      id: this.id(el),
      uname: this.required(el, 'uname'),
      type,
      instanceAttributes: this.nvsets(el, ['instance_attributes']),
      utilization: this.nvsets(el, ['utilization']),
      xml: el,
    };
    const score = this.score(el, 'score');
    if (score !== undefined) node.score = score;
    return node;
  }

  private checkNodesUnique(nodes: readonly CibNode[]): void {
    const ids = new Set<string>();
    const unames = new Set<string>();
    for (const n of nodes) {
      if (ids.has(n.id)) this.fail('VIGIL_CIB_DUPLICATE_ID', `node id '${n.id}' is used twice`, n.xml, 'id');
      if (unames.has(n.uname)) this.fail('VIGIL_CIB_DUPLICATE_ID', `node name '${n.uname}' is used twice`, n.xml, 'uname');
      ids.add(n.id);
      unames.add(n.uname);
    }
  }

  // ---------------------------------------------------------- resources

  private resource(el: XmlElement): Resource {
    switch (el.name) {
      case 'primitive':
        return this.primitive(el);
      case 'group':
        return this.group(el);
      case 'clone':
      case 'master':
        return this.clone(el);
      case 'bundle':
        return this.bundle(el);
      default:
        this.fail('VIGIL_CIB_UNKNOWN_ELEMENT', `<${el.name}> is not a resource (primitive, group, clone, bundle)`, el);
    }
  }

  /**
   * A misspelt element (<operation> for <operations>) would otherwise vanish
   * silently, taking its monitors or settings with it.
   */
  private checkChildren(el: XmlElement, allowed: ReadonlySet<string>): void {
    for (const c of el.children) if (!allowed.has(c.name)) this.unexpectedChild(el, c);
  }

  private unexpectedChild(parent: XmlElement, child: XmlElement): never {
    this.fail('VIGIL_CIB_UNKNOWN_ELEMENT', `<${child.name}> is not allowed in <${parent.name}>`, parent);
  }

  private register<T extends Resource>(r: T): T {
    this.resources.set(r.id, r);
    return r;
  }

  private common(el: XmlElement): { id: string; description?: string; metaAttributes: NvSet[]; xml: XmlElement } {
    const c: { id: string; description?: string; metaAttributes: NvSet[]; xml: XmlElement } = {
      id: this.id(el),
      metaAttributes: this.nvsets(el, ['meta_attributes']),
      xml: el,
    };
    if (el.attrs.description !== undefined) c.description = el.attrs.description;
    return c;
  }

  private agent(el: XmlElement, fallback?: Template): { class: string; provider?: string; type: string } {
    const cls = el.attrs.class ?? fallback?.class;
    if (cls === undefined || cls === '') this.required(el, 'class');
    if (!RESOURCE_CLASSES.has(cls!)) {
      this.fail('VIGIL_CIB_UNKNOWN_CLASS', `unknown resource class '${cls}' (expected one of ${[...RESOURCE_CLASSES].join(', ')})`, el, 'class');
    }
    const provider = el.attrs.provider ?? fallback?.provider;
    if (cls === 'ocf' && (provider === undefined || provider === '')) {
      this.fail('VIGIL_CIB_MISSING_ATTRIBUTE', `class 'ocf' needs a provider`, el, 'provider');
    }
    const type = el.attrs.type ?? fallback?.type;
    if (type === undefined || type === '') this.required(el, 'type');
    const out: { class: string; provider?: string; type: string } = { class: cls!, type: type! };
    if (provider !== undefined && provider !== '') out.provider = provider;
    return out;
  }

  private operations(el: XmlElement): Operation[] {
    const out: Operation[] = [];
    for (const opsEl of childElements(el, 'operations')) {
      const { target } = this.deref(opsEl);
      for (const op of childElements(target, 'op')) out.push(this.operation(op));
    }
    return out;
  }

  private operation(el: XmlElement): Operation {
    const { target } = this.deref(el);
    const op: Mutable<Operation> = {
      id: this.id(target),
      name: this.required(target, 'name'),
      intervalMs: this.duration(target, 'interval') ?? 0,
      enabled: this.boolean(target, 'enabled') ?? true,
      instanceAttributes: this.nvsets(target, ['instance_attributes']),
      metaAttributes: this.nvsets(target, ['meta_attributes']),
      xml: el,
    };
    // Pacemaker falls back to the default timeout (and no delay) when these do not parse.
    const timeout = this.lenientDuration(target, 'timeout');
    if (timeout !== undefined) op.timeoutMs = timeout;
    const startDelay = this.lenientDuration(target, 'start-delay');
    if (startDelay !== undefined) op.startDelayMs = startDelay;
    if (target.attrs['interval-origin'] !== undefined) op.intervalOrigin = target.attrs['interval-origin'];
    const role = this.role(target, 'role');
    if (role !== undefined) op.role = role;
    if (target.attrs['on-fail'] !== undefined) op.onFail = target.attrs['on-fail'];
    const recordPending = this.boolean(target, 'record-pending');
    if (recordPending !== undefined) op.recordPending = recordPending;
    if (target.attrs.description !== undefined) op.description = target.attrs.description;
    return op;
  }

  private template(el: XmlElement): Template {
    this.checkChildren(el, PRIMITIVE_CHILDREN);
    const agent = this.agent(el);
    const t: Mutable<Template> = {
      id: this.id(el),
      class: agent.class,
      type: agent.type,
      instanceAttributes: this.nvsets(el, ['instance_attributes']),
      metaAttributes: this.nvsets(el, ['meta_attributes']),
      utilization: this.nvsets(el, ['utilization']),
      operations: this.operations(el),
      xml: el,
    };
    if (agent.provider !== undefined) t.provider = agent.provider;
    return t;
  }

  private primitive(el: XmlElement): Primitive {
    this.checkChildren(el, PRIMITIVE_CHILDREN);
    const common = this.common(el);
    const templateId = el.attrs.template;
    let tmpl: Template | undefined;
    if (templateId !== undefined) {
      tmpl = this.templates.get(templateId);
      if (tmpl === undefined) this.fail('VIGIL_CIB_UNKNOWN_REFERENCE', `unknown template '${templateId}'`, el, 'template');
    }
    const agent = this.agent(el, tmpl);
    let instanceAttributes = this.nvsets(el, ['instance_attributes']);
    let utilization = this.nvsets(el, ['utilization']);
    let operations = this.operations(el);
    if (tmpl) {
      // The primitive's own sets come first, so its values win over the template's.
      common.metaAttributes = [...common.metaAttributes, ...tmpl.metaAttributes];
      instanceAttributes = [...instanceAttributes, ...tmpl.instanceAttributes];
      utilization = [...utilization, ...tmpl.utilization];
      const own = new Set(operations.map((o) => `${o.name}\0${o.intervalMs}\0${o.role ?? ''}`));
      operations = [...operations, ...tmpl.operations.filter((o) => !own.has(`${o.name}\0${o.intervalMs}\0${o.role ?? ''}`))];
    }
    const p: Mutable<Primitive> = {
      kind: 'primitive',
      ...common,
      class: agent.class,
      type: agent.type,
      instanceAttributes,
      utilization,
      operations,
    };
    if (agent.provider !== undefined) p.provider = agent.provider;
    if (templateId !== undefined) p.template = templateId;
    return this.register(p);
  }

  private group(el: XmlElement): Group {
    this.checkChildren(el, GROUP_CHILDREN);
    const common = this.common(el);
    const children: Primitive[] = [];
    for (const c of el.children) {
      if (c.name === 'primitive') children.push(this.primitive(c));
      else if (c.name === 'group' || c.name === 'clone' || c.name === 'master' || c.name === 'bundle') {
        this.fail('VIGIL_CIB_BAD_NESTING', `a group may hold only primitives, not <${c.name}> '${c.attrs.id ?? '?'}'`, el);
      }
    }
    if (children.length === 0) this.tolerate('VIGIL_CIB_BAD_NESTING', 'group has no primitives', el);
    return this.register({ kind: 'group', ...common, children });
  }

  private clone(el: XmlElement): Clone {
    this.checkChildren(el, CLONE_CHILDREN);
    const common = this.common(el);
    let child: Primitive | Group | undefined;
    for (const c of el.children) {
      if (c.name === 'primitive' || c.name === 'group') {
        if (child) this.fail('VIGIL_CIB_BAD_NESTING', `a clone holds exactly one resource; '${c.attrs.id ?? '?'}' is a second`, el);
        child = c.name === 'primitive' ? this.primitive(c) : this.group(c);
      } else if (c.name === 'clone' || c.name === 'master' || c.name === 'bundle') {
        this.fail('VIGIL_CIB_BAD_NESTING', `a clone cannot hold <${c.name}> '${c.attrs.id ?? '?'}' (no nested clones)`, el);
      }
    }
    if (!child) this.fail('VIGIL_CIB_BAD_NESTING', 'clone holds no primitive or group', el);
    const legacyMaster = el.name === 'master';
    return this.register({
      kind: 'clone',
      ...common,
      promotable: legacyMaster || isTruthy(firstMetaValue(common.metaAttributes, 'promotable')),
      legacyMaster,
      child,
    });
  }

  private bundle(el: XmlElement): Bundle {
    this.checkChildren(el, BUNDLE_CHILDREN);
    const common = this.common(el);
    const b: Mutable<Bundle> = { kind: 'bundle', ...common };
    for (const c of el.children) {
      if ((c.name === 'docker' || c.name === 'podman' || c.name === 'rkt') && !b.runtime) b.runtime = c;
      else if (c.name === 'network') b.network = c;
      else if (c.name === 'storage') b.storage = c;
      else if (c.name === 'primitive') b.primitive = this.primitive(c);
      else if (c.name === 'group' || c.name === 'clone' || c.name === 'master' || c.name === 'bundle') {
        this.fail('VIGIL_CIB_BAD_NESTING', `a bundle may hold only a primitive, not <${c.name}> '${c.attrs.id ?? '?'}'`, el);
      }
    }
    return this.register(b);
  }

  // ---------------------------------------------------------- tags, constraints

  private tag(el: XmlElement): Tag {
    return {
      id: this.id(el),
      refs: childElements(el, 'obj_ref').map((r) => this.id(r)),
      xml: el,
    };
  }

  private checkTagRefs(tag: Tag): void {
    for (const ref of tag.refs) {
      if (!this.resources.has(ref) && !this.templates.has(ref) && !this.tagIds.has(ref) && !this.ids.has(ref)) {
        this.tolerate('VIGIL_CIB_UNKNOWN_REFERENCE', `unknown object '${ref}'`, tag.xml, 'obj_ref');
      }
    }
  }

  /** A constraint may name a resource, a template or a tag; anything else Pacemaker ignores. */
  private checkResourceRef(el: XmlElement, field: string, id: string | undefined): void {
    if (id === undefined) return;
    if (this.resources.has(id) || this.templates.has(id) || this.tagIds.has(id)) return;
    // "rsc:N" names one instance of a clone.
    const colon = id.lastIndexOf(':');
    if (colon > 0 && /^\d+$/.test(id.slice(colon + 1)) && this.resources.has(id.slice(0, colon))) return;
    this.tolerate('VIGIL_CIB_UNKNOWN_REFERENCE', `unknown resource '${id}'`, el, field, 'the constraint is ignored');
    this.constraintIgnored = true;
  }

  /** The typed constraint, or undefined when Pacemaker would ignore it (lenient mode only). */
  private constraint(el: XmlElement): Constraint | undefined {
    this.constraintIgnored = false;
    const c = this.constraintOfKind(el);
    return this.constraintIgnored ? undefined : c;
  }

  private constraintOfKind(el: XmlElement): Constraint | undefined {
    switch (el.name) {
      case 'rsc_location':
        return this.location(el);
      case 'rsc_colocation':
        return this.colocation(el);
      case 'rsc_order':
        return this.order(el);
      case 'rsc_ticket':
        return this.ticket(el);
      default:
        this.tolerate('VIGIL_CIB_UNKNOWN_ELEMENT', `<${el.name}> is not a constraint`, el, undefined, 'ignored');
        return undefined;
    }
  }

  private resourceSets(el: XmlElement): ResourceSet[] {
    return childElements(el, 'resource_set').map((s) => this.resourceSet(s));
  }

  private resourceSet(el: XmlElement): ResourceSet {
    const { target } = this.deref(el);
    const resources = childElements(target, 'resource_ref').map((r) => this.id(r));
    for (const r of resources) this.checkResourceRef(target, 'resource_ref', r);
    const set: Mutable<ResourceSet> = {
      id: this.id(target),
      resources,
      sequential: this.boolean(target, 'sequential') ?? true,
      requireAll: this.boolean(target, 'require-all') ?? true,
      xml: el,
    };
    const ordering = this.oneOf<'group' | 'listed'>(target, 'ordering', new Set(['group', 'listed']));
    if (ordering !== undefined) set.ordering = ordering;
    if (target.attrs.action !== undefined) set.action = target.attrs.action;
    const role = this.role(target, 'role');
    if (role !== undefined) set.role = role;
    const score = this.score(target, 'score');
    if (score !== undefined) set.score = score;
    const kind = this.orderKind(target);
    if (kind !== undefined) set.kind = kind;
    return set;
  }

  private orderKind(el: XmlElement): OrderKind | undefined {
    const text = el.attrs.kind;
    if (text === undefined) return undefined;
    const kind = ORDER_KINDS[text.toLowerCase()];
    if (kind === undefined) {
      // Pacemaker resets an unknown kind to Mandatory and carries on.
      this.tolerate('VIGIL_CIB_BAD_VALUE', `'${text}' is not an order kind (Mandatory, Optional, Serialize)`, el, 'kind', 'using Mandatory');
      return 'Mandatory';
    }
    return kind;
  }

  private location(el: XmlElement): LocationConstraint {
    const c: Mutable<LocationConstraint> = {
      kind: 'rsc_location',
      id: this.id(el),
      rules: childElements(el, 'rule').map((r) => this.rule(r)),
      sets: this.resourceSets(el),
      xml: el,
    };
    const a = el.attrs;
    if (a.rsc !== undefined) c.rsc = a.rsc;
    if (a['rsc-pattern'] !== undefined) c.rscPattern = a['rsc-pattern'];
    if (a.node !== undefined) c.node = a.node;
    const score = this.score(el, 'score');
    if (score !== undefined) c.score = score;
    const role = this.role(el, 'role');
    if (role !== undefined) c.role = role;
    const discovery = this.oneOf<ResourceDiscovery>(el, 'resource-discovery', DISCOVERY);
    if (discovery !== undefined) c.resourceDiscovery = discovery;
    if (c.rsc === undefined && c.rscPattern === undefined && c.sets.length === 0) {
      this.fail('VIGIL_CIB_MISSING_ATTRIBUTE', `needs 'rsc', 'rsc-pattern' or a resource_set`, el, 'rsc');
    }
    // Pacemaker skips a location that has neither node+score nor a rule.
    if (c.rules.length === 0 && (c.node === undefined || c.score === undefined)) {
      const missing = c.node === undefined ? 'node' : 'score';
      this.tolerate('VIGIL_CIB_MISSING_ATTRIBUTE', `needs 'node' and 'score', or a rule; it has no '${missing}'`, el, missing, 'ignored');
      this.constraintIgnored = true;
    }
    this.checkResourceRef(el, 'rsc', c.rsc);
    return c;
  }

  private colocation(el: XmlElement): ColocationConstraint {
    const sets = this.resourceSets(el);
    let score = this.score(el, 'score');
    if (score === undefined) {
      // The schema requires a score, but Pacemaker reads a missing one as 0.
      this.tolerate('VIGIL_CIB_MISSING_ATTRIBUTE', `missing required attribute 'score'`, el, 'score', 'using 0');
      score = 0;
    }
    const c: Mutable<ColocationConstraint> = { kind: 'rsc_colocation', id: this.id(el), score, sets, xml: el };
    const a = el.attrs;
    if (sets.length === 0) {
      c.rsc = this.required(el, 'rsc');
      c.withRsc = this.required(el, 'with-rsc');
    } else {
      if (a.rsc !== undefined) c.rsc = a.rsc;
      if (a['with-rsc'] !== undefined) c.withRsc = a['with-rsc'];
    }
    const rscRole = this.role(el, 'rsc-role');
    if (rscRole !== undefined) c.rscRole = rscRole;
    const withRole = this.role(el, 'with-rsc-role');
    if (withRole !== undefined) c.withRscRole = withRole;
    if (a['node-attribute'] !== undefined) c.nodeAttribute = a['node-attribute'];
    const influence = this.lenientBoolean(el, 'influence');
    if (influence !== undefined) c.influence = influence;
    this.checkResourceRef(el, 'rsc', c.rsc);
    this.checkResourceRef(el, 'with-rsc', c.withRsc);
    return c;
  }

  private order(el: XmlElement): OrderConstraint {
    const sets = this.resourceSets(el);
    const c: Mutable<OrderConstraint> = { kind: 'rsc_order', id: this.id(el), sets, xml: el };
    const a = el.attrs;
    if (sets.length === 0) {
      c.first = this.required(el, 'first');
      c.then = this.required(el, 'then');
    } else {
      if (a.first !== undefined) c.first = a.first;
      if (a.then !== undefined) c.then = a.then;
    }
    if (a['first-action'] !== undefined) c.firstAction = a['first-action'];
    if (a['then-action'] !== undefined) c.thenAction = a['then-action'];
    const kind = this.orderKind(el);
    if (kind !== undefined) c.orderKind = kind;
    const score = this.score(el, 'score');
    if (score !== undefined) c.score = score;
    const symmetrical = this.boolean(el, 'symmetrical');
    if (symmetrical !== undefined) c.symmetrical = symmetrical;
    const requireAll = this.boolean(el, 'require-all');
    if (requireAll !== undefined) c.requireAll = requireAll;
    this.checkResourceRef(el, 'first', c.first);
    this.checkResourceRef(el, 'then', c.then);
    return c;
  }

  private ticket(el: XmlElement): TicketConstraint {
    const c: Mutable<TicketConstraint> = {
      kind: 'rsc_ticket',
      id: this.id(el),
      ticket: this.required(el, 'ticket'),
      sets: this.resourceSets(el),
      xml: el,
    };
    if (el.attrs.rsc !== undefined) c.rsc = el.attrs.rsc;
    else if (c.sets.length === 0) this.required(el, 'rsc');
    const role = this.role(el, 'rsc-role');
    if (role !== undefined) c.rscRole = role;
    const loss = this.oneOf<NonNullable<TicketConstraint['lossPolicy']>>(el, 'loss-policy', LOSS_POLICIES);
    if (loss !== undefined) c.lossPolicy = loss;
    this.checkResourceRef(el, 'rsc', c.rsc);
    return c;
  }

  private fencingLevel(el: XmlElement): FencingLevel {
    const devices = this.required(el, 'devices')
      .split(',')
      .map((d) => d.trim())
      .filter((d) => d !== '');
    const level: Mutable<FencingLevel> = {
      id: this.id(el),
      index: parseInteger(this.required(el, 'index'), this.where(el, 'index')),
      devices,
      xml: el,
    };
    const a = el.attrs;
    if (a.target !== undefined) level.target = a.target;
    if (a['target-pattern'] !== undefined) level.targetPattern = a['target-pattern'];
    if (a['target-attribute'] !== undefined) level.targetAttribute = a['target-attribute'];
    if (a['target-value'] !== undefined) level.targetValue = a['target-value'];
    const targets = [level.target, level.targetPattern, level.targetAttribute].filter((t) => t !== undefined).length;
    if (targets !== 1) {
      this.fail('VIGIL_CIB_MISSING_ATTRIBUTE', `needs exactly one of 'target', 'target-pattern', 'target-attribute'`, el, 'target');
    }
    for (const d of devices) {
      if (!this.resources.has(d)) this.tolerate('VIGIL_CIB_UNKNOWN_REFERENCE', `unknown fencing device '${d}'`, el, 'devices');
    }
    return level;
  }

  // ---------------------------------------------------------- status

  private nodeState(el: XmlElement): NodeState {
    const a = el.attrs;
    const transient = firstChild(el, 'transient_attributes');
    const lrm = firstChild(el, 'lrm');
    const lrmResourcesEl = lrm && firstChild(lrm, 'lrm_resources');
    const ns: Mutable<NodeState> = {
      id: this.id(el),
      transientAttributes: transient ? this.nvsets(transient, ['instance_attributes', 'utilization']) : [],
      lrmResources: lrmResourcesEl ? childElements(lrmResourcesEl, 'lrm_resource').map((r) => this.lrmResource(r)) : [],
      xml: el,
    };
    if (a.uname !== undefined) ns.uname = a.uname;
    if (a.in_ccm !== undefined) ns.inCcm = a.in_ccm;
    if (a.crmd !== undefined) ns.crmd = a.crmd;
    if (a.join !== undefined) ns.join = a.join;
    if (a.expected !== undefined) ns.expected = a.expected;
    if (a.shutdown !== undefined) ns.shutdown = a.shutdown;
    if (a.remote_node !== undefined) ns.remoteNode = isTruthy(a.remote_node);
    return ns;
  }

  private lrmResource(el: XmlElement): LrmResource {
    const a = el.attrs;
    const r: Mutable<LrmResource> = {
      id: this.id(el),
      ops: childElements(el, 'lrm_rsc_op').map((o) => this.lrmRscOp(o)),
      xml: el,
    };
    if (a.class !== undefined) r.class = a.class;
    if (a.provider !== undefined) r.provider = a.provider;
    if (a.type !== undefined) r.type = a.type;
    if (a.container !== undefined) r.container = a.container;
    return r;
  }

  private lrmRscOp(el: XmlElement): LrmRscOp {
    const a = el.attrs;
    const op: Mutable<LrmRscOp> = {
      id: this.id(el),
      operation: this.required(el, 'operation'),
      // The status section records intervals as plain milliseconds.
      intervalMs: this.integer(el, 'interval') ?? 0,
      callId: this.integer(el, 'call-id') ?? -1,
      rcCode: this.integer(el, 'rc-code') ?? 0,
      opStatus: this.integer(el, 'op-status') ?? 0,
      xml: el,
    };
    if (a['transition-key'] !== undefined) op.transitionKey = a['transition-key'];
    if (a['transition-magic'] !== undefined) op.transitionMagic = a['transition-magic'];
    if (a['op-digest'] !== undefined) op.opDigest = a['op-digest'];
    if (a['op-restart-digest'] !== undefined) op.opRestartDigest = a['op-restart-digest'];
    if (a['op-secure-digest'] !== undefined) op.opSecureDigest = a['op-secure-digest'];
    const lastRcChange = this.integer(el, 'last-rc-change');
    if (lastRcChange !== undefined) op.lastRcChange = lastRcChange;
    const lastRun = this.integer(el, 'last-run');
    if (lastRun !== undefined) op.lastRun = lastRun;
    const execTime = this.integer(el, 'exec-time');
    if (execTime !== undefined) op.execTimeMs = execTime;
    const queueTime = this.integer(el, 'queue-time');
    if (queueTime !== undefined) op.queueTimeMs = queueTime;
    if (a.on_node !== undefined) op.onNode = a.on_node;
    if (a['exit-reason'] !== undefined) op.exitReason = a['exit-reason'];
    if (a.migrate_source !== undefined) op.migrateSource = a.migrate_source;
    if (a.migrate_target !== undefined) op.migrateTarget = a.migrate_target;
    return op;
  }

  private ticketState(el: XmlElement): TicketState {
    const t: Mutable<TicketState> = {
      id: this.id(el),
      granted: isTruthy(el.attrs.granted),
      standby: isTruthy(el.attrs.standby),
      xml: el,
    };
    const lastGranted = this.integer(el, 'last-granted');
    if (lastGranted !== undefined) t.lastGranted = lastGranted;
    return t;
  }
}

/** The first value of a meta attribute in document order, rules ignored (for structural flags like promotable). */
function firstMetaValue(sets: readonly NvSet[], name: string): string | undefined {
  for (const set of sets) for (const p of set.nvpairs) if (p.name === name && p.value !== undefined) return p.value;
  return undefined;
}
