import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeRecord, encodeRecord } from './record.js';
import { DiskStore, HARDSTATE_FILE, LOG_FILE } from './store.js';
import type { LogEntry } from './types.js';

type Doc = { readonly text: string };
const empty: LogEntry<Doc> = { term: 0, index: 0, doc: { text: '' }, applied: {} };
const entry = (term: number, index: number, text: string): LogEntry<Doc> => ({ term, index, doc: { text }, applied: { 'n1.x': index } });

describe('DiskStore on a real directory', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-crm-store-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('starts fresh on an empty directory', () => {
    const loaded = new DiskStore<Doc>(dir).load(empty);
    expect(loaded).toEqual({ persisted: null, logLost: false, notes: [] });
  });

  it('round-trips term, vote and both entries, leaving no temp files behind', () => {
    const store = new DiskStore<Doc>(dir);
    store.save({ hard: { term: 4, votedFor: 2 }, log: { last: entry(4, 9, 'new'), committed: entry(3, 8, 'old') } });
    store.save({ hard: { term: 5, votedFor: null } });
    const loaded = new DiskStore<Doc>(dir).load(empty);
    expect(loaded.logLost).toBe(false);
    expect(loaded.persisted).toEqual({ hard: { term: 5, votedFor: null }, log: { last: entry(4, 9, 'new'), committed: entry(3, 8, 'old') } });
    expect(readdirSync(dir).sort()).toEqual([LOG_FILE, HARDSTATE_FILE].sort());
  });

  it('detects a truncated CIB log, sets it aside, never loads it, and remembers the loss', () => {
    const store = new DiskStore<Doc>(dir);
    store.save({ hard: { term: 3, votedFor: 1 }, log: { last: entry(3, 7, 'x'.repeat(200)), committed: entry(3, 7, 'x'.repeat(200)) } });
    const path = join(dir, LOG_FILE);
    const text = readFileSync(path, 'utf8');
    writeFileSync(path, text.slice(0, text.length - 50));
    const loaded = new DiskStore<Doc>(dir).load(empty);
    expect(loaded.logLost).toBe(true);
    expect(loaded.notes.join()).toMatch(/cib-log: body is \d+ bytes, header says \d+ \(truncated/);
    expect(loaded.persisted?.log.last).toEqual(empty);
    expect(loaded.persisted?.hard.term).toBe(3);
    expect(readdirSync(dir)).toContain(`${LOG_FILE}.corrupt-1`);
    expect(readFileSync(join(dir, `${LOG_FILE}.corrupt-1`), 'utf8')).toBe(text.slice(0, text.length - 50));
    // A crash before resync must not make the node forget that it lost its log.
    const again = new DiskStore<Doc>(dir).load(empty);
    expect(again.logLost).toBe(true);
  });

  it('detects a flipped byte by checksum', () => {
    const store = new DiskStore<Doc>(dir);
    store.save({ hard: { term: 1, votedFor: 1 }, log: { last: entry(1, 2, 'abc'), committed: entry(1, 2, 'abc') } });
    const path = join(dir, LOG_FILE);
    writeFileSync(path, readFileSync(path, 'utf8').replace('"abc"', '"abd"'));
    const loaded = new DiskStore<Doc>(dir).load(empty);
    expect(loaded.notes).toEqual(['cib-log: checksum mismatch (corrupted)']);
    expect(loaded.logLost).toBe(true);
  });

  it('a corrupt term/vote file is set aside and the node waits to be synced', () => {
    const store = new DiskStore<Doc>(dir);
    store.save({ hard: { term: 6, votedFor: 3 }, log: { last: entry(6, 2, 'a'), committed: entry(6, 2, 'a') } });
    writeFileSync(join(dir, HARDSTATE_FILE), 'garbage');
    const loaded = new DiskStore<Doc>(dir).load(empty);
    expect(loaded.logLost).toBe(true);
    expect(loaded.persisted?.hard).toMatchObject({ term: 6, votedFor: null });
    expect(readdirSync(dir)).toContain(`${HARDSTATE_FILE}.corrupt-1`);
  });

  it('ignores a temp file left by a crash in the middle of a write', () => {
    const store = new DiskStore<Doc>(dir);
    store.save({ hard: { term: 2, votedFor: 2 }, log: { last: entry(2, 3, 'kept'), committed: entry(2, 3, 'kept') } });
    writeFileSync(join(dir, `${LOG_FILE}.tmp`), 'half-written');
    const loaded = new DiskStore<Doc>(dir).load(empty);
    expect(loaded.logLost).toBe(false);
    expect(loaded.persisted?.log.last.doc.text).toBe('kept');
  });
});

describe('record format', () => {
  it('rejects every strict prefix of a record', () => {
    const text = encodeRecord({ a: [1, 2, 3], b: 'é' });
    expect(decodeRecord(text)).toEqual({ ok: true, value: { a: [1, 2, 3], b: 'é' } });
    for (let cut = 0; cut < text.length; cut++) expect(decodeRecord(text.slice(0, cut)).ok).toBe(false);
  });
});
