// Decisions for the journal tests: evaluated by the real policy engine for synthetic people from the
// simulator's population generator. No record describes a real person.
import { chinaHolidayCalendar } from '../../../sdk/calendar/index.js';
import type { Clock } from '../../../sdk/clock.js';
import type { Decision } from '../../../sdk/domain/decision.js';
import type { SceneId } from '../../../sdk/domain/scenes.js';
import { createPseudonymizer } from '../../../sdk/identity/pseudonymizer.js';
import { type Subject, subjectFromIdNumber } from '../../../sdk/identity/subject.js';
import { disclosureRecordsFor } from '../../../sdk/journal/disclosure.js';
import type { JournalDecisionEntry } from '../../../sdk/journal/journal-store.js';
import { evaluate } from '../../../sdk/policy/evaluate.js';
import { qingzhouPolicyPack } from '../../../sdk/policy/qingzhou-pack.js';
import { generatePopulation, type SyntheticPerson } from '../../../simulator/population.js';

export const TERMINAL_ID = 'bank-counter-test-01';

/** Trustworthy synthetic people (AA, on no list), so bank and service-window decisions are grants. */
export const people: readonly SyntheticPerson[] = generatePopulation(64, 'journal-tests', {
  mix: { AA: 1 },
  redListRate: 0,
  blackListRate: 0,
  keyAttentionRate: 0,
});

const pseudonymizer = createPseudonymizer('journal-tests-key-not-a-secret');

export function subjectOf(person: SyntheticPerson): Subject {
  return subjectFromIdNumber(pseudonymizer, person.idNumber, person.name);
}

export interface DecisionSpec {
  person?: SyntheticPerson;
  scene?: SceneId;
  /** Epoch ms or ISO. @default 2026-11-26T10:00:00+08:00 */
  at?: number | string;
  id?: string;
  context?: Record<string, string | number>;
}

const DEFAULT_AT = '2026-11-26T10:00:00+08:00';

export function decisionFor(spec: DecisionSpec = {}): { decision: Decision; subject: Subject } {
  const person = spec.person ?? people[0]!;
  const subject = subjectOf(person);
  const atMs = typeof spec.at === 'number' ? spec.at : Date.parse(spec.at ?? DEFAULT_AT);
  const scene = spec.scene ?? 'bank-counter';
  const decision = evaluate(qingzhouPolicyPack, {
    scene,
    standing: {
      tier: person.tier,
      lists: person.lists,
      source: 'platform',
      asOf: new Date(atMs - 3_600_000).toISOString(),
    },
    now: atMs,
    subject: { pseudonym: subject.pseudonym, masked: subject.masked },
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
      pack: qingzhouPolicyPack,
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
