import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { type Clock, systemClock } from '../../sdk/clock.js';
import type { Credential } from '../../sdk/domain/credential.js';
import { isXinyiError, XinyiError } from '../../sdk/errors.js';
import { type Logger, silentLogger } from '../../sdk/logger.js';
import type { CredentialSource } from '../../sdk/terminal/credential-source.js';
import {
  classifyScan,
  DEFAULT_CREDIT_CODE_PREFIXES,
  hasLineBreak,
  isBlankScanText,
  type Scan,
  type ScanRateLimit,
  ScanRateLimiter,
  type ScanRejectReason,
} from '../scanner/scan.js';
import { type CameraFrame, type FrameDecoder, validateCameraFrame } from './frame-decoder.js';

/** `ready` (frames may be pushed) ⇄ `running` (a `run()` is consuming a source); `closed` for good. */
export type CameraScannerState = 'ready' | 'running' | 'closed';

export interface CameraScannerOptions {
  /** `createZxingWasmDecoder()` in production. The scanner does not close it. */
  decoder: FrameDecoder;
  /**
   * A code that was reported is reported again only after it has been out of view for this long
   * **and** for `goneAfterFrames` decoded frames: a code held in front of the camera gives one scan,
   * and a frame or two where it was missed (motion blur, glare) does not repeat it.
   * @default 1000
   */
  goneAfterMs?: number;
  /** See `goneAfterMs`. Counts decoded frames only, so a paused camera does not make a code "gone". @default 2 */
  goneAfterFrames?: number;
  /** Time source for `goneAfterMs`, read when a frame arrives. @default systemClock */
  clock?: Clock;
  /** Prefixes that make a scan a credit code (`classifyScan`). @default DEFAULT_CREDIT_CODE_PREFIXES */
  creditCodePrefixes?: readonly string[];
  /**
   * At most `burst` credentials at once, then one per `intervalMs`; codes over it are `rejected`
   * with reason `rate-limited` (a screen replaying a video of codes). `false` turns it off.
   * @default { burst: 3, intervalMs: 1000 }
   */
  rateLimit?: ScanRateLimit | false;
  /** Used in events and logs. @default 'camera' */
  name?: string;
  logger?: Logger;
}

export interface CameraScannerStats {
  /** Frames received (pushed or read from a source), dropped ones included. */
  frames: number;
  /** Frames that went through the decoder. */
  decoded: number;
  /** Frames dropped because a decode was still running. */
  dropped: number;
  /** Codes reported as `scan` events. */
  scans: number;
  /** Codes refused (`rejected` events: multi-line, rate-limited). */
  rejected: number;
  /** Codes decoded next to the one chosen as the frame's credential, and not reported. */
  extraSymbols: number;
  /** Decodes that failed (each also an `error` event). */
  errors: number;
  /** Median decode time over the last 101 decodes, in milliseconds; `null` before the first. */
  medianDecodeMs: number | null;
}

export interface CameraScannerEventMap {
  /**
   * A code came into view: one per frame at most, chosen by `chooseCredentialScan` when the frame
   * holds several. `text` may hold personal data: never log it.
   */
  scan: [scan: Scan];
  /**
   * A code that came into view and was refused: its text holds line breaks (`multi-line`: one
   * symbol is one credential, never one per line) or it is over the rate limit (`rate-limited`).
   */
  rejected: [event: { reason: ScanRejectReason; length: number }];
  /**
   * A decode failed, or a frame from `run()`'s source was malformed (`INVALID_ARGUMENT`); scanning
   * goes on, so nothing needs to listen (not `'error'`, which Node throws when unheard). Decoder
   * failures arrive as the decoder raised them.
   */
  warning: [warning: Error];
  state: [state: CameraScannerState, previous: CameraScannerState];
}

interface Track {
  lastSeenMs: number;
  missedFrames: number;
}

const TIMING_WINDOW = 101;
const CLOSED_SIGNAL = Symbol('closed');

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0) {
    throw new XinyiError('INVALID_OPTIONS', `CameraScanner: ${name} must be a non-negative number`);
  }
  return value;
}

/**
 * Turns a stream of camera frames into scans: frames come from a callback (`push`) or an iterator
 * (`run`), one frame is decoded at a time and frames arriving meanwhile are dropped, so the scanner
 * always works on a recent frame and never queues. A code is reported once while it stays in view.
 * As a `CredentialSource`, attach it to a terminal: `QZ1:` texts become credit codes, others barcodes.
 */
export class CameraScanner extends EventEmitter<CameraScannerEventMap> implements CredentialSource {
  readonly name: string;
  readonly #decoder: FrameDecoder;
  readonly #goneAfterMs: number;
  readonly #goneAfterFrames: number;
  readonly #clock: Clock;
  readonly #prefixes: readonly string[];
  readonly #rateLimiter: ScanRateLimiter | undefined;
  readonly #logger: Logger;
  readonly #tracks = new Map<string, Track>();
  readonly #decodeMs: number[] = [];
  #decodeMsNext = 0;
  #state: CameraScannerState = 'ready';
  #runs = 0;
  #inFlight: Promise<void> | null = null;
  /** Wakes `run()` loops waiting for their source's next frame when the scanner closes. */
  readonly #closeWaiters = new Set<() => void>();
  readonly #stats = { frames: 0, decoded: 0, dropped: 0, scans: 0, rejected: 0, extraSymbols: 0, errors: 0 };

