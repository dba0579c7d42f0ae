// The terminal's public contract: its options, events, the shapes it returns and the `Terminal`
// interface. The implementation is terminal.ts; the credit chain is credit-chain.ts.
import type { EventEmitter } from 'node:events';
import type { AbortOptions } from '../abort.js';
import type { CalendarCoverage, HolidayCalendar } from '../calendar/index.js';
import type { Clock } from '../clock.js';
import type { Benefit } from '../domain/benefits.js';
import type { Credential } from '../domain/credential.js';
import type { Decision, DecisionOutcome } from '../domain/decision.js';
import type { SceneId } from '../domain/scenes.js';
import type { XinyiError } from '../errors.js';
import type { Pseudonymizer, Subject } from '../identity/index.js';
import type { JournalStore } from '../journal/journal-store.js';
import type { Uploader } from '../journal/uploader.js';
import type { Logger } from '../logger.js';
import type { DecisionContext, UsageCounts } from '../policy/evaluate.js';
import type { PolicyPack } from '../policy/pack.js';
import type { OnSiteStateDown, SiteLink, SiteLinkStatus } from '../site/site-link.js';
import type { SiteState } from '../site/site-state.js';
import type { CredentialSource } from './credential-source.js';
import type { CreditResolver } from './credit-resolver.js';

export interface TerminalOptions {
  /** Identifies this terminal in lookups, decisions and uploads. */
  terminalId: string;
  /** The scene this terminal serves. */
  scene: SceneId;
  /**
   * The key for keyed pseudonyms (at least 16 bytes), or a ready pseudonymizer.
   * Raw ID numbers are pseudonymised with it and then dropped.
   */
  pseudonymKey?: string | Uint8Array;
  pseudonymizer?: Pseudonymizer;
  /** Credit sources, asked in order; the first standing returned is used. @default [] (every decision `unavailable`) */
  credit?: CreditResolver[];
  /**
   * The pack, or a function that gives the pack in force at an instant (a `DocumentKeeper`'s
   * `policyAt`, so a staged pack takes effect without a restart). @default qingzhouPolicyPack
   */
  policy?: PolicyPack | ((nowMs: number) => PolicyPack);
  /**
   * The calendar, or a function that gives the current one (a `DocumentKeeper`'s `calendar`).
   * @default defaultHolidayCalendar (bundled official years, provisional years around them)
   */
  calendar?: HolidayCalendar | (() => HolidayCalendar);
  /** Context merged under every `present()` call's own context, e.g. `{ siteId: 'yunmenshan' }`. */
  context?: DecisionContext;
  /**
   * Time allowed for finding the standing. After it the decision is made from what is known
   * (normal service) and never waits for a slow source. @default 800
   */
  decisionDeadlineMs?: number;
  /**
   * Where every decision is committed before `present()` returns it (so before the gate opens or the
   * POS applies it), with its disclosure records; also the usage counters the policy's caps read.
   * Absent: decisions are not kept and `confirmUse()` counts nothing.
   */
  journal?: JournalStore;
  /**
   * While the `journal-unavailable` alarm is on, how often the terminal asks the journal for a write
   * that changes no record (`JournalStore.probeWrite`); the first that succeeds ends the alarm, so a
   * quiet terminal does not keep it after the disk was freed or the lock released. A journal without
   * `probeWrite` ends the alarm at the next good write only. @default 5000
   */
  journalProbeIntervalMs?: number;
  /**
   * The journal's uploader: its state shows in the terminal's `uploader` event and in
   * `diagnostics().uploader` (it is not a credit source: never in `offlineSources()`), and a growing
   * backlog raises the `upload-backlog` alarm. The terminal only listens: it never waits for the uploader.
   */
  uploader?: Pick<Uploader, 'on' | 'off' | 'state'>;
  /**
   * Per-subject usage counts for caps, replacing the site state's committed counts (its pending
   * openings still count). @default the site state's counts (the journal's, for the in-process default)
   */
  usage?: (subject: Subject, scene: SceneId) => UsageCounts | undefined;
  /**
   * The state this lane shares with the other lanes of its site: per-subject caps with pending openings
   * (check-and-reserve), credit-code presentations already seen, anti-passback presence
   * (`openSqliteSiteState` for several daemons on one host, `openRedisSiteState` for several hosts).
   * The terminal closes it on `close()`.
   * @default an in-process store over `journal` (this lane only); none without a journal
   */
  siteState?: SiteState;
  /** Each site-store call's own budget, after which the lane decides from local state. @default 50 */
  siteStateBudgetMs?: number;
  /** What the lane does while the site store cannot be reached (see `OnSiteStateDown`). @default 'local' */
  onSiteStateDown?: OnSiteStateDown;
  /**
   * How long a granted decision's pending opening holds its place in the caps before it lapses by
   * itself (the gate lane's passage timeout plus a margin; a POS sale's longest checkout). @default 30000
   */
  siteReservationTtlMs?: number;
  clock?: Clock;
  logger?: Logger;
  /** @default crypto.randomUUID */
  newDecisionId?: () => string;
}

