import { describe, expect, it } from 'vitest';
import {
  chinaHolidayCalendar,
  createHolidayCalendar,
  defaultHolidayCalendar,
  type HolidayCalendar,
} from '../../../sdk/calendar/index.js';
import { SCENE_IDS, type SceneId } from '../../../sdk/domain/scenes.js';
import type { CreditStanding } from '../../../sdk/domain/standing.js';
import { isXinyiError } from '../../../sdk/errors.js';
import { type EvaluateInput, evaluate } from '../../../sdk/policy/evaluate.js';
import type { PolicyPack, PolicyRule } from '../../../sdk/policy/pack.js';
import { qingzhouPolicyPack } from '../../../sdk/policy/qingzhou-pack.js';
import { thrown } from '../../support/thrown.js';
import {
  clonePack,
  decide,
  HOUR_MS,
  isoBefore,
  NOW_ISO,
  NOW_MS,
  reasonCodes,
  sortedBenefits,
  standing,
} from './fixtures.js';

const NEUTRAL = '暂不符合信用优惠条件，按常规流程办理；如有疑问请至服务窗口咨询。';
const FORBIDDEN_IN_CITIZEN_TEXT = [
  '黑',
  '红',
  '名单',
  '失信',
  '重点关注',
  'black',
  'list',
  'red',
  'key-attention',
];
const SITE = { siteId: 'yunmenshan' };

function expectNeutral(citizen: string): void {
  for (const word of FORBIDDEN_IN_CITIZEN_TEXT) expect(citizen.toLowerCase()).not.toContain(word);
}

/** The scenic gate for an A-tier citizen at a covered site, at 10:00 Shanghai time on `date`. */
function atGate(date: string, pack: PolicyPack = qingzhouPolicyPack, calendar?: HolidayCalendar) {
  return decide({
    pack,
    scene: 'scenic-gate',
    standing: standingAt(`${date}T10:00:00+08:00`),
    context: SITE,
    now: `${date}T10:00:00+08:00`,
    ...(calendar ? { calendar } : {}),
  });
}

function standingAt(now: string | number, spec: Partial<CreditStanding> = {}): CreditStanding {
  return standing({ tier: 'A', ...spec, asOf: spec.asOf ?? isoBefore(now, 1) });
}

