import { describe, expect, it } from 'vitest';
import type { GrantedBenefit } from '../../../sdk/domain/benefits.js';
import { SCENE_IDS, type SceneId } from '../../../sdk/domain/scenes.js';
import type { ListMembership } from '../../../sdk/domain/standing.js';
import { shandongTierScheme, type TierCode } from '../../../sdk/domain/tiers.js';
import { describeBenefit } from '../../../sdk/policy/explain.js';
import { QINGZHOU_SCENIC_SITES, qingzhouPolicyPack } from '../../../sdk/policy/qingzhou-pack.js';
import { decide, NOW_ISO, reasonCodes, sortedBenefits, standing } from './fixtures.js';

type Effective = 'AAA' | 'AA' | 'A' | 'below-A';

const byRuleId = (list: GrantedBenefit[]) =>
  [...list].sort((a, b) => (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0));

/** Expected benefits per scene and effective tier (the programme's table as data). */
const EXPECTED: Record<SceneId, Record<Effective, GrantedBenefit[]>> = (() => {
  const scenic: GrantedBenefit[] = [{ kind: 'free-entry', ruleId: 'scenic.free-entry' }];
  const hotel: GrantedBenefit[] = [
    { kind: 'deposit-waiver', item: 'room-deposit', ruleId: 'hotel.deposit-waiver' },
    { kind: 'perk', item: 'express-checkout', ruleId: 'hotel.express-checkout' },
    { kind: 'perk', item: 'no-checkout-inspection', ruleId: 'hotel.no-checkout-inspection' },
  ];
  const marketBase: GrantedBenefit[] = [
    { kind: 'points-multiplier', factorBp: 20_000, ruleId: 'market.double-points' },
    { kind: 'perk', item: 'free-bags', ruleId: 'market.free-bags' },
    { kind: 'perk', item: 'free-membership-card', ruleId: 'market.free-membership-card' },
    { kind: 'perk', item: 'free-parking', ruleId: 'market.free-parking' },
    { kind: 'priority-lane', ruleId: 'market.priority-lane' },
    { kind: 'deposit-waiver', item: 'umbrella', ruleId: 'market.umbrella' },
  ];
  const hospital: GrantedBenefit[] = [
    { kind: 'docs-deferred', ruleId: 'hospital.docs-deferred' },
    {
      kind: 'deposit-waiver',
      item: 'inpatient-deposit',
      maxFen: 5_000_000,
      ruleId: 'hospital.inpatient-deposit-waiver',
    },
  ];
  const transit: GrantedBenefit[] = [
    { kind: 'deposit-waiver', item: 'bike-card-deposit', ruleId: 'transit.bike-card-deposit-waiver' },
    { kind: 'deposit-waiver', item: 'bus-card-deposit', ruleId: 'transit.bus-card-deposit-waiver' },
    { kind: 'discount', payBp: 9_000, appliesTo: 'fare', ruleId: 'transit.fare-discount' },
    { kind: 'ride-extension', minutes: 30, ruleId: 'transit.ride-extension' },
  ];
  const service: GrantedBenefit[] = [
    { kind: 'perk', item: 'commitment-based-approval', ruleId: 'service.commitment-approval' },
    { kind: 'green-channel', ruleId: 'service.green-channel' },
    { kind: 'perk', item: 'one-window-acceptance', ruleId: 'service.one-window' },
  ];
  const bank: GrantedBenefit[] = [
    { kind: 'fast-track-credit', maxFen: 30_000_000, ruleId: 'bank.fast-track-credit' },
    { kind: 'discount', payBp: 9_500, appliesTo: 'interest-rate', ruleId: 'bank.rate-discount' },
  ];
  const rentalBase: GrantedBenefit[] = [
    { kind: 'deposit-waiver', item: 'equipment-deposit', ruleId: 'rental.equipment-deposit-waiver' },
    { kind: 'deposit-waiver', item: 'office-space-deposit', ruleId: 'rental.office-deposit-waiver' },
  ];
  const sameForA = (list: GrantedBenefit[]): Record<Effective, GrantedBenefit[]> => ({
    AAA: list,
    AA: list,
    A: list,
    'below-A': [],
  });
  return {
    'scenic-gate': sameForA(scenic),
    'hotel-front-desk': sameForA(hotel),
    'supermarket-checkout': {
      AAA: [
        { kind: 'discount', payBp: 9_500, appliesTo: 'price', ruleId: 'market.discount.aaa' },
        ...marketBase,
      ],
      AA: [
        { kind: 'discount', payBp: 9_800, appliesTo: 'price', ruleId: 'market.discount.aa' },
        ...marketBase,
      ],
      A: marketBase,
      'below-A': [],
    },
    'library-kiosk': {
      AAA: [
        { kind: 'loan-extension', days: 60, ruleId: 'library.loan-extension.aa' },
        { kind: 'loan-limit', books: 5, ruleId: 'library.loan-limit.aaa' },
      ],
      AA: [
        { kind: 'loan-extension', days: 60, ruleId: 'library.loan-extension.aa' },
        { kind: 'loan-limit', books: 4, ruleId: 'library.loan-limit.aa' },
      ],
      A: [
        { kind: 'loan-extension', days: 30, ruleId: 'library.loan-extension.a' },
        { kind: 'loan-limit', books: 3, ruleId: 'library.loan-limit.a' },
      ],
      'below-A': [],
    },
    'hospital-admission': { AAA: hospital, AA: hospital, A: [], 'below-A': [] },
    'transit-counter': sameForA(transit),
    'service-window': sameForA(service),
    'bank-counter': sameForA(bank),
    'rental-desk': {
      AAA: [
        { kind: 'discount', payBp: 7_000, appliesTo: 'rent', ruleId: 'rental.rent-discount.aaa' },
        ...rentalBase,
      ],
      AA: [
        { kind: 'discount', payBp: 9_000, appliesTo: 'rent', ruleId: 'rental.rent-discount.aa' },
        ...rentalBase,
      ],
      A: rentalBase,
      'below-A': [],
    },
  };
})();

