import type BetterSqlite3 from 'better-sqlite3';
import { loadSqliteDriver } from '../credit/snapshot-store.js';
import { XinyiError } from '../errors.js';
import { ChainChecker, type ChainKind, type ChainProblem, canonicalJson } from './journal-chain.js';
import { USES_CHAIN_TERMINAL, useCanonicalJson } from './sqlite-chain-writer.js';
import { SQLITE_JOURNAL_SCHEMA_VERSION } from './sqlite-journal-schema.js';

export interface JournalVerifyOptions {
  /** The journal file (opened read-only; a running daemon may keep writing). */
  path: string;
  /** The secret of a chain key id, to check the heads' signatures; without it signatures are not checked. */
  secretFor?: (keyId: string) => string | Uint8Array | undefined;
  /** @internal The module to load instead of better-sqlite3 (tests). */
  driverSpecifier?: string;
}

export interface JournalVerifyReport {
  /** True when no problem was found. */
  ok: boolean;
  /** Records checked per kind. */
  checked: Record<ChainKind, number>;
  /** Records that carry no link (written with the chain off): they cannot be vouched for. */
  unchained: Record<ChainKind, number>;
  /** Whether signatures were checked (a secret was given and the heads are signed). */
  signaturesChecked: boolean;
  problems: ChainProblem[];
}

interface LinkRow {
  terminal_id: string;
  id: string;
  chain_seq: number | null;
  chain_prev: string | null;
  chain_hash: string | null;
  chain_mac: string | null;
  body: string;
}

const SELECTS: Record<ChainKind, string> = {
  decisions: `SELECT terminal_id, id, chain_seq, chain_prev, chain_hash, chain_mac, body FROM decisions
              ORDER BY chain_seq IS NULL, terminal_id, chain_seq`,
  disclosures: `SELECT terminal_id, id, chain_seq, chain_prev, chain_hash, chain_mac, body FROM disclosures
                ORDER BY chain_seq IS NULL, terminal_id, chain_seq`,
  uses: `SELECT '${USES_CHAIN_TERMINAL}' AS terminal_id, decision_id || ':' || rule_id AS id,
           chain_seq, chain_prev, chain_hash, chain_mac,
           json_object('decision_id', decision_id, 'rule_id', rule_id, 'pseudonym', pseudonym,
                       'scene', scene, 'at', at) AS body
         FROM use_records ORDER BY chain_seq IS NULL, chain_seq`,
};

/**
 * Checks a journal's hash chains offline (`xinyi journal verify`): every record hashes to its link,
 * every link follows the previous one (a gap is allowed only below what the purge deleted), every
 * chain's recorded head is its last link, and, with `secretFor`, every link's head signature.
 * Reads in one read transaction, in constant memory.
 */
export async function verifySqliteJournal(options: JournalVerifyOptions): Promise<JournalVerifyReport> {
  const Driver = await loadSqliteDriver(options.driverSpecifier);
  let db: BetterSqlite3.Database;
  try {
    db = new Driver(options.path, { readonly: true, fileMustExist: true });
  } catch (cause) {
    throw new XinyiError('JOURNAL_UNAVAILABLE', `cannot open the journal ${options.path}`, {
      cause,
      details: { path: options.path, sqliteCode: String((cause as { code?: unknown }).code ?? 'none') },
    });
  }
  try {
    const version = db.prepare('SELECT MAX(version) FROM schema_version').pluck().get() as number | null;
    if (version !== SQLITE_JOURNAL_SCHEMA_VERSION) {
      throw new XinyiError(
        'JOURNAL_UNAVAILABLE',
        `the journal has schema ${version ?? 0}; verify needs ${SQLITE_JOURNAL_SCHEMA_VERSION} (open it once with the daemon to migrate it)`,
        { details: { path: options.path, schemaVersion: version ?? 0 } },
      );
    }
    return db.transaction(() => check(db, options.secretFor))();
  } finally {
    db.close();
  }
}

function check(
  db: BetterSqlite3.Database,
  secretFor: JournalVerifyOptions['secretFor'],
): JournalVerifyReport {
  const checker = new ChainChecker(secretFor);
  const heads = db.prepare('SELECT kind, terminal_id, seq, hash, purged_seq FROM journal_chain').all() as {
    kind: ChainKind;
    terminal_id: string;
    seq: number;
    hash: string;
    purged_seq: number;
  }[];
  const purged = new Map(heads.map((h) => [`${h.kind}\n${h.terminal_id}`, h.purged_seq]));
  const report: JournalVerifyReport = {
    ok: true,
    checked: { decisions: 0, disclosures: 0, uses: 0 },
    unchained: { decisions: 0, disclosures: 0, uses: 0 },
    signaturesChecked: false,
    problems: checker.problems,
  };
  for (const kind of ['decisions', 'disclosures', 'uses'] as const) {
    let chainOf: string | undefined;
    for (const row of db.prepare(SELECTS[kind]).iterate() as IterableIterator<LinkRow>) {
      if (row.chain_seq === null || row.chain_prev === null || row.chain_hash === null) {
        report.unchained[kind]++;
        continue;
      }
      const terminalId = kind === 'disclosures' ? String(row.terminal_id ?? '') : row.terminal_id;
      // Below what the purge deleted, records may be missing (the platform has them): start again there.
      const purgedSeq = purged.get(`${kind}\n${terminalId}`) ?? 0;
      if (chainOf !== terminalId) {
        chainOf = terminalId;
        if (row.chain_seq > 1) checker.anchor(terminalId, kind, Math.min(purgedSeq, row.chain_seq - 1), null);
      } else if (
        row.chain_seq - 1 <= purgedSeq &&
        checker.head(terminalId, kind)?.seq !== row.chain_seq - 1
      ) {
        checker.anchor(terminalId, kind, row.chain_seq - 1, null);
      }
      const body = JSON.parse(row.body) as Record<string, unknown>;
      const record =
        kind === 'uses'
          ? useCanonicalJson(body as unknown as Parameters<typeof useCanonicalJson>[0])
          : canonicalJson(body);
      const link = { seq: row.chain_seq, prev: row.chain_prev, hash: row.chain_hash } as {
        seq: number;
        prev: string;
        hash: string;
        mac?: string;
      };
      if (row.chain_mac !== null) {
        link.mac = row.chain_mac;
        if (secretFor !== undefined) report.signaturesChecked = true;
      }
      checker.add(terminalId, kind, link, record, row.id);
      report.checked[kind]++;
    }
  }
  // A chain's recorded head must be its last record, unless the purge deleted that record.
  for (const head of heads) {
    const last = checker.head(head.terminal_id, head.kind);
    const lastSeq = last?.seq ?? head.purged_seq;
    if (head.seq <= head.purged_seq) continue;
    if (lastSeq !== head.seq || (last !== undefined && last.hash !== '' && last.hash !== head.hash)) {
      checker.problems.push({
        terminalId: head.terminal_id,
        kind: head.kind,
        seq: head.seq,
        problem: 'head-mismatch',
      });
    }
  }
  report.ok = checker.problems.length === 0 && Object.values(report.unchained).every((n) => n === 0);
  return report;
}
