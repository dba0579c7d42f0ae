import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isXinyiError } from '../../../sdk/errors.js';
import {
  createPseudonymizer,
  explainSocialCreditCodeProblem,
  isValidSocialCreditCode,
  maskSocialCreditCode,
  normalizeSocialCreditCode,
  organisationCodeCheckChar,
  SOCIAL_CREDIT_CODE_CHARSET,
  socialCreditCodeCheckChar,
  subjectFromSocialCreditCode,
  subjectTypeOf,
} from '../../../sdk/identity/index.js';

// Synthetic codes. Each was computed by an independent implementation of the two standards (a
// Python script following GB 32100-2015 §5 and GB 11714-1997 §5 by hand), not by the code under
// test: registration authority/category 91, 92, 93, 52, 12, region 370781 (青州市), and organisation
// codes chosen to cover each kind of check character.
const VECTORS = [
  { code: '91370781MA3QY001XR', organisationCheck: 'X', check: 'R', what: 'an enterprise (91)' },
  { code: '92370781MA3QY0028N', organisationCheck: '8', check: 'N', what: 'an individual business (92)' },
  { code: '93370781MA3QY0036E', organisationCheck: '6', check: 'E', what: 'a farmers’ co-operative (93)' },
  {
    code: '52370781MJ0A000178',
    organisationCheck: '7',
    check: '8',
    what: 'a private non-enterprise unit (52)',
  },
  {
    code: '123707810041452318',
    organisationCheck: '1',
    check: '8',
    what: 'an all-digit public institution (12)',
  },
  { code: '91370781MA3R00007Y', organisationCheck: '7', check: 'Y', what: 'check character Y (value 30)' },
  {
    code: '91370781MA3R0004X7',
    organisationCheck: 'X',
    check: '7',
    what: 'organisation check X (11 − r = 10)',
  },
  {
    code: '91370781MA3R00090J',
    organisationCheck: '0',
    check: 'J',
    what: 'organisation check 0 (11 − r = 11)',
  },
  { code: '91370781MA3R003650', organisationCheck: '5', check: '0', what: 'check character 0 (31 − r = 31)' },
] as const;

