import { execFile } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HELPER_COMMANDS, runHelperCommand, type HelperContext } from './helper-commands.js';

/** Env var through which helper commands find their executor's socket. */
export const HELPER_SOCKET_ENV = 'VIGIL_HELPER_SOCKET';

/** The calling agent's variables the helpers' answers depend on. */
const FORWARDED_ENV = ['OCF_RESOURCE_INSTANCE', 'OCF_RESKEY_CRM_meta_globally_unique'] as const;

function forwardedEnv(pairs: readonly string[]): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const key = pair.slice(0, eq);
    if (eq > 0 && (FORWARDED_ENV as readonly string[]).includes(key)) env[key] = pair.slice(eq + 1);
  }
  return env;
}

const MAX_REQUEST_BYTES = 64 * 1024;
const REQUEST_IDLE_MS = 10_000;

// The helpers are tiny CommonJS scripts: they forward argv and the resource
// name over the executor's unix socket and print what comes back. Putting
// the logic in the executor keeps one implementation, and the socket path in
// the environment points each agent at its own daemon's attribute store.
function helperScript(nodePath: string): string {
  return `#!${nodePath}
'use strict';
const net = require('node:net');
const path = require('node:path');
const cmd = path.basename(process.argv[1]);
const sock = process.env.${HELPER_SOCKET_ENV};
if (!sock) {
  process.stderr.write(cmd + ': ${HELPER_SOCKET_ENV} is not set; this helper only works under Vigil\\n');
  process.exit(102);
}
const request = JSON.stringify({
  cmd,
  argv: process.argv.slice(2),
  env: Object.fromEntries(${JSON.stringify(FORWARDED_ENV)}.map((k) => [k, process.env[k]])),
});
const conn = net.createConnection(sock);
const chunks = [];
conn.on('connect', () => conn.end(request + '\\n'));
conn.on('data', (d) => chunks.push(d));
conn.on('error', (e) => {
  process.stderr.write(cmd + ': cannot reach Vigil at ' + sock + ': ' + e.message + '\\n');
  process.exitCode = 102;
});
conn.on('end', () => {
  let r;
  try { r = JSON.parse(Buffer.concat(chunks).toString('utf8')); }
  catch { process.stderr.write(cmd + ': garbled answer from Vigil\\n'); process.exitCode = 102; return; }
  process.stdout.write(r.stdout);
  process.stderr.write(r.stderr);
  process.exitCode = r.code;
});
`;
}

// The same client in Perl: perl-base is Essential on Debian and starts in a
// few milliseconds where Node needs tens, which matters for agents that call
// a helper on every monitor. Request and reply are NUL-separated fields
// (arguments and environment values cannot contain NUL).
function perlHelperScript(perlPath: string): string {
  // String.raw: the Perl escapes (\0, \d, \n) must reach the file as written.
  return String.raw`#!${perlPath}
use strict;
use warnings;
use IO::Socket::UNIX;
my $cmd = $0;
$cmd =~ s{.*/}{};
my $sock = $ENV{${HELPER_SOCKET_ENV}};
if (!defined $sock || $sock eq '') {
  print STDERR "$cmd: ${HELPER_SOCKET_ENV} is not set; this helper only works under Vigil\n";
  exit 102;
}
my $conn = IO::Socket::UNIX->new(Type => SOCK_STREAM(), Peer => $sock);
if (!$conn) {
  print STDERR "$cmd: cannot reach Vigil at $sock: $!\n";
  exit 102;
}
my @env = map { defined $ENV{$_} ? "$_=$ENV{$_}" : () } qw(${FORWARDED_ENV.join(' ')});
binmode $conn;
print $conn join("\0", 'V2', $cmd, scalar(@env), @env, @ARGV);
$conn->shutdown(1);
my $reply = do { local $/; <$conn> };
close $conn;
if (!defined $reply) {
  print STDERR "$cmd: no answer from Vigil\n";
  exit 102;
}
my ($code, $out, $err) = split /\0/, $reply, 3;
if (!defined $code || $code !~ /^\d+$/) {
  print STDERR "$cmd: garbled answer from Vigil\n";
  exit 102;
}
binmode STDOUT;
binmode STDERR;
print STDOUT $out if defined $out;
print STDERR $err if defined $err;
exit $code;
`;
}

