import { createHmac, randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { type Clock, systemClock } from '../clock.js';
import type { Credential } from '../domain/credential.js';
import type { Decision } from '../domain/decision.js';
import { isXinyiError, XinyiError } from '../errors.js';
import type { JournalEventInput, JournalStore } from '../journal/journal-store.js';
import { type Logger, silentLogger } from '../logger.js';
import type { CredentialSource } from '../terminal/credential-source.js';
import type { Terminal } from '../terminal/terminal-contract.js';
import { type AntiPassback, allowsPassage } from './anti-passback.js';
import type { Gate, GateAlarmEvent, GateDirection, PassageEvent } from './gate.js';

export interface GateControllerOptions {
  terminal: Terminal;
  gate: Gate;
  /** Where gate events (passages, timeouts, refusals, alarms) are kept next to the decisions. */
  journal?: JournalStore;
  /** The way this lane's credentials open the gate. @default 'entry' */
  direction?: GateDirection;
  /**
   * Whether a decision opens the gate.
   * @default entry: granted with a `free-entry` benefit; exit: always (leaving is never refused;
   *   with `antiPassback`, only someone inside)
   */
  opens?: (decision: Decision) => boolean;
  /** One credential opens the gate at most once within this window (a QR code held in front of the scanner). @default 5000 */
  repeatWindowMs?: number;
  /** An opening nobody passed through within this time is closed and recorded. @default 10000 */
  passageTimeoutMs?: number;
  /**
   * Whether a passage counts the decision's benefits as used (`terminal.confirmUse`).
   * @default true for an entry lane, false for an exit lane (leaving uses no free entry)
   */
  countsUse?: boolean;
  /**
   * Anti-passback: `true` keeps presence in the terminal's site state (`terminal.site`), shared by every
   * lane of the site, in this process or others; an `AntiPassback` instance keeps it in memory, shared
   * by the controllers of this process that hold it. Absent: no anti-passback.
   */
  antiPassback?: AntiPassback | true;
  clock?: Clock;
  logger?: Logger;
}

/** What became of one credential at the gate. */
export type GateOutcome =
  /** The gate was told to open; the passage (or its absence) follows as a `passage` event. */
  | { kind: 'opened'; decision: Decision }
  /** The decision does not open the gate: the citizen sees `decision.explanation.citizen`. */
  | { kind: 'shut'; decision: Decision }
  /** The same credential was presented again within the repeat window: nothing decided, nothing opened. */
  | { kind: 'repeat' }
  /** Granted, but the person is already inside (or not inside, at an exit). */
  | { kind: 'anti-passback'; decision: Decision }
  /** Granted, but the gate did not take the open command. */
  | { kind: 'gate-failed'; decision: Decision; error: XinyiError }
  /** No decision could be committed (journal unavailable, …): the gate stays shut. */
  | { kind: 'failed'; error: XinyiError };

/** A passage matched (or not) to the decision that opened the gate. */
export interface GatePassage {
  kind: 'passed' | 'not-passed' | 'pushed-back' | 'timeout' | 'unmatched';
  direction: GateDirection;
  /** The decision whose opening this was; absent for a person the gate counted with no opening pending (tailgating, intrusion). */
  decisionId?: string;
  at: string;
}

export interface GateControllerEventMap {
  outcome: [outcome: GateOutcome];
  passage: [passage: GatePassage];
  alarm: [alarm: GateAlarmEvent];
  /**
   * A non-fatal problem (the gate or the site store failed a call); the lane carries on. Not
   * `'error'`, which Node throws when unheard.
   */
  warning: [warning: XinyiError];
}

export interface GateControllerStats {
  opened: number;
  shut: number;
  repeats: number;
  antiPassback: number;
  gateFailures: number;
  failures: number;
  passed: number;
  notPassed: number;
  timeouts: number;
  unmatched: number;
}

interface PendingOpening {
  decision: Decision;
  timer: NodeJS.Timeout;
}

/** Where presence is kept: the site state or an in-memory `AntiPassback`. */
interface PresenceKeeper {
  allows(pseudonym: string, direction: GateDirection): Promise<boolean>;
  passed(pseudonym: string, direction: GateDirection): void;
}

function grantsFreeEntry(decision: Decision): boolean {
  return decision.outcome === 'granted' && decision.benefits.some((b) => b.kind === 'free-entry');
}

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0) {
    throw new XinyiError('INVALID_OPTIONS', `GateController: ${name} must be a non-negative number of ms`);
  }
  return value;
}

