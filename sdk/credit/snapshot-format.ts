import {
  createHash,
  createPrivateKey,
  createPublicKey,
  type KeyObject,
  randomBytes,
  sign,
  verify,
} from 'node:crypto';
import { LIST_KINDS, type ListMembership, type SubjectType } from '../domain/standing.js';
import { shandongTierScheme, TIER_CODES, type TierCode } from '../domain/tiers.js';
import { XinyiError } from '../errors.js';

/**
 * Offline credit snapshot, binary format versions 1 and 2 (all integers big-endian):
 *
 * ```
 * header   0  magic "XYSN"
 *          4  u8  format version (1; 2 when a record is an organisation's)
 *          5  u8  kind: 1 full snapshot, 2 delta
 *          6  u8  record size (24)
 *          7  u8  domain count D (0..63)
 *          8  u32 header length H (offset of the first record)
 *         12  u64 sequence
 *         20  u64 base sequence (0 for a full snapshot)
 *         28  u64 generatedAt (epoch ms): the asOf of every standing in the store once applied
 *         36  u32 record count R (a delta's upserts)
 *         40  u32 deletion count X (0 for a full snapshot)
 *         44  16  snapshot id (random)
 *         60  u8 length + UTF-8 tier-scheme id, then D × (u8 length + UTF-8 list domain)
 * records  H  R × 24 bytes, strictly ascending by pseudonym:
 *             0  16 pseudonym (the 16 bytes behind the 22-character base64url pseudonym)
 *            16  u8 subject: tier rank in the low 7 bits (6 = AAA … 1 = D, 0 = no tier); in
 *                version 2 the high bit set = an organisation (known by its credit code's
 *                pseudonym), clear = a person. Version 1 has persons only (high bit clear).
 *            17  u8 list count (0..6)
 *            18  6 × u8 list slot: kind in the high 2 bits (1 red, 2 black, 3 key-attention),
 *                domain in the low 6 bits (0 = every domain, i = the header's domain i)
 * deletions   X × 16-byte pseudonyms, strictly ascending (a delta's deletions are applied before its upserts)
 * signature   64 bytes: Ed25519 over SHA-256(header ‖ records ‖ deletions)
 * ```
 *
 * Only pseudonyms, tiers and lists: never a raw ID number or name (docs/credit-domain.md §3).
 */
/** The newest format version: written when a record is an organisation's (else 1, which every reader takes). */
export const SNAPSHOT_FORMAT_VERSION = 2;
/** Format versions this SDK reads. */
export const SNAPSHOT_FORMAT_VERSIONS: readonly number[] = [1, 2];
const ORGANISATION_BIT = 0x80;
export const SNAPSHOT_RECORD_BYTES = 24;
export const SNAPSHOT_PSEUDONYM_BYTES = 16;
export const SNAPSHOT_SIGNATURE_BYTES = 64;
/** Most list memberships one record can carry. */
export const SNAPSHOT_MAX_LISTS = 6;
/** Most distinct list domains one snapshot can name. */
export const SNAPSHOT_MAX_DOMAINS = 63;

const MAGIC = 0x5859534e; // "XYSN"
const FIXED_HEADER_BYTES = 60;
/** Largest possible header: the fixed part, the tier-scheme id and 63 domains of up to 255 bytes. */
const MAX_HEADER_BYTES = FIXED_HEADER_BYTES + 256 * (1 + SNAPSHOT_MAX_DOMAINS);
/** The largest epoch ms a Date can hold (ECMA-262 §21.4.1.1). */
const MAX_DATE_MS = 8.64e15;
const KIND_FULL = 1;
const KIND_DELTA = 2;

export type SnapshotKind = 'full' | 'delta';

/** One subject in a snapshot. */
export interface SnapshotRecord {
  /** The 22-character base64url pseudonym, or its 16 bytes. */
  pseudonym: string | Uint8Array;
  tier: TierCode | null;
  lists?: readonly ListMembership[];
  /** @default 'person' */
  subjectType?: SubjectType;
}

