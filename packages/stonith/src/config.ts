/**
 * Stonith device configuration as Pacemaker defines it, pure: the
 * `pcmk_*` instance attributes that tell the fencer which nodes a device can
 * fence, under which plug name, with which delays, timeouts, retries and
 * action names. Every error names the device id and the attribute.
 */
import { StonithError } from './errors.js';
import { isFenceAction, type FenceAction } from './device.js';

/** One `stonith`-class primitive, flattened to name/value records. */
export interface StonithDeviceConfig {
  /** The primitive's id. */
  readonly id: string;
  /** The agent type: `fence_ipmilan`, or a built-in `ipmi` / `ssh`. */
  readonly type: string;
  /** Instance attributes: agent parameters plus the fencer's own pcmk_* ones. */
  readonly params: Readonly<Record<string, string>>;
  /** Meta attributes (`provides`, `target-role`...). */
  readonly meta?: Readonly<Record<string, string>>;
}

export type HostCheck = 'static-list' | 'dynamic-list' | 'status' | 'none';

export interface DeviceTargeting {
  readonly id: string;
  /** Undefined when not configured: the fencer then probes list, then status (Pacemaker's default). */
  readonly hostCheck?: HostCheck;
  readonly hostList: readonly string[];
  /** Node name -> plug name to hand to the device. */
  readonly hostMap: ReadonlyMap<string, string>;
  readonly delayBaseMs: number;
  readonly delayBasePerHostMs: ReadonlyMap<string, number>;
  readonly delayMaxMs: number;
  /** pcmk_<action>_action: what to ask the device when the fencer wants <action>. */
  readonly actionMap: Readonly<Partial<Record<FenceAction, FenceAction>>>;
  readonly timeoutMs: Readonly<Partial<Record<FenceAction, number>>>;
  readonly retries: Readonly<Partial<Record<FenceAction, number>>>;
  /** `priority` instance attribute: higher is tried first when there is no topology. */
  readonly priority: number;
  /** meta `provides=unfencing`: the device's `on` restores a fenced node's access. */
  readonly providesUnfencing: boolean;
  /** pcmk_host_argument=none: never pass a plug to the device. */
  readonly passPlug: boolean;
  /** pcmk_action_limit: actions this device runs at once (default 1); Infinity for -1. */
  readonly actionLimit: number;
}

export const DEFAULT_RETRIES = 2;

const UNITS_MS: Record<string, number> = {
  ms: 1,
  msec: 1,
  us: 0.001,
  usec: 0.001,
  s: 1000,
  sec: 1000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
  hr: 3_600_000,
};

/** Pacemaker durations: "90", "90s", "500ms", "2min", "1h"; a bare number is seconds. */
export function parseDurationMs(text: string, where: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = m ? (m[2] ?? '').toLowerCase() : '';
  const factor = unit === '' ? 1000 : UNITS_MS[unit];
  if (!m || factor === undefined) throw badConfig(`${where}: '${text}' is not a duration (like 30s, 500ms, 2min)`);
  return Math.round(Number(m[1]) * factor);
}

/** Split on unescaped separators; a backslash keeps the next character literally. */
function splitEscaped(text: string, separators: string): string[] {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\\' && i + 1 < text.length) {
      cur += text[++i];
    } else if (separators.includes(ch)) {
      if (cur) parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur) parts.push(cur);
  return parts;
}

export function parseHostList(text: string): string[] {
  return splitEscaped(text, ', ;\t\n');
}

/** `node1:1;node2:2,3` (also `node=port`, entries separated by ';' or spaces). */
export function parseHostMap(text: string, where: string): Map<string, string> {
  const map = new Map<string, string>();
  // Keep escapes while splitting entries, so "node:a\ b" keeps its space.
  const entries: string[] = [];
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\\' && i + 1 < text.length) {
      cur += ch + text[++i];
    } else if (ch === ';' || ch === ' ' || ch === '\t' || ch === '\n') {
      if (cur) entries.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur) entries.push(cur);
  for (const entry of entries) {
    const sep = entry.search(/[:=]/);
    if (sep <= 0 || sep === entry.length - 1) throw badConfig(`${where}: entry '${entry}' is not node:port`);
    const node = entry.slice(0, sep);
    const port = entry.slice(sep + 1).replace(/\\(.)/g, '$1');
    map.set(node, port);
  }
  return map;
}

const HOST_CHECKS: readonly HostCheck[] = ['static-list', 'dynamic-list', 'status', 'none'];

