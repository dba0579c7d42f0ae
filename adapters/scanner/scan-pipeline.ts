import { EventEmitter } from 'node:events';
import type { Clock } from '../../sdk/clock.js';
import type { BarcodeCredential, Credential, CreditCodeCredential } from '../../sdk/domain/credential.js';
import { isXinyiError, XinyiError } from '../../sdk/errors.js';
import { type Logger, silentLogger } from '../../sdk/logger.js';
import type { CredentialSource } from '../../sdk/terminal/credential-source.js';
import { type ReconnectPolicy, reopenWithBackoff, type Sleeper } from '../reconnect.js';
import type { KeyboardWedgeRejection } from './keyboard-wedge.js';
import {
  classifyScan,
  DEFAULT_CREDIT_CODE_PREFIXES,
  hasLineBreak,
  isBlankScanText,
  type Scan,
  ScanDeduplicator,
  type ScanRateLimit,
  ScanRateLimiter,
  type ScanRejectReason,
} from './scan.js';

/** Scanner states, as for the ID-card reader: `closed → opening → ready`, `reconnecting`, `faulted`. */
export type ScannerState = 'closed' | 'opening' | 'ready' | 'reconnecting' | 'faulted';

/** A scan, classified: a signed credit code (by prefix) or a plain barcode. */
export interface ScanEvent {
  scan: Scan;
  credential: CreditCodeCredential | BarcodeCredential;
}

export interface ScannerEventMap {
  /** One scan, after de-duplication. Holds what was scanned: never log `scan.text`. */
  scan: [event: ScanEvent];
  /**
   * Something read that did not become a credential: keystrokes a keyboard-wedge decoder took for a
   * person typing, a symbol whose text holds line breaks (`multi-line`), or a scan over the rate
   * limit (`rate-limited`). `length` is in characters; the text itself is never given.
   */
  rejected: [event: { reason: ScanRejectReason; length: number }];
  state: [state: ScannerState, previous: ScannerState];
  /** The device went away; the scanner reconnects by itself. Carries `DEVICE_DISCONNECTED`. */
  disconnect: [reason: XinyiError];
  /**
   * A malformed report or frame (the decoder resynchronised), or a failed reconnect; scanning goes
   * on, so nothing needs to listen; not `'error'`, which Node throws when unheard.
   */
  warning: [warning: XinyiError];
}

export interface ScannerStats {
  scans: number;
  /** Repeats dropped by the de-duplication window. */
  duplicates: number;
  rejected: number;
  frameErrors: number;
  reconnects: number;
}

/** Options every scanner driver shares. */
export interface ScannerCommonOptions {
  /** A repeat of the same text within this window is dropped: one scan gives one credential. @default 1500 */
  dedupWindowMs?: number;
  /** Prefixes that mark a signed credit code. @default ['QZ1:'] */
  creditCodePrefixes?: readonly string[];
  /**
   * At most `burst` credentials at once, then one per `intervalMs`; scans over it are `rejected`
   * with reason `rate-limited`. `false` turns the limit off (a bench, a test rig).
   * @default { burst: 3, intervalMs: 1000 } (60 a minute, a flap gate's pace)
   */
  rateLimit?: ScanRateLimit | false;
  /** Used in events and logs. */
  name?: string;
  clock?: Clock;
  logger?: Logger;
}

type DecoderOutput = Scan | XinyiError | KeyboardWedgeRejection;

/** The sans-I/O decoders' common shape (keyboard wedge, HID POS, serial). */
export interface ScanDecoder {
  push(data: Uint8Array, atMs: number): DecoderOutput[];
  poll(nowMs: number): DecoderOutput[];
  flush(): DecoderOutput[];
  reset(): void;
  readonly nextDeadlineMs: number | undefined;
}

/**
 * What the scanner drivers share: feeding a decoder with arrival times, ending scans on silence with
 * one timer, de-duplication, classification, state and events. The drivers add the device I/O.
 */
export abstract class ScannerBase extends EventEmitter<ScannerEventMap> implements CredentialSource {
  readonly name: string;
  protected readonly clock: Clock;
  protected readonly logger: Logger;
  protected readonly stats_: ScannerStats = {
    scans: 0,
    duplicates: 0,
    rejected: 0,
    frameErrors: 0,
    reconnects: 0,
  };
  readonly #dedup: ScanDeduplicator;
  readonly #rateLimiter: ScanRateLimiter | undefined;
  readonly #prefixes: readonly string[];
  #state: ScannerState = 'closed';
  #silenceTimer: NodeJS.Timeout | undefined;
  #lastScanAt: number | undefined;

  protected constructor(options: ScannerCommonOptions, defaultName: string) {
    super();
    this.name = options.name ?? defaultName;
    this.clock = options.clock ?? { now: () => Date.now() };
    this.logger = options.logger ?? silentLogger;
    const windowMs = options.dedupWindowMs ?? 1500;
    if (!Number.isFinite(windowMs) || windowMs < 0) {
      throw new XinyiError('INVALID_OPTIONS', `${this.name}: dedupWindowMs must be a non-negative number`);
    }
    this.#dedup = new ScanDeduplicator(windowMs);
    this.#rateLimiter =
      options.rateLimit === false ? undefined : new ScanRateLimiter(this.name, options.rateLimit);
    this.#prefixes = options.creditCodePrefixes ?? DEFAULT_CREDIT_CODE_PREFIXES;
  }