describe('GB 32100-2015 and GB 11714-1997 check characters', () => {
  it('uses the 31 characters of the standard: no I, O, S, V or Z', () => {
    expect(SOCIAL_CREDIT_CODE_CHARSET).toBe('0123456789ABCDEFGHJKLMNPQRTUWXY');
    expect(SOCIAL_CREDIT_CODE_CHARSET).toHaveLength(31);
    for (const excluded of 'IOSVZ') expect(SOCIAL_CREDIT_CODE_CHARSET).not.toContain(excluded);
  });

  it.each(VECTORS)('$code: $what', ({ code, organisationCheck, check }) => {
    expect(organisationCodeCheckChar(code.slice(8, 16))).toBe(organisationCheck);
    expect(code[16]).toBe(organisationCheck);
    expect(socialCreditCodeCheckChar(code.slice(0, 17))).toBe(check);
    expect(isValidSocialCreditCode(code)).toBe(true);
    expect(explainSocialCreditCodeProblem(code)).toBeNull();
  });

  it('weights position i by 3^(i-1) mod 31: the check sum of a unit vector is its weight', () => {
    // A code of zeros with one '1' at position i has Σ = W_i, so its check value is 31 − W_i.
    const weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
    weights.forEach((w, i) => {
      const first17 = `${'0'.repeat(i)}1${'0'.repeat(16 - i)}`;
      expect(socialCreditCodeCheckChar(first17)).toBe(SOCIAL_CREDIT_CODE_CHARSET[(31 - w) % 31]);
    });
  });

  it('catches every single-character error and every adjacent transposition of each vector', () => {
    for (const { code } of VECTORS) {
      for (let i = 0; i < 18; i++) {
        for (const ch of `${SOCIAL_CREDIT_CODE_CHARSET}IOSVZ`) {
          if (ch === code[i]) continue;
          const changed = code.slice(0, i) + ch + code.slice(i + 1);
          expect(isValidSocialCreditCode(changed), `${i}:${ch}`).toBe(false);
        }
        if (i < 17 && code[i] !== code[i + 1]) {
          const swapped = code.slice(0, i) + code[i + 1] + code[i] + code.slice(i + 2);
          expect(isValidSocialCreditCode(swapped), `swap ${i}`).toBe(false);
        }
      }
    }
  });

  it('throws INVALID_ARGUMENT for inputs outside the character set, without echoing them', () => {
    for (const bad of ['91370781MA3QY001', '91370781MA3QY001XX', '9137078IMA3QY001X']) {
      let error: unknown;
      try {
        socialCreditCodeCheckChar(bad);
      } catch (e) {
        error = e;
      }
      expect(isXinyiError(error, 'INVALID_ARGUMENT')).toBe(true);
      expect((error as Error).message).not.toContain(bad);
    }
    expect(() => organisationCodeCheckChar('ma3qy001')).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});

describe('explainSocialCreditCodeProblem', () => {
  const code = VECTORS[0].code;
  it.each([
    ['length', code.slice(0, 17)],
    ['length', `${code}0`],
    ['length', ''],
    ['charset', `${code.slice(0, 9)}O${code.slice(10)}`],
    ['charset', `${code.slice(0, 9)}I${code.slice(10)}`],
    ['charset', `${code.slice(0, 8)}-${code.slice(9)}`],
    ['charset', `${code.slice(0, 8)} ${code.slice(9)}`],
    ['region', `91A70781${code.slice(8)}`],
    ['organisation-code-check', `${code.slice(0, 16)}0${code[17]}`],
    ['check-char', `${code.slice(0, 17)}A`],
  ])('%s: %s', (problem, text) => {
    expect(explainSocialCreditCodeProblem(text)).toBe(problem);
    expect(isValidSocialCreditCode(text)).toBe(false);
  });

  it('accepts surrounding whitespace, lower case and full-width characters typed through an input method', () => {
    const fullWidth = [...code].map((c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0)).join('');
    for (const typed of [` ${code}\t`, code.toLowerCase(), fullWidth]) {
      expect(explainSocialCreditCodeProblem(typed)).toBeNull();
      expect(normalizeSocialCreditCode(typed)).toBe(code);
    }
  });

  it('never throws for any input', () => {
    for (const value of [null, undefined, 42, {}, '\u0000'.repeat(18)]) {
      expect(isValidSocialCreditCode(value as unknown as string)).toBe(false);
    }
  });
});

describe('normalizeSocialCreditCode', () => {
  it('throws CREDENTIAL_INVALID naming the failed rule, never the code', () => {
    const bad = `${VECTORS[1].code.slice(0, 17)}A`;
    let error: unknown;
    try {
      normalizeSocialCreditCode(bad);
    } catch (e) {
      error = e;
    }
    expect(isXinyiError(error, 'CREDENTIAL_INVALID')).toBe(true);
    const e = error as Error & { details: Record<string, unknown> };
    expect(e.details).toEqual({ problem: 'check-char' });
    expect(e.message).toContain('check character');
    expect(`${e.message} ${JSON.stringify(e.details)}`).not.toContain(bad.slice(2, 17));
  });
});

describe('maskSocialCreditCode', () => {
  it('shows the first and last character only, as an ID number is shown', () => {
    expect(maskSocialCreditCode(VECTORS[0].code)).toBe('9****************R');
    expect(maskSocialCreditCode(` ${VECTORS[3].code.toLowerCase()} `)).toBe('5****************8');
  });
});

describe('organisation pseudonyms and subjects', () => {
  const key = 'social-credit-code-test-key-0123';
  const p = createPseudonymizer(key);

  it('pins the construction: HMAC-SHA-256(scope \\0 organisation-code \\0 canonical code), first 16 bytes', () => {
    const code = VECTORS[0].code;
    const expected = createHmac('sha256', key)
      .update(`xinyi-incentive-v1\u0000organisation-code\u0000${code}`)
      .digest()
      .subarray(0, 16)
      .toString('base64url');
    expect(p.pseudonymize(code, 'organisation-code')).toBe(expected);
    expect(p.pseudonymize(code.toLowerCase(), 'organisation-code')).toBe(expected);
    // Its own kind: the same characters as a member code give an unrelated pseudonym.
    expect(p.pseudonymize(code, 'member')).not.toBe(expected);
  });

  it('refuses an invalid code with CREDENTIAL_INVALID and its problem', () => {
    expect(() => p.pseudonymize(`${VECTORS[0].code.slice(0, 17)}A`, 'organisation-code')).toThrow(
      expect.objectContaining({ code: 'CREDENTIAL_INVALID', details: { problem: 'check-char' } }),
    );
  });

  it('a subject carries the pseudonym and the masked code, and is an organisation', () => {
    const subject = subjectFromSocialCreditCode(p, VECTORS[2].code.toLowerCase());
    expect(subject).toEqual({
      pseudonym: p.pseudonymize(VECTORS[2].code, 'organisation-code'),
      masked: '9****************E',
      kind: 'organisation-code',
    });
    expect(subjectTypeOf(subject)).toBe('organisation');
    expect(subjectTypeOf({ kind: 'id-number' })).toBe('person');
    expect(subjectTypeOf({ kind: 'credit-code-holder' })).toBe('person');
    expect(JSON.stringify(subject)).not.toContain(VECTORS[2].code.slice(2, 17));
  });
});
