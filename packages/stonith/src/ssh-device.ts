/**
 * The `ssh` fence device: log in to the target itself and run a power-off
 * command, then prove the host is dead (it stops answering) before reporting
 * success. The host key must match a configured key: fencing the wrong
 * machine, or trusting a machine in the middle, is worse than failing.
 *
 * Unreachable is never "dead": a host we cannot log in to may just be behind
 * a partition, so the device fails and the fencer tries the next level.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { Client, type ConnectConfig } from 'ssh2';
import { StonithError, describeError } from './errors.js';
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
} from './device.js';

const NAME = 'ssh';

export interface SshDeviceConfig {
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly password?: string;
  readonly privateKey?: Buffer;
  readonly passphrase?: string;
  /** An OpenSSH public key line (`ssh-ed25519 AAAA...`) or a `SHA256:` fingerprint. */
  readonly hostKey: string;
  readonly offCommand: string;
  readonly rebootCommand: string;
  /** TCP port whose refusal/silence proves the host is down; the SSH port by default. */
  readonly deathPort: number;
  /** Consecutive failed probes needed before the host counts as dead. */
  readonly deathChecks: number;
  readonly probeTimeoutMs: number;
  readonly loginTimeoutMs: number;
  /** How long the host may take to stop answering after the command. */
  readonly powerTimeoutMs: number;
}

export function sshConfigFromParams(params: DeviceParams): SshDeviceConfig {
  const port = intParam(params, ['ipport'], 22, NAME, 1);
  const identityFile = optionalParam(params, ['identity_file']);
  let privateKey: Buffer | undefined;
  if (identityFile) {
    try {
      privateKey = readFileSync(identityFile);
    } catch (err) {
      throw new StonithError('VIGIL_STONITH_BAD_PARAM', `${NAME}: cannot read identity_file ${identityFile}: ${describeError(err)}`);
    }
  }
  const password = optionalParam(params, ['password', 'passwd']);
  if (!privateKey && password === undefined) {
    throw new StonithError('VIGIL_STONITH_BAD_PARAM', `${NAME}: give identity_file (a private key) or password`);
  }
  const hostKey = optionalParam(params, ['host_key']);
  if (!hostKey) {
    throw new StonithError('VIGIL_STONITH_BAD_PARAM', `${NAME}: parameter 'host_key' is required (the target's public key line or SHA256: fingerprint); fencing never trusts an unknown host`);
  }
  const passphrase = optionalParam(params, ['passphrase']);
  return {
    host: requireParam(params, ['ip', 'ipaddr'], NAME),
    port,
    username: optionalParam(params, ['username', 'login']) ?? 'root',
    ...(password !== undefined ? { password } : {}),
    ...(privateKey ? { privateKey } : {}),
    ...(passphrase ? { passphrase } : {}),
    hostKey,
    offCommand: optionalParam(params, ['off_command']) ?? 'echo o > /proc/sysrq-trigger',
    rebootCommand: optionalParam(params, ['reboot_command']) ?? 'echo b > /proc/sysrq-trigger',
    deathPort: intParam(params, ['death_port'], port, NAME, 1),
    deathChecks: intParam(params, ['death_checks'], 3, NAME, 1),
    probeTimeoutMs: secondsParamMs(params, ['probe_timeout'], 1000, NAME),
    loginTimeoutMs: secondsParamMs(params, ['login_timeout'], 10_000, NAME),
    powerTimeoutMs: secondsParamMs(params, ['power_timeout'], 30_000, NAME),
  };
}

/** Whether a host key blob is the configured one. */
export function hostKeyMatches(expected: string, keyBlob: Buffer): boolean {
  const trimmed = expected.trim();
  if (trimmed.startsWith('SHA256:')) {
    const fp = createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '');
    return trimmed.slice('SHA256:'.length).replace(/=+$/, '') === fp;
  }
  // "type base64 [comment]" or just the base64 blob
  const fields = trimmed.split(/\s+/);
  const b64 = fields.length >= 2 ? fields[1]! : fields[0]!;
  return Buffer.from(b64, 'base64').equals(keyBlob);
}

