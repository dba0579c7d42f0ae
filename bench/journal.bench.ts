// `npm run bench`: the decision journal. Committed decisions per second with synchronous FULL (each
// commit durable across power loss before it returns), against two baselines in the same process:
// synchronous NORMAL (durable across a crash, not a power cut) and the in-memory journal (nothing
// durable). Then the database size per 100,000 decisions, after a checkpoint. Synthetic people only.
import { accessSync, constants, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { chinaHolidayCalendar } from '../sdk/calendar/index.js';
import { SCENE_IDS, type SceneId } from '../sdk/domain/scenes.js';
import { createPseudonymizer } from '../sdk/identity/pseudonymizer.js';
import { subjectFromIdNumber } from '../sdk/identity/subject.js';
import { disclosureRecordsFor } from '../sdk/journal/disclosure.js';
import type { JournalDecisionEntry, JournalStore } from '../sdk/journal/journal-store.js';
import { createMemoryJournal } from '../sdk/journal/memory-journal.js';
import { createSqliteJournal } from '../sdk/journal/sqlite-journal.js';
import { evaluate } from '../sdk/policy/evaluate.js';
import { qingzhouPolicyPack } from '../sdk/policy/qingzhou-pack.js';
import { generatePopulation } from '../simulator/population.js';
import { fmt, percentile } from './stats.js';

const SIZE_DECISIONS = 100_000;
const FULL_MS = 4000;
const BASELINE_MS = 2500;

/** tmpfs when there is one: the file size does not depend on the medium, and filling 100k rows takes seconds, not a minute. */
function sizeDir(): string {
  try {
    accessSync('/dev/shm', constants.W_OK);
    return '/dev/shm';
  } catch {
    return tmpdir();
  }
}

/** 1,024 decisions over all nine scenes (bank and service-window grants carry disclosure records). */
function entryPool(): JournalDecisionEntry[] {
  const people = generatePopulation(1024, 'journal-bench');
  const pseudonymizer = createPseudonymizer('journal-bench-key-not-a-secret');
  const now = Date.parse('2026-11-26T10:00:00+08:00');
  return people.map((person, i) => {
    const subject = subjectFromIdNumber(pseudonymizer, person.idNumber, person.name);
    const scene = SCENE_IDS[i % SCENE_IDS.length] as SceneId;
    const decision = evaluate(qingzhouPolicyPack, {
      scene,
      standing: {
        tier: person.tier,
        lists: person.lists,
        source: 'platform',
        asOf: new Date(now - 3_600_000).toISOString(),
      },
      now: now + i * 1000,
      subject: { pseudonym: subject.pseudonym, masked: subject.masked },
      context: scene === 'scenic-gate' ? { siteId: 'yunmenshan' } : { amountFen: 12_800 },
    });
    decision.latencyMs = 40 + (i % 60);
    const maskedName = subject.maskedName ?? subject.masked;
    return {
      decision,
      terminalId: 'bench-terminal-01',
      maskedName,
      disclosures: disclosureRecordsFor({
        decision,
        terminalId: 'bench-terminal-01',
        maskedName,
        pack: qingzhouPolicyPack,
        calendar: chinaHolidayCalendar,
      }),
    };
  });
}

/** The pool entry `i`, under a fresh decision id (so every commit is a new row). */
function entryAt(pool: readonly JournalDecisionEntry[], i: number, prefix = 'bench'): JournalDecisionEntry {
  const base = pool[i % pool.length]!;
  const id = `${prefix}-${i}`;
  return {
    ...base,
    decision: { ...base.decision, id },
    disclosures: base.disclosures?.map((d) => ({ ...d, id: `${id}:${d.ruleId}`, decisionId: id })),
  };
}

interface Run {
  perSec: number;
  commits: number;
  p50Us: number;
  p99Us: number;
}

function commitFor(journal: JournalStore, pool: readonly JournalDecisionEntry[], ms: number): Run {
  for (let i = 0; i < 200; i++) journal.commitDecision(entryAt(pool, i, 'warm-up'));
  const samples: number[] = [];
  const start = performance.now();
  let elapsed = 0;
  let i = 0;
  while (elapsed < ms) {
    const entry = entryAt(pool, i++);
    const t = performance.now();
    journal.commitDecision(entry);
    const end = performance.now();
    samples.push(end - t);
    elapsed = end - start;
  }
  samples.sort((a, b) => a - b);
  return {
    perSec: (i / elapsed) * 1000,
    commits: i,
    p50Us: percentile(samples, 50) * 1000,
    p99Us: percentile(samples, 99) * 1000,
  };
}

export async function runJournalBench(): Promise<void> {
  console.log(
    'decision journal — SQLite (better-sqlite3, WAL), one commit = decision + its disclosure records',
  );
  const pool = entryPool();
  const disclosing = pool.filter((e) => (e.disclosures?.length ?? 0) > 0).length;
  const dir = mkdtempSync(join(tmpdir(), 'xinyi-journal-bench-'));
  const sizeDirPath = mkdtempSync(join(sizeDir(), 'xinyi-journal-bench-size-'));
  try {
    const full = await createSqliteJournal({ path: join(dir, 'full.sqlite') });
    const fullRun = commitFor(full, pool, FULL_MS);
    full.close();

    const normal = await createSqliteJournal({ path: join(dir, 'normal.sqlite'), synchronous: 'NORMAL' });
    const normalRun = commitFor(normal, pool, BASELINE_MS);
    normal.close();

    const memory = createMemoryJournal();
    const memoryRun = commitFor(memory, pool, BASELINE_MS);
    memory.close();

    // Size does not depend on the synchronous mode; NORMAL writes the 100k rows in seconds, not minutes.
    const sizePath = join(sizeDirPath, 'size.sqlite');
    const sized = await createSqliteJournal({ path: sizePath, synchronous: 'NORMAL' });
    const t = performance.now();
    for (let i = 0; i < SIZE_DECISIONS; i++) sized.commitDecision(entryAt(pool, i));
    const fillMs = performance.now() - t;
    const counts = sized.counts();
    sized.close(); // the last connection closing checkpoints the WAL into the database and removes it
    const dbBytes = statSync(sizePath).size;
    const raw = new Database(sizePath, { readonly: true });
    const jsonBytes = raw
      .prepare(
        'SELECT (SELECT SUM(LENGTH(CAST(body AS BLOB))) FROM decisions) + (SELECT SUM(LENGTH(CAST(body AS BLOB))) FROM disclosures)',
      )
      .pluck()
      .get() as number;
    raw.close();

    const row = (label: string, r: Run) =>
      console.log(
        `  ${label.padEnd(32)} ${fmt(r.perSec).padStart(10)} commits/s  p50 ${fmt(r.p50Us).padStart(6)} µs  p99 ${fmt(r.p99Us).padStart(7)} µs  (${fmt(r.commits)} commits)`,
      );
    row('synchronous FULL', fullRun);
    row('baseline: synchronous NORMAL', normalRun);
    row('baseline: memory journal', memoryRun);
    console.log(
      `  FULL vs NORMAL ${fmt(fullRun.perSec / normalRun.perSec, 3)}×, FULL vs memory ${fmt(fullRun.perSec / memoryRun.perSec, 4)}×` +
        ` (${fmt((disclosing / pool.length) * 100)}% of decisions carry disclosure records)`,
    );
    console.log(
      `  database per ${fmt(SIZE_DECISIONS)} decisions      ${fmt(dbBytes / 1_048_576, 1).padStart(10)} MB after checkpoint` +
        ` (${fmt(dbBytes / SIZE_DECISIONS)} bytes/decision, of which JSON ${fmt(jsonBytes / SIZE_DECISIONS)};` +
        ` ${fmt(counts.disclosures)} disclosure records; filled in ${fmt(fillMs / 1000, 1)} s on ${sizeDirPath.startsWith('/dev/shm') ? 'tmpfs' : 'disk'})`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(sizeDirPath, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await runJournalBench();