/** An Ed25519 private key: a KeyObject or PEM text. */
export type SnapshotPrivateKey = KeyObject | string;
/** An Ed25519 public key: a KeyObject, PEM text or the raw 32 bytes. */
export type SnapshotPublicKey = KeyObject | string | Uint8Array;

export interface BuildSnapshotOptions {
  privateKey: SnapshotPrivateKey;
  /** Positive safe integer; each snapshot or delta a store applies must carry a higher one. */
  sequence: number;
  /** When the platform computed the standings (epoch ms or a Date). */
  generatedAt: number | Date;
  /** 16 bytes; random when absent. */
  snapshotId?: Uint8Array;
  /** @default shandongTierScheme.id */
  tierSchemeId?: string;
  /** How many records to expect: the buffer is sized once instead of grown. */
  expectedCount?: number;
}

export interface BuildDeltaOptions extends BuildSnapshotOptions {
  /** The sequence of the snapshot (or delta) this delta applies on top of. */
  baseSequence: number;
}

export interface SnapshotDeltaInput {
  upserts: Iterable<SnapshotRecord>;
  deletions?: Iterable<string | Uint8Array>;
}

export interface SnapshotHeader {
  kind: SnapshotKind;
  formatVersion: number;
  /** Hex of the 16-byte snapshot id. */
  snapshotId: string;
  sequence: number;
  baseSequence: number;
  /** Epoch ms. */
  generatedAt: number;
  recordCount: number;
  deletionCount: number;
  tierSchemeId: string;
  domains: string[];
  recordsOffset: number;
  deletionsOffset: number;
  /** Bytes covered by the signature (everything before it). */
  signedLength: number;
}

export type SnapshotRefusalReason = 'truncated' | 'wrong-format' | 'unsupported-version' | 'bad-signature';

export type SnapshotVerification =
  | { ok: true; header: SnapshotHeader /** Index of the public key that verified. */; keyIndex: number }
  | { ok: false; reason: SnapshotRefusalReason; message: string };

// ---------------------------------------------------------------------------------------------
// Building (platform / simulator side)

/**
 * A signed full snapshot of `records` (sorted here; a pseudonym may appear once). Records are
 * written straight into one buffer, so a generator of a million records never holds a million objects.
 * Throws `INVALID_ARGUMENT` for a bad record and `INVALID_OPTIONS` naming the bad option.
 */
export function buildSnapshot(records: Iterable<SnapshotRecord>, options: BuildSnapshotOptions): Buffer {
  checkBuildOptions(options);
  const domains = new DomainTable();
  const expected = options.expectedCount ?? 1024;
  if (!Number.isSafeInteger(expected) || expected < 0) {
    throw new XinyiError('INVALID_OPTIONS', 'expectedCount must be a non-negative integer');
  }
  // Records are encoded, sorted and signed inside one buffer, with room for the header in front:
  // a million-record snapshot costs its own size once, plus the sort order.
  const body = new GrowableBuffer(
    SNAPSHOT_RECORD_BYTES,
    MAX_HEADER_BYTES,
    SNAPSHOT_SIGNATURE_BYTES,
    expected,
  );
  let organisations = false;
  for (const record of records) organisations = encodeRecord(record, domains, body.next()) || organisations;
  const sorted = new SortedItems(body.items(), SNAPSHOT_RECORD_BYTES, 'record');
  sorted.permuteInPlace();
  const buf = body.buf;
  const headerLength = headerLengthOf(options, domains.names);
  const begin = MAX_HEADER_BYTES - headerLength;
  const version = organisations ? 2 : 1;
  writeHeader(buf, begin, KIND_FULL, version, options, 0, domains.names, sorted.count, 0, headerLength);
  const signedEnd = MAX_HEADER_BYTES + body.length;
  signInto(buf, begin, signedEnd, options.privateKey);
  const out = buf.subarray(begin, signedEnd + SNAPSHOT_SIGNATURE_BYTES);
  // Do not keep a much larger allocation alive behind the returned view.
  return buf.length - out.length > out.length / 8 ? Buffer.from(out) : out;
}

/**
 * A signed delta that turns the snapshot with sequence `baseSequence` into `sequence`: `deletions`
 * are removed, then `upserts` inserted or replaced. A pseudonym may not be both upserted and deleted.
 */