describe('evaluate: major holidays at the scenic gate', () => {
  it.each([
    ['2026-10-01', '国庆节 2026, first day'],
    ['2026-10-03', '国庆节 2026'],
    ['2026-10-07', '国庆节 2026, last day'],
    ['2026-02-15', '春节 2026, first day'],
    ['2026-02-18', '春节 2026'],
    ['2026-02-23', '春节 2026, last day'],
    ['2025-10-08', '国庆节 2025 (merged with 中秋节), last day'],
    ['2024-02-10', '春节 2024'],
  ])('%s (%s): no free entry, HOLIDAY_EXCLUDED, a citizen text naming the holiday', (date, label) => {
    const d = atGate(date);
    expect(d.outcome).toBe('denied');
    expect(d.benefits).toEqual([]);
    expect(d.reasons).toEqual([{ code: 'HOLIDAY_EXCLUDED', ruleId: 'scenic.free-entry' }]);
    expect(d.explanation.citizen).toBe(
      `${label.slice(0, label.indexOf(' '))}假期期间暂停免费入园，按常规流程办理。`,
    );
    expectNeutral(d.explanation.citizen);
  });

  it.each([
    ['2026-09-20', '调休 working Sunday before 国庆节'],
    ['2026-10-10', '调休 working Saturday after 国庆节'],
    ['2026-02-14', '调休 working Saturday before 春节'],
    ['2026-02-28', '调休 working Saturday after 春节'],
    ['2026-03-07', 'ordinary Saturday'],
    ['2026-03-08', 'ordinary Sunday'],
    ['2026-09-30', 'the eve of 国庆节'],
    ['2026-10-08', 'the day after 国庆节'],
    ['2026-02-24', 'the day after 春节'],
    ['2026-04-05', '清明节 (not a major holiday)'],
    ['2026-01-01', '元旦 (not a major holiday)'],
    ['2026-09-26', '中秋节 2026 (not a major holiday)'],
  ])('%s (%s): free entry granted', (date) => {
    const d = atGate(date);
    expect(d.outcome).toBe('granted');
    expect(d.benefits).toEqual([{ kind: 'free-entry', ruleId: 'scenic.free-entry' }]);
  });

  it('a year the calendar does not cover fails safe: CALENDAR_UNKNOWN, no free entry', () => {
    for (const date of ['2027-05-12', '2023-12-31']) {
      const d = atGate(date, qingzhouPolicyPack, chinaHolidayCalendar);
      expect(d.outcome).toBe('denied');
      expect(d.benefits).toEqual([]);
      expect(d.reasons).toEqual([{ code: 'CALENDAR_UNKNOWN', ruleId: 'scenic.free-entry' }]);
      expect(d.explanation.citizen).toBe('暂时无法确认今日是否适用信用优惠，按常规流程办理。');
    }
  });

  it('holidays do not touch scenes whose rules have no calendar constraint', () => {
    const now = '2026-10-03T10:00:00+08:00';
    const d = decide({ scene: 'library-kiosk', standing: standingAt(now), now });
    expect(d.outcome).toBe('granted');
    const unknownYear = '2027-05-12T10:00:00+08:00';
    expect(
      decide({ scene: 'library-kiosk', standing: standingAt(unknownYear), now: unknownYear }).outcome,
    ).toBe('granted');
  });

  it('evaluates the date in Asia/Shanghai, whatever the instant looks like in UTC', () => {
    const after = '2026-09-30T16:30:00Z'; // 2026-10-01 00:30 in Shanghai
    const a = decide({ scene: 'scenic-gate', standing: standingAt(after), context: SITE, now: after });
    expect(a.reasons).toEqual([{ code: 'HOLIDAY_EXCLUDED', ruleId: 'scenic.free-entry' }]);
    expect(a.outcome).toBe('denied');

    const before = '2026-09-30T15:30:00Z'; // 2026-09-30 23:30 in Shanghai
    const b = decide({ scene: 'scenic-gate', standing: standingAt(before), context: SITE, now: before });
    expect(b.outcome).toBe('granted');

    // The same instants as epoch milliseconds and as Date objects decide the same way.
    for (const now of [Date.parse(after), new Date(after)]) {
      expect(decide({ scene: 'scenic-gate', standing: standingAt(after), context: SITE, now }).outcome).toBe(
        'denied',
      );
    }
    // The last instant of the holiday in Shanghai (2026-10-07 23:59:59.999 +08:00) is still excluded.
    const lastMs = Date.parse('2026-10-07T15:59:59.999Z');
    expect(
      decide({ scene: 'scenic-gate', standing: standingAt(lastMs), context: SITE, now: lastMs }).outcome,
    ).toBe('denied');
    expect(
      decide({ scene: 'scenic-gate', standing: standingAt(lastMs + 1), context: SITE, now: lastMs + 1 })
        .outcome,
    ).toBe('granted');
  });

  it('uses the calendar given in the input and records its version', () => {
    const noHolidays = createHolidayCalendar({
      version: 'test-empty-2026',
      years: [{ year: 2026, days: [] }],
    });
    const now = '2026-10-03T10:00:00+08:00';
    const d = evaluate(qingzhouPolicyPack, {
      scene: 'scenic-gate',
      standing: standingAt(now),
      context: SITE,
      now,
      calendar: noHolidays,
      credentialKind: 'id-card',
    });
    expect(d.outcome).toBe('granted');
    expect(d.calendarVersion).toBe('test-empty-2026');
  });
});

describe('evaluate: calendar constraints of custom packs', () => {
  function scenicWith(calendar: NonNullable<PolicyRule['calendar']>): PolicyPack {
    const pack = clonePack();
    const rule = pack.rules.find((r) => r.id === 'scenic.free-entry')!;
    rule.calendar = calendar;
    return pack;
  }

  it('excludeWeekends excludes ordinary weekends but not 调休 working weekend days', () => {
    const pack = scenicWith({ excludeWeekends: true, onUnknownDay: 'exclude' });
    expect(atGate('2026-03-07', pack).reasons).toEqual([
      { code: 'WEEKEND_EXCLUDED', ruleId: 'scenic.free-entry' },
    ]);
    expect(atGate('2026-09-20', pack).outcome).toBe('granted');
    expect(atGate('2026-03-09', pack).outcome).toBe('granted');
    // Without excludeHolidays, a holiday is not excluded even when it falls on a weekend.
    expect(atGate('2026-10-03', pack).outcome).toBe('granted');
  });

  it('an explicit holiday list excludes only the named periods', () => {
    const pack = scenicWith({ excludeHolidays: ['清明节'], onUnknownDay: 'exclude' });
    expect(atGate('2026-04-05', pack).reasons).toEqual([
      { code: 'HOLIDAY_EXCLUDED', ruleId: 'scenic.free-entry' },
    ]);
    expect(atGate('2026-10-03', pack).outcome).toBe('granted');
  });

  it("onUnknownDay 'allow' grants on days outside the calendar", () => {
    const pack = scenicWith({ excludeHolidays: 'major', onUnknownDay: 'allow' });
    expect(atGate('2027-05-12', pack).outcome).toBe('granted');
  });

  it('a custom majorHolidays list changes what "major" means', () => {
    const pack = clonePack();
    pack.majorHolidays = ['劳动节'];
    expect(atGate('2026-05-02', pack).reasons).toEqual([
      { code: 'HOLIDAY_EXCLUDED', ruleId: 'scenic.free-entry' },
    ]);
    expect(atGate('2026-10-03', pack).outcome).toBe('granted');
  });
});

