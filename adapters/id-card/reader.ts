import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { AbortOptions } from '../../sdk/abort.js';
import type { Credential, IdCardCredential } from '../../sdk/domain/credential.js';
import { isXinyiError, XinyiError } from '../../sdk/errors.js';
import { type Logger, silentLogger } from '../../sdk/logger.js';
import { type RetryStep, retryLoop } from '../../sdk/retry/retry-loop.js';
import type { CredentialSource } from '../../sdk/terminal/credential-source.js';
import { DeviceLink, TransportListeners } from '../device-link.js';
import { type ReconnectPolicy, reconnectPolicy } from '../reconnect.js';
import type { Transport } from '../transport/transport.js';
import { type CardText, parseCardText, toIdCardCredential } from './card-text.js';
import { encodeSamCommand, SamFrameDecoder, type SamResponse } from './sam-frame.js';
import {
  parseAppendedAddressPayload,
  parseReadPayload,
  parseSamIdPayload,
  type SamReadFormat,
} from './sam-responses.js';
import { describeSamStatus, SamCommand, type SamCommandCode, SamStatus } from './sam-status.js';

/**
 * `closed → opening → ready ⇄ reading`; a vanished port moves to `reconnecting` and back to `ready`
 * once it reopens; `faulted` when the SAM reports a fault or reconnection gives up.
 */
export type IdCardReaderState = 'closed' | 'opening' | 'ready' | 'reading' | 'reconnecting' | 'faulted';

export interface IdCardReaderTimeouts {
  /** @default 500 */
  find: number;
  /** @default 500 */
  select: number;
  /** Text + photo (1295 bytes: 112 ms of wire time at 115200 baud, 1.35 s at 9600). @default 3000 */
  read: number;
  /** Text + photo + fingerprint (up to 2321 bytes). @default 4000 */
  readFingerprint: number;
  /** @default 2000 */
  address: number;
  /** SAM status and SAM ID. @default 1000 */
  sam: number;
}

export interface IdCardReaderOptions {
  /** The link to the reader: `SerialTransport`, `TcpTransport`, or a simulator link. */
  transport: Transport;
  /** Time between find-card polls. @default 300 */
  pollIntervalMs?: number;
  /** `'with-fingerprint'` sends 0x30 0x10 instead of 0x30 0x01. @default 'base' */
  readFormat?: SamReadFormat;
  /** Also read the newest appended address (0x30 0x03) after the base message. @default false */
  readAppendedAddress?: boolean;
  /** Per-command timeouts in milliseconds (reference §1.7 lists vendor wait times; none is normative). */
  timeoutsMs?: Partial<IdCardReaderTimeouts>;
  /** Extra attempts (find → select → read) after a transient failure of one tap. @default 2 */
  retries?: number;
  /**
   * Read the card again when its text fails its own checks (`card.issues`: a check digit, a date, a
   * birth date or gender that contradicts the ID number): text damaged on the wire in a way the
   * frame's one-byte XOR checksum missed. The same text read twice is what the card holds, and is
   * handed on with its issues. `false` hands such text on at once. @default true
   */
  rereadInconsistentText?: boolean;
  /** Consecutive "no card" polls after which the card has left the field. @default 2 */
  removalPolls?: number;
  /** Backoff for reopening a vanished port. `maxAttempts: 0` retries for ever. */
  reconnect?: Partial<ReconnectPolicy>;
  /** Quiet time after a timeout before the next command, so a late reply is not taken for the next one. @default 150 */
  lateReplyGraceMs?: number;
  /** Used in events and logs. @default 'id-card-reader' */
  name?: string;
  logger?: Logger;
}

/** One tap of a card: everything the reader read, for the terminal's identity step only. */
export interface IdCardReadEvent {
  /** What to hand to `terminal.present()`; it carries the raw ID number, so never log it. */
  credential: IdCardCredential;
  /** The whole decoded card text (personal data). */
  card: CardText;
  /** WLT photo bytes (opaque; see `decodeIdCardPhoto`). */
  photo: Buffer;
  fingerprint?: Buffer;
  appendedAddress?: string;
  /** Milliseconds from the find that saw the card to this event. */
  readMs: number;
  /** Milliseconds from the arrival of the read response's last byte to this event (SDK overhead). */
  sinceLastByteMs: number;
}

