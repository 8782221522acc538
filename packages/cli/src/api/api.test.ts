import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { diffCib, parseCib, patchToXml, serializeCib, serializeXml, withVersion } from '@vigil/cib';
import { CrmError } from '@vigil/crm';
import { clusterStatus, type ClusterStatus } from '../status/index.js';
import { demoClusterCib, EXAMPLE_NOW_SEC } from '../testing/example-cib.js';
import { API_ERRORS, applyProperty, buildApi, serveApi, createMetrics, MemoryClusterHandle, tokenMatches, type ApiOptions, type ClusterHandle } from './index.js';

const TOKEN = 's3cret-token-for-tests';
const auth = { authorization: `Bearer ${TOKEN}` };

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

function memoryHandle(nodeName = 'n1', cibXml = demoClusterCib()): MemoryClusterHandle {
  return new MemoryClusterHandle(parseCib(cibXml), { nodeName, nowSec: () => EXAMPLE_NOW_SEC });
}

async function api(handle: ClusterHandle, opts: Partial<ApiOptions> = {}): Promise<FastifyInstance> {
  const app = await buildApi(handle, { token: TOKEN, ...opts });
  apps.push(app);
  return app;
}

async function setup(nodeName = 'n1', opts: Partial<ApiOptions> = {}) {
  const handle = memoryHandle(nodeName);
  return { handle, app: await api(handle, opts) };
}

const statusOf = (h: MemoryClusterHandle): ClusterStatus => clusterStatus(h.cib, { nowSec: EXAMPLE_NOW_SEC });

describe('authentication', () => {
  it('refuses a missing or wrong token with 401 and a JSON error, and does nothing', async () => {
    const { handle, app } = await setup();
    const before = handle.cib;
    for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: `Basic ${TOKEN}` }, { authorization: `Bearer ${TOKEN}x` }]) {
      const res = await app.inject({ method: 'POST', url: '/resources/vip/stop', headers, payload: {} });
      expect(res.statusCode).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="vigil"');
      expect(res.json().error.code).toBe('VIGIL_API_UNAUTHORIZED');
    }
    expect(handle.cib).toBe(before);
    expect(handle.log).toEqual([]);
    expect((await app.inject({ url: '/status', headers: { authorization: 'Bearer nope' } })).statusCode).toBe(401);
    expect((await app.inject({ url: '/status', headers: auth })).statusCode).toBe(200);
  });

  it('serves health without a token by default and /metrics only with one', async () => {
    const { app } = await setup();
    expect((await app.inject({ url: '/health/live' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/health/resource/vip' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/metrics' })).statusCode).toBe(401);
    expect((await app.inject({ url: '/metrics', headers: auth })).statusCode).toBe(200);
  });

  it('can close health and open metrics', async () => {
    const { app } = await setup('n1', { publicHealth: false, publicMetrics: true });
    expect((await app.inject({ url: '/health/live' })).statusCode).toBe(401);
    expect((await app.inject({ url: '/health/live', headers: auth })).statusCode).toBe(200);
    expect((await app.inject({ url: '/metrics' })).statusCode).toBe(200);
  });

  it('will not build with an empty token', async () => {
    await expect(buildApi(memoryHandle(), { token: '' })).rejects.toThrow(/empty bearer token/);
  });

  it('compares tokens by content only', () => {
    expect(tokenMatches('abc', 'abc')).toBe(true);
    expect(tokenMatches('abd', 'abc')).toBe(false);
    expect(tokenMatches('abcd', 'abc')).toBe(false);
    expect(tokenMatches('', 'abc')).toBe(false);
  });
});

