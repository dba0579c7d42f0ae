import solarLunar from 'solarlunar';
import { dayOfWeek } from '../clock.js';
import type { HolidayYear } from './holiday-calendar.js';

/**
 * Provisional holiday periods for a year without an official arrangement, computed from the
 * statutory rules (国务院《全国年节及纪念日放假办法》) with the lunar calendar of `solarlunar`
 * (docs/policy-packs.md, "Provisional years", says why that library and how the periods are built).
 *
 * The State Council's yearly notice adds 调休: it moves working days into the period and makes
 * weekend days into make-up workdays (调休补班). That cannot be known in advance, so a provisional
 * year has no make-up workdays. What can be computed is fixed by the 放假办法 itself:
 * 1. the statutory days of each holiday;
 * 2. 补假: "全体公民放假的假日，如果适逢星期六、星期日，应当在工作日补假" — each statutory day on a
 *    Saturday or Sunday, or on a day another holiday already holds (中秋 inside 国庆), gives one
 *    working day off: the first free working days after the holiday's statutory days;
 * 3. the Saturdays and Sundays touching an off period are off anyway, and belong to it (every notice
 *    lists them as days of the period);
 * 4. periods that touch or overlap become one period, named after the holiday with the most
 *    statutory days (so 2025's merged 国庆节 and 中秋节 is `国庆节`, as the bundled data names it).
 */

/** What decides the first statutory day of a holiday. */
export type HolidayAnchor =
  | { kind: 'solar'; month: number; day: number }
  | { kind: 'lunar'; month: number; day: number }
  /** 除夕: the last day of the lunar year, the day before 正月初一. */
  | { kind: 'lunar-new-year-eve' }
  /** The day of the solar term 清明. */
  | { kind: 'qingming' };

export interface StatutoryHoliday {
  /** The period name, as the bundled calendar and packs use it (`春节`, `国庆节`, …). */
  name: string;
  anchor: HolidayAnchor;
  /** Statutory days off, counted from the anchor. */
  days: number;
}

/** One version of the 放假办法: the holidays in force for the years it covers. */
export interface StatutoryRuleEdition {
  fromYear: number;
  /** Inclusive; absent for the edition in force. */
  toYear?: number;
  /** The State Council decree that set these rules. */
  basis: string;
  holidays: readonly StatutoryHoliday[];
}

const NEW_YEAR: StatutoryHoliday = { name: '元旦', anchor: { kind: 'solar', month: 1, day: 1 }, days: 1 };
const QINGMING: StatutoryHoliday = { name: '清明节', anchor: { kind: 'qingming' }, days: 1 };
const DRAGON_BOAT: StatutoryHoliday = {
  name: '端午节',
  anchor: { kind: 'lunar', month: 5, day: 5 },
  days: 1,
};
const MID_AUTUMN: StatutoryHoliday = {
  name: '中秋节',
  anchor: { kind: 'lunar', month: 8, day: 15 },
  days: 1,
};
const NATIONAL_DAY: StatutoryHoliday = {
  name: '国庆节',
  anchor: { kind: 'solar', month: 10, day: 1 },
  days: 3,
};

/** The editions of the 放假办法 since 清明, 端午 and 中秋 became holidays (2008). */
export const STATUTORY_RULE_EDITIONS: readonly StatutoryRuleEdition[] = [
  {
    fromYear: 2008,
    toYear: 2013,
    basis: '国务院令第513号（2007年12月14日）',
    holidays: [
      NEW_YEAR,
      { name: '春节', anchor: { kind: 'lunar-new-year-eve' }, days: 3 },
      QINGMING,
      { name: '劳动节', anchor: { kind: 'solar', month: 5, day: 1 }, days: 1 },
      DRAGON_BOAT,
      MID_AUTUMN,
      NATIONAL_DAY,
    ],
  },
  {
    fromYear: 2014,
    toYear: 2024,
    basis: '国务院令第644号（2013年12月11日）',
    holidays: [
      NEW_YEAR,
      { name: '春节', anchor: { kind: 'lunar', month: 1, day: 1 }, days: 3 },
      QINGMING,
      { name: '劳动节', anchor: { kind: 'solar', month: 5, day: 1 }, days: 1 },
      DRAGON_BOAT,
      MID_AUTUMN,
      NATIONAL_DAY,
    ],
  },
  {
    fromYear: 2025,
    basis: '国务院令第795号（2024年11月10日）',
    holidays: [
      NEW_YEAR,
      { name: '春节', anchor: { kind: 'lunar-new-year-eve' }, days: 4 },
      QINGMING,
      { name: '劳动节', anchor: { kind: 'solar', month: 5, day: 1 }, days: 2 },
      DRAGON_BOAT,
      MID_AUTUMN,
      NATIONAL_DAY,
    ],
  },
];

/**
 * Identifies the rules and the method above; part of the version of a calendar with provisional
 * years, so a decision records how its day was worked out. Change it with any change of method.
 */
export const PROVISIONAL_RULES_VERSION = 'provisional-cn.2025.1';

/** Years `solarlunar` has lunar data for (its tables run 1900–2100). */
const LUNAR_FIRST_YEAR = 1901;
const LUNAR_LAST_YEAR = 2100;

