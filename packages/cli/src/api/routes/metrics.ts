import type { FastifyInstance } from 'fastify';
import { errorResponses } from './common.js';
import { statusOf } from './status.js';

/** GET /metrics in the Prometheus text exposition format, gauges fresh from the node's status. */
export async function metricsRoutes(app: FastifyInstance): Promise<void> {
  app.get(
    '/metrics',
    { config: { openWith: 'metrics' }, schema: { response: { 200: { type: 'string' }, ...errorResponses } } },
    async (_req, reply) => {
      const snap = await app.cluster.status();
      const metrics = app.vigilMetrics;
      metrics.update(statusOf(snap), snap.nodeName);
      return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    },
  );
}
