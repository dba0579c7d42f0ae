import { statSync } from 'node:fs';
import type BetterSqlite3 from 'better-sqlite3';
import { type Clock, shanghaiDate, systemClock } from '../clock.js';
import { loadSqliteDriver } from '../credit/snapshot-store.js';
import type { Decision } from '../domain/decision.js';
import { isXinyiError, XinyiError } from '../errors.js';
import { type Logger, silentLogger } from '../logger.js';
import type { UsageCounts } from '../policy/evaluate.js';
import type { ChainKey, ChainKind, ChainLink } from './journal-chain.js';
import {
  type PreparedDecision,
  type PreparedDisclosure,
  prepareDecision,
  prepareEvent,
  prepareUse,
  validateLimit,
  validatePseudonym,
  validateTime,
} from './journal-entry.js';
import type {
  DisclosureRecord,
  JournalDecisionEntry,
  JournalDecisionRecord,
  JournalEventInput,
  JournalEventRecord,
  JournalStore,
  OutboxItem,
  RetentionPolicy,
  RetentionRecordType,
  UploadRecordKind,
  UsageRecord,
} from './journal-store.js';
import { retentionCutoffs } from './retention.js';
import { ChainWriter, USES_CHAIN_TERMINAL, type UseRow, useCanonicalJson } from './sqlite-chain-writer.js';
import { migrate } from './sqlite-journal-schema.js';
import { shanghaiPeriods } from './usage-periods.js';
import { startWalCheckpointer, type WalCheckpointer } from './wal-checkpointer.js';

type Database = BetterSqlite3.Database;

/**
 * Frames the write-ahead log may hold before a drain makes room (SQLite's own automatic checkpoint
 * threshold). A checkpoint on another connection cannot restart the log while writes keep arriving,
 * so a long drain grew it by about 1 kB per record: 1 GB for 1M. With `journal_size_limit` at the
 * same bound, the log's file is cut back to it when the log restarts, so its size says whether the
 * log has grown past the bound since.
 */
const WAL_BOUND_FRAMES = 1000;
const WAL_FRAME_HEADER_BYTES = 24;
/** Checkpoints asked for in one wait, at most: each copies what the lane committed during the last. */
const WAL_SETTLE_ATTEMPTS = 4;
/**
 * Free pages (within `maxSizeBytes`) below which the write probe answers `JOURNAL_FULL`: a decision
 * with its disclosures and index entries needs a few pages, so a probe that passes with less would
 * end the alarm for a journal whose next commit still fails.
 */
const PROBE_ROOM_PAGES = 8;
type Statement = BetterSqlite3.Statement;

export interface SqliteJournalOptions {
  /** Database file; created when missing (its directory must exist). */
  path: string;
  /** Write failures (code only, never record contents) at error, recovery at info. @default silentLogger */
  logger?: Logger;
  /** Source of `committedAt`. @default systemClock */
  clock?: Clock;
  /**
   * `FULL` makes every commit durable across power loss before `commitDecision` returns. `NORMAL`
   * is faster but may lose the last commits on power loss (never on a process crash); it exists as a
   * measured baseline, not for terminals. @default 'FULL'
   */
  synchronous?: 'FULL' | 'NORMAL';
  /**
   * Upper bound of the database file, in bytes: a write that would grow it further throws
   * `JOURNAL_FULL`, as a full disk would, so a long outage cannot fill the terminal's storage.
   * @default unbounded (the disk)
   */
  maxSizeBytes?: number;
  /** Opens an existing journal read-only (diagnostics, `xinyi doctor`): every write throws `JOURNAL_UNAVAILABLE`. @default false */
  readonly?: boolean;
  /** How long to wait for another connection's lock, in ms. @default 5000 */
  busyTimeoutMs?: number;
  /**
   * Where SQLite's WAL checkpoints run. `background`: on a connection of their own in a worker thread,
   * every `checkpointIntervalMs`, so their fsync never stalls the event loop (a gate lane's decisions);
   * `inline`: SQLite's automatic checkpoint inside the commit that fills the log past 1,000 pages.
   * Falls back to `inline` when the worker cannot start. Read-only journals never checkpoint.
   * @default 'background'
   */
  checkpoint?: 'background' | 'inline';
  /** Period of the background checkpoints, in ms. @default 1000 */
  checkpointIntervalMs?: number;
  /**
   * The terminal's key (its platform request-signing key id and secret): every new head of the
   * journal's hash chains is signed with it (docs/journal.md §12). Without it the chains are still
   * kept, unsigned: edits show, but someone who rewrites a chain's tail consistently is not caught.
   */
  chainKey?: ChainKey;
  /**
   * @internal `false` keeps no hash chain: the bench's baseline only (bench/journal.bench.ts). A
   * journal written so has unchained records that `xinyi journal verify` reports. @default true
   */
  chain?: boolean;
  /** @internal Frames the write-ahead log holds before a drain makes room (tests). @default 1000 */
  walBoundFrames?: number;
  /** @internal The module to load instead of better-sqlite3 (tests); checkpoints then run inline. */
  driverSpecifier?: string;
}