describe('evaluate: lists', () => {
  it.each(SCENE_IDS)('%s: black list beats red list and AAA — denied LIST_BLOCK, no benefit', (scene) => {
    const d = decide({
      scene,
      standing: standing({ tier: 'AAA', lists: [{ kind: 'red' }, { kind: 'black' }] }),
      context: SITE,
    });
    expect(d.outcome).toBe('denied');
    expect(d.benefits).toEqual([]);
    expect(d.disclosures).toEqual([]);
    expect(d.reasons).toEqual([{ code: 'LIST_BLOCK' }]);
    expect(d.explanation.citizen).toBe(NEUTRAL);
    expectNeutral(d.explanation.citizen);
  });

  it("a black listing with domain 'medical' blocks the hospital only", () => {
    const s = standing({ tier: 'AAA', lists: [{ kind: 'black', domain: 'medical' }] });
    const hospital = decide({ scene: 'hospital-admission', standing: s });
    expect(hospital.outcome).toBe('denied');
    expect(hospital.reasons).toEqual([{ code: 'LIST_BLOCK' }]);
    const library = decide({ scene: 'library-kiosk', standing: s });
    expect(library.outcome).toBe('granted');
    expect(sortedBenefits(library).map((b) => b.kind)).toEqual(['loan-extension', 'loan-limit']);
    for (const scene of SCENE_IDS.filter((x) => x !== 'hospital-admission')) {
      expect(decide({ scene, standing: s, context: SITE }).outcome, scene).toBe('granted');
    }
  });

  it("a black listing with domain 'tourism' blocks the scenic gate and the hotel, nothing else", () => {
    const s = standing({ tier: 'AA', lists: [{ kind: 'black', domain: 'tourism' }] });
    for (const scene of SCENE_IDS) {
      const blocked = scene === 'scenic-gate' || scene === 'hotel-front-desk';
      expect(decide({ scene, standing: s, context: SITE }).outcome, scene).toBe(
        blocked ? 'denied' : 'granted',
      );
    }
  });

  it("a black listing with domain 'any' blocks everywhere", () => {
    const s = standing({ tier: 'AAA', lists: [{ kind: 'black', domain: 'any' }] });
    for (const scene of SCENE_IDS) {
      expect(reasonCodes(decide({ scene, standing: s, context: SITE })), scene).toEqual(['LIST_BLOCK']);
    }
  });

  it('key-attention: no automatic incentive, KEY_ATTENTION_REVIEW, staff told to review', () => {
    const d = decide({
      scene: 'library-kiosk',
      standing: standing({ tier: 'AAA', lists: [{ kind: 'key-attention' }] }),
    });
    expect(d.outcome).toBe('denied');
    expect(d.benefits).toEqual([]);
    expect(d.reasons).toEqual([{ code: 'KEY_ATTENTION_REVIEW' }]);
    expect(d.explanation.staff).toContain('需人工复核');
    expect(d.explanation.citizen).toBe(NEUTRAL);
  });

  it("key-attention is ignored by a pack with keyAttention 'ignore'", () => {
    const pack = clonePack();
    pack.keyAttention = 'ignore';
    const d = decide({
      pack,
      scene: 'library-kiosk',
      standing: standing({ tier: 'A', lists: [{ kind: 'key-attention' }] }),
    });
    expect(d.outcome).toBe('granted');
  });

  it('citizen text for a blocked subject is exactly the text for a too-low tier, and names no list', () => {
    for (const scene of SCENE_IDS) {
      const blocked = decide({
        scene,
        standing: standing({ tier: 'AAA', lists: [{ kind: 'black' }] }),
        context: SITE,
      });
      const tooLow = decide({ scene, standing: standing({ tier: 'C' }), context: SITE });
      const review = decide({
        scene,
        standing: standing({ tier: 'AAA', lists: [{ kind: 'key-attention' }] }),
        context: SITE,
      });
      expect(tooLow.outcome).toBe('denied');
      expect(blocked.explanation.citizen).toBe(tooLow.explanation.citizen);
      expect(review.explanation.citizen).toBe(tooLow.explanation.citizen);
      expectNeutral(blocked.explanation.citizen);
      // The staff text is where the listing shows.
      expect(blocked.explanation.staff).toContain('black');
    }
  });

  it('a red listing raises a null tier to AA', () => {
    const d = decide({
      scene: 'library-kiosk',
      standing: standing({ tier: null, lists: [{ kind: 'red' }] }),
    });
    expect(d.outcome).toBe('granted');
    expect(d.effectiveTier).toBe('AA');
    expect(sortedBenefits(d)).toEqual([
      { kind: 'loan-extension', days: 60, ruleId: 'library.loan-extension.aa' },
      { kind: 'loan-limit', books: 4, ruleId: 'library.loan-limit.aa' },
    ]);
  });

  it('a pack with redListFloorTier null lets the red list raise nothing', () => {
    const pack = clonePack();
    pack.redListFloorTier = null;
    const d = decide({
      pack,
      scene: 'library-kiosk',
      standing: standing({ tier: 'B', lists: [{ kind: 'red' }] }),
    });
    expect(d.outcome).toBe('denied');
    expect(d.effectiveTier).toBe('B');
  });
});

