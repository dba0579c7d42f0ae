import { XinyiError } from '../errors.js';

export const TIER_CODES = ['AAA', 'AA', 'A', 'B', 'C', 'D'] as const;
export type TierCode = (typeof TIER_CODES)[number];

export function isTierCode(value: unknown): value is TierCode {
  return typeof value === 'string' && (TIER_CODES as readonly string[]).includes(value);
}

/**
 * One score band. Bounds are explicit: `minInclusive <= score < maxExclusive`; a missing bound is open.
 * Chinese drafting ("1150分以上", "800分及以下") includes the stated number, so "≤ 800" is `maxExclusive: 801`.
 */
export interface TierBand {
  code: TierCode;
  /** Higher is better. Rules compare ranks, never strings. */
  rank: number;
  labelZh: string;
  minInclusive?: number;
  maxExclusive?: number;
}

export interface TierScheme {
  id: string;
  /** Bands ordered from best to worst; together they cover every score exactly once. */
  bands: TierBand[];
}

/**
 * The Shandong 1000-point pattern used by the default Qingzhou pack (docs/credit-domain.md §1.1):
 * AAA ≥ 1150, AA 1050–1149, A 1000–1049, B 950–999, C 801–949, D ≤ 800.
 */
export const shandongTierScheme: TierScheme = {
  id: 'shandong-1000',
  bands: [
    { code: 'AAA', rank: 6, labelZh: '诚信模范', minInclusive: 1150 },
    { code: 'AA', rank: 5, labelZh: '诚信优秀', minInclusive: 1050, maxExclusive: 1150 },
    { code: 'A', rank: 4, labelZh: '诚信', minInclusive: 1000, maxExclusive: 1050 },
    { code: 'B', rank: 3, labelZh: '较诚信', minInclusive: 950, maxExclusive: 1000 },
    { code: 'C', rank: 2, labelZh: '诚信警示', minInclusive: 801, maxExclusive: 950 },
    { code: 'D', rank: 1, labelZh: '不诚信', maxExclusive: 801 },
  ],
};

/** The tier a score falls in under `scheme`. Throws `INVALID_ARGUMENT` for a non-finite score or a gap in the scheme. */
export function tierForScore(scheme: TierScheme, score: number): TierCode {
  if (!Number.isFinite(score)) {
    throw new XinyiError('INVALID_ARGUMENT', `score must be a finite number, got ${String(score)}`);
  }
  for (const band of scheme.bands) {
    if (
      (band.minInclusive === undefined || score >= band.minInclusive) &&
      (band.maxExclusive === undefined || score < band.maxExclusive)
    ) {
      return band.code;
    }
  }
  throw new XinyiError('INVALID_ARGUMENT', `score ${score} falls in no band of tier scheme ${scheme.id}`);
}

/** The rank of `code` in `scheme`; -1 when the scheme does not define it. */
export function tierRank(scheme: TierScheme, code: TierCode): number {
  for (const band of scheme.bands) if (band.code === code) return band.rank;
  return -1;
}
