import { createHash, timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { CibError } from '@vigil/cib';
import { CrmError } from '@vigil/crm';
import { ApiError, type ApiErrorCode } from './errors.js';
import { ClusterError, type ClusterErrorCode, type ClusterHandle } from './handle.js';
import { createMetrics, type VigilMetrics } from './metrics.js';
import { statusRoutes } from './routes/status.js';
import { cibRoutes } from './routes/cib.js';
import { resourceRoutes } from './routes/resources.js';
import { nodeRoutes } from './routes/nodes.js';
import { healthRoutes } from './routes/health.js';
import { metricsRoutes } from './routes/metrics.js';
import { fencingRoutes } from './routes/fencing.js';

export interface ApiOptions {
  /** The bearer token every protected route needs. Must be non-empty. */
  readonly token: string;
  /** A pino logger for structured JSON logs; false (the default) logs nothing. */
  readonly logger?: Logger | false;
  /** Serve /health/* without the token, so a load balancer's probe can reach it (default true). */
  readonly publicHealth?: boolean;
  /** Serve /metrics without the token (default false: Prometheus can send a bearer token). */
  readonly publicMetrics?: boolean;
  /** Share the metrics with the transition engine; created when absent. */
  readonly metrics?: VigilMetrics;
  /** Largest body accepted, e.g. a CIB (default 16 MiB). */
  readonly bodyLimitBytes?: number;
}

/** Per-route settings read by the auth hook. */
export interface RouteConfig {
  /** Which opening switch, if any, lets this route skip the token. */
  readonly openWith?: 'health' | 'metrics';
}

declare module 'fastify' {
  interface FastifyInstance {
    readonly cluster: ClusterHandle;
    readonly vigilMetrics: VigilMetrics;
  }
  interface FastifyContextConfig {
    openWith?: 'health' | 'metrics';
  }
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/**
 * Compares in time independent of where the strings differ: both sides are
 * hashed first, so lengths match and timingSafeEqual applies.
 */
export function tokenMatches(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

const CLUSTER_TO_API: Record<ClusterErrorCode, ApiErrorCode> = {
  NOT_FOUND: 'VIGIL_API_NOT_FOUND',
  CONFLICT: 'VIGIL_API_CONFLICT',
  INVALID: 'VIGIL_API_INVALID_CIB',
  INVALID_ACTION: 'VIGIL_API_INVALID_ACTION',
  NOT_DC: 'VIGIL_API_UNAVAILABLE',
  UNAVAILABLE: 'VIGIL_API_UNAVAILABLE',
};

/** What the client should see for any error raised while serving a request. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof ClusterError) {
    const details: Record<string, string> = {};
    if (err.where.element !== undefined) details.element = err.where.element;
    if (err.where.id !== undefined) details.id = err.where.id;
    if (err.where.field !== undefined) details.field = err.where.field;
    return new ApiError(CLUSTER_TO_API[err.code], err.message, details);
  }
  if (err instanceof CibError) {
    const details: Record<string, string> = { cause: err.code };
    if (err.element !== undefined) details.element = err.element;
    if (err.id !== undefined) details.id = err.id;
    if (err.field !== undefined) details.field = err.field;
    // A patch made for another version is a stale write, like an old epoch.
    return new ApiError(err.code === 'VIGIL_CIB_PATCH_VERSION' ? 'VIGIL_API_CONFLICT' : 'VIGIL_API_INVALID_CIB', err.message, details);
  }
  if (err instanceof CrmError) {
    const code: ApiErrorCode =
      err.code === 'VIGIL_CRM_STALE_VERSION' || err.code === 'VIGIL_CRM_OLDER_VERSION'
        ? 'VIGIL_API_CONFLICT'
        : err.code === 'VIGIL_CRM_INVALID_CIB'
          ? 'VIGIL_API_INVALID_CIB'
          : err.code === 'VIGIL_CRM_NO_DC' || err.code === 'VIGIL_CRM_QUEUE_FULL' || err.code === 'VIGIL_CRM_PROPOSAL_TIMEOUT'
            ? 'VIGIL_API_UNAVAILABLE'
            : 'VIGIL_API_INTERNAL';
    return new ApiError(code, err.message, { cause: err.code });
  }
  const f = err as Partial<FastifyError>;
  if (f.validation) return new ApiError('VIGIL_API_BAD_REQUEST', f.message ?? 'invalid request');
  if (f.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return new ApiError('VIGIL_API_UNSUPPORTED_MEDIA_TYPE', f.message ?? 'unsupported media type');
  if (f.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new ApiError('VIGIL_API_TOO_LARGE', f.message ?? 'body too large');
  if (typeof f.statusCode === 'number' && f.statusCode >= 400 && f.statusCode < 500) {
    return new ApiError('VIGIL_API_BAD_REQUEST', f.message ?? 'bad request');
  }
  return new ApiError('VIGIL_API_INTERNAL', 'internal error; see the daemon log');
}

function sendError(reply: FastifyReply, err: ApiError): FastifyReply {
  if (err.code === 'VIGIL_API_UNAUTHORIZED') reply.header('www-authenticate', 'Bearer realm="vigil"');
  return reply.code(err.status).type('application/json').send(err.toJSON());
}

/**
 * The HTTP API of one node: one Fastify plugin per area, a JSON schema on
 * every route, bearer-token auth, errors from the table in errors.ts.
 * Call `listen()` on the result, or `inject()` in tests.
 */
export async function buildApi(handle: ClusterHandle, opts: ApiOptions): Promise<FastifyInstance> {
  if (!opts.token) throw new Error('vigil api: an empty bearer token would let anyone in; configure a token');
  const app = Fastify({
    ...(opts.logger ? { loggerInstance: opts.logger as unknown as FastifyBaseLogger } : { logger: false }),
    bodyLimit: opts.bodyLimitBytes ?? 16 * 1024 * 1024,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
  });
  app.decorate('cluster', handle);
  app.decorate('vigilMetrics', opts.metrics ?? createMetrics());

  app.addContentTypeParser(['application/xml', 'text/xml'], { parseAs: 'string' }, (_req, body, done) => done(null, body));

  const open = { health: opts.publicHealth ?? true, metrics: opts.publicMetrics ?? false };
  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    const openWith = req.routeOptions.config.openWith;
    if (openWith !== undefined && open[openWith]) return;
    const header = req.headers.authorization ?? '';
    const m = /^Bearer[ \t]+(\S+)\s*$/i.exec(header);
    if (!m || !tokenMatches(m[1]!, opts.token)) {
      req.log.warn({ url: req.url, reason: m ? 'wrong token' : 'no bearer token' }, 'refused request');
      return sendError(reply, new ApiError('VIGIL_API_UNAUTHORIZED', m ? 'wrong bearer token' : 'this route needs "Authorization: Bearer <token>"'));
    }
  });

  app.addHook('onResponse', async (req, reply) => {
    app.vigilMetrics.observeRequest(req.method, req.routeOptions.url ?? '(no route)', reply.statusCode);
  });

  app.setErrorHandler((err, req, reply) => {
    const apiErr = toApiError(err);
    if (apiErr.code === 'VIGIL_API_INTERNAL') req.log.error({ err }, 'request failed');
    else req.log.info({ code: apiErr.code, msg: apiErr.message }, 'request refused');
    return sendError(reply, apiErr);
  });
  app.setNotFoundHandler((req, reply) => sendError(reply, new ApiError('VIGIL_API_NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`)));

  await app.register(statusRoutes);
  await app.register(cibRoutes);
  await app.register(resourceRoutes);
  await app.register(nodeRoutes);
  await app.register(healthRoutes);
  await app.register(metricsRoutes);
  await app.register(fencingRoutes);
  return app;
}

export interface ServeOptions extends ApiOptions {
  /** Address to listen on; loopback unless the operator opens it up. */
  readonly host?: string;
  /** TCP port; 0 picks a free one (tests). */
  readonly port: number;
}

/**
 * Build the API and listen, on 127.0.0.1 unless told otherwise: the API can
 * change the cluster, so exposing it beyond the node is a deliberate choice.
 */
export async function serveApi(handle: ClusterHandle, opts: ServeOptions): Promise<{ app: FastifyInstance; url: string }> {
  const app = await buildApi(handle, opts);
  try {
    const url = await app.listen({ host: opts.host ?? '127.0.0.1', port: opts.port });
    return { app, url };
  } catch (err) {
    await app.close();
    throw err;
  }
}