const PERL = '/usr/bin/perl';

function perlUsable(): Promise<boolean> {
  return new Promise((resolve) => {
    execFile(PERL, ['-MIO::Socket::UNIX', '-e', '1'], { timeout: 10_000 }, (err) => resolve(!err));
  });
}

export type HelperRuntime = 'auto' | 'perl' | 'node';

export interface HelperServerOptions {
  readonly binDir: string;
  readonly socketPath: string;
  /** Which client the helper commands are written in; auto = Perl when usable, else Node. */
  readonly runtime?: HelperRuntime;
  /** Context for each request; env is filled in from the request. */
  readonly context: Omit<HelperContext, 'env'>;
}

/** Writes the helper commands into binDir and answers them on socketPath. */
export class HelperServer {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  /** The client chosen at start(). */
  runtime: 'perl' | 'node' | undefined;

  constructor(private readonly options: HelperServerOptions) {}

  async start(): Promise<void> {
    await mkdir(this.options.binDir, { recursive: true });
    // The bin dir may sit below a package.json with "type": "module".
    await writeFile(join(this.options.binDir, 'package.json'), '{"type":"commonjs"}\n');
    const runtime = this.options.runtime ?? 'auto';
    const usePerl = runtime === 'perl' || (runtime === 'auto' && (await perlUsable()));
    const script = usePerl ? perlHelperScript(PERL) : helperScript(process.execPath);
    this.runtime = usePerl ? 'perl' : 'node';
    for (const cmd of HELPER_COMMANDS) {
      const file = join(this.options.binDir, cmd);
      await writeFile(file, script);
      await chmod(file, 0o755);
    }
    await rm(this.options.socketPath, { force: true });
    const server = createServer({ allowHalfOpen: true }, (socket) => this.handle(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    });
    await chmod(this.options.socketPath, 0o600);
    this.server = server;
  }

  private handle(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.setTimeout(REQUEST_IDLE_MS, () => socket.destroy());
    const chunks: Buffer[] = [];
    let size = 0;
    socket.on('error', () => socket.destroy());
    socket.on('data', (d: Buffer) => {
      size += d.length;
      if (size > MAX_REQUEST_BYTES) {
        socket.destroy();
        return;
      }
      chunks.push(d);
    });
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.startsWith('V2\0')) {
        const [, cmd = '', count = '0', ...rest] = text.split('\0');
        const n = Math.min(Number(count) || 0, FORWARDED_ENV.length, rest.length);
        void this.dispatch(cmd, rest.slice(n), forwardedEnv(rest.slice(0, n))).then((r) => {
          if (!socket.destroyed) socket.end(`${r.code}\0${r.stdout}\0${r.stderr}`);
        });
        return;
      }
      void this.answer(text).then((reply) => {
        if (!socket.destroyed) socket.end(JSON.stringify(reply));
      });
    });
  }

  private async answer(text: string): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      const req = JSON.parse(text) as { cmd?: unknown; argv?: unknown; env?: Record<string, unknown> };
      if (typeof req.cmd !== 'string' || !Array.isArray(req.argv) || !req.argv.every((a) => typeof a === 'string')) {
        return { code: 64, stdout: '', stderr: 'vigil helper: malformed request\n' };
      }
      const env: Record<string, string | undefined> = {};
      for (const key of FORWARDED_ENV) {
        const value = req.env?.[key];
        if (typeof value === 'string') env[key] = value;
      }
      return await this.dispatch(req.cmd, req.argv as string[], env);
    } catch (err) {
      return { code: 1, stdout: '', stderr: `vigil helper: ${(err as Error).message}\n` };
    }
  }

  private async dispatch(
    cmd: string,
    argv: readonly string[],
    env: Record<string, string | undefined>,
  ): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      return await runHelperCommand(cmd, argv, { ...this.options.context, env });
    } catch (err) {
      // The attribute store failed (e.g. the CIB is unreachable): the agent sees an error exit.
      return { code: 1, stdout: '', stderr: `${cmd}: ${(err as Error).message}\n` };
    }
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(this.options.socketPath, { force: true });
  }
}
