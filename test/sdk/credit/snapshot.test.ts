import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type BuildSnapshotOptions,
  buildDelta,
  buildSnapshot,
  createSnapshotResolver,
  decodeSnapshotRecord,
  loadSqliteDriver,
  openSnapshotStore,
  parseSnapshotHeader,
  SNAPSHOT_RECORD_BYTES,
  type SnapshotApplyProgress,
  type SnapshotRecord,
  type SnapshotStore,
  verifySnapshot,
} from '../../../sdk/credit/index.js';
import { TIER_CODES } from '../../../sdk/domain/tiers.js';
import { isXinyiError } from '../../../sdk/errors.js';
import { createPseudonymizer } from '../../../sdk/identity/index.js';
import type { CreditLookup } from '../../../sdk/terminal/credit-resolver.js';
import { generatePopulation } from '../../../simulator/population.js';
import { runNode } from '../../cli/run-node.js';

// Synthetic subjects only: generatePopulation people pseudonymised with a test key, or random bytes.
const pseudonymizer = createPseudonymizer('snapshot-test-pseudonym-key-0123456789');
const people = generatePopulation(2000, 'snapshot-test');
const records: SnapshotRecord[] = people.map((p) => ({
  pseudonym: pseudonymizer.pseudonymize(p.idNumber),
  tier: p.tier,
  lists: p.lists,
}));
const GENERATED_AT = Date.parse('2026-11-26T02:00:00Z');
const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const other = generateKeyPairSync('ed25519');
const opts = (sequence: number, extra: Partial<BuildSnapshotOptions> = {}): BuildSnapshotOptions => ({
  privateKey,
  sequence,
  generatedAt: GENERATED_AT,
  ...extra,
});

function randomRecords(n: number, tierOf: (i: number) => number): SnapshotRecord[] {
  const out: SnapshotRecord[] = [];
  for (let i = 0; i < n; i++) out.push({ pseudonym: randomBytes(16), tier: TIER_CODES[tierOf(i) % 6]! });
  return out;
}

let dir: string;
const stores: SnapshotStore[] = [];
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'xinyi-snapshot-'));
});
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});
let dbCounter = 0;
async function freshStore(progressEvery?: number): Promise<SnapshotStore> {
  const path = join(dir, `store-${++dbCounter}.sqlite`);
  const store = await openSnapshotStore(progressEvery === undefined ? { path } : { path, progressEvery });
  stores.push(store);
  return store;
}
function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return isXinyiError(error) ? error.code : `non-xinyi: ${String(error)}`;
  }
  return undefined;
}

