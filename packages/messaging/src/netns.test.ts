import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ChildNode, ensureBuilt, until } from './test-support/harness.js';
import { writeAuthKeyFile } from './auth.js';

/**
 * Five nodes, each in its own network namespace, on two networks (management and
 * storage). Each network is two bridges joined by one veth "trunk" in a hub
 * namespace: taking both trunks down splits the cluster 3/2, a real partition of
 * real interfaces. Every address lives only inside namespaces this test creates.
 */
const ip = (...args: string[]): string => execFileSync('ip', args, { stdio: 'pipe', timeout: 20_000 }).toString();

function netnsUnavailable(): string | null {
  if (process.platform !== 'linux') return 'network namespaces need Linux';
  if (process.getuid?.() !== 0) return 'network namespaces need root';
  const probe = `vgtprobe${process.pid}`;
  try {
    ip('netns', 'add', probe);
    ip('netns', 'del', probe);
    return null;
  } catch (e) {
    return `'ip netns add' does not work here: ${String((e as Error).message).split('\n')[0]}`;
  }
}

const skipReason = netnsUnavailable();
if (skipReason) console.log(`skipping netns partition test: ${skipReason}`);

const INTERVAL = 200;
const TOKEN = 1000;
const DEADLINE = 30_000;
const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

describe.skipIf(skipReason !== null)('partition of real interfaces in network namespaces', () => {
  const tag = `vgt${process.pid % 100000}${Math.floor(Math.random() * 1000)}`;
  const hub = `${tag}h`;
  const ids = [1, 2, 3, 4, 5];
  const ns = (id: number): string => `${tag}n${id}`;
  const created: string[] = [];
  const children = new Map<number, ChildNode>();
  const dir = mkdtempSync(join(tmpdir(), 'vigil-netns-'));
  const keyFile = join(dir, 'authkey');
  const nodes = ids.map((id) => ({ id, name: `host${id}`, links: [{ addr: `10.199.77.${id}`, port: 5405 }, { addr: `10.199.78.${id}`, port: 5405 }] }));
  const viewOf = (id: number): string => children.get(id)?.view()?.members.join(',') ?? '';
  const sidesAre = (groups: number[][]): boolean => groups.every((g) => g.every((id) => viewOf(id) === g.join(',')));

  beforeAll(async () => {
    await ensureBuilt(repoRoot);
    await writeAuthKeyFile(keyFile);
    for (const name of [hub, ...ids.map(ns)]) {
      ip('netns', 'add', name);
      created.push(name);
      ip('-n', name, 'link', 'set', 'lo', 'up');
    }
    for (const br of ['brA', 'brB', 'brC', 'brD']) {
      ip('-n', hub, 'link', 'add', br, 'type', 'bridge');
      ip('-n', hub, 'link', 'set', br, 'up');
    }
    // Trunks: management brA–brB, storage brC–brD.
    for (const [a, b, brA, brB] of [['tA', 'tB', 'brA', 'brB'], ['sC', 'sD', 'brC', 'brD']] as const) {
      ip('-n', hub, 'link', 'add', a, 'type', 'veth', 'peer', 'name', b);
      ip('-n', hub, 'link', 'set', a, 'master', brA);
      ip('-n', hub, 'link', 'set', b, 'master', brB);
      ip('-n', hub, 'link', 'set', a, 'up');
      ip('-n', hub, 'link', 'set', b, 'up');
    }
    for (const id of ids) {
      const side = id <= 3 ? ['brA', 'brC'] : ['brB', 'brD'];
      for (const [k, net] of [[0, '77'], [1, '78']] as const) {
        const hubEnd = `p${id}l${k}`;
        ip('-n', hub, 'link', 'add', hubEnd, 'type', 'veth', 'peer', 'name', `e${k}`, 'netns', ns(id));
        ip('-n', hub, 'link', 'set', hubEnd, 'master', side[k]!);
        ip('-n', hub, 'link', 'set', hubEnd, 'up');
        ip('-n', ns(id), 'addr', 'add', `10.199.${net}.${id}/24`, 'dev', `e${k}`);
        ip('-n', ns(id), 'link', 'set', `e${k}`, 'up');
      }
    }
    for (const id of ids) {
      const config = { nodeId: id, nodes, keyFile, auth: 'hmac-sha256', heartbeatIntervalMs: INTERVAL, tokenTimeoutMs: TOKEN };
      children.set(id, new ChildNode(id, config, ['ip', 'netns', 'exec', ns(id)]));
    }
    await until(() => sidesAre([ids]), DEADLINE, 'a 5-node view across the namespaces');
  }, 180_000);

  afterAll(async () => {
    for (const c of children.values()) c.kill();
    await Promise.all([...children.values()].map((c) => c.exitedPromise()));
    for (const name of created) {
      try {
        ip('netns', 'del', name);
      } catch {
        // Already gone; nothing else of ours to clean.
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports a storage link going down on one host while the host stays a member', async () => {
    const observer = children.get(1)!;
    const mark = observer.events.length;
    ip('-n', ns(5), 'link', 'set', 'e1', 'down');
    await observer.waitFor((e) => e.ev === 'link' && e['node'] === 5 && e['link'] === 1 && e['up'] === false, DEADLINE, mark);
    await new Promise((r) => setTimeout(r, 2 * TOKEN));
    expect(sidesAre([ids])).toBe(true);
    ip('-n', ns(5), 'link', 'set', 'e1', 'up');
    await observer.waitFor((e) => e.ev === 'link' && e['node'] === 5 && e['link'] === 1 && e['up'] === true, DEADLINE, mark);
  });

  it('splits 3/2 when both trunks go down, and heals back to one view', async () => {
    ip('-n', hub, 'link', 'set', 'tA', 'down');
    ip('-n', hub, 'link', 'set', 'sC', 'down');
    await until(() => sidesAre([[1, 2, 3], [4, 5]]), DEADLINE, 'the 3/2 split');
    // Each side's members share one view id and leader.
    for (const side of [[1, 2, 3], [4, 5]]) {
      const v = side.map((id) => children.get(id)!.view()!);
      expect(new Set(v.map((x) => `${x.viewId}/${x.leader}`)).size).toBe(1);
    }
    ip('-n', hub, 'link', 'set', 'tA', 'up');
    ip('-n', hub, 'link', 'set', 'sC', 'up');
    await until(() => sidesAre([ids]), DEADLINE, 'the healed 5-node view');
    const v = ids.map((id) => children.get(id)!.view()!);
    expect(new Set(v.map((x) => `${x.viewId}/${x.leader}`)).size).toBe(1);
  });
});
