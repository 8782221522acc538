/**
 * The contract every fence device implements, and a registry from device
 * type (`ipmi`, `ssh`, `fence_*`) to a factory. The fencer only talks to this
 * interface, so its tests plug in fake devices through the same registry.
 */
import { StonithError } from './errors.js';

export const FENCE_ACTIONS = ['off', 'on', 'reboot', 'status', 'list', 'monitor', 'metadata'] as const;
export type FenceAction = (typeof FENCE_ACTIONS)[number];

export function isFenceAction(name: string): name is FenceAction {
  return (FENCE_ACTIONS as readonly string[]).includes(name);
}

export type PowerState = 'on' | 'off';

export interface ActionOptions {
  /** The plug / port / host the action is for, on devices that fence several hosts. */
  readonly plug?: string;
  readonly signal?: AbortSignal;
}

export interface DeviceParameterInfo {
  readonly name: string;
  readonly required: boolean;
  readonly type: 'string' | 'integer' | 'boolean' | 'second';
  readonly default?: string;
  readonly description: string;
}

export interface DeviceMetadata {
  readonly name: string;
  readonly shortdesc: string;
  readonly parameters: readonly DeviceParameterInfo[];
  readonly actions: readonly FenceAction[];
  /** The agent's own XML, for fence-agents scripts. */
  readonly xml?: string;
}

/**
 * A fence device. `off`, `on` and `reboot` resolve only when the device has
 * confirmed the result (power state read back, host proven dead...); any
 * doubt is a rejection with a StonithError, never a resolved promise.
 */
export interface FenceDevice {
  readonly type: string;
  off(opts?: ActionOptions): Promise<void>;
  on(opts?: ActionOptions): Promise<void>;
  reboot(opts?: ActionOptions): Promise<void>;
  status(opts?: ActionOptions): Promise<PowerState>;
  /** Hosts (plugs) this device can fence; empty when the device does not know. */
  list(opts?: ActionOptions): Promise<string[]>;
  /** Whether the device itself is reachable and usable (not the target's power). */
  monitor(opts?: ActionOptions): Promise<void>;
  metadata(): Promise<DeviceMetadata>;
}

export type DeviceParams = Readonly<Record<string, string>>;
export type DeviceFactory = (params: DeviceParams) => FenceDevice;

export class DeviceRegistry {
  private readonly factories = new Map<string, DeviceFactory>();
  private readonly staticMetadata = new Map<string, DeviceMetadata>();
  private fallback: ((type: string) => DeviceFactory | undefined) | undefined;

  /** `metadata` lets `metadata()` answer without parameters a device would insist on. */
  register(type: string, factory: DeviceFactory, metadata?: DeviceMetadata): this {
    this.factories.set(type, factory);
    if (metadata) this.staticMetadata.set(type, metadata);
    return this;
  }

  /** A device type's metadata, needing no device parameters. */
  async metadata(type: string): Promise<DeviceMetadata> {
    return this.staticMetadata.get(type) ?? this.create(type, {}).metadata();
  }

  /** A resolver for types not registered by name (e.g. any `fence_*` agent). */
  setFallback(resolve: (type: string) => DeviceFactory | undefined): this {
    this.fallback = resolve;
    return this;
  }

  has(type: string): boolean {
    return this.factories.has(type) || this.fallback?.(type) !== undefined;
  }

  types(): string[] {
    return [...this.factories.keys()].sort();
  }

  create(type: string, params: DeviceParams): FenceDevice {
    const factory = this.factories.get(type) ?? this.fallback?.(type);
    if (!factory) {
      throw new StonithError(
        'VIGIL_STONITH_UNKNOWN_DEVICE_TYPE',
        `unknown fence device type '${type}' (known: ${this.types().join(', ')}, or any fence_* agent)`,
      );
    }
    return factory(params);
  }
}

export type ActionOutcome =
  | { readonly action: 'status'; readonly power: PowerState }
  | { readonly action: 'list'; readonly plugs: string[] }
  | { readonly action: 'metadata'; readonly metadata: DeviceMetadata }
  | { readonly action: 'off' | 'on' | 'reboot' | 'monitor' };

/** Run one action by name; the CLI's `stonith run` and the fencer share this. */
export async function runAction(device: FenceDevice, action: FenceAction, opts: ActionOptions = {}): Promise<ActionOutcome> {
  switch (action) {
    case 'status':
      return { action, power: await device.status(opts) };
    case 'list':
      return { action, plugs: await device.list(opts) };
    case 'metadata':
      return { action, metadata: await device.metadata() };
    case 'off':
    case 'on':
    case 'reboot':
    case 'monitor':
      await device[action](opts);
      return { action };
  }
}

// ------------------------------------------------------------ param helpers

export function requireParam(params: DeviceParams, names: readonly string[], device: string): string {
  for (const name of names) {
    const value = params[name];
    if (value !== undefined && value !== '') return value;
  }
  throw new StonithError('VIGIL_STONITH_BAD_PARAM', `${device}: parameter '${names[0]}' is required`);
}

export function optionalParam(params: DeviceParams, names: readonly string[]): string | undefined {
  for (const name of names) {
    const value = params[name];
    if (value !== undefined && value !== '') return value;
  }
  return undefined;
}

export function intParam(params: DeviceParams, names: readonly string[], fallback: number, device: string, min = 0): number {
  const raw = optionalParam(params, names);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min) {
    throw new StonithError('VIGIL_STONITH_BAD_PARAM', `${device}: parameter '${names[0]}' must be an integer >= ${min}, not '${raw}'`);
  }
  return Number(raw);
}

/** Seconds as written by fence-agents (`power_timeout=20`, also `20s`, `1.5`) to ms. */
export function secondsParamMs(params: DeviceParams, names: readonly string[], fallbackMs: number, device: string): number {
  const raw = optionalParam(params, names);
  if (raw === undefined) return fallbackMs;
  const m = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(raw.trim());
  if (!m) throw new StonithError('VIGIL_STONITH_BAD_PARAM', `${device}: parameter '${names[0]}' must be a number of seconds, not '${raw}'`);
  const n = Number(m[1]);
  return Math.round(m[2] === 'ms' ? n : n * 1000);
}

export function boolParam(params: DeviceParams, names: readonly string[], fallback: boolean): boolean {
  const raw = optionalParam(params, names);
  if (raw === undefined) return fallback;
  return ['1', 'true', 'yes', 'on', 'y'].includes(raw.toLowerCase());
}

/** Wait for `check` to be true, polling; bounded by `deadlineMs` and `signal`. */
export async function pollUntil(
  check: () => Promise<boolean>,
  opts: { readonly deadlineMs: number; readonly intervalMs: number; readonly signal?: AbortSignal },
): Promise<boolean> {
  const end = Date.now() + opts.deadlineMs;
  for (let i = 0; i < 100_000; i++) {
    if (opts.signal?.aborted) throw new StonithError('VIGIL_STONITH_CANCELLED', 'cancelled');
    if (await check()) return true;
    const left = end - Date.now();
    if (left <= 0) return false;
    await new Promise((r) => setTimeout(r, Math.min(opts.intervalMs, left)));
  }
  return false;
}
