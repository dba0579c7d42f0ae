import { describe, expect, it } from 'vitest';
import type { GrantedBenefit } from '../../../sdk/domain/benefits.js';
import { SCENE_IDS, type SceneId } from '../../../sdk/domain/scenes.js';
import type { ListMembership } from '../../../sdk/domain/standing.js';
import { shandongTierScheme, type TierCode } from '../../../sdk/domain/tiers.js';
import { describeBenefit } from '../../../sdk/policy/explain.js';
import type { PolicyPack } from '../../../sdk/policy/pack.js';
import {
  QINGZHOU_PROGRAMME,
  QINGZHOU_SCENIC_SITES,
  qingzhouPolicyPack,
} from '../../../sdk/policy/qingzhou-pack.js';
import { clonePack, decide, NOW_ISO, ORGANISATION_SCENES, reasonCodes, standing } from './fixtures.js';

type Effective = 'AAA' | 'AA' | 'A' | 'below-A';

/**
 * Expected benefits per scene and effective tier (the programme's table as data), in the order the
 * decision lists them: the pack's priorities, most important first.
 */
const EXPECTED: Record<SceneId, Record<Effective, GrantedBenefit[]>> = (() => {
  const scenic: GrantedBenefit[] = [{ kind: 'free-entry', ruleId: 'scenic.free-entry' }];
  const hotel: GrantedBenefit[] = [
    { kind: 'deposit-waiver', item: 'room-deposit', ruleId: 'hotel.deposit-waiver' },
    { kind: 'perk', item: 'express-checkout', ruleId: 'hotel.express-checkout' },
    { kind: 'perk', item: 'no-checkout-inspection', ruleId: 'hotel.no-checkout-inspection' },
  ];
  const marketPerks: GrantedBenefit[] = [
    { kind: 'priority-lane', ruleId: 'market.priority-lane' },
    { kind: 'points-multiplier', factorBp: 20_000, ruleId: 'market.double-points' },
    { kind: 'perk', item: 'free-parking', ruleId: 'market.free-parking' },
    { kind: 'deposit-waiver', item: 'umbrella', ruleId: 'market.umbrella' },
    { kind: 'perk', item: 'free-bags', ruleId: 'market.free-bags' },
    { kind: 'perk', item: 'free-membership-card', ruleId: 'market.free-membership-card' },
    { kind: 'perk', item: 'trouser-hemming', ruleId: 'market.trouser-hemming' },
    { kind: 'perk', item: 'jewellery-cleaning', ruleId: 'market.jewellery-cleaning' },
  ];
  const hospital: GrantedBenefit[] = [
    {
      kind: 'deposit-waiver',
      item: 'inpatient-deposit',
      maxFen: 5_000_000,
      ruleId: 'hospital.inpatient-deposit-waiver',
    },
    { kind: 'docs-deferred', ruleId: 'hospital.docs-deferred' },
  ];
  const transit: GrantedBenefit[] = [
    { kind: 'discount', payBp: 9_000, appliesTo: 'fare', ruleId: 'transit.fare-discount' },
    { kind: 'deposit-waiver', item: 'bus-card-deposit', ruleId: 'transit.bus-card-deposit-waiver' },
    { kind: 'deposit-waiver', item: 'bike-card-deposit', ruleId: 'transit.bike-card-deposit-waiver' },
    { kind: 'ride-extension', minutes: 30, ruleId: 'transit.ride-extension' },
    { kind: 'deposit-waiver', item: 'shared-bike-deposit', ruleId: 'transit.shared-bike-deposit-waiver' },
    { kind: 'perk', item: 'ride-hailing', ruleId: 'transit.ride-hailing' },
  ];
  const service: GrantedBenefit[] = [
    { kind: 'green-channel', ruleId: 'service.green-channel' },
    { kind: 'perk', item: 'commitment-based-approval', ruleId: 'service.commitment-approval' },
    { kind: 'perk', item: 'one-window-acceptance', ruleId: 'service.one-window' },
    { kind: 'perk', item: 'one-trip-at-most', ruleId: 'service.one-trip' },
    { kind: 'perk', item: 'mock-approval', ruleId: 'service.mock-approval' },
    { kind: 'perk', item: 'health-licence-priority', ruleId: 'service.health-licence-priority' },
  ];
  const bank: GrantedBenefit[] = [
    { kind: 'fast-track-credit', maxFen: 30_000_000, ruleId: 'bank.fast-track-credit' },
    { kind: 'discount', payBp: 9_500, appliesTo: 'interest-rate', ruleId: 'bank.rate-discount' },
  ];
  const rentalPerks: GrantedBenefit[] = [
    { kind: 'perk', item: 'office-space-priority', ruleId: 'rental.office-space-priority' },
    { kind: 'perk', item: 'longer-lease', ruleId: 'rental.longer-lease' },
    { kind: 'perk', item: 'recruitment-booth', ruleId: 'rental.recruitment-booth' },
    { kind: 'deposit-waiver', item: 'office-space-deposit', ruleId: 'rental.office-deposit-waiver' },
    { kind: 'deposit-waiver', item: 'equipment-deposit', ruleId: 'rental.equipment-deposit-waiver' },
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
        ...marketPerks,
      ],
      AA: [
        { kind: 'discount', payBp: 9_800, appliesTo: 'price', ruleId: 'market.discount.aa' },
        ...marketPerks,
      ],
      A: marketPerks,
      'below-A': [],
    },
    'library-kiosk': {
      AAA: [
        { kind: 'loan-limit', books: 5, ruleId: 'library.loan-limit.aaa' },
        { kind: 'loan-extension', days: 60, ruleId: 'library.loan-extension.aa' },
      ],
      AA: [
        { kind: 'loan-limit', books: 4, ruleId: 'library.loan-limit.aa' },
        { kind: 'loan-extension', days: 60, ruleId: 'library.loan-extension.aa' },
      ],
      A: [
        { kind: 'loan-limit', books: 3, ruleId: 'library.loan-limit.a' },
        { kind: 'loan-extension', days: 30, ruleId: 'library.loan-extension.a' },
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
        ...rentalPerks,
      ],
      AA: [
        { kind: 'discount', payBp: 9_000, appliesTo: 'rent', ruleId: 'rental.rent-discount.aa' },
        ...rentalPerks,
      ],
      A: rentalPerks,
      'below-A': [],
    },
  };
})();

