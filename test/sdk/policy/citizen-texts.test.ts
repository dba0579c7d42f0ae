// Every text a person standing at a terminal can be shown, scene by scene. Each scene's test renders
// the citizen text of every situation the default pack distinguishes and compares the set with the
// approved list kept here: a new text, or a changed one, fails until it is read and approved.
import { describe, expect, it } from 'vitest';
import { chinaHolidayCalendar, type HolidayCalendar } from '../../../sdk/calendar/index.js';
import type { CredentialKind } from '../../../sdk/domain/credential.js';
import type { SceneId } from '../../../sdk/domain/scenes.js';
import type { CreditStanding, SubjectType } from '../../../sdk/domain/standing.js';
import { type DecisionContext, evaluate, type UsageCounts } from '../../../sdk/policy/evaluate.js';
import type { PolicyPack } from '../../../sdk/policy/pack.js';
import { qingzhouPolicyPack } from '../../../sdk/policy/qingzhou-pack.js';
import { HOUR_MS, isoBefore, NOW_ISO, NOW_MS, ORGANISATION_SCENES } from './fixtures.js';

const NEUTRAL = '暂不符合信用优惠条件，按常规流程办理；如有疑问请至服务窗口咨询。';
const UNKNOWN = '暂时无法确认信用信息，按常规流程办理。';
const CODE = '信用码无法使用，请在手机上刷新信用码后重试，或按常规流程办理。';
const FOR_ORGANISATIONS = '此处的信用优惠面向企业等市场主体，按常规流程办理。';
const FOR_PERSONS = '此处的信用优惠面向个人，按常规流程办理。';
/** What every scene may say besides its grants: the same words wherever the person stands. */
const COMMON = [NEUTRAL, UNKNOWN, CODE];

/** The approved texts of each scene. */
const APPROVED: Record<SceneId, readonly string[]> = {
  'scenic-gate': [
    ...COMMON,
    FOR_PERSONS,
    '信用优惠：免费入园',
    '本场所未纳入信易+信用优惠范围，按常规流程办理。',
    '国庆节假期期间暂停免费入园，按常规流程办理。',
    '春节假期期间暂停免费入园，按常规流程办理。',
    '今日免费入园次数已用完，按常规流程办理。',
    '免费入园需使用身份证或信用码，按常规流程办理。',
    '暂时无法确认今日是否适用信用优惠，按常规流程办理。',
  ],
  'hotel-front-desk': [
    ...COMMON,
    FOR_PERSONS,
    '信用优惠：免客房押金、快速退房、退房免查房',
    '信用优惠：快速退房、退房免查房',
  ],
  'supermarket-checkout': [
    ...COMMON,
    FOR_PERSONS,
    '信用优惠：9.5折、信用专用通道、积分2倍、免费停车、免雨伞押金、免费购物袋、免费会员卡、免费修裤脚、免费清理首饰',
    '信用优惠：9.8折、信用专用通道、积分2倍、免费停车、免雨伞押金、免费购物袋、免费会员卡、免费修裤脚、免费清理首饰',
    '信用优惠：信用专用通道、积分2倍、免费停车、免雨伞押金、免费购物袋、免费会员卡、免费修裤脚、免费清理首饰',
    '信用优惠：9.5折、信用专用通道、积分2倍、免费停车、免费购物袋、免费会员卡、免费修裤脚、免费清理首饰',
  ],
  'library-kiosk': [
    ...COMMON,
    FOR_PERSONS,
    '信用优惠：可借5册、借期延长60天',
    '信用优惠：可借4册、借期延长60天',
    '信用优惠：可借3册、借期延长30天',
  ],
  'hospital-admission': [
    ...COMMON,
    FOR_PERSONS,
    '信用优惠：免住院押金（5万元以内）、容缺受理',
    '信用优惠：容缺受理',
  ],
  'transit-counter': [
    ...COMMON,
    FOR_PERSONS,
    '信用优惠：票价9折、免公交卡押金、免公共自行车卡押金、免费骑行时长延长30分钟、免共享单车押金、网约车信用服务',
    '信用优惠：票价9折、免费骑行时长延长30分钟、网约车信用服务',
  ],
  'service-window': [
    ...COMMON,
    FOR_ORGANISATIONS,
    '信用优惠：绿色通道、告知承诺审批、一窗受理、最多跑一次、模拟审批、卫计行政许可优先办理',
  ],
  'bank-counter': [...COMMON, FOR_ORGANISATIONS, '信用优惠：信用快贷（30万元以下）、贷款利率9.5折'],
  'rental-desk': [
    ...COMMON,
    FOR_ORGANISATIONS,
    '信用优惠：租金7折、优先提供办公场所、租期更长久、免费和优先提供招聘摊位、免办公场地押金、免设备押金',
    '信用优惠：租金9折、优先提供办公场所、租期更长久、免费和优先提供招聘摊位、免办公场地押金、免设备押金',
    '信用优惠：优先提供办公场所、租期更长久、免费和优先提供招聘摊位、免办公场地押金、免设备押金',
  ],
};

interface Situation {
  standing?: Partial<CreditStanding>;
  context?: DecisionContext;
  now?: string;
  subjectType?: SubjectType;
  credentialKind?: CredentialKind;
  unavailableReason?: string;
  usage?: UsageCounts;
  calendar?: HolidayCalendar;
  pack?: PolicyPack;
}

