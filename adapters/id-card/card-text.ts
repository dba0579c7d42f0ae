import type { IdCardCredential, IdCardType } from '../../sdk/domain/credential.js';
import { XinyiError, XinyiErrorCode } from '../../sdk/errors.js';
import {
  checkDigit,
  explainIdNumberProblem,
  type IdNumberProblem,
  isValidResidentIdNumber,
} from '../../sdk/identity/resident-id.js';
import { nationName } from './nations.js';

/** Size of the machine-readable text file of every card type (GA/T 490; §1.8). */
export const CARD_TEXT_BYTES = 256;

/** Where a field sits in the 256-byte text: byte offset and byte length (UCS-2, 2 bytes a character). */
export interface CardTextField {
  readonly offset: number;
  readonly bytes: number;
}

// docs/protocols.md §1.8 (resident) and §1.10 (J, I, Y). Each layout tiles all 256 bytes,
// reserved areas included; the tests check that.
const RESIDENT_LAYOUT = {
  name: { offset: 0, bytes: 30 },
  genderCode: { offset: 30, bytes: 2 },
  nationCode: { offset: 32, bytes: 4 },
  birthDate: { offset: 36, bytes: 16 },
  address: { offset: 52, bytes: 70 },
  idNumber: { offset: 122, bytes: 36 },
  issuingAuthority: { offset: 158, bytes: 30 },
  validFrom: { offset: 188, bytes: 16 },
  validUntil: { offset: 204, bytes: 16 },
  reserved: { offset: 220, bytes: 36 },
} as const satisfies Record<string, CardTextField>;

const HK_MACAO_TAIWAN_LAYOUT = {
  name: { offset: 0, bytes: 30 },
  genderCode: { offset: 30, bytes: 2 },
  reserved1: { offset: 32, bytes: 4 },
  birthDate: { offset: 36, bytes: 16 },
  address: { offset: 52, bytes: 70 },
  idNumber: { offset: 122, bytes: 36 },
  issuingAuthority: { offset: 158, bytes: 30 },
  validFrom: { offset: 188, bytes: 16 },
  validUntil: { offset: 204, bytes: 16 },
  passNumber: { offset: 220, bytes: 18 },
  issueCount: { offset: 238, bytes: 4 },
  reserved2: { offset: 242, bytes: 6 },
  cardTypeFlag: { offset: 248, bytes: 2 },
  reserved3: { offset: 250, bytes: 6 },
} as const satisfies Record<string, CardTextField>;

const FOREIGN_2017_LAYOUT = {
  englishName: { offset: 0, bytes: 120 },
  genderCode: { offset: 120, bytes: 2 },
  idNumber: { offset: 122, bytes: 30 },
  nationality: { offset: 152, bytes: 6 },
  name: { offset: 158, bytes: 30 },
  validFrom: { offset: 188, bytes: 16 },
  validUntil: { offset: 204, bytes: 16 },
  birthDate: { offset: 220, bytes: 16 },
  cardVersion: { offset: 236, bytes: 4 },
  authorityCode: { offset: 240, bytes: 8 },
  cardTypeFlag: { offset: 248, bytes: 2 },
  reserved: { offset: 250, bytes: 6 },
} as const satisfies Record<string, CardTextField>;

const FOREIGN_2023_LAYOUT = {
  name: { offset: 0, bytes: 30 },
  genderCode: { offset: 30, bytes: 2 },
  renewalCount: { offset: 32, bytes: 4 },
  birthDate: { offset: 36, bytes: 16 },
  englishName1: { offset: 52, bytes: 70 },
  idNumber: { offset: 122, bytes: 36 },
  reserved: { offset: 158, bytes: 30 },
  validFrom: { offset: 188, bytes: 16 },
  validUntil: { offset: 204, bytes: 16 },
  englishName2: { offset: 220, bytes: 22 },
  nationality: { offset: 242, bytes: 6 },
  cardTypeFlag: { offset: 248, bytes: 2 },
  previousNumberLink: { offset: 250, bytes: 6 },
} as const satisfies Record<string, CardTextField>;

