import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Benefit } from '../../../sdk/domain/benefits.js';
import type { Decision } from '../../../sdk/domain/decision.js';
import { SCENE_IDS, type SceneId } from '../../../sdk/domain/scenes.js';
import type { CreditStanding, ListMembership, StandingSource } from '../../../sdk/domain/standing.js';
import { TIER_CODES, type TierCode } from '../../../sdk/domain/tiers.js';
import type { XinyiError } from '../../../sdk/errors.js';
import { createPseudonymizer } from '../../../sdk/identity/index.js';
import {
  type DecisionContext,
  type EvaluateInput,
  evaluate,
  type UsageCounts,
} from '../../../sdk/policy/evaluate.js';
import type { PolicyPack, StackGroup } from '../../../sdk/policy/pack.js';
import { QINGZHOU_SCENIC_SITES, qingzhouPolicyPack } from '../../../sdk/policy/qingzhou-pack.js';
import { createInMemoryCreditProvider } from '../../../sdk/terminal/in-memory-credit-provider.js';
import { createTerminal } from '../../../sdk/terminal/terminal.js';
import { generateResidentIdNumber, generateSocialCreditCode } from '../../../simulator/population.js';
import { createRng } from '../../../simulator/prng.js';
import { clonePack, ORGANISATION_SCENES } from './fixtures.js';

const RUNS = 300;

// ---------------------------------------------------------------------------------------------
// Arbitraries
// ---------------------------------------------------------------------------------------------

/** Holiday edges, 调休 days and out-of-coverage days, mixed with any instant in 2023–2027. */
const SPECIAL_DAYS = [
  '2024-02-10',
  '2025-10-08',
  '2026-02-14',
  '2026-02-15',
  '2026-02-23',
  '2026-02-24',
  '2026-03-07',
  '2026-09-20',
  '2026-09-30',
  '2026-10-01',
  '2026-10-07',
  '2026-10-08',
  '2026-10-10',
  '2026-11-26',
  '2027-05-12',
];
const nowArb: fc.Arbitrary<number> = fc.oneof(
  fc
    .record({ day: fc.constantFrom(...SPECIAL_DAYS), minute: fc.integer({ min: 0, max: 24 * 60 - 1 }) })
    .map(({ day, minute }) => Date.parse(`${day}T00:00:00+08:00`) + minute * 60_000),
  fc.integer({ min: Date.UTC(2023, 11, 1), max: Date.UTC(2027, 11, 31) }),
);

const DOMAINS = [
  'tourism',
  'medical',
  'finance',
  'retail',
  'library',
  'transport',
  'administrative',
  'rental',
  'any',
];
const listArb: fc.Arbitrary<ListMembership> = fc
  .record({
    kind: fc.constantFrom<ListMembership['kind']>('red', 'black', 'key-attention'),
    domain: fc.option(fc.constantFrom(...DOMAINS), { nil: undefined }),
  })
  .map(({ kind, domain }) => (domain === undefined ? { kind } : { kind, domain }));

const tierArb: fc.Arbitrary<TierCode | null> = fc.constantFrom<TierCode | null>(...TIER_CODES, null);
const sourceArb: fc.Arbitrary<StandingSource> = fc.constantFrom<StandingSource>(
  'platform',
  'snapshot',
  'credit-code',
  'none',
);

/** A standing computed `ageMin` minutes before the decision (up to ~4 days, so some are stale). */
function standingArb(lists: fc.Arbitrary<ListMembership[]> = fc.array(listArb, { maxLength: 3 })) {
  return fc.record({
    tier: tierArb,
    lists,
    source: sourceArb,
    ageMin: fc.integer({ min: 0, max: 100 * 60 }),
  });
}
type StandingDraft = {
  tier: TierCode | null;
  lists: ListMembership[];
  source: StandingSource;
  ageMin: number;
};
const toStanding = (d: StandingDraft, nowMs: number): CreditStanding => ({
  tier: d.tier,
  lists: d.lists,
  source: d.source,
  asOf: new Date(nowMs - d.ageMin * 60_000).toISOString(),
});

