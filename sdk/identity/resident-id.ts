import { shanghaiDate } from '../clock.js';
import { XinyiError } from '../errors.js';

/** Which GB 11643 rule a candidate resident ID number breaks, in the order the rules are checked. */
export type IdNumberProblem = 'length' | 'format' | 'region' | 'birth-date' | 'check-digit';

/**
 * The province-level prefixes (first two digits) accepted in a resident ID number: the 31 mainland
 * provinces (GB/T 2260) plus 81 / 82 / 83, used by the residence permits of Hong Kong, Macao and Taiwan
 * residents (港澳台居民居住证, GB 11643 layout with region 810000 / 820000 / 830000).
 * 71 (Taiwan in GB/T 2260) is not accepted: no mainland-issued resident ID card or permit uses it.
 */
export const RESIDENT_ID_REGION_PREFIXES: readonly string[] = Object.freeze([
  ...['11', '12', '13', '14', '15'],
  ...['21', '22', '23'],
  ...['31', '32', '33', '34', '35', '36', '37'],
  ...['41', '42', '43', '44', '45', '46'],
  ...['50', '51', '52', '53', '54'],
  ...['61', '62', '63', '64', '65'],
  ...['81', '82', '83'],
]);

const REGION_PREFIXES: ReadonlySet<string> = new Set(RESIDENT_ID_REGION_PREFIXES);

// GB 11643-1999 §8.2 (ISO 7064 MOD 11-2): W_i = 2^(18-i) mod 11 for positions 1..17, and the
// check character indexed by (Σ a_i·W_i) mod 11.
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
const CHECK_CHARS = '10X98765432';

const SHAPE = /^\d{17}[\dX]$/;
const SEVENTEEN_DIGITS = /^\d{17}$/;
const MIN_BIRTH_YEAR = 1900;

/**
 * The GB 11643 check character ('0'–'9' or 'X') for the first 17 digits of a resident ID number.
 * Throws `INVALID_ARGUMENT` unless `first17` is exactly 17 ASCII digits; the message never echoes the input.
 */
export function checkDigit(first17: string): string {
  if (typeof first17 !== 'string' || !SEVENTEEN_DIGITS.test(first17)) {
    throw new XinyiError('INVALID_ARGUMENT', 'checkDigit expects exactly 17 ASCII digits');
  }
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += (first17.charCodeAt(i) - 48) * WEIGHTS[i]!;
  return CHECK_CHARS[sum % 11]!;
}

/**
 * Why `id` is not a valid resident ID number (GB 11643-1999), or null when it is valid.
 * Meant for staff-facing messages; it names the broken rule, never the number.
 *
 * The input is trimmed and a lower-case check character `x` is accepted. Rules, checked in order:
 * `length` (18 characters), `format` (17 digits + a digit or X), `region` (the first two digits are
 * in `RESIDENT_ID_REGION_PREFIXES`), `birth-date` (positions 7–14 are a real calendar date,
 * year ≥ 1900 and not after the Asia/Shanghai date of `now`), `check-digit` (ISO 7064 MOD 11-2).
 *
 * @param now the instant that bounds the birth date (`Date` or epoch milliseconds). @default Date.now()
 */
export function explainIdNumberProblem(id: string, now?: Date | number): IdNumberProblem | null {
  if (typeof id !== 'string') return 'format';
  const text = id.trim().toUpperCase();
  if (text.length !== 18) return 'length';
  if (!SHAPE.test(text)) return 'format';
  if (!REGION_PREFIXES.has(text.slice(0, 2))) return 'region';
  if (!isPlausibleBirthDate(text.slice(6, 14), now)) return 'birth-date';
  if (checkDigit(text.slice(0, 17)) !== text[17]) return 'check-digit';
  return null;
}

/**
 * True when `id` is a valid resident ID number under GB 11643-1999 (see {@link explainIdNumberProblem}
 * for the rules). Surrounding whitespace and a lower-case `x` are accepted. Never throws for any `id`;
 * an invalid `now` throws `INVALID_ARGUMENT`.
 *
 * @param now the instant that bounds the birth date (`Date` or epoch milliseconds). @default Date.now()
 */
export function isValidResidentIdNumber(id: string, now?: Date | number): boolean {
  return explainIdNumberProblem(id, now) === null;
}

