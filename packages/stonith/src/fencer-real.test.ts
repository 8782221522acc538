import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fencer } from './fencer.js';
import { systemClock } from './clock.js';
import { defaultRegistry, registryDeviceFactory } from './registry.js';
import { BMC_PASSWORD, BMC_USER, haveFenceIpmilan, haveIpmiSim, startIpmiSim, type IpmiSim } from '../test-fixtures/harness.js';

const skipReason = !haveIpmiSim ? 'ipmi_sim missing (apt-get install openipmi)' : !haveFenceIpmilan ? 'fence_ipmilan missing (apt-get install fence-agents)' : '';

describe.skipIf(skipReason !== '')(`fencer with real devices against ipmi_sim${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let sim: IpmiSim;
  beforeAll(async () => {
    sim = await startIpmiSim();
  });
  afterAll(() => sim?.stop());

  it('falls back from a level whose BMC password is wrong to fence_ipmilan, which powers the node off', async () => {
    const bmc = { ip: '127.0.0.1', ipport: String(sim.port), username: BMC_USER };
    const fencer = new Fencer(
      { clock: systemClock, createDevice: registryDeviceFactory(defaultRegistry()) },
      {
        devices: [
          { id: 'ipmi-stale', type: 'ipmi', params: { ...bmc, password: 'stale', pcmk_host_list: 'node1', pcmk_off_retries: '0' } },
          { id: 'ipmilan', type: 'fence_ipmilan', params: { ...bmc, password: BMC_PASSWORD, lanplus: '1', cipher: '3', pcmk_host_list: 'node1', pcmk_host_argument: 'none' } },
        ],
        levels: [
          { id: 'l1', index: 1, target: 'node1', devices: ['ipmi-stale'] },
          { id: 'l2', index: 2, target: 'node1', devices: ['ipmilan'] },
        ],
      },
    );
    expect(sim.power()).toBe('1');
    const { ok, entry } = await fencer.fence({ target: 'node1', action: 'off', origin: 'test' });
    expect(ok).toBe(true);
    expect(entry.devices).toEqual(['ipmilan']);
    expect(entry.attempts[0]).toMatchObject({ device: 'ipmi-stale', ok: false, code: 'VIGIL_STONITH_AUTH_PASSWORD' });
    expect(sim.power()).toBe('0');
    expect(await sim.ipmitoolStatus()).toBe('Chassis Power is off');
  });
});