const sceneArb: fc.Arbitrary<SceneId> = fc.constantFrom(...SCENE_IDS);
const contextArb: fc.Arbitrary<DecisionContext | undefined> = fc.option(
  fc.record(
    {
      siteId: fc.constantFrom(...QINGZHOU_SCENIC_SITES, 'taishan', ''),
      amountFen: fc.integer({ min: 0, max: 10_000_000 }),
    },
    { requiredKeys: [] },
  ),
  { nil: undefined },
);
const usageArb: fc.Arbitrary<UsageCounts | undefined> = fc.option(
  fc.record({ 'scenic.free-entry': fc.record({ day: fc.integer({ min: 0, max: 3 }) }) }),
  { nil: undefined },
);

const inputArb = (lists?: fc.Arbitrary<ListMembership[]>, scenes: fc.Arbitrary<SceneId> = sceneArb) =>
  fc
    .record({
      scene: scenes,
      standing: standingArb(lists),
      context: contextArb,
      now: nowArb,
      usage: usageArb,
    })
    .map(
      ({ scene, standing, context, now, usage }): EvaluateInput => ({
        scene,
        standing: toStanding(standing, now),
        context,
        now,
        usage,
      }),
    );

/**
 * The amounts a group's `maxValue` bounds, read off the benefit itself as docs/policy-packs.md states
 * the rule ("maxValue bounds the amount: books, days, minutes, fen, factor bp"): every number it carries
 * except a discount's `payBp`, which `minPayBp` bounds from below. Deliberately not a table of kinds:
 * a kind the engine forgot to cap shows up here as an amount over the cap.
 */
function cappedAmounts(b: Benefit): number[] {
  return Object.entries(b).flatMap(([field, value]) =>
    typeof value === 'number' && !(b.kind === 'discount' && field === 'payBp') ? [value] : [],
  );
}

/**
 * A variant of the default pack: every stacking group gets a random (valid) mode, cap and floor,
 * the numbers of the grouped rules are random, extra rules join the groups so that additive and
 * multiplicative modes really combine, two standalone rules are grouped under a capped group, and
 * priorities are random with many ties.
 */
