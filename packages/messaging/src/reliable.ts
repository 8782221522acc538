import { MessagingError, invariant } from './errors.js';
import { MessageType } from './wire/types.js';
import { DATA_FIRST, DATA_LAST, dataHeaderBytes, type Ack, type Data } from './wire/data.js';
import type { Outgoing } from './membership.js';

export interface ReliableOptions {
  self: number;
  nodeCount: number;
  /** Largest chunk of payload per packet (payload bytes, headers excluded). */
  chunkBytes: number;
  /** Fragments in flight per peer before waiting for acks. */
  windowFragments: number;
  /** Bytes accepted into one peer's send queue before `send` reports backpressure. */
  maxQueuedBytes: number;
  maxMessageBytes: number;
  sendTimeoutMs: number;
  initialRtoMs: number;
  maxRtoMs: number;
}

export interface Delivered {
  from: number;
  channel: string;
  payload: Buffer;
}

interface Fragment {
  seq: number;
  flags: number;
  channel?: string;
  totalBytes?: number;
  chunk: Buffer;
  sentAtMs: number;
  retransmits: number;
}

interface PendingMessage {
  lastSeq: number;
  bytes: number;
  deadlineMs: number;
  resolve: () => void;
  reject: (e: Error) => void;
}

class SendStream {
  peerIncarnation = 0;
  generation = 0;
  nextSeq = 0;
  /** Fragments not yet sent, from `unsentHead` on (a queue without O(n) shifts). */
  unsent: Fragment[] = [];
  unsentHead = 0;
  readonly inflight = new Map<number, Fragment>();
  readonly messages: PendingMessage[] = [];
  queuedBytes = 0;
  srttMs = -1;
}

const RECV_WINDOW = 4096;

class RecvStream {
  senderIncarnation = 0;
  generation = -1;
  nextSeq = 0;
  readonly buffered = new Map<number, Data>();
  assembling: { channel: string; totalBytes: number; parts: Buffer[]; bytes: number } | null = null;

  reset(incarnation: number, generation: number): void {
    this.senderIncarnation = incarnation;
    this.generation = generation;
    this.nextSeq = 0;
    this.buffered.clear();
    this.assembling = null;
  }
}

/**
 * Reliable, ordered, deduplicated node-to-node messages over unreliable packets,
 * as a pure state machine like the membership core. Each peer has one stream per
 * (our incarnation, its incarnation, generation); messages are cut into
 * fragments, sent within a window, acked cumulatively plus selectively, and
 * retransmitted on an adaptive timeout. A peer's restart or loss fails whatever
 * was still unacknowledged: the caller learns it, nothing is silently dropped.
 */
export class ReliableCore {
  private readonly sends: SendStream[];
  private readonly recvs: RecvStream[];
  private outbox: Outgoing[] = [];
  private delivered: Delivered[] = [];
  retransmits = 0;

  constructor(private readonly o: ReliableOptions, private readonly selfIncarnation: number) {
    invariant(o.chunkBytes >= 64, 'chunkBytes >= 64');
    this.sends = Array.from({ length: o.nodeCount }, () => new SendStream());
    this.recvs = Array.from({ length: o.nodeCount }, () => new RecvStream());
  }

  takeOutbox(): Outgoing[] {
    const out = this.outbox;
    this.outbox = [];
    return out;
  }

  takeDelivered(): Delivered[] {
    const d = this.delivered;
    this.delivered = [];
    return d;
  }

  queuedBytes(to: number): number {
    return this.sends[to]!.queuedBytes;
  }