/** Rules whose grants must be disclosed (公示) within 7 working days. */
const DISCLOSED: Partial<Record<SceneId, string[]>> = {
  'service-window': ['service.commitment-approval', 'service.green-channel', 'service.one-window'],
  'bank-counter': ['bank.fast-track-credit', 'bank.rate-discount'],
};

interface TierCase {
  label: string;
  tier: TierCode;
  lists: ListMembership[];
  effective: Effective;
  effectiveTier: TierCode;
}

const TIER_CASES: TierCase[] = [
  { label: 'AAA', tier: 'AAA', lists: [], effective: 'AAA', effectiveTier: 'AAA' },
  { label: 'AA', tier: 'AA', lists: [], effective: 'AA', effectiveTier: 'AA' },
  { label: 'A', tier: 'A', lists: [], effective: 'A', effectiveTier: 'A' },
  { label: 'B', tier: 'B', lists: [], effective: 'below-A', effectiveTier: 'B' },
  { label: 'C', tier: 'C', lists: [], effective: 'below-A', effectiveTier: 'C' },
  { label: 'D', tier: 'D', lists: [], effective: 'below-A', effectiveTier: 'D' },
  // The red list counts as at least AA.
  { label: 'B on the red list', tier: 'B', lists: [{ kind: 'red' }], effective: 'AA', effectiveTier: 'AA' },
];

/** Context each scene needs for its rules to apply (the scenic rules need a covered site). */
const CONTEXT: Partial<Record<SceneId, { siteId: string }>> = { 'scenic-gate': { siteId: 'yunmenshan' } };

const CASES = SCENE_IDS.flatMap((scene) => TIER_CASES.map((t) => ({ scene, ...t })));

describe('qingzhouPolicyPack: benefits of every scene by tier', () => {
  it('the table covers all nine scenes and every scene has rules in the pack', () => {
    expect(Object.keys(EXPECTED).sort()).toEqual([...SCENE_IDS].sort());
    for (const scene of SCENE_IDS) {
      expect(qingzhouPolicyPack.rules.some((r) => r.scene === scene)).toBe(true);
    }
  });

  it.each(CASES)('$scene, $label', ({ scene, tier, lists, effective, effectiveTier }) => {
    const decision = decide({ scene, standing: standing({ tier, lists }), context: CONTEXT[scene] });
    const expected = byRuleId(EXPECTED[scene][effective]);

    expect(sortedBenefits(decision)).toEqual(expected);
    // toEqual ignores absent keys; also pin that no unexpected field (e.g. maxFen) crept in.
    for (const [i, b] of sortedBenefits(decision).entries()) {
      expect(Object.keys(b).sort()).toEqual(Object.keys(expected[i]!).sort());
    }
    expect(decision.outcome).toBe(expected.length > 0 ? 'granted' : 'denied');
    expect(decision.effectiveTier).toBe(effectiveTier);
    expect(decision.scene).toBe(scene);
    expect(decision.standingSource).toBe('platform');

    const disclosed = expected.length > 0 ? (DISCLOSED[scene] ?? []) : [];
    expect([...decision.disclosures].sort((a, b) => (a.ruleId < b.ruleId ? -1 : 1))).toEqual(
      disclosed.map((ruleId) => ({ ruleId, deadlineWorkingDays: 7 })),
    );

    if (expected.length === 0) {
      // Every rule of the scene was refused for the tier, and the citizen reads the neutral text.
      const sceneRules = qingzhouPolicyPack.rules.filter((r) => r.scene === scene).map((r) => r.id);
      expect(decision.reasons.map((r) => r.ruleId).sort()).toEqual(sceneRules.sort());
      expect(new Set(reasonCodes(decision))).toEqual(new Set(['TIER_TOO_LOW']));
      expect(decision.explanation.citizen).toBe(
        '暂不符合信用优惠条件，按常规流程办理；如有疑问请至服务窗口咨询。',
      );
    } else {
      for (const b of decision.benefits) {
        expect(decision.reasons).toContainEqual({ code: 'GRANTED', ruleId: b.ruleId });
        expect(decision.explanation.citizen).toContain(describeBenefit(b, qingzhouPolicyPack.labels));
      }
      expect(decision.explanation.citizen.startsWith('信用优惠：')).toBe(true);
    }
  });

  it('records the smaller supermarket discount as superseded for AAA', () => {
    const d = decide({ scene: 'supermarket-checkout', standing: standing({ tier: 'AAA' }) });
    expect(reasonCodes(d, 'market.discount.aaa')).toEqual(['GRANTED']);
    expect(reasonCodes(d, 'market.discount.aa')).toEqual(['SUPERSEDED']);
  });

  it('the red-list floor shows in the staff text and never lowers a subject above it', () => {
    const raised = decide({
      scene: 'library-kiosk',
      standing: standing({ tier: 'B', lists: [{ kind: 'red' }] }),
    });
    expect(raised.explanation.staff).toContain('B→AA（红名单）');
    const above = decide({
      scene: 'library-kiosk',
      standing: standing({ tier: 'AAA', lists: [{ kind: 'red' }] }),
    });
    expect(above.effectiveTier).toBe('AAA');
    expect(sortedBenefits(above)).toEqual(byRuleId(EXPECTED['library-kiosk'].AAA));
  });
});

