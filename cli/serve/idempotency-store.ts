import { createHash } from 'node:crypto';
import type BetterSqlite3 from 'better-sqlite3';
import { loadSqliteDriver } from '../../sdk/credit/snapshot-store.js';
import { XinyiError } from '../../sdk/errors.js';
import { startWalCheckpointer } from '../../sdk/journal/wal-checkpointer.js';
import type { Logger } from '../../sdk/logger.js';

/**
 * `xinyi serve`'s idempotency keys, in their own SQLite file beside the journal (the journal's hash
 * chain is not touched): a retried POST gets the answer the first one got, after a restart too.
 *
 * A `present` needs no write before it decides: its decision id is derived from the terminal, the key
 * and the request (`decisionIdFor`), so a retry after a crash — or after a power loss that took the
 * key's row — finds the decision in the journal (written with `synchronous = FULL`) instead of making
 * a second one. The stored answers are then a cache, written without waiting for the disk; only an
 * override's, which nothing else could rebuild, waits for it.
 *
 * Its WAL checkpoints run off the event loop, as the journal's do (sdk/journal/wal-checkpointer.ts):
 * left to SQLite, every few hundred answers one `put` would copy the log into the file and fsync it
 * inside a request, tens of milliseconds on a busy disk.
 */

/** What a key answered, and for which request. */
export interface IdempotencyEntry {
  requestHash: string;
  status: number;
  body: string;
}

/** Idempotency-Key values: what a UUID or a till's own transaction number looks like, nothing longer. */
const KEY_PATTERN = /^[A-Za-z0-9_.:-]{8,128}$/;

export function checkIdempotencyKey(header: string | string[] | undefined): string {
  if (header === undefined) {
    throw new XinyiError('IDEMPOTENCY_KEY_INVALID', 'every POST needs an Idempotency-Key header', {
      details: { problem: 'missing', header: 'idempotency-key' },
    });
  }
  const key = Array.isArray(header) ? header[0]! : header;
  if (!KEY_PATTERN.test(key)) {
    throw new XinyiError(
      'IDEMPOTENCY_KEY_INVALID',
      'Idempotency-Key: 8 to 128 characters of letters, digits and _ . : - (a UUID fits)',
      { details: { problem: 'malformed', header: 'idempotency-key' } },
    );
  }
  return key;
}

/** The request a key stands for: method, path and body, hashed (the body may hold an ID number). */
export function requestHash(method: string, path: string, body: string): string {
  return createHash('sha256').update(`${method} ${path}\n${body}`).digest('base64url');
}

/**
 * The decision id of a `present` with this key and request at this terminal, in UUID form: the same
 * retry gives the same id, another terminal or request another one.
 */
export function decisionIdFor(terminalId: string, key: string, hash: string): string {
  const hex = createHash('sha256')
    .update(`xinyi-serve-decision\n${terminalId}\n${key}\n${hash}`)
    .digest('hex');
  // Version 8 (custom), RFC 9562 variant bits.
  const variant = ((Number.parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export interface IdempotencyStore {
  get(key: string, nowMs: number): IdempotencyEntry | undefined;
  /** Keeps the answer a key gets from now on; `durable` waits for the disk. */
  put(key: string, entry: IdempotencyEntry, nowMs: number, durable: boolean): void;
  close(): void;
}

/** After a checkpoint the log file is cut back to this size instead of keeping its high-water mark. */
const WAL_SIZE_LIMIT_BYTES = 4 * 1_048_576;

export async function openIdempotencyStore(options: {
  path: string;
  ttlMs: number;
  logger: Logger;
  /** How often the log is copied into the file, off the event loop. @default 1000 */
  checkpointIntervalMs?: number;
}): Promise<IdempotencyStore> {
  const Driver = await loadSqliteDriver();
  let db: BetterSqlite3.Database;
  try {
    db = new Driver(options.path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(`CREATE TABLE IF NOT EXISTS answers (
      key TEXT PRIMARY KEY,
      request_hash TEXT NOT NULL,
      status INTEGER NOT NULL,
      body TEXT NOT NULL,
      created_at INTEGER NOT NULL
    ) STRICT`);
    // Expiry deletes by age: without the index, a scan of every answer kept (a day's, by default).
    db.exec('CREATE INDEX IF NOT EXISTS answers_created_at ON answers (created_at)');
  } catch (cause) {
    throw new XinyiError('JOURNAL_UNAVAILABLE', 'cannot open the idempotency-key store', {
      cause,
      details: { file: 'idempotency.sqlite' },
    });
  }
  const opened = db;
  const checkpointer = await startWalCheckpointer({
    path: options.path,
    intervalMs: options.checkpointIntervalMs ?? 1_000,
    busyTimeoutMs: 5_000,
    logger: options.logger,
    // The worker could not start or stopped: SQLite checkpoints inside the commits again.
    onFailure: () => {
      if (opened.open) opened.pragma('wal_autocheckpoint = 1000');
    },
  });
  if (checkpointer !== undefined) {
    db.pragma('wal_autocheckpoint = 0');
    db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
  }
  const select = db.prepare<
    [string],
    { request_hash: string; status: number; body: string; created_at: number }
  >('SELECT request_hash, status, body, created_at FROM answers WHERE key = ?');
  const upsert = db.prepare(
    'INSERT OR REPLACE INTO answers (key, request_hash, status, body, created_at) VALUES (?, ?, ?, ?, ?)',
  );
  const expire = db.prepare('DELETE FROM answers WHERE created_at < ?');
  let lastExpiryMs = 0;
  return {
    get(key, nowMs) {
      if (nowMs - lastExpiryMs > 60_000) {
        expire.run(nowMs - options.ttlMs);
        lastExpiryMs = nowMs;
      }
      const row = select.get(key);
      if (row === undefined || row.created_at < nowMs - options.ttlMs) return undefined;
      return { requestHash: row.request_hash, status: row.status, body: row.body };
    },
    put(key, entry, nowMs, durable) {
      if (durable) db.pragma('synchronous = FULL');
      try {
        upsert.run(key, entry.requestHash, entry.status, entry.body, nowMs);
      } finally {
        if (durable) db.pragma('synchronous = NORMAL');
      }
    },
    close() {
      // The worker's connection first, so that the last one to close removes the log.
      checkpointer?.close();
      db.close();
    },
  };
}
