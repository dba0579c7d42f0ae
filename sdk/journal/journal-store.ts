import type { Decision } from '../domain/decision.js';
import type { SceneId } from '../domain/scenes.js';
import type { SubjectType } from '../domain/standing.js';
import type { UsageCounts } from '../policy/evaluate.js';
import type { ChainLink } from './journal-chain.js';

/**
 * The decision journal: every decision is committed here before the terminal acts on it, then
 * forwarded to the platform by the uploader. Records hold pseudonyms and masked forms only.
 *
 * Two implementations pass one contract suite: `createSqliteJournal` (better-sqlite3, WAL,
 * synchronous FULL) and `createMemoryJournal` (tests, demos). Every method is synchronous: a
 * commit has happened when the call returns, and a failure throws a typed `XinyiError`
 * (`JOURNAL_UNAVAILABLE`, `JOURNAL_FULL`).
 */
export interface JournalStore {
  /** `sqlite` or `memory`, for diagnostics. */
  readonly kind: string;
  /** Commits the decision, and its disclosure records, in one transaction. Committing the same decision id twice is a no-op. */
  commitDecision(entry: JournalDecisionEntry): void;
  /** The committed decision, or undefined. */
  getDecision(id: string): JournalDecisionRecord | undefined;
  /**
   * Counts a benefit as used (the gate saw the passage, the POS confirmed the sale). Idempotent per
   * (decisionId, ruleId): confirming twice counts once. Returns how many uses were newly counted.
   */
  recordUse(use: UsageRecord): number;
  /** Uses per rule id in the Asia/Shanghai day, month and year containing `now`, for the policy's caps. */
  usageCounts(pseudonym: string, now: number): UsageCounts;
  /** Appends a gate or device event (passage, timeout, alarm, anti-passback refusal). */
  appendEvent(event: JournalEventInput): void;
  /** Events, oldest first (diagnostics, tests); with `limit`, the latest `limit` of them, still oldest first. */
  events(options?: { limit?: number; kind?: string }): JournalEventRecord[];

  /** The oldest records not yet uploaded, in commit order. */
  pendingUploads(kind: UploadRecordKind, limit: number): OutboxItem[];
  /** Marks records delivered (the platform stored them, or already had them). Unknown ids are ignored. */
  markUploaded(kind: UploadRecordKind, ids: readonly string[], at: number): void;
  /**
   * Awaited by the uploader between batches of a drain: resolves at once, unless the store's own
   * housekeeping needs the writes to pause (the SQLite journal: its write-ahead log grew past its
   * bound, and a checkpoint copies it before more is written, so a long drain cannot grow the log
   * without end). Never rejects. Stores without such housekeeping leave it out.
   */
  readyForBulkWrites?(): Promise<void>;
  /**
   * Proves the journal takes a write now, without changing any record: throws as a commit would
   * (`JOURNAL_UNAVAILABLE`, `JOURNAL_FULL`) when it does not. The terminal calls it while its
   * `journal-unavailable` alarm is on, so the alarm ends when the journal is writable again, not at
   * the next decision. Stores that cannot fail leave it out or make it a no-op.
   */
  probeWrite?(): void;
  /** Records not yet uploaded, per kind, and the commit time of the oldest. */
  backlog(): Record<UploadRecordKind, { count: number; oldestAt: number | null }>;
  /** Disclosure records not yet uploaded whose due date (Asia/Shanghai) is before `now`'s date. */
  overdueDisclosures(now: number): DisclosureRecord[];

  /**
   * Deletes records older than their retention that have been uploaded (records never uploaded are
   * kept, however old). Returns the counts deleted per record type.
   */
  purge(now: number, retention: RetentionPolicy): Record<RetentionRecordType, number>;
  /** Counts per record type (diagnostics). */
  counts(): Record<RetentionRecordType, number>;
  close(): void;
}

