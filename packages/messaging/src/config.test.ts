import { describe, expect, it } from 'vitest';
import { createSocket } from 'node:dgram';
import { createNode, MessagingNode } from './node.js';
import { ConfigError } from './errors.js';
import { validateTiming } from './config.js';
import { freeUdpPorts } from './test-support/harness.js';

const key = Buffer.alloc(32, 3);
const good = [
  { id: 1, name: 'a', links: [{ addr: '127.0.0.1', port: 40001 }] },
  { id: 2, name: 'b', links: [{ addr: '127.0.0.1', port: 40002 }] },
];

function configError(nodes: unknown, extra: Record<string, unknown> = {}): string {
  try {
    new MessagingNode({ nodeId: 1, nodes: nodes as typeof good, key, ...extra });
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as ConfigError).code).toBe('VIGIL_MESSAGING_CONFIG');
    return (e as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration errors name the field', () => {
  it('node list problems', () => {
    expect(configError([])).toMatch(/^nodes: must be a non-empty array/);
    expect(configError([good[0], { ...good[1], id: 1 }])).toMatch(/^nodes\[1\]\.id: duplicates another node id/);
    expect(configError([good[0], { ...good[1], name: 'a' }])).toMatch(/^nodes\[1\]\.name: duplicates/);
    expect(configError([good[0], { ...good[1], links: [{ addr: '127.0.0.1', port: 'x' }] }])).toMatch(/^nodes\[1\]\.links\[0\]\.port: must be an integer from 1 to 65535, got "x"/);
    expect(configError([good[0], { ...good[1], links: [{ addr: '127.0.0.1', port: 40001 }] }])).toMatch(/^nodes\[1\]\.links\[0\]: is used by another link/);
    expect(configError([good[0], { ...good[1], links: [] }])).toMatch(/^nodes\[1\]\.links: must be an array of 1 to 8 links/);
  });

  it('options problems', () => {
    expect(configError(good, { nodeId: 9 })).toMatch(/^nodeId: 9 is not the id of any entry in nodes/);
    expect(configError(good, { auth: 'rot13' })).toMatch(/^auth: must be one of hmac-sha256, aes-256-gcm, got "rot13"/);
    expect(configError(good, { heartbeatIntervalMs: 500, tokenTimeoutMs: 600 })).toMatch(/^tokenTimeoutMs: must be at least twice heartbeatIntervalMs/);
    expect(configError(good, { maxPacketBytes: 10 })).toMatch(/^maxPacketBytes:/);
  });

  it('derives protocol timers from the two a user sets', () => {
    expect(validateTiming({})).toMatchObject({ heartbeatIntervalMs: 200, tokenTimeoutMs: 1000, suspectAfterMs: 500 });
    expect(validateTiming({ heartbeatIntervalMs: 1000 }).tokenTimeoutMs).toBe(3000);
  });

  it('createNode needs a key or a key file', async () => {
    await expect(createNode({ nodeId: 1, nodes: good })).rejects.toThrow(/^key: pass the cluster key/);
  });
});

describe('UDP bind failures', () => {
  it('reports a port already in use with the link and address, and leaves nothing open', async () => {
    const [port] = await freeUdpPorts('127.0.0.1', 1);
    const squatter = createSocket('udp4');
    await new Promise<void>((r) => squatter.bind(port!, '127.0.0.1', () => r()));
    try {
      const nodes = [{ id: 1, name: 'a', links: [{ addr: '127.0.0.1', port: port! }] }, good[1]!];
      await expect(createNode({ nodeId: 1, nodes, key })).rejects.toMatchObject({
        code: 'VIGIL_MESSAGING_BIND',
        message: expect.stringContaining(`cannot bind link 0 to 127.0.0.1:${port}: EADDRINUSE`),
      });
      const named = [{ id: 1, name: 'a', links: [{ addr: 'alpha.example', port: 1 }] }, good[1]!];
      await expect(createNode({ nodeId: 1, nodes: named, key })).rejects.toThrow(/link 0 address "alpha.example" is not an IP address/);
    } finally {
      squatter.close();
    }
  });
});
