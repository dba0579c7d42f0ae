// The SQLite journal's schema: its migrations, applied in order inside the opening transaction, and the
// version they reach. Append a migration, never edit one: a terminal in the field may hold any earlier
// version.
import type BetterSqlite3 from 'better-sqlite3';
import { XinyiError } from '../errors.js';
import { type ChainKey, canonicalJson } from './journal-chain.js';
import type { DisclosureRecord, UploadRecordKind } from './journal-store.js';
import { ChainWriter, USES_CHAIN_TERMINAL, type UseRow, useCanonicalJson } from './sqlite-chain-writer.js';

type Database = BetterSqlite3.Database;

/**
 * Version 2: the outbox backlog, per kind, kept in `outbox_backlog` (pending count, seq and commit time
 * of the oldest pending record) so that `backlog()` reads one row instead of counting every pending
 * record (74 ms at 1M pending, once per uploader batch and tick).
 *
 * Triggers maintain it, not the store's code: every statement that inserts, marks, un-marks or deletes
 * a record moves the counters inside that statement's own transaction, so they cannot drift from the
 * rows, whoever writes them (this store, a later migration, a repair by hand), and a crash loses both
 * or neither. Only the oldest record being marked costs a look-up: the next pending record by `seq`,
 * one seek in the `*_pending` partial index. The migration counts the existing records once.
 */
function outboxBacklogMigration(): string {
  const oldest = (table: string) =>
    `(SELECT seq, committed_at FROM ${table} WHERE uploaded_at IS NULL ORDER BY seq LIMIT 1)`;
  const forTable = (table: UploadRecordKind) => `
  INSERT INTO outbox_backlog (kind, pending, oldest_seq, oldest_at) VALUES ('${table}',
    (SELECT COUNT(*) FROM ${table} WHERE uploaded_at IS NULL),
    (SELECT seq FROM ${oldest(table)}),
    (SELECT committed_at FROM ${oldest(table)}));
  CREATE TRIGGER ${table}_backlog_added AFTER INSERT ON ${table} WHEN NEW.uploaded_at IS NULL
  BEGIN
    UPDATE outbox_backlog SET pending = pending + 1,
      oldest_seq = CASE WHEN oldest_seq IS NULL OR NEW.seq < oldest_seq THEN NEW.seq ELSE oldest_seq END,
      oldest_at = CASE WHEN oldest_seq IS NULL OR NEW.seq < oldest_seq THEN NEW.committed_at ELSE oldest_at END
    WHERE kind = '${table}';
  END;
  CREATE TRIGGER ${table}_backlog_requeued AFTER UPDATE OF uploaded_at ON ${table}
    WHEN OLD.uploaded_at IS NOT NULL AND NEW.uploaded_at IS NULL
  BEGIN
    UPDATE outbox_backlog SET pending = pending + 1,
      oldest_seq = CASE WHEN oldest_seq IS NULL OR NEW.seq < oldest_seq THEN NEW.seq ELSE oldest_seq END,
      oldest_at = CASE WHEN oldest_seq IS NULL OR NEW.seq < oldest_seq THEN NEW.committed_at ELSE oldest_at END
    WHERE kind = '${table}';
  END;
  CREATE TRIGGER ${table}_backlog_delivered AFTER UPDATE OF uploaded_at ON ${table}
    WHEN OLD.uploaded_at IS NULL AND NEW.uploaded_at IS NOT NULL
  BEGIN
    UPDATE outbox_backlog SET pending = pending - 1 WHERE kind = '${table}';
    UPDATE outbox_backlog SET (oldest_seq, oldest_at) = ${oldest(table)}
      WHERE kind = '${table}' AND oldest_seq = OLD.seq;
  END;
  CREATE TRIGGER ${table}_backlog_removed AFTER DELETE ON ${table} WHEN OLD.uploaded_at IS NULL
  BEGIN
    UPDATE outbox_backlog SET pending = pending - 1 WHERE kind = '${table}';
    UPDATE outbox_backlog SET (oldest_seq, oldest_at) = ${oldest(table)}
      WHERE kind = '${table}' AND oldest_seq = OLD.seq;
  END;`;
  return `
  CREATE TABLE outbox_backlog (
    kind TEXT PRIMARY KEY,
    pending INTEGER NOT NULL,
    oldest_seq INTEGER,
    oldest_at INTEGER
  ) WITHOUT ROWID;${forTable('decisions')}${forTable('disclosures')}
  `;
}

