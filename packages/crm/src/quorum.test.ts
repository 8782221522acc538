import { describe, expect, it } from 'vitest';
import { Votequorum, majorityOf } from './quorum.js';

const nodes = (n: number, votes = 1) => Array.from({ length: n }, (_, i) => ({ id: i + 1, votes }));

describe('votequorum: expected votes and majority', () => {
  it('needs more than half of the expected votes', () => {
    expect(majorityOf(8)).toBe(5);
    expect(majorityOf(3)).toBe(2);
    expect(majorityOf(4)).toBe(3);
    const q = new Votequorum({ nodes: nodes(3) }, 0);
    q.onView([1, 2], 0);
    expect(q.status()).toMatchObject({ quorate: true, expectedVotes: 3, totalVotes: 2, quorum: 2 });
    q.onView([1], 10);
    expect(q.status().quorate).toBe(false);
  });

  it('weights nodes by quorum_votes and honours an explicit expected_votes', () => {
    const q = new Votequorum({ nodes: [{ id: 1, votes: 3 }, { id: 2 }, { id: 3 }] }, 0);
    q.onView([1], 0);
    expect(q.status()).toMatchObject({ quorate: true, expectedVotes: 5, totalVotes: 3, quorum: 3 });
    q.onView([2, 3], 1);
    expect(q.status().quorate).toBe(false);
    const fixed = new Votequorum({ nodes: nodes(3), expectedVotes: 5 }, 0);
    fixed.onView([1, 2], 0);
    expect(fixed.status()).toMatchObject({ quorate: false, quorum: 3 });
  });

  it('raises expected votes when more votes are present than expected', () => {
    const q = new Votequorum({ nodes: nodes(4), expectedVotes: 2 }, 0);
    q.onView([1, 2, 3, 4], 0);
    expect(q.status().expectedVotes).toBe(4);
    q.onView([1, 2], 5);
    expect(q.status()).toMatchObject({ quorate: false, quorum: 3 });
  });

  it('rejects a nodelist with duplicate ids or two_node with three nodes', () => {
    expect(() => new Votequorum({ nodes: [{ id: 1 }, { id: 1 }] }, 0)).toThrow(/node id 1 appears twice/);
    expect(() => new Votequorum({ nodes: nodes(3), twoNode: true }, 0)).toThrow(/two_node is set but the nodelist has 3 nodes/);
    expect(() => new Votequorum({ nodes: [{ id: 0 }] }, 0)).toThrow(/not a positive integer/);
  });
});

describe('votequorum: two_node and wait_for_all', () => {
  it('two_node sets quorum to 1 but waits for both nodes once (WFA implied)', () => {
    const q = new Votequorum({ nodes: nodes(2), twoNode: true }, 0);
    q.onView([1], 0);
    expect(q.status()).toMatchObject({ quorate: false, quorum: 1, twoNode: true, waitForAll: true, allSeenOnce: false });
    q.onView([1, 2], 1);
    expect(q.status().quorate).toBe(true);
    q.onView([1], 2);
    expect(q.status()).toMatchObject({ quorate: true, totalVotes: 1 });
  });

  it('two_node with wait_for_all turned off is quorate alone from the start', () => {
    const q = new Votequorum({ nodes: nodes(2), twoNode: true, waitForAll: false }, 0);
    q.onView([2], 0);
    expect(q.status().quorate).toBe(true);
  });

  it('wait_for_all keeps a majority inquorate until all nodes were seen together', () => {
    const q = new Votequorum({ nodes: nodes(8), waitForAll: true }, 0);
    q.onView([1, 2, 3, 4, 5, 6], 0);
    expect(q.status().quorate).toBe(false);
    q.onView([1, 2, 3, 4, 5, 6, 7, 8], 1);
    q.onView([1, 2, 3, 4, 5], 2);
    expect(q.status().quorate).toBe(true);
  });
});