export function buildDelta(input: SnapshotDeltaInput, options: BuildDeltaOptions): Buffer {
  checkBuildOptions(options);
  if (!Number.isSafeInteger(options.baseSequence) || options.baseSequence < 1) {
    throw new XinyiError('INVALID_OPTIONS', 'baseSequence must be a positive safe integer');
  }
  if (options.sequence <= options.baseSequence) {
    throw new XinyiError('INVALID_OPTIONS', 'sequence must be greater than baseSequence');
  }
  const domains = new DomainTable();
  const body = new GrowableBuffer(SNAPSHOT_RECORD_BYTES);
  let organisations = false;
  for (const record of input.upserts)
    organisations = encodeRecord(record, domains, body.next()) || organisations;
  const upserts = new SortedItems(body.items(), SNAPSHOT_RECORD_BYTES, 'record');
  const dels = new GrowableBuffer(SNAPSHOT_PSEUDONYM_BYTES);
  for (const pseudonym of input.deletions ?? []) pseudonymBytes(pseudonym).copy(dels.next());
  const deletions = new SortedItems(dels.items(), SNAPSHOT_PSEUDONYM_BYTES, 'deletion');
  // Both lists are sorted: one merge pass finds a pseudonym in both.
  for (let i = 0, j = 0; i < upserts.count && j < deletions.count; ) {
    const u = upserts.offsetOf(i);
    const d = deletions.offsetOf(j);
    const c = upserts.bytes.compare(deletions.bytes, d, d + 16, u, u + 16);
    if (c === 0) throw new XinyiError('INVALID_ARGUMENT', 'a pseudonym is both upserted and deleted');
    if (c < 0) i++;
    else j++;
  }
  return assemble(
    KIND_DELTA,
    organisations ? 2 : 1,
    options,
    options.baseSequence,
    domains.names,
    upserts,
    deletions,
  );
}

function checkBuildOptions(options: BuildSnapshotOptions): void {
  if (options === null || typeof options !== 'object') {
    throw new XinyiError('INVALID_OPTIONS', 'options must be an object');
  }
  if (!Number.isSafeInteger(options.sequence) || options.sequence < 1) {
    throw new XinyiError('INVALID_OPTIONS', 'sequence must be a positive safe integer');
  }
  const at = options.generatedAt instanceof Date ? options.generatedAt.getTime() : options.generatedAt;
  if (!Number.isSafeInteger(at) || at < 0 || at > MAX_DATE_MS) {
    throw new XinyiError('INVALID_OPTIONS', 'generatedAt must be a valid Date or non-negative epoch ms');
  }
  if (options.snapshotId !== undefined && options.snapshotId.length !== 16) {
    throw new XinyiError('INVALID_OPTIONS', 'snapshotId must be 16 bytes');
  }
  const scheme = options.tierSchemeId ?? shandongTierScheme.id;
  if (typeof scheme !== 'string' || scheme.length === 0 || Buffer.byteLength(scheme) > 255) {
    throw new XinyiError('INVALID_OPTIONS', 'tierSchemeId must be a non-empty string of at most 255 bytes');
  }
}

function headerLengthOf(options: BuildSnapshotOptions, domains: readonly string[]): number {
  let n = FIXED_HEADER_BYTES + 1 + Buffer.byteLength(options.tierSchemeId ?? shandongTierScheme.id, 'utf8');
  for (const d of domains) n += 1 + Buffer.byteLength(d, 'utf8');
  return n;
}

