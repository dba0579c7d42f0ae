import * as nodeCrypto from 'node:crypto';
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { XinyiError } from '../errors.js';

/**
 * The journal's hash chain (docs/journal.md §12). Each decision, disclosure record and benefit use is a
 * link in a chain of its own terminal and kind: its hash covers the previous link's hash and the
 * record's canonical JSON, and the journal signs every new head with the terminal's key. The platform
 * (and `xinyi journal verify`) recomputes the links, so a record edited, removed or inserted after it
 * was committed shows as a rewrite or a gap.
 */

/** The kinds of chained records: one chain per terminal and kind. `uses` never leave the terminal. */
export type ChainKind = 'decisions' | 'disclosures' | 'uses';

/** `prev` of the first link of a chain. */
export const CHAIN_GENESIS = '0'.repeat(64);

/** The link a record carries (in the journal, and on the wire in each uploaded item's `chain`). */
export interface ChainLink {
  /** Position in its chain, from 1, without gaps. */
  seq: number;
  /** Hex SHA-256 of the previous link ({@link CHAIN_GENESIS} for the first). */
  prev: string;
  /** Hex SHA-256 of this link ({@link chainLinkHash}). */
  hash: string;
  /** `keyId:base64 HMAC-SHA-256` of this link as the chain's head ({@link signChainHead}); absent without a key. */
  mac?: string;
}

/** A chain's head as uploaded with each batch: the last item's link, signed. */
export interface ChainHead {
  terminalId: string;
  kind: ChainKind;
  seq: number;
  hash: string;
  mac?: string;
}

/** The terminal's key that signs chain heads: the platform's request-signing key id and secret. */
export interface ChainKey {
  keyId: string;
  secret: string | Uint8Array;
}

/**
 * RFC 8785 (JCS) for the JSON the SDK writes: object keys sorted by UTF-16 code units, no whitespace,
 * strings and numbers as `JSON.stringify` writes them. Values JSON drops (undefined, functions) are
 * dropped; `toJSON` is honoured; non-finite numbers are `null`, as in `JSON.stringify`.
 */
export function canonicalJson(value: unknown): string {
  const out = canonicalValue(value);
  return out === undefined ? 'null' : out;
}

// Each record kind has the same few dozen keys: their quoted forms are kept rather than re-escaped on
// every commit (bounded, so records with arbitrary keys cannot grow it without end).
const quotedKeys = new Map<string, string>();
const QUOTED_KEYS_MAX = 4096;

function quotedKey(key: string): string {
  let quoted = quotedKeys.get(key);
  if (quoted === undefined) {
    quoted = JSON.stringify(key);
    if (quotedKeys.size < QUOTED_KEYS_MAX) quotedKeys.set(key, quoted);
  }
  return quoted;
}

function canonicalValue(value: unknown, fromToJson = false): string | undefined {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      throw new XinyiError('INVALID_ARGUMENT', 'a journal record cannot hold a bigint');
    case 'object':
      if (value === null) return 'null';
      break;
    default:
      return undefined;
  }
  // As JSON.stringify: `toJSON` is called once, not again on what it returned.
  if (!fromToJson && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return canonicalValue((value as { toJSON: () => unknown }).toJSON(), true);
  }
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      out += canonicalValue(value[i]) ?? 'null';
    }
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  // Keys in code-unit order; most records are already nearly so, and short: insertion sort is enough.
  keys.sort();
  let out = '{';
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const item = canonicalValue(record[key]);
    if (item === undefined) continue;
    out += out.length === 1 ? `${quotedKey(key)}:${item}` : `,${quotedKey(key)}:${item}`;
  }
  return `${out}}`;
}

/**
 * `hex(SHA-256("xinyi-chain/1\n" terminalId "\n" kind "\n" seq "\n" prev "\n" JCS(record)))`, UTF-8.
 * `record` is the decision (not its upload envelope), the disclosure record, or the use
 * `{decisionId, ruleId, pseudonym, scene, at}`.
 */
export function chainLinkHash(
  terminalId: string,
  kind: ChainKind,
  seq: number,
  prev: string,
  recordCanonicalJson: string,
): string {
  return sha256Hex(`xinyi-chain/1\n${terminalId}\n${kind}\n${seq}\n${prev}\n${recordCanonicalJson}`);
}

// `crypto.hash` (Node 20.12+) hashes in one call, without a Hash object per link.
const sha256Hex: (text: string) => string =
  typeof nodeCrypto.hash === 'function'
    ? (text) => nodeCrypto.hash('sha256', text, 'hex')
    : (text) => createHash('sha256').update(text, 'utf8').digest('hex');

function headText(terminalId: string, kind: ChainKind, seq: number, hash: string): string {
  return `xinyi-chain-head/1\n${terminalId}\n${kind}\n${seq}\n${hash}`;
}

