import { dayOfWeek } from '../clock.js';
import { XinyiError } from '../errors.js';
import {
  PROVISIONAL_RULES_VERSION,
  PROVISIONAL_YEARS,
  provisionalHolidayYear,
} from './provisional-holidays.js';

/**
 * What kind of day a date is in mainland China.
 * - `workday`: an ordinary Monday–Friday.
 * - `weekend`: a Saturday or Sunday the holiday notice does not mention.
 * - `statutory-holiday`: any day of a notified off period (放假调休), including weekend days inside it.
 * - `makeup-workday`: a weekend day the notice turns into a working day (调休补班).
 * - `unknown`: the date's year is outside the calendar's coverage.
 */
export type DayKind = 'workday' | 'weekend' | 'statutory-holiday' | 'makeup-workday' | 'unknown';

/** Everything the calendar knows about one date. Instances are frozen and may be shared between calls. */
export interface DayInfo {
  /** The date asked about, YYYY-MM-DD (Asia/Shanghai calendar date). */
  date: string;
  kind: DayKind;
  /** Chinese name of the holiday period, e.g. '国庆节', for statutory-holiday and makeup-workday days */
  holidayName?: string;
  /** true off, false working, null unknown */
  isOffDay: boolean | null;
  /**
   * Present (true) on a day of a year without an official arrangement, classified from the statutory
   * rules (see `provisionalHolidayYear`): such a year has no make-up workdays, and its off periods
   * may differ from the notice that comes later. Absent on official and unknown days.
   */
  provisional?: true;
}

/**
 * A holiday calendar as data, JSON-serialisable so it can ship (and be signed) with a rule pack.
 * `years` must be contiguous and ascending; their range is the calendar's coverage.
 */
export interface HolidayCalendarData {
  /** Identifies this edition of the data; recorded with every decision that consulted it. */
  version: string;
  years: HolidayYear[];
}

export interface HolidayCalendarOptions {
  /**
   * Years without data are computed from the statutory rules (`provisionalHolidayYear`), for every
   * year in `PROVISIONAL_YEARS`; their days carry `provisional: true`. The data's years must then be
   * ascending but need not be contiguous: a gap is filled with provisional years. The calendar's
   * version is the data's version followed by `+` and `PROVISIONAL_RULES_VERSION`.
   * @default false (coverage is the data's years only)
   */
  provisional?: boolean;
}

/**
 * One year in the NateScarlet holiday-cn per-year format: only the days a State Council notice
 * mentions are listed. A year's file may list the last days of the previous year (a 元旦 period
 * that starts on 12-31), so a listed date may fall in `year` or `year - 1`.
 */
export interface HolidayYear {
  year: number;
  /** URLs of the State Council notices (国办发明电) the days come from. */
  papers?: string[];
  days: { name: string; date: string; isOffDay: boolean }[];
}

/** Answers "is this a working day in mainland China" with 调休 taken into account. */
export interface HolidayCalendar {
  /** The data's `version`. */
  readonly version: string;
  /** The contiguous years with data; every date in other years is `unknown`. */
  readonly coverage: { fromYear: number; toYear: number };
  /**
   * The years of `coverage` with an official arrangement, ascending; the other years of `coverage`
   * are provisional (computed from the statutory rules).
   */
  readonly officialYears: readonly number[];
  /**
   * The kind of a YYYY-MM-DD date (an Asia/Shanghai calendar date, see `shanghaiDate`).
   * A date in a year outside `coverage` is `unknown` with `isOffDay: null`, never an ordinary day.
   * @throws XinyiError `INVALID_ARGUMENT` when `isoDate` is not a real YYYY-MM-DD date.
   */
  dayInfo(isoDate: string): DayInfo;
  /**
   * True on workdays and make-up workdays, false on weekends and statutory holidays,
   * null outside coverage.
   * @throws XinyiError `INVALID_ARGUMENT` when `isoDate` is not a real YYYY-MM-DD date.
   */
  isWorkingDay(isoDate: string): boolean | null;
  /**
   * The n-th working day after `isoDate`; counting starts the day after `isoDate`, so
   * `addWorkingDays(d, 1)` is the first working day after d, and `addWorkingDays(d, 0)` is d itself.
   * Returns null when the result — or any day that must be counted on the way — is outside coverage.
   * @throws XinyiError `INVALID_ARGUMENT` when `isoDate` is not a real date or `n` is not an integer >= 0.
   */
  addWorkingDays(isoDate: string, n: number): string | null;
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const MS_PER_DAY = 86_400_000;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!;
}

/** The year of a real YYYY-MM-DD date, or undefined when the string is not one. */
function parseIsoYear(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const m = ISO_DATE.exec(value);
  if (m === null) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  return year;
}