describe('qingzhouPolicyPack: scenic sites', () => {
  it('lists exactly the six city scenic spots, each with a Chinese label', () => {
    expect([...QINGZHOU_SCENIC_SITES].sort()).toEqual(
      ['fangongting', 'jingtang-village', 'mihe-wetland', 'ouyuan', 'tuoshan', 'yunmenshan'].sort(),
    );
    const labels = QINGZHOU_SCENIC_SITES.map((s) => qingzhouPolicyPack.labels[s]);
    expect(labels).toEqual(['云门山', '驼山', '偶园', '范公亭', '弥河湿地公园', '井塘古村']);
  });

  it.each(
    QINGZHOU_SCENIC_SITES.flatMap((siteId) =>
      (['AAA', 'AA', 'A'] as const).map((tier) => ({ siteId, tier })),
    ),
  )('free entry at $siteId for $tier', ({ siteId, tier }) => {
    const d = decide({ scene: 'scenic-gate', standing: standing({ tier }), context: { siteId } });
    expect(d.outcome).toBe('granted');
    expect(d.benefits).toEqual([{ kind: 'free-entry', ruleId: 'scenic.free-entry' }]);
  });

  it.each(
    QINGZHOU_SCENIC_SITES.flatMap((siteId) => (['B', 'C', 'D'] as const).map((tier) => ({ siteId, tier }))),
  )('no free entry at $siteId for $tier', ({ siteId, tier }) => {
    const d = decide({ scene: 'scenic-gate', standing: standing({ tier }), context: { siteId } });
    expect(d.outcome).toBe('denied');
    expect(d.reasons).toEqual([{ code: 'TIER_TOO_LOW', ruleId: 'scenic.free-entry' }]);
  });

  it.each([
    { label: 'another site', context: { siteId: 'taishan' } },
    { label: 'a site id differing only in case', context: { siteId: 'Yunmenshan' } },
    { label: 'no site id', context: {} },
    { label: 'no context at all', context: undefined },
  ])('no free entry at $label, even for AAA (SITE_NOT_COVERED)', ({ context }) => {
    const d = decide({ scene: 'scenic-gate', standing: standing({ tier: 'AAA' }), context });
    expect(d.outcome).toBe('denied');
    expect(d.benefits).toEqual([]);
    expect(d.reasons).toEqual([{ code: 'SITE_NOT_COVERED', ruleId: 'scenic.free-entry' }]);
  });
});

describe('qingzhouPolicyPack: pack-level settings', () => {
  it('uses the Shandong scheme, A as 守信, red list as AA, black blocking and 春节/国庆节 as major holidays', () => {
    expect(qingzhouPolicyPack.tierScheme).toBe(shandongTierScheme);
    expect(qingzhouPolicyPack.trustworthyMinTier).toBe('A');
    expect(qingzhouPolicyPack.redListFloorTier).toBe('AA');
    expect(qingzhouPolicyPack.blockingListKinds).toEqual(['black']);
    expect(qingzhouPolicyPack.keyAttention).toBe('manual-review');
    expect([...qingzhouPolicyPack.majorHolidays].sort()).toEqual(['国庆节', '春节'].sort());
  });

  it('has a Chinese label for every item code used by a rule', () => {
    for (const rule of qingzhouPolicyPack.rules) {
      const b = rule.benefit;
      if (b.kind === 'perk' || b.kind === 'deposit-waiver') {
        expect(qingzhouPolicyPack.labels[b.item], `${rule.id}: ${b.item}`).toMatch(/\p{Script=Han}/u);
      }
    }
  });

  it('decides at the documented fixed time', () => {
    expect(decide({ scene: 'library-kiosk' }).at).toBe(new Date(NOW_ISO).toISOString());
  });
});
