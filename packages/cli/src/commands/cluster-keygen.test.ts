import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { readAuthKeyFile } from '@vigil/messaging';
import { registerClusterKeygenCommands } from './cluster-keygen.js';

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const program = new Command('vigil').exitOverride();
  registerClusterKeygenCommands(program);
  let out = '';
  let err = '';
  const w1 = process.stdout.write.bind(process.stdout);
  const w2 = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string) => { out += s; return true; }) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => { err += s; return true; }) as typeof process.stderr.write;
  process.exitCode = 0;
  try {
    await program.parseAsync(['node', 'vigil', ...args]);
  } finally {
    process.stdout.write = w1;
    process.stderr.write = w2;
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { code, out, err };
}

describe('vigil cluster keygen', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-keygen-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a 0600 key that the messaging layer accepts', async () => {
    const file = join(dir, 'authkey');
    const r = await run(['cluster', 'keygen', '--out', file]);
    expect(r.code).toBe(0);
    expect(r.out).toContain(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect((await readAuthKeyFile(file)).length).toBe(64);
  });

  it('refuses to overwrite without --force and leaves the old key intact', async () => {
    const file = join(dir, 'existing');
    writeFileSync(file, Buffer.alloc(64, 1), { mode: 0o600 });
    const r = await run(['cluster', 'keygen', '--out', file]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^vigil: authkey file .*existing already exists; use --force/);
    expect(readFileSync(file).equals(Buffer.alloc(64, 1))).toBe(true);
    const forced = await run(['cluster', 'keygen', '--out', file, '--force', '--bytes', '128']);
    expect(forced.code).toBe(0);
    expect(readFileSync(file).length).toBe(128);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('rejects a bad --bytes with a usage error', async () => {
    const r = await run(['cluster', 'keygen', '--out', join(dir, 'x'), '--bytes', '8']);
    expect(r.code).toBe(64);
    expect(r.err).toContain("--bytes '8'");
  });
});