describe('evaluate: unknown, unavailable and stale standings (fail-safe: normal service)', () => {
  it('tier null and no red list → unavailable TIER_UNKNOWN', () => {
    const d = decide({ scene: 'library-kiosk', standing: standing({ tier: null }) });
    expect(d.outcome).toBe('unavailable');
    expect(d.benefits).toEqual([]);
    expect(d.reasons).toEqual([{ code: 'TIER_UNKNOWN' }]);
    expect(d.effectiveTier).toBeNull();
    expect(d.explanation.citizen).toBe('暂时无法确认信用信息，按常规流程办理。');
  });

  it("source 'none' → unavailable, whatever tier it carries", () => {
    const d = decide({ scene: 'library-kiosk', standing: standing({ tier: 'AAA', source: 'none' }) });
    expect(d.outcome).toBe('unavailable');
    expect(d.benefits).toEqual([]);
    expect(d.reasons).toEqual([{ code: 'STANDING_UNAVAILABLE' }]);
    expect(d.standingSource).toBe('none');
  });

  it("source 'none' carries the caller's unavailableReason", () => {
    const d = evaluate(qingzhouPolicyPack, {
      scene: 'library-kiosk',
      standing: standing({ tier: null, source: 'none' }),
      now: NOW_ISO,
      unavailableReason: 'CREDIT_TIMEOUT',
    });
    expect(d.reasons).toEqual([{ code: 'CREDIT_TIMEOUT' }]);
  });

  it.each([
    { source: 'platform', maxHours: 48 },
    { source: 'snapshot', maxHours: 72 },
    { source: 'credit-code', maxHours: 72 },
  ] as const)('$source: used up to $maxHours h old, STANDING_STALE after', ({ source, maxHours }) => {
    const at = (hours: number) =>
      decide({
        scene: 'library-kiosk',
        standing: standing({ tier: 'AAA', source, asOf: isoBefore(NOW_MS, hours) }),
      });
    expect(at(maxHours).outcome).toBe('granted');
    const stale = at(maxHours + 1 / 3600); // one second too old
    expect(stale.outcome).toBe('unavailable');
    expect(stale.benefits).toEqual([]);
    expect(stale.reasons).toEqual([{ code: 'STANDING_STALE' }]);
    expect(at(maxHours + 24).reasons).toEqual([{ code: 'STANDING_STALE' }]);
  });

  it('a standing is stale against the pack it is judged by (standingMaxAgeHours is data)', () => {
    const pack = clonePack();
    pack.standingMaxAgeHours.platform = 1;
    const s = standing({ tier: 'AAA', asOf: new Date(NOW_MS - 2 * HOUR_MS).toISOString() });
    expect(decide({ pack, scene: 'library-kiosk', standing: s }).reasons).toEqual([
      { code: 'STANDING_STALE' },
    ]);
    expect(decide({ scene: 'library-kiosk', standing: s }).outcome).toBe('granted');
  });

  it('an unparseable asOf is refused as invalid', () => {
    const d = decide({ scene: 'library-kiosk', standing: standing({ tier: 'AAA', asOf: 'yesterday' }) });
    expect(d.outcome).toBe('unavailable');
    expect(d.reasons).toEqual([{ code: 'STANDING_INVALID' }]);
  });

  it('an asOf more than 5 minutes in the future is refused as invalid; within 5 minutes it is fresh', () => {
    const ahead = (ms: number) => new Date(NOW_MS + ms).toISOString();
    const future = decide({
      scene: 'library-kiosk',
      standing: standing({ tier: 'AAA', asOf: ahead(5 * 60_000 + 1) }),
    });
    expect(future.outcome).toBe('unavailable');
    expect(future.reasons).toEqual([{ code: 'STANDING_INVALID' }]);
    const skewed = decide({
      scene: 'library-kiosk',
      standing: standing({ tier: 'AAA', asOf: ahead(5 * 60_000) }),
    });
    expect(skewed.outcome).toBe('granted');
  });

  it("a listing's domain limits it: an empty or 'any' domain applies everywhere, another domain nowhere else", () => {
    for (const domain of ['', 'any', undefined]) {
      const d = decide({
        scene: 'library-kiosk',
        standing: standing({
          tier: 'AAA',
          lists: [domain === undefined ? { kind: 'black' } : { kind: 'black', domain }],
        }),
      });
      expect(d.reasons, String(domain)).toEqual([{ code: 'LIST_BLOCK' }]);
    }
    const redElsewhere = decide({
      scene: 'hospital-admission',
      standing: standing({ tier: 'B', lists: [{ kind: 'red', domain: 'tourism' }] }),
    });
    expect(redElsewhere.effectiveTier).toBe('B');
    expect(redElsewhere.benefits).toEqual([]);
    const reviewElsewhere = decide({
      scene: 'library-kiosk',
      standing: standing({ tier: 'AA', lists: [{ kind: 'key-attention', domain: 'finance' }] }),
    });
    expect(reviewElsewhere.outcome).toBe('granted');
  });

  it('a stale standing does not block a black-listed subject any more than it grants: unavailable, no benefit', () => {
    const d = decide({
      scene: 'library-kiosk',
      standing: standing({ tier: 'AAA', lists: [{ kind: 'black' }], asOf: isoBefore(NOW_MS, 100) }),
    });
    expect(d.outcome).toBe('unavailable');
    expect(d.benefits).toEqual([]);
  });

  it('a pack outside its validity dates → unavailable POLICY_OUT_OF_VALIDITY', () => {
    const pack = clonePack();
    pack.validTo = '2026-11-25';
    const d = decide({ pack, scene: 'library-kiosk', standing: standing({ tier: 'AAA' }) });
    expect(d.outcome).toBe('unavailable');
    expect(d.reasons).toEqual([{ code: 'POLICY_OUT_OF_VALIDITY' }]);
    const later = clonePack();
    later.validFrom = '2026-11-27';
    expect(
      reasonCodes(decide({ pack: later, scene: 'library-kiosk', standing: standing({ tier: 'AAA' }) })),
    ).toEqual(['POLICY_OUT_OF_VALIDITY']);
    const today = clonePack();
    today.validFrom = '2026-11-26';
    today.validTo = '2026-11-26';
    expect(decide({ pack: today, scene: 'library-kiosk', standing: standing({ tier: 'AAA' }) }).outcome).toBe(
      'granted',
    );
  });

  it('a rule outside its validity dates is skipped with RULE_OUT_OF_VALIDITY', () => {
    const pack = clonePack();
    pack.rules.find((r) => r.id === 'hotel.express-checkout')!.validFrom = '2026-12-01';
    const d = decide({ pack, scene: 'hotel-front-desk', standing: standing({ tier: 'A' }) });
    expect(d.outcome).toBe('granted');
    expect(d.benefits.map((b) => b.ruleId)).not.toContain('hotel.express-checkout');
    expect(reasonCodes(d, 'hotel.express-checkout')).toEqual(['RULE_OUT_OF_VALIDITY']);
  });
});