/** Whether something accepts TCP connections on host:port within timeoutMs. */
export function tcpAnswers(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = tcpConnect({ host, port });
    const done = (alive: boolean): void => {
      clearTimeout(timer);
      sock.destroy();
      resolve(alive);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

export class SshFenceDevice implements FenceDevice {
  readonly type = NAME;
  constructor(private readonly config: SshDeviceConfig) {}

  static fromParams(params: DeviceParams): SshFenceDevice {
    return new SshFenceDevice(sshConfigFromParams(params));
  }

  async off(opts: ActionOptions = {}): Promise<void> {
    await this.runAndProveDeath(this.config.offCommand, 'off', opts);
  }

  async reboot(opts: ActionOptions = {}): Promise<void> {
    // A reboot fences when the host went down; it may come back on its own.
    await this.runAndProveDeath(this.config.rebootCommand, 'reboot', opts);
  }

  async on(): Promise<void> {
    throw new StonithError('VIGIL_STONITH_UNSUPPORTED_ACTION', `${NAME}: a powered-off host cannot be switched on over SSH`);
  }

  async status(): Promise<PowerState> {
    return (await this.answers()) ? 'on' : 'off';
  }

  async list(): Promise<string[]> {
    return [];
  }

  async monitor(): Promise<void> {
    const conn = await this.login();
    conn.end();
  }

  async metadata(): Promise<DeviceMetadata> {
    return SSH_METADATA;
  }

  private answers(): Promise<boolean> {
    return tcpAnswers(this.config.host, this.config.deathPort, this.config.probeTimeoutMs);
  }

  private async runAndProveDeath(command: string, action: string, opts: ActionOptions): Promise<void> {
    const conn = await this.login();
    try {
      await this.exec(conn, command);
    } finally {
      conn.end();
    }
    let silentInARow = 0;
    const dead = await pollUntil(
      async () => {
        silentInARow = (await this.answers()) ? 0 : silentInARow + 1;
        return silentInARow >= this.config.deathChecks;
      },
      { deadlineMs: this.config.powerTimeoutMs, intervalMs: 300, ...(opts.signal ? { signal: opts.signal } : {}) },
    );
    if (!dead) {
      throw new StonithError(
        'VIGIL_STONITH_NOT_DEAD',
        `${NAME} ${action} ${this.config.host}: the command ran but ${this.config.host}:${this.config.deathPort} still answers after ${this.config.powerTimeoutMs} ms`,
      );
    }
  }

  /** Run the command; the connection dropping midway counts as the command taking effect. */
  private exec(conn: Client, command: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const finish = (): void => {
        clearTimeout(timer);
        resolve();
      };
      // The command may take the host down without ever closing the channel.
      const timer = setTimeout(finish, this.config.loginTimeoutMs);
      conn.once('close', finish);
      conn.exec(command, (err, stream) => {
        if (err) {
          clearTimeout(timer);
          reject(new StonithError('VIGIL_STONITH_DEVICE_REFUSED', `${NAME} ${this.config.host}: cannot run the power-off command: ${err.message}`));
          return;
        }
        let stderr = '';
        stream.stderr.on('data', (d: Buffer) => {
          if (stderr.length < 4096) stderr += d.toString();
        });
        stream.on('data', () => undefined);
        stream.on('exit', (code: number | null) => {
          if (typeof code === 'number' && code !== 0) {
            clearTimeout(timer);
            reject(new StonithError('VIGIL_STONITH_DEVICE_REFUSED', `${NAME} ${this.config.host}: power-off command exited ${code}${stderr ? `: ${stderr.trim().slice(0, 300)}` : ''}`));
          }
        });
        stream.on('close', finish);
      });
    });
  }

  private login(): Promise<Client> {
    const c = this.config;
    return new Promise((resolve, reject) => {
      const conn = new Client();
      let hostKeyRejected = false;
      let settled = false;
      const settle = (err?: StonithError): void => {
        if (settled) return;
        settled = true;
        if (err) {
          conn.end();
          reject(err);
        } else resolve(conn);
      };
      const cfg: ConnectConfig = {
        host: c.host,
        port: c.port,
        username: c.username,
        readyTimeout: c.loginTimeoutMs,
        hostVerifier: (key: Buffer) => {
          const ok = hostKeyMatches(c.hostKey, key);
          if (!ok) hostKeyRejected = true;
          return ok;
        },
        ...(c.privateKey ? { privateKey: c.privateKey } : {}),
        ...(c.passphrase ? { passphrase: c.passphrase } : {}),
        ...(c.password !== undefined ? { password: c.password } : {}),
      };
      conn.once('ready', () => settle());
      conn.on('error', (err: Error & { level?: string; code?: string }) => {
        const where = `${NAME} ${c.host}:${c.port}`;
        if (hostKeyRejected) settle(new StonithError('VIGIL_STONITH_HOST_KEY', `${where}: host key does not match host_key; refusing to log in`));
        else if (err.level === 'client-authentication') settle(new StonithError('VIGIL_STONITH_AUTH_PASSWORD', `${where}: user '${c.username}' was refused (wrong key or password)`));
        else if (err.level === 'client-timeout') settle(new StonithError('VIGIL_STONITH_TIMEOUT', `${where}: no SSH login within ${c.loginTimeoutMs} ms`));
        else if (err.code === 'ECONNREFUSED' || err.code === 'EHOSTUNREACH' || err.code === 'ENETUNREACH') settle(new StonithError('VIGIL_STONITH_UNREACHABLE', `${where}: ${err.code}`));
        else settle(new StonithError('VIGIL_STONITH_PROTOCOL', `${where}: ${err.message}`));
      });
      try {
        conn.connect(cfg);
      } catch (err) {
        settle(new StonithError('VIGIL_STONITH_BAD_PARAM', `${NAME}: ${describeError(err)}`));
      }
    });
  }
}

export const SSH_METADATA: DeviceMetadata = {
  name: NAME,
  shortdesc: 'Power off a host by running a command on it over SSH, then prove it stopped answering',
  actions: ['off', 'reboot', 'status', 'list', 'monitor', 'metadata'],
  parameters: [
    { name: 'ip', required: true, type: 'string', description: 'target address (alias ipaddr)' },
    { name: 'ipport', required: false, type: 'integer', default: '22', description: 'SSH port' },
    { name: 'username', required: false, type: 'string', default: 'root', description: 'login user (alias login)' },
    { name: 'identity_file', required: false, type: 'string', description: 'private key file' },
    { name: 'password', required: false, type: 'string', description: 'password, when no key is used' },
    { name: 'host_key', required: true, type: 'string', description: 'expected host key: OpenSSH public key line or SHA256: fingerprint' },
    { name: 'off_command', required: false, type: 'string', default: 'echo o > /proc/sysrq-trigger', description: 'command that powers the host off' },
    { name: 'reboot_command', required: false, type: 'string', default: 'echo b > /proc/sysrq-trigger', description: 'command that resets the host' },
    { name: 'death_port', required: false, type: 'integer', description: 'TCP port probed for proof of death (default: ipport)' },
    { name: 'death_checks', required: false, type: 'integer', default: '3', description: 'failed probes in a row that prove death' },
    { name: 'power_timeout', required: false, type: 'second', default: '30', description: 'how long the host may take to stop answering' },
    { name: 'login_timeout', required: false, type: 'second', default: '10', description: 'SSH connect and login timeout' },
  ],
};
