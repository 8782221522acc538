import type { FastifyInstance } from 'fastify';
import type { ROLE_ORDER } from '@vigil/pe';
import type { ClusterStatus, GroupStatus, PrimitiveStatus, ResourceStatus } from '../../status/index.js';
import { ApiError, ERROR_BODY_SCHEMA } from '../errors.js';
import { errorResponses } from './common.js';
import { statusOf } from './status.js';

type Role = keyof typeof ROLE_ORDER;
export const HEALTH_ROLES = ['Started', 'Promoted', 'Unpromoted'] as const;
export type HealthRole = (typeof HEALTH_ROLES)[number];

export interface ResourceHealth {
  readonly resource: string;
  readonly node: string;
  /** The answer a load balancer acts on. */
  readonly healthy: boolean;
  /** The role the resource has on this node (Stopped when not active here). */
  readonly role: Role;
  readonly wantedRole?: HealthRole;
}

/**
 * The primitives (or, for groups, sets of primitives that must all be up) a
 * resource id stands for. Clone instances each count on their own node.
 */
function unitsOf(r: ResourceStatus): PrimitiveStatus[][] {
  switch (r.kind) {
    case 'primitive':
      return [[r]];
    case 'group':
      return [[...r.children]];
    case 'clone':
      return r.instances.flatMap((i) => unitsOf(i));
    case 'bundle':
      return [];
  }
}

function findUnits(status: ClusterStatus, id: string): PrimitiveStatus[][] | undefined {
  const out: PrimitiveStatus[][] = [];
  const visit = (r: ResourceStatus | GroupStatus): void => {
    if (r.id === id || (r.kind === 'clone' && r.childId === id) || (r.kind === 'primitive' && r.baseId === id)) {
      out.push(...unitsOf(r));
      return;
    }
    if (r.kind === 'group') {
      // An instance group "g:0" answers for "g".
      if (r.id.replace(/:\d+$/, '') === id) out.push(...unitsOf(r));
      else r.children.forEach(visit);
    }
    if (r.kind === 'clone') r.instances.forEach(visit);
  };
  status.resources.forEach(visit);
  return out.length ? out : undefined;
}

function roleOnNode(unit: readonly PrimitiveStatus[], node: string): Role {
  const roles = unit.map((p) => p.locations.find((l) => l.node === node && !l.failed)?.role ?? 'Stopped');
  if (roles.some((r) => r === 'Stopped')) return 'Stopped';
  return roles.includes('Promoted') ? 'Promoted' : roles.includes('Unpromoted') ? 'Unpromoted' : 'Started';
}

/** Whether `id` is active (in `wanted` role, if given) on `node`; undefined for an unknown id. */
export function resourceHealth(status: ClusterStatus, id: string, node: string, wanted?: HealthRole): ResourceHealth | undefined {
  const units = findUnits(status, id);
  if (!units) return undefined;
  const rank = { Stopped: 0, Started: 1, Unpromoted: 2, Promoted: 3, Unknown: 0 } as const;
  let role: Role = 'Stopped';
  let healthy = false;
  for (const unit of units) {
    const here = roleOnNode(unit, node);
    if (rank[here] > rank[role]) role = here;
    if (here === 'Stopped') continue;
    if (wanted === undefined || wanted === 'Started' || here === wanted) healthy = true;
  }
  return { resource: id, node, healthy, role, ...(wanted !== undefined ? { wantedRole: wanted } : {}) };
}

const HEALTH_SCHEMA = {
  type: 'object',
  required: ['resource', 'node', 'healthy', 'role'],
  properties: {
    resource: { type: 'string' },
    node: { type: 'string' },
    healthy: { type: 'boolean' },
    role: { type: 'string' },
    wantedRole: { type: 'string' },
    quorate: { type: 'boolean' },
  },
} as const;

// A 503 is either "not here" (a health body) or "cannot tell" (an error body).
const UNHEALTHY_SCHEMA = {
  type: 'object',
  properties: { ...HEALTH_SCHEMA.properties, error: ERROR_BODY_SCHEMA.properties.error },
} as const;

/**
 * Probes for load balancers: 200 or 503, nothing else to parse, so an
 * haproxy `option httpchk GET /health/resource/db?role=Promoted` sends
 * writes only to the node where the database is promoted. By default they
 * need no token (see ApiOptions.publicHealth).
 */
export async function healthRoutes(app: FastifyInstance): Promise<void> {
  const config = { openWith: 'health' as const };

  app.get(
    '/health/live',
    {
      config,
      schema: { response: { 200: { type: 'object', required: ['status'], properties: { status: { type: 'string' } } } } },
    },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/health/dc',
    {
      config,
      schema: {
        response: {
          200: { type: 'object', properties: { node: { type: 'string' }, dc: { type: 'boolean' } } },
          ...errorResponses,
          503: { type: 'object', properties: { node: { type: 'string' }, dc: { type: 'boolean' }, error: ERROR_BODY_SCHEMA.properties.error } },
        },
      },
    },
    async (_req, reply) => {
      const snap = await app.cluster.status();
      const isDc = snap.dc === snap.nodeName;
      return reply.code(isDc ? 200 : 503).send({ node: snap.nodeName, dc: isDc });
    },
  );

  app.get<{ Params: { id: string }; Querystring: { role?: HealthRole; requireQuorum?: boolean } }>(
    '/health/resource/:id',
    {
      config,
      schema: {
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 256 } } },
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            role: { type: 'string', enum: [...HEALTH_ROLES] },
            // A node cut off from the majority may still run the resource until it is fenced or stops it;
            // with requireQuorum it stops attracting traffic at once.
            requireQuorum: { type: 'boolean' },
          },
        },
        response: { 200: HEALTH_SCHEMA, ...errorResponses, 503: UNHEALTHY_SCHEMA },
      },
    },
    async (req, reply) => {
      const snap = await app.cluster.status();
      const found = resourceHealth(statusOf(snap), req.params.id, snap.nodeName, req.query.role);
      if (!found) throw new ApiError('VIGIL_API_NOT_FOUND', `resource '${req.params.id}' is not configured`, { element: 'resource', id: req.params.id });
      const health = { ...found, quorate: snap.quorate, healthy: found.healthy && (snap.quorate || !req.query.requireQuorum) };
      return reply.code(health.healthy ? 200 : 503).send(health);
    },
  );
}
