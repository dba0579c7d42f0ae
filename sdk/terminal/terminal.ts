import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { abortedError, signalOf } from '../abort.js';
import {
  type CalendarCoverage,
  calendarCoverage,
  defaultHolidayCalendar,
  type HolidayCalendar,
} from '../calendar/index.js';
import { type Clock, systemClock } from '../clock.js';
import type { Credential } from '../domain/credential.js';
import type { Decision } from '../domain/decision.js';
import { isSceneId, type SceneId } from '../domain/scenes.js';
import { type CreditStanding, SUBJECT_TYPES, unknownStanding } from '../domain/standing.js';
import { isXinyiError, XinyiError } from '../errors.js';
import {
  createPseudonymizer,
  describeOrganisationCredentialProblem,
  isValidResidentIdNumber,
  ORGANISATION_ENTRIES,
  type Pseudonymizer,
  readOrganisationCode,
  type Subject,
  subjectFromDocumentNumber,
  subjectFromIdNumber,
  subjectFromMemberCode,
  subjectFromSocialCreditCode,
} from '../identity/index.js';
import { disclosureRecordsFor } from '../journal/disclosure.js';
import type { JournalStore } from '../journal/journal-store.js';
import type { Uploader } from '../journal/uploader.js';
import { type Logger, silentLogger } from '../logger.js';
import { coverageReason, type DecisionContext, evaluate, type UsageCounts } from '../policy/evaluate.js';
import type { PolicyPack } from '../policy/pack.js';
import { qingzhouPolicyPack } from '../policy/qingzhou-pack.js';
import { ReasonCode } from '../policy/reason-codes.js';
import { loadPolicyPack } from '../policy/validate-pack.js';
import { createInProcessSiteState } from '../site/in-process-site-state.js';
import { capsOfRules, packCaps, sceneCaps, usageForPolicy } from '../site/site-caps.js';
import { SiteLink } from '../site/site-link.js';
import type { SiteCap } from '../site/site-state.js';
import { SDK_VERSION } from '../version.js';
import type { CredentialSource } from './credential-source.js';
import { ABORTED, resolveStanding } from './credit-chain.js';
import type { CreditResolver } from './credit-resolver.js';
import { validateOverride } from './override.js';
import type {
  OverrideInput,
  OverrideRecord,
  PresentOptions,
  Terminal,
  TerminalAlarm,
  TerminalCloseOptions,
  TerminalDiagnostics,
  TerminalEventMap,
  TerminalOptions,
} from './terminal-contract.js';

const DEFAULT_CLOSE_TIMEOUT_MS = 5_000;
const DEFAULT_JOURNAL_PROBE_INTERVAL_MS = 5_000;
/**
 * Masked names kept for decisions whose 公示 is made on use (信易贷): the record is built when the use
 * is confirmed, and a name read from a card is not in the decision. Bounded; a confirmation after the
 * name was dropped (or after a restart) publishes the masked document number instead.
 */
const MAX_PENDING_NAMES = 1_000;

/** A pack's per-subject caps, by rule id and for the terminal's scene. */
interface PackCaps {
  byRule: ReadonlyMap<string, SiteCap>;
  scene: SiteCap[];
}

/** What the policy reads from the site: committed and pending uses, or that the caps could not be checked. */
interface SiteCounts {
  usage: UsageCounts;
  pendingUsage: UsageCounts;
  unverified: boolean;
}

function optionError(message: string): XinyiError {
  return new XinyiError('INVALID_OPTIONS', `createTerminal: ${message}`);
}

function validateOptions(options: TerminalOptions): void {
  if (options === null || typeof options !== 'object') throw optionError('options must be an object');
  if (typeof options.terminalId !== 'string' || options.terminalId.trim() === '') {
    throw optionError('terminalId must be a non-empty string');
  }
  if (!isSceneId(options.scene))
    throw optionError(`scene must be one of the nine scene ids, got ${String(options.scene)}`);
  if (options.pseudonymizer === undefined && options.pseudonymKey === undefined) {
    throw optionError(
      'pseudonymKey (or pseudonymizer) is required: ID numbers are only ever kept as keyed pseudonyms',
    );
  }
  const deadline = options.decisionDeadlineMs;
  if (deadline !== undefined && (!Number.isFinite(deadline) || deadline <= 0 || deadline > 60_000)) {
    throw optionError('decisionDeadlineMs must be a number of milliseconds in (0, 60000]');
  }
  const probeMs = options.journalProbeIntervalMs;
  if (probeMs !== undefined && (!Number.isFinite(probeMs) || probeMs < 10 || probeMs > 3_600_000)) {
    throw optionError('journalProbeIntervalMs must be a number of milliseconds in [10, 3600000]');
  }
  if (options.credit !== undefined) {
    if (!Array.isArray(options.credit)) throw optionError('credit must be an array of credit resolvers');
    options.credit.forEach((r, i) => {
      if (!r || typeof r.resolve !== 'function' || typeof r.name !== 'string') {
        throw optionError(`credit[${i}] must have a name and a resolve(lookup) method`);
      }
      if (r.timeoutMs !== undefined && (!Number.isFinite(r.timeoutMs) || r.timeoutMs <= 0)) {
        throw optionError(`credit[${i}].timeoutMs must be a positive number of milliseconds`);
      }
    });
  }
}

