import { describe, expect, it } from 'vitest';
import {
  describeOrganisationCredentialProblem,
  ORGANISATION_CREDENTIAL_MAX_CHARS,
  readOrganisationCode,
} from '../../../sdk/identity/index.js';

// Synthetic codes with both check characters valid (see social-credit-code.test.ts for how they were made).
const CODE = '91370781MA3QY001XR';
const OTHER = '92370781MA3QY0028N';
const BAD_CHECK = `${CODE.slice(0, 17)}A`;

describe('readOrganisationCode: typed and scanned codes', () => {
  it.each(['typed', 'scanned'] as const)('%s: the code itself, canonical', (entry) => {
    expect(readOrganisationCode({ entry, text: CODE })).toEqual({ code: CODE });
    expect(readOrganisationCode({ entry, text: ` ${CODE.toLowerCase()}\r\n` })).toEqual({ code: CODE });
  });

  it.each([
    ['', 'empty'],
    ['   ', 'empty'],
    [CODE.slice(0, 17), 'length'],
    [BAD_CHECK, 'check-char'],
    [`${CODE.slice(0, 16)}0R`, 'organisation-code-check'],
    [`https://www.gsxt.gov.cn/?uniscid=${CODE}`, 'length'],
  ])('typed %j → %s', (text, problem) => {
    expect(readOrganisationCode({ entry: 'typed', text })).toEqual({ problem });
  });

  it('refuses a text longer than any licence QR code without looking into it', () => {
    const huge = `${CODE} `.repeat(200);
    expect(huge.length).toBeGreaterThan(ORGANISATION_CREDENTIAL_MAX_CHARS);
    expect(readOrganisationCode({ entry: 'licence-qr', text: huge })).toEqual({ problem: 'too-long' });
  });
});

describe('readOrganisationCode: business-licence QR payloads', () => {
  const licence = (text: string) => readOrganisationCode({ entry: 'licence-qr', text });

  it.each([
    ['the code itself', CODE],
    ['a 公示系统 link with the code as a query value', `http://www.gsxt.gov.cn/index.html?uniscid=${CODE}`],
    ['a provincial site over https', `https://sd.gsxt.gov.cn/corp?x=1&code=${CODE.toLowerCase()}&y=2`],
    ['the code as a path segment', `https://www.gsxt.gov.cn/corp/${CODE}/detail`],
    [
      'the code percent-encoded in the path',
      `https://gsxt.gov.cn/${encodeURIComponent(CODE).replace('9', '%39')}`,
    ],
    ['the same code twice', `https://www.gsxt.gov.cn/${CODE}?c=${CODE}`],
  ])('recognises %s', (_label, text) => {
    expect(licence(text)).toEqual({ code: CODE });
  });

  it.each([
    [
      'a link that hides the code (an opaque token)',
      'https://www.gsxt.gov.cn/%7B8F3A2C%7D?t=K9dQ2xV7',
      'licence-qr-without-code',
    ],
    [
      'a link whose code fails its check',
      `https://www.gsxt.gov.cn/?uniscid=${BAD_CHECK}`,
      'licence-qr-without-code',
    ],
    ['two different codes', `https://www.gsxt.gov.cn/${CODE}?other=${OTHER}`, 'licence-qr-ambiguous'],
    ['another site', `https://www.example.com/?uniscid=${CODE}`, 'licence-qr-unrecognised'],
    ['a look-alike host', `https://gsxt.gov.cn.example.com/?uniscid=${CODE}`, 'licence-qr-unrecognised'],
    ['a host ending in the name', `https://evilgsxt.gov.cn/?uniscid=${CODE}`, 'licence-qr-unrecognised'],
    ['another scheme', `ftp://www.gsxt.gov.cn/${CODE}`, 'licence-qr-unrecognised'],
    ['a signed credit code', 'QZ1:NCFOXN%BTU6DX0HS8$', 'licence-qr-unrecognised'],
    ['free text', '营业执照', 'licence-qr-unrecognised'],
    ['a malformed URL', 'https://[gsxt.gov.cn/', 'licence-qr-unrecognised'],
    ['an 18-character code with a bad check', BAD_CHECK, 'check-char'],
  ])('refuses %s with a typed reason', (_label, text, problem) => {
    expect(licence(text)).toEqual({ problem });
  });

  it('describes every problem in words, never with the text', () => {
    for (const problem of [
      'empty',
      'too-long',
      'licence-qr-unrecognised',
      'licence-qr-without-code',
      'licence-qr-ambiguous',
      'length',
      'charset',
      'region',
      'organisation-code-check',
      'check-char',
    ] as const) {
      expect(describeOrganisationCredentialProblem(problem)).toMatch(/\w{3}/);
    }
    expect(describeOrganisationCredentialProblem('licence-qr-without-code')).toContain('type the code in');
  });
});
