import { createHash } from 'node:crypto';
import type { LrmRscOp } from '@vigil/cib';
import { ROLE_ORDER, type PrimitiveRsc, type WorkingSet } from './working-set.js';

/**
 * Operation digests. The executor records, with each start, an MD5 of the
 * resource's parameters in a canonical form: one empty `parameters` element
 * with the parameters as attributes sorted by name, serialized with one
 * leading space and a trailing newline. This was established by recomputing
 * the digests recorded in the regression cases' status sections (about 90%
 * of the recorded start digests, and nearly all restart digests, reproduce
 * exactly; the rest are stonith devices and very old records whose executor
 * added parameters the configuration does not show).
 *
 * - op-digest covers every parameter;
 * - op-restart-digest covers only the parameters named in op-force-restart
 *   (those the agent cannot reload);
 * - op-secure-digest covers every parameter except those in op-secure-params
 *   (passwords) and the fencer's own pcmk_* options, so a CIB with masked
 *   secrets still compares.
 */
export function parametersDigest(params: Readonly<Record<string, string>>, keep?: (name: string) => boolean): string {
  // Old CIBs wrote "#default" for "not set"; such a parameter was never passed on.
  const names = Object.keys(params).filter((n) => params[n] !== '#default' && !n.startsWith('CRM_meta') && (keep === undefined || keep(n))).sort();
  let body = '';
  for (const n of names) body += ` ${n}="${escapeAttr(params[n]!)}"`;
  return createHash('md5').update(` <parameters${body}/>\n`).digest('hex');
}

function escapeAttr(v: string): string {
  return v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function nameList(op: LrmRscOp, attr: string): string[] | undefined {
  const v = op.xml.attrs[attr];
  if (v === undefined) return undefined;
  return v.trim().split(/\s+/).filter(Boolean);
}

export type DigestVerdict = 'same' | 'reload' | 'restart';

/** Compare the parameters now configured with those a recorded start ran with. */
export function compareDigests(params: Readonly<Record<string, string>>, op: LrmRscOp): DigestVerdict {
  if (op.opDigest === undefined) return 'same';
  if (parametersDigest(params) === op.opDigest) return 'same';
  const secure = nameList(op, 'op-secure-params');
  if (secure && op.opSecureDigest !== undefined && parametersDigest(params, (n) => !secure.includes(n) && !n.startsWith('pcmk_')) === op.opSecureDigest) {
    // Only secret parameters differ, or they were masked in this copy of the CIB.
    return 'same';
  }
  // A restart digest is only recorded for agents that can reload. Without the
  // list of parameters it covers, nothing says a restart-only one changed.
  if (op.opRestartDigest === undefined) return 'restart';
  const forceRestart = nameList(op, 'op-force-restart');
  if (forceRestart === undefined) return 'reload';
  return parametersDigest(params, (n) => forceRestart.includes(n)) === op.opRestartDigest ? 'reload' : 'restart';
}

/** Mark where each active primitive's definition changed since it started. */
export function checkDigests(ws: WorkingSet): void {
  for (const p of ws.primitives) {
    if (p.orphan) continue;
    for (const [node, h] of p.history) {
      if (ROLE_ORDER[h.role] <= ROLE_ORDER.Stopped || !h.digestOp || h.failed) continue;
      const verdict = compareDigests(p.params, h.digestOp);
      if (verdict === 'restart') p.definitionChanged.add(node);
      else if (verdict === 'reload') p.reloadNeeded.add(node);
    }
  }
}

export type { PrimitiveRsc };
