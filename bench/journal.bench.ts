// `node --import tsx bench/journal.bench.ts` (also in `npm run bench`): the decision journal. Committed decisions per second with synchronous FULL (each
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
import { type BenchResult, figure, runAlone, single, summarize } from './harness.js';
import { fmt, percentile } from './stats.js';

const SIZE_DECISIONS = 100_000;
const ROUNDS = 5;
const FULL_MS = 1000;
const BASELINE_MS = 500;

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
      credentialKind: 'id-card',
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
  p50Us: number;
  p99Us: number;
}

/** One round: commits for `ms`, each a new decision id (`round` keeps ids unique across rounds). */
function commitFor(
  journal: JournalStore,
  pool: readonly JournalDecisionEntry[],
  ms: number,
  round: number,
): Run {
  const samples: number[] = [];
  const start = performance.now();
  let elapsed = 0;
  let i = 0;
  while (elapsed < ms) {
    const entry = entryAt(pool, i++, `r${round}`);
    const t = performance.now();
    journal.commitDecision(entry);
    const end = performance.now();
    samples.push(end - t);
    elapsed = end - start;
  }
  samples.sort((a, b) => a - b);
  return {
    perSec: (i / elapsed) * 1000,
    p50Us: percentile(samples, 50) * 1000,
    p99Us: percentile(samples, 99) * 1000,
  };
}

export async function runJournalBench(): Promise<BenchResult> {
  const pool = entryPool();
  const disclosing = pool.filter((e) => (e.disclosures?.length ?? 0) > 0).length;
  const dir = mkdtempSync(join(tmpdir(), 'xinyi-journal-bench-'));
  const sizeDirPath = mkdtempSync(join(sizeDir(), 'xinyi-journal-bench-size-'));
  try {
    // The production journal keeps a hash chain signed with the terminal's key (docs/journal.md §12);
    // the `unchained` ones are the same stores without it, the chain's baseline.
    const chainKey = { keyId: 'journal-bench', secret: 'journal-bench-secret-not-a-secret' };
    const journals: Record<'full' | 'fullUnchained' | 'normal' | 'normalUnchained' | 'memory', JournalStore> =
      {
        full: await createSqliteJournal({ path: join(dir, 'full.sqlite'), chainKey }),
        fullUnchained: await createSqliteJournal({ path: join(dir, 'full-unchained.sqlite'), chain: false }),
        normal: await createSqliteJournal({
          path: join(dir, 'normal.sqlite'),
          synchronous: 'NORMAL',
          chainKey,
        }),
        normalUnchained: await createSqliteJournal({
          path: join(dir, 'normal-unchained.sqlite'),
          synchronous: 'NORMAL',
          chain: false,
        }),
        memory: createMemoryJournal({ chainKey }),
      };
    const runs: Record<string, Run[]> = {
      full: [],
      fullUnchained: [],
      normal: [],
      normalUnchained: [],
      memory: [],
    };
    // A warm-up round, then rounds round-robin over the journals, each round starting one further
    // along, so that no journal always runs right after another.
    const named = Object.entries(journals);
    for (let round = -1; round < ROUNDS; round++) {
      const start = Math.max(0, round);
      for (const [name, journal] of named.map((_, i) => named[(i + start) % named.length]!)) {
        const run = commitFor(journal, pool, name.startsWith('full') ? FULL_MS : BASELINE_MS, round + 1);
        if (round >= 0) runs[name]!.push(run);
      }
    }
    for (const journal of Object.values(journals)) journal.close();

    // Size does not depend on the synchronous mode; NORMAL writes the 100k rows in seconds, not minutes.
    const sizePath = join(sizeDirPath, 'size.sqlite');
    const sized = await createSqliteJournal({ path: sizePath, synchronous: 'NORMAL', chainKey });
    for (let i = 0; i < SIZE_DECISIONS; i++) sized.commitDecision(entryAt(pool, i));
    const counts = sized.counts();
    sized.close(); // the last connection closing checkpoints the WAL into the database and removes it
    const dbBytes = statSync(sizePath).size;
    const raw = new Database(sizePath, { readonly: true });
    const jsonBytes = raw
      .prepare(
        // COALESCE: no decision of the pool discloses at decision time (信易贷 discloses on use), so
        // the disclosures' sum is NULL, which made the whole figure 0.
        'SELECT COALESCE((SELECT SUM(LENGTH(CAST(body AS BLOB))) FROM decisions), 0) + COALESCE((SELECT SUM(LENGTH(CAST(body AS BLOB))) FROM disclosures), 0)',
      )
      .pluck()
      .get() as number;
    raw.close();

    const of = (name: string, key: keyof Run) => summarize(runs[name]!.map((r) => r[key]));
    const normal = { label: 'synchronous NORMAL', ...of('normal', 'perSec') };
    return {
      bench: 'journal',
      title:
        'decision journal — SQLite (better-sqlite3, WAL), one commit = decision + its disclosure records',
      figures: [
        figure('journal.full', 'synchronous FULL (production)', 'commits/s', of('full', 'perSec'), normal),
        figure('journal.full-p50', 'synchronous FULL, commit p50', 'µs', of('full', 'p50Us'), {
          label: 'synchronous NORMAL',
          ...of('normal', 'p50Us'),
        }),
        figure('journal.full-p99', 'synchronous FULL, commit p99', 'µs', of('full', 'p99Us'), {
          label: 'synchronous NORMAL',
          ...of('normal', 'p99Us'),
        }),
        figure('journal.chain-full', 'hash chain, synchronous FULL', 'commits/s', of('full', 'perSec'), {
          label: 'FULL without the chain',
          ...of('fullUnchained', 'perSec'),
        }),
        figure(
          'journal.chain-normal',
          'hash chain, synchronous NORMAL',
          'commits/s',
          of('normal', 'perSec'),
          {
            label: 'NORMAL without the chain',
            ...of('normalUnchained', 'perSec'),
          },
        ),
        figure('journal.memory', 'memory journal', 'commits/s', of('memory', 'perSec')),
        figure(
          'journal.size-100k',
          `database per ${fmt(SIZE_DECISIONS)} decisions, after a checkpoint`,
          'MiB',
          single(dbBytes / 1_048_576),
        ),
        figure('journal.bytes-per-decision', 'bytes per decision', 'B', single(dbBytes / SIZE_DECISIONS)),
        figure('journal.json-per-decision', 'of which JSON', 'B', single(jsonBytes / SIZE_DECISIONS)),
      ],
      notes: [
        `${ROUNDS} rounds (FULL ${FULL_MS} ms, the others ${BASELINE_MS} ms) after a warm-up round, round-robin; ${fmt((disclosing / pool.length) * 100)}% of decisions carry disclosure records (${fmt(counts.disclosures)} in the 100k)`,
        'every SQLite and memory journal keeps the signed hash chain except the two "without the chain" baselines; target: the chained rate ≥ 90 % of the unchained one',
      ],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(sizeDirPath, { recursive: true, force: true });
  }
}

await runAlone(import.meta.url, runJournalBench);
