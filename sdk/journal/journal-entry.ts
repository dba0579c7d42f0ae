import type { Decision } from '../domain/decision.js';
import { isSceneId } from '../domain/scenes.js';
import { XinyiError } from '../errors.js';
import { isValidResidentIdNumber } from '../identity/resident-id.js';
import { canonicalJson } from './journal-chain.js';
import type {
  DisclosureRecord,
  JournalDecisionEntry,
  JournalEventInput,
  UsageRecord,
} from './journal-store.js';

/**
 * How a store serialises records: `canonical` (RFC 8785, what the hash chain covers, so a chained
 * store keeps and hashes the same text and serialises once) or `plain` (`JSON.stringify`, for a store
 * that keeps no chain). Either parses back to the same value.
 */
export type RecordJson = 'canonical' | 'plain';

const serialise = (value: unknown, form: RecordJson): string =>
  form === 'canonical' ? canonicalJson(value) : JSON.stringify(value);

/** A decision entry checked and serialised once, so both stores keep exactly the same JSON. */
export interface PreparedDecision {
  decision: Decision;
  id: string;
  atMs: number;
  scene: string;
  outcome: string;
  pseudonym: string | null;
  terminalId: string;
  /** The decision as JSON, in the store's {@link RecordJson} form (canonical: what its chain link hashes). */
  decisionJson: string;
  disclosures: PreparedDisclosure[];
}