class TerminalImpl extends EventEmitter<TerminalEventMap> implements Terminal {
  readonly terminalId: string;
  readonly scene: SceneId;
  readonly #pseudonymizer: Pseudonymizer;
  readonly #credit: CreditResolver[];
  readonly #policyAt: (nowMs: number) => PolicyPack;
  readonly #calendarNow: () => HolidayCalendar;
  #coverage: { key: string; coverage: CalendarCoverage } | undefined;
  #coverageAlarm = false;
  readonly #context: DecisionContext;
  readonly #deadlineMs: number;
  readonly #usage: TerminalOptions['usage'];
  readonly #journal: JournalStore | undefined;
  readonly site: SiteLink | undefined;
  /** The caps of each pack this terminal decided with (a pack can change while it runs). */
  readonly #capsByPack = new WeakMap<PolicyPack, PackCaps>();
  #journalAlarm = false;
  readonly #journalProbeIntervalMs: number;
  /** Runs while the journal alarm is on and the journal can be probed. */
  #journalProbe: NodeJS.Timeout | undefined;
  readonly #startedAt = Date.now();
  readonly #decisionCounts: Record<Decision['outcome'], number> = { granted: 0, denied: 0, unavailable: 0 };
  readonly #devices = new Map<string, { state: string; reason?: string; since: string }>();
  readonly #alarms = new Set<string>();
  readonly #lastErrors: { code: string; message: string; at: string }[] = [];
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #newId: () => string;
  readonly #offline = new Set<string>();
  readonly #pendingNames = new Map<string, string>();
  readonly #detachers = new Set<() => void>();
  #uploader: Pick<Uploader, 'state'> | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;
  /** Aborted when `close()` stops the presentations still in flight past its bound. */
  readonly #stopInFlight = new AbortController();
  /** Settles (never rejects) when its presentation has. */
  readonly #inFlight = new Set<Promise<void>>();
  #stopWatchingUploader: (() => void) | undefined;