const packVariantArb: fc.Arbitrary<PolicyPack> = fc
  .record({
    discountMode: fc.constantFrom<StackGroup['mode']>('exclusive', 'max', 'multiplicative'),
    rentMode: fc.constantFrom<StackGroup['mode']>('exclusive', 'max', 'multiplicative'),
    loanLimitMode: fc.constantFrom<StackGroup['mode']>('exclusive', 'max', 'additive'),
    loanExtMode: fc.constantFrom<StackGroup['mode']>('exclusive', 'max', 'additive'),
    hospitalMode: fc.constantFrom<StackGroup['mode']>('exclusive', 'max', 'additive'),
    depositMode: fc.constantFrom<StackGroup['mode']>('exclusive', 'max'),
    minPayBp: fc.array(fc.option(fc.integer({ min: 0, max: 10_000 }), { nil: undefined }), {
      minLength: 2,
      maxLength: 2,
    }),
    maxValue: fc.array(fc.option(fc.integer({ min: 1, max: 200 }), { nil: undefined }), {
      minLength: 2,
      maxLength: 2,
    }),
    hospitalMax: fc.option(fc.integer({ min: 1, max: 20_000_000 }), { nil: undefined }),
    depositMax: fc.option(fc.integer({ min: 1, max: 1_000_000 }), { nil: undefined }),
    payBps: fc.array(fc.integer({ min: 0, max: 10_000 }), { minLength: 6, maxLength: 6 }),
    books: fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 4, maxLength: 4 }),
    days: fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 3, maxLength: 3 }),
    fens: fc.array(fc.integer({ min: 1, max: 20_000_000 }), { minLength: 2, maxLength: 2 }),
    priorities: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 64, maxLength: 64 }),
  })
  .map((r) => {
    const pack = clonePack();
    const group = (mode: StackGroup['mode'], caps: { maxValue?: number; minPayBp?: number }): StackGroup => {
      const g: StackGroup = { mode };
      if (caps.maxValue !== undefined) g.maxValue = caps.maxValue;
      if (caps.minPayBp !== undefined) g.minPayBp = caps.minPayBp;
      return g;
    };
    pack.stackGroups = {
      'market.discount': group(r.discountMode, { minPayBp: r.minPayBp[0] }),
      'rental.rent-discount': group(r.rentMode, { minPayBp: r.minPayBp[1] }),
      'library.loan-limit': group(r.loanLimitMode, { maxValue: r.maxValue[0] }),
      'library.loan-extension': group(r.loanExtMode, { maxValue: r.maxValue[1] }),
      'hospital.inpatient-deposit': group(r.hospitalMode, { maxValue: r.hospitalMax }),
      'hotel.deposits': group(r.depositMode, { maxValue: r.depositMax }),
    };
    const byId = (id: string) => pack.rules.find((x) => x.id === id)!;
    const discounts = [
      'market.discount.aa',
      'market.discount.aaa',
      'rental.rent-discount.aa',
      'rental.rent-discount.aaa',
    ];
    discounts.forEach((id, i) => {
      const rule = byId(id);
      const b = rule.benefit as Extract<Benefit, { kind: 'discount' }>;
      rule.benefit = { ...b, payBp: r.payBps[i]! };
    });
    (['a', 'aa', 'aaa'] as const).forEach((t, i) => {
      byId(`library.loan-limit.${t}`).benefit = { kind: 'loan-limit', books: r.books[i]! };
    });
    (['a', 'aa'] as const).forEach((t, i) => {
      byId(`library.loan-extension.${t}`).benefit = { kind: 'loan-extension', days: r.days[i]! };
    });
    byId('hospital.inpatient-deposit-waiver').benefit = {
      kind: 'deposit-waiver',
      item: 'inpatient-deposit',
      maxFen: r.fens[0]!,
    };
    // Standalone waivers without an amount, now under a capped group.
    byId('hotel.deposit-waiver').stackGroup = 'hotel.deposits';
    const extra = (id: string, scene: SceneId, benefit: Benefit, stackGroup: string) =>
      pack.rules.push({
        id,
        scene,
        description: '随机测试规则',
        when: { fact: 'tier', op: 'gte', value: 'C' },
        benefit,
        stackGroup,
        basis: 'property test',
      });
    extra(
      'market.discount.extra',
      'supermarket-checkout',
      { kind: 'discount', payBp: r.payBps[4]! },
      'market.discount',
    );
    extra(
      'rental.rent-discount.extra',
      'rental-desk',
      { kind: 'discount', payBp: r.payBps[5]! },
      'rental.rent-discount',
    );
    extra(
      'library.loan-limit.extra',
      'library-kiosk',
      { kind: 'loan-limit', books: r.books[3]! },
      'library.loan-limit',
    );
    extra(
      'library.loan-extension.extra',
      'library-kiosk',
      { kind: 'loan-extension', days: r.days[2]! },
      'library.loan-extension',
    );
    extra(
      'hospital.inpatient-deposit-extra',
      'hospital-admission',
      { kind: 'deposit-waiver', item: 'inpatient-deposit', maxFen: r.fens[1]! },
      'hospital.inpatient-deposit',
    );
    extra(
      'hotel.deposit-extra',
      'hotel-front-desk',
      { kind: 'deposit-waiver', item: 'key-deposit' },
      'hotel.deposits',
    );
    pack.rules.forEach((rule, i) => {
      const p = r.priorities[i % r.priorities.length]!;
      if (p !== 0) rule.priority = p;
    });
    return pack;
  });