export interface SqliteJournal extends JournalStore {
  readonly path: string;
  /**
   * Takes the write lock, checks that `maxSizeBytes` leaves room for a decision (else `JOURNAL_FULL`)
   * and commits a rewrite of the header's `user_version` with its own value: no record changes.
   */
  probeWrite(): void;
}

/** The link columns of a chained record, as the outbox reads them. */
const CHAIN_COLUMNS = 'chain_seq, chain_prev, chain_hash, chain_mac';

/**
 * Translates a driver error at the journal's boundary: a full disk (or `maxSizeBytes`) is
 * `JOURNAL_FULL`; anything else — read-only file, cannot open, I/O error, corrupt or not a
 * database, busy — is `JOURNAL_UNAVAILABLE`. The original error stays in `cause`.
 */
function translate(cause: unknown, action: string): XinyiError {
  if (isXinyiError(cause)) return cause;
  const code = (cause as { code?: unknown } | null)?.code;
  const sqliteCode = typeof code === 'string' ? code : 'none';
  if (sqliteCode.startsWith('SQLITE_FULL')) {
    return new XinyiError('JOURNAL_FULL', `the journal is full: could not ${action}`, {
      cause,
      details: { sqliteCode },
    });
  }
  return new XinyiError('JOURNAL_UNAVAILABLE', `the journal could not ${action}`, {
    cause,
    details: { sqliteCode },
  });
}

function walBoundBytes(pageSize: number, frames: number): number {
  return frames * (pageSize + WAL_FRAME_HEADER_BYTES);
}

/**
 * Opens (or creates) the decision journal: SQLite in WAL mode, `synchronous = FULL` unless told
 * otherwise, schema migrated to the current version in one transaction. Loads better-sqlite3 lazily
 * (`NATIVE_MODULE_UNAVAILABLE` when it cannot); throws `JOURNAL_UNAVAILABLE` when the file cannot be
 * opened or is not a journal, `JOURNAL_FULL` when there is no room to create it, `INVALID_OPTIONS`
 * for bad options.
 */