const CITED = `《${QINGZHOU_PROGRAMME.title}》（${QINGZHOU_PROGRAMME.docNo}）`;

/** The 公示 obligations a grant carries: 信易批 at the decision, 信易贷 once the credit is granted. */
const DISCLOSED: Partial<Record<SceneId, { on: 'decision' | 'use'; clause: (ruleId: string) => string }>> = {
  'service-window': {
    on: 'decision',
    clause: (ruleId) => (ruleId === 'service.health-licence-priority' ? '信易医' : '信易批'),
  },
  'bank-counter': { on: 'use', clause: () => '信易贷' },
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

/** Context each scene needs for its rules to apply (the scenic gate must stand at a covered site). */
const CONTEXT: Partial<Record<SceneId, { siteId: string }>> = { 'scenic-gate': { siteId: 'yunmenshan' } };

const CASES = SCENE_IDS.flatMap((scene) => TIER_CASES.map((t) => ({ scene, ...t })));

describe('qingzhouPolicyPack: benefits of every scene by tier, for the subjects it serves', () => {
  it('the table covers all nine scenes and every scene has rules in the pack', () => {
    expect(Object.keys(EXPECTED).sort()).toEqual([...SCENE_IDS].sort());
    for (const scene of SCENE_IDS) {
      expect(qingzhouPolicyPack.rules.some((r) => r.scene === scene)).toBe(true);
    }
  });

  it.each(CASES)('$scene, $label', ({ scene, tier, lists, effective, effectiveTier }) => {
    const decision = decide({ scene, standing: standing({ tier, lists }), context: CONTEXT[scene] });
    const expected = EXPECTED[scene][effective];

    // In the pack's order: most important first.
    expect(decision.benefits).toEqual(expected);
    // toEqual ignores absent keys; also pin that no unexpected field (e.g. maxFen) crept in.
    for (const [i, b] of decision.benefits.entries()) {
      expect(Object.keys(b).sort()).toEqual(Object.keys(expected[i]!).sort());
    }
    expect(decision.outcome).toBe(expected.length > 0 ? 'granted' : 'denied');
    expect(decision.effectiveTier).toBe(effectiveTier);
    expect(decision.subjectType).toBe(ORGANISATION_SCENES.includes(scene) ? 'organisation' : 'person');

    const disclosed = DISCLOSED[scene];
    expect(decision.disclosures).toEqual(
      disclosed === undefined
        ? []
        : expected.map(({ ruleId }) => ({
            ruleId,
            deadlineWorkingDays: 7,
            on: disclosed.on,
            legalBasis: `${CITED}“${disclosed.clause(ruleId)}”`,
          })),
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
      const labels = decision.benefits.map((b) => describeBenefit(b, qingzhouPolicyPack.labels));
      expect(decision.explanation.citizen).toBe(`信用优惠：${labels.join('、')}`);
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
    expect(above.benefits).toEqual(EXPECTED['library-kiosk'].AAA);
  });
});

describe('qingzhouPolicyPack: 信易阅 loan limit is the total a reader may hold', () => {
  const books = (pack: PolicyPack, tier: TierCode, lists: ListMembership[] = []) =>
    decide({ pack, scene: 'library-kiosk', standing: standing({ tier, lists }) }).benefits.find(
      (b) => b.kind === 'loan-limit',
    );

  it('A 3, AA 4, AAA 5 books in all, and a red-listed reader 4', () => {
    expect(books(qingzhouPolicyPack, 'A')).toMatchObject({ books: 3 });
    expect(books(qingzhouPolicyPack, 'AA')).toMatchObject({ books: 4 });
    expect(books(qingzhouPolicyPack, 'AAA')).toMatchObject({ books: 5 });
    expect(books(qingzhouPolicyPack, 'C', [{ kind: 'red' }])).toMatchObject({ books: 4 });
    expect(books(qingzhouPolicyPack, 'B')).toBeUndefined();
  });

  it('never more than 5, even in a copy that raises a tier past it', () => {
    const pack = clonePack();
    pack.version = 'test-more-books';
    pack.rules.find((r) => r.id === 'library.loan-limit.aaa')!.benefit = { kind: 'loan-limit', books: 7 };
    const d = decide({ pack, scene: 'library-kiosk', standing: standing({ tier: 'AAA' }) });
    expect(d.benefits[0]).toEqual({ kind: 'loan-limit', books: 5, ruleId: 'library.loan-limit.aaa' });
    expect(d.reasons).toContainEqual({ code: 'CAPPED', ruleId: 'library.loan-limit.aaa' });
  });
});

describe('qingzhouPolicyPack: scenic sites', () => {
  it('lists exactly the six city scenic spots, each with a Chinese label that is also an alias', () => {
    expect([...QINGZHOU_SCENIC_SITES].sort()).toEqual(
      ['fangongting', 'jingtang-village', 'mihe-wetland', 'ouyuan', 'tuoshan', 'yunmenshan'].sort(),
    );
    const labels = QINGZHOU_SCENIC_SITES.map((s) => qingzhouPolicyPack.labels[s]);
    expect(labels).toEqual(['云门山', '驼山', '偶园', '范公亭', '弥河湿地公园', '井塘古村']);
    expect(qingzhouPolicyPack.siteAliases).toEqual(
      Object.fromEntries(QINGZHOU_SCENIC_SITES.map((id, i) => [labels[i], id])),
    );
  });

  it.each(
    QINGZHOU_SCENIC_SITES.flatMap((siteId) =>
      (['AAA', 'AA', 'A'] as const).map((tier) => ({ siteId, tier })),
    ),
  )('free entry at $siteId for $tier, by id and by its Chinese name', ({ siteId, tier }) => {
    for (const site of [
      siteId,
      qingzhouPolicyPack.labels[siteId]!,
      ` ${qingzhouPolicyPack.labels[siteId]} `,
    ]) {
      const d = decide({ scene: 'scenic-gate', standing: standing({ tier }), context: { siteId: site } });
      expect(d.outcome).toBe('granted');
      expect(d.benefits).toEqual([{ kind: 'free-entry', ruleId: 'scenic.free-entry' }]);
    }
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
    { label: 'another site by its Chinese name', context: { siteId: '泰山' } },
    { label: 'a site id differing only in case', context: { siteId: 'Yunmenshan' } },
    { label: 'no site id', context: {} },
    { label: 'no context at all', context: undefined },
  ])('at $label: SITE_NOT_COVERED, with the same neutral text for every tier and list', ({ context }) => {
    for (const s of [
      standing({ tier: 'AAA' }),
      standing({ tier: 'C' }),
      standing({ tier: 'A', lists: [{ kind: 'black' }] }),
      standing({ tier: null, source: 'none' }),
    ]) {
      const d = decide({ scene: 'scenic-gate', standing: s, context });
      expect(d.outcome).toBe('denied');
      expect(d.benefits).toEqual([]);
      expect(d.reasons).toEqual([{ code: 'SITE_NOT_COVERED' }]);
      expect(d.explanation.citizen).toBe('本场所未纳入信易+信用优惠范围，按常规流程办理。');
    }
  });
});

describe('qingzhouPolicyPack: persons and organisations', () => {
  it.each(SCENE_IDS)('%s serves only the subjects its programme is for', (scene) => {
    const served = ORGANISATION_SCENES.includes(scene) ? 'organisation' : 'person';
    const other = served === 'person' ? 'organisation' : 'person';
    // Whatever the tier or the lists: the answer says nothing about anyone's credit.
    for (const s of [standing({ tier: 'AAA' }), standing({ tier: 'D', lists: [{ kind: 'black' }] })]) {
      const d = decide({ scene, standing: s, context: CONTEXT[scene], subjectType: other });
      expect(d.outcome).toBe('denied');
      expect(d.reasons).toEqual([{ code: 'SUBJECT_TYPE_NOT_COVERED' }]);
      expect(d.subjectType).toBe(other);
      expect(d.explanation.citizen).toBe(
        other === 'person'
          ? '此处的信用优惠面向企业等市场主体，按常规流程办理。'
          : '此处的信用优惠面向个人，按常规流程办理。',
      );
    }
    expect(decide({ scene, standing: standing({ tier: 'AAA' }), context: CONTEXT[scene] }).outcome).toBe(
      'granted',
    );
  });

  it('a standing the source gives for the other kind of subject is not used (SUBJECT_TYPE_MISMATCH)', () => {
    const d = decide({
      scene: 'bank-counter',
      standing: { ...standing({ tier: 'AAA' }), subjectType: 'person' },
    });
    expect(d.outcome).toBe('unavailable');
    expect(d.reasons).toEqual([{ code: 'SUBJECT_TYPE_MISMATCH' }]);
    expect(d.explanation.citizen).toBe('暂时无法确认信用信息，按常规流程办理。');
    const same = decide({
      scene: 'bank-counter',
      standing: { ...standing({ tier: 'AAA' }), subjectType: 'organisation' },
    });
    expect(same.outcome).toBe('granted');
  });
});

describe('qingzhouPolicyPack: what is the programme and what is a marked choice', () => {
  const basisOf = (id: string) => qingzhouPolicyPack.rules.find((r) => r.id === id)!.basis;
  /** Rules carrying a figure, threshold or reading the programme does not give. */
  const MARKED = [
    'scenic.free-entry',
    'market.discount.aaa',
    'market.discount.aa',
    'hospital.inpatient-deposit-waiver',
    'hospital.docs-deferred',
    'transit.fare-discount',
    'transit.ride-extension',
    'transit.shared-bike-deposit-waiver',
    'transit.ride-hailing',
    'service.green-channel',
    'service.commitment-approval',
    'service.one-window',
    'service.one-trip',
    'service.mock-approval',
    'service.health-licence-priority',
    'bank.fast-track-credit',
    'bank.rate-discount',
    'rental.rent-discount.aaa',
    'rental.rent-discount.aa',
    'rental.office-deposit-waiver',
    'rental.equipment-deposit-waiver',
  ];

  it("every rule's basis cites the programme's clause by document number, never a file", () => {
    for (const rule of qingzhouPolicyPack.rules) {
      expect(rule.basis, rule.id).toMatch(/^方案（青办发〔2018〕52号）“信易[游购阅医行批贷租]”/);
      expect(rule.basis, rule.id).not.toMatch(/\.md|ARCHITECTURE/);
    }
  });

  it('marks every choice 待确认 in its basis, and nothing the programme gives', () => {
    for (const rule of qingzhouPolicyPack.rules) {
      expect(basisOf(rule.id).includes('待确认'), rule.id).toBe(MARKED.includes(rule.id));
    }
  });

  it('marks the pack-level choices, 重大节假日 with 劳动节 as the documented alternative', () => {
    const basis = qingzhouPolicyPack.basis!;
    for (const setting of [
      'tierScheme',
      'trustworthyMinTier',
      'redListFloorTier',
      'keyAttention',
      'blockingListKinds',
      'majorHolidays',
      'standingMaxAgeHours',
      'coverage',
    ] as const) {
      expect(basis[setting], setting).toContain('待确认');
    }
    expect(basis.majorHolidays).toContain('劳动节');
    expect(qingzhouPolicyPack.majorHolidays).toEqual(['春节', '国庆节']);
  });

  it('holds the perks the programme lists, as data with Chinese labels', () => {
    const labels = qingzhouPolicyPack.rules.flatMap((r) =>
      r.benefit.kind === 'perk' || r.benefit.kind === 'deposit-waiver'
        ? [qingzhouPolicyPack.labels[r.benefit.item]!]
        : [],
    );
    for (const perk of [
      '模拟审批',
      '最多跑一次',
      '租期更长久',
      '优先提供办公场所',
      '免费和优先提供招聘摊位',
      '免费修裤脚',
      '免费清理首饰',
      '网约车信用服务',
      '共享单车押金',
      '卫计行政许可优先办理',
    ]) {
      expect(labels, perk).toContain(perk);
    }
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
