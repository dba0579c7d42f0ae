// Everything this module produces is synthetic: names are random surname + syllable combinations and
// ID numbers are random (region, birth date, sequence) triples with a correct check digit. No record
// describes a real person. A generated number can coincide with a real one by chance (the space is
// small), but it is never linked to that person's name or data. The same holds for the
// organisations' unified social credit codes: random organisation codes with both check characters.

import type { ListMembership } from '../sdk/domain/standing.js';
import { shandongTierScheme, TIER_CODES, type TierCode, tierForScore } from '../sdk/domain/tiers.js';
import { XinyiError } from '../sdk/errors.js';
import {
  checkDigit,
  explainIdNumberProblem,
  organisationCodeCheckChar,
  SOCIAL_CREDIT_CODE_CHARSET,
  socialCreditCodeCheckChar,
} from '../sdk/identity/index.js';
import { createRng, type Rng } from './prng.js';

/** One synthetic person. All data is generated; none describes a real person. */
export interface SyntheticPerson {
  /** Sequential id in the population: `p0001`, `p0002`, … (at least four digits). */
  id: string;
  /** A valid GB 11643 number (mainland region, or 810000 / 820000 for HK / Macao residence permits). */
  idNumber: string;
  /** A synthetic Chinese name. */
  name: string;
  /** Consistent with digit 17 of `idNumber`: odd = male. */
  gender: 'male' | 'female';
  /** YYYY-MM-DD, between 1940-01-01 and 2006-12-31; equal to positions 7–14 of `idNumber`. */
  birthDate: string;
  /** Integer score inside the band of `tier` in the Shandong scheme (600–1300 overall). */
  score: number;
  /** `tierForScore(shandongTierScheme, score)`. */
  tier: TierCode;
  lists: ListMembership[];
  /** 13-digit member card number: in-store EAN-13 prefix 29, ten random digits, EAN-13 check digit. Unique in the population. */
  memberCode: string;
}

/** The kinds of market subject (市场主体) the synthetic population holds, by their GB 32100 prefix. */
export type OrganisationKind =
  | 'enterprise'
  | 'individual-business'
  | 'farmers-cooperative'
  | 'private-non-enterprise';

/**
 * Registration authority and category (positions 1–2 of a GB 32100 code) of each kind: 91 企业,
 * 92 个体工商户, 93 农民专业合作社 (工商 registration), 52 民办非企业单位 (民政 registration).
 */
export const ORGANISATION_KIND_PREFIXES: Readonly<Record<OrganisationKind, string>> = {
  enterprise: '91',
  'individual-business': '92',
  'farmers-cooperative': '93',
  'private-non-enterprise': '52',
};

/** One synthetic organisation (a market subject). All data is generated; none describes a real one. */
export interface SyntheticOrganisation {
  /** Sequential id among the organisations: `o0001`, `o0002`, … (at least four digits). */
  id: string;
  /**
   * A valid unified social credit code (GB 32100, embedded organisation code valid under GB 11714),
   * registered in Qingzhou (370781) or a nearby region. Unique among the organisations.
   */
  creditCode: string;
  kind: OrganisationKind;
  /** Integer score inside the band of `tier` in the Shandong scheme (the platform maps its grade there). */
  score: number;
  tier: TierCode;
  lists: ListMembership[];
}

export interface SocialCreditCodeOptions {
  /** Positions 1–2: registration authority and category. @default '91' (an enterprise) */
  prefix?: string;
  /** Positions 3–8: the registering authority's region code. @default '370781' (青州市) */
  regionCode?: string;
}

export interface PopulationOptions {
  /**
   * Relative weights of the tiers for people on no red or black list (need not sum to 1; a tier left
   * out gets weight 0). Red-listed people are mostly AA/AAA and black-listed people mostly C/D whatever the mix.
   * @default { AAA: 5, AA: 15, A: 55, B: 15, C: 7, D: 3 }
   * @example { mix: { AAA: 1 } } // everyone not on a list is AAA
   */
  mix?: Partial<Record<TierCode, number>>;
  /** Share of people on the red list (守信红名单). @default 0.05 */
  redListRate?: number;
  /** Share of people on a black list (失信黑名单), some of them for one domain only. @default 0.03 */
  blackListRate?: number;
  /** Share of people on the key-attention list (重点关注名单). @default 0.02 */
  keyAttentionRate?: number;
}

