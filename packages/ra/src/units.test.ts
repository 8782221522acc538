import { describe, expect, it } from 'vitest';
import {
  MemoryAttributeStore,
  OcfRc,
  RaError,
  checkParameters,
  lsbMetadata,
  lsbRcToOcf,
  parseAgentSpec,
  parseDurationMs,
  parseMetadata,
  recoveryClass,
  runHelperCommand,
  BoundedOutput,
  type HelperContext,
} from './index.js';

describe('OCF exit codes', () => {
  it('map to the documented recovery classes', () => {
    const table: Record<number, string> = {
      0: 'soft', 1: 'hard', 2: 'hard', 3: 'hard', 4: 'hard', 5: 'hard', 6: 'fatal',
      7: 'none', 8: 'soft', 9: 'soft', 190: 'none', 191: 'none', 42: 'soft',
    };
    for (const [rc, cls] of Object.entries(table)) expect([rc, recoveryClass(Number(rc))]).toEqual([rc, cls]);
  });

  it('results that did not complete are classed by their op-status', async () => {
    const { resultRecoveryClass, OpStatus } = await import('./index.js');
    expect(resultRecoveryClass(0, OpStatus.NOT_INSTALLED)).toBe('hard');
    expect(resultRecoveryClass(1, OpStatus.TIMED_OUT)).toBe('soft');
    expect(resultRecoveryClass(6, OpStatus.DONE)).toBe('fatal');
    expect(resultRecoveryClass(1, OpStatus.CANCELLED)).toBe('none');
  });

  it('LSB status codes become OCF monitor codes; other actions pass 0-7 through', () => {
    expect([0, 1, 2, 3, 4, 150].map((rc) => lsbRcToOcf('monitor', rc))).toEqual([0, 7, 7, 7, 1, 1]);
    expect([0, 5, 6, 7, 8].map((rc) => lsbRcToOcf('start', rc))).toEqual([0, 5, 6, 7, 1]);
  });
});

describe('agent names and durations', () => {
  it('parses class:provider:type and refuses path tricks', () => {
    expect(parseAgentSpec('ocf:heartbeat:Dummy')).toEqual({ class: 'ocf', provider: 'heartbeat', type: 'Dummy' });
    expect(parseAgentSpec('lsb:nginx')).toEqual({ class: 'lsb', type: 'nginx' });
    expect(() => parseAgentSpec('ocf:heartbeat')).toThrow(/ocf:PROVIDER:TYPE/);
    expect(() => parseAgentSpec('ocf:..:x')).toThrow(/provider '..'/);
    expect(parseAgentSpec('stonith:fence_ipmilan')).toEqual({ class: 'stonith', type: 'fence_ipmilan' });
    expect(() => parseAgentSpec('bogus:x')).toThrow(RaError);
  });
  it('parses Pacemaker durations', () => {
    expect(['20s', '20', '1min', '500ms', '2h', 'PT1M30S'].map((d) => parseDurationMs(d))).toEqual([
      20_000, 20_000, 60_000, 500, 7_200_000, 90_000,
    ]);
    expect(() => parseDurationMs('soon', 'timeout of op x')).toThrow(/timeout of op x: 'soon'/);
  });
});

const META = `<?xml version="1.0"?>
<resource-agent name="Web" version="2.0">
<version>1.1</version>
<shortdesc lang="en">A web server</shortdesc>
<parameters>
<parameter name="config" required="1" unique="1"><shortdesc lang="en">Config file</shortdesc><content type="string"/></parameter>
<parameter name="port"><shortdesc lang="en">Port</shortdesc><content type="integer" default="80"/></parameter>
</parameters>
<actions>
<action name="start" timeout="40s"/>
<action name="monitor" timeout="20s" interval="10s" depth="0"/>
<action name="monitor" timeout="30s" interval="60s" depth="10"/>
</actions>
</resource-agent>`;

