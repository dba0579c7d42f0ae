import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { type AbortOptions, abortedError, signalOf, untilAborted } from '../abort.js';
import { type Clock, systemClock } from '../clock.js';
import type { UploadResult, UploadTransferOptions } from '../credit/http-platform.js';
import { isXinyiError, XinyiError, type XinyiErrorCode } from '../errors.js';
import { type Logger, silentLogger } from '../logger.js';
import { backoffDelayMs } from '../retry/backoff.js';
import { type RetryStep, retryLoop, timerSleep } from '../retry/retry-loop.js';
import type { ChainHead } from './journal-chain.js';
import type { JournalStore, OutboxItem, UploadRecordKind } from './journal-store.js';

/** The part of the platform client the uploader uses (`HttpPlatformResolver` has this shape). */
export interface UploadPlatform {
  uploadDecisions(
    batch: readonly unknown[],
    idempotencyKey: string,
    options?: UploadTransferOptions,
  ): Promise<UploadResult>;
  uploadDisclosures(
    batch: readonly unknown[],
    idempotencyKey: string,
    options?: UploadTransferOptions,
  ): Promise<UploadResult>;
}

export interface UploaderOptions {
  /** The outbox: records are read with `pendingUploads` and marked with `markUploaded`. */
  journal: JournalStore;
  /** Usually the `HttpPlatformResolver` (signed requests, p-retry with the shared retry policy, breaker). */
  platform: UploadPlatform;
  /** Records per upload request. @default 100 */
  batchSize?: number;
  /** Period of the uploader's timer: a look at the outbox and the backlog. @default 1000 */
  intervalMs?: number;
  /**
   * Ceiling of the wait after failed passes: the wait starts at `intervalMs` and doubles per
   * consecutive failure, with equal jitter. @default 60000
   */
  maxBackoffMs?: number;
  /** Records waiting (decisions and disclosures together) above which `backlog-alarm` is raised. @default 10000 */
  backlogAlarmThreshold?: number;
  /** Budget of one upload request, retries included. @default the platform client's transfer budget */
  uploadTimeoutMs?: number;
  /** Upload times (`markUploaded`, `lastSuccessAt`) and the backoff schedule. @default systemClock */
  clock?: Clock;
  logger?: Logger;
  /** Backoff jitter in [0, 1). @default Math.random */
  random?: () => number;
}

/**
 * - `idle`: no upload has been tried since the uploader was created (nothing to send yet).
 * - `online`: the last pass delivered what it sent.
 * - `offline`: an upload failed and no pass has gone through cleanly since; `stats.lastError` says why.
 */
export type UploaderState = 'idle' | 'online' | 'offline';

/** Typed events (`uploader.on('offline', e => …)`). */
export interface UploaderEventMap {
  /** An upload was delivered after `offline`. */
  online: [];
  /** An upload failed after `idle` or `online`: `code` is `UPLOAD_REJECTED`, `CREDIT_UNAVAILABLE`, `CREDIT_TIMEOUT` or `CREDIT_UNAUTHORIZED`. */
  offline: [event: { code: XinyiErrorCode; error: XinyiError }];
  /** The backlog passed the threshold; raised once until it is cleared. */
  'backlog-alarm': [event: { count: number; threshold: number }];
  /** The backlog fell back to the threshold or below after an alarm. */
  'backlog-cleared': [event: { count: number; threshold: number }];
  /** A batch was delivered (`duplicate`: the platform already had it, by `200 duplicate` or `409`). */
  uploaded: [event: { kind: UploadRecordKind; count: number; duplicate: boolean }];
}

