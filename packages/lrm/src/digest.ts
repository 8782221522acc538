import { createHash } from 'node:crypto';

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * The canonical text a digest is taken over: `<parameters a="1" b="2"/>`
 * with names sorted by code unit and values XML-escaped. Meta attributes
 * (CRM_meta_*) are left out: they do not change what the agent manages.
 */
export function canonicalParameters(params: Readonly<Record<string, string>>): string {
  const names = Object.keys(params)
    .filter((n) => !n.startsWith('CRM_meta'))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return `<parameters${names.map((n) => ` ${n}="${esc(params[n]!)}"`).join('')}/>`;
}

/** op-digest: md5 (hex) of the canonical parameter text. */
export function opDigest(params: Readonly<Record<string, string>>): string {
  return createHash('md5').update(canonicalParameters(params)).digest('hex');
}