export async function createSqliteJournal(options: SqliteJournalOptions): Promise<SqliteJournal> {
  if (options === null || typeof options !== 'object') {
    throw new XinyiError('INVALID_OPTIONS', 'options must be an object');
  }
  if (typeof options.path !== 'string' || options.path.length === 0) {
    throw new XinyiError('INVALID_OPTIONS', 'path must be a non-empty string');
  }
  const synchronous = options.synchronous ?? 'FULL';
  if (synchronous !== 'FULL' && synchronous !== 'NORMAL') {
    throw new XinyiError('INVALID_OPTIONS', 'synchronous must be FULL or NORMAL');
  }
  const { maxSizeBytes } = options;
  if (maxSizeBytes !== undefined && (!Number.isInteger(maxSizeBytes) || maxSizeBytes < 4096)) {
    throw new XinyiError('INVALID_OPTIONS', 'maxSizeBytes must be an integer >= 4096');
  }
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw new XinyiError('INVALID_OPTIONS', 'busyTimeoutMs must be a non-negative integer');
  }
  const readonly = options.readonly === true;
  const checkpoint = options.checkpoint ?? 'background';
  if (checkpoint !== 'background' && checkpoint !== 'inline') {
    throw new XinyiError('INVALID_OPTIONS', "checkpoint must be 'background' or 'inline'");
  }
  const checkpointIntervalMs = options.checkpointIntervalMs ?? 1000;
  if (!Number.isInteger(checkpointIntervalMs) || checkpointIntervalMs < 10) {
    throw new XinyiError('INVALID_OPTIONS', 'checkpointIntervalMs must be an integer >= 10');
  }
  const walBoundFrames = options.walBoundFrames ?? WAL_BOUND_FRAMES;
  if (!Number.isInteger(walBoundFrames) || walBoundFrames < 1) {
    throw new XinyiError('INVALID_OPTIONS', 'walBoundFrames must be a positive integer');
  }
  const Driver = await loadSqliteDriver(options.driverSpecifier);
  let db: Database | undefined;
  try {
    db = new Driver(options.path, { timeout: busyTimeoutMs, readonly, fileMustExist: readonly });
    if (!readonly) db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${synchronous}`);
    if (maxSizeBytes !== undefined) {
      const pageSize = db.pragma('page_size', { simple: true }) as number;
      db.pragma(`max_page_count = ${Math.max(1, Math.floor(maxSizeBytes / pageSize))}`);
    }
    const opened = db;
    const migration = opened.transaction(() => migrate(opened, options.chainKey));
    if (readonly) migration();
    else migration.immediate();
    const logger = options.logger ?? silentLogger;
    let checkpointer: WalCheckpointer | undefined;
    if (!readonly && checkpoint === 'background' && options.driverSpecifier === undefined) {
      checkpointer = await startWalCheckpointer({
        path: options.path,
        intervalMs: checkpointIntervalMs,
        busyTimeoutMs,
        logger,
        onFailure: () => {
          if (opened.open) opened.pragma('wal_autocheckpoint = 1000');
        },
      });
      if (checkpointer !== undefined) {
        opened.pragma('wal_autocheckpoint = 0');
        // Once the log restarts, its file shrinks back to its bound instead of keeping its high-water mark.
        const pageSize = opened.pragma('page_size', { simple: true }) as number;
        opened.pragma(`journal_size_limit = ${walBoundBytes(pageSize, walBoundFrames)}`);
      }
    }
    if (!readonly) rebuildUsage(opened);
    return new SqliteJournalStore(
      options.path,
      db,
      options.clock ?? systemClock,
      logger,
      synchronous,
      checkpointer,
      walBoundBytes(opened.pragma('page_size', { simple: true }) as number, walBoundFrames),
      options.chain === false ? undefined : new ChainWriter(opened, options.chainKey),
    );
  } catch (cause) {
    try {
      db?.close();
    } catch {
      // Closing a connection that failed half-way may fail too; the open error is what matters.
    }
    throw translate(cause, 'be opened');
  }
}

/**
 * `usage` is an index of the chained `use_records`, rebuilt at every start: a use row deleted or added
 * by hand changes nothing once the daemon restarts (a chained record removed is a gap that
 * `xinyi journal verify` reports).
 */
function rebuildUsage(db: Database): void {
  db.transaction(() => {
    db.exec(`DELETE FROM usage;
      INSERT INTO usage (decision_id, rule_id, pseudonym, scene, at)
      SELECT decision_id, rule_id, pseudonym, scene, at FROM use_records;`);
  }).immediate();
}

interface DecisionRow {
  seq: number;
  terminal_id: string;
  committed_at: number;
  uploaded_at: number | null;
  body: string;
}

interface OutboxRow {
  id: string;
  seq: number;
  committed_at: number;
  terminal_id?: string;
  body: string;
  chain_seq: number | null;
  chain_prev: string | null;
  chain_hash: string | null;
  chain_mac: string | null;
}

interface EventRow {
  seq: number;
  kind: string;
  at: number;
  decision_id: string | null;
  detail: string | null;
}

interface BacklogRow {
  kind: UploadRecordKind;
  pending: number;
  oldest_at: number | null;
}

class SqliteJournalStore implements SqliteJournal {
  readonly kind = 'sqlite';
  readonly path: string;
  readonly #db: Database;
  readonly #clock: Clock;
  readonly #logger: Logger;
  #closed = false;
  /** The failure code of each kind of call that is failing now. */
  readonly #failing = new Map<string, string>();

  readonly #commit: BetterSqlite3.Transaction<(p: PreparedDecision, committedAt: number) => void>;
  readonly #getDecision: Statement;
  readonly #recordUse: BetterSqlite3.Transaction<
    (use: UsageRecord, disclosures: readonly PreparedDisclosure[], committedAt: number) => number
  >;
  readonly #usage: Statement;
  readonly #insertEvent: Statement;
  readonly #events: Record<'all' | 'kind' | 'latest' | 'latestOfKind', Statement>;
  readonly #pending: Record<UploadRecordKind, Statement>;
  readonly #markUploaded: Record<
    UploadRecordKind,
    BetterSqlite3.Transaction<(ids: readonly string[], at: number) => void>
  >;
  readonly #backlog: Statement;
  readonly #overdue: Statement;
  readonly #purge: BetterSqlite3.Transaction<
    (cutoff: Record<RetentionRecordType, number>) => Record<RetentionRecordType, number>
  >;
  readonly #counts: Statement;
  readonly #probe: BetterSqlite3.Transaction<() => void>;

  readonly #synchronous: 'FULL' | 'NORMAL';

  readonly #checkpointer: WalCheckpointer | undefined;
  readonly #walBoundBytes: number;
  /** The checkpoint a drain started when the log passed its bound, while the drain goes on. */
  #catchUp: Promise<unknown> | undefined;
  #caughtUp = false;
  readonly #chain: ChainWriter | undefined;

  constructor(
    path: string,
    db: Database,
    clock: Clock,
    logger: Logger,
    synchronous: 'FULL' | 'NORMAL',
    checkpointer: WalCheckpointer | undefined,
    walBound: number,
    chain: ChainWriter | undefined,
  ) {
    this.path = path;
    this.#chain = chain;
    this.#checkpointer = checkpointer;
    this.#walBoundBytes = walBound;
    this.#synchronous = synchronous;
    this.#db = db;
    this.#clock = clock;
    this.#logger = logger;

    const insertDecision = db.prepare(
      `INSERT INTO decisions (id, at, committed_at, terminal_id, scene, outcome, pseudonym, body,
         chain_seq, chain_prev, chain_hash, chain_mac)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
    );
    const insertDisclosure = db.prepare(
      `INSERT INTO disclosures (id, decision_id, granted_at, due_date, committed_at, body,
         terminal_id, chain_seq, chain_prev, chain_hash, chain_mac)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
    );
    const none: Partial<ChainLink> = {};
    this.#commit = db.transaction((p: PreparedDecision, committedAt: number) => {
      // The head moves only once the record is in: a chain has no link without its record.
      const link = chain === undefined ? none : chain.peek(p.terminalId, 'decisions', p.decisionJson);
      const inserted = insertDecision.run(
        p.id,
        p.atMs,
        committedAt,
        p.terminalId,
        p.scene,
        p.outcome,
        p.pseudonym,
        p.decisionJson,
        link.seq ?? null,
        link.prev ?? null,
        link.hash ?? null,
        link.mac ?? null,
      );
      if (inserted.changes === 0) return;
      if (chain !== undefined) chain.advance(p.terminalId, 'decisions', link as ChainLink);
      for (const d of p.disclosures) {
        const dl = chain === undefined ? none : chain.peek(d.terminalId, 'disclosures', d.recordJson);
        const added = insertDisclosure.run(
          d.id,
          d.decisionId,
          d.grantedAtMs,
          d.dueDate,
          committedAt,
          d.recordJson,
          d.terminalId,
          dl.seq ?? null,
          dl.prev ?? null,
          dl.hash ?? null,
          dl.mac ?? null,
        );
        if (chain !== undefined && added.changes === 1)
          chain.advance(d.terminalId, 'disclosures', dl as ChainLink);
      }
    });
    this.#getDecision = db.prepare(
      'SELECT seq, terminal_id, committed_at, uploaded_at, body FROM decisions WHERE id = ?',
    );

    const insertUse = db.prepare(
      `INSERT INTO usage (decision_id, rule_id, pseudonym, scene, at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (decision_id, rule_id) DO NOTHING`,
    );
    const insertUseRecord = db.prepare(
      `INSERT INTO use_records (decision_id, rule_id, pseudonym, scene, at, chain_seq, chain_prev, chain_hash, chain_mac)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (decision_id, rule_id) DO NOTHING`,
    );
    const useExists = db.prepare('SELECT 1 FROM use_records WHERE decision_id = ? AND rule_id = ?').pluck();
    const disclosureKept = db.prepare('SELECT 1 FROM disclosures WHERE id = ?').pluck();
    this.#recordUse = db.transaction(
      (use: UsageRecord, disclosures: readonly PreparedDisclosure[], committedAt: number) => {
        let added = 0;
        for (const ruleId of use.ruleIds) {
          if (useExists.get(use.decisionId, ruleId) !== undefined) continue;
          const row: UseRow = {
            decision_id: use.decisionId,
            rule_id: ruleId,
            pseudonym: use.pseudonym,
            scene: use.scene,
            at: use.at,
          };
          const link =
            chain === undefined ? none : chain.next(USES_CHAIN_TERMINAL, 'uses', useCanonicalJson(row));
          insertUseRecord.run(
            use.decisionId,
            ruleId,
            use.pseudonym,
            use.scene,
            use.at,
            link.seq ?? null,
            link.prev ?? null,
            link.hash ?? null,
            link.mac ?? null,
          );
          added += insertUse.run(use.decisionId, ruleId, use.pseudonym, use.scene, use.at).changes;
        }
        // Grants made by the use (credit granted) are committed with it, or not at all; chained like
        // the decision's own.
        for (const d of disclosures) {
          if (disclosureKept.get(d.id) !== undefined) continue;
          const dl = chain === undefined ? none : chain.next(d.terminalId, 'disclosures', d.recordJson);
          insertDisclosure.run(
            d.id,
            d.decisionId,
            d.grantedAtMs,
            d.dueDate,
            committedAt,
            d.recordJson,
            d.terminalId,
            dl.seq ?? null,
            dl.prev ?? null,
            dl.hash ?? null,
            dl.mac ?? null,
          );
        }
        return added;
      },
    );
    this.#usage = db.prepare(
      `SELECT rule_id AS ruleId,
              SUM(at >= @dayStart AND at < @dayEnd) AS day,
              SUM(at >= @monthStart AND at < @monthEnd) AS month,
              COUNT(*) AS year
       FROM usage WHERE pseudonym = @pseudonym AND at >= @yearStart AND at < @yearEnd
       GROUP BY rule_id`,
    );

    this.#insertEvent = db.prepare('INSERT INTO events (kind, at, decision_id, detail) VALUES (?, ?, ?, ?)');
    const eventColumns = 'seq, kind, at, decision_id, detail';
    this.#events = {
      all: db.prepare(`SELECT ${eventColumns} FROM events ORDER BY seq`),
      kind: db.prepare(`SELECT ${eventColumns} FROM events WHERE kind = ? ORDER BY seq`),
      latest: db.prepare(
        `SELECT * FROM (SELECT ${eventColumns} FROM events ORDER BY seq DESC LIMIT ?) ORDER BY seq`,
      ),
      latestOfKind: db.prepare(
        `SELECT * FROM (SELECT ${eventColumns} FROM events WHERE kind = ? ORDER BY seq DESC LIMIT ?) ORDER BY seq`,
      ),
    };

    this.#pending = {
      decisions: db.prepare(
        `SELECT id, seq, committed_at, terminal_id, body, ${CHAIN_COLUMNS} FROM decisions
         WHERE uploaded_at IS NULL ORDER BY seq LIMIT ?`,
      ),
      disclosures: db.prepare(
        `SELECT id, seq, committed_at, body, ${CHAIN_COLUMNS} FROM disclosures
         WHERE uploaded_at IS NULL ORDER BY seq LIMIT ?`,
      ),
    };
    const markTransaction = (table: UploadRecordKind) => {
      const mark = db.prepare(`UPDATE ${table} SET uploaded_at = ? WHERE id = ? AND uploaded_at IS NULL`);
      return db.transaction((ids: readonly string[], at: number) => {
        for (const id of ids) mark.run(at, id);
      });
    };
    this.#markUploaded = {
      decisions: markTransaction('decisions'),
      disclosures: markTransaction('disclosures'),
    };
    this.#backlog = db.prepare('SELECT kind, pending, oldest_at FROM outbox_backlog');
    this.#overdue = db
      .prepare('SELECT body FROM disclosures WHERE uploaded_at IS NULL AND due_date < ? ORDER BY seq')
      .pluck();

    const decisionsPurged = 'FROM decisions WHERE uploaded_at IS NOT NULL AND at < ?';
    const disclosuresPurged = 'FROM disclosures WHERE uploaded_at IS NOT NULL AND granted_at < ?';
    const purgeDecisions = db.prepare(`DELETE ${decisionsPurged}`);
    const purgeDisclosures = db.prepare(`DELETE ${disclosuresPurged}`);
    const purgeEvents = db.prepare('DELETE FROM events WHERE at < ?');
    const purgeUsage = db.prepare('DELETE FROM usage WHERE at < ?');
    const purgeUseRecords = db.prepare('DELETE FROM use_records WHERE at < ?');
    // How far the purge went in each chain, so that `xinyi journal verify` tells its gaps from a removal.
    const notePurged = (kind: ChainKind, tops: string) =>
      db.prepare(
        `UPDATE journal_chain SET purged_seq = MAX(purged_seq, p.top) FROM (${tops}) AS p
         WHERE journal_chain.kind = '${kind}' AND journal_chain.terminal_id = p.terminal_id AND p.top IS NOT NULL`,
      );
    const topsOf = (purged: string) =>
      `SELECT terminal_id, MAX(chain_seq) AS top ${purged} GROUP BY terminal_id`;
    const notePurgedDecisions = notePurged('decisions', topsOf(decisionsPurged));
    const notePurgedDisclosures = notePurged('disclosures', topsOf(disclosuresPurged));
    const notePurgedUses = notePurged(
      'uses',
      `SELECT '${USES_CHAIN_TERMINAL}' AS terminal_id, MAX(chain_seq) AS top FROM use_records WHERE at < ?`,
    );
    this.#purge = db.transaction((cutoff: Record<RetentionRecordType, number>) => {
      notePurgedDecisions.run(cutoff.decisions);
      notePurgedDisclosures.run(cutoff.disclosures);
      notePurgedUses.run(cutoff.usage);
      purgeUseRecords.run(cutoff.usage);
      return {
        decisions: purgeDecisions.run(cutoff.decisions).changes,
        disclosures: purgeDisclosures.run(cutoff.disclosures).changes,
        events: purgeEvents.run(cutoff.events).changes,
        usage: purgeUsage.run(cutoff.usage).changes,
      };
    });
    this.#counts = db.prepare(
      `SELECT (SELECT COUNT(*) FROM decisions) AS decisions, (SELECT COUNT(*) FROM disclosures) AS disclosures,
              (SELECT COUNT(*) FROM events) AS events, (SELECT COUNT(*) FROM usage) AS usage`,
    );
    const pragma = (name: string) => db.pragma(name, { simple: true }) as number;
    // Rewrites the database header's user_version with its own value: the write lock, a page in the
    // write-ahead log and its fsync, as a commit has them, and no record changed. Before that, the
    // room a decision needs within `max_page_count` (SQLite allocates pages only as a write needs them).
    this.#probe = db.transaction(() => {
      const freePages = pragma('max_page_count') - pragma('page_count') + pragma('freelist_count');
      if (freePages < PROBE_ROOM_PAGES) {
        throw new XinyiError('JOURNAL_FULL', 'the journal is full: no room for the next decision', {
          details: { sqliteCode: 'SQLITE_FULL', freePages },
        });
      }
      db.pragma(`user_version = ${pragma('user_version')}`);
    });
  }

  #assertOpen(): void {
    if (this.#closed) throw new XinyiError('CLOSED', 'the journal is closed');
  }

  /**
   * Runs a database call, translating its failure. Each kind of call logs when it starts failing
   * (or fails differently) and when it succeeds again, so a full disk logs twice, not per decision.
   */
  #run<T>(action: string, fn: () => T): T {
    let result: T;
    try {
      result = fn();
    } catch (cause) {
      const error = translate(cause, action);
      if (this.#failing.get(action) !== error.code) {
        this.#failing.set(action, error.code);
        this.#logger.error({ code: error.code, ...error.details }, `journal: could not ${action}`);
      }
      throw error;
    }
    if (this.#failing.size > 0 && this.#failing.delete(action)) {
      this.#logger.info({}, `journal: could ${action} again`);
    }
    return result;
  }

  commitDecision(entry: JournalDecisionEntry): void {
    this.#assertOpen();
    const prepared = prepareDecision(entry, this.#chain === undefined ? 'plain' : 'canonical');
    const committedAt = this.#clock.now();
    // IMMEDIATE: take the write lock before reading, so a second connection cannot interleave.
    try {
      this.#run('commit the decision', () => this.#commit.immediate(prepared, committedAt));
    } catch (error) {
      this.#chain?.invalidate();
      throw error;
    }
  }

  getDecision(id: string): JournalDecisionRecord | undefined {
    this.#assertOpen();
    const row = this.#run('read a decision', () => this.#getDecision.get(id) as DecisionRow | undefined);
    if (row === undefined) return undefined;
    return {
      decision: JSON.parse(row.body) as Decision,
      terminalId: row.terminal_id,
      seq: row.seq,
      committedAt: row.committed_at,
      uploadedAt: row.uploaded_at,
    };
  }

  recordUse(use: UsageRecord): number {
    this.#assertOpen();
    const disclosures = prepareUse(use, this.#chain === undefined ? 'plain' : 'canonical');
    const committedAt = this.#clock.now();
    try {
      return this.#run('record a benefit use', () =>
        this.#recordUse.immediate(use, disclosures, committedAt),
      );
    } catch (error) {
      this.#chain?.invalidate();
      throw error;
    }
  }

  usageCounts(pseudonym: string, now: number): UsageCounts {
    this.#assertOpen();
    validatePseudonym(pseudonym);
    const periods = shanghaiPeriods(validateTime(now, 'now'));
    const rows = this.#run(
      'read usage counts',
      () =>
        this.#usage.all({ pseudonym, ...periods }) as {
          ruleId: string;
          day: number;
          month: number;
          year: number;
        }[],
    );
    const counts: Record<string, { day: number; month: number; year: number }> = {};
    for (const r of rows) counts[r.ruleId] = { day: r.day, month: r.month, year: r.year };
    return counts;
  }

  appendEvent(event: JournalEventInput): void {
    this.#assertOpen();
    const detail = prepareEvent(event);
    this.#run('append an event', () =>
      this.#insertEvent.run(event.kind, event.at, event.decisionId ?? null, detail),
    );
  }

  events(options: { limit?: number; kind?: string } = {}): JournalEventRecord[] {
    this.#assertOpen();
    const { kind } = options;
    const limit = options.limit === undefined ? undefined : validateLimit(options.limit, 'limit');
    const rows = this.#run('read events', () => {
      if (limit === undefined) {
        return (kind === undefined ? this.#events.all.all() : this.#events.kind.all(kind)) as EventRow[];
      }
      return (
        kind === undefined ? this.#events.latest.all(limit) : this.#events.latestOfKind.all(kind, limit)
      ) as EventRow[];
    });
    return rows.map((e) => {
      const record: JournalEventRecord = { seq: e.seq, kind: e.kind, at: e.at };
      if (e.decision_id !== null) record.decisionId = e.decision_id;
      if (e.detail !== null) record.detail = JSON.parse(e.detail);
      return record;
    });
  }

  #kind(kind: UploadRecordKind): UploadRecordKind {
    if (kind !== 'decisions' && kind !== 'disclosures') {
      throw new XinyiError('INVALID_ARGUMENT', 'kind must be decisions or disclosures', {
        details: { field: 'kind' },
      });
    }
    return kind;
  }

  pendingUploads(kind: UploadRecordKind, limit: number): OutboxItem[] {
    this.#assertOpen();
    const k = this.#kind(kind);
    validateLimit(limit, 'limit');
    const rows = this.#run('read the outbox', () => this.#pending[k].all(limit) as OutboxRow[]);
    return rows.map((r) => {
      const item: OutboxItem = {
        id: r.id,
        seq: r.seq,
        committedAt: r.committed_at,
        payload:
          k === 'decisions'
            ? JSON.parse(`{"terminalId":${JSON.stringify(r.terminal_id)},"decision":${r.body}}`)
            : JSON.parse(r.body),
      };
      if (r.chain_seq !== null && r.chain_prev !== null && r.chain_hash !== null) {
        item.chain = { seq: r.chain_seq, prev: r.chain_prev, hash: r.chain_hash };
        if (r.chain_mac !== null) item.chain.mac = r.chain_mac;
      }
      return item;
    });
  }

  markUploaded(kind: UploadRecordKind, ids: readonly string[], at: number): void {
    this.#assertOpen();
    const k = this.#kind(kind);
    validateTime(at, 'at');
    if (!Array.isArray(ids)) throw new XinyiError('INVALID_ARGUMENT', 'ids must be an array');
    this.#run('mark records uploaded', () => {
      if (this.#synchronous === 'NORMAL') return this.#markUploaded[k].immediate(ids, at);
      // A mark is not fsync'd on its own: it becomes durable with the next commit's fsync (WAL, in
      // order). A power cut before that loses only the mark, and the batch is sent again under the
      // same keys, which the platform de-duplicates; a process crash loses nothing. One fsync per
      // batch was most of the drain's cost.
      this.#db.pragma('synchronous = NORMAL');
      try {
        return this.#markUploaded[k].immediate(ids, at);
      } finally {
        this.#db.pragma('synchronous = FULL');
      }
    });
  }

  probeWrite(): void {
    this.#assertOpen();
    this.#run('take a write', () => this.#probe.immediate());
  }

  /**
   * Past the bound, in two steps so that the drain waits for a small checkpoint, not a large one: a
   * first checkpoint copies most of the log while the drain goes on; once it is done, the drain waits
   * for one that copies what was written meanwhile, after which the next write restarts the log.
   */
  async readyForBulkWrites(): Promise<void> {
    const checkpointer = this.#checkpointer;
    if (checkpointer === undefined || this.#closed) return;
    const walBytes = statSync(`${this.path}-wal`, { throwIfNoEntry: false })?.size ?? 0;
    if (walBytes <= this.#walBoundBytes) return;
    if (!this.#caughtUp) {
      this.#catchUp ??= checkpointer.checkpointNow().then(() => {
        this.#caughtUp = true;
        this.#catchUp = undefined;
      });
      return;
    }
    this.#caughtUp = false;
    for (let attempt = 0; attempt < WAL_SETTLE_ATTEMPTS && !this.#closed; attempt++) {
      const outcome = await checkpointer.checkpointNow();
      if (outcome === undefined || outcome.checkpointed >= outcome.log) return;
    }
  }

  backlog(): Record<UploadRecordKind, { count: number; oldestAt: number | null }> {
    this.#assertOpen();
    return this.#run('read the backlog', () => {
      const backlog = {
        decisions: { count: 0, oldestAt: null as number | null },
        disclosures: { count: 0, oldestAt: null as number | null },
      };
      for (const row of this.#backlog.all() as BacklogRow[]) {
        backlog[row.kind] = { count: row.pending, oldestAt: row.oldest_at };
      }
      return backlog;
    });
  }

  overdueDisclosures(now: number): DisclosureRecord[] {
    this.#assertOpen();
    const today = shanghaiDate(validateTime(now, 'now'));
    const bodies = this.#run('read overdue disclosures', () => this.#overdue.all(today) as string[]);
    return bodies.map((b) => JSON.parse(b) as DisclosureRecord);
  }

  purge(now: number, retention: RetentionPolicy): Record<RetentionRecordType, number> {
    this.#assertOpen();
    const cutoff = retentionCutoffs(now, retention);
    return this.#run('purge old records', () => this.#purge.immediate(cutoff));
  }

  counts(): Record<RetentionRecordType, number> {
    this.#assertOpen();
    return this.#run('count records', () => this.#counts.get() as Record<RetentionRecordType, number>);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    // The worker's connection first: this one, closed last, checkpoints and removes the log.
    this.#checkpointer?.close();
    this.#db.close();
  }
}
