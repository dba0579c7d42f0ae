import type BetterSqlite3 from 'better-sqlite3';
import { type Clock, systemClock } from '../clock.js';
import { LIST_KINDS, type ListKind, type ListMembership, type SubjectType } from '../domain/standing.js';
import type { TierCode } from '../domain/tiers.js';
import { isXinyiError, XinyiError } from '../errors.js';
import {
  assertSnapshotVerified,
  decodeListSlots,
  SNAPSHOT_FORMAT_VERSION,
  SNAPSHOT_PSEUDONYM_BYTES,
  SNAPSHOT_RECORD_BYTES,
  type SnapshotHeader,
  type SnapshotKind,
  type SnapshotPublicKey,
  subjectFromByte,
} from './snapshot-format.js';

type DatabaseConstructor = typeof BetterSqlite3;
type Database = BetterSqlite3.Database;
type Statement = BetterSqlite3.Statement;

let pendingDriver: Promise<DatabaseConstructor> | undefined;

/**
 * Loads better-sqlite3 on first use, so that importing the SDK never loads the native module.
 * Rejects with `NATIVE_MODULE_UNAVAILABLE` (original error in `cause`) when it is missing or its
 * binding fails. `specifier` exists for tests.
 */
export function loadSqliteDriver(specifier = 'better-sqlite3'): Promise<DatabaseConstructor> {
  if (specifier === 'better-sqlite3' && pendingDriver) return pendingDriver;
  const pending = import(specifier).then(
    (mod: { default?: unknown }) => {
      const ctor = (mod.default ?? mod) as DatabaseConstructor;
      if (typeof ctor !== 'function') throw new Error(`${specifier} exports no Database constructor`);
      return ctor;
    },
    (cause: unknown) => {
      throw new XinyiError(
        'NATIVE_MODULE_UNAVAILABLE',
        `optional module ${specifier} could not be loaded: install it with \`npm install better-sqlite3\` (it needs a C++ toolchain when no prebuilt binary fits)`,
        { cause, details: { module: specifier } },
      );
    },
  );
  if (specifier === 'better-sqlite3') {
    pendingDriver = pending;
    pending.catch(() => {
      pendingDriver = undefined;
    });
  }
  return pending;
}

export interface SnapshotStoreOptions {
  /** Database file; created when missing (its directory must exist). */
  path: string;
  /** Records between two `onProgress` calls while applying. @default 50_000 */
  progressEvery?: number;
  /** How long to wait for another connection's lock, in ms. @default 5000 */
  busyTimeoutMs?: number;
  /** Source of the `appliedAt` time. @default systemClock */
  clock?: Clock;
  /** @internal The module to load instead of better-sqlite3 (tests). */
  driverSpecifier?: string;
}

export interface SnapshotApplyProgress {
  /** 'verified': signature checked, nothing written yet; 'applying': inside the transaction; 'committed'. */
  phase: 'verified' | 'applying' | 'committed';
  kind: SnapshotKind;
  sequence: number;
  /** Deletions plus upserts written so far. */
  done: number;
  total: number;
}

export interface SnapshotApplyOptions {
  /** Trusted Ed25519 keys; the snapshot must verify under one of them. */
  publicKeys: SnapshotPublicKey | readonly SnapshotPublicKey[];
  /**
   * Called synchronously while applying. Throwing from it aborts the apply: the transaction is rolled
   * back and the previous snapshot stays.
   */
  onProgress?: (progress: SnapshotApplyProgress) => void;
  /** Overrides the store's `progressEvery` for this apply. */
  progressEvery?: number;
}

export interface SnapshotApplyResult {
  kind: SnapshotKind;
  sequence: number;
  /** Subjects in the store after the apply. */
  count: number;
  upserted: number;
  deleted: number;
}

export interface SnapshotInfo {
  /** Hex of the applied snapshot's (or last delta's) 16-byte id. */
  snapshotId: string;
  sequence: number;
  /** ISO time the platform generated the applied data: the asOf of every standing. */
  generatedAt: string;
  count: number;
  tierSchemeId: string;
  /** ISO time this store applied it. */
  appliedAt: string;
}

export interface SnapshotLookupResult {
  tier: TierCode | null;
  lists: ListMembership[];
  subjectType: SubjectType;
  /** The snapshot's generatedAt (ISO). */
  asOf: string;
}