describe('status', () => {
  it('answers the status model as JSON, text or crm_mon XML', async () => {
    const { handle, app } = await setup();
    const json = await app.inject({ url: '/status', headers: auth });
    expect(json.headers['content-type']).toMatch(/^application\/json/);
    const expected = clusterStatus(handle.cib, { nowSec: EXAMPLE_NOW_SEC, nodeName: 'n1', quorate: true, dc: 'n1' });
    expect(json.json()).toEqual(JSON.parse(JSON.stringify(expected)));

    const text = await app.inject({ url: '/status?output=text', headers: auth });
    expect(text.headers['content-type']).toMatch(/^text\/plain/);
    expect(text.body).toMatch(/^Cluster Summary:\n {2}\* Stack: vigil\n {2}\* Current DC: n1 \(version unknown\) - partition with quorum\n/);
    expect(text.body).toContain('    * web-app\t(ocf:heartbeat:Dummy):\t FAILED n2\n');

    const xml = await app.inject({ url: '/status?output=xml', headers: auth });
    expect(xml.headers['content-type']).toMatch(/^application\/xml/);
    expect(xml.body).toMatch(/^<pacemaker-result api-version="2\.25" request="GET \/status\?output=xml">/);

    const viaAccept = await app.inject({ url: '/status', headers: { ...auth, accept: 'text/plain' } });
    expect(viaAccept.body).toBe(text.body);
    expect((await app.inject({ url: '/status', headers: { ...auth, accept: 'application/xml' } })).headers['content-type']).toMatch(/^application\/xml/);
    expect((await app.inject({ url: '/status', headers: { ...auth, accept: '*/*' } })).headers['content-type']).toMatch(/^application\/json/);

    const bad = await app.inject({ url: '/status?output=yaml', headers: auth });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('VIGIL_API_BAD_REQUEST');
  });

  it('lists nodes and resources, and answers 404 naming an unknown one', async () => {
    const { app } = await setup();
    const nodes = (await app.inject({ url: '/nodes', headers: auth })).json() as { name: string }[];
    expect(nodes.map((n) => n.name)).toEqual(['n1', 'n2', 'n3', 'n4']);
    expect((await app.inject({ url: '/nodes/n3', headers: auth })).json()).toMatchObject({ name: 'n3', standby: true });
    expect((await app.inject({ url: '/resources/db-clone', headers: auth })).json()).toMatchObject({ kind: 'clone', promotable: true });
    expect((await app.inject({ url: '/resources/web-app', headers: auth })).json()).toMatchObject({ kind: 'primitive', failed: true });
    const missing = await app.inject({ url: '/resources/nosuch', headers: auth });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error).toMatchObject({ code: 'VIGIL_API_NOT_FOUND', id: 'nosuch' });
    expect((await app.inject({ url: '/nodes/n9', headers: auth })).statusCode).toBe(404);
  });
});