/**
 * The byte layout of each card type's 256-byte text (GA/T 490; docs/protocols.md §1.8, §1.10).
 * Every layout covers all 256 bytes, reserved areas included.
 */
export const CARD_TEXT_LAYOUTS = {
  resident: RESIDENT_LAYOUT,
  'hk-macao-taiwan': HK_MACAO_TAIWAN_LAYOUT,
  'foreign-permanent-2017': FOREIGN_2017_LAYOUT,
  'foreign-permanent-2023': FOREIGN_2023_LAYOUT,
} as const satisfies Record<IdCardType, Record<string, CardTextField>>;

/** Byte offset of the card-type flag character (§1.10): `'J'`, `'I'` or `'Y'`; anything else is a resident card. */
export const CARD_TYPE_FLAG_OFFSET = 248;

/** The flag character written at `CARD_TYPE_FLAG_OFFSET` for each non-resident card type (§1.10). */
export const CARD_TYPE_FLAGS = {
  'hk-macao-taiwan': 'J',
  'foreign-permanent-2017': 'I',
  'foreign-permanent-2023': 'Y',
} as const satisfies Record<Exclude<IdCardType, 'resident'>, string>;

/** The validity-end text of a card that never expires (§1.8); UCS-2 `7F 95 1F 67`. */
export const LONG_TERM_TEXT = '长期';

/** Gender as coded by GB/T 2261.1 (§1.9). */
export type Gender = 'unknown' | 'male' | 'female' | 'unspecified';

/** GB/T 2261.1 gender codes (§1.9) with their English and Chinese names. */
export const GENDERS: Readonly<Record<string, { readonly gender: Gender; readonly zh: string }>> =
  Object.freeze({
    '0': { gender: 'unknown', zh: '未知的性别' },
    '1': { gender: 'male', zh: '男' },
    '2': { gender: 'female', zh: '女' },
    '9': { gender: 'unspecified', zh: '未说明的性别' },
  });

/** Why a parsed field is doubtful. */
export type CardTextIssueCode =
  /** The document number fails its check (GB 11643 for resident and J cards). */
  | 'id-number-invalid'
  /** A date field is not a real `YYYYMMDD` date (nor `长期` for the validity end). */
  | 'date-invalid'
  /** A field that every card carries is blank. */
  | 'field-empty'
  /** The gender code is not in GB/T 2261.1. */
  | 'gender-unknown'
  /** The nation code is not in GB 3304 (01–56, 97, 98). */
  | 'nation-unknown'
  /** The birth date inside the ID number differs from the birth-date field. */
  | 'id-birth-date-mismatch'
  /** The ID number's sequence parity (odd = male) differs from the gender code. */
  | 'id-gender-mismatch';

/**
 * A doubtful field. Issues name the field and the rule, never the value, so they are safe to log.
 */
export interface CardTextIssue {
  /** The property of the parsed card text, e.g. `'idNumber'`. */
  field: string;
  code: CardTextIssueCode;
  /** For `id-number-invalid`: the broken rule (`'prefix'` = not a 810000/820000/830000 J-card number). */
  problem?: IdNumberProblem | 'prefix';
}

/** Fields every card type carries, as `encodeCardText` takes them. Dates are `YYYY-MM-DD` (or `YYYYMMDD`). */
export interface CardTextCommonFields {
  /** Chinese name (姓名 / 中文姓名); `''` when a 2017 foreigner card has none. */
  name: string;
  /** GB/T 2261.1 code as on the card: `'1'` male, `'2'` female, `'0'`, `'9'`. */
  genderCode: string;
  /** Birth date `YYYY-MM-DD`, or null when absent or not a real date. */
  birthDate: string | null;
  /**
   * The document number: 公民身份号码 (resident, J), 永久居留证号码 (I, 15 characters),
   * 永久居留身份证号码 (Y). Personal data: never log it.
   */
  idNumber: string;
  /** Validity start (签发日期 on foreigner cards), `YYYY-MM-DD` or null. */
  validFrom: string | null;
  /**
   * Validity end, `YYYY-MM-DD`. Null when the card is valid for ever (`longTerm: true`, printed
   * `长期`) or when the field is blank or malformed (then `issues` says so).
   */
  validUntil: string | null;
  /** True when the validity end reads `长期` (the card does not expire). Optional when encoding. */
  longTerm?: boolean;
}