  constructor(options: CameraScannerOptions) {
    super();
    if (!options || typeof options !== 'object' || typeof options.decoder?.decode !== 'function') {
      throw new XinyiError('INVALID_OPTIONS', 'CameraScanner: decoder is required');
    }
    this.#decoder = options.decoder;
    this.#goneAfterMs = nonNegative('goneAfterMs', options.goneAfterMs, 1000);
    this.#goneAfterFrames = nonNegative('goneAfterFrames', options.goneAfterFrames, 2);
    this.#clock = options.clock ?? systemClock;
    this.#prefixes = options.creditCodePrefixes ?? DEFAULT_CREDIT_CODE_PREFIXES;
    this.name = options.name ?? 'camera';
    this.#rateLimiter =
      options.rateLimit === false ? undefined : new ScanRateLimiter(this.name, options.rateLimit);
    this.#logger = options.logger ?? silentLogger;
  }

  get state(): CameraScannerState {
    return this.#state;
  }

  /** Counters for diagnostics (no scanned text). */
  get stats(): CameraScannerStats {
    const sorted = [...this.#decodeMs].sort((a, b) => a - b);
    const medianDecodeMs = sorted.length === 0 ? null : sorted[(sorted.length - 1) >> 1]!;
    return { ...this.#stats, medianDecodeMs };
  }

  onCredential(listener: (credential: Credential) => void): () => void {
    const onScan = (scan: Scan) => listener(classifyScan(scan, this.#prefixes));
    this.on('scan', onScan);
    return () => this.off('scan', onScan);
  }

  onState(listener: (state: string, reason?: string) => void): () => void {
    const onState = (state: CameraScannerState) => listener(state);
    this.on('state', onState);
    return () => this.off('state', onState);
  }

  /**
   * Hands over one frame. Returns `true` when decoding started, `false` when the frame was dropped
   * because a decode is still running (or the scanner is closed). Throws `INVALID_ARGUMENT` for a
   * malformed frame. The caller may reuse the frame's buffer once the decoder's promise settled;
   * the zxing decoders have copied it by the time `push` returns.
   */
  push(frame: CameraFrame): boolean {
    if (this.#state === 'closed') return false;
    validateCameraFrame(frame);
    this.#stats.frames++;
    if (this.#inFlight) {
      this.#stats.dropped++;
      return false;
    }
    const atMs = this.#clock.now();
    const started = performance.now();
    let pending: Promise<Scan[]>;
    try {
      pending = this.#decoder.decode(frame);
    } catch (error) {
      pending = Promise.reject(error);
    }
    this.#inFlight = pending.then(
      (scans) => {
        this.#inFlight = null;
        this.#recordTiming(performance.now() - started);
        if (this.#state !== 'closed') this.#onDecoded(scans, atMs);
      },
      (error: unknown) => {
        this.#inFlight = null;
        this.#stats.errors++;
        if (this.#state !== 'closed') this.#report(error);
      },
    );
    return true;
  }

  /**
   * Feeds every frame of `frames` to `push()` as it arrives (frames that arrive during a decode are
   * dropped, as with a live camera) until the source ends or `close()` is called; then waits for the
   * last decode. Malformed frames are reported as `error` events and skipped. Rejects when the source
   * itself throws, and with `CLOSED` when the scanner is already closed.
   */
  async run(frames: AsyncIterable<CameraFrame> | Iterable<CameraFrame>): Promise<void> {
    if (this.#state === 'closed') throw new XinyiError('CLOSED', `${this.name} is closed`);
    const iterator =
      Symbol.asyncIterator in frames
        ? (frames as AsyncIterable<CameraFrame>)[Symbol.asyncIterator]()
        : (frames as Iterable<CameraFrame>)[Symbol.iterator]();
    this.#runs++;
    this.#setState('running');
    let finished = false;
    try {
      while (!this.#isClosed()) {
        // On close the source may still settle this read; its result (or failure) no longer matters.
        const step = await this.#untilClosed(Promise.resolve(iterator.next()));
        if (step === CLOSED_SIGNAL) break;
        if (step.done) {
          finished = true;
          break;
        }
        try {
          this.push(step.value);
        } catch (error) {
          this.#report(error);
        }
      }
      await this.idle();
    } finally {
      if (!finished) await Promise.resolve(iterator.return?.()).catch(() => {});
      this.#runs--;
      if (this.#runs === 0 && this.#state === 'running') this.#setState('ready');
    }
  }

  /** Resolves once the decode in progress (if any) has finished and its scans were reported. */
  async idle(): Promise<void> {
    while (this.#inFlight) await this.#inFlight;
  }

  /** Stops accepting frames and ends every `run()`; results of a decode in progress are discarded. */
  close(): void {
    if (this.#state === 'closed') return;
    this.#setState('closed');
    for (const wake of this.#closeWaiters) wake();
    this.#tracks.clear();
  }

  #onDecoded(scans: readonly Scan[], atMs: number): void {
    this.#stats.decoded++;
    const inView = new Map<string, Scan>();
    const fresh = new Set<string>();
    for (const scan of scans) {
      if (inView.has(scan.text)) continue;
      inView.set(scan.text, scan);
      const track = this.#tracks.get(scan.text);
      if (track === undefined || this.#isGone(track, atMs)) fresh.add(scan.text);
      this.#tracks.set(scan.text, { lastSeenMs: atMs, missedFrames: 0 });
    }
    for (const [text, track] of this.#tracks) {
      if (inView.has(text)) continue;
      track.missedFrames++;
      if (this.#isGone(track, atMs)) this.#tracks.delete(text);
    }
    if (inView.size === 0) return;
    // One frame, one credential: the code chosen among all those in view. When it was reported
    // already, a code that just joined it is not reported either (the same presentation).
    const chosen = chooseCredentialScan([...inView.values()], this.#prefixes)!;
    if (!fresh.has(chosen.text)) return;
    this.#stats.extraSymbols += inView.size - 1;
    if (isBlankScanText(chosen.text)) {
      this.#stats.errors++;
      this.#report(
        new XinyiError('FRAME_GARBLED', `${this.name}: a code of nothing but separators or whitespace`, {
          details: { length: chosen.text.length },
        }),
      );
      return;
    }
    if (hasLineBreak(chosen.text)) {
      this.#reject('multi-line', chosen.text.length);
      return;
    }
    if (this.#rateLimiter !== undefined && !this.#rateLimiter.take(atMs)) {
      this.#reject('rate-limited', chosen.text.length);
      return;
    }
    this.#stats.scans++;
    this.#safeEmitScan({ ...chosen, source: 'camera' });
  }

  #reject(reason: ScanRejectReason, length: number): void {
    this.#stats.rejected++;
    this.#logger.warn({ device: this.name, reason, length }, 'camera scan refused');
    try {
      this.emit('rejected', { reason, length });
    } catch (error) {
      this.#report(error);
    }
  }

  /**
   * `promise`, or `CLOSED_SIGNAL` as soon as the scanner closes. Not `Promise.race` with one
   * long-lived "closed" promise: every race would leave a reaction on it, one per frame, for ever.
   */
  #untilClosed<T>(promise: Promise<T>): Promise<T | typeof CLOSED_SIGNAL> {
    return new Promise((resolve, reject) => {
      const wake = () => resolve(CLOSED_SIGNAL);
      this.#closeWaiters.add(wake);
      promise.then(resolve, reject).finally(() => this.#closeWaiters.delete(wake));
    });
  }

  /** A method, not a field read: TypeScript would keep `#state` narrowed across awaits. */
  #isClosed(): boolean {
    return this.#state === 'closed';
  }

  #isGone(track: Track, nowMs: number): boolean {
    return nowMs - track.lastSeenMs >= this.#goneAfterMs && track.missedFrames >= this.#goneAfterFrames;
  }

  #safeEmitScan(scan: Scan): void {
    try {
      this.emit('scan', scan);
    } catch (error) {
      // A throwing listener must not stop the scanner; it surfaces as an error event instead.
      this.#report(error);
    }
  }

  #recordTiming(ms: number): void {
    if (this.#decodeMs.length < TIMING_WINDOW) this.#decodeMs.push(ms);
    else this.#decodeMs[this.#decodeMsNext] = ms;
    this.#decodeMsNext = (this.#decodeMsNext + 1) % TIMING_WINDOW;
  }

  #report(error: unknown): void {
    const err = error instanceof Error ? error : new Error(String(error));
    this.#logger.warn(
      { device: this.name, code: isXinyiError(err) ? err.code : err.name, err: err.message },
      'camera scanner problem',
    );
    try {
      this.emit('warning', err);
    } catch {
      // A warning listener that throws has nobody left to tell.
    }
  }

  #setState(next: CameraScannerState): void {
    const previous = this.#state;
    if (previous === next) return;
    this.#state = next;
    this.#logger.debug({ device: this.name, state: next, previous }, 'camera scanner state');
    this.emit('state', next, previous);
  }
}

/**
 * The credential among several codes seen in one frame: a signed credit code (by its prefix) before
 * any other code, since its holder is verified; then the largest symbol (`areaPx`: the one held
 * nearest the camera); then the decoder's order. Undefined for no scans.
 */
export function chooseCredentialScan(
  scans: readonly Scan[],
  creditCodePrefixes: readonly string[] = DEFAULT_CREDIT_CODE_PREFIXES,
): Scan | undefined {
  const isCredit = (scan: Scan) => classifyScan(scan, creditCodePrefixes).kind === 'credit-code';
  let best: Scan | undefined;
  for (const scan of scans) {
    if (best === undefined) {
      best = scan;
      continue;
    }
    const credit = isCredit(scan);
    const bestCredit = isCredit(best);
    if (credit !== bestCredit) {
      if (credit) best = scan;
      continue;
    }
    if ((scan.areaPx ?? 0) > (best.areaPx ?? 0)) best = scan;
  }
  return best;
}
