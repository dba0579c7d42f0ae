import type { CredentialKind } from '../domain/credential.js';
import type { CreditEntitlementName } from '../domain/entitlements.js';
import type { SceneId } from '../domain/scenes.js';
import { shandongTierScheme } from '../domain/tiers.js';
import type { Condition, PolicyPack, PolicyRule } from './pack.js';

const TRUSTWORTHY: Condition = { fact: 'trustworthy', op: 'eq', value: true };
const atLeast = (value: 'A' | 'AA' | 'AAA'): Condition => ({ fact: 'tier', op: 'gte', value });

/** The six city scenic spots of 信易游 (ARCHITECTURE.md, "Default policy"). */
export const QINGZHOU_SCENIC_SITES = [
  'yunmenshan',
  'tuoshan',
  'ouyuan',
  'fangongting',
  'mihe-wetland',
  'jingtang-village',
] as const;

const PROGRAMME = '青州市信易+ 实施方案（ARCHITECTURE.md 默认政策表）';
/** Numbers the programme document does not give; defaults to confirm with the city credit office. */
const UNCONFIRMED = '默认值，待市信用办确认（方案未给出具体数值）';
/**
 * Free entry and deposit waivers need a credential that identifies its holder: the ID card or a
 * signed credit code. A bare member-code barcode proves only that someone holds the card (or a
 * photo of it), so it unlocks the smaller perks and discounts but not these.
 */
const PERSON_CREDENTIALS: CredentialKind[] = ['id-card', 'credit-code'];

