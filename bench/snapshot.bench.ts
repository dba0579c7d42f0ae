// `npm run bench`: the offline credit snapshot at city scale. 1,000,000 synthetic subjects (random
// pseudonyms, never real IDs): build, verify and apply time, database size, lookup latency and peak RSS,
// against a baseline of the same subjects in an in-memory Map.
import { createCipheriv, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  buildDelta,
  buildSnapshot,
  openSnapshotStore,
  type SnapshotRecord,
  verifySnapshot,
} from '../sdk/credit/index.js';
import type { ListMembership } from '../sdk/domain/standing.js';
import { TIER_CODES } from '../sdk/domain/tiers.js';
import { fmt, percentile } from './stats.js';

const SUBJECTS = 1_000_000;
const LOOKUPS = 100_000;
const KEY = Buffer.from('xinyi-snapshot-bench-key-000000').subarray(0, 16);

/** Pseudonym bytes of subjects `from`..`from + count - 1`: AES-128 of the index, so unique and uniform. */
function pseudonyms(from: number, count: number): Buffer {
  return pseudonymsOf(Array.from({ length: count }, (_, i) => from + i));
}

function pseudonymsOf(indices: readonly number[]): Buffer {
  const counters = Buffer.alloc(indices.length * 16);
  for (let i = 0; i < indices.length; i++) counters.writeUInt32BE(indices[i]!, i * 16 + 12);
  const cipher = createCipheriv('aes-128-ecb', KEY, null);
  cipher.setAutoPadding(false);
  return cipher.update(counters);
}

const BLACK: ListMembership[] = [{ kind: 'black' }];
const BLACK_TOURISM: ListMembership[] = [{ kind: 'black', domain: 'tourism' }];
const RED: ListMembership[] = [{ kind: 'red' }];
const KEY_ATTENTION: ListMembership[] = [{ kind: 'key-attention' }];
const NONE: ListMembership[] = [];
function listsOf(i: number): ListMembership[] {
  const u = (Math.imul(i, 2654435761) >>> 0) % 1000;
  return u < 15 ? BLACK : u < 30 ? BLACK_TOURISM : u < 50 ? RED : u < 60 ? KEY_ATTENTION : NONE;
}

function* population(count: number): Generator<SnapshotRecord> {
  const CHUNK = 65_536;
  for (let from = 0; from < count; from += CHUNK) {
    const n = Math.min(CHUNK, count - from);
    const bytes = pseudonyms(from, n);
    for (let j = 0; j < n; j++) {
      const i = from + j;
      yield { pseudonym: bytes.subarray(j * 16, j * 16 + 16), tier: TIER_CODES[i % 6]!, lists: listsOf(i) };
    }
  }
}

function dirBytes(dir: string): number {
  return readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
}

function latencies(fn: (i: number) => unknown, keys: readonly string[]): { p50: number; p99: number } {
  for (let i = 0; i < 10_000; i++) fn(i % keys.length);
  const samples = new Float64Array(keys.length);
  for (let i = 0; i < keys.length; i++) {
    const t = performance.now();
    fn(i);
    samples[i] = performance.now() - t;
  }
  const sorted = Array.from(samples.sort());
  return { p50: percentile(sorted, 50) * 1000, p99: percentile(sorted, 99) * 1000 };
}

