/**
 * IPMI fencing cost: a full lanplus power-status call (RMCP+ session set-up,
 * query, close) through Vigil's client, against `ipmitool ... chassis power
 * status` on the same simulated BMC; and the per-packet cost of the RMCP+
 * envelope (AES-CBC-128 + HMAC-SHA1-96, both ways) against one bare
 * HMAC-SHA1 over the same bytes.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IpmiFenceDevice } from '../ipmi/device.js';
import { IpmiLanplusClient } from '../ipmi/client.js';
import { decodePacket, encodeRmcpPlus, PayloadType } from '../ipmi/wire.js';
import { deriveSessionKeys } from '../ipmi/rakp.js';

function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

async function freeUdpPort(): Promise<number> {
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  const port = sock.address().port;
  await new Promise<void>((r) => sock.close(() => r()));
  return port;
}

function envelope(): void {
  const keys = deriveSessionKeys(randomBytes(20));
  const payload = randomBytes(24); // a typical IPMI request/response
  const rounds = 20_000;
  const iv = randomBytes(16);
  const t0 = performance.now();
  for (let i = 0; i < rounds; i++) decodePacket(encodeRmcpPlus({ payloadType: PayloadType.Ipmi, sessionId: 1, sequence: i + 1, payload, keys, iv }), keys);
  const envUs = ((performance.now() - t0) * 1000) / rounds;
  const t1 = performance.now();
  for (let i = 0; i < rounds; i++) createHmac('sha1', keys.integrityKey).update(payload).digest();
  const hmacUs = ((performance.now() - t1) * 1000) / rounds;
  console.log(`ipmi RMCP+ envelope encode+decode: ${envUs.toFixed(1)} us/packet; bare HMAC-SHA1 ${hmacUs.toFixed(1)} us; ratio ${(envUs / hmacUs).toFixed(1)}x`);
}

async function againstSimulator(): Promise<void> {
  const startSh = fileURLToPath(new URL('../../test-fixtures/ipmi-sim/start.sh', import.meta.url));
  if (!has('ipmi_sim') || !has('ipmitool')) {
    console.log('ipmi status call: skipped (ipmi_sim or ipmitool missing: apt-get install openipmi ipmitool)');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'vigil-ipmi-bench-'));
  const port = await freeUdpPort();
  const pid = Number(execFileSync(startSh, [dir, String(port)], { encoding: 'utf8' }).trim());
  try {
    const params = { ip: '127.0.0.1', ipport: String(port), username: 'admin', password: 'secret' };
    for (let i = 0; i < 100; i++) {
      try {
        await (await IpmiLanplusClient.connect({ host: '127.0.0.1', port, username: 'admin', password: 'secret', attempts: 1, attemptTimeoutMs: 500 })).close();
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const rounds = 10;
    await IpmiFenceDevice.fromParams(params).status();
    const t0 = performance.now();
    for (let i = 0; i < rounds; i++) await IpmiFenceDevice.fromParams(params).status();
    const ownMs = (performance.now() - t0) / rounds;
    const ipmitool = (): Promise<void> =>
      new Promise((resolve, reject) =>
        execFile('ipmitool', ['-I', 'lanplus', '-C', '3', '-H', '127.0.0.1', '-p', String(port), '-U', 'admin', '-P', 'secret', 'chassis', 'power', 'status'], (err) => (err ? reject(err) : resolve())),
      );
    await ipmitool();
    const t1 = performance.now();
    for (let i = 0; i < rounds; i++) await ipmitool();
    const toolMs = (performance.now() - t1) / rounds;
    console.log(`ipmi status call on ipmi_sim (session set-up + query + close): vigil ${ownMs.toFixed(1)} ms; ipmitool process ${toolMs.toFixed(1)} ms; ratio ${(ownMs / toolMs).toFixed(2)}x`);
  } finally {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

export default async function run(): Promise<void> {
  envelope();
  await againstSimulator();
}