/** Every situation the pack tells apart, in one scene. */
function situations(scene: SceneId): Situation[] {
  const served: SubjectType = ORGANISATION_SCENES.includes(scene) ? 'organisation' : 'person';
  const other: SubjectType = served === 'person' ? 'organisation' : 'person';
  const domain = qingzhouPolicyPack.sceneDomains[scene]!;
  const list: Situation[] = [
    ...(['AAA', 'AA', 'A', 'B', 'C', 'D'] as const).map((tier) => ({ standing: { tier } })),
    { standing: { tier: 'C', lists: [{ kind: 'red' }] } },
    { standing: { tier: null, lists: [{ kind: 'red' }] } },
    { standing: { tier: 'AAA', lists: [{ kind: 'black' }] } },
    { standing: { tier: 'AAA', lists: [{ kind: 'black', domain }] } },
    { standing: { tier: 'AAA', lists: [{ kind: 'black', domain: 'elsewhere' }] } },
    { standing: { tier: 'AAA', lists: [{ kind: 'key-attention' }] } },
    { standing: { tier: null } },
    { standing: { tier: 'AAA', asOf: isoBefore(NOW_MS, 49) } },
    { standing: { tier: 'AAA', asOf: new Date(NOW_MS + 2 * HOUR_MS).toISOString() } },
    { standing: { tier: 'AAA', subjectType: other } },
    { standing: { tier: 'AAA' }, subjectType: other },
    { standing: { tier: 'D', lists: [{ kind: 'black' }] }, subjectType: other },
    { pack: { ...qingzhouPolicyPack, version: 'expired', validTo: '2026-01-31' } },
    // A member-code barcode (or a signed credit code) where a person shows an ID card.
    ...(served === 'person'
      ? ([
          { standing: { tier: 'AAA' }, credentialKind: 'barcode' },
          { standing: { tier: 'B' }, credentialKind: 'barcode' },
          { standing: { tier: 'AA' }, credentialKind: 'credit-code' },
        ] as const)
      : []),
    ...[
      undefined,
      'CREDIT_TIMEOUT',
      'CREDIT_UNAVAILABLE',
      'CREDENTIAL_INVALID',
      'CODE_EXPIRED',
      'CODE_REPLAYED',
    ].map((unavailableReason) => ({ standing: { tier: null, source: 'none' as const }, unavailableReason })),
  ];
  if (scene === 'scenic-gate') {
    for (const siteId of [undefined, 'taishan', '云门山', ' 驼山 ', 'Ouyuan']) {
      list.push(
        { context: { siteId }, standing: { tier: 'AAA' } },
        { context: { siteId }, standing: { tier: 'C' } },
      );
    }
    for (const now of [
      '2026-10-03T10:00:00+08:00',
      '2026-02-18T10:00:00+08:00',
      '2027-02-07T10:00:00+08:00',
      '2027-01-05T10:00:00+08:00',
      '2026-02-14T10:00:00+08:00',
    ]) {
      list.push({ now, standing: { tier: 'AA' } }, { now, standing: { tier: 'B' } });
    }
    list.push({ now: '2027-01-05T10:00:00+08:00', calendar: chinaHolidayCalendar, standing: { tier: 'AA' } });
    list.push({ usage: { 'scenic.free-entry': { day: 1 } }, standing: { tier: 'AAA' } });
    list.push({ usage: { 'scenic.free-entry': { month: 9, year: 40 } }, standing: { tier: 'AAA' } });
  }
  return list;
}

function render(scene: SceneId, s: Situation): string {
  const now = s.now ?? NOW_ISO;
  const nowMs = Date.parse(now);
  const served: SubjectType = ORGANISATION_SCENES.includes(scene) ? 'organisation' : 'person';
  const standing: CreditStanding = {
    tier: 'A',
    lists: [],
    source: 'platform',
    asOf: isoBefore(nowMs, 1),
    ...s.standing,
  };
  const decision = evaluate(s.pack ?? qingzhouPolicyPack, {
    scene,
    standing,
    now,
    context: 'context' in s ? s.context : scene === 'scenic-gate' ? { siteId: 'yunmenshan' } : undefined,
    subjectType: s.subjectType ?? served,
    credentialKind:
      s.credentialKind ?? ((s.subjectType ?? served) === 'organisation' ? 'organisation' : 'id-card'),
    ...(s.unavailableReason ? { unavailableReason: s.unavailableReason } : {}),
    ...(s.usage ? { usage: s.usage } : {}),
    ...(s.calendar ? { calendar: s.calendar } : {}),
  });
  return decision.explanation.citizen;
}

describe('citizen texts of the default pack, scene by scene', () => {
  it.each(Object.keys(APPROVED) as SceneId[])(
    '%s: every text is one of the approved list, and each is used',
    (scene) => {
      const rendered = new Set(situations(scene).map((s) => render(scene, s)));
      expect([...rendered].sort()).toEqual([...new Set(APPROVED[scene])].sort());
    },
  );

  it('no approved text names a list, a tier or a score', () => {
    for (const text of Object.values(APPROVED).flat()) {
      expect(text).not.toMatch(/红名单|黑名单|重点关注|失信|等级|信用分|[ABCD]{1,3}级|\bA{1,3}\b/);
    }
  });

  it('amounts are read as a person says them: 万元, 以内, 以下; never ¥ or decimals of 元', () => {
    const all = Object.values(APPROVED).flat().join('\n');
    expect(all).toContain('5万元以内');
    expect(all).toContain('30万元以下');
    expect(all).not.toMatch(/¥|\.00/);
  });
});
