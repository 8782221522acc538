import dgram from 'node:dgram';
import net from 'node:net';
import { MessagingError } from './errors.js';
import type { LinkAddress, PacketHandler, Transport } from './transport.js';

export interface UdpTransportOptions {
  /** Kernel receive buffer per socket; large CIB transfers burst many packets. */
  recvBufferBytes?: number;
  sendBufferBytes?: number;
}

/** One UDP socket per link, bound to that link's address; unicast to each peer. */
export class UdpTransport implements Transport {
  private sockets: dgram.Socket[] = [];
  private inFlight = 0;
  private drained: (() => void) | null = null;
  sendErrors = 0;

  constructor(private readonly options: UdpTransportOptions = {}) {}

  async open(local: LinkAddress[], onPacket: PacketHandler): Promise<void> {
    try {
      for (let k = 0; k < local.length; k++) {
        const { addr, port } = local[k]!;
        const family = net.isIP(addr);
        if (family === 0) throw new MessagingError('VIGIL_MESSAGING_BIND', `link ${k} address "${addr}" is not an IP address`);
        const sock = dgram.createSocket({ type: family === 6 ? 'udp6' : 'udp4', reuseAddr: false });
        this.sockets.push(sock);
        sock.on('message', (msg) => onPacket(k, msg));
        // A socket error after bind (e.g. ICMP noise) must not crash the daemon; loss is handled above.
        sock.on('error', () => { this.sendErrors++; });
        await new Promise<void>((resolve, reject) => {
          const onErr = (e: NodeJS.ErrnoException): void => {
            reject(new MessagingError('VIGIL_MESSAGING_BIND', `cannot bind link ${k} to ${addr}:${port}: ${e.code ?? e.message}`));
          };
          sock.once('error', onErr);
          sock.bind({ address: addr, port, exclusive: true }, () => {
            sock.off('error', onErr);
            resolve();
          });
        });
        try {
          sock.setRecvBufferSize(this.options.recvBufferBytes ?? 4 * 1024 * 1024);
          sock.setSendBufferSize(this.options.sendBufferBytes ?? 4 * 1024 * 1024);
        } catch {
          // The kernel caps buffer sizes (net.core.rmem_max); the default still works, only burstier loss.
        }
      }
    } catch (e) {
      await this.close();
      throw e;
    }
  }

  send(link: number, to: LinkAddress, packet: Buffer): void {
    const sock = this.sockets[link];
    if (!sock) return;
    this.inFlight++;
    try {
      sock.send(packet, to.port, to.addr, (err) => {
        if (err) this.sendErrors++;
        if (--this.inFlight === 0) this.drained?.();
      });
    } catch {
      this.sendErrors++;
      this.inFlight--;
    }
  }

  async close(): Promise<void> {
    // Let queued sends (a graceful stop's Leave) reach the kernel first, briefly.
    if (this.inFlight > 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 200);
        this.drained = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
    const socks = this.sockets;
    this.sockets = [];
    await Promise.all(socks.map((s) => new Promise<void>((resolve) => {
      try {
        s.close(() => resolve());
      } catch {
        resolve();
      }
    })));
  }
}