  /**
   * Queues a message to a peer known alive at `peerIncarnation`; the promise
   * settles when every fragment is acked or the stream fails.
   */
  send(to: number, peerIncarnation: number, channel: string, payload: Buffer, nowMs: number): Promise<void> {
    const o = this.o;
    if (Buffer.byteLength(channel) > 255) return Promise.reject(new MessagingError('VIGIL_MESSAGING_TOO_LARGE', `channel name "${channel.slice(0, 40)}…" exceeds 255 bytes`));
    if (payload.length > o.maxMessageBytes) {
      return Promise.reject(new MessagingError('VIGIL_MESSAGING_TOO_LARGE', `message of ${payload.length} bytes exceeds maxMessageBytes ${o.maxMessageBytes}`));
    }
    const s = this.sends[to]!;
    if (s.peerIncarnation !== peerIncarnation) this.resetSend(to, peerIncarnation, null);
    if (s.queuedBytes + payload.length > o.maxQueuedBytes && s.queuedBytes > 0) {
      return Promise.reject(new MessagingError('VIGIL_MESSAGING_BACKPRESSURE', `send queue to node index ${to} holds ${s.queuedBytes} bytes (limit ${o.maxQueuedBytes}); wait for earlier sends to settle`));
    }
    const firstChunk = Math.max(1, o.chunkBytes - (dataHeaderBytes(channel) - dataHeaderBytes(undefined)));
    let offset = 0;
    let first = true;
    do {
      const size = first ? firstChunk : o.chunkBytes;
      const chunk = payload.subarray(offset, offset + size);
      offset += chunk.length;
      const frag: Fragment = { seq: s.nextSeq++, flags: 0, chunk, sentAtMs: -Infinity, retransmits: 0 };
      if (first) {
        frag.flags |= DATA_FIRST;
        frag.channel = channel;
        frag.totalBytes = payload.length;
        first = false;
      }
      if (offset >= payload.length) frag.flags |= DATA_LAST;
      s.unsent.push(frag);
    } while (offset < payload.length);
    s.queuedBytes += payload.length;
    const promise = new Promise<void>((resolve, reject) => {
      s.messages.push({ lastSeq: s.nextSeq - 1, bytes: payload.length, deadlineMs: nowMs + o.sendTimeoutMs, resolve, reject });
    });
    this.pump(to, nowMs);
    return promise;
  }

  /** The peer died or restarted: fail everything still owed to it. */
  peerLost(to: number, reason: string): void {
    const s = this.sends[to]!;
    if (s.messages.length === 0 && s.inflight.size === 0 && s.unsentHead === s.unsent.length) return;
    this.resetSend(to, s.peerIncarnation, new MessagingError('VIGIL_MESSAGING_PEER_LOST', reason));
  }

  failAll(error: Error): void {
    for (let i = 0; i < this.sends.length; i++) this.resetSend(i, this.sends[i]!.peerIncarnation, error);
  }

  /** `link`: where the fragment arrived; the ack returns on it, a path known to work now. */
  onData(from: number, senderIncarnation: number, d: Data, link?: number): void {
    if (d.toIncarnation !== this.selfIncarnation) return;
    const r = this.recvs[from]!;
    if (senderIncarnation !== r.senderIncarnation || d.generation !== r.generation) {
      const newer = senderIncarnation > r.senderIncarnation || (senderIncarnation === r.senderIncarnation && d.generation > r.generation);
      if (!newer) return;
      r.reset(senderIncarnation, d.generation);
    }
    if (d.seq >= r.nextSeq && d.seq < r.nextSeq + RECV_WINDOW && !r.buffered.has(d.seq)) r.buffered.set(d.seq, d);
    while (r.buffered.has(r.nextSeq)) {
      const frag = r.buffered.get(r.nextSeq)!;
      r.buffered.delete(r.nextSeq);
      r.nextSeq++;
      this.assemble(from, r, frag);
    }
    let selective = 0;
    for (let i = 0; i < 32; i++) if (r.buffered.has(r.nextSeq + 1 + i)) selective |= 1 << i;
    const ack: Ack = { toIncarnation: senderIncarnation, generation: r.generation, nextSeq: r.nextSeq, selective: selective >>> 0 };
    this.outbox.push({ to: from, route: 'best', message: { type: MessageType.Ack, body: ack }, ...(link === undefined ? {} : { viaLink: link }) });
  }

  private assemble(from: number, r: RecvStream, frag: Data): void {
    if (frag.flags & DATA_FIRST) {
      const total = frag.totalBytes ?? 0;
      // A sender that lies about sizes is authenticated but buggy: bound memory anyway.
      r.assembling = total <= this.o.maxMessageBytes ? { channel: frag.channel ?? '', totalBytes: total, parts: [], bytes: 0 } : null;
    }
    const a = r.assembling;
    if (!a) return;
    a.parts.push(frag.chunk);
    a.bytes += frag.chunk.length;
    if (a.bytes > a.totalBytes) {
      r.assembling = null;
      return;
    }
    if (frag.flags & DATA_LAST) {
      r.assembling = null;
      if (a.bytes === a.totalBytes) this.delivered.push({ from, channel: a.channel, payload: a.parts.length === 1 ? Buffer.from(a.parts[0]!) : Buffer.concat(a.parts, a.bytes) });
    }
  }