describe('votequorum: last_man_standing', () => {
  it('recalculates expected votes after the window, in a cascade down to 2', () => {
    const q = new Votequorum({ nodes: nodes(8), lastManStanding: true, lastManStandingWindowMs: 10_000 }, 0);
    q.onView([1, 2, 3, 4, 5, 6, 7, 8], 0);
    q.onView([1, 2, 3, 4, 5], 1000);
    q.tick(10_999);
    expect(q.status()).toMatchObject({ expectedVotes: 8, quorum: 5 });
    q.tick(11_000);
    expect(q.status()).toMatchObject({ quorate: true, expectedVotes: 5, quorum: 3 });
    q.onView([1, 2, 3], 12_000);
    q.tick(22_000);
    expect(q.status()).toMatchObject({ quorate: true, expectedVotes: 3, quorum: 2 });
    q.onView([1, 2], 23_000);
    q.tick(33_000);
    expect(q.status()).toMatchObject({ quorate: true, expectedVotes: 2, quorum: 2 });
    q.onView([1], 34_000);
    expect(q.status().quorate).toBe(false);
  });

  it('does not lower expected votes if a node leaves again inside the window', () => {
    const q = new Votequorum({ nodes: nodes(5), lastManStanding: true, lastManStandingWindowMs: 1000 }, 0);
    q.onView([1, 2, 3, 4, 5], 0);
    q.onView([1, 2, 3, 4], 100);
    q.onView([1, 2, 3], 900);
    q.tick(1500);
    expect(q.status().expectedVotes).toBe(5);
    q.onView([1, 2], 1600);
    q.tick(5000);
    expect(q.status()).toMatchObject({ quorate: false, expectedVotes: 5 });
  });

  it('with auto_tie_breaker goes from 2 nodes down to the one with the lowest id', () => {
    const q = new Votequorum({ nodes: nodes(3), lastManStanding: true, lastManStandingWindowMs: 10, autoTieBreaker: true }, 0);
    q.onView([1, 2, 3], 0);
    q.onView([1, 2], 1);
    q.tick(20);
    expect(q.status().expectedVotes).toBe(2);
    q.onView([1], 30);
    expect(q.status().quorate).toBe(true);
    expect(q.isQuorumSet([2])).toBe(false);
  });
});

describe('votequorum: auto_tie_breaker', () => {
  it('on an even split only the half with the lowest node id keeps quorum', () => {
    const q = new Votequorum({ nodes: nodes(4), autoTieBreaker: true }, 0);
    expect(q.isQuorumSet([1, 2])).toBe(true);
    expect(q.isQuorumSet([1, 4])).toBe(true);
    expect(q.isQuorumSet([3, 4])).toBe(false);
    expect(q.isQuorumSet([1])).toBe(false);
  });

  it('supports highest and an ordered list of tie-breaker nodes', () => {
    expect(new Votequorum({ nodes: nodes(4), autoTieBreaker: true, autoTieBreakerNode: 'highest' }, 0).isQuorumSet([3, 4])).toBe(true);
    const listed = new Votequorum({ nodes: nodes(4), autoTieBreaker: true, autoTieBreakerNode: [9, 3, 1] }, 0);
    expect(listed.isQuorumSet([3, 4])).toBe(true);
    expect(listed.isQuorumSet([1, 2])).toBe(false);
  });

  it('without auto_tie_breaker an even split leaves both halves inquorate', () => {
    const q = new Votequorum({ nodes: nodes(4) }, 0);
    expect(q.isQuorumSet([1, 2])).toBe(false);
    expect(q.isQuorumSet([3, 4])).toBe(false);
  });

  it('any two quorum sets intersect under majority and tie-breaker rules', () => {
    for (const n of [3, 4, 5, 6]) {
      const q = new Votequorum({ nodes: nodes(n), autoTieBreaker: true }, 0);
      const subsets: number[][] = [];
      for (let mask = 1; mask < 1 << n; mask++) subsets.push(nodes(n).filter((_, i) => mask & (1 << i)).map((x) => x.id));
      const quorums = subsets.filter((s) => q.isQuorumSet(s));
      for (const a of quorums) for (const b of quorums) expect(a.some((x) => b.includes(x))).toBe(true);
    }
  });
});
