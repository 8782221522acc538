/**
 * ISO 8601 date-times, date_spec ranges and calendar arithmetic for date
 * expressions. Pure: "now" is always a parameter (epoch seconds, UTC unless
 * an offset is given).
 */
import { CibError, toWhere, type WhereLike } from './errors.js';
import type { DateSpec } from './model.js';

const DAY_S = 86400;

/** Days since 1970-01-01 of a proleptic Gregorian civil date (month 1-12). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

export function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export function daysInMonth(year: number, month: number): number {
  return [31, isLeapYear(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
}

/** 1 = Monday ... 7 = Sunday. */
function weekdayOfDays(days: number): number {
  // 1970-01-01 was a Thursday (4).
  return ((((days + 3) % 7) + 7) % 7) + 1;
}

/** Days since the epoch of Monday of ISO week 1 of `weekyear`. */
function isoWeek1Monday(weekyear: number): number {
  const jan4 = daysFromCivil(weekyear, 1, 4);
  return jan4 - (weekdayOfDays(jan4) - 1);
}

// Like Pacemaker, the extended calendar form also takes unpadded months and days (2005-1-5).
const DATE_RE = /^(\d{4})(?:-(\d{1,2})-(\d{1,2})|-(\d{3})|-W(\d{2})(?:-(\d))?|(\d{2})(\d{2}))?$/;
const TIME_RE = /^(\d{2})(?::?(\d{2})(?::?(\d{2})(?:[.,]\d+)?)?)?$/;
const ZONE_RE = /^(?:Z|([+-])(\d{2})(?::?(\d{2}))?)$/;

/**
 * Parses an ISO 8601 date-time to epoch seconds: calendar (2005-01-20),
 * ordinal (2005-001) and week (2005-W01-1) dates, an optional time after 'T'
 * or a space (hh:mm:ss, hh:mm, hhmmss), an optional zone (Z, +hh:mm, -hhmm);
 * no zone means UTC.
 */
export function parseIsoDateTime(text: string, where?: WhereLike): number {
  const bad = (why: string): never => {
    throw new CibError('VIGIL_CIB_BAD_DATE', `'${text}' is not an ISO 8601 date-time: ${why}`, where);
  };
  const s = text.trim();
  const split = /[T ]/.exec(s);
  const datePart = split ? s.slice(0, split.index) : s;
  const rest = split ? s.slice(split.index + 1).trim() : '';
  const d = DATE_RE.exec(datePart);
  if (!d) return bad('expected YYYY-MM-DD, YYYY-DDD or YYYY-Www-D');
  const year = Number(d[1]);
  let days: number;
  if (d[4] !== undefined) {
    const yday = Number(d[4]);
    if (yday < 1 || yday > (isLeapYear(year) ? 366 : 365)) bad(`day of year ${yday} out of range`);
    days = daysFromCivil(year, 1, 1) + yday - 1;
  } else if (d[5] !== undefined) {
    const week = Number(d[5]);
    const wday = d[6] === undefined ? 1 : Number(d[6]);
    if (week < 1 || week > isoWeeksInYear(year)) bad(`week ${week} out of range`);
    if (wday < 1 || wday > 7) bad(`weekday ${wday} out of range`);
    days = isoWeek1Monday(year) + (week - 1) * 7 + wday - 1;
  } else {
    const month = Number(d[2] ?? d[7] ?? 1);
    const day = Number(d[3] ?? d[8] ?? 1);
    if (month < 1 || month > 12) bad(`month ${month} out of range`);
    if (day < 1 || day > daysInMonth(year, month)) bad(`day ${day} out of range`);
    days = daysFromCivil(year, month, day);
  }
  let secs = days * DAY_S;
  let offset = 0;
  if (rest !== '') {
    const zoneAt = rest.search(/[Z+-]/);
    const timePart = zoneAt >= 0 ? rest.slice(0, zoneAt).trim() : rest;
    const zonePart = zoneAt >= 0 ? rest.slice(zoneAt).trim() : '';
    if (timePart !== '') {
      const t = TIME_RE.exec(timePart);
      if (!t) bad('expected a time like hh:mm:ss');
      const [h, m, sec] = [Number(t![1]), Number(t![2] ?? 0), Number(t![3] ?? 0)];
      if (h > 24 || m > 59 || sec > 60 || (h === 24 && (m > 0 || sec > 0))) bad('time out of range');
      secs += h * 3600 + m * 60 + sec;
    }
    if (zonePart !== '') {
      const z = ZONE_RE.exec(zonePart);
      if (!z) bad('expected a zone like Z, +02:00 or -0500');
      if (z![1] !== undefined) {
        const zh = Number(z![2]);
        const zm = Number(z![3] ?? 0);
        if (zh > 23 || zm > 59) bad('zone offset out of range');
        offset = (z![1] === '-' ? -1 : 1) * (zh * 3600 + zm * 60);
      }
    }
  }
  return secs - offset;
}

function isoWeeksInYear(year: number): number {
  return Math.round((isoWeek1Monday(year + 1) - isoWeek1Monday(year)) / 7);
}

/** The calendar fields date_spec matches against. */
export interface CalendarFields {
  readonly years: number;
  readonly months: number;
  readonly monthdays: number;
  readonly hours: number;
  readonly minutes: number;
  readonly seconds: number;
  readonly yeardays: number;
  readonly weekdays: number;
  readonly weekyears: number;
  readonly weeks: number;
  readonly moon: number;
}

