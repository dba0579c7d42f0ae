// `npm run bench`: evaluate() throughput on one core, against a hand-written baseline that decides
// the library scene with if/else (what an integrator would write without a policy engine).
import { chinaHolidayCalendar } from '../sdk/calendar/index.js';
import type { CreditStanding, Decision, SceneId } from '../sdk/index.js';
import { evaluate, qingzhouPolicyPack, SCENE_IDS } from '../sdk/index.js';
import { generatePopulation } from '../simulator/index.js';
import { fmt, throughput } from './stats.js';

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

export function runEvaluateBench(): { mixedPerSec: number } {
  console.log('evaluate() — one core, default Qingzhou pack, 1,024 synthetic standings');
  const library = throughput((i) =>
    evaluate(qingzhouPolicyPack, {
      id: 'x',
      scene: 'library-kiosk',
      standing: standings[i & mask]!,
      now,
      calendar: chinaHolidayCalendar,
    }),
  );
  const mixed = throughput((i) =>
    evaluate(qingzhouPolicyPack, {
      id: 'x',
      scene: SCENE_IDS[i % SCENE_IDS.length] as SceneId,
      standing: standings[i & mask]!,
      context: { siteId: 'yunmenshan' },
      now,
    }),
  );
  const derivedId = throughput((i) =>
    evaluate(qingzhouPolicyPack, {
      scene: 'scenic-gate',
      standing: standings[i & mask]!,
      context: { siteId: 'tuoshan' },
      now,
    }),
  );
  const baseline = throughput((i) => handWrittenLibrary(standings[i & mask]!, 'x'));
  console.log(`  all nine scenes, mixed          ${fmt(mixed).padStart(12)} decisions/s`);
  console.log(`  library-kiosk                   ${fmt(library).padStart(12)} decisions/s`);
  console.log(`  scenic-gate, derived ids        ${fmt(derivedId).padStart(12)} decisions/s`);
  console.log(
    `  baseline: hand-written library  ${fmt(baseline).padStart(12)} decisions/s (no explanation, no reasons)`,
  );
  console.log(`  ratio library-kiosk / baseline  ${fmt(library / baseline, 3)}`);
  console.log(`  target ≥ 200,000/s on one core: mixed ${mixed >= 200_000 ? 'met' : 'NOT met'}`);
  return { mixedPerSec: mixed };
}