export interface SnapshotStore {
  readonly path: string;
  /**
   * Verifies `bytes` (signature first, nothing is written for a refused snapshot), then applies it in
   * one SQLite transaction: a full snapshot replaces every subject, a delta must be based on the
   * applied sequence. A crash or a throw mid-apply leaves the previous snapshot whole.
   * Throws `SNAPSHOT_SIGNATURE_INVALID`, `SNAPSHOT_INVALID` (`details.reason`),
   * `SNAPSHOT_SEQUENCE_MISMATCH`, `STORE_UNAVAILABLE` or `CLOSED`.
   */
  apply(bytes: Uint8Array, options: SnapshotApplyOptions): SnapshotApplyResult;
  /** The subject's standing in the applied snapshot, or null when unknown (or not a pseudonym). */
  lookup(pseudonym: string): SnapshotLookupResult | null;
  /** What is applied; null before the first snapshot. */
  info(): SnapshotInfo | null;
  close(): void;
}

const SCHEMA_VERSION = 1;
const LIST_KIND_NAMES: ReadonlySet<string> = new Set(LIST_KINDS);

/**
 * Opens (or creates) the offline snapshot database: SQLite in WAL mode with `synchronous = FULL`.
 * Loads better-sqlite3 lazily (`NATIVE_MODULE_UNAVAILABLE` when it cannot); throws `STORE_UNAVAILABLE`
 * when the file cannot be opened or is not a snapshot store, `INVALID_OPTIONS` for bad options.
 */
export async function openSnapshotStore(options: SnapshotStoreOptions): Promise<SnapshotStore> {
  if (options === null || typeof options !== 'object') {
    throw new XinyiError('INVALID_OPTIONS', 'options must be an object');
  }
  if (typeof options.path !== 'string' || options.path.length === 0) {
    throw new XinyiError('INVALID_OPTIONS', 'path must be a non-empty string');
  }
  const progressEvery = options.progressEvery ?? 50_000;
  if (!Number.isInteger(progressEvery) || progressEvery < 1) {
    throw new XinyiError('INVALID_OPTIONS', 'progressEvery must be a positive integer');
  }
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw new XinyiError('INVALID_OPTIONS', 'busyTimeoutMs must be a non-negative integer');
  }
  const Driver = await loadSqliteDriver(options.driverSpecifier);
  let db: Database | undefined;
  try {
    db = new Driver(options.path, { timeout: busyTimeoutMs });
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('cache_size = -8192');
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version !== 0 && version !== SCHEMA_VERSION) {
      throw new XinyiError('STORE_UNAVAILABLE', `snapshot database schema ${version} is not supported`);
    }
    db.exec(`
      CREATE TABLE IF NOT EXISTS snapshot_meta (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        snapshot_id TEXT NOT NULL,
        sequence INTEGER NOT NULL,
        generated_at INTEGER NOT NULL,
        subject_count INTEGER NOT NULL,
        tier_scheme TEXT NOT NULL,
        applied_at INTEGER NOT NULL
      );
      CREATE TABLE IF NOT EXISTS subjects (
        pseudonym BLOB PRIMARY KEY,
        tier INTEGER NOT NULL,
        lists TEXT
      ) WITHOUT ROWID;
      PRAGMA user_version = ${SCHEMA_VERSION};
    `);
    return new SqliteSnapshotStore(options.path, db, progressEvery, options.clock ?? systemClock);
  } catch (cause) {
    db?.close();
    if (isXinyiError(cause)) throw cause;
    throw new XinyiError('STORE_UNAVAILABLE', 'the snapshot database could not be opened', { cause });
  }
}

interface MetaRow {
  snapshot_id: string;
  sequence: number;
  generated_at: number;
  subject_count: number;
  tier_scheme: string;
  applied_at: number;
}

class SqliteSnapshotStore implements SnapshotStore {
  readonly path: string;
  readonly #db: Database;
  readonly #progressEvery: number;
  readonly #lookup: Statement;
  readonly #meta: Statement;
  readonly #dataVersion: Statement;
  readonly #insert: Statement;
  readonly #update: Statement;
  readonly #delete: Statement;
  readonly #writeMeta: Statement;
  #seenDataVersion = -1;
  #closed = false;
  #info: SnapshotInfo | null = null;
  readonly #listCache = new Map<string, ListMembership[]>();
  /** The last generatedAt turned into its ISO text, so a lookup does not format a Date each time. */
  #asOfMs = Number.NaN;
  #asOf = '';

  readonly #clock: Clock;

