import type { VirtualClock } from './clock.js';
import type { Random } from './random.js';
import type { LinkAddress, PacketHandler, Transport } from './transport.js';

export interface NetworkFaults {
  /** Probability each packet is lost. */
  dropRate: number;
  /** Probability each delivered packet arrives twice. */
  duplicateRate: number;
  /** Probability a delivered packet has one byte flipped (must be caught by authentication). */
  corruptRate: number;
  /** Delivery delay is uniform in [minDelayMs, maxDelayMs]; a spread reorders packets. */
  minDelayMs: number;
  maxDelayMs: number;
}

export const NO_FAULTS: NetworkFaults = { dropRate: 0, duplicateRate: 0, corruptRate: 0, minDelayMs: 0.1, maxDelayMs: 0.3 };

export function addressKey(a: LinkAddress): string {
  return `${a.addr}:${a.port}`;
}

interface Endpoint {
  transport: MemoryTransport;
  link: number;
}

/**
 * An in-memory datagram network on a virtual clock, with seeded faults: loss,
 * delay, duplication, reordering, partitions (also one-way) and links taken down.
 * Addresses are opaque strings, so nothing here ever touches a real network.
 */
export class MemoryNetwork {
  private readonly endpoints = new Map<string, Endpoint>();
  private readonly blocked = new Set<string>();
  private readonly down = new Set<string>();
  faults: NetworkFaults = { ...NO_FAULTS };
  delivered = 0;
  dropped = 0;

  constructor(readonly clock: VirtualClock, readonly random: Random) {}

  createTransport(): MemoryTransport {
    return new MemoryTransport(this);
  }

  setFaults(f: Partial<NetworkFaults>): void {
    this.faults = { ...this.faults, ...f };
  }

  /** Packets from `from` to `to` are lost (one direction only). */
  block(from: LinkAddress, to: LinkAddress): void {
    this.blocked.add(`${addressKey(from)}>${addressKey(to)}`);
  }

  unblock(from: LinkAddress, to: LinkAddress): void {
    this.blocked.delete(`${addressKey(from)}>${addressKey(to)}`);
  }

  /** An interface taken down: nothing leaves or reaches it. */
  setLinkDown(addr: LinkAddress, isDown: boolean): void {
    if (isDown) this.down.add(addressKey(addr));
    else this.down.delete(addressKey(addr));
  }

  /** Clears partitions, blocks and downed links; the loss/delay model stays. */
  heal(): void {
    this.blocked.clear();
    this.down.clear();
  }

  /** @internal */
  attach(addr: LinkAddress, ep: Endpoint): void {
    const key = addressKey(addr);
    if (this.endpoints.has(key)) throw new Error(`memory network: ${key} is already bound`);
    this.endpoints.set(key, ep);
  }

  /** @internal */
  detach(addr: LinkAddress, transport: MemoryTransport): void {
    const key = addressKey(addr);
    if (this.endpoints.get(key)?.transport === transport) this.endpoints.delete(key);
  }

  /** @internal */
  route(from: LinkAddress, to: LinkAddress, packet: Buffer): void {
    const f = this.faults;
    const fromKey = addressKey(from);
    const toKey = addressKey(to);
    if (this.down.has(fromKey) || this.blocked.has(`${fromKey}>${toKey}`) || this.random.next() < f.dropRate) {
      this.dropped++;
      return;
    }
    const copies = this.random.next() < f.duplicateRate ? 2 : 1;
    for (let c = 0; c < copies; c++) {
      const delay = f.minDelayMs + this.random.next() * Math.max(0, f.maxDelayMs - f.minDelayMs);
      // Senders never reuse a sealed packet, so only a corrupted copy needs its own bytes.
      let bytes = packet;
      if (f.corruptRate > 0 && this.random.next() < f.corruptRate) {
        bytes = Buffer.from(packet);
        bytes[this.random.int(bytes.length)]! ^= 1 << this.random.int(8);
      }
      this.clock.setTimer(delay, () => {
        // Checked again on arrival: a link may go down while a packet is in flight.
        if (this.down.has(toKey)) {
          this.dropped++;
          return;
        }
        const ep = this.endpoints.get(toKey);
        if (!ep) {
          this.dropped++;
          return;
        }
        this.delivered++;
        ep.transport.deliver(ep.link, bytes);
      });
    }
  }
}

export class MemoryTransport implements Transport {
  private local: LinkAddress[] = [];
  private handler: PacketHandler | null = null;

  constructor(private readonly network: MemoryNetwork) {}

  open(local: LinkAddress[], onPacket: PacketHandler): void {
    local.forEach((addr, link) => this.network.attach(addr, { transport: this, link }));
    this.local = local;
    this.handler = onPacket;
  }

  send(link: number, to: LinkAddress, packet: Buffer): void {
    const from = this.local[link];
    if (!from || !this.handler) return;
    this.network.route(from, to, packet);
  }

  close(): void {
    for (const addr of this.local) this.network.detach(addr, this);
    this.handler = null;
  }

  /** @internal */
  deliver(link: number, packet: Buffer): void {
    this.handler?.(link, packet);
  }
}
