// `node --import tsx bench/snapshot.bench.ts` (also in `npm run bench`): the offline credit snapshot at
// 100k, 1M and 3M synthetic subjects (random pseudonyms, never real IDs). Each size is applied and
// looked up in a process of its own, started from a snapshot file, as `xinyi snapshot apply` and the
// daemon do, so its peak RSS is the terminal's and not the builder's. Lookup latency is measured
// against the named baseline: direct better-sqlite3 on the same file (a prepared `SELECT` by the
// pseudonym's bytes), in alternating rounds in the same process.
import { execFileSync } from 'node:child_process';
import { createCipheriv, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { buildDelta, buildSnapshot, openSnapshotStore, type SnapshotRecord } from '../sdk/credit/index.js';
import type { ListMembership } from '../sdk/domain/standing.js';
import { TIER_CODES } from '../sdk/domain/tiers.js';
import { type BenchResult, figure, isMain, printResult, single, summarize } from './harness.js';
import { percentile } from './stats.js';

const SIZES = [100_000, 1_000_000, 3_000_000] as const;
const APPLY_ROUNDS = 3;
const LOOKUP_ROUNDS = 7;
const LOOKUPS_PER_ROUND = 20_000;
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

function dirBytes(dir: string, prefix: string): number {
  return readdirSync(dir)
    .filter((f) => f.startsWith(prefix))
    .reduce((n, f) => n + statSync(join(dir, f)).size, 0);
}

/** What one child process measured for one size. */
interface SizeMeasurement {
  subjects: number;
  applyMs: number[];
  lookupP50Us: number[];
  lookupP99Us: number[];
  directP50Us: number[];
  directP99Us: number[];
  hits: number;
  lookups: number;
  deltaApplyMs: number | null;
  dbBytes: number;
  peakRssMb: number;
}

function latencyRound(
  fn: (i: number) => unknown,
  count: number,
  offset: number,
): { p50: number; p99: number } {
  const samples = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    fn(offset + i);
    samples[i] = performance.now() - t;
  }
  const sorted = Array.from(samples.sort());
  return { p50: percentile(sorted, 50) * 1000, p99: percentile(sorted, 99) * 1000 };
}

/** The child: applies the snapshot file, then looks subjects up. Prints its measurement as JSON. */
async function measureSize(
  file: string,
  deltaFile: string | null,
  publicKeyPem: string,
  subjects: number,
  dir: string,
): Promise<SizeMeasurement> {
  const bytes = readFileSync(file);
  const applyMs: number[] = [];
  let path = '';
  for (let round = 0; round < APPLY_ROUNDS; round++) {
    if (path !== '') for (const f of readdirSync(dir)) if (f.startsWith('apply-')) rmSync(join(dir, f));
    path = join(dir, `apply-${round}.sqlite`);
    const store = await openSnapshotStore({ path });
    const t = performance.now();
    store.apply(bytes, { publicKeys: publicKeyPem });
    applyMs.push(performance.now() - t);
    store.close();
  }
  const dbBytes = dirBytes(dir, `apply-${APPLY_ROUNDS - 1}`);

  const store = await openSnapshotStore({ path });
  const direct = new Database(path, { readonly: true });
  direct.pragma('cache_size = -8192');
  const select = direct.prepare('SELECT tier, lists FROM subjects WHERE pseudonym = ?').raw(true);
  // 90% known subjects at random, 10% unknown pseudonyms; a fresh sample of keys per round.
  const total = LOOKUPS_PER_ROUND * (LOOKUP_ROUNDS + 1);
  const indices = Array.from({ length: total }, (_, i) =>
    i % 10 === 9 ? subjects + i : (Math.imul(i + 1, 2246822519) >>> 0) % subjects,
  );
  const keyBytes = pseudonymsOf(indices);
  const keys = indices.map((_, i) => keyBytes.toString('base64url', i * 16, i * 16 + 16));
  const viaStore = (i: number) => store.lookup(keys[i]!);
  const viaDirect = (i: number) => select.get(Buffer.from(keys[i]!, 'base64url'));
  // Warm-up round, then rounds in alternating order, each on its own keys for both.
  latencyRound(viaDirect, LOOKUPS_PER_ROUND, 0);
  latencyRound(viaStore, LOOKUPS_PER_ROUND, 0);
  const s50: number[] = [];
  const s99: number[] = [];
  const d50: number[] = [];
  const d99: number[] = [];
  for (let round = 1; round <= LOOKUP_ROUNDS; round++) {
    const offset = round * LOOKUPS_PER_ROUND;
    const order = round % 2 === 0 ? ['store', 'direct'] : ['direct', 'store'];
    for (const which of order) {
      const r = latencyRound(which === 'store' ? viaStore : viaDirect, LOOKUPS_PER_ROUND, offset);
      (which === 'store' ? s50 : d50).push(r.p50);
      (which === 'store' ? s99 : d99).push(r.p99);
    }
  }
  let hits = 0;
  for (let i = 0; i < LOOKUPS_PER_ROUND; i++) if (store.lookup(keys[i]!) !== null) hits++;
  direct.close();

  let deltaApplyMs: number | null = null;
  if (deltaFile !== null) {
    const delta = readFileSync(deltaFile);
    const t = performance.now();
    store.apply(delta, { publicKeys: publicKeyPem });
    deltaApplyMs = performance.now() - t;
  }
  store.close();
  return {
    subjects,
    applyMs,
    lookupP50Us: s50,
    lookupP99Us: s99,
    directP50Us: d50,
    directP99Us: d99,
    hits,
    lookups: LOOKUPS_PER_ROUND,
    deltaApplyMs,
    dbBytes,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  };
}

