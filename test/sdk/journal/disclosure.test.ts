import { describe, expect, it } from 'vitest';
import { chinaHolidayCalendar, createHolidayCalendar } from '../../../sdk/calendar/index.js';
import { SCENE_IDS } from '../../../sdk/domain/scenes.js';
import { isXinyiError } from '../../../sdk/errors.js';
import { addWorkingDaysWithFallback, disclosureRecordsFor } from '../../../sdk/journal/disclosure.js';
import type { DisclosureRecord } from '../../../sdk/journal/journal-store.js';
import { type DecisionContext, evaluate } from '../../../sdk/policy/evaluate.js';
import type { PolicyPack } from '../../../sdk/policy/pack.js';
import { QINGZHOU_PROGRAMME, qingzhouPolicyPack } from '../../../sdk/policy/qingzhou-pack.js';
import { decisionFor, organisations, people } from './fixtures.js';

// The default pack throughout: what a terminal publishes is what these records hold.
const pack = qingzhouPolicyPack;
const calendar = chinaHolidayCalendar;
const CITED = `《${QINGZHOU_PROGRAMME.title}》（${QINGZHOU_PROGRAMME.docNo}）`;

function serviceRecordsAt(at: string): DisclosureRecord[] {
  const { decision } = decisionFor({ at, scene: 'service-window', id: 'd-window', pack });
  return disclosureRecordsFor({ decision, terminalId: 'window-01', pack, calendar });
}

function expectInvalidArgument(fn: () => unknown): void {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(isXinyiError(error, 'INVALID_ARGUMENT'), String(error)).toBe(true);
}

describe('disclosureRecordsFor: 信易批 at the service window (on decision)', () => {
  it('builds one 公示 record per disclosed grant, citing the programme and clause, with the masked code', () => {
    const { decision, subject } = decisionFor({
      scene: 'service-window',
      id: 'd-1',
      at: '2026-11-26T10:00:00+08:00',
      pack,
    });
    const records = disclosureRecordsFor({ decision, terminalId: 'window-01', pack, calendar });
    expect(records).toEqual(
      decision.disclosures.map(({ ruleId }) => ({
        id: `d-1:${ruleId}`,
        decisionId: 'd-1',
        ruleId,
        terminalId: 'window-01',
        subjectType: 'organisation',
        maskedName: subject.masked,
        scheme: '信易批',
        benefit: expect.any(String),
        grantedAt: decision.at,
        legalBasis: ruleId === 'service.health-licence-priority' ? `${CITED}“信易医”` : `${CITED}“信易批”`,
        // Thursday 2026-11-26 + 7 working days, no holiday in between.
        dueDate: '2026-12-07',
        dueDateBasis: 'holiday-calendar',
      })),
    );
    expect(subject.masked).toMatch(/^9\*{16}[0-9A-Y]$/);
    // In the pack's order, most important first.
    expect(records.map((r) => r.benefit)).toEqual([
      '绿色通道',
      '告知承诺审批',
      '一窗受理',
      '最多跑一次',
      '模拟审批',
      '卫计行政许可优先办理',
    ]);
  });

  it('discloses a person only for a major project (重大建设项目), where a pack serves persons there', () => {
    const anyone: PolicyPack = {
      ...pack,
      version: 'test-anyone-at-windows',
      coverage: {
        ...pack.coverage,
        'service-window': {
          any: [
            { fact: 'subjectType', op: 'eq', value: 'person' },
            { fact: 'subjectType', op: 'eq', value: 'organisation' },
          ],
        },
      },
    };
    const person = people[4]!;
    const atPersonsWindow = (context: DecisionContext) =>
      evaluate(anyone, {
        scene: 'service-window',
        standing: { tier: person.tier, lists: [], source: 'platform', asOf: '2026-11-26T09:00:00+08:00' },
        now: '2026-11-26T10:00:00+08:00',
        subjectType: 'person',
        context,
      });
    const ordinary = atPersonsWindow({});
    expect(ordinary.outcome).toBe('granted');
    expect(ordinary.disclosures).toEqual([]);
    const major = atPersonsWindow({ majorProject: true });
    expect(major.disclosures.map((d) => d.ruleId)).toEqual(major.benefits.map((b) => b.ruleId));
    expect(major.disclosures).toHaveLength(6);
  });

  it('falls back to the masked code when no name is given, and never to a pseudonym', () => {
    const { decision, subject } = decisionFor({
      scene: 'service-window',
      organisation: organisations[3],
      pack,
    });
    const [record] = disclosureRecordsFor({ decision, terminalId: 't', pack, calendar });
    expect(record!.maskedName).toBe(subject.masked);
    expect(JSON.stringify(record)).not.toContain(subject.pseudonym);
  });

  it('makes no record for a decision without disclosed grants', () => {
    const { decision } = decisionFor({ scene: 'library-kiosk', pack });
    expect(decision.disclosures).toEqual([]);
    expect(disclosureRecordsFor({ decision, terminalId: 't', pack, calendar })).toEqual([]);
  });

  it('counts 7 working days across 国庆节 2026 with its 调休 make-up Saturday', () => {
    // Off 10-01..10-07; 10-10 (Saturday) is a make-up working day; 10-11 (Sunday) is off.
    // 10-08 (1), 10-09 (2), 10-10 (3), 10-12 (4), 10-13 (5), 10-14 (6), 10-15 (7).
    expect(new Set(serviceRecordsAt('2026-09-30T10:00:00+08:00').map((r) => r.dueDate))).toEqual(
      new Set(['2026-10-15']),
    );
  });

  it('counts 7 working days across 春节 2026, make-up Saturdays included', () => {
    // Friday 02-13: 02-14 make-up (1); off 02-15..02-23; 02-24..02-27 (2..5); 02-28 make-up (6); 03-02 (7).
    expect(serviceRecordsAt('2026-02-13T15:00:00+08:00')[0]!.dueDate).toBe('2026-03-02');
    // Granted on the make-up Saturday itself: the next working day is after the holiday.
    expect(addWorkingDaysWithFallback(calendar, '2026-02-14', 1)).toEqual({
      date: '2026-02-24',
      basis: 'holiday-calendar',
    });
  });

  it('takes the grant date in Asia/Shanghai, not UTC', () => {
    // 2026-09-29T16:30Z is 2026-09-30 00:30 in Shanghai.
    expect(serviceRecordsAt('2026-09-29T16:30:00Z')[0]!.dueDate).toBe('2026-10-15');
    expect(serviceRecordsAt('2026-09-29T15:30:00Z')[0]!.dueDate).toBe('2026-10-14');
  });

  it('counts weekdays, and says so, where the calendar has no data, instead of throwing', () => {
    // The bundled official calendar alone: 2027 has no data. Monday 2027-03-01 + 7 weekdays.
    const { decision } = decisionFor({ scene: 'service-window', at: '2027-03-01T10:00:00+08:00', pack });
    expect(disclosureRecordsFor({ decision, terminalId: 't', pack, calendar })[0]).toMatchObject({
      dueDate: '2027-03-10',
      dueDateBasis: 'weekdays-fallback',
    });
    // Crossing the end of coverage: 12-29..12-31 from the calendar, then weekdays of 2027.
    expect(serviceRecordsAt('2026-12-28T10:00:00+08:00')[0]).toMatchObject({
      dueDate: '2027-01-06',
      dueDateBasis: 'weekdays-fallback',
    });
  });

  it('uses the calendar it is given', () => {
    const custom = createHolidayCalendar({
      version: 'test-1',
      years: [{ year: 2026, days: [{ name: '测试假', date: '2026-11-27', isOffDay: true }] }],
    });
    const { decision } = decisionFor({ scene: 'service-window', at: '2026-11-26T10:00:00+08:00', pack });
    const [record] = disclosureRecordsFor({ decision, terminalId: 't', pack, calendar: custom });
    expect(record!.dueDate).toBe('2026-12-08');
  });
});

