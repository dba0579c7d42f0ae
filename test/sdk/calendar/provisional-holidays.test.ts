import { describe, expect, it } from 'vitest';
import {
  chinaHolidayCalendar,
  chinaHolidayData,
  createHolidayCalendar,
  defaultHolidayCalendar,
  type HolidayCalendar,
  PROVISIONAL_RULES_VERSION,
  PROVISIONAL_YEARS,
  provisionalHolidayYear,
} from '../../../sdk/calendar/index.js';
import { isXinyiError } from '../../../sdk/errors.js';

function datesFrom(from: string, to: string): string[] {
  const out: string[] = [];
  for (let ms = Date.parse(`${from}T00:00:00Z`); ms <= Date.parse(`${to}T00:00:00Z`); ms += 86_400_000) {
    out.push(new Date(ms).toISOString().slice(0, 10));
  }
  return out;
}

function period(year: number, name: string): string[] {
  return provisionalHolidayYear(year)!
    .days.filter((d) => d.name === name)
    .map((d) => d.date);
}

/** A calendar in which `year` is provisional: the bundled data without that year. */
function provisionalFor(year: number): HolidayCalendar {
  return createHolidayCalendar(
    { version: `without-${year}`, years: chinaHolidayData.years.filter((y) => y.year !== year) },
    { provisional: true },
  );
}

interface Comparison {
  /** Days of the official period the provisional one lacks: a rule excluding it grants there. */
  officialOnly: string[];
  /** Days of the provisional period outside the official one: a rule excluding it refuses there. */
  provisionalOnly: string[];
  /** Days off in one and working in the other (调休 moves and make-up workdays). */
  workingDayDiffers: string[];
}

/** Day by day, two weeks either side of the official period of `name` in `year`. */
function compare(year: number, name: string): Comparison {
  const official = chinaHolidayCalendar;
  const provisional = provisionalFor(year);
  const offDays = chinaHolidayData.years
    .find((y) => y.year === year)!
    .days.filter((d) => d.name === name && d.isOffDay)
    .map((d) => d.date)
    .sort();
  const window = datesFrom(
    new Date(Date.parse(`${offDays[0]}T00:00:00Z`) - 14 * 86_400_000).toISOString().slice(0, 10),
    new Date(Date.parse(`${offDays.at(-1)}T00:00:00Z`) + 14 * 86_400_000).toISOString().slice(0, 10),
  );
  const inPeriod = (cal: HolidayCalendar, date: string) => {
    const info = cal.dayInfo(date);
    return info.kind === 'statutory-holiday' && info.holidayName === name;
  };
  const result: Comparison = { officialOnly: [], provisionalOnly: [], workingDayDiffers: [] };
  for (const date of window) {
    expect(provisional.dayInfo(date).provisional).toBe(true);
    expect(official.dayInfo(date).provisional).toBeUndefined();
    const o = inPeriod(official, date);
    const p = inPeriod(provisional, date);
    if (o && !p) result.officialOnly.push(date);
    if (p && !o) result.provisionalOnly.push(date);
    if (official.isWorkingDay(date) !== provisional.isWorkingDay(date)) result.workingDayDiffers.push(date);
  }
  return result;
}

