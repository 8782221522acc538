/**
 * Where a node keeps its election state and its CIB. Behind an interface so a
 * later backend (etcd) can hold it instead; DiskStore is the local one.
 *
 * Two files: `hardstate` (term and vote, tiny, written on every vote) and
 * `cib-log` (newest and newest-committed CIB entries). Each write is atomic:
 * temp file, fsync, rename over the old file, fsync of the directory.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, existsSync, writeSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { decodeRecord, encodeRecord } from './record.js';
import type { HardState, LogEntry, LogState, PersistentState } from './types.js';

export interface LoadedState<D> {
  /** null for a node that never stored anything. */
  readonly persisted: PersistentState<D> | null;
  /** Some file was corrupt or missing: do not vote until a DC has synced us. */
  readonly logLost: boolean;
  /** Human-readable notes on what was set aside and why. */
  readonly notes: readonly string[];
}

export interface CrmStore<D> {
  load(emptyEntry: LogEntry<D>): LoadedState<D>;
  save(update: { readonly hard?: HardState; readonly log?: LogState<D> }): void;
}

/** Turns the two decoded files into a start state, shared by the disk and simulated stores. */
export function assembleLoaded<D>(
  emptyEntry: LogEntry<D>,
  hard: { value: HardState | null; problem: string | null },
  log: { value: LogState<D> | null; problem: string | null },
): LoadedState<D> {
  const notes: string[] = [];
  if (hard.problem) notes.push(`hardstate: ${hard.problem}`);
  if (log.problem) notes.push(`cib-log: ${log.problem}`);
  if (!hard.value && !log.value && !hard.problem && !log.problem) return { persisted: null, logLost: false, notes };
  const logState = log.value ?? { last: emptyEntry, committed: emptyEntry };
  const hardState = hard.value ?? { term: logState.last.term, votedFor: null };
  // A file that fails its check held something we no longer have; an absent
  // file is one that was never written (a node that voted but got no entry yet).
  const lost = hard.problem !== null || log.problem !== null || hard.value?.logLost === true;
  return { persisted: { hard: hardState, log: logState }, logLost: lost, notes };
}

function isHardState(value: unknown): value is HardState {
  const v = value as HardState;
  return (
    typeof v === 'object' && v !== null && Number.isInteger(v.term) && (v.votedFor === null || Number.isInteger(v.votedFor)) &&
    (v.logLost === undefined || typeof v.logLost === 'boolean')
  );
}

function isEntry(value: unknown): boolean {
  const v = value as LogEntry<unknown>;
  return typeof v === 'object' && v !== null && Number.isInteger(v.term) && Number.isInteger(v.index) && 'doc' in v && typeof v.applied === 'object';
}

function isLogState(value: unknown): value is LogState<unknown> {
  const v = value as LogState<unknown>;
  return typeof v === 'object' && v !== null && isEntry(v.last) && isEntry(v.committed);
}

export function decodeHard(text: string | null): { value: HardState | null; problem: string | null } {
  if (text === null) return { value: null, problem: null };
  const rec = decodeRecord(text);
  if (!rec.ok) return { value: null, problem: rec.reason };
  return isHardState(rec.value) ? { value: rec.value, problem: null } : { value: null, problem: 'not a term/vote record' };
}

export function decodeLog<D>(text: string | null): { value: LogState<D> | null; problem: string | null } {
  if (text === null) return { value: null, problem: null };
  const rec = decodeRecord(text);
  if (!rec.ok) return { value: null, problem: rec.reason };
  return isLogState(rec.value) ? { value: rec.value as LogState<D>, problem: null } : { value: null, problem: 'not a CIB log record' };
}

export const HARDSTATE_FILE = 'hardstate';
export const LOG_FILE = 'cib-log';

export class DiskStore<D> implements CrmStore<D> {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  load(emptyEntry: LogEntry<D>): LoadedState<D> {
    const hard = decodeHard(this.read(HARDSTATE_FILE));
    const log = decodeLog<D>(this.read(LOG_FILE));
    const loaded = assembleLoaded(emptyEntry, hard, log);
    // A bad file is moved aside (kept for inspection), never loaded and never overwritten.
    if (hard.problem) this.setAside(HARDSTATE_FILE);
    if (log.problem) this.setAside(LOG_FILE);
    // Remember the loss before anything else happens, so a crash right now cannot forget it.
    if (loaded.logLost && loaded.persisted) this.save({ hard: { ...loaded.persisted.hard, logLost: true } });
    return loaded;
  }

  save(update: { readonly hard?: HardState; readonly log?: LogState<D> }): void {
    if (update.hard) this.writeAtomic(HARDSTATE_FILE, encodeRecord(update.hard));
    if (update.log) this.writeAtomic(LOG_FILE, encodeRecord(update.log));
  }

  private read(name: string): string | null {
    const path = join(this.dir, name);
    return existsSync(path) ? readFileSync(path, 'utf8') : null;
  }

  private setAside(name: string): string {
    for (let n = 1; n < 10_000; n++) {
      const target = join(this.dir, `${name}.corrupt-${n}`);
      if (existsSync(target)) continue;
      renameSync(join(this.dir, name), target);
      this.fsyncDir();
      return target;
    }
    throw new Error(`crm store: ${this.dir}: too many set-aside copies of ${name}`);
  }

  private writeAtomic(name: string, text: string): void {
    const path = join(this.dir, name);
    const temp = `${path}.tmp`;
    const fd = openSync(temp, 'w', 0o600);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } catch (error) {
      closeSync(fd);
      unlinkSync(temp);
      throw error;
    }
    closeSync(fd);
    renameSync(temp, path);
    this.fsyncDir();
  }

  private fsyncDir(): void {
    const fd = openSync(this.dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}
