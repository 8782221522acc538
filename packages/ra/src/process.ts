import { spawn } from 'node:child_process';
import { BoundedOutput } from './bounded-output.js';

export interface RunProcessOptions {
  readonly file: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
  readonly timeoutMs: number;
  /** After SIGTERM to the group, how long before SIGKILL. */
  readonly killGraceMs: number;
  readonly outputLimitBytes: number;
  /** Aborting kills the process group like a timeout does, reported as cancelled. */
  readonly signal?: AbortSignal;
  /** Called for each complete stderr line (bounded to 4 KiB), e.g. to pick up exit reasons. */
  readonly onStderrLine?: (line: string) => void;
}

export interface ProcessOutcome {
  /** Exit code, or undefined when killed by a signal or never started. */
  readonly exitCode?: number;
  readonly exitSignal?: string;
  readonly timedOut: boolean;
  readonly cancelled: boolean;
  /** errno code when spawning failed (ENOENT, EACCES...). */
  readonly spawnError?: string;
  readonly stdout: string;
  readonly stderr: string;
  readonly outputDroppedBytes: number;
}

const MAX_LINE_BYTES = 4096;
// Once the agent has exited, a daemon it left behind may keep our pipes open
// (it inherited them); do not wait for it beyond this.
const PIPE_DRAIN_MS = 200;

/**
 * Run one agent process in its own process group (setsid), so that on
 * timeout the whole group — the agent and anything it forked — gets SIGTERM,
 * then SIGKILL after the grace period. A normal exit leaves the group alone:
 * agents such as ocf:heartbeat:anything start daemons that must outlive them.
 */
export function runProcess(options: RunProcessOptions): Promise<ProcessOutcome> {
  return new Promise((resolve) => {
    const stdout = new BoundedOutput(options.outputLimitBytes);
    const stderr = new BoundedOutput(options.outputLimitBytes);
    let timedOut = false;
    let cancelled = false;
    let settled = false;
    let lineBuf = '';

    if (options.signal?.aborted) {
      resolve({ timedOut: false, cancelled: true, stdout: '', stderr: '', outputDroppedBytes: 0 });
      return;
    }

    const child = spawn(options.file, options.args as string[], {
      cwd: options.cwd,
      env: options.env as NodeJS.ProcessEnv,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });

    const killGroup = (sig: NodeJS.Signals): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, sig);
      } catch {
        // The group is already gone.
      }
    };
    const groupAlive = (): boolean => {
      if (child.pid === undefined) return false;
      try {
        process.kill(-child.pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    // SIGTERM now; SIGKILL after the grace period unless the whole group is
    // gone by then. The timers stay referenced so that even a short-lived
    // caller (the CLI) does not exit and leave survivors behind.
    const terminate = (): void => {
      killGroup('SIGTERM');
      const started = Date.now();
      const check = (): void => {
        if (!groupAlive()) return;
        if (Date.now() - started >= options.killGraceMs) {
          killGroup('SIGKILL');
          return;
        }
        setTimeout(check, Math.min(100, options.killGraceMs));
      };
      setTimeout(check, Math.min(100, options.killGraceMs));
    };

    const timer = setTimeout(() => {
      timedOut = true;
      terminate();
    }, options.timeoutMs);
    const onAbort = (): void => {
      cancelled = true;
      terminate();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });

    child.stdout!.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr.push(chunk);
      if (!options.onStderrLine) return;
      const lines = (lineBuf + chunk.toString('utf8')).split('\n');
      lineBuf = lines.pop() ?? '';
      for (const line of lines) options.onStderrLine(line.length > MAX_LINE_BYTES ? line.slice(0, MAX_LINE_BYTES) : line);
      if (lineBuf.length > MAX_LINE_BYTES) lineBuf = lineBuf.slice(0, MAX_LINE_BYTES);
    });

    const finish = (outcome: Omit<ProcessOutcome, 'stdout' | 'stderr' | 'outputDroppedBytes' | 'timedOut' | 'cancelled'>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (lineBuf !== '' && options.onStderrLine) options.onStderrLine(lineBuf);
      // After a kill the grace check stays armed: stragglers in the group
      // that outlive the leader still get SIGKILL.
      resolve({
        ...outcome,
        timedOut,
        cancelled,
        stdout: stdout.toString(),
        stderr: stderr.toString(),
        outputDroppedBytes: stdout.droppedBytes + stderr.droppedBytes,
      });
    };

    child.on('error', (err: NodeJS.ErrnoException) => {
      // spawn failure (ENOENT, EACCES, ENOEXEC...): there is no process.
      finish({ spawnError: err.code ?? err.message });
    });

    child.on('exit', (code, sig) => {
      const outcome = code !== null ? { exitCode: code } : { exitSignal: sig ?? 'unknown' };
      let pending = 2;
      const drained = (): void => {
        pending -= 1;
        if (pending === 0) {
          clearTimeout(drainTimer);
          finish(outcome);
        }
      };
      const drainTimer = setTimeout(() => {
        child.stdout!.destroy();
        child.stderr!.destroy();
        finish(outcome);
      }, PIPE_DRAIN_MS);
      if (child.stdout!.readableEnded || child.stdout!.destroyed) drained();
      else child.stdout!.once('close', drained);
      if (child.stderr!.readableEnded || child.stderr!.destroyed) drained();
      else child.stderr!.once('close', drained);
    });
  });
}