describe('provisional 春节 and 国庆节 against the official arrangements, 2024–2026 (docs/policy-packs.md)', () => {
  // The measured risk an operator takes on a provisional year: these are the published figures.
  it.each<[number, string, Comparison]>([
    [
      2024,
      '春节',
      {
        officialOnly: ['2024-02-15', '2024-02-16', '2024-02-17'],
        provisionalOnly: [],
        workingDayDiffers: ['2024-02-04', '2024-02-15', '2024-02-16', '2024-02-18'],
      },
    ],
    [
      2024,
      '国庆节',
      {
        officialOnly: ['2024-10-04', '2024-10-05', '2024-10-06', '2024-10-07'],
        provisionalOnly: [],
        workingDayDiffers: ['2024-09-29', '2024-10-04', '2024-10-07', '2024-10-12'],
      },
    ],
    [
      2025,
      '春节',
      {
        officialOnly: ['2025-02-03', '2025-02-04'],
        provisionalOnly: [],
        workingDayDiffers: ['2025-01-26', '2025-02-03', '2025-02-04', '2025-02-08'],
      },
    ],
    [
      2025,
      '国庆节',
      {
        officialOnly: ['2025-10-07', '2025-10-08'],
        provisionalOnly: [],
        workingDayDiffers: ['2025-09-28', '2025-10-07', '2025-10-08', '2025-10-11'],
      },
    ],
    [
      2026,
      '春节',
      {
        officialOnly: ['2026-02-20', '2026-02-21', '2026-02-22', '2026-02-23'],
        provisionalOnly: ['2026-02-14'],
        workingDayDiffers: ['2026-02-14', '2026-02-20', '2026-02-23', '2026-02-28'],
      },
    ],
    [
      2026,
      '国庆节',
      {
        officialOnly: ['2026-10-06', '2026-10-07'],
        provisionalOnly: [],
        workingDayDiffers: ['2026-09-20', '2026-10-06', '2026-10-07', '2026-10-10'],
      },
    ],
  ])('%i %s: day-by-day differences pinned', (year, name, expected) => {
    expect(compare(year, name)).toEqual(expected);
  });

  it('every statutory day of 春节 and 国庆节 2024–2026 is inside the provisional period (no missed statutory day)', () => {
    expect(period(2024, '春节')).toEqual(expect.arrayContaining(['2024-02-10', '2024-02-11', '2024-02-12']));
    expect(period(2025, '春节')).toEqual(
      expect.arrayContaining(['2025-01-28', '2025-01-29', '2025-01-30', '2025-01-31']),
    );
    expect(period(2026, '春节')).toEqual(
      expect.arrayContaining(['2026-02-16', '2026-02-17', '2026-02-18', '2026-02-19']),
    );
    for (const year of [2024, 2025, 2026]) {
      expect(period(year, '国庆节')).toEqual(
        expect.arrayContaining([`${year}-10-01`, `${year}-10-02`, `${year}-10-03`]),
      );
    }
  });
});

