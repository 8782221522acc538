import {
  bumpEpoch,
  bumpNumUpdates,
  cibFromXml,
  findResource,
  parentOf,
  withClusterOption,
  withNodeAttribute,
  type Cib,
  type XmlElement,
} from '@vigil/cib';
import { unpack } from '@vigil/pe';
import { ClusterError, type NodeAction, type ResourceActionRequest } from './handle.js';

/**
 * The CIB edits behind resource and node operations, as pure functions from
 * one CIB to the next. MemoryClusterHandle commits them directly; the daemon
 * can propose the same edits through its replicated store. Each either
 * returns a whole new CIB or throws a ClusterError, never half an edit.
 */

export interface CibEdit {
  readonly cib: Cib;
  readonly message: string;
}

const el = (name: string, attrs: Record<string, string> = {}, children: XmlElement[] = []): XmlElement => ({ name, attrs, children });

function withChildren(e: XmlElement, children: readonly XmlElement[]): XmlElement {
  return { ...e, children };
}

/** Rewrites the tree bottom-up; `fn` returns the replacement, or null to drop an element. */
function rewrite(e: XmlElement, fn: (e: XmlElement) => XmlElement | null): XmlElement | null {
  const children = e.children.map((c) => rewrite(c, fn)).filter((c): c is XmlElement => c !== null);
  const changed = children.length !== e.children.length || children.some((c, i) => c !== e.children[i]);
  return fn(changed ? withChildren(e, children) : e);
}

function rewriteCib(cib: Cib, fn: (e: XmlElement) => XmlElement | null): XmlElement {
  return rewrite(cib.xml, fn) ?? cib.xml;
}

/** Sets or removes `name` in the first nvset of kind `setName` under `owner`, creating the set if needed. */
function withNvpair(owner: XmlElement, setName: string, setId: string, name: string, value: string | undefined): XmlElement {
  const idx = owner.children.findIndex((c) => c.name === setName);
  const set = idx >= 0 ? owner.children[idx]! : el(setName, { id: setId });
  const existing = set.children.find((c) => c.name === 'nvpair' && c.attrs.name === name);
  if (existing?.attrs.value === value && (existing !== undefined || value === undefined)) return owner;
  const pairs = set.children.filter((c) => !(c.name === 'nvpair' && c.attrs.name === name));
  if (value !== undefined) pairs.push(el('nvpair', { id: safeId(`${set.attrs.id ?? setId}-${name}`), name, value }));
  const children = [...owner.children];
  if (idx >= 0) children[idx] = withChildren(set, pairs);
  else if (value !== undefined) children.unshift(withChildren(set, pairs));
  else return owner;
  return withChildren(owner, children);
}

/** Generated ids must be XML ids even when a node or instance name is not ("db:0", "10.0.0.5" is fine). */
function safeId(text: string): string {
  return text.replace(/[^A-Za-z0-9_.-]/g, '_');
}

function constraintsOf(root: XmlElement): XmlElement | undefined {
  return root.children.find((c) => c.name === 'configuration')?.children.find((c) => c.name === 'constraints');
}

/** Replaces any constraint with the same id, so repeating a move or ban does not pile them up. */
function withLocation(cib: Cib, attrs: Record<string, string>): XmlElement {
  const id = attrs.id!;
  let added = false;
  const root = rewriteCib(cib, (e) => {
    if (e.name === 'rsc_location' && e.attrs.id === id) return null;
    if (e.name === 'constraints' && !added) {
      added = true;
      return withChildren(e, [...e.children.filter((c) => c.attrs.id !== id), el('rsc_location', attrs)]);
    }
    return e;
  });
  if (!added) throw new ClusterError('INVALID', 'the CIB has no <constraints> section', { element: 'constraints' });
  return root;
}

function requireNode(cib: Cib, node: string | undefined, action: string): string {
  if (node === undefined) throw new ClusterError('INVALID_ACTION', `${action} needs a node`, { field: 'node' });
  const known = cib.configuration.nodes.some((n) => n.uname === node) || cib.status.some((s) => s.uname === node);
  if (!known) throw new ClusterError('NOT_FOUND', `node '${node}' is not in the cluster`, { element: 'node', id: node });
  return node;
}

function reparse(root: XmlElement): Cib {
  return cibFromXml(root);
}

/** The promotable clone a resource id names, directly or through its child. */
function promotableCloneOf(cib: Cib, id: string): string | undefined {
  const r = findResource(cib, id);
  if (r?.kind === 'clone') return r.promotable ? r.id : undefined;
  const parent = parentOf(cib, id);
  const outer = parent?.kind === 'group' ? parentOf(cib, parent.id) : parent;
  return outer?.kind === 'clone' && outer.promotable ? outer.id : undefined;
}