describe('meta-data', () => {
  const meta = parseMetadata(META, 'ocf:test:Web');
  it('reads parameters, flags, defaults and action timeouts', () => {
    expect(meta.parameters).toMatchObject([
      { name: 'config', required: true, unique: true, type: 'string' },
      { name: 'port', required: false, default: '80', type: 'integer' },
    ]);
    expect(meta.actions).toContainEqual({ name: 'monitor', timeoutMs: 30_000, intervalMs: 60_000, depth: 10 });
  });
  it('refuses an unknown parameter by name and lists the valid ones', () => {
    expect(() => checkParameters(meta, { config: '/x', prot: '8080' }, { subject: "resource 'web'" })).toThrow(
      "resource 'web': parameter 'prot' is not a parameter of agent Web (valid: config, port)",
    );
  });
  it('refuses a missing required parameter by name', () => {
    try {
      checkParameters(meta, { port: '81' }, { subject: "resource 'web'" });
      expect.unreachable();
    } catch (err) {
      expect((err as RaError).code).toBe('VIGIL_RA_MISSING_PARAMETER');
      expect((err as Error).message).toContain("'config'");
    }
  });
  it('fills in defaults', () => {
    expect(checkParameters(meta, { config: '/x' }, { subject: 'r' })).toEqual({ config: '/x', port: '80' });
  });
  it('names the agent when the XML is broken', () => {
    expect(() => parseMetadata('<resource-agent><parameters>', 'ocf:x:Broken')).toThrow(/ocf:x:Broken: meta-data is not well-formed/);
    expect(() => parseMetadata('<other/>', 'ocf:x:Other')).toThrow(/no <resource-agent> root/);
  });
  it('builds LSB meta-data from the INIT INFO header', () => {
    const m = lsbMetadata('svc', '#!/bin/sh\n### BEGIN INIT INFO\n# Provides: svc\n# Short-Description: Short\n# Description: Long\n#              text\n### END INIT INFO\n');
    expect(m.shortdesc).toBe('Short');
    expect(m.longdesc).toBe('Long text');
  });
});

describe('bounded output', () => {
  it('keeps head and tail within the limit and counts what it dropped', () => {
    const out = new BoundedOutput(1000);
    out.push(Buffer.from('HEAD'));
    for (let i = 0; i < 1000; i++) out.push(Buffer.alloc(1024, 'x'));
    out.push(Buffer.from('TAIL'));
    expect(out.keptBytes).toBeLessThanOrEqual(1000);
    expect(out.droppedBytes).toBe(4 + 1024 * 1000 + 4 - 1000);
    const text = out.toString();
    expect(text.startsWith('HEAD')).toBe(true);
    expect(text.endsWith('TAIL')).toBe(true);
  });
});

describe('helper commands (forms real agents use)', () => {
  const store = new MemoryAttributeStore({ 'stonith-enabled': 'false' });
  const ctx: HelperContext = {
    store,
    localNode: 'n1',
    localNodeId: '1',
    cluster: { members: () => [{ id: '1', name: 'n1', member: true }, { id: '2', name: 'n2', member: false }], hasQuorum: () => true },
    env: { OCF_RESOURCE_INSTANCE: 'db' },
  };
  const run = (cmd: string, ...argv: string[]) => runHelperCommand(cmd, argv, ctx);

  it('Stateful: crm_attribute --promotion -v / -D on the local node, reboot lifetime', async () => {
    expect((await run('crm_attribute', '--promotion', '-v', '5')).code).toBe(0);
    expect(store.peek('n1', 'master-db', 'reboot')).toBe('5');
    expect(await run('crm_attribute', '-p', '-G', '-q')).toEqual({ code: 0, stdout: '5\n', stderr: '' });
    expect((await run('crm_attribute', '--promotion', '-D')).code).toBe(0);
    expect(store.peek('n1', 'master-db', 'reboot')).toBeUndefined();
  });
  it('ocf_promotion_score: crm_master -l reboot -v N, and -p=RSC names another resource', async () => {
    await run('crm_master', '-l', 'reboot', '-v', '100');
    expect(store.peek('n1', 'master-db', 'reboot')).toBe('100');
    await run('crm_master', '-v', '7');
    expect(store.peek('n1', 'master-db', 'forever')).toBe('7');
    await run('crm_attribute', '--promotion=web', '-v', '3', '-N', 'n2');
    expect(store.peek('n2', 'master-web', 'reboot')).toBe('3');
    expect((await run('crm_master', '-r', 'other', '-l', 'reboot', '-G', '-q')).code).toBe(105);
  });
  it('node attribute query prints scope/name/value; a missing one exits 105', async () => {
    await run('crm_attribute', '-N', 'n1', '-n', 'site', '-v', 'east');
    expect((await run('crm_attribute', '--node', 'n1', '--name', 'site', '--query')).stdout).toBe('scope=nodes  name=site value=east\n');
    expect(await run('crm_attribute', '-N', 'n1', '-n', 'nope', '-l', 'reboot', '-G')).toMatchObject({ code: 105, stdout: '' });
    expect((await run('crm_attribute', '-N', 'n1', '-n', 'nope', '-G', '-q', '-d', 'dflt')).stdout).toBe('dflt\n');
  });
  it('cluster options are readable, not writable', async () => {
    expect((await run('crm_attribute', '-t', 'crm_config', '-n', 'stonith-enabled', '-G', '-q')).stdout).toBe('false\n');
    expect((await run('crm_attribute', '-n', 'stonith-enabled', '-v', 'true')).code).not.toBe(0);
  });
  it('crm_node answers name, id, quorum and the partition', async () => {
    expect((await run('crm_node', '-n')).stdout).toBe('n1\n');
    expect((await run('crm_node', '-i')).stdout).toBe('1\n');
    expect((await run('crm_node', '-q')).stdout).toBe('1\n');
    expect((await run('crm_node', '-p')).stdout).toBe('n1\n');
    expect((await run('crm_node', '-l')).stdout).toBe('1 n1 member\n2 n2 lost\n');
  });
  it('attrd_updater sets, queries and deletes transient attributes (ping, attribute, Health* forms)', async () => {
    expect((await run('attrd_updater', '-n', 'pingd', '-v', '1000', '-d', '5s')).code).toBe(0);
    expect(store.peek('n1', 'pingd', 'reboot')).toBe('1000');
    await run('attrd_updater', '-n', '#health-cpu', '-U', 'red', '-d', '30s');
    expect(await run('attrd_updater', '-n', 'pingd', '-Q')).toEqual({ code: 0, stdout: 'name="pingd" host="n1" value="1000"\n', stderr: '' });
    await run('attrd_updater', '-n', 'pingd', '-B', '2000', '-d', '5s', '-N', 'n2');
    expect((await run('attrd_updater', '-n', 'pingd', '-Q', '-A')).stdout).toBe('name="pingd" host="n1" value="1000"\nname="pingd" host="n2" value="2000"\n');
    expect((await run('attrd_updater', '-D', '-n', 'pingd', '-d', '5s')).code).toBe(0);
    expect((await run('attrd_updater', '-n', 'pingd', '-Q')).code).toBe(105);
    expect((await run('attrd_updater', '-n', 'x')).code).toBe(64);
  });

  it('bad usage gets exit 64 and a message, not a crash', async () => {
    expect(await run('crm_attribute', '-v')).toMatchObject({ code: 64 });
    expect((await run('crm_attribute', '--bogus')).stderr).toContain("unknown option '--bogus'");
    expect((await run('crm_attribute', '-l', 'sometimes', '-n', 'x', '-G')).stderr).toContain("lifetime 'sometimes'");
  });
});