function deltaFor(privateKey: string, generatedAt: number): Buffer {
  return buildDelta(
    {
      upserts: (function* () {
        const bytes = pseudonyms(0, 10_000);
        for (let j = 0; j < 10_000; j++) {
          yield { pseudonym: bytes.subarray(j * 16, j * 16 + 16), tier: 'D' as const, lists: BLACK };
        }
      })(),
      deletions: (function* () {
        const bytes = pseudonyms(50_000, 1_000);
        for (let j = 0; j < 1_000; j++) yield bytes.subarray(j * 16, j * 16 + 16);
      })(),
    },
    { privateKey, sequence: 2, baseSequence: 1, generatedAt: generatedAt + 60_000 },
  );
}

const label = (n: number) => (n >= 1_000_000 ? `${n / 1_000_000}M` : `${n / 1000}k`);

export async function runSnapshotBench(): Promise<BenchResult> {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const dir = mkdtempSync(join(tmpdir(), 'xinyi-snapshot-bench-'));
  const figures: BenchResult['figures'] = [];
  const notes: string[] = [];
  try {
    const generatedAt = Date.now();
    const measured: SizeMeasurement[] = [];
    for (const subjects of SIZES) {
      const file = join(dir, `snapshot-${subjects}.snap`);
      let t = performance.now();
      const snapshot = buildSnapshot(population(subjects), {
        privateKey,
        sequence: 1,
        generatedAt,
        expectedCount: subjects,
      });
      const buildMs = performance.now() - t;
      writeFileSync(file, snapshot);
      let deltaFile: string | null = null;
      if (subjects === 1_000_000) {
        deltaFile = join(dir, 'delta.snap');
        writeFileSync(deltaFile, deltaFor(privatePem, generatedAt));
      }
      t = performance.now();
      const out = execFileSync(
        process.execPath,
        [
          '--import',
          'tsx',
          fileURLToPath(import.meta.url),
          '--child',
          file,
          deltaFile ?? '-',
          String(subjects),
          dir,
        ],
        { encoding: 'utf8', input: publicPem, stdio: ['pipe', 'pipe', 'inherit'], maxBuffer: 1 << 24 },
      );
      const m = JSON.parse(out.trim().split('\n').at(-1)!) as SizeMeasurement;
      measured.push(m);
      rmSync(file, { force: true });
      const n = label(subjects);
      const rss = single(m.peakRssMb);
      figures.push(
        figure(`snapshot.apply.${n}`, `apply, ${n} subjects (one transaction)`, 'ms', summarize(m.applyMs)),
        figure(`snapshot.lookup-p50.${n}`, `lookup p50, ${n}`, 'µs', summarize(m.lookupP50Us), {
          label: 'direct better-sqlite3',
          ...summarize(m.directP50Us),
        }),
        figure(`snapshot.lookup-p99.${n}`, `lookup p99, ${n}`, 'µs', summarize(m.lookupP99Us), {
          label: 'direct better-sqlite3',
          ...summarize(m.directP99Us),
        }),
        figure(`snapshot.peak-rss.${n}`, `peak RSS of the applying process, ${n}`, 'MB', rss),
        figure(`snapshot.db-size.${n}`, `database on disk, ${n}`, 'MB', single(m.dbBytes / 1_048_576)),
        figure(`snapshot.size.${n}`, `snapshot file, ${n}`, 'MB', single(snapshot.length / 1_048_576)),
        figure(`snapshot.build.${n}`, `build (sort + sign), ${n}`, 'ms', single(buildMs)),
      );
      if (m.deltaApplyMs !== null) {
        figures.push(
          figure(
            `snapshot.delta-apply.${n}`,
            `delta of 10k upserts + 1k deletions on ${n}`,
            'ms',
            single(m.deltaApplyMs),
          ),
        );
      }
    }
    const m1 = measured.find((m) => m.subjects === 1_000_000)!;
    const apply1 = summarize(m1.applyMs).median;
    const p50 = summarize(m1.lookupP50Us).median / summarize(m1.directP50Us).median;
    const p99 = summarize(m1.lookupP99Us).median / summarize(m1.directP99Us).median;
    const p99Us = summarize(m1.lookupP99Us).median;
    const met = (ok: boolean) => (ok ? 'met' : 'NOT met');
    notes.push(
      `lookups: ${LOOKUP_ROUNDS} rounds of ${LOOKUPS_PER_ROUND.toLocaleString('en-US')} per side, alternating; 90% known subjects, 10% unknown (${m1.hits} hits of ${m1.lookups} at 1M)`,
      `targets at 1M: apply ≤ 2.5 s ${met(apply1 <= 2500)}; lookup within 1.15× of direct: p50 ${p50.toFixed(2)}× ${met(p50 <= 1.15)}, p99 ${p99.toFixed(2)}× ${met(p99 <= 1.15)}; p99 ≤ 50 µs ${met(p99Us <= 50)}; peak RSS ≤ 200 MB ${met(m1.peakRssMb <= 200)}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    bench: 'snapshot',
    title: 'offline snapshot — SQLite (better-sqlite3, WAL), each size applied in its own process',
    figures,
    notes,
  };
}

if (process.argv[2] === '--child') {
  const [file, delta, subjects, dir] = process.argv.slice(3);
  const publicPem = readFileSync(0, 'utf8');
  const m = await measureSize(
    file!,
    delta === '-' ? null : delta!,
    publicPem,
    Number(subjects),
    mkdtempSync(join(dir!, 'child-')),
  );
  console.log(JSON.stringify(m));
} else if (isMain(import.meta.url)) {
  printResult(await runSnapshotBench());
}
