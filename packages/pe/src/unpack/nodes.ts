import { unpackNvSets, type Cib, type NodeState, type XmlElement } from '@vigil/cib';
import type { ClusterOptions } from '../options.js';
import { isTrue } from '../options.js';
import type { SchedNode } from '../working-set.js';

/** Membership fields are "true"/"false" in older CIBs and timestamps in newer ones. */
function truthy(value: string | undefined): boolean {
  if (value === undefined) return false;
  if (/^\d+$/.test(value)) return Number(value) > 0;
  return isTrue(value) || value === 'online' || value === 'member';
}

/**
 * Turn configured nodes plus their `node_state` into scheduler nodes,
 * deciding for each whether it is online, cleanly down, or unclean (in need
 * of fencing), following Pacemaker's documented membership states.
 */
export function unpackNodes(cib: Cib, options: ClusterOptions, nowSec: number): SchedNode[] {
  const states = new Map<string, NodeState>();
  for (const st of cib.status) {
    states.set(st.id, st);
  }
  const nodes: SchedNode[] = [];
  const seenNames = new Set<string>();
  cib.configuration.nodes.forEach((cfg, index) => {
    if (seenNames.has(cfg.uname)) return;
    seenNames.add(cfg.uname);
    const state = states.get(cfg.id) ?? cib.status.find((s) => s.uname === cfg.uname);
    const builtins: Record<string, string> = {
      '#uname': cfg.uname,
      '#id': cfg.id,
      '#kind': cfg.type === 'remote' ? 'remote' : 'cluster',
      '#is_dc': String(cib.dcUuid !== undefined && cib.dcUuid === cfg.id),
    };
    if (options.clusterName) builtins['#cluster-name'] = options.clusterName;
    const ctx = { nodeAttrs: builtins, nowSec };
    const configured = unpackNvSets(cfg.instanceAttributes, ctx);
    const transient = state ? unpackNvSets(state.transientAttributes, ctx) : {};
    const attrs: Record<string, string> = { ...configured, ...transient, ...builtins };
    // Transient utilization (status) overrides the configured capacity.
    const util = { ...unpackNvSets(cfg.utilization, ctx), ...(state ? transientUtilization(state.xml) : {}) };
    const utilization: Record<string, number> = {};
    for (const [k, v] of Object.entries(util)) {
      const n = Number.parseInt(v, 10);
      if (Number.isFinite(n)) utilization[k] = n;
    }
    const node: SchedNode = {
      id: cfg.id,
      name: cfg.uname,
      type: cfg.type,
      index,
      online: false,
      unclean: false,
      standby: isTrue(attrs['standby']),
      maintenance: isTrue(attrs['maintenance']),
      pending: false,
      shutdown: false,
      expectedUp: false,
      attrs,
      utilization,
      assignedCount: 0,
      used: {},
      isDc: builtins['#is_dc'] === 'true',
      unknownInConfig: false,
    };
    if (cfg.type === 'member' || cfg.type === 'ping') {
      decideMembership(node, state, options, nowSec);
    } else {
      // Remote nodes are online while their connection resource runs; decided later.
      node.online = false;
    }
    nodes.push(node);
  });
  return nodes;
}

function decideMembership(node: SchedNode, state: NodeState | undefined, options: ClusterOptions, nowSec: number): void {
  if (!state) {
    // Never seen: with startup-fencing, a node we know nothing about may be
    // running anything, so it must be fenced before we trust that it is down.
    if (options.fencingEnabled && options.startupFencing) {
      markUnclean(node, 'node is unclean');
    }
    return;
  }
  const inCluster = truthy(state.inCcm);
  const peerUp = truthy(state.crmd);
  if (state.inCcm === undefined && options.fencingEnabled && options.startupFencing) {
    // No membership record at all: like a node never seen, it may be running anything.
    markUnclean(node, 'peer has not been seen by the cluster');
    return;
  }
  const join = state.join ?? 'down';
  const expected = state.expected ?? 'down';
  node.expectedUp = expected === 'member';
  const shutdownAttr = node.attrs['shutdown'];
  node.shutdown = shutdownAttr !== undefined && shutdownAttr !== '0' && shutdownAttr !== '';
  const terminate = node.attrs['terminate'];

  if (terminate !== undefined && isTrue(terminate)) {
    markUnclean(node, 'fencing was requested');
    return;
  }
  if (!options.fencingEnabled) {
    // Without fencing, a node that is not fully up is simply treated as down.
    node.online = inCluster && peerUp && join === 'member';
    if (inCluster && peerUp && join !== 'member' && join !== 'down') node.pending = true;
    return;
  }
  if (inCluster && peerUp && join === 'member') {
    node.online = true;
    return;
  }
  if (!inCluster) {
    if (expected === 'member') {
      markUnclean(node, 'peer is no longer part of the cluster');
    }
    return;
  }
  if (!peerUp) {
    // Newer CIBs record since when a node is in the membership: one that
    // never got its controller up within node-pending-timeout is fenced.
    const since = Number(state.inCcm);
    if (options.nodePendingTimeoutSec > 0 && Number.isInteger(since) && since > 1 && state.crmd !== undefined && !truthy(state.crmd) && nowSec - since >= options.nodePendingTimeoutSec && state.join === undefined) {
      markUnclean(node, 'peer pending timed out on joining the process group');
      return;
    }
    // In the membership but the controller is gone.
    if (node.shutdown && expected !== 'member') return;
    if (expected === 'member' || join === 'member') {
      markUnclean(node, 'peer process is no longer available');
    }
    return;
  }
  // In the membership with a live controller, but not (yet) a full member.
  if (join === 'banned') {
    markUnclean(node, 'peer failed Pacemaker membership criteria');
    return;
  }
  if (join === 'pending') {
    node.pending = true;
    return;
  }
  if (join === 'down' && expected !== 'member') {
    return;
  }
  node.pending = true;
}

function markUnclean(node: SchedNode, reason: string): void {
  node.unclean = true;
  node.online = false;
  node.fenceReason ??= reason;
}

/** node_state/transient_attributes/utilization name-value pairs. */
function transientUtilization(state: XmlElement): Record<string, string> {
  const out: Record<string, string> = {};
  for (const ta of state.children) {
    if (ta.name !== 'transient_attributes') continue;
    for (const u of ta.children) {
      if (u.name !== 'utilization') continue;
      for (const nv of u.children) {
        const name = nv.attrs['name'];
        const value = nv.attrs['value'];
        if (nv.name === 'nvpair' && name !== undefined && value !== undefined && out[name] === undefined) out[name] = value;
      }
    }
  }
  return out;
}