export interface IdCardReaderHealth {
  state: IdCardReaderState;
  /** SAM status check (0x11 0xFF) answered 0x90. */
  samOk: boolean;
  samStatus: { code: number; en: string; zh: string };
  /** SAM ID as vendors print it (`a.b-c-d-e`). */
  samId: string | null;
}

export interface IdCardReaderEventMap {
  card: [event: IdCardReadEvent];
  /** The card that was read has left the field; the next tap is a new read. */
  removed: [];
  state: [state: IdCardReaderState, previous: IdCardReaderState];
  /** The port went away; the reader reconnects by itself. Carries `DEVICE_DISCONNECTED`. */
  disconnect: [reason: XinyiError];
  /**
   * A non-fatal problem (a failed read, a damaged frame); never contains personal data. The reader
   * carries on, so nothing needs to listen; not `'error'`, which Node throws when unheard.
   */
  warning: [warning: XinyiError];
}

export interface IdCardReaderStats {
  /** Cards read and reported. */
  taps: number;
  /** Taps given up after every retry. */
  readFailures: number;
  timeouts: number;
  /** Frames with a bad length or checksum. */
  frameErrors: number;
  /** Card texts that failed their own checks after a good frame checksum (each read again). */
  inconsistentTexts: number;
  reconnects: number;
  /** Frames that arrived when no command was waiting (late replies). */
  strayFrames: number;
}

const DEFAULT_TIMEOUTS: IdCardReaderTimeouts = {
  find: 500,
  select: 500,
  read: 3000,
  readFingerprint: 4000,
  address: 2000,
  sam: 1000,
};

interface Pending {
  resolve: (response: SamResponse) => void;
  reject: (error: XinyiError) => void;
  timer: NodeJS.Timeout;
  /** `performance.now()` at which the command times out. */
  deadlineMs: number;
  code: SamCommandCode;
}

/** Data bytes of a card read's reply: 256 of text and 1024 of photo (§1.4); no other reply is as long. */
const CARD_READ_DATA_BYTES = 256 + 1024;

/**
 * Whether `response` can be the reply to `code`. Replies name no command, so a reply later than the
 * grace (a slow reader, a busy host) would be taken for the answer to the next command, and every
 * reply after it would be off by one; shapes that only one command returns catch that: a card
 * search's "card found" and "no card" (SW3 0x9F, 0x80) and a card read's text and photo.
 */
function canAnswer(code: SamCommandCode, response: SamResponse): boolean {
  const find = code.cmd === SamCommand.findCard.cmd && code.para === SamCommand.findCard.para;
  if (response.sw3 === SamStatus.FIND_CARD_SUCCESS || response.sw3 === SamStatus.FIND_CARD_FAILED)
    return find;
  return code.cmd === SamCommand.readBase.cmd || response.data.length < CARD_READ_DATA_BYTES;
}

function positive(name: string, value: number | undefined, fallback: number, allowZero = false): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new XinyiError(
      'INVALID_OPTIONS',
      `IdCardReader: ${name} must be a ${allowZero ? 'non-negative' : 'positive'} number`,
    );
  }
  return value;
}

function statusError(step: string, sw3: number): XinyiError {
  const info = describeSamStatus(sw3);
  return new XinyiError(
    'DEVICE_STATUS',
    `ID-card reader ${step}: SW3 0x${sw3.toString(16).padStart(2, '0')} ${info.en} (${info.zh})`,
    { details: { step, sw3, transient: info.transient } },
  );
}

/**
 * Driver for second-generation ID-card readers speaking the SAM protocol (docs/protocols.md §1).
 * Polls find → select → read; one tap gives one `card` event, and the card must leave the field
 * before it is read again. Reconnects by itself when the port disappears. Never logs card data.
 */