  protected abstract readonly decoder: ScanDecoder;

  get state(): ScannerState {
    return this.#state;
  }

  get stats(): ScannerStats {
    return { ...this.stats_ };
  }

  /** State and counters, for health endpoints (scanners have no status command to ask). */
  checkHealth(): { state: ScannerState; lastScanAt: string | null } & ScannerStats {
    return {
      state: this.#state,
      lastScanAt: this.#lastScanAt === undefined ? null : new Date(this.#lastScanAt).toISOString(),
      ...this.stats_,
    };
  }

  onCredential(listener: (credential: Credential) => void): () => void {
    const onScan = (event: ScanEvent) => listener(event.credential);
    this.on('scan', onScan);
    return () => this.off('scan', onScan);
  }

  onState(listener: (state: string, reason?: string) => void): () => void {
    let reason: string | undefined;
    const onDisconnect = (error: XinyiError) => {
      reason = error.code;
    };
    const onState = (state: ScannerState) => listener(state, state === 'reconnecting' ? reason : undefined);
    this.on('disconnect', onDisconnect);
    this.on('state', onState);
    return () => {
      this.off('disconnect', onDisconnect);
      this.off('state', onState);
    };
  }

  protected setState(next: ScannerState): void {
    const previous = this.#state;
    if (previous === next) return;
    this.#state = next;
    this.logger.debug({ device: this.name, state: next, previous }, 'scanner state');
    this.emit('state', next, previous);
  }

  protected report(error: XinyiError): void {
    this.logger.warn({ device: this.name, code: error.code, err: error.message }, 'scanner problem');
    this.emit('warning', error);
  }

  /**
   * After a disconnect: `reconnecting`, then `open` retried with backoff until it succeeds (`ready`)
   * or the policy gives up (`faulted`). Stops quietly when `stillWanted()` turns false (closed).
   */
  protected reconnect(
    disconnect: XinyiError,
    open: () => Promise<void>,
    policy: ReconnectPolicy,
    sleeper: Sleeper,
    stillWanted: () => boolean,
  ): void {
    this.resetDecoder();
    this.emit('disconnect', disconnect);
    this.setState('reconnecting');
    void reopenWithBackoff(open, policy, (ms) => sleeper.sleep(ms), stillWanted).then((reopened) => {
      if (!stillWanted()) return;
      if (reopened) {
        this.stats_.reconnects++;
        this.setState('ready');
      } else {
        this.report(new XinyiError('DEVICE_DISCONNECTED', `${this.name}: gave up reconnecting`));
        this.setState('faulted');
      }
    });
  }

  /** Feeds one chunk or report from the device. */
  protected received(data: Uint8Array): void {
    this.#handle(this.decoder.push(data, this.clock.now()));
  }

  /** Forgets a half-received scan (the device went away) and stops the silence timer. */
  protected resetDecoder(): void {
    clearTimeout(this.#silenceTimer);
    this.#silenceTimer = undefined;
    this.decoder.reset();
  }

  #handle(outputs: DecoderOutput[]): void {
    for (const output of outputs) {
      if (isXinyiError(output)) {
        this.stats_.frameErrors++;
        this.report(output);
      } else if ('kind' in output && output.kind === 'rejected') {
        this.stats_.rejected++;
        this.emit('rejected', { reason: output.reason, length: output.length });
      } else {
        this.#accept(output as Scan);
      }
    }
    this.#armSilenceTimer();
  }

  #accept(scan: Scan): void {
    const now = this.clock.now();
    if (isBlankScanText(scan.text)) {
      // Whitespace and separators only (a line-noise burst of HT/GS/FS/RS/EOT): nobody's credential.
      this.stats_.frameErrors++;
      this.report(
        new XinyiError('FRAME_GARBLED', `${this.name}: a scan of nothing but separators or whitespace`, {
          details: { length: scan.text.length },
        }),
      );
      return;
    }
    if (hasLineBreak(scan.text)) {
      this.#reject('multi-line', scan.text.length);
      return;
    }
    if (!this.#dedup.accept(scan.text, now)) {
      this.stats_.duplicates++;
      return;
    }
    if (this.#rateLimiter !== undefined && !this.#rateLimiter.take(now)) {
      this.#reject('rate-limited', scan.text.length);
      return;
    }
    this.stats_.scans++;
    this.#lastScanAt = now;
    this.emit('scan', { scan, credential: classifyScan(scan, this.#prefixes) });
  }

  #reject(reason: ScanRejectReason, length: number): void {
    this.stats_.rejected++;
    this.logger.warn({ device: this.name, reason, length }, 'scan refused');
    this.emit('rejected', { reason, length });
  }

  #armSilenceTimer(): void {
    clearTimeout(this.#silenceTimer);
    this.#silenceTimer = undefined;
    const deadline = this.decoder.nextDeadlineMs;
    if (deadline === undefined) return;
    this.#silenceTimer = setTimeout(
      () => {
        this.#silenceTimer = undefined;
        this.#handle(this.decoder.poll(this.clock.now()));
      },
      Math.max(0, deadline - this.clock.now()),
    );
  }
}