const rules: PolicyRule[] = [
  // 信易游 · scenic spots
  {
    id: 'scenic.free-entry',
    scene: 'scenic-gate',
    description: '守信市民在六处市属景区免费入园；春节、国庆节整个假期除外',
    when: {
      all: [
        TRUSTWORTHY,
        {
          fact: 'context',
          path: 'siteId',
          op: 'in',
          value: [...QINGZHOU_SCENIC_SITES],
          reason: 'SITE_NOT_COVERED',
        },
      ],
    },
    benefit: { kind: 'free-entry' },
    credentialKinds: PERSON_CREDENTIALS,
    // A year without the State Council's notice yet: its computed 春节 and 国庆节 are excluded and
    // its other days grant (docs/policy-packs.md, "Provisional years").
    calendar: { excludeHolidays: 'major', onUnknownDay: 'exclude', onProvisionalDay: 'as-computed' },
    // Once a day per scenic spot: every entry lane of the spot counts against one cap.
    cap: { perSubject: { count: 1, period: 'day', scope: 'site' } },
    basis: `${PROGRAMME}；每日一次（每个景区，各入口通道合计）为${UNCONFIRMED}；无官方安排的年份按法定假日推算为${UNCONFIRMED}`,
  },
  // 信易游 · hotels
  {
    id: 'hotel.deposit-waiver',
    scene: 'hotel-front-desk',
    description: '守信住客免交客房押金',
    when: TRUSTWORTHY,
    benefit: { kind: 'deposit-waiver', item: 'room-deposit' },
    credentialKinds: PERSON_CREDENTIALS,
    basis: PROGRAMME,
  },
  {
    id: 'hotel.no-checkout-inspection',
    scene: 'hotel-front-desk',
    description: '守信住客免查房',
    when: TRUSTWORTHY,
    benefit: { kind: 'perk', item: 'no-checkout-inspection' },
    basis: PROGRAMME,
  },
  {
    id: 'hotel.express-checkout',
    scene: 'hotel-front-desk',
    description: '守信住客快速退房',
    when: TRUSTWORTHY,
    benefit: { kind: 'perk', item: 'express-checkout' },
    basis: PROGRAMME,
  },
  // 信易购 · supermarkets
  {
    id: 'market.priority-lane',
    scene: 'supermarket-checkout',
    description: '守信顾客使用信用专用收银通道',
    when: TRUSTWORTHY,
    benefit: { kind: 'priority-lane' },
    basis: PROGRAMME,
  },
  ...(
    [
      ['market.free-bags', 'free-bags', '免费购物袋'],
      ['market.free-parking', 'free-parking', '免费停车'],
      ['market.free-membership-card', 'free-membership-card', '免费办理会员卡'],
    ] as const
  ).map(
    ([id, item, zh]): PolicyRule => ({
      id,
      scene: 'supermarket-checkout',
      description: `守信顾客${zh}`,
      when: TRUSTWORTHY,
      benefit: { kind: 'perk', item },
      basis: PROGRAMME,
    }),
  ),
  {
    id: 'market.umbrella',
    scene: 'supermarket-checkout',
    description: '守信顾客免押金借用雨伞',
    when: TRUSTWORTHY,
    benefit: { kind: 'deposit-waiver', item: 'umbrella' },
    credentialKinds: PERSON_CREDENTIALS,
    basis: PROGRAMME,
  },
  {
    id: 'market.double-points',
    scene: 'supermarket-checkout',
    description: '守信顾客双倍积分',
    when: TRUSTWORTHY,
    benefit: { kind: 'points-multiplier', factorBp: 20_000 },
    basis: PROGRAMME,
  },
  {
    id: 'market.discount.aa',
    scene: 'supermarket-checkout',
    description: 'AA 级顾客商户折扣 98 折（商户可调）',
    when: atLeast('AA'),
    benefit: { kind: 'discount', payBp: 9_800, appliesTo: 'price' },
    stackGroup: 'market.discount',
    basis: PROGRAMME,
  },
  {
    id: 'market.discount.aaa',
    scene: 'supermarket-checkout',
    description: 'AAA 级顾客商户折扣 95 折（商户可调）',
    when: atLeast('AAA'),
    benefit: { kind: 'discount', payBp: 9_500, appliesTo: 'price' },
    stackGroup: 'market.discount',
    basis: PROGRAMME,
  },
  // 信易阅 · library
  ...(
    [
      ['A', 3],
      ['AA', 4],
      ['AAA', 5],
    ] as const
  ).map(
    ([tier, books]): PolicyRule => ({
      id: `library.loan-limit.${tier.toLowerCase()}`,
      scene: 'library-kiosk',
      description: `${tier} 级读者可借 ${books} 册`,
      when: atLeast(tier),
      benefit: { kind: 'loan-limit', books },
      stackGroup: 'library.loan-limit',
      basis: PROGRAMME,
    }),
  ),
  ...(
    [
      ['A', 30],
      ['AA', 60],
    ] as const
  ).map(
    ([tier, days]): PolicyRule => ({
      id: `library.loan-extension.${tier.toLowerCase()}`,
      scene: 'library-kiosk',
      description: `${tier} 级及以上读者借期延长 ${days} 天`,
      when: atLeast(tier),
      benefit: { kind: 'loan-extension', days },
      stackGroup: 'library.loan-extension',
      basis: PROGRAMME,
    }),
  ),
  // 信易医 · hospitals
  {
    id: 'hospital.inpatient-deposit-waiver',
    scene: 'hospital-admission',
    description: 'AA 级及以上患者免交住院押金（上限见押金组）',
    when: atLeast('AA'),
    benefit: { kind: 'deposit-waiver', item: 'inpatient-deposit', maxFen: 5_000_000 },
    credentialKinds: PERSON_CREDENTIALS,
    stackGroup: 'hospital.inpatient-deposit',
    basis: `${PROGRAMME}；¥50,000 上限参照威海文登“5万元以内免住院押金”，${UNCONFIRMED}`,
  },
  {
    id: 'hospital.docs-deferred',
    scene: 'hospital-admission',
    description: 'AA 级及以上患者出入院容缺受理',
    when: atLeast('AA'),
    benefit: { kind: 'docs-deferred' },
    basis: PROGRAMME,
  },
  // 信易行 · transit
  {
    id: 'transit.bus-card-deposit-waiver',
    scene: 'transit-counter',
    description: '守信市民免交公交卡押金',
    when: TRUSTWORTHY,
    benefit: { kind: 'deposit-waiver', item: 'bus-card-deposit' },
    credentialKinds: PERSON_CREDENTIALS,
    basis: PROGRAMME,
  },
  {
    id: 'transit.bike-card-deposit-waiver',
    scene: 'transit-counter',
    description: '守信市民免交公共自行车卡押金',
    when: TRUSTWORTHY,
    benefit: { kind: 'deposit-waiver', item: 'bike-card-deposit' },
    credentialKinds: PERSON_CREDENTIALS,
    basis: PROGRAMME,
  },
  {
    id: 'transit.fare-discount',
    scene: 'transit-counter',
    description: '守信市民乘车票价 9 折',
    when: TRUSTWORTHY,
    benefit: { kind: 'discount', payBp: 9_000, appliesTo: 'fare' },
    basis: `${PROGRAMME}；9 折为${UNCONFIRMED}`,
  },
  {
    id: 'transit.ride-extension',
    scene: 'transit-counter',
    description: '守信市民公共自行车免费骑行时长延长 30 分钟',
    when: TRUSTWORTHY,
    benefit: { kind: 'ride-extension', minutes: 30 },
    basis: `${PROGRAMME}；30 分钟为${UNCONFIRMED}`,
  },
  // 信易批 · administrative service windows (grants are disclosed within 7 working days, 双公示)
  ...(
    [
      ['service.green-channel', { kind: 'green-channel' }, '绿色通道'],
      ['service.one-window', { kind: 'perk', item: 'one-window-acceptance' }, '一窗受理'],
      ['service.commitment-approval', { kind: 'perk', item: 'commitment-based-approval' }, '告知承诺审批'],
    ] as const
  ).map(
    ([id, benefit, zh]): PolicyRule => ({
      id,
      scene: 'service-window',
      description: `守信申请人享受${zh}，授予结果 7 个工作日内公示`,
      when: TRUSTWORTHY,
      benefit: { ...benefit },
      disclosure: { deadlineWorkingDays: 7 },
      basis: `${PROGRAMME}；公示时限依双公示“7个工作日内”`,
    }),
  ),
  // 信易贷 · banks
  {
    id: 'bank.fast-track-credit',
    scene: 'bank-counter',
    description: '守信市民线上信用快贷，最高 30 万元',
    when: TRUSTWORTHY,
    benefit: { kind: 'fast-track-credit', maxFen: 30_000_000 },
    disclosure: { deadlineWorkingDays: 7 },
    basis: PROGRAMME,
  },
  {
    id: 'bank.rate-discount',
    scene: 'bank-counter',
    description: '守信市民贷款利率 95 折',
    when: TRUSTWORTHY,
    benefit: { kind: 'discount', payBp: 9_500, appliesTo: 'interest-rate' },
    disclosure: { deadlineWorkingDays: 7 },
    basis: `${PROGRAMME}；95 折为${UNCONFIRMED}`,
  },
  // 信易租 · rentals
  {
    id: 'rental.rent-discount.aa',
    scene: 'rental-desk',
    description: 'AA 级租户租金 9 折',
    when: atLeast('AA'),
    benefit: { kind: 'discount', payBp: 9_000, appliesTo: 'rent' },
    stackGroup: 'rental.rent-discount',
    basis: `${PROGRAMME}；折扣参照威海文登（AA 减 10%），${UNCONFIRMED}`,
  },
  {
    id: 'rental.rent-discount.aaa',
    scene: 'rental-desk',
    description: 'AAA 级租户租金 7 折',
    when: atLeast('AAA'),
    benefit: { kind: 'discount', payBp: 7_000, appliesTo: 'rent' },
    stackGroup: 'rental.rent-discount',
    basis: `${PROGRAMME}；折扣参照威海文登（AAA 减 30%），${UNCONFIRMED}`,
  },
  {
    id: 'rental.office-deposit-waiver',
    scene: 'rental-desk',
    description: '守信创业者免交办公场地押金',
    when: TRUSTWORTHY,
    benefit: { kind: 'deposit-waiver', item: 'office-space-deposit' },
    credentialKinds: PERSON_CREDENTIALS,
    basis: PROGRAMME,
  },
  {
    id: 'rental.equipment-deposit-waiver',
    scene: 'rental-desk',
    description: '守信创业者免交设备租赁押金',
    when: TRUSTWORTHY,
    benefit: { kind: 'deposit-waiver', item: 'equipment-deposit' },
    credentialKinds: PERSON_CREDENTIALS,
    basis: PROGRAMME,
  },
];

