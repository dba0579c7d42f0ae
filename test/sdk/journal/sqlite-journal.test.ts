import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isXinyiError, type XinyiError } from '../../../sdk/errors.js';
import { createSqliteJournal, type SqliteJournal } from '../../../sdk/journal/sqlite-journal.js';
import { SQLITE_JOURNAL_SCHEMA_VERSION } from '../../../sdk/journal/sqlite-journal-schema.js';
import { createUploader } from '../../../sdk/journal/uploader.js';
import type { Logger } from '../../../sdk/logger.js';
import { thrownXinyiError } from '../../support/thrown.js';
import { until } from '../../support/until.js';
import { writePendingJournal } from './fixtures/upload-fixtures.js';
import { downgradeToSchema2, entryFor, manualClock, people } from './fixtures.js';
import { journalContract, recountedBacklog } from './journal-contract.js';

let dir: string;
let files = 0;
const freshPath = () => join(dir, `journal-${++files}.sqlite`);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'xinyi-journal-test-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

journalContract('sqlite', (clock) => createSqliteJournal({ path: freshPath(), clock }), {
  reopen: (journal, clock) => {
    journal.close();
    return createSqliteJournal({ path: (journal as SqliteJournal).path, clock });
  },
});

async function rejection(promise: Promise<unknown>): Promise<XinyiError> {
  try {
    await promise;
  } catch (error) {
    expect(isXinyiError(error), String(error)).toBe(true);
    return error as XinyiError;
  }
  throw new Error('expected a rejection');
}

