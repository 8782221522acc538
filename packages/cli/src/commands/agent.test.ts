import { afterAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runVigil } from '../testing/run-vigil.js';

const RA_FIXTURES = fileURLToPath(new URL('../../../ra/test-fixtures', import.meta.url));
const haveStateful = existsSync('/usr/lib/ocf/resource.d/pacemaker/Stateful');
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const vigil = runVigil;

describe('vigil agent', () => {
  it('list filters by class and provider', async () => {
    const r = await vigil('agent', 'list', 'lsb', '--lsb-dir', join(RA_FIXTURES, 'init.d'));
    expect(r.stdout).toBe('lsb:vigil-sleeper\n');
    const bad = await vigil('agent', 'list', 'stonith:x:y');
    expect([bad.code, bad.stderr]).toEqual([64, "vigil: agent list: 'stonith:x:y' is not CLASS or CLASS:PROVIDER (classes: ocf, lsb, service)\n"]);
  });

  it('meta-data prints XML, or JSON with --json, and names a missing agent', async () => {
    const xml = await vigil('agent', 'meta-data', 'ocf:vigil-test:Hang', '--ocf-root', join(RA_FIXTURES, 'ocf'));
    expect(xml.stdout).toContain('<resource-agent name="Hang"');
    const json = await vigil('agent', 'meta-data', 'ocf:vigil-test:Hang', '--ocf-root', join(RA_FIXTURES, 'ocf'), '--json');
    expect(JSON.parse(json.stdout).parameters[0]).toMatchObject({ name: 'pidfile', required: true });
    const missing = await vigil('agent', 'meta-data', 'ocf:nobody:Nothing');
    expect(missing.code).toBe(5);
    expect(missing.stderr).toMatch(/^vigil: ocf:nobody:Nothing: meta-data failed: .*not installed/);
  });

  it.skipIf(!haveStateful)('exec runs an action and exits with the agent rc, showing promotion scores', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'vigil-cli-agent-'));
    dirs.push(stateDir);
    const run = (action: string, ...more: string[]) =>
      vigil('agent', 'exec', 'ocf:pacemaker:Stateful', action, '-r', 'db', '--state-dir', stateDir, '--node', 'n1', ...more);
    const start = await run('start');
    expect(start.code).toBe(0);
    expect(start.stderr).toContain('ocf:pacemaker:Stateful start (resource db): rc=0 (ok)');
    expect(start.stderr).toContain('master-db=5 (node n1, lifetime reboot)');
    expect((await run('promote')).code).toBe(0);
    const mon = await run('monitor', '--interval', '10s');
    expect([mon.code, mon.stderr.includes('rc=8 (promoted)')]).toEqual([8, true]);
    expect((await run('demote')).code).toBe(0);
    expect((await run('stop')).code).toBe(0);
    expect((await run('monitor')).code).toBe(7);
  });

  it('exec refuses bad parameters by name and reports a missing agent as rc 5', async () => {
    const bad = await vigil('agent', 'exec', 'ocf:vigil-test:Hang', 'start', '--ocf-root', join(RA_FIXTURES, 'ocf'), '-p', 'pidfile=/x', '-p', 'colour=red');
    expect(bad.code).toBe(64);
    expect(bad.stderr).toContain("parameter 'colour' is not a parameter of agent Hang");
    const missing = await vigil('agent', 'exec', 'ocf:vigil-test:Hang', 'start', '--ocf-root', join(RA_FIXTURES, 'ocf'));
    expect(missing.stderr).toContain("required parameter 'pidfile'");
    const absent = await vigil('agent', 'exec', 'ocf:nobody:Nothing', 'start');
    expect(absent.code).toBe(5);
    expect(absent.stderr).toContain('rc=5 (not installed), status=Not installed');
    const badPair = await vigil('agent', 'exec', 'ocf:nobody:Nothing', 'start', '-p', 'novalue');
    expect([badPair.code, badPair.stderr]).toEqual([64, "vigil: --param 'novalue': expected NAME=VALUE\n"]);
  });

  it('exec kills a hung agent at --timeout and reports it', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'vigil-cli-agent-'));
    dirs.push(stateDir);
    const r = await vigil('agent', 'exec', 'ocf:vigil-test:Hang', 'start', '--ocf-root', join(RA_FIXTURES, 'ocf'),
      '--state-dir', stateDir, '-p', `pidfile=${join(stateDir, 'pids')}`, '--timeout', '1');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('status=Timed Out, reason: start timed out after 1000ms');
  });
});
