import { describe, expect, it } from 'vitest';
import {
  isTierCode,
  shandongTierScheme,
  TIER_CODES,
  type TierCode,
  type TierScheme,
  tierForScore,
  tierRank,
} from '../../../sdk/domain/tiers.js';
import { isXinyiError } from '../../../sdk/errors.js';
import { thrown } from '../../support/thrown.js';

describe('shandongTierScheme band boundaries (AAA ≥ 1150, AA 1050–1149, A 1000–1049, B 950–999, C 801–949, D ≤ 800)', () => {
  it.each<[number, TierCode]>([
    [Number.MAX_SAFE_INTEGER, 'AAA'],
    [1e9, 'AAA'],
    [1300, 'AAA'],
    [1150, 'AAA'],
    [1149.999, 'AA'],
    [1149, 'AA'],
    [1050, 'AA'],
    [1049.5, 'A'],
    [1049, 'A'],
    [1000, 'A'],
    [999.9, 'B'],
    [999, 'B'],
    [950, 'B'],
    [949, 'C'],
    [801, 'C'],
    [800.5, 'D'],
    [800, 'D'],
    [600, 'D'],
    [0, 'D'],
    [-0, 'D'],
    [-1e9, 'D'],
    [Number.MIN_SAFE_INTEGER, 'D'],
  ])('score %s → %s', (score, tier) => {
    expect(tierForScore(shandongTierScheme, score)).toBe(tier);
  });

  it.each([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])(
    'rejects %s with INVALID_ARGUMENT',
    (score) => {
      const error = thrown(() => tierForScore(shandongTierScheme, score));
      expect(isXinyiError(error, 'INVALID_ARGUMENT')).toBe(true);
    },
  );

  it('every integer score from 500 to 1400 falls in exactly one band, and tiers never get worse as the score rises', () => {
    let previousRank = 0;
    for (let score = 500; score <= 1400; score++) {
      const tier = tierForScore(shandongTierScheme, score);
      const matching = shandongTierScheme.bands.filter(
        (b) =>
          (b.minInclusive === undefined || score >= b.minInclusive) &&
          (b.maxExclusive === undefined || score < b.maxExclusive),
      );
      expect(matching.map((b) => b.code)).toEqual([tier]);
      const rank = tierRank(shandongTierScheme, tier);
      expect(rank).toBeGreaterThanOrEqual(previousRank);
      previousRank = rank;
    }
  });

  it('ranks the six tiers from AAA (best) to D (worst)', () => {
    const ranks = TIER_CODES.map((t) => tierRank(shandongTierScheme, t));
    expect([...ranks].sort((a, b) => b - a)).toEqual(ranks);
    expect(new Set(ranks).size).toBe(6);
    expect(shandongTierScheme.bands.map((b) => b.code)).toEqual([...TIER_CODES]);
  });

  it('reports a score in a gap of a broken scheme instead of guessing a tier', () => {
    const gapped: TierScheme = {
      id: 'gapped',
      bands: [
        { code: 'AAA', rank: 2, labelZh: '高', minInclusive: 100 },
        { code: 'D', rank: 1, labelZh: '低', maxExclusive: 50 },
      ],
    };
    expect(tierForScore(gapped, 100)).toBe('AAA');
    expect(tierForScore(gapped, 49)).toBe('D');
    expect(
      isXinyiError(
        thrown(() => tierForScore(gapped, 75)),
        'INVALID_ARGUMENT',
      ),
    ).toBe(true);
  });

  it('tierRank is -1 for a tier the scheme does not define; isTierCode accepts only the six codes', () => {
    const partial: TierScheme = { id: 'p', bands: [{ code: 'A', rank: 1, labelZh: '甲' }] };
    expect(tierRank(partial, 'AAA')).toBe(-1);
    for (const t of TIER_CODES) expect(isTierCode(t)).toBe(true);
    for (const v of ['aaa', 'AAAA', 'E', '', null, undefined, 5]) expect(isTierCode(v)).toBe(false);
  });
});