export class IdCardReader extends EventEmitter<IdCardReaderEventMap> implements CredentialSource {
  readonly name: string;
  readonly #transport: Transport;
  readonly #pollIntervalMs: number;
  readonly #readFormat: SamReadFormat;
  readonly #readAddress: boolean;
  readonly #timeouts: IdCardReaderTimeouts;
  readonly #retries: number;
  readonly #rereadInconsistentText: boolean;
  readonly #removalPolls: number;
  readonly #graceMs: number;
  readonly #logger: Logger;
  readonly #decoder = new SamFrameDecoder();
  /** The port's lifecycle; its generation ends the loops of an older period (a lost or closed port). */
  readonly #link: DeviceLink<'reading'>;
  #pending: Pending | null = null;
  #queue: Promise<unknown> = Promise.resolve();
  #cardHandled = false;
  #absentPolls = 0;
  #lastChunkAt = 0;
  /** When a command was in flight at close(): the time its reply may still come until. */
  #owedReplyByMs: number | undefined;
  /** Called with the next frame that no command waits for (see `#awaitOwedReply`). */
  #onStrayFrame: (() => void) | undefined;
  readonly #stats: IdCardReaderStats = {
    taps: 0,
    readFailures: 0,
    timeouts: 0,
    frameErrors: 0,
    inconsistentTexts: 0,
    reconnects: 0,
    strayFrames: 0,
  };

  constructor(options: IdCardReaderOptions) {
    super();
    if (!options || typeof options !== 'object' || !options.transport) {
      throw new XinyiError('INVALID_OPTIONS', 'IdCardReader: transport is required');
    }
    this.#transport = options.transport;
    this.name = options.name ?? 'id-card-reader';
    this.#pollIntervalMs = positive('pollIntervalMs', options.pollIntervalMs, 300);
    this.#readFormat = options.readFormat ?? 'base';
    if (this.#readFormat !== 'base' && this.#readFormat !== 'with-fingerprint') {
      throw new XinyiError(
        'INVALID_OPTIONS',
        "IdCardReader: readFormat must be 'base' or 'with-fingerprint'",
      );
    }
    this.#readAddress = options.readAppendedAddress ?? false;
    this.#timeouts = { ...DEFAULT_TIMEOUTS };
    for (const [key, value] of Object.entries(options.timeoutsMs ?? {})) {
      if (!(key in DEFAULT_TIMEOUTS))
        throw new XinyiError('INVALID_OPTIONS', `IdCardReader: unknown timeoutsMs.${key}`);
      this.#timeouts[key as keyof IdCardReaderTimeouts] = positive(`timeoutsMs.${key}`, value, 0);
    }
    this.#retries = positive('retries', options.retries, 2, true);
    this.#rereadInconsistentText = options.rereadInconsistentText ?? true;
    if (typeof this.#rereadInconsistentText !== 'boolean') {
      throw new XinyiError('INVALID_OPTIONS', 'IdCardReader: rereadInconsistentText must be a boolean');
    }
    this.#removalPolls = positive('removalPolls', options.removalPolls, 2);
    const reconnect = reconnectPolicy('IdCardReader', options.reconnect);
    this.#graceMs = positive('lateReplyGraceMs', options.lateReplyGraceMs, 150, true);
    this.#logger = options.logger ?? silentLogger;
    const port = new TransportListeners(this.#transport, {
      data: this.#onData,
      lost: (error) => this.#link.lost(error),
    });
    this.#link = new DeviceLink<'reading'>({
      name: this.name,
      noun: 'reader',
      target: () => this.#transport.description,
      reconnect,
      logger: this.#logger,
      onState: (next, previous) => {
        this.#logger.debug({ device: this.name, state: next, previous }, 'id-card reader state');
        this.emit('state', next, previous);
      },
      hooks: {
        open: () => port.open(),
        release: () => port.release(),
        prepare: () => this.#prepare(),
        ready: (generation) => void this.#pollLoop(generation),
        closing: () => {
          // The reader still answers a command sent before close(), and the port keeps that
          // answer for whoever opens it next: remember to wait for it.
          if (this.#pending) this.#owedReplyByMs = this.#pending.deadlineMs;
          this.#failPending(new XinyiError('CLOSED', `${this.name} was closed`));
        },
        lost: (error) => {
          this.#failPending(error);
          this.#decoder.reset();
          this.#logger.warn({ device: this.name, code: error.code }, 'id-card reader disconnected');
          this.emit('disconnect', error);
        },
        reopened: () => {
          this.#stats.reconnects++;
        },
        gaveUp: (attempts) =>
          this.#report(
            new XinyiError(
              'DEVICE_DISCONNECTED',
              `${this.name}: gave up reconnecting after ${attempts} attempts`,
            ),
          ),
      },
    });
  }

  get state(): IdCardReaderState {
    return this.#link.state;
  }

  /** For `terminal.attach(reader)`: the credential of every tap. */
  onCredential(listener: (credential: Credential) => void): () => void {
    const onCard = (event: IdCardReadEvent) => listener(event.credential);
    this.on('card', onCard);
    return () => this.off('card', onCard);
  }

  /** For `terminal.attach(reader)`: state changes, with the error code of a disconnect. */
  onState(listener: (state: string, reason?: string) => void): () => void {
    return this.#link.watchAsSource(listener);
  }

  /** Counters for diagnostics (no personal data). */
  get stats(): IdCardReaderStats {
    return { ...this.#stats };
  }

  /**
   * Opens the port and starts polling. Rejects with `DEVICE_NOT_FOUND` when the port cannot be opened
   * (the reader returns to `closed`); once open, a lost port is reopened automatically. With
   * `options.signal`, an abort before the reader is `ready` closes it again and rejects with `ABORTED`.
   */
  open(options?: AbortOptions): Promise<void> {
    return this.#link.open(options, 'IdCardReader.open()');
  }

  /**
   * Stops polling, fails any command in flight and releases the port. Safe to call at any time. The
   * reader is `closed` at once; `options.signal` only stops the wait for the port to be released
   * (`ABORTED`).
   */
  close(options?: AbortOptions): Promise<void> {
    return this.#link.close(options, 'IdCardReader.close()');
  }

  /** Asks the SAM for its status (0x11 0xFF) and ID (0x12 0xFF). Rejects when the reader is not open. */
  checkHealth(): Promise<IdCardReaderHealth> {
    return this.#exclusive(async () => {
      this.#assertUsable();
      const status = await this.#command(SamCommand.samStatus, this.#timeouts.sam);
      const info = describeSamStatus(status.sw3);
      let samId: string | null = null;
      const id = await this.#command(SamCommand.readSamId, this.#timeouts.sam);
      if (id.sw3 === SamStatus.SUCCESS) samId = parseSamIdPayload(id.data).text;
      return {
        state: this.#link.state,
        samOk: status.sw3 === SamStatus.SUCCESS,
        samStatus: { code: status.sw3, en: info.en, zh: info.zh },
        samId,
      };
    });
  }

  #assertUsable(): void {
    const state = this.#link.state;
    if (state === 'closed' || state === 'opening' || !this.#transport.isOpen) {
      throw new XinyiError('CLOSED', `${this.name} is ${state}`);
    }
  }

  #report(error: XinyiError): void {
    this.#logger.warn({ device: this.name, code: error.code, err: error.message }, 'id-card reader problem');
    this.emit('warning', error);
  }

  readonly #onData = (chunk: Buffer): void => {
    this.#lastChunkAt = performance.now();
    for (const item of this.#decoder.push(chunk)) {
      const pending = this.#pending;
      if (isXinyiError(item)) this.#stats.frameErrors++;
      if (!pending || (!isXinyiError(item) && !canAnswer(pending.code, item))) {
        this.#stats.strayFrames++;
        this.#onStrayFrame?.();
        continue;
      }
      this.#pending = null;
      clearTimeout(pending.timer);
      if (isXinyiError(item)) pending.reject(item);
      else pending.resolve(item);
    }
  };

  #failPending(error: XinyiError): void {
    const pending = this.#pending;
    if (!pending) return;
    this.#pending = null;
    clearTimeout(pending.timer);
    pending.reject(error);
  }

  /** Runs `task` after every earlier command sequence: the SAM handles one command at a time. */
  #exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task, task);
    this.#queue = run.catch(() => {});
    return run;
  }

  #command(code: SamCommandCode, timeoutMs: number): Promise<SamResponse> {
    return new Promise<SamResponse>((resolve, reject) => {
      if (this.#pending) {
        reject(new XinyiError('INVALID_ARGUMENT', `${this.name}: a command is already in flight`));
        return;
      }
      const timer = setTimeout(() => {
        if (this.#pending?.timer !== timer) return;
        this.#pending = null;
        this.#stats.timeouts++;
        reject(
          new XinyiError(
            'DEVICE_TIMEOUT',
            `${this.name}: no reply to command 0x${code.cmd.toString(16)} 0x${code.para.toString(16)} within ${timeoutMs} ms`,
            {
              details: { cmd: code.cmd, para: code.para, timeoutMs },
            },
          ),
        );
      }, timeoutMs);
      this.#pending = { resolve, reject, timer, deadlineMs: performance.now() + timeoutMs, code };
      this.#transport.write(encodeSamCommand(code.cmd, code.para)).catch((error: unknown) => {
        if (this.#pending?.timer !== timer) return;
        this.#pending = null;
        clearTimeout(timer);
        reject(
          isXinyiError(error)
            ? error
            : new XinyiError('DEVICE_DISCONNECTED', `${this.name}: write failed`, { cause: error }),
        );
      });
    });
  }

  /** After a timeout or a damaged frame, let a late reply pass and forget half-received bytes. */
  async #settle(): Promise<void> {
    await this.#link.sleep(this.#graceMs);
    this.#decoder.reset();
  }

  /** Before `ready`, at every opening of the port. */
  async #prepare(): Promise<void> {
    this.#cardHandled = false;
    this.#absentPolls = 0;
    // A port keeps what the reader sent while nobody listened (a reply to the last command before a
    // close or an unplug): let it arrive and drop it, so it is not taken for the next reply.
    await this.#exclusive(async () => {
      await this.#awaitOwedReply();
      await this.#settle();
    });
  }

  /**
   * After close() cut a command short, waits for its reply (dropped as stray) until that command's
   * own timeout: the grace alone is a guess that a busy host or a slow reader outlasts, and the
   * owed reply would then be taken for the answer to the next command (a find reply read as the SAM
   * status). Returns at once when nothing is owed or the deadline has passed.
   */
  async #awaitOwedReply(): Promise<void> {
    const byMs = this.#owedReplyByMs;
    this.#owedReplyByMs = undefined;
    if (byMs === undefined) return;
    const waitMs = byMs - performance.now();
    if (waitMs <= 0) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#onStrayFrame = undefined;
        resolve();
      };
      const timer = setTimeout(done, waitMs);
      this.#onStrayFrame = done;
    });
  }

  async #pollLoop(generation: number): Promise<void> {
    while (this.#link.isCurrent(generation)) {
      try {
        await this.#exclusive(() => this.#pollOnce(generation));
      } catch (error) {
        if (!this.#link.isCurrent(generation)) return;
        const e = isXinyiError(error)
          ? error
          : new XinyiError('DEVICE_STATUS', `${this.name}: poll failed`, { cause: error });
        if (e.code === 'DEVICE_STATUS') {
          // The SAM itself refused (self-test failed, not authorised): polling on will not help.
          this.#report(e);
          this.#link.fault();
          return;
        }
        this.#report(e);
        await this.#settle();
      }
      if (!this.#link.isCurrent(generation)) return;
      await this.#link.sleep(this.#pollIntervalMs);
    }
  }

  async #pollOnce(generation: number): Promise<void> {
    if (!this.#link.isCurrent(generation)) return;
    const find = await this.#command(SamCommand.findCard, this.#timeouts.find);
    if (find.sw3 === SamStatus.FIND_CARD_SUCCESS) {
      this.#absentPolls = 0;
      if (!this.#cardHandled) await this.#readCard(generation);
      return;
    }
    if (describeSamStatus(find.sw3).transient) {
      this.#absentPolls++;
      if (this.#cardHandled && this.#absentPolls >= this.#removalPolls) {
        this.#cardHandled = false;
        this.emit('removed');
      }
      return;
    }
    throw statusError('find card', find.sw3);
  }

  /** find (done) → select → read [→ address], retrying transient failures while the card stays. */
  async #readCard(generation: number): Promise<void> {
    const started = performance.now();
    this.#link.setState('reading');
    try {
      const inconsistent: { text?: Buffer } = {};
      let event: IdCardReadEvent;
      try {
        event = await retryLoop(
          async (attempt) => {
            if (!this.#link.isCurrent(generation)) throw new ReadAbandoned();
            if (attempt > 1) {
              const again = await this.#command(SamCommand.findCard, this.#timeouts.find);
              if (again.sw3 !== SamStatus.FIND_CARD_SUCCESS) throw new ReadAbandoned(); // the card left
            }
            return await this.#readSequence(started, inconsistent);
          },
          {
            decide: ({ attempt, error }) => cardReadStep(error, attempt, this.#retries, this.#graceMs),
            // Let the line go quiet and drop what arrived meanwhile, so a late reply is not taken for the next.
            sleep: async (ms) => {
              await this.#link.sleep(ms);
              this.#decoder.reset();
            },
          },
        );
      } catch (error) {
        if (error instanceof ReadAbandoned) return;
        if (!isXinyiError(error) || error.code === 'CLOSED' || error.code === 'DEVICE_DISCONNECTED')
          throw error;
        // Give up on this tap: the citizen lifts the card and taps again. Not re-read while it stays.
        this.#cardHandled = true;
        this.#stats.readFailures++;
        this.#report(
          new XinyiError(
            'DEVICE_STATUS',
            `${this.name}: the card could not be read; ask for it to be presented again`,
            {
              cause: error,
              details: { attempts: this.#retries + 1 },
            },
          ),
        );
        return;
      }
      if (!this.#link.isCurrent(generation)) return;
      this.#cardHandled = true;
      this.#stats.taps++;
      this.#link.setState('ready');
      this.emit('card', event);
    } finally {
      if (this.#link.state === 'reading') this.#link.setState('ready');
    }
  }

  /** `inconsistent` carries, between the attempts of one tap, the last text that failed its checks. */
  async #readSequence(started: number, inconsistent: { text?: Buffer }): Promise<IdCardReadEvent> {
    const select = await this.#command(SamCommand.selectCard, this.#timeouts.select);
    if (select.sw3 !== SamStatus.SUCCESS) throw statusError('select card', select.sw3);
    const withFingerprint = this.#readFormat === 'with-fingerprint';
    const read = await this.#command(
      withFingerprint ? SamCommand.readBaseWithFingerprint : SamCommand.readBase,
      withFingerprint ? this.#timeouts.readFingerprint : this.#timeouts.read,
    );
    const lastByteAt = this.#lastChunkAt;
    if (read.sw3 !== SamStatus.SUCCESS) throw statusError('read card', read.sw3);
    const payload = parseReadPayload(read.data, this.#readFormat);
    const card = parseCardText(payload.text);
    const damaged =
      this.#rereadInconsistentText &&
      card.issues.length > 0 &&
      inconsistent.text?.equals(payload.text) !== true;
    if (damaged) {
      inconsistent.text = Buffer.from(payload.text);
      this.#stats.inconsistentTexts++;
      // Issues name fields and rules, never values.
      const issues = card.issues.map((i) => `${i.field}: ${i.code}`);
      throw new XinyiError(
        'FRAME_GARBLED',
        `${this.name}: the card text failed its own checks (${issues.join(', ')}); reading the card again`,
        { details: { issues: issues.join(', ') } },
      );
    }
    let appendedAddress: string | undefined;
    let sinceLastByteMs = performance.now() - lastByteAt;
    if (this.#readAddress) {
      const address = await this.#command(SamCommand.readNewestAddress, this.#timeouts.address);
      if (address.sw3 === SamStatus.SUCCESS)
        appendedAddress = parseAppendedAddressPayload(address.data).address;
      else if (address.sw3 !== SamStatus.NO_CONTENT) throw statusError('read appended address', address.sw3);
      sinceLastByteMs = performance.now() - this.#lastChunkAt;
    }
    const event: IdCardReadEvent = {
      credential: toIdCardCredential(card),
      card,
      photo: payload.photo,
      readMs: performance.now() - started,
      sinceLastByteMs,
    };
    if (payload.fingerprint) event.fingerprint = payload.fingerprint;
    if (appendedAddress !== undefined) event.appendedAddress = appendedAddress;
    return event;
  }
}

/** Thrown by a read attempt that finds the card gone or the reader closed: the tap ends quietly. */
class ReadAbandoned extends Error {}

/**
 * Whether a failed read of one tap is tried again (`attempt` is the 1-based number of the failed
 * attempt; `retries` more are allowed), and how long the line is left to go quiet first: pure.
 * Closing, a lost port and anything but an `XinyiError` end the read; a status the card or SAM
 * reports as lasting (`DEVICE_STATUS` without `details.transient`) is not asked again; a timeout or
 * a damaged frame waits `graceMs` for the rest of the reply to pass.
 */
export function cardReadStep(error: unknown, attempt: number, retries: number, graceMs: number): RetryStep {
  if (!isXinyiError(error) || error.code === 'CLOSED' || error.code === 'DEVICE_DISCONNECTED') {
    return { retry: false, delayMs: 0 };
  }
  const transient = error.code !== 'DEVICE_STATUS' || error.details.transient === true;
  if (!transient || attempt > retries) return { retry: false, delayMs: 0 };
  return { retry: true, delayMs: awaitsQuiet(error) ? graceMs : 0 };
}

/** A timeout or a damaged frame: the rest of a reply may still arrive and must not be read as the next one. */
function awaitsQuiet(error: XinyiError): boolean {
  return error.code === 'DEVICE_TIMEOUT' || error.code === 'FRAME_CHECKSUM' || error.code === 'FRAME_LENGTH';
}
