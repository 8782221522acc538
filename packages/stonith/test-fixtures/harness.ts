/**
 * Test harness for real-device tests: an ipmi_sim BMC on loopback, free
 * ports, and bounded waits. Not part of the build (outside src/).
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IpmiLanplusClient } from '../src/ipmi/client.js';

export const fixturesDir = fileURLToPath(new URL('.', import.meta.url));

export function which(cmd: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  const out = r.stdout.trim();
  return r.status === 0 && out ? out : undefined;
}

export const haveIpmiSim = which('ipmi_sim') !== undefined;
export const haveIpmitool = which('ipmitool') !== undefined;
export const haveFenceIpmilan = existsSync('/usr/sbin/fence_ipmilan');
export const haveSshd = existsSync('/usr/sbin/sshd') && which('ssh-keygen') !== undefined;

export async function freeUdpPort(): Promise<number> {
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  const port = sock.address().port;
  await new Promise<void>((r) => sock.close(() => r()));
  return port;
}

export async function freeTcpPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const addr = srv.address();
  await new Promise<void>((r) => srv.close(() => r()));
  if (!addr || typeof addr === 'string') throw new Error('no port');
  return addr.port;
}

export async function waitFor(what: string, check: () => Promise<boolean> | boolean, deadlineMs = 30_000, intervalMs = 100): Promise<void> {
  const end = Date.now() + deadlineMs;
  for (let i = 0; i < 10_000; i++) {
    if (await check()) return;
    if (Date.now() > end) throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`gave up waiting for ${what}`);
}

export interface IpmiSim {
  readonly port: number;
  readonly dir: string;
  readonly pid: number;
  power(): string;
  /** Every power value the BMC set, in order (from the chassis script's log). */
  powerLog(): string[];
  /** `ipmitool chassis power status` output, the independent cross-check. */
  ipmitoolStatus(): Promise<string>;
  stop(): void;
}

export const BMC_USER = 'admin';
export const BMC_PASSWORD = 'secret';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Start ipmi_sim (package openipmi) on a free loopback port and wait until it
 * answers. Another process may take the port between our probe and the
 * simulator's bind, so a simulator that dies at once is retried on a new port.
 */
export async function startIpmiSim(): Promise<IpmiSim> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startIpmiSimOnce();
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}

async function startIpmiSimOnce(): Promise<IpmiSim> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-ipmi-sim-'));
  const port = await freeUdpPort();
  const pid = Number(execFileSync(join(fixturesDir, 'ipmi-sim', 'start.sh'), [dir, String(port)], { encoding: 'utf8' }).trim());
  const stop = (): void => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(`ipmi_sim on 127.0.0.1:${port}`, async () => {
      if (!alive(pid)) {
        const log = existsSync(join(dir, 'sim.log')) ? readFileSync(join(dir, 'sim.log'), 'utf8').trim() : '';
        throw new Error(`ipmi_sim exited at start: ${log || 'no log'}`);
      }
      try {
        const c = await IpmiLanplusClient.connect({ host: '127.0.0.1', port, username: BMC_USER, password: BMC_PASSWORD, attempts: 1, attemptTimeoutMs: 500 });
        await c.close();
        return true;
      } catch {
        return false;
      }
    });
  } catch (err) {
    stop();
    throw err;
  }
  return {
    port,
    dir,
    pid,
    power: () => readFileSync(join(dir, 'power'), 'utf8').trim(),
    powerLog: () => {
      const log = existsSync(join(dir, 'power.log')) ? readFileSync(join(dir, 'power.log'), 'utf8') : '';
      return [...log.matchAll(/set power (\d)/g)].map((m) => m[1]!);
    },
    ipmitoolStatus: () =>
      new Promise((resolve, reject) =>
        execFile('ipmitool', ['-I', 'lanplus', '-C', '3', '-H', '127.0.0.1', '-p', String(port), '-U', BMC_USER, '-P', BMC_PASSWORD, 'chassis', 'power', 'status'], { timeout: 30_000 }, (err, stdout, stderr) =>
          err ? reject(new Error(`ipmitool failed: ${stderr || err.message}`)) : resolve(stdout.trim()),
        ),
      ),
    stop,
  };
}
