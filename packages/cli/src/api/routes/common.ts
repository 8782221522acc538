import type { CibVersion } from '@vigil/cib';
import { ERROR_BODY_SCHEMA } from '../errors.js';

export const errorResponses = {
  '4xx': ERROR_BODY_SCHEMA,
  '5xx': ERROR_BODY_SCHEMA,
} as const;

export const VERSION_SCHEMA = {
  type: 'object',
  required: ['adminEpoch', 'epoch', 'numUpdates'],
  properties: {
    adminEpoch: { type: 'integer' },
    epoch: { type: 'integer' },
    numUpdates: { type: 'integer' },
  },
} as const;

export const OUTCOME_SCHEMA = {
  type: 'object',
  required: ['cibVersion', 'message'],
  properties: { cibVersion: VERSION_SCHEMA, message: { type: 'string' } },
} as const;

/** The ETag of a CIB version: "admin_epoch.epoch.num_updates". */
export function versionTag(v: CibVersion): string {
  return `"${v.adminEpoch}.${v.epoch}.${v.numUpdates}"`;
}

/** Reads an If-Match header back into a version; undefined when absent, null when malformed. */
export function parseVersionTag(header: string | undefined): CibVersion | undefined | null {
  if (header === undefined) return undefined;
  const m = /^\s*(?:W\/)?"?(\d+)\.(\d+)\.(\d+)"?\s*$/.exec(header);
  if (!m) return null;
  return { adminEpoch: Number(m[1]), epoch: Number(m[2]), numUpdates: Number(m[3]) };
}