describe('CIB read and write', () => {
  it('reads the CIB as XML with its version as ETag', async () => {
    const { app } = await setup();
    const res = await app.inject({ url: '/cib', headers: auth });
    expect(res.statusCode).toBe(200);
    expect(res.headers.etag).toBe('"0.5.0"');
    expect(parseCib(res.body).version).toEqual({ adminEpoch: 0, epoch: 5, numUpdates: 0 });
  });

  it('replaces the CIB, moving the epoch past the current one', async () => {
    const { handle, app } = await setup();
    const next = demoClusterCib(5).replace('<primitive id="idle"', '<primitive id="extra" class="ocf" provider="heartbeat" type="Dummy"/><primitive id="idle"');
    const res = await app.inject({ method: 'PUT', url: '/cib', headers: { ...auth, 'content-type': 'application/xml' }, payload: next });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ cibVersion: { adminEpoch: 0, epoch: 6, numUpdates: 0 } });
    expect(res.headers.etag).toBe('"0.6.0"');
    expect(statusOf(handle).resources.map((r) => r.id)).toContain('extra');
  });

  it('refuses a CIB that does not parse, naming the element and id, and applies nothing', async () => {
    const { handle, app } = await setup();
    const before = serializeCib(handle.cib);
    const broken = demoClusterCib(9).replace('<primitive id="idle" class="ocf"', '<primitive id="idle" class="nosuchclass"');
    const res = await app.inject({ method: 'PUT', url: '/cib', headers: { ...auth, 'content-type': 'application/xml' }, payload: broken });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'VIGIL_API_INVALID_CIB', cause: 'VIGIL_CIB_UNKNOWN_CLASS', element: 'primitive', id: 'idle' });
    expect(res.json().error.message).toContain("primitive 'idle'");

    const notXml = await app.inject({ method: 'PUT', url: '/cib', headers: { ...auth, 'content-type': 'application/xml' }, payload: '<cib><configuration>' });
    expect(notXml.statusCode).toBe(400);
    expect(notXml.json().error).toMatchObject({ code: 'VIGIL_API_INVALID_CIB', cause: 'VIGIL_CIB_NOT_XML' });
    expect(serializeCib(handle.cib)).toBe(before);
    expect(handle.log).toEqual([]);
  });

  it('refuses a stale epoch and a mismatched If-Match with 409, applying nothing', async () => {
    const { handle, app } = await setup();
    const before = handle.cib;
    const xmlHeaders = { ...auth, 'content-type': 'application/xml' };
    const stale = await app.inject({ method: 'PUT', url: '/cib', headers: xmlHeaders, payload: demoClusterCib(3) });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().error).toMatchObject({ code: 'VIGIL_API_CONFLICT', field: 'epoch' });
    expect(stale.json().error.message).toContain('older than the current 0.5.0');

    const mismatch = await app.inject({ method: 'PUT', url: '/cib', headers: { ...xmlHeaders, 'if-match': '"0.4.0"' }, payload: demoClusterCib(7) });
    expect(mismatch.statusCode).toBe(409);
    const garbled = await app.inject({ method: 'PUT', url: '/cib', headers: { ...xmlHeaders, 'if-match': 'yesterday' }, payload: demoClusterCib(7) });
    expect(garbled.statusCode).toBe(400);
    expect(handle.cib).toBe(before);

    const ok = await app.inject({ method: 'PUT', url: '/cib', headers: { ...xmlHeaders, 'if-match': '"0.5.0"' }, payload: demoClusterCib(7) });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().cibVersion.epoch).toBe(8);
  });

  it('applies a Pacemaker patch whole, and refuses one made for another version', async () => {
    const { handle, app } = await setup();
    const headers = { ...auth, 'content-type': 'application/xml' };
    const from = handle.cib;
    const to = withVersion(applyProperty(from, 'cluster-name', 'lab'), { adminEpoch: 0, epoch: 6, numUpdates: 0 });
    const patch = serializeXml(patchToXml(diffCib(from, to)));
    const ok = await app.inject({ method: 'PATCH', url: '/cib', headers, payload: patch });
    expect(ok.statusCode).toBe(200);
    expect(serializeCib(handle.cib)).toContain('name="cluster-name" value="lab"');
    const before = handle.cib;
    const again = await app.inject({ method: 'PATCH', url: '/cib', headers, payload: patch });
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toMatchObject({ code: 'VIGIL_API_CONFLICT', cause: 'VIGIL_CIB_PATCH_VERSION' });
    const garbage = await app.inject({ method: 'PATCH', url: '/cib', headers, payload: '<diff format="1"/>' });
    expect(garbage.statusCode).toBe(400);
    expect(garbage.json().error.code).toBe('VIGIL_API_INVALID_CIB');
    expect(handle.cib).toBe(before);
  });

  it('refuses a JSON body where XML is expected', async () => {
    const { app } = await setup();
    const res = await app.inject({ method: 'PUT', url: '/cib', headers: auth, payload: { cib: 'x' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('VIGIL_API_BAD_REQUEST');
  });

  it('replaces one configuration section, refusing one with a bad score', async () => {
    const { handle, app } = await setup();
    const headers = { ...auth, 'content-type': 'application/xml' };
    const bad = await app.inject({
      method: 'PUT',
      url: '/cib/configuration/constraints',
      headers,
      payload: '<constraints><rsc_colocation id="c1" rsc="vip" with-rsc="web" score="lots"/></constraints>',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatchObject({ code: 'VIGIL_API_INVALID_CIB', cause: 'VIGIL_CIB_BAD_SCORE', id: 'c1' });
    expect(bad.json().error.message).toContain('lots');
    expect(handle.cib.configuration.constraints.map((c) => c.id)).toEqual(['cli-ban-vip-on-n2']);

    const good = await app.inject({
      method: 'PUT',
      url: '/cib/configuration/constraints',
      headers,
      payload: '<constraints><rsc_colocation id="c1" rsc="vip" with-rsc="web" score="INFINITY"/></constraints>',
    });
    expect(good.statusCode).toBe(200);
    expect(handle.cib.configuration.constraints.map((c) => c.id)).toEqual(['c1']);
    expect(good.json().cibVersion.epoch).toBe(6);

    const section = await app.inject({ method: 'PUT', url: '/cib/configuration/status', headers, payload: '<status/>' });
    expect(section.statusCode).toBe(400);
  });

  it('sets and removes cluster properties', async () => {
    const { handle, app } = await setup();
    const set = await app.inject({ method: 'PUT', url: '/cib/properties/maintenance-mode', headers: auth, payload: { value: 'true' } });
    expect(set.statusCode).toBe(200);
    expect(statusOf(handle).summary.options.maintenanceMode).toBe(true);
    const del = await app.inject({ method: 'DELETE', url: '/cib/properties/maintenance-mode', headers: auth });
    expect(del.statusCode).toBe(200);
    expect(statusOf(handle).summary.options.maintenanceMode).toBe(false);
    expect(del.json().cibVersion.epoch).toBe(7);
    const bad = await app.inject({ method: 'PUT', url: '/cib/properties/a%20b', headers: auth, payload: { value: 'x' } });
    expect(bad.statusCode).toBe(400);
  });
});

describe('resource operations', () => {
  const post = (app: FastifyInstance, url: string, payload: object = {}) => app.inject({ method: 'POST', url, headers: auth, payload });

  it('stops and starts through target-role', async () => {
    const { handle, app } = await setup();
    const res = await post(app, '/resources/vip/stop');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ cibVersion: { adminEpoch: 0, epoch: 6, numUpdates: 0 }, message: 'set target-role=Stopped on vip' });
    expect(statusOf(handle).summary.resourceInstancesDisabled).toBe(2);
    await post(app, '/resources/vip/start');
    expect(statusOf(handle).summary.resourceInstancesDisabled).toBe(1);
  });

  it('restarts as a stop and a start, leaving target-role as it was', async () => {
    const { handle, app } = await setup();
    const res = await post(app, '/resources/vip/restart');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ cibVersion: { adminEpoch: 0, epoch: 7, numUpdates: 0 }, message: 'restarted vip' });
    expect(handle.log).toEqual(['restart of vip: set target-role=Stopped', 'restart of vip: removed target-role']);
    const stopped = await post(app, '/resources/idle/restart');
    expect(stopped.statusCode).toBe(400);
    expect(stopped.json().error.code).toBe('VIGIL_API_INVALID_ACTION');
  });

  it('answers 404 for an unknown resource and changes nothing', async () => {
    const { handle, app } = await setup();
    const before = handle.cib;
    for (const action of ['stop', 'move', 'ban', 'cleanup']) {
      const res = await post(app, `/resources/ghost/${action}`, { node: 'n1' });
      expect(res.statusCode).toBe(404);
      expect(res.json().error).toMatchObject({ code: 'VIGIL_API_NOT_FOUND', element: 'resource', id: 'ghost' });
      expect(res.json().error.message).toBe("resource 'ghost' is not configured");
    }
    expect(handle.cib).toBe(before);
  });

  it('moves, bans and clears with cli- constraints', async () => {
    const { handle, app } = await setup();
    const locations = () => handle.cib.configuration.constraints.flatMap((c) => (c.kind === 'rsc_location' ? [`${c.id} ${c.rsc} ${c.node} ${c.score}${c.role ? ' ' + c.role : ''}`] : []));
    expect((await post(app, '/resources/web/move', { node: 'n1' })).statusCode).toBe(200);
    expect(locations()).toContain('cli-prefer-web web n1 1000000 Started');
    // Without a node, ban applies where the resource runs now.
    const ban = await post(app, '/resources/web/ban');
    expect(ban.json().message).toBe('added cli-ban-web-on-n2: web may not run on n2');
    expect((await post(app, '/resources/web/move', { node: 'n9' })).statusCode).toBe(404);
    const noNode = await post(app, '/resources/web/move');
    expect(noNode.statusCode).toBe(400);
    expect(noNode.json().error).toMatchObject({ code: 'VIGIL_API_BAD_REQUEST', field: 'node' });
    const cleared = await post(app, '/resources/web/clear');
    expect(cleared.json().message).toBe('removed cli-prefer-web, cli-ban-web-on-n2');
    expect(locations()).toEqual(['cli-ban-vip-on-n2 vip n2 -1000000']);
  });

  it('promotes on a node only for promotable clones', async () => {
    const { handle, app } = await setup();
    const res = await post(app, '/resources/db/promote-on', { node: 'n2' });
    expect(res.statusCode).toBe(200);
    const c = handle.cib.configuration.constraints.find((x) => x.id === 'cli-prefer-db-clone');
    expect(c).toMatchObject({ kind: 'rsc_location', rsc: 'db-clone', node: 'n2', role: 'Promoted' });
    const wrong = await post(app, '/resources/vip/promote-on', { node: 'n2' });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().error.code).toBe('VIGIL_API_INVALID_ACTION');
  });

  it('cleans up failures so the resource reads healthy again', async () => {
    const { handle, app } = await setup('n2');
    expect((await app.inject({ url: '/health/resource/web' })).statusCode).toBe(503);
    const res = await post(app, '/resources/web-app/cleanup');
    expect(res.statusCode).toBe(200);
    expect(res.json().message).toBe('forgot failures of web-app');
    const s = statusOf(handle);
    expect(s.failedActions).toEqual([]);
    expect(s.failCounts).toEqual([]);
    expect(res.json().cibVersion).toEqual({ adminEpoch: 0, epoch: 5, numUpdates: 1 });
    expect((await app.inject({ url: '/health/resource/web' })).statusCode).toBe(200);
  });

  it('takes a bare POST without a body', async () => {
    const { handle, app } = await setup();
    const res = await app.inject({ method: 'POST', url: '/resources/vip/stop', headers: auth });
    expect(res.statusCode).toBe(200);
    expect(handle.log).toEqual(['set target-role=Stopped on vip']);
  });

  it('rejects unknown actions and extra body fields', async () => {
    const { app } = await setup();
    expect((await post(app, '/resources/vip/explode')).statusCode).toBe(400);
    expect((await post(app, '/resources/vip/stop', { node: 'n1', force: true })).statusCode).toBe(400);
  });
});

