import { describe, expect, it } from 'vitest';
import { shandongTierScheme, tierForScore } from '../../sdk/domain/tiers.js';
import { isXinyiError } from '../../sdk/errors.js';
import { explainSocialCreditCodeProblem, isValidResidentIdNumber } from '../../sdk/identity/index.js';
import {
  generateOrganisations,
  generatePopulation,
  generateResidentIdNumber,
  generateSocialCreditCode,
  ORGANISATION_KIND_PREFIXES,
  SYNTHETIC_REGIONS,
} from '../../simulator/population.js';
import { createRng } from '../../simulator/prng.js';

const big = generatePopulation(5000, 'rates');

function eanValid(code: string): boolean {
  let sum = 0;
  for (let i = 0; i < 13; i++) sum += Number(code[i]) * (i % 2 === 0 ? 1 : 3);
  return sum % 10 === 0;
}

function errorOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('generatePopulation', () => {
  it('generates valid, unique ID numbers consistent with birth date and gender', () => {
    const regions = new Set(SYNTHETIC_REGIONS.map((r) => r.code));
    for (const person of big) {
      expect(isValidResidentIdNumber(person.idNumber)).toBe(true);
      expect(regions.has(person.idNumber.slice(0, 6))).toBe(true);
      expect(person.idNumber.slice(6, 14)).toBe(person.birthDate.replaceAll('-', ''));
      expect(person.birthDate >= '1940-01-01' && person.birthDate <= '2006-12-31').toBe(true);
      expect(Number(person.idNumber[16]) % 2 === 1 ? 'male' : 'female').toBe(person.gender);
    }
    expect(new Set(big.map((p) => p.idNumber)).size).toBe(big.length);
  });

  it('numbers people p0001, p0002, … and gives unique 13-digit member codes', () => {
    expect(big[0]!.id).toBe('p0001');
    expect(big[4999]!.id).toBe('p5000');
    expect(generatePopulation(12_000, 1).at(-1)!.id).toBe('p12000');
    for (const person of big) {
      expect(person.memberCode).toMatch(/^29\d{11}$/);
      expect(eanValid(person.memberCode)).toBe(true);
    }
    expect(new Set(big.map((p) => p.memberCode)).size).toBe(big.length);
  });

  it('gives each person a tier that matches the score band', () => {
    for (const person of big) {
      expect(person.tier).toBe(tierForScore(shandongTierScheme, person.score));
      expect(Number.isInteger(person.score)).toBe(true);
      expect(person.score).toBeGreaterThanOrEqual(600);
      expect(person.score).toBeLessThanOrEqual(1300);
    }
    expect(new Set(big.map((p) => p.tier)).size).toBe(6);
  });

  it('is deterministic per seed, and a shorter population is a prefix of a longer one', () => {
    expect(generatePopulation(200, 42)).toEqual(generatePopulation(200, 42));
    expect(generatePopulation(50, 'abc')).toEqual(generatePopulation(200, 'abc').slice(0, 50));
  });

  it('differs between seeds', () => {
    const a = generatePopulation(50, 1).map((p) => p.idNumber);
    const b = generatePopulation(50, 2).map((p) => p.idNumber);
    expect(a).not.toEqual(b);
    expect(a.filter((id) => b.includes(id)).length).toBeLessThan(5);
  });

  it('has roughly equal genders and includes a few HK/Macao residence permits (1 in 50)', () => {
    const males = big.filter((p) => p.gender === 'male').length;
    expect(males / big.length).toBeGreaterThan(0.45);
    expect(males / big.length).toBeLessThan(0.55);
    const permits = big.filter((p) => /^8[12]0000/.test(p.idNumber)).length;
    expect(permits).toBeGreaterThan(60); // expected 100
    expect(permits).toBeLessThan(150);
    expect(big.filter((p) => p.idNumber.startsWith('370781')).length / big.length).toBeGreaterThan(0.4);
  });

  it('roughly respects the default list rates over 5000 people', () => {
    const share = (kind: string) =>
      big.filter((p) => p.lists.some((l) => l.kind === kind)).length / big.length;
    expect(Math.abs(share('red') - 0.05)).toBeLessThan(0.015);
    expect(Math.abs(share('black') - 0.03)).toBeLessThan(0.012);
    expect(Math.abs(share('key-attention') - 0.02)).toBeLessThan(0.01);
  });

  it('gives red-listed people mostly AA/AAA and black-listed people sometimes a domain', () => {
    const red = big.filter((p) => p.lists.some((l) => l.kind === 'red'));
    expect(red.filter((p) => p.tier === 'AA' || p.tier === 'AAA').length / red.length).toBeGreaterThan(0.8);
    const black = big.filter((p) => p.lists.some((l) => l.kind === 'black'));
    const withDomain = black.filter((p) => p.lists[0]!.domain !== undefined);
    expect(withDomain.length).toBeGreaterThan(0);
    expect(withDomain.length).toBeLessThan(black.length);
    for (const p of withDomain) expect(['tourism', 'medical', 'finance']).toContain(p.lists[0]!.domain);
    expect(black.filter((p) => p.tier === 'C' || p.tier === 'D').length / black.length).toBeGreaterThan(0.6);
  });

  it('honours custom rates and mix', () => {
    const people = generatePopulation(2000, 7, {
      mix: { AAA: 1 },
      redListRate: 0,
      blackListRate: 0.5,
      keyAttentionRate: 0,
    });
    const black = people.filter((p) => p.lists.length > 0);
    expect(people.every((p) => p.lists.every((l) => l.kind === 'black'))).toBe(true);
    expect(Math.abs(black.length / people.length - 0.5)).toBeLessThan(0.05);
    expect(people.filter((p) => p.lists.length === 0).every((p) => p.tier === 'AAA')).toBe(true);
    expect(
      generatePopulation(300, 7, { redListRate: 0, blackListRate: 0, keyAttentionRate: 0 }).every(
        (p) => p.lists.length === 0,
      ),
    ).toBe(true);
  });

  it('returns an empty population for count 0', () => {
    expect(generatePopulation(0, 1)).toEqual([]);
  });

  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 1_000_001, '10' as unknown as number])(
    'rejects count %s with INVALID_ARGUMENT',
    (count) => {
      expect(
        isXinyiError(
          errorOf(() => generatePopulation(count, 1)),
          'INVALID_ARGUMENT',
        ),
      ).toBe(true);
    },
  );

  it('rejects a non-finite seed', () => {
    expect(
      isXinyiError(
        errorOf(() => generatePopulation(1, Number.NaN)),
        'INVALID_ARGUMENT',
      ),
    ).toBe(true);
  });

  it.each([
    [{ redListRate: -0.1 }, 'redListRate'],
    [{ blackListRate: 2 }, 'blackListRate'],
    [{ keyAttentionRate: Number.NaN }, 'keyAttentionRate'],
    [{ redListRate: 0.6, blackListRate: 0.6 }, 'blackListRate'],
    [{ mix: { AAA: -1 } }, 'mix.AAA'],
    [{ mix: { Z: 1 } as never }, 'mix.Z'],
    [{ mix: {} }, 'mix'],
  ])('rejects options %j naming %s', (options, name) => {
    const error = errorOf(() => generatePopulation(10, 1, options));
    expect(isXinyiError(error, 'INVALID_OPTIONS')).toBe(true);
    expect((error as Error).message).toContain(name);
  });
});