/**
 * The canonical form of a resident ID number: trimmed, with the check character `x` upper-cased.
 * Throws `ID_NUMBER_INVALID` when the number is not valid; the message and `details.problem` name the
 * broken rule (an {@link IdNumberProblem}) and never contain the number.
 *
 * @param now the instant that bounds the birth date (`Date` or epoch milliseconds). @default Date.now()
 */
export function normalizeIdNumber(id: string, now?: Date | number): string {
  const problem = explainIdNumberProblem(id, now);
  if (problem !== null) {
    throw new XinyiError('ID_NUMBER_INVALID', `resident ID number is invalid: ${PROBLEM_TEXT[problem]}`, {
      details: { problem },
    });
  }
  return id.trim().toUpperCase();
}

const PROBLEM_TEXT: Readonly<Record<IdNumberProblem, string>> = {
  length: 'it must have 18 characters',
  format: 'it must be 17 digits followed by a digit or X',
  region: 'its region code is not a known province',
  'birth-date': 'its birth date is not a real date between 1900 and today',
  'check-digit': 'its check digit does not match',
};

function isPlausibleBirthDate(yyyymmdd: string, now: Date | number | undefined): boolean {
  const year = Number(yyyymmdd.slice(0, 4));
  const month = Number(yyyymmdd.slice(4, 6));
  const day = Number(yyyymmdd.slice(6, 8));
  if (year < MIN_BIRTH_YEAR || month < 1 || month > 12 || day < 1) return false;
  if (day > daysInMonth(year, month)) return false;
  const nowMs = now === undefined ? Date.now() : typeof now === 'number' ? now : now.getTime();
  if (!Number.isFinite(nowMs)) {
    throw new XinyiError('INVALID_ARGUMENT', 'now must be a valid Date or epoch milliseconds');
  }
  // A birth date is a civil date in China, so "today" is the Asia/Shanghai date, not the host's.
  const today = shanghaiDate(nowMs).replaceAll('-', '');
  return yyyymmdd <= today;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * The display form of an ID number (or any document or card number): the first and last character,
 * every other character replaced by `*` (docs/credit-domain.md §3.2.4), e.g. `3****************X`.
 * The input is trimmed first; a text shorter than two characters becomes all stars.
 * Region, birth date and gender digits are never shown.
 */
export function maskIdNumber(id: string): string {
  const chars = Array.from(String(id).trim());
  if (chars.length < 2) return '*'.repeat(chars.length);
  return `${chars[0]}${'*'.repeat(chars.length - 2)}${chars[chars.length - 1]}`;
}

/**
 * Two-character surnames (复姓) kept whole by {@link maskName} when the name has at least three
 * characters (a two-character name such as 司马 is surname 司 + given name 马).
 */
export const COMPOUND_SURNAMES: readonly string[] = Object.freeze([
  '欧阳',
  '司马',
  '诸葛',
  '上官',
  '东方',
  '皇甫',
  '尉迟',
  '公孙',
  '慕容',
  '长孙',
  '宇文',
  '司徒',
  '夏侯',
  '轩辕',
  '令狐',
  '西门',
  '端木',
  '独孤',
  '南宫',
  '澹台',
  '申屠',
  '太史',
  '闻人',
  '濮阳',
]);

const COMPOUND_SURNAME_SET: ReadonlySet<string> = new Set(COMPOUND_SURNAMES);
const HAN = /^\p{Script=Han}/u;

/**
 * The display form of a person's name (docs/credit-domain.md §3.2.4): the surname, then one `*` for each
 * remaining character. `张三` → `张*`, `欧阳娜娜` → `欧阳**` (compound surnames in
 * `COMPOUND_SURNAMES` are kept whole when at least one given-name character follows).
 * Names that do not start with a Han character keep their first letter and star the rest, ignoring
 * whitespace: `Li Lei` → `L****`. Whitespace is dropped in every case; a single character becomes `*`.
 */
export function maskName(name: string): string {
  const chars = Array.from(String(name).replace(/\s+/gu, ''));
  if (chars.length === 0) return '';
  if (chars.length === 1) return '*';
  let keep = 1;
  if (HAN.test(chars[0]!) && chars.length >= 3 && COMPOUND_SURNAME_SET.has(`${chars[0]}${chars[1]}`)) {
    keep = 2;
  }
  return `${chars.slice(0, keep).join('')}${'*'.repeat(chars.length - keep)}`;
}