describe('node operations', () => {
  it('puts a node in standby and back, and sets attributes', async () => {
    const { handle, app } = await setup();
    const node = (n: string) => statusOf(handle).nodes.find((x) => x.name === n)!;
    expect((await app.inject({ method: 'POST', url: '/nodes/n2/standby', headers: auth })).statusCode).toBe(200);
    expect(node('n2').standby).toBe(true);
    await app.inject({ method: 'POST', url: '/nodes/n2/online', headers: auth });
    expect(node('n2').standby).toBe(false);
    await app.inject({ method: 'POST', url: '/nodes/n1/maintenance', headers: auth });
    expect(node('n1').maintenance).toBe(true);
    await app.inject({ method: 'POST', url: '/nodes/n1/ready', headers: auth });
    expect(node('n1').maintenance).toBe(false);

    const put = await app.inject({ method: 'PUT', url: '/nodes/n3/attributes/rack', headers: auth, payload: { value: 'r7' } });
    expect(put.statusCode).toBe(200);
    expect(node('n3').attributes).toEqual({ rack: 'r7' });
    await app.inject({ method: 'DELETE', url: '/nodes/n3/attributes/rack', headers: auth });
    expect(node('n3').attributes).toEqual({});
  });

  it('answers 404 for an unknown node and 400 for an unknown action', async () => {
    const { handle, app } = await setup();
    const before = handle.cib;
    const res = await app.inject({ method: 'POST', url: '/nodes/ghost/standby', headers: auth });
    expect(res.statusCode).toBe(404);
    expect(res.json().error).toMatchObject({ code: 'VIGIL_API_NOT_FOUND', id: 'ghost' });
    expect((await app.inject({ method: 'PUT', url: '/nodes/ghost/attributes/a', headers: auth, payload: { value: '1' } })).statusCode).toBe(404);
    expect((await app.inject({ method: 'POST', url: '/nodes/n1/reboot', headers: auth })).statusCode).toBe(400);
    expect(handle.cib).toBe(before);
  });
});

