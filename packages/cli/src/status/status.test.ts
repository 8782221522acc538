import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCib } from '@vigil/cib';
import { allPrimitiveStatuses, clusterStatus, formatTime, renderStatus, renderStatusText, renderStatusXml, type ClusterStatus } from './index.js';
import { durationText } from './text.js';
import { demoClusterCib, EXAMPLE_NOW_SEC, exampleCib, lrmResource, op, primitive } from '../testing/example-cib.js';

const API_DIR = '/usr/share/pacemaker/api';
const CTS_DIR = '/work/shared/cts-scheduler/xml';

function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

/** The newest crm_mon-2.N.rng Pacemaker ships, by minor number. */
function newestCrmMonSchema(): string | undefined {
  if (!existsSync(API_DIR)) return undefined;
  const minors = readdirSync(API_DIR)
    .map((f) => /^crm_mon-2\.(\d+)\.rng$/.exec(f)?.[1])
    .filter((m): m is string => m !== undefined)
    .map(Number)
    .sort((a, b) => b - a);
  return minors.length ? join(API_DIR, `crm_mon-2.${minors[0]}.rng`) : undefined;
}

const tmp = mkdtempSync(join(tmpdir(), 'vigil-status-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const demo = (): ClusterStatus => clusterStatus(parseCib(demoClusterCib()), { nowSec: EXAMPLE_NOW_SEC, nodeName: 'n1' });

describe('clusterStatus', () => {
  it('reports nodes, DC, quorum, roles and locations from the CIB', () => {
    const s = demo();
    expect(s.summary.dc).toEqual({ name: 'n1', id: 'n1' });
    expect(s.summary.quorate).toBe(true);
    expect(s.summary.localNode).toBe('n1');
    expect(s.summary.nodesConfigured).toBe(4);
    // vip, web-ip, web-app, four db instances (one per node), idle.
    expect(s.summary.resourceInstancesConfigured).toBe(8);
    expect(s.summary.resourceInstancesDisabled).toBe(1);
    expect(s.summary.cibVersion).toEqual({ adminEpoch: 0, epoch: 5, numUpdates: 0 });
    const node = (n: string) => s.nodes.find((x) => x.name === n)!;
    expect(node('n1')).toMatchObject({ online: true, isDc: true, standby: false, resourcesRunning: 2 });
    expect(node('n3')).toMatchObject({ online: true, standby: true, resourcesRunning: 0 });
    expect(node('n4')).toMatchObject({ online: false, isDc: false });
    expect(node('n1').attributes).toEqual({ 'master-db': '10' });
    // Fail counts and last-failure stamps are reported as fail counts, not as attributes.
    expect(node('n2').attributes).toEqual({ 'master-db': '5' });

    const prims = allPrimitiveStatuses(s.resources);
    const where = (id: string) => prims.filter((p) => p.baseId === id && p.active).map((p) => `${p.locations[0]!.node}:${p.role}`);
    expect(where('vip')).toEqual(['n1:Started']);
    expect(where('db').sort()).toEqual(['n1:Promoted', 'n2:Unpromoted']);
    const webApp = prims.find((p) => p.id === 'web-app')!;
    expect(webApp).toMatchObject({ failed: true, active: true, locations: [{ node: 'n2', role: 'Started', failed: true }] });
    expect(prims.find((p) => p.id === 'idle')).toMatchObject({ active: false, role: 'Stopped', targetRole: 'Stopped' });
    const group = s.resources.find((r) => r.id === 'web');
    expect(group?.kind).toBe('group');
    const clone = s.resources.find((r) => r.id === 'db-clone');
    expect(clone).toMatchObject({ kind: 'clone', promotable: true, unique: false, failed: false });
  });

  it('lists failed actions and fail counts with their times', () => {
    const s = demo();
    expect(s.failedActions).toEqual([
      {
        resource: 'web-app',
        task: 'monitor',
        intervalMs: 10_000,
        node: 'n2',
        rc: 7,
        rcText: 'not running',
        opStatus: 0,
        opStatusText: 'complete',
        callId: 5,
        exitReason: 'pid file vanished',
        lastRcChangeSec: EXAMPLE_NOW_SEC - 50,
        execTimeMs: 40,
        queueTimeMs: 0,
      },
    ]);
    expect(s.failCounts).toEqual([
      { node: 'n2', resource: 'web-app', failCount: 1, migrationThreshold: 1_000_000, lastFailureSec: EXAMPLE_NOW_SEC - 50 },
    ]);
    expect(s.bans).toEqual([{ id: 'cli-ban-vip-on-n2', resource: 'vip', node: 'n2', score: -1_000_000, promotedOnly: false }]);
  });

  it('takes DC, quorum and membership from the live view over the CIB', () => {
    const s = clusterStatus(parseCib(demoClusterCib()), {
      nowSec: EXAMPLE_NOW_SEC,
      dc: 'n2',
      quorate: false,
      membership: ['n1', 'n2'],
    });
    expect(s.summary.dc?.name).toBe('n2');
    expect(s.summary.quorate).toBe(false);
    expect(s.nodes.filter((n) => n.isDc).map((n) => n.name)).toEqual(['n2']);
    expect(s.nodes.map((n) => n.member)).toEqual([true, true, false, false]);
    expect(renderStatusText(s)).toContain('  * Current DC: n2 (version unknown) - partition WITHOUT quorum\n');
  });

  it('drops a fail count once failure-timeout has passed since the last failure', () => {
    const xml = exampleCib({
      nodes: [
        {
          name: 'a',
          transient: { 'fail-count-svc#start_0': '3', 'last-failure-svc#start_0': String(EXAMPLE_NOW_SEC - 100) },
          lrm: lrmResource('svc', [op({ rsc: 'svc', task: 'start', callId: 1, node: 'a' })]),
        },
      ],
      resources: primitive('svc', { meta: { 'failure-timeout': '60s', 'migration-threshold': '3' } }),
    });
    const before = clusterStatus(parseCib(xml), { nowSec: EXAMPLE_NOW_SEC - 50 });
    expect(before.failCounts).toEqual([
      { node: 'a', resource: 'svc', failCount: 3, migrationThreshold: 3, lastFailureSec: EXAMPLE_NOW_SEC - 100 },
    ]);
    const after = clusterStatus(parseCib(xml), { nowSec: EXAMPLE_NOW_SEC });
    expect(after.failCounts).toEqual([]);
    expect(renderStatusText(after)).toContain('Migration Summary:\n');
    expect(renderStatusText(after)).not.toContain('fail-count=');
  });

  it('reports one fail count per node for an anonymous clone, under its configured id', () => {
    const xml = exampleCib({
      nodes: [
        { name: 'a', transient: { 'fail-count-pr#monitor_10000': '2' }, lrm: lrmResource('pr', [op({ rsc: 'pr', task: 'start', callId: 1, node: 'a' })]) },
        { name: 'b', lrm: lrmResource('pr', [op({ rsc: 'pr', task: 'start', callId: 1, node: 'b' })]) },
      ],
      resources: `<clone id="pr-clone">${primitive('pr')}</clone>`,
    });
    const s = clusterStatus(parseCib(xml), { nowSec: EXAMPLE_NOW_SEC });
    expect(s.failCounts).toEqual([{ node: 'a', resource: 'pr', failCount: 2, migrationThreshold: 1_000_000 }]);
  });

  it('reports no DC and an empty resource list plainly', () => {
    const s = clusterStatus(parseCib(exampleCib({ nodes: [{ name: 'solo' }], resources: '', quorum: false })), { nowSec: EXAMPLE_NOW_SEC });
    expect(s.summary.dc).toBeNull();
    const text = renderStatusText(s);
    expect(text).toContain('  * Current DC: NONE\n');
    expect(text).toContain('Full List of Resources:\n  * No resources\n');
    expect(text).toContain('  * 1 node configured\n  * 0 resource instances configured\n');
  });
});

describe('renderers', () => {
  it('prints times and durations the way crm_mon does', () => {
    expect(formatTime(Date.UTC(2012, 2, 2, 5, 46, 23) / 1000)).toBe('Fri Mar  2 05:46:23 2012');
    expect(formatTime(Date.UTC(2038, 0, 19, 3, 14, 8) / 1000)).toBe('Tue Jan 19 03:14:08 2038');
    expect([40, 1000, 30_160, 90_009, 3_600_000, 7_380_500].map(durationText)).toEqual(['40ms', '1s', '30.160s', '1m30.009s', '1h', '2h3m0.500s']);
  });

  it('prints the text layout of crm_mon -1 -r -f -A', () => {
    expect(renderStatusText(demo())).toBe(
      [
        'Cluster Summary:',
        '  * Stack: vigil',
        '  * Current DC: n1 (version unknown) - partition with quorum',
        '  * Last updated: Tue Nov 14 22:13:20 2023 on n1',
        '  * Last change:  Tue Nov 14 22:13:20 2023 by root via cibadmin on n1',
        '  * 4 nodes configured',
        '  * 8 resource instances configured (1 DISABLED)',
        '',
        'Node List:',
        '  * Node n3: standby',
        '  * Online: [ n1 n2 ]',
        '  * OFFLINE: [ n4 ]',
        '',
        'Full List of Resources:',
        '  * vip\t(ocf:heartbeat:IPaddr2):\t Started n1',
        '  * Resource Group: web:',
        '    * web-ip\t(ocf:heartbeat:IPaddr2):\t Started n2',
        '    * web-app\t(ocf:heartbeat:Dummy):\t FAILED n2',
        '  * Clone Set: db-clone [db] (promotable):',
        '    * Promoted: [ n1 ]',
        '    * Unpromoted: [ n2 ]',
        '    * Stopped: [ n3 n4 ]',
        '  * idle\t(ocf:heartbeat:Dummy):\t Stopped (disabled)',
        '',
        'Node Attributes:',
        '  * Node: n1:',
        `    * ${'master-db'.padEnd(32)}\t: ${'10'.padEnd(10)}`,
        '  * Node: n2:',
        `    * ${'master-db'.padEnd(32)}\t: ${'5'.padEnd(10)}`,
        '',
        'Migration Summary:',
        '  * Node: n2:',
        "    * web-app: migration-threshold=1000000 fail-count=1 last-failure='Tue Nov 14 22:12:30 2023'",
        '',
        'Failed Resource Actions:',
        "  * web-app 10s-interval monitor on n2 returned 'not running' (pid file vanished) at Tue Nov 14 22:12:30 2023 after 40ms",
        '',
      ].join('\n'),
    );
  });

  it('prints JSON that parses back to the same model', () => {
    const s = demo();
    const parsed = JSON.parse(renderStatus(s, 'json')) as ClusterStatus;
    expect(parsed).toEqual(s);
    expect(parsed.formatVersion).toBe(1);
  });

  it('escapes markup in ids and reasons in the XML', () => {
    const xml = exampleCib({
      nodes: [
        {
          name: 'a',
          lrm: lrmResource('svc', [op({ rsc: 'svc', task: 'start', rc: 1, callId: 1, node: 'a', exitReason: 'bad &quot;conf&quot; &lt;x&gt;' })]),
        },
      ],
      resources: primitive('svc'),
    });
    const out = renderStatusXml(clusterStatus(parseCib(xml), { nowSec: EXAMPLE_NOW_SEC }));
    expect(out).toContain('exitreason="bad &quot;conf&quot; &lt;x&gt;"');
  });
});

const schema = newestCrmMonSchema();
const canValidate = schema !== undefined && hasCommand('xmllint') && existsSync(join(API_DIR, 'status-2.0.rng'));

describe.skipIf(!canValidate)('XML output against Pacemaker crm_mon schema (needs xmllint and pacemaker-common)', () => {
  // crm_mon's schema describes the children of <pacemaker-result>; wrap it the way api-result-*.rng does.
  const wrapper = join(tmp, 'crm_mon-result.rng');
  writeFileSync(
    wrapper,
    `<grammar xmlns="http://relaxng.org/ns/structure/1.0"><start><element name="pacemaker-result">
       <attribute name="api-version"><text/></attribute><attribute name="request"><text/></attribute>
       <externalRef href="${schema}"/><externalRef href="${join(API_DIR, 'status-2.0.rng')}"/>
     </element></start></grammar>`,
  );
  const validate = (files: string[]): { ok: boolean; out: string } => {
    const r = spawnSync('xmllint', ['--noout', '--relaxng', wrapper, ...files], { encoding: 'utf8', timeout: 120_000 });
    return { ok: r.status === 0, out: r.stderr };
  };

  it('validates for the demo cluster, and a document missing a required attribute does not', () => {
    const good = join(tmp, 'demo.xml');
    writeFileSync(good, renderStatusXml(demo()));
    expect(validate([good])).toEqual({ ok: true, out: `${good} validates\n` });
    const bad = join(tmp, 'bad.xml');
    writeFileSync(bad, renderStatusXml(demo()).replace(/ is_dc="(true|false)"/g, ''));
    expect(validate([bad]).ok).toBe(false);
  });

  it.skipIf(!existsSync(CTS_DIR))('validates for every fifth Pacemaker scheduler regression CIB', () => {
    const files = readdirSync(CTS_DIR)
      .filter((f) => f.endsWith('.xml'))
      .sort()
      .filter((_, i) => i % 5 === 0);
    expect(files.length).toBeGreaterThan(50);
    const outs = files.map((f) => {
      const out = join(tmp, `cts-${f}`);
      const cib = parseCib(readFileSync(join(CTS_DIR, f), 'utf8'), { source: f });
      writeFileSync(out, renderStatusXml(clusterStatus(cib, { nowSec: EXAMPLE_NOW_SEC })));
      return out;
    });
    const r = validate(outs);
    expect(r.out.split('\n').filter((l) => l && !l.endsWith(' validates'))).toEqual([]);
    expect(r.ok).toBe(true);
  });
});

/** Node List through the resource list, as both tools print them, without trailing blanks. */
function listSections(text: string): string {
  const lines = text.split('\n');
  const start = lines.indexOf('Node List:');
  const end = lines.findIndex((l, i) => i > start && /^(Node Attributes|Migration Summary|Failed Resource Actions|Tickets):/.test(l));
  return lines
    .slice(start, end < 0 ? undefined : end)
    .map((l) => l.trimEnd())
    .join('\n')
    .trimEnd();
}

// Cases chosen for variety (groups, clones, promotable, failures, standby, unmanaged, tickets, pending operations),
// all of which Vigil's scheduler unpacks the way Pacemaker does.
const CRM_MON_CASES = [
  'cloned-group-stop.xml',
  'group-anticolocation.xml',
  'group-unmanaged.xml',
  'ticket-group-2.xml',
  'stopped-monitor-08.xml',
  'colocate-unmanaged-group.xml',
  'anti-colocation-promoted.xml',
  'group-fail.xml',
  'ticket-clone-9.xml',
  'multiple-monitor-one-failed.xml',
  'clone-recover-no-shuffle-4.xml',
  'promoted-group.xml',
  'cloned_start_one.xml',
  'bug-5025-2.xml',
  'bug-lf-2574.xml',
  // Operations in flight: "Starting n1", "Started n1 (Monitoring)".
  '696.xml',
  'mon-rsc-4.xml',
  'params-3.xml',
  // A failed instance of an anonymous cloned group, named by configured ids.
  'clone-anon-failcount.xml',
  // Resources on a node that must be fenced: "Started n1 (UNCLEAN)".
  '829.xml',
  'stonith-1.xml',
];

/** The "Failed Resource Actions" section as both tools print it. */
function failedSection(text: string): string {
  const lines = text.split('\n');
  const start = lines.indexOf('Failed Resource Actions:');
  if (start < 0) return '';
  const end = lines.findIndex((l, i) => i > start && /^\S/.test(l));
  return lines
    .slice(start, end < 0 ? undefined : end)
    .map((l) => l.trimEnd())
    .join('\n')
    .trimEnd();
}

// Failures of every kind: agent errors with and without exit reasons, probes,
// recurring monitors, timeouts, migrations, times with a padded day, long runs.
const FAILURE_CASES = [
  'monitor-onfail-restart.xml',
  'bug-5028.xml',
  'promoted-demote-block.xml',
  'rec-rsc-0.xml',
  'migrate-3.xml',
  'unmanaged-stop-2.xml',
  'bug-suse-707150.xml',
  'migration-ping-pong.xml',
  'year-2038.xml',
  'bug-5025-2.xml',
  'multiple-monitor-one-failed.xml',
  'whitebox-fail3.xml',
  'remote-partial-migrate.xml',
];

describe.skipIf(!hasCommand('crm_mon'))('text output against Pacemaker crm_mon (needs pacemaker-cli-utils)', () => {
  const crmMon = (cibFile: string): string =>
    execFileSync('crm_mon', ['-1', '-r'], { env: { ...process.env, CIB_file: cibFile }, encoding: 'utf8', timeout: 60_000 });

  it('lists nodes and resources as crm_mon does for the demo cluster', () => {
    const file = join(tmp, 'demo-cib.xml');
    writeFileSync(file, demoClusterCib());
    expect(listSections(renderStatusText(demo()))).toBe(listSections(crmMon(file)));
  });

  it.skipIf(!existsSync(CTS_DIR))('lists nodes and resources as crm_mon does for scheduler regression CIBs', () => {
    for (const f of CRM_MON_CASES) {
      // crm_mon reads CIB_file read-write; give it a copy.
      const file = join(tmp, f);
      writeFileSync(file, readFileSync(join(CTS_DIR, f)));
      const ours = renderStatusText(clusterStatus(parseCib(readFileSync(file, 'utf8'), { source: f }), { nowSec: EXAMPLE_NOW_SEC }));
      expect(`${f}\n${listSections(ours)}`).toBe(`${f}\n${listSections(crmMon(file))}`);
    }
  });

  it.skipIf(!existsSync(CTS_DIR))('writes the same <resources> XML as crm_mon --output-as=xml', () => {
    const resourcesXml = (xml: string): string => /\n {2}<resources>[\s\S]*?\n {2}<\/resources>|\n {2}<resources\/>/.exec(xml)?.[0] ?? '(none)';
    // In these Pacemaker lists extra stopped (or orphaned) clone instances that the scheduler does not keep.
    const fewerInstances = ['clone-anon-failcount.xml', 'stonith-1.xml'];
    for (const f of CRM_MON_CASES.filter((c) => !fewerInstances.includes(c))) {
      const file = join(tmp, f);
      writeFileSync(file, readFileSync(join(CTS_DIR, f)));
      const ours = renderStatusXml(clusterStatus(parseCib(readFileSync(file, 'utf8'), { source: f }), { nowSec: EXAMPLE_NOW_SEC }));
      const theirs = execFileSync('crm_mon', ['-1', '-r', '--output-as=xml'], { env: { ...process.env, CIB_file: file }, encoding: 'utf8', timeout: 60_000 });
      expect(resourcesXml(ours)).toContain('<resource id=');
      expect(`${f}${resourcesXml(ours)}`).toBe(`${f}${resourcesXml(theirs)}`);
    }
  });

  it.skipIf(!existsSync(CTS_DIR))('lists failed actions as crm_mon does', () => {
    for (const f of FAILURE_CASES) {
      const file = join(tmp, f);
      writeFileSync(file, readFileSync(join(CTS_DIR, f)));
      const ours = failedSection(renderStatusText(clusterStatus(parseCib(readFileSync(file, 'utf8'), { source: f }), { nowSec: EXAMPLE_NOW_SEC })));
      expect(ours).not.toBe('');
      expect(`${f}\n${ours}`).toBe(`${f}\n${failedSection(crmMon(file))}`);
    }
  });
});
