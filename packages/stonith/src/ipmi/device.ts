/**
 * The `ipmi` fence device: chassis power control over IPMI 2.0 lanplus.
 * Parameter names follow fence_ipmilan, so a CIB written for it works here.
 */
import { StonithError } from '../errors.js';
import {
  intParam,
  optionalParam,
  pollUntil,
  requireParam,
  secondsParamMs,
  type ActionOptions,
  type DeviceMetadata,
  type DeviceParams,
  type FenceDevice,
  type PowerState,
} from '../device.js';
import { IpmiLanplusClient, type IpmiClientOptions } from './client.js';
import { PrivilegeLevel, type PrivilegeName } from './rakp.js';

const NAME = 'ipmi';

export interface IpmiDeviceConfig {
  readonly client: IpmiClientOptions;
  /** How long after power off/on the chassis may take to report the new state. */
  readonly powerTimeoutMs: number;
  /** Pause after a power change before the first status read (some BMCs lie briefly). */
  readonly powerWaitMs: number;
  /** `onoff` proves the off state before powering on; `cycle` sends one chassis cycle. */
  readonly rebootMethod: 'onoff' | 'cycle';
}

const PRIVILEGE_ALIASES: Record<string, PrivilegeName> = {
  callback: 'callback',
  user: 'user',
  operator: 'operator',
  administrator: 'administrator',
  admin: 'administrator',
};

export function ipmiConfigFromParams(params: DeviceParams): IpmiDeviceConfig {
  const privRaw = (optionalParam(params, ['privlvl', 'privilege']) ?? 'administrator').toLowerCase();
  const privilege = PRIVILEGE_ALIASES[privRaw];
  if (!privilege) throw new StonithError('VIGIL_STONITH_BAD_PARAM', `${NAME}: privlvl must be callback, user, operator or administrator, not '${privRaw}'`);
  const cipher = optionalParam(params, ['cipher']);
  if (cipher !== undefined && cipher !== '3') {
    throw new StonithError('VIGIL_STONITH_BAD_PARAM', `${NAME}: cipher suite ${cipher} is not supported; this client speaks suite 3 (RAKP-HMAC-SHA1, HMAC-SHA1-96, AES-CBC-128); use fence_ipmilan for others`);
  }
  const lanplus = optionalParam(params, ['lanplus']);
  if (lanplus !== undefined && ['0', 'false', 'no', 'off'].includes(lanplus.toLowerCase())) {
    throw new StonithError('VIGIL_STONITH_BAD_PARAM', `${NAME}: only IPMI 2.0 lanplus is supported (lanplus=${lanplus}); IPMI 1.5 sessions have no encryption`);
  }
  const method = optionalParam(params, ['method']) ?? 'onoff';
  if (method !== 'onoff' && method !== 'cycle') throw new StonithError('VIGIL_STONITH_BAD_PARAM', `${NAME}: method must be onoff or cycle, not '${method}'`);
  const kg = optionalParam(params, ['kg']);
  const hexKg = optionalParam(params, ['hexadecimal_kg']);
  if (hexKg !== undefined && !/^(?:[0-9a-fA-F]{2})+$/.test(hexKg)) {
    throw new StonithError('VIGIL_STONITH_BAD_PARAM', `${NAME}: hexadecimal_kg must be an even number of hex digits`);
  }
  const bmcKey = hexKg !== undefined ? Buffer.from(hexKg, 'hex') : kg !== undefined ? Buffer.from(kg, 'utf8') : undefined;
  if (bmcKey && bmcKey.length > 20) throw new StonithError('VIGIL_STONITH_BAD_PARAM', `${NAME}: the BMC key (Kg) is longer than 20 bytes`);
  return {
    client: {
      host: requireParam(params, ['ip', 'ipaddr'], NAME),
      port: intParam(params, ['ipport'], 623, NAME, 1),
      username: optionalParam(params, ['username', 'login']) ?? '',
      password: optionalParam(params, ['password', 'passwd']) ?? '',
      privilege,
      attemptTimeoutMs: secondsParamMs(params, ['attempt_timeout'], 2000, NAME),
      attempts: intParam(params, ['retries', 'retry_on'], 3, NAME, 1),
      ...(bmcKey ? { bmcKey } : {}),
    },
    powerTimeoutMs: secondsParamMs(params, ['power_timeout'], 20_000, NAME),
    powerWaitMs: secondsParamMs(params, ['power_wait'], 0, NAME),
    rebootMethod: method,
  };
}

