import { describe, expect, it } from 'vitest';
import { addDuration, calendarFields, CibError, dateSpecMatches, parseIsoDateTime, parseRange } from './index.js';

const utc = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0): number => Date.UTC(y, mo - 1, d, h, mi, s) / 1000;

describe('parseIsoDateTime', () => {
  it.each([
    ['2005-01-20', utc(2005, 1, 20)],
    ['2005-01-20T12:30:00', utc(2005, 1, 20, 12, 30)],
    ['2005-01-20 12:30:00Z', utc(2005, 1, 20, 12, 30)],
    ['2005-01-20T12:30', utc(2005, 1, 20, 12, 30)],
    ['2005-01-20T123000', utc(2005, 1, 20, 12, 30)],
    ['20050120', utc(2005, 1, 20)],
    ['2005-1-5', utc(2005, 1, 5)],
    ['2019-09-20 15:10:52 +00:00', utc(2019, 9, 20, 15, 10, 52)],
    ['2019-09-23 11:00:00 -05:00', utc(2019, 9, 23, 16)],
    ['2005-01-20T12:30:00+02:00', utc(2005, 1, 20, 10, 30)],
    ['2005-01-20T12:30:00-0500', utc(2005, 1, 20, 17, 30)],
    ['2005-01-20 12:30:00 +05', utc(2005, 1, 20, 7, 30)],
    ['2005-001', utc(2005, 1, 1)],
    ['2005-032', utc(2005, 2, 1)],
    ['2004-366', utc(2004, 12, 31)],
    ['2005-W01-1', utc(2005, 1, 3)],
    ['2009-W01-1', utc(2008, 12, 29)],
    ['2004-W53-7', utc(2005, 1, 2)],
    ['2005-W03', utc(2005, 1, 17)],
    ['2005-W01-1T08:00:00Z', utc(2005, 1, 3, 8)],
  ])('%s', (text, expected) => {
    expect(parseIsoDateTime(text)).toBe(expected);
  });

  it.each([
    'yesterday', '2005-13-01', '2005-02-30', '2005-000', '2005-366', '2005-W54-1', '2005-W01-8',
    '2005-01-20T25:00:00', '2005-01-20T12:61', '2005-01-20T12:00:00+2', '05-01-20', '',
  ])('rejects %j with VIGIL_CIB_BAD_DATE', (text) => {
    expect(() => parseIsoDateTime(text)).toThrow(CibError);
    try {
      parseIsoDateTime(text, { element: 'date_expression', id: 'd1', field: 'start' });
    } catch (e) {
      expect((e as CibError).code).toBe('VIGIL_CIB_BAD_DATE');
      expect((e as CibError).message).toContain("date_expression 'd1': start:");
    }
  });
});

describe('calendarFields', () => {
  it('computes weekday, yearday and ISO week', () => {
    const f = calendarFields(utc(2005, 1, 20, 13, 14, 15));
    expect(f).toMatchObject({ years: 2005, months: 1, monthdays: 20, hours: 13, minutes: 14, seconds: 15, weekdays: 4, yeardays: 20, weeks: 3, weekyears: 2005 });
  });
  it('puts early January in the previous ISO week-year when the week started there', () => {
    expect(calendarFields(utc(2005, 1, 1))).toMatchObject({ weekdays: 6, weeks: 53, weekyears: 2004 });
  });
  it('puts late December in the next ISO week-year when the week ends there', () => {
    expect(calendarFields(utc(2008, 12, 29))).toMatchObject({ weekdays: 1, weeks: 1, weekyears: 2009, yeardays: 364 });
  });
  it('applies a UTC offset', () => {
    expect(calendarFields(utc(2005, 1, 20, 23), 2 * 3600)).toMatchObject({ monthdays: 21, hours: 1, weekdays: 5 });
  });
});

describe('date_spec ranges', () => {
  it('parses single values, closed and open ranges', () => {
    expect(parseRange('5')).toEqual({ low: 5, high: 5 });
    expect(parseRange('9-16')).toEqual({ low: 9, high: 16 });
    expect(parseRange('3-')).toEqual({ low: 3 });
    expect(parseRange('-5')).toEqual({ high: 5 });
    expect(() => parseRange('16-9')).toThrow(/ends before it starts/);
    expect(() => parseRange('mon-fri')).toThrow(CibError);
    expect(() => parseRange('-')).toThrow(CibError);
  });

  it('matches working hours on weekdays, including the whole last hour', () => {
    const spec = { hours: '9-16', weekdays: '1-5' };
    expect(dateSpecMatches(spec, utc(2005, 1, 17, 9))).toBe(true); // Monday 09:00
    expect(dateSpecMatches(spec, utc(2005, 1, 17, 16, 59, 59))).toBe(true);
    expect(dateSpecMatches(spec, utc(2005, 1, 17, 17))).toBe(false);
    expect(dateSpecMatches(spec, utc(2005, 1, 17, 8, 59, 59))).toBe(false);
    expect(dateSpecMatches(spec, utc(2005, 1, 22, 10))).toBe(false); // Saturday
  });

  it('matches open-ended ranges and every other field', () => {
    expect(dateSpecMatches({ monthdays: '25-' }, utc(2005, 1, 31))).toBe(true);
    expect(dateSpecMatches({ monthdays: '25-' }, utc(2005, 1, 24))).toBe(false);
    expect(dateSpecMatches({ months: '-3' }, utc(2005, 3, 31))).toBe(true);
    expect(dateSpecMatches({ months: '-3' }, utc(2005, 4, 1))).toBe(false);
    expect(dateSpecMatches({ years: '2005', yeardays: '20', minutes: '0-10', seconds: '30-40' }, utc(2005, 1, 20, 5, 10, 35))).toBe(true);
    expect(dateSpecMatches({ weekyears: '2004', weeks: '53' }, utc(2005, 1, 2))).toBe(true);
    expect(dateSpecMatches({ weekyears: '2005' }, utc(2005, 1, 2))).toBe(false);
    expect(dateSpecMatches({}, utc(2005, 1, 2))).toBe(true);
  });
});

describe('addDuration', () => {
  it('adds months on the calendar, clamping to the month end', () => {
    expect(addDuration(utc(2005, 1, 31, 12), { months: '1' })).toBe(utc(2005, 2, 28, 12));
    expect(addDuration(utc(2004, 2, 29), { years: '1' })).toBe(utc(2005, 2, 28));
    expect(addDuration(utc(2005, 11, 15), { months: '3' })).toBe(utc(2006, 2, 15));
  });
  it('adds the fixed-length fields as seconds', () => {
    expect(addDuration(utc(2005, 1, 1), { weeks: '1', days: '2', hours: '3', minutes: '4', seconds: '5' })).toBe(
      utc(2005, 1, 10, 3, 4, 5),
    );
  });
  it('rejects non-integers', () => {
    expect(() => addDuration(0, { days: 'two' }, { element: 'duration', id: 'dur1' })).toThrow("duration 'dur1': days:");
  });
});
