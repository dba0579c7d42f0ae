import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { type Clock, systemClock } from '../clock.js';
import { type BreakerState, type CircuitBreaker, createCircuitBreaker } from '../credit/circuit-breaker.js';
import type { SceneId } from '../domain/scenes.js';
import { isXinyiError, XinyiError } from '../errors.js';
import type { GateDirection } from '../gate/gate.js';
import type { JournalEventInput, JournalStore } from '../journal/journal-store.js';
import { type Logger, silentLogger } from '../logger.js';
import { capsOfRules } from './site-caps.js';
import type {
  SiteCap,
  SiteCommitRequest,
  SitePresence,
  SiteReserveResult,
  SiteState,
  SiteStateKind,
  SiteUsage,
} from './site-state.js';

/**
 * What a lane does while the site store cannot be reached:
 * - `local`: keeps granting from its own state (its journal's uses and its own pending openings), so a
 *   holder who already used the benefit at another lane may be granted again (a double grant, reported
 *   after the reconciliation);
 * - `deny-capped`: refuses every benefit whose rule has a per-subject cap (`CAP_UNVERIFIED`); other
 *   benefits are decided as usual.
 */
export type OnSiteStateDown = 'local' | 'deny-capped';

/** The site-store operations a lane makes, as they appear in events and metrics. */
export type SiteOperation =
  | 'usage'
  | 'reserve'
  | 'commit'
  | 'release'
  | 'presentation'
  | 'presence'
  | 'passage'
  | 'ping';

export interface SiteLinkOptions {
  /** The site's store, shared with the other lanes. */
  store: SiteState;
  /** This lane (its terminal id). */
  laneId: string;
  /**
   * The lane's own state, used while `store` cannot be reached: an in-process store over the lane's
   * journal. Pass `store` itself when it is the in-process store (nothing can be down then).
   */
  local: SiteState;
  /**
   * Every capped rule of the pack in effect, by rule id: what a decision's rule ids commit and release,
   * and what deferred uses are rebuilt with after a restart.
   */
  caps: ReadonlyMap<string, SiteCap> | (() => ReadonlyMap<string, SiteCap>);
  /**
   * Where uses the store could not take are recorded (`site-use-deferred`), and their reconciliation
   * (`site-use-reconciled`) and double grants (`site-double-grant`); read at start for uses deferred
   * before a restart.
   */
  journal?: JournalStore;
  /** Each store call's own budget: after it the lane decides from local state. @default 50 */
  budgetMs?: number;
  /** @default 'local' */
  onSiteStateDown?: OnSiteStateDown;
  /** A pending opening lapses after this (a lane killed with its gate open). @default 30000 */
  reservationTtlMs?: number;
  /** A credit-code presentation is remembered this long at the site. @default 120000 (the code's 90 s + 30 s window) */
  presentationTtlMs?: number;
  /** Consecutive failures after which the store is taken as down (alarm; calls go local at once). @default 3 */
  failureThreshold?: number;
  /** While down, the store is probed this often; its first answer ends the outage. @default 1000 */
  probeIntervalMs?: number;
  /**
   * Uses committed within this long before an outage are pushed again after it (idempotently): a
   * Sentinel failover can lose the last writes the old primary had not yet passed on. @default 30000
   */
  replayWindowMs?: number;
  /** Budget of each push during a reconciliation (not on a decision's path). @default 2000 */
  reconcileBudgetMs?: number;
  clock?: Clock;
  logger?: Logger;
}

/** One store call, for the latency histogram and the error count. */
export interface SiteCallEvent {
  operation: SiteOperation;
  /** Wall time of the call, in ms (the budget when it timed out). */
  ms: number;
  ok: boolean;
  /** The error code when it failed. */
  code?: string;
}

/** A use counted past its cap: granted while the store was down (or confirmed after its reservation lapsed). */
export interface SiteDoubleGrant {
  decisionId: string;
  ruleId: string;
  /** Uses of the period after this one was counted. */
  used: number;
  limit: number;
}

