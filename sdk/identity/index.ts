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
export type { Subject } from './subject.js';
export { subjectFromDocumentNumber, subjectFromIdNumber, subjectFromMemberCode } from './subject.js';