describe('evaluate: per-subject caps', () => {
  it('scenic.free-entry once a day: usage {day: 1} → CAP_REACHED', () => {
    const d = decide({
      scene: 'scenic-gate',
      standing: standing({ tier: 'AAA' }),
      context: SITE,
      usage: { 'scenic.free-entry': { day: 1 } },
    });
    expect(d.outcome).toBe('denied');
    expect(d.benefits).toEqual([]);
    expect(d.reasons).toEqual([{ code: 'CAP_REACHED', ruleId: 'scenic.free-entry' }]);
    // The period is named, so the visitor knows the free entry comes back tomorrow.
    expect(d.explanation.citizen).toBe('今日免费入园次数已用完，按常规流程办理。');
  });

  it('counts only the period and the rule the cap names', () => {
    const granted = (usage: EvaluateInput['usage']) =>
      decide({ scene: 'scenic-gate', standing: standing({ tier: 'AAA' }), context: SITE, usage }).outcome;
    expect(granted({ 'scenic.free-entry': { day: 0 } })).toBe('granted');
    expect(granted({ 'scenic.free-entry': { month: 30, year: 300 } })).toBe('granted');
    expect(granted({ 'hotel.deposit-waiver': { day: 5 } })).toBe('granted');
    expect(granted({ 'scenic.free-entry': { day: 7 } })).toBe('denied');
  });
});