export interface ResidentIdNumberOptions {
  /** 6-digit region code; its first two digits must be an accepted GB 11643 prefix. @default a code from {@link SYNTHETIC_REGIONS} */
  regionCode?: string;
  /** Birth date as YYYY-MM-DD (year ≥ 1900, not in the future). @default a uniform date in 1940–2006 */
  birthDate?: string;
  /** Sets the parity of digit 17 (odd = male). @default either, with equal probability */
  gender?: 'male' | 'female';
}

/**
 * Real county-level codes (GB/T 2260) used for synthetic numbers, weighted towards Qingzhou (Weifang)
 * where the default policy pack applies. 810000 / 820000 are the HK / Macao residence-permit regions.
 */
export const SYNTHETIC_REGIONS: readonly { code: string; name: string }[] = Object.freeze([
  { code: '370781', name: '山东省潍坊市青州市' },
  { code: '370702', name: '山东省潍坊市潍城区' },
  { code: '370705', name: '山东省潍坊市奎文区' },
  { code: '370724', name: '山东省潍坊市临朐县' },
  { code: '370725', name: '山东省潍坊市昌乐县' },
  { code: '370782', name: '山东省潍坊市诸城市' },
  { code: '370783', name: '山东省潍坊市寿光市' },
  { code: '370102', name: '山东省济南市历下区' },
  { code: '370202', name: '山东省青岛市市南区' },
  { code: '370303', name: '山东省淄博市张店区' },
  { code: '370602', name: '山东省烟台市芝罘区' },
  { code: '370881', name: '山东省济宁市曲阜市' },
  { code: '370902', name: '山东省泰安市泰山区' },
  { code: '371002', name: '山东省威海市环翠区' },
  { code: '371302', name: '山东省临沂市兰山区' },
  { code: '110105', name: '北京市朝阳区' },
  { code: '310115', name: '上海市浦东新区' },
  { code: '320102', name: '江苏省南京市玄武区' },
  { code: '440305', name: '广东省深圳市南山区' },
  { code: '810000', name: '香港特别行政区' },
  { code: '820000', name: '澳门特别行政区' },
]);

const QINGZHOU = '370781';
const QINGZHOU_SHARE = 0.5;
/** 1 in 50 people hold an HK or Macao residence permit. */
const PERMIT_SHARE = 0.02;
const PERMIT_REGIONS = ['810000', '820000'] as const;
const MAINLAND_REGIONS = SYNTHETIC_REGIONS.map((r) => r.code).filter(
  (code) => code !== QINGZHOU && !(PERMIT_REGIONS as readonly string[]).includes(code),
);

const BIRTH_FROM_MS = Date.UTC(1940, 0, 1);
const BIRTH_TO_MS = Date.UTC(2006, 11, 31);
const DAY_MS = 86_400_000;

/** Open bands of the Shandong scheme are closed here so that scores stay plausible. */
const SCORE_FLOOR = 600;
const SCORE_CEILING = 1300;

const DEFAULT_MIX: Readonly<Record<TierCode, number>> = { AAA: 5, AA: 15, A: 55, B: 15, C: 7, D: 3 };
const RED_TIERS: readonly (readonly [TierCode, number])[] = [
  ['AAA', 3],
  ['AA', 6],
  ['A', 1],
];
const BLACK_TIERS: readonly (readonly [TierCode, number])[] = [
  ['D', 5],
  ['C', 3],
];
/** Share of black-listed people whose tier comes from the mix instead (a listed person with a good tier). */
const BLACK_FROM_MIX = 0.2;
const BLACK_DOMAINS = ['tourism', 'medical', 'finance'] as const;
const BLACK_DOMAIN_SHARE = 0.5;

const MAX_COUNT = 1_000_000;

/** Characters an organisation code's body may take inside a credit code (GB 32100's set). */
const CODE_CHARS = [...SOCIAL_CREDIT_CODE_CHARSET];
const ORGANISATION_KIND_WEIGHTS: readonly (readonly [OrganisationKind, number])[] = [
  ['enterprise', 70],
  ['individual-business', 15],
  ['farmers-cooperative', 5],
  ['private-non-enterprise', 10],
];
/** The Weifang county-level regions among {@link SYNTHETIC_REGIONS}, for organisations registered nearby. */
const WEIFANG_REGIONS = SYNTHETIC_REGIONS.map((r) => r.code).filter(
  (c) => c.startsWith('3707') && c !== QINGZHOU,
);

