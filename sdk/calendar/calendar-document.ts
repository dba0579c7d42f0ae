import { dayOfWeek } from '../clock.js';
import type { DocumentHeader, DocumentKind } from '../documents/signed-document.js';
import { XinyiError } from '../errors.js';
import type { HolidayYear } from './holiday-calendar.js';

/**
 * The signed holiday-calendar document (docs/policy-packs.md, "Calendar documents"): the official
 * arrangements of one or more years, as the State Council's notices give them, signed by a key the
 * trust list names for the usage `calendar`.
 */

export const CALENDAR_DOCUMENT_FORMAT = 'xinyi-holiday-calendar/1';

/** Largest calendar document accepted: about fifty years of notices. */
export const CALENDAR_DOCUMENT_MAX_BYTES = 256 * 1024;

const MAX_YEARS = 50;
const MAX_PERIODS_PER_YEAR = 20;
const MAX_MAKEUP_DAYS_PER_YEAR = 20;
const MAX_PERIOD_DAYS = 31;
const MAX_TEXT = 500;

/** One off period (放假调休) of a notice: every day from `from` to `to` is off. */
export interface CalendarPeriod {
  /** 元旦, 春节, 清明节, 劳动节, 端午节, 中秋节, 国庆节 — the names packs exclude. */
  name: string;
  from: string;
  to: string;
}

/** A weekend day the notice makes a working day (调休补班), and the holiday it belongs to. */
export interface CalendarMakeupWorkday {
  name: string;
  date: string;
}

/** One year of official arrangements. */
export interface CalendarDocumentYear {
  year: number;
  /** The notice: its URL or its number (国办发明电〔2025〕7号). */
  source: string;
  /** YYYY-MM-DD the notice was published. */
  publishedOn: string;
  periods: CalendarPeriod[];
  makeupWorkdays: CalendarMakeupWorkday[];
}

export interface CalendarDocumentContent extends DocumentHeader {
  format: typeof CALENDAR_DOCUMENT_FORMAT;
  /** Ascending; need not be contiguous (a year between is provisional). */
  years: CalendarDocumentYear[];
}

/** A verified calendar document's years, and the same days in the holiday-cn listing form. */
export interface CalendarDocument {
  years: readonly CalendarDocumentYear[];
  holidayYears: readonly HolidayYear[];
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;

function invalid(path: string, problem: string): XinyiError {
  return new XinyiError('CALENDAR_INVALID', `calendar document: ${path} ${problem}`, { details: { path } });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function realDate(value: unknown, path: string): string {
  if (typeof value !== 'string' || !ISO_DATE.test(value)) {
    throw invalid(path, 'must be a date YYYY-MM-DD');
  }
  const ms = Date.parse(`${value}T00:00:00Z`);
  if (!Number.isFinite(ms) || new Date(ms).toISOString().slice(0, 10) !== value) {
    throw invalid(path, `must be a real calendar date, got ${value}`);
  }
  return value;
}

function text(value: unknown, path: string, max = MAX_TEXT): string {
  if (typeof value !== 'string' || value.trim() === '' || value.length > max) {
    throw invalid(path, `must be a non-empty string of at most ${max} characters`);
  }
  return value;
}

function array(value: unknown, path: string, max: number): unknown[] {
  if (!Array.isArray(value)) throw invalid(path, 'must be an array');
  if (value.length > max) throw invalid(path, `must have at most ${max} entries`);
  return value;
}

/**
 * A year's dates lie in that year, except the last days of December before it: a 元旦 arrangement
 * may start there, or have its make-up day there (国办发明电〔2018〕15号: 2018-12-29 to 2019-01-01).
 */
function inYear(date: string, year: number, path: string): void {
  if (date.startsWith(`${year}-`) || (date >= `${year - 1}-12-25` && date <= `${year - 1}-12-31`)) return;
  throw invalid(path, `must fall in ${year} (or its last week of December before), got ${date}`);
}

function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS);
}

