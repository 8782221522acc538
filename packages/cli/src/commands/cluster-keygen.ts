import type { Command } from 'commander';
import { MessagingError, writeAuthKeyFile, DEFAULT_KEY_BYTES, MIN_KEY_BYTES } from '@vigil/messaging';

export const DEFAULT_AUTHKEY_PATH = '/etc/vigil/authkey';
const EXIT_FAILED = 1;
const EXIT_USAGE = 64;

/** The `cluster` group may also be created by other command files; share it. */
function clusterGroup(program: Command): Command {
  const existing = program.commands.find((c) => c.name() === 'cluster');
  return existing ?? program.command('cluster').description('Cluster-wide setup and membership');
}

export function registerClusterKeygenCommands(program: Command): void {
  clusterGroup(program)
    .command('keygen')
    .description('Write a new random cluster authentication key (mode 0600); copy the same file to every node')
    .option('-o, --out <file>', 'where to write the key', DEFAULT_AUTHKEY_PATH)
    .option('-f, --force', 'replace an existing key file (every node then needs the new key)', false)
    .option('--bytes <n>', `key size in bytes (${MIN_KEY_BYTES}-4096)`, String(DEFAULT_KEY_BYTES))
    .action(async (opts: { out: string; force: boolean; bytes: string }) => {
      const bytes = Number(opts.bytes);
      if (!Number.isInteger(bytes) || bytes < MIN_KEY_BYTES || bytes > 4096) {
        process.stderr.write(`vigil: --bytes '${opts.bytes}': expected an integer from ${MIN_KEY_BYTES} to 4096\n`);
        process.exitCode = EXIT_USAGE;
        return;
      }
      try {
        await writeAuthKeyFile(opts.out, { force: opts.force, bytes });
        process.stdout.write(`wrote ${bytes}-byte cluster key to ${opts.out} (mode 0600)\n`);
      } catch (e) {
        process.stderr.write(`vigil: ${e instanceof MessagingError ? e.message : String(e)}\n`);
        process.exitCode = EXIT_FAILED;
      }
    });
}