/** Every benefit in a group with a cap or floor respects it. */
function checkGroupCaps(pack: PolicyPack, d: Decision): void {
  for (const b of d.benefits) {
    const rule = pack.rules.find((r) => r.id === b.ruleId);
    expect(rule, b.ruleId).toBeDefined();
    if (rule?.stackGroup === undefined) continue;
    const group = pack.stackGroups[rule.stackGroup]!;
    for (const amount of cappedAmounts(b)) {
      expect(amount, `${b.ruleId}: ${b.kind}`).toBeGreaterThanOrEqual(0);
      if (group.maxValue !== undefined)
        expect(amount, `${b.ruleId}: ${b.kind}`).toBeLessThanOrEqual(group.maxValue);
    }
    if (group.maxValue !== undefined && b.kind === 'deposit-waiver') expect(b.maxFen).toBeDefined();
    if (b.kind === 'discount') {
      expect(b.payBp).toBeGreaterThanOrEqual(0);
      expect(b.payBp).toBeLessThanOrEqual(10_000);
      if (group.minPayBp !== undefined) expect(b.payBp).toBeGreaterThanOrEqual(group.minPayBp);
    }
  }
}

const FORBIDDEN_IN_CITIZEN_TEXT = ['黑', '名单', 'black', 'list'];

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

