import type { SubjectType } from '../domain/standing.js';
import { XinyiError } from '../errors.js';
import type { Pseudonymizer, PseudonymKind } from './pseudonymizer.js';
import { maskIdNumber, maskName } from './resident-id.js';
import { maskSocialCreditCode, normalizeSocialCreditCode } from './social-credit-code.js';

/**
 * Who is in front of the terminal, in the only forms that may leave the identity step:
 * a keyed pseudonym and masked display text. Never carries a raw ID number or name.
 */
export interface Subject {
  /** Keyed pseudonym (see `Pseudonymizer.pseudonymize`); stable per key, scope and kind. */
  pseudonym: string;
  /** Masked document or card number: first and last character only. */
  masked: string;
  /** `credit-code-holder`: the pseudonym a signed credit code carries (the terminal never sees a number). */
  kind: PseudonymKind | 'credit-code-holder';
  /** Masked holder name (surname + `*` per remaining character), present only when a name was given. */
  maskedName?: string;
}

/** Whether a subject is a person or an organisation: an organisation is known by its credit code only. */
export function subjectTypeOf(subject: Pick<Subject, 'kind'>): SubjectType {
  return subject.kind === 'organisation-code' ? 'organisation' : 'person';
}

/**
 * The subject of an organisation's unified social credit code (GB 32100): pseudonym of kind
 * `organisation-code`, `masked` as `maskSocialCreditCode` (`9****************X`). Throws
 * `CREDENTIAL_INVALID` with `details.problem` (never the code) for an invalid code.
 */
export function subjectFromSocialCreditCode(pseudonymizer: Pseudonymizer, code: string): Subject {
  const normalized = normalizeSocialCreditCode(code);
  return {
    pseudonym: pseudonymizer.pseudonymize(normalized, 'organisation-code'),
    masked: maskSocialCreditCode(normalized),
    kind: 'organisation-code',
  };
}

/**
 * The subject of a resident ID number (or HK/Macao/Taiwan residence-permit number).
 * `masked` is `maskIdNumber` of the normalised number; `name`, when given, is kept only as
 * `maskedName`. Throws `ID_NUMBER_INVALID` (message without the number) for an invalid number.
 */
export function subjectFromIdNumber(pseudonymizer: Pseudonymizer, idNumber: string, name?: string): Subject {
  const pseudonym = pseudonymizer.pseudonymize(idNumber, 'id-number');
  // pseudonymize has validated the number, so this normalisation cannot fail.
  const subject: Subject = {
    pseudonym,
    masked: maskIdNumber(idNumber.trim().toUpperCase()),
    kind: 'id-number',
  };
  if (typeof name === 'string' && name.trim().length > 0) subject.maskedName = maskName(name);
  return subject;
}

/**
 * The subject of another identity document's number (a foreigner's permanent residence card, whose
 * number does not follow GB 11643): upper-cased, not checked. Throws `CREDENTIAL_INVALID` when empty.
 */
export function subjectFromDocumentNumber(
  pseudonymizer: Pseudonymizer,
  documentNumber: string,
  name?: string,
): Subject {
  if (typeof documentNumber !== 'string' || documentNumber.trim().length === 0) {
    throw new XinyiError('CREDENTIAL_INVALID', 'document number must be a non-empty string');
  }
  const normalized = documentNumber.trim().toUpperCase();
  const subject: Subject = {
    pseudonym: pseudonymizer.pseudonymize(normalized, 'document-number'),
    masked: maskIdNumber(normalized),
    kind: 'document-number',
  };
  if (typeof name === 'string' && name.trim().length > 0) subject.maskedName = maskName(name);
  return subject;
}

/**
 * The subject of a member, ticket or library-card number: `masked` keeps the first and last character.
 * Throws `CREDENTIAL_INVALID` for an empty or non-string code (the message never contains the code).
 */
export function subjectFromMemberCode(pseudonymizer: Pseudonymizer, code: string): Subject {
  if (typeof code !== 'string' || code.trim().length === 0) {
    throw new XinyiError('CREDENTIAL_INVALID', 'member code must be a non-empty string');
  }
  return {
    pseudonym: pseudonymizer.pseudonymize(code, 'member'),
    masked: maskIdNumber(code),
    kind: 'member',
  };
}
