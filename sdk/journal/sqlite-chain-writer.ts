// The hash chain's writer for the SQLite journal: reads and advances each chain's head in
// `journal_chain`, inside the caller's transaction (docs/journal.md §12). The journal store links
// every record it commits through it; the version-3 migration chains the records that were there.
import type BetterSqlite3 from 'better-sqlite3';
import {
  type ChainKey,
  type ChainKind,
  type ChainLink,
  canonicalJson,
  nextChainLink,
} from './journal-chain.js';

type Database = BetterSqlite3.Database;
type Statement = BetterSqlite3.Statement;

/** The benefit uses form one chain per journal, under this terminal id (uses are not uploaded). */
export const USES_CHAIN_TERMINAL = '';

export interface UseRow {
  decision_id: string;
  rule_id: string;
  pseudonym: string;
  scene: string;
  at: number;
}

/** The record a use's link covers. */
export function useCanonicalJson(use: UseRow): string {
  return canonicalJson({
    decisionId: use.decision_id,
    ruleId: use.rule_id,
    pseudonym: use.pseudonym,
    scene: use.scene,
    at: use.at,
  });
}

/** Reads and advances chain heads in `journal_chain`, inside the caller's transaction. */
export class ChainWriter {
  readonly #key: ChainKey | undefined;
  readonly #head: Statement;
  readonly #setHead: Statement;
  readonly #dataVersion: Statement;
  /**
   * Heads as this connection last wrote them: read from the table only when another connection has
   * committed since (`PRAGMA data_version` moved) or after a failed transaction (`invalidate`).
   */
  readonly #cache = new Map<string, { seq: number; hash: string } | undefined>();
  #version: unknown;

  constructor(db: Database, key: ChainKey | undefined) {
    this.#key = key;
    this.#dataVersion = db.prepare('PRAGMA data_version').pluck();
    this.#head = db.prepare('SELECT seq, hash FROM journal_chain WHERE kind = ? AND terminal_id = ?');
    this.#setHead = db.prepare(
      `INSERT INTO journal_chain (kind, terminal_id, seq, hash) VALUES (?, ?, ?, ?)
       ON CONFLICT (kind, terminal_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash`,
    );
  }

  next(terminalId: string, kind: ChainKind, recordCanonicalJson: string): ChainLink {
    const link = this.peek(terminalId, kind, recordCanonicalJson);
    this.advance(terminalId, kind, link);
    return link;
  }

  /** The next link, without moving the head (the caller moves it once its record is in). */
  peek(terminalId: string, kind: ChainKind, recordCanonicalJson: string): ChainLink {
    const version = this.#dataVersion.get();
    if (version !== this.#version) {
      this.#cache.clear();
      this.#version = version;
    }
    const key = `${kind}\n${terminalId}`;
    let head = this.#cache.get(key);
    if (head === undefined && !this.#cache.has(key)) {
      head = this.#head.get(kind, terminalId) as { seq: number; hash: string } | undefined;
      this.#cache.set(key, head);
    }
    return nextChainLink(this.#key, terminalId, kind, head, recordCanonicalJson);
  }

  advance(terminalId: string, kind: ChainKind, link: ChainLink): void {
    this.#setHead.run(kind, terminalId, link.seq, link.hash);
    this.#cache.set(`${kind}\n${terminalId}`, { seq: link.seq, hash: link.hash });
  }

  /** Forgets the cached heads: the transaction that moved them was rolled back. */
  invalidate(): void {
    this.#cache.clear();
  }
}
