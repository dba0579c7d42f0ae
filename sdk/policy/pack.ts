import type { Benefit } from '../domain/benefits.js';
import type { CredentialKind } from '../domain/credential.js';
import type { CreditCodeFlagName, CreditEntitlementName } from '../domain/entitlements.js';
import type { SceneId } from '../domain/scenes.js';
import type { ListKind, StandingSource, SubjectType } from '../domain/standing.js';
import type { TierCode, TierScheme } from '../domain/tiers.js';

/**
 * A policy pack: the whole incentive policy of a scheme as JSON-serialisable data.
 * Load untrusted packs with `loadPolicyPack()`, which validates them and names the bad field.
 */
export interface PolicyPack {
  format: 'xinyi-policy-pack/1';
  packId: string;
  /** Written into every decision, so a decision can be explained and replayed. */
  version: string;
  name: string;
  /** First and last day (YYYY-MM-DD, Asia/Shanghai) the pack applies; open when absent. */
  validFrom?: string;
  validTo?: string;
  tierScheme: TierScheme;
  /** 守信 (trustworthy): at least this tier and on no blocking list. */
  trustworthyMinTier: TierCode;
  /** A red-listed subject counts as at least this tier; null: the red list raises nothing. */
  redListFloorTier: TierCode | null;
  /** `manual-review`: a subject on the key-attention list gets no automatic incentive (staff decide). */
  keyAttention: 'manual-review' | 'ignore';
  /**
   * Lists that block every incentive. A listing with a domain blocks only scenes of that domain
   * (see `sceneDomains`); a listing without a domain blocks everywhere.
   */
  blockingListKinds: ListKind[];
  sceneDomains: Partial<Record<SceneId, string>>;
  /**
   * Names of the holiday periods that count as "major holidays" (重大节假日) for `excludeHolidays: 'major'`:
   * statutory holiday names as the calendar gives them (元旦, 春节, 清明节, 劳动节, 端午节, 中秋节, 国庆节).
   * Every day of each named off period counts, provisional periods included.
   */
  majorHolidays: string[];
  /**
   * Where the pack-level settings come from, as rules have `basis`: the programme, or a choice the
   * programme does not make (marked 待确认). Internal: never published (disclosure records cite
   * `disclosure.legalBasis`).
   */
  basis?: Partial<Record<PackSetting, string>>;
  /**
   * Who and where each scene's programme applies to at all, checked before anything about the
   * subject's credit: a condition on `context` and `subjectType` only. When it fails the decision is
   * `denied` with its reason (e.g. `SITE_NOT_COVERED`, `SUBJECT_TYPE_NOT_COVERED`) and a neutral text
   * that says the venue or the counter is not in the programme — the same for every subject, so it
   * reveals nothing about anyone's credit. A scene without an entry is covered everywhere, for everyone.
   */
  coverage?: Partial<Record<SceneId, Condition>>;
  /**
   * Other names of site ids (`'云门山' → 'yunmenshan'`): a terminal configured with an alias decides
   * as with the id. Applied to `context.siteId` (trimmed) before any condition.
   */
  siteAliases?: Record<string, string>;
  /** A standing older than this (hours since its `asOf`) is not used for incentives. */
  standingMaxAgeHours: Record<Exclude<StandingSource, 'none'>, number>;
  stackGroups: Record<string, StackGroup>;
  /**
   * A condition the subject must meet in a scene before any of its rules is considered; when it
   * fails the decision is `denied` with the condition's reason. The Qingzhou pack uses it to require
   * each scene's 信易+ programme bit and `INCENTIVE_ELIGIBLE` from a credit code
   * (docs/policy-packs.md, "Entitlements").
   */
  sceneRequirements?: Partial<Record<SceneId, Condition>>;
  rules: PolicyRule[];
  /** Chinese display labels for item codes, site ids and other codes used in rules. */
  labels: Record<string, string>;
}

/**
 * How the benefits of rules that share a `stackGroup` combine.
 * - `exclusive`: only the first matching rule by priority (then id).
 * - `max`: the largest benefit (a lower pay ratio counts as larger).
 * - `additive`: numeric amounts add up (books, days, minutes, fen).
 * - `multiplicative`: discounts multiply (9折 × 8折 = 72折).
 */
export interface StackGroup {
  mode: 'exclusive' | 'max' | 'additive' | 'multiplicative';
  /** Upper bound on the combined amount (books, days, minutes, fen, factor bp). */
  maxValue?: number;
  /** Lower bound on a combined pay ratio (the deepest discount allowed). */
  minPayBp?: number;
}

