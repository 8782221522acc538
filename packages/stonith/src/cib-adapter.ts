/**
 * From a parsed CIB to the fencer's configuration, pure: `stonith`-class
 * primitives become devices (instance attributes evaluated with their rules),
 * `fencing-topology` levels become levels, and the cluster options the
 * fencer needs are read with Pacemaker's names (both 2.x `stonith-*` and
 * 3.x `fencing-*` spellings).
 *
 * A running cluster must not lose all fencing over one typo, so a device the
 * fencer cannot use, or a level naming such a device, is left out with a
 * warning instead of failing the whole configuration. Leaving out a whole
 * level is the safe choice: dropping just the bad device from it would let
 * the level pass with fewer devices than configured.
 */
import { allPrimitives, clusterOptions, unpackNvSets, type Cib, type RuleContext } from '@vigil/cib';
import { describeError } from './errors.js';
import { parseDurationMs, parseTargeting, type StonithDeviceConfig } from './config.js';
import { validateLevels, type FencingLevelConfig } from './topology.js';
import type { FencerConfig } from './fencer.js';

export interface CibFencingConfig extends FencerConfig {
  /** fencing-enabled / stonith-enabled (default true). */
  readonly fencingEnabled: boolean;
  /** fencing-action / stonith-action: what the cluster asks for (default reboot). */
  readonly fencingAction: 'off' | 'reboot';
  /** fencing-timeout / stonith-timeout (default 60 s). */
  readonly fencingTimeoutMs: number;
  readonly priorityFencingDelayMs: number;
  /** As configured (negative: twice the watchdog timeout; 0: no watchdog fencing). */
  readonly stonithWatchdogTimeoutMs: number;
  /** What was left out, and why. */
  readonly warnings: readonly string[];
}

export interface CibFencingContext {
  /** Current time, epoch seconds, for rules on instance attributes. */
  readonly nowSec: number;
}

function option(opts: Record<string, string>, names: readonly string[]): string | undefined {
  for (const n of names) if (opts[n] !== undefined) return opts[n];
  return undefined;
}

function isFalse(value: string): boolean {
  return ['false', 'no', 'off', '0', 'n'].includes(value.trim().toLowerCase());
}

export function fencerConfigFromCib(cib: Cib, ctx: CibFencingContext): CibFencingConfig {
  const warnings: string[] = [];
  const ruleCtx: RuleContext = { nowSec: ctx.nowSec };
  const devices: StonithDeviceConfig[] = [];
  for (const p of allPrimitives(cib)) {
    if (p.class !== 'stonith') continue;
    const rsc = { class: p.class, type: p.type, ...(p.provider !== undefined ? { provider: p.provider } : {}) };
    const params = unpackNvSets(p.instanceAttributes, { ...ruleCtx, rsc });
    const meta = unpackNvSets(p.metaAttributes, { ...ruleCtx, rsc });
    // A stopped (disabled) device is not used for fencing, as in Pacemaker.
    if (meta['target-role'] !== undefined && meta['target-role'].toLowerCase() === 'stopped') {
      warnings.push(`stonith device '${p.id}' is disabled (target-role=Stopped) and will not be used`);
      continue;
    }
    const cfg: StonithDeviceConfig = { id: p.id, type: p.type, params, meta };
    try {
      parseTargeting(cfg);
    } catch (err) {
      warnings.push(`${describeError(err)}; device left out`);
      continue;
    }
    devices.push(cfg);
  }
  const known = new Set(devices.map((d) => d.id));
  const levels: FencingLevelConfig[] = [];
  for (const l of cib.configuration.fencingTopology) {
    const level: FencingLevelConfig = {
      id: l.id,
      index: l.index,
      devices: l.devices,
      ...(l.target !== undefined ? { target: l.target } : {}),
      ...(l.targetPattern !== undefined ? { targetPattern: l.targetPattern } : {}),
      ...(l.targetAttribute !== undefined ? { targetAttribute: l.targetAttribute } : {}),
      ...(l.targetValue !== undefined ? { targetValue: l.targetValue } : {}),
    };
    try {
      validateLevels([level], known);
    } catch (err) {
      warnings.push(`${describeError(err)}; level left out`);
      continue;
    }
    levels.push(level);
  }

  const opts = clusterOptions(cib, ruleCtx);
  const duration = (names: readonly string[], fallbackMs: number): number => {
    const raw = option(opts, names);
    if (raw === undefined) return fallbackMs;
    const negative = raw.trim().startsWith('-');
    try {
      const ms = parseDurationMs(negative ? raw.trim().slice(1) : raw, `cluster option ${names[0]}`);
      return negative ? -ms : ms;
    } catch (err) {
      warnings.push(`${describeError(err)}; using the default`);
      return fallbackMs;
    }
  };
  const actionRaw = option(opts, ['fencing-action', 'stonith-action']) ?? 'reboot';
  let fencingAction: 'off' | 'reboot' = 'reboot';
  if (actionRaw === 'off' || actionRaw === 'poweroff') fencingAction = 'off';
  else if (actionRaw !== 'reboot') warnings.push(`cluster option stonith-action: '${actionRaw}' is not reboot or off; using reboot`);
  const enabledRaw = option(opts, ['fencing-enabled', 'stonith-enabled']);
  return {
    devices,
    levels,
    fencingEnabled: enabledRaw === undefined || !isFalse(enabledRaw),
    fencingAction,
    fencingTimeoutMs: duration(['fencing-timeout', 'stonith-timeout'], 60_000),
    priorityFencingDelayMs: Math.max(0, duration(['priority-fencing-delay'], 0)),
    stonithWatchdogTimeoutMs: duration(['fencing-watchdog-timeout', 'stonith-watchdog-timeout'], 0),
    warnings,
  };
}
