import { describe, expect, it } from 'vitest';
import { isXinyiError } from '../../../sdk/errors.js';
import {
  checkDigit,
  explainIdNumberProblem,
  isValidResidentIdNumber,
  maskIdNumber,
  maskName,
  normalizeIdNumber,
} from '../../../sdk/identity/index.js';

const NOW = Date.UTC(2024, 5, 1, 4); // 2024-06-01 12:00 Asia/Shanghai

/** A valid number built with the implementation's own check digit (cross-checked by the pinned vectors below). */
function withCheck(first17: string): string {
  return first17 + checkDigit(first17);
}

describe('checkDigit', () => {
  // Hand-computed with weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2 and map '10X98765432':
  it.each([
    // 1·7+1·9+0·10+1·5+0·8+5·4+1·2+9·1+4·6+9·3+1·7+2·9+3·10+1·5+0+0+2·2 = 167; 167 mod 11 = 2 → 'X'
    // (the worked example printed in GB 11643-1999 itself)
    ['11010519491231002', 'X'],
    // 4·7+4·9+0+5·5+2·8+4·4+1·2+8·1+8·6+0+0+1·9+0+1·5+0+0+1·2 = 195; 195 mod 11 = 8 → '4' (GB 11643 example)
    ['44052418800101001', '4'],
    // synthetic 青州市 1985-07-15: 21+63+0+35+64+4+2+9+48+15+0+63+10+25+0+0+2 = 361; 361 mod 11 = 9 → '3'
    ['37078119850715001', '3'],
    // synthetic 青州市 2000-02-29: 21+63+0+35+64+4+4+0+0+0+0+18+20+45+0+0+4 = 278; 278 mod 11 = 3 → '9'
    ['37078120000229002', '9'],
    // synthetic HK permit 1990-01-01: 56+9+0+0+0+0+2+9+54+0+0+9+0+5+0+0+2 = 146; 146 mod 11 = 3 → '9'
    ['81000019900101001', '9'],
  ])('%s → %s', (first17, expected) => {
    expect(checkDigit(first17)).toBe(expected);
  });

  it('rejects anything but 17 digits without echoing the input', () => {
    for (const bad of ['3707811985071500', '370781198507150012', '3707811985071500a', '']) {
      expect(() => checkDigit(bad)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
      try {
        checkDigit(bad);
      } catch (error) {
        if (bad) expect((error as Error).message).not.toContain(bad);
      }
    }
  });
});

describe('isValidResidentIdNumber', () => {
  it.each([
    '11010519491231002X',
    '370781198507150013',
    '370781200002290029',
    '810000199001010019',
    '820000199001010029',
    '830000199001010039',
  ])('accepts %s', (id) => {
    expect(isValidResidentIdNumber(id, NOW)).toBe(true);
    expect(explainIdNumberProblem(id, NOW)).toBeNull();
  });

  it('accepts a lower-case x and surrounding whitespace', () => {
    expect(isValidResidentIdNumber('11010519491231002x', NOW)).toBe(true);
    expect(isValidResidentIdNumber(' 11010519491231002X\n', NOW)).toBe(true);
  });

  it('accepts numbers built with checkDigit across all region prefixes', () => {
    for (const prefix of [
      '11',
      '15',
      '21',
      '23',
      '31',
      '37',
      '41',
      '46',
      '50',
      '54',
      '61',
      '65',
      '81',
      '82',
      '83',
    ]) {
      expect(isValidResidentIdNumber(withCheck(`${prefix}0102199912310123`.slice(0, 17)), NOW)).toBe(true);
    }
  });

  it.each([
    ['37078119850715001', 'length'],
    ['3707811985071500133', 'length'],
    ['', 'length'],
    ['37078119850715001A', 'format'],
    ['3707811985071500X3', 'format'],
    ['37 781198507150013', 'format'],
    ['370781198507150012', 'check-digit'],
    ['11010519491231002Y', 'format'],
  ] as const)('rejects %s (%s)', (id, problem) => {
    expect(isValidResidentIdNumber(id, NOW)).toBe(false);
    expect(explainIdNumberProblem(id, NOW)).toBe(problem);
  });

  it('rejects a wrong check digit for every wrong character', () => {
    const first17 = '37078119850715001';
    for (const c of '0123456789X') {
      expect(isValidResidentIdNumber(first17 + c, NOW)).toBe(c === '3');
    }
  });

  it('rejects unknown region prefixes (99, 71, 00, 10, 16)', () => {
    for (const prefix of ['99', '71', '00', '10', '16', '24', '38', '47', '55', '66', '80', '84']) {
      const id = withCheck(`${prefix}078119850715001`);
      expect(explainIdNumberProblem(id, NOW)).toBe('region');
    }
  });

  it('checks Feb 29 against leap years', () => {
    expect(explainIdNumberProblem(withCheck('37078120000229002'), NOW)).toBeNull(); // 2000: divisible by 400
    expect(explainIdNumberProblem(withCheck('37078119000229001'), NOW)).toBe('birth-date'); // 1900: not leap
    expect(explainIdNumberProblem(withCheck('37078119960229001'), NOW)).toBeNull();
    expect(explainIdNumberProblem(withCheck('37078119970229001'), NOW)).toBe('birth-date');
  });

  it('rejects impossible dates and years before 1900', () => {
    for (const date of ['19851301', '19850001', '19850100', '19850431', '19850132', '18991231']) {
      expect(explainIdNumberProblem(withCheck(`370781${date}001`), NOW)).toBe('birth-date');
    }
    expect(explainIdNumberProblem(withCheck('37078119000101001'), NOW)).toBeNull();
    // The standard's own 1880 example has a correct check digit but is outside our year range.
    expect(explainIdNumberProblem('440524188001010014', NOW)).toBe('birth-date');
  });

  it('rejects a birth date after today in Asia/Shanghai', () => {
    expect(isValidResidentIdNumber(withCheck('37078120240601001'), NOW)).toBe(true);
    expect(explainIdNumberProblem(withCheck('37078120240602001'), NOW)).toBe('birth-date');
    // 2024-06-01 17:00 UTC is already 2024-06-02 in Shanghai.
    expect(isValidResidentIdNumber(withCheck('37078120240602001'), Date.UTC(2024, 5, 1, 17))).toBe(true);
    expect(isValidResidentIdNumber(withCheck('37078120240602001'), new Date(Date.UTC(2024, 5, 1, 17)))).toBe(
      true,
    );
  });

  it('uses the current time by default', () => {
    expect(isValidResidentIdNumber(withCheck('37078120990101001'))).toBe(false);
    expect(isValidResidentIdNumber('370781198507150013')).toBe(true);
  });

  it('returns false for non-strings instead of throwing', () => {
    expect(isValidResidentIdNumber(37078119850715 as unknown as string)).toBe(false);
    expect(isValidResidentIdNumber(undefined as unknown as string)).toBe(false);
  });
});

describe('normalizeIdNumber', () => {
  it('trims and upper-cases x', () => {
    expect(normalizeIdNumber(' 11010519491231002x ', NOW)).toBe('11010519491231002X');
  });

  it('throws ID_NUMBER_INVALID naming the problem, not the number', () => {
    const bad = '370781198507150012';
    let caught: unknown;
    try {
      normalizeIdNumber(bad, NOW);
    } catch (error) {
      caught = error;
    }
    expect(isXinyiError(caught, 'ID_NUMBER_INVALID')).toBe(true);
    const error = caught as Error & { details: Record<string, unknown> };
    expect(error.details.problem).toBe('check-digit');
    expect(error.message).not.toContain(bad);
    expect(error.message).not.toContain('370781');
    expect(error.message).not.toContain('19850715');
  });
});

describe('maskIdNumber', () => {
  it('keeps only the first and last character', () => {
    expect(maskIdNumber('11010519491231002X')).toBe('1****************X');
    expect(maskIdNumber('11010519491231002X')).toHaveLength(18);
    expect(maskIdNumber(' 370781198507150013 ')).toBe('3****************3');
  });

  it('works for short and odd lengths', () => {
    expect(maskIdNumber('AB')).toBe('AB');
    expect(maskIdNumber('ABC')).toBe('A*C');
    expect(maskIdNumber('A')).toBe('*');
    expect(maskIdNumber('')).toBe('');
    expect(maskIdNumber('USA370000000000')).toBe('U*************0');
  });
});

describe('maskName', () => {
  it.each([
    ['张三', '张*'],
    ['李小龙', '李**'],
    ['欧阳娜娜', '欧阳**'],
    ['诸葛亮', '诸葛*'],
    ['司马', '司*'], // a two-character name is surname 司 + given name 马
    ['王', '*'],
    [' 张 三 ', '张*'],
    ['Li Lei', 'L****'],
    ['John Smith', 'J********'],
    ['', ''],
  ])('%s → %s', (name, masked) => {
    expect(maskName(name)).toBe(masked);
  });
});

describe('now argument', () => {
  it('rejects an invalid now with INVALID_ARGUMENT', () => {
    expect(() => isValidResidentIdNumber('11010519491231002X', new Date(Number.NaN))).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});
