/**
 * Pacemaker's scalar value types: scores, durations, booleans, roles.
 * Every parser takes an optional location (a `Where`, or just a field or option
 * name) so its error names the element and field.
 */
import { CibError, type WhereLike } from './errors.js';
import { INFINITY, type RoleName } from './model.js';

const INTEGER_RE = /^[+-]?\d+$/;

export function clampScore(n: number): number {
  if (n >= INFINITY) return INFINITY;
  if (n <= -INFINITY) return -INFINITY;
  return n;
}

/** INFINITY, +INFINITY, -INFINITY (any case) or an integer, clamped to ±1 000 000. */
export function parseScore(text: string, where?: WhereLike): number {
  const s = text.trim();
  const upper = s.toUpperCase();
  if (upper === 'INFINITY' || upper === '+INFINITY') return INFINITY;
  if (upper === '-INFINITY') return -INFINITY;
  if (INTEGER_RE.test(s)) return clampScore(Number(s));
  throw new CibError('VIGIL_CIB_BAD_SCORE', `'${text}' is not a score (an integer, INFINITY or -INFINITY)`, where);
}

/**
 * Score addition as Pacemaker does it: -INFINITY absorbs everything (it is a
 * ban, and a ban must survive any preference), then +INFINITY, else a clamped sum.
 */
export function addScores(a: number, b: number): number {
  if (a <= -INFINITY || b <= -INFINITY) return -INFINITY;
  if (a >= INFINITY || b >= INFINITY) return INFINITY;
  return clampScore(a + b);
}

export function scoreToString(score: number): string {
  if (score >= INFINITY) return 'INFINITY';
  if (score <= -INFINITY) return '-INFINITY';
  return String(score);
}

const UNIT_MS: Record<string, number> = {
  ms: 1, msec: 1, us: 0.001, usec: 0.001, s: 1000, sec: 1000, m: 60_000, min: 60_000, h: 3_600_000, hr: 3_600_000,
};
const TIMEOUT_RE = /^\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-zA-Z]*)\s*$/;
/**
 * A Pacemaker interval or timeout in milliseconds: a bare number is seconds,
 * or a number with ms/msec/us/usec/s/sec/m/min/h/hr, or an ISO 8601 duration
 * (months count 30 days and years 365, as Pacemaker documents).
 */
export function parseDurationMs(text: string, where?: WhereLike): number {
  const m = TIMEOUT_RE.exec(text);
  if (m) {
    const unit = m[2]!.toLowerCase();
    const factor = unit === '' ? 1000 : UNIT_MS[unit];
    if (factor !== undefined) return Math.round(Number(m[1]) * factor);
  }
  const isoSec = parseIsoDurationSec(text.trim().toUpperCase());
  if (isoSec !== undefined) return Math.round(isoSec * 1000);
  throw new CibError(
    'VIGIL_CIB_BAD_DURATION',
    `'${text}' is not a duration (seconds, a number with ms/s/m/h, or ISO 8601 like PT10S)`,
    where,
  );
}

const ISO_PART_RE = /(\d+(?:[.,]\d+)?)([YMWDHS])/gy;

/**
 * "P1Y2M3DT4H5M6S", "PT10S", "P2W"; like Pacemaker, H and S are also accepted
 * before the T ("P10S"), while M means months before T and minutes after it.
 */
function parseIsoDurationSec(text: string): number | undefined {
  if (text.length < 3 || text[0] !== 'P') return undefined;
  let secs = 0;
  let inTime = false;
  let i = 1;
  let parts = 0;
  while (i < text.length) {
    if (text[i] === 'T' && !inTime) {
      inTime = true;
      i++;
      continue;
    }
    ISO_PART_RE.lastIndex = i;
    const m = ISO_PART_RE.exec(text);
    if (!m) return undefined;
    const n = Number(m[1]!.replace(',', '.'));
    switch (m[2]) {
      case 'Y': secs += n * 365 * 86400; break;
      case 'M': secs += inTime ? n * 60 : n * 30 * 86400; break;
      case 'W': secs += n * 7 * 86400; break;
      case 'D': secs += n * 86400; break;
      case 'H': secs += n * 3600; break;
      case 'S': secs += n; break;
    }
    parts++;
    i = ISO_PART_RE.lastIndex;
  }
  return parts > 0 ? secs : undefined;
}

const TRUE_WORDS = new Set(['true', 'yes', 'on', '1', 'y']);
const FALSE_WORDS = new Set(['false', 'no', 'off', '0', 'n']);

export function parseBoolean(text: string, where?: WhereLike): boolean {
  const s = text.trim().toLowerCase();
  if (TRUE_WORDS.has(s)) return true;
  if (FALSE_WORDS.has(s)) return false;
  throw new CibError('VIGIL_CIB_BAD_BOOLEAN', `'${text}' is not a boolean (true/false, yes/no, on/off, 1/0, y/n)`, where);
}

/** Like parseBoolean, but unrecognized text is false — how Pacemaker reads most meta attributes. */
export function isTruthy(text: string | undefined): boolean {
  return text !== undefined && TRUE_WORDS.has(text.trim().toLowerCase());
}

const ROLES: Record<string, RoleName> = {
  started: 'Started',
  stopped: 'Stopped',
  promoted: 'Promoted',
  unpromoted: 'Unpromoted',
  master: 'Promoted',
  slave: 'Unpromoted',
  unknown: 'Unknown',
};

/** Maps 1.x/2.x role names to 3.x (Master -> Promoted, Slave -> Unpromoted), case-insensitively. */
export function normalizeRole(text: string, where?: WhereLike): RoleName {
  const role = ROLES[text.trim().toLowerCase()];
  if (role === undefined) {
    throw new CibError('VIGIL_CIB_BAD_ROLE', `'${text}' is not a role (Started, Stopped, Promoted, Unpromoted)`, where);
  }
  return role;
}

/** A decimal integer, for counters such as call-id and epoch. */
export function parseInteger(text: string, where?: WhereLike): number {
  const s = text.trim();
  if (!INTEGER_RE.test(s)) {
    throw new CibError('VIGIL_CIB_BAD_NUMBER', `'${text}' is not an integer`, where);
  }
  return Number(s);
}
