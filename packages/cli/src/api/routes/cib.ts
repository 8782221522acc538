import type { FastifyInstance } from 'fastify';
import { applyPatch, parseCib, parseXml, patchFromXml, serializeCib } from '@vigil/cib';
import { ApiError } from '../errors.js';
import { CONFIG_SECTIONS, type ConfigSection, type ReplaceOptions } from '../handle.js';
import { errorResponses, parseVersionTag, VERSION_SCHEMA, versionTag } from './common.js';

const XML_BODY = { type: 'string', minLength: 1 } as const;

function replaceOptions(ifMatch: string | undefined): ReplaceOptions {
  const v = parseVersionTag(ifMatch);
  if (v === null) throw new ApiError('VIGIL_API_BAD_REQUEST', `If-Match '${ifMatch}' is not a CIB version like "0.12.3"`, { field: 'if-match' });
  return v ? { expectVersion: v } : {};
}

/**
 * The CIB itself: read it, replace it whole or one configuration section at
 * a time, set cluster properties. XML is parsed and checked here, before
 * the node sees it, so a bad document is refused with nothing applied.
 */
export async function cibRoutes(app: FastifyInstance): Promise<void> {
  app.get(
    '/cib',
    { schema: { response: { 200: { type: 'string' }, ...errorResponses } } },
    async (_req, reply) => {
      const cib = await app.cluster.getCib();
      return reply.header('etag', versionTag(cib.version)).type('application/xml; charset=utf-8').send(serializeCib(cib));
    },
  );

  app.put<{ Body: string; Headers: { 'if-match'?: string } }>(
    '/cib',
    {
      schema: {
        body: XML_BODY,
        headers: { type: 'object', properties: { 'if-match': { type: 'string' } } },
        response: { 200: { type: 'object', required: ['cibVersion'], properties: { cibVersion: VERSION_SCHEMA } }, ...errorResponses },
      },
    },
    async (req, reply) => {
      const opts = replaceOptions(req.headers['if-match']);
      const cib = parseCib(req.body, { source: 'request body' });
      const version = await app.cluster.replaceCib(cib, opts);
      req.log.info({ version }, 'CIB replaced');
      return reply.header('etag', versionTag(version)).send({ cibVersion: version });
    },
  );

  app.patch<{ Body: string; Headers: { 'if-match'?: string } }>(
    '/cib',
    {
      schema: {
        body: XML_BODY,
        headers: { type: 'object', properties: { 'if-match': { type: 'string' } } },
        response: { 200: { type: 'object', required: ['cibVersion'], properties: { cibVersion: VERSION_SCHEMA } }, ...errorResponses },
      },
    },
    async (req, reply) => {
      const opts = replaceOptions(req.headers['if-match']);
      const patch = patchFromXml(parseXml(req.body, 'request body'));
      const current = await app.cluster.getCib();
      // The patch names the version it was made from; the replace is conditional on
      // that version, so a change that lands in between makes this one fail whole.
      const next = applyPatch(current, patch, { source: 'request body' });
      const version = await app.cluster.replaceCib(next, { expectVersion: opts.expectVersion ?? current.version });
      req.log.info({ version, changes: patch.changes.length }, 'CIB patched');
      return reply.header('etag', versionTag(version)).send({ cibVersion: version });
    },
  );

  app.put<{ Body: string; Params: { section: ConfigSection }; Headers: { 'if-match'?: string } }>(
    '/cib/configuration/:section',
    {
      schema: {
        params: {
          type: 'object',
          required: ['section'],
          properties: { section: { type: 'string', enum: [...CONFIG_SECTIONS] } },
        },
        body: XML_BODY,
        headers: { type: 'object', properties: { 'if-match': { type: 'string' } } },
        response: { 200: { type: 'object', required: ['cibVersion'], properties: { cibVersion: VERSION_SCHEMA } }, ...errorResponses },
      },
    },
    async (req, reply) => {
      const opts = replaceOptions(req.headers['if-match']);
      const element = parseXml(req.body, 'request body');
      const version = await app.cluster.replaceSection(req.params.section, element, opts);
      req.log.info({ section: req.params.section, version }, 'CIB section replaced');
      return reply.header('etag', versionTag(version)).send({ cibVersion: version });
    },
  );

  const nameParams = {
    type: 'object',
    required: ['name'],
    properties: { name: { type: 'string', pattern: '^[A-Za-z0-9_.-]+$', maxLength: 128 } },
  } as const;

  app.put<{ Params: { name: string }; Body: { value: string } }>(
    '/cib/properties/:name',
    {
      schema: {
        params: nameParams,
        body: { type: 'object', required: ['value'], additionalProperties: false, properties: { value: { type: 'string', maxLength: 4096 } } },
        response: { 200: { type: 'object', required: ['cibVersion'], properties: { cibVersion: VERSION_SCHEMA } }, ...errorResponses },
      },
    },
    async (req) => {
      const version = await app.cluster.setProperty(req.params.name, req.body.value);
      req.log.info({ property: req.params.name, value: req.body.value, version }, 'cluster property set');
      return { cibVersion: version };
    },
  );

  app.delete<{ Params: { name: string } }>(
    '/cib/properties/:name',
    {
      schema: {
        params: nameParams,
        response: { 200: { type: 'object', required: ['cibVersion'], properties: { cibVersion: VERSION_SCHEMA } }, ...errorResponses },
      },
    },
    async (req) => {
      const version = await app.cluster.setProperty(req.params.name, undefined);
      req.log.info({ property: req.params.name, version }, 'cluster property removed');
      return { cibVersion: version };
    },
  );
}
