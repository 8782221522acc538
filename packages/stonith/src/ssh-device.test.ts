import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { Server as SshServer, utils as sshUtils } from 'ssh2';
import { SshFenceDevice, hostKeyMatches } from './ssh-device.js';
import { isStonithError } from './errors.js';
import { freeTcpPort, haveSshd } from '../test-fixtures/harness.js';
import { startDummyHost, startSshd, type DummyHost, type TestSshd } from '../test-fixtures/sshd.js';

const isRoot = process.getuid?.() === 0;
const skipReason = !haveSshd ? 'sshd missing (apt-get install openssh-server)' : !isRoot ? 'sshd with its own config needs root' : '';

describe.skipIf(skipReason !== '')(`SSH fencing against a real sshd${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let sshd: TestSshd;
  const hosts: DummyHost[] = [];
  beforeAll(async () => {
    sshd = await startSshd();
  });
  afterEach(() => {
    for (const h of hosts.splice(0)) h.stop();
  });
  afterAll(async () => {
    await sshd?.stop();
  });

  const device = (host: DummyHost, extra: Record<string, string> = {}): SshFenceDevice =>
    SshFenceDevice.fromParams({
      ip: '127.0.0.1',
      ipport: String(sshd.port),
      username: 'root',
      identity_file: sshd.clientKeyPath,
      host_key: sshd.hostKeyPub,
      off_command: `kill $(cat ${host.pidFile})`,
      death_port: String(host.port),
      death_checks: '2',
      power_timeout: '20',
      ...extra,
    });

  it('runs the power-off command and reports success only once the host stopped answering', async () => {
    const host = await startDummyHost(sshd.dir);
    hosts.push(host);
    expect(await device(host).status()).toBe('on');
    await device(host).off();
    expect(host.alive()).toBe(false);
    expect(await device(host).status()).toBe('off');
  });

  it('fails with NOT_DEAD when the host keeps answering', async () => {
    const host = await startDummyHost(sshd.dir);
    hosts.push(host);
    const err = await device(host, { off_command: 'true', power_timeout: '2' }).off().catch((e: unknown) => e);
    expect(isStonithError(err, 'VIGIL_STONITH_NOT_DEAD')).toBe(true);
    expect((err as Error).message).toMatch(/still answers after 2000 ms/);
    expect(host.alive()).toBe(true);
  });

  it('refuses a host whose key differs, before running anything', async () => {
    const host = await startDummyHost(sshd.dir);
    hosts.push(host);
    const err = await device(host, { host_key: sshd.otherHostKeyPub }).off().catch((e: unknown) => e);
    expect(isStonithError(err, 'VIGIL_STONITH_HOST_KEY')).toBe(true);
    expect(host.alive()).toBe(true);
  });

  it('accepts a SHA256 fingerprint as the known host key', async () => {
    const blob = Buffer.from(sshd.hostKeyPub.split(/\s+/)[1]!, 'base64');
    const fp = `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
    const host = await startDummyHost(sshd.dir);
    hosts.push(host);
    await device(host, { host_key: fp }).monitor();
  });

  it('names a refused key, and an exit status of the command', async () => {
    const host = await startDummyHost(sshd.dir);
    hosts.push(host);
    const err = await device(host, { identity_file: sshd.strangerKeyPath }).off().catch((e: unknown) => e);
    expect(isStonithError(err, 'VIGIL_STONITH_AUTH_PASSWORD')).toBe(true);
    expect((err as Error).message).toMatch(/user 'root' was refused/);
    const failed = await device(host, { off_command: 'echo nope >&2; exit 3' }).off().catch((e: unknown) => e);
    expect(isStonithError(failed, 'VIGIL_STONITH_DEVICE_REFUSED')).toBe(true);
    expect((failed as Error).message).toMatch(/exited 3: nope/);
    expect(host.alive()).toBe(true);
  });

  it('treats an unreachable host as a failure, never as dead', async () => {
    const port = await freeTcpPort();
    const err = await SshFenceDevice.fromParams({ ip: '127.0.0.1', ipport: String(port), identity_file: sshd.clientKeyPath, host_key: sshd.hostKeyPub }).off().catch((e: unknown) => e);
    expect(isStonithError(err, 'VIGIL_STONITH_UNREACHABLE')).toBe(true);
  });
});