/** Typed events of a terminal (`terminal.on('decision', d => …)`). */
export interface TerminalEventMap {
  decision: [decision: Decision];
  /**
   * A non-fatal problem: a credit source failed, a credential was unusable. The decision already
   * carries its consequence, so nothing needs to listen; named `warning`, not `error`, because Node
   * throws an `'error'` event nobody listens to.
   */
  warning: [warning: XinyiError];
  /** A credit source failed and is considered offline until it answers again. */
  offline: [event: { source: string; reason: XinyiError['code'] }];
  online: [event: { source: string }];
  /** The uploader went `offline` (with the failure's code) or back `online`. */
  uploader: [event: { state: 'online' | 'offline'; code?: XinyiError['code'] }];
  /** Device state changes, raised by attached device adapters. */
  device: [event: { device: string; state: string; reason?: string }];
  /** A condition staff must see started (`active`) or ended: the journal cannot be written, … */
  alarm: [event: TerminalAlarm];
  /** A member of staff reviewed a decision and recorded the outcome (`recordOverride()`). */
  override: [record: OverrideRecord];
}

/** What staff decided on review: the person gets the incentive after all, or does not. */
export type OverrideOutcome = 'granted' | 'denied';

/** `terminal.recordOverride(decisionId, input)`: a human decision on a decision the terminal made. */
export interface OverrideInput {
  /** Who decided: a staff number or login, never a name or ID number. */
  staffId: string;
  /**
   * Why, in words an auditor can read later (required). It is kept in the journal: write the grounds
   * ("急诊入院，家属签署缴费承诺书"), never the person's name or ID number (one is refused).
   */
  reason: string;
  outcome: OverrideOutcome;
  /** What staff granted (only with `outcome: 'granted'`); the host applies them. @default [] */
  benefits?: readonly Benefit[];
}

/** An override as recorded in the journal (event `override`) and emitted as the `override` event. */
export interface OverrideRecord {
  decisionId: string;
  terminalId: string;
  scene: SceneId;
  /** ISO time the override was recorded. */
  at: string;
  staffId: string;
  outcome: OverrideOutcome;
  reason: string;
  /** The outcome of the reviewed decision, which the override replaces. */
  decisionOutcome: DecisionOutcome;
  benefits: Benefit[];
}

/** `terminal.diagnostics()`: what support needs, with no secrets and no personal data. */
export interface TerminalDiagnostics {
  sdkVersion: string;
  node: string;
  terminalId: string;
  scene: SceneId;
  policy: { packId: string; version: string };
  calendarVersion: string;
  /** How far the calendar's official arrangements reach from today. */
  calendar: CalendarCoverage;
  decisionDeadlineMs: number;
  uptimeSeconds: number;
  decisions: Record<Decision['outcome'], number>;
  creditSources: { name: string; offline: boolean; timeoutMs?: number }[];
  /** The uploader's state (`idle`, `online`, `offline`); absent without an uploader. */
  uploader?: string;
  devices: Record<string, { state: string; reason?: string; since: string }>;
  alarms: string[];
  journal:
    | {
        kind: string;
        backlog: ReturnType<JournalStore['backlog']>;
        counts: ReturnType<JournalStore['counts']>;
        overdueDisclosures: number;
      }
    | { kind: string; error: string }
    | null;
  /** The last problems reported, newest last: codes and messages (which never carry personal data). */
  lastErrors: { code: string; message: string; at: string }[];
  /** The site store this lane shares, and how the link to it fares; null without one. */
  site: SiteLinkStatus | null;
}

export interface TerminalAlarm {
  /** e.g. `journal-unavailable`. */
  kind: string;
  active: boolean;
  /** The error code behind it, when there is one. */
  code?: string;
}