function writeHeader(
  out: Buffer,
  at: number,
  kind: number,
  formatVersion: number,
  options: BuildSnapshotOptions,
  baseSequence: number,
  domains: readonly string[],
  recordCount: number,
  deletionCount: number,
  headerLength: number,
): void {
  out.writeUInt32BE(MAGIC, at);
  out[at + 4] = formatVersion;
  out[at + 5] = kind;
  out[at + 6] = SNAPSHOT_RECORD_BYTES;
  out[at + 7] = domains.length;
  out.writeUInt32BE(headerLength, at + 8);
  out.writeBigUInt64BE(BigInt(options.sequence), at + 12);
  out.writeBigUInt64BE(BigInt(baseSequence), at + 20);
  const generatedAt =
    options.generatedAt instanceof Date ? options.generatedAt.getTime() : options.generatedAt;
  out.writeBigUInt64BE(BigInt(generatedAt), at + 28);
  out.writeUInt32BE(recordCount, at + 36);
  out.writeUInt32BE(deletionCount, at + 40);
  out.set(options.snapshotId ?? randomBytes(16), at + 44);
  let o = at + FIXED_HEADER_BYTES;
  for (const text of [options.tierSchemeId ?? shandongTierScheme.id, ...domains]) {
    const n = out.write(text, o + 1, 'utf8');
    out[o] = n;
    o += 1 + n;
  }
}

/** Signs out[begin, end) and writes the 64-byte signature at `end`. */
function signInto(out: Buffer, begin: number, end: number, privateKey: SnapshotPrivateKey): void {
  let key: KeyObject;
  try {
    key = typeof privateKey === 'string' ? createPrivateKey(privateKey) : privateKey;
  } catch (cause) {
    throw new XinyiError('INVALID_OPTIONS', 'privateKey is not a usable Ed25519 private key', { cause });
  }
  if (key?.type !== 'private' || key.asymmetricKeyType !== 'ed25519') {
    throw new XinyiError('INVALID_OPTIONS', 'privateKey must be an Ed25519 private key');
  }
  const digest = createHash('sha256').update(out.subarray(begin, end)).digest();
  out.set(sign(null, digest, key), end);
}

function assemble(
  kind: number,
  formatVersion: number,
  options: BuildSnapshotOptions,
  baseSequence: number,
  domains: readonly string[],
  records: SortedItems,
  deletions: SortedItems,
): Buffer {
  const headerLength = headerLengthOf(options, domains);
  const signedLength = headerLength + records.byteLength + deletions.byteLength;
  const out = Buffer.alloc(signedLength + SNAPSHOT_SIGNATURE_BYTES);
  writeHeader(
    out,
    0,
    kind,
    formatVersion,
    options,
    baseSequence,
    domains,
    records.count,
    deletions.count,
    headerLength,
  );
  records.copyTo(out, headerLength);
  deletions.copyTo(out, headerLength + records.byteLength);
  signInto(out, 0, signedLength, options.privateKey);
  return out;
}

class DomainTable {
  readonly names: string[] = [];
  readonly #index = new Map<string, number>();

  /** 0 for "every domain", else 1-based index into `names`. */
  indexOf(domain: string | undefined): number {
    if (domain === undefined) return 0;
    let i = this.#index.get(domain);
    if (i === undefined) {
      if (
        typeof domain !== 'string' ||
        domain.length === 0 ||
        /[,:]/.test(domain) ||
        Buffer.byteLength(domain) > 255
      ) {
        throw new XinyiError(
          'INVALID_ARGUMENT',
          'a list domain must be a non-empty string of at most 255 bytes without "," or ":"',
        );
      }
      if (this.names.length >= SNAPSHOT_MAX_DOMAINS) {
        throw new XinyiError(
          'INVALID_ARGUMENT',
          `a snapshot can name at most ${SNAPSHOT_MAX_DOMAINS} domains`,
        );
      }
      this.names.push(domain);
      i = this.names.length;
      this.#index.set(domain, i);
    }
    return i;
  }
}

/** Fixed-size items appended into one buffer, with room reserved before (header) and after (signature). */
class GrowableBuffer {
  buf: Buffer;
  /** Bytes of items written. */
  length = 0;
  constructor(
    readonly itemBytes: number,
    readonly prefix = 0,
    readonly suffix = 0,
    expectedItems = 1024,
  ) {
    this.buf = Buffer.alloc(prefix + suffix + itemBytes * Math.max(1, expectedItems));
  }
  /** A zeroed slot for one more item. */
  next(): Buffer {
    const at = this.prefix + this.length;
    if (at + this.itemBytes + this.suffix > this.buf.length) {
      const bigger = Buffer.alloc(this.prefix + this.suffix + Math.ceil(this.length * 1.5) + this.itemBytes);
      this.buf.copy(bigger, 0, 0, at);
      this.buf = bigger;
    }
    this.length += this.itemBytes;
    return this.buf.subarray(at, at + this.itemBytes);
  }
  /** The items written. */
  items(): Buffer {
    return this.buf.subarray(this.prefix, this.prefix + this.length);
  }
}