/** Input of `encodeCardText` for a resident ID card (居民身份证). */
export interface ResidentCardFields extends CardTextCommonFields {
  cardType: 'resident';
  /** Two-digit GB 3304 code, e.g. `'01'`. */
  nationCode: string;
  address: string;
  /** 签发机关. */
  issuingAuthority: string;
}

/** Input of `encodeCardText` for a Hong Kong / Macao / Taiwan residence permit (港澳台居民居住证, flag `J`). */
export interface HkMacaoTaiwanCardFields extends CardTextCommonFields {
  cardType: 'hk-macao-taiwan';
  address: string;
  issuingAuthority: string;
  /** 通行证号码 (9 characters). */
  passNumber: string;
  /** 签发次数 (2 characters, as on the card). */
  issueCount: string;
}

/** Input of `encodeCardText` for a 2017 foreigner permanent residence card (外国人永久居留证, flag `I`). */
export interface ForeignPermanent2017CardFields extends CardTextCommonFields {
  cardType: 'foreign-permanent-2017';
  /** Upper-case English name, surname first (up to 60 characters). */
  englishName: string;
  /** GB/T 2659 three-letter nationality/region code. */
  nationality: string;
  /** 证件版本号 (2 characters). */
  cardVersion?: string;
  /** 当次申请受理机关代码 (4 characters). */
  authorityCode?: string;
}

/** Input of `encodeCardText` for a 2023 foreigner permanent residence ID card (外国人永久居留身份证, flag `Y`). */
export interface ForeignPermanent2023CardFields extends CardTextCommonFields {
  cardType: 'foreign-permanent-2023';
  /** English name, up to 46 characters (stored as 35 + 11 in two places). */
  englishName: string;
  /** Three-character country/region code. */
  nationality: string;
  /** 换证次数 (2 characters). */
  renewalCount?: string;
  /** Link to the previous-version 15-character number (推导项, 3 characters). */
  previousNumberLink?: string;
}

/** Input of `encodeCardText`: one of the four layouts. */
export type CardTextFields =
  | ResidentCardFields
  | HkMacaoTaiwanCardFields
  | ForeignPermanent2017CardFields
  | ForeignPermanent2023CardFields;

/** What `parseCardText` adds to every card type. */
export interface CardTextDerived {
  /** The gender code mapped through GB/T 2261.1, or null for an unknown code. */
  gender: Gender | null;
  /** Chinese gender name (`男`, `女`, …), or null for an unknown code. */
  genderName: string | null;
  /** Doubtful fields; empty for a clean card. Safe to log (no values). */
  issues: CardTextIssue[];
}

/** A parsed resident ID card. */
export interface ResidentCardText extends ResidentCardFields, CardTextDerived {
  /** True when the validity end reads `长期`; `validUntil` is then null. */
  longTerm: boolean;
  /** Chinese nation name from GB 3304 (`汉`, …), or null for an unknown code. */
  nation: string | null;
  /** Whether `idNumber` passes GB 11643 (`isValidResidentIdNumber`); false adds an `id-number-invalid` issue. */
  idNumberValid: boolean;
}

/** A parsed Hong Kong / Macao / Taiwan residence permit. */
export interface HkMacaoTaiwanCardText extends HkMacaoTaiwanCardFields, CardTextDerived {
  /** True when the validity end reads `长期`; `validUntil` is then null. */
  longTerm: boolean;
  /** From the ID number prefix 810000 / 820000 / 830000, or null for another prefix. */
  region: 'hong-kong' | 'macao' | 'taiwan' | null;
  /** Whether `idNumber` passes GB 11643 and starts with 810000, 820000 or 830000. */
  idNumberValid: boolean;
}

/** A parsed 2017 foreigner permanent residence card. */
export interface ForeignPermanent2017CardText extends ForeignPermanent2017CardFields, CardTextDerived {
  /** True when the validity end reads `长期`; `validUntil` is then null. */
  longTerm: boolean;
  cardVersion: string;
  authorityCode: string;
  /** Always null: no confirmed check rule for the 15-character number. */
  idNumberValid: null;
}