describe('policy properties', () => {
  it('(a) a subject on a blocking list without a domain never gets a benefit', () => {
    const withBlack = fc
      .array(listArb, { maxLength: 3 })
      .chain((lists) =>
        fc
          .nat({ max: lists.length })
          .map((at): ListMembership[] => [...lists.slice(0, at), { kind: 'black' }, ...lists.slice(at)]),
      );
    fc.assert(
      fc.property(inputArb(withBlack), (input) => {
        const d = evaluate(qingzhouPolicyPack, input);
        expect(d.benefits).toEqual([]);
        expect(d.disclosures).toEqual([]);
        expect(d.outcome).not.toBe('granted');
        for (const word of FORBIDDEN_IN_CITIZEN_TEXT) expect(d.explanation.citizen).not.toContain(word);
      }),
      { numRuns: RUNS },
    );
  });

  it('(a) ... also in any random variant of the pack', () => {
    fc.assert(
      fc.property(packVariantArb, inputArb(fc.constant([{ kind: 'black' }])), (pack, input) => {
        expect(evaluate(pack, input).benefits).toEqual([]);
      }),
      { numRuns: 150 },
    );
  });

  it('(b) the default pack never exceeds its caps', () => {
    fc.assert(
      fc.property(inputArb(), (input) => {
        const d = evaluate(qingzhouPolicyPack, input);
        for (const b of d.benefits) {
          if (b.kind === 'loan-limit') expect(b.books).toBeLessThanOrEqual(5);
          if (b.kind === 'loan-extension') expect(b.days).toBeLessThanOrEqual(60);
          if (b.kind === 'discount' && input.scene === 'supermarket-checkout') {
            expect(b.payBp).toBeGreaterThanOrEqual(9_500);
          }
          if (b.kind === 'deposit-waiver' && input.scene === 'hospital-admission') {
            expect(b.maxFen).toBeDefined();
            expect(b.maxFen!).toBeLessThanOrEqual(5_000_000);
          }
          if (b.kind === 'discount' && input.scene === 'rental-desk')
            expect(b.payBp).toBeGreaterThanOrEqual(7_000);
        }
        checkGroupCaps(qingzhouPolicyPack, d);
      }),
      { numRuns: RUNS },
    );
  });

  it('(b) a random pack variant never exceeds its group caps or floors', () => {
    const noBlack = fc.array(
      listArb.filter((l) => l.kind !== 'black'),
      { maxLength: 2 },
    );
    // The scenes whose rules the variant groups.
    const groupedScenes = fc.constantFrom<SceneId>(
      'supermarket-checkout',
      'rental-desk',
      'library-kiosk',
      'hospital-admission',
      'hotel-front-desk',
    );
    let capped = 0;
    fc.assert(
      fc.property(packVariantArb, inputArb(noBlack, groupedScenes), (pack, input) => {
        const d = evaluate(pack, input);
        checkGroupCaps(pack, d);
        if (d.reasons.some((r) => r.code === 'CAPPED')) capped++;
      }),
      { numRuns: RUNS },
    );
    // The generator must really reach the caps, or the property proves nothing.
    expect(capped).toBeGreaterThan(RUNS / 30);
  });

  it('(c) the order of the rules in a pack never changes a decision', () => {
    const permuted = <T>(items: readonly T[]) =>
      fc.shuffledSubarray([...items], { minLength: items.length, maxLength: items.length });
    fc.assert(
      fc.property(
        packVariantArb.chain((pack) =>
          permuted(pack.rules).map((rules) => [pack, { ...pack, rules }] as const),
        ),
        inputArb(),
        ([pack, shuffled], input) => {
          const a = evaluate(pack, input);
          const b = evaluate(shuffled, input);
          expect(b).toEqual(a);
          // Derived ids too: the id does not depend on rule order.
          expect(b.id).toBe(a.id);
          const explicit = { ...input, id: 'fixed-id' };
          expect(evaluate(shuffled, explicit)).toEqual(evaluate(pack, explicit));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('(c) ... and for the default pack in every scene', () => {
    fc.assert(
      fc.property(
        fc.shuffledSubarray([...qingzhouPolicyPack.rules], {
          minLength: qingzhouPolicyPack.rules.length,
          maxLength: qingzhouPolicyPack.rules.length,
        }),
        fc.array(inputArb(), { minLength: 1, maxLength: 5 }),
        (rules, inputs) => {
          const shuffled = { ...qingzhouPolicyPack, rules };
          for (const input of inputs)
            expect(evaluate(shuffled, input)).toEqual(evaluate(qingzhouPolicyPack, input));
        },
      ),
      { numRuns: 100 },
    );
  });

  it("(d) outcome is 'granted' exactly when there is at least one benefit", () => {
    fc.assert(
      fc.property(fc.option(packVariantArb, { nil: undefined }), inputArb(), (pack, input) => {
        const d = evaluate(pack ?? qingzhouPolicyPack, input);
        expect(d.outcome === 'granted').toBe(d.benefits.length > 0);
        if (d.outcome === 'unavailable') expect(d.benefits).toEqual([]);
        // A benefit always names a rule of the decision's scene that the reasons record as granted.
        for (const b of d.benefits) {
          expect((pack ?? qingzhouPolicyPack).rules.find((r) => r.id === b.ruleId)?.scene).toBe(d.scene);
          expect(d.reasons).toContainEqual({ code: 'GRANTED', ruleId: b.ruleId });
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('is deterministic: the same input twice gives deep-equal decisions', () => {
    fc.assert(
      fc.property(inputArb(), (input) => {
        expect(evaluate(qingzhouPolicyPack, structuredClone(input))).toEqual(
          evaluate(qingzhouPolicyPack, input),
        );
      }),
      { numRuns: 100 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// (e) No raw ID number anywhere a terminal writes to
// ---------------------------------------------------------------------------------------------

const KEY = 'property-pseudonym-key-0123456789';
const TERMINAL_NOW = Date.parse('2026-11-26T10:00:00+08:00');

/** Every string reachable from a value, including non-enumerable error messages and stacks. */
function allText(value: unknown): string {
  const parts: string[] = [];
  const seen = new Set<unknown>();
  const walk = (v: unknown, depth: number) => {
    if (depth > 8 || v === null || v === undefined) return;
    if (typeof v === 'string') parts.push(v);
    else if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') parts.push(String(v));
    else if (typeof v === 'object') {
      if (seen.has(v)) return;
      seen.add(v);
      if (v instanceof Error) {
        parts.push(v.message, v.stack ?? '', String(v));
        walk(v.cause, depth + 1);
      }
      if (v instanceof AbortSignal) return;
      for (const key of Reflect.ownKeys(v)) {
        parts.push(String(key));
        walk((v as Record<PropertyKey, unknown>)[key], depth + 1);
      }
    }
  };
  walk(value, 0);
  try {
    parts.push(JSON.stringify(value));
  } catch {
    // circular: the walk above has covered it
  }
  return parts.join('\n');
}

describe('(e) privacy at the terminal', () => {
  it('no decision, event, log line or credit lookup contains the raw ID number', async () => {
    const pseudonymizer = createPseudonymizer(KEY);
    const clock = { now: () => TERMINAL_NOW };
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        sceneArb,
        tierArb,
        fc.array(listArb, { maxLength: 2 }),
        fc.constantFrom('valid', 'bad-check-digit', 'lower-x', 'padded', 'unknown-subject', 'failing-source'),
        async (seed, scene, tier, lists, variant) => {
          const idNumber = generateResidentIdNumber(createRng(seed));
          const first17 = idNumber.slice(0, 17);
          const last = idNumber[17]!;
          const flipped = `${first17}${last === '0' ? '1' : '0'}`;
          const presented =
            variant === 'bad-check-digit'
              ? flipped
              : variant === 'lower-x'
                ? idNumber.toLowerCase()
                : variant === 'padded'
                  ? ` ${idNumber} `
                  : idNumber;

          const provider = createInMemoryCreditProvider({ name: 'platform', clock });
          if (variant !== 'unknown-subject')
            provider.set(pseudonymizer.pseudonymize(idNumber), { tier, lists });
          if (variant === 'failing-source') provider.setFailing(true);
          const lookups: unknown[] = [];
          const logs: unknown[] = [];
          const logger = {
            debug: (...args: unknown[]) => void logs.push(args),
            info: (...args: unknown[]) => void logs.push(args),
            warn: (...args: unknown[]) => void logs.push(args),
            error: (...args: unknown[]) => void logs.push(args),
          };
          const terminal = createTerminal({
            terminalId: 'prop-terminal',
            scene,
            pseudonymKey: KEY,
            clock,
            logger,
            context: { siteId: 'yunmenshan' },
            credit: [
              {
                name: 'recorder',
                resolve: async (lookup) => {
                  lookups.push({ ...lookup, signal: undefined });
                  return null;
                },
              },
              provider,
            ],
          });
          const events: unknown[] = [];
          for (const name of ['decision', 'warning', 'offline', 'online', 'device'] as const) {
            terminal.on(name, (...args: unknown[]) => void events.push([name, ...args]));
          }
          const decision = await terminal.present({ kind: 'id-card', idNumber: presented, name: '测试名' });
          await terminal.close();

          const text = allText([decision, events, logs, lookups]);
          for (const secret of [
            idNumber,
            idNumber.toLowerCase(),
            first17,
            flipped,
            presented.trim(),
            '测试名',
          ]) {
            expect(text).not.toContain(secret);
          }
          expect(events.some((e) => (e as unknown[])[0] === 'decision')).toBe(true);
          if (variant === 'bad-check-digit') {
            // Where persons are served: unavailable (normal service); at a market subjects' counter the
            // scene's coverage answers first, the same for every person.
            expect(decision.outcome).toBe(ORGANISATION_SCENES.includes(scene) ? 'denied' : 'unavailable');
            expect(lookups).toEqual([]);
          } else {
            expect(decision.subject?.pseudonym).toBe(pseudonymizer.pseudonymize(idNumber));
            expect(decision.subject?.masked).toBe(`${idNumber[0]}${'*'.repeat(16)}${last}`);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('(e) privacy at the terminal: organisations', () => {
  it('no decision, event, log line or credit lookup contains the credit code, typed or scanned', async () => {
    const pseudonymizer = createPseudonymizer(KEY);
    const clock = { now: () => TERMINAL_NOW };
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        sceneArb,
        tierArb,
        fc.constantFrom(
          'typed',
          'typed-lower',
          'scanned',
          'licence-url',
          'bad-check',
          'bad-organisation-code',
        ),
        async (seed, scene, tier, variant) => {
          const code = generateSocialCreditCode(createRng(seed));
          const first17 = code.slice(0, 17);
          const badCheck = `${first17}${code[17] === '0' ? '1' : '0'}`;
          // The organisation code's own check character changed, and the code's redone over it.
          const orgCheck = code[16] === '0' ? '1' : '0';
          const badOrganisation = `${code.slice(0, 16)}${orgCheck}${code[17]}`;
          const [entry, text] =
            variant === 'typed'
              ? (['typed', code] as const)
              : variant === 'typed-lower'
                ? (['typed', ` ${code.toLowerCase()} `] as const)
                : variant === 'scanned'
                  ? (['scanned', code] as const)
                  : variant === 'licence-url'
                    ? (['licence-qr', `https://www.gsxt.gov.cn/corp-query?uniscid=${code}`] as const)
                    : variant === 'bad-check'
                      ? (['typed', badCheck] as const)
                      : (['typed', badOrganisation] as const);
          const provider = createInMemoryCreditProvider({ name: 'platform', clock });
          provider.set(pseudonymizer.pseudonymize(code, 'organisation-code'), {
            tier,
            lists: [],
            subjectType: 'organisation',
          });
          const lookups: unknown[] = [];
          const logs: unknown[] = [];
          const logger = {
            debug: (...args: unknown[]) => void logs.push(args),
            info: (...args: unknown[]) => void logs.push(args),
            warn: (...args: unknown[]) => void logs.push(args),
            error: (...args: unknown[]) => void logs.push(args),
          };
          const terminal = createTerminal({
            terminalId: 'prop-terminal',
            scene,
            pseudonymKey: KEY,
            clock,
            logger,
            context: { siteId: 'yunmenshan' },
            credit: [
              {
                name: 'recorder',
                resolve: async (lookup) => {
                  lookups.push({ ...lookup, signal: undefined });
                  return null;
                },
              },
              provider,
            ],
          });
          const events: unknown[] = [];
          for (const name of ['decision', 'warning'] as const) {
            terminal.on(name, (...args: unknown[]) => void events.push([name, ...args]));
          }
          const decision = await terminal.present({ kind: 'organisation', entry, text });
          await terminal.close();

          const all = allText([decision, events, logs, lookups]);
          for (const secret of [
            code,
            code.toLowerCase(),
            first17,
            badCheck,
            badOrganisation,
            code.slice(2, 17),
          ]) {
            expect(all).not.toContain(secret);
          }
          expect(decision.subjectType).toBe('organisation');
          if (variant === 'bad-check' || variant === 'bad-organisation-code') {
            const error = (
              events.find((e) => (e as unknown[])[0] === 'warning') as unknown[]
            )[1] as XinyiError;
            expect(error.code).toBe('CREDENTIAL_INVALID');
            expect(error.details.problem).toBe(
              variant === 'bad-check' ? 'check-char' : 'organisation-code-check',
            );
            expect(lookups).toEqual([]);
            expect(decision.subject).toBeUndefined();
          } else {
            expect(decision.subject?.pseudonym).toBe(pseudonymizer.pseudonymize(code, 'organisation-code'));
            expect(decision.subject?.masked).toBe(`${code[0]}${'*'.repeat(16)}${code[17]}`);
            if (ORGANISATION_SCENES.includes(scene))
              expect(decision.reasons).not.toContainEqual({ code: 'SUBJECT_TYPE_MISMATCH' });
            else expect(decision.reasons).toEqual([{ code: 'SUBJECT_TYPE_NOT_COVERED' }]);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