export async function runSnapshotBench(): Promise<void> {
  console.log(`offline snapshot — ${fmt(SUBJECTS)} synthetic subjects, SQLite (better-sqlite3, WAL)`);
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const dir = mkdtempSync(join(tmpdir(), 'xinyi-snapshot-bench-'));
  try {
    const generatedAt = Date.now();
    let t = performance.now();
    const snapshot = buildSnapshot(population(SUBJECTS), {
      privateKey,
      sequence: 1,
      generatedAt,
      expectedCount: SUBJECTS,
    });
    const buildMs = performance.now() - t;

    t = performance.now();
    const verified = verifySnapshot(snapshot, publicKey);
    const verifyMs = performance.now() - t;
    if (!verified.ok) throw new Error(`bench snapshot refused: ${verified.reason}`);

    const store = await openSnapshotStore({ path: join(dir, 'snapshot.sqlite') });
    t = performance.now();
    let halfwayMs = 0;
    store.apply(snapshot, {
      publicKeys: publicKey,
      progressEvery: 100_000,
      onProgress: (p) => {
        if (p.phase === 'applying' && p.done === SUBJECTS / 2) halfwayMs = performance.now() - t;
      },
    });
    const applyMs = performance.now() - t;
    const dbBytes = dirBytes(dir);

    // 100k lookups: 90% known subjects at random, 10% unknown pseudonyms.
    const indices = Array.from({ length: LOOKUPS }, (_, i) =>
      i % 10 === 9 ? SUBJECTS + i : (Math.imul(i + 1, 2246822519) >>> 0) % SUBJECTS,
    );
    const keyBytes = pseudonymsOf(indices);
    const keys = indices.map((_, i) => keyBytes.toString('base64url', i * 16, i * 16 + 16));
    const snap = latencies((i) => store.lookup(keys[i]!), keys);
    const hits = keys.reduce((n, k) => n + (store.lookup(k) === null ? 0 : 1), 0);

    t = performance.now();
    const delta = buildDelta(
      {
        upserts: (function* () {
          const bytes = pseudonyms(0, 10_000);
          for (let j = 0; j < 10_000; j++) {
            yield { pseudonym: bytes.subarray(j * 16, j * 16 + 16), tier: 'D' as const, lists: BLACK };
          }
        })(),
        deletions: (function* () {
          const bytes = pseudonyms(500_000, 1_000);
          for (let j = 0; j < 1_000; j++) yield bytes.subarray(j * 16, j * 16 + 16);
        })(),
      },
      { privateKey, sequence: 2, baseSequence: 1, generatedAt: generatedAt + 60_000 },
    );
    const deltaStart = performance.now();
    store.apply(delta, { publicKeys: publicKey });
    const deltaApplyMs = performance.now() - deltaStart;
    const peakRssMb = process.resourceUsage().maxRSS / 1024;
    store.close();

    // Baseline: the same subjects in a Map keyed by pseudonym (what a terminal would do without SQLite:
    // no persistence, no atomic replacement, everything in the heap).
    const rssBefore = process.memoryUsage().rss;
    t = performance.now();
    const map = new Map<string, { tier: string; lists: readonly ListMembership[] }>();
    for (const r of population(SUBJECTS)) {
      map.set(Buffer.from(r.pseudonym as Uint8Array).toString('base64url'), {
        tier: r.tier!,
        lists: r.lists!,
      });
    }
    const mapBuildMs = performance.now() - t;
    const mapRssMb = (process.memoryUsage().rss - rssBefore) / 1_048_576;
    const base = latencies((i) => map.get(keys[i]!), keys);

    console.log(`  snapshot size                    ${fmt(snapshot.length / 1_048_576, 1).padStart(10)} MB`);
    console.log(`  build (sort + sign)              ${fmt(buildMs).padStart(10)} ms`);
    console.log(`  verify (SHA-256 + Ed25519)       ${fmt(verifyMs).padStart(10)} ms`);
    console.log(
      `  apply, one transaction           ${fmt(applyMs).padStart(10)} ms (halfway at ${fmt(halfwayMs)} ms)`,
    );
    console.log(`  delta 10k upserts + 1k deletes   ${fmt(deltaApplyMs).padStart(10)} ms apply`);
    console.log(`  database size on disk            ${fmt(dbBytes / 1_048_576, 1).padStart(10)} MB`);
    console.log(
      `  lookup p50 / p99                 ${fmt(snap.p50, 2).padStart(10)} / ${fmt(snap.p99, 2)} µs (${fmt(hits)} hits of ${fmt(LOOKUPS)})`,
    );
    console.log(`  peak RSS (build, verify, apply)  ${fmt(peakRssMb).padStart(10)} MB`);
    console.log(
      `  baseline: in-memory Map lookup   ${fmt(base.p50, 2).padStart(10)} / ${fmt(base.p99, 2)} µs (build ${fmt(mapBuildMs)} ms, +${fmt(mapRssMb)} MB RSS, nothing on disk)`,
    );
    console.log(
      `  targets: apply < 15 s ${applyMs < 15_000 ? 'met' : 'NOT met'}; lookup p99 < 50 µs ${snap.p99 < 50 ? 'met' : 'NOT met'}; peak RSS < 200 MB ${peakRssMb < 200 ? 'met' : 'NOT met'}`,
    );
    map.clear();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await runSnapshotBench();