describe('SSH device configuration', () => {
  it('requires a known host key and a credential', () => {
    expect(() => SshFenceDevice.fromParams({ ip: 'h', password: 'x' })).toThrow(/'host_key' is required/);
    expect(() => SshFenceDevice.fromParams({ ip: 'h', host_key: 'k' })).toThrow(/identity_file .* or password/);
    expect(() => SshFenceDevice.fromParams({ ip: 'h', host_key: 'k', identity_file: '/nonexistent/key' })).toThrow(/cannot read identity_file/);
  });

  it('matches host keys by blob or fingerprint only', () => {
    const blob = Buffer.from('fake key blob');
    const line = `ssh-ed25519 ${blob.toString('base64')} c`;
    expect(hostKeyMatches(line, blob)).toBe(true);
    expect(hostKeyMatches(line, Buffer.from('other'))).toBe(false);
    const fp = `SHA256:${createHash('sha256').update(blob).digest('base64')}`;
    expect(hostKeyMatches(fp, blob)).toBe(true);
  });
});

describe('SSH password login (ssh2\'s own server on loopback)', () => {
  let ssh: SshServer;
  let sshPort: number;
  let hostPub: string;
  let host: NetServer;
  let hostPort: number;
  const hostSockets = new Set<Socket>();
  const commands: string[] = [];

  beforeAll(async () => {
    host = createServer((s) => {
      hostSockets.add(s);
      s.on('close', () => hostSockets.delete(s));
    });
    await new Promise<void>((r) => host.listen(0, '127.0.0.1', r));
    hostPort = (host.address() as { port: number }).port;
    const keys = sshUtils.generateKeyPairSync('ed25519');
    hostPub = keys.public;
    ssh = new SshServer({ hostKeys: [keys.private] }, (client) => {
      client.on('error', () => undefined);
      client.on('authentication', (ctx) => {
        if (ctx.method === 'password' && ctx.username === 'root' && ctx.password === 'hunter2') ctx.accept();
        else ctx.reject(['password']);
      });
      client.on('ready', () => {
        client.on('session', (accept) => {
          accept().on('exec', (acceptExec, _reject, info) => {
            const stream = acceptExec();
            commands.push(info.command);
            if (info.command === 'poweroff') {
              // "the host" goes away: its service stops accepting connections
              host.close();
              for (const sock of hostSockets) sock.destroy();
            }
            stream.exit(0);
            stream.end();
          });
        });
      });
    });
    await new Promise<void>((r) => ssh.listen(0, '127.0.0.1', r));
    sshPort = (ssh.address() as { port: number }).port;
  });
  afterAll(async () => {
    host.close();
    await new Promise<void>((r) => ssh.close(() => r()));
  });

  const device = (password: string): SshFenceDevice =>
    SshFenceDevice.fromParams({ ip: '127.0.0.1', ipport: String(sshPort), password, host_key: hostPub, off_command: 'poweroff', death_port: String(hostPort), death_checks: '2', power_timeout: '15' });

  it('refuses a wrong password before running anything', async () => {
    const err = await device('letmein').off().catch((e: unknown) => e);
    expect(isStonithError(err, 'VIGIL_STONITH_AUTH_PASSWORD')).toBe(true);
    expect(commands).toEqual([]);
    expect(await device('hunter2').status()).toBe('on');
  });

  it('logs in with the password, powers off, and proves the host dead', async () => {
    await device('hunter2').off();
    expect(commands).toEqual(['poweroff']);
    expect(await device('hunter2').status()).toBe('off');
  });
});
