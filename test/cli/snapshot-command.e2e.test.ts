// `xinyi snapshot apply` as an operator runs it on a terminal: a child process applying a signed
// 100 000-record snapshot, with progress on stderr.
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildDelta, buildSnapshot, type SnapshotRecord } from '../../sdk/credit/snapshot-format.js';
import { loadSqliteDriver, openSnapshotStore } from '../../sdk/credit/snapshot-store.js';
import { TIER_CODES } from '../../sdk/domain/tiers.js';
import { runXinyi } from './run-xinyi.js';

const sqlite = await loadSqliteDriver().then(
  () => true,
  () => false,
);
const dir = mkdtempSync(join(tmpdir(), 'xinyi-snapshot-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const COUNT = 100_000;
const pem = (
  key: { export(o: { type: 'spki' | 'pkcs8'; format: 'pem' }): string | Buffer },
  type: 'spki' | 'pkcs8',
) => key.export({ type, format: 'pem' }).toString();

describe.skipIf(!sqlite)('xinyi snapshot apply', () => {
  const signing = generateKeyPairSync('ed25519');
  const other = generateKeyPairSync('ed25519');
  const publicKeyFile = join(dir, 'snapshot-public.pem');
  const otherKeyFile = join(dir, 'other-public.pem');
  writeFileSync(publicKeyFile, pem(signing.publicKey, 'spki'));
  writeFileSync(otherKeyFile, pem(other.publicKey, 'spki'));
  const db = join(dir, 'snapshot.sqlite');
  const generatedAt = Date.parse('2026-11-26T03:00:00+08:00');

  const records: SnapshotRecord[] = [];
  for (let i = 0; i < COUNT; i++) {
    records.push({
      pseudonym: createHash('sha256').update(`subject-${i}`).digest().subarray(0, 16),
      tier: i % 97 === 0 ? null : TIER_CODES[i % TIER_CODES.length]!,
      lists: i % 1000 === 7 ? [{ kind: 'black', domain: 'tourism' }] : [],
    });
  }
  const snapshotFile = join(dir, 'full-1.snap');
  writeFileSync(
    snapshotFile,
    buildSnapshot(records, {
      privateKey: pem(signing.privateKey, 'pkcs8'),
      sequence: 1,
      generatedAt,
      expectedCount: COUNT,
    }),
  );

  it('applies 100 000 records, with progress as plain lines when stderr is not a terminal', async () => {
    const run = await runXinyi([
      'snapshot',
      'apply',
      snapshotFile,
      '--db',
      db,
      '--public-key',
      publicKeyFile,
    ]);
    expect(run.code).toBe(0);
    expect(run.stderr).not.toContain('\r');
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe('signature verified: full snapshot #1, 100,000 records');
    expect(lines.at(-1)).toBe('committed 100,000 / 100,000 (100%)');
    const applying = lines.slice(1, -1);
    expect(applying).toHaveLength(11);
    const done = applying.map((l) => {
      const m = /^applying ([\d,]+) \/ 100,000 \((\d+)%\)$/.exec(l);
      if (!m) throw new Error(`unexpected progress line: ${l}`);
      return Number(m[1]!.replaceAll(',', ''));
    });
    expect(done).toEqual([
      0, 10_000, 20_000, 30_000, 40_000, 50_000, 60_000, 70_000, 80_000, 90_000, 100_000,
    ]);
    expect(run.stdout).toMatch(
      /^applied full snapshot #1 to .*snapshot\.sqlite: 100,000 subjects \(100,000 written, 0 deleted\) in [\d.]+ s\n$/,
    );

    const store = await openSnapshotStore({ path: db });
    try {
      expect(store.info()).toMatchObject({
        sequence: 1,
        count: COUNT,
        generatedAt: new Date(generatedAt).toISOString(),
      });
      const sample = records[7_007]!;
      expect(store.lookup(Buffer.from(sample.pseudonym as Uint8Array).toString('base64url'))).toEqual({
        tier: sample.tier,
        lists: [{ kind: 'black', domain: 'tourism' }],
        subjectType: 'person',
        asOf: new Date(generatedAt).toISOString(),
      });
    } finally {
      store.close();
    }

    const info = await runXinyi(['snapshot', 'info', '--db', db]);
    expect(info.code).toBe(0);
    expect(JSON.parse(info.stdout)).toMatchObject({ sequence: 1, count: COUNT });
  }, 60_000);

  it('refuses a delta signed by another key in one line, exit code 1, and keeps the applied snapshot', async () => {
    const delta = join(dir, 'delta-2.snap');
    writeFileSync(
      delta,
      buildDelta(
        { upserts: [{ pseudonym: records[0]!.pseudonym, tier: 'D' }] },
        { privateKey: pem(other.privateKey, 'pkcs8'), sequence: 2, baseSequence: 1, generatedAt },
      ),
    );
    const run = await runXinyi(['snapshot', 'apply', delta, '--db', db, '--public-key', publicKeyFile]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^xinyi: SNAPSHOT_SIGNATURE_INVALID: [^\n]+\n$/);

    const accepted = await runXinyi([
      'snapshot',
      'apply',
      delta,
      '--db',
      db,
      '--public-key',
      publicKeyFile,
      '--public-key',
      otherKeyFile,
      '--json',
    ]);
    expect(accepted.code).toBe(0);
    expect(JSON.parse(accepted.stdout)).toMatchObject({
      kind: 'delta',
      sequence: 2,
      count: COUNT,
      upserted: 1,
    });
  }, 60_000);

  it("a store held open (the daemon's) answers from a snapshot another process applied, at once", async () => {
    const daemonStore = await openSnapshotStore({ path: db });
    try {
      const subject = records[42]!;
      const pseudonym = Buffer.from(subject.pseudonym as Uint8Array).toString('base64url');
      const before = daemonStore.lookup(pseudonym);
      expect(before?.tier).toBe(subject.tier);
      const sequence = daemonStore.info()!.sequence;
      const later = generatedAt + 3_600_000;
      const delta = join(dir, 'delta-open-store.snap');
      writeFileSync(
        delta,
        buildDelta(
          { upserts: [{ pseudonym, tier: 'D', lists: [{ kind: 'black' }] }] },
          {
            privateKey: pem(signing.privateKey, 'pkcs8'),
            sequence: sequence + 1,
            baseSequence: sequence,
            generatedAt: later,
          },
        ),
      );
      const run = await runXinyi(['snapshot', 'apply', delta, '--db', db, '--public-key', publicKeyFile]);
      expect(run.code).toBe(0);
      // No reopen, no wait: the very next lookup has the new standing with the new snapshot's time.
      expect(daemonStore.lookup(pseudonym)).toEqual({
        tier: 'D',
        lists: [{ kind: 'black' }],
        subjectType: 'person',
        asOf: new Date(later).toISOString(),
      });
      const untouched = Buffer.from(records[43]!.pseudonym as Uint8Array).toString('base64url');
      expect(daemonStore.lookup(untouched)?.asOf).toBe(new Date(later).toISOString());
      expect(daemonStore.info()).toMatchObject({ sequence: sequence + 1, count: COUNT });
    } finally {
      daemonStore.close();
    }
  }, 60_000);
});