/**
 * Each scene's 信易+ programme (ARCHITECTURE.md, "Default policy"), as the entitlement bit a credit
 * code must carry there. The platform clears a listed person's bits at once, which is how a block
 * reaches a terminal that only sees the code (docs/credit-codes.md).
 */
export const QINGZHOU_SCENE_PROGRAMMES: Readonly<Record<SceneId, CreditEntitlementName>> = {
  'scenic-gate': 'TRAVEL', // 信易游
  'hotel-front-desk': 'TRAVEL', // 信易游
  'supermarket-checkout': 'SHOPPING', // 信易购
  'library-kiosk': 'READING', // 信易阅
  'hospital-admission': 'MEDICAL', // 信易医
  'transit-counter': 'TRANSPORT', // 信易行
  'service-window': 'APPROVAL', // 信易批
  'bank-counter': 'LOAN', // 信易贷
  'rental-desk': 'RENTAL', // 信易租
};

/** A credit code must be `INCENTIVE_ELIGIBLE` and carry the scene's programme bit. */
const sceneRequirements = Object.fromEntries(
  Object.entries(QINGZHOU_SCENE_PROGRAMMES).map(([scene, programme]): [string, Condition] => [
    scene,
    {
      all: [
        { fact: 'codeFlag', op: 'set', value: 'INCENTIVE_ELIGIBLE' },
        { fact: 'entitlement', op: 'has', value: programme },
      ],
      reason: 'ENTITLEMENT_MISSING',
    },
  ]),
) as Partial<Record<SceneId, Condition>>;

