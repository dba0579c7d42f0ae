// Offline snapshots: the format parser, and the store that applies them.
import { createHash, sign } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  buildDelta,
  buildSnapshot,
  decodeSnapshotRecord,
  parseSnapshotHeader,
  SNAPSHOT_SIGNATURE_BYTES,
  type SnapshotRecord,
  verifySnapshot,
} from '../../../sdk/credit/snapshot-format.js';
import {
  loadSqliteDriver,
  openSnapshotStore,
  type SnapshotStore,
} from '../../../sdk/credit/snapshot-store.js';
import { TIER_CODES } from '../../../sdk/domain/tiers.js';
import { createCreditIssuer } from '../../../simulator/credit-issuer.js';
import {
  expectInteger,
  expectIsoTime,
  expectOneOf,
  expectTyped,
  type FuzzTarget,
  violation,
} from '../harness.js';
import { T0 } from './credit-fixtures.js';

const snapshotKeys = createCreditIssuer({ seed: 'fuzz-snapshot', alg: 'Ed25519', now: T0 });
const snapshotKey = snapshotKeys.rootPrivateKey;
const snapshotPublicKey = snapshotKeys.rootPublicKey;

/** Domains the builder takes; mutations of the header bytes produce the ones it would not. */
const domainName = fc.oneof(
  fc.constantFrom('tourism', 'medical', 'market'),
  fc.string({ minLength: 1, maxLength: 12 }).filter((d) => !d.includes(',') && !d.includes(':')),
);

const snapshotRecords = fc.uniqueArray(
  fc.record({
    pseudonym: fc.uint8Array({ minLength: 16, maxLength: 16 }),
    tier: fc.constantFrom(...TIER_CODES, null),
    lists: fc.array(
      fc.record(
        {
          kind: fc.constantFrom('red' as const, 'black' as const, 'key-attention' as const),
          domain: domainName,
        },
        { requiredKeys: ['kind'] },
      ),
      { maxLength: 6 },
    ),
  }),
  { maxLength: 8, selector: (r) => Buffer.from(r.pseudonym).toString('hex') },
);

/** Full snapshots and deltas, with sequences and times near and at the edges of their fields. */
const snapshotBytes = fc.oneof(
  fc
    .record({
      records: snapshotRecords,
      sequence: fc.oneof(fc.integer({ min: 1, max: 100 }), fc.constant(Number.MAX_SAFE_INTEGER)),
      generatedAt: fc.oneof(fc.constant(T0), fc.integer({ min: 0, max: 8.64e15 })),
    })
    .map(({ records, sequence, generatedAt }) =>
      buildSnapshot(records as SnapshotRecord[], { privateKey: snapshotKey, sequence, generatedAt }),
    ),
  fc
    .record({
      upserts: snapshotRecords,
      deletions: fc.uniqueArray(fc.uint8Array({ minLength: 16, maxLength: 16 }), {
        maxLength: 4,
        selector: (b) => Buffer.from(b).toString('hex'),
      }),
      base: fc.integer({ min: 1, max: 100 }),
      step: fc.integer({ min: 1, max: 5 }),
    })
    .map(({ upserts, deletions, base, step }) =>
      buildDelta(
        { upserts: upserts as SnapshotRecord[], deletions },
        { privateKey: snapshotKey, sequence: base + step, baseSequence: base, generatedAt: T0 },
      ),
    ),
);

/** Re-signs `bytes` as the platform would: Ed25519 over SHA-256 of everything before the signature. */
function resign(bytes: Uint8Array): Buffer {
  const b = Buffer.from(bytes);
  if (b.length < SNAPSHOT_SIGNATURE_BYTES) return b;
  const end = b.length - SNAPSHOT_SIGNATURE_BYTES;
  sign(null, createHash('sha256').update(b.subarray(0, end)).digest(), snapshotKey).copy(b, end);
  return b;
}

/** Header fields by offset, so mutations hit the values the parser trusts. */
const HEADER_FIELDS = [4, 5, 6, 7, 8, 12, 20, 28, 36, 40, 60, 61];

const mutatedSnapshot = fc
  .record({
    bytes: snapshotBytes,
    edits: fc.array(
      fc.oneof(
        fc.record({
          at: fc.constantFrom(...HEADER_FIELDS),
          value: fc.integer({ min: 0, max: 255 }),
          word: fc.boolean(),
        }),
        fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }), word: fc.constant(false) }),
      ),
      { maxLength: 4 },
    ),
    length: fc.option(fc.integer({ min: -80, max: 40 }), { freq: 4 }),
    resigned: fc.boolean(),
  })
  .map(({ bytes, edits, length, resigned }) => {
    let b = Buffer.from(bytes);
    for (const { at, value, word } of edits) {
      const i = at % b.length;
      if (word) b.fill(value, i, Math.min(b.length, i + 4));
      else b[i] = value;
    }
    if (length !== null) {
      b =
        length < 0
          ? b.subarray(0, Math.max(0, b.length + length))
          : Buffer.concat([b, Buffer.alloc(length, 0xab)]);
    }
    return resigned ? resign(b) : b;
  });

function checkSnapshotRecord(record: { pseudonym: string; tier: unknown; lists: unknown }): void {
  if (record.pseudonym.length !== 22) violation('record pseudonym is not 22 characters');
  if (record.tier !== null) expectOneOf(record.tier, TIER_CODES, 'record tier');
  if (!Array.isArray(record.lists) || record.lists.length > 6) violation('record lists');
}