/** Writes one record into its slot; true when it is an organisation's (the snapshot needs version 2). */
function encodeRecord(record: SnapshotRecord, domains: DomainTable, slot: Buffer): boolean {
  if (record === null || typeof record !== 'object') {
    throw new XinyiError('INVALID_ARGUMENT', 'a snapshot record must be an object');
  }
  const subjectType = record.subjectType ?? 'person';
  if (subjectType !== 'person' && subjectType !== 'organisation') {
    throw new XinyiError(
      'INVALID_ARGUMENT',
      "a snapshot record's subjectType must be 'person' or 'organisation'",
    );
  }
  pseudonymBytes(record.pseudonym).copy(slot, 0);
  const organisation = subjectType === 'organisation';
  slot[16] = tierToByte(record.tier) | (organisation ? ORGANISATION_BIT : 0);
  const lists = record.lists ?? [];
  if (lists.length > SNAPSHOT_MAX_LISTS) {
    throw new XinyiError('INVALID_ARGUMENT', `a record can carry at most ${SNAPSHOT_MAX_LISTS} lists`);
  }
  slot[17] = lists.length;
  for (let i = 0; i < lists.length; i++) {
    const l = lists[i]!;
    const kind = LIST_KINDS.indexOf(l.kind) + 1;
    if (kind === 0) throw new XinyiError('INVALID_ARGUMENT', 'unknown list kind in a snapshot record');
    slot[18 + i] = (kind << 6) | domains.indexOf(l.domain);
  }
  return organisation;
}

function tierToByte(tier: TierCode | null): number {
  if (tier === null) return 0;
  const i = TIER_CODES.indexOf(tier);
  if (i < 0) throw new XinyiError('INVALID_ARGUMENT', 'unknown tier code in a snapshot record');
  return TIER_CODES.length - i;
}

/** The tier of a record's tier byte; undefined for a byte no tier has. */
export function tierFromByte(byte: number): TierCode | null | undefined {
  if (byte === 0) return null;
  return TIER_CODES[TIER_CODES.length - byte];
}

/**
 * The subject type and tier of a record's subject byte (offset 16) in a snapshot of `formatVersion`;
 * undefined for a byte that version cannot hold (an unknown tier, the organisation bit in version 1).
 */
export function subjectFromByte(
  byte: number,
  formatVersion: number,
): { tier: TierCode | null; subjectType: SubjectType } | undefined {
  const organisation = (byte & ORGANISATION_BIT) !== 0;
  if (organisation && formatVersion < 2) return undefined;
  const tier = tierFromByte(byte & ~ORGANISATION_BIT);
  if (tier === undefined) return undefined;
  return { tier, subjectType: organisation ? 'organisation' : 'person' };
}

/**
 * The 16 bytes of a pseudonym given as 22-character base64url text or bytes. Throws `INVALID_ARGUMENT`
 * (without the value) for anything else.
 */
export function pseudonymBytes(pseudonym: string | Uint8Array): Buffer {
  if (typeof pseudonym === 'string') {
    const bytes = pseudonym.length === 22 ? Buffer.from(pseudonym, 'base64url') : undefined;
    if (bytes?.length === 16 && bytes.toString('base64url') === pseudonym) return bytes;
  } else if (pseudonym instanceof Uint8Array && pseudonym.length === 16) {
    return Buffer.from(pseudonym.buffer, pseudonym.byteOffset, 16);
  }
  throw new XinyiError('INVALID_ARGUMENT', 'a pseudonym must be 22 base64url characters (16 bytes)');
}

/**
 * Fixed-size items ordered by their first 16 bytes (the pseudonym), without copying them: `order[i]`
 * is the index of the i-th smallest. Throws `INVALID_ARGUMENT` for a repeated pseudonym.
 */
