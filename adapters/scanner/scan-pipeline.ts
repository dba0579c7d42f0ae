import { EventEmitter } from 'node:events';
import type { AbortOptions } from '../../sdk/abort.js';
import type { Clock } from '../../sdk/clock.js';
import type { BarcodeCredential, Credential, CreditCodeCredential } from '../../sdk/domain/credential.js';
import { isXinyiError, XinyiError } from '../../sdk/errors.js';
import { type Logger, silentLogger } from '../../sdk/logger.js';
import type { CredentialSource } from '../../sdk/terminal/credential-source.js';
import { DeviceLink } from '../device-link.js';
import { type ReconnectPolicy, reconnectPolicy } from '../reconnect.js';
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
  /** Backoff for reopening a device that went away. `maxAttempts: 0` retries for ever. */
  reconnect?: Partial<ReconnectPolicy>;
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
 * What the scanner drivers share: the device link (states, `open()`/`close()` with an `AbortSignal`,
 * reopening with backoff), feeding a decoder with arrival times, ending scans on silence with one
 * timer, de-duplication, classification and events. The drivers add the device I/O: `openDevice`,
 * `releaseDevice`, and `deviceLost` when the device goes away.
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
  readonly #owner: string;
  readonly #link: DeviceLink;
  #silenceTimer: NodeJS.Timeout | undefined;
  #lastScanAt: number | undefined;

  /** `owner` names the class in messages (`SerialScanner`). */
  protected constructor(options: ScannerCommonOptions, defaultName: string, owner: string) {
    super();
    this.name = options.name ?? defaultName;
    this.#owner = owner;
    this.clock = options.clock ?? { now: () => Date.now() };
    this.logger = options.logger ?? silentLogger;
    this.#link = new DeviceLink({
      name: this.name,
      noun: 'scanner',
      target: () => this.describeDevice(),
      reconnect: reconnectPolicy(owner, options.reconnect),
      logger: this.logger,
      onState: (next, previous) => {
        this.logger.debug({ device: this.name, state: next, previous }, 'scanner state');
        this.emit('state', next, previous);
      },
      hooks: {
        open: (generation) => this.openDevice(generation),
        release: () => this.releaseDevice(),
        closing: () => this.resetDecoder(),
        lost: (error) => {
          this.resetDecoder();
          this.emit('disconnect', error);
        },
        reopened: () => {
          this.stats_.reconnects++;
        },
        gaveUp: () =>
          this.report(new XinyiError('DEVICE_DISCONNECTED', `${this.name}: gave up reconnecting`)),
      },
    });
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
  /**
   * Opens the device once (the first time and at every reopening) for the link's period
   * `generation`; rejects when it cannot.
   */
  protected abstract openDevice(generation: number): Promise<void>;
  /** Releases the device; does nothing when it is not open. */
  protected abstract releaseDevice(): Promise<void>;
  /** What is opened, for open errors (a transport's description). */
  protected abstract describeDevice(): string;

  get state(): ScannerState {
    return this.#link.state;
  }

  /**
   * Opens the device. Rejects with `DEVICE_NOT_FOUND` (or `DEVICE_BUSY`, `DEVICE_PERMISSION_DENIED`)
   * when it cannot be opened, the scanner back to `closed`; once open, a lost device is reopened
   * with backoff. With `options.signal`, an abort before the scanner is `ready` closes it again and
   * rejects with `ABORTED`.
   */
  open(options?: AbortOptions): Promise<void> {
    return this.#link.open(options, `${this.#owner}.open()`);
  }

  /**
   * Stops scanning and releases the device. Safe to call at any time. The scanner is `closed` at
   * once; `options.signal` only stops the wait for the device to be released (`ABORTED`).
   */
  close(options?: AbortOptions): Promise<void> {
    return this.#link.close(options, `${this.#owner}.close()`);
  }

  get stats(): ScannerStats {
    return { ...this.stats_ };
  }

  /** State and counters, for health endpoints (scanners have no status command to ask). */
  checkHealth(): { state: ScannerState; lastScanAt: string | null } & ScannerStats {
    return {
      state: this.#link.state,
      lastScanAt: this.#lastScanAt === undefined ? null : new Date(this.#lastScanAt).toISOString(),
      ...this.stats_,
    };
  }

  onCredential(listener: (credential: Credential) => void): () => void {
    const onScan = (event: ScanEvent) => listener(event.credential);
    this.on('scan', onScan);
    return () => this.off('scan', onScan);
  }

  /** For `terminal.attach(scanner)`: state changes, with the error code of a disconnect. */
  onState(listener: (state: string, reason?: string) => void): () => void {
    return this.#link.watchAsSource(listener);
  }

  protected report(error: XinyiError): void {
    this.logger.warn({ device: this.name, code: error.code, err: error.message }, 'scanner problem');
    this.emit('warning', error);
  }

  /** The device went away: `disconnect`, then `reconnecting` until it is reopened (`ready`) or given up (`faulted`). */
  protected deviceLost(error: XinyiError): void {
    this.#link.lost(error);
  }

  /**
   * Wraps a callback of a device handle opened for period `generation` (what `openDevice` was
   * given): once the handle is lost or the scanner closed, its late events do nothing.
   */
  protected forPeriod<A extends unknown[]>(
    generation: number,
    callback: (...args: A) => void,
  ): (...args: A) => void {
    return this.#link.bind(generation, callback);
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