describe('generateResidentIdNumber', () => {
  it('honours region, birth date and gender', () => {
    const rng = createRng('ids');
    for (let i = 0; i < 200; i++) {
      const gender = i % 2 === 0 ? 'male' : 'female';
      const id = generateResidentIdNumber(rng, { regionCode: '370781', birthDate: '2000-02-29', gender });
      expect(isValidResidentIdNumber(id)).toBe(true);
      expect(id.slice(0, 14)).toBe('37078120000229');
      expect(Number(id[16]) % 2).toBe(gender === 'male' ? 1 : 0);
    }
  });

  it('is deterministic for a seeded rng', () => {
    expect(generateResidentIdNumber(createRng(5))).toBe(generateResidentIdNumber(createRng(5)));
  });

  it.each([
    [{ regionCode: '990000' }, 'regionCode'],
    [{ regionCode: '37078' }, 'regionCode'],
    [{ birthDate: '1900-02-29' }, 'birthDate'],
    [{ birthDate: '1899-12-31' }, 'birthDate'],
    [{ birthDate: '20000101' }, 'birthDate'],
  ])('rejects %j naming %s', (options, name) => {
    const error = errorOf(() => generateResidentIdNumber(createRng(1), options));
    expect(isXinyiError(error, 'INVALID_ARGUMENT')).toBe(true);
    expect((error as Error).message).toContain(name);
  });
});