  constructor(options: TerminalOptions) {
    super();
    validateOptions(options);
    this.terminalId = options.terminalId;
    this.scene = options.scene;
    try {
      this.#pseudonymizer = options.pseudonymizer ?? createPseudonymizer(options.pseudonymKey!);
    } catch (error) {
      throw optionError(`pseudonymKey: ${(error as Error).message}`);
    }
    this.#credit = [...(options.credit ?? [])];
    // Validate up front so a bad pack fails at start-up, not at the first customer.
    const policy = options.policy ?? qingzhouPolicyPack;
    this.#policyAt = typeof policy === 'function' ? policy : () => policy;
    loadPolicyPack(this.#policyAt((options.clock ?? systemClock).now()));
    const calendar = options.calendar ?? defaultHolidayCalendar;
    this.#calendarNow = typeof calendar === 'function' ? calendar : () => calendar;
    this.#context = { ...options.context };
    this.#deadlineMs = options.decisionDeadlineMs ?? 800;
    this.#journal = options.journal;
    this.#journalProbeIntervalMs = options.journalProbeIntervalMs ?? DEFAULT_JOURNAL_PROBE_INTERVAL_MS;
    this.#usage = options.usage;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? silentLogger;
    this.site = this.#linkSite(options);
    this.#newId = options.newDecisionId ?? randomUUID;
    if (options.uploader) this.#stopWatchingUploader = this.#watchUploader(options.uploader);
    this.#warnIfContextNotCovered();
    this.#followSourceRecovery();
  }

  /**
   * A gate configured without its site (or with a site the pack does not name) tells every visitor
   * the venue is not in the programme: say so once at start-up, where the integrator looks. Only when
   * neither a person nor an organisation would be covered: a counter for one kind of subject is fine.
   */
  #warnIfContextNotCovered(): void {
    const pack = this.#policyAt(this.#clock.now());
    const reasons = SUBJECT_TYPES.map((type) => coverageReason(pack, this.scene, type, this.#context));
    if (reasons.some((reason) => reason === null)) return;
    this.#logger.warn(
      { scene: this.scene, reason: reasons[0], siteId: this.#context.siteId ?? null },
      "terminal's context is outside the pack's coverage of its scene: every decision says so unless present() gives a covered context (e.g. context.siteId)",
    );
  }

  /**
   * A source that reports its own state (the platform client's `online` / `offline` events: a request
   * of its own — a sync, an upload, a probe — succeeded or failed) is followed at once, not only at
   * the next decision: a quiet gate must not keep its alarm all night after the platform came back,
   * nor show the platform up while every sync fails. The source logs its own failure; it is not
   * reported again here.
   */
  #followSourceRecovery(): void {
    for (const resolver of this.#credit) {
      if (!(resolver instanceof EventEmitter)) continue;
      const online = () => this.#sourceAnswered(resolver.name);
      const offline = (e: { reason?: XinyiError['code'] } | undefined) =>
        this.#sourceDown(resolver.name, e?.reason ?? 'CREDIT_UNAVAILABLE');
      resolver.on('online', online);
      resolver.on('offline', offline);
      this.#detachers.add(() => {
        resolver.off('online', online);
        resolver.off('offline', offline);
      });
    }
  }

  /** The per-subject caps of a pack: by rule id, and those of this terminal's scene. */
  #capsOf(pack: PolicyPack): PackCaps {
    let caps = this.#capsByPack.get(pack);
    if (caps === undefined) {
      const byRule = packCaps(pack);
      caps = { byRule, scene: sceneCaps(pack, this.scene, byRule) };
      this.#capsByPack.set(pack, caps);
    }
    return caps;
  }

  /** The lane's link to its site store: the given one, or the in-process store over the journal. */
  #linkSite(options: TerminalOptions): SiteLink | undefined {
    const journal = options.journal;
    if (options.siteState === undefined && journal === undefined) return undefined;
    // The journal's counters, read as the terminal reads them (a failing read raises the alarm).
    const local = createInProcessSiteState({
      journal: {
        usageCounts: (pseudonym, now) =>
          this.#journalRead(() => (journal ? journal.usageCounts(pseudonym, now) : {})),
        recordUse: (use) => (journal ? journal.recordUse(use) : 0),
      },
    });
    const site = new SiteLink({
      store: options.siteState ?? local,
      local,
      laneId: this.terminalId,
      caps: () => this.#capsOf(this.#policyAt(this.#clock.now())).byRule,
      ...(journal ? { journal } : {}),
      ...(options.siteStateBudgetMs === undefined ? {} : { budgetMs: options.siteStateBudgetMs }),
      ...(options.onSiteStateDown === undefined ? {} : { onSiteStateDown: options.onSiteStateDown }),
      ...(options.siteReservationTtlMs === undefined
        ? {}
        : { reservationTtlMs: options.siteReservationTtlMs }),
      clock: this.#clock,
      logger: this.#logger,
    });
    site.on('state', (e) =>
      this.emit(
        'alarm',
        e.up
          ? { kind: 'site-state-unavailable', active: false }
          : { kind: 'site-state-unavailable', active: true, code: e.code ?? 'SITE_STATE_UNAVAILABLE' },
      ),
    );
    return site;
  }

  #watchUploader(uploader: Pick<Uploader, 'on' | 'off' | 'state'>): () => void {
    this.#uploader = uploader;
    const offline = (e: { code: XinyiError['code'] }) =>
      this.emit('uploader', { state: 'offline', code: e.code });
    const online = () => this.emit('uploader', { state: 'online' });
    const alarm = () => this.emit('alarm', { kind: 'upload-backlog', active: true });
    const cleared = () => this.emit('alarm', { kind: 'upload-backlog', active: false });
    uploader.on('offline', offline);
    uploader.on('online', online);
    uploader.on('backlog-alarm', alarm);
    uploader.on('backlog-cleared', cleared);
    return () => {
      uploader.off('offline', offline);
      uploader.off('online', online);
      uploader.off('backlog-alarm', alarm);
      uploader.off('backlog-cleared', cleared);
    };
  }

  override emit<K extends keyof TerminalEventMap>(event: K, ...args: TerminalEventMap[K]): boolean {
    this.#observe(event, args);
    return super.emit(event, ...(args as never));
  }

  offlineSources(): string[] {
    return [...this.#offline];
  }

  calendarCoverage(): CalendarCoverage {
    const calendar = this.#calendarNow();
    const nowMs = this.#clock.now();
    const key = `${calendar.version}|${Math.floor((nowMs + 8 * 3_600_000) / 86_400_000)}`;
    if (this.#coverage?.key === key) return this.#coverage.coverage;
    const coverage = calendarCoverage(calendar, nowMs);
    this.#coverage = { key, coverage };
    if (coverage.warning !== this.#coverageAlarm) {
      this.#coverageAlarm = coverage.warning;
      this.#logger.warn(
        {
          officialThrough: coverage.officialThrough,
          officialDaysLeft: coverage.officialDaysLeft,
          provisionalToday: coverage.provisionalToday,
          calendarVersion: calendar.version,
        },
        coverage.warning
          ? 'calendar: official coverage ends soon or has ended'
          : 'calendar: official coverage restored',
      );
      this.emit('alarm', { kind: 'calendar-coverage', active: coverage.warning });
    }
    return coverage;
  }

  diagnostics(): TerminalDiagnostics {
    const pack = this.#policyAt(this.#clock.now());
    let journal: TerminalDiagnostics['journal'] = null;
    if (this.#journal) {
      try {
        journal = {
          kind: this.#journal.kind,
          backlog: this.#journal.backlog(),
          counts: this.#journal.counts(),
          overdueDisclosures: this.#journal.overdueDisclosures(this.#clock.now()).length,
        };
      } catch (error) {
        journal = { kind: this.#journal.kind, error: isXinyiError(error) ? error.code : 'unknown' };
      }
    }
    return {
      sdkVersion: SDK_VERSION,
      node: process.version,
      terminalId: this.terminalId,
      scene: this.scene,
      policy: { packId: pack.packId, version: pack.version },
      calendarVersion: this.#calendarNow().version,
      calendar: this.calendarCoverage(),
      decisionDeadlineMs: this.#deadlineMs,
      uptimeSeconds: Math.round((Date.now() - this.#startedAt) / 1000),
      decisions: { ...this.#decisionCounts },
      creditSources: this.#credit.map((r) => ({
        name: r.name,
        offline: this.#offline.has(r.name),
        ...(r.timeoutMs === undefined ? {} : { timeoutMs: r.timeoutMs }),
      })),
      ...(this.#uploader === undefined ? {} : { uploader: this.#uploader.state }),
      devices: Object.fromEntries(this.#devices),
      alarms: [...this.#alarms],
      journal,
      lastErrors: [...this.#lastErrors],
      site: this.site?.status() ?? null,
    };
  }

  /** Keeps what `diagnostics()` reports, from the events the terminal emits anyway. */
  #observe(event: keyof TerminalEventMap, args: unknown[]): void {
    const at = new Date(this.#clock.now()).toISOString();
    if (event === 'decision') this.#decisionCounts[(args[0] as Decision).outcome]++;
    else if (event === 'device') {
      const e = args[0] as TerminalEventMap['device'][0];
      this.#devices.set(e.device, { state: e.state, ...(e.reason ? { reason: e.reason } : {}), since: at });
    } else if (event === 'alarm') {
      const a = args[0] as TerminalAlarm;
      if (a.active) this.#alarms.add(a.kind);
      else this.#alarms.delete(a.kind);
    } else if (event === 'warning') {
      const e = args[0] as XinyiError;
      this.#lastErrors.push({ code: e.code, message: e.message, at });
      if (this.#lastErrors.length > 20) this.#lastErrors.shift();
    }
  }

  attach(source: CredentialSource): () => void {
    if (this.#closed) throw new XinyiError('CLOSED', 'attach() called on a closed terminal');
    if (!source || typeof source.onCredential !== 'function' || typeof source.name !== 'string') {
      throw new XinyiError(
        'INVALID_ARGUMENT',
        'attach(): source must have a name and an onCredential() method',
      );
    }
    const offCredential = source.onCredential((credential) => {
      if (this.#closed) return;
      this.present(credential).catch((error: unknown) => {
        // Stopped by close(): nobody is there to act on it any more.
        if (this.#closed && isXinyiError(error, 'CLOSED')) return;
        this.#report(
          isXinyiError(error)
            ? error
            : new XinyiError('INVALID_ARGUMENT', `credential from ${source.name} could not be presented`, {
                cause: error,
              }),
        );
      });
    });
    const offState = source.onState?.((state, reason) => {
      this.emit(
        'device',
        reason === undefined ? { device: source.name, state } : { device: source.name, state, reason },
      );
    });
    const detach = () => {
      offCredential();
      offState?.();
      this.#detachers.delete(detach);
    };
    this.#detachers.add(detach);
    return detach;
  }

  close(options: TerminalCloseOptions = {}): Promise<void> {
    const timeoutMs = options?.timeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS;
    if (!(Number.isFinite(timeoutMs) && timeoutMs >= 0)) {
      return Promise.reject(
        new XinyiError(
          'INVALID_ARGUMENT',
          `close(): timeoutMs must be a non-negative number, got ${timeoutMs}`,
        ),
      );
    }
    this.#closed = true;
    this.#closing ??= this.#close(timeoutMs);
    return this.#closing;
  }

  async #close(timeoutMs: number): Promise<void> {
    clearInterval(this.#journalProbe);
    this.#journalProbe = undefined;
    for (const detach of [...this.#detachers]) detach();
    if (this.#inFlight.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      });
      await Promise.race([Promise.all([...this.#inFlight]), expired]);
      clearTimeout(timer);
      if (this.#inFlight.size > 0) {
        this.#logger.warn(
          { inFlight: this.#inFlight.size, timeoutMs },
          'terminal closing: presentations stopped',
        );
        this.#stopInFlight.abort();
        await Promise.all([...this.#inFlight]);
      }
    }
    this.#stopWatchingUploader?.();
    await this.site?.close();
  }

  present(
    credential: Credential,
    context?: DecisionContext,
    options: PresentOptions = {},
  ): Promise<Decision> {
    if (this.#closed)
      return Promise.reject(new XinyiError('CLOSED', 'present() called on a closed terminal'));
    let callerSignal: AbortSignal | undefined;
    try {
      callerSignal = signalOf(options, 'present()');
    } catch (error) {
      return Promise.reject(error);
    }
    const signal =
      callerSignal === undefined
        ? this.#stopInFlight.signal
        : AbortSignal.any([callerSignal, this.#stopInFlight.signal]);
    const run = this.#present(credential, context, signal, callerSignal);
    const settled = run.then(
      () => {},
      () => {},
    );
    this.#inFlight.add(settled);
    void settled.then(() => this.#inFlight.delete(settled));
    return run;
  }

  /** The error a stopped presentation rejects with: the caller's abort, or the terminal's close. */
  #stopped(callerSignal: AbortSignal | undefined): XinyiError {
    if (callerSignal?.aborted)
      return abortedError(callerSignal, 'present() before the decision was committed');
    return new XinyiError(
      'CLOSED',
      'present() stopped: the terminal closed before the decision was committed',
    );
  }

  async #present(
    credential: Credential,
    context: DecisionContext | undefined,
    signal: AbortSignal,
    callerSignal: AbortSignal | undefined,
  ): Promise<Decision> {
    if (signal.aborted) throw this.#stopped(callerSignal);
    const started = performance.now();
    const id = this.#newId();
    const identified = this.#identify(credential);
    let subject = identified.subject;
    const problem = identified.problem;
    // Known from the credential itself, even one that could not be read.
    const subjectType = credential.kind === 'organisation' ? 'organisation' : 'person';
    const decisionContext = context ? this.#mergeContext(context) : this.#context;

    const site = this.site;

    let standing: CreditStanding | null = null;
    let unavailableReason: string | undefined = problem;
    const refusedAnswers: NonNullable<Decision['refusedAnswers']> = [];
    // Where the programme does not apply (another venue, the other kind of subject) nobody is looked up.
    const covered =
      coverageReason(this.#policyAt(this.#clock.now()), this.scene, subjectType, decisionContext) === null;
    if (problem === undefined && covered) {
      const found = await resolveStanding({
        resolvers: this.#credit,
        subject,
        credential,
        scene: this.scene,
        terminalId: this.terminalId,
        deadlineMs: this.#deadlineMs,
        clock: this.#clock,
        signal,
        refusedAnswers,
        onFailed: (source, cause) => this.#sourceFailed(source, cause),
        onAnswered: (source) => this.#sourceAnswered(source),
        onRefused: (error) => this.#report(error),
      });
      if (found === ABORTED) throw this.#stopped(callerSignal);
      standing = found.standing;
      unavailableReason = found.reason;
    }
    // A verified credit code names its holder by pseudonym only: enough for "once a day" caps and
    // anti-passback to count the holder, whichever of their codes they show.
    if (subject === undefined && credential.kind === 'credit-code' && standing?.holder !== undefined) {
      subject = { pseudonym: `code:${standing.holder}`, masked: '码******', kind: 'credit-code-holder' };
    }
    let siteStateDegraded = false;
    if (site && subject && standing?.source === 'credit-code' && standing.presentedAt !== undefined) {
      // The same presentation (a screenshot) shown at another lane of the site within its window.
      const seen = await site.markPresentation(
        subject.pseudonym,
        String(Math.floor(Date.parse(standing.presentedAt) / 1000)),
        this.#clock.now(),
      );
      siteStateDegraded ||= seen.degraded;
      if (!seen.fresh) {
        this.#report(
          new XinyiError('CODE_REFUSED', 'credit code refused: REPLAYED (already presented at this site)', {
            details: { reason: 'REPLAYED' },
          }),
        );
        standing = null;
        subject = undefined;
        unavailableReason = 'CODE_REPLAYED';
      }
    }
    if (signal.aborted) throw this.#stopped(callerSignal);
    const nowMs = this.#clock.now();
    const pack = this.#policyAt(nowMs);
    const calendar = this.#calendarNow();
    const decide = (counts: SiteCounts | undefined) =>
      evaluate(pack, {
        id,
        scene: this.scene,
        standing: standing ?? unknownStanding(new Date(nowMs).toISOString()),
        context: decisionContext,
        now: nowMs,
        subject,
        usage: subject && this.#usage ? this.#usage(subject, this.scene) : counts?.usage,
        ...(counts ? { pendingUsage: counts.pendingUsage } : {}),
        ...(counts?.unverified ? { capsUnverified: true } : {}),
        calendar,
        unavailableReason,
        credentialKind: credential.kind,
        subjectType,
      });
    let decision: Decision;
    const caps = this.#capsOf(pack);
    if (site && subject && caps.scene.length > 0) {
      const settled = await this.#decideWithSite(site, subject, nowMs, caps, decide);
      decision = settled.decision;
      siteStateDegraded ||= settled.degraded;
    } else {
      decision = decide(undefined);
    }
    if (signal.aborted) {
      // Nobody will act on it: its pending opening is freed at once, and nothing is journaled.
      this.releaseUse(decision);
      throw this.#stopped(callerSignal);
    }
    if (siteStateDegraded) decision.siteStateDegraded = true;
    this.calendarCoverage();
    decision.latencyMs = Math.round((performance.now() - started) * 1000) / 1000;
    // A forged or oversized answer is a security event: it stays with the decision it did not make.
    if (refusedAnswers.length > 0) decision.refusedAnswers = refusedAnswers;
    // Committed before anyone acts on it: a decision the host saw is a decision the journal kept.
    if (this.#journal) {
      try {
        this.#commit(this.#journal, decision, subject, pack, calendar);
      } catch (error) {
        // Nobody will act on it: its pending opening is freed at once.
        this.releaseUse(decision);
        throw error;
      }
    }
    this.#logger.info(
      {
        decisionId: decision.id,
        scene: decision.scene,
        outcome: decision.outcome,
        source: decision.standingSource,
        reasons: decision.reasons.map((r) => r.code),
        latencyMs: decision.latencyMs,
        ...(decision.siteStateDegraded ? { siteStateDegraded: true } : {}),
      },
      'decision',
    );
    try {
      this.emit('decision', decision);
    } catch (error) {
      // A throwing listener is the host's bug; the decision still reaches the caller.
      this.#logger.error({ decisionId: decision.id, err: String(error) }, 'decision listener threw');
    }
    return decision;
  }

  /**
   * Decides, and holds the decision's capped benefits in the site's caps, in one call to the store in
   * the common case. Counts only ever take benefits away, so the decision is first made as if every
   * cap had room; its capped benefits are then reserved, and every cap of the scene counted, in one
   * atomic call (one round trip, one Lua script in Redis); with those counts the decision is made
   * again, which holds the same caps when the reservation went through. When another lane took the
   * last place (the store refused), or the counts changed the decision, it is made again with the
   * counts and what it grants is reserved in turn (the refused rule is then `CAP_PENDING` or
   * `CAP_REACHED`, and a lower rule may apply instead).
   */
  async #decideWithSite(
    site: SiteLink,
    subject: Subject,
    nowMs: number,
    caps: PackCaps,
    decide: (counts: SiteCounts | undefined) => Decision,
  ): Promise<{ decision: Decision; degraded: boolean }> {
    const none: SiteCounts = { usage: {}, pendingUsage: {}, unverified: false };
    let decision = decide(none);
    let held = capsOfRules(
      caps.byRule,
      decision.benefits.map((b) => b.ruleId),
    );
    // Nothing capped is granted even with room everywhere: no count can change that.
    if (held.length === 0) return { decision, degraded: false };
    let degraded = false;
    for (let attempt = 0; ; attempt++) {
      const answer = await site.reserve(decision.id, subject.pseudonym, held, nowMs, caps.scene);
      if (answer.kind === 'unverified') {
        return { decision: decide({ ...none, unverified: true }), degraded: true };
      }
      degraded ||= answer.degraded;
      // Each refusal fills at least one more cap, so this ends; the bound is a belt against a store that lies.
      const counts: SiteCounts = {
        ...usageForPolicy(caps.scene, answer.usage),
        unverified: answer.kind === 'full' && attempt >= caps.scene.length,
      };
      const again = decide(counts);
      const needed = capsOfRules(
        caps.byRule,
        again.benefits.map((b) => b.ruleId),
      );
      if (answer.kind === 'reserved') {
        const reserved = new Set(held.map((cap) => cap.ruleId));
        if (needed.length === reserved.size && needed.every((cap) => reserved.has(cap.ruleId))) {
          return { decision: again, degraded };
        }
        // The counts changed what the decision grants: its places are given back (sent before the
        // next reservation, on the same connection) and what it grants now is reserved in turn.
        site.release(decision.id, subject.pseudonym, reserved, nowMs);
      }
      if (needed.length === 0 || counts.unverified) return { decision: again, degraded };
      decision = again;
      held = needed;
    }
  }

  releaseUse(decision: Decision): void {
    const site = this.site;
    const pseudonym = decision?.subject?.pseudonym;
    if (site === undefined || pseudonym === undefined || decision.outcome !== 'granted') return;
    site.release(
      decision.id,
      pseudonym,
      decision.benefits.map((b) => b.ruleId),
      Date.parse(decision.at),
    );
  }

  confirmUse(decisionOrId: Decision | string): number {
    const journal = this.#journal;
    if (journal === undefined) {
      // No journal to count in; a site store given without one still counts the use for the site.
      const d = typeof decisionOrId === 'string' ? undefined : decisionOrId;
      if (d?.subject && d.outcome === 'granted') {
        this.site?.commit(
          d.id,
          d.subject.pseudonym,
          d.benefits.map((b) => b.ruleId),
          d.scene,
        );
      }
      return 0;
    }
    const decision =
      typeof decisionOrId === 'string'
        ? this.#journalRead(() => journal.getDecision(decisionOrId))?.decision
        : decisionOrId;
    if (decision === undefined) {
      throw new XinyiError('INVALID_ARGUMENT', 'confirmUse(): no committed decision has this id');
    }
    const ruleIds = [...new Set(decision.benefits.map((b) => b.ruleId))];
    if (decision.subject === undefined || ruleIds.length === 0) return 0;
    const at = this.#clock.now();
    // Grants made on use (credit granted at a bank counter) are disclosed now, with the use.
    const disclosures = decision.disclosures.some((d) => d.on === 'use')
      ? disclosureRecordsFor({
          decision,
          terminalId: this.terminalId,
          maskedName: this.#pendingNames.get(decision.id),
          pack: this.#policyAt(Date.parse(decision.at)),
          calendar: this.#calendarNow(),
          moment: 'use',
          usedAtMs: at,
        })
      : [];
    const added = this.#journalWrite(() =>
      journal.recordUse({
        decisionId: decision.id,
        pseudonym: decision.subject!.pseudonym,
        scene: decision.scene,
        ruleIds,
        at,
        disclosures,
      }),
    );
    // The site counts it too (in the background; deferred while the store is down).
    this.site?.commit(decision.id, decision.subject.pseudonym, ruleIds, decision.scene);
    this.#pendingNames.delete(decision.id);
    return added;
  }

  recordOverride(decisionId: string, input: OverrideInput): OverrideRecord {
    const { staffId, reason, outcome, benefits } = validateOverride(decisionId, input);
    const journal = this.#journal;
    if (journal === undefined) {
      throw new XinyiError(
        'JOURNAL_UNAVAILABLE',
        'recordOverride(): the terminal has no journal, and an override must be recorded',
      );
    }
    const decision = this.#journalRead(() => journal.getDecision(decisionId))?.decision;
    if (decision === undefined) {
      throw new XinyiError('INVALID_ARGUMENT', 'recordOverride(): no committed decision has this id', {
        details: { field: 'decisionId' },
      });
    }
    const at = this.#clock.now();
    const record: OverrideRecord = {
      decisionId,
      terminalId: this.terminalId,
      scene: decision.scene,
      at: new Date(at).toISOString(),
      staffId,
      outcome,
      reason,
      decisionOutcome: decision.outcome,
      benefits,
    };
    this.#journalWrite(() =>
      journal.appendEvent({
        kind: 'override',
        decisionId,
        at,
        detail: {
          staffId,
          outcome,
          reason,
          decisionOutcome: decision.outcome,
          ...(benefits.length > 0 ? { benefits: JSON.stringify(benefits) } : {}),
        },
      }),
    );
    this.#logger.info(
      { decisionId, scene: decision.scene, outcome, decisionOutcome: decision.outcome },
      'override',
    );
    try {
      this.emit('override', record);
    } catch (error) {
      // As for decisions: the override is recorded; a throwing listener is the host's bug.
      this.#logger.error({ decisionId, err: String(error) }, 'override listener threw');
    }
    return record;
  }

  #commit(
    journal: JournalStore,
    decision: Decision,
    subject: Subject | undefined,
    pack: PolicyPack,
    calendar: HolidayCalendar,
  ): void {
    const maskedName = subject?.maskedName ?? subject?.masked;
    const disclosures =
      decision.disclosures.length === 0
        ? []
        : disclosureRecordsFor({
            decision,
            terminalId: this.terminalId,
            maskedName,
            pack,
            calendar,
          });
    this.#journalWrite(() =>
      journal.commitDecision({ decision, terminalId: this.terminalId, maskedName, disclosures }),
    );
    if (subject?.maskedName !== undefined && decision.disclosures.some((d) => d.on === 'use')) {
      this.#pendingNames.set(decision.id, subject.maskedName);
      if (this.#pendingNames.size > MAX_PENDING_NAMES) {
        this.#pendingNames.delete(this.#pendingNames.keys().next().value!);
      }
    }
  }

  /** A journal failure is raised as an alarm and rethrown: an unrecorded decision must not be acted on. */
  #journalWrite<T>(write: () => T): T {
    try {
      const result = write();
      this.#journalRecovered();
      return result;
    } catch (cause) {
      throw this.#journalFailed(cause, 'written');
    }
  }

  /**
   * A journal that cannot be read (the usage counters before a decision) is just as unavailable; a
   * successful read does not end the alarm, since reads can work while writes fail (a read-only file).
   */
  #journalRead<T>(read: () => T): T {
    try {
      return read();
    } catch (cause) {
      throw this.#journalFailed(cause, 'read');
    }
  }

  #journalFailed(cause: unknown, action: 'read' | 'written'): XinyiError {
    const error = isXinyiError(cause)
      ? cause
      : new XinyiError('JOURNAL_UNAVAILABLE', `the decision journal could not be ${action}`, { cause });
    this.#report(error);
    if (!this.#journalAlarm) {
      this.#journalAlarm = true;
      this.#startJournalProbe();
      this.emit('alarm', { kind: 'journal-unavailable', active: true, code: error.code });
    }
    return error;
  }

  #journalRecovered(): void {
    if (!this.#journalAlarm) return;
    this.#journalAlarm = false;
    clearInterval(this.#journalProbe);
    this.#journalProbe = undefined;
    this.emit('alarm', { kind: 'journal-unavailable', active: false });
  }

  /**
   * A failed write raised the alarm, and only a write ends it: the next decision's, or this probe's,
   * whichever comes first. At a quiet gate the probe is what ends it once the journal is writable again
   * (docs/journal.md, "When the journal cannot be written"). The store logs its own failures, once.
   */
  #startJournalProbe(): void {
    const journal = this.#journal;
    if (this.#closed || this.#journalProbe !== undefined || journal?.probeWrite === undefined) return;
    this.#journalProbe = setInterval(() => {
      try {
        journal.probeWrite!();
      } catch {
        return;
      }
      this.#journalRecovered();
    }, this.#journalProbeIntervalMs);
    this.#journalProbe.unref();
  }

  /** Per-call fields override the terminal's; an undefined field does not erase one. */
  #mergeContext(context: DecisionContext): DecisionContext {
    const merged: DecisionContext = { ...this.#context };
    for (const [key, value] of Object.entries(context)) if (value !== undefined) merged[key] = value;
    return merged;
  }

  /** Raw numbers stop here: only the subject (pseudonym + masked form) goes further. */
  #identify(credential: Credential): { subject?: Subject; problem?: string } {
    if (credential === null || typeof credential !== 'object') {
      throw new XinyiError('INVALID_ARGUMENT', 'present(): credential must be an object');
    }
    switch (credential.kind) {
      case 'id-card': {
        if (typeof credential.idNumber !== 'string') {
          throw new XinyiError('INVALID_ARGUMENT', 'present(): id-card credential needs an idNumber string');
        }
        // A foreigner's permanent residence card number does not follow GB 11643.
        const foreign = credential.cardType?.startsWith('foreign-permanent') ?? false;
        // A permanent residence card's number has no public check rule; its shape (15–18 letters
        // and digits) still tells a read card from a frame corrupted on the wire.
        const usable = foreign
          ? /^[0-9A-Za-z]{15,18}$/.test(credential.idNumber.trim())
          : isValidResidentIdNumber(credential.idNumber, this.#clock.now());
        if (!usable) {
          this.#report(
            new XinyiError('ID_NUMBER_INVALID', 'ID card number is not valid; serving without incentive'),
          );
          return { problem: ReasonCode.CREDENTIAL_INVALID };
        }
        return {
          subject: foreign
            ? subjectFromDocumentNumber(this.#pseudonymizer, credential.idNumber, credential.name)
            : subjectFromIdNumber(this.#pseudonymizer, credential.idNumber, credential.name),
        };
      }
      case 'organisation': {
        if (typeof credential.text !== 'string' || !ORGANISATION_ENTRIES.includes(credential.entry)) {
          throw new XinyiError(
            'INVALID_ARGUMENT',
            "present(): organisation credential needs a text string and an entry of 'typed', 'scanned' or 'licence-qr'",
          );
        }
        const read = readOrganisationCode(credential);
        if ('problem' in read) {
          // The rule that failed, never the code: the code is treated like an ID number.
          this.#report(
            new XinyiError(
              'CREDENTIAL_INVALID',
              `organisation credential (${credential.entry}) is not usable: ${describeOrganisationCredentialProblem(read.problem)}; serving without incentive`,
              { details: { problem: read.problem, entry: credential.entry } },
            ),
          );
          return { problem: ReasonCode.CREDENTIAL_INVALID };
        }
        return { subject: subjectFromSocialCreditCode(this.#pseudonymizer, read.code) };
      }
      case 'barcode':
      case 'credit-code': {
        if (typeof credential.text !== 'string') {
          throw new XinyiError(
            'INVALID_ARGUMENT',
            `present(): ${credential.kind} credential needs a text string`,
          );
        }
        if (credential.text.trim() === '') {
          this.#report(new XinyiError('CREDENTIAL_INVALID', `${credential.kind} credential is empty`));
          return { problem: ReasonCode.CREDENTIAL_INVALID };
        }
        return credential.kind === 'barcode'
          ? { subject: subjectFromMemberCode(this.#pseudonymizer, credential.text) }
          : {};
      }
      default:
        throw new XinyiError(
          'INVALID_ARGUMENT',
          `present(): unknown credential kind ${String((credential as { kind?: unknown }).kind)}`,
        );
    }
  }

  #sourceFailed(source: string, cause: unknown): void {
    const error = isXinyiError(cause)
      ? cause
      : new XinyiError('CREDIT_UNAVAILABLE', `credit source ${source} failed`, { cause });
    this.#report(error);
    this.#sourceDown(source, error.code);
  }

  #sourceDown(source: string, reason: XinyiError['code']): void {
    if (!this.#offline.has(source)) {
      this.#offline.add(source);
      this.emit('offline', { source, reason });
    }
  }

  #sourceAnswered(source: string): void {
    if (this.#offline.delete(source)) this.emit('online', { source });
  }

  #report(error: XinyiError): void {
    this.#logger.warn({ code: error.code, err: error.message }, 'terminal problem');
    this.emit('warning', error);
  }
}

/**
 * Builds a terminal: identity (keyed pseudonyms), credit resolvers, the policy pack and its
 * calendar. Options are validated here; `INVALID_OPTIONS` names the bad option.
 */
export function createTerminal(options: TerminalOptions): Terminal {
  return new TerminalImpl(options);
}