/** A parsed 2023 foreigner permanent residence ID card. */
export interface ForeignPermanent2023CardText extends ForeignPermanent2023CardFields, CardTextDerived {
  /** True when the validity end reads `长期`; `validUntil` is then null. */
  longTerm: boolean;
  renewalCount: string;
  previousNumberLink: string;
  /**
   * Null unless `foreign2023IdCheck: 'gb11643-check-digit'` was given (numbering rules unconfirmed,
   * §1.10); then whether the MOD 11-2 check character matches.
   */
  idNumberValid: boolean | null;
}

/** The 256-byte card text, decoded; discriminated on `cardType`. */
export type CardText =
  | ResidentCardText
  | HkMacaoTaiwanCardText
  | ForeignPermanent2017CardText
  | ForeignPermanent2023CardText;

/** Options for `parseCardText`. */
export interface ParseCardTextOptions {
  /**
   * The instant that bounds birth dates when ID numbers are validated (a number born "tomorrow"
   * is invalid). Pass the terminal's clock for deterministic results.
   * @default Date.now()
   */
  now?: Date | number;
  /**
   * How to check the 18-character number of a 2023 foreigner card (`Y`), whose numbering rules
   * are unconfirmed (docs/protocols.md §1.10, §4 item 4): `'none'` leaves `idNumberValid`
   * null; `'gb11643-check-digit'` applies the ISO 7064 MOD 11-2 check character only.
   * @default 'none'
   */
  foreign2023IdCheck?: 'none' | 'gb11643-check-digit';
}

/** Options for `encodeCardText`. */
export interface EncodeCardTextOptions {
  /**
   * The character that fills unused space. Readers observed in practice pad with UCS-2 spaces
   * (`20 00`), but no normative text says so (docs/protocols.md §1.8, §4 item 2); `'nul'`
   * writes `00 00`. `parseCardText` accepts both.
   * @default 'space'
   */
  padding?: 'space' | 'nul';
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function isPad(code: number): boolean {
  return code === 0x0000 || code === 0x0020 || code === 0x3000 || (code >= 0x09 && code <= 0x0d);
}

/** Trims card-text padding (UCS-2 spaces, NULs, ideographic spaces) from both ends. Internal. */
export function trimPad(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isPad(text.charCodeAt(start))) start++;
  while (end > start && isPad(text.charCodeAt(end - 1))) end--;
  return text.slice(start, end);
}

function rawField(buf: Buffer, field: CardTextField): string {
  return buf.toString('utf16le', field.offset, field.offset + field.bytes);
}

function textField(buf: Buffer, field: CardTextField): string {
  return trimPad(rawField(buf, field));
}

/**
 * The card type named by the flag at byte 248 (§1.10): `J` → HK/Macao/Taiwan permit, `I` → 2017
 * foreigner card, `Y` → 2023 foreigner card, anything else → resident card.
 * @throws XinyiError `INVALID_ARGUMENT` unless `bytes256` has exactly 256 bytes.
 */
export function detectCardType(bytes256: Uint8Array): IdCardType {
  const buf = checkedText(bytes256);
  const flag = buf.toString('utf16le', CARD_TYPE_FLAG_OFFSET, CARD_TYPE_FLAG_OFFSET + 2);
  for (const [type, letter] of Object.entries(CARD_TYPE_FLAGS)) {
    if (flag === letter) return type as IdCardType;
  }
  return 'resident';
}

function checkedText(bytes256: Uint8Array): Buffer {
  if (!(bytes256 instanceof Uint8Array) || bytes256.length !== CARD_TEXT_BYTES) {
    throw new XinyiError(XinyiErrorCode.INVALID_ARGUMENT, 'card text must be exactly 256 bytes', {
      details: { argument: 'bytes256', bytes: bytes256 instanceof Uint8Array ? bytes256.length : -1 },
    });
  }
  return asBuffer(bytes256);
}

const DATE_TEXT = /^(\d{4})(\d{2})(\d{2})$/;

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** `YYYYMMDD` → `YYYY-MM-DD`, or null unless it is a real calendar date. */
function isoDate(text: string): string | null {
  const m = DATE_TEXT.exec(text);
  if (m === null) return null;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  return `${m[1]}-${m[2]}-${m[3]}`;
}

