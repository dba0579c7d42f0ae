import { describe, expect, it } from 'vitest';
import { chinaHolidayCalendar, defaultHolidayCalendar } from '../../../sdk/calendar/index.js';
import type { PolicyPack } from '../../../sdk/policy/pack.js';
import { qingzhouPolicyPack } from '../../../sdk/policy/qingzhou-pack.js';
import { clonePack, decide, isoBefore, standing } from './fixtures.js';

const SITE = { siteId: 'yunmenshan' };

function atGate(date: string, pack: PolicyPack = qingzhouPolicyPack) {
  const now = `${date}T10:00:00+08:00`;
  return decide({
    pack,
    scene: 'scenic-gate',
    standing: standing({ asOf: isoBefore(now, 1) }),
    context: SITE,
    now,
  });
}

/** The Qingzhou pack with the scenic rule's provisional setting replaced (or removed). */
function withProvisional(
  mode: 'as-computed' | 'exclude' | 'as-unknown' | undefined,
  onUnknownDay = 'exclude',
) {
  const pack = clonePack();
  const rule = pack.rules.find((r) => r.id === 'scenic.free-entry')!;
  rule.calendar = { excludeHolidays: 'major', onUnknownDay: onUnknownDay as 'exclude' | 'allow' };
  if (mode !== undefined) rule.calendar.onProvisionalDay = mode;
  pack.version = `test-${mode ?? 'absent'}-${onUnknownDay}`;
  return pack;
}