describe('evaluate: decision metadata', () => {
  it('carries the pack and calendar versions and the standing facts', () => {
    const d = decide({ scene: 'library-kiosk' });
    expect(d.policyVersion).toBe('qingzhou-xinyi@2026.3.0');
    expect(d.policyVersion).toMatch(/^qingzhou-xinyi@/);
    expect(d.calendarVersion).toBe(defaultHolidayCalendar.version);
    expect(d.calendarVersion).toBe('cn-holidays-2024.2026.1+provisional-cn.2025.1');
    expect(d.calendarProvisional).toBe(false);
    expect(d.standingSource).toBe('platform');
    expect(d.standingAsOf).toBe(isoBefore(NOW_MS, 1));
    expect(d.at).toBe('2026-11-26T02:00:00.000Z');
    expect(d.latencyMs).toBeUndefined();
  });

  it('is deterministic: the same input twice gives deep-equal decisions with the same derived id', () => {
    for (const scene of SCENE_IDS) {
      const input: EvaluateInput = {
        scene,
        standing: standing({ tier: 'AA', lists: [{ kind: 'red' }] }),
        context: SITE,
        now: NOW_ISO,
        subject: { pseudonym: 'pseudo-1', masked: '3****************1' },
      };
      const a = evaluate(qingzhouPolicyPack, input);
      const b = evaluate(qingzhouPolicyPack, structuredClone(input));
      expect(b).toEqual(a);
      expect(a.id).toMatch(/^d[0-9a-f]{16}$/);
      expect(a.subject).toEqual({ pseudonym: 'pseudo-1', masked: '3****************1' });
    }
  });

  it('derives different ids for different subjects, times and scenes, and keeps an explicit id', () => {
    const base: EvaluateInput = { scene: 'library-kiosk', standing: standing(), now: NOW_MS };
    const ids = new Set([
      evaluate(qingzhouPolicyPack, base).id,
      evaluate(qingzhouPolicyPack, { ...base, now: NOW_MS + 1 }).id,
      evaluate(qingzhouPolicyPack, { ...base, scene: 'hotel-front-desk' }).id,
      evaluate(qingzhouPolicyPack, { ...base, subject: { pseudonym: 'x', masked: 'x' } }).id,
      evaluate(qingzhouPolicyPack, { ...base, subject: { pseudonym: 'y', masked: 'y' } }).id,
    ]);
    expect(ids.size).toBe(5);
    expect(evaluate(qingzhouPolicyPack, { ...base, id: 'given-id' }).id).toBe('given-id');
  });

  it.each([
    ['an unparseable string', 'not a date'],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['an invalid Date', new Date('nope')],
  ])('throws INVALID_ARGUMENT for now = %s', (_label, now) => {
    const error = thrown(() =>
      evaluate(qingzhouPolicyPack, {
        scene: 'library-kiosk',
        standing: standing(),
        now: now as string | number | Date,
      }),
    );
    expect(isXinyiError(error, 'INVALID_ARGUMENT')).toBe(true);
  });
});