function setMeta(cib: Cib, id: string, name: string, value: string | undefined): XmlElement {
  return rewriteCib(cib, (e) => {
    if (e.attrs.id !== id || !['primitive', 'group', 'clone', 'bundle', 'master'].includes(e.name)) return e;
    return withNvpair(e, 'meta_attributes', safeId(`${id}-meta_attributes`), name, value);
  });
}

function whereRunning(cib: Cib, id: string, nowSec: number): string[] {
  const ws = unpack(cib, nowSec);
  const nodes = new Set<string>();
  for (const p of ws.primitives) {
    const inside = p.baseId === id || p.id === id || p.parent?.id === id || p.parent?.parent?.id === id;
    if (inside) for (const n of p.runningOn) nodes.add(n.name);
  }
  return [...nodes];
}

/**
 * Drops the failed operation records and the fail-count / last-failure
 * attributes of one resource (on one node, or everywhere), as a cleanup
 * does; everything else in the status section is kept as is.
 */
function cleanup(cib: Cib, id: string, node: string | undefined): XmlElement {
  const matches = (rsc: string): boolean => rsc === id || rsc.replace(/:\d+$/, '') === id;
  const failureAttr = (name: string): boolean => {
    const m = /^(?:fail-count|last-failure)-(.+?)(?:#.*)?$/.exec(name);
    return m !== null && matches(m[1]!);
  };
  const visit = (e: XmlElement): XmlElement | null => {
    if (e.name === 'node_state' && node !== undefined && e.attrs.uname !== node) return e;
    if (e.name === 'lrm_resource' && !matches(e.attrs.id ?? '')) return e;
    if (e.name === 'nvpair') return e.attrs.name !== undefined && failureAttr(e.attrs.name) ? null : e;
    if (e.name === 'lrm_rsc_op') {
      // transition-key is "action:transition:expected-rc:uuid"; a record whose rc differs recorded a failure.
      const expected = e.attrs['transition-key']?.split(':')[2] ?? '0';
      const failed = e.attrs['rc-code'] !== expected || (e.attrs['op-status'] ?? '0') !== '0';
      return failed ? null : e;
    }
    const children = e.children.map(visit).filter((c): c is XmlElement => c !== null);
    const same = children.length === e.children.length && children.every((c, i) => c === e.children[i]);
    return same ? e : withChildren(e, children);
  };
  const status = cib.xml.children.find((c) => c.name === 'status');
  if (!status) return cib.xml;
  const next = visit(status)!;
  return next === status ? cib.xml : withChildren(cib.xml, cib.xml.children.map((c) => (c === status ? next : c)));
}

export function applyResourceAction(cib: Cib, req: ResourceActionRequest, nowSec: number): CibEdit {
  const id = req.resource;
  if (!findResource(cib, id)) {
    throw new ClusterError('NOT_FOUND', `resource '${id}' is not configured`, { element: 'resource', id });
  }
  // An edit that changes nothing (a second stop) keeps the version.
  const config = (root: XmlElement): Cib => (root === cib.xml ? cib : bumpEpoch(reparse(root)));
  switch (req.action) {
    case 'start':
      return { cib: config(setMeta(cib, id, 'target-role', 'Started')), message: `set target-role=Started on ${id}` };
    case 'stop':
      return { cib: config(setMeta(cib, id, 'target-role', 'Stopped')), message: `set target-role=Stopped on ${id}` };
    case 'restart':
      // Two commits with a wait between (see restartPlan); one edit cannot say it.
      throw new ClusterError('INVALID_ACTION', `restart of '${id}' is a stop and a start with a wait between: use restartPlan`, { id });
    case 'move': {
      const node = requireNode(cib, req.node, 'move');
      const cid = safeId(`cli-prefer-${id}`);
      return {
        cib: config(withLocation(cib, { id: cid, rsc: id, node, score: 'INFINITY', role: 'Started' })),
        message: `added ${cid}: ${id} prefers ${node}`,
      };
    }
    case 'promote-on': {
      const node = requireNode(cib, req.node, 'promote-on');
      const clone = promotableCloneOf(cib, id);
      if (!clone) throw new ClusterError('INVALID_ACTION', `resource '${id}' is not in a promotable clone`, { id });
      const cid = safeId(`cli-prefer-${clone}`);
      return {
        cib: config(withLocation(cib, { id: cid, rsc: clone, node, score: 'INFINITY', role: 'Promoted' })),
        message: `added ${cid}: ${clone} promoted on ${node}`,
      };
    }
    case 'ban': {
      let node = req.node;
      if (node === undefined) {
        const running = whereRunning(cib, id, nowSec);
        if (running.length !== 1) {
          throw new ClusterError(
            'INVALID_ACTION',
            running.length === 0 ? `resource '${id}' is not running; name the node to ban it from` : `resource '${id}' runs on ${running.join(', ')}; name the node to ban it from`,
            { field: 'node' },
          );
        }
        node = running[0]!;
      }
      requireNode(cib, node, 'ban');
      const cid = safeId(`cli-ban-${id}-on-${node}`);
      return {
        cib: config(withLocation(cib, { id: cid, rsc: id, node, score: '-INFINITY' })),
        message: `added ${cid}: ${id} may not run on ${node}`,
      };
    }
    case 'clear': {
      if (req.node !== undefined) requireNode(cib, req.node, 'clear');
      const mine = (c: XmlElement): boolean =>
        c.name === 'rsc_location' &&
        (c.attrs.rsc === id || c.attrs.rsc === promotableCloneOf(cib, id)) &&
        /^cli-(prefer|ban)-/.test(c.attrs.id ?? '') &&
        (req.node === undefined || c.attrs.node === req.node);
      const removed = (constraintsOf(cib.xml)?.children ?? []).filter(mine).map((c) => c.attrs.id!);
      if (!removed.length) return { cib, message: `no move, ban or promote-on constraints for ${id}` };
      const root = rewriteCib(cib, (e) => (mine(e) ? null : e));
      return { cib: config(root), message: `removed ${removed.join(', ')}` };
    }
    case 'cleanup': {
      if (req.node !== undefined) requireNode(cib, req.node, 'cleanup');
      const root = cleanup(cib, id, req.node);
      if (root === cib.xml) return { cib, message: `no failures recorded for ${id}` };
      return { cib: bumpNumUpdates(reparse(root)), message: `forgot failures of ${id}${req.node ? ` on ${req.node}` : ''}` };
    }
  }
}

/**
 * A restart as crm_resource does it: set target-role=Stopped, wait until the
 * resource is stopped everywhere, then put target-role back as it was. The
 * caller commits `stop`, waits, and commits `restore(current CIB)`.
 */
export interface RestartPlan {
  readonly stop: CibEdit;
  restore(cib: Cib): CibEdit;
}

export function restartPlan(cib: Cib, id: string, nowSec: number): RestartPlan {
  const rsc = findResource(cib, id);
  if (!rsc) throw new ClusterError('NOT_FOUND', `resource '${id}' is not configured`, { element: 'resource', id });
  if (whereRunning(cib, id, nowSec).length === 0) {
    throw new ClusterError('INVALID_ACTION', `resource '${id}' is not running, so there is nothing to restart`, { id });
  }
  const original = rsc.metaAttributes.flatMap((set) => set.nvpairs).find((nv) => nv.name === 'target-role')?.value;
  const stopped = setMeta(cib, id, 'target-role', 'Stopped');
  return {
    stop: { cib: stopped === cib.xml ? cib : bumpEpoch(reparse(stopped)), message: `restart of ${id}: set target-role=Stopped` },
    restore(current: Cib): CibEdit {
      const root = setMeta(current, id, 'target-role', original);
      return {
        cib: root === current.xml ? current : bumpEpoch(reparse(root)),
        message: original === undefined ? `restart of ${id}: removed target-role` : `restart of ${id}: set target-role=${original}`,
      };
    },
  };
}

export function applyNodeAction(cib: Cib, action: NodeAction, node: string): CibEdit {
  const cfg = cib.configuration.nodes.find((n) => n.uname === node);
  if (!cfg) throw new ClusterError('NOT_FOUND', `node '${node}' is not configured`, { element: 'node', id: node });
  const [name, value] =
    action === 'standby' ? ['standby', 'on'] : action === 'online' ? ['standby', undefined] : action === 'maintenance' ? ['maintenance', 'on'] : ['maintenance', undefined];
  const root = rewriteCib(cib, (e) =>
    e.name === 'node' && e.attrs.id === cfg.id ? withNvpair(e, 'instance_attributes', `nodes-${cfg.id}`, name!, value) : e,
  );
  return {
    cib: root === cib.xml ? cib : bumpEpoch(reparse(root)),
    message: value === undefined ? `removed ${name} from ${node}` : `set ${name}=${value} on ${node}`,
  };
}

export function applyNodeAttribute(cib: Cib, node: string, name: string, value: string | undefined): Cib {
  const cfg = cib.configuration.nodes.find((n) => n.uname === node);
  const state = cib.status.find((s) => s.uname === node);
  const nodeId = cfg?.id ?? state?.id;
  if (nodeId === undefined) throw new ClusterError('NOT_FOUND', `node '${node}' is not in the cluster`, { element: 'node', id: node });
  const next = withNodeAttribute(cib, nodeId, name, value);
  return next === cib ? cib : bumpNumUpdates(next);
}

export function applyProperty(cib: Cib, name: string, value: string | undefined): Cib {
  const next = withClusterOption(cib, name, value);
  return next === cib ? cib : bumpEpoch(next);
}