class SortedItems {
  readonly order: Uint32Array;
  readonly count: number;
  constructor(
    readonly bytes: Buffer,
    readonly itemBytes: number,
    what: string,
  ) {
    const n = bytes.length / itemBytes;
    this.count = n;
    const order = new Uint32Array(n);
    const lead = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      order[i] = i;
      lead[i] = bytes.readUInt32BE(i * itemBytes);
    }
    order.sort((a, b) => {
      const x = lead[a]!;
      const y = lead[b]!;
      if (x !== y) return x < y ? -1 : 1;
      const ao = a * itemBytes;
      const bo = b * itemBytes;
      return bytes.compare(bytes, bo, bo + 16, ao, ao + 16);
    });
    for (let i = 1; i < n; i++) {
      const a = order[i - 1]! * itemBytes;
      const b = order[i]! * itemBytes;
      if (lead[order[i - 1]!] === lead[order[i]!] && bytes.compare(bytes, b, b + 16, a, a + 16) === 0) {
        throw new XinyiError('INVALID_ARGUMENT', `a pseudonym appears in more than one ${what}`);
      }
    }
    this.order = order;
  }
  get byteLength(): number {
    return this.count * this.itemBytes;
  }
  /** Offset of the i-th smallest item in `bytes`. */
  offsetOf(i: number): number {
    return this.order[i]! * this.itemBytes;
  }
  /** Reorders `bytes` itself into ascending order (cycle by cycle, one item of scratch). */
  permuteInPlace(): void {
    const { bytes, itemBytes, order } = this;
    const placed = new Uint8Array(this.count);
    const scratch = Buffer.alloc(itemBytes);
    for (let start = 0; start < this.count; start++) {
      if (placed[start] || order[start] === start) continue;
      bytes.copy(scratch, 0, start * itemBytes, (start + 1) * itemBytes);
      let j = start;
      for (;;) {
        placed[j] = 1;
        const k = order[j]!;
        if (k === start) {
          scratch.copy(bytes, j * itemBytes);
          break;
        }
        bytes.copy(bytes, j * itemBytes, k * itemBytes, (k + 1) * itemBytes);
        j = k;
      }
    }
    for (let i = 0; i < this.count; i++) order[i] = i;
  }
  copyTo(out: Buffer, at: number): void {
    for (let i = 0; i < this.count; i++) {
      const from = this.order[i]! * this.itemBytes;
      this.bytes.copy(out, at + i * this.itemBytes, from, from + this.itemBytes);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Verifying (terminal side)

/**
 * Parses the header and checks the lengths, without the signature. Throws `SNAPSHOT_INVALID` with
 * `details.reason` ('truncated', 'wrong-format' or 'unsupported-version').
 */
export function parseSnapshotHeader(bytes: Uint8Array): SnapshotHeader {
  const fail = (reason: SnapshotRefusalReason, message: string): never => {
    throw new XinyiError('SNAPSHOT_INVALID', message, { details: { reason } });
  };
  if (!(bytes instanceof Uint8Array)) fail('wrong-format', 'a snapshot must be a Uint8Array');
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length < 8) fail('truncated', `snapshot is ${b.length} bytes, shorter than its header`);
  if (b.readUInt32BE(0) !== MAGIC) fail('wrong-format', 'not an offline credit snapshot (bad magic)');
  const formatVersion = b[4]!;
  if (!SNAPSHOT_FORMAT_VERSIONS.includes(formatVersion)) {
    fail('unsupported-version', `snapshot format version ${formatVersion} is not supported`);
  }
  if (b.length < FIXED_HEADER_BYTES + 1) fail('truncated', 'snapshot is shorter than its header');
  const kindByte = b[5];
  if (kindByte !== KIND_FULL && kindByte !== KIND_DELTA)
    fail('wrong-format', `unknown snapshot kind ${kindByte}`);
  if (b[6] !== SNAPSHOT_RECORD_BYTES) fail('wrong-format', `unsupported record size ${b[6]}`);
  const domainCount = b[7]!;
  if (domainCount > SNAPSHOT_MAX_DOMAINS) fail('wrong-format', 'too many list domains');
  const headerLength = b.readUInt32BE(8);
  const readU64 = (at: number, name: string): number => {
    const v = b.readBigUInt64BE(at);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail('wrong-format', `${name} is out of range`);
    return Number(v);
  };
  const sequence = readU64(12, 'sequence');
  const baseSequence = readU64(20, 'baseSequence');
  const generatedAt = readU64(28, 'generatedAt');
  // It becomes the asOf of every standing (an ISO text): beyond what a Date holds it cannot be one.
  if (generatedAt > MAX_DATE_MS) fail('wrong-format', 'generatedAt is out of range');
  const recordCount = b.readUInt32BE(36);
  const deletionCount = b.readUInt32BE(40);
  if (headerLength > b.length) fail('truncated', 'snapshot is shorter than its header');
  let o = FIXED_HEADER_BYTES;
  const readText = (): string => {
    const len = o < headerLength ? b[o]! : -1;
    if (len < 0 || o + 1 + len > headerLength)
      fail('wrong-format', 'header strings overrun the header length');
    const text = b.toString('utf8', o + 1, o + 1 + len);
    o += 1 + len;
    return text;
  };
  const tierSchemeId = readText();
  const domains: string[] = [];
  for (let i = 0; i < domainCount; i++) {
    const domain = readText();
    // As buildSnapshot requires: the store keeps a record's lists as "kind:domain,…" text.
    if (domain === '' || domain.includes(',') || domain.includes(':')) {
      fail('wrong-format', 'a list domain is empty or holds "," or ":"');
    }
    domains.push(domain);
  }
  if (o !== headerLength) fail('wrong-format', 'header length does not match its content');
  if (sequence < 1) fail('wrong-format', 'sequence must be positive');
  const kind: SnapshotKind = kindByte === KIND_FULL ? 'full' : 'delta';
  if (kind === 'full' && (baseSequence !== 0 || deletionCount !== 0)) {
    fail('wrong-format', 'a full snapshot has no base sequence and no deletions');
  }
  if (kind === 'delta' && (baseSequence < 1 || sequence <= baseSequence)) {
    fail('wrong-format', 'a delta must be based on an earlier sequence');
  }
  const deletionsOffset = headerLength + recordCount * SNAPSHOT_RECORD_BYTES;
  const signedLength = deletionsOffset + deletionCount * SNAPSHOT_PSEUDONYM_BYTES;
  const total = signedLength + SNAPSHOT_SIGNATURE_BYTES;
  if (b.length < total) fail('truncated', `snapshot is ${b.length} bytes, its header announces ${total}`);
  if (b.length > total) fail('wrong-format', `snapshot has ${b.length - total} bytes after its signature`);
  return {
    kind,
    formatVersion,
    snapshotId: b.toString('hex', 44, 60),
    sequence,
    baseSequence,
    generatedAt,
    recordCount,
    deletionCount,
    tierSchemeId,
    domains,
    recordsOffset: headerLength,
    deletionsOffset,
    signedLength,
  };
}

/**
 * Checks a snapshot's structure and its Ed25519 signature against each of `publicKeys` (key
 * rotation: any one may verify). Never throws for bad snapshot bytes: returns a typed refusal instead
 * (`INVALID_OPTIONS` only for an unusable key).
 * The body is hashed in place (SHA-256, then Ed25519 over the digest): no copy, no JS string.
 */
export function verifySnapshot(
  bytes: Uint8Array,
  publicKeys: SnapshotPublicKey | readonly SnapshotPublicKey[],
): SnapshotVerification {
  let header: SnapshotHeader;
  try {
    header = parseSnapshotHeader(bytes);
  } catch (error) {
    const e = error as XinyiError;
    const reason = (e.details?.reason as SnapshotRefusalReason | undefined) ?? 'wrong-format';
    return { ok: false, reason, message: e.message };
  }
  const keys = toPublicKeys(publicKeys);
  const digest = createHash('sha256').update(bytes.subarray(0, header.signedLength)).digest();
  const signature = bytes.subarray(header.signedLength, header.signedLength + SNAPSHOT_SIGNATURE_BYTES);
  for (let i = 0; i < keys.length; i++) {
    if (verify(null, digest, keys[i]!, signature)) return { ok: true, header, keyIndex: i };
  }
  return {
    ok: false,
    reason: 'bad-signature',
    message: `snapshot signature verifies under none of the ${keys.length} trusted key(s)`,
  };
}

/** Verifies and returns the header, or throws `SNAPSHOT_SIGNATURE_INVALID` / `SNAPSHOT_INVALID` (`details.reason`). */
export function assertSnapshotVerified(
  bytes: Uint8Array,
  publicKeys: SnapshotPublicKey | readonly SnapshotPublicKey[],
): SnapshotHeader {
  const result = verifySnapshot(bytes, publicKeys);
  if (result.ok) return result.header;
  throw new XinyiError(
    result.reason === 'bad-signature' ? 'SNAPSHOT_SIGNATURE_INVALID' : 'SNAPSHOT_INVALID',
    result.message,
    { details: { reason: result.reason } },
  );
}

/** Normalises trusted keys; throws `INVALID_OPTIONS` when none is given or one is not an Ed25519 public key. */
export function toPublicKeys(publicKeys: SnapshotPublicKey | readonly SnapshotPublicKey[]): KeyObject[] {
  const list = Array.isArray(publicKeys) ? publicKeys : [publicKeys as SnapshotPublicKey];
  if (list.length === 0) throw new XinyiError('INVALID_OPTIONS', 'publicKeys must name at least one key');
  return list.map((k: SnapshotPublicKey) => {
    let key: KeyObject;
    try {
      if (typeof k === 'string') key = createPublicKey(k);
      else if (k instanceof Uint8Array) {
        if (k.length !== 32) throw new Error('raw Ed25519 public key must be 32 bytes');
        key = createPublicKey({
          key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(k).toString('base64url') },
          format: 'jwk',
        });
      } else key = k.type === 'private' ? createPublicKey(k) : k;
    } catch (cause) {
      throw new XinyiError('INVALID_OPTIONS', 'publicKeys holds a key that is not an Ed25519 public key', {
        cause,
      });
    }
    if (key.asymmetricKeyType !== 'ed25519') {
      throw new XinyiError('INVALID_OPTIONS', 'publicKeys must hold Ed25519 keys');
    }
    return key;
  });
}