describe('agent exit reason constant', () => {
  it('OcfRc has the documented values', () => {
    expect(OcfRc).toMatchObject({ NOT_RUNNING: 7, RUNNING_PROMOTED: 8, DEGRADED: 190, DEGRADED_PROMOTED: 191 });
  });
});

describe('notifications and unique parameters', () => {
  it('builds the notify_* meta variables in matching order', async () => {
    const { notificationMeta } = await import('./index.js');
    const m = notificationMeta({
      type: 'pre', operation: 'start',
      start: [{ resource: 'clone:0', node: 'sles-1' }, { resource: 'clone:2', node: 'sles-3' }],
      active: [{ resource: 'clone:1', node: 'sles-2' }],
      inactive: [{ resource: 'clone:0' }, { resource: 'clone:2' }],
      promoted: [{ resource: 'clone:1', node: 'sles-2' }],
      allNodes: ['sles-1', 'sles-2', 'sles-3'],
    });
    expect(m).toMatchObject({
      notify_type: 'pre', notify_operation: 'start',
      notify_start_resource: 'clone:0 clone:2', notify_start_uname: 'sles-1 sles-3',
      notify_active_resource: 'clone:1', notify_inactive_resource: 'clone:0 clone:2',
      notify_promoted_resource: 'clone:1', notify_master_resource: 'clone:1', notify_master_uname: 'sles-2',
      notify_stop_resource: '', notify_all_uname: 'sles-1 sles-2 sles-3',
    });
    expect(m).not.toHaveProperty('notify_inactive_uname');
  });
  it('finds resources sharing a unique parameter value', async () => {
    const { findUniqueConflicts } = await import('./index.js');
    const meta = parseMetadata(META, 'ocf:test:Web');
    expect(findUniqueConflicts(meta, [
      { id: 'a', params: { config: '/etc/a' } },
      { id: 'b', params: { config: '/etc/a' } },
      { id: 'c', params: { config: '/etc/c' } },
    ])).toEqual([{ parameter: 'config', value: '/etc/a', resources: ['a', 'b'] }]);
  });
});
