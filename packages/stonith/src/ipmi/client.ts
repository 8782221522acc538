/**
 * An IPMI 2.0 lanplus client on node:dgram: one RMCP+ session to one BMC,
 * with per-attempt timeouts and bounded retries. This is the only IO in the
 * IPMI code; framing and key derivation are pure (wire.ts, rakp.ts).
 */
import { createSocket, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { StonithError, type StonithErrorCode } from '../errors.js';
import {
  PayloadType,
  decodeIpmiResponse,
  decodePacket,
  encodeIpmiRequest,
  encodeRmcpPlus,
  encodeV15Packet,
  type IpmiResponse,
  type RmcpPlusPacket,
  type SessionKeys,
} from './wire.js';
import {
  NAME_ONLY_LOOKUP,
  PrivilegeLevel,
  decodeOpenSessionResponse,
  decodeRakp2,
  decodeRakp4,
  deriveSessionKeys,
  encodeOpenSessionRequest,
  encodeRakp1,
  encodeRakp3,
  expectedRakp2AuthCode,
  expectedRakp4IntegrityCheck,
  passwordKey,
  rakp3AuthCode,
  rmcpPlusStatusText,
  sameBytes,
  sessionIntegrityKey,
  type PrivilegeName,
  type RakpContext,
} from './rakp.js';

export const NetFn = { Chassis: 0x00, App: 0x06 } as const;
export const Cmd = {
  GetChassisStatus: 0x01,
  ChassisControl: 0x02,
  GetChannelAuthCapabilities: 0x38,
  SetSessionPrivilegeLevel: 0x3b,
  CloseSession: 0x3c,
} as const;

/** Chassis Control request byte (IPMI v2.0 table 28-4). */
export const ChassisControl = { off: 0x00, on: 0x01, cycle: 0x02, reset: 0x03, diag: 0x04, soft: 0x05 } as const;
export type ChassisControlName = keyof typeof ChassisControl;

const COMPLETION_CODES: Record<number, string> = {
  0xc0: 'node busy',
  0xc1: 'invalid command',
  0xc3: 'timeout while processing command',
  0xc7: 'request data length invalid',
  0xcc: 'invalid data field in request',
  0xd4: 'insufficient privilege level',
  0xd5: 'command not supported in present state',
  0xff: 'unspecified error',
};

export function completionCodeText(cc: number): string {
  return COMPLETION_CODES[cc] ?? `completion code 0x${cc.toString(16).padStart(2, '0')}`;
}

export interface IpmiClientOptions {
  readonly host: string;
  /** UDP port of the BMC; 623 by default. */
  readonly port?: number;
  readonly username: string;
  readonly password: string;
  /** Privilege level the session asks for; administrator by default. */
  readonly privilege?: PrivilegeName;
  /** BMC key (Kg) when the BMC is configured with one. */
  readonly bmcKey?: Buffer;
  /** How long one attempt waits for an answer. */
  readonly attemptTimeoutMs?: number;
  /** Attempts per message, the first one included. */
  readonly attempts?: number;
  /** Source of randomness (session ids, RAKP nonces, AES IVs); tests may pin it. */
  readonly random?: (bytes: number) => Buffer;
}

interface Pending {
  readonly match: (pkt: RmcpPlusPacket) => boolean;
  readonly resolve: (pkt: RmcpPlusPacket) => void;
}

export class IpmiLanplusClient {
  private readonly socket: Socket;
  private readonly random: (bytes: number) => Buffer;
  private readonly attemptTimeoutMs: number;
  private readonly attempts: number;
  private readonly where: string;
  private pending: Pending | undefined;
  private refused = false;
  private keys: SessionKeys | undefined;
  private consoleSessionId = 0;
  private bmcSessionId = 0;
  private sessionSequence = 0;
  private inboundSequence = 0;
  private rqSeq = 0;
  private closed = false;

  private constructor(private readonly opts: IpmiClientOptions, socket: Socket) {
    this.socket = socket;
    this.random = opts.random ?? randomBytes;
    this.attemptTimeoutMs = opts.attemptTimeoutMs ?? 2000;
    this.attempts = Math.max(1, opts.attempts ?? 3);
    this.where = `BMC ${opts.host}:${opts.port ?? 623}`;
    socket.on('message', (msg) => this.onMessage(msg));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      // A connected UDP socket reports ICMP port-unreachable as ECONNREFUSED.
      if (err.code === 'ECONNREFUSED') this.refused = true;
    });
  }

  /** Open a socket and an authenticated, encrypted RMCP+ session at the asked privilege. */
  static async connect(opts: IpmiClientOptions): Promise<IpmiLanplusClient> {
    if (!opts.host) throw new StonithError('VIGIL_STONITH_BAD_PARAM', 'IPMI: no BMC address (ip) given');
    const family = opts.host.includes(':') ? 'udp6' : 'udp4';
    const socket = createSocket(family);
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.connect(opts.port ?? 623, opts.host, () => {
        socket.off('error', reject);
        resolve();
      });
    }).catch((err: unknown) => {
      socket.close();
      throw new StonithError('VIGIL_STONITH_UNREACHABLE', `IPMI: cannot reach BMC ${opts.host}: ${(err as Error).message}`, { cause: err });
    });
    const client = new IpmiLanplusClient(opts, socket);
    try {
      await client.openSession();
    } catch (err) {
      client.dispose();
      throw err;
    }
    return client;
  }

  async chassisPowerIsOn(): Promise<boolean> {
    const res = await this.request(NetFn.Chassis, Cmd.GetChassisStatus, Buffer.alloc(0), 'get chassis status');
    if (res.data.length < 1) throw this.error('VIGIL_STONITH_PROTOCOL', 'chassis status response has no power state byte');
    return (res.data[0]! & 0x01) === 0x01;
  }

  async chassisControl(op: ChassisControlName): Promise<void> {
    await this.request(NetFn.Chassis, Cmd.ChassisControl, Buffer.from([ChassisControl[op]]), `chassis power ${op}`);
  }

  /** Close the session (best effort: the BMC times idle sessions out anyway) and the socket. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.keys) {
      const id = Buffer.alloc(4);
      id.writeUInt32LE(this.bmcSessionId >>> 0, 0);
      await this.request(NetFn.App, Cmd.CloseSession, id, 'close session', 1).catch(() => undefined);
    }
    this.dispose();
  }

  private dispose(): void {
    if (this.closed) return;
    this.closed = true;
    this.keys = undefined;
    this.socket.close();
  }

  private async openSession(): Promise<void> {
    const privilege = PrivilegeLevel[this.opts.privilege ?? 'administrator'];
    if (privilege === undefined) {
      throw this.error('VIGIL_STONITH_BAD_PARAM', `unknown privilege level '${this.opts.privilege}' (callback, user, operator, administrator)`);
    }
    const username = Buffer.from(this.opts.username, 'utf8');
    if (username.length > 16) throw this.error('VIGIL_STONITH_BAD_PARAM', 'user name is longer than 16 bytes');
    const password = passwordKey(this.opts.password);
    await this.checkLanplusSupport(privilege);

    // The handshake steps are not idempotent (a BMC that already answered
    // RAKP 3 treats the session as active and ignores a repeat), so a lost
    // packet restarts the whole handshake with a new session rather than
    // repeating one step.
    for (let handshake = 1; ; handshake++) {
      try {
        await this.handshake(privilege, username, password);
        break;
      } catch (err) {
        const lost = err instanceof StonithError && (err.code === 'VIGIL_STONITH_TIMEOUT' || err.code === 'VIGIL_STONITH_UNREACHABLE');
        if (!lost || handshake >= this.attempts) throw err;
      }
    }

    const res = await this.request(NetFn.App, Cmd.SetSessionPrivilegeLevel, Buffer.from([privilege]), 'set session privilege level', undefined, true);
    if (res.completionCode !== 0) {
      throw this.error('VIGIL_STONITH_AUTH_PRIVILEGE', `user '${this.opts.username}' may not act at privilege level '${this.opts.privilege ?? 'administrator'}' (${completionCodeText(res.completionCode)})`);
    }
  }

  /** Open Session, RAKP 1-4, each sent once; sets the session keys on success. */
  private async handshake(privilege: number, username: Buffer, password: Buffer): Promise<void> {
    this.consoleSessionId = this.random(4).readUInt32LE(0) || 0x5649474c;
    const openTag = this.random(1)[0]!;
    const openReply = await this.exchange(
      () => encodeRmcpPlus({ payloadType: PayloadType.OpenSessionRequest, sessionId: 0, sequence: 0, payload: encodeOpenSessionRequest({ tag: openTag, consoleSessionId: this.consoleSessionId, privilege }) }),
      (p) => p.payloadType === PayloadType.OpenSessionResponse && p.payload[0] === openTag,
      'open session',
      1,
    );
    const open = decodeOpenSessionResponse(openReply.payload);
    if (open.status !== 0) throw this.rakpFailure('open session', open.status);
    if (open.consoleSessionId !== this.consoleSessionId) throw this.error('VIGIL_STONITH_PROTOCOL', 'open session response names another session');
    this.bmcSessionId = open.bmcSessionId;

    const consoleRandom = this.random(16);
    const role = privilege | NAME_ONLY_LOOKUP;
    const rakp1Tag = (openTag + 1) & 0xff;
    const rakp2Reply = await this.exchange(
      () => encodeRmcpPlus({ payloadType: PayloadType.Rakp1, sessionId: 0, sequence: 0, payload: encodeRakp1({ tag: rakp1Tag, bmcSessionId: this.bmcSessionId, consoleRandom, role, username }) }),
      (p) => p.payloadType === PayloadType.Rakp2 && p.payload[0] === rakp1Tag,
      'RAKP 1',
      1,
    );
    const rakp2 = decodeRakp2(rakp2Reply.payload);
    if (rakp2.status !== 0) throw this.rakpFailure('RAKP 2', rakp2.status);
    const ctx: RakpContext = {
      consoleSessionId: this.consoleSessionId,
      bmcSessionId: this.bmcSessionId,
      consoleRandom,
      bmcRandom: rakp2.bmcRandom,
      bmcGuid: rakp2.bmcGuid,
      role,
      username,
      password,
      ...(this.opts.bmcKey && this.opts.bmcKey.length > 0 ? { bmcKey: this.opts.bmcKey } : {}),
    };
    // The BMC proves it knows the user's password first; a mismatch here means
    // our password is wrong, and we stop before sending anything that acts.
    if (!sameBytes(rakp2.authCode, expectedRakp2AuthCode(ctx))) {
      throw this.error('VIGIL_STONITH_AUTH_PASSWORD', `wrong password for user '${this.opts.username}' (the BMC's RAKP 2 proof does not match it)`);
    }

    const sik = sessionIntegrityKey(ctx);
    const rakp3Tag = (openTag + 2) & 0xff;
    let rakp4Reply: RmcpPlusPacket;
    try {
      rakp4Reply = await this.exchange(
        () => encodeRmcpPlus({ payloadType: PayloadType.Rakp3, sessionId: 0, sequence: 0, payload: encodeRakp3(rakp3Tag, 0, this.bmcSessionId, rakp3AuthCode(ctx)) }),
        (p) => p.payloadType === PayloadType.Rakp4 && p.payload[0] === rakp3Tag,
        'RAKP 3',
        1,
      );
    } catch (err) {
      // The BMC may hold this session as active (only its answer was lost):
      // close it with the keys we both derived, so it does not use up a slot.
      await this.closeSessionWith(deriveSessionKeys(sik));
      throw err;
    }
    const rakp4 = decodeRakp4(rakp4Reply.payload);
    if (rakp4.status !== 0) throw this.rakpFailure('RAKP 4', rakp4.status);
    if (!sameBytes(rakp4.integrityCheck, expectedRakp4IntegrityCheck(ctx, sik))) {
      throw this.error('VIGIL_STONITH_AUTH_PASSWORD', 'RAKP 4 integrity check failed (wrong BMC key, or not the BMC that answered before)');
    }
    this.keys = deriveSessionKeys(sik);
    this.sessionSequence = 0;
    this.inboundSequence = 0;
  }

  private async closeSessionWith(keys: SessionKeys): Promise<void> {
    this.keys = keys;
    this.sessionSequence = 0;
    this.inboundSequence = 0;
    const id = Buffer.alloc(4);
    id.writeUInt32LE(this.bmcSessionId >>> 0, 0);
    await this.request(NetFn.App, Cmd.CloseSession, id, 'close half-open session', 1).catch(() => undefined);
    this.keys = undefined;
  }

  private async checkLanplusSupport(privilege: number): Promise<void> {
    const rqSeq = this.nextRqSeq();
    // Bit 7 of the channel byte asks for the IPMI 2.0 extended capabilities; 0x0e = this channel.
    const message = encodeIpmiRequest({ netFn: NetFn.App, cmd: Cmd.GetChannelAuthCapabilities, rqSeq, data: Buffer.from([0x8e, privilege]) });
    const reply = await this.exchange(
      () => encodeV15Packet(message),
      (p) => p.payloadType === PayloadType.Ipmi && p.sessionId === 0 && matchesResponse(p.payload, NetFn.App, Cmd.GetChannelAuthCapabilities, rqSeq),
      'get channel authentication capabilities',
    );
    const res = decodeIpmiResponse(reply.payload);
    if (res.completionCode !== 0) {
      throw this.error('VIGIL_STONITH_PROTOCOL', `get channel authentication capabilities failed: ${completionCodeText(res.completionCode)}`);
    }
    const extended = (res.data[1]! & 0x80) !== 0;
    const v20 = res.data.length >= 4 && (res.data[3]! & 0x02) !== 0;
    if (!extended || !v20) throw this.error('VIGIL_STONITH_PROTOCOL', 'the BMC does not support IPMI 2.0 / RMCP+ (lanplus)');
  }

  /**
   * Send one IPMI command inside the session and return its response; a
   * non-zero completion code raises unless `allowFailure` is set.
   */
  private async request(netFn: number, cmd: number, data: Buffer, what: string, attempts?: number, allowFailure = false): Promise<IpmiResponse> {
    if (!this.keys || this.closed) throw this.error('VIGIL_STONITH_PROTOCOL', `${what}: no open session`);
    const keys = this.keys;
    const rqSeq = this.nextRqSeq();
    const message = encodeIpmiRequest({ netFn, cmd, rqSeq, data });
    const reply = await this.exchange(
      // Each retry is a new packet with a new session sequence number: BMCs drop repeats.
      () => encodeRmcpPlus({ payloadType: PayloadType.Ipmi, sessionId: this.bmcSessionId, sequence: this.nextSessionSequence(), payload: message, keys, iv: this.random(16) }),
      (p) => p.payloadType === PayloadType.Ipmi && p.sessionId === this.consoleSessionId && p.authenticated && matchesResponse(p.payload, netFn, cmd, rqSeq),
      what,
      attempts,
    );
    const res = decodeIpmiResponse(reply.payload);
    if (res.completionCode !== 0 && !allowFailure) {
      const code: StonithErrorCode = res.completionCode === 0xd4 ? 'VIGIL_STONITH_AUTH_PRIVILEGE' : 'VIGIL_STONITH_DEVICE_REFUSED';
      throw this.error(code, `${what} failed: ${completionCodeText(res.completionCode)}`);
    }
    return res;
  }

  private nextRqSeq(): number {
    this.rqSeq = (this.rqSeq + 1) & 0x3f;
    return this.rqSeq;
  }

  private nextSessionSequence(): number {
    // Sequence 0 is reserved for packets outside a session.
    this.sessionSequence = this.sessionSequence >= 0xffffffff ? 1 : this.sessionSequence + 1;
    return this.sessionSequence;
  }

  private async exchange(build: () => Buffer, match: (p: RmcpPlusPacket) => boolean, what: string, attempts = this.attempts): Promise<RmcpPlusPacket> {
    if (this.pending) throw new Error('IPMI client: one exchange at a time');
    this.refused = false;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (this.closed) break;
      const packet = build();
      const reply = await new Promise<RmcpPlusPacket | undefined>((resolve) => {
        const timer = setTimeout(() => {
          this.pending = undefined;
          resolve(undefined);
        }, this.attemptTimeoutMs);
        this.pending = {
          match,
          resolve: (p) => {
            clearTimeout(timer);
            this.pending = undefined;
            resolve(p);
          },
        };
        this.socket.send(packet);
      });
      if (reply) return reply;
    }
    const total = attempts * this.attemptTimeoutMs;
    if (this.refused) {
      throw this.error('VIGIL_STONITH_UNREACHABLE', `${what}: nothing listens on UDP ${this.opts.port ?? 623} (ICMP port unreachable, ${attempts} attempt(s))`);
    }
    throw this.error('VIGIL_STONITH_TIMEOUT', `${what}: no answer after ${attempts} attempt(s) of ${this.attemptTimeoutMs} ms (${total} ms); is the BMC reachable and is lanplus enabled?`);
  }

  private onMessage(msg: Buffer): void {
    const pending = this.pending;
    if (!pending) return;
    let pkt: RmcpPlusPacket;
    try {
      pkt = decodePacket(msg, this.keys);
    } catch {
      // Stray, stale or forged packets are ignored; the attempt times out if nothing valid comes.
      return;
    }
    if (pkt.authenticated) {
      // Replay protection: the BMC's session sequence numbers only grow.
      if (pkt.sessionId !== this.consoleSessionId || pkt.sequence <= this.inboundSequence) return;
    }
    if (pending.match(pkt)) {
      if (pkt.authenticated) this.inboundSequence = pkt.sequence;
      pending.resolve(pkt);
    }
  }

  private rakpFailure(step: string, status: number): StonithError {
    const text = rmcpPlusStatusText(status);
    if (status === 0x0d || status === 0x0c) return this.error('VIGIL_STONITH_AUTH_USER', `user '${this.opts.username}' is not known to the BMC (${step}: ${text})`);
    if (status === 0x0f) return this.error('VIGIL_STONITH_AUTH_PASSWORD', `wrong password for user '${this.opts.username}' (${step}: ${text})`);
    if (status === 0x09 || status === 0x0a || status === 0x0b) {
      return this.error('VIGIL_STONITH_AUTH_PRIVILEGE', `user '${this.opts.username}' may not open a session at privilege level '${this.opts.privilege ?? 'administrator'}' (${step}: ${text})`);
    }
    return this.error('VIGIL_STONITH_PROTOCOL', `${step} refused: ${text}`);
  }

  private error(code: StonithErrorCode, message: string): StonithError {
    return new StonithError(code, `IPMI ${this.where}: ${message}`);
  }
}

function matchesResponse(payload: Buffer, netFn: number, cmd: number, rqSeq: number): boolean {
  try {
    const res = decodeIpmiResponse(payload);
    return res.netFn === netFn + 1 && res.cmd === cmd && res.rqSeq === rqSeq;
  } catch {
    return false;
  }
}