export function calendarFields(epochSec: number, utcOffsetSec = 0): CalendarFields {
  const local = Math.floor(epochSec) + utcOffsetSec;
  const days = Math.floor(local / DAY_S);
  const secOfDay = local - days * DAY_S;
  const { year, month, day } = civilFromDays(days);
  const weekday = weekdayOfDays(days);
  // The ISO week belongs to the year of its Thursday.
  const thursday = days + (4 - weekday);
  const weekyear = civilFromDays(thursday).year;
  const week = Math.floor((thursday - isoWeek1Monday(weekyear) - 3) / 7) + 1;
  return {
    years: year,
    months: month,
    monthdays: day,
    hours: Math.floor(secOfDay / 3600),
    minutes: Math.floor((secOfDay % 3600) / 60),
    seconds: secOfDay % 60,
    yeardays: days - daysFromCivil(year, 1, 1) + 1,
    weekdays: weekday,
    weekyears: weekyear,
    weeks: week,
    moon: moonPhase(local),
  };
}

const SYNODIC_MONTH_DAYS = 29.530588853;
// A known new moon: 2000-01-06 18:14 UTC.
const NEW_MOON_EPOCH_S = 947182440;

/** Phase 0-7 where 0 is new and 4 is full (date_spec moon, deprecated in Pacemaker). */
function moonPhase(epochSec: number): number {
  const age = (((epochSec - NEW_MOON_EPOCH_S) / DAY_S) % SYNODIC_MONTH_DAYS + SYNODIC_MONTH_DAYS) % SYNODIC_MONTH_DAYS;
  return Math.floor((age / SYNODIC_MONTH_DAYS) * 8 + 0.5) % 8;
}

export interface Range {
  readonly low?: number;
  readonly high?: number;
}

const RANGE_RE = /^\s*(\d*)\s*(?:(-)\s*(\d*))?\s*$/;

/** A date_spec range: "5", "9-16", "3-" or "-5". */
export function parseRange(text: string, where?: WhereLike): Range {
  const m = RANGE_RE.exec(text);
  if (!m || (m[1] === '' && (m[3] ?? '') === '')) {
    throw new CibError('VIGIL_CIB_BAD_DATE', `'${text}' is not a range (like 5, 9-16, 3- or -5)`, where);
  }
  const low = m[1] === '' ? undefined : Number(m[1]);
  const high = m[2] === undefined ? low : m[3] === '' ? undefined : Number(m[3]);
  if (low !== undefined && high !== undefined && low > high) {
    throw new CibError('VIGIL_CIB_BAD_DATE', `range '${text}' ends before it starts`, where);
  }
  const r: { low?: number; high?: number } = {};
  if (low !== undefined) r.low = low;
  if (high !== undefined) r.high = high;
  return r;
}

function inRange(value: number, r: Range): boolean {
  return (r.low === undefined || value >= r.low) && (r.high === undefined || value <= r.high);
}

export const DATE_SPEC_FIELDS = [
  'years', 'months', 'monthdays', 'hours', 'minutes', 'seconds', 'yeardays', 'weekdays', 'weekyears', 'weeks', 'moon',
] as const;

/** True when every field the spec sets matches `epochSec`. An empty spec matches always. */
export function dateSpecMatches(spec: DateSpec, epochSec: number, utcOffsetSec = 0): boolean {
  const fields = calendarFields(epochSec, utcOffsetSec);
  for (const name of DATE_SPEC_FIELDS) {
    const text = spec[name];
    if (text === undefined) continue;
    if (!inRange(fields[name], parseRange(text, { element: 'date_spec', id: spec.id, field: name }))) return false;
  }
  return true;
}

/** Fields of a `<duration>` element. */
export interface DurationFields {
  readonly years?: string;
  readonly months?: string;
  readonly weeks?: string;
  readonly days?: string;
  readonly hours?: string;
  readonly minutes?: string;
  readonly seconds?: string;
}

export const DURATION_FIELDS = ['years', 'months', 'weeks', 'days', 'hours', 'minutes', 'seconds'] as const;

/**
 * start + duration, with years and months added on the calendar (clamping the
 * day to the month's end) and the rest as fixed seconds.
 */
export function addDuration(startSec: number, duration: DurationFields, where?: WhereLike): number {
  const n = (name: (typeof DURATION_FIELDS)[number]): number => {
    const text = duration[name];
    if (text === undefined) return 0;
    if (!/^\s*[+-]?\d+\s*$/.test(text)) {
      throw new CibError('VIGIL_CIB_BAD_DATE', `'${text}' is not an integer`, { ...toWhere(where), field: name });
    }
    return Number(text);
  };
  const addMonths = n('years') * 12 + n('months');
  let t = startSec;
  if (addMonths !== 0) {
    const days = Math.floor(t / DAY_S);
    const secOfDay = t - days * DAY_S;
    const c = civilFromDays(days);
    const total = c.year * 12 + (c.month - 1) + addMonths;
    const year = Math.floor(total / 12);
    const month = total - year * 12 + 1;
    const day = Math.min(c.day, daysInMonth(year, month));
    t = daysFromCivil(year, month, day) * DAY_S + secOfDay;
  }
  return t + n('weeks') * 7 * DAY_S + n('days') * DAY_S + n('hours') * 3600 + n('minutes') * 60 + n('seconds');
}
