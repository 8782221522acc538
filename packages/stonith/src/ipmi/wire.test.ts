import { describe, expect, it } from 'vitest';
import { checksum, decodeIpmiResponse, decodePacket, encodeIpmiRequest, encodeRmcpPlus, PayloadType } from './wire.js';
import { deriveSessionKeys, expectedRakp2AuthCode, rakp3AuthCode, sessionIntegrityKey, type RakpContext } from './rakp.js';
import { isStonithError } from '../errors.js';

const keys = deriveSessionKeys(Buffer.alloc(20, 7));
const iv = Buffer.alloc(16, 3);

describe('RMCP+ framing', () => {
  it('round-trips an encrypted, signed IPMI payload of every length across the AES block boundary', () => {
    for (let len = 0; len <= 40; len++) {
      const payload = Buffer.from(Array.from({ length: len }, (_, i) => (i * 13) & 0xff));
      const packet = encodeRmcpPlus({ payloadType: PayloadType.Ipmi, sessionId: 0x01020304, sequence: 9, payload, keys, iv });
      // authType .. next header is a multiple of 4 bytes (before the 12-byte auth code)
      expect((packet.length - 4 - 12) % 4).toBe(0);
      const decoded = decodePacket(packet, keys);
      expect(decoded.payload.equals(payload)).toBe(true);
      expect(decoded).toMatchObject({ sessionId: 0x01020304, sequence: 9, encrypted: true, authenticated: true });
    }
  });

  it('rejects a packet whose payload or auth code was altered', () => {
    const packet = encodeRmcpPlus({ payloadType: PayloadType.Ipmi, sessionId: 1, sequence: 1, payload: Buffer.from('hello'), keys, iv });
    for (const at of [20, packet.length - 1]) {
      const bad = Buffer.from(packet);
      bad[at] ^= 0x01;
      expect(() => decodePacket(bad, keys)).toThrow(/integrity check/);
    }
    const other = deriveSessionKeys(Buffer.alloc(20, 8));
    const err = (() => {
      try {
        decodePacket(packet, other);
      } catch (e) {
        return e;
      }
    })();
    expect(isStonithError(err, 'VIGIL_STONITH_PROTOCOL')).toBe(true);
  });

  it('frames IPMI requests with checksums the response decoder verifies', () => {
    const req = encodeIpmiRequest({ netFn: 0x00, cmd: 0x02, rqSeq: 5, data: Buffer.from([0x00]) });
    expect(checksum(req.subarray(0, 2))).toBe(req[2]);
    expect(checksum(req.subarray(3, req.length - 1))).toBe(req[req.length - 1]);
    // a response as a BMC builds it: rqAddr, netFn+1, chk, rsAddr, seq, cmd, cc, data, chk
    const head = Buffer.from([0x81, (0x01 << 2) | 0]);
    const body = Buffer.from([0x20, 5 << 2, 0x02, 0x00]);
    const res = Buffer.concat([head, Buffer.from([checksum(head)]), body, Buffer.from([checksum(body)])]);
    expect(decodeIpmiResponse(res)).toMatchObject({ netFn: 1, cmd: 2, rqSeq: 5, completionCode: 0 });
    res[3] ^= 1;
    expect(() => decodeIpmiResponse(res)).toThrow(/checksum/);
  });
});

describe('RAKP key exchange', () => {
  const ctx: RakpContext = {
    consoleSessionId: 0xa0a1a2a3,
    bmcSessionId: 0xb0b1b2b3,
    consoleRandom: Buffer.alloc(16, 0x11),
    bmcRandom: Buffer.alloc(16, 0x22),
    bmcGuid: Buffer.alloc(16, 0x33),
    role: 0x14,
    username: Buffer.from('admin'),
    password: Buffer.from('secret'),
  };

  it('binds every proof to the password, the nonces and the role', () => {
    const base = expectedRakp2AuthCode(ctx);
    expect(base).toHaveLength(20);
    expect(expectedRakp2AuthCode({ ...ctx, password: Buffer.from('secreT') }).equals(base)).toBe(false);
    expect(expectedRakp2AuthCode({ ...ctx, role: 0x13 }).equals(base)).toBe(false);
    expect(expectedRakp2AuthCode({ ...ctx, bmcRandom: Buffer.alloc(16, 0x23) }).equals(base)).toBe(false);
    expect(rakp3AuthCode(ctx).equals(base)).toBe(false);
  });

  it('uses the BMC key Kg for the session key when one is set', () => {
    const withKg = sessionIntegrityKey({ ...ctx, bmcKey: Buffer.from('kg') });
    expect(withKg.equals(sessionIntegrityKey(ctx))).toBe(false);
    const k = deriveSessionKeys(sessionIntegrityKey(ctx));
    expect(k.integrityKey).toHaveLength(20);
    expect(k.aesKey).toHaveLength(16);
  });
});
