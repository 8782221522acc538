import type { FastifyInstance } from 'fastify';
import { allPrimitiveStatuses } from '../../status/index.js';
import { RESOURCE_ACTIONS, type ResourceAction } from '../handle.js';
import { ApiError } from '../errors.js';
import { errorResponses, OUTCOME_SCHEMA } from './common.js';
import { statusOf } from './status.js';

const ID_PATTERN = '^[A-Za-z_][A-Za-z0-9_.:-]*$';

/** GET /resources (the status tree), GET /resources/:id, POST /resources/:id/:action. */
export async function resourceRoutes(app: FastifyInstance): Promise<void> {
  app.get(
    '/resources',
    {
      schema: {
        response: { 200: { type: 'array', items: { type: 'object', additionalProperties: true } }, ...errorResponses },
      },
    },
    async () => statusOf(await app.cluster.status()).resources,
  );

  app.get<{ Params: { id: string } }>(
    '/resources/:id',
    {
      schema: {
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: ID_PATTERN, maxLength: 256 } } },
        response: { 200: { type: 'object', additionalProperties: true }, ...errorResponses },
      },
    },
    async (req) => {
      const status = statusOf(await app.cluster.status());
      const top = status.resources.find((r) => r.id === req.params.id);
      if (top) return top;
      const inner = allPrimitiveStatuses(status.resources).find((p) => p.id === req.params.id || p.baseId === req.params.id);
      const group = status.resources.flatMap((r) => (r.kind === 'group' ? [r] : r.kind === 'clone' ? r.instances.filter((i) => i.kind === 'group') : []));
      const found = inner ?? group.find((g) => g.id === req.params.id);
      if (!found) throw new ApiError('VIGIL_API_NOT_FOUND', `resource '${req.params.id}' is not configured`, { element: 'resource', id: req.params.id });
      return found;
    },
  );

  app.post<{ Params: { id: string; action: ResourceAction }; Body: { node?: string } | undefined }>(
    '/resources/:id/:action',
    {
      // A bare POST (no body, no content type) is as good as `{}`.
      preValidation: async (req) => {
        if (req.body === undefined || req.body === null) req.body = {};
      },
      schema: {
        params: {
          type: 'object',
          required: ['id', 'action'],
          properties: {
            id: { type: 'string', pattern: ID_PATTERN, maxLength: 256 },
            action: { type: 'string', enum: [...RESOURCE_ACTIONS] },
          },
        },
        body: {
          type: 'object',
          additionalProperties: false,
          properties: { node: { type: 'string', minLength: 1, maxLength: 256 } },
        },
        response: { 200: OUTCOME_SCHEMA, ...errorResponses },
      },
    },
    async (req) => {
      const { id, action } = req.params;
      const node = req.body?.node;
      if ((action === 'move' || action === 'promote-on') && node === undefined) {
        throw new ApiError('VIGIL_API_BAD_REQUEST', `${action} needs {"node": "<name>"} in the body`, { field: 'node' });
      }
      const outcome = await app.cluster.resourceAction({ action, resource: id, ...(node !== undefined ? { node } : {}) });
      req.log.info({ resource: id, action, node, version: outcome.cibVersion }, outcome.message);
      return outcome;
    },
  );
}
