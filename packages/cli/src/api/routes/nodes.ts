import type { FastifyInstance } from 'fastify';
import { NODE_ACTIONS, type NodeAction } from '../handle.js';
import { ApiError } from '../errors.js';
import { errorResponses, OUTCOME_SCHEMA, VERSION_SCHEMA } from './common.js';
import { statusOf } from './status.js';

const NAME = { type: 'string', minLength: 1, maxLength: 256, pattern: '^[^/\\s]+$' } as const;
const ATTR = { type: 'string', minLength: 1, maxLength: 256, pattern: '^[A-Za-z0-9_.#-]+$' } as const;

/** GET /nodes, GET /nodes/:name, POST /nodes/:name/:action, PUT|DELETE /nodes/:name/attributes/:attr. */
export async function nodeRoutes(app: FastifyInstance): Promise<void> {
  app.get(
    '/nodes',
    { schema: { response: { 200: { type: 'array', items: { type: 'object', additionalProperties: true } }, ...errorResponses } } },
    async () => statusOf(await app.cluster.status()).nodes,
  );

  app.get<{ Params: { name: string } }>(
    '/nodes/:name',
    {
      schema: {
        params: { type: 'object', required: ['name'], properties: { name: NAME } },
        response: { 200: { type: 'object', additionalProperties: true }, ...errorResponses },
      },
    },
    async (req) => {
      const node = statusOf(await app.cluster.status()).nodes.find((n) => n.name === req.params.name);
      if (!node) throw new ApiError('VIGIL_API_NOT_FOUND', `node '${req.params.name}' is not in the cluster`, { element: 'node', id: req.params.name });
      return node;
    },
  );

  app.post<{ Params: { name: string; action: NodeAction } }>(
    '/nodes/:name/:action',
    {
      schema: {
        params: {
          type: 'object',
          required: ['name', 'action'],
          properties: { name: NAME, action: { type: 'string', enum: [...NODE_ACTIONS] } },
        },
        response: { 200: OUTCOME_SCHEMA, ...errorResponses },
      },
    },
    async (req) => {
      const outcome = await app.cluster.nodeAction(req.params.action, req.params.name);
      req.log.info({ node: req.params.name, action: req.params.action, version: outcome.cibVersion }, outcome.message);
      return outcome;
    },
  );

  const attrResponse = { 200: { type: 'object', required: ['cibVersion'], properties: { cibVersion: VERSION_SCHEMA } }, ...errorResponses };

  app.put<{ Params: { name: string; attr: string }; Body: { value: string } }>(
    '/nodes/:name/attributes/:attr',
    {
      schema: {
        params: { type: 'object', required: ['name', 'attr'], properties: { name: NAME, attr: ATTR } },
        body: { type: 'object', required: ['value'], additionalProperties: false, properties: { value: { type: 'string', maxLength: 4096 } } },
        response: attrResponse,
      },
    },
    async (req) => {
      const version = await app.cluster.setNodeAttribute(req.params.name, req.params.attr, req.body.value);
      req.log.info({ node: req.params.name, attribute: req.params.attr, value: req.body.value }, 'node attribute set');
      return { cibVersion: version };
    },
  );

  app.delete<{ Params: { name: string; attr: string } }>(
    '/nodes/:name/attributes/:attr',
    {
      schema: { params: { type: 'object', required: ['name', 'attr'], properties: { name: NAME, attr: ATTR } }, response: attrResponse },
    },
    async (req) => {
      const version = await app.cluster.setNodeAttribute(req.params.name, req.params.attr, undefined);
      req.log.info({ node: req.params.name, attribute: req.params.attr }, 'node attribute removed');
      return { cibVersion: version };
    },
  );
}