  onAck(from: number, ack: Ack, nowMs: number): void {
    if (ack.toIncarnation !== this.selfIncarnation) return;
    const s = this.sends[from]!;
    if (ack.generation !== s.generation) return;
    for (const [seq, frag] of s.inflight) {
      const acked = seq < ack.nextSeq || (seq > ack.nextSeq && seq - ack.nextSeq - 1 < 32 && (ack.selective & (1 << (seq - ack.nextSeq - 1))) !== 0);
      if (!acked) continue;
      if (frag.retransmits === 0) {
        const sample = nowMs - frag.sentAtMs;
        s.srttMs = s.srttMs < 0 ? sample : s.srttMs * 0.875 + sample * 0.125;
      }
      s.inflight.delete(seq);
    }
    while (s.messages.length > 0 && s.messages[0]!.lastSeq < ack.nextSeq) {
      const m = s.messages.shift()!;
      s.queuedBytes -= m.bytes;
      m.resolve();
    }
    this.pump(from, nowMs);
  }

  tick(nowMs: number): void {
    for (let to = 0; to < this.sends.length; to++) {
      const s = this.sends[to]!;
      if (s.messages.length > 0 && s.messages[0]!.deadlineMs <= nowMs) {
        this.resetSend(to, s.peerIncarnation, new MessagingError('VIGIL_MESSAGING_SEND_TIMEOUT', `node index ${to} did not acknowledge within ${this.o.sendTimeoutMs} ms`));
        continue;
      }
      const rto = this.rto(s);
      for (const frag of s.inflight.values()) {
        if (nowMs >= frag.sentAtMs + rto * 2 ** Math.min(frag.retransmits, 4)) {
          frag.retransmits++;
          this.retransmits++;
          this.transmit(to, s, frag, nowMs);
        }
      }
      this.pump(to, nowMs);
    }
  }

  nextDeadline(): number {
    let t = Infinity;
    for (const s of this.sends) {
      if (s.messages.length > 0) t = Math.min(t, s.messages[0]!.deadlineMs);
      const rto = this.rto(s);
      for (const frag of s.inflight.values()) t = Math.min(t, frag.sentAtMs + rto * 2 ** Math.min(frag.retransmits, 4));
    }
    return t;
  }

  private rto(s: SendStream): number {
    const base = s.srttMs < 0 ? this.o.initialRtoMs : 2 * s.srttMs + 10;
    return Math.min(this.o.maxRtoMs, Math.max(20, base));
  }

  private pump(to: number, nowMs: number): void {
    const s = this.sends[to]!;
    while (s.unsentHead < s.unsent.length && s.inflight.size < this.o.windowFragments) {
      const frag = s.unsent[s.unsentHead]!;
      s.unsent[s.unsentHead++] = undefined as unknown as Fragment;
      s.inflight.set(frag.seq, frag);
      this.transmit(to, s, frag, nowMs);
    }
    if (s.unsentHead === s.unsent.length) {
      s.unsent = [];
      s.unsentHead = 0;
    } else if (s.unsentHead > 4096 && s.unsentHead * 2 > s.unsent.length) {
      s.unsent = s.unsent.slice(s.unsentHead);
      s.unsentHead = 0;
    }
  }

  private transmit(to: number, s: SendStream, frag: Fragment, nowMs: number): void {
    frag.sentAtMs = nowMs;
    const body: Data = { toIncarnation: s.peerIncarnation, generation: s.generation, seq: frag.seq, flags: frag.flags, chunk: frag.chunk };
    if (frag.flags & DATA_FIRST) {
      body.channel = frag.channel ?? '';
      body.totalBytes = frag.totalBytes ?? 0;
    }
    this.outbox.push({ to, route: 'best', message: { type: MessageType.Data, body }, attempt: frag.retransmits });
  }

  /** Starts a new generation so the receiver discards any half-received message. */
  private resetSend(to: number, peerIncarnation: number, error: Error | null): void {
    const s = this.sends[to]!;
    const failed = s.messages.splice(0);
    s.unsent = [];
    s.unsentHead = 0;
    s.inflight.clear();
    s.queuedBytes = 0;
    s.nextSeq = 0;
    s.generation = (s.generation + 1) >>> 0;
    s.peerIncarnation = peerIncarnation;
    s.srttMs = -1;
    const reason = error ?? new MessagingError('VIGIL_MESSAGING_PEER_LOST', `node index ${to} restarted`);
    for (const m of failed) m.reject(reason);
  }
}
