import {
  INFINITY,
  unpackNvSets,
  normalizeRole,
  parseDurationMs,
  type Clone,
  type Group,
  type NvSet,
  type Primitive,
  type Resource,
} from '@vigil/cib';
import { isTrue, scoreOf } from '../options.js';
import type { CloneRsc, GroupRsc, PrimitiveRsc, Rsc, Role, SchedNode } from '../working-set.js';

export interface ResourceContext {
  readonly nowSec: number;
  readonly rscDefaults: readonly NvSet[];
  readonly nodes: readonly SchedNode[];
  readonly maintenanceMode: boolean;
  readonly warnings: string[];
}

/**
 * rsc_defaults depend only on the agent (rules may test class, provider and
 * type), so they are evaluated once per agent rather than once per resource.
 */
const defaultsCache = new WeakMap<ResourceContext, Map<string, Record<string, string>>>();

function resourceDefaults(ctx: ResourceContext, rscInfo: { class: string; provider?: string; type: string } | undefined): Record<string, string> {
  let cache = defaultsCache.get(ctx);
  if (!cache) defaultsCache.set(ctx, (cache = new Map()));
  const key = rscInfo ? `${rscInfo.class}:${rscInfo.provider ?? ''}:${rscInfo.type}` : '';
  let d = cache.get(key);
  if (!d) {
    d = unpackNvSets(ctx.rscDefaults, { nowSec: ctx.nowSec, ...(rscInfo ? { rsc: rscInfo } : {}) });
    cache.set(key, d);
  }
  return d;
}

/** Meta attributes: the resource's own, then its parents', then rsc_defaults. */
function resolveMeta(
  own: readonly NvSet[],
  parentMeta: Record<string, string> | undefined,
  ctx: ResourceContext,
  rscInfo: { class: string; provider?: string; type: string } | undefined,
): Record<string, string> {
  const ruleCtx = { nowSec: ctx.nowSec, ...(rscInfo ? { rsc: rscInfo } : {}) };
  const defaults = resourceDefaults(ctx, rscInfo);
  const mine = unpackNvSets(own, ruleCtx);
  return { ...defaults, ...(parentMeta ?? {}), ...mine };
}

function roleOf(value: string | undefined, fallback: Role): Role {
  if (value === undefined) return fallback;
  try {
    return normalizeRole(value) as Role;
  } catch {
    return fallback;
  }
}

function commonFields(id: string, meta: Record<string, string>, ctx: ResourceContext) {
  const managed = meta['is-managed'] === undefined ? true : isTrue(meta['is-managed']);
  return {
    id,
    meta,
    priority: scoreOf(meta['priority'], 0),
    managed: managed && !ctx.maintenanceMode && !isTrue(meta['maintenance']),
    targetRole: roleOf(meta['target-role'], 'Started'),
    allowed: new Map<string, number>(),
    discovery: new Map<string, 'always' | 'never' | 'exclusive'>(),
    promotedScores: new Map<string, number>(),
    colocationsAsDependent: [],
    colocationsAsPrimary: [],
    assigning: false,
    assignedDone: false,
    orphan: false,
  };
}

export function makePrimitive(
  def: Primitive,
  instanceId: string,
  parentMeta: Record<string, string> | undefined,
  ctx: ResourceContext,
  isCloneInstance: boolean,
): PrimitiveRsc {
  const info = { class: def.class, type: def.type, ...(def.provider ? { provider: def.provider } : {}) };
  const meta = resolveMeta(def.metaAttributes, parentMeta, ctx, info);
  const params = unpackNvSets(def.instanceAttributes, { nowSec: ctx.nowSec, rsc: info });
  const stickinessDefault = isCloneInstance ? 1 : 0;
  const threshold = meta['migration-threshold'];
  let migrationThreshold = threshold === undefined ? INFINITY : scoreOf(threshold, INFINITY);
  if (migrationThreshold <= 0) migrationThreshold = 0;
  let failureTimeoutSec = 0;
  if (meta['failure-timeout'] !== undefined) {
    try {
      failureTimeoutSec = Math.floor(parseDurationMs(meta['failure-timeout']) / 1000);
    } catch {
      ctx.warnings.push(`resource '${def.id}': ignoring bad failure-timeout '${meta['failure-timeout']}'`);
    }
  }
  return {
    ...commonFields(instanceId, meta, ctx),
    variant: 'primitive',
    baseId: def.id,
    def,
    className: def.class,
    ...(def.provider ? { provider: def.provider } : {}),
    type: def.type,
    params,
    ops: def.operations,
    stickiness: scoreOf(meta['resource-stickiness'] ?? meta['default-resource-stickiness'], stickinessDefault),
    migrationThreshold,
    failureTimeoutSec,
    allowMigrate: isTrue(meta['allow-migrate']),
    isRemoteConnection: def.class === 'ocf' && def.provider === 'pacemaker' && def.type === 'remote',
    history: new Map(),
    runningOn: [],
    migrationLeftovers: [],
    failCount: new Map(),
    assigned: null,
    nextRole: 'Stopped',
    definitionChanged: new Set(),
    reloadNeeded: new Set(),
    restartOn: new Set(),
    blocked: false,
  };
}

