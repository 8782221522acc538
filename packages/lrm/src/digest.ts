import { createHash } from 'node:crypto';

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * The canonical text a digest is taken over, in the form Pacemaker's
 * executor uses (established by the pe package by recomputing digests in
 * Pacemaker's regression CIBs): one empty `parameters` element, a leading
 * space, the parameters as attributes sorted by name (code unit order) with
 * XML-escaped values, and a trailing newline. Meta attributes (CRM_meta_*)
 * are left out: they do not change what the agent manages.
 */
export function canonicalParameters(params: Readonly<Record<string, string>>, keep?: (name: string) => boolean): string {
  const names = Object.keys(params)
    .filter((n) => !n.startsWith('CRM_meta') && (keep === undefined || keep(n)))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return ` <parameters${names.map((n) => ` ${n}="${esc(params[n]!)}"`).join('')}/>\n`;
}

/** op-digest: md5 (hex) of the canonical parameter text. */
export function opDigest(params: Readonly<Record<string, string>>, keep?: (name: string) => boolean): string {
  return createHash('md5').update(canonicalParameters(params, keep)).digest('hex');
}