/**
 * Version 3: the hash chain (docs/journal.md §12). Decisions and disclosures get their link columns;
 * benefit uses become chained records of their own (`use_records`), from which `usage`, the index the
 * caps read, is rebuilt at every start; `journal_chain` holds each chain's head and how far the purge
 * went. Existing records are chained as they stand at the migration, in commit order.
 */
function chainMigration(db: Database, key: ChainKey | undefined): void {
  db.exec(`
  ALTER TABLE decisions ADD COLUMN chain_seq INTEGER;
  ALTER TABLE decisions ADD COLUMN chain_prev TEXT;
  ALTER TABLE decisions ADD COLUMN chain_hash TEXT;
  ALTER TABLE decisions ADD COLUMN chain_mac TEXT;
  ALTER TABLE disclosures ADD COLUMN terminal_id TEXT;
  ALTER TABLE disclosures ADD COLUMN chain_seq INTEGER;
  ALTER TABLE disclosures ADD COLUMN chain_prev TEXT;
  ALTER TABLE disclosures ADD COLUMN chain_hash TEXT;
  ALTER TABLE disclosures ADD COLUMN chain_mac TEXT;
  CREATE TABLE use_records (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    decision_id TEXT NOT NULL,
    rule_id TEXT NOT NULL,
    pseudonym TEXT NOT NULL,
    scene TEXT NOT NULL,
    at INTEGER NOT NULL,
    chain_seq INTEGER,
    chain_prev TEXT,
    chain_hash TEXT,
    chain_mac TEXT,
    UNIQUE (decision_id, rule_id)
  );
  CREATE INDEX use_records_at ON use_records (at);
  CREATE TABLE journal_chain (
    kind TEXT NOT NULL,
    terminal_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL,
    purged_seq INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (kind, terminal_id)
  ) WITHOUT ROWID;
  `);
  const chain = new ChainWriter(db, key);
  const decisions = db.prepare('SELECT seq, terminal_id, body FROM decisions ORDER BY seq').all() as {
    seq: number;
    terminal_id: string;
    body: string;
  }[];
  const linkDecision = db.prepare(
    'UPDATE decisions SET chain_seq = ?, chain_prev = ?, chain_hash = ?, chain_mac = ? WHERE seq = ?',
  );
  for (const row of decisions) {
    const link = chain.next(row.terminal_id, 'decisions', canonicalJson(JSON.parse(row.body)));
    linkDecision.run(link.seq, link.prev, link.hash, link.mac ?? null, row.seq);
  }
  const disclosures = db.prepare('SELECT seq, body FROM disclosures ORDER BY seq').all() as {
    seq: number;
    body: string;
  }[];
  const linkDisclosure = db.prepare(
    `UPDATE disclosures SET terminal_id = ?, chain_seq = ?, chain_prev = ?, chain_hash = ?, chain_mac = ?
     WHERE seq = ?`,
  );
  for (const row of disclosures) {
    const record = JSON.parse(row.body) as DisclosureRecord;
    const terminalId = String(record.terminalId);
    const link = chain.next(terminalId, 'disclosures', canonicalJson(record));
    linkDisclosure.run(terminalId, link.seq, link.prev, link.hash, link.mac ?? null, row.seq);
  }
  const uses = db
    .prepare('SELECT decision_id, rule_id, pseudonym, scene, at FROM usage ORDER BY at, decision_id, rule_id')
    .all() as UseRow[];
  const insertUse = db.prepare(
    `INSERT INTO use_records (decision_id, rule_id, pseudonym, scene, at, chain_seq, chain_prev, chain_hash, chain_mac)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  for (const use of uses) {
    const link = chain.next(USES_CHAIN_TERMINAL, 'uses', useCanonicalJson(use));
    insertUse.run(
      use.decision_id,
      use.rule_id,
      use.pseudonym,
      use.scene,
      use.at,
      link.seq,
      link.prev,
      link.hash,
      link.mac ?? null,
    );
  }
}

/**
 * Schema migrations: entry `i` takes the database from version `i` to `i + 1`, inside the opening
 * transaction. Append, never edit: a terminal in the field may hold any earlier version.
 *
 * `seq` is AUTOINCREMENT so that commit order stays strictly increasing even after a purge has
 * deleted the newest rows. Decisions and disclosures are kept as JSON (pseudonyms and masked forms
 * only), with the columns the outbox, purge and diagnostics query beside them.
 */
const MIGRATIONS: readonly (string | ((db: Database, key: ChainKey | undefined) => void))[] = [
  `
  CREATE TABLE decisions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    at INTEGER NOT NULL,
    committed_at INTEGER NOT NULL,
    terminal_id TEXT NOT NULL,
    scene TEXT NOT NULL,
    outcome TEXT NOT NULL,
    pseudonym TEXT,
    uploaded_at INTEGER,
    body TEXT NOT NULL
  );
  CREATE INDEX decisions_pending ON decisions (seq) WHERE uploaded_at IS NULL;
  CREATE INDEX decisions_at ON decisions (at);
  CREATE TABLE disclosures (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    decision_id TEXT NOT NULL,
    granted_at INTEGER NOT NULL,
    due_date TEXT NOT NULL,
    committed_at INTEGER NOT NULL,
    uploaded_at INTEGER,
    body TEXT NOT NULL
  );
  CREATE INDEX disclosures_pending ON disclosures (seq) WHERE uploaded_at IS NULL;
  CREATE INDEX disclosures_due ON disclosures (due_date) WHERE uploaded_at IS NULL;
  CREATE INDEX disclosures_granted_at ON disclosures (granted_at);
  CREATE TABLE usage (
    decision_id TEXT NOT NULL,
    rule_id TEXT NOT NULL,
    pseudonym TEXT NOT NULL,
    scene TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (decision_id, rule_id)
  ) WITHOUT ROWID;
  CREATE INDEX usage_subject ON usage (pseudonym, at, rule_id);
  CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    at INTEGER NOT NULL,
    decision_id TEXT,
    detail TEXT
  );
  CREATE INDEX events_kind ON events (kind, seq);
  `,
  outboxBacklogMigration(),
  chainMigration,
];

export const SQLITE_JOURNAL_SCHEMA_VERSION = MIGRATIONS.length;

/** Brings the database to the current schema, inside the opening transaction; refuses a newer or foreign one. */
export function migrate(db: Database, key: ChainKey | undefined): void {
  const hasVersions =
    db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").get() !==
    undefined;
  let version = 0;
  if (hasVersions) {
    version = (db.prepare('SELECT MAX(version) FROM schema_version').pluck().get() as number | null) ?? 0;
  } else {
    const tables = db
      .prepare("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'")
      .pluck()
      .get() as number;
    if (tables > 0)
      throw new XinyiError('JOURNAL_UNAVAILABLE', 'the database file is not a decision journal');
  }
  if (version > MIGRATIONS.length) {
    throw new XinyiError(
      'JOURNAL_UNAVAILABLE',
      `the journal's schema ${version} is newer than this SDK's ${MIGRATIONS.length}`,
      { details: { schemaVersion: version } },
    );
  }
  if (version === MIGRATIONS.length) return;
  if (db.readonly) {
    throw new XinyiError(
      'JOURNAL_UNAVAILABLE',
      `the read-only journal has schema ${version}, not ${MIGRATIONS.length}`,
      {
        details: { schemaVersion: version },
      },
    );
  }
  db.exec(
    'CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)',
  );
  const record = db.prepare('INSERT INTO schema_version (version, applied_at) VALUES (?, ?)');
  for (let v = version; v < MIGRATIONS.length; v++) {
    const migration = MIGRATIONS[v]!;
    if (typeof migration === 'string') db.exec(migration);
    else migration(db, key);
    record.run(v + 1, Date.now());
  }
}
