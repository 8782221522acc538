import { describe, expect, it, afterAll } from 'vitest';
import { mkdtempSync, rmSync, statSync, writeFileSync, chmodSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PacketAuth, ReplayWindow, parseHeader, readAuthKeyFile, writeAuthKeyFile, type AuthScheme } from './auth.js';
import { AuthKeyError } from './errors.js';

const key = Buffer.alloc(32, 1);
const otherKey = Buffer.alloc(32, 2);

describe.each<AuthScheme>(['hmac-sha256', 'aes-256-gcm'])('PacketAuth %s', (scheme) => {
  const auth = new PacketAuth(key, scheme);
  const body = Buffer.from('the body of a heartbeat');
  const packet = auth.seal(7, 123456789012, 42, 1, body);

  it('opens what it sealed and exposes the header', () => {
    const h = parseHeader(packet)!;
    expect(h).toMatchObject({ sender: 7, incarnation: 123456789012, seq: 42, type: 1 });
    expect(auth.matches(h)).toBe(true);
    expect(auth.open(packet, h)).toEqual(body);
  });

  it('detects any flipped bit, in header or body', () => {
    for (const at of [6, 12, 20, 24, 30, packet.length - 1]) {
      const bad = Buffer.from(packet);
      bad[at]! ^= 1;
      const h = parseHeader(bad)!;
      expect(auth.open(bad, h)).toBeNull();
    }
  });

  it('a packet sealed with another key is foreign (key id) and would not verify anyway', () => {
    const foreign = new PacketAuth(otherKey, scheme).seal(7, 1, 1, 1, body);
    const h = parseHeader(foreign)!;
    expect(auth.matches(h)).toBe(false);
    expect(auth.open(foreign, h)).toBeNull();
  });

  it(scheme === 'aes-256-gcm' ? 'encrypts the body' : 'leaves the body readable', () => {
    expect(packet.includes(body)).toBe(scheme === 'hmac-sha256');
  });
});

describe('ReplayWindow', () => {
  it('accepts each seq once, tolerates reordering inside the window, drops older incarnations', () => {
    const w = new ReplayWindow();
    expect(w.accept(10, 5)).toBe('fresh');
    expect(w.accept(10, 3)).toBe('fresh');
    expect(w.accept(10, 5)).toBe('replayed');
    expect(w.accept(10, 3)).toBe('replayed');
    expect(w.accept(10, 5000)).toBe('fresh');
    expect(w.accept(10, 4)).toBe('replayed'); // fell out of the window
    expect(w.accept(11, 0)).toBe('new-incarnation');
    expect(w.isStale(10)).toBe(true);
    expect(w.accept(10, 6000)).toBe('stale');
  });
});

describe('authkey files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-authkey-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a random key with mode 0600 and reads it back', async () => {
    const file = join(dir, 'a', 'authkey');
    await writeAuthKeyFile(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const k = await readAuthKeyFile(file);
    expect(k.length).toBe(64);
    await writeAuthKeyFile(join(dir, 'b'));
    expect(readFileSync(join(dir, 'b')).equals(k)).toBe(false);
  });

  it('refuses to overwrite without force, replaces with force', async () => {
    const file = join(dir, 'c');
    await writeAuthKeyFile(file);
    const before = readFileSync(file);
    await expect(writeAuthKeyFile(file)).rejects.toThrow(/already exists; use --force/);
    expect(readFileSync(file).equals(before)).toBe(true);
    await writeAuthKeyFile(file, { force: true });
    expect(readFileSync(file).equals(before)).toBe(false);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('rejects missing, short and group-readable key files, naming the file', async () => {
    await expect(readAuthKeyFile(join(dir, 'missing'))).rejects.toThrow(/missing does not exist/);
    const short = join(dir, 'short');
    writeFileSync(short, Buffer.alloc(8), { mode: 0o600 });
    await expect(readAuthKeyFile(short)).rejects.toThrow(/short holds 8 bytes/);
    const open = join(dir, 'open');
    writeFileSync(open, Buffer.alloc(64), { mode: 0o600 });
    chmodSync(open, 0o644);
    await expect(readAuthKeyFile(open)).rejects.toBeInstanceOf(AuthKeyError);
    await expect(readAuthKeyFile(open)).rejects.toThrow(/mode 0644/);
  });
});

describe('ChecksumSealer (simulation only)', () => {
  it('keeps the envelope and still rejects corrupted packets', async () => {
    const { ChecksumSealer } = await import('./auth.js');
    const s = new ChecksumSealer(key);
    const p = s.seal(3, 99, 7, 1, Buffer.from('abc'));
    const h = parseHeader(p)!;
    expect(h).toMatchObject({ sender: 3, incarnation: 99, seq: 7, type: 1 });
    expect(s.matches(h)).toBe(true);
    expect(s.open(p, h)).toEqual(Buffer.from('abc'));
    p[26]! ^= 4;
    expect(s.open(p, h)).toBeNull();
  });
});
