/**
 * The on-disk record format shared by the real store and the simulated disk:
 * one header line with the body's length and SHA-256, then the JSON body. A
 * truncated, padded or bit-flipped file fails the check and is never loaded.
 */
import { createHash } from 'node:crypto';

const MAGIC = 'vigil-crm-record v1';

export function encodeRecord(value: unknown): string {
  const body = JSON.stringify(value);
  const bytes = Buffer.byteLength(body, 'utf8');
  return `${MAGIC} length=${bytes} sha256=${sha256(body)}\n${body}`;
}

export type DecodedRecord = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly reason: string };

export function decodeRecord(text: string): DecodedRecord {
  const newline = text.indexOf('\n');
  if (newline < 0) return { ok: false, reason: 'no header line (file truncated?)' };
  const header = /^vigil-crm-record v1 length=(\d+) sha256=([0-9a-f]{64})$/.exec(text.slice(0, newline));
  if (!header) return { ok: false, reason: 'header is not a vigil-crm-record v1 header' };
  const body = text.slice(newline + 1);
  const bytes = Buffer.byteLength(body, 'utf8');
  if (bytes !== Number(header[1])) return { ok: false, reason: `body is ${bytes} bytes, header says ${header[1]} (truncated or appended to)` };
  if (sha256(body) !== header[2]) return { ok: false, reason: 'checksum mismatch (corrupted)' };
  try {
    return { ok: true, value: JSON.parse(body) as unknown };
  } catch {
    return { ok: false, reason: 'body is not JSON despite a matching checksum' };
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
