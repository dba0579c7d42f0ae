// `node --import tsx bench/upload.bench.ts` (also in `npm run bench`): upload throughput of the store-and-forward uploader, from a SQLite journal
// (synchronous FULL, as in production) through the HTTP platform client (signed requests) to the
// mock platform on loopback, for batches of 1 decision (the baseline: one request per decision),
// 100 (the default) and 500. Synthetic decisions only: pseudonyms and masked forms.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createHttpPlatformResolver } from '../sdk/credit/http-platform.js';
import type { Decision } from '../sdk/domain/decision.js';
import { createPseudonymizer } from '../sdk/identity/index.js';
import { subjectFromIdNumber } from '../sdk/identity/subject.js';
import { createSqliteJournal } from '../sdk/journal/sqlite-journal.js';
import { createUploader } from '../sdk/journal/uploader.js';
import { startMockPlatform } from '../simulator/mock-platform.js';
import { generatePopulation } from '../simulator/population.js';
import { type BenchResult, figure, runAlone, summarize } from './harness.js';
import { fmt } from './stats.js';

const KEY_ID = 'bench-upload-key';
const SECRET = 'bench-upload-hmac-secret-0123456789';
const PSEUDONYM_KEY = 'bench-upload-pseudonym-key-0123456';
const RUNS: ReadonlyArray<{ batchSize: number; decisions: number }> = [
  { batchSize: 1, decisions: 1_000 },
  { batchSize: 100, decisions: 10_000 },
  { batchSize: 500, decisions: 10_000 },
];
const ROUNDS = 3;

const pseudonymizer = createPseudonymizer(PSEUDONYM_KEY);
const subjects = generatePopulation(64, 'bench-upload').map((p) =>
  subjectFromIdNumber(pseudonymizer, p.idNumber),
);

function decision(i: number): Decision {
  const subject = subjects[i % subjects.length]!;
  const at = new Date(Date.UTC(2026, 4, 11, 2, 0, 0) + i * 100).toISOString();
  return {
    id: randomUUID(),
    scene: 'scenic-gate',
    at,
    outcome: 'granted',
    benefits: [{ kind: 'free-entry', ruleId: 'qz-scenic-free-entry' }],
    reasons: [],
    explanation: { citizen: '欢迎入园', staff: 'GRANTED qz-scenic-free-entry' },
    subject: { pseudonym: subject.pseudonym, masked: subject.masked },
    policyVersion: 'qingzhou-2026.1',
    calendarVersion: 'cn-2026.1',
    standingSource: 'platform',
    effectiveTier: 'AA',
    standingAsOf: at,
    standingAgeMs: 0,
    subjectType: 'person',
    disclosures: [],
    latencyMs: 12,
  };
}

/** Decisions per second of one full drain of `decisions` decisions in batches of `batchSize`. */
async function measure(dir: string, batchSize: number, decisions: number, round = 0): Promise<number> {
  const path = join(dir, `journal-${batchSize}-${decisions}-${round}.db`);
  // Filling is not what is measured: NORMAL spares one fsync per commit; the drain below runs with FULL.
  const filling = await createSqliteJournal({ path, synchronous: 'NORMAL' });
  for (let i = 0; i < decisions; i++)
    filling.commitDecision({ decision: decision(i), terminalId: 'bench-gate' });
  filling.close();

  const journal = await createSqliteJournal({ path });
  const mock = await startMockPlatform({
    pseudonymKey: PSEUDONYM_KEY,
    keyId: KEY_ID,
    secret: SECRET,
    populationSize: 4,
  });
  try {
    const platform = createHttpPlatformResolver({
      baseUrl: mock.url,
      keyId: KEY_ID,
      secret: SECRET,
      terminalId: 'bench-gate',
    });
    const uploader = createUploader({ journal, platform, batchSize });
    const started = performance.now();
    const result = await uploader.flush();
    const elapsedMs = performance.now() - started;
    if (result.error !== undefined || result.backlog !== 0 || result.uploaded !== decisions) {
      throw new Error(`upload bench: drain incomplete (${result.error?.code ?? `${result.backlog} left`})`);
    }
    return (decisions / elapsedMs) * 1000;
  } finally {
    journal.close();
    await mock.close();
  }
}

export async function runUploadBench(): Promise<BenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'xinyi-upload-bench-'));
  try {
    await measure(dir, 100, 1_000); // warm-up: JIT, sockets, SQLite
    const values: number[][] = RUNS.map(() => []);
    // Rounds round-robin over the batch sizes, each a full drain of a fresh journal.
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < RUNS.length; i++) {
        const run = RUNS[i]!;
        values[i]!.push(await measure(dir, run.batchSize, run.decisions, round));
      }
    }
    const baseline = { label: 'batch of 1 (one request per decision)', ...summarize(values[0]!) };
    return {
      bench: 'upload',
      title:
        'upload throughput — SQLite journal (synchronous FULL) → HTTP platform client → mock platform (loopback)',
      figures: RUNS.map((run, i) =>
        figure(
          `upload.batch-${run.batchSize}`,
          `batch of ${run.batchSize}, ${fmt(run.decisions)} decisions`,
          'decisions/s',
          summarize(values[i]!),
          i === 0 ? undefined : baseline,
        ),
      ),
      notes: [`${ROUNDS} drains per batch size after a warm-up drain, round-robin`],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await runAlone(import.meta.url, runUploadBench);