describe('disclosureRecordsFor: 信易贷 at the bank counter (on use)', () => {
  const { decision } = decisionFor({
    scene: 'bank-counter',
    id: 'd-bank',
    at: '2026-11-26T10:00:00+08:00',
    pack,
  });

  it('writes nothing at decision time: a decision is not yet a credit granted', () => {
    expect(decision.outcome).toBe('granted');
    expect(decision.disclosures.map((d) => [d.ruleId, d.on])).toEqual([
      ['bank.fast-track-credit', 'use'],
      ['bank.rate-discount', 'use'],
    ]);
    expect(disclosureRecordsFor({ decision, terminalId: 'bank-01', pack, calendar })).toEqual([]);
  });

  it('writes one record per grant once the credit is confirmed, granted and due from the confirmation', () => {
    // Confirmed the Wednesday after: 2026-12-02 + 7 working days = 2026-12-11.
    const usedAtMs = Date.parse('2026-12-02T15:00:00+08:00');
    const records = disclosureRecordsFor({
      decision,
      terminalId: 'bank-01',
      pack,
      calendar,
      moment: 'use',
      usedAtMs,
    });
    expect(records.map((r) => [r.scheme, r.benefit, r.grantedAt, r.dueDate, r.legalBasis])).toEqual([
      [
        '信易贷',
        '信用快贷（30万元以下）',
        new Date(usedAtMs).toISOString(),
        '2026-12-11',
        `${CITED}“信易贷”`,
      ],
      ['信易贷', '贷款利率9.5折', new Date(usedAtMs).toISOString(), '2026-12-11', `${CITED}“信易贷”`],
    ]);
  });

  it('refuses a use without its time', () => {
    expectInvalidArgument(() =>
      disclosureRecordsFor({ decision, terminalId: 'bank-01', pack, calendar, moment: 'use' }),
    );
  });

  it('refuses a decision that discloses a rule it grants nothing for', () => {
    const forged = { ...decision, benefits: decision.benefits.slice(1) };
    expectInvalidArgument(() =>
      disclosureRecordsFor({ decision: forged, terminalId: 'b', pack, calendar, moment: 'use', usedAtMs: 1 }),
    );
  });
});

describe('published 公示 records of the default pack', () => {
  // Every scene, every tier: everything the pack can publish, at both moments.
  const published: DisclosureRecord[] = SCENE_IDS.flatMap((scene) =>
    organisations.slice(0, 3).flatMap((organisation) => {
      const { decision } = decisionFor({ scene, organisation, pack });
      return [
        ...disclosureRecordsFor({ decision, terminalId: 't', pack, calendar }),
        ...disclosureRecordsFor({ decision, terminalId: 't', pack, calendar, moment: 'use', usedAtMs: 0 }),
      ];
    }),
  );

  it('exist for 信易批 and 信易贷 only', () => {
    expect(new Set(published.map((r) => r.scheme))).toEqual(new Set(['信易批', '信易贷']));
  });

  it('carry no internal wording: no 待确认, no default note, no file, no rule basis', () => {
    const bases = pack.rules.map((r) => r.basis);
    for (const record of published) {
      expect(record.legalBasis.startsWith(CITED), record.legalBasis).toBe(true);
      for (const [field, value] of Object.entries(record)) {
        if (typeof value !== 'string') continue;
        expect(value, field).not.toMatch(/待确认|默认|ARCHITECTURE|\.md\b|\.ts\b|basis/i);
        for (const basis of bases) expect(value, field).not.toContain(basis);
      }
    }
  });
});
