import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSocket, type Socket } from 'node:dgram';
import { BMC_PASSWORD, BMC_USER, freeUdpPort, waitFor, haveIpmiSim, haveIpmitool, startIpmiSim, type IpmiSim } from '../../test-fixtures/harness.js';
import { IpmiFenceDevice } from './device.js';
import { IpmiLanplusClient } from './client.js';
import { isStonithError } from '../errors.js';

const skipReason = !haveIpmiSim ? 'ipmi_sim missing (apt-get install openipmi)' : !haveIpmitool ? 'ipmitool missing (apt-get install ipmitool)' : '';

describe.skipIf(skipReason !== '')(`IPMI lanplus against ipmi_sim${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let sim: IpmiSim;
  beforeAll(async () => {
    sim = await startIpmiSim();
  });
  afterAll(() => sim?.stop());

  const device = (extra: Record<string, string> = {}): IpmiFenceDevice =>
    IpmiFenceDevice.fromParams({ ip: '127.0.0.1', ipport: String(sim.port), username: BMC_USER, password: BMC_PASSWORD, ...extra });

  it('reads power status, powers off and on, and ipmitool agrees', async () => {
    expect(sim.power()).toBe('1');
    expect(await device().status()).toBe('on');
    await device().off();
    expect(sim.power()).toBe('0');
    expect(await device().status()).toBe('off');
    expect(await sim.ipmitoolStatus()).toBe('Chassis Power is off');
    // off of an off host is still a confirmed off
    await device().off();
    expect(sim.power()).toBe('0');
    await device().on();
    expect(sim.power()).toBe('1');
    expect(await sim.ipmitoolStatus()).toBe('Chassis Power is on');
  });

  it('reboots as a proven off then on', async () => {
    await device().reboot();
    expect(sim.power()).toBe('1');
    expect(await device().status()).toBe('on');
  });

  it('reboots with one chassis cycle when method=cycle', async () => {
    const before = sim.powerLog().length;
    await device({ method: 'cycle' }).reboot();
    await waitFor('the chassis to go off and on', () => sim.powerLog().slice(before).join('') === '01', 20_000);
    expect(await device().status()).toBe('on');
  });

  it('refuses a wrong password before acting, with a clear message', async () => {
    const before = sim.power();
    const sets = sim.powerLog().length;
    const err = await device({ password: 'wrong' }).off().catch((e: unknown) => e);
    expect(isStonithError(err, 'VIGIL_STONITH_AUTH_PASSWORD')).toBe(true);
    expect((err as Error).message).toMatch(/wrong password for user 'admin'/);
    expect(sim.power()).toBe(before);
    expect(sim.powerLog()).toHaveLength(sets);
  });

  it('names an unknown user', async () => {
    const err = await device({ username: 'mallory' }).status().catch((e: unknown) => e);
    expect(isStonithError(err, 'VIGIL_STONITH_AUTH_USER')).toBe(true);
    expect((err as Error).message).toMatch(/user 'mallory' is not known/);
  });

  it('reports insufficient privilege when the session is only at user level', async () => {
    expect(await device({ privlvl: 'user' }).status()).toBe('on');
    const err = await device({ privlvl: 'user' }).off().catch((e: unknown) => e);
    expect(isStonithError(err, 'VIGIL_STONITH_AUTH_PRIVILEGE')).toBe(true);
    expect(sim.power()).toBe('1');
  });

  it('retries through lost packets and ignores duplicated replies (a lossy UDP proxy in between)', async () => {
    const proxy = await udpProxy(sim.port);
    try {
      const SECURED_IPMI = 0xc0;
      proxy.drop.set('c18', 1); // our RAKP 1: the handshake starts over
      proxy.drop.set('s21', 1); // the BMC's RAKP 4: it holds an active session; we close it and start over
      proxy.duplicateReplies = true; // every reply twice: replay protection drops the copies
      const client = await IpmiLanplusClient.connect({ host: '127.0.0.1', port: proxy.port, username: BMC_USER, password: BMC_PASSWORD, attemptTimeoutMs: 500, attempts: 3 });
      try {
        proxy.drop.set(`c${SECURED_IPMI}`, 1); // a status request: re-sent under a new sequence number
        expect(await client.chassisPowerIsOn()).toBe(true);
        proxy.drop.set(`s${SECURED_IPMI}`, 1); // a status reply
        expect(await client.chassisPowerIsOn()).toBe(true);
        expect(await client.chassisPowerIsOn()).toBe(true);
      } finally {
        await client.close();
      }
      expect(proxy.dropped).toBe(4);
    } finally {
      proxy.close();
    }
  });

  it('runs several sessions one after another with fresh keys and sequence numbers', async () => {
    const client = await IpmiLanplusClient.connect({ host: '127.0.0.1', port: sim.port, username: BMC_USER, password: BMC_PASSWORD });
    try {
      for (let i = 0; i < 5; i++) expect(await client.chassisPowerIsOn()).toBe(true);
    } finally {
      await client.close();
    }
  });
});

/** RMCP+ payload type byte (bit 7 encrypted, bit 6 authenticated), or -1 for IPMI 1.5 packets. */
function payloadType(msg: Buffer): number {
  return msg[4] === 0x06 ? msg[5]! : -1;
}

/**
 * Forwards loopback UDP to the simulator. `drop` holds, per payload type and
 * direction ('c' from us, 's' from the BMC), how many of the next packets to
 * lose; replies can be sent twice.
 */
async function udpProxy(targetPort: number) {
  const front: Socket = createSocket('udp4');
  const back: Socket = createSocket('udp4');
  await new Promise<void>((r) => front.bind(0, '127.0.0.1', r));
  await new Promise<void>((r) => back.bind(0, '127.0.0.1', r));
  const state = { port: front.address().port, drop: new Map<string, number>(), duplicateReplies: false, dropped: 0, close: () => (front.close(), back.close()) };
  const lose = (dir: 'c' | 's', msg: Buffer): boolean => {
    const key = `${dir}${payloadType(msg)}`;
    const n = state.drop.get(key) ?? 0;
    if (n <= 0) return false;
    state.drop.set(key, n - 1);
    state.dropped++;
    return true;
  };
  let clientAddr: { port: number; address: string } | undefined;
  front.on('message', (msg, rinfo) => {
    clientAddr = { port: rinfo.port, address: rinfo.address };
    if (!lose('c', msg)) back.send(msg, targetPort, '127.0.0.1');
  });
  back.on('message', (msg) => {
    if (!clientAddr || lose('s', msg)) return;
    front.send(msg, clientAddr.port, clientAddr.address);
    if (state.duplicateReplies) front.send(msg, clientAddr.port, clientAddr.address);
  });
  return state;
}

describe('IPMI lanplus error paths without a BMC', () => {
  it('says the BMC is unreachable when nothing listens on the port', async () => {
    const port = await freeUdpPort();
    const err = await IpmiFenceDevice.fromParams({ ip: '127.0.0.1', ipport: String(port), username: 'admin', password: 'x', attempt_timeout: '0.3' })
      .status()
      .catch((e: unknown) => e);
    expect(isStonithError(err, 'VIGIL_STONITH_UNREACHABLE')).toBe(true);
    expect((err as Error).message).toMatch(new RegExp(`127\\.0\\.0\\.1:${port}`));
  });

  it('times out, after its retries, against a BMC that never answers', async () => {
    const silent: Socket = createSocket('udp4');
    let received = 0;
    silent.on('message', () => received++);
    await new Promise<void>((r) => silent.bind(0, '127.0.0.1', r));
    try {
      const err = await IpmiFenceDevice.fromParams({ ip: '127.0.0.1', ipport: String(silent.address().port), username: 'admin', password: 'x', attempt_timeout: '0.2', retries: '3' })
        .off()
        .catch((e: unknown) => e);
      expect(isStonithError(err, 'VIGIL_STONITH_TIMEOUT')).toBe(true);
      expect((err as Error).message).toMatch(/no answer after 3 attempt\(s\)/);
      expect(received).toBe(3);
    } finally {
      silent.close();
    }
  });

  it('rejects missing or bad parameters by name', () => {
    expect(() => IpmiFenceDevice.fromParams({ username: 'a' })).toThrow(/parameter 'ip' is required/);
    expect(() => IpmiFenceDevice.fromParams({ ip: '127.0.0.1', privlvl: 'root' })).toThrow(/privlvl must be/);
    expect(() => IpmiFenceDevice.fromParams({ ip: '127.0.0.1', ipport: 'x' })).toThrow(/ipport/);
    expect(() => IpmiFenceDevice.fromParams({ ip: '127.0.0.1', hexadecimal_kg: 'abc' })).toThrow(/hexadecimal_kg must be/);
    expect(() => IpmiFenceDevice.fromParams({ ip: '127.0.0.1', cipher: '17' })).toThrow(/cipher suite 17 is not supported/);
    expect(() => IpmiFenceDevice.fromParams({ ip: '127.0.0.1', lanplus: '0' })).toThrow(/only IPMI 2.0 lanplus/);
    expect(() => IpmiFenceDevice.fromParams({ ip: '127.0.0.1', cipher: '3', lanplus: '1' })).not.toThrow();
  });
});
