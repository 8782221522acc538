import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalCluster, demoCib, freePorts, until } from './testing/local-cluster.js';

/**
 * End to end: three `vigil daemon` processes on loopback, driven through the
 * HTTP API the CLI uses. The daemons run the built dist/, so it is rebuilt
 * first.
 */
const repo = resolve(import.meta.dirname, '../../..');
const realDummy = existsSync('/usr/lib/ocf/resource.d/pacemaker/Dummy');

beforeAll(() => {
  const tsc = createRequire(join(repo, 'package.json')).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-b', join(repo, 'packages/cli')], { stdio: 'inherit' });
}, 300_000);

async function http(port: number): Promise<string | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1_000) });
    return res.ok ? res.text() : undefined;
  } catch {
    return undefined;
  }
}

describe.sequential('a three-node cluster of daemons', () => {
  let cluster: LocalCluster;
  let httpPort: number;
  const where = async (id: string, role?: string): Promise<string[]> => LocalCluster.nodesOf(await cluster.status(), id, role);
  const settle = (what: string, fn: () => Promise<boolean>): Promise<boolean> => until(what, async () => ((await fn()) ? true : undefined), 60_000, 100);
  const post = async (path: string, body: object = {}): Promise<void> => {
    const res = await cluster.request('POST', path, { body });
    expect(res.status, await res.clone().text()).toBe(200);
  };

  beforeAll(async () => {
    cluster = await LocalCluster.start({ nodes: 3 });
    [httpPort] = (await freePorts(1)) as [number];
    await cluster.configure(demoCib(cluster, { httpPort, stickiness: 100 }));
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  it('starts the group on one node and promotes one db instance', async () => {
    await settle('web running, db promoted once and running everywhere', async () => (await where('http')).length === 1 && (await where('db', 'Promoted')).length === 1 && (await where('db')).length === 3);
    const st = await cluster.status();
    expect(LocalCluster.nodesOf(st, 'vip')).toEqual(LocalCluster.nodesOf(st, 'http'));
    expect(LocalCluster.nodesOf(st, 'db', 'Unpromoted')).toHaveLength(2);
    expect(await until('the HTTP service', () => http(httpPort), 30_000)).toMatch(/served by n\d/);
  }, 90_000);

  it('recovers the group on a survivor after SIGKILL, fencing the lost node first', async () => {
    const [victim] = await where('http');
    await cluster.kill(victim!, 'SIGKILL');
    const survivor = cluster.nodes.find((n) => n.name !== victim)!.name;
    await settle('web on a survivor', async () => {
      const w = LocalCluster.nodesOf(await cluster.status(survivor), 'http');
      return w.length === 1 && w[0] !== victim;
    });
    const events = cluster.nodes.filter((n) => n.name !== victim).flatMap((n) => cluster.events(n.name));
    const fenced = events.find((e) => e.msg === 'fencing' && e['target'] === victim && e['ok'] === true);
    const restarted = events.filter((e) => e.msg === 'resource result' && e['resource'] === 'vip' && e['task'] === 'start' && e['node'] !== victim);
    expect(fenced, 'the lost node was fenced').toBeDefined();
    expect(restarted.length).toBeGreaterThan(0);
    expect(fenced!.time).toBeLessThanOrEqual(restarted.at(-1)!.time);
    expect(await until('the HTTP service again', () => http(httpPort), 30_000)).toMatch(/served by/);

    // The killed node comes back; stickiness keeps the group where it is.
    const movedTo = (await where('http', undefined))[0]!;
    cluster.startNode(victim!);
    await settle(`${victim} online`, async () => (await cluster.status(survivor)).nodes.some((n) => n.name === victim && n.online));
    await settle('db running on all three again', async () => (await where('db')).length === 3);
    expect(await where('http')).toEqual([movedTo]);
  }, 120_000);

  it('standby moves resources away and online lets them back', async () => {
    const [node] = await where('http');
    await post(`/nodes/${node}/standby`);
    await settle('web off the standby node', async () => {
      const w = await where('http');
      return w.length === 1 && w[0] !== node;
    });
    expect((await cluster.status()).nodes.find((n) => n.name === node)?.standby).toBe(true);
    await post(`/nodes/${node}/online`);
    await settle('db back on the node', async () => (await where('db')).includes(node!));
  }, 90_000);

  it('move, ban and clear', async () => {
    const [from] = await where('http');
    const to = cluster.nodes.map((n) => n.name).find((n) => n !== from)!;
    await post('/resources/web/move', { node: to });
    await settle(`web on ${to}`, async () => (await where('http'))[0] === to);
    await post('/resources/web/ban', { node: to });
    await settle(`web off ${to}`, async () => {
      const w = await where('http');
      return w.length === 1 && w[0] !== to;
    });
    const cib = await (await cluster.request('GET', '/cib')).text();
    expect(cib).toMatch(/cli-ban-web-on-/);
    await post('/resources/web/clear');
    const after = await (await cluster.request('GET', '/cib')).text();
    expect(after).not.toMatch(/cli-ban-web|cli-prefer-web/);
  }, 90_000);

  it('restarts a group in place', async () => {
    const [node] = await where('http');
    const startsBefore = cluster.nodes.flatMap((n) => cluster.events(n.name)).filter((e) => e.msg === 'resource result' && e['resource'] === 'http' && e['task'] === 'start').length;
    await post('/resources/web/restart');
    await settle('web running again', async () => (await where('http')).length === 1);
    expect(await where('http')).toEqual([node]);
    const startsAfter = cluster.nodes.flatMap((n) => cluster.events(n.name)).filter((e) => e.msg === 'resource result' && e['resource'] === 'http' && e['task'] === 'start').length;
    expect(startsAfter).toBeGreaterThan(startsBefore);
    expect(await (await cluster.request('GET', '/cib')).text()).not.toMatch(/name="target-role" value="Stopped"/);
  }, 90_000);

  it('switches the promoted db instance over through the API', async () => {
    const [primary] = await where('db', 'Promoted');
    const target = cluster.nodes.map((n) => n.name).find((n) => n !== primary)!;
    await post('/resources/db-clone/promote-on', { node: target });
    await settle(`db promoted on ${target}`, async () => {
      const p = await where('db', 'Promoted');
      return p.length === 1 && p[0] === target;
    });
    // The health endpoint an haproxy httpchk uses: 200 only on the primary.
    const port = (name: string): number => cluster.node(name).port;
    const health = (name: string): Promise<number> =>
      fetch(`http://127.0.0.1:${port(name)}/health/resource/db-clone?role=Promoted`).then((r) => r.status);
    expect(await health(target)).toBe(200);
    expect(await health(primary!)).toBe(503);
  }, 90_000);

  it('takes a configuration change through a node that is not the DC', async () => {
    const dc = (await cluster.status()).summary.dc!.name;
    const other = cluster.nodes.find((n) => n.name !== dc && n.proc)!.name;
    const res = await cluster.request('PUT', '/cib/properties/batch-limit', { node: other, body: { value: '10' } });
    expect(res.status).toBe(200);
    for (const n of cluster.nodes) {
      await settle(`the property on ${n.name}`, async () => /name="batch-limit" value="10"/.test(await (await cluster.request('GET', '/cib', { node: n.name })).text()));
    }
  }, 60_000);

  it('fences a node on request and keeps the fencing history', async () => {
    const st = await cluster.status();
    const dc = st.summary.dc!.name;
    const web = LocalCluster.nodesOf(st, 'http')[0];
    const target = cluster.nodes.map((n) => n.name).find((n) => n !== dc && n !== web)!;
    const res = await cluster.request('POST', `/fencing/${target}`, { node: dc, body: { action: 'off' } });
    expect(res.status, await res.clone().text()).toBe(200);
    await until(`${target}'s daemon gone`, () => (cluster.node(target).proc === null ? true : undefined), 30_000);
    const history = (await (await cluster.request('GET', '/fencing/history', { node: dc })).json()) as { target: string; state: string }[];
    expect(history.some((h) => h.target === target && h.state === 'success')).toBe(true);
    // Asking a node that is not the DC is refused with where to go instead.
    const other = cluster.nodes.find((n) => n.name !== dc && n.proc)!.name;
    const refused = await cluster.request('POST', `/fencing/${dc}`, { node: other, body: {} });
    expect(refused.status).toBe(503);
    expect(await refused.text()).toMatch(new RegExp(`ask ${dc}`));
    cluster.startNode(target);
    await settle(`${target} back`, async () => (await cluster.status(dc)).nodes.some((n) => n.name === target && n.online));
  }, 90_000);

  it('refuses bad input with a clear error and applies nothing', async () => {
    const before = await (await cluster.request('GET', '/cib')).text();
    const version = (xml: string): string => /<cib[^>]* epoch="(\d+)"/.exec(xml)![1]!;

    const broken = await cluster.request('PUT', '/cib', { body: '<cib><configuration><resources><primitive id="x"' });
    expect(broken.status).toBe(400);
    expect(await broken.text()).toMatch(/request body/);

    const stale = await cluster.request('PUT', '/cib', { body: before, headers: { 'if-match': '"0.1.0"' } });
    expect(stale.status).toBe(409);

    const unknown = await cluster.request('POST', '/resources/no-such-rsc/stop', { body: {} });
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toMatch(/no-such-rsc/);

    const token = await cluster.request('GET', '/cib', { token: 'wrong' });
    expect(token.status).toBe(401);

    expect(version(await (await cluster.request('GET', '/cib')).text())).toBe(version(before));
  }, 60_000);
});

describe.skipIf(!realDummy).sequential('real OCF agents in the running cluster (ocf:pacemaker:Dummy)', () => {
  let cluster: LocalCluster;

  beforeAll(async () => {
    cluster = await LocalCluster.start({ nodes: 3 });
    const nodes = cluster.config.nodes.map((n) => `<node id="${n.id}" uname="${n.name}"/>`).join('');
    await cluster.configure(`<cib admin_epoch="0" epoch="1" num_updates="0" validate-with="pacemaker-3.9"><configuration>
      <crm_config><cluster_property_set id="o"><nvpair id="o1" name="fencing-enabled" value="false"/></cluster_property_set></crm_config>
      <nodes>${nodes}</nodes>
      <resources><primitive id="app" class="ocf" provider="pacemaker" type="Dummy">
        <operations><op id="app-mon" name="monitor" interval="1s" timeout="10s"/></operations>
      </primitive></resources><constraints/></configuration><status/></cib>`);
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  it('keeps agents of different daemons apart and recovers a failed monitor in place', async () => {
    const node = await until('app running', async () => LocalCluster.nodesOf(await cluster.status(), 'app')[0], 60_000, 100);
    // ocf:pacemaker:Dummy keeps its state file in HA_VARRUN: each daemon has its own.
    const runDir = join(cluster.node(node).stateDir, 'agents', 'run');
    const stateFiles = readdirSync(runDir).filter((f) => f.startsWith('Dummy-app'));
    expect(stateFiles.length).toBe(1);
    for (const other of cluster.nodes.filter((n) => n.name !== node)) {
      const dir = join(other.stateDir, 'agents', 'run');
      expect(existsSync(dir) ? readdirSync(dir).filter((f) => f.startsWith('Dummy-app')) : []).toEqual([]);
    }
    // Make the monitor fail: the resource "died" behind the cluster's back.
    rmSync(join(runDir, stateFiles[0]!));
    await until(
      'a recorded failure and recovery in place',
      async () => {
        const st = await cluster.status();
        const fc = st.failCounts.find((f) => f.resource === 'app' || f.resource.startsWith('app'));
        const at = LocalCluster.nodesOf(st, 'app');
        return fc && fc.failCount >= 1 && at.length === 1 && at[0] === node && existsSync(join(runDir, stateFiles[0]!)) ? true : undefined;
      },
      60_000,
      100,
    );
  }, 120_000);
});

describe.sequential('fencing that fails blocks recovery', () => {
  let cluster: LocalCluster;

  beforeAll(async () => {
    cluster = await LocalCluster.start({ nodes: 3 });
    const [httpPort, deadBmcPort] = (await freePorts(2)) as [number, number];
    // A real IPMI device pointed at a loopback port where no BMC listens:
    // every fencing attempt fails.
    const cib = demoCib(cluster, { httpPort }).replace('<nvpair id="opt-fencing" name="fencing-enabled" value="true"/>', '<nvpair id="opt-fencing" name="fencing-enabled" value="true"/><nvpair id="opt-fto" name="fencing-timeout" value="5s"/>').replace(
      /<primitive id="fence-local"[\s\S]*?<\/primitive>/,
      `<primitive id="fence-bmc" class="stonith" type="ipmi"><instance_attributes id="fence-bmc-ia">
        <nvpair id="fb-ip" name="ip" value="127.0.0.1"/><nvpair id="fb-port" name="ipport" value="${deadBmcPort}"/>
        <nvpair id="fb-user" name="username" value="admin"/><nvpair id="fb-pass" name="password" value="secret"/>
        <nvpair id="fb-hosts" name="pcmk_host_list" value="n1 n2 n3"/><nvpair id="fb-timeout" name="attempt_timeout" value="200"/>
      </instance_attributes></primitive>`,
    );
    await cluster.configure(cib);
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  it('never starts the lost node\'s resources elsewhere while fencing fails', async () => {
    const victim = await until('web running', async () => LocalCluster.nodesOf(await cluster.status(), 'http')[0], 60_000, 100);
    await cluster.kill(victim, 'SIGKILL');
    const survivors = cluster.nodes.filter((n) => n.name !== victim).map((n) => n.name);
    await until(
      'a failed fencing attempt',
      async () => (survivors.flatMap((s) => cluster.events(s)).some((e) => e.msg === 'fencing' && e['target'] === victim && e['ok'] === false) ? true : undefined),
      60_000,
      100,
    );
    // Give recovery every chance to (wrongly) happen, then check it did not.
    const deadline = Date.now() + 8_000;
    while (Date.now() < deadline) {
      const st = await cluster.status(survivors[0]);
      const elsewhere = LocalCluster.nodesOf(st, 'http').filter((n) => n !== victim);
      expect(elsewhere, 'web must not start while its old node is not fenced').toEqual([]);
      await new Promise((r) => setTimeout(r, 250));
    }
    const st = await cluster.status(survivors[0]);
    expect(st.nodes.find((n) => n.name === victim)?.unclean).toBe(true);

    // The history shows the failed attempts; an operator who has checked
    // that the node is down confirms it, and recovery proceeds.
    const dc = st.summary.dc!.name;
    const history = (await (await cluster.request('GET', '/fencing/history', { node: dc })).json()) as { target: string; state: string }[];
    expect(history.some((h) => h.target === victim && h.state === 'failed')).toBe(true);
    const cli = execFileSync(process.execPath, [join(repo, 'packages/cli/bin/vigil.js'), 'fence', 'confirm', victim, '--config', cluster.configFile], { encoding: 'utf8' });
    expect(cli).toMatch(new RegExp(`${victim} recorded as fenced`));
    await until(
      'web on a survivor after the confirmation',
      async () => {
        const w = LocalCluster.nodesOf(await cluster.status(survivors[0]), 'http');
        return w.length === 1 && w[0] !== victim ? true : undefined;
      },
      60_000,
      100,
    );
  }, 180_000);
});

describe.sequential('leaving the cluster', () => {
  let cluster: LocalCluster;
  let httpPort: number;

  beforeAll(async () => {
    cluster = await LocalCluster.start({ nodes: 3 });
    [httpPort] = (await freePorts(1)) as [number];
    await cluster.configure(demoCib(cluster, { httpPort }));
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  it('SIGTERM moves a node\'s resources away before it leaves, without fencing it', async () => {
    const node = await until('web running', async () => LocalCluster.nodesOf(await cluster.status(), 'http')[0], 60_000, 100);
    const other = cluster.nodes.find((n) => n.name !== node)!.name;
    await cluster.kill(node, 'SIGTERM', 90_000);
    const st = await cluster.status(other);
    const moved = LocalCluster.nodesOf(st, 'http');
    expect(moved).toHaveLength(1);
    expect(moved[0]).not.toBe(node);
    expect(st.nodes.find((n) => n.name === node)?.unclean).toBe(false);
    const fenced = cluster.nodes.flatMap((n) => cluster.events(n.name)).some((e) => e.msg === 'fencing' && e['target'] === node);
    expect(fenced, 'a clean shutdown is not fenced').toBe(false);
    expect(await until('HTTP after the move', () => http(httpPort), 30_000)).toMatch(/served by/);
  }, 120_000);

  it('a node left without quorum stops what it runs (no-quorum-policy=stop)', async () => {
    const live = cluster.nodes.filter((n) => n.proc).map((n) => n.name);
    const web = LocalCluster.nodesOf(await cluster.status(live[0]), 'http')[0]!;
    const other = live.find((n) => n !== web)!;
    await cluster.kill(other, 'SIGKILL');
    await until('the HTTP service to stop', async () => ((await http(httpPort)) === undefined ? true : undefined), 60_000, 100);
    expect(cluster.events(web).some((e) => e.msg === 'quorum lost' && e['policy'] === 'stop')).toBe(true);
  }, 120_000);
});

describe.sequential('watchdog fencing (stonith-watchdog-timeout, no fence device)', () => {
  let cluster: LocalCluster;
  let httpPort: number;

  beforeAll(async () => {
    cluster = await LocalCluster.start({ nodes: 3 });
    [httpPort] = (await freePorts(1)) as [number];
    const cib = demoCib(cluster, { httpPort })
      .replace(/<primitive id="fence-local"[\s\S]*?<\/primitive>/, '')
      .replace('<nvpair id="opt-fencing" name="fencing-enabled" value="true"/>', '<nvpair id="opt-fencing" name="fencing-enabled" value="true"/><nvpair id="opt-wd" name="stonith-watchdog-timeout" value="8s"/>');
    await cluster.configure(cib);
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  it('recovers a lost node\'s resources only after the watchdog timeout has passed', async () => {
    const victim = await until('web running', async () => LocalCluster.nodesOf(await cluster.status(), 'http')[0], 60_000, 100);
    await until('watchdogs armed', () => (cluster.nodes.every((n) => cluster.events(n.name).some((e) => /watchdog armed/.test(e.msg))) ? true : undefined), 30_000, 100);
    const killedAt = Date.now();
    await cluster.kill(victim, 'SIGKILL');
    const survivor = cluster.nodes.find((n) => n.name !== victim)!.name;
    await until(
      'web on a survivor',
      async () => {
        const w = LocalCluster.nodesOf(await cluster.status(survivor), 'http');
        return w.length === 1 && w[0] !== victim ? true : undefined;
      },
      60_000,
      100,
    );
    const started = cluster.nodes
      .filter((n) => n.name !== victim)
      .flatMap((n) => cluster.events(n.name))
      .find((e) => e.msg === 'resource result' && e['resource'] === 'http' && e['task'] === 'start' && e.time > killedAt);
    expect(started).toBeDefined();
    expect(started!.time - killedAt).toBeGreaterThanOrEqual(8_000);
  }, 120_000);
});