/**
 * The default pack: Qingzhou 信易+ as described in the programme document, for all nine scenes.
 * Every number is data; rules whose `basis` says 待确认 carry defaults the document does not give.
 */
export const qingzhouPolicyPack: PolicyPack = {
  format: 'xinyi-policy-pack/1',
  packId: 'qingzhou-xinyi',
  version: '2026.2.0',
  name: '青州市信易+ 默认政策包',
  tierScheme: shandongTierScheme,
  trustworthyMinTier: 'A',
  redListFloorTier: 'AA',
  keyAttention: 'manual-review',
  blockingListKinds: ['black'],
  sceneDomains: {
    'scenic-gate': 'tourism',
    'hotel-front-desk': 'tourism',
    'supermarket-checkout': 'retail',
    'library-kiosk': 'library',
    'hospital-admission': 'medical',
    'transit-counter': 'transport',
    'service-window': 'administrative',
    'bank-counter': 'finance',
    'rental-desk': 'rental',
  },
  majorHolidays: ['春节', '国庆节'],
  standingMaxAgeHours: { 'credit-code': 72, platform: 48, snapshot: 72 },
  sceneRequirements,
  stackGroups: {
    'market.discount': { mode: 'max', minPayBp: 9_500 },
    'library.loan-limit': { mode: 'max', maxValue: 5 },
    'library.loan-extension': { mode: 'max', maxValue: 60 },
    'hospital.inpatient-deposit': { mode: 'max', maxValue: 5_000_000 },
    'rental.rent-discount': { mode: 'max', minPayBp: 7_000 },
  },
  rules,
  labels: {
    'room-deposit': '客房押金',
    'no-checkout-inspection': '退房免查房',
    'express-checkout': '快速退房',
    'free-bags': '免费购物袋',
    'free-parking': '免费停车',
    'free-membership-card': '免费会员卡',
    umbrella: '雨伞押金',
    'inpatient-deposit': '住院押金',
    'bus-card-deposit': '公交卡押金',
    'bike-card-deposit': '公共自行车卡押金',
    'one-window-acceptance': '一窗受理',
    'commitment-based-approval': '告知承诺审批',
    'office-space-deposit': '办公场地押金',
    'equipment-deposit': '设备押金',
    yunmenshan: '云门山',
    tuoshan: '驼山',
    ouyuan: '偶园',
    fangongting: '范公亭',
    'mihe-wetland': '弥河湿地公园',
    'jingtang-village': '井塘古村',
  },
};
