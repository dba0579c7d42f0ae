import type { Benefit } from '../domain/benefits.js';
import type { CredentialKind } from '../domain/credential.js';
import type { Decision } from '../domain/decision.js';
import type { CreditStanding } from '../domain/standing.js';
import { formatPayBp, formatYuanSpoken } from '../money.js';
import { ReasonCode } from './reason-codes.js';

const DISCOUNT_TARGET_ZH = { price: '', fare: '票价', rent: '租金', 'interest-rate': '贷款利率' } as const;

/** Chinese label of a benefit, using the pack's labels for item codes. */
export function describeBenefit(benefit: Benefit, labels: Readonly<Record<string, string>> = {}): string {
  switch (benefit.kind) {
    case 'free-entry':
      return '免费入园';
    case 'priority-lane':
      return '信用专用通道';
    case 'docs-deferred':
      return '容缺受理';
    case 'green-channel':
      return '绿色通道';
    case 'discount':
      return `${DISCOUNT_TARGET_ZH[benefit.appliesTo ?? 'price']}${formatPayBp(benefit.payBp)}`;
    case 'deposit-waiver':
      return `免${labels[benefit.item] ?? benefit.item}${benefit.maxFen === undefined ? '' : `（${formatYuanSpoken(benefit.maxFen)}以内）`}`;
    case 'loan-limit':
      return `可借${benefit.books}册`;
    case 'loan-extension':
      return `借期延长${benefit.days}天`;
    case 'points-multiplier':
      return `积分${benefit.factorBp / 10_000}倍`;
    case 'ride-extension':
      return `免费骑行时长延长${benefit.minutes}分钟`;
    case 'perk':
      return labels[benefit.item] ?? benefit.item;
    case 'fast-track-credit':
      return `信用快贷（${formatYuanSpoken(benefit.maxFen)}以下）`;
  }
}

// Rule benefits are shared objects, so their labels are worked out once per pack.
const labelCache = new WeakMap<Benefit, string>();
export function cachedLabel(benefit: Benefit, labels: Readonly<Record<string, string>>): string {
  let label = labelCache.get(benefit);
  if (label === undefined) {
    label = describeBenefit(benefit, labels);
    labelCache.set(benefit, label);
  }
  return label;
}

const NEUTRAL_DENIAL = '暂不符合信用优惠条件，按常规流程办理；如有疑问请至服务窗口咨询。';
/** Where a scene's programme does not apply: says nothing about the person, so it is the same for all. */
const SITE_NOT_COVERED_TEXT = '本场所未纳入信易+信用优惠范围，按常规流程办理。';
const FOR_ORGANISATIONS_TEXT = '此处的信用优惠面向企业等市场主体，按常规流程办理。';
const FOR_PERSONS_TEXT = '此处的信用优惠面向个人，按常规流程办理。';
const CAP_PERIOD_ZH = { day: '今日', month: '本月', year: '本年度' } as const;
const CREDENTIAL_KIND_ZH: Readonly<Record<CredentialKind, string>> = {
  'id-card': '身份证',
  'credit-code': '信用码',
  barcode: '会员卡',
  organisation: '统一社会信用代码',
};

/** What `evaluate` saw that the citizen text names: the first holiday exclusion and the first cap reached, by rule priority. */
export interface DecisionNotes {
  /** The holiday whose off period excluded a benefit, and the benefit's label. */
  holiday?: { name: string; label: string };
  /** The period of a per-subject cap reached, and the benefit's label. */
  cap?: { period: 'day' | 'month' | 'year'; label: string };
  /** The credentials a benefit needs when the one presented is not among them, and the benefit's label. */
  credential?: { kinds: readonly CredentialKind[]; label: string };
}

/**
 * Citizen text is neutral: a blocked subject reads exactly what a subject with too low a tier
 * reads, so nobody nearby learns of a listing. Staff text carries tier, source, codes and rule ids.
 */