export function parseTargeting(cfg: StonithDeviceConfig): DeviceTargeting {
  const p = cfg.params;
  const at = (name: string): string => `stonith device '${cfg.id}' ${name}`;
  const hostList = p.pcmk_host_list !== undefined ? parseHostList(p.pcmk_host_list) : [];
  const hostMap = p.pcmk_host_map !== undefined ? parseHostMap(p.pcmk_host_map, at('pcmk_host_map')) : new Map<string, string>();
  let hostCheck: HostCheck | undefined;
  if (p.pcmk_host_check !== undefined) {
    if (!(HOST_CHECKS as readonly string[]).includes(p.pcmk_host_check)) {
      throw badConfig(`${at('pcmk_host_check')}: '${p.pcmk_host_check}' is not one of ${HOST_CHECKS.join(', ')}`);
    }
    hostCheck = p.pcmk_host_check as HostCheck;
  } else if (hostList.length > 0 || hostMap.size > 0) {
    hostCheck = 'static-list';
  }
  if (hostCheck === 'static-list' && hostList.length === 0 && hostMap.size === 0) {
    throw badConfig(`${at('pcmk_host_check')}: static-list needs pcmk_host_list or pcmk_host_map`);
  }

  let delayBaseMs = 0;
  const delayBasePerHostMs = new Map<string, number>();
  if (p.pcmk_delay_base !== undefined && p.pcmk_delay_base.trim() !== '') {
    if (/[:=]/.test(p.pcmk_delay_base)) {
      for (const [node, value] of parseHostMap(p.pcmk_delay_base, at('pcmk_delay_base'))) {
        delayBasePerHostMs.set(node, parseDurationMs(value, at('pcmk_delay_base')));
      }
    } else delayBaseMs = parseDurationMs(p.pcmk_delay_base, at('pcmk_delay_base'));
  }
  const delayMaxMs = p.pcmk_delay_max !== undefined ? parseDurationMs(p.pcmk_delay_max, at('pcmk_delay_max')) : 0;

  const actionMap: Partial<Record<FenceAction, FenceAction>> = {};
  const timeoutMs: Partial<Record<FenceAction, number>> = {};
  const retries: Partial<Record<FenceAction, number>> = {};
  for (const action of ['off', 'on', 'reboot', 'status', 'list', 'monitor'] as const) {
    const mapped = p[`pcmk_${action}_action`];
    if (mapped !== undefined) {
      if (!isFenceAction(mapped)) throw badConfig(`${at(`pcmk_${action}_action`)}: '${mapped}' is not a fence action`);
      const power = ['off', 'on', 'reboot'];
      if (power.includes(action) && !power.includes(mapped)) {
        throw badConfig(`${at(`pcmk_${action}_action`)}: '${mapped}' cannot stand in for ${action} (use off, on or reboot)`);
      }
      actionMap[action] = mapped;
    }
    const timeout = p[`pcmk_${action}_timeout`];
    if (timeout !== undefined) timeoutMs[action] = parseDurationMs(timeout, at(`pcmk_${action}_timeout`));
    const retry = p[`pcmk_${action}_retries`];
    if (retry !== undefined) {
      if (!/^\d+$/.test(retry)) throw badConfig(`${at(`pcmk_${action}_retries`)}: '${retry}' is not a whole number`);
      retries[action] = Number(retry);
    }
  }
  let priority = 0;
  if (p.priority !== undefined) {
    if (!/^-?\d+$/.test(p.priority)) throw badConfig(`${at('priority')}: '${p.priority}' is not an integer`);
    priority = Number(p.priority);
  }
  let actionLimit = 1;
  if (p.pcmk_action_limit !== undefined) {
    if (!/^-?\d+$/.test(p.pcmk_action_limit) || Number(p.pcmk_action_limit) === 0 || Number(p.pcmk_action_limit) < -1) {
      throw badConfig(`${at('pcmk_action_limit')}: '${p.pcmk_action_limit}' must be -1 (unlimited) or a positive integer`);
    }
    actionLimit = Number(p.pcmk_action_limit) === -1 ? Infinity : Number(p.pcmk_action_limit);
  }
  const provides = cfg.meta?.provides ?? p.provides;
  return {
    id: cfg.id,
    ...(hostCheck ? { hostCheck } : {}),
    hostList,
    hostMap,
    delayBaseMs,
    delayBasePerHostMs,
    delayMaxMs,
    actionMap,
    timeoutMs,
    retries,
    priority,
    providesUnfencing: provides === 'unfencing',
    passPlug: p.pcmk_host_argument !== 'none',
    actionLimit,
  };
}

/** The plug to hand the device for this node: the host map's entry, else the node name. */
export function plugFor(t: DeviceTargeting, node: string): string | undefined {
  if (!t.passPlug) return undefined;
  return t.hostMap.get(node) ?? node;
}

/** Whether a static list names the node (for static-list checks). */
export function staticListIncludes(t: DeviceTargeting, node: string): boolean {
  return t.hostList.includes(node) || t.hostMap.has(node);
}

/** Pacemaker's delay: base (per host if mapped) plus a random share up to max. `random` is in [0, 1). */
export function fencingDelayMs(t: DeviceTargeting, node: string, random: number): number {
  const base = t.delayBasePerHostMs.get(node) ?? t.delayBaseMs;
  if (t.delayMaxMs <= base) return base;
  return base + Math.floor(random * (t.delayMaxMs - base));
}

/**
 * priority-fencing-delay: delay fencing of the lost node(s) with the highest
 * total resource priority, so the partition that runs the more important
 * resources wins a fencing race. `priorities` holds each lost node's total.
 */
export function priorityFencingDelayMs(target: string, priorities: ReadonlyMap<string, number>, delayMs: number): number {
  if (delayMs <= 0) return 0;
  const mine = priorities.get(target) ?? 0;
  let othersHighest = 0;
  for (const [node, v] of priorities) if (node !== target) othersHighest = Math.max(othersHighest, v);
  // Equal priorities give nobody an advantage: no delay.
  return mine > othersHighest ? delayMs : 0;
}

function badConfig(message: string): StonithError {
  return new StonithError('VIGIL_STONITH_BAD_CONFIG', message);
}

/**
 * Whether any device provides unfencing (meta `provides=unfencing`): then,
 * as in Pacemaker, resources default to `requires=unfencing` and a node must
 * be unfenced before they are probed or started on it.
 */
export function anyDeviceProvidesUnfencing(devices: readonly StonithDeviceConfig[]): boolean {
  return devices.some((d) => (d.meta?.provides ?? d.params.provides) === 'unfencing');
}
