export {
  describeOrganisationCredentialProblem,
  ORGANISATION_CREDENTIAL_MAX_CHARS,
  ORGANISATION_ENTRIES,
  type OrganisationCredentialProblem,
  readOrganisationCode,
} from './organisation-credential.js';
export type { Pseudonymizer, PseudonymizerOptions, PseudonymKind } from './pseudonymizer.js';
export { createPseudonymizer, DEFAULT_PSEUDONYM_SCOPE, MIN_PSEUDONYM_KEY_BYTES } from './pseudonymizer.js';
export type { IdNumberProblem } from './resident-id.js';
export {
  COMPOUND_SURNAMES,
  checkDigit,
  explainIdNumberProblem,
  isValidResidentIdNumber,
  maskIdNumber,
  maskName,
  normalizeIdNumber,
  RESIDENT_ID_REGION_PREFIXES,
} from './resident-id.js';
export {
  describeSocialCreditCodeProblem,
  explainSocialCreditCodeProblem,
  isValidSocialCreditCode,
  maskSocialCreditCode,
  normalizeSocialCreditCode,
  organisationCodeCheckChar,
  SOCIAL_CREDIT_CODE_CHARSET,
  type SocialCreditCodeProblem,
  socialCreditCodeCheckChar,
} from './social-credit-code.js';
export type { Subject } from './subject.js';
export {
  subjectFromDocumentNumber,
  subjectFromIdNumber,
  subjectFromMemberCode,
  subjectFromSocialCreditCode,
  subjectTypeOf,
} from './subject.js';
