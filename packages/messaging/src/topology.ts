import type { Row } from './wire/heartbeat.js';

/**
 * What a node knows of everyone's adjacency. An edge i–j exists only when both
 * i's and j's rows name each other, so a stale row of a dead node cannot keep an
 * edge alive once the live side has dropped it.
 */
export class Topology {
  readonly rows: (Row | undefined)[];
  /** Bumped on every change, so callers can cache what they derive from the rows. */
  version = 0;
  /** When each row last changed here: recent changes are gossiped eagerly. */
  readonly changedAtMs: number[];

  constructor(readonly nodeCount: number) {
    this.rows = new Array<Row | undefined>(nodeCount).fill(undefined);
    this.changedAtMs = new Array<number>(nodeCount).fill(-Infinity);
  }

  /** Keeps the newer of the known and offered row; returns whether it changed. */
  offer(row: Row, nowMs: number): boolean {
    if (row.node < 0 || row.node >= this.nodeCount) return false;
    const cur = this.rows[row.node];
    if (cur && (row.incarnation < cur.incarnation || (row.incarnation === cur.incarnation && row.version <= cur.version))) return false;
    this.rows[row.node] = { node: row.node, incarnation: row.incarnation, version: row.version, peers: row.peers.filter((p) => p >= 0 && p < this.nodeCount) };
    this.changedAtMs[row.node] = nowMs;
    this.version++;
    return true;
  }

  set(row: Row): void {
    this.rows[row.node] = row;
    this.version++;
  }

  adjacency(): boolean[][] {
    const n = this.nodeCount;
    const has: boolean[][] = Array.from({ length: n }, () => new Array<boolean>(n).fill(false));
    for (const row of this.rows) if (row) for (const p of row.peers) has[row.node]![p] = true;
    const adj: boolean[][] = Array.from({ length: n }, () => new Array<boolean>(n).fill(false));
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) adj[i]![j] = i !== j && has[i]![j]! && has[j]![i]!;
    return adj;
  }

  /** The clique `self` belongs to under `partitionCliques`. */
  cliqueOf(self: number): number[] {
    const adj = this.adjacency();
    const component = connectedComponent(adj, self);
    for (const clique of partitionCliques(adj, component)) if (clique.includes(self)) return clique;
    return [self];
  }
}

export function connectedComponent(adj: boolean[][], start: number): number[] {
  const seen = new Set<number>([start]);
  const stack = [start];
  while (stack.length > 0) {
    const i = stack.pop()!;
    adj[i]!.forEach((e, j) => {
      if (e && !seen.has(j)) {
        seen.add(j);
        stack.push(j);
      }
    });
  }
  return [...seen].sort((a, b) => a - b);
}

/**
 * Splits nodes into cliques, greedily in index order: the lowest unassigned node
 * opens a clique and takes, in index order, every node adjacent to all members so
 * far. Deterministic, so nodes with the same rows compute the same split; when
 * connectivity is transitive each connected group is exactly one clique.
 */
export function partitionCliques(adj: boolean[][], nodes: number[]): number[][] {
  const left = [...nodes].sort((a, b) => a - b);
  const assigned = new Set<number>();
  const out: number[][] = [];
  for (const seed of left) {
    if (assigned.has(seed)) continue;
    const clique = [seed];
    assigned.add(seed);
    for (const c of left) {
      if (assigned.has(c)) continue;
      if (clique.every((m) => adj[m]![c])) {
        clique.push(c);
        assigned.add(c);
      }
    }
    out.push(clique);
  }
  return out;
}