export type UploadRecordKind = 'decisions' | 'disclosures';
export type RetentionRecordType = 'decisions' | 'disclosures' | 'events' | 'usage';
/** Days to keep each record type. @default decisions 180, disclosures 365, events 30, usage 400 */
export type RetentionPolicy = Partial<Record<RetentionRecordType, number>>;

export interface JournalDecisionEntry {
  decision: Decision;
  terminalId: string;
  /** Masked holder name for disclosure records (never the name itself). */
  maskedName?: string;
  /** Disclosure records to commit with the decision (built by `disclosureRecordsFor`). */
  disclosures?: DisclosureRecord[];
}

export interface JournalDecisionRecord {
  decision: Decision;
  terminalId: string;
  /** Commit order: strictly increasing. */
  seq: number;
  committedAt: number;
  uploadedAt: number | null;
}

export interface UsageRecord {
  decisionId: string;
  pseudonym: string;
  scene: SceneId;
  /** The rules whose benefits were used (the decision's benefits' ruleIds). */
  ruleIds: readonly string[];
  at: number;
  /**
   * 公示 records of grants made by this use (`on: 'use'`, e.g. credit granted at a bank counter),
   * committed in the same transaction as the use; a record whose id is already kept is skipped.
   */
  disclosures?: DisclosureRecord[];
}

export interface JournalEventInput {
  /** e.g. `passage`, `not-passed`, `pushed-back`, `gate-timeout`, `alarm`, `anti-passback`, `duplicate`, `device`. */
  kind: string;
  at: number;
  decisionId?: string;
  /** Non-personal facts (direction, alarm name, device name). */
  detail?: Readonly<Record<string, string | number | boolean>>;
}

export interface JournalEventRecord extends JournalEventInput {
  seq: number;
}

/**
 * 公示 record of a grant that must be published (信易批, 信易贷): masked name or code only. The
 * platform publishes an organisation's name and full code from its own register (the decision it
 * received names the organisation by pseudonym).
 */
export interface DisclosureRecord {
  /** Stable id, also its idempotency key: `${decisionId}:${ruleId}`. */
  id: string;
  decisionId: string;
  ruleId: string;
  terminalId: string;
  /** Whom the grant went to. Absent on records built before organisations: a person. */
  subjectType?: SubjectType;
  /**
   * A person's masked name (`张*`), or the masked document number when no name was read; an
   * organisation's masked credit code (`9****************X`).
   */
  maskedName: string;
  /** The programme (信易批, 信易贷, …). */
  scheme: string;
  /** The benefit granted, in words (`describeBenefit`). */
  benefit: string;
  /** When the grant happened: the decision's time, or the confirmed use's for a grant made on use (信易贷). */
  grantedAt: string;
  /** The public basis: the programme's title, document number and clause (`disclosure.legalBasis`). */
  legalBasis: string;
  /** Asia/Shanghai date (YYYY-MM-DD) by which it must be published: grant date + N working days. */
  dueDate: string;
  /**
   * How `dueDate` was counted: `holiday-calendar` (statutory holidays and 调休 make-up days taken into
   * account), or `weekdays-fallback` when some counted day lay outside the calendar's coverage and
   * was taken as a working day iff it is Monday–Friday. Absent on records built elsewhere.
   */
  dueDateBasis?: 'holiday-calendar' | 'weekdays-fallback';
}

export interface OutboxItem {
  /** The record id, also its idempotency key on the platform. */
  id: string;
  seq: number;
  committedAt: number;
  /**
   * The JSON body to upload (no raw personal data): a `DecisionUploadPayload` for `decisions`, the
   * `DisclosureRecord` itself for `disclosures`. The same record yields the same payload on every call.
   */
  payload: unknown;
  /** The record's link in its terminal's hash chain (docs/journal.md §12); absent on records never chained. */
  chain?: ChainLink;
}

/** What the outbox uploads for one decision. */
export interface DecisionUploadPayload {
  terminalId: string;
  decision: Decision;
}
