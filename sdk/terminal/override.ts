import { BENEFIT_KINDS, type Benefit } from '../domain/benefits.js';
import { XinyiError } from '../errors.js';
import { assertNoIdNumber } from '../journal/journal-entry.js';
import type { OverrideInput, OverrideRecord } from './terminal-contract.js';

/** Long enough for the grounds of a decision; a journal field, not a case file. */
const MAX_OVERRIDE_REASON_LENGTH = 500;
const MAX_STAFF_ID_LENGTH = 64;

function overrideError(message: string, field: string): XinyiError {
  return new XinyiError('INVALID_ARGUMENT', `recordOverride(): ${message}`, { details: { field } });
}

/** Checks what staff typed before anything is looked up or written; returns it trimmed and copied. */
export function validateOverride(
  decisionId: unknown,
  input: OverrideInput,
): Pick<OverrideRecord, 'staffId' | 'reason' | 'outcome' | 'benefits'> {
  if (typeof decisionId !== 'string' || decisionId.trim() === '') {
    throw overrideError('decisionId must be a non-empty string', 'decisionId');
  }
  if (input === null || typeof input !== 'object') throw overrideError('input must be an object', 'input');
  const { outcome } = input;
  if (outcome !== 'granted' && outcome !== 'denied') {
    throw overrideError("outcome must be 'granted' or 'denied'", 'outcome');
  }
  if (typeof input.staffId !== 'string' || input.staffId.trim() === '') {
    throw overrideError('staffId must be a non-empty string', 'staffId');
  }
  const staffId = input.staffId.trim();
  if (staffId.length > MAX_STAFF_ID_LENGTH) {
    throw overrideError(`staffId must be at most ${MAX_STAFF_ID_LENGTH} characters`, 'staffId');
  }
  if (typeof input.reason !== 'string' || input.reason.trim() === '') {
    throw overrideError('a reason is required: say why the decision was reviewed this way', 'reason');
  }
  const reason = input.reason.trim();
  if (reason.length > MAX_OVERRIDE_REASON_LENGTH) {
    throw overrideError(`reason must be at most ${MAX_OVERRIDE_REASON_LENGTH} characters`, 'reason');
  }
  assertNoIdNumber(staffId, 'staffId');
  assertNoIdNumber(reason, 'reason');
  const given = input.benefits ?? [];
  if (!Array.isArray(given)) throw overrideError('benefits must be an array', 'benefits');
  if (outcome === 'denied' && given.length > 0) {
    throw overrideError("benefits can only be given with outcome 'granted'", 'benefits');
  }
  const benefits = given.map((benefit, i): Benefit => {
    if (benefit === null || typeof benefit !== 'object' || !BENEFIT_KINDS.includes(benefit.kind)) {
      throw overrideError(`benefits[${i}] must be a benefit with a known kind`, `benefits[${i}]`);
    }
    return { ...benefit };
  });
  if (benefits.length > 0) assertNoIdNumber(JSON.stringify(benefits), 'benefits');
  return { staffId, reason, outcome, benefits };
}
