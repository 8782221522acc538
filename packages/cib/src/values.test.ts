import { describe, expect, it } from 'vitest';
import { CibError, INFINITY, addScores, normalizeRole, parseBoolean, parseDurationMs, parseScore } from './index.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof CibError) return e.code;
    throw e;
  }
  return undefined;
}

describe('parseScore', () => {
  it.each([
    ['INFINITY', INFINITY],
    ['+INFINITY', INFINITY],
    ['-INFINITY', -INFINITY],
    ['infinity', INFINITY],
    ['0', 0],
    ['-50', -50],
    ['+7', 7],
    [' 100 ', 100],
    ['2000000', INFINITY],
    ['-9999999', -INFINITY],
  ])('%s -> %d', (text, expected) => {
    expect(parseScore(text)).toBe(expected);
  });

  it.each(['INFINITY1', '1.5', '', 'abc', '10 20', '--5'])('rejects %j', (text) => {
    expect(codeOf(() => parseScore(text))).toBe('VIGIL_CIB_BAD_SCORE');
  });

  it('names the element and field it was read from', () => {
    expect(() => parseScore('INFINITY1', { source: 'cib.xml', element: 'rsc_location', id: 'l1', field: 'score' })).toThrow(
      "cib.xml: rsc_location 'l1': score: 'INFINITY1' is not a score",
    );
  });
});

describe('addScores', () => {
  it('lets -INFINITY win over +INFINITY, in either order', () => {
    expect(addScores(INFINITY, -INFINITY)).toBe(-INFINITY);
    expect(addScores(-INFINITY, INFINITY)).toBe(-INFINITY);
  });
  it('keeps INFINITY absorbing finite values', () => {
    expect(addScores(INFINITY, -999_999)).toBe(INFINITY);
    expect(addScores(-INFINITY, 999_999)).toBe(-INFINITY);
  });
  it('clamps finite sums', () => {
    expect(addScores(600_000, 600_000)).toBe(INFINITY);
    expect(addScores(-600_000, -600_000)).toBe(-INFINITY);
    expect(addScores(100, -30)).toBe(70);
    expect(addScores(0, 0)).toBe(0);
  });
});

describe('parseDurationMs', () => {
  it.each([
    ['10', 10_000],
    ['0', 0],
    ['1.5', 1500],
    ['500ms', 500],
    ['500msec', 500],
    ['2500us', 3],
    ['30s', 30_000],
    ['30sec', 30_000],
    [' 30 s ', 30_000],
    ['2m', 120_000],
    ['2min', 120_000],
    ['1h', 3_600_000],
    ['1hr', 3_600_000],
    ['PT10S', 10_000],
    ['P10S', 10_000],
    ['PT1M30S', 90_000],
    ['P1D', 86_400_000],
    ['P1W', 7 * 86_400_000],
    ['P1M', 30 * 86_400_000],
    ['P1DT1H', 90_000_000],
  ])('%j -> %d ms', (text, expected) => {
    expect(parseDurationMs(text)).toBe(expected);
  });

  it.each(['10x', '', 's', 'P', 'PT', '1 0s', '-5', 'P1X', 'ten'])('rejects %j', (text) => {
    expect(codeOf(() => parseDurationMs(text))).toBe('VIGIL_CIB_BAD_DURATION');
  });

  it('names a command-line option given as the location', () => {
    expect(() => parseDurationMs('10x', '--interval')).toThrow(/^--interval: '10x' is not a duration/);
  });
});

describe('parseBoolean', () => {
  it.each(['true', 'TRUE', 'yes', 'on', '1', 'y', 'Y'])('%s is true', (t) => expect(parseBoolean(t)).toBe(true));
  it.each(['false', 'no', 'off', '0', 'n', 'N'])('%s is false', (t) => expect(parseBoolean(t)).toBe(false));
  it('rejects anything else', () => {
    expect(codeOf(() => parseBoolean('maybe'))).toBe('VIGIL_CIB_BAD_BOOLEAN');
  });
});

describe('normalizeRole', () => {
  it.each([
    ['Master', 'Promoted'],
    ['master', 'Promoted'],
    ['Slave', 'Unpromoted'],
    ['SLAVE', 'Unpromoted'],
    ['Started', 'Started'],
    ['stopped', 'Stopped'],
    ['Promoted', 'Promoted'],
    ['Unpromoted', 'Unpromoted'],
  ])('%s -> %s', (text, role) => {
    expect(normalizeRole(text)).toBe(role);
  });
  it('rejects unknown roles', () => {
    expect(codeOf(() => normalizeRole('Leader'))).toBe('VIGIL_CIB_BAD_ROLE');
  });
});