function parseYear(value: unknown, path: string): CalendarDocumentYear {
  if (!isRecord(value)) throw invalid(path, 'must be an object');
  const year = value.year;
  if (typeof year !== 'number' || !Number.isInteger(year) || year < 1900 || year > 2200) {
    throw invalid(`${path}.year`, 'must be an integer from 1900 to 2200');
  }
  const source = text(value.source, `${path}.source`);
  const publishedOn = realDate(value.publishedOn, `${path}.publishedOn`);
  const periods = array(value.periods, `${path}.periods`, MAX_PERIODS_PER_YEAR).map(
    (raw, i): CalendarPeriod => {
      const at = `${path}.periods[${i}]`;
      if (!isRecord(raw)) throw invalid(at, 'must be an object');
      const name = text(raw.name, `${at}.name`, 40);
      const from = realDate(raw.from, `${at}.from`);
      const to = realDate(raw.to, `${at}.to`);
      inYear(from, year, `${at}.from`);
      inYear(to, year, `${at}.to`);
      if (to < from) throw invalid(`${at}.to`, `must not be before from (${from})`);
      if (daysBetween(from, to) + 1 > MAX_PERIOD_DAYS) {
        throw invalid(`${at}.to`, `makes a period longer than ${MAX_PERIOD_DAYS} days`);
      }
      return { name, from, to };
    },
  );
  const order = periods.map((p, i) => ({ p, i })).sort((a, b) => (a.p.from < b.p.from ? -1 : 1));
  for (let k = 1; k < order.length; k++) {
    const before = order[k - 1]!;
    const next = order[k]!;
    if (next.p.from <= before.p.to) {
      throw invalid(
        `${path}.periods[${next.i}].from`,
        `overlaps periods[${before.i}] (${before.p.from} to ${before.p.to})`,
      );
    }
  }
  const seen = new Set<string>();
  const makeupWorkdays = array(value.makeupWorkdays, `${path}.makeupWorkdays`, MAX_MAKEUP_DAYS_PER_YEAR).map(
    (raw, i): CalendarMakeupWorkday => {
      const at = `${path}.makeupWorkdays[${i}]`;
      if (!isRecord(raw)) throw invalid(at, 'must be an object');
      const name = text(raw.name, `${at}.name`, 40);
      const date = realDate(raw.date, `${at}.date`);
      inYear(date, year, `${at}.date`);
      const dow = dayOfWeek(date);
      if (dow !== 0 && dow !== 6) {
        throw invalid(
          `${at}.date`,
          `must be a Saturday or Sunday (a make-up workday replaces a weekend day), got ${date}`,
        );
      }
      if (periods.some((p) => date >= p.from && date <= p.to)) {
        throw invalid(`${at}.date`, `lies inside an off period: a day cannot be off and working`);
      }
      if (seen.has(date)) throw invalid(`${at}.date`, `${date} is listed twice`);
      seen.add(date);
      return { name, date };
    },
  );
  return { year, source, publishedOn, periods, makeupWorkdays };
}

/** The document's days in the holiday-cn listing form the calendar engine reads. */
export function toHolidayYear(year: CalendarDocumentYear): HolidayYear {
  const days: HolidayYear['days'] = [];
  for (const period of year.periods) {
    for (
      let ms = Date.parse(`${period.from}T00:00:00Z`);
      ms <= Date.parse(`${period.to}T00:00:00Z`);
      ms += DAY_MS
    ) {
      days.push({ name: period.name, date: new Date(ms).toISOString().slice(0, 10), isOffDay: true });
    }
  }
  for (const m of year.makeupWorkdays) days.push({ name: m.name, date: m.date, isOffDay: false });
  days.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  return { year: year.year, papers: [year.source], days };
}

/**
 * Checks the fields of a calendar document's content (its header is checked by `verifyDocument`).
 * Throws `CALENDAR_INVALID` naming the path: years out of order, a date that is not real or lies
 * outside its year, overlapping periods, a make-up workday on a weekday or inside a period, too many
 * entries.
 */
export function parseCalendarDocument(content: Record<string, unknown>): CalendarDocument {
  const raw = array(content.years, 'years', MAX_YEARS);
  if (raw.length === 0) throw invalid('years', 'must list at least one year');
  const years = raw.map((y, i) => parseYear(y, `years[${i}]`));
  years.forEach((y, i) => {
    if (i > 0 && y.year <= years[i - 1]!.year) {
      throw invalid(`years[${i}].year`, `must be after ${years[i - 1]!.year}: years must be ascending`);
    }
  });
  return Object.freeze({
    years: Object.freeze(years),
    holidayYears: Object.freeze(years.map(toHolidayYear)),
  });
}

/** The `calendar` document kind, for `verifyDocument` and `createDocumentSlot`. */
export const calendarDocumentKind: DocumentKind<CalendarDocument> = Object.freeze({
  usage: 'calendar',
  format: CALENDAR_DOCUMENT_FORMAT,
  maxBytes: CALENDAR_DOCUMENT_MAX_BYTES,
  parse: parseCalendarDocument,
});