export interface UploaderStats {
  /** Records marked uploaded (duplicates included). */
  uploaded: number;
  /** Of those, records the platform already had (`200 duplicate` or `409`). */
  duplicates: number;
  /** Failed upload requests (each after the client's own retries). */
  failures: number;
  /** Failures in a row; 0 after a delivery. */
  consecutiveFailures: number;
  /** Code of the last failure (platform or journal), kept after recovery for diagnostics. */
  lastError: XinyiErrorCode | null;
  lastErrorAt: number | null;
  lastSuccessAt: number | null;
  /** When the timer will next try to upload after a failure (clock time); null when not backing off. */
  nextAttemptAt: number | null;
  /** Whether `backlog-alarm` is raised. */
  backlogAlarm: boolean;
}

export interface UploaderFlushResult {
  /** Records delivered by this flush. */
  uploaded: number;
  /** Records still waiting when it ended; NaN when the journal could not say. */
  backlog: number;
  /** Why it stopped before the outbox was empty. */
  error?: XinyiError;
}

export interface Uploader extends EventEmitter<UploaderEventMap> {
  readonly state: UploaderState;
  readonly stats: Readonly<UploaderStats>;
  /** Starts the timer; the first look at the outbox is immediate. Idempotent. */
  start(): void;
  /** Stops the timer, lets the batch in flight finish (and be marked), then resolves. Starts nothing new. */
  stop(): Promise<void>;
  /**
   * Uploads now, ignoring any backoff, until the outbox is empty or an upload fails. Runs after the
   * batch in flight, never beside it. Never rejects for an upload failure: it is in `error`.
   * `options.signal` bounds the wait (a shutdown that must not hang on the platform): an abort
   * rejects with `ABORTED` at once, aborts the upload request in flight (its batch stays in the
   * outbox and is not counted as a platform failure) and starts no further batch.
   * @throws XinyiError `INVALID_ARGUMENT` (as a rejection) when `options.signal` is not an `AbortSignal`.
   */
  flush(options?: AbortOptions): Promise<UploaderFlushResult>;
}

const KINDS: readonly UploadRecordKind[] = ['decisions', 'disclosures'];

function optionError(message: string): XinyiError {
  return new XinyiError('INVALID_OPTIONS', `createUploader: ${message}`);
}

function positiveInteger(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) throw optionError(`${name} must be a positive integer`);
  return value;
}

function positiveMs(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0)
    throw optionError(`${name} must be a positive number of milliseconds`);
  return value;
}

/**
 * The batch's `Idempotency-Key`: a hash of exactly its record ids, in order. A retry of the batch —
 * by the client, by the next pass, or after a restart — rebuilds the same key, and a platform that
 * answers 409 for the key has exactly these records.
 */
export function batchIdempotencyKey(kind: UploadRecordKind, ids: readonly string[]): string {
  const digest = createHash('sha256')
    .update(`${kind}\n${ids.join('\n')}`)
    .digest('hex');
  return `${kind === 'decisions' ? 'dec' : 'dis'}-${digest}`;
}

/**
 * The item as sent: the journal's payload with its own idempotency key (its record id) in `key`, and
 * its link in the terminal's hash chain in `chain` when it has one.
 */
function wireItem(item: OutboxItem): unknown {
  const payload = item.payload;
  const chain = item.chain === undefined ? {} : { chain: item.chain };
  if (payload !== null && typeof payload === 'object' && !Array.isArray(payload)) {
    return { ...(payload as Record<string, unknown>), key: item.id, ...chain };
  }
  return { key: item.id, record: payload, ...chain };
}

/** The terminal whose chain an outbox item extends (decisions: the envelope's; disclosures: the record's). */
function itemTerminalId(item: OutboxItem): string | undefined {
  const terminalId = (item.payload as { terminalId?: unknown } | null)?.terminalId;
  return typeof terminalId === 'string' ? terminalId : undefined;
}

