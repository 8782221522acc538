import { describe, expect, it } from 'vitest';
import { MembershipCore, type CoreEvent, type MembershipOptions } from './membership.js';
import { seededRandom } from './random.js';
import { MessageType } from './wire/types.js';
import type { Heartbeat } from './wire/heartbeat.js';
import { validateTiming } from './config.js';

// The core alone, fed by hand: no transport, no clock.
const timing = validateTiming({ heartbeatIntervalMs: 200, tokenTimeoutMs: 1000 });
const opts = (self: number, incarnation: number): MembershipOptions => ({
  self, nodeCount: 2, linkCounts: [2, 2], incarnation, configDigest: 7, random: seededRandom(1), ...timing,
});

function hb(echo: number, over: Partial<Heartbeat> = {}): { type: MessageType.Heartbeat; body: Heartbeat } {
  return { type: MessageType.Heartbeat, body: { flags: 0, configDigest: 7, echoIncarnation: echo, heardLinks: 0b11, viewEpoch: 0, viewLeader: 1, promisedEpoch: 0, rows: [], ...over } };
}

function peerEvents(events: CoreEvent[]): string[] {
  return events.filter((e) => e.kind === 'peer').map((e) => (e.kind === 'peer' ? `${e.node}:${e.alive}` : ''));
}

describe('MembershipCore liveness', () => {
  it('counts a peer alive only once it echoes our incarnation (no one-way membership)', () => {
    const core = new MembershipCore(opts(0, 100));
    core.takeEvents();
    core.receive(1, 0, 200, hb(0), 0, 1);
    expect(core.isAlive(1)).toBe(false);
    // It asked for nothing, but it does not hear us yet: we answer at once to finish the handshake.
    expect(core.takeOutbox().some((o) => o.to === 1 && o.message.type === MessageType.Heartbeat)).toBe(true);
    core.receive(1, 0, 200, hb(100), 10, 2);
    expect(core.isAlive(1)).toBe(true);
    expect(peerEvents(core.takeEvents())).toEqual(['1:true']);
    // The peer stops hearing us (asymmetric loss): its heartbeats say so, and it is dropped.
    core.receive(1, 0, 200, hb(0), 20, 3);
    expect(core.isAlive(1)).toBe(false);
  });

  it('ignores a heartbeat overtaken by a newer one', () => {
    const core = new MembershipCore(opts(0, 100));
    core.receive(1, 0, 200, hb(100), 0, 5);
    core.receive(1, 1, 200, hb(0), 1, 4); // older, sent before the peer heard us
    expect(core.isAlive(1)).toBe(true);
    expect(core.peers[1]!.linkHeardMs[1]).toBe(1);
  });

  it('suspects after half the token timeout, probes, and evicts only at the timeout', () => {
    const core = new MembershipCore(opts(0, 100));
    core.receive(1, 0, 200, hb(100), 0, 1);
    core.takeEvents();
    let t = 0;
    const tickTo = (until: number): void => {
      while (t < until) {
        t = Math.min(until, core.nextDeadline(t));
        core.tick(t);
      }
    };
    tickTo(600);
    expect(core.takeEvents().map((e) => e.kind)).toContain('suspect');
    expect(core.takeOutbox().some((o) => o.message.type === MessageType.Heartbeat && (o.message.body as Heartbeat).flags === 1)).toBe(true);
    expect(core.isAlive(1)).toBe(true);
    tickTo(999);
    expect(core.isAlive(1)).toBe(true);
    tickTo(1000);
    expect(core.isAlive(1)).toBe(false);
  });

  it('forgives its own stall: a late tick does not evict peers that could not be heard meanwhile', () => {
    const core = new MembershipCore(opts(0, 100));
    core.receive(1, 0, 200, hb(100), 0, 1);
    const due = core.nextDeadline(0);
    core.tick(due + 5_000); // the event loop was blocked for 5 s
    expect(core.isAlive(1)).toBe(true);
    expect(core.lagForgivenMs).toBeGreaterThanOrEqual(5_000);
  });

  it('a new incarnation of a peer ends the old one at once', () => {
    const core = new MembershipCore(opts(0, 100));
    core.receive(1, 0, 200, hb(100), 0, 1);
    core.takeEvents();
    core.receive(1, 0, 300, hb(0), 10, 0);
    expect(peerEvents(core.takeEvents())).toEqual(['1:false']);
    expect(core.peers[1]!.incarnation).toBe(300);
  });

  it('drops heartbeats from nodes with another node list, and counts them', () => {
    const core = new MembershipCore(opts(0, 100));
    core.receive(1, 0, 200, hb(100, { configDigest: 8 }), 0, 1);
    expect(core.isAlive(1)).toBe(false);
    expect(core.configMismatches).toBe(1);
  });
});
