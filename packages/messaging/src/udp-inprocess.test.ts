import { afterEach, describe, expect, it } from 'vitest';
import { createSocket } from 'node:dgram';
import { createNode, type MessagingNode, type View } from './node.js';
import { until } from './test-support/harness.js';

function ipv6LoopbackWorks(): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket('udp6');
    s.once('error', () => resolve(false));
    s.bind(0, '::1', () => {
      s.close();
      resolve(true);
    });
  });
}

describe('UDP nodes in one process', () => {
  const nodes: MessagingNode[] = [];
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((n) => n.stop()));
  });

  it('works over IPv6 loopback and keeps the view while an 8 MB message is in flight', async () => {
    if (!(await ipv6LoopbackWorks())) {
      console.log('skipping IPv6 case: ::1 is not available');
      return;
    }
    // Ports 0 are not allowed in config; take two free ones from the kernel.
    const ports = await Promise.all([0, 1].map(() => new Promise<number>((resolve) => {
      const s = createSocket('udp6');
      s.bind(0, '::1', () => {
        const p = s.address().port;
        s.close(() => resolve(p));
      });
    })));
    const config = [1, 2].map((id, i) => ({ id, name: `v6-${id}`, links: [{ addr: '::1', port: ports[i]! }] }));
    const key = Buffer.alloc(48, 9);
    for (const id of [1, 2]) nodes.push(await createNode({ nodeId: id, nodes: config, key, auth: 'aes-256-gcm' }));
    const [a, b] = nodes as [MessagingNode, MessagingNode];
    await until(() => a.view().members.length === 2 && b.view().members.length === 2, 30_000, 'a 2-node view over ::1');
    const changes: View[] = [];
    a.on('view', (v) => changes.push(v));
    b.on('view', (v) => changes.push(v));
    const big = Buffer.alloc(8 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4096) big[i] = i & 0xff;
    let got: Buffer | null = null;
    b.on('message', (m) => { got = m.payload; });
    await a.send(2, 'cib', big);
    expect(got!.equals(big)).toBe(true);
    expect(changes).toEqual([]);
    expect(a.links()).toEqual([{ node: 2, link: 0, up: true }]);
  });
});
