import { describe, expect, it } from 'vitest';
import {
  chinaHolidayCalendar as cal,
  chinaHolidayData,
  createHolidayCalendar,
  type DayKind,
  type HolidayCalendarData,
} from '../../../sdk/calendar/index.js';
import { isXinyiError } from '../../../sdk/errors.js';

function datesFrom(from: string, to: string): string[] {
  const out: string[] = [];
  for (let ms = Date.parse(`${from}T00:00:00Z`); ms <= Date.parse(`${to}T00:00:00Z`); ms += 86_400_000) {
    out.push(new Date(ms).toISOString().slice(0, 10));
  }
  return out;
}

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

function clone(data: HolidayCalendarData): HolidayCalendarData {
  return JSON.parse(JSON.stringify(data)) as HolidayCalendarData;
}

describe('chinaHolidayCalendar.dayInfo', () => {
  it.each<[string, DayKind, string | undefined, boolean | null, string]>([
    ['2026-10-03', 'statutory-holiday', '国庆节', true, 'Saturday inside 国庆节'],
    ['2026-10-05', 'statutory-holiday', '国庆节', true, 'Monday inside 国庆节'],
    ['2026-09-20', 'makeup-workday', '国庆节', false, '调休 working Sunday'],
    ['2026-02-28', 'makeup-workday', '春节', false, '调休 working Saturday after 春节'],
    ['2026-02-14', 'makeup-workday', '春节', false, '调休 working Saturday before 春节'],
    ['2026-01-04', 'makeup-workday', '元旦', false, '调休 working Sunday after 元旦'],
    ['2026-03-07', 'weekend', undefined, true, 'ordinary Saturday'],
    ['2026-03-08', 'weekend', undefined, true, 'ordinary Sunday'],
    ['2026-03-10', 'workday', undefined, false, 'ordinary Tuesday'],
    ['2026-10-08', 'workday', undefined, false, 'first day after 国庆节'],
    ['2025-10-06', 'statutory-holiday', '国庆节', true, '中秋 inside the merged 2025 国庆 period'],
    ['2025-10-11', 'makeup-workday', '国庆节', false, '2025 国庆 make-up Saturday'],
    ['2024-06-10', 'statutory-holiday', '端午节', true, 'single-day 端午 2024'],
    ['2026-12-31', 'workday', undefined, false, 'last day of coverage'],
    ['2027-10-01', 'unknown', undefined, null, 'year after coverage'],
    ['2023-05-01', 'unknown', undefined, null, 'year before coverage'],
    ['2027-01-01', 'unknown', undefined, null, 'first day after coverage'],
  ])('%s is %s (%s)', (date, kind, holidayName, isOffDay) => {
    const info = cal.dayInfo(date);
    expect(info).toEqual(
      holidayName === undefined ? { date, kind, isOffDay } : { date, kind, holidayName, isOffDay },
    );
    expect(cal.isWorkingDay(date)).toBe(isOffDay === null ? null : !isOffDay);
  });

  it.each([
    ['2026 春节', '2026-02-15', '2026-02-23', 9],
    ['2025 春节', '2025-01-28', '2025-02-04', 8],
  ])('marks every day of %s as a statutory holiday named 春节', (_label, from, to, length) => {
    const dates = datesFrom(from, to);
    expect(dates).toHaveLength(length);
    for (const date of dates) {
      expect(cal.dayInfo(date)).toMatchObject({
        kind: 'statutory-holiday',
        holidayName: '春节',
        isOffDay: true,
      });
    }
  });

  it('returns the same frozen object for repeated lookups of a covered date', () => {
    const first = cal.dayInfo('2026-10-03');
    expect(cal.dayInfo('2026-10-03')).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
  });

  it('reports contiguous coverage and the data version', () => {
    expect(cal.coverage).toEqual({ fromYear: 2024, toYear: 2026 });
    expect(cal.version).toBe(chinaHolidayData.version);
  });

  it.each([
    '2026-02-30',
    '2025-02-29',
    'x',
    '2026-1-05',
    '2026-13-01',
    '2026-10-03T00:00:00Z',
    '',
    ' 2026-10-03',
  ])('rejects the invalid date %j with INVALID_ARGUMENT', (date) => {
    expect(
      isXinyiError(
        catchError(() => cal.dayInfo(date)),
        'INVALID_ARGUMENT',
      ),
    ).toBe(true);
    expect(
      isXinyiError(
        catchError(() => cal.isWorkingDay(date)),
        'INVALID_ARGUMENT',
      ),
    ).toBe(true);
    expect(
      isXinyiError(
        catchError(() => cal.addWorkingDays(date, 1)),
        'INVALID_ARGUMENT',
      ),
    ).toBe(true);
  });

  it('accepts 29 February in a leap year', () => {
    expect(cal.dayInfo('2024-02-29').kind).toBe('workday');
  });
});

