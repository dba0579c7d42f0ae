import { describe, expect, it } from 'vitest';
import { chinaHolidayCalendar, createHolidayCalendar } from '../../../sdk/calendar/index.js';
import { isXinyiError } from '../../../sdk/errors.js';
import { addWorkingDaysWithFallback, disclosureRecordsFor } from '../../../sdk/journal/disclosure.js';
import type { PolicyPack } from '../../../sdk/policy/pack.js';
import { qingzhouPolicyPack } from '../../../sdk/policy/qingzhou-pack.js';
import { decisionFor, people } from './fixtures.js';

const pack = qingzhouPolicyPack;
const calendar = chinaHolidayCalendar;

function recordsAt(at: string, scene: 'bank-counter' | 'service-window' = 'bank-counter') {
  const { decision } = decisionFor({ at, scene, id: `d-${scene}` });
  return disclosureRecordsFor({ decision, terminalId: 'window-01', maskedName: '胡*', pack, calendar });
}

describe('disclosureRecordsFor', () => {
  it('builds one 公示 record per disclosed grant: programme, benefit in words, basis, masked name', () => {
    const { decision } = decisionFor({ scene: 'service-window', id: 'd-1', at: '2026-11-26T10:00:00+08:00' });
    const records = disclosureRecordsFor({
      decision,
      terminalId: 'window-01',
      maskedName: '胡*',
      pack,
      calendar,
    });
    const byRule = (id: string) => pack.rules.find((r) => r.id === id)!;
    expect(records).toEqual(
      decision.disclosures.map(({ ruleId }) => ({
        id: `d-1:${ruleId}`,
        decisionId: 'd-1',
        ruleId,
        terminalId: 'window-01',
        maskedName: '胡*',
        scheme: '信易批',
        benefit: expect.any(String),
        grantedAt: decision.at,
        legalBasis: byRule(ruleId).basis,
        // Thursday 2026-11-26 + 7 working days, no holiday in between.
        dueDate: '2026-12-07',
        dueDateBasis: 'holiday-calendar',
      })),
    );
    expect(records.map((r) => r.benefit).sort()).toEqual(['一窗受理', '告知承诺审批', '绿色通道'].sort());
    expect(records.map((r) => r.ruleId)).toHaveLength(3);
  });

  it('describes the benefit as granted and names 信易贷 for bank grants', () => {
    const records = recordsAt('2026-11-26T10:00:00+08:00');
    expect(records.map((r) => [r.scheme, r.benefit])).toEqual([
      ['信易贷', '信用快贷（最高¥300,000.00）'],
      ['信易贷', '贷款利率9.5折'],
    ]);
  });

  it('falls back to the masked document number when no name was read', () => {
    const { decision, subject } = decisionFor({ person: people[3], id: 'd-2' });
    const [record] = disclosureRecordsFor({ decision, terminalId: 't', pack, calendar });
    expect(record!.maskedName).toBe(subject.masked);
    expect(record!.maskedName).toMatch(/^\d\*{16}[\dX]$/);
  });

  it('makes no record for a decision without disclosed grants', () => {
    const { decision } = decisionFor({ scene: 'library-kiosk' });
    expect(disclosureRecordsFor({ decision, terminalId: 't', pack, calendar })).toEqual([]);
  });

  it('counts 7 working days across 国庆节 2026 with its 调休 make-up Saturday', () => {
    // Off 10-01..10-07; 10-10 (Saturday) is a make-up working day; 10-11 (Sunday) is off.
    // 10-08 (1), 10-09 (2), 10-10 (3), 10-12 (4), 10-13 (5), 10-14 (6), 10-15 (7).
    expect(recordsAt('2026-09-30T10:00:00+08:00').map((r) => r.dueDate)).toEqual([
      '2026-10-15',
      '2026-10-15',
    ]);
    // Counting weekdays only would have said 10-09, in the middle of the holiday's aftermath.
  });

  it('counts 7 working days across 春节 2026, make-up Saturdays included', () => {
    // Friday 02-13: 02-14 make-up (1); off 02-15..02-23; 02-24..02-27 (2..5); 02-28 make-up (6); 03-02 (7).
    expect(recordsAt('2026-02-13T15:00:00+08:00')[0]!.dueDate).toBe('2026-03-02');
    // Granted on the make-up Saturday itself: the next working day is after the holiday.
    expect(addWorkingDaysWithFallback(calendar, '2026-02-14', 1)).toEqual({
      date: '2026-02-24',
      basis: 'holiday-calendar',
    });
  });

  it('takes the grant date in Asia/Shanghai, not UTC', () => {
    // 2026-09-29T16:30Z is 2026-09-30 00:30 in Shanghai.
    expect(recordsAt('2026-09-29T16:30:00Z')[0]!.dueDate).toBe('2026-10-15');
    expect(recordsAt('2026-09-29T15:30:00Z')[0]!.dueDate).toBe('2026-10-14');
  });

  it('counts weekdays, and says so, where the calendar has no data, instead of throwing', () => {
    // 2027 is not bundled: Monday 2027-03-01 + 7 weekdays.
    expect(recordsAt('2027-03-01T10:00:00+08:00')[0]).toMatchObject({
      dueDate: '2027-03-10',
      dueDateBasis: 'weekdays-fallback',
    });
    // Crossing the end of coverage: 12-29..12-31 from the calendar, then weekdays of 2027.
    expect(recordsAt('2026-12-28T10:00:00+08:00')[0]).toMatchObject({
      dueDate: '2027-01-06',
      dueDateBasis: 'weekdays-fallback',
    });
  });

  it('uses the calendar it is given', () => {
    const custom = createHolidayCalendar({
      version: 'test-1',
      years: [{ year: 2026, days: [{ name: '测试假', date: '2026-11-27', isOffDay: true }] }],
    });
    const { decision } = decisionFor({ at: '2026-11-26T10:00:00+08:00' });
    const [record] = disclosureRecordsFor({ decision, terminalId: 't', pack, calendar: custom });
    expect(record!.dueDate).toBe('2026-12-08');
  });

  it('refuses a decision whose rule the pack does not hold', () => {
    const { decision } = decisionFor();
    const other: PolicyPack = {
      ...pack,
      packId: 'other',
      rules: pack.rules.filter((r) => r.scene !== 'bank-counter'),
    };
    let error: unknown;
    try {
      disclosureRecordsFor({ decision, terminalId: 't', pack: other, calendar });
    } catch (e) {
      error = e;
    }
    expect(isXinyiError(error, 'INVALID_ARGUMENT')).toBe(true);
  });
});
