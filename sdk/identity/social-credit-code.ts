import { XinyiError } from '../errors.js';
import { maskIdNumber } from './resident-id.js';

/**
 * Which rule a candidate unified social credit code (统一社会信用代码, GB 32100-2015) breaks, in the
 * order the rules are checked:
 * - `length`: not 18 characters;
 * - `charset`: a character outside the code's 31 characters (0–9, A–H, J–N, P–R, T–U, W–Y: no I, O,
 *   S, V or Z);
 * - `region`: positions 3–8 (登记管理机关行政区划码) are not six digits;
 * - `organisation-code-check`: positions 9–17, the organisation code (主体标识码, GB 11714-1997), fail
 *   their own check character;
 * - `check-char`: position 18 is not the code's check character.
 */
export type SocialCreditCodeProblem =
  | 'length'
  | 'charset'
  | 'region'
  | 'organisation-code-check'
  | 'check-char';

/** The 31 characters of GB 32100-2015 (§4.1), in the order of their values 0–30. */
export const SOCIAL_CREDIT_CODE_CHARSET = '0123456789ABCDEFGHJKLMNPQRTUWXY';

const CHAR_VALUE: ReadonlyMap<string, number> = new Map(
  Array.from(SOCIAL_CREDIT_CODE_CHARSET, (ch, value) => [ch, value] as const),
);
// GB 32100-2015 §5: W_i = 3^(i-1) mod 31 for positions 1..17; check value = 31 − (Σ C_i·W_i mod 31),
// 31 written as 0.
const CODE_WEIGHTS = Array.from({ length: 17 }, (_, i) => {
  let w = 1;
  for (let k = 0; k < i; k++) w = (w * 3) % 31;
  return w;
});
// GB 11714-1997 §5: weights 3, 7, 9, 10, 5, 8, 4, 2 over the eight body characters (digits 0–9,
// letters A–Z = 10–35); check = 11 − (Σ mod 11), 10 written X and 11 written 0.
const ORGANISATION_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2] as const;
const ORGANISATION_BODY = /^[0-9A-Z]{8}$/;

/**
 * The GB 32100-2015 check character of the first 17 characters of a unified social credit code.
 * Throws `INVALID_ARGUMENT` unless `first17` is 17 characters of {@link SOCIAL_CREDIT_CODE_CHARSET};
 * the message never echoes the input.
 */
export function socialCreditCodeCheckChar(first17: string): string {
  if (typeof first17 !== 'string' || first17.length !== 17) {
    throw new XinyiError('INVALID_ARGUMENT', 'socialCreditCodeCheckChar expects 17 code characters');
  }
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    const value = CHAR_VALUE.get(first17[i]!);
    if (value === undefined) {
      throw new XinyiError('INVALID_ARGUMENT', 'socialCreditCodeCheckChar expects 17 code characters');
    }
    sum += value * CODE_WEIGHTS[i]!;
  }
  return SOCIAL_CREDIT_CODE_CHARSET[(31 - (sum % 31)) % 31]!;
}

/**
 * The GB 11714-1997 check character ('0'–'9' or 'X') of an organisation code's eight body characters
 * (digits and upper-case letters). Throws `INVALID_ARGUMENT` for anything else, without echoing it.
 */
export function organisationCodeCheckChar(first8: string): string {
  if (typeof first8 !== 'string' || !ORGANISATION_BODY.test(first8)) {
    throw new XinyiError(
      'INVALID_ARGUMENT',
      'organisationCodeCheckChar expects 8 digits or upper-case letters',
    );
  }
  let sum = 0;
  for (let i = 0; i < 8; i++) {
    const c = first8.charCodeAt(i);
    sum += (c <= 57 ? c - 48 : c - 55) * ORGANISATION_WEIGHTS[i]!;
  }
  const check = 11 - (sum % 11);
  return check === 10 ? 'X' : check === 11 ? '0' : String(check);
}

/**
 * The form a code is checked in: NFKC (full-width digits and letters typed through a Chinese input
 * method become ASCII), trimmed, upper-cased. Nothing else is removed: a space inside is a `charset` problem.
 */
function canonical(code: string): string {
  return code.normalize('NFKC').trim().toUpperCase();
}

/**
 * Why `code` is not a valid unified social credit code (GB 32100-2015), or null when it is. Meant
 * for staff-facing messages: it names the broken rule ({@link SocialCreditCodeProblem}), never the
 * code. Full-width characters, surrounding whitespace and lower-case letters are accepted.
 */
export function explainSocialCreditCodeProblem(code: string): SocialCreditCodeProblem | null {
  if (typeof code !== 'string') return 'charset';
  const text = canonical(code);
  if (text.length !== 18) return 'length';
  for (const ch of text) if (!CHAR_VALUE.has(ch)) return 'charset';
  if (!/^\d{6}$/.test(text.slice(2, 8))) return 'region';
  // Within the code's character set an organisation code's body is digits and letters, so this cannot throw.
  if (organisationCodeCheckChar(text.slice(8, 16)) !== text[16]) return 'organisation-code-check';
  if (socialCreditCodeCheckChar(text.slice(0, 17)) !== text[17]) return 'check-char';
  return null;
}

/** True when `code` is a valid unified social credit code (see {@link explainSocialCreditCodeProblem}). Never throws. */
export function isValidSocialCreditCode(code: string): boolean {
  return explainSocialCreditCodeProblem(code) === null;
}

const PROBLEM_TEXT: Readonly<Record<SocialCreditCodeProblem, string>> = {
  length: 'it must have 18 characters',
  charset: 'it holds a character outside the 31 the code uses (0-9 and A-Y without I, O, S, V, Z)',
  region: 'its positions 3-8 must be a six-digit region code',
  'organisation-code-check': 'its organisation code (positions 9-17) fails the GB 11714 check',
  'check-char': 'its check character does not match',
};

/** A sentence naming the rule a code broke, for messages that must never contain the code itself. */
export function describeSocialCreditCodeProblem(problem: SocialCreditCodeProblem): string {
  return PROBLEM_TEXT[problem];
}

/**
 * The canonical form of a unified social credit code (NFKC, trimmed, upper-case). Throws
 * `CREDENTIAL_INVALID` when the code is not valid; `details.problem` names the broken rule and
 * neither the message nor the details contain the code.
 */
export function normalizeSocialCreditCode(code: string): string {
  const problem = explainSocialCreditCodeProblem(code);
  if (problem !== null) {
    throw new XinyiError(
      'CREDENTIAL_INVALID',
      `unified social credit code is invalid: ${PROBLEM_TEXT[problem]}`,
      {
        details: { problem },
      },
    );
  }
  return canonical(code);
}

/**
 * The display form of a unified social credit code: its first and last character, the sixteen
 * between as `*` (`9****************X`), as an ID number is shown. The code of an organisation is
 * public, but a terminal shows and keeps it like an ID number: nobody nearby reads it off the screen.
 */
export function maskSocialCreditCode(code: string): string {
  return maskIdNumber(canonical(String(code)));
}
