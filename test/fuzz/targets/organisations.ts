// Organisation credentials: typed codes, scanned codes, business-licence QR payloads.
import fc from 'fast-check';
import type { OrganisationEntry } from '../../../sdk/domain/credential.js';
import { isValidSocialCreditCode, readOrganisationCode } from '../../../sdk/identity/index.js';
import { generateSocialCreditCode } from '../../../simulator/population.js';
import { createRng } from '../../../simulator/prng.js';
import { expectOneOf, type FuzzTarget, violation } from '../harness.js';

const ORGANISATION_PROBLEMS = [
  'length',
  'charset',
  'region',
  'organisation-code-check',
  'check-char',
  'empty',
  'too-long',
  'licence-qr-unrecognised',
  'licence-qr-without-code',
  'licence-qr-ambiguous',
] as const;

const validCreditCode = fc.integer({ min: 0, max: 2 ** 31 - 1 }).map((seed) =>
  generateSocialCreditCode(createRng(seed), {
    prefix: ['91', '92', '93', '52', '12'][seed % 5]!,
    regionCode: seed % 2 === 0 ? '370781' : '110105',
  }),
);
const creditCodeLike = fc.oneof(
  validCreditCode,
  // One or two characters replaced by anything (a misread or mistyped code).
  fc
    .tuple(validCreditCode, fc.integer({ min: 0, max: 17 }), fc.string({ minLength: 1, maxLength: 2 }))
    .map(([code, at, ch]) => code.slice(0, at) + ch + code.slice(at + 1)),
  validCreditCode.map((code) => code.toLowerCase()),
  validCreditCode.map((code) => [...code].map((c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0)).join('')),
);
const licencePayload = fc.oneof(
  creditCodeLike,
  fc
    .tuple(
      fc.constantFrom('http://', 'https://', 'HTTPS://', 'ftp://', ''),
      fc.constantFrom(
        'www.gsxt.gov.cn',
        'sd.gsxt.gov.cn',
        'gsxt.gov.cn',
        'gsxt.gov.cn.example.com',
        'example.com',
      ),
      fc.array(fc.oneof(creditCodeLike, fc.webSegment()), { maxLength: 3 }),
      fc.array(fc.tuple(fc.constantFrom('uniscid', 'code', 'x', ''), fc.oneof(creditCodeLike, fc.string())), {
        maxLength: 3,
      }),
    )
    .map(
      ([scheme, host, path, query]) =>
        `${scheme}${host}/${path.join('/')}${query.length > 0 ? `?${query.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')}` : ''}`,
    ),
  fc.string({ maxLength: 64 }),
  fc.string({ unit: 'binary', maxLength: 64 }),
  fc.string({ minLength: 2040, maxLength: 2100 }),
);

export const organisationCredential: FuzzTarget<
  { entry: OrganisationEntry; text: string },
  ReturnType<typeof readOrganisationCode>
> = {
  name: 'organisation-credential',
  input: 'typed and scanned credit codes (valid, misread, full-width) and business-licence QR payloads',
  arbitrary: fc.record({ entry: fc.constantFrom('typed', 'scanned', 'licence-qr'), text: licencePayload }),
  codes: [],
  run: (input) => readOrganisationCode(input),
  check: (output, input) => {
    if ('code' in output) {
      if (
        !isValidSocialCreditCode(output.code) ||
        output.code !== output.code.toUpperCase() ||
        output.code.length !== 18
      )
        violation('a code that is not canonical and valid');
      if (input.entry !== 'licence-qr' && output.code !== input.text.normalize('NFKC').trim().toUpperCase())
        violation('a typed or scanned code other than the text');
      return;
    }
    expectOneOf(output.problem, ORGANISATION_PROBLEMS, 'problem');
  },
  ciRuns: 3000,
};