const SURNAMES = [
  ...'王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎',
];
const COMPOUND_SURNAMES = ['欧阳', '司马', '诸葛', '上官', '东方', '慕容'] as const;
const COMPOUND_SHARE = 0.01;
const GIVEN_MALE = [...'伟强磊军洋勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆旭宁龙峰'];
const GIVEN_FEMALE = [...'芳娜敏静丽艳娟霞燕玲婷雪慧颖琳欣怡佳倩晶妍萍红梅莉兰月瑶璐蕾'];
const GIVEN_NEUTRAL = [...'文晨子思雨嘉安一家国建志春秋海新立云'];

/**
 * A synthetic, valid GB 11643 resident ID number drawn from `rng`. Options not given are drawn at
 * random: a region from {@link SYNTHETIC_REGIONS}, a birth date in 1940–2006, a gender.
 * Throws `INVALID_ARGUMENT` naming the option when `regionCode` or `birthDate` cannot form a valid number.
 */
export function generateResidentIdNumber(rng: Rng, options: ResidentIdNumberOptions = {}): string {
  const regionCode = options.regionCode ?? drawRegion(rng);
  if (typeof regionCode !== 'string' || !/^\d{6}$/.test(regionCode)) {
    throw new XinyiError('INVALID_ARGUMENT', 'regionCode must be 6 digits');
  }
  const birthDate = options.birthDate ?? drawBirthDate(rng);
  if (typeof birthDate !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(birthDate)) {
    throw new XinyiError('INVALID_ARGUMENT', 'birthDate must be YYYY-MM-DD');
  }
  const gender = options.gender ?? (rng.chance(0.5) ? 'male' : 'female');
  if (gender !== 'male' && gender !== 'female') {
    throw new XinyiError('INVALID_ARGUMENT', "gender must be 'male' or 'female'");
  }
  const genderDigit = 2 * rng.int(0, 4) + (gender === 'male' ? 1 : 0);
  const sequence = `${String(rng.int(0, 99)).padStart(2, '0')}${genderDigit}`;
  const first17 = `${regionCode}${birthDate.replaceAll('-', '')}${sequence}`;
  const idNumber = first17 + checkDigit(first17);
  const problem = explainIdNumberProblem(idNumber);
  if (problem === 'region') {
    throw new XinyiError('INVALID_ARGUMENT', 'regionCode has no accepted GB 11643 province prefix');
  }
  if (problem !== null) {
    throw new XinyiError('INVALID_ARGUMENT', 'birthDate must be a real date from 1900-01-01 to today');
  }
  return idNumber;
}

/**
 * A synthetic, valid unified social credit code drawn from `rng`: the prefix and region given (or
 * defaults), an organisation code of `MA` and six random code characters with its GB 11714 check
 * character, and the GB 32100 check character. Throws `INVALID_ARGUMENT` naming the option when
 * `prefix` or `regionCode` cannot form a valid code.
 */
export function generateSocialCreditCode(rng: Rng, options: SocialCreditCodeOptions = {}): string {
  const prefix = options.prefix ?? '91';
  if (
    typeof prefix !== 'string' ||
    prefix.length !== 2 ||
    ![...prefix].every((c) => SOCIAL_CREDIT_CODE_CHARSET.includes(c))
  ) {
    throw new XinyiError(
      'INVALID_ARGUMENT',
      'prefix must be two characters of the credit-code character set',
    );
  }
  const regionCode = options.regionCode ?? QINGZHOU;
  if (typeof regionCode !== 'string' || !/^\d{6}$/.test(regionCode)) {
    throw new XinyiError('INVALID_ARGUMENT', 'regionCode must be 6 digits');
  }
  let body = 'MA';
  for (let i = 0; i < 6; i++) body += rng.pick(CODE_CHARS);
  const first17 = `${prefix}${regionCode}${body}${organisationCodeCheckChar(body)}`;
  return first17 + socialCreditCodeCheckChar(first17);
}

/**
 * `count` synthetic organisations, deterministic for `seed`, with valid unique credit codes, tiers and
 * lists drawn as for people (the same options; a shorter list with the same seed is a prefix of a
 * longer one). Throws as {@link generatePopulation} does.
 */
