import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { CalendarDocumentYear } from '../../../sdk/calendar/calendar-document.js';
import { CALENDAR_DOCUMENT_FORMAT } from '../../../sdk/calendar/calendar-document.js';
import { provisionalHolidayYear } from '../../../sdk/calendar/provisional-holidays.js';
import {
  pinnedDocumentKeys,
  type SignedDocument,
  signDocument,
} from '../../../sdk/documents/signed-document.js';
import type { PolicyPack } from '../../../sdk/policy/pack.js';
import { POLICY_DOCUMENT_FORMAT } from '../../../sdk/policy/policy-document.js';

/** Document signing keys for tests: one per usage, and the keys a terminal trusts for them. */
export function documentSigners() {
  const calendar = generateKeyPairSync('ed25519');
  const policy = generateKeyPairSync('ed25519');
  const other = generateKeyPairSync('ed25519');
  return {
    calendarKey: calendar.privateKey,
    policyKey: policy.privateKey,
    /** Trusted, but for status lists only. */
    statusListKey: other.privateKey,
    keys: pinnedDocumentKeys([
      { usage: 'calendar', key: calendar.publicKey },
      { usage: 'policy-pack', key: policy.publicKey },
      { usage: 'status-list', key: other.publicKey },
    ]),
  };
}

/**
 * A 2027 arrangement for tests. Not the State Council's notice: a fixture shaped like one (its
 * periods are the provisional ones, widened so that official and provisional days differ).
 */
export const YEAR_2027: CalendarDocumentYear = {
  year: 2027,
  source: 'test fixture (not a State Council notice)',
  publishedOn: '2026-11-20',
  periods: [
    { name: '元旦', from: '2027-01-01', to: '2027-01-03' },
    { name: '春节', from: '2027-02-05', to: '2027-02-12' },
    { name: '清明节', from: '2027-04-03', to: '2027-04-05' },
    { name: '劳动节', from: '2027-05-01', to: '2027-05-05' },
    { name: '端午节', from: '2027-06-09', to: '2027-06-09' },
    { name: '中秋节', from: '2027-09-15', to: '2027-09-15' },
    { name: '国庆节', from: '2027-10-01', to: '2027-10-07' },
  ],
  makeupWorkdays: [
    { name: '春节', date: '2027-02-20' },
    { name: '国庆节', date: '2027-10-09' },
  ],
};

export function calendarContent(
  version: number,
  years: readonly CalendarDocumentYear[] = [YEAR_2027],
  issuedAt = '2026-11-20T10:00:00+08:00',
) {
  return { format: CALENDAR_DOCUMENT_FORMAT, version, issuedAt, years: structuredClone([...years]) };
}

export function signedCalendar(
  key: KeyObject,
  version: number,
  years?: readonly CalendarDocumentYear[],
): string {
  return JSON.stringify(signDocument(calendarContent(version, years), key));
}

export function signedPolicy(
  key: KeyObject,
  version: number,
  pack: PolicyPack,
  effectiveFrom?: string,
  issuedAt = '2026-11-20T10:00:00+08:00',
): string {
  const content = {
    format: POLICY_DOCUMENT_FORMAT,
    version,
    issuedAt,
    ...(effectiveFrom === undefined ? {} : { effectiveFrom }),
    pack,
  };
  return JSON.stringify(signDocument(content, key));
}

/** Re-signs an arbitrary content with `key` (for content the builders above cannot express). */
export function signRaw(key: KeyObject, content: Record<string, unknown>): string {
  return JSON.stringify(signDocument(content as Parameters<typeof signDocument>[0], key));
}

export type { SignedDocument };

/**
 * Document years shaped from the provisional computation of `from`..`to`, for tests that need an
 * official calendar reaching past the real date (a test fixture, not the State Council's notices).
 */
export function computedYears(from: number, to: number): CalendarDocumentYear[] {
  const years: CalendarDocumentYear[] = [];
  for (let year = from; year <= to; year++) {
    const periods: CalendarDocumentYear['periods'] = [];
    for (const day of provisionalHolidayYear(year)!.days) {
      const last = periods.at(-1);
      const next =
        last && new Date(Date.parse(`${last.to}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
      if (last && last.name === day.name && next === day.date) last.to = day.date;
      else periods.push({ name: day.name, from: day.date, to: day.date });
    }
    years.push({
      year,
      source: 'test fixture (computed, not a State Council notice)',
      publishedOn: `${year - 1}-11-01`,
      periods,
      makeupWorkdays: [],
    });
  }
  return years;
}
