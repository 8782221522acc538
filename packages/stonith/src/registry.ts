/**
 * The built-in device types and the factory the fencer uses to turn a
 * stonith primitive into a device.
 */
import { DeviceRegistry, type DeviceParams } from './device.js';
import { IPMI_METADATA, IpmiFenceDevice } from './ipmi/device.js';
import { SSH_METADATA, SshFenceDevice } from './ssh-device.js';
import { FenceAgentDevice, isFenceAgentName } from './fence-agent.js';
import type { StonithDeviceConfig } from './config.js';
import type { FenceDevice } from './device.js';

export interface DefaultRegistryOptions {
  /** Where fence_* agents are looked up. */
  readonly agentDirs?: readonly string[];
  /** Kill a fence agent after this long. */
  readonly agentTimeoutMs?: number;
}

/** `ipmi`, `ssh`, and every `fence_*` agent installed on the machine. */
export function defaultRegistry(opts: DefaultRegistryOptions = {}): DeviceRegistry {
  return new DeviceRegistry()
    .register('ipmi', (p: DeviceParams) => IpmiFenceDevice.fromParams(p), IPMI_METADATA)
    .register('ssh', (p: DeviceParams) => SshFenceDevice.fromParams(p), SSH_METADATA)
    .setFallback((type) =>
      isFenceAgentName(type)
        ? (params: DeviceParams) =>
            new FenceAgentDevice({
              agent: type,
              params,
              ...(opts.agentDirs ? { searchDirs: opts.agentDirs } : {}),
              ...(opts.agentTimeoutMs ? { timeoutMs: opts.agentTimeoutMs } : {}),
            })
        : undefined,
    );
}

/** A Fencer `createDevice` backed by a registry. */
export function registryDeviceFactory(registry: DeviceRegistry): (cfg: StonithDeviceConfig) => FenceDevice {
  return (cfg) => registry.create(cfg.type, cfg.params);
}