function recordingLogger(): Logger & { lines: { level: string; obj: object; msg?: string }[] } {
  const lines: { level: string; obj: object; msg?: string }[] = [];
  const at = (level: string) => (obj: object, msg?: string) => lines.push({ level, obj, msg });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

describe('SQLite journal', () => {
  it('keeps everything across close and reopen', async () => {
    const path = freshPath();
    const clock = manualClock();
    let journal = await createSqliteJournal({ path, clock });
    const entries = people.slice(0, 10).map((person, i) => entryFor({ id: `d-${i}`, person }));
    for (const e of entries) journal.commitDecision(e);
    journal.markUploaded('decisions', ['d-0', 'd-1'], clock.now());
    journal.recordUse({
      decisionId: 'd-2',
      pseudonym: entries[2]!.decision.subject!.pseudonym,
      scene: 'bank-counter',
      ruleIds: ['bank.fast-track-credit'],
      at: clock.now(),
    });
    journal.appendEvent({ kind: 'device', at: clock.now(), detail: { device: 'reader', state: 'ready' } });
    const before = {
      records: entries.map((e) => journal.getDecision(e.decision.id)),
      pending: journal.pendingUploads('disclosures', 100),
      backlog: journal.backlog(),
      counts: journal.counts(),
      events: journal.events(),
      usage: journal.usageCounts(entries[2]!.decision.subject!.pseudonym, clock.now()),
    };
    journal.close();

    journal = await createSqliteJournal({ path, clock });
    expect({
      records: entries.map((e) => journal.getDecision(e.decision.id)),
      pending: journal.pendingUploads('disclosures', 100),
      backlog: journal.backlog(),
      counts: journal.counts(),
      events: journal.events(),
      usage: journal.usageCounts(entries[2]!.decision.subject!.pseudonym, clock.now()),
    }).toEqual(before);
    expect(before.counts).toEqual({ decisions: 10, disclosures: 20, events: 1, usage: 1 });
    journal.commitDecision(entryFor({ id: 'd-after' }));
    expect(journal.getDecision('d-after')!.seq).toBeGreaterThan(before.records.at(-1)!.seq);
    journal.close();
  });

  it('writes the database in WAL mode with synchronous FULL and a recorded schema version', async () => {
    const path = freshPath();
    const journal = await createSqliteJournal({ path });
    journal.commitDecision(entryFor({ id: 'd-1' }));
    // A second connection reads what the journal committed (WAL lets it read while the journal is open).
    const db = new Database(path, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.prepare('SELECT MAX(version) FROM schema_version').pluck().get()).toBe(
      SQLITE_JOURNAL_SCHEMA_VERSION,
    );
    expect(db.prepare('SELECT id, scene, outcome FROM decisions').get()).toEqual({
      id: 'd-1',
      scene: 'bank-counter',
      outcome: 'granted',
    });
    db.close();
    journal.close();
  });

  it('never writes a raw ID number or name to any file it keeps', async () => {
    const scanDir = mkdtempSync(join(dir, 'privacy-'));
    const journal = await createSqliteJournal({ path: join(scanDir, 'journal.sqlite') });
    people.forEach((person, i) => {
      const scene = i % 2 === 0 ? 'bank-counter' : 'scenic-gate';
      const entry = entryFor({ id: `p-${i}`, person, scene });
      journal.commitDecision(entry);
      journal.recordUse({
        decisionId: entry.decision.id,
        pseudonym: entry.decision.subject!.pseudonym,
        scene,
        ruleIds: entry.decision.benefits.map((b) => b.ruleId),
        at: Date.parse(entry.decision.at),
      });
      journal.appendEvent({
        kind: 'passage',
        at: Date.parse(entry.decision.at),
        decisionId: entry.decision.id,
      });
    });
    const scan = () => {
      const bytes = Buffer.concat(readdirSync(scanDir).map((f) => readFileSync(join(scanDir, f))));
      const found = people.filter((p) => bytes.includes(p.idNumber) || bytes.includes(Buffer.from(p.name)));
      // The scan reads the records: their pseudonyms and masked forms are there.
      const pseudonym = journal.getDecision('p-0')?.decision.subject?.pseudonym ?? 'closed';
      return { found: found.length, sawRecords: bytes.includes(pseudonym) };
    };
    const whileOpen = scan(); // database, -wal and -shm
    expect(whileOpen).toEqual({ found: 0, sawRecords: true });
    const pseudonym0 = journal.getDecision('p-0')!.decision.subject!.pseudonym;
    journal.close();
    const bytes = Buffer.concat(readdirSync(scanDir).map((f) => readFileSync(join(scanDir, f))));
    expect(bytes.includes(pseudonym0)).toBe(true);
    expect(people.filter((p) => bytes.includes(p.idNumber) || bytes.includes(Buffer.from(p.name)))).toEqual(
      [],
    );
  });

  it('opens read-only for diagnostics: reads work, writes throw JOURNAL_UNAVAILABLE', async () => {
    const path = freshPath();
    const writer = await createSqliteJournal({ path });
    writer.commitDecision(entryFor({ id: 'd-1' }));
    writer.close();
    const reader = await createSqliteJournal({ path, readonly: true });
    expect(reader.getDecision('d-1')?.decision.id).toBe('d-1');
    const error = thrownXinyiError(() => reader.commitDecision(entryFor({ id: 'd-2' })));
    expect(error.code).toBe('JOURNAL_UNAVAILABLE');
    expect((error.cause as { code?: string }).code).toMatch(/^SQLITE_READONLY/);
    reader.close();
    expect((await rejection(createSqliteJournal({ path: freshPath(), readonly: true }))).code).toBe(
      'JOURNAL_UNAVAILABLE',
    );
  });

  // Root ignores file modes, so as root the file is made immutable (chattr +i) instead: that binds
  // root too. Either way the journal process faces a file it may not write, as on a failed mount.
  it('throws JOURNAL_UNAVAILABLE, not a crash, when its file cannot be written', async () => {
    const path = freshPath();
    const writer = await createSqliteJournal({ path });
    writer.commitDecision(entryFor({ id: 'd-1' }));
    writer.close();
    const asRoot = process.getuid?.() === 0;
    let undo: () => void;
    if (asRoot) {
      try {
        execFileSync('chattr', ['+i', path], { stdio: 'ignore' });
      } catch {
        console.warn('skipped: running as root without chattr +i, so no file can be made read-only');
        return;
      }
      undo = () => execFileSync('chattr', ['-i', path]);
    } else {
      chmodSync(path, 0o444);
      undo = () => chmodSync(path, 0o644);
    }
    try {
      // The technique must really deny writes to this process, or the test proves nothing.
      expect(() => closeSync(openSync(path, 'r+'))).toThrow();
      const logger = recordingLogger();
      let journal: Awaited<ReturnType<typeof createSqliteJournal>> | undefined;
      try {
        journal = await createSqliteJournal({ path, logger });
      } catch (error) {
        // SQLite may refuse at open instead of at the first write; both are the typed error.
        expect(isXinyiError(error, 'JOURNAL_UNAVAILABLE')).toBe(true);
        return;
      }
      for (let i = 0; i < 3; i++) {
        const error = thrownXinyiError(() => journal!.commitDecision(entryFor({ id: `d-${i + 2}` })));
        expect(error.code).toBe('JOURNAL_UNAVAILABLE');
        expect(error.details.sqliteCode).toMatch(/^SQLITE_READONLY/);
      }
      expect(journal.getDecision('d-1')?.decision.id).toBe('d-1');
      // Three failures, one log line: a failing disk does not flood the log.
      expect(logger.lines.filter((l) => l.level === 'error')).toHaveLength(1);
      journal.close();
    } finally {
      undo();
    }
  });

  it('throws JOURNAL_FULL when the disk (here: maxSizeBytes) is full, keeps what it had, and recovers', async () => {
    const logger = recordingLogger();
    const clock = manualClock();
    const journal = await createSqliteJournal({ path: freshPath(), clock, logger, maxSizeBytes: 128 * 1024 });
    let committed = 0;
    let error: XinyiError | undefined;
    for (; committed < 10_000; committed++) {
      try {
        journal.commitDecision(entryFor({ id: `d-${committed}`, person: people[committed % people.length] }));
      } catch (e) {
        error = e as XinyiError;
        break;
      }
    }
    expect(error?.code).toBe('JOURNAL_FULL');
    expect((error?.cause as { code?: string } | undefined)?.code).toBe('SQLITE_FULL');
    expect(committed).toBeGreaterThan(5);
    // The failed commit left nothing behind: no decision, no orphan disclosure.
    expect(journal.getDecision(`d-${committed}`)).toBeUndefined();
    expect(journal.counts()).toMatchObject({ decisions: committed, disclosures: 2 * committed });
    expect(thrownXinyiError(() => journal.commitDecision(entryFor({ id: 'again' }))).code).toBe(
      'JOURNAL_FULL',
    );
    expect(logger.lines.filter((l) => l.level === 'error')).toHaveLength(1);
    // The write probe sees it too: no room for a decision.
    expect(thrownXinyiError(() => journal.probeWrite()).code).toBe('JOURNAL_FULL');

    // Once uploaded records are purged, their pages are reused and commits succeed again.
    const ids = journal.pendingUploads('decisions', committed).map((o) => o.id);
    journal.markUploaded('decisions', ids, clock.now());
    journal.markUploaded(
      'disclosures',
      journal.pendingUploads('disclosures', 2 * committed).map((o) => o.id),
      clock.now(),
    );
    journal.purge(clock.now() + 1, { decisions: 0, disclosures: 0 });
    journal.probeWrite();
    journal.commitDecision(entryFor({ id: 'after-purge' }));
    expect(journal.getDecision('after-purge')).toBeDefined();
    expect(logger.lines.at(-1)).toMatchObject({ level: 'info' });
    journal.close();
  });

  it('probeWrite commits a write that changes no record; it fails while another connection holds the lock, and on a read-only journal', async () => {
    const path = freshPath();
    const journal = await createSqliteJournal({ path, busyTimeoutMs: 0 });
    journal.commitDecision(entryFor({ id: 'd-1' }));
    const other = new Database(path);
    try {
      const before = {
        counts: journal.counts(),
        backlog: journal.backlog(),
        pending: journal.pendingUploads('decisions', 10),
        pages: other.pragma('page_count', { simple: true }),
      };
      const version = () => other.pragma('data_version', { simple: true });
      const seen = version();
      journal.probeWrite();
      // Another connection sees a commit: the probe went through the write-ahead log, not around it.
      expect(version()).not.toBe(seen);
      for (let i = 0; i < 50; i++) journal.probeWrite();
      expect({
        counts: journal.counts(),
        backlog: journal.backlog(),
        pending: journal.pendingUploads('decisions', 10),
        pages: other.pragma('page_count', { simple: true }),
      }).toEqual(before);

      other.exec('BEGIN IMMEDIATE');
      const busy = thrownXinyiError(() => journal.probeWrite());
      expect(busy.code).toBe('JOURNAL_UNAVAILABLE');
      expect(busy.details.sqliteCode).toMatch(/^SQLITE_BUSY/);
      other.exec('ROLLBACK');
      journal.probeWrite();
    } finally {
      other.close();
    }
    journal.close();
    expect(thrownXinyiError(() => journal.probeWrite()).code).toBe('CLOSED');

    const reader = await createSqliteJournal({ path, readonly: true });
    const readonly = thrownXinyiError(() => reader.probeWrite());
    expect(readonly.code).toBe('JOURNAL_UNAVAILABLE');
    expect(readonly.details.sqliteCode).toMatch(/^SQLITE_READONLY/);
    reader.close();
  });

  it('reads the backlog from its counters, not by counting the outbox', async () => {
    const path = freshPath();
    const journal = await createSqliteJournal({ path });
    journal.commitDecision(entryFor({ id: 'd-1' }));
    const raw = new Database(path);
    raw.prepare("UPDATE outbox_backlog SET pending = 123456 WHERE kind = 'decisions'").run();
    raw.close();
    // Only a store that reads the counters can report a number no row count gives.
    expect(journal.backlog().decisions.count).toBe(123_456);
    journal.close();
  });

  it('migrates a schema-1 journal: the backlog is counted once, then kept', async () => {
    const path = freshPath();
    const clock = manualClock();
    const t0 = clock.now();
    let journal = await createSqliteJournal({ path, clock });
    for (let i = 0; i < 4; i++) {
      journal.commitDecision(entryFor({ id: `d-${i}`, person: people[i] }));
      clock.advance(1000);
    }
    journal.markUploaded('decisions', ['d-0'], clock.now());
    journal.close();
    // Back to schema 1 as an older SDK left it, with records it wrote after ours.
    downgradeToSchema2(path);
    const raw = new Database(path);
    raw.exec(`
      DROP TRIGGER decisions_backlog_added; DROP TRIGGER decisions_backlog_requeued;
      DROP TRIGGER decisions_backlog_delivered; DROP TRIGGER decisions_backlog_removed;
      DROP TRIGGER disclosures_backlog_added; DROP TRIGGER disclosures_backlog_requeued;
      DROP TRIGGER disclosures_backlog_delivered; DROP TRIGGER disclosures_backlog_removed;
      DROP TABLE outbox_backlog;
      DELETE FROM schema_version WHERE version > 1;
      UPDATE decisions SET uploaded_at = 1 WHERE id = 'd-1';
      INSERT INTO decisions (id, at, committed_at, terminal_id, scene, outcome, pseudonym, body)
        SELECT 'd-old', at, committed_at + 60000, terminal_id, scene, outcome, pseudonym, body
        FROM decisions WHERE id = 'd-3';
    `);
    expect(raw.prepare('SELECT MAX(version) FROM schema_version').pluck().get()).toBe(1);
    raw.close();

    journal = await createSqliteJournal({ path, clock });
    expect(journal.backlog()).toEqual(recountedBacklog(journal));
    expect(journal.backlog()).toEqual({
      decisions: { count: 3, oldestAt: t0 + 2000 },
      disclosures: { count: 8, oldestAt: t0 },
    });
    journal.markUploaded('decisions', ['d-2'], clock.now());
    expect(journal.backlog().decisions).toEqual({ count: 2, oldestAt: t0 + 3000 });
    journal.close();
    const check = new Database(path, { readonly: true });
    expect(check.prepare('SELECT MAX(version) FROM schema_version').pluck().get()).toBe(
      SQLITE_JOURNAL_SCHEMA_VERSION,
    );
    check.close();
  });

  it('refuses files that are not a journal, or a journal newer than this SDK', async () => {
    const junk = freshPath();
    writeFileSync(junk, Buffer.alloc(8192, 0x5a));
    const notADatabase = await rejection(createSqliteJournal({ path: junk }));
    expect(notADatabase.code).toBe('JOURNAL_UNAVAILABLE');
    expect(notADatabase.details.sqliteCode).toBe('SQLITE_NOTADB');

    const other = freshPath();
    const db = new Database(other);
    db.exec('CREATE TABLE subjects (pseudonym BLOB PRIMARY KEY)');
    db.close();
    expect((await rejection(createSqliteJournal({ path: other }))).code).toBe('JOURNAL_UNAVAILABLE');

    const newer = freshPath();
    (await createSqliteJournal({ path: newer })).close();
    const raw = new Database(newer);
    raw.prepare('INSERT INTO schema_version (version, applied_at) VALUES (?, ?)').run(99, 0);
    raw.close();
    const tooNew = await rejection(createSqliteJournal({ path: newer }));
    expect(tooNew.code).toBe('JOURNAL_UNAVAILABLE');
    expect(tooNew.details.schemaVersion).toBe(99);

    const missingDir = await rejection(createSqliteJournal({ path: join(dir, 'no-such-dir', 'j.sqlite') }));
    expect(missingDir.code).toBe('JOURNAL_UNAVAILABLE');
  });

  it('checkpoints on a connection of its own, off the event loop, and removes the log when closed', async () => {
    // The database file itself holds a committed record only once a checkpoint has copied it there
    // from the write-ahead log; the journal's own connection never checkpoints (autocheckpoint 0).
    const inFile = (path: string, id: string) => readFileSync(path).includes(Buffer.from(id));
    const background = freshPath();
    const journal = await createSqliteJournal({ path: background, checkpointIntervalMs: 20 });
    journal.commitDecision(entryFor({ id: 'background-checkpointed' }));
    expect(inFile(background, 'background-checkpointed')).toBe(false);
    await until(() => inFile(background, 'background-checkpointed'), 'the worker to checkpoint');
    journal.close();
    expect(existsSync(`${background}-wal`)).toBe(false);

    // Inline, as SQLite does by default: a record stays in the log until 1,000 pages fill it.
    const inline = freshPath();
    const inlineJournal = await createSqliteJournal({ path: inline, checkpoint: 'inline' });
    inlineJournal.commitDecision(entryFor({ id: 'inline-not-yet' }));
    const probe = await createSqliteJournal({ path: freshPath(), checkpointIntervalMs: 20 });
    probe.commitDecision(entryFor({ id: 'probe' }));
    await until(() => inFile(probe.path, 'probe'), 'a worker to checkpoint the probe');
    expect(inFile(inline, 'inline-not-yet')).toBe(false);
    probe.close();
    inlineJournal.close();
    expect(inFile(inline, 'inline-not-yet')).toBe(true); // the last connection checkpoints on close
  });

  it('keeps its write-ahead log within its bound while the uploader drains a long backlog', async () => {
    // A checkpoint on another connection cannot restart the log while a drain keeps writing, so the
    // log grew by about 0.9 kB per record marked (9 MB for these 10,000; about 1 GB for 1M) until the drain
    // waited for a checkpoint past the bound (1,000 frames, as SQLite's own automatic checkpoint).
    const path = freshPath();
    await writePendingJournal(path, 10_000);
    // No periodic checkpoint during the drain: only the ones the drain asks for. A bound of 200 frames
    // (0.8 MB) keeps the test short.
    const journal = await createSqliteJournal({ path, checkpointIntervalMs: 600_000, walBoundFrames: 200 });
    const received: unknown[] = [];
    const platform = {
      async uploadDecisions(batch: readonly unknown[]) {
        received.push(...batch);
        return { accepted: batch.length, duplicate: false };
      },
      async uploadDisclosures(batch: readonly unknown[]) {
        return { accepted: batch.length, duplicate: false };
      },
    };
    const uploader = createUploader({ journal, platform, backlogAlarmThreshold: 1_000_000 });
    const walBytes = () => statSync(`${path}-wal`, { throwIfNoEntry: false })?.size ?? 0;
    let walPeakBytes = 0;
    uploader.on('uploaded', () => {
      walPeakBytes = Math.max(walPeakBytes, walBytes());
    });
    const result = await uploader.flush();
    expect(result).toEqual({ uploaded: 10_000, backlog: 0 });
    expect(received).toHaveLength(10_000);
    const boundBytes = 200 * (4096 + 24);
    expect(walPeakBytes).toBeGreaterThan(boundBytes);
    // The bound, what the drain wrote while the first checkpoint copied it, and one more batch.
    expect(walPeakBytes).toBeLessThan(boundBytes * 4);
    journal.close();
  });

  it('reports bad options and a missing driver with typed errors', async () => {
    expect(
      (await rejection(createSqliteJournal({ path: freshPath(), checkpoint: 'off' as 'inline' }))).code,
    ).toBe('INVALID_OPTIONS');
    expect((await rejection(createSqliteJournal({ path: freshPath(), checkpointIntervalMs: 1 }))).code).toBe(
      'INVALID_OPTIONS',
    );
    expect((await rejection(createSqliteJournal({ path: '' }))).code).toBe('INVALID_OPTIONS');
    expect(
      (await rejection(createSqliteJournal({ path: freshPath(), synchronous: 'OFF' as 'FULL' }))).code,
    ).toBe('INVALID_OPTIONS');
    expect((await rejection(createSqliteJournal({ path: freshPath(), maxSizeBytes: 10 }))).code).toBe(
      'INVALID_OPTIONS',
    );
    expect(
      (await rejection(createSqliteJournal({ path: freshPath(), driverSpecifier: 'no-such-sqlite-driver' })))
        .code,
    ).toBe('NATIVE_MODULE_UNAVAILABLE');
  });
});