class IssueList {
  readonly list: CardTextIssue[] = [];
  add(field: string, code: CardTextIssueCode, problem?: CardTextIssue['problem']): void {
    this.list.push(problem === undefined ? { field, code } : { field, code, problem });
  }
}

function readDate(buf: Buffer, spec: CardTextField, field: string, issues: IssueList): string | null {
  const text = textField(buf, spec);
  if (text === '') {
    issues.add(field, 'field-empty');
    return null;
  }
  const iso = isoDate(text);
  if (iso === null) issues.add(field, 'date-invalid');
  return iso;
}

function readValidity(
  buf: Buffer,
  layout: { validFrom: CardTextField; validUntil: CardTextField },
  issues: IssueList,
): Pick<CardTextCommonFields, 'validFrom' | 'validUntil'> & { longTerm: boolean } {
  const validFrom = readDate(buf, layout.validFrom, 'validFrom', issues);
  // 长期 is matched after trimming: its padding is unconfirmed (§1.8, §4 item 2).
  if (textField(buf, layout.validUntil) === LONG_TERM_TEXT) {
    return { validFrom, validUntil: null, longTerm: true };
  }
  return { validFrom, validUntil: readDate(buf, layout.validUntil, 'validUntil', issues), longTerm: false };
}

function readGender(buf: Buffer, spec: CardTextField, issues: IssueList) {
  const genderCode = textField(buf, spec);
  const known = GENDERS[genderCode];
  if (known === undefined) issues.add('genderCode', 'gender-unknown');
  return { genderCode, gender: known?.gender ?? null, genderName: known?.zh ?? null };
}

function requireText(value: string, field: string, issues: IssueList): string {
  if (value === '') issues.add(field, 'field-empty');
  return value;
}

const GB11643_SHAPE = /^\d{17}[\dX]$/;

/** Cross-checks a GB 11643-shaped number against the birth-date and gender fields. */
function crossCheckIdNumber(
  idNumber: string,
  birthDate: string | null,
  genderCode: string,
  issues: IssueList,
): void {
  const id = idNumber.toUpperCase();
  if (!GB11643_SHAPE.test(id)) return;
  if (birthDate !== null && id.slice(6, 14) !== birthDate.replaceAll('-', '')) {
    issues.add('birthDate', 'id-birth-date-mismatch');
  }
  // GB 11643 (docs/protocols.md §1.12): the sequence code is odd for men, even for women.
  const odd = Number(id[16]) % 2 === 1;
  if ((genderCode === '1' && !odd) || (genderCode === '2' && odd)) {
    issues.add('genderCode', 'id-gender-mismatch');
  }
}

const HMT_REGIONS = { '810000': 'hong-kong', '820000': 'macao', '830000': 'taiwan' } as const;

function validateOptions(options: ParseCardTextOptions): void {
  const check = options.foreign2023IdCheck;
  if (check !== undefined && check !== 'none' && check !== 'gb11643-check-digit') {
    throw new XinyiError(
      XinyiErrorCode.INVALID_OPTIONS,
      "foreign2023IdCheck must be 'none' or 'gb11643-check-digit'",
      { details: { option: 'foreign2023IdCheck' } },
    );
  }
  const now = options.now;
  if (now !== undefined && !(now instanceof Date) && !(typeof now === 'number' && Number.isFinite(now))) {
    throw new XinyiError(XinyiErrorCode.INVALID_OPTIONS, 'now must be a Date or epoch milliseconds', {
      details: { option: 'now' },
    });
  }
}

/**
 * Decodes the 256-byte machine-readable text of any second-generation card read through the SAM
 * (GA/T 490; docs/protocols.md §1.8–§1.10). The layout is chosen by the flag at byte 248.
 *
 * Text is UCS-2 little-endian; every field is trimmed of padding (spaces or NULs). Dates become
 * `YYYY-MM-DD`; a validity end of `长期` gives `validUntil: null, longTerm: true`. Doubtful fields
 * are reported in `issues` rather than rejected: in particular a resident card whose number fails
 * GB 11643 comes back with `idNumberValid: false` and an `id-number-invalid` issue.
 *
 * The result holds personal data (names, ID number): never log it; log `issues` instead.
 * @throws XinyiError `INVALID_ARGUMENT` unless `bytes256` has exactly 256 bytes;
 *   `INVALID_OPTIONS` for a bad option.
 */
