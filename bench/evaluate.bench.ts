// `node --import tsx bench/evaluate.bench.ts` (also in `npm run bench`): evaluate() throughput on one core, against a hand-written baseline that decides
// the library scene with if/else (what an integrator would write without a policy engine).
import { chinaHolidayCalendar } from '../sdk/calendar/index.js';
import type { CreditStanding, Decision, SceneId } from '../sdk/index.js';
import { evaluate, qingzhouPolicyPack, SCENE_IDS } from '../sdk/index.js';
import { generatePopulation } from '../simulator/index.js';
import { type BenchResult, figure, runAlone, summarize } from './harness.js';
import { throughput } from './stats.js';

const now = Date.parse('2026-11-26T10:00:00+08:00');
const asOf = new Date(now - 3_600_000).toISOString();
const people = generatePopulation(1024, 'bench');
const standings: CreditStanding[] = people.map((p) => ({
  tier: p.tier,
  lists: p.lists,
  source: 'platform',
  asOf,
}));
const mask = standings.length - 1;

/** Baseline: the library rules of the default pack, hard-coded. */
function handWrittenLibrary(
  standing: CreditStanding,
  id: string,
): Pick<Decision, 'id' | 'outcome' | 'benefits'> {
  const blocked = standing.lists.some(
    (l) => l.kind === 'black' && (l.domain === undefined || l.domain === 'library'),
  );
  const review = standing.lists.some((l) => l.kind === 'key-attention');
  const red = standing.lists.some((l) => l.kind === 'red');
  const rank = { D: 1, C: 2, B: 3, A: 4, AA: 5, AAA: 6 }[standing.tier ?? 'D'];
  const effective = red ? Math.max(rank, 5) : rank;
  if (blocked || review || effective < 4) return { id, outcome: 'denied', benefits: [] };
  const books = effective >= 6 ? 5 : effective === 5 ? 4 : 3;
  const days = effective >= 5 ? 60 : 30;
  return {
    id,
    outcome: 'granted',
    benefits: [
      { kind: 'loan-limit', books, ruleId: 'library.loan-limit' },
      { kind: 'loan-extension', days, ruleId: 'library.loan-extension' },
    ],
  };
}

/** Rounds of `ROUND_MS` per measure, round-robin over the measures so drift hits them alike. */
const ROUNDS = 5;
const ROUND_MS = 500;

export async function runEvaluateBench(): Promise<BenchResult> {
  const measures: Record<string, (i: number) => unknown> = {
    mixed: (i) =>
      evaluate(qingzhouPolicyPack, {
        id: 'x',
        scene: SCENE_IDS[i % SCENE_IDS.length] as SceneId,
        standing: standings[i & mask]!,
        context: { siteId: 'yunmenshan' },
        now,
        credentialKind: 'id-card',
      }),
    library: (i) =>
      evaluate(qingzhouPolicyPack, {
        id: 'x',
        scene: 'library-kiosk',
        standing: standings[i & mask]!,
        now,
        calendar: chinaHolidayCalendar,
        credentialKind: 'id-card',
      }),
    derivedId: (i) =>
      evaluate(qingzhouPolicyPack, {
        scene: 'scenic-gate',
        standing: standings[i & mask]!,
        context: { siteId: 'tuoshan' },
        now,
        credentialKind: 'id-card',
      }),
    baseline: (i) => handWrittenLibrary(standings[i & mask]!, 'x'),
  };
  const perRound: Record<string, number[]> = Object.fromEntries(Object.keys(measures).map((k) => [k, []]));
  for (let round = -1; round < ROUNDS; round++) {
    for (const [name, fn] of Object.entries(measures)) {
      const rate = throughput(fn, ROUND_MS);
      if (round >= 0) perRound[name]!.push(rate);
    }
  }
  const of = (name: string) => summarize(perRound[name]!);
  const baseline = { label: 'hand-written library (no explanation, no reasons)', ...of('baseline') };
  const mixed = of('mixed');
  return {
    bench: 'evaluate',
    title: 'evaluate() — one core, default Qingzhou pack, 1,024 synthetic standings',
    figures: [
      figure('evaluate.mixed', 'all nine scenes, mixed', 'decisions/s', mixed),
      figure('evaluate.library', 'library-kiosk', 'decisions/s', of('library'), baseline),
      figure('evaluate.derived-id', 'scenic-gate, derived ids', 'decisions/s', of('derivedId')),
    ],
    notes: [
      `${ROUNDS} rounds of ${ROUND_MS} ms per measure after a warm-up round, round-robin`,
      `target ≥ 200,000/s on one core: mixed ${mixed.median >= 200_000 ? 'met' : 'NOT met'}`,
    ],
  };
}

await runAlone(import.meta.url, runEvaluateBench);