export interface SiteLinkEventMap {
  call: [event: SiteCallEvent];
  /** The store went down (`up: false`, after `failureThreshold` failures) or answered again. */
  state: [event: { up: boolean; code?: string }];
  /** Uses the lane counted while the store was down reached it. */
  reconciled: [event: { uses: number; doubleGrants: number }];
  'double-grant': [event: SiteDoubleGrant];
}

/** `siteLink.status()`: for diagnostics, health and the panel. */
export interface SiteLinkStatus {
  kind: SiteStateKind;
  up: boolean;
  onSiteStateDown: OnSiteStateDown;
  budgetMs: number;
  /** Uses waiting to reach the store. */
  deferredUses: number;
  /** Uses pushed to the store after an outage, since start. */
  reconciledUses: number;
  /** Double grants found since start. */
  doubleGrants: number;
  /** Store calls that failed or ran past their budget, since start. */
  errors: number;
  /** The code of the last failure, when down. */
  lastError?: string;
}

interface PendingUse {
  decisionId: string;
  pseudonym: string;
  caps: SiteCap[];
  scene: SceneId;
  at: number;
}

type CallResult<T> = { ok: true; value: T } | { ok: false; error: XinyiError };

const JOURNAL_DEFERRED = 'site-use-deferred';
const JOURNAL_RECONCILED = 'site-use-reconciled';
const JOURNAL_DOUBLE_GRANT = 'site-double-grant';

/**
 * The lane's part of its keys: the terminal id itself when it is made of key-safe characters, else a
 * digest of it (a terminal id may hold spaces or CJK; a store's keys may not).
 */
function laneKey(terminalId: string): string {
  if (/^[A-Za-z0-9_.:-]{1,128}$/.test(terminalId)) return terminalId;
  return `t-${createHash('sha256').update(terminalId).digest('base64url').slice(0, 22)}`;
}

function positive(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isFinite(v) || v <= 0) {
    throw new XinyiError('INVALID_OPTIONS', `site link: ${name} must be a positive number`);
  }
  return v;
}

/**
 * A lane's link to its site store. Every call runs within its budget; a store that fails or is late
 * leaves the lane deciding from its local state (`onSiteStateDown`), with the decision marked
 * `siteStateDegraded`. After `failureThreshold` failures in a row the store is taken as down: the
 * `state` event (the terminal's `site-state-unavailable` alarm), calls go local at once, and a probe
 * runs every `probeIntervalMs`. When the store answers again the lane pushes the uses it counted
 * meanwhile (and those of the moments before), and reports every use that went past its cap as a
 * double grant. Uses are pushed under their decision id, so a push is never counted twice.
 */
export class SiteLink extends EventEmitter<SiteLinkEventMap> {
  readonly #store: SiteState;
  readonly #local: SiteState;
  readonly #shared: boolean;
  readonly #laneId: string;
  readonly #caps: () => ReadonlyMap<string, SiteCap>;
  readonly #journal: JournalStore | undefined;
  readonly #budgetMs: number;
  readonly #onDown: OnSiteStateDown;
  readonly #reservationTtlMs: number;
  readonly #presentationTtlMs: number;
  readonly #probeIntervalMs: number;
  readonly #replayWindowMs: number;
  readonly #reconcileBudgetMs: number;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #breaker: CircuitBreaker;
  readonly #deferred = new Map<string, PendingUse>();
  /** Uses the store acknowledged lately, oldest first: pushed again after an outage. */
  #recent: Array<{ use: PendingUse; ackedAt: number }> = [];
  readonly #inFlight = new Set<Promise<unknown>>();
  #failedSinceSuccess = false;
  /** The store was down since the last reconciliation: the uses acknowledged just before are pushed again. */
  #outageSinceReconcile = false;
  #reconciling: Promise<void> | undefined;
  #probe: NodeJS.Timeout | undefined;
  #lastError: XinyiError | undefined;
  #errors = 0;
  #reconciledUses = 0;
  #doubleGrants = 0;
  #closed = false;