export function parseCardText(bytes256: Uint8Array, options: ParseCardTextOptions = {}): CardText {
  validateOptions(options);
  const buf = checkedText(bytes256);
  const cardType = detectCardType(buf);
  const issues = new IssueList();
  switch (cardType) {
    case 'resident':
      return parseResident(buf, options, issues);
    case 'hk-macao-taiwan':
      return parseHkMacaoTaiwan(buf, options, issues);
    case 'foreign-permanent-2017':
      return parseForeign2017(buf, issues);
    case 'foreign-permanent-2023':
      return parseForeign2023(buf, options, issues);
  }
}

function parseResident(buf: Buffer, options: ParseCardTextOptions, issues: IssueList): ResidentCardText {
  const L = RESIDENT_LAYOUT;
  const name = requireText(textField(buf, L.name), 'name', issues);
  const gender = readGender(buf, L.genderCode, issues);
  const nationCode = textField(buf, L.nationCode);
  const nation = nationName(nationCode) ?? null;
  if (nation === null) issues.add('nationCode', 'nation-unknown');
  const birthDate = readDate(buf, L.birthDate, 'birthDate', issues);
  const address = textField(buf, L.address);
  const idNumber = requireText(textField(buf, L.idNumber), 'idNumber', issues);
  const idNumberValid = isValidResidentIdNumber(idNumber, options.now);
  if (!idNumberValid && idNumber !== '') {
    issues.add('idNumber', 'id-number-invalid', explainIdNumberProblem(idNumber, options.now) ?? undefined);
  }
  crossCheckIdNumber(idNumber, birthDate, gender.genderCode, issues);
  const issuingAuthority = textField(buf, L.issuingAuthority);
  const validity = readValidity(buf, L, issues);
  return {
    cardType: 'resident',
    name,
    ...gender,
    nationCode,
    nation,
    birthDate,
    address,
    idNumber,
    idNumberValid,
    issuingAuthority,
    ...validity,
    issues: issues.list,
  };
}

function parseHkMacaoTaiwan(
  buf: Buffer,
  options: ParseCardTextOptions,
  issues: IssueList,
): HkMacaoTaiwanCardText {
  const L = HK_MACAO_TAIWAN_LAYOUT;
  const name = requireText(textField(buf, L.name), 'name', issues);
  const gender = readGender(buf, L.genderCode, issues);
  const birthDate = readDate(buf, L.birthDate, 'birthDate', issues);
  const address = textField(buf, L.address);
  const idNumber = requireText(textField(buf, L.idNumber), 'idNumber', issues);
  const region = HMT_REGIONS[idNumber.slice(0, 6) as keyof typeof HMT_REGIONS] ?? null;
  let problem: CardTextIssue['problem'] | null = null;
  if (idNumber !== '') {
    problem = explainIdNumberProblem(idNumber, options.now) ?? (region === null ? 'prefix' : null);
    if (problem !== null) issues.add('idNumber', 'id-number-invalid', problem);
  }
  crossCheckIdNumber(idNumber, birthDate, gender.genderCode, issues);
  return {
    cardType: 'hk-macao-taiwan',
    name,
    ...gender,
    birthDate,
    address,
    idNumber,
    idNumberValid: idNumber !== '' && problem === null,
    region,
    issuingAuthority: textField(buf, L.issuingAuthority),
    ...readValidity(buf, L, issues),
    passNumber: textField(buf, L.passNumber),
    issueCount: textField(buf, L.issueCount),
    issues: issues.list,
  };
}

