import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { allPrimitiveStatuses, type ClusterStatus } from '../status/index.js';

export type TransitionOutcome = 'complete' | 'aborted' | 'failed';

/**
 * The Prometheus metrics of one node, in a registry of its own (never
 * prom-client's global one, so two APIs in one process, as in tests, do not
 * share series). Cluster gauges are refreshed from a status snapshot at
 * scrape time; the transition engine reports each transition through
 * observeTransition().
 */
export interface VigilMetrics {
  readonly registry: Registry;
  /** Record one transition: how long it ran and how it ended. */
  observeTransition(durationMs: number, outcome: TransitionOutcome): void;
  /** Refresh the cluster gauges from a status seen from `localNode`. */
  update(status: ClusterStatus, localNode: string): void;
  /** Count one API request by route pattern (never the raw URL, which would make unbounded series). */
  observeRequest(method: string, route: string, statusCode: number): void;
}

/** Transition durations: 10 ms to 5 min, where recoveries land. */
const TRANSITION_BUCKETS_S = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

export function createMetrics(): VigilMetrics {
  const registry = new Registry();
  const r = { registers: [registry] };
  const nodesConfigured = new Gauge({ name: 'vigil_nodes_configured', help: 'Nodes in the CIB configuration', ...r });
  const nodesOnline = new Gauge({ name: 'vigil_nodes_online', help: 'Nodes online by the CIB status', ...r });
  const membership = new Gauge({
    name: 'vigil_membership_size',
    help: 'Nodes in the current membership view (online nodes when the daemon has no view)',
    ...r,
  });
  const quorate = new Gauge({ name: 'vigil_quorate', help: '1 if this partition has quorum', ...r });
  const isDc = new Gauge({ name: 'vigil_is_dc', help: '1 if this node is the DC', ...r });
  const dcPresent = new Gauge({ name: 'vigil_dc_present', help: '1 if the cluster has a DC', ...r });
  const nodeState = new Gauge({
    name: 'vigil_node_state',
    help: '1 for the state each node is in (online, offline, standby, maintenance, unclean, pending)',
    labelNames: ['node', 'state'] as const,
    ...r,
  });
  const resourceRole = new Gauge({
    name: 'vigil_resource_role',
    help: '1 for each resource instance active on a node, labelled with its role',
    labelNames: ['resource', 'node', 'role'] as const,
    ...r,
  });
  const resourceFailed = new Gauge({
    name: 'vigil_resource_failed',
    help: '1 for each resource failed on a node',
    labelNames: ['resource', 'node'] as const,
    ...r,
  });
  const failCount = new Gauge({
    name: 'vigil_resource_fail_count',
    help: 'Fail count of a resource on a node (1000000 is INFINITY)',
    labelNames: ['resource', 'node'] as const,
    ...r,
  });
  const failedActions = new Gauge({ name: 'vigil_failed_actions', help: 'Failed resource actions recorded in the CIB', ...r });
  const epoch = new Gauge({ name: 'vigil_cib_epoch', help: 'Configuration epoch of the CIB this node holds', ...r });
  const transitions = new Counter({
    name: 'vigil_transitions_total',
    help: 'Transitions run, by outcome',
    labelNames: ['outcome'] as const,
    ...r,
  });
  const transitionSeconds = new Histogram({
    name: 'vigil_transition_duration_seconds',
    help: 'How long transitions took, by outcome',
    labelNames: ['outcome'] as const,
    buckets: TRANSITION_BUCKETS_S,
    ...r,
  });

  const requests = new Counter({
    name: 'vigil_api_requests_total',
    help: 'HTTP API requests answered, by method, route pattern and status code',
    labelNames: ['method', 'route', 'status'] as const,
    ...r,
  });

  return {
    registry,
    observeRequest(method, route, statusCode) {
      requests.inc({ method, route, status: String(statusCode) });
    },
    observeTransition(durationMs, outcome) {
      if (!Number.isFinite(durationMs) || durationMs < 0) return;
      transitions.inc({ outcome });
      transitionSeconds.observe({ outcome }, durationMs / 1000);
    },
    update(s, localNode) {
      nodesConfigured.set(s.nodes.length);
      nodesOnline.set(s.nodes.filter((n) => n.online).length);
      membership.set(s.summary.membership?.length ?? s.nodes.filter((n) => n.online).length);
      quorate.set(s.summary.quorate ? 1 : 0);
      isDc.set(s.summary.dc?.name === localNode ? 1 : 0);
      dcPresent.set(s.summary.dc ? 1 : 0);
      // Series for resources or nodes that went away must disappear, not linger at their last value.
      nodeState.reset();
      for (const n of s.nodes) {
        const state = n.unclean ? 'unclean' : n.pending ? 'pending' : !n.online ? 'offline' : n.standby ? 'standby' : n.maintenance ? 'maintenance' : 'online';
        nodeState.set({ node: n.name, state }, 1);
      }
      resourceRole.reset();
      resourceFailed.reset();
      for (const p of allPrimitiveStatuses(s.resources)) {
        for (const l of p.locations) {
          resourceRole.inc({ resource: p.baseId, node: l.node, role: l.role });
          if (l.failed) resourceFailed.set({ resource: p.baseId, node: l.node }, 1);
        }
      }
      failCount.reset();
      for (const f of s.failCounts) failCount.set({ resource: f.resource.replace(/:\d+$/, ''), node: f.node }, f.failCount);
      failedActions.set(s.failedActions.length);
      epoch.set(s.summary.cibVersion.epoch);
    },
  };
}