describe('health checks for load balancers', () => {
  const code = async (app: FastifyInstance, url: string) => (await app.inject({ url })).statusCode;

  it('answers 200 only where the resource is active, in the asked role', async () => {
    const primary = await api(memoryHandle('n1'));
    const replica = await api(memoryHandle('n2'));
    const standby = await api(memoryHandle('n3'));
    expect(await code(primary, '/health/resource/vip')).toBe(200);
    expect(await code(replica, '/health/resource/vip')).toBe(503);
    // What an haproxy pair of backends would probe: writes to the promoted copy, reads to the replicas.
    expect(await code(primary, '/health/resource/db?role=Promoted')).toBe(200);
    expect(await code(replica, '/health/resource/db?role=Promoted')).toBe(503);
    expect(await code(primary, '/health/resource/db?role=Unpromoted')).toBe(503);
    expect(await code(replica, '/health/resource/db?role=Unpromoted')).toBe(200);
    expect(await code(standby, '/health/resource/db')).toBe(503);
    // Some checkers probe with HEAD.
    expect((await primary.inject({ method: 'HEAD', url: '/health/resource/db?role=Promoted' })).statusCode).toBe(200);
    expect((await replica.inject({ method: 'HEAD', url: '/health/resource/db?role=Promoted' })).statusCode).toBe(503);
    expect(await code(primary, '/health/resource/db-clone')).toBe(200);
    expect(await code(replica, '/health/resource/db')).toBe(200);
    // A group is healthy only when all of it runs: web-app failed on n2.
    expect(await code(replica, '/health/resource/web')).toBe(503);
    expect(await code(replica, '/health/resource/web-ip')).toBe(200);
    const body = (await replica.inject({ url: '/health/resource/db?role=Promoted' })).json();
    expect(body).toEqual({ resource: 'db', node: 'n2', healthy: false, role: 'Unpromoted', wantedRole: 'Promoted', quorate: true });
  });

  it('answers 404 for an unknown resource and 400 for an unknown role', async () => {
    const { app } = await setup();
    expect(await code(app, '/health/resource/ghost')).toBe(404);
    expect(await code(app, '/health/resource/db?role=Master')).toBe(400);
  });

  it('with requireQuorum, answers 503 on a node without quorum even where the resource runs', async () => {
    const cut = await api(new MemoryClusterHandle(parseCib(demoClusterCib()), { nodeName: 'n1', quorate: false, nowSec: () => EXAMPLE_NOW_SEC }));
    expect(await code(cut, '/health/resource/db?role=Promoted')).toBe(200);
    const res = await cut.inject({ url: '/health/resource/db?role=Promoted&requireQuorum=true' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ healthy: false, role: 'Promoted', quorate: false });
    expect(await code(await api(memoryHandle('n1')), '/health/resource/db?role=Promoted&requireQuorum=true')).toBe(200);
  });

  it('reports whether this node is the DC', async () => {
    expect(await code(await api(memoryHandle('n1')), '/health/dc')).toBe(200);
    expect(await code(await api(memoryHandle('n2')), '/health/dc')).toBe(503);
  });

  it('answers 503 when the node cannot serve, but stays live', async () => {
    const handle = memoryHandle('n1');
    handle.unavailable = 'no DC elected yet';
    const app = await api(handle);
    const res = await app.inject({ url: '/health/resource/vip' });
    expect(res.statusCode).toBe(503);
    expect(res.json().error).toEqual({ code: 'VIGIL_API_UNAVAILABLE', message: 'no DC elected yet' });
    expect(await code(app, '/health/live')).toBe(200);
  });
});