function parseForeign2017(buf: Buffer, issues: IssueList): ForeignPermanent2017CardText {
  const L = FOREIGN_2017_LAYOUT;
  const englishName = requireText(textField(buf, L.englishName), 'englishName', issues);
  const gender = readGender(buf, L.genderCode, issues);
  const idNumber = requireText(textField(buf, L.idNumber), 'idNumber', issues);
  const nationality = textField(buf, L.nationality);
  const name = textField(buf, L.name);
  const validity = readValidity(buf, L, issues);
  const birthDate = readDate(buf, L.birthDate, 'birthDate', issues);
  return {
    cardType: 'foreign-permanent-2017',
    name,
    englishName,
    ...gender,
    birthDate,
    idNumber,
    idNumberValid: null,
    nationality,
    ...validity,
    cardVersion: textField(buf, L.cardVersion),
    authorityCode: textField(buf, L.authorityCode),
    issues: issues.list,
  };
}

function parseForeign2023(
  buf: Buffer,
  options: ParseCardTextOptions,
  issues: IssueList,
): ForeignPermanent2023CardText {
  const L = FOREIGN_2023_LAYOUT;
  const name = requireText(textField(buf, L.name), 'name', issues);
  const gender = readGender(buf, L.genderCode, issues);
  const renewalCount = textField(buf, L.renewalCount);
  const birthDate = readDate(buf, L.birthDate, 'birthDate', issues);
  // The English name continues from bytes 52..121 into 220..241; join before trimming so a space
  // at the split point survives.
  const englishName = trimPad(rawField(buf, L.englishName1) + rawField(buf, L.englishName2));
  const idNumber = requireText(textField(buf, L.idNumber), 'idNumber', issues);
  let idNumberValid: boolean | null = null;
  if ((options.foreign2023IdCheck ?? 'none') === 'gb11643-check-digit') {
    const id = idNumber.toUpperCase();
    idNumberValid = GB11643_SHAPE.test(id) && checkDigit(id.slice(0, 17)) === id[17];
    if (!idNumberValid) issues.add('idNumber', 'id-number-invalid', 'check-digit');
  }
  return {
    cardType: 'foreign-permanent-2023',
    name,
    englishName,
    ...gender,
    renewalCount,
    birthDate,
    idNumber,
    idNumberValid,
    ...readValidity(buf, L, issues),
    nationality: textField(buf, L.nationality),
    previousNumberLink: textField(buf, L.previousNumberLink),
    issues: issues.list,
  };
}

const ISO_DATE = /^(\d{4})-?(\d{2})-?(\d{2})$/;

/** `YYYY-MM-DD` / `YYYYMMDD` / null → the 8-character card form ('' for null). Shape only, not calendar. */
function cardDate(value: string | null, field: string): string {
  if (value === null) return '';
  const m = ISO_DATE.exec(value);
  if (m === null) {
    throw new XinyiError(XinyiErrorCode.INVALID_ARGUMENT, `${field} must be YYYY-MM-DD, YYYYMMDD or null`, {
      details: { argument: field },
    });
  }
  return `${m[1]}${m[2]}${m[3]}`;
}

class TextWriter {
  readonly buf: Buffer;
  constructor(padding: 'space' | 'nul') {
    this.buf =
      padding === 'space'
        ? Buffer.from(' '.repeat(CARD_TEXT_BYTES / 2), 'utf16le')
        : Buffer.alloc(CARD_TEXT_BYTES);
  }
  write(spec: CardTextField, value: string, field: string): void {
    const bytes = Buffer.from(value, 'utf16le');
    if (bytes.length > spec.bytes) {
      throw new XinyiError(XinyiErrorCode.INVALID_ARGUMENT, `${field} is longer than its card field`, {
        details: { argument: field, maxChars: spec.bytes / 2, chars: value.length },
      });
    }
    bytes.copy(this.buf, spec.offset);
  }
}

/**
 * Builds the 256-byte card text from fields — the inverse of `parseCardText`, for the simulator
 * and round-trip tests. Dates are `YYYY-MM-DD` (or `YYYYMMDD`) or null (blank); `longTerm: true`
 * writes `长期` as the validity end. Non-resident types get their flag at byte 248.
 * @throws XinyiError `INVALID_ARGUMENT` when a value does not fit its field or a date is malformed.
 */
