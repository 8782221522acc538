/**
 * Node attribute writes with dampening (attrd's --delay): changes to one
 * attribute within the dampening window are coalesced and only the latest
 * value is written, once the window since the first change has passed. This
 * keeps a flapping health check from turning into a stream of CIB commits.
 */
export interface AttributeWrite {
  readonly node: string;
  readonly name: string;
  readonly value: string | null;
}

interface Pending extends AttributeWrite {
  readonly dueMs: number;
}

export class AttributeDamper {
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly maxPending = 1024) {}

  /** Returns false when too many distinct attributes are waiting (the caller reports it). */
  set(write: AttributeWrite, nowMs: number, dampenMs: number): boolean {
    const key = `${write.node}\u0000${write.name}`;
    const existing = this.pending.get(key);
    if (!existing && this.pending.size >= this.maxPending) return false;
    // The window starts at the first change and is not pushed back by later ones.
    const dueMs = existing ? Math.min(existing.dueMs, nowMs + dampenMs) : nowMs + dampenMs;
    this.pending.set(key, { ...write, dueMs });
    return true;
  }

  /** Writes whose window has passed, oldest first; they are removed from the buffer. */
  due(nowMs: number): AttributeWrite[] {
    const ready = [...this.pending.entries()].filter(([, p]) => p.dueMs <= nowMs).sort((a, b) => a[1].dueMs - b[1].dueMs);
    for (const [key] of ready) this.pending.delete(key);
    return ready.map(([, p]) => ({ node: p.node, name: p.name, value: p.value }));
  }

  get size(): number {
    return this.pending.size;
  }
}