/** `keyId:base64(HMAC-SHA-256(secret, "xinyi-chain-head/1\n" terminalId "\n" kind "\n" seq "\n" hash))`. */
export function signChainHead(
  key: ChainKey,
  terminalId: string,
  kind: ChainKind,
  seq: number,
  hash: string,
): string {
  const mac = createHmac('sha256', key.secret)
    .update(headText(terminalId, kind, seq, hash), 'utf8')
    .digest('base64');
  return `${key.keyId}:${mac}`;
}

/** Whether `mac` signs this head under a key `secretFor` knows. */
export function verifyChainHeadMac(
  mac: string,
  secretFor: (keyId: string) => string | Uint8Array | undefined,
  terminalId: string,
  kind: ChainKind,
  seq: number,
  hash: string,
): boolean {
  const colon = mac.lastIndexOf(':');
  if (colon <= 0) return false;
  const secret = secretFor(mac.slice(0, colon));
  if (secret === undefined) return false;
  const expected = Buffer.from(
    signChainHead({ keyId: mac.slice(0, colon), secret }, terminalId, kind, seq, hash),
  );
  const given = Buffer.from(mac);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** Builds the next link of a chain whose head is `head` (undefined: a new chain). */
export function nextChainLink(
  key: ChainKey | undefined,
  terminalId: string,
  kind: ChainKind,
  head: { seq: number; hash: string } | undefined,
  recordCanonicalJson: string,
): ChainLink {
  const seq = (head?.seq ?? 0) + 1;
  const prev = head?.hash ?? CHAIN_GENESIS;
  const hash = chainLinkHash(terminalId, kind, seq, prev, recordCanonicalJson);
  const link: ChainLink = { seq, prev, hash };
  if (key !== undefined) link.mac = signChainHead(key, terminalId, kind, seq, hash);
  return link;
}

/** What a chain check found wrong with one link. */
export interface ChainProblem {
  terminalId: string;
  kind: ChainKind;
  seq: number;
  /**
   * - `rewrite`: the record's content does not hash to its link (edited after commit).
   * - `gap`: the link does not follow the previous one (records removed, inserted or reordered).
   * - `bad-signature`: the head's signature does not verify under the key.
   * - `head-mismatch`: the chain's recorded head is not its last record (the newest records removed).
   */
  problem: 'rewrite' | 'gap' | 'bad-signature' | 'head-mismatch';
  /** Stored id of the record, when there is one. */
  id?: string;
}

/**
 * Checks chains link by link, fed records of one or many chains in chain order. Keeps only each
 * chain's last link, so it checks millions of records in constant memory (the platform keeps one per
 * terminal and kind across batches).
 */
export class ChainChecker {
  readonly problems: ChainProblem[] = [];
  readonly #heads = new Map<string, { seq: number; hash: string }>();
  readonly #secretFor: ((keyId: string) => string | Uint8Array | undefined) | undefined;
  checked = 0;

  constructor(secretFor?: (keyId: string) => string | Uint8Array | undefined) {
    this.#secretFor = secretFor;
  }

  /** The last link accepted for this chain. */
  head(terminalId: string, kind: ChainKind): { seq: number; hash: string } | undefined {
    return this.#heads.get(`${kind}\n${terminalId}`);
  }

  /** Starts a chain after a prefix this checker will not see (purged, or uploaded earlier). */
  anchor(terminalId: string, kind: ChainKind, seq: number, hash: string | null): void {
    if (hash !== null) this.#heads.set(`${kind}\n${terminalId}`, { seq, hash });
    else this.#heads.set(`${kind}\n${terminalId}`, { seq, hash: '' });
  }

  /**
   * Checks one record. `allowGapBefore`: a missing predecessor with a lower seq is not a gap (a chain
   * whose start this checker never saw). Returns false when a problem was recorded.
   */
  add(
    terminalId: string,
    kind: ChainKind,
    link: ChainLink,
    recordCanonicalJson: string,
    id?: string,
  ): boolean {
    this.checked++;
    const mapKey = `${kind}\n${terminalId}`;
    const problem = (p: ChainProblem['problem']) => {
      const found: ChainProblem = { terminalId, kind, seq: link.seq, problem: p };
      if (id !== undefined) found.id = id;
      this.problems.push(found);
      return false;
    };
    let ok = true;
    const expected = chainLinkHash(terminalId, kind, link.seq, link.prev, recordCanonicalJson);
    if (expected !== link.hash) ok = problem('rewrite');
    const head = this.#heads.get(mapKey);
    if (head === undefined) {
      if (link.seq === 1 && link.prev !== CHAIN_GENESIS) ok = problem('gap') && ok;
    } else if (link.seq !== head.seq + 1 || (head.hash !== '' && link.prev !== head.hash)) {
      ok = problem('gap') && ok;
    }
    if (this.#secretFor !== undefined && link.mac !== undefined) {
      if (!verifyChainHeadMac(link.mac, this.#secretFor, terminalId, kind, link.seq, link.hash)) {
        ok = problem('bad-signature') && ok;
      }
    }
    this.#heads.set(mapKey, { seq: link.seq, hash: link.hash });
    return ok;
  }
}