describe('snapshot format', () => {
  it('builds a verifiable snapshot with fixed-size sorted records and a header', () => {
    const bytes = buildSnapshot(records, opts(7));
    const result = verifySnapshot(bytes, publicKey);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const h = result.header;
    expect(h).toMatchObject({ kind: 'full', sequence: 7, baseSequence: 0, generatedAt: GENERATED_AT });
    expect(h.recordCount).toBe(records.length);
    expect(h.tierSchemeId).toBe('shandong-1000');
    expect(bytes.length).toBe(h.recordsOffset + records.length * SNAPSHOT_RECORD_BYTES + 64);
    const seen = new Set<string>();
    let previous = '';
    for (let i = 0; i < h.recordCount; i++) {
      const r = decodeSnapshotRecord(bytes, h, i);
      const hex = Buffer.from(r.pseudonym, 'base64url').toString('hex');
      expect(hex > previous).toBe(true);
      previous = hex;
      seen.add(r.pseudonym);
    }
    const first = records[0]!;
    expect(seen.has(first.pseudonym as string)).toBe(true);
    // The snapshot carries pseudonyms only: no ID number appears in it.
    const text = bytes.toString('latin1');
    for (const p of people.slice(0, 50)) expect(text.includes(p.idNumber)).toBe(false);
  });

  it('refuses a tampered, truncated, foreign or wrongly signed snapshot with a typed reason', () => {
    const bytes = buildSnapshot(records, opts(1));
    const h = parseSnapshotHeader(bytes);
    const tampered = Buffer.from(bytes);
    tampered[h.recordsOffset + 5 * SNAPSHOT_RECORD_BYTES + 16]! ^= 1;
    expect(verifySnapshot(tampered, publicKey)).toMatchObject({ ok: false, reason: 'bad-signature' });
    const tamperedHeader = Buffer.from(bytes);
    tamperedHeader[15]! ^= 1; // sequence
    expect(verifySnapshot(tamperedHeader, publicKey)).toMatchObject({ ok: false, reason: 'bad-signature' });
    expect(verifySnapshot(bytes.subarray(0, bytes.length - 1), publicKey)).toMatchObject({
      ok: false,
      reason: 'truncated',
    });
    expect(verifySnapshot(bytes.subarray(0, 30), publicKey)).toMatchObject({ reason: 'truncated' });
    expect(verifySnapshot(Buffer.concat([bytes, Buffer.alloc(1)]), publicKey)).toMatchObject({
      reason: 'wrong-format',
    });
    const foreign = Buffer.from(bytes);
    foreign.write('PK', 0, 'latin1');
    expect(verifySnapshot(foreign, publicKey)).toMatchObject({ reason: 'wrong-format' });
    const future = Buffer.from(bytes);
    future[4] = 3;
    expect(verifySnapshot(future, publicKey)).toMatchObject({ reason: 'unsupported-version' });
    expect(verifySnapshot(bytes, other.publicKey)).toMatchObject({ ok: false, reason: 'bad-signature' });
    // Key rotation: any trusted key may verify; raw 32-byte and PEM keys are accepted.
    const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
    expect(verifySnapshot(bytes, [other.publicKey, raw])).toMatchObject({ ok: true, keyIndex: 1 });
    const pem = publicKey.export({ format: 'pem', type: 'spki' }).toString();
    expect(verifySnapshot(bytes, pem).ok).toBe(true);
  });

  it('refuses a signed header whose generatedAt no Date holds, or whose list domain holds "," (fuzz)', async () => {
    const resign = (b: Buffer): Buffer => {
      const end = b.length - 64;
      sign(null, createHash('sha256').update(b.subarray(0, end)).digest(), privateKey).copy(b, end);
      return b;
    };
    const bytes = buildSnapshot([{ ...records[0]!, lists: [{ kind: 'black', domain: 'abc' }] }], opts(1));
    const late = Buffer.from(bytes);
    late.writeBigUInt64BE(8_640_000_000_000_001n, 28);
    // Before the fix the store applied it, then every info() and lookup threw a RangeError.
    const commaDomain = Buffer.from(bytes);
    commaDomain.write('a,c', commaDomain.indexOf('abc'), 'latin1');
    const store = await freshStore();
    for (const bad of [resign(late), resign(commaDomain)]) {
      expect(verifySnapshot(bad, publicKey)).toMatchObject({ ok: false, reason: 'wrong-format' });
      expect(code(() => store.apply(bad, { publicKeys: publicKey }))).toBe('SNAPSHOT_INVALID');
    }
    expect(store.info()).toBeNull();
    expect(code(() => buildSnapshot(records, opts(1, { generatedAt: 8.64e15 + 1 })))).toBe('INVALID_OPTIONS');
  });

  it('refuses bad builder input', () => {
    const one = records[0]!;
    expect(code(() => buildSnapshot([one, { ...one, tier: 'D' }], opts(1)))).toBe('INVALID_ARGUMENT');
    expect(code(() => buildSnapshot([{ pseudonym: 'not-a-pseudonym', tier: 'A' }], opts(1)))).toBe(
      'INVALID_ARGUMENT',
    );
    expect(code(() => buildSnapshot(records, opts(0)))).toBe('INVALID_OPTIONS');
    expect(code(() => buildSnapshot(records, { ...opts(1), privateKey: other.publicKey }))).toBe(
      'INVALID_OPTIONS',
    );
    expect(
      code(() => buildDelta({ upserts: [one], deletions: [one.pseudonym] }, { ...opts(2), baseSequence: 1 })),
    ).toBe('INVALID_ARGUMENT');
    expect(code(() => buildDelta({ upserts: [] }, { ...opts(2), baseSequence: 2 }))).toBe('INVALID_OPTIONS');
  });
});