describe('evaluate on provisional days (years without an official arrangement)', () => {
  it('2027-01-05: the Qingzhou pack grants free entry, and the decision and staff text say the day is provisional', () => {
    expect(defaultHolidayCalendar.dayInfo('2027-01-05')).toMatchObject({
      kind: 'workday',
      provisional: true,
    });
    const d = atGate('2027-01-05');
    expect(d.outcome).toBe('granted');
    expect(d.benefits).toEqual([{ kind: 'free-entry', ruleId: 'scenic.free-entry' }]);
    expect(d.calendarProvisional).toBe(true);
    expect(d.calendarVersion).toBe(defaultHolidayCalendar.version);
    expect(d.explanation.staff).toContain('日历 临时推算');
    expect(d.explanation.citizen).toBe('信用优惠：免费入园');
  });

  it.each([
    ['2027-02-05', '除夕, first statutory day of 春节 2027'],
    ['2027-02-07', 'Sunday inside 春节 2027'],
    ['2027-02-10', '补假 for 初一 on a Saturday'],
    ['2027-10-01', '国庆节 2027'],
    ['2027-10-05', '补假 for 10-02 and 10-03 on the weekend'],
  ])('%s (%s): the provisional 春节/国庆 exclusion is honoured', (date) => {
    const d = atGate(date);
    expect(d.outcome).toBe('denied');
    expect(d.reasons).toEqual([{ code: 'HOLIDAY_EXCLUDED', ruleId: 'scenic.free-entry' }]);
    expect(d.calendarProvisional).toBe(true);
    const holiday = date.startsWith('2027-02') ? '春节' : '国庆节';
    expect(d.explanation.citizen).toBe(`${holiday}假期期间暂停免费入园，按常规流程办理。`);
  });

  it.each([
    ['2027-02-04', 'the eve of 除夕'],
    ['2027-02-11', 'the day after the computed 春节 period'],
    ['2027-10-06', 'the day after the computed 国庆 period (the notice will likely add it)'],
    ['2027-05-01', '劳动节 is not a major holiday'],
  ])('%s (%s): an ordinary provisional day grants', (date) => {
    expect(atGate(date).outcome).toBe('granted');
  });

  it('an official day records calendarProvisional false and no note in the staff text', () => {
    const d = atGate('2026-11-26');
    expect(d.outcome).toBe('granted');
    expect(d.calendarProvisional).toBe(false);
    expect(d.explanation.staff).not.toContain('临时');
  });

  it("onProvisionalDay 'exclude': no automatic benefit on any provisional day (CALENDAR_PROVISIONAL)", () => {
    const pack = withProvisional('exclude', 'allow');
    for (const date of ['2027-01-05', '2027-10-01']) {
      const d = atGate(date, pack);
      expect(d.outcome).toBe('denied');
      expect(d.reasons).toEqual([{ code: 'CALENDAR_PROVISIONAL', ruleId: 'scenic.free-entry' }]);
      expect(d.calendarProvisional).toBe(true);
      expect(d.explanation.citizen).toBe('暂时无法确认今日是否适用信用优惠，按常规流程办理。');
    }
    expect(atGate('2026-11-26', pack).outcome).toBe('granted');
  });

  it("onProvisionalDay absent or 'as-unknown': onUnknownDay decides, as before provisional years existed", () => {
    for (const pack of [withProvisional(undefined), withProvisional('as-unknown')]) {
      const d = atGate('2027-01-05', pack);
      expect(d.outcome).toBe('denied');
      expect(d.reasons).toEqual([{ code: 'CALENDAR_PROVISIONAL', ruleId: 'scenic.free-entry' }]);
    }
    // onUnknownDay 'allow': the rule applies and no other calendar check is made, not even the holiday.
    const allow = withProvisional('as-unknown', 'allow');
    expect(atGate('2027-02-06', allow).outcome).toBe('granted');
    expect(atGate('2027-02-06', allow).calendarProvisional).toBe(true);
  });

  it('a scene whose rules read no calendar records no provisional day', () => {
    const now = '2027-01-05T10:00:00+08:00';
    const d = decide({ scene: 'library-kiosk', standing: standing({ asOf: isoBefore(now, 1) }), now });
    expect(d.outcome).toBe('granted');
    expect(d.calendarProvisional).toBe(false);
  });

  it('a calendar with official years only still answers CALENDAR_UNKNOWN after its coverage', () => {
    const now = '2027-01-05T10:00:00+08:00';
    const d = decide({
      scene: 'scenic-gate',
      standing: standing({ asOf: isoBefore(now, 1) }),
      context: SITE,
      now,
      calendar: chinaHolidayCalendar,
    });
    expect(d.reasons).toEqual([{ code: 'CALENDAR_UNKNOWN', ruleId: 'scenic.free-entry' }]);
    expect(d.calendarProvisional).toBe(false);
  });

  it('the documented alternative 重大节假日 (春节, 劳动节, 国庆节) excludes 劳动节, official and provisional alike', () => {
    const withLabourDay: PolicyPack = {
      ...qingzhouPolicyPack,
      version: 'test-labour-day',
      majorHolidays: ['春节', '劳动节', '国庆节'],
    };
    // 2026: the notice's five days 05-01..05-05; 05-09 is its make-up working Saturday.
    for (const date of ['2026-05-01', '2026-05-03', '2026-05-05']) {
      expect(atGate(date).outcome).toBe('granted');
      const d = atGate(date, withLabourDay);
      expect(d.reasons).toEqual([{ code: 'HOLIDAY_EXCLUDED', ruleId: 'scenic.free-entry' }]);
      expect(d.explanation.citizen).toBe('劳动节假期期间暂停免费入园，按常规流程办理。');
    }
    expect(atGate('2026-05-06', withLabourDay).outcome).toBe('granted');
    expect(atGate('2026-05-09', withLabourDay).outcome).toBe('granted');
    // 2027 has no notice yet: the computed 劳动节 (two statutory days from 05-01) is excluded too.
    const provisional = atGate('2027-05-01', withLabourDay);
    expect(provisional.reasons).toEqual([{ code: 'HOLIDAY_EXCLUDED', ruleId: 'scenic.free-entry' }]);
    expect(provisional.calendarProvisional).toBe(true);
    expect(atGate('2027-05-01').outcome).toBe('granted');
  });
});