export function explainDecision(
  decision: Decision,
  standing: CreditStanding,
  raisedByRedList: boolean,
  ageMs: number,
  /** `describeBenefit` of each of `decision.benefits`, in order. */
  benefitLabels: readonly string[],
  notes: DecisionNotes,
): { citizen: string; staff: string } {
  let blocked = false;
  let review = false;
  let capPending = false;
  let capUnverified = false;
  let calendarUnknown = false;
  // A "not covered" text only when nothing but coverage refused: a mix falls back to the neutral text.
  let siteOnly = true;
  let subjectOnly = true;
  let notGranted = '';
  for (const r of decision.reasons) {
    switch (r.code) {
      case ReasonCode.GRANTED:
        continue;
      case ReasonCode.LIST_BLOCK:
        blocked = true;
        break;
      case ReasonCode.KEY_ATTENTION_REVIEW:
        review = true;
        break;
      case ReasonCode.CAP_PENDING:
        capPending = true;
        break;
      case ReasonCode.CAP_UNVERIFIED:
        capUnverified = true;
        break;
      case ReasonCode.CALENDAR_UNKNOWN:
      case ReasonCode.CALENDAR_PROVISIONAL:
        calendarUnknown = true;
        break;
    }
    if (r.code !== ReasonCode.SITE_NOT_COVERED) siteOnly = false;
    if (r.code !== ReasonCode.SUBJECT_TYPE_NOT_COVERED) subjectOnly = false;
    notGranted += r.ruleId === undefined ? ` ${r.code}` : ` ${r.code}[${r.ruleId}]`;
  }
  let granted = '';
  let citizen: string;
  if (decision.outcome === 'granted') {
    let labels = '';
    decision.benefits.forEach((b, i) => {
      const label = benefitLabels[i]!;
      labels += labels === '' ? label : `、${label}`;
      granted += `${granted === '' ? '' : '、'}${label}[${b.ruleId}]`;
    });
    citizen = `信用优惠：${labels}`;
  } else if (decision.outcome === 'unavailable') {
    citizen = decision.reasons.some((r) => r.code.startsWith('CODE_'))
      ? '信用码无法使用，请在手机上刷新信用码后重试，或按常规流程办理。'
      : '暂时无法确认信用信息，按常规流程办理。';
  } else if (blocked || review) {
    citizen = NEUTRAL_DENIAL;
  } else if (siteOnly && notGranted !== '') {
    citizen = SITE_NOT_COVERED_TEXT;
  } else if (subjectOnly && notGranted !== '') {
    citizen = decision.subjectType === 'person' ? FOR_ORGANISATIONS_TEXT : FOR_PERSONS_TEXT;
  } else if (notes.holiday) {
    citizen = `${notes.holiday.name}假期期间暂停${notes.holiday.label}，按常规流程办理。`;
  } else if (notes.cap) {
    // The period is named: "today" tells the person when to come back.
    citizen = `${CAP_PERIOD_ZH[notes.cap.period]}${notes.cap.label}次数已用完，按常规流程办理。`;
  } else if (capPending) {
    citizen = '您的信用优惠正在其他通道使用中，请稍候再试或按常规流程办理。';
  } else if (capUnverified) {
    citizen = '暂时无法核对信用优惠次数，按常规流程办理。';
  } else if (notes.credential) {
    // Only a subject whose credit qualified gets here (the condition is checked first): they are told
    // what to show, not that their credit fell short.
    const kinds = notes.credential.kinds.map((k) => CREDENTIAL_KIND_ZH[k]).join('或');
    citizen = `${notes.credential.label}需使用${kinds}，按常规流程办理。`;
  } else if (calendarUnknown) {
    citizen = '暂时无法确认今日是否适用信用优惠，按常规流程办理。';
  } else {
    citizen = NEUTRAL_DENIAL;
  }

  const tier = standing.tier ?? '未知';
  let lists = '';
  for (const l of standing.lists) {
    lists += `${lists === '' ? '' : ','}${l.domain ? `${l.kind}:${l.domain}` : l.kind}`;
  }
  const age = Number.isFinite(ageMs) ? `（${Math.round(ageMs / 60_000)}分钟前）` : '';
  const staff =
    (decision.subjectType === 'organisation' ? '单位｜' : '') +
    `等级 ${raisedByRedList ? `${tier}→${decision.effectiveTier}（红名单）` : tier}｜名单 ${lists || '无'}` +
    `｜来源 ${standing.source}${age}｜授予 ${granted || '无'}` +
    (notGranted ? `｜原因${notGranted}` : '') +
    (review ? '｜需人工复核' : '') +
    // Staff must know the day was computed, not notified: the notice may differ (调休 unknown).
    (decision.calendarProvisional ? '｜日历 临时推算（本年尚无官方放假安排）' : '');
  return { citizen, staff };
}