describe('snapshot store', () => {
  it('applies a verified snapshot and looks subjects up by pseudonym', async () => {
    const store = await freshStore();
    expect(store.info()).toBeNull();
    expect(store.lookup(records[0]!.pseudonym as string)).toBeNull();
    const result = store.apply(buildSnapshot(records, opts(1)), { publicKeys: publicKey });
    expect(result).toMatchObject({
      kind: 'full',
      sequence: 1,
      count: records.length,
      upserted: records.length,
    });
    expect(store.info()).toMatchObject({
      sequence: 1,
      count: records.length,
      generatedAt: new Date(GENERATED_AT).toISOString(),
      tierSchemeId: 'shandong-1000',
    });
    for (const [i, p] of people.entries()) {
      if (i % 7 !== 0) continue;
      const found = store.lookup(pseudonymizer.pseudonymize(p.idNumber));
      expect(found).toEqual({
        tier: p.tier,
        lists: p.lists,
        subjectType: 'person',
        asOf: new Date(GENERATED_AT).toISOString(),
      });
    }
    const withDomain = people.find((p) => p.lists.some((l) => l.domain !== undefined));
    expect(withDomain).toBeDefined();
    expect(store.lookup(pseudonymizer.pseudonymize(withDomain!.idNumber))?.lists).toEqual(withDomain!.lists);
    expect(store.lookup(randomBytes(16).toString('base64url'))).toBeNull();
    expect(store.lookup('short')).toBeNull();
    // Returned lists are copies: mutating one does not change the next lookup.
    const listed = people.find((p) => p.lists.length > 0)!;
    store.lookup(pseudonymizer.pseudonymize(listed.idNumber))!.lists.push({ kind: 'red' });
    expect(store.lookup(pseudonymizer.pseudonymize(listed.idNumber))!.lists).toEqual(listed.lists);
  });

  it('refuses a tampered or stale snapshot and keeps the previous one untouched', async () => {
    const store = await freshStore();
    store.apply(buildSnapshot(records, opts(2)), { publicKeys: publicKey });
    const before = store.info();
    const probe = pseudonymizer.pseudonymize(people[3]!.idNumber);
    const beforeProbe = store.lookup(probe);

    const replacement = buildSnapshot(
      randomRecords(500, (i) => i),
      opts(3),
    );
    const tampered = Buffer.from(replacement);
    tampered[tampered.length - 100]! ^= 0x80;
    expect(code(() => store.apply(tampered, { publicKeys: publicKey }))).toBe('SNAPSHOT_SIGNATURE_INVALID');
    expect(code(() => store.apply(replacement.subarray(0, 200), { publicKeys: publicKey }))).toBe(
      'SNAPSHOT_INVALID',
    );
    expect(code(() => store.apply(replacement, { publicKeys: other.publicKey }))).toBe(
      'SNAPSHOT_SIGNATURE_INVALID',
    );
    // A validly signed but older (or equal) snapshot is a rollback: refused.
    const older = buildSnapshot(
      randomRecords(10, (i) => i),
      opts(2),
    );
    expect(code(() => store.apply(older, { publicKeys: publicKey }))).toBe('SNAPSHOT_SEQUENCE_MISMATCH');
    expect(store.info()).toEqual(before);
    expect(store.lookup(probe)).toEqual(beforeProbe);

    // A progress callback that throws aborts mid-transaction: rolled back, previous snapshot stays.
    const aborted = new Error('abort');
    expect(() =>
      store.apply(replacement, {
        publicKeys: publicKey,
        progressEvery: 100,
        onProgress: (p) => {
          if (p.phase === 'applying' && p.done >= 300) throw aborted;
        },
      }),
    ).toThrow(aborted);
    expect(store.info()).toEqual(before);
    expect(store.lookup(probe)).toEqual(beforeProbe);
    store.apply(replacement, { publicKeys: publicKey });
    expect(store.info()).toMatchObject({ sequence: 3, count: 500 });
    expect(store.lookup(probe)).toBeNull();
  });

  it('applies a delta on its base sequence only', async () => {
    const store = await freshStore();
    store.apply(buildSnapshot(records, opts(1)), { publicKeys: publicKey });
    const changed = people[10]!;
    const removed = people[11]!;
    const added = randomBytes(16).toString('base64url');
    const laterAt = GENERATED_AT + 3_600_000;
    const delta = buildDelta(
      {
        upserts: [
          {
            pseudonym: pseudonymizer.pseudonymize(changed.idNumber),
            tier: 'C',
            lists: [{ kind: 'black', domain: 'tourism' }],
          },
          { pseudonym: added, tier: 'AAA', lists: [{ kind: 'red' }] },
        ],
        deletions: [pseudonymizer.pseudonymize(removed.idNumber), randomBytes(16)],
      },
      { ...opts(3, { generatedAt: laterAt }), baseSequence: 2 },
    );
    expect(verifySnapshot(delta, publicKey)).toMatchObject({
      ok: true,
      header: { kind: 'delta', baseSequence: 2, sequence: 3, recordCount: 2, deletionCount: 2 },
    });
    expect(code(() => store.apply(delta, { publicKeys: publicKey }))).toBe('SNAPSHOT_SEQUENCE_MISMATCH');
    expect(store.info()).toMatchObject({ sequence: 1, count: records.length });

    const good = buildDelta(
      {
        upserts: [
          {
            pseudonym: pseudonymizer.pseudonymize(changed.idNumber),
            tier: 'C',
            lists: [{ kind: 'black', domain: 'tourism' }],
          },
          { pseudonym: added, tier: 'AAA', lists: [{ kind: 'red' }] },
        ],
        deletions: [pseudonymizer.pseudonymize(removed.idNumber), randomBytes(16)],
      },
      { ...opts(2, { generatedAt: laterAt }), baseSequence: 1 },
    );
    expect(store.apply(good, { publicKeys: publicKey })).toMatchObject({
      kind: 'delta',
      sequence: 2,
      count: records.length, // one added, one removed, one unknown deletion ignored
      upserted: 2,
      deleted: 1,
    });
    const asOf = new Date(laterAt).toISOString();
    expect(store.info()).toMatchObject({ sequence: 2, count: records.length, generatedAt: asOf });
    expect(store.lookup(pseudonymizer.pseudonymize(changed.idNumber))).toEqual({
      tier: 'C',
      lists: [{ kind: 'black', domain: 'tourism' }],
      subjectType: 'person',
      asOf,
    });
    expect(store.lookup(added)).toEqual({
      tier: 'AAA',
      lists: [{ kind: 'red' }],
      subjectType: 'person',
      asOf,
    });
    expect(store.lookup(pseudonymizer.pseudonymize(removed.idNumber))).toBeNull();
    // Applying the same delta again is refused: its base is no longer current.
    expect(code(() => store.apply(good, { publicKeys: publicKey }))).toBe('SNAPSHOT_SEQUENCE_MISMATCH');
    // A delta on an empty store is refused.
    const empty = await freshStore();
    expect(code(() => empty.apply(good, { publicKeys: publicKey }))).toBe('SNAPSHOT_SEQUENCE_MISMATCH');
  });

  it('reports progress while applying', async () => {
    const store = await freshStore(250);
    const events: SnapshotApplyProgress[] = [];
    store.apply(buildSnapshot(records, opts(1)), {
      publicKeys: publicKey,
      onProgress: (p) => events.push(p),
    });
    expect(events.map((e) => e.phase)).toEqual([
      'verified',
      'applying',
      ...Array.from({ length: records.length / 250 }, () => 'applying'),
      'committed',
    ]);
    expect(events.filter((e) => e.phase === 'applying').map((e) => e.done)).toEqual(
      Array.from({ length: records.length / 250 + 1 }, (_, i) => i * 250),
    );
    for (const e of events) expect(e).toMatchObject({ kind: 'full', sequence: 1, total: records.length });
  });

  it('persists across reopen, in WAL mode with synchronous FULL', async () => {
    const path = join(dir, 'reopen.sqlite');
    const a = await openSnapshotStore({ path });
    a.apply(buildSnapshot(records, opts(5)), { publicKeys: publicKey });
    a.close();
    expect(() => a.lookup('x')).toThrow(/closed/);
    const b = await openSnapshotStore({ path });
    stores.push(b);
    expect(b.info()).toMatchObject({ sequence: 5, count: records.length });
    const db = new Database(path, { readonly: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      db.close();
    }
  });

  it('sees what another connection applied, and checks sequences under the write lock', async () => {
    const path = join(dir, 'shared.sqlite');
    const a = await openSnapshotStore({ path });
    const b = await openSnapshotStore({ path });
    stores.push(a, b);
    a.apply(buildSnapshot(records, opts(1)), { publicKeys: publicKey });
    expect(b.info()).toMatchObject({ sequence: 1, count: records.length });
    const probe = pseudonymizer.pseudonymize(people[0]!.idNumber);
    expect(b.lookup(probe)?.tier).toBe(people[0]!.tier);
    const delta = buildDelta(
      { upserts: [{ pseudonym: probe, tier: 'D' }] },
      { ...opts(2, { generatedAt: GENERATED_AT + 1000 }), baseSequence: 1 },
    );
    b.apply(delta, { publicKeys: publicKey });
    expect(a.lookup(probe)).toEqual({
      tier: 'D',
      lists: [],
      subjectType: 'person',
      asOf: new Date(GENERATED_AT + 1000).toISOString(),
    });
    // The same delta through the other connection is now based on a stale sequence.
    expect(code(() => a.apply(delta, { publicKeys: publicKey }))).toBe('SNAPSHOT_SEQUENCE_MISMATCH');
  });

  it('fails with NATIVE_MODULE_UNAVAILABLE or STORE_UNAVAILABLE, never a raw error', async () => {
    await expect(loadSqliteDriver('xinyi-no-such-sqlite-module')).rejects.toMatchObject({
      code: 'NATIVE_MODULE_UNAVAILABLE',
    });
    await expect(
      openSnapshotStore({ path: join(dir, 'x.sqlite'), driverSpecifier: 'xinyi-no-such-sqlite-module' }),
    ).rejects.toMatchObject({ code: 'NATIVE_MODULE_UNAVAILABLE' });
    await expect(openSnapshotStore({ path: join(dir, 'missing-dir', 'x.sqlite') })).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
    });
    const notDb = join(dir, 'not-a-db.sqlite');
    writeFileSync(notDb, Buffer.alloc(4096, 7));
    await expect(openSnapshotStore({ path: notDb })).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
  });

  it('importing the SDK core does not load better-sqlite3; opening a store does', async () => {
    const entry = fileURLToPath(new URL('../../../sdk/index.ts', import.meta.url));
    const script = `
      import { createRequire } from 'node:module';
      const mod = await import(${JSON.stringify(entry)});
      const req = createRequire(${JSON.stringify(entry)});
      const loaded = () => Object.keys(req.cache).some((k) => k.includes('better-sqlite3'));
      const before = loaded();
      const store = await mod.openSnapshotStore({ path: ${JSON.stringify(join(dir, 'lazy.sqlite'))} });
      const after = loaded();
      store.close();
      console.log(JSON.stringify({ before, after }));`;
    const out = await runNode(['--import', 'tsx', '--input-type=module', '-e', script]);
    expect(out.stderr).toBe('');
    expect(JSON.parse(out.stdout.trim())).toEqual({ before: false, after: true });
  });
});