export const snapshotFormat: FuzzTarget<Uint8Array, unknown> = {
  name: 'snapshot-format',
  input: 'snapshot and delta bytes: valid ones mutated (header fields, records, length), re-signed or not',
  arbitrary: fc.oneof(
    { weight: 8, arbitrary: mutatedSnapshot },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }) },
  ),
  codes: ['SNAPSHOT_INVALID', 'SNAPSHOT_SIGNATURE_INVALID'],
  run: (bytes) => {
    const verification = verifySnapshot(bytes, snapshotPublicKey);
    if (!verification.ok) return verification;
    const records = [];
    for (let i = 0; i < verification.header.recordCount; i++) {
      records.push(decodeSnapshotRecord(bytes, verification.header, i));
    }
    return { ...verification, records };
  },
  check: (output) => {
    const result = output as
      | { ok: false; reason: string }
      | {
          ok: true;
          header: Record<string, unknown>;
          records: Array<{ pseudonym: string; tier: unknown; lists: unknown }>;
        };
    if (!result.ok) {
      expectOneOf(
        result.reason,
        ['truncated', 'wrong-format', 'unsupported-version', 'bad-signature'],
        'reason',
      );
      return;
    }
    const h = result.header;
    expectInteger(h.sequence, 1, Number.MAX_SAFE_INTEGER, 'sequence');
    expectInteger(h.baseSequence, 0, Number.MAX_SAFE_INTEGER, 'baseSequence');
    // generatedAt becomes the asOf of every standing: it must be a time a Date can hold.
    if (!Number.isFinite(new Date(h.generatedAt as number).getTime()))
      violation(`generatedAt ${h.generatedAt}`);
    for (const record of result.records) checkSnapshotRecord(record);
  },
  ciRuns: 1000,
};

interface StoreFixture {
  store: SnapshotStore;
  /** A second connection to the same file: empties it between cases, as another process could. */
  wipe: () => void;
  close: () => void;
}

let storeFixture: StoreFixture | undefined;

async function openStoreFixture(): Promise<StoreFixture> {
  // On tmpfs when there is one: the store fsyncs every commit (synchronous = FULL).
  const dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'xinyi-fuzz-'));
  const path = join(dir, 'snapshot.db');
  const store = await openSnapshotStore({ path });
  const Driver = await loadSqliteDriver();
  const db = new Driver(path);
  const wipe = db.prepare('DELETE FROM subjects');
  const wipeMeta = db.prepare('DELETE FROM snapshot_meta');
  return {
    store,
    wipe: () => {
      wipe.run();
      wipeMeta.run();
    },
    close: () => {
      store.close();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const snapshotStore: FuzzTarget<{ full: Uint8Array; delta: Uint8Array | null }, unknown> = {
  name: 'snapshot-store',
  input: 'a full snapshot then a delta, mutated and re-signed, applied to a store and looked up',
  arbitrary: fc.record({
    full: fc.oneof({ weight: 3, arbitrary: snapshotBytes }, { weight: 1, arbitrary: mutatedSnapshot }),
    delta: fc.option(mutatedSnapshot),
  }),
  codes: ['SNAPSHOT_INVALID', 'SNAPSHOT_SIGNATURE_INVALID', 'SNAPSHOT_SEQUENCE_MISMATCH'],
  setup: async () => {
    storeFixture ??= await openStoreFixture();
  },
  teardown: () => {
    storeFixture?.close();
    storeFixture = undefined;
  },
  run: ({ full, delta }) => {
    const { store, wipe } = storeFixture!;
    // A store only takes snapshots newer than the one it holds: each case starts from an empty store,
    // so that it does not depend on the cases before it.
    wipe();
    const looked: Array<{ expected: unknown; got: unknown }> = [];
    let info: unknown = null;
    for (const bytes of delta === null ? [full] : [full, delta]) {
      let result: { count: number };
      try {
        result = store.apply(bytes, { publicKeys: snapshotPublicKey });
      } catch (error) {
        if (bytes === full) throw error;
        expectTyped(error, snapshotStore.codes, 'apply(delta)');
        break;
      }
      const header = parseSnapshotHeader(bytes);
      if (typeof result.count !== 'number') violation('apply result without a count');
      info = store.info();
      for (let i = 0; i < header.recordCount; i++) {
        const record = decodeSnapshotRecord(bytes, header, i);
        looked.push({ expected: record, got: store.lookup(record.pseudonym) });
      }
    }
    return { looked, info };
  },
  check: (output) => {
    const { looked, info } = output as {
      looked: Array<{
        expected: { tier: unknown; lists: unknown };
        got: { tier: unknown; lists: unknown } | null;
      }>;
      info: { generatedAt: string } | null;
    };
    for (const { expected, got } of looked) {
      if (got === null) violation('an applied record is not found');
      if (
        JSON.stringify(got.tier) !== JSON.stringify(expected.tier) ||
        JSON.stringify(got.lists) !== JSON.stringify(expected.lists)
      ) {
        violation(`lookup returns ${JSON.stringify(got)} for the record ${JSON.stringify(expected)}`);
      }
    }
    if (info !== null) expectIsoTime(info.generatedAt, 'info().generatedAt');
  },
  ciRuns: 400,
};