/** Each chain's head after the batch: the last link per terminal, as the journal signed it. */
function chainHeadsOf(kind: UploadRecordKind, items: readonly OutboxItem[]): ChainHead[] {
  const heads = new Map<string, ChainHead>();
  for (const item of items) {
    const terminalId = itemTerminalId(item);
    if (item.chain === undefined || terminalId === undefined) continue;
    const head: ChainHead = { terminalId, kind, seq: item.chain.seq, hash: item.chain.hash };
    if (item.chain.mac !== undefined) head.mac = item.chain.mac;
    heads.set(terminalId, head);
  }
  return [...heads.values()];
}

function statusOf(error: unknown): number | undefined {
  if (!isXinyiError(error)) return undefined;
  const status = error.details.status;
  return typeof status === 'number' ? status : undefined;
}

/** A pass that a platform failure ended (already counted and logged by `failed()`). */
class PassFailed extends Error {}

/**
 * Store-and-forward from the journal's outbox to the platform.
 *
 * **Backpressure.** The terminal never waits for the uploader: a decision is committed to the journal
 * and acted on; the uploader reads the outbox on its own timer, and nothing on the decision path
 * awaits it. Its only cost to the terminal is the journal read and mark of one batch (synchronous
 * with better-sqlite3, bounded by `batchSize`), and it yields to the event loop between batches.
 * The backlog is bounded by an alarm, not by dropping records: a decision is never discarded to make
 * room (the journal's retention never purges records not yet uploaded).
 *
 * **Order and idempotency.** Each pass uploads decisions, oldest first, in batches of `batchSize`,
 * then disclosures. A batch is marked uploaded only after the platform confirmed it, so a failed
 * batch is the first thing offered again, before anything committed after it. Each item carries its
 * record id as `key`; the batch's `Idempotency-Key` is derived from those ids
 * (`batchIdempotencyKey` in uploader.ts), so retries reuse it. A `409` means the platform already has the
 * batch: it is marked uploaded.
 *
 * **Failures.** A refusal for good (a 4xx other than 401/403/408/409/429) becomes `UPLOAD_REJECTED`;
 * the batch stays in the outbox. Any failure puts the uploader `offline` and the pass is retried on
 * the shared retry loop (sdk/retry/retry-loop.ts) after an exponential backoff (`backoffDelayMs`,
 * from `intervalMs` to `maxBackoffMs`). A rejected decision batch does not hold back disclosures,
 * which have a legal deadline; an unreachable platform ends the pass.
 */