describe('organisations in a snapshot (format version 2)', () => {
  const resign = (b: Buffer): Buffer => {
    const end = b.length - 64;
    sign(null, createHash('sha256').update(b.subarray(0, end)).digest(), privateKey).copy(b, end);
    return b;
  };
  const zero = Buffer.alloc(16);
  const one = Buffer.alloc(16, 1);

  it('marks an organisation in the high bit of the subject byte, and only then writes version 2', () => {
    const persons = buildSnapshot([{ pseudonym: zero, tier: 'AA' }], opts(1));
    expect(persons[4]).toBe(1);
    const h1 = parseSnapshotHeader(persons);
    expect(h1.formatVersion).toBe(1);
    expect(persons[h1.recordsOffset + 16]).toBe(0x05);

    const mixed = buildSnapshot(
      [
        { pseudonym: one, tier: 'AA', subjectType: 'organisation' },
        { pseudonym: zero, tier: null, subjectType: 'person' },
      ],
      opts(2),
    );
    expect(mixed[4]).toBe(2);
    const h2 = parseSnapshotHeader(mixed);
    // Sorted by pseudonym: the person (zeros) first, with no tier; the organisation AA = 0x80 | 5.
    expect(mixed.subarray(h2.recordsOffset + 16, h2.recordsOffset + 18)).toEqual(Buffer.from([0x00, 0x00]));
    expect(mixed[h2.recordsOffset + SNAPSHOT_RECORD_BYTES + 16]).toBe(0x85);
    expect(decodeSnapshotRecord(mixed, h2, 1)).toEqual({
      pseudonym: one.toString('base64url'),
      tier: 'AA',
      lists: [],
      subjectType: 'organisation',
    });
    expect(decodeSnapshotRecord(mixed, h2, 0)).toMatchObject({ tier: null, subjectType: 'person' });
    expect(
      code(() => buildSnapshot([{ pseudonym: one, tier: 'A', subjectType: 'company' as never }], opts(1))),
    ).toBe('INVALID_ARGUMENT');
  });

  it('refuses the organisation bit in a version-1 snapshot, even signed', async () => {
    const bytes = Buffer.from(buildSnapshot([{ pseudonym: zero, tier: 'AA' }], opts(1)));
    const h = parseSnapshotHeader(bytes);
    bytes[h.recordsOffset + 16] = 0x85;
    const forged = resign(bytes);
    expect(verifySnapshot(forged, publicKey).ok).toBe(true);
    expect(code(() => decodeSnapshotRecord(forged, h, 0))).toBe('SNAPSHOT_INVALID');
    const store = await freshStore();
    expect(code(() => store.apply(forged, { publicKeys: publicKey }))).toBe('SNAPSHOT_INVALID');
    expect(store.info()).toBeNull();
  });

  it('a store keeps organisations apart, and the resolver says whom a standing is about', async () => {
    const store = await freshStore();
    store.apply(buildSnapshot(records, opts(1)), { publicKeys: publicKey });
    // A delta adding an organisation is version 2 and applies on top of a version-1 snapshot.
    const delta = buildDelta(
      { upserts: [{ pseudonym: one, tier: 'AAA', lists: [{ kind: 'red' }], subjectType: 'organisation' }] },
      { ...opts(2), baseSequence: 1 },
    );
    expect(delta[4]).toBe(2);
    store.apply(delta, { publicKeys: publicKey });
    expect(store.lookup(one.toString('base64url'))).toEqual({
      tier: 'AAA',
      lists: [{ kind: 'red' }],
      subjectType: 'organisation',
      asOf: new Date(GENERATED_AT).toISOString(),
    });
    expect(store.lookup(records[0]!.pseudonym as string)).toMatchObject({ subjectType: 'person' });
    const resolver = createSnapshotResolver(store);
    const standing = await resolver.resolve({
      subject: {
        pseudonym: one.toString('base64url'),
        masked: '9****************R',
        kind: 'organisation-code',
      },
      scene: 'bank-counter',
      terminalId: 't1',
      signal: new AbortController().signal,
      deadlineAt: Date.now() + 1000,
    });
    expect(standing).toMatchObject({ tier: 'AAA', source: 'snapshot', subjectType: 'organisation' });
  });
});

