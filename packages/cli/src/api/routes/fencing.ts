import type { FastifyInstance } from 'fastify';
import { ClusterError } from '../handle.js';
import { errorResponses } from './common.js';

const NAME = { type: 'string', minLength: 1, maxLength: 256, pattern: '^[^/\\s]+$' } as const;
const OUTCOME = {
  type: 'object',
  required: ['node', 'ok', 'message'],
  properties: { node: { type: 'string' }, ok: { type: 'boolean' }, message: { type: 'string' } },
} as const;

function unsupported(): never {
  throw new ClusterError('UNAVAILABLE', 'this node cannot fence (no fencer behind this API)');
}

/** POST /fencing/:node (fence now), POST /fencing/:node/confirm (operator says it is down), GET /fencing/history. */
export async function fencingRoutes(app: FastifyInstance): Promise<void> {
  app.post<{ Params: { node: string }; Body: { action?: 'off' | 'reboot' } | undefined }>(
    '/fencing/:node',
    {
      schema: {
        params: { type: 'object', required: ['node'], properties: { node: NAME } },
        body: { type: 'object', additionalProperties: false, properties: { action: { type: 'string', enum: ['off', 'reboot'] } } },
        response: { 200: OUTCOME, ...errorResponses },
      },
    },
    async (req, reply) => {
      const fence = app.cluster.fence?.bind(app.cluster) ?? unsupported();
      const outcome = await fence(req.params.node, req.body?.action ?? 'reboot', 'operator:api');
      req.log.info({ fence: outcome }, 'fencing requested through the API');
      return reply.code(outcome.ok ? 200 : 502).send(outcome);
    },
  );

  app.post<{ Params: { node: string } }>(
    '/fencing/:node/confirm',
    {
      schema: {
        params: { type: 'object', required: ['node'], properties: { node: NAME } },
        response: { 200: OUTCOME, ...errorResponses },
      },
    },
    async (req) => {
      const confirm = app.cluster.confirmFenced?.bind(app.cluster) ?? unsupported();
      return confirm(req.params.node, 'operator:api');
    },
  );

  app.get(
    '/fencing/history',
    { schema: { response: { 200: { type: 'array', items: { type: 'object', additionalProperties: true } }, ...errorResponses } } },
    async () => {
      const history = app.cluster.fenceHistory?.bind(app.cluster) ?? unsupported();
      return history();
    },
  );
}