describe('metrics', () => {
  it('exposes membership, quorum, DC, resource roles, fail counts and transition durations', async () => {
    const metrics = createMetrics();
    const { app } = await setup('n1', { metrics });
    metrics.observeTransition(1500, 'complete');
    metrics.observeTransition(20, 'aborted');
    const res = await app.inject({ url: '/metrics', headers: auth });
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const lines = res.body.split('\n');
    for (const line of [
      'vigil_nodes_configured 4',
      'vigil_nodes_online 3',
      'vigil_membership_size 3',
      'vigil_quorate 1',
      'vigil_is_dc 1',
      'vigil_dc_present 1',
      'vigil_node_state{node="n3",state="standby"} 1',
      'vigil_node_state{node="n4",state="offline"} 1',
      'vigil_resource_role{resource="db",node="n1",role="Promoted"} 1',
      'vigil_resource_role{resource="db",node="n2",role="Unpromoted"} 1',
      'vigil_resource_role{resource="vip",node="n1",role="Started"} 1',
      'vigil_resource_failed{resource="web-app",node="n2"} 1',
      'vigil_resource_fail_count{resource="web-app",node="n2"} 1',
      'vigil_failed_actions 1',
      'vigil_cib_epoch 5',
      'vigil_transitions_total{outcome="complete"} 1',
      'vigil_transition_duration_seconds_bucket{le="1",outcome="complete"} 0',
      'vigil_transition_duration_seconds_bucket{le="2.5",outcome="complete"} 1',
      'vigil_transition_duration_seconds_count{outcome="aborted"} 1',
    ]) {
      expect(lines).toContain(line);
    }
    await app.inject({ url: '/resources/ghost', headers: auth });
    await app.inject({ url: '/resources/vip', headers: auth });
    await app.inject({ url: '/nowhere/12345' });
    const after = (await app.inject({ url: '/metrics', headers: auth })).body.split('\n');
    for (const line of [
      'vigil_api_requests_total{method="GET",route="/metrics",status="200"} 1',
      'vigil_api_requests_total{method="GET",route="/resources/:id",status="404"} 1',
      'vigil_api_requests_total{method="GET",route="/resources/:id",status="200"} 1',
      'vigil_api_requests_total{method="GET",route="(no route)",status="401"} 1',
    ]) {
      expect(after).toContain(line);
    }
  });

  it('drops series of resources that are no longer active, and keeps registries apart', async () => {
    const metrics = createMetrics();
    const running = clusterStatus(parseCib(demoClusterCib()), { nowSec: EXAMPLE_NOW_SEC });
    metrics.update(running, 'n1');
    expect(await metrics.registry.metrics()).toContain('vigil_resource_role{resource="vip",node="n1",role="Started"} 1');
    const withoutVip = demoClusterCib().replace(/<lrm_resource id="vip"[\s\S]*?<\/lrm_resource>/, '');
    metrics.update(clusterStatus(parseCib(withoutVip), { nowSec: EXAMPLE_NOW_SEC }), 'n1');
    const after = await metrics.registry.metrics();
    expect(after).not.toContain('resource="vip"');
    expect(after).toContain('vigil_resource_role{resource="db",node="n1",role="Promoted"} 1');

    const a = (await (await setup('n1')).app.inject({ url: '/metrics', headers: auth })).body;
    const b = (await (await setup('n2')).app.inject({ url: '/metrics', headers: auth })).body;
    expect(a).toContain('vigil_is_dc 1');
    expect(b).toContain('vigil_is_dc 0');
  });
});