/** Options of one `present()` call. */
export interface PresentOptions extends AbortOptions {
  /**
   * Stops the presentation (the cashier cancelled the sale, the person walked away): the credit
   * sources are told through their lookup's signal, nothing is journaled, a pending opening is
   * released, and `present()` rejects with `ABORTED` (the signal's reason in `cause`). A decision
   * already committed to the journal is returned, never aborted.
   */
  signal?: AbortSignal;
}

/** Options of `close()`. */
export interface TerminalCloseOptions {
  /**
   * How long `close()` lets the presentations in flight finish (and be journaled) before it stops
   * them; a stopped one rejects with `CLOSED` and journals nothing. @default 5000
   */
  timeoutMs?: number;
}

export interface Terminal extends EventEmitter<TerminalEventMap> {
  readonly terminalId: string;
  readonly scene: SceneId;
  /**
   * Decides for one credential: identity → credit standing (within the deadline) → policy.
   * Always resolves with a decision for a well-formed credential: an unusable ID number or a dead
   * platform gives an `unavailable` decision (normal service). Throws `INVALID_ARGUMENT` for a
   * malformed credential object, `ABORTED` when `options.signal` stopped it first, and `CLOSED` after
   * `close()` (or when `close()` stopped it past its bound).
   */
  present(credential: Credential, context?: DecisionContext, options?: PresentOptions): Promise<Decision>;
  /**
   * Counts a granted decision's benefits as used: call it when the person passed the gate or the POS
   * completed the sale, so caps ("once a day") count only real use. Idempotent per decision.
   * Returns how many benefit uses were newly counted (0 without a journal, for a decision with no
   * benefits or no subject, or when already confirmed). Throws `INVALID_ARGUMENT` for an unknown id.
   */
  confirmUse(decision: Decision | string): number;
  /**
   * Records a human decision on a decision this terminal's journal holds: the person asked for a
   * review (PIPL art. 24: a decision made by automated means may be refused and explained by a
   * person), and staff granted or denied the incentive. The override is committed to the journal as
   * an `override` event (`detail`: `staffId`, `outcome`, `reason`, `decisionOutcome` and, when given,
   * `benefits` as JSON) before it is emitted as the `override` event and returned; the original
   * decision stays as it was. A decision may be reviewed more than once; each review is recorded.
   *
   * Throws `INVALID_ARGUMENT` for an unknown decision id or bad input (a missing or empty `reason`,
   * one holding a resident ID number, an unknown benefit kind, benefits with `outcome: 'denied'`),
   * and `JOURNAL_UNAVAILABLE` when the terminal has no journal (an override must be recorded) or the
   * journal cannot be written.
   */
  recordOverride(decisionId: string, input: OverrideInput): OverrideRecord;
  /**
   * The benefits of a granted decision were not used (nobody went through the gate, the sale was
   * cancelled): frees the pending opening the decision holds in the site's caps, so the holder can be
   * served at another lane before it lapses by itself. Never throws for an unknown or already released
   * decision; does nothing without a site state.
   */
  releaseUse(decision: Decision): void;
  /**
   * The lane's link to the site state (caps, pending openings, replays, anti-passback across lanes):
   * `status()`, `presence()`, events for metrics. Undefined when the terminal has neither a journal
   * nor a `siteState`.
   */
  readonly site: SiteLink | undefined;
  /**
   * Presents every credential the device reads, and reports its state changes as `device` events.
   * Returns a function that detaches it; `close()` detaches every device.
   */
  attach(source: CredentialSource): () => void;
  /** Names of the credit sources currently considered offline. */
  offlineSources(): string[];
  /**
   * How far the calendar's official arrangements reach from today. Raises the `calendar-coverage`
   * alarm when they end within `CALENDAR_WARNING_DAYS` (60) days or have ended (today is provisional),
   * and ends it when a newer calendar reaches further. Each decision checks it too.
   */
  calendarCoverage(): CalendarCoverage;
  /** Configuration, device states, backlog, last errors and versions, for support; no secrets, no personal data. */
  diagnostics(): TerminalDiagnostics;
  /**
   * Refuses new presentations (`CLOSED`), detaches every device, waits for the presentations in
   * flight to finish — at most `timeoutMs`, then stops the rest — and closes the site link. Resolves
   * when nothing of the terminal runs any more, so the journal can be closed after it. Idempotent.
   */
  close(options?: TerminalCloseOptions): Promise<void>;
}
