// `node --import tsx bench/pack-size.bench.ts` (also in `npm run bench`): what a large pack costs.
// evaluate() for the supermarket-checkout scene with the default pack (×1, the baseline), with ×10 and
// ×100 the scene's rules, and with ×100 the rules of every other scene. Each copy of a rule is a
// venue-specific rule: the original's conditions, then `siteId` equal to a site the lane is not, so it
// is checked in full and grants nothing (every pack decides as the default does; checked below).
import { chinaHolidayCalendar } from '../sdk/calendar/index.js';
import type { CreditStanding } from '../sdk/domain/standing.js';
import { evaluate, type PolicyPack, type PolicyRule, qingzhouPolicyPack } from '../sdk/policy/index.js';
import { generatePopulation } from '../simulator/population.js';
import {
  type BenchResult,
  type Figure,
  figure,
  type Rounds,
  runAlone,
  single,
  summarize,
} from './harness.js';
import { throughput } from './stats.js';

const SCENE = 'supermarket-checkout';
const ROUNDS = 5;
const ROUND_MS = 500;

function venueCopies(rules: readonly PolicyRule[], copies: number): PolicyRule[] {
  const out: PolicyRule[] = [];
  for (let k = 1; k <= copies; k++) {
    for (const rule of rules) {
      out.push({
        ...rule,
        id: `${rule.id}.venue-${k}`,
        when: { all: [rule.when, { fact: 'context', path: 'siteId', op: 'eq', value: `venue-${k}` }] },
      });
    }
  }
  return out;
}

function packWith(extra: readonly PolicyRule[], version: string): PolicyPack {
  return { ...qingzhouPolicyPack, version, rules: [...qingzhouPolicyPack.rules, ...extra] };
}

export async function runPackSizeBench(): Promise<BenchResult> {
  const own = qingzhouPolicyPack.rules.filter((r) => r.scene === SCENE);
  const others = qingzhouPolicyPack.rules.filter((r) => r.scene !== SCENE);
  const variants: Array<{ key: string; label: string; pack: PolicyPack; sceneRules: number }> = [
    {
      key: 'x1',
      label: `×1: the default pack (${own.length} rules in the scene)`,
      pack: qingzhouPolicyPack,
      sceneRules: own.length,
    },
    {
      key: 'x10',
      label: `×10 the scene's rules (${own.length * 10})`,
      pack: packWith(venueCopies(own, 9), 'bench-x10'),
      sceneRules: own.length * 10,
    },
    {
      key: 'x100',
      label: `×100 the scene's rules (${own.length * 100})`,
      pack: packWith(venueCopies(own, 99), 'bench-x100'),
      sceneRules: own.length * 100,
    },
    {
      key: 'others-x100',
      label: `×100 the other scenes' rules (${others.length * 100}), scene ×1`,
      pack: packWith(venueCopies(others, 99), 'bench-others-x100'),
      sceneRules: own.length,
    },
  ];
  const now = Date.parse('2026-11-26T10:00:00+08:00');
  const asOf = new Date(now - 3_600_000).toISOString();
  const standings: CreditStanding[] = generatePopulation(1024, 'bench-pack-size').map((p) => ({
    tier: p.tier,
    lists: p.lists,
    source: 'platform',
    asOf,
  }));
  const input = (pack: PolicyPack, i: number) =>
    evaluate(pack, {
      id: 'x',
      scene: SCENE,
      standing: standings[i & 1023]!,
      context: { siteId: 'store-1', amountFen: 12_800 },
      now,
      calendar: chinaHolidayCalendar,
      credentialKind: 'id-card',
    });
  // Every pack decides as the default pack does: the copies add cost, not benefits.
  for (const v of variants) {
    for (let i = 0; i < 64; i++) {
      const a = input(qingzhouPolicyPack, i);
      const b = input(v.pack, i);
      if (a.outcome !== b.outcome || JSON.stringify(a.benefits) !== JSON.stringify(b.benefits)) {
        throw new Error(`pack ${v.key} decides differently for standing ${i}`);
      }
    }
  }
  const measured: Record<string, Rounds> = {};
  // Round-robin over the variants, so a busier machine slows all of them alike.
  const perRound: Record<string, number[]> = Object.fromEntries(variants.map((v) => [v.key, []]));
  for (let round = -1; round < ROUNDS; round++) {
    for (const v of variants) {
      const rate = throughput((i) => input(v.pack, i), ROUND_MS);
      if (round >= 0) perRound[v.key]!.push(rate);
    }
  }
  for (const v of variants) measured[v.key] = summarize(perRound[v.key]!);
  const base = { label: '×1 (default pack)', ...measured.x1! };
  const figures: Figure[] = variants.map((v) =>
    figure(`pack-size.${v.key}`, v.label, 'decisions/s', measured[v.key]!, v.key === 'x1' ? undefined : base),
  );
  // Linear in the scene's rules when each added rule costs the same, whatever the pack's size.
  const usPerDecision = (key: string) => 1e6 / measured[key]!.median;
  const perAddedRule = (key: string, rules: number) =>
    (usPerDecision(key) - usPerDecision('x1')) / (rules - own.length);
  figures.push(
    figure(
      'pack-size.added-rule-x10',
      'cost of each added rule of the scene, ×10',
      'µs',
      single(perAddedRule('x10', own.length * 10)),
    ),
    figure(
      'pack-size.added-rule-x100',
      'cost of each added rule of the scene, ×100',
      'µs',
      single(perAddedRule('x100', own.length * 100)),
    ),
  );
  const notes = [
    `scene ${SCENE}; ${ROUNDS} rounds of ${ROUND_MS} ms per pack after a warm-up round, round-robin; one core`,
    `linear in the scene's rules when the cost of an added rule is the same at ×10 and ×100; other scenes' rules are not paid for when ×100 of them leave the rate at ≈ 1× (${(measured['others-x100']!.median / measured.x1!.median).toFixed(2)}×)`,
  ];
  return {
    bench: 'pack-size',
    title: 'evaluate() against pack size — one scene, copies of rules',
    figures,
    notes,
  };
}

await runAlone(import.meta.url, runPackSizeBench);
