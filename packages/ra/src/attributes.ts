/**
 * Node attributes as resource agents see them through crm_attribute /
 * crm_master / crm_node. The executor only talks to this interface, so the
 * node daemon can back it with the replicated CIB; tests and library users
 * take the in-memory one.
 */

/** reboot = transient (status section), forever = permanent (nodes section). */
export type AttributeLifetime = 'reboot' | 'forever';

export interface AttributeStore {
  get(node: string, name: string, lifetime: AttributeLifetime): Promise<string | undefined>;
  set(node: string, name: string, value: string, lifetime: AttributeLifetime): Promise<void>;
  delete(node: string, name: string, lifetime: AttributeLifetime): Promise<void>;
  /** Cluster options (crm_config) for `crm_attribute -t crm_config -G`; absent = none known. */
  getClusterOption?(name: string): Promise<string | undefined>;
}

export interface AttributeChange {
  readonly node: string;
  readonly name: string;
  readonly lifetime: AttributeLifetime;
  /** undefined = deleted */
  readonly value: string | undefined;
}

export class MemoryAttributeStore implements AttributeStore {
  private readonly values = new Map<string, string>();
  private readonly listeners = new Set<(change: AttributeChange) => void>();

  constructor(private readonly clusterOptions: Readonly<Record<string, string>> = {}) {}

  private static key(node: string, name: string, lifetime: AttributeLifetime): string {
    return `${lifetime}\u0000${node}\u0000${name}`;
  }

  async get(node: string, name: string, lifetime: AttributeLifetime): Promise<string | undefined> {
    return this.values.get(MemoryAttributeStore.key(node, name, lifetime));
  }

  async set(node: string, name: string, value: string, lifetime: AttributeLifetime): Promise<void> {
    this.values.set(MemoryAttributeStore.key(node, name, lifetime), value);
    this.emit({ node, name, lifetime, value });
  }

  async delete(node: string, name: string, lifetime: AttributeLifetime): Promise<void> {
    if (this.values.delete(MemoryAttributeStore.key(node, name, lifetime))) {
      this.emit({ node, name, lifetime, value: undefined });
    }
  }

  async getClusterOption(name: string): Promise<string | undefined> {
    return this.clusterOptions[name];
  }

  /** Synchronous read for tests and status displays. */
  peek(node: string, name: string, lifetime: AttributeLifetime): string | undefined {
    return this.values.get(MemoryAttributeStore.key(node, name, lifetime));
  }

  /** All attributes of one node and lifetime, sorted by name. */
  list(node: string, lifetime: AttributeLifetime): Array<[string, string]> {
    const prefix = `${lifetime}\u0000${node}\u0000`;
    return [...this.values]
      .filter(([k]) => k.startsWith(prefix))
      .map(([k, v]): [string, string] => [k.slice(prefix.length), v])
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  onChange(listener: (change: AttributeChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(change: AttributeChange): void {
    for (const l of this.listeners) l(change);
  }
}