export class IpmiFenceDevice implements FenceDevice {
  readonly type = NAME;
  constructor(private readonly config: IpmiDeviceConfig) {}

  static fromParams(params: DeviceParams): IpmiFenceDevice {
    return new IpmiFenceDevice(ipmiConfigFromParams(params));
  }

  off(opts: ActionOptions = {}): Promise<void> {
    return this.withSession((c) => this.setPower(c, 'off', opts));
  }

  on(opts: ActionOptions = {}): Promise<void> {
    return this.withSession((c) => this.setPower(c, 'on', opts));
  }

  reboot(opts: ActionOptions = {}): Promise<void> {
    return this.withSession(async (c) => {
      if (this.config.rebootMethod === 'cycle') {
        // A cycle cannot be proven by reading power state (it ends "on"); the BMC's acceptance is the proof.
        await c.chassisControl((await c.chassisPowerIsOn()) ? 'cycle' : 'on');
        return;
      }
      await this.setPower(c, 'off', opts);
      await this.setPower(c, 'on', opts);
    });
  }

  status(): Promise<PowerState> {
    return this.withSession(async (c) => ((await c.chassisPowerIsOn()) ? 'on' : 'off'));
  }

  async list(): Promise<string[]> {
    // One BMC fences one host; there are no plugs to list.
    return [];
  }

  monitor(): Promise<void> {
    return this.withSession(async (c) => {
      await c.chassisPowerIsOn();
    });
  }

  async metadata(): Promise<DeviceMetadata> {
    return IPMI_METADATA;
  }

  private async setPower(c: IpmiLanplusClient, want: PowerState, opts: ActionOptions): Promise<void> {
    // Already there, read back from the BMC: that is a confirmation, and some
    // BMCs refuse a power command for the state they are in.
    if ((await c.chassisPowerIsOn()) === (want === 'on')) return;
    await c.chassisControl(want);
    if (this.config.powerWaitMs > 0) await new Promise((r) => setTimeout(r, this.config.powerWaitMs));
    const reached = await pollUntil(async () => (await c.chassisPowerIsOn()) === (want === 'on'), {
      deadlineMs: this.config.powerTimeoutMs,
      intervalMs: 250,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    if (!reached) {
      throw new StonithError(
        'VIGIL_STONITH_DEVICE_REFUSED',
        `IPMI BMC ${this.config.client.host}: chassis accepted power ${want} but still does not report ${want} after ${this.config.powerTimeoutMs} ms`,
      );
    }
  }

  private async withSession<T>(body: (c: IpmiLanplusClient) => Promise<T>): Promise<T> {
    const client = await IpmiLanplusClient.connect(this.config.client);
    try {
      return await body(client);
    } finally {
      await client.close();
    }
  }
}

export const IPMI_METADATA: DeviceMetadata = {
  name: NAME,
  shortdesc: 'Chassis power control over IPMI 2.0 lanplus (RMCP+, cipher suite 3), built in',
  actions: ['off', 'on', 'reboot', 'status', 'list', 'monitor', 'metadata'],
  parameters: [
    { name: 'ip', required: true, type: 'string', description: 'BMC address (alias ipaddr)' },
    { name: 'ipport', required: false, type: 'integer', default: '623', description: 'BMC UDP port' },
    { name: 'username', required: false, type: 'string', description: 'BMC user (alias login)' },
    { name: 'password', required: false, type: 'string', description: 'BMC password, at most 20 bytes (alias passwd)' },
    { name: 'privlvl', required: false, type: 'string', default: 'administrator', description: `session privilege: ${Object.keys(PrivilegeLevel).join(', ')}` },
    { name: 'hexadecimal_kg', required: false, type: 'string', description: 'BMC key Kg in hex, when the BMC has one' },
    { name: 'method', required: false, type: 'string', default: 'onoff', description: 'reboot as off+on (proven) or one chassis cycle' },
    { name: 'power_timeout', required: false, type: 'second', default: '20', description: 'how long the chassis may take to report a new power state' },
    { name: 'power_wait', required: false, type: 'second', default: '0', description: 'pause after a power command before reading the state' },
    { name: 'attempt_timeout', required: false, type: 'second', default: '2', description: 'wait for one UDP answer' },
    { name: 'retries', required: false, type: 'integer', default: '3', description: 'attempts per IPMI message' },
  ],
};
