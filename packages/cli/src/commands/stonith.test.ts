import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runVigil } from '../testing/run-vigil.js';
import { BMC_PASSWORD, BMC_USER, freeUdpPort, haveFenceIpmilan, haveIpmiSim, haveIpmitool, startIpmiSim, type IpmiSim } from '../../../stonith/test-fixtures/harness.js';

const vigil = runVigil;

const skipReason = !haveIpmiSim ? 'ipmi_sim missing (apt-get install openipmi)' : !haveIpmitool ? 'ipmitool missing (apt-get install ipmitool)' : '';

describe.skipIf(skipReason !== '')(`vigil stonith run against ipmi_sim${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let sim: IpmiSim;
  beforeAll(async () => {
    sim = await startIpmiSim();
  });
  afterAll(() => sim?.stop());
  const bmc = (password = BMC_PASSWORD): string[] => ['--param', 'ip=127.0.0.1', '--param', `ipport=${sim.port}`, '--param', `username=${BMC_USER}`, '--param', `password=${password}`];

  it('powers a running BMC off, and status then reports off', async () => {
    expect(sim.power()).toBe('1');
    const off = await vigil('stonith', 'run', 'ipmi', 'off', ...bmc());
    expect(off).toMatchObject({ code: 0, stderr: '' });
    expect(off.stdout).toBe('ipmi: off confirmed\n');
    expect(sim.power()).toBe('0');
    expect(await sim.ipmitoolStatus()).toBe('Chassis Power is off');
    const status = await vigil('stonith', 'run', 'ipmi', 'status', ...bmc());
    expect(status).toMatchObject({ code: 0, stdout: 'Status: OFF\n' });
  });

  it('fails a wrong password with a clear message and changes nothing', async () => {
    const before = sim.power();
    const sets = sim.powerLog().length;
    const r = await vigil('stonith', 'run', 'ipmi', 'on', ...bmc('wrong'));
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`vigil: IPMI BMC 127.0.0.1:${sim.port}: wrong password for user 'admin' (the BMC's RAKP 2 proof does not match it)\n`);
    expect(sim.power()).toBe(before);
    expect(sim.powerLog()).toHaveLength(sets);
  });

  it.skipIf(!haveFenceIpmilan)('does the same through fence_ipmilan', async () => {
    const on = await vigil('stonith', 'run', 'fence_ipmilan', 'on', ...bmc(), '--param', 'lanplus=1', '--param', 'cipher=3');
    expect(on.code).toBe(0);
    expect(sim.power()).toBe('1');
    const status = await vigil('stonith', 'run', 'fence_ipmilan', 'status', ...bmc(), '--param', 'lanplus=1', '--param', 'cipher=3', '--json');
    expect(JSON.parse(status.stdout)).toEqual({ type: 'fence_ipmilan', ok: true, action: 'status', power: 'on' });
    const bad = await vigil('stonith', 'run', 'fence_ipmilan', 'off', ...bmc('wrong'), '--param', 'lanplus=1');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^vigil: fence_ipmilan off failed \(exit code 1\)/);
    expect(sim.power()).toBe('1');
  });
});

describe('vigil stonith run: usage and unreachable devices', () => {
  it('says when no BMC answers', async () => {
    const port = await freeUdpPort();
    const r = await vigil('stonith', 'run', 'ipmi', 'status', '--param', 'ip=127.0.0.1', '--param', `ipport=${port}`, '--param', 'attempt_timeout=0.3');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^vigil: IPMI BMC 127\.0\.0\.1:\d+: .*nothing listens on UDP/);
  });

  it('rejects bad parameters, actions and types with exit code 64', async () => {
    expect(await vigil('stonith', 'run', 'ipmi', 'off', '--param', 'ip')).toMatchObject({ code: 64, stderr: "vigil: --param 'ip': expected NAME=VALUE\n" });
    expect(await vigil('stonith', 'run', 'ipmi', 'explode', '--param', 'ip=x')).toMatchObject({ code: 64 });
    expect((await vigil('stonith', 'run', 'ipmi', 'off')).stderr).toBe("vigil: ipmi: parameter 'ip' is required\n");
    const unknown = await vigil('stonith', 'run', 'apc', 'off');
    expect(unknown.code).toBe(64);
    expect(unknown.stderr).toMatch(/unknown fence device type 'apc'/);
  });

  it('prints built-in metadata as fence-agents XML', async () => {
    const r = await vigil('stonith', 'run', 'ipmi', 'metadata');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^<\?xml version="1.0" \?>\n<resource-agent name="ipmi"/);
    expect(r.stdout).toContain('<parameter name="ip" unique="0" required="1">');
  });
});
