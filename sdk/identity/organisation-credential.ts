import type { OrganisationCredential, OrganisationEntry } from '../domain/credential.js';
import {
  describeSocialCreditCodeProblem,
  explainSocialCreditCodeProblem,
  isValidSocialCreditCode,
  normalizeSocialCreditCode,
  type SocialCreditCodeProblem,
} from './social-credit-code.js';

/**
 * Why an organisation credential yields no code: a rule of the code itself
 * ({@link SocialCreditCodeProblem}), or one of the credential:
 * - `empty`: nothing was typed or scanned;
 * - `too-long`: more than 2,048 characters (`ORGANISATION_CREDENTIAL_MAX_CHARS`) (no licence QR is that long);
 * - `licence-qr-unrecognised`: neither a code nor a link to the 国家企业信用信息公示系统 (gsxt.gov.cn);
 * - `licence-qr-without-code`: a 公示系统 link that does not carry the code in clear (type the code in);
 * - `licence-qr-ambiguous`: a 公示系统 link carrying two different valid codes.
 */
export type OrganisationCredentialProblem =
  | SocialCreditCodeProblem
  | 'empty'
  | 'too-long'
  | 'licence-qr-unrecognised'
  | 'licence-qr-without-code'
  | 'licence-qr-ambiguous';

/** Longest text an organisation credential may hold: a QR code holds at most 4,296 characters, a licence's far fewer. */
export const ORGANISATION_CREDENTIAL_MAX_CHARS = 2048;

export const ORGANISATION_ENTRIES: readonly OrganisationEntry[] = ['typed', 'scanned', 'licence-qr'];

const CREDENTIAL_PROBLEM_TEXT: Readonly<
  Record<Exclude<OrganisationCredentialProblem, SocialCreditCodeProblem>, string>
> = {
  empty: 'nothing was typed or scanned',
  'too-long': 'the text is longer than any licence QR code',
  'licence-qr-unrecognised': 'the scanned text is neither a credit code nor a 国家企业信用信息公示系统 link',
  'licence-qr-without-code': 'the licence QR code does not carry the credit code in clear: type the code in',
  'licence-qr-ambiguous': 'the licence QR code carries two different credit codes',
};

/** A sentence naming why an organisation credential yields no code, for messages that never contain the text. */
export function describeOrganisationCredentialProblem(problem: OrganisationCredentialProblem): string {
  return problem in CREDENTIAL_PROBLEM_TEXT
    ? CREDENTIAL_PROBLEM_TEXT[problem as keyof typeof CREDENTIAL_PROBLEM_TEXT]
    : describeSocialCreditCodeProblem(problem as SocialCreditCodeProblem);
}

/** The 国家企业信用信息公示系统 and its provincial sites (bj.gsxt.gov.cn, sd.gsxt.gov.cn, …). */
function isDisclosureSystemHost(hostname: string): boolean {
  return hostname === 'gsxt.gov.cn' || hostname.endsWith('.gsxt.gov.cn');
}

function decoded(part: string): string | undefined {
  try {
    return decodeURIComponent(part);
  } catch {
    return undefined;
  }
}

/**
 * The code a business-licence QR payload carries. SAMR has published no format for the QR code on a
 * business licence (营业执照); the licence says only that scanning it opens the 国家企业信用信息公示系统.
 * So two payloads are recognised, both self-checking: the code itself, and an http(s) link to
 * gsxt.gov.cn or one of its subdomains whose query values or path segments hold exactly one valid code
 * (the GB 32100 and GB 11714 checks make a stray match one in 341). Anything else is refused with a
 * typed reason: a link that hides the code (an opaque or encrypted parameter) is
 * `licence-qr-without-code`, so staff know to type the code printed on the licence.
 */
function codeFromLicencePayload(text: string): { code: string } | { problem: OrganisationCredentialProblem } {
  if (!/^[a-z][a-z0-9+.-]*:/i.test(text)) {
    // A payload of 18 characters is a code read from the QR: its own check says whether it is whole.
    const problem = explainSocialCreditCodeProblem(text);
    if (problem === null) return { code: normalizeSocialCreditCode(text) };
    return { problem: problem === 'length' ? 'licence-qr-unrecognised' : problem };
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { problem: 'licence-qr-unrecognised' };
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || !isDisclosureSystemHost(url.hostname)) {
    return { problem: 'licence-qr-unrecognised' };
  }
  const candidates = new Set<string>();
  const consider = (value: string | undefined) => {
    if (value !== undefined && value.length <= 40 && isValidSocialCreditCode(value)) {
      candidates.add(normalizeSocialCreditCode(value));
    }
  };
  for (const value of url.searchParams.values()) consider(value);
  for (const segment of url.pathname.split('/')) consider(decoded(segment));
  if (candidates.size === 0) return { problem: 'licence-qr-without-code' };
  if (candidates.size > 1) return { problem: 'licence-qr-ambiguous' };
  return { code: [...candidates][0]! };
}

/**
 * The unified social credit code an organisation credential carries (canonical form), or why it
 * carries none. `typed` and `scanned` must be the code itself (full-width characters, surrounding
 * whitespace and lower case accepted); `licence-qr` may also be a 公示系统 link (see docs/organisations.md).
 * Never throws for any text; the result never echoes a rejected text.
 */
export function readOrganisationCode(
  credential: Pick<OrganisationCredential, 'entry' | 'text'>,
): { code: string } | { problem: OrganisationCredentialProblem } {
  const text = credential.text.trim();
  if (text === '') return { problem: 'empty' };
  if (text.length > ORGANISATION_CREDENTIAL_MAX_CHARS) return { problem: 'too-long' };
  if (credential.entry === 'licence-qr') return codeFromLicencePayload(text);
  const problem = explainSocialCreditCodeProblem(text);
  return problem === null ? { code: normalizeSocialCreditCode(text) } : { problem };
}
