import type { GrantedBenefit } from './benefits.js';
import type { SceneId } from './scenes.js';
import type { StandingSource, SubjectType } from './standing.js';
import type { TierCode } from './tiers.js';

export type DecisionOutcome = 'granted' | 'denied' | 'unavailable';

export interface DecisionReason {
  /** A stable reason code, e.g. `TIER_TOO_LOW`, `LIST_BLOCK`, `HOLIDAY_EXCLUDED` (see `ReasonCode`). */
  code: string;
  ruleId?: string;
}

/** One 公示 obligation of a decision (see `Decision.disclosures`). */
export interface DecisionDisclosure {
  ruleId: string;
  deadlineWorkingDays: number;
  on: 'decision' | 'use';
  legalBasis: string;
}

export interface Decision {
  id: string;
  scene: SceneId;
  /** ISO time of the decision. */
  at: string;
  /** granted: at least one benefit. */
  outcome: DecisionOutcome;
  benefits: GrantedBenefit[];
  reasons: DecisionReason[];
  /** Citizen text is neutral: it names no list. Staff text carries reason codes and rule ids. */
  explanation: { citizen: string; staff: string };
  subject?: { pseudonym: string; masked: string };
  policyVersion: string;
  calendarVersion: string;
  /**
   * True when a rule's calendar check read a provisional day (a year without an official
   * arrangement, computed from the statutory rules); `evaluate` always sets it.
   */
  calendarProvisional?: boolean;
  standingSource: StandingSource;
  /** The tier the rules used: the standing's tier raised by the red-list floor; null when unknown. */
  effectiveTier: TierCode | null;
  /** ISO time the standing was computed by its source. */
  standingAsOf: string;
  /** How old the standing was at the decision, in milliseconds; null when it has no usable time. */
  standingAgeMs: number | null;
  /** Whom the decision is about: a person, or an organisation (a market subject known by its credit code). */
  subjectType: SubjectType;
  /**
   * Rules whose benefit needs public disclosure (公示): the working days allowed, when the grant
   * happens — `decision` (the record is committed with the decision) or `use` (only once
   * `terminal.confirmUse()` confirms the benefit was given, e.g. the credit was granted) — and the
   * public basis the record cites (the rule's `disclosure.legalBasis`).
   */
  disclosures: DecisionDisclosure[];
  /** Milliseconds from `present()` to the decision; set by the terminal, absent from a bare `evaluate()`. */
  latencyMs?: number;
  /**
   * True when the lane could not reach the site store (the state shared by the site's lanes) within its
   * budget for this decision, and decided from its own local state under `onSiteStateDown`; set by the
   * terminal, absent otherwise. Such a decision's caps were checked against this lane's uses only
   * (`local`) or its capped benefits denied (`deny-capped`).
   */
  siteStateDegraded?: true;
  /**
   * Answers a credit source gave for this decision and the terminal refused as not authentic or too
   * large (`PLATFORM_RESPONSE_INVALID`, `PLATFORM_RESPONSE_TOO_LARGE`): a forged, replayed or
   * stripped platform answer, before the next source decided. Set by the terminal, kept in the
   * journal with the decision and uploaded with it; absent when there was none.
   */
  refusedAnswers?: { source: string; code: string; reason?: string }[];
}