export interface PreparedDisclosure {
  record: DisclosureRecord;
  terminalId: string;
  id: string;
  decisionId: string;
  grantedAtMs: number;
  dueDate: string;
  /** The record as JSON, in the store's {@link RecordJson} form. */
  recordJson: string;
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
// 18 characters with a valid GB 11643 check digit: a resident ID number, whatever field it hides in.
const ID_NUMBER_CANDIDATE = /(?<![0-9])[1-9]\d{16}[\dXx](?![0-9A-Za-z])/g;

function invalid(message: string, field: string): XinyiError {
  return new XinyiError('INVALID_ARGUMENT', message, { details: { field } });
}

function nonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

/**
 * Masked forms (`3****************X`, `张*`, `欧阳**`) show at most two characters; more means the
 * caller passed the number or the name itself, which must never reach the journal.
 */
function assertMasked(value: unknown, field: string): void {
  if (value === undefined) return;
  if (typeof value !== 'string') throw invalid(`${field} must be a string`, field);
  let shown = 0;
  for (const ch of value) if (ch !== '*') shown++;
  if (shown > 2) throw invalid(`${field} is not a masked form (more than two characters shown)`, field);
}

/** Refuses any text holding a valid resident ID number: the journal keeps pseudonyms and masked forms only. */
export function assertNoIdNumber(text: string, field: string): void {
  for (const match of text.matchAll(ID_NUMBER_CANDIDATE)) {
    if (isValidResidentIdNumber(match[0])) {
      throw invalid(`${field} contains what looks like a resident ID number; the journal refuses it`, field);
    }
  }
}

function prepareDisclosure(
  record: DisclosureRecord,
  decisionId: string,
  index: number,
  form: RecordJson,
): PreparedDisclosure {
  const field = `disclosures[${index}]`;
  if (record === null || typeof record !== 'object') throw invalid(`${field} must be an object`, field);
  if (!nonEmptyString(record.id)) throw invalid(`${field}.id must be a non-empty string`, `${field}.id`);
  if (record.decisionId !== decisionId) {
    throw invalid(`${field}.decisionId must be the committed decision's id`, `${field}.decisionId`);
  }
  const grantedAtMs = Date.parse(record.grantedAt);
  if (!Number.isFinite(grantedAtMs)) {
    throw invalid(`${field}.grantedAt must be an ISO time`, `${field}.grantedAt`);
  }
  if (typeof record.dueDate !== 'string' || !ISO_DATE.test(record.dueDate)) {
    throw invalid(`${field}.dueDate must be a YYYY-MM-DD date`, `${field}.dueDate`);
  }
  assertMasked(record.maskedName, `${field}.maskedName`);
  const recordJson = serialise(record, form);
  assertNoIdNumber(recordJson, field);
  return {
    record,
    terminalId: String(record.terminalId),
    id: record.id,
    decisionId,
    grantedAtMs,
    dueDate: record.dueDate,
    recordJson,
  };
}

/** Checks a decision entry and serialises it. Throws `INVALID_ARGUMENT` naming the field. */
export function prepareDecision(entry: JournalDecisionEntry, form: RecordJson): PreparedDecision {
  if (entry === null || typeof entry !== 'object') throw invalid('entry must be an object', 'entry');
  const { decision, terminalId } = entry;
  if (decision === null || typeof decision !== 'object') {
    throw invalid('entry.decision must be an object', 'decision');
  }
  if (!nonEmptyString(decision.id)) throw invalid('decision.id must be a non-empty string', 'decision.id');
  if (!isSceneId(decision.scene)) throw invalid('decision.scene is not a known scene', 'decision.scene');
  const atMs = typeof decision.at === 'string' ? Date.parse(decision.at) : Number.NaN;
  if (!Number.isFinite(atMs)) throw invalid('decision.at must be an ISO time', 'decision.at');
  if (!nonEmptyString(terminalId)) throw invalid('terminalId must be a non-empty string', 'terminalId');
  assertMasked(entry.maskedName, 'maskedName');
  assertMasked(decision.subject?.masked, 'decision.subject.masked');
  const decisionJson = serialise(decision, form);
  assertNoIdNumber(decisionJson, 'decision');
  assertNoIdNumber(terminalId, 'terminalId');
  const disclosures = entry.disclosures ?? [];
  if (!Array.isArray(disclosures)) throw invalid('disclosures must be an array', 'disclosures');
  return {
    decision,
    id: decision.id,
    atMs,
    scene: decision.scene,
    outcome: String(decision.outcome),
    pseudonym: decision.subject?.pseudonym ?? null,
    terminalId,
    decisionJson,
    disclosures: disclosures.map((d, i) => prepareDisclosure(d, decision.id, i, form)),
  };
}

/**
 * Checks a use and prepares the 公示 records it carries (grants made on use), like a decision's.
 * Throws `INVALID_ARGUMENT` naming the field.
 */
export function prepareUse(use: UsageRecord, form: RecordJson): PreparedDisclosure[] {
  if (use === null || typeof use !== 'object') throw invalid('use must be an object', 'use');
  if (!nonEmptyString(use.decisionId))
    throw invalid('use.decisionId must be a non-empty string', 'decisionId');
  if (!nonEmptyString(use.pseudonym)) throw invalid('use.pseudonym must be a non-empty string', 'pseudonym');
  if (!isSceneId(use.scene)) throw invalid('use.scene is not a known scene', 'scene');
  if (!Array.isArray(use.ruleIds) || !use.ruleIds.every(nonEmptyString)) {
    throw invalid('use.ruleIds must be an array of non-empty strings', 'ruleIds');
  }
  if (typeof use.at !== 'number' || !Number.isFinite(use.at)) {
    throw invalid('use.at must be epoch milliseconds', 'at');
  }
  assertNoIdNumber(use.pseudonym, 'pseudonym');
  const disclosures = use.disclosures ?? [];
  if (!Array.isArray(disclosures)) throw invalid('use.disclosures must be an array', 'disclosures');
  return disclosures.map((d, i) => prepareDisclosure(d, use.decisionId, i, form));
}

/** Checks an event and returns its detail as JSON (null when absent). */
export function prepareEvent(event: JournalEventInput): string | null {
  if (event === null || typeof event !== 'object') throw invalid('event must be an object', 'event');
  if (!nonEmptyString(event.kind)) throw invalid('event.kind must be a non-empty string', 'kind');
  if (typeof event.at !== 'number' || !Number.isFinite(event.at)) {
    throw invalid('event.at must be epoch milliseconds', 'at');
  }
  if (event.decisionId !== undefined && !nonEmptyString(event.decisionId)) {
    throw invalid('event.decisionId must be a non-empty string', 'decisionId');
  }
  if (event.detail === undefined) return null;
  if (event.detail === null || typeof event.detail !== 'object' || Array.isArray(event.detail)) {
    throw invalid('event.detail must be an object', 'detail');
  }
  const json = JSON.stringify(event.detail);
  assertNoIdNumber(json, 'event.detail');
  return json;
}

export function validateLimit(limit: unknown, field: string): number {
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 0) {
    throw invalid(`${field} must be an integer >= 0`, field);
  }
  return limit;
}

export function validateTime(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw invalid(`${field} must be epoch milliseconds`, field);
  }
  return value;
}

export function validatePseudonym(pseudonym: unknown): string {
  if (!nonEmptyString(pseudonym)) throw invalid('pseudonym must be a non-empty string', 'pseudonym');
  return pseudonym;
}
