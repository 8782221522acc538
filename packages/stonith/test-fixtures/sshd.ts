/**
 * A real OpenSSH sshd on loopback for SSH fencing tests: its own host key,
 * an authorized client key, an ephemeral port, all in a temp dir; plus a
 * dummy TCP listener that stands in for "the host is alive".
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeTcpPort, waitFor } from './harness.js';
import { tcpAnswers } from '../src/ssh-device.js';

export interface TestSshd {
  readonly dir: string;
  readonly port: number;
  readonly hostKeyPub: string;
  readonly clientKeyPath: string;
  /** A key sshd does not accept. */
  readonly strangerKeyPath: string;
  /** Another host's public key, for mismatch tests. */
  readonly otherHostKeyPub: string;
  stop(): Promise<void>;
}

function keygen(path: string): void {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'vigil-test', '-f', path]);
}

export async function startSshd(): Promise<TestSshd> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-sshd-'));
  // sshd insists on its privilege-separation directory.
  if (!existsSync('/run/sshd')) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  for (const k of ['host_key', 'other_host_key', 'client_key', 'stranger_key']) keygen(join(dir, k));
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'client_key.pub')));
  const port = await freeTcpPort();
  writeFileSync(
    join(dir, 'sshd_config'),
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, 'host_key')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      'MaxStartups 50',
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (d: Buffer) => {
    if (log.length < 65536) log += d.toString();
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      child.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(`sshd on 127.0.0.1:${port}`, async () => {
      if (child.exitCode !== null) throw new Error(`sshd exited: ${log}`);
      return tcpAnswers('127.0.0.1', port, 500);
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    dir,
    port,
    hostKeyPub: readFileSync(join(dir, 'host_key.pub'), 'utf8').trim(),
    otherHostKeyPub: readFileSync(join(dir, 'other_host_key.pub'), 'utf8').trim(),
    clientKeyPath: join(dir, 'client_key'),
    strangerKeyPath: join(dir, 'stranger_key'),
    stop,
  };
}

export interface DummyHost {
  readonly port: number;
  readonly pidFile: string;
  alive(): boolean;
  stop(): void;
}

/** A separate process listening on TCP: "the host", which the fence command kills. */
export async function startDummyHost(dir: string, name = 'host'): Promise<DummyHost> {
  const port = await freeTcpPort();
  const pidFile = join(dir, `${name}.pid`);
  const child = spawn(process.execPath, ['-e', `require('net').createServer((s) => s.end()).listen(${port}, '127.0.0.1'); setInterval(() => {}, 1000);`], { stdio: 'ignore' });
  writeFileSync(pidFile, String(child.pid));
  await waitFor(`dummy host on ${port}`, () => tcpAnswers('127.0.0.1', port, 500));
  return {
    port,
    pidFile,
    alive: () => child.exitCode === null && child.signalCode === null,
    stop: () => {
      child.kill('SIGKILL');
    },
  };
}