export function encodeCardText(fields: CardTextFields, options: EncodeCardTextOptions = {}): Buffer {
  const padding = options.padding ?? 'space';
  if (padding !== 'space' && padding !== 'nul') {
    throw new XinyiError(XinyiErrorCode.INVALID_OPTIONS, "padding must be 'space' or 'nul'", {
      details: { option: 'padding' },
    });
  }
  const w = new TextWriter(padding);
  const common = (layout: {
    name: CardTextField;
    genderCode: CardTextField;
    birthDate: CardTextField;
    idNumber: CardTextField;
    validFrom: CardTextField;
    validUntil: CardTextField;
  }) => {
    w.write(layout.name, fields.name, 'name');
    w.write(layout.genderCode, fields.genderCode, 'genderCode');
    w.write(layout.birthDate, cardDate(fields.birthDate, 'birthDate'), 'birthDate');
    w.write(layout.idNumber, fields.idNumber, 'idNumber');
    w.write(layout.validFrom, cardDate(fields.validFrom, 'validFrom'), 'validFrom');
    const until = fields.longTerm === true ? LONG_TERM_TEXT : cardDate(fields.validUntil, 'validUntil');
    w.write(layout.validUntil, until, 'validUntil');
  };
  switch (fields.cardType) {
    case 'resident': {
      const L = RESIDENT_LAYOUT;
      common(L);
      w.write(L.nationCode, fields.nationCode, 'nationCode');
      w.write(L.address, fields.address, 'address');
      w.write(L.issuingAuthority, fields.issuingAuthority, 'issuingAuthority');
      break;
    }
    case 'hk-macao-taiwan': {
      const L = HK_MACAO_TAIWAN_LAYOUT;
      common(L);
      w.write(L.address, fields.address, 'address');
      w.write(L.issuingAuthority, fields.issuingAuthority, 'issuingAuthority');
      w.write(L.passNumber, fields.passNumber, 'passNumber');
      w.write(L.issueCount, fields.issueCount, 'issueCount');
      w.write(L.cardTypeFlag, CARD_TYPE_FLAGS[fields.cardType], 'cardType');
      break;
    }
    case 'foreign-permanent-2017': {
      const L = FOREIGN_2017_LAYOUT;
      common(L);
      w.write(L.englishName, fields.englishName, 'englishName');
      w.write(L.nationality, fields.nationality, 'nationality');
      w.write(L.cardVersion, fields.cardVersion ?? '', 'cardVersion');
      w.write(L.authorityCode, fields.authorityCode ?? '', 'authorityCode');
      w.write(L.cardTypeFlag, CARD_TYPE_FLAGS[fields.cardType], 'cardType');
      break;
    }
    case 'foreign-permanent-2023': {
      const L = FOREIGN_2023_LAYOUT;
      common(L);
      const split = L.englishName1.bytes / 2;
      const englishName = fields.englishName;
      if (englishName.length > split + L.englishName2.bytes / 2) {
        throw new XinyiError(XinyiErrorCode.INVALID_ARGUMENT, 'englishName is longer than its card field', {
          details: {
            argument: 'englishName',
            maxChars: split + L.englishName2.bytes / 2,
            chars: englishName.length,
          },
        });
      }
      w.write(L.englishName1, englishName.slice(0, split), 'englishName');
      w.write(L.englishName2, englishName.slice(split), 'englishName');
      w.write(L.renewalCount, fields.renewalCount ?? '', 'renewalCount');
      w.write(L.nationality, fields.nationality, 'nationality');
      w.write(L.previousNumberLink, fields.previousNumberLink ?? '', 'previousNumberLink');
      w.write(L.cardTypeFlag, CARD_TYPE_FLAGS[fields.cardType], 'cardType');
      break;
    }
  }
  return w.buf;
}

/**
 * The credential the identity step takes from a parsed card: the document number, the card type and
 * the Chinese name (the English name when a foreigner card has no Chinese one).
 */
export function toIdCardCredential(card: CardText): IdCardCredential {
  const name = card.name !== '' ? card.name : 'englishName' in card ? card.englishName : '';
  return name === ''
    ? { kind: 'id-card', idNumber: card.idNumber, cardType: card.cardType }
    : { kind: 'id-card', idNumber: card.idNumber, cardType: card.cardType, name };
}
