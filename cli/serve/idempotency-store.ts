import { createHash } from 'node:crypto';
import type BetterSqlite3 from 'better-sqlite3';
import { loadSqliteDriver } from '../../sdk/credit/snapshot-store.js';
import { XinyiError } from '../../sdk/errors.js';

/**
 * `xinyi serve`'s idempotency keys, in their own SQLite file beside the journal (the journal's hash
 * chain is not touched): a retried POST gets the answer the first one got, after a restart too. A key
 * is first written `pending` with the decision id the service reserved for it, before the decision is
 * made, so a retry after a crash in between finds the decision in the journal instead of making a
 * second one.
 */

/** What a key answered, or what it was reserved for. */
export type IdempotencyEntry =
  | { state: 'pending'; requestHash: string; decisionId: string | null }
  | { state: 'done'; requestHash: string; status: number; body: string };

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

export interface IdempotencyStore {
  get(key: string, nowMs: number): IdempotencyEntry | undefined;
  /** Writes the key `pending` (reserving `decisionId` for it); false when the key is there already. */
  begin(key: string, hash: string, decisionId: string | null, nowMs: number): boolean;
  /** Writes the answer the key gets from now on. */
  finish(key: string, status: number, body: string): void;
  /** Forgets a pending key whose request ended before anything was done (refused while stopping). */
  abandon(key: string): void;
  close(): void;
}

export async function openIdempotencyStore(options: {
  path: string;
  ttlMs: number;
}): Promise<IdempotencyStore> {
  const Driver = await loadSqliteDriver();
  let db: BetterSqlite3.Database;
  try {
    db = new Driver(options.path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec(`CREATE TABLE IF NOT EXISTS idempotency (
      key TEXT PRIMARY KEY,
      request_hash TEXT NOT NULL,
      decision_id TEXT,
      status INTEGER,
      body TEXT,
      created_at INTEGER NOT NULL
    ) STRICT`);
  } catch (cause) {
    throw new XinyiError('JOURNAL_UNAVAILABLE', 'cannot open the idempotency-key store', {
      cause,
      details: { file: 'idempotency.sqlite' },
    });
  }
  const select = db.prepare<
    [string],
    {
      request_hash: string;
      decision_id: string | null;
      status: number | null;
      body: string | null;
      created_at: number;
    }
  >('SELECT request_hash, decision_id, status, body, created_at FROM idempotency WHERE key = ?');
  const insert = db.prepare(
    'INSERT OR IGNORE INTO idempotency (key, request_hash, decision_id, created_at) VALUES (?, ?, ?, ?)',
  );
  const update = db.prepare('UPDATE idempotency SET status = ?, body = ? WHERE key = ?');
  const remove = db.prepare('DELETE FROM idempotency WHERE key = ?');
  const removeExpired = db.prepare('DELETE FROM idempotency WHERE key = ? AND created_at < ?');
  const expire = db.prepare('DELETE FROM idempotency WHERE created_at < ?');
  let lastExpiryMs = 0;
  return {
    get(key, nowMs) {
      if (nowMs - lastExpiryMs > 60_000) {
        expire.run(nowMs - options.ttlMs);
        lastExpiryMs = nowMs;
      }
      const row = select.get(key);
      if (row === undefined || row.created_at < nowMs - options.ttlMs) return undefined;
      return row.status === null || row.body === null
        ? { state: 'pending', requestHash: row.request_hash, decisionId: row.decision_id }
        : { state: 'done', requestHash: row.request_hash, status: row.status, body: row.body };
    },
    begin(key, hash, decisionId, nowMs) {
      // An expired row of the same key is replaced.
      removeExpired.run(key, nowMs - options.ttlMs);
      return insert.run(key, hash, decisionId, nowMs).changes === 1;
    },
    finish(key, status, body) {
      update.run(status, body, key);
    },
    abandon(key) {
      remove.run(key);
    },
    close() {
      db.close();
    },
  };
}
