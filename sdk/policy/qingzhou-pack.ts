import type { CredentialKind } from '../domain/credential.js';
import type { CreditEntitlementName } from '../domain/entitlements.js';
import type { SceneId } from '../domain/scenes.js';
import { shandongTierScheme } from '../domain/tiers.js';
import type { Condition, PolicyPack, PolicyRule } from './pack.js';

/**
 * The programme the default pack encodes: the Qingzhou 信易+ programme, document 青办发〔2018〕52号
 * (docs/policy-packs.md, "The default pack", lists scene by scene what it says and what is a
 * default awaiting confirmation). Published 公示 records cite it by `title` and `docNo`.
 */
export const QINGZHOU_PROGRAMME = {
  title: '青州市“信易+”实施方案',
  docNo: '青办发〔2018〕52号',
} as const;

/** The six city scenic spots of 信易游, by site id; their Chinese names are aliases (`siteAliases`). */
export const QINGZHOU_SCENIC_SITES = [
  'yunmenshan',
  'tuoshan',
  'ouyuan',
  'fangongting',
  'mihe-wetland',
  'jingtang-village',
] as const;

const SITE_NAMES: Readonly<Record<(typeof QINGZHOU_SCENIC_SITES)[number], string>> = {
  yunmenshan: '云门山',
  tuoshan: '驼山',
  ouyuan: '偶园',
  fangongting: '范公亭',
  'mihe-wetland': '弥河湿地公园',
  'jingtang-village': '井塘古村',
};

const TRUSTWORTHY: Condition = { fact: 'trustworthy', op: 'eq', value: true };
const atLeast = (value: 'A' | 'AA' | 'AAA'): Condition => ({ fact: 'tier', op: 'gte', value });
const PERSONS: Condition = { fact: 'subjectType', op: 'eq', value: 'person' };
const ORGANISATIONS: Condition = { fact: 'subjectType', op: 'eq', value: 'organisation' };

/** A rule's basis: the programme's clause for the scheme. */
const clause = (scheme: string) => `方案（${QINGZHOU_PROGRAMME.docNo}）“${scheme}”`;
/** A figure, threshold or reading the programme does not give: a default the city credit office must confirm. */
const CHOICE = '待确认（方案未规定，为默认选择）';
/** What a published 公示 record cites: the programme by title and number, and the clause. */
const publicBasis = (scheme: string) =>
  `《${QINGZHOU_PROGRAMME.title}》（${QINGZHOU_PROGRAMME.docNo}）“${scheme}”`;
/** 信易批 names 市场主体 and 重大建设项目 for disclosure: a person's grant is published only for a major project. */
const ORGANISATION_OR_MAJOR_PROJECT: Condition = {
  any: [ORGANISATIONS, { fact: 'context', path: 'majorProject', op: 'eq', value: true }],
};

type Perk = readonly [id: string, item: string, priority: number, basis: string];
/**
 * Free entry and deposit waivers need a credential that identifies its holder: the ID card or a
 * signed credit code. A bare member-code barcode proves only that someone holds the card (or a
 * photo of it), so it unlocks the smaller perks and discounts but not these.
 */
const PERSON_CREDENTIALS: CredentialKind[] = ['id-card', 'credit-code'];
/** A market subject's deposit waivers: its unified social credit code, typed in or read from the licence. */
const ORGANISATION_CREDENTIALS: CredentialKind[] = ['organisation'];

