/** Where one link of one node listens. */
export interface LinkAddress {
  addr: string;
  port: number;
}

export type PacketHandler = (link: number, packet: Buffer) => void;

/**
 * Moves opaque packets between link addresses. Authentication, ordering and
 * liveness are all above this interface, so a transport only has to be a
 * (possibly lossy) datagram service: UDP for real nodes, memory for simulation.
 */
export interface Transport {
  /** Starts listening on each local link; a synchronous return means ready at once. */
  open(local: LinkAddress[], onPacket: PacketHandler): Promise<void> | void;
  /** Fire and forget; failures (unreachable, interface down) are the same as loss. */
  send(link: number, to: LinkAddress, packet: Buffer): void;
  close(): Promise<void> | void;
}