/**
 * Turns decisions into openings and passages into used benefits at one gate lane:
 * - a credential opens the gate at most once within `repeatWindowMs`;
 * - the decision is committed (by the terminal) before the open command is sent;
 * - a benefit counts as used (`terminal.confirmUse`) only when the gate reports the person passed;
 * - an opening nobody passes through within `passageTimeoutMs` is closed and recorded;
 * - with `antiPassback`, someone inside cannot enter again until they have gone out.
 */
export class GateController extends EventEmitter<GateControllerEventMap> {
  readonly #terminal: Terminal;
  readonly #gate: Gate;
  readonly #journal: JournalStore | undefined;
  readonly #direction: GateDirection;
  readonly #opens: (decision: Decision) => boolean;
  readonly #repeatWindowMs: number;
  readonly #passageTimeoutMs: number;
  readonly #antiPassback: PresenceKeeper | undefined;
  readonly #countsUse: boolean;
  readonly #clock: Clock;
  readonly #logger: Logger;
  /** Credentials are keyed by an HMAC under a per-process key: the map never holds an ID number. */
  readonly #keyKey = randomBytes(32);
  readonly #recent = new Map<string, number>();
  /** Holders (by pseudonym) whose credential opened this lane lately: another code of theirs is a repeat. */
  readonly #recentHolders = new Map<string, number>();
  readonly #inFlight = new Set<string>();
  readonly #pending: PendingOpening[] = [];
  readonly #detachers = new Set<() => void>();
  readonly #gateDetachers: Array<() => void> = [];
  readonly #stats: GateControllerStats = {
    opened: 0,
    shut: 0,
    repeats: 0,
    antiPassback: 0,
    gateFailures: 0,
    failures: 0,
    passed: 0,
    notPassed: 0,
    timeouts: 0,
    unmatched: 0,
  };
  readonly #handling = new Set<Promise<GateOutcome>>();
  #closed = false;

  constructor(options: GateControllerOptions) {
    super();
    if (!options?.terminal || !options.gate) {
      throw new XinyiError('INVALID_OPTIONS', 'GateController: terminal and gate are required');
    }
    this.#terminal = options.terminal;
    this.#gate = options.gate;
    this.#journal = options.journal;
    this.#direction = options.direction ?? 'entry';
    if (this.#direction !== 'entry' && this.#direction !== 'exit') {
      throw new XinyiError('INVALID_OPTIONS', "GateController: direction must be 'entry' or 'exit'");
    }
    this.#opens = options.opens ?? (this.#direction === 'entry' ? grantsFreeEntry : () => true);
    this.#repeatWindowMs = nonNegative('repeatWindowMs', options.repeatWindowMs, 5000);
    this.#passageTimeoutMs = nonNegative('passageTimeoutMs', options.passageTimeoutMs, 10_000);
    this.#countsUse = options.countsUse ?? this.#direction === 'entry';
    this.#clock = options.clock ?? systemClock;
    this.#antiPassback = this.#presenceKeeper(options.antiPassback);
    this.#logger = options.logger ?? silentLogger;
    this.#gateDetachers.push(this.#gate.onPassage((event) => this.#onPassage(event)));
    this.#gateDetachers.push(
      this.#gate.onState((state, reason) => {
        this.#terminal.emit(
          'device',
          reason === undefined
            ? { device: this.#gate.name, state }
            : { device: this.#gate.name, state, reason },
        );
      }),
    );
    this.#gateDetachers.push(
      this.#gate.onAlarm((event) => {
        this.#record({
          kind: 'alarm',
          at: Date.parse(event.at),
          detail: { alarm: event.alarm, active: event.active },
        });
        this.emit('alarm', event);
      }),
    );
  }

  #presenceKeeper(option: AntiPassback | true | undefined): PresenceKeeper | undefined {
    if (option === undefined) return undefined;
    if (option !== true) {
      return { allows: async (p, d) => option.allows(p, d), passed: (p, d) => option.passed(p, d) };
    }
    const site = this.#terminal.site;
    if (site === undefined) {
      throw new XinyiError(
        'INVALID_OPTIONS',
        'GateController: antiPassback: true needs a terminal with a journal or a siteState',
      );
    }
    return {
      allows: async (pseudonym, direction) => {
        const { presence, degraded } = await site.presence(pseudonym, this.#clock.now());
        // Without the site's answer nobody is kept from leaving: only this lane's own knowledge can refuse an entry.
        if (degraded && direction === 'exit') return true;
        return allowsPassage(presence, direction);
      },
      passed: (pseudonym, direction) => site.recordPassage(pseudonym, direction, this.#clock.now()),
    };
  }

  override emit<K extends keyof GateControllerEventMap>(
    event: K,
    ...args: GateControllerEventMap[K]
  ): boolean {
    // An unheard 'error' throws, as on any emitter; only a listener's own exception is contained.
    if ((event as string) === 'error') return super.emit(event, ...(args as never));
    try {
      return super.emit(event, ...(args as never));
    } catch (error) {
      this.#logger.error({ event, err: String(error) }, 'gate controller listener threw');
      return true;
    }
  }

  get direction(): GateDirection {
    return this.#direction;
  }

  get stats(): GateControllerStats {
    return { ...this.#stats };
  }

  /** Openings still waiting for their passage. */
  get pendingOpenings(): number {
    return this.#pending.length;
  }

  /** Every credential `source` reads goes through `handle()`. Returns a function that detaches it. */
  attach(source: CredentialSource): () => void {
    const off = source.onCredential((credential) => {
      if (this.#closed) return;
      void this.handle(credential);
    });
    const offState = source.onState?.((state, reason) => {
      this.#terminal.emit(
        'device',
        reason === undefined ? { device: source.name, state } : { device: source.name, state, reason },
      );
    });
    const detach = () => {
      off();
      offState?.();
      this.#detachers.delete(detach);
    };
    this.#detachers.add(detach);
    return detach;
  }

  /** Decides for one credential and opens the gate when the decision says so. Never rejects. */
  handle(credential: Credential): Promise<GateOutcome> {
    const run = this.#handle(credential).then((outcome) => {
      this.#count(outcome);
      this.emit('outcome', outcome);
      return outcome;
    });
    this.#handling.add(run);
    void run.finally(() => this.#handling.delete(run));
    return run;
  }

  /**
   * Stops taking credentials, lets decisions in progress finish (each is committed), then waits up
   * to `graceMs` for pending passages; openings still pending are closed and recorded as timeouts.
   */
  async close(graceMs = 0): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const detach of [...this.#detachers]) detach();
    await Promise.allSettled([...this.#handling]);
    const until = Date.now() + graceMs;
    while (this.#pending.length > 0 && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    for (const opening of [...this.#pending]) this.#timeout(opening, 'shutdown');
    for (const detach of this.#gateDetachers) detach();
  }

  async #handle(credential: Credential): Promise<GateOutcome> {
    if (this.#closed)
      return { kind: 'failed', error: new XinyiError('CLOSED', 'the gate controller is closed') };
    const key = this.#credentialKey(credential);
    const now = this.#clock.now();
    const last = key === undefined ? undefined : this.#recent.get(key);
    if (
      key !== undefined &&
      (this.#inFlight.has(key) || (last !== undefined && now - last < this.#repeatWindowMs))
    ) {
      this.#record({ kind: 'repeat', at: now });
      return { kind: 'repeat' };
    }
    if (key !== undefined) this.#inFlight.add(key);
    try {
      let decision: Decision;
      try {
        decision = await this.#terminal.present(credential, { direction: this.#direction });
      } catch (error) {
        const typed = isXinyiError(error)
          ? error
          : new XinyiError('INVALID_ARGUMENT', 'the credential could not be presented', { cause: error });
        this.emit('warning', typed);
        return { kind: 'failed', error: typed };
      }
      if (!this.#opens(decision)) {
        // A granted decision this lane does not act on holds no place in the site's caps.
        this.#terminal.releaseUse(decision);
        return { kind: 'shut', decision };
      }
      const pseudonym = decision.subject?.pseudonym;
      const holderAt = pseudonym === undefined ? undefined : this.#recentHolders.get(pseudonym);
      if (holderAt !== undefined && this.#clock.now() - holderAt < this.#repeatWindowMs) {
        // Another credential of a holder this lane just opened for (a second code on another phone).
        this.#terminal.releaseUse(decision);
        this.#record({ kind: 'repeat', at: this.#clock.now(), decisionId: decision.id });
        return { kind: 'repeat' };
      }
      if (
        this.#antiPassback &&
        pseudonym !== undefined &&
        !(await this.#antiPassback.allows(pseudonym, this.#direction))
      ) {
        this.#terminal.releaseUse(decision);
        this.#record({
          kind: 'anti-passback',
          at: this.#clock.now(),
          decisionId: decision.id,
          detail: { direction: this.#direction },
        });
        return { kind: 'anti-passback', decision };
      }
      if (pseudonym !== undefined) this.#rememberHolder(pseudonym, this.#clock.now());
      try {
        await this.#gate.open(this.#direction);
      } catch (error) {
        this.#terminal.releaseUse(decision);
        if (pseudonym !== undefined) this.#recentHolders.delete(pseudonym);
        const typed = isXinyiError(error)
          ? error
          : new XinyiError('GATE_COMMAND_FAILED', 'the gate did not take the open command', { cause: error });
        this.#record({
          kind: 'gate-failed',
          at: this.#clock.now(),
          decisionId: decision.id,
          detail: { code: typed.code },
        });
        this.emit('warning', typed);
        return { kind: 'gate-failed', decision, error: typed };
      }
      if (key !== undefined) this.#remember(key, this.#clock.now());
      const opening: PendingOpening = {
        decision,
        timer: setTimeout(() => this.#timeout(opening, 'timeout'), this.#passageTimeoutMs),
      };
      this.#pending.push(opening);
      this.#record({
        kind: 'opened',
        at: this.#clock.now(),
        decisionId: decision.id,
        detail: { direction: this.#direction },
      });
      return { kind: 'opened', decision };
    } finally {
      if (key !== undefined) this.#inFlight.delete(key);
    }
  }

  #onPassage(event: PassageEvent): void {
    if (event.direction !== this.#direction) return;
    if (event.kind === 'passed') {
      for (let i = 0; i < event.count; i++) {
        const opening = this.#pending.shift();
        if (opening === undefined) {
          this.#passage({ kind: 'unmatched', direction: event.direction, at: event.at });
          continue;
        }
        clearTimeout(opening.timer);
        this.#confirm(opening.decision);
        this.#passage({
          kind: 'passed',
          direction: event.direction,
          decisionId: opening.decision.id,
          at: event.at,
        });
      }
      return;
    }
    const opening = this.#pending.shift();
    if (opening !== undefined) {
      clearTimeout(opening.timer);
      this.#terminal.releaseUse(opening.decision);
    }
    this.#passage({
      kind: event.kind,
      direction: event.direction,
      decisionId: opening?.decision.id,
      at: event.at,
    });
  }

  #confirm(decision: Decision): void {
    // A lane that counts no use (an exit) frees the place its decision held in the caps.
    if (!this.#countsUse) this.#terminal.releaseUse(decision);
    if (this.#countsUse) {
      try {
        this.#terminal.confirmUse(decision);
      } catch (error) {
        // The person is through either way; a use we could not count is reported, not retried.
        if (isXinyiError(error)) this.emit('warning', error);
      }
    }
    const pseudonym = decision.subject?.pseudonym;
    if (this.#antiPassback && pseudonym !== undefined) this.#antiPassback.passed(pseudonym, this.#direction);
  }

  #timeout(opening: PendingOpening, why: 'timeout' | 'shutdown'): void {
    const index = this.#pending.indexOf(opening);
    if (index === -1) return;
    this.#pending.splice(index, 1);
    clearTimeout(opening.timer);
    this.#terminal.releaseUse(opening.decision);
    this.#gate.close(this.#direction).catch((error: unknown) => {
      if (isXinyiError(error)) this.emit('warning', error);
    });
    this.#passage({
      kind: 'timeout',
      direction: this.#direction,
      decisionId: opening.decision.id,
      at: new Date(this.#clock.now()).toISOString(),
    });
    if (why === 'shutdown')
      this.#logger.info({ decisionId: opening.decision.id }, 'opening closed at shutdown');
  }

  #passage(passage: GatePassage): void {
    const stat = {
      passed: 'passed',
      'not-passed': 'notPassed',
      'pushed-back': 'notPassed',
      timeout: 'timeouts',
      unmatched: 'unmatched',
    } as const;
    this.#stats[stat[passage.kind]]++;
    const detail: Record<string, string> = { direction: passage.direction };
    const at = Date.parse(passage.at);
    this.#record(
      passage.decisionId === undefined
        ? { kind: passage.kind, at, detail }
        : { kind: passage.kind, at, decisionId: passage.decisionId, detail },
    );
    this.#logger.info(
      { passage: passage.kind, decisionId: passage.decisionId, direction: passage.direction },
      'passage',
    );
    this.emit('passage', passage);
  }

  #record(event: JournalEventInput): void {
    if (this.#journal === undefined) return;
    try {
      this.#journal.appendEvent(Number.isFinite(event.at) ? event : { ...event, at: this.#clock.now() });
    } catch (error) {
      if (isXinyiError(error)) this.emit('warning', error);
    }
  }

  #count(outcome: GateOutcome): void {
    const field = {
      opened: 'opened',
      shut: 'shut',
      repeat: 'repeats',
      'anti-passback': 'antiPassback',
      'gate-failed': 'gateFailures',
      failed: 'failures',
    } as const;
    this.#stats[field[outcome.kind]]++;
  }

  #rememberHolder(pseudonym: string, at: number): void {
    this.#recentHolders.set(pseudonym, at);
    if (this.#recentHolders.size > 1024) {
      for (const [k, seen] of this.#recentHolders) {
        if (at - seen >= this.#repeatWindowMs) this.#recentHolders.delete(k);
      }
    }
  }

  #remember(key: string, at: number): void {
    this.#recent.set(key, at);
    if (this.#recent.size > 1024) {
      for (const [k, seen] of this.#recent) if (at - seen >= this.#repeatWindowMs) this.#recent.delete(k);
    }
  }

  #credentialKey(credential: Credential): string | undefined {
    if (credential === null || typeof credential !== 'object') return undefined;
    const value = credential.kind === 'id-card' ? credential.idNumber : credential.text;
    if (typeof value !== 'string') return undefined;
    return createHmac('sha256', this.#keyKey).update(`${credential.kind}\u0000${value}`).digest('base64url');
  }
}