const rules: PolicyRule[] = [
  // 信易游 · scenic spots (where: the scene's coverage, the six spots)
  {
    id: 'scenic.free-entry',
    scene: 'scenic-gate',
    description: '守信市民在六处市属景区免费入园；重大节假日整个假期除外',
    when: TRUSTWORTHY,
    benefit: { kind: 'free-entry' },
    credentialKinds: PERSON_CREDENTIALS,
    priority: 100,
    // A year without the State Council's notice yet: its computed 重大节假日 are excluded and its other
    // days grant (docs/policy-packs.md, "Provisional years").
    calendar: { excludeHolidays: 'major', onUnknownDay: 'exclude', onProvisionalDay: 'as-computed' },
    // Once a day per scenic spot: every entry lane of the spot counts against one cap.
    cap: { perSubject: { count: 1, period: 'day', scope: 'site' } },
    basis: `${clause('信易游')}：守信市民六处市属景区免费，重大节假日除外；每人每日一次（每个景区，各入口通道合计）为${CHOICE}；无官方放假安排的年份按法定假日推算为${CHOICE}`,
  },
  // 信易游 · hotels
  ...(
    [
      ['hotel.deposit-waiver', { kind: 'deposit-waiver', item: 'room-deposit' }, 100, '免交客房押金'],
      ['hotel.express-checkout', { kind: 'perk', item: 'express-checkout' }, 90, '快速退房'],
      ['hotel.no-checkout-inspection', { kind: 'perk', item: 'no-checkout-inspection' }, 80, '退房免查房'],
    ] as const
  ).map(
    ([id, benefit, priority, zh]): PolicyRule => ({
      id,
      scene: 'hotel-front-desk',
      description: `守信住客${zh}`,
      when: TRUSTWORTHY,
      benefit: { ...benefit },
      ...(benefit.kind === 'deposit-waiver' ? { credentialKinds: PERSON_CREDENTIALS } : {}),
      priority,
      basis: `${clause('信易游')}：守信住客${zh}`,
    }),
  ),
  // 信易购 · supermarkets and shops
  {
    id: 'market.discount.aaa',
    scene: 'supermarket-checkout',
    description: 'AAA 级顾客商户折扣 95 折（商户可调）',
    when: atLeast('AAA'),
    benefit: { kind: 'discount', payBp: 9_500, appliesTo: 'price' },
    stackGroup: 'market.discount',
    priority: 100,
    basis: `${clause('信易购')}：商户给予守信顾客折扣；AAA 级 95 折及其等级门槛为${CHOICE}`,
  },
  {
    id: 'market.discount.aa',
    scene: 'supermarket-checkout',
    description: 'AA 级顾客商户折扣 98 折（商户可调）',
    when: atLeast('AA'),
    benefit: { kind: 'discount', payBp: 9_800, appliesTo: 'price' },
    stackGroup: 'market.discount',
    priority: 100,
    basis: `${clause('信易购')}：商户给予守信顾客折扣；AA 级 98 折及其等级门槛为${CHOICE}`,
  },
  {
    id: 'market.priority-lane',
    scene: 'supermarket-checkout',
    description: '守信顾客使用信用专用收银通道',
    when: TRUSTWORTHY,
    benefit: { kind: 'priority-lane' },
    priority: 90,
    basis: `${clause('信易购')}：信用专用通道`,
  },
  {
    id: 'market.double-points',
    scene: 'supermarket-checkout',
    description: '守信顾客双倍积分',
    when: TRUSTWORTHY,
    benefit: { kind: 'points-multiplier', factorBp: 20_000 },
    priority: 80,
    basis: `${clause('信易购')}：双倍积分`,
  },
  {
    id: 'market.umbrella',
    scene: 'supermarket-checkout',
    description: '守信顾客免押金借用雨伞',
    when: TRUSTWORTHY,
    benefit: { kind: 'deposit-waiver', item: 'umbrella' },
    credentialKinds: PERSON_CREDENTIALS,
    priority: 60,
    basis: `${clause('信易购')}：免押金借用雨伞`,
  },
  ...(
    [
      ['market.free-parking', 'free-parking', 70, '免费停车'],
      ['market.free-bags', 'free-bags', 50, '免费购物袋'],
      ['market.free-membership-card', 'free-membership-card', 40, '免费办理会员卡'],
      ['market.trouser-hemming', 'trouser-hemming', 30, '免费修裤脚'],
      ['market.jewellery-cleaning', 'jewellery-cleaning', 20, '免费清理首饰'],
    ] as readonly Perk[]
  ).map(
    ([id, item, priority, zh]): PolicyRule => ({
      id,
      scene: 'supermarket-checkout',
      description: `守信顾客${zh}`,
      when: TRUSTWORTHY,
      benefit: { kind: 'perk', item },
      priority,
      basis: `${clause('信易购')}：${zh}`,
    }),
  ),
  // 信易阅 · library: `loan-limit` is the total a reader may hold, at most 5 books.
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
      description: `${tier} 级读者共可借 ${books} 册（总数，含图书馆的基本册数）`,
      when: atLeast(tier),
      benefit: { kind: 'loan-limit', books },
      stackGroup: 'library.loan-limit',
      priority: 100,
      basis: `${clause('信易阅')}：A 级 3 册、AA 级 4 册、AAA 级 5 册，最多 5 册（可借总数）`,
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
      priority: 90,
      basis: `${clause('信易阅')}：借期 A 级延长 30 天、AA 级及以上延长 60 天，最多 60 天`,
    }),
  ),
  // 信易医 · hospitals
  {
    id: 'hospital.inpatient-deposit-waiver',
    scene: 'hospital-admission',
    description: 'AA 级及以上患者免交住院押金（5万元以内）',
    when: atLeast('AA'),
    benefit: { kind: 'deposit-waiver', item: 'inpatient-deposit', maxFen: 5_000_000 },
    credentialKinds: PERSON_CREDENTIALS,
    stackGroup: 'hospital.inpatient-deposit',
    priority: 100,
    basis: `${clause('信易医')}：守信患者免交住院押金；AA 级门槛为${CHOICE}；5万元上限参照威海文登“5万元以内免住院押金”，为${CHOICE}`,
  },
  {
    id: 'hospital.docs-deferred',
    scene: 'hospital-admission',
    description: 'AA 级及以上患者出入院容缺受理',
    when: atLeast('AA'),
    benefit: { kind: 'docs-deferred' },
    priority: 90,
    basis: `${clause('信易医')}：出入院容缺受理；AA 级门槛为${CHOICE}`,
  },
  // 信易行 · transit
  {
    id: 'transit.fare-discount',
    scene: 'transit-counter',
    description: '守信市民乘车票价 9 折',
    when: TRUSTWORTHY,
    benefit: { kind: 'discount', payBp: 9_000, appliesTo: 'fare' },
    priority: 100,
    basis: `${clause('信易行')}：票价优惠；9 折为${CHOICE}`,
  },
  {
    id: 'transit.bus-card-deposit-waiver',
    scene: 'transit-counter',
    description: '守信市民免交公交卡押金',
    when: TRUSTWORTHY,
    benefit: { kind: 'deposit-waiver', item: 'bus-card-deposit' },
    credentialKinds: PERSON_CREDENTIALS,
    priority: 90,
    basis: `${clause('信易行')}：免交公交卡押金`,
  },
  {
    id: 'transit.bike-card-deposit-waiver',
    scene: 'transit-counter',
    description: '守信市民免交公共自行车卡押金',
    when: TRUSTWORTHY,
    benefit: { kind: 'deposit-waiver', item: 'bike-card-deposit' },
    credentialKinds: PERSON_CREDENTIALS,
    priority: 80,
    basis: `${clause('信易行')}：免交公共自行车卡押金`,
  },
  {
    id: 'transit.ride-extension',
    scene: 'transit-counter',
    description: '守信市民公共自行车免费骑行时长延长 30 分钟',
    when: TRUSTWORTHY,
    benefit: { kind: 'ride-extension', minutes: 30 },
    priority: 70,
    basis: `${clause('信易行')}：延长免费骑行时长；30 分钟为${CHOICE}`,
  },
  {
    id: 'transit.shared-bike-deposit-waiver',
    scene: 'transit-counter',
    description: '守信市民免交共享单车押金',
    when: TRUSTWORTHY,
    benefit: { kind: 'deposit-waiver', item: 'shared-bike-deposit' },
    credentialKinds: PERSON_CREDENTIALS,
    priority: 60,
    basis: `${clause('信易行')}：网约车/共享单车；共享单车的优惠形式（免押金）为${CHOICE}`,
  },
  {
    id: 'transit.ride-hailing',
    scene: 'transit-counter',
    description: '守信市民享受网约车信用服务',
    when: TRUSTWORTHY,
    benefit: { kind: 'perk', item: 'ride-hailing' },
    priority: 50,
    basis: `${clause('信易行')}：网约车/共享单车；网约车的具体优惠内容为${CHOICE}`,
  },
  // 信易批 · administrative service windows, for market subjects (the scene's coverage). Grants are
  // published within 7 working days (双公示) for 市场主体 and 重大建设项目.
  ...(
    [
      ['service.green-channel', { kind: 'green-channel' }, 100, '绿色通道', '信易批'],
      [
        'service.commitment-approval',
        { kind: 'perk', item: 'commitment-based-approval' },
        90,
        '告知承诺审批',
        '信易批',
      ],
      ['service.one-window', { kind: 'perk', item: 'one-window-acceptance' }, 80, '一窗受理', '信易批'],
      ['service.one-trip', { kind: 'perk', item: 'one-trip-at-most' }, 70, '最多跑一次', '信易批'],
      ['service.mock-approval', { kind: 'perk', item: 'mock-approval' }, 60, '模拟审批', '信易批'],
      // The programme lists it under 信易医; the counter that grants it is a service window.
      [
        'service.health-licence-priority',
        { kind: 'perk', item: 'health-licence-priority' },
        50,
        '卫计行政许可优先办理',
        '信易医',
      ],
    ] as const
  ).map(
    ([id, benefit, priority, zh, scheme]): PolicyRule => ({
      id,
      scene: 'service-window',
      description: `守信市场主体享受${zh}，授予结果 7 个工作日内公示`,
      when: TRUSTWORTHY,
      benefit: { ...benefit },
      priority,
      disclosure: {
        deadlineWorkingDays: 7,
        legalBasis: publicBasis(scheme),
        when: ORGANISATION_OR_MAJOR_PROJECT,
      },
      basis:
        `${clause(scheme)}：${zh}` +
        (scheme === '信易医' ? `；在政务服务窗口为市场主体办理为${CHOICE}` : '；面向重大建设项目和市场主体') +
        `；公示时限依双公示“7个工作日内”；个人是否适用${CHOICE}`,
    }),
  ),
  // 信易贷 · banks, for market subjects. A grant is published once the credit is confirmed granted.
  {
    id: 'bank.fast-track-credit',
    scene: 'bank-counter',
    description: '守信市场主体线上信用快贷，30万元以下',
    when: TRUSTWORTHY,
    benefit: { kind: 'fast-track-credit', maxFen: 30_000_000 },
    priority: 100,
    disclosure: { deadlineWorkingDays: 7, legalBasis: publicBasis('信易贷'), on: 'use' },
    basis: `${clause('信易贷')}：守信市场主体线上信用快贷30万元以下；个人是否适用${CHOICE}`,
  },
  {
    id: 'bank.rate-discount',
    scene: 'bank-counter',
    description: '守信市场主体贷款利率 95 折',
    when: TRUSTWORTHY,
    benefit: { kind: 'discount', payBp: 9_500, appliesTo: 'interest-rate' },
    priority: 90,
    disclosure: { deadlineWorkingDays: 7, legalBasis: publicBasis('信易贷'), on: 'use' },
    basis: `${clause('信易贷')}：利率优惠；95 折为${CHOICE}；个人是否适用${CHOICE}`,
  },
  // 信易租 · rentals, for market subjects (创业企业 among them)
  {
    id: 'rental.rent-discount.aaa',
    scene: 'rental-desk',
    description: 'AAA 级承租单位租金 7 折',
    when: atLeast('AAA'),
    benefit: { kind: 'discount', payBp: 7_000, appliesTo: 'rent' },
    stackGroup: 'rental.rent-discount',
    priority: 100,
    basis: `${clause('信易租')}：租金优惠；AAA 级 7 折及其等级门槛参照威海文登（AAA 减 30%），为${CHOICE}`,
  },
  {
    id: 'rental.rent-discount.aa',
    scene: 'rental-desk',
    description: 'AA 级承租单位租金 9 折',
    when: atLeast('AA'),
    benefit: { kind: 'discount', payBp: 9_000, appliesTo: 'rent' },
    stackGroup: 'rental.rent-discount',
    priority: 100,
    basis: `${clause('信易租')}：租金优惠；AA 级 9 折及其等级门槛参照威海文登（AA 减 10%），为${CHOICE}`,
  },
  ...(
    [
      ['rental.office-space-priority', 'office-space-priority', 90, '优先提供办公场所'],
      ['rental.longer-lease', 'longer-lease', 80, '租期更长久'],
      ['rental.recruitment-booth', 'recruitment-booth', 70, '免费和优先提供招聘摊位'],
    ] as readonly Perk[]
  ).map(
    ([id, item, priority, zh]): PolicyRule => ({
      id,
      scene: 'rental-desk',
      description: `守信市场主体${zh}`,
      when: TRUSTWORTHY,
      benefit: { kind: 'perk', item },
      priority,
      basis: `${clause('信易租')}：${zh}`,
    }),
  ),
  {
    id: 'rental.office-deposit-waiver',
    scene: 'rental-desk',
    description: '守信创业企业免交办公场地押金',
    when: TRUSTWORTHY,
    benefit: { kind: 'deposit-waiver', item: 'office-space-deposit' },
    credentialKinds: ORGANISATION_CREDENTIALS,
    priority: 60,
    basis: `${clause('信易租')}：办公场地免押金为${CHOICE}`,
  },
  {
    id: 'rental.equipment-deposit-waiver',
    scene: 'rental-desk',
    description: '守信创业企业免交设备租赁押金',
    when: TRUSTWORTHY,
    benefit: { kind: 'deposit-waiver', item: 'equipment-deposit' },
    credentialKinds: ORGANISATION_CREDENTIALS,
    priority: 50,
    basis: `${clause('信易租')}：设备租赁免押金为${CHOICE}`,
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
 * Who each scene's programme is for, and where: 信易游 at the six city scenic spots; the personal
 * schemes for persons; 信易批, 信易贷 and 信易租 for market subjects (市场主体: enterprises, 创业企业,
 * non-enterprise legal persons), which the SDK knows by their unified social credit code.
 */
const coverage: Partial<Record<SceneId, Condition>> = {
  'scenic-gate': {
    all: [
      {
        fact: 'context',
        path: 'siteId',
        op: 'in',
        value: [...QINGZHOU_SCENIC_SITES],
        reason: 'SITE_NOT_COVERED',
      },
      PERSONS,
    ],
  },
  'hotel-front-desk': PERSONS,
  'supermarket-checkout': PERSONS,
  'library-kiosk': PERSONS,
  'hospital-admission': PERSONS,
  'transit-counter': PERSONS,
  'service-window': ORGANISATIONS,
  'bank-counter': ORGANISATIONS,
  'rental-desk': ORGANISATIONS,
};

/**
 * The default pack: Qingzhou 信易+ as the programme (青办发〔2018〕52号) describes it, for all nine
 * scenes. Every number is data; a rule or setting whose `basis` says 待确认 carries a default the
 * programme does not give, and published records cite `disclosure.legalBasis`, never `basis`.
 */
export const qingzhouPolicyPack: PolicyPack = {
  format: 'xinyi-policy-pack/1',
  packId: 'qingzhou-xinyi',
  version: '2026.3.0',
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
  basis: {
    tierScheme: `山东千分制分档（AAA ≥ 1150 … D ≤ 800）为${CHOICE}；市场主体的信用等级由平台映射到同一分档，映射为${CHOICE}`,
    trustworthyMinTier: `“守信”取 A 级及以上为${CHOICE}`,
    redListFloorTier: `红名单按不低于 AA 级对待为${CHOICE}`,
    keyAttention: `重点关注名单转人工复核为${CHOICE}`,
    blockingListKinds: `黑名单主体不享受守信激励；名单范围为${CHOICE}`,
    majorHolidays: `方案只写“重大节假日除外”，未列明哪些节日：默认春节、国庆节的整个放假期间，为${CHOICE}；备选方案：加上劳动节（majorHolidays: 春节、劳动节、国庆节）`,
    standingMaxAgeHours: `信用信息最长可用时间为技术参数，${CHOICE}`,
    coverage: `${clause('信易游')}限六处市属景区；信易游、信易行、信易阅、信易医、信易购面向个人；信易批、信易贷、信易租面向市场主体（企业、创业企业、非企业法人）；这三项是否也面向个人为${CHOICE}`,
    siteAliases: '六处景区的中文名与其 site id 等同',
  },
  coverage,
  siteAliases: Object.fromEntries(QINGZHOU_SCENIC_SITES.map((id) => [SITE_NAMES[id], id])),
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
    'trouser-hemming': '免费修裤脚',
    'jewellery-cleaning': '免费清理首饰',
    umbrella: '雨伞押金',
    'inpatient-deposit': '住院押金',
    'bus-card-deposit': '公交卡押金',
    'bike-card-deposit': '公共自行车卡押金',
    'shared-bike-deposit': '共享单车押金',
    'ride-hailing': '网约车信用服务',
    'one-window-acceptance': '一窗受理',
    'commitment-based-approval': '告知承诺审批',
    'one-trip-at-most': '最多跑一次',
    'mock-approval': '模拟审批',
    'health-licence-priority': '卫计行政许可优先办理',
    'office-space-priority': '优先提供办公场所',
    'longer-lease': '租期更长久',
    'recruitment-booth': '免费和优先提供招聘摊位',
    'office-space-deposit': '办公场地押金',
    'equipment-deposit': '设备押金',
    ...SITE_NAMES,
  },
};