describe('chinaHolidayCalendar.addWorkingDays', () => {
  it.each<[string, number, string | null, string]>([
    [
      '2026-09-29',
      7,
      '2026-10-14',
      'across 国庆节: 09-30, 10-08, 10-09, 10-10 (make-up Sat), 10-12, 10-13, 10-14',
    ],
    ['2026-09-29', 1, '2026-09-30', 'next working day'],
    ['2026-09-30', 1, '2026-10-08', 'skips the whole 国庆节 period'],
    ['2026-10-09', 1, '2026-10-10', 'lands on the make-up Saturday'],
    ['2026-09-18', 1, '2026-09-20', 'counts the make-up Sunday, skips the ordinary Saturday'],
    ['2026-02-13', 1, '2026-02-14', 'make-up Saturday before 春节'],
    ['2026-02-14', 1, '2026-02-24', 'skips the whole 春节 period'],
    ['2026-03-06', 1, '2026-03-09', 'ordinary weekend is skipped'],
    ['2026-10-03', 0, '2026-10-03', 'n = 0 is the date itself even when off'],
    ['2026-10-03', 1, '2026-10-08', 'counting from an off day'],
    ['2024-12-31', 1, '2025-01-02', 'across a year boundary and 元旦'],
    ['2023-12-31', 1, '2024-01-02', 'from the eve of coverage'],
    ['2026-12-30', 1, '2026-12-31', 'last covered working day'],
    ['2026-12-31', 1, null, 'result past coverage'],
    ['2026-12-28', 10, null, 'result past coverage after several days'],
    ['2027-03-01', 1, null, 'start after coverage'],
    ['2027-03-01', 0, null, 'n = 0 outside coverage'],
    ['2023-12-29', 5, null, 'start before coverage with unknown days in between'],
  ])('%s + %d working days = %s (%s)', (date, n, expected) => {
    expect(cal.addWorkingDays(date, n)).toBe(expected);
  });

  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('rejects n = %d with INVALID_ARGUMENT', (n) => {
    expect(
      isXinyiError(
        catchError(() => cal.addWorkingDays('2026-03-02', n)),
        'INVALID_ARGUMENT',
      ),
    ).toBe(true);
  });

  it('agrees with a day-by-day walk for every covered start date', () => {
    const all = datesFrom('2024-01-01', '2026-12-31');
    for (const n of [1, 7, 30]) {
      for (const [i, start] of all.entries()) {
        let found: string | null = null;
        let count = 0;
        for (const day of all.slice(i + 1)) {
          if (cal.isWorkingDay(day)) count += 1;
          if (count === n) {
            found = day;
            break;
          }
        }
        expect(cal.addWorkingDays(start, n)).toBe(found);
      }
    }
  });
});

describe('createHolidayCalendar validation', () => {
  const base = (): HolidayCalendarData => ({
    version: 'test-1',
    years: [
      { year: 2030, days: [{ name: '春节', date: '2030-02-03', isOffDay: true }] },
      {
        year: 2031,
        papers: ['https://example.invalid/notice'],
        days: [
          { name: '元旦', date: '2030-12-31', isOffDay: true },
          { name: '元旦', date: '2031-01-01', isOffDay: true },
          { name: '春节', date: '2031-01-19', isOffDay: false },
          { name: '春节', date: '2031-01-22', isOffDay: true },
        ],
      },
    ],
  });

  it('builds a calendar from valid data, including a day listed in the previous year', () => {
    const calendar = createHolidayCalendar(base());
    expect(calendar.coverage).toEqual({ fromYear: 2030, toYear: 2031 });
    expect(calendar.dayInfo('2030-12-31')).toMatchObject({ kind: 'statutory-holiday', holidayName: '元旦' });
    expect(calendar.dayInfo('2031-01-19')).toMatchObject({ kind: 'makeup-workday', isOffDay: false });
  });

  it('is not affected by later mutation of the input data', () => {
    const data = base();
    const calendar = createHolidayCalendar(data);
    data.years[0]!.days[0]!.isOffDay = false;
    expect(calendar.dayInfo('2030-02-03').kind).toBe('statutory-holiday');
  });

  it.each<[string, (d: HolidayCalendarData) => void, string]>([
    ['empty version', (d) => (d.version = ''), 'version'],
    ['no years', (d) => (d.years = []), 'years'],
    ['gap between years', (d) => (d.years[1]!.year = 2032), 'years[1].year'],
    ['descending years', (d) => (d.years[1]!.year = 2029), 'years[1].year'],
    ['fractional year', (d) => (d.years[0]!.year = 2030.5), 'years[0].year'],
    ['bad date', (d) => (d.years[1]!.days[3]!.date = '2031-02-30'), 'years[1].days[3].date'],
    ['date in a foreign year', (d) => (d.years[1]!.days[2]!.date = '2029-01-19'), 'years[1].days[2].date'],
    ['missing name', (d) => (d.years[0]!.days[0]!.name = ''), 'years[0].days[0].name'],
    [
      'string isOffDay',
      (d) => ((d.years[1]!.days[1] as Record<string, unknown>).isOffDay = 'true'),
      'years[1].days[1].isOffDay',
    ],
    [
      'days not an array',
      (d) => ((d.years[0] as unknown as Record<string, unknown>).days = {}),
      'years[0].days',
    ],
    [
      'papers entry not a string',
      (d) => (d.years[1]!.papers = [42 as unknown as string]),
      'years[1].papers[0]',
    ],
    [
      'conflicting duplicate date',
      (d) => d.years[1]!.days.push({ name: '春节', date: '2031-01-22', isOffDay: false }),
      'years[1].days[4].date',
    ],
  ])('rejects %s with CALENDAR_INVALID naming %s', (_label, mutate, path) => {
    const data = clone(base());
    mutate(data);
    const error = catchError(() => createHolidayCalendar(data));
    expect(isXinyiError(error, 'CALENDAR_INVALID')).toBe(true);
    expect((error as Error).message).toContain(`${path} `);
  });

  it.each([null, 'data', [], { years: [] }])('rejects a non-object or empty input %j', (data) => {
    const error = catchError(() => createHolidayCalendar(data as unknown as HolidayCalendarData));
    expect(isXinyiError(error, 'CALENDAR_INVALID')).toBe(true);
  });

  it('accepts an identical duplicate listing', () => {
    const data = base();
    data.years[1]!.days.push({ name: '春节', date: '2031-01-22', isOffDay: true });
    expect(createHolidayCalendar(data).dayInfo('2031-01-22').kind).toBe('statutory-holiday');
  });
});