describe('createRng', () => {
  it('is deterministic, in range, and treats 7 and "7" alike', () => {
    const a = createRng(7);
    const b = createRng('7');
    for (let i = 0; i < 1000; i++) {
      const x = a.next();
      expect(x).toBe(b.next());
      expect(x >= 0 && x < 1).toBe(true);
    }
    const r = createRng('range');
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) seen.add(r.int(3, 5));
    expect([...seen].sort()).toEqual([3, 4, 5]);
  });
});

describe('generateOrganisations', () => {
  const organisations = generateOrganisations(3000, 'organisations');

  it('gives every organisation a valid, unique unified social credit code matching its kind', () => {
    const codes = new Set<string>();
    for (const o of organisations) {
      expect(explainSocialCreditCodeProblem(o.creditCode), o.id).toBeNull();
      expect(o.creditCode.slice(0, 2)).toBe(ORGANISATION_KIND_PREFIXES[o.kind]);
      expect(o.creditCode.slice(2, 6)).toBe('3707');
      codes.add(o.creditCode);
    }
    expect(codes.size).toBe(organisations.length);
    expect(organisations[0]!.id).toBe('o0001');
    expect(organisations.filter((o) => o.creditCode.slice(2, 8) === '370781').length).toBeGreaterThan(1200);
  });

  it('holds every kind of market subject, enterprises most', () => {
    const share = (kind: string) =>
      organisations.filter((o) => o.kind === kind).length / organisations.length;
    expect(share('enterprise')).toBeGreaterThan(0.6);
    for (const kind of ['individual-business', 'farmers-cooperative', 'private-non-enterprise']) {
      expect(share(kind)).toBeGreaterThan(0.02);
    }
  });

  it('draws tiers and lists as for people, within the options', () => {
    for (const o of organisations) expect(tierForScore(shandongTierScheme, o.score)).toBe(o.tier);
    const black = organisations.filter((o) => o.lists.some((l) => l.kind === 'black')).length;
    expect(black / organisations.length).toBeGreaterThan(0.015);
    expect(black / organisations.length).toBeLessThan(0.05);
    const trustworthy = generateOrganisations(50, 'organisations', {
      mix: { AA: 1 },
      blackListRate: 0,
      redListRate: 0,
      keyAttentionRate: 0,
    });
    expect(new Set(trustworthy.map((o) => o.tier))).toEqual(new Set(['AA']));
  });

  it('is deterministic per seed, a prefix for a shorter list, and apart from the people of the same seed', () => {
    expect(generateOrganisations(100, 'organisations')).toEqual(organisations.slice(0, 100));
    expect(generateOrganisations(5, 'other')[0]!.creditCode).not.toBe(organisations[0]!.creditCode);
    expect(generateOrganisations(0, 'x')).toEqual([]);
    expect(
      isXinyiError(
        errorOf(() => generateOrganisations(-1, 'x')),
        'INVALID_ARGUMENT',
      ),
    ).toBe(true);
    expect(
      isXinyiError(
        errorOf(() => generateOrganisations(1, 'x', { mix: { E: 1 } as never })),
        'INVALID_OPTIONS',
      ),
    ).toBe(true);
  });
});

describe('generateSocialCreditCode', () => {
  it('honours prefix and region, and refuses what cannot form a code', () => {
    const code = generateSocialCreditCode(createRng(1), { prefix: '52', regionCode: '370702' });
    expect(code.slice(0, 8)).toBe('52370702');
    expect(code.slice(8, 10)).toBe('MA');
    expect(explainSocialCreditCodeProblem(code)).toBeNull();
    expect(generateSocialCreditCode(createRng(1), { prefix: '52', regionCode: '370702' })).toBe(code);
    for (const bad of [
      { prefix: '9' },
      { prefix: 'Z1' },
      { regionCode: '37078' },
      { regionCode: '37O781' },
    ]) {
      expect(
        isXinyiError(
          errorOf(() => generateSocialCreditCode(createRng(1), bad)),
          'INVALID_ARGUMENT',
        ),
      ).toBe(true);
    }
  });
});
