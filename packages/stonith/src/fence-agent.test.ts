import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FenceAgentDevice, agentStdin, parseAgentList, resolveAgentPath } from './fence-agent.js';
import { isStonithError } from './errors.js';
import { BMC_PASSWORD, BMC_USER, fixturesDir, haveFenceIpmilan, haveIpmiSim, startIpmiSim, type IpmiSim } from '../test-fixtures/harness.js';

const agentDirs = [join(fixturesDir, 'agents')];

describe('fence-agents stdin protocol (test agent)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-agent-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const agent = (params: Record<string, string> = {}, timeoutMs?: number): FenceAgentDevice =>
    new FenceAgentDevice({ agent: 'fence_vigil_dummy', params: { state_dir: dir, pcmk_host_list: 'n1 n2', ...params }, searchDirs: agentDirs, ...(timeoutMs ? { timeoutMs } : {}) });

  it('passes options, action and plug on stdin, never pcmk_* options', async () => {
    await agent().off({ plug: 'n1' });
    const log = readFileSync(join(dir, 'stdin.log'), 'utf8');
    expect(log).toContain(`state_dir=${dir}\naction=off\nplug=n1\n`);
    expect(log).not.toContain('pcmk_host_list');
  });

  it('maps status exit codes 0/2 to on/off', async () => {
    await agent().off({ plug: 'n2' });
    expect(await agent().status({ plug: 'n2' })).toBe('off');
    await agent().on({ plug: 'n2' });
    expect(await agent().status({ plug: 'n2' })).toBe('on');
  });

  it('reads list output as plug[,alias] lines', async () => {
    expect(await agent({ plugs: 'n1,n2,n3' }).list()).toEqual(['n1', 'n2', 'n3']);
    expect(parseAgentList('NOTICE: List option is not working\n')).toEqual([]);
  });

  it('reports the agent\'s own error line on failure', async () => {
    const err = await agent({ fail: '1' }).off({ plug: 'n1' }).catch((e: unknown) => e);
    expect(isStonithError(err, 'VIGIL_STONITH_AGENT_FAILED')).toBe(true);
    expect((err as Error).message).toBe('fence_vigil_dummy off failed (exit code 1): ERROR: Failed: simulated device failure');
  });

  it('kills a hanging agent at its timeout', async () => {
    const started = Date.now();
    const err = await agent({ hang: '1' }, 500).off({ plug: 'n1' }).catch((e: unknown) => e);
    expect(isStonithError(err, 'VIGIL_STONITH_TIMEOUT')).toBe(true);
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('parses metadata XML', async () => {
    const meta = await agent().metadata();
    expect(meta.name).toBe('fence_vigil_dummy');
    expect(meta.shortdesc).toBe('Test fence agent & friend');
    expect(meta.parameters.find((p) => p.name === 'state_dir')).toMatchObject({ required: true, type: 'string' });
    expect(meta.parameters.find((p) => p.name === 'fail')).toMatchObject({ required: false, type: 'boolean', default: '0' });
    expect(meta.actions).toEqual(['on', 'off', 'reboot', 'status', 'list', 'monitor', 'metadata']);
  });

  it('refuses newline injection and names that are not fence agents', () => {
    expect(() => agentStdin({ ip: '1\naction=on' }, 'off')).toThrow(/newline/);
    expect(() => resolveAgentPath('rm')).toThrow(/not a fence agent name/);
    expect(() => resolveAgentPath('fence_does_not_exist', agentDirs)).toThrow(/not found/);
  });
});

const skipReason = !haveIpmiSim ? 'ipmi_sim missing (apt-get install openipmi)' : !haveFenceIpmilan ? 'fence_ipmilan missing (apt-get install fence-agents)' : '';

describe.skipIf(skipReason !== '')(`fence_ipmilan against ipmi_sim${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let sim: IpmiSim;
  beforeAll(async () => {
    sim = await startIpmiSim();
  });
  afterAll(() => sim?.stop());
  const agent = (password = BMC_PASSWORD): FenceAgentDevice =>
    new FenceAgentDevice({ agent: 'fence_ipmilan', params: { ip: '127.0.0.1', ipport: String(sim.port), username: BMC_USER, password, lanplus: '1', cipher: '3' } });

  it('powers the simulated chassis off and on, status following', async () => {
    expect(await agent().status()).toBe('on');
    await agent().off();
    expect(sim.power()).toBe('0');
    expect(await agent().status()).toBe('off');
    expect(await sim.ipmitoolStatus()).toBe('Chassis Power is off');
    await agent().on();
    expect(sim.power()).toBe('1');
  });

  it('fails with the agent\'s message on a wrong password and changes nothing', async () => {
    const err = await agent('wrong').off().catch((e: unknown) => e);
    expect(isStonithError(err, 'VIGIL_STONITH_AGENT_FAILED')).toBe(true);
    expect((err as Error).message).toMatch(/^fence_ipmilan off failed \(exit code 1\): /);
    expect(sim.power()).toBe('1');
  });

  it('finds installed agents by name', () => {
    expect(existsSync(resolveAgentPath('fence_ipmilan'))).toBe(true);
  });
});
