/**
 * fencing-topology, pure: which levels apply to a target, in index order.
 * A level names its targets by node name, by regular expression, or by a
 * node attribute value; all devices of a level must succeed for it to pass.
 */
import { StonithError } from './errors.js';

export interface FencingLevelConfig {
  readonly id: string;
  /** 1 to 9; lower indexes are tried first. */
  readonly index: number;
  readonly target?: string;
  readonly targetPattern?: string;
  readonly targetAttribute?: string;
  readonly targetValue?: string;
  /** Device (stonith primitive) ids, all required. */
  readonly devices: readonly string[];
}

export interface ResolvedLevel {
  readonly id: string;
  readonly index: number;
  readonly devices: readonly string[];
}

/** Reject levels that could never work; names the level id and the field. */
export function validateLevels(levels: readonly FencingLevelConfig[], deviceIds: ReadonlySet<string>): void {
  const seen = new Map<string, string>();
  for (const level of levels) {
    const where = `fencing-level '${level.id}'`;
    if (!Number.isInteger(level.index) || level.index < 1 || level.index > 9) {
      throw bad(`${where} index: ${level.index} is not 1..9`);
    }
    const selectors = [level.target, level.targetPattern, level.targetAttribute].filter((s) => s !== undefined);
    if (selectors.length !== 1) throw bad(`${where}: exactly one of target, target-pattern, target-attribute must be set`);
    if (level.targetAttribute !== undefined && level.targetValue === undefined) throw bad(`${where}: target-attribute needs target-value`);
    if (level.targetPattern !== undefined) {
      try {
        new RegExp(level.targetPattern);
      } catch {
        throw bad(`${where} target-pattern: '${level.targetPattern}' is not a valid regular expression`);
      }
    }
    if (level.devices.length === 0) throw bad(`${where} devices: empty`);
    for (const device of level.devices) {
      if (!deviceIds.has(device)) throw bad(`${where} devices: '${device}' is not a configured stonith device`);
    }
    const key = `${level.target ?? ''}\0${level.targetPattern ?? ''}\0${level.targetAttribute ?? ''}\0${level.targetValue ?? ''}\0${level.index}`;
    const other = seen.get(key);
    if (other) throw bad(`${where}: same target and index ${level.index} as fencing-level '${other}'`);
    seen.set(key, level.id);
  }
}

export function levelMatches(level: FencingLevelConfig, target: string, attributes: Readonly<Record<string, string>>): boolean {
  if (level.target !== undefined) return level.target === target;
  // As in Pacemaker (regexec), the pattern may match anywhere in the name; anchor it to be strict.
  if (level.targetPattern !== undefined) return new RegExp(level.targetPattern).test(target);
  if (level.targetAttribute !== undefined) return attributes[level.targetAttribute] === level.targetValue;
  return false;
}

/** The levels for a target, lowest index first; several matching levels at one index are merged. */
export function levelsFor(levels: readonly FencingLevelConfig[], target: string, attributes: Readonly<Record<string, string>> = {}): ResolvedLevel[] {
  const byIndex = new Map<number, { ids: string[]; devices: string[] }>();
  for (const level of levels) {
    if (!levelMatches(level, target, attributes)) continue;
    const slot = byIndex.get(level.index) ?? { ids: [], devices: [] };
    slot.ids.push(level.id);
    for (const d of level.devices) if (!slot.devices.includes(d)) slot.devices.push(d);
    byIndex.set(level.index, slot);
  }
  return [...byIndex.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([index, slot]) => ({ id: slot.ids.join('+'), index, devices: slot.devices }));
}

function bad(message: string): StonithError {
  return new StonithError('VIGIL_STONITH_BAD_CONFIG', message);
}
