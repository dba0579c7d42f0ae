import { performance } from 'node:perf_hooks';
import type BetterSqlite3 from 'better-sqlite3';
import { loadSqliteDriver } from '../credit/snapshot-store.js';
import { isXinyiError, XinyiError } from '../errors.js';
import type { GateDirection } from '../gate/gate.js';
import {
  COUNTER_GRACE_MS,
  countedCaps,
  dayEnd,
  emptyUsage,
  periodEnd,
  periodKey,
  scopeKey,
  validateKeyPart,
  validateQuery,
  validateTime,
  validateTtl,
} from './site-request.js';
import type {
  SiteCap,
  SiteCommitRequest,
  SiteCommitResult,
  SiteReserveRequest,
  SiteReserveResult,
  SiteState,
  SiteStoreInfo,
  SiteSubjectQuery,
  SiteUsage,
} from './site-state.js';

type Database = BetterSqlite3.Database;
type Statement = BetterSqlite3.Statement;

export interface SqliteSiteStateOptions {
  /** The shared database file (created when missing; its folder must exist). Every lane of the host opens the same file. */
  path: string;
  /**
   * How long a call waits for another lane's write lock before it fails with `SITE_STATE_UNAVAILABLE`.
   * better-sqlite3 is synchronous, so this bounds how long a call can hold up the lane: keep it under
   * the lane's per-call budget. @default 40
   */
  busyTimeoutMs?: number;
  /** Expired rows are deleted at most this often (of request time). @default 60000 */
  purgeIntervalMs?: number;
  /** For tests. @default 'better-sqlite3' */
  driverSpecifier?: string;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS site_uses (
    pseudonym TEXT NOT NULL, scope TEXT NOT NULL, rule_id TEXT NOT NULL, period TEXT NOT NULL,
    use_id TEXT NOT NULL, at INTEGER NOT NULL, expires_at INTEGER NOT NULL,
    PRIMARY KEY (pseudonym, scope, rule_id, period, use_id)
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS site_uses_expiry ON site_uses (expires_at);
  CREATE TABLE IF NOT EXISTS site_reservations (
    pseudonym TEXT NOT NULL, scope TEXT NOT NULL, rule_id TEXT NOT NULL, period TEXT NOT NULL,
    reservation_id TEXT NOT NULL, expires_at INTEGER NOT NULL,
    PRIMARY KEY (pseudonym, scope, rule_id, period, reservation_id)
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS site_reservations_expiry ON site_reservations (expires_at);
  CREATE INDEX IF NOT EXISTS site_reservations_id ON site_reservations (reservation_id);
  CREATE TABLE IF NOT EXISTS site_presentations (
    pseudonym TEXT NOT NULL, presentation_id TEXT NOT NULL, expires_at INTEGER NOT NULL,
    PRIMARY KEY (pseudonym, presentation_id)
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS site_presentations_expiry ON site_presentations (expires_at);
  CREATE TABLE IF NOT EXISTS site_presence (
    pseudonym TEXT PRIMARY KEY, direction TEXT NOT NULL, expires_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS site_presence_expiry ON site_presence (expires_at);
`;

function unavailable(cause: unknown, action: string): XinyiError {
  if (isXinyiError(cause)) return cause;
  const code = (cause as { code?: unknown } | null)?.code;
  const sqliteCode = typeof code === 'string' ? code : 'none';
  return new XinyiError(
    'SITE_STATE_UNAVAILABLE',
    `the SQLite site state could not ${action}${sqliteCode.startsWith('SQLITE_BUSY') ? ' (another lane held the lock past the busy timeout)' : ''}`,
    { cause, details: { sqliteCode } },
  );
}

/**
 * The site state of several lanes on one host, in one SQLite file they all open (WAL, a short busy
 * timeout). A reservation is one `BEGIN IMMEDIATE` transaction: it takes the write lock before it
 * counts, so two lanes reserving for the same holder at the same moment are serialised and the
 * second sees the first's reservation — no lost update. Expired rows are purged as lanes write.
 * Durability is `synchronous = NORMAL`: a power cut may lose the last counts, which every lane's own
 * journal still holds. Loads better-sqlite3 lazily (`NATIVE_MODULE_UNAVAILABLE`); rejects with
 * `SITE_STATE_UNAVAILABLE` when the file cannot be opened.
 */
export async function openSqliteSiteState(options: SqliteSiteStateOptions): Promise<SiteState> {
  if (options === null || typeof options !== 'object' || typeof options.path !== 'string' || !options.path) {
    throw new XinyiError('INVALID_OPTIONS', 'openSqliteSiteState: path must be a non-empty string');
  }
  const busyTimeoutMs = options.busyTimeoutMs ?? 40;
  if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0 || busyTimeoutMs > 60_000) {
    throw new XinyiError('INVALID_OPTIONS', 'openSqliteSiteState: busyTimeoutMs must be 0–60000');
  }
  const purgeIntervalMs = options.purgeIntervalMs ?? 60_000;
  if (!Number.isFinite(purgeIntervalMs) || purgeIntervalMs < 0) {
    throw new XinyiError('INVALID_OPTIONS', 'openSqliteSiteState: purgeIntervalMs must be non-negative');
  }
  const Driver = await loadSqliteDriver(options.driverSpecifier);
  let db: Database | undefined;
  try {
    // Opening and creating the schema may wait for another lane doing the same: allow it a second.
    db = new Driver(options.path, { timeout: Math.max(busyTimeoutMs, 1_000) });
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    const opened = db;
    opened.transaction(() => opened.exec(SCHEMA)).immediate();
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    return new SqliteSiteState(db, purgeIntervalMs);
  } catch (cause) {
    try {
      db?.close();
    } catch {
      // The open error is what matters.
    }
    throw unavailable(cause, `open ${options.path}`);
  }
}

class SqliteSiteState implements SiteState {
  readonly kind = 'sqlite';
  readonly #db: Database;
  readonly #purgeIntervalMs: number;
  #lastPurge = 0;
  #closed = false;
  readonly #countUsed: Statement;
  readonly #countPending: Statement;
  readonly #reserve: Statement;
  readonly #dropReservation: Statement;
  readonly #insertUse: Statement;
  readonly #seePresentation: Statement;
  readonly #insertPresentation: Statement;
  readonly #presence: Statement;
  readonly #setPresence: Statement;
  readonly #purge: Statement[];
  readonly #reserveTx: BetterSqlite3.Transaction<
    (r: SiteReserveRequest, counted: SiteCap[]) => SiteReserveResult
  >;
  readonly #commitTx: BetterSqlite3.Transaction<(r: SiteCommitRequest) => SiteCommitResult>;
  readonly #markTx: BetterSqlite3.Transaction<
    (pseudonym: string, id: string, now: number, ttlMs: number) => boolean
  >;

  constructor(db: Database, purgeIntervalMs: number) {
    this.#db = db;
    this.#purgeIntervalMs = purgeIntervalMs;
    const key = 'pseudonym = @pseudonym AND scope = @scope AND rule_id = @ruleId AND period = @period';
    this.#countUsed = db.prepare(`SELECT COUNT(*) FROM site_uses WHERE ${key}`).pluck();
    this.#countPending = db
      .prepare(
        `SELECT COUNT(*) FROM site_reservations WHERE ${key} AND expires_at > @now AND reservation_id != @except`,
      )
      .pluck();
    this.#reserve = db.prepare(
      `INSERT INTO site_reservations (pseudonym, scope, rule_id, period, reservation_id, expires_at)
       VALUES (@pseudonym, @scope, @ruleId, @period, @id, @expiresAt)
       ON CONFLICT (pseudonym, scope, rule_id, period, reservation_id) DO UPDATE SET expires_at = excluded.expires_at`,
    );
    this.#dropReservation = db.prepare(
      'DELETE FROM site_reservations WHERE reservation_id = @id AND pseudonym = @pseudonym',
    );
    this.#insertUse = db.prepare(
      `INSERT OR IGNORE INTO site_uses (pseudonym, scope, rule_id, period, use_id, at, expires_at)
       VALUES (@pseudonym, @scope, @ruleId, @period, @id, @at, @expiresAt)`,
    );
    this.#seePresentation = db
      .prepare(
        'SELECT expires_at FROM site_presentations WHERE pseudonym = ? AND presentation_id = ? AND expires_at > ?',
      )
      .pluck();
    this.#insertPresentation = db.prepare(
      `INSERT INTO site_presentations (pseudonym, presentation_id, expires_at) VALUES (?, ?, ?)
       ON CONFLICT (pseudonym, presentation_id) DO UPDATE SET expires_at = excluded.expires_at`,
    );
    this.#presence = db
      .prepare('SELECT direction FROM site_presence WHERE pseudonym = ? AND expires_at > ?')
      .pluck();
    this.#setPresence = db.prepare(
      `INSERT INTO site_presence (pseudonym, direction, expires_at) VALUES (?, ?, ?)
       ON CONFLICT (pseudonym) DO UPDATE SET direction = excluded.direction, expires_at = excluded.expires_at`,
    );
    this.#purge = ['site_uses', 'site_reservations', 'site_presentations', 'site_presence'].map((table) =>
      db.prepare(`DELETE FROM ${table} WHERE expires_at <= ?`),
    );

    this.#reserveTx = db.transaction((r: SiteReserveRequest, counted: SiteCap[]): SiteReserveResult => {
      const usage = this.#count({ ...r, caps: counted }, r.reservationId);
      const full = r.caps
        .filter((cap) => usage[cap.ruleId]!.used + usage[cap.ruleId]!.pending >= cap.limit)
        .map((cap) => cap.ruleId);
      if (full.length > 0) return { ok: false, full, usage };
      for (const cap of r.caps) {
        this.#reserve.run({ ...this.#keyOf(r, cap), id: r.reservationId, expiresAt: r.now + r.ttlMs });
      }
      this.#maybePurge(r.now);
      return { ok: true, usage };
    });
    this.#commitTx = db.transaction((r: SiteCommitRequest): SiteCommitResult => {
      this.#dropReservation.run({ id: r.reservationId, pseudonym: r.pseudonym });
      const counted: string[] = [];
      for (const cap of r.caps) {
        const inserted = this.#insertUse.run({
          ...this.#keyOf(r, cap),
          id: r.reservationId,
          at: r.now,
          expiresAt: periodEnd(cap.period, r.now) + COUNTER_GRACE_MS,
        });
        if (inserted.changes > 0) counted.push(cap.ruleId);
      }
      const usage = this.#count(r, '');
      const overLimit = counted.filter(
        (ruleId) => usage[ruleId]!.used > r.caps.find((c) => c.ruleId === ruleId)!.limit,
      );
      this.#maybePurge(r.now);
      return { counted, overLimit, usage };
    });
    this.#markTx = db.transaction((pseudonym: string, id: string, now: number, ttlMs: number) => {
      if (this.#seePresentation.get(pseudonym, id, now) !== undefined) return false;
      this.#insertPresentation.run(pseudonym, id, now + ttlMs);
      this.#maybePurge(now);
      return true;
    });
  }

  #keyOf(query: SiteSubjectQuery, cap: SiteCap) {
    return {
      pseudonym: query.pseudonym,
      scope: scopeKey(cap.scope, query.laneId),
      ruleId: cap.ruleId,
      period: periodKey(cap.period, query.now),
    };
  }

  #count(query: SiteSubjectQuery, except: string): SiteUsage {
    const usage = emptyUsage(query.caps);
    for (const cap of query.caps) {
      const key = this.#keyOf(query, cap);
      usage[cap.ruleId] = {
        used: this.#countUsed.get(key) as number,
        pending: this.#countPending.get({ ...key, now: query.now, except }) as number,
      };
    }
    return usage;
  }

  #maybePurge(now: number): void {
    if (now - this.#lastPurge < this.#purgeIntervalMs) return;
    this.#lastPurge = now;
    for (const purge of this.#purge) purge.run(now);
  }

  #run<T>(action: string, fn: () => T): T {
    if (this.#closed) throw new XinyiError('CLOSED', 'the SQLite site state is closed');
    try {
      return fn();
    } catch (cause) {
      throw unavailable(cause, action);
    }
  }

  async usage(query: SiteSubjectQuery): Promise<SiteUsage> {
    validateQuery(query);
    return this.#run('read usage', () => this.#count(query, ''));
  }

  async reserve(request: SiteReserveRequest): Promise<SiteReserveResult> {
    validateQuery(request);
    validateKeyPart(request.reservationId, 'reservationId');
    validateTtl(request.ttlMs, 'ttlMs');
    const counted = countedCaps(request);
    // IMMEDIATE: the write lock is taken before counting, so no other lane counts in between.
    return this.#run('reserve', () => this.#reserveTx.immediate(request, counted));
  }

  async commit(request: SiteCommitRequest): Promise<SiteCommitResult> {
    validateQuery(request);
    validateKeyPart(request.reservationId, 'reservationId');
    return this.#run('commit a use', () => this.#commitTx.immediate(request));
  }

  async release(request: SiteSubjectQuery & { reservationId: string }): Promise<void> {
    validateQuery(request);
    validateKeyPart(request.reservationId, 'reservationId');
    this.#run('release a reservation', () =>
      this.#dropReservation.run({ id: request.reservationId, pseudonym: request.pseudonym }),
    );
  }

  async markPresentation(request: {
    pseudonym: string;
    presentationId: string;
    now: number;
    ttlMs: number;
  }): Promise<boolean> {
    validateKeyPart(request.pseudonym, 'pseudonym');
    validateKeyPart(request.presentationId, 'presentationId');
    validateTime(request.now, 'now');
    validateTtl(request.ttlMs, 'ttlMs');
    return this.#run('record a presentation', () =>
      this.#markTx.immediate(request.pseudonym, request.presentationId, request.now, request.ttlMs),
    );
  }

  async presence(pseudonym: string, now: number): Promise<GateDirection | undefined> {
    validateKeyPart(pseudonym, 'pseudonym');
    validateTime(now, 'now');
    return this.#run(
      'read a presence',
      () => this.#presence.get(pseudonym, now) as GateDirection | undefined,
    );
  }

  async recordPassage(pseudonym: string, direction: GateDirection, now: number): Promise<void> {
    validateKeyPart(pseudonym, 'pseudonym');
    validateTime(now, 'now');
    if (direction !== 'entry' && direction !== 'exit') {
      throw new XinyiError('INVALID_ARGUMENT', "site state: direction must be 'entry' or 'exit'", {
        details: { field: 'direction' },
      });
    }
    this.#run('record a passage', () => this.#setPresence.run(pseudonym, direction, dayEnd(now)));
  }

  async ping(): Promise<SiteStoreInfo> {
    const started = performance.now();
    // Every decision of a lane writes (its reservation): the ping takes the write lock and lets it go,
    // so that a file another process keeps locked (a backup, a long transaction) is not taken as up.
    const version = this.#run('answer a ping', () =>
      this.#db
        .transaction(() => this.#db.prepare('SELECT sqlite_version()').pluck().get() as string)
        .immediate(),
    );
    return { kind: 'sqlite', version, latencyMs: performance.now() - started };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }
}