describe('snapshot resolver', () => {
  it("answers as the 'snapshot' source with the snapshot's generation time", async () => {
    const store = await freshStore();
    store.apply(buildSnapshot(records, opts(1)), { publicKeys: publicKey });
    const resolver = createSnapshotResolver(store);
    expect(resolver.name).toBe('snapshot');
    const person = people[42]!;
    const base: Omit<CreditLookup, 'subject'> = {
      scene: 'library-kiosk',
      terminalId: 't1',
      signal: new AbortController().signal,
      deadlineAt: Date.now() + 1000,
    };
    const subject = {
      pseudonym: pseudonymizer.pseudonymize(person.idNumber),
      masked: 'x',
      kind: 'id-number' as const,
    };
    await expect(resolver.resolve({ ...base, subject })).resolves.toEqual({
      tier: person.tier,
      lists: person.lists,
      source: 'snapshot',
      asOf: new Date(GENERATED_AT).toISOString(),
      subjectType: 'person',
    });
    await expect(
      resolver.resolve({
        ...base,
        subject: { ...subject, pseudonym: randomBytes(16).toString('base64url') },
      }),
    ).resolves.toBeNull();
    await expect(resolver.resolve(base)).resolves.toBeNull();
    store.close();
    await expect(resolver.resolve({ ...base, subject })).rejects.toMatchObject({ code: 'CLOSED' });
  });
});