export function generateOrganisations(
  count: number,
  seed: number | string,
  options: PopulationOptions = {},
): SyntheticOrganisation[] {
  if (!Number.isInteger(count) || count < 0 || count > MAX_COUNT) {
    throw new XinyiError('INVALID_ARGUMENT', `count must be an integer from 0 to ${MAX_COUNT}`);
  }
  if (!(typeof seed === 'string' || (typeof seed === 'number' && Number.isFinite(seed)))) {
    throw new XinyiError('INVALID_ARGUMENT', 'seed must be a finite number or a string');
  }
  const resolved = resolveOptions(options);
  const rng = createRng(`${String(seed)}:organisations`);
  const idDigits = Math.max(4, String(count).length);
  const codes = new Set<string>();
  const organisations: SyntheticOrganisation[] = [];
  for (let i = 1; i <= count; i++) {
    const kind = rng.weighted(ORGANISATION_KIND_WEIGHTS);
    const regionCode = rng.chance(QINGZHOU_SHARE) ? QINGZHOU : rng.pick(WEIFANG_REGIONS);
    let creditCode: string;
    do creditCode = generateSocialCreditCode(rng, { prefix: ORGANISATION_KIND_PREFIXES[kind], regionCode });
    while (codes.has(creditCode));
    codes.add(creditCode);
    const lists = drawLists(rng, resolved);
    const tier = drawTier(rng, lists, resolved.mix);
    const score = drawScore(rng, tier);
    organisations.push({
      id: `o${String(i).padStart(idDigits, '0')}`,
      creditCode,
      kind,
      score,
      tier: tierForScore(shandongTierScheme, score),
      lists,
    });
  }
  return organisations;
}

/**
 * `count` synthetic people, deterministic for `seed` (a finite number or a string); a shorter
 * population with the same seed and options is a prefix of a longer one. ID numbers and member codes
 * are unique within the population. Throws `INVALID_ARGUMENT` for a count that is not an integer in
 * 0..1,000,000 or a bad seed, and `INVALID_OPTIONS` naming the option for bad options.
 */
export function generatePopulation(
  count: number,
  seed: number | string,
  options: PopulationOptions = {},
): SyntheticPerson[] {
  if (!Number.isInteger(count) || count < 0 || count > MAX_COUNT) {
    throw new XinyiError('INVALID_ARGUMENT', `count must be an integer from 0 to ${MAX_COUNT}`);
  }
  if (!(typeof seed === 'string' || (typeof seed === 'number' && Number.isFinite(seed)))) {
    throw new XinyiError('INVALID_ARGUMENT', 'seed must be a finite number or a string');
  }
  const resolved = resolveOptions(options);
  const rng = createRng(seed);
  const idDigits = Math.max(4, String(count).length);
  const idNumbers = new Set<string>();
  const memberCodes = new Set<string>();
  const people: SyntheticPerson[] = [];

  for (let i = 1; i <= count; i++) {
    const gender: SyntheticPerson['gender'] = rng.chance(0.5) ? 'male' : 'female';
    let idNumber: string;
    do idNumber = generateResidentIdNumber(rng, { gender });
    while (idNumbers.has(idNumber));
    idNumbers.add(idNumber);

    const lists = drawLists(rng, resolved);
    const tier = drawTier(rng, lists, resolved.mix);
    const score = drawScore(rng, tier);

    let memberCode: string;
    do memberCode = drawMemberCode(rng);
    while (memberCodes.has(memberCode));
    memberCodes.add(memberCode);

    const birth = idNumber.slice(6, 14);
    people.push({
      id: `p${String(i).padStart(idDigits, '0')}`,
      idNumber,
      name: drawName(rng, gender),
      gender,
      birthDate: `${birth.slice(0, 4)}-${birth.slice(4, 6)}-${birth.slice(6, 8)}`,
      score,
      tier: tierForScore(shandongTierScheme, score),
      lists,
      memberCode,
    });
  }
  return people;
}

interface ResolvedOptions {
  mix: readonly (readonly [TierCode, number])[];
  red: number;
  black: number;
  keyAttention: number;
}