function requireIsoYear(isoDate: unknown, argName: string): number {
  const year = parseIsoYear(isoDate);
  if (year === undefined) {
    throw new XinyiError(
      'INVALID_ARGUMENT',
      `${argName} must be a real calendar date in the form YYYY-MM-DD, got ${describe(isoDate)}`,
      { details: { argument: argName } },
    );
  }
  return year;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

function invalid(path: string, problem: string): XinyiError {
  return new XinyiError('CALENDAR_INVALID', `holiday calendar data: ${path} ${problem}`, {
    details: { path },
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

interface ListedDay {
  name: string;
  isOffDay: boolean;
  path: string;
}

/** Checks `data` field by field; returns the listed days keyed by date. */
function validate(
  data: unknown,
  gapsAllowed: boolean,
): {
  version: string;
  years: number[];
  listed: Map<string, ListedDay>;
} {
  if (!isRecord(data)) throw invalid('(root)', `must be an object, got ${describe(data)}`);
  const { version, years } = data;
  if (typeof version !== 'string' || version.trim() === '') {
    throw invalid('version', `must be a non-empty string, got ${describe(version)}`);
  }
  if (!Array.isArray(years) || years.length === 0) {
    throw invalid('years', `must be a non-empty array, got ${describe(years)}`);
  }

  const listed = new Map<string, ListedDay>();
  const yearList: number[] = [];
  let previousYear = 0;
  years.forEach((entry: unknown, i) => {
    const yPath = `years[${i}]`;
    if (!isRecord(entry)) throw invalid(yPath, `must be an object, got ${describe(entry)}`);
    const { year, papers, days } = entry;
    if (typeof year !== 'number' || !Number.isInteger(year) || year < 1001 || year > 9999) {
      throw invalid(`${yPath}.year`, `must be an integer from 1001 to 9999, got ${describe(year)}`);
    }
    if (i > 0 && gapsAllowed && year <= previousYear) {
      throw invalid(`${yPath}.year`, `must be after ${previousYear}: years must be ascending, got ${year}`);
    }
    if (i > 0 && !gapsAllowed && year !== previousYear + 1) {
      throw invalid(
        `${yPath}.year`,
        `must be ${previousYear + 1}: years must be contiguous and ascending, got ${year}`,
      );
    }
    previousYear = year;
    yearList.push(year);
    if (papers !== undefined) {
      if (!Array.isArray(papers))
        throw invalid(`${yPath}.papers`, `must be an array, got ${describe(papers)}`);
      papers.forEach((paper: unknown, p) => {
        if (typeof paper !== 'string' || paper === '') {
          throw invalid(`${yPath}.papers[${p}]`, `must be a non-empty string, got ${describe(paper)}`);
        }
      });
    }
    if (!Array.isArray(days)) throw invalid(`${yPath}.days`, `must be an array, got ${describe(days)}`);
    days.forEach((day: unknown, d) => {
      const dPath = `${yPath}.days[${d}]`;
      if (!isRecord(day)) throw invalid(dPath, `must be an object, got ${describe(day)}`);
      const { name, date, isOffDay } = day;
      if (typeof name !== 'string' || name.trim() === '') {
        throw invalid(`${dPath}.name`, `must be a non-empty string, got ${describe(name)}`);
      }
      const dateYear = parseIsoYear(date);
      if (dateYear === undefined) {
        throw invalid(`${dPath}.date`, `must be a real date in the form YYYY-MM-DD, got ${describe(date)}`);
      }
      if (dateYear !== year && dateYear !== year - 1) {
        throw invalid(`${dPath}.date`, `must fall in ${year} or ${year - 1}, got ${describe(date)}`);
      }
      if (typeof isOffDay !== 'boolean') {
        throw invalid(`${dPath}.isOffDay`, `must be a boolean, got ${describe(isOffDay)}`);
      }
      const isoDate = date as string;
      const earlier = listed.get(isoDate);
      if (earlier !== undefined) {
        if (earlier.isOffDay !== isOffDay || earlier.name !== name) {
          throw invalid(`${dPath}.date`, `${isoDate} is listed again differently (first at ${earlier.path})`);
        }
        return;
      }
      listed.set(isoDate, { name, isOffDay, path: `${dPath}.date` });
    });
  });
  return { version, years: yearList, listed };
}

function isoOfUtcMs(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Working days are counted at most this far ahead: far past any deadline a pack can set. */
const MAX_WORKING_DAY_WALK_DAYS = 3 * 366;

/**
 * Builds a calendar from holiday-cn-format data. Each year's dates are classified on first use and
 * kept, so a lookup is a Map read that returns a shared frozen `DayInfo`.
 * @throws XinyiError `CALENDAR_INVALID` when the data is malformed; the message names the field's path
 *   (e.g. `years[1].days[3].date`). Years that are not contiguous and ascending are refused (with
 *   `provisional`, years need only ascend).
 */
export function createHolidayCalendar(
  data: HolidayCalendarData,
  options: HolidayCalendarOptions = {},
): HolidayCalendar {
  const withProvisional = options.provisional === true;
  const { version: dataVersion, years, listed } = validate(data, withProvisional);
  const official = new Set(years);
  const fromYear = withProvisional ? Math.min(years[0]!, PROVISIONAL_YEARS.fromYear) : years[0]!;
  const toYear = withProvisional ? Math.max(years.at(-1)!, PROVISIONAL_YEARS.toYear) : years.at(-1)!;
  if (withProvisional) {
    // Checked by number only: the provisional years themselves are computed when first asked for.
    for (let year = fromYear; year <= toYear; year++) {
      if (!official.has(year) && (year < PROVISIONAL_YEARS.fromYear || year > PROVISIONAL_YEARS.toYear)) {
        throw invalid('years', `leave ${year} uncovered: a gap must lie within the provisional years`);
      }
    }
  }
  const version = withProvisional ? `${dataVersion}+${PROVISIONAL_RULES_VERSION}` : dataVersion;
  const infos = new Map<string, DayInfo>();
  const builtYears = new Set<number>();

  function entryFor(
    date: string,
    year: number,
  ): { name: string; isOffDay: boolean; provisional: boolean } | undefined {
    const listedDay = listed.get(date);
    if (listedDay !== undefined) return { ...listedDay, provisional: false };
    if (!withProvisional) return undefined;
    // A provisional year's own days, then the 元旦 period of a provisional next year reaching back.
    for (const y of [year, year + 1]) {
      if (official.has(y)) continue;
      const day = provisionalListing(y)?.get(date);
      if (day !== undefined) return { name: day.name, isOffDay: day.isOffDay, provisional: true };
    }
    return undefined;
  }

  function buildYear(year: number): void {
    builtYears.add(year);
    const provisionalYear = !official.has(year);
    const endMs = Date.UTC(year, 11, 31);
    for (let ms = Date.UTC(year, 0, 1); ms <= endMs; ms += MS_PER_DAY) {
      const date = isoOfUtcMs(ms);
      const entry = entryFor(date, year);
      let info: DayInfo;
      if (entry !== undefined) {
        info = entry.isOffDay
          ? { date, kind: 'statutory-holiday', holidayName: entry.name, isOffDay: true }
          : { date, kind: 'makeup-workday', holidayName: entry.name, isOffDay: false };
      } else {
        const dow = dayOfWeek(date);
        info =
          dow === 0 || dow === 6
            ? { date, kind: 'weekend', isOffDay: true }
            : { date, kind: 'workday', isOffDay: false };
      }
      if (provisionalYear || entry?.provisional) info.provisional = true;
      infos.set(date, Object.freeze(info));
    }
  }

  /** The day's info, or undefined outside coverage; `isoDate` must already be a real date. */
  function known(isoDate: string): DayInfo | undefined {
    const cached = infos.get(isoDate);
    if (cached !== undefined) return cached;
    const year = Number(isoDate.slice(0, 4));
    if (year < fromYear || year > toYear || builtYears.has(year)) return undefined;
    buildYear(year);
    return infos.get(isoDate);
  }

  function dayInfo(isoDate: string): DayInfo {
    const info = infos.get(isoDate);
    if (info !== undefined) return info;
    requireIsoYear(isoDate, 'isoDate');
    return known(isoDate) ?? Object.freeze({ date: isoDate, kind: 'unknown', isOffDay: null });
  }

  function isWorkingDay(isoDate: string): boolean | null {
    const info = dayInfo(isoDate);
    return info.isOffDay === null ? null : !info.isOffDay;
  }

  function addWorkingDays(isoDate: string, n: number): string | null {
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
      throw new XinyiError('INVALID_ARGUMENT', `n must be an integer >= 0, got ${describe(n)}`, {
        details: { argument: 'n' },
      });
    }
    requireIsoYear(isoDate, 'isoDate');
    if (n === 0) return known(isoDate) === undefined ? null : isoDate;
    // Every day counted on the way must be known: one unknown day and the count cannot be trusted.
    let ms = Date.parse(`${isoDate}T00:00:00Z`);
    let counted = 0;
    for (let walked = 0; walked < MAX_WORKING_DAY_WALK_DAYS + n; walked++) {
      ms += MS_PER_DAY;
      const info = known(isoOfUtcMs(ms));
      if (info === undefined) return null;
      if (info.isOffDay === false && ++counted === n) return info.date;
    }
    return null;
  }

  return Object.freeze({
    version,
    coverage: Object.freeze({ fromYear, toYear }),
    officialYears: Object.freeze([...years]),
    dayInfo,
    isWorkingDay,
    addWorkingDays,
  });
}

const provisionalListings = new Map<
  number,
  ReadonlyMap<string, { name: string; isOffDay: boolean }> | undefined
>();

/** The provisional days of `year` by date (computed once per process), or undefined outside the rules' years. */
function provisionalListing(
  year: number,
): ReadonlyMap<string, { name: string; isOffDay: boolean }> | undefined {
  if (!provisionalListings.has(year)) {
    const computed = provisionalHolidayYear(year);
    provisionalListings.set(
      year,
      computed === undefined ? undefined : new Map(computed.days.map((d) => [d.date, d] as const)),
    );
  }
  return provisionalListings.get(year);
}