export function createUploader(options: UploaderOptions): Uploader {
  if (options === null || typeof options !== 'object') throw optionError('options must be an object');
  const { journal, platform } = options;
  if (
    !journal ||
    typeof journal.pendingUploads !== 'function' ||
    typeof journal.markUploaded !== 'function'
  ) {
    throw optionError('journal must be a JournalStore');
  }
  if (
    !platform ||
    typeof platform.uploadDecisions !== 'function' ||
    typeof platform.uploadDisclosures !== 'function'
  ) {
    throw optionError('platform must have uploadDecisions and uploadDisclosures');
  }
  const batchSize = positiveInteger(options.batchSize, 'batchSize', 100);
  const intervalMs = positiveMs(options.intervalMs, 'intervalMs', 1000);
  const maxBackoffMs = Math.max(intervalMs, positiveMs(options.maxBackoffMs, 'maxBackoffMs', 60_000));
  const threshold = positiveInteger(options.backlogAlarmThreshold, 'backlogAlarmThreshold', 10_000);
  const uploadTimeoutMs =
    options.uploadTimeoutMs === undefined
      ? undefined
      : positiveMs(options.uploadTimeoutMs, 'uploadTimeoutMs', 0);
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const random = options.random ?? Math.random;
  const events = new EventEmitter<UploaderEventMap>();

  let state: UploaderState = 'idle';
  const stats: UploaderStats = {
    uploaded: 0,
    duplicates: 0,
    failures: 0,
    consecutiveFailures: 0,
    lastError: null,
    lastErrorAt: null,
    lastSuccessAt: null,
    nextAttemptAt: null,
    backlogAlarm: false,
  };
  let running = false;
  let timer: NodeJS.Timeout | undefined;
  /** Aborted by `stop()`: ends a drain waiting out its backoff. */
  let stopping: AbortController | undefined;
  /** A failure earlier in the pass: a later delivery (disclosures after refused decisions) is not a recovery. */
  let passFailed = false;
  /** Passes run one at a time: the timer's, flush's and stop's wait are chained here. */
  let tail: Promise<unknown> = Promise.resolve();

  // A throwing listener is the listener's bug; it must not stop the outbox from draining.
  const emit = <K extends keyof UploaderEventMap>(name: K, ...args: UploaderEventMap[K]) => {
    try {
      (events.emit as (name: K, ...args: UploaderEventMap[K]) => boolean)(name, ...args);
    } catch (error) {
      logger.error({ event: name, error }, 'uploader event listener threw');
    }
  };

  const backlogCount = (): number => {
    const backlog = journal.backlog();
    return backlog.decisions.count + backlog.disclosures.count;
  };

  const checkBacklog = (): number | undefined => {
    let count: number;
    try {
      count = backlogCount();
    } catch (error) {
      logger.warn(
        { error: isXinyiError(error) ? error.code : 'unknown' },
        'uploader could not read the backlog',
      );
      return undefined;
    }
    if (!stats.backlogAlarm && count > threshold) {
      stats.backlogAlarm = true;
      logger.warn({ count, threshold }, 'upload backlog past its threshold');
      emit('backlog-alarm', { count, threshold });
    } else if (stats.backlogAlarm && count <= threshold) {
      stats.backlogAlarm = false;
      logger.info({ count, threshold }, 'upload backlog back under its threshold');
      emit('backlog-cleared', { count, threshold });
    }
    return count;
  };

  /** The platform has the batch; throws when the journal cannot record that (the batch is then sent again). */
  const delivered = (kind: UploadRecordKind, items: readonly OutboxItem[], duplicate: boolean) => {
    const now = clock.now();
    stats.lastSuccessAt = now;
    if (!passFailed) {
      stats.consecutiveFailures = 0;
      stats.nextAttemptAt = null;
      const wasOffline = state === 'offline';
      state = 'online';
      if (wasOffline) {
        logger.info({ kind }, 'uploads delivered again');
        emit('online');
      }
    }
    journal.markUploaded(
      kind,
      items.map((item) => item.id),
      now,
    );
    stats.uploaded += items.length;
    if (duplicate) stats.duplicates += items.length;
    emit('uploaded', { kind, count: items.length, duplicate });
  };

  const failed = (kind: UploadRecordKind, items: readonly OutboxItem[], cause: unknown): XinyiError => {
    const status = statusOf(cause);
    let error: XinyiError;
    if (
      status !== undefined &&
      status >= 400 &&
      status < 500 &&
      ![401, 403, 408, 409, 429].includes(status)
    ) {
      const reason = isXinyiError(cause) ? cause.details.reason : undefined;
      const details: Record<string, string | number> = { kind, status, batchSize: items.length };
      if (typeof reason === 'string') details.reason = reason;
      error = new XinyiError('UPLOAD_REJECTED', `platform refused a batch of ${kind} (HTTP ${status})`, {
        cause,
        details,
      });
    } else if (isXinyiError(cause)) {
      error = cause;
    } else {
      error = new XinyiError('CREDIT_UNAVAILABLE', `upload of ${kind} failed`, { cause });
    }
    const now = clock.now();
    passFailed = true;
    stats.failures++;
    stats.consecutiveFailures++;
    stats.lastError = error.code;
    stats.lastErrorAt = now;
    logger.warn(
      { kind, code: error.code, status, batchSize: items.length },
      'upload failed; the batch stays in the outbox',
    );
    if (state !== 'offline') {
      state = 'offline';
      emit('offline', { code: error.code, error });
    }
    return error;
  };

  // A journal that cannot be read or written is the journal's alarm, not the platform's: no `offline`.
  const journalFailed = (error: XinyiError) => {
    stats.lastError = error.code;
    stats.lastErrorAt = clock.now();
  };

  /** Uploads the oldest batch of `kind`: how many records were delivered, or why not. */
  const uploadBatch = async (
    kind: UploadRecordKind,
    signal: AbortSignal | undefined,
  ): Promise<{ sent: number; error?: XinyiError }> => {
    let items: OutboxItem[];
    try {
      items = journal.pendingUploads(kind, batchSize);
    } catch (cause) {
      const error = isXinyiError(cause)
        ? cause
        : new XinyiError('JOURNAL_UNAVAILABLE', 'could not read the outbox', { cause });
      journalFailed(error);
      logger.error({ kind, code: error.code }, 'uploader could not read the outbox');
      return { sent: 0, error };
    }
    if (items.length === 0) return { sent: 0 };
    const key = batchIdempotencyKey(
      kind,
      items.map((item) => item.id),
    );
    const batch = items.map(wireItem);
    const transfer: UploadTransferOptions =
      uploadTimeoutMs === undefined ? {} : { timeoutMs: uploadTimeoutMs };
    if (signal !== undefined) transfer.signal = signal;
    const chainHeads = chainHeadsOf(kind, items);
    if (chainHeads.length > 0) transfer.chainHeads = chainHeads;
    let duplicate: boolean;
    try {
      const result =
        kind === 'decisions'
          ? await platform.uploadDecisions(batch, key, transfer)
          : await platform.uploadDisclosures(batch, key, transfer);
      duplicate = result.duplicate;
    } catch (cause) {
      // The caller gave up on this flush: not the platform's failure, and the batch is simply sent again.
      if (signal?.aborted) return { sent: 0, error: abortedError(signal, 'Uploader.flush()') };
      if (statusOf(cause) !== 409) return { sent: 0, error: failed(kind, items, cause) };
      duplicate = true;
    }
    try {
      delivered(kind, items, duplicate);
    } catch (cause) {
      // The platform has the batch; marking it failed, so the next pass sends it again under the same key.
      const error = isXinyiError(cause)
        ? cause
        : new XinyiError('JOURNAL_UNAVAILABLE', 'could not mark a batch uploaded', { cause });
      journalFailed(error);
      logger.error({ kind, code: error.code }, 'uploader could not mark a batch uploaded');
      return { sent: 0, error };
    }
    return { sent: items.length };
  };

  /**
   * Decisions, then disclosures, until both are empty, a failure, or `keepGoing()` says stop;
   * `signal` (a flush's) aborts the request in flight.
   */
  const pass = async (keepGoing: () => boolean, signal?: AbortSignal): Promise<UploaderFlushResult> => {
    let uploaded = 0;
    let firstError: XinyiError | undefined;
    passFailed = false;
    const finish = (): UploaderFlushResult => {
      const result: UploaderFlushResult = { uploaded, backlog: checkBacklog() ?? Number.NaN };
      if (firstError !== undefined) result.error = firstError;
      return result;
    };
    for (const kind of KINDS) {
      for (;;) {
        if (!keepGoing()) return finish();
        const { sent, error } = await uploadBatch(kind, signal);
        uploaded += sent;
        if (error !== undefined) {
          firstError ??= error;
          // An unreachable platform will not take the disclosures either; a refused batch is that batch's problem.
          if (error.code !== 'UPLOAD_REJECTED') return finish();
          break;
        }
        if (sent < batchSize) break;
        // A pass can drain for long while decisions keep coming: the alarm must not wait for its end.
        checkBacklog();
        // The journal's housekeeping first (its write-ahead log checkpointed when a drain has grown
        // it), then the decision path, in between batches.
        await journal.readyForBulkWrites?.();
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
    return finish();
  };

  const exclusive = <T>(task: () => Promise<T>): Promise<T> => {
    const run = tail.then(task, task);
    tail = run.catch(() => {});
    return run;
  };

  const schedule = (delayMs: number) => {
    if (!running || timer !== undefined) return;
    timer = setTimeout(tick, delayMs);
  };

  /**
   * The retry decision after a failed pass: again while the uploader runs, after `intervalMs`
   * doubled per failure in a row (flushes' included) up to `maxBackoffMs`, with equal jitter.
   */
  const retryStep = (failuresInARow: number): RetryStep => ({
    retry: running,
    delayMs: backoffDelayMs(failuresInARow, { baseDelayMs: intervalMs, maxDelayMs: maxBackoffMs, random }),
  });

  /** The loop's wait for the next pass, shown in `stats.nextAttemptAt` (counted from the failure). */
  const untilNextAttempt = async (ms: number, signal: AbortSignal | undefined) => {
    stats.nextAttemptAt = (stats.lastErrorAt ?? clock.now()) + ms;
    logger.debug({ retryAt: stats.nextAttemptAt }, 'uploads retried after the backoff');
    // Looked at every `intervalMs` rather than slept in one go: the clock may be simulated, a flush
    // that drained the outbox clears the backoff, and the backlog alarm must not wait for the retry.
    while (running && !signal?.aborted) {
      const at = stats.nextAttemptAt;
      if (at === null || clock.now() >= at) return;
      await timerSleep(intervalMs, signal);
      checkBacklog();
    }
  };

  /**
   * One drain of the outbox on the shared retry loop: passes until one ends without a platform
   * failure, waiting out the backoff `retryStep` decides between them. The wait holds no lock, so
   * `flush()` runs meanwhile.
   */
  const drain = (signal: AbortSignal) =>
    retryLoop(
      () =>
        exclusive(async () => {
          if (!running) return;
          checkBacklog();
          await pass(() => running);
          if (passFailed) throw new PassFailed();
        }),
      {
        // Only a pass the platform failed is retried; anything else thrown is a bug, logged by the tick.
        decide: ({ error }) =>
          error instanceof PassFailed ? retryStep(stats.consecutiveFailures) : { retry: false, delayMs: 0 },
        signal,
        sleep: untilNextAttempt,
      },
    );

  const tick = () => {
    timer = undefined;
    if (!running || stopping === undefined) return;
    const signal = stopping.signal;
    void drain(signal)
      .catch((error: unknown) => {
        // A failed pass has already been logged and counted; only the unexpected is logged here.
        if (!signal.aborted && !(error instanceof PassFailed))
          logger.error({ error }, 'uploader pass failed');
      })
      .finally(() => schedule(intervalMs));
  };

  const api: Omit<Uploader, keyof EventEmitter> = {
    get state() {
      return state;
    },
    get stats() {
      return { ...stats };
    },
    start() {
      if (running) return;
      running = true;
      stopping = new AbortController();
      schedule(0);
    },
    async stop() {
      running = false;
      stopping?.abort();
      stopping = undefined;
      if (timer !== undefined) {
        clearTimeout(timer);
        timer = undefined;
      }
      await exclusive(async () => {});
    },
    flush(options?: AbortOptions) {
      let signal: AbortSignal | undefined;
      try {
        signal = signalOf(options, 'Uploader.flush()');
      } catch (error) {
        return Promise.reject(error);
      }
      if (signal?.aborted) return Promise.reject(abortedError(signal, 'Uploader.flush()'));
      const flushing = exclusive(async () => {
        const result = await pass(() => !signal?.aborted, signal);
        if (result.error === undefined && result.backlog === 0) stats.nextAttemptAt = null;
        return result;
      });
      return untilAborted(flushing, signal, 'Uploader.flush()');
    },
  };
  // The emitter itself is the uploader (one event style across the SDK); descriptors keep the getters.
  return Object.defineProperties(events, Object.getOwnPropertyDescriptors(api)) as Uploader;
}