function makeGroup(
  def: Group,
  instanceSuffix: string,
  parentMeta: Record<string, string> | undefined,
  ctx: ResourceContext,
  isCloneInstance: boolean,
): GroupRsc {
  const meta = resolveMeta(def.metaAttributes, parentMeta, ctx, undefined);
  const group: GroupRsc = {
    ...commonFields(def.id + instanceSuffix, meta, ctx),
    variant: 'group',
    def,
    children: [],
  };
  // Children inherit the group's meta attributes, except the ones that only
  // make sense for the group as a whole.
  const inherited = { ...meta };
  delete inherited['target-role-group-only'];
  for (const child of def.children) {
    const p = makePrimitive(child, child.id + instanceSuffix, inherited, ctx, isCloneInstance);
    p.parent = group;
    group.children.push(p);
  }
  return group;
}

function makeClone(def: Clone, ctx: ResourceContext): CloneRsc {
  const meta = resolveMeta(def.metaAttributes, undefined, ctx, undefined);
  const nodeCount = ctx.nodes.length;
  const int = (name: string, dflt: number): number => {
    const v = meta[name];
    if (v === undefined) return dflt;
    const n = scoreOf(v, dflt);
    return n < 0 ? 0 : n;
  };
  const promotable = def.promotable || isTrue(meta['promotable']);
  const clone: CloneRsc = {
    ...commonFields(def.id, meta, ctx),
    variant: 'clone',
    def,
    promotable,
    unique: isTrue(meta['globally-unique']),
    cloneMax: int('clone-max', nodeCount),
    cloneNodeMax: int('clone-node-max', 1),
    promotedMax: int('promoted-max', int('master-max', 1)),
    promotedNodeMax: int('promoted-node-max', int('master-node-max', 1)),
    interleave: isTrue(meta['interleave']),
    ordered: isTrue(meta['ordered']),
    notify: isTrue(meta['notify']),
    instances: [],
    childId: def.child.id,
  };
  const childMeta = { ...meta };
  for (let i = 0; i < clone.cloneMax; i++) {
    addCloneInstance(clone, i, childMeta, ctx);
  }
  return clone;
}

export function addCloneInstance(
  clone: CloneRsc,
  index: number,
  childMeta: Record<string, string>,
  ctx: ResourceContext,
): PrimitiveRsc | GroupRsc {
  const child = clone.def.child;
  const suffix = `:${index}`;
  const inst =
    child.kind === 'primitive'
      ? makePrimitive(child, child.id + suffix, childMeta, ctx, true)
      : makeGroup(child, suffix, childMeta, ctx, true);
  inst.parent = clone;
  if (inst.variant === 'primitive') inst.instance = index;
  else for (const c of inst.children) c.instance = index;
  clone.instances.push(inst);
  return inst;
}

export function unpackResources(resources: readonly Resource[], ctx: ResourceContext): Rsc[] {
  const out: Rsc[] = [];
  for (const def of resources) {
    switch (def.kind) {
      case 'primitive':
        out.push(makePrimitive(def, def.id, undefined, ctx, false));
        break;
      case 'group':
        out.push(makeGroup(def, '', undefined, ctx, false));
        break;
      case 'clone':
        out.push(makeClone(def, ctx));
        break;
      case 'bundle': {
        const meta = resolveMeta(def.metaAttributes, undefined, ctx, undefined);
        out.push({ ...commonFields(def.id, meta, ctx), variant: 'bundle', def });
        break;
      }
    }
  }
  return out;
}