describe('evaluate: stacking modes', () => {
  function libraryWith(mode: 'additive' | 'max', maxValue?: number): PolicyPack {
    const pack = clonePack();
    pack.stackGroups['library.loan-limit'] = maxValue === undefined ? { mode } : { mode, maxValue };
    return pack;
  }
  const loanLimit = (pack: PolicyPack, tier: 'A' | 'AA' | 'AAA') =>
    decide({ pack, scene: 'library-kiosk', standing: standing({ tier }) });

  it('additive adds the amounts of every matching rule (3 + 4 + 5)', () => {
    const pack = libraryWith('additive', 100);
    const d = loanLimit(pack, 'AAA');
    const limit = d.benefits.find((b) => b.kind === 'loan-limit');
    expect(limit).toEqual({ kind: 'loan-limit', books: 12, ruleId: 'library.loan-limit.a' });
    for (const id of ['library.loan-limit.a', 'library.loan-limit.aa', 'library.loan-limit.aaa']) {
      expect(reasonCodes(d, id)).toEqual(['GRANTED']);
    }
    expect(reasonCodes(d)).not.toContain('CAPPED');
    expect(loanLimit(pack, 'AA').benefits.find((b) => b.kind === 'loan-limit')).toMatchObject({ books: 7 });
    expect(loanLimit(pack, 'A').benefits.find((b) => b.kind === 'loan-limit')).toMatchObject({ books: 3 });
  });

  it('additive is bounded by the group maxValue, with a CAPPED reason', () => {
    const d = loanLimit(libraryWith('additive', 10), 'AAA');
    expect(d.benefits.find((b) => b.kind === 'loan-limit')).toMatchObject({ books: 10 });
    expect(d.reasons).toContainEqual({ code: 'CAPPED', ruleId: 'library.loan-limit.a' });
    // Exactly at the cap is not capped.
    const atCap = loanLimit(libraryWith('additive', 12), 'AAA');
    expect(atCap.benefits.find((b) => b.kind === 'loan-limit')).toMatchObject({ books: 12 });
    expect(reasonCodes(atCap)).not.toContain('CAPPED');
  });

  it('max keeps the largest benefit and caps it', () => {
    const d = loanLimit(libraryWith('max', 4), 'AAA');
    expect(d.benefits.find((b) => b.kind === 'loan-limit')).toEqual({
      kind: 'loan-limit',
      books: 4,
      ruleId: 'library.loan-limit.aaa',
    });
    expect(d.reasons).toContainEqual({ code: 'CAPPED', ruleId: 'library.loan-limit.aaa' });
    expect(reasonCodes(d, 'library.loan-limit.a')).toEqual(['SUPERSEDED']);
  });

  it('a group cap on a deposit waiver without an amount sets the amount', () => {
    const pack = clonePack();
    pack.stackGroups['hotel.deposit'] = { mode: 'max', maxValue: 50_000 };
    pack.rules.find((r) => r.id === 'hotel.deposit-waiver')!.stackGroup = 'hotel.deposit';
    const d = decide({ pack, scene: 'hotel-front-desk', standing: standing({ tier: 'A' }) });
    expect(d.benefits.find((b) => b.ruleId === 'hotel.deposit-waiver')).toEqual({
      kind: 'deposit-waiver',
      item: 'room-deposit',
      maxFen: 50_000,
      ruleId: 'hotel.deposit-waiver',
    });
    expect(d.reasons).toContainEqual({ code: 'CAPPED', ruleId: 'hotel.deposit-waiver' });
  });

  function marketMultiplicative(minPayBp?: number): PolicyPack {
    const pack = clonePack();
    pack.stackGroups['market.discount'] =
      minPayBp === undefined ? { mode: 'multiplicative' } : { mode: 'multiplicative', minPayBp };
    const setPay = (id: string, payBp: number) => {
      const rule = pack.rules.find((r) => r.id === id)!;
      rule.benefit = { kind: 'discount', payBp, appliesTo: 'price' };
    };
    setPay('market.discount.aa', 9_000);
    setPay('market.discount.aaa', 8_000);
    return pack;
  }
  const discountOf = (pack: PolicyPack, tier: 'AA' | 'AAA') =>
    decide({ pack, scene: 'supermarket-checkout', standing: standing({ tier }) });

  it('multiplicative multiplies discounts: 9折 × 8折 = 72折', () => {
    const d = discountOf(marketMultiplicative(), 'AAA');
    expect(d.benefits.filter((b) => b.kind === 'discount')).toEqual([
      { kind: 'discount', payBp: 7_200, appliesTo: 'price', ruleId: 'market.discount.aa' },
    ]);
    expect(reasonCodes(d, 'market.discount.aa')).toEqual(['GRANTED']);
    expect(reasonCodes(d, 'market.discount.aaa')).toEqual(['GRANTED']);
    expect(reasonCodes(d)).not.toContain('CAPPED');
    expect(
      discountOf(marketMultiplicative(), 'AA').benefits.find((b) => b.kind === 'discount'),
    ).toMatchObject({
      payBp: 9_000,
    });
  });

  it('multiplicative stops at the group minPayBp floor, with CAPPED', () => {
    const d = discountOf(marketMultiplicative(7_500), 'AAA');
    expect(d.benefits.find((b) => b.kind === 'discount')).toMatchObject({ payBp: 7_500 });
    expect(reasonCodes(d)).toContain('CAPPED');
    const atFloor = discountOf(marketMultiplicative(7_200), 'AAA');
    expect(atFloor.benefits.find((b) => b.kind === 'discount')).toMatchObject({ payBp: 7_200 });
    expect(reasonCodes(atFloor)).not.toContain('CAPPED');
  });

  it('the default max group floors a merchant discount deeper than minPayBp', () => {
    const pack = clonePack();
    pack.rules.find((r) => r.id === 'market.discount.aaa')!.benefit = { kind: 'discount', payBp: 5_000 };
    const d = discountOf(pack, 'AAA');
    expect(d.benefits.find((b) => b.kind === 'discount')).toMatchObject({
      payBp: 9_500,
      ruleId: 'market.discount.aaa',
    });
    expect(d.reasons).toContainEqual({ code: 'CAPPED', ruleId: 'market.discount.aaa' });
  });

  function exclusiveMarket(priorities: Record<string, number | undefined>): PolicyPack {
    const pack = clonePack();
    pack.stackGroups['market.discount'] = { mode: 'exclusive' };
    for (const [id, priority] of Object.entries(priorities)) {
      const rule = pack.rules.find((r) => r.id === id);
      if (rule) rule.priority = priority;
      else {
        pack.rules.push({
          id,
          scene: 'supermarket-checkout',
          description: '测试规则',
          when: { fact: 'tier', op: 'gte', value: 'A' },
          benefit: { kind: 'discount', payBp: 9_900 },
          stackGroup: 'market.discount',
          priority,
          basis: 'test',
        });
      }
    }
    return pack;
  }
  const discountRule = (pack: PolicyPack) =>
    decide({ pack, scene: 'supermarket-checkout', standing: standing({ tier: 'AAA' }) }).benefits.filter(
      (b) => b.kind === 'discount',
    );

  it('exclusive grants only the highest-priority rule, even when another gives more', () => {
    const pack = exclusiveMarket({ 'market.discount.aa': 10, 'market.discount.aaa': 1 });
    expect(discountRule(pack)).toEqual([
      { kind: 'discount', payBp: 9_800, appliesTo: 'price', ruleId: 'market.discount.aa' },
    ]);
    const d = decide({ pack, scene: 'supermarket-checkout', standing: standing({ tier: 'AAA' }) });
    expect(reasonCodes(d, 'market.discount.aaa')).toEqual(['SUPERSEDED']);
    expect(reasonCodes(d, 'market.discount.aa')).toEqual(['GRANTED']);
  });

  it('exclusive breaks priority ties by rule id, whatever the order in the file', () => {
    const pack = exclusiveMarket({
      'market.discount.aaa': 5,
      'market.discount.aa': 5,
      'market.discount.a0': 5,
    });
    expect(discountRule(pack).map((b) => b.ruleId)).toEqual(['market.discount.a0']);
    pack.rules.reverse();
    expect(discountRule(pack).map((b) => b.ruleId)).toEqual(['market.discount.a0']);
    // A rule without a priority counts as 0 and loses to any positive priority.
    const defaults = exclusiveMarket({
      'market.discount.a0': undefined,
      'market.discount.aa': undefined,
      'market.discount.aaa': 1,
    });
    expect(discountRule(defaults).map((b) => b.ruleId)).toEqual(['market.discount.aaa']);
  });
});