export interface PolicyRule {
  /** Stable id, written into decisions (`scenic.free-entry`). */
  id: string;
  scene: SceneId;
  /** What the rule does, in Chinese, for staff and audit. */
  description: string;
  when: Condition;
  benefit: Benefit;
  /**
   * Higher first; ties are broken by id, so the order of rules in the file never matters. It is also
   * the order of the benefits in a decision and its citizen text: give the most important benefit the
   * highest priority.
   */
  priority?: number;
  /** Rules in one group combine by the group's mode; a rule without a group stands alone. */
  stackGroup?: string;
  calendar?: CalendarConstraint;
  cap?: {
    perSubject?: {
      count: number;
      period: 'day' | 'month' | 'year';
      /**
       * Where the count is kept: this lane alone, every lane of the site, or every site sharing the
       * site store (docs/gates.md §7). @default 'site'
       */
      scope?: 'lane' | 'site' | 'city';
    };
  };
  /** The grant must be published (公示): when, within how many working days, on what public basis. */
  disclosure?: DisclosureRule;
  validFrom?: string;
  validTo?: string;
  /**
   * Where the rule's numbers come from: the programme document, or a default awaiting confirmation
   * (待确认). Internal, for staff and audit: never published.
   */
  basis: string;
  /**
   * The kinds of credential that may unlock this rule: the rule is applied only when the subject was
   * identified by one of them (the terminal passes the kind to `evaluate` as `credentialKind`); another
   * kind is `CREDENTIAL_KIND_NOT_ACCEPTED`, an evaluation that names no kind `CREDENTIAL_KIND_MISSING`.
   * Absent: any credential, named or not. A bare member-code barcode is shown by
   * whoever holds the card or a photo of it, so a pack keeps valuable benefits (free entry, deposit
   * waivers) to `['id-card', 'credit-code']`.
   */
  credentialKinds?: CredentialKind[];
}

/** Pack-level settings that carry a `basis` note. */
export type PackSetting =
  | 'tierScheme'
  | 'trustworthyMinTier'
  | 'redListFloorTier'
  | 'keyAttention'
  | 'blockingListKinds'
  | 'majorHolidays'
  | 'standingMaxAgeHours'
  | 'coverage'
  | 'siteAliases';

/** What a rule's 公示 (public disclosure) requires. */
export interface DisclosureRule {
  /** The record must be published within this many working days of the grant. */
  deadlineWorkingDays: number;
  /**
   * The public basis the published record cites: the programme's title and document number and the
   * clause (`《青州市“信易+”实施方案》（青办发〔2018〕52号）“信易批”`). Never an internal file or a
   * 待确认 note: `loadPolicyPack` refuses those.
   */
  legalBasis: string;
  /**
   * When the grant happens: `decision` — the decision grants it (a green channel at a service
   * window), the record is committed with the decision; `use` — only when the host confirms it was
   * given (`terminal.confirmUse()`: the bank granted the credit), the record is committed then, with
   * the confirmation's time as the grant time. @default 'decision'
   */
  on?: 'decision' | 'use';
  /**
   * Which grants are disclosed (the programme names 市场主体 and 重大建设项目 for 信易批): evaluated
   * like `when`; a grant for which it fails is not disclosed. @default every grant
   */
  when?: Condition;
}

export interface CalendarConstraint {
  /** Holiday period names whose whole off period is excluded; `'major'` means the pack's `majorHolidays`. */
  excludeHolidays?: 'major' | string[];
  excludeWeekends?: boolean;
  /** What to do on a day the calendar does not cover. `exclude` fails safe (no automatic benefit). */
  onUnknownDay: 'exclude' | 'allow';
  /**
   * What a provisional day means (a day of a year without an official arrangement, computed from the
   * statutory rules: `DayInfo.provisional`).
   * - `as-computed`: the day counts as computed: a provisional holiday the rule excludes is excluded,
   *   any other day passes the calendar check.
   * - `exclude`: no automatic benefit on any provisional day (`CALENDAR_PROVISIONAL`).
   * - `as-unknown`: as a day the calendar does not cover: `onUnknownDay` decides (`exclude` gives
   *   `CALENDAR_PROVISIONAL`).
   * @default 'as-unknown' (a pack written before provisional years behaves as it did)
   */
  onProvisionalDay?: 'as-computed' | 'exclude' | 'as-unknown';
}

/** A closed condition grammar: no code in packs. */
export type Condition =
  | { all: Condition[]; reason?: string }
  | { any: Condition[]; reason?: string }
  | { not: Condition; reason?: string }
  | { fact: 'tier'; op: 'gte' | 'lte' | 'eq' | 'ne'; value: TierCode; reason?: string }
  | { fact: 'tier'; op: 'in' | 'notIn'; value: TierCode[]; reason?: string }
  | { fact: 'trustworthy'; op: 'eq'; value: boolean; reason?: string }
  | { fact: 'list'; op: 'contains' | 'notContains'; value: ListKind; reason?: string }
  | { fact: 'context'; path: string; op: 'exists' | 'notExists'; reason?: string }
  | {
      fact: 'context';
      path: string;
      op: 'eq' | 'ne' | 'gt' | 'gte' | 'lt' | 'lte';
      value: string | number | boolean;
      reason?: string;
    }
  | { fact: 'context'; path: string; op: 'in' | 'notIn'; value: (string | number)[]; reason?: string }
  /**
   * A credit code's entitlement bit (`has`) or flag (`set`). Only a standing from a credit code
   * carries them: for it the condition holds when the signed bit is set (a code standing without
   * `codeClaims` fails it); for a standing from the platform or the snapshot it holds, since their
   * lists speak for them. Default reason `ENTITLEMENT_MISSING`.
   */
  | { fact: 'entitlement'; op: 'has'; value: CreditEntitlementName; reason?: string }
  | { fact: 'codeFlag'; op: 'set'; value: CreditCodeFlagName; reason?: string }
  /** Whether the subject is a person or an organisation (default reason `SUBJECT_TYPE_NOT_COVERED`). */
  | { fact: 'subjectType'; op: 'eq' | 'ne'; value: SubjectType; reason?: string };

export type ConditionOp = Extract<Condition, { op: string }>['op'];