/** The years a provisional arrangement can be computed for. */
export const PROVISIONAL_YEARS = Object.freeze({
  fromYear: Math.max(STATUTORY_RULE_EDITIONS[0]!.fromYear, LUNAR_FIRST_YEAR),
  toYear: LUNAR_LAST_YEAR,
});

const DAY_MS = 86_400_000;

function iso(year: number, month: number, day: number): string {
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

function addDays(isoDate: string, days: number): string {
  return new Date(Date.parse(`${isoDate}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

function isWeekend(isoDate: string): boolean {
  const dow = dayOfWeek(isoDate);
  return dow === 0 || dow === 6;
}

function lunarToSolar(year: number, month: number, day: number): string {
  const solar = solarLunar.lunar2solar(year, month, day, false);
  if (solar === -1) throw new RangeError(`no lunar data for ${year}`);
  return iso(solar.cYear, solar.cMonth, solar.cDay);
}

function anchorDate(year: number, anchor: HolidayAnchor): string {
  switch (anchor.kind) {
    case 'solar':
      return iso(year, anchor.month, anchor.day);
    case 'lunar':
      return lunarToSolar(year, anchor.month, anchor.day);
    case 'lunar-new-year-eve':
      return addDays(lunarToSolar(year, 1, 1), -1);
    case 'qingming':
      // 清明 is the 7th of the 24 solar terms counted from 小寒, always in April.
      return iso(year, 4, solarLunar.getTerm(year, 7));
  }
}

function editionFor(year: number): StatutoryRuleEdition | undefined {
  return STATUTORY_RULE_EDITIONS.find(
    (e) => year >= e.fromYear && (e.toYear === undefined || year <= e.toYear),
  );
}

interface Period {
  name: string;
  statutoryDays: number;
  days: Set<string>;
}

/**
 * The provisional off periods of `year` in the holiday-cn listing form (off days only, no make-up
 * workdays), or undefined when the year is outside {@link PROVISIONAL_YEARS}. A 元旦 period may start
 * in the last days of the previous year (1 January on a Monday makes 30 and 31 December part of it).
 */
export function provisionalHolidayYear(year: number): HolidayYear | undefined {
  if (!Number.isInteger(year) || year < PROVISIONAL_YEARS.fromYear || year > PROVISIONAL_YEARS.toYear) {
    return undefined;
  }
  const edition = editionFor(year);
  if (edition === undefined) return undefined;
  const statutory = edition.holidays.map((h) => {
    const first = anchorDate(year, h.anchor);
    return { holiday: h, dates: Array.from({ length: h.days }, (_, i) => addDays(first, i)) };
  });
  // Substitute days are distinct: two holidays owed a day each get two days.
  const taken = new Set(statutory.flatMap((s) => s.dates));
  const claimed = new Set<string>();
  const periods: Period[] = statutory.map(({ holiday, dates }) => {
    const days = new Set(dates);
    // 补假: one working day for each statutory day on a weekend, and — as the notices do when 中秋
    // falls in 国庆 (国办发明电〔2019〕16号 for 2020) — for each day another holiday already holds.
    let owed = dates.filter((d) => isWeekend(d) || claimed.has(d)).length;
    for (const d of dates) claimed.add(d);
    let cursor = dates.at(-1)!;
    while (owed > 0) {
      cursor = addDays(cursor, 1);
      days.add(cursor);
      if (!isWeekend(cursor) && !taken.has(cursor)) {
        taken.add(cursor);
        owed--;
      }
    }
    return { name: holiday.name, statutoryDays: holiday.days, days };
  });

  for (const period of periods) {
    const sorted = [...period.days].sort();
    for (let d = addDays(sorted[0]!, -1); isWeekend(d); d = addDays(d, -1)) period.days.add(d);
    for (let d = addDays(sorted.at(-1)!, 1); isWeekend(d); d = addDays(d, 1)) period.days.add(d);
  }

  const merged = mergeTouching(periods);
  const days = merged
    .flatMap((p) => [...p.days].map((date) => ({ name: p.name, date, isOffDay: true })))
    .sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  return { year, papers: [`${PROVISIONAL_RULES_VERSION}: ${edition.basis}`], days };
}

/** Periods whose days touch or overlap become one, named after the one with most statutory days. */
function mergeTouching(periods: Period[]): Period[] {
  const out: Period[] = [];
  const sorted = [...periods].sort((a, b) => ([...a.days].sort()[0]! < [...b.days].sort()[0]! ? -1 : 1));
  for (const period of sorted) {
    const last = out.at(-1);
    const lastEnd = last ? [...last.days].sort().at(-1)! : undefined;
    const start = [...period.days].sort()[0]!;
    if (last && lastEnd !== undefined && start <= addDays(lastEnd, 1)) {
      for (const d of period.days) last.days.add(d);
      if (period.statutoryDays > last.statutoryDays) {
        last.name = period.name;
        last.statutoryDays = period.statutoryDays;
      }
    } else {
      out.push({ ...period, days: new Set(period.days) });
    }
  }
  return out;
}
