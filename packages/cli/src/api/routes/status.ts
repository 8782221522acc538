import type { FastifyInstance } from 'fastify';
import { clusterStatus, renderStatusText, renderStatusXml, STATUS_FORMATS, type ClusterStatus, type StatusFormat } from '../../status/index.js';
import type { StatusSnapshot } from '../handle.js';
import { errorResponses } from './common.js';

// Health probes from several load balancers, a scrape and a `vigil status`
// often ask within the same second about the same CIB: compute once.
const recent = new WeakMap<object, { key: string; status: ClusterStatus }>();

export function statusOf(snap: StatusSnapshot): ClusterStatus {
  const key = JSON.stringify([snap.nowSec, snap.dc, snap.quorate, snap.nodeName, snap.membership]);
  const hit = recent.get(snap.cib);
  if (hit?.key === key) return hit.status;
  const status = computeStatus(snap);
  recent.set(snap.cib, { key, status });
  return status;
}

function computeStatus(snap: StatusSnapshot): ClusterStatus {
  return clusterStatus(snap.cib, {
    nowSec: snap.nowSec,
    quorate: snap.quorate,
    nodeName: snap.nodeName,
    ...(snap.dc !== undefined ? { dc: snap.dc } : {}),
    ...(snap.membership ? { membership: snap.membership } : {}),
  });
}

/** Without ?output, a client that asks for text or XML (curl -H 'Accept: text/plain') gets it. */
function formatFromAccept(accept: string | undefined): StatusFormat {
  const wants = (accept ?? '').toLowerCase();
  if (wants.includes('json') || wants === '' || wants.includes('*/*')) return 'json';
  if (wants.includes('text/plain')) return 'text';
  if (wants.includes('xml')) return 'xml';
  return 'json';
}

const looseObject = { type: 'object', additionalProperties: true } as const;
const looseArray = { type: 'array', items: looseObject } as const;

/** GET /status: the crm_mon view of the cluster as JSON (default), text or crm_mon XML. */
export async function statusRoutes(app: FastifyInstance): Promise<void> {
  app.get<{ Querystring: { output?: StatusFormat } }>(
    '/status',
    {
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { output: { type: 'string', enum: [...STATUS_FORMATS] } },
        },
        response: {
          200: {
            type: 'object',
            required: ['formatVersion', 'summary', 'nodes', 'resources', 'failedActions', 'failCounts'],
            properties: {
              formatVersion: { type: 'integer' },
              summary: looseObject,
              nodes: looseArray,
              resources: looseArray,
              failedActions: looseArray,
              failCounts: looseArray,
              bans: looseArray,
              tickets: looseArray,
              warnings: { type: 'array', items: { type: 'string' } },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (req, reply) => {
      const status = statusOf(await app.cluster.status());
      switch (req.query.output ?? formatFromAccept(req.headers.accept)) {
        case 'text':
          return reply.type('text/plain; charset=utf-8').send(renderStatusText(status));
        case 'xml':
          return reply.type('application/xml; charset=utf-8').send(renderStatusXml(status, 'GET /status?output=xml'));
        case 'json':
          return status;
      }
    },
  );
}
