import Database from 'better-sqlite3';
// Decisions for the journal tests: evaluated by the real policy engine for synthetic people from the
// simulator's population generator. No record describes a real person.
import { chinaHolidayCalendar } from '../../../sdk/calendar/index.js';
import type { Clock } from '../../../sdk/clock.js';
import type { Decision } from '../../../sdk/domain/decision.js';
import type { SceneId } from '../../../sdk/domain/scenes.js';
import { createPseudonymizer } from '../../../sdk/identity/pseudonymizer.js';
import {
  type Subject,
  subjectFromIdNumber,
  subjectFromSocialCreditCode,
  subjectTypeOf,
} from '../../../sdk/identity/subject.js';
import { disclosureRecordsFor } from '../../../sdk/journal/disclosure.js';
import type { JournalDecisionEntry } from '../../../sdk/journal/journal-store.js';
import { evaluate } from '../../../sdk/policy/evaluate.js';
import type { PolicyPack } from '../../../sdk/policy/pack.js';
import { qingzhouPolicyPack } from '../../../sdk/policy/qingzhou-pack.js';
import {
  generateOrganisations,
  generatePopulation,
  type SyntheticOrganisation,
  type SyntheticPerson,
} from '../../../simulator/population.js';

export const TERMINAL_ID = 'bank-counter-test-01';

const TRUSTWORTHY = { mix: { AA: 1 }, redListRate: 0, blackListRate: 0, keyAttentionRate: 0 } as const;

/** Trustworthy synthetic people (AA, on no list), so their decisions are grants. */
export const people: readonly SyntheticPerson[] = generatePopulation(64, 'journal-tests', TRUSTWORTHY);
/** Trustworthy synthetic organisations, served at the bank counter and the service window. */
export const organisations: readonly SyntheticOrganisation[] = generateOrganisations(
  64,
  'journal-tests',
  TRUSTWORTHY,
);

const pseudonymizer = createPseudonymizer('journal-tests-key-not-a-secret');

export function subjectOf(who: SyntheticPerson | SyntheticOrganisation): Subject {
  return 'creditCode' in who
    ? subjectFromSocialCreditCode(pseudonymizer, who.creditCode)
    : subjectFromIdNumber(pseudonymizer, who.idNumber, who.name);
}

/**
 * The pack the journal tests decide with: the default pack, with 信易贷's grants disclosed at decision
 * time (as 信易批's are), so that each bank decision carries two 公示 records for the journal to keep.
 */
export const journalTestPack: PolicyPack = {
  ...qingzhouPolicyPack,
  version: `${qingzhouPolicyPack.version}+journal-tests`,
  rules: qingzhouPolicyPack.rules.map((r) =>
    r.disclosure?.on === 'use' ? { ...r, disclosure: { ...r.disclosure, on: 'decision' } } : r,
  ),
};

const ORGANISATION_SCENES: readonly SceneId[] = ['service-window', 'bank-counter', 'rental-desk'];

export interface DecisionSpec {
  /** Who is decided for in a person's scene. @default people[0] */
  person?: SyntheticPerson;
  /** Who is decided for at the bank counter, service window or rental desk. @default organisations[0] */
  organisation?: SyntheticOrganisation;
  scene?: SceneId;
  /** @default journalTestPack */
  pack?: PolicyPack;
  /** Epoch ms or ISO. @default 2026-11-26T10:00:00+08:00 */
  at?: number | string;
  id?: string;
  context?: Record<string, string | number>;
}

const DEFAULT_AT = '2026-11-26T10:00:00+08:00';

export function decisionFor(spec: DecisionSpec = {}): { decision: Decision; subject: Subject } {
  const scene = spec.scene ?? 'bank-counter';
  const who = ORGANISATION_SCENES.includes(scene)
    ? (spec.organisation ?? organisations[0]!)
    : (spec.person ?? people[0]!);
  const subject = subjectOf(who);
  const atMs = typeof spec.at === 'number' ? spec.at : Date.parse(spec.at ?? DEFAULT_AT);
  const decision = evaluate(spec.pack ?? journalTestPack, {
    scene,
    standing: {
      tier: who.tier,
      lists: who.lists,
      source: 'platform',
      asOf: new Date(atMs - 3_600_000).toISOString(),
    },
    now: atMs,
    subject: { pseudonym: subject.pseudonym, masked: subject.masked },
    subjectType: subjectTypeOf(subject),
    context: spec.context ?? (scene === 'scenic-gate' ? { siteId: 'yunmenshan' } : undefined),
    id: spec.id,
    credentialKind: 'id-card',
  });
  return { decision, subject };
}

/** A journal entry with its disclosure records, as the terminal builds it. */
export function entryFor(spec: DecisionSpec = {}): JournalDecisionEntry {
  const { decision, subject } = decisionFor(spec);
  const maskedName = subject.maskedName ?? subject.masked;
  return {
    decision,
    terminalId: TERMINAL_ID,
    maskedName,
    disclosures: disclosureRecordsFor({
      decision,
      terminalId: TERMINAL_ID,
      maskedName,
      pack: spec.pack ?? journalTestPack,
      calendar: chinaHolidayCalendar,
    }),
  };
}

export interface ManualClock extends Clock {
  set(ms: number | string): void;
  advance(ms: number): void;
}

export function manualClock(start: number | string = DEFAULT_AT): ManualClock {
  let t = typeof start === 'number' ? start : Date.parse(start);
  return {
    now: () => t,
    set: (ms) => {
      t = typeof ms === 'number' ? ms : Date.parse(ms);
    },
    advance: (ms) => {
      t += ms;
    },
  };
}

export const DAY_MS = 86_400_000;

/** Takes a journal back to schema 2 as the previous SDK left it: no chain columns, no use_records. */
export function downgradeToSchema2(path: string): void {
  const raw = new Database(path);
  raw.exec(`
    INSERT OR IGNORE INTO usage (decision_id, rule_id, pseudonym, scene, at)
      SELECT decision_id, rule_id, pseudonym, scene, at FROM use_records;
    DROP TABLE use_records; DROP TABLE journal_chain;
    ALTER TABLE decisions DROP COLUMN chain_seq; ALTER TABLE decisions DROP COLUMN chain_prev;
    ALTER TABLE decisions DROP COLUMN chain_hash; ALTER TABLE decisions DROP COLUMN chain_mac;
    ALTER TABLE disclosures DROP COLUMN terminal_id; ALTER TABLE disclosures DROP COLUMN chain_seq;
    ALTER TABLE disclosures DROP COLUMN chain_prev; ALTER TABLE disclosures DROP COLUMN chain_hash;
    ALTER TABLE disclosures DROP COLUMN chain_mac;
    DELETE FROM schema_version WHERE version > 2;
  `);
  raw.close();
}