describe('provisionalHolidayYear: the statutory rules', () => {
  it('2027 (rules of 2025): 春节 from 除夕 for 4 days, 补假 for 初一 and 初二 on the weekend', () => {
    expect(period(2027, '春节')).toEqual(datesFrom('2027-02-05', '2027-02-10'));
    expect(period(2027, '国庆节')).toEqual(datesFrom('2027-10-01', '2027-10-05'));
    expect(period(2027, '劳动节')).toEqual(datesFrom('2027-05-01', '2027-05-04'));
    // 清明 on a Monday: the weekend before belongs to the period.
    expect(period(2027, '清明节')).toEqual(datesFrom('2027-04-03', '2027-04-05'));
    expect(period(2027, '端午节')).toEqual(['2027-06-09']);
    expect(period(2027, '中秋节')).toEqual(['2027-09-15']);
    expect(period(2027, '元旦')).toEqual(datesFrom('2027-01-01', '2027-01-03'));
  });

  it('uses the edition in force: 2024 春节 is 初一 to 初三 and 劳动节 one day (2013 rules)', () => {
    expect(period(2024, '春节')).toEqual(datesFrom('2024-02-10', '2024-02-14'));
    expect(period(2024, '劳动节')).toEqual(['2024-05-01']);
    expect(period(2025, '劳动节')).toEqual(datesFrom('2025-05-01', '2025-05-04'));
  });

  it('中秋 inside 国庆 owes a day and the merged period is named 国庆节 (2028: 中秋 on 10-03)', () => {
    expect(period(2028, '中秋节')).toEqual([]);
    expect(period(2028, '国庆节')).toEqual(datesFrom('2028-09-30', '2028-10-05'));
  });

  it('a 元旦 on a Sunday reaches back into the previous year (2023: 2022-12-31 to 2023-01-02, as notified)', () => {
    expect(period(2023, '元旦')).toEqual(['2022-12-31', '2023-01-01', '2023-01-02']);
    const calendar = createHolidayCalendar(
      { version: 't', years: [{ year: 2030, days: [] }] },
      { provisional: true },
    );
    expect(calendar.dayInfo('2022-12-31')).toEqual({
      date: '2022-12-31',
      kind: 'statutory-holiday',
      holidayName: '元旦',
      isOffDay: true,
      provisional: true,
    });
  });

  it('has no make-up workdays: a weekend stays a weekend', () => {
    expect(provisionalHolidayYear(2027)!.days.every((d) => d.isOffDay)).toBe(true);
    // Officially a working Saturday before 春节 2026; provisionally an ordinary one (inside the period).
    expect(provisionalFor(2026).dayInfo('2026-02-28')).toMatchObject({ kind: 'weekend', provisional: true });
  });

  it('covers 2008–2100 and nothing else', () => {
    expect(PROVISIONAL_YEARS).toEqual({ fromYear: 2008, toYear: 2100 });
    expect(provisionalHolidayYear(2007)).toBeUndefined();
    expect(provisionalHolidayYear(2101)).toBeUndefined();
    expect(provisionalHolidayYear(2030.5)).toBeUndefined();
    expect(defaultHolidayCalendar.dayInfo('2101-03-01')).toEqual({
      date: '2101-03-01',
      kind: 'unknown',
      isOffDay: null,
    });
    expect(defaultHolidayCalendar.dayInfo('2100-10-01')).toMatchObject({
      kind: 'statutory-holiday',
      provisional: true,
    });
  });
});

describe('defaultHolidayCalendar: official years bundled, provisional years around them', () => {
  it('keeps every official day as the bundled calendar has it (2024–2026)', () => {
    for (const date of datesFrom('2024-01-01', '2026-12-31')) {
      expect(defaultHolidayCalendar.dayInfo(date)).toEqual(chinaHolidayCalendar.dayInfo(date));
    }
    expect(defaultHolidayCalendar.officialYears).toEqual([2024, 2025, 2026]);
    expect(defaultHolidayCalendar.coverage).toEqual({ fromYear: 2008, toYear: 2100 });
    expect(defaultHolidayCalendar.version).toBe(`cn-holidays-2024.2026.1+${PROVISIONAL_RULES_VERSION}`);
  });

  it('counts working days across the end of official coverage into a provisional year', () => {
    // 12-31 Thursday; 2027-01-01..03 provisional 元旦; then weekdays.
    expect(defaultHolidayCalendar.addWorkingDays('2026-12-30', 2)).toBe('2027-01-04');
    expect(chinaHolidayCalendar.addWorkingDays('2026-12-30', 2)).toBeNull();
  });

  it('fills a gap between official years with a provisional year; a gap outside the rules is refused', () => {
    const calendar = createHolidayCalendar(
      { version: 'gap', years: [chinaHolidayData.years[0]!, chinaHolidayData.years[2]!] },
      { provisional: true },
    );
    expect(calendar.officialYears).toEqual([2024, 2026]);
    expect(calendar.dayInfo('2025-10-07')).toMatchObject({ kind: 'workday', provisional: true });
    expect(calendar.dayInfo('2026-10-07')).toEqual(chinaHolidayCalendar.dayInfo('2026-10-07'));
    let error: unknown;
    try {
      createHolidayCalendar(
        {
          version: 'far',
          years: [
            { year: 1990, days: [] },
            { year: 2030, days: [] },
          ],
        },
        { provisional: true },
      );
    } catch (e) {
      error = e;
    }
    expect(isXinyiError(error, 'CALENDAR_INVALID')).toBe(true);
  });
});
