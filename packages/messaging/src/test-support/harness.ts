import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSocket } from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

// Same relative path from src/test-support and dist/test-support: the runner stays plain JS in src.
export const RUNNER = fileURLToPath(new URL('../../src/test-support/udp-node.mjs', import.meta.url));

export interface NodeEvent {
  t: number;
  ev: string;
  [k: string]: unknown;
}

/** One node in a child process, with its event log and a way to wait on it. */
export class ChildNode {
  readonly events: NodeEvent[] = [];
  readonly proc: ChildProcess;
  private waiters: (() => void)[] = [];
  private nextId = 1;
  exited = false;
  stderr = '';

  constructor(readonly id: number, config: unknown, wrap: string[] = []) {
    const argv = [...wrap, process.execPath, RUNNER];
    this.proc = spawn(argv[0]!, argv.slice(1), { env: { ...process.env, VIGIL_NODE_CONFIG: JSON.stringify(config) }, stdio: ['pipe', 'pipe', 'pipe'] });
    createInterface({ input: this.proc.stdout! }).on('line', (line) => {
      try {
        this.events.push(JSON.parse(line) as NodeEvent);
      } catch {
        return;
      }
      for (const w of this.waiters.splice(0)) w();
    });
    this.proc.stderr!.on('data', (d: Buffer) => { this.stderr = (this.stderr + d.toString()).slice(-4000); });
    this.proc.on('exit', () => {
      this.exited = true;
      for (const w of this.waiters.splice(0)) w();
    });
  }

  command(cmd: Record<string, unknown>): number {
    const id = this.nextId++;
    this.proc.stdin!.write(`${JSON.stringify({ id, ...cmd })}\n`);
    return id;
  }

  /** Latest view reported by the node. */
  view(): { viewId: number; leader: number; members: number[] } | undefined {
    for (let i = this.events.length - 1; i >= 0; i--) {
      const e = this.events[i]!;
      if (e.ev === 'view' || e.ev === 'ready') return e['view'] as { viewId: number; leader: number; members: number[] };
    }
    return undefined;
  }

  /** Waits for an event matching `pred` (searching from index `from`), bounded by `timeoutMs`. */
  async waitFor(pred: (e: NodeEvent) => boolean, timeoutMs: number, from = 0): Promise<NodeEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.events.slice(from).find(pred);
      if (hit) return hit;
      if (this.exited) throw new Error(`node ${this.id} exited before the awaited event; stderr: ${this.stderr}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`node ${this.id}: timed out after ${timeoutMs} ms; last events: ${JSON.stringify(this.events.slice(-5))}; stderr: ${this.stderr}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 500));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async request(cmd: Record<string, unknown>, reply: string, timeoutMs = 20_000): Promise<NodeEvent> {
    const from = this.events.length;
    const id = this.command(cmd);
    return this.waitFor((e) => e.ev === reply && e['id'] === id, timeoutMs, from);
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (!this.exited) this.proc.kill(signal);
  }

  async exitedPromise(timeoutMs = 10_000): Promise<void> {
    if (this.exited) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, timeoutMs);
      this.proc.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
    });
  }
}

/** Waits until `check()` holds, polling, bounded by `timeoutMs`; returns the time it took. */
export async function until(check: () => boolean, timeoutMs: number, what: string): Promise<number> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return Date.now() - start;
}

/** Free UDP ports on an address (bound then released; fine on an otherwise idle loopback). */
export async function freeUdpPorts(addr: string, count: number): Promise<number[]> {
  const socks = await Promise.all(Array.from({ length: count }, () => new Promise<ReturnType<typeof createSocket>>((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(0, addr, () => resolve(s));
  })));
  const ports = socks.map((s) => s.address().port);
  await Promise.all(socks.map((s) => new Promise<void>((r) => s.close(() => r()))));
  return ports;
}

/**
 * Builds packages/messaging/dist for child processes. Test files run in
 * parallel workers, so builds are serialized with a lock directory: two tsc
 * processes writing the same dist at once could hand a child a torn file.
 */
export async function ensureBuilt(repoRoot: string, timeoutMs = 180_000): Promise<void> {
  const lock = join(tmpdir(), 'vigil-messaging-build.lock');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // A lock left by a killed run is stale after 5 minutes.
      try {
        if (Date.now() - statSync(lock).mtimeMs > 300_000) rmSync(lock, { recursive: true, force: true });
      } catch {
        // Released meanwhile.
      }
      if (Date.now() > deadline) throw new Error(`could not take the build lock ${lock} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    execFileSync('pnpm', ['tsc', '-b', 'packages/messaging'], { cwd: repoRoot, stdio: 'pipe', timeout: timeoutMs });
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