  constructor(path: string, db: Database, progressEvery: number, clock: Clock) {
    this.path = path;
    this.#clock = clock;
    this.#db = db;
    this.#progressEvery = progressEvery;
    // The snapshot's generatedAt is read with the subject, in the same statement and so from the same
    // committed state: a lookup needs no check for a snapshot replaced by another connection (such as
    // `xinyi snapshot apply` in its own process), and can never pair a new snapshot's row with the
    // previous snapshot's time. Only `info()` and `apply()` look for changes (PRAGMA data_version).
    this.#lookup = db
      .prepare(
        `SELECT s.tier, s.lists, m.generated_at FROM subjects AS s, snapshot_meta AS m
         WHERE s.pseudonym = ? AND m.id = 1`,
      )
      .raw(true);
    this.#meta = db.prepare('SELECT * FROM snapshot_meta WHERE id = 1');
    this.#dataVersion = db.prepare('PRAGMA data_version').pluck();
    this.#insert = db.prepare('INSERT INTO subjects (pseudonym, tier, lists) VALUES (?, ?, ?)');
    this.#update = db.prepare('UPDATE subjects SET tier = ?, lists = ? WHERE pseudonym = ?');
    this.#delete = db.prepare('DELETE FROM subjects WHERE pseudonym = ?');
    this.#writeMeta = db.prepare(
      `INSERT INTO snapshot_meta (id, snapshot_id, sequence, generated_at, subject_count, tier_scheme, applied_at)
       VALUES (1, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET snapshot_id = excluded.snapshot_id, sequence = excluded.sequence,
         generated_at = excluded.generated_at, subject_count = excluded.subject_count,
         tier_scheme = excluded.tier_scheme, applied_at = excluded.applied_at`,
    );
    this.#syncInfo();
  }

  #checkSequence(header: SnapshotHeader): void {
    const current = this.#info;
    if (header.kind === 'delta') {
      if (current === null || header.baseSequence !== current.sequence) {
        throw new XinyiError(
          'SNAPSHOT_SEQUENCE_MISMATCH',
          `delta is based on sequence ${header.baseSequence}, the store holds ${current?.sequence ?? 'no snapshot'}`,
          { details: { baseSequence: header.baseSequence, current: current?.sequence ?? 0 } },
        );
      }
    } else if (current !== null && header.sequence <= current.sequence) {
      throw new XinyiError(
        'SNAPSHOT_SEQUENCE_MISMATCH',
        `snapshot sequence ${header.sequence} is not newer than the applied ${current.sequence}`,
        { details: { sequence: header.sequence, current: current.sequence } },
      );
    }
  }

  /** Re-reads the metadata when another connection has committed since (PRAGMA data_version). */
  #syncInfo(): void {
    const version = this.#dataVersion.get() as number;
    if (version !== this.#seenDataVersion) {
      this.#seenDataVersion = version;
      this.#refreshInfo();
    }
  }

  #refreshInfo(): void {
    const row = this.#meta.get() as MetaRow | undefined;
    this.#info = row
      ? {
          snapshotId: row.snapshot_id,
          sequence: row.sequence,
          generatedAt: new Date(row.generated_at).toISOString(),
          count: row.subject_count,
          tierSchemeId: row.tier_scheme,
          appliedAt: new Date(row.applied_at).toISOString(),
        }
      : null;
  }

  #assertOpen(): void {
    if (this.#closed) throw new XinyiError('CLOSED', 'the snapshot store is closed');
  }

  info(): SnapshotInfo | null {
    this.#assertOpen();
    this.#syncInfo();
    return this.#info === null ? null : { ...this.#info };
  }

  lookup(pseudonym: string): SnapshotLookupResult | null {
    this.#assertOpen();
    if (typeof pseudonym !== 'string' || pseudonym.length !== 22) return null;
    const key = Buffer.from(pseudonym, 'base64url');
    if (key.length !== SNAPSHOT_PSEUDONYM_BYTES) return null;
    let row: [number, string | null, number] | undefined;
    try {
      row = this.#lookup.get(key) as [number, string | null, number] | undefined;
    } catch (cause) {
      throw new XinyiError('STORE_UNAVAILABLE', 'the snapshot database could not be read', { cause });
    }
    if (row === undefined) return null;
    // Stored bytes were checked against their snapshot's version when applied.
    const subject = subjectFromByte(row[0], SNAPSHOT_FORMAT_VERSION);
    return {
      tier: subject?.tier ?? null,
      lists: this.#lists(row[1]),
      subjectType: subject?.subjectType ?? 'person',
      asOf: this.#isoOf(row[2]),
    };
  }

  #isoOf(ms: number): string {
    if (ms !== this.#asOfMs) {
      this.#asOf = new Date(ms).toISOString();
      this.#asOfMs = ms;
    }
    return this.#asOf;
  }

  #lists(text: string | null): ListMembership[] {
    if (text === null) return [];
    let parsed = this.#listCache.get(text);
    if (parsed === undefined) {
      parsed = [];
      for (const part of text.split(',')) {
        const colon = part.indexOf(':');
        const kind = colon < 0 ? part : part.slice(0, colon);
        if (!LIST_KIND_NAMES.has(kind)) continue;
        parsed.push(
          colon < 0 ? { kind: kind as ListKind } : { kind: kind as ListKind, domain: part.slice(colon + 1) },
        );
      }
      if (this.#listCache.size < 4096) this.#listCache.set(text, parsed);
    }
    return parsed.map((l) => ({ ...l }));
  }

  apply(bytes: Uint8Array, options: SnapshotApplyOptions): SnapshotApplyResult {
    this.#assertOpen();
    if (options === null || typeof options !== 'object') {
      throw new XinyiError('INVALID_OPTIONS', 'apply options must be an object');
    }
    const every = options.progressEvery ?? this.#progressEvery;
    if (!Number.isInteger(every) || every < 1) {
      throw new XinyiError('INVALID_OPTIONS', 'progressEvery must be a positive integer');
    }
    const header = assertSnapshotVerified(bytes, options.publicKeys);
    this.#syncInfo();
    this.#checkSequence(header);
    const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const total = header.recordCount + header.deletionCount;
    const report = (phase: SnapshotApplyProgress['phase'], done: number): void =>
      options.onProgress?.({ phase, kind: header.kind, sequence: header.sequence, done, total });
    report('verified', 0);

    let result: SnapshotApplyResult;
    try {
      const run = this.#db.transaction(() => this.#write(b, header, every, report));
      // IMMEDIATE: take the write lock up front, so another writer cannot slip in between read and write.
      result = run.immediate();
    } catch (error) {
      if (isXinyiError(error)) throw error;
      if (error instanceof Error && !('code' in error)) throw error;
      throw new XinyiError('STORE_UNAVAILABLE', 'the snapshot could not be written to the database', {
        cause: error,
      });
    }
    this.#refreshInfo();
    if (header.kind === 'full') {
      try {
        // Fold the big WAL back into the database now rather than at some later lookup.
        this.#db.pragma('wal_checkpoint(TRUNCATE)');
      } catch {
        // A reader holding the WAL only postpones the checkpoint.
      }
    }
    report('committed', total);
    return result;
  }

  #write(
    b: Buffer,
    header: SnapshotHeader,
    every: number,
    report: (phase: SnapshotApplyProgress['phase'], done: number) => void,
  ): SnapshotApplyResult {
    const db = this.#db;
    let count: number;
    let deleted = 0;
    let done = 0;
    const tick = (): void => {
      done++;
      if (done % every === 0) report('applying', done);
    };
    // Under the write lock now: another connection may have applied something since the check above.
    this.#syncInfo();
    this.#checkSequence(header);
    report('applying', 0);
    const insert = this.#insert;
    let upsert: Statement | undefined;
    if (header.kind === 'full') {
      db.exec('DELETE FROM subjects');
      count = header.recordCount;
    } else {
      count = this.#info?.count ?? 0;
      const del = this.#delete;
      upsert = this.#update;
      for (let i = 0; i < header.deletionCount; i++) {
        const o = header.deletionsOffset + i * SNAPSHOT_PSEUDONYM_BYTES;
        if (i > 0 && b.compare(b, o, o + SNAPSHOT_PSEUDONYM_BYTES, o - SNAPSHOT_PSEUDONYM_BYTES, o) >= 0) {
          throw invalid('deletions are not in strictly ascending pseudonym order');
        }
        deleted += del.run(b.subarray(o, o + SNAPSHOT_PSEUDONYM_BYTES)).changes;
        tick();
      }
      count -= deleted;
    }
    const domains = header.domains;
    for (let i = 0; i < header.recordCount; i++) {
      const o = header.recordsOffset + i * SNAPSHOT_RECORD_BYTES;
      if (i > 0 && b.compare(b, o, o + 16, o - SNAPSHOT_RECORD_BYTES, o - SNAPSHOT_RECORD_BYTES + 16) >= 0) {
        throw invalid('records are not in strictly ascending pseudonym order');
      }
      const tierByte = b[o + 16]!;
      if (subjectFromByte(tierByte, header.formatVersion) === undefined) {
        throw invalid(`record ${i} has an unknown subject byte`);
      }
      let lists: string | null = null;
      if (b[o + 17] !== 0) {
        const decoded = decodeListSlots(b, o, domains);
        if (decoded === undefined) throw invalid(`record ${i} has a malformed list slot`);
        lists = decoded.map((l) => (l.domain === undefined ? l.kind : `${l.kind}:${l.domain}`)).join(',');
      }
      const key = b.subarray(o, o + SNAPSHOT_PSEUDONYM_BYTES);
      if (upsert === undefined || upsert.run(tierByte, lists, key).changes === 0) {
        insert.run(key, tierByte, lists);
        if (upsert !== undefined) count++;
      }
      tick();
    }
    this.#writeMeta.run(
      header.snapshotId,
      header.sequence,
      header.generatedAt,
      count,
      header.tierSchemeId,
      this.#clock.now(),
    );
    if (done % every !== 0) report('applying', done);
    return { kind: header.kind, sequence: header.sequence, count, upserted: header.recordCount, deleted };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }
}

function invalid(message: string): XinyiError {
  return new XinyiError('SNAPSHOT_INVALID', message, { details: { reason: 'wrong-format' } });
}