describe('errors', () => {
  it('maps daemon errors to statuses and hides unexpected ones', async () => {
    const base = memoryHandle();
    const failing = (err: Error): ClusterHandle => ({ ...base, status: base.status.bind(base), getCib: async () => Promise.reject(err) }) as unknown as ClusterHandle;
    const cases: [Error, number, string][] = [
      [new CrmError('VIGIL_CRM_NO_DC', 'no DC'), 503, 'VIGIL_API_UNAVAILABLE'],
      [new CrmError('VIGIL_CRM_STALE_VERSION', 'stale'), 409, 'VIGIL_API_CONFLICT'],
      [new Error('disk on fire at /var/lib/vigil'), 500, 'VIGIL_API_INTERNAL'],
    ];
    for (const [err, status, code] of cases) {
      const app = await api(failing(err));
      const res = await app.inject({ url: '/cib', headers: auth });
      expect(res.statusCode).toBe(status);
      expect(res.json().error.code).toBe(code);
      if (status === 500) expect(res.body).not.toContain('disk on fire');
    }
  });

  it('refuses oversized bodies and content types no route takes', async () => {
    const { handle, app } = await setup('n1', { bodyLimitBytes: 1024 });
    const big = await app.inject({ method: 'PUT', url: '/cib', headers: { ...auth, 'content-type': 'application/xml' }, payload: demoClusterCib(9) });
    expect(big.statusCode).toBe(413);
    expect(big.json().error.code).toBe('VIGIL_API_TOO_LARGE');
    const octets = await app.inject({ method: 'PUT', url: '/cib', headers: { ...auth, 'content-type': 'application/octet-stream' }, payload: 'x' });
    expect(octets.statusCode).toBe(415);
    expect(octets.json().error.code).toBe('VIGIL_API_UNSUPPORTED_MEDIA_TYPE');
    expect(handle.log).toEqual([]);
  });

  it('answers unknown routes with a JSON 404', async () => {
    const { app } = await setup();
    const res = await app.inject({ url: '/nope', headers: auth });
    expect(res.statusCode).toBe(404);
    expect(res.json().error).toEqual({ code: 'VIGIL_API_NOT_FOUND', message: 'no route GET /nope' });
    // Without the token, not even which routes exist is told.
    const anon = await app.inject({ url: '/nope' });
    expect(anon.statusCode).toBe(401);
    expect((await app.inject({ url: '/health/nope' })).statusCode).toBe(401);
  });

  it('documents every error code in the README table with its status', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const documented = new Map(
      [...readme.matchAll(/^\| `(VIGIL_API_[A-Z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1]!, Number(m[2])] as const),
    );
    expect(Object.fromEntries(documented)).toEqual(Object.fromEntries(Object.entries(API_ERRORS).map(([k, v]) => [k, v.status])));
  });
});

describe('logging', () => {
  it('writes structured JSON lines with request ids, without the token', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        cb();
      },
    });
    const logger = pino({ level: 'info' }, sink);
    const { app } = await setup('n1', { logger });
    await app.inject({ method: 'POST', url: '/resources/vip/stop', headers: auth, payload: {} });
    await app.inject({ method: 'POST', url: '/resources/vip/stop', headers: { authorization: 'Bearer guess' }, payload: {} });
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records.find((r) => r.msg === 'set target-role=Stopped on vip')).toMatchObject({ resource: 'vip', action: 'stop', level: 30 });
    expect(records.find((r) => r.msg === 'refused request')).toMatchObject({ reason: 'wrong token', level: 40 });
    expect(records.every((r) => typeof r.reqId === 'string' || r.reqId === undefined)).toBe(true);
    expect(lines.join('\n')).not.toContain(TOKEN);
    expect(lines.join('\n')).not.toContain('guess');
  });
});

describe('over a real socket', () => {
  it('listens on loopback and serves an HTTP client, token and all', async () => {
    const { app, url: base } = await serveApi(memoryHandle('n2'), { token: TOKEN, port: 0 });
    apps.push(app);
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const ok = await fetch(`${base}/status?output=text`, { headers: auth, signal: AbortSignal.timeout(15_000) });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('  * Last updated: Tue Nov 14 22:13:20 2023 on n2\n');
    const denied = await fetch(`${base}/cib`, { headers: { authorization: 'Bearer wrong' }, signal: AbortSignal.timeout(15_000) });
    expect(denied.status).toBe(401);
    expect(await denied.json()).toEqual({ error: { code: 'VIGIL_API_UNAUTHORIZED', message: 'wrong bearer token' } });
    const probe = await fetch(`${base}/health/resource/db?role=Unpromoted`, { signal: AbortSignal.timeout(15_000) });
    expect(probe.status).toBe(200);
  });

  it('refuses to start on a port already taken, leaving nothing open', async () => {
    const { app, url } = await serveApi(memoryHandle('n1'), { token: TOKEN, port: 0 });
    apps.push(app);
    const port = Number(new URL(url).port);
    await expect(serveApi(memoryHandle('n1'), { token: TOKEN, port })).rejects.toThrow(/EADDRINUSE/);
  });
});