function resolveOptions(options: PopulationOptions): ResolvedOptions {
  if (options === null || typeof options !== 'object') {
    throw new XinyiError('INVALID_OPTIONS', 'options must be an object when given');
  }
  const rate = (name: keyof PopulationOptions, value: unknown, fallback: number): number => {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1) {
      throw new XinyiError('INVALID_OPTIONS', `${name} must be a number from 0 to 1`);
    }
    return value;
  };
  const red = rate('redListRate', options.redListRate, 0.05);
  const black = rate('blackListRate', options.blackListRate, 0.03);
  const keyAttention = rate('keyAttentionRate', options.keyAttentionRate, 0.02);
  if (red + black + keyAttention > 1) {
    throw new XinyiError(
      'INVALID_OPTIONS',
      'redListRate + blackListRate + keyAttentionRate must not exceed 1',
    );
  }

  let mix: [TierCode, number][];
  if (options.mix === undefined) {
    mix = TIER_CODES.map((code) => [code, DEFAULT_MIX[code]]);
  } else {
    if (options.mix === null || typeof options.mix !== 'object') {
      throw new XinyiError('INVALID_OPTIONS', 'mix must be an object of tier weights');
    }
    for (const key of Object.keys(options.mix)) {
      if (!(TIER_CODES as readonly string[]).includes(key)) {
        throw new XinyiError('INVALID_OPTIONS', `mix.${key} is not a tier code`);
      }
    }
    mix = [];
    for (const code of TIER_CODES) {
      const weight = options.mix[code];
      if (weight === undefined) continue;
      if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0) {
        throw new XinyiError('INVALID_OPTIONS', `mix.${code} must be a finite number ≥ 0`);
      }
      if (weight > 0) mix.push([code, weight]);
    }
    if (mix.length === 0)
      throw new XinyiError('INVALID_OPTIONS', 'mix must give some tier a positive weight');
  }
  return { mix, red, black, keyAttention };
}

function drawRegion(rng: Rng): string {
  if (rng.chance(PERMIT_SHARE)) return rng.pick(PERMIT_REGIONS);
  return rng.chance(QINGZHOU_SHARE) ? QINGZHOU : rng.pick(MAINLAND_REGIONS);
}

function drawBirthDate(rng: Rng): string {
  const day = rng.int(0, (BIRTH_TO_MS - BIRTH_FROM_MS) / DAY_MS);
  return new Date(BIRTH_FROM_MS + day * DAY_MS).toISOString().slice(0, 10);
}

function drawLists(rng: Rng, options: ResolvedOptions): ListMembership[] {
  const u = rng.next();
  if (u < options.black) {
    return rng.chance(BLACK_DOMAIN_SHARE)
      ? [{ kind: 'black', domain: rng.pick(BLACK_DOMAINS) }]
      : [{ kind: 'black' }];
  }
  if (u < options.black + options.red) return [{ kind: 'red' }];
  if (u < options.black + options.red + options.keyAttention) return [{ kind: 'key-attention' }];
  return [];
}

function drawTier(rng: Rng, lists: readonly ListMembership[], mix: ResolvedOptions['mix']): TierCode {
  const kind = lists[0]?.kind;
  if (kind === 'red') return rng.weighted(RED_TIERS);
  if (kind === 'black' && !rng.chance(BLACK_FROM_MIX)) return rng.weighted(BLACK_TIERS);
  return rng.weighted(mix);
}

function drawScore(rng: Rng, tier: TierCode): number {
  const band = shandongTierScheme.bands.find((b) => b.code === tier)!;
  const min = band.minInclusive ?? SCORE_FLOOR;
  const max = band.maxExclusive === undefined ? SCORE_CEILING : band.maxExclusive - 1;
  return rng.int(min, max);
}

function drawMemberCode(rng: Rng): string {
  let body = '29';
  for (let i = 0; i < 10; i++) body += String(rng.int(0, 9));
  // EAN-13: weights 1, 3, 1, 3, … from the left over the first 12 digits.
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += Number(body[i]) * (i % 2 === 0 ? 1 : 3);
  return body + String((10 - (sum % 10)) % 10);
}

function drawName(rng: Rng, gender: SyntheticPerson['gender']): string {
  const surname = rng.chance(COMPOUND_SHARE) ? rng.pick(COMPOUND_SURNAMES) : rng.pick(SURNAMES);
  const pool = gender === 'male' ? GIVEN_MALE : GIVEN_FEMALE;
  const first = rng.chance(0.3) ? rng.pick(GIVEN_NEUTRAL) : rng.pick(pool);
  return rng.chance(0.35) ? `${surname}${first}` : `${surname}${first}${rng.pick(pool)}`;
}