describe('evaluate: condition grammar', () => {
  function packWhen(when: PolicyRule['when']): PolicyPack {
    const pack = clonePack();
    pack.rules = [
      {
        id: 'test.rule',
        scene: 'library-kiosk',
        description: '测试',
        when,
        benefit: { kind: 'loan-limit', books: 2 },
        basis: 'test',
      },
    ];
    return pack;
  }
  const run = (
    when: PolicyRule['when'],
    spec: Parameters<typeof standing>[0] = {},
    context?: Record<string, string | number>,
  ) => decide({ pack: packWhen(when), scene: 'library-kiosk', standing: standing(spec), context });

  it('tier ops compare ranks, not strings', () => {
    expect(run({ fact: 'tier', op: 'lte', value: 'B' }, { tier: 'C' }).outcome).toBe('granted');
    expect(run({ fact: 'tier', op: 'lte', value: 'B' }, { tier: 'AAA' }).reasons).toEqual([
      { code: 'TIER_NOT_MATCHED', ruleId: 'test.rule' },
    ]);
    expect(run({ fact: 'tier', op: 'eq', value: 'AA' }, { tier: 'AA' }).outcome).toBe('granted');
    expect(run({ fact: 'tier', op: 'ne', value: 'AA' }, { tier: 'AA' }).outcome).toBe('denied');
    expect(run({ fact: 'tier', op: 'in', value: ['A', 'C'] }, { tier: 'C' }).outcome).toBe('granted');
    expect(run({ fact: 'tier', op: 'notIn', value: ['A', 'C'] }, { tier: 'C' }).outcome).toBe('denied');
  });

  it('all / any / not and custom reasons', () => {
    const high = { fact: 'tier', op: 'gte', value: 'AA' } as const;
    const red = { fact: 'list', op: 'contains', value: 'red' } as const;
    expect(run({ any: [high, red] }, { tier: 'A', lists: [{ kind: 'red' }] }).outcome).toBe('granted');
    expect(run({ any: [high, red], reason: 'NOT_ELIGIBLE' }, { tier: 'B' }).reasons).toEqual([
      { code: 'NOT_ELIGIBLE', ruleId: 'test.rule' },
    ]);
    expect(run({ not: high }, { tier: 'A' }).outcome).toBe('granted');
    expect(run({ not: high }, { tier: 'AAA' }).reasons).toEqual([
      { code: 'CONDITION_NOT_MET', ruleId: 'test.rule' },
    ]);
    expect(
      run(
        { all: [high, { fact: 'list', op: 'notContains', value: 'red' }] },
        { tier: 'AA', lists: [{ kind: 'red' }] },
      ).reasons,
    ).toEqual([{ code: 'LIST_CONDITION_NOT_MET', ruleId: 'test.rule' }]);
  });

  it('context ops', () => {
    const gt = { fact: 'context', path: 'amountFen', op: 'gt', value: 1000 } as const;
    expect(run(gt, {}, { amountFen: 1001 }).outcome).toBe('granted');
    expect(run(gt, {}, { amountFen: 1000 }).reasons).toEqual([
      { code: 'CONTEXT_NOT_MET', ruleId: 'test.rule' },
    ]);
    expect(run(gt, {}, {}).outcome).toBe('denied');
    expect(run({ fact: 'context', path: 'siteId', op: 'exists' }, {}, { siteId: 'x' }).outcome).toBe(
      'granted',
    );
    expect(run({ fact: 'context', path: 'siteId', op: 'notExists' }, {}, { siteId: 'x' }).outcome).toBe(
      'denied',
    );
    expect(run({ fact: 'context', path: 'siteId', op: 'notIn', value: ['a'] }, {}, {}).outcome).toBe(
      'granted',
    );
  });

  it('a scene with no rules is denied with no reasons and no benefits', () => {
    const d = decide({
      pack: packWhen({ fact: 'trustworthy', op: 'eq', value: true }),
      scene: 'bank-counter',
      standing: standing({ tier: 'AAA' }),
    });
    expect(d.outcome).toBe('denied');
    expect(d.benefits).toEqual([]);
    expect(d.reasons).toEqual([]);
  });
});

describe('evaluate: fail-safe for every scene', () => {
  const scenes: SceneId[] = [...SCENE_IDS];
  it.each(scenes)('%s: unknown standing never yields a benefit', (scene) => {
    for (const s of [
      standing({ tier: null }),
      standing({ tier: 'AAA', source: 'none' }),
      standing({ tier: 'AAA', asOf: isoBefore(NOW_MS, 1000) }),
    ]) {
      const d = decide({ scene, standing: s, context: SITE });
      expect(d.outcome).toBe('unavailable');
      expect(d.benefits).toEqual([]);
    }
  });
});
