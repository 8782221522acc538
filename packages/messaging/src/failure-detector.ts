/**
 * What one node knows about one peer's liveness. A peer is alive only while
 * we hear it on some link within the token timeout AND its latest heartbeat
 * says it hears our current incarnation: one-way reachability (A hears B, B
 * does not hear A) counts as down on both sides, and packets replayed from an
 * earlier life cannot prove the echo of a fresh incarnation.
 */
export class PeerLiveness {
  incarnation = 0;
  /** Incarnation that announced a graceful leave; it is never revived. */
  leftIncarnation = 0;
  readonly linkHeardMs: number[];
  readonly linkUp: boolean[];
  /** Bit k: the peer's latest heartbeat says it hears us on link k. */
  peerHearsLinks = 0;
  echoOk = false;
  alive = false;
  suspect = false;
  lastProbeMs = -Infinity;
  lastTriggeredMs = -Infinity;
  reportedEpoch = 0;
  reportedLeader = -1;
  reportedPromised = 0;
  /** Heartbeats received since our last install that still showed another view. */
  staleReports = 0;
  /** Envelope seq of the newest heartbeat processed: an older one arriving late is out of date. */
  lastHeartbeatSeq = -1;

  constructor(readonly linkCount: number) {
    this.linkHeardMs = new Array<number>(linkCount).fill(-Infinity);
    this.linkUp = new Array<boolean>(linkCount).fill(false);
  }

  lastHeardMs(): number {
    let t = -Infinity;
    for (const h of this.linkHeardMs) t = Math.max(t, h);
    return t;
  }

  hears(nowMs: number, timeoutMs: number): boolean {
    return nowMs - this.lastHeardMs() < timeoutMs;
  }

  heardLinksMask(nowMs: number, timeoutMs: number): number {
    let mask = 0;
    this.linkHeardMs.forEach((t, k) => {
      if (nowMs - t < timeoutMs) mask |= 1 << k;
    });
    return mask;
  }

  /** A new life of the peer: everything learned about the old one is void. */
  resetFor(incarnation: number): void {
    this.incarnation = incarnation;
    this.linkHeardMs.fill(-Infinity);
    this.peerHearsLinks = 0;
    this.echoOk = false;
    this.suspect = false;
    this.lastProbeMs = -Infinity;
    this.reportedEpoch = 0;
    this.reportedLeader = -1;
    this.reportedPromised = 0;
    this.staleReports = 0;
    this.lastHeartbeatSeq = -1;
  }

  /** Our own tick ran late by `lagMs`: we could not have heard anyone meanwhile. */
  forgiveLag(lagMs: number): void {
    for (let k = 0; k < this.linkHeardMs.length; k++) {
      if (this.linkHeardMs[k] !== -Infinity) this.linkHeardMs[k]! += lagMs;
    }
  }
}