/** Decodes record `index` of a verified snapshot (for tools and tests; the store reads the bytes directly). */
export function decodeSnapshotRecord(
  bytes: Uint8Array,
  header: SnapshotHeader,
  index: number,
): { pseudonym: string; tier: TierCode | null; lists: ListMembership[]; subjectType: SubjectType } {
  if (!Number.isInteger(index) || index < 0 || index >= header.recordCount) {
    throw new XinyiError('INVALID_ARGUMENT', 'record index out of range');
  }
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const o = header.recordsOffset + index * SNAPSHOT_RECORD_BYTES;
  const subject = subjectFromByte(b[o + 16]!, header.formatVersion);
  const lists = decodeListSlots(b, o, header.domains);
  if (subject === undefined || lists === undefined) {
    throw new XinyiError('SNAPSHOT_INVALID', 'malformed snapshot record', {
      details: { reason: 'wrong-format' },
    });
  }
  return {
    pseudonym: b.toString('base64url', o, o + 16),
    tier: subject.tier,
    lists,
    subjectType: subject.subjectType,
  };
}

/** The lists of the record at `offset`; undefined when a slot is malformed. */
export function decodeListSlots(
  b: Buffer,
  offset: number,
  domains: readonly string[],
): ListMembership[] | undefined {
  const count = b[offset + 17]!;
  if (count > SNAPSHOT_MAX_LISTS) return undefined;
  const lists: ListMembership[] = [];
  for (let i = 0; i < count; i++) {
    const slot = b[offset + 18 + i]!;
    const kind = LIST_KINDS[(slot >> 6) - 1];
    const d = slot & 0x3f;
    if (kind === undefined || d > domains.length) return undefined;
    lists.push(d === 0 ? { kind } : { kind, domain: domains[d - 1]! });
  }
  return lists;
}
