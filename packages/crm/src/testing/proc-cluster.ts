/**
 * Helpers to run crm nodes as real processes on loopback (dist/testing/crm-proc.js),
 * shared by the loopback tests and the failover bench.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { CrmNodeStatus } from '../node.js';

/** Always the built script: under vitest this module runs from src/, the child needs JavaScript. */
export const PROC_SCRIPT = fileURLToPath(new URL('./crm-proc.js', import.meta.url)).replace(/([\\/])src([\\/]testing[\\/]crm-proc\.js)$/, '$1dist$2');

export async function freeUdpPorts(count: number): Promise<number[]> {
  const sockets = await Promise.all(
    Array.from({ length: count }, () => new Promise<ReturnType<typeof createSocket>>((resolve) => {
      const s = createSocket('udp4');
      s.bind(0, '127.0.0.1', () => resolve(s));
    })),
  );
  const ports = sockets.map((s) => s.address().port);
  await Promise.all(sockets.map((s) => new Promise<void>((r) => s.close(() => r()))));
  return ports;
}

/** What crm-proc.js takes as argv[2]. */
export interface ProcConfig {
  readonly nodeId: number;
  readonly nodes: readonly { id: number; name: string; links: { addr: string; port: number }[]; votes?: number }[];
  readonly stateDir: string;
  readonly keyHex: string;
  readonly quorum?: object;
  readonly timing?: Record<string, number>;
  readonly messaging?: { heartbeatIntervalMs?: number; tokenTimeoutMs?: number };
}

export class Proc {
  readonly child: ChildProcess;
  readonly events: { event: string; node?: number }[] = [];
  private nextId = 1;
  private readonly pending = new Map<number, (value: Record<string, unknown>) => void>();
  stderr = '';

  constructor(readonly config: ProcConfig) {
    this.child = spawn(process.execPath, [PROC_SCRIPT, JSON.stringify(config)], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      const msg = JSON.parse(line) as Record<string, unknown>;
      if (typeof msg['id'] === 'number') {
        this.pending.get(msg['id'])?.(msg);
        this.pending.delete(msg['id']);
      } else this.events.push(msg as { event: string });
    });
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  request(cmd: object, timeoutMs = 20_000): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer to ${JSON.stringify(cmd)} within ${timeoutMs} ms; stderr: ${this.stderr}`)), timeoutMs);
      this.pending.set(id, (v) => (clearTimeout(timer), resolve(v)));
      this.child.stdin!.write(JSON.stringify({ ...cmd, id }) + '\n');
    });
  }

  async status(): Promise<CrmNodeStatus> {
    return (await this.request({ cmd: 'status' }))['status'] as CrmNodeStatus;
  }

  send(cmd: object): void {
    this.child.stdin!.write(JSON.stringify(cmd) + '\n');
  }

  kill(): Promise<void> {
    if (!this.alive) return Promise.resolve();
    return new Promise((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.kill('SIGKILL');
    });
  }
}

export async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false>, deadlineMs = 30_000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() - start > deadlineMs) throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