  constructor(options: SiteLinkOptions) {
    super();
    if (!options?.store || !options.local || typeof options.laneId !== 'string' || !options.caps) {
      throw new XinyiError('INVALID_OPTIONS', 'site link: store, local, laneId and caps are required');
    }
    this.#store = options.store;
    this.#local = options.local;
    this.#shared = options.store !== options.local;
    this.#laneId = laneKey(options.laneId);
    const caps = options.caps;
    this.#caps = typeof caps === 'function' ? caps : () => caps;
    this.#journal = options.journal;
    this.#budgetMs = positive('budgetMs', options.budgetMs, 50);
    this.#onDown = options.onSiteStateDown ?? 'local';
    if (this.#onDown !== 'local' && this.#onDown !== 'deny-capped') {
      throw new XinyiError('INVALID_OPTIONS', "site link: onSiteStateDown must be 'local' or 'deny-capped'");
    }
    this.#reservationTtlMs = Math.round(positive('reservationTtlMs', options.reservationTtlMs, 30_000));
    this.#presentationTtlMs = Math.round(positive('presentationTtlMs', options.presentationTtlMs, 120_000));
    this.#probeIntervalMs = positive('probeIntervalMs', options.probeIntervalMs, 1_000);
    this.#replayWindowMs = positive('replayWindowMs', options.replayWindowMs, 30_000);
    this.#reconcileBudgetMs = positive('reconcileBudgetMs', options.reconcileBudgetMs, 2_000);
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? silentLogger;
    this.#breaker = createCircuitBreaker({
      failureThreshold: Math.round(positive('failureThreshold', options.failureThreshold, 3)),
      cooldownMs: this.#probeIntervalMs,
      clock: this.#clock,
      onStateChange: ({ from, to }) => this.#breakerMoved(from, to),
    });
    if (this.#shared) this.#recoverDeferred();
  }

  override emit<K extends keyof SiteLinkEventMap>(event: K, ...args: SiteLinkEventMap[K]): boolean {
    // An unheard 'error' throws, as on any emitter; only a listener's own exception is contained.
    if ((event as string) === 'error') return super.emit(event, ...(args as never));
    try {
      return super.emit(event, ...(args as never));
    } catch (error) {
      this.#logger.error({ event, err: String(error) }, 'site link listener threw');
      return true;
    }
  }

  get kind(): SiteStateKind {
    return this.#store.kind;
  }

  get onSiteStateDown(): OnSiteStateDown {
    return this.#onDown;
  }

  get reservationTtlMs(): number {
    return this.#reservationTtlMs;
  }

  /** Whether the store is taken as reachable (false after `failureThreshold` failures, until it answers). */
  get up(): boolean {
    return this.#breaker.state === 'closed';
  }

  status(): SiteLinkStatus {
    const status: SiteLinkStatus = {
      kind: this.#store.kind,
      up: this.up,
      onSiteStateDown: this.#onDown,
      budgetMs: this.#budgetMs,
      deferredUses: this.#deferred.size,
      reconciledUses: this.#reconciledUses,
      doubleGrants: this.#doubleGrants,
      errors: this.#errors,
    };
    if (!this.up && this.#lastError) status.lastError = this.#lastError.code;
    return status;
  }

  /** Committed and pending counts of `caps` for the holder; from local state when the store does not answer. */
  async usage(
    pseudonym: string,
    caps: readonly SiteCap[],
    now: number,
  ): Promise<{ usage: SiteUsage; degraded: boolean; unverified: boolean }> {
    const query = { pseudonym, laneId: this.#laneId, caps, now };
    const result = await this.#call('usage', (s) => s.usage(query));
    if (result.ok) return { usage: result.value, degraded: false, unverified: false };
    if (this.#onDown === 'deny-capped') {
      return { usage: await this.#local.usage({ ...query, caps: [] }), degraded: true, unverified: true };
    }
    return { usage: await this.#local.usage(query), degraded: true, unverified: false };
  }

  /**
   * Holds one pending use of each cap for the decision, and reads the counts of `caps` and
   * `alsoCount` in the same call. `reserved`: `usage` is the counts just before. `full`: the store
   * refused (another lane got there first; `usage` is why). `unverified`: the store could not be asked
   * and the lane denies capped benefits meanwhile.
   */
  async reserve(
    decisionId: string,
    pseudonym: string,
    caps: readonly SiteCap[],
    now: number,
    alsoCount?: readonly SiteCap[],
  ): Promise<
    | { kind: 'reserved'; usage: SiteUsage; degraded: boolean }
    | { kind: 'full'; usage: SiteUsage; degraded: boolean }
    | { kind: 'unverified' }
  > {
    const request = {
      pseudonym,
      laneId: this.#laneId,
      caps,
      now,
      reservationId: decisionId,
      ttlMs: this.#reservationTtlMs,
      ...(alsoCount ? { alsoCount } : {}),
    };
    const result = await this.#call('reserve', (s) => s.reserve(request));
    let answer: SiteReserveResult;
    let degraded = false;
    if (result.ok) answer = result.value;
    else if (this.#onDown === 'deny-capped') return { kind: 'unverified' };
    else {
      degraded = true;
      answer = await this.#local.reserve(request);
    }
    return { kind: answer.ok ? 'reserved' : 'full', usage: answer.usage, degraded };
  }

  /**
   * Counts a use of each capped rule in `ruleIds` (the person went through; the sale completed): in
   * the lane's own state at once, and at the store in the background. A use the store cannot take now
   * is deferred and pushed when it answers again.
   */
  commit(decisionId: string, pseudonym: string, ruleIds: Iterable<string>, scene: SceneId): void {
    const caps = capsOfRules(this.#caps(), ruleIds);
    if (caps.length === 0) return;
    const use: PendingUse = { decisionId, pseudonym, caps, scene, at: this.#clock.now() };
    this.#background(async () => {
      // The store's call starts first: the next decision at any lane should see this use as soon as possible.
      const call = this.#call('commit', (s) => s.commit(this.#commitRequest(use)));
      if (this.#shared) await this.#local.commit(this.#commitRequest(use));
      const result = await call;
      if (result.ok) {
        this.#acknowledged(use);
        this.#reportOverLimit(use, result.value.overLimit, result.value.usage);
      } else {
        this.#defer(use, result.error);
      }
    });
  }

  /** Frees the pending opening a decision holds (nobody went through). Never waits; a lapsed or unknown one is ignored. */
  release(decisionId: string, pseudonym: string, ruleIds: Iterable<string>, decidedAt: number): void {
    const caps = capsOfRules(this.#caps(), ruleIds);
    if (caps.length === 0) return;
    const request = { pseudonym, laneId: this.#laneId, caps, now: decidedAt, reservationId: decisionId };
    this.#background(async () => {
      // A release that does not get through is harmless: the reservation lapses after its TTL.
      const call = this.#call('release', (s) => s.release(request));
      if (this.#shared) await this.#local.release(request);
      await call;
    });
  }

  /** Whether this credit-code presentation is new at the site (false: a replay seen at some lane). */
  async markPresentation(
    pseudonym: string,
    presentationId: string,
    now: number,
  ): Promise<{ fresh: boolean; degraded: boolean }> {
    const request = { pseudonym, presentationId, now, ttlMs: this.#presentationTtlMs };
    const result = await this.#call('presentation', (s) => s.markPresentation(request));
    if (result.ok) return { fresh: result.value, degraded: false };
    return { fresh: await this.#local.markPresentation(request), degraded: true };
  }

  /** The holder's last passage today across the site; this lane's own knowledge when the store does not answer. */
  async presence(pseudonym: string, now: number): Promise<{ presence: SitePresence; degraded: boolean }> {
    const result = await this.#call('presence', (s) => s.presence(pseudonym, now));
    if (result.ok) return { presence: result.value, degraded: false };
    return { presence: await this.#local.presence(pseudonym, now), degraded: true };
  }

  /** Records a passage for anti-passback, in the lane's own state and at the store (background). */
  recordPassage(pseudonym: string, direction: GateDirection, now: number): void {
    this.#background(async () => {
      const call = this.#call('passage', (s) => s.recordPassage(pseudonym, direction, now));
      if (this.#shared) await this.#local.recordPassage(pseudonym, direction, now);
      await call;
    });
  }

  /** Asks the store for its version and latency (within the budget). */
  async ping(): Promise<
    { ok: true; info: Awaited<ReturnType<SiteState['ping']>> } | { ok: false; code: string }
  > {
    const result = await this.#call('ping', (s) => s.ping());
    return result.ok ? { ok: true, info: result.value } : { ok: false, code: result.error.code };
  }

  /**
   * Pushes the deferred uses (and, after an outage, those acknowledged just before it) to the store.
   * Runs by itself when the store answers again; resolves when done or when the store fails again.
   */
  reconcile(): Promise<void> {
    this.#reconciling ??= this.#reconcile().finally(() => {
      this.#reconciling = undefined;
    });
    return this.#reconciling;
  }

  /** Resolves once the commits, releases and passages sent so far have reached the store or been deferred. */
  async flush(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  /** Waits (up to `graceMs`) for background pushes, stops the probe and closes the store. */
  async close(graceMs = 1_000): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#probe);
    this.#probe = undefined;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.#inFlight, this.#reconciling]),
      new Promise((resolve) => {
        timer = setTimeout(resolve, graceMs);
      }),
    ]);
    clearTimeout(timer);
    await this.#store.close();
    if (this.#shared) await this.#local.close();
  }

  #commitRequest(use: PendingUse): SiteCommitRequest {
    return {
      pseudonym: use.pseudonym,
      laneId: this.#laneId,
      caps: use.caps,
      now: use.at,
      reservationId: use.decisionId,
      scene: use.scene,
    };
  }

  #background(work: () => Promise<void>): void {
    const running = work().catch((error: unknown) => {
      this.#logger.error(
        { err: isXinyiError(error) ? error.code : String(error) },
        'site link: background call failed',
      );
    });
    this.#inFlight.add(running);
    void running.finally(() => this.#inFlight.delete(running));
  }

  async #call<T>(operation: SiteOperation, fn: (store: SiteState) => Promise<T>): Promise<CallResult<T>> {
    // Nothing can be down in one process: no timer on the hot path.
    if (!this.#shared) return { ok: true, value: await fn(this.#store) };
    if (this.#closed) {
      return { ok: false, error: new XinyiError('CLOSED', 'the site link is closed') };
    }
    if (!this.#breaker.tryAcquire()) {
      return {
        ok: false,
        error: this.#lastError ?? new XinyiError('SITE_STATE_UNAVAILABLE', 'the site store is down'),
      };
    }
    const budgetMs = operation === 'ping' ? this.#reconcileBudgetMs : this.#budgetMs;
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        // After a stall of this process both the timer and the store's answer are due: timers run
        // before I/O in a turn of the event loop, so give the I/O its turn before calling it late.
        setImmediate(() =>
          reject(
            new XinyiError(
              'SITE_STATE_UNAVAILABLE',
              `the site store did not answer ${operation} within ${budgetMs} ms`,
              { details: { reason: 'timeout', operation } },
            ),
          ),
        );
      }, budgetMs);
    });
    try {
      const value = await Promise.race([fn(this.#store), late]);
      this.#breaker.recordSuccess();
      this.emit('call', { operation, ms: performance.now() - started, ok: true });
      if (this.#failedSinceSuccess || this.#deferred.size > 0) {
        this.#failedSinceSuccess = false;
        void this.reconcile();
      }
      return { ok: true, value };
    } catch (cause) {
      const error = isXinyiError(cause)
        ? cause
        : new XinyiError('SITE_STATE_UNAVAILABLE', `the site store failed ${operation}`, { cause });
      this.#errors++;
      this.emit('call', { operation, ms: performance.now() - started, ok: false, code: error.code });
      if (error.code === 'INVALID_ARGUMENT') {
        // A request the store refuses is this lane's bug, not an outage: report it, keep the breaker.
        this.#breaker.release();
        this.#logger.error({ operation, err: error.message }, 'site store refused a request');
        return { ok: false, error };
      }
      this.#lastError = error;
      this.#failedSinceSuccess = true;
      // A lost connection (a restart, a failover) may have lost the last writes with it; a slow answer has not.
      if (error.details.reason !== 'timeout') this.#outageSinceReconcile = true;
      this.#breaker.recordFailure();
      return { ok: false, error };
    } finally {
      clearTimeout(timer);
    }
  }

  #breakerMoved(from: BreakerState, to: BreakerState): void {
    if (to === 'open' && from === 'closed') {
      const code = this.#lastError?.code ?? 'SITE_STATE_UNAVAILABLE';
      this.#logger.warn(
        { store: this.#store.kind, code, reason: this.#lastError?.details.reason },
        'site store unavailable: deciding from local state',
      );
      this.emit('state', { up: false, code });
      this.#outageSinceReconcile = true;
      this.#keepProbing();
    } else if (to === 'closed' && from !== 'closed') {
      this.#logger.info({ store: this.#store.kind, deferred: this.#deferred.size }, 'site store back');
      this.emit('state', { up: true });
    }
  }

  /**
   * Pings the store every `probeIntervalMs` while it is taken as down or holds uses back, so that
   * deferred uses are pushed as soon as it answers, even when no decision comes (a store that fails
   * writes but answers reads may never fail three calls in a row).
   */
  #keepProbing(): void {
    if (this.#probe !== undefined || this.#closed) return;
    this.#probe = setInterval(() => {
      if (this.#breaker.state === 'closed' && this.#deferred.size === 0) {
        clearInterval(this.#probe);
        this.#probe = undefined;
        return;
      }
      void this.#call('ping', (s) => s.ping());
    }, this.#probeIntervalMs);
    this.#probe.unref();
  }

  #acknowledged(use: PendingUse): void {
    const now = this.#clock.now();
    this.#recent.push({ use, ackedAt: now });
    while (this.#recent.length > 0 && now - this.#recent[0]!.ackedAt > this.#replayWindowMs)
      this.#recent.shift();
    if (this.#recent.length > 10_000) this.#recent.shift();
  }

  #defer(use: PendingUse, error: XinyiError): void {
    if (this.#deferred.has(use.decisionId)) return;
    this.#deferred.set(use.decisionId, use);
    this.#keepProbing();
    this.#record({
      kind: JOURNAL_DEFERRED,
      at: use.at,
      decisionId: use.decisionId,
      detail: { code: error.code },
    });
    this.#logger.warn({ decisionId: use.decisionId, code: error.code }, 'site store: use deferred');
  }

  async #reconcile(): Promise<void> {
    const replay = this.#outageSinceReconcile ? this.#recent.splice(0).map((r) => r.use) : [];
    this.#outageSinceReconcile = false;
    const deferred = [...this.#deferred.values()];
    let uses = 0;
    let doubleGrants = 0;
    const queue = [...replay, ...deferred];
    for (let i = 0; i < queue.length; i++) {
      const use = queue[i]!;
      let result: Awaited<ReturnType<SiteState['commit']>>;
      try {
        result = await this.#withBudget(
          this.#store.commit(this.#commitRequest(use)),
          this.#reconcileBudgetMs,
        );
      } catch (error) {
        // Still down: what is left waits for the next answer.
        this.#failedSinceSuccess = true;
        this.#lastError = isXinyiError(error) ? error : this.#lastError;
        const unreplayed = queue.slice(i).filter((u) => replay.includes(u));
        if (unreplayed.length > 0) {
          this.#recent.unshift(...unreplayed.map((u) => ({ use: u, ackedAt: this.#clock.now() })));
          this.#outageSinceReconcile = true;
        }
        break;
      }
      const wasDeferred = this.#deferred.delete(use.decisionId);
      if (wasDeferred || result.counted.length > 0) {
        uses++;
        this.#record({
          kind: JOURNAL_RECONCILED,
          at: this.#clock.now(),
          decisionId: use.decisionId,
          detail: { counted: result.counted.length, overLimit: result.overLimit.length },
        });
      }
      doubleGrants += this.#reportOverLimit(use, result.overLimit, result.usage);
      this.#acknowledged(use);
    }
    if (uses > 0) {
      this.#reconciledUses += uses;
      this.#logger.info(
        { uses, doubleGrants, stillDeferred: this.#deferred.size },
        'site store: uses reconciled',
      );
      this.emit('reconciled', { uses, doubleGrants });
    }
  }

  #reportOverLimit(use: PendingUse, overLimit: readonly string[], usage: SiteUsage): number {
    for (const ruleId of overLimit) {
      const cap = use.caps.find((c) => c.ruleId === ruleId);
      const event: SiteDoubleGrant = {
        decisionId: use.decisionId,
        ruleId,
        used: usage[ruleId]?.used ?? 0,
        limit: cap?.limit ?? 0,
      };
      this.#doubleGrants++;
      this.#record({
        kind: JOURNAL_DOUBLE_GRANT,
        at: this.#clock.now(),
        decisionId: use.decisionId,
        detail: { ruleId, used: event.used, limit: event.limit },
      });
      this.#logger.warn({ ...event }, 'site store: double grant (a use past its cap)');
      this.emit('double-grant', event);
    }
    return overLimit.length;
  }

  async #withBudget<T>(work: Promise<T>, budgetMs: number): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        work,
        new Promise<never>((_resolve, reject) => {
          timer = setTimeout(
            () => reject(new XinyiError('SITE_STATE_UNAVAILABLE', 'the site store did not answer in time')),
            budgetMs,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  #record(event: JournalEventInput): void {
    if (!this.#journal) return;
    try {
      this.#journal.appendEvent(event);
    } catch (error) {
      this.#logger.error(
        { err: isXinyiError(error) ? error.code : String(error) },
        'site link: journal event not kept',
      );
    }
  }

  /** Uses deferred before a restart (recorded, not yet reconciled) are queued again from the journal. */
  #recoverDeferred(): void {
    const journal = this.#journal;
    if (!journal) return;
    try {
      const reconciled = new Set(journal.events({ kind: JOURNAL_RECONCILED }).map((e) => e.decisionId));
      for (const event of journal.events({ kind: JOURNAL_DEFERRED })) {
        const id = event.decisionId;
        if (id === undefined || reconciled.has(id) || this.#deferred.has(id)) continue;
        const decision = journal.getDecision(id)?.decision;
        const pseudonym = decision?.subject?.pseudonym;
        if (!decision || pseudonym === undefined) continue;
        const caps = capsOfRules(
          this.#caps(),
          decision.benefits.map((b) => b.ruleId),
        );
        if (caps.length > 0)
          this.#deferred.set(id, { decisionId: id, pseudonym, caps, scene: decision.scene, at: event.at });
      }
    } catch (error) {
      this.#logger.error(
        { err: isXinyiError(error) ? error.code : String(error) },
        'site link: deferred uses not read',
      );
    }
    if (this.#deferred.size > 0) {
      this.#logger.info(
        { deferred: this.#deferred.size },
        'site store: uses deferred before the restart queued again',
      );
      this.#keepProbing();
    }
  }
}
