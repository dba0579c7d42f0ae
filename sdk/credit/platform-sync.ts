import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type AbortOptions, abortedError, signalOf, untilAborted } from '../abort.js';
import { writeFileAtomic } from '../atomic-file.js';
import { type Clock, systemClock } from '../clock.js';
import type { DocumentKeeper, TerminalDocumentKind } from '../documents/document-keeper.js';
import { isXinyiError, XinyiError, type XinyiErrorCode } from '../errors.js';
import { type Logger, silentLogger } from '../logger.js';
import { backoffDelayMs } from '../retry/backoff.js';
import { retryLoop } from '../retry/retry-loop.js';
import type { HttpPlatformResolver, PlatformDownload } from './http-platform.js';
import type { SnapshotKind, SnapshotPublicKey } from './snapshot-format.js';
import { toPublicKeys } from './snapshot-format.js';
import type { SnapshotApplyResult, SnapshotStore } from './snapshot-store.js';
import {
  loadStatusList,
  type SignedStatusList,
  type StatusList,
  StatusListProblem,
  statusListSignerTrusted,
} from './status-list.js';
import {
  loadTrustList,
  type PublicKeyInput,
  type SignedTrustList,
  type TrustList,
  TrustListProblem,
  toPublicKey,
} from './trust-list.js';

/** The platform calls the sync needs; the `HttpPlatformResolver` has them (the documents' are optional). */
export type PlatformSyncSource = Pick<
  HttpPlatformResolver,
  'getTrustList' | 'getStatusList' | 'getSnapshot'
> &
  Partial<Pick<HttpPlatformResolver, 'getCalendar' | 'getPolicyPack'>>;

export interface PlatformSyncOptions {
  /** Usually the `HttpPlatformResolver` (signed requests, retries, circuit breaker). */
  platform: PlatformSyncSource;
  /** The pinned root key (Ed25519) every trust list must be signed with. */
  rootPublicKey: PublicKeyInput;
  /**
   * The lowest trust-list version accepted, from the platform or the cache: a fresh terminal (or
   * one whose cache was wiped) cannot be handed a list older than one its operator knows exists,
   * which could still trust a withdrawn key. Raise it in the configuration when the root signs a
   * list that withdraws a key. @default 0
   */
  minTrustListVersion?: number;
  /** Keys a snapshot or delta must verify under (Ed25519); required with `store`. */
  snapshotPublicKeys?: SnapshotPublicKey | readonly SnapshotPublicKey[];
  /** The offline snapshot to keep up to date; without it only the lists are synced. */
  store?: SnapshotStore;
  /** Period of a full sync: trust list, status list and snapshot. @default 300000 (5 min) */
  intervalMs?: number;
  /** Period of the status list alone between full syncs: revocations matter sooner. @default 60000 (1 min) */
  statusListIntervalMs?: number;
  /**
   * Ceiling of the wait after failures. After a failed full sync the next one waits `intervalMs`,
   * after a failed status list `statusListIntervalMs`, doubling per consecutive failure up to this
   * ceiling, with equal jitter (never less than half the step). @default intervalMs
   */
  maxBackoffMs?: number;
  /** Validity of the lists (`now` of `loadTrustList`) and the times in `status()`. @default systemClock */
  clock?: Clock;
  logger?: Logger;
  /** Backoff jitter in [0, 1). @default Math.random */
  random?: () => number;
  /**
   * Keeps the last good signed trust list and status list in `dir` (`trust-list.json`,
   * `status-list.json`, written atomically) and loads them at creation, re-verified, so a terminal
   * restarted while the platform is down can still verify credit codes. The directory is created
   * when missing.
   */
  cache?: { dir: string };
  /**
   * Keeps the calendar and policy-pack documents (`createDocumentKeeper`, whose keys should read this
   * sync's trust list): each full run downloads them after the snapshot and hands them to it.
   */
  documents?: Pick<DocumentKeeper, 'accept'>;
}

export type PlatformSyncPart = 'trust-list' | 'status-list' | 'snapshot' | 'calendar' | 'policy-pack';

/**
 * - `updated`: a new document was verified and taken (a snapshot: applied).
 * - `unchanged`: the platform has nothing newer than what is held.
 * - `absent`: the platform has no such document (404).
 * - `skipped`: not part of this run (a status-list run, no store, no usable trust list).
 * - `failed`: `error` says why; what was held before is kept.
 */
export type PlatformSyncOutcome = 'updated' | 'unchanged' | 'absent' | 'skipped' | 'failed';

export interface PlatformSyncPartResult {
  outcome: PlatformSyncOutcome;
  /**
   * Set when `outcome` is `failed`, and when it is `absent` for a list the terminal cannot do without
   * (the trust and status lists: a platform that answers 404 for them keeps revocations from reaching
   * the terminal, and the run counts as failed).
   */
  error?: XinyiError;
}

/** A 404 for the trust or status list: the run fails, the one held is kept. */
function listAbsent(part: 'trust-list' | 'status-list'): PlatformSyncPartResult {
  return {
    outcome: 'absent',
    error: new XinyiError('CREDIT_UNAVAILABLE', `platform sync: the platform has no ${part} (404)`, {
      details: { reason: 'LIST_ABSENT', part, status: 404 },
    }),
  };
}

export interface TrustListSyncResult extends PlatformSyncPartResult {
  /** The trust list held after the run. */
  version?: number;
  expiresAt?: number;
}

export interface StatusListSyncResult extends PlatformSyncPartResult {
  /** `issuedAt` (epoch ms) of the status list held after the run. */
  issuedAt?: number;
}

export interface DocumentSyncResult extends PlatformSyncPartResult {
  /** The version of the document the platform served (taken, unchanged or refused). */
  version?: number;
}

export interface SnapshotSyncResult extends PlatformSyncPartResult {
  /** What was applied: a delta, or a full snapshot (also after a delta could not be used). */
  kind?: SnapshotKind;
  /** The applied sequence after the run. */
  sequence?: number;
  upserted?: number;
  deleted?: number;
  /** Subjects in the store after the run. */
  count?: number;
}

/** What one run fetched, applied and refused. */
export interface PlatformSyncSummary {
  /** `full`: trust list, status list and snapshot; `status-list`: the status list alone. */
  kind: 'full' | 'status-list';
  /** True when no part failed. */
  ok: boolean;
  /** Epoch ms. */
  startedAt: number;
  finishedAt: number;
  trustList: TrustListSyncResult;
  statusList: StatusListSyncResult;
  snapshot: SnapshotSyncResult;
  /** Skipped without `documents`, on a status-list run, or without a usable trust list. */
  calendar: DocumentSyncResult;
  policyPack: DocumentSyncResult;
  /** The failures, in the order above; empty when `ok`. */
  errors: XinyiError[];
}

/** Health and diagnostics; times are epoch ms. */
export interface PlatformSyncStatus {
  /** Between `start()` and `stop()`. */
  running: boolean;
  /** End of the last run without a failure. */
  lastSuccessAt: number | null;
  /** The last failure, kept after recovery. */
  lastFailure: { code: XinyiErrorCode; part: PlatformSyncPart; at: number } | null;
  /** Runs in a row with a failure; 0 after a clean run. */
  consecutiveFailures: number;
  /** When the timer runs next; null when stopped. */
  nextSyncAt: number | null;
  /** The trust list held (null: none); `getTrustList()` returns it only until `trustListExpiresAt`. */
  trustListVersion: number | null;
  trustListExpiresAt: number | null;
  /** `issuedAt` of the status list held. */
  statusListAt: number | null;
  /** The applied snapshot; null without a store or before the first one. */
  snapshot: { sequence: number; generatedAt: number; appliedAt: number; ageMs: number } | null;
}

/** Typed events of the sync (`sync.on('failed', (error) => …)`); each run emits one of them. */
export interface PlatformSyncEventMap {
  /** A run ended without a failure. */
  synced: [summary: PlatformSyncSummary];
  /** A run ended with at least one failure; `error` is the first of `summary.errors`. */
  failed: [error: XinyiError, summary: PlatformSyncSummary];
}

export interface PlatformSync extends EventEmitter<PlatformSyncEventMap> {
  /**
   * A full sync now (after the run in progress, never beside it). Never rejects for a platform or
   * document failure: it is in the summary. A run stopped by `stop()` reports its aborted downloads
   * as failures but emits no event. `options.signal` bounds the caller's wait (a start-up that must
   * not hang on the platform): an abort rejects with `ABORTED` at once, while the run, which others
   * may share, finishes by itself (`stop()` aborts its downloads).
   */
  syncOnce(options?: AbortOptions): Promise<PlatformSyncSummary>;
  /** Runs a full sync at once, then on unref'd timers, backing off after failures. Idempotent. */
  start(): void;
  /** Stops the timers, aborts the downloads in progress and resolves when the run has ended. */
  stop(): Promise<void>;
  /** The last good verified trust list, until it expires; undefined then or before the first one. */
  getTrustList(): TrustList | undefined;
  /** The last good verified status list; undefined before the first one. */
  getStatusList(): StatusList | undefined;
  status(): PlatformSyncStatus;
}

/**
 * `details.reason` of a refusal the list loaders cannot see: a validly signed list older than the
 * one held (a replayed old trust list could trust a withdrawn issuer key again; an old status list
 * could un-revoke a code).
 */
export const PlatformSyncRefusal = {
  TRUST_LIST_ROLLBACK: 'TRUST_LIST_ROLLBACK',
  STATUS_LIST_ROLLBACK: 'STATUS_LIST_ROLLBACK',
  /** A trust list below `minTrustListVersion`. */
  TRUST_LIST_BELOW_FLOOR: 'TRUST_LIST_BELOW_FLOOR',
} as const;
export type PlatformSyncRefusal = (typeof PlatformSyncRefusal)[keyof typeof PlatformSyncRefusal];

const TRUST_LIST_FILE = 'trust-list.json';
const STATUS_LIST_FILE = 'status-list.json';

type RunKind = PlatformSyncSummary['kind'];
type Download = { doc: PlatformDownload | null } | { error: XinyiError };

function optionError(message: string): XinyiError {
  return new XinyiError('INVALID_OPTIONS', `createPlatformSync: ${message}`);
}

function positiveMs(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) {
    throw optionError(`${name} must be a positive number of milliseconds`);
  }
  return value;
}

function asXinyiError(cause: unknown, message: string): XinyiError {
  return isXinyiError(cause) ? cause : new XinyiError('CREDIT_UNAVAILABLE', message, { cause });
}

function parseDocument(bytes: Uint8Array): unknown {
  return JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
}

/**
 * Where the schedule of `start()` stands. Countdowns rather than clock times: the injected clock may
 * be fixed, and wall-clock jumps (NTP) must not bunch runs together.
 */
interface SyncCountdown {
  msUntilFull: number;
  msUntilStatus: number;
  /** Full runs, and status-list fetches, that failed in a row. */
  fullFailures: number;
  statusFailures: number;
}

interface SyncSchedulePolicy {
  intervalMs: number;
  statusListIntervalMs: number;
  maxBackoffMs: number;
  random: () => number;
}

function initialSyncCountdown(): SyncCountdown {
  return { msUntilFull: 0, msUntilStatus: 0, fullFailures: 0, statusFailures: 0 };
}

/**
 * The schedule's decision after a run: which run is due next and after how long. A full run is due
 * `intervalMs` after a full run went through and the status list `statusListIntervalMs` after it was
 * fetched; after failures each waits its period doubled per failure in a row up to `maxBackoffMs`,
 * with equal jitter (`backoffDelayMs`). When both are due at once, the full run (which fetches the
 * status list too) goes. Pure but for `random`.
 */
function nextSyncRun(
  countdown: SyncCountdown,
  ran: PlatformSyncSummary,
  policy: SyncSchedulePolicy,
): { kind: RunKind; delayMs: number; countdown: SyncCountdown } {
  const backoffMs = (baseMs: number, failures: number): number =>
    backoffDelayMs(failures, { baseDelayMs: baseMs, maxDelayMs: policy.maxBackoffMs, random: policy.random });
  let { msUntilFull, fullFailures } = countdown;
  if (ran.kind === 'full') {
    fullFailures = ran.ok ? 0 : fullFailures + 1;
    msUntilFull = ran.ok ? policy.intervalMs : backoffMs(policy.intervalMs, fullFailures);
  }
  // A status list skipped because the trust list failed has failed too, or its runs (which fetch
  // the trust list first) would undo the full run's backoff.
  const statusFailed =
    ran.statusList.outcome === 'failed' || (ran.statusList.outcome === 'skipped' && !ran.ok);
  const statusFailures = statusFailed ? countdown.statusFailures + 1 : 0;
  const msUntilStatus = statusFailed
    ? backoffMs(policy.statusListIntervalMs, statusFailures)
    : policy.statusListIntervalMs;
  const delayMs = Math.max(0, Math.min(msUntilFull, msUntilStatus));
  return {
    kind: msUntilFull <= msUntilStatus ? 'full' : 'status-list',
    delayMs,
    countdown: {
      msUntilFull: msUntilFull - delayMs,
      msUntilStatus: msUntilStatus - delayMs,
      fullFailures,
      statusFailures,
    },
  };
}

/** A scheduled run that failed: the retry loop's decision reads its summary. */
class SyncRunFailed extends Error {
  constructor(readonly summary: PlatformSyncSummary) {
    super('platform sync run failed');
  }
}

/**
 * Keeps a long-running terminal's offline credit material fresh: the trust list and status list
 * for `createCreditCodeResolver({ getTrustList, getStatusList })`, and the signed snapshot in
 * `store`. Every document is verified before it replaces the one held, and a refused one never
 * leaves the terminal with nothing: the last good one stays. Throws `INVALID_OPTIONS` for bad options.
 */
export function createPlatformSync(options: PlatformSyncOptions): PlatformSync {
  if (options === null || typeof options !== 'object') throw optionError('options must be an object');
  const { platform, store } = options;
  if (
    !platform ||
    typeof platform.getTrustList !== 'function' ||
    typeof platform.getStatusList !== 'function' ||
    typeof platform.getSnapshot !== 'function'
  ) {
    throw optionError('platform must have getTrustList, getStatusList and getSnapshot');
  }
  let rootPublicKey: ReturnType<typeof toPublicKey>;
  try {
    rootPublicKey = toPublicKey(options.rootPublicKey);
  } catch {
    throw optionError('rootPublicKey is not a usable public key');
  }
  if (rootPublicKey.asymmetricKeyType !== 'ed25519')
    throw optionError('rootPublicKey must be an Ed25519 key');
  if (store !== undefined && (typeof store.apply !== 'function' || typeof store.info !== 'function')) {
    throw optionError('store must be a SnapshotStore');
  }
  let snapshotKeys: ReturnType<typeof toPublicKeys> | undefined;
  if (options.snapshotPublicKeys !== undefined) {
    try {
      snapshotKeys = toPublicKeys(options.snapshotPublicKeys);
    } catch {
      throw optionError('snapshotPublicKeys must be one or more Ed25519 public keys');
    }
  } else if (store !== undefined) {
    throw optionError('snapshotPublicKeys is required with a store');
  }
  const cacheDir = options.cache?.dir;
  if (options.cache !== undefined && (typeof cacheDir !== 'string' || cacheDir === '')) {
    throw optionError('cache.dir must be a non-empty path');
  }
  const minTrustListVersion = options.minTrustListVersion ?? 0;
  if (!Number.isSafeInteger(minTrustListVersion) || minTrustListVersion < 0) {
    throw optionError('minTrustListVersion must be a non-negative integer');
  }
  const intervalMs = positiveMs(options.intervalMs, 'intervalMs', 300_000);
  const statusListIntervalMs = positiveMs(options.statusListIntervalMs, 'statusListIntervalMs', 60_000);
  const maxBackoffMs = Math.max(
    intervalMs,
    statusListIntervalMs,
    positiveMs(options.maxBackoffMs, 'maxBackoffMs', intervalMs),
  );
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const random = options.random ?? Math.random;

  let trust: { list: TrustList; signed: SignedTrustList } | undefined;
  let status: { list: StatusList; signed: SignedStatusList } | undefined;
  let lastSuccessAt: number | null = null;
  let lastFailure: PlatformSyncStatus['lastFailure'] = null;
  let consecutiveFailures = 0;

  const usableTrustList = (): TrustList | undefined =>
    trust !== undefined && clock.now() < trust.list.expiresAt ? trust.list : undefined;

  const persist = async (file: string, signed: SignedTrustList | SignedStatusList): Promise<void> => {
    if (cacheDir === undefined) return;
    try {
      await mkdir(cacheDir, { recursive: true });
      await writeFileAtomic(join(cacheDir, file), JSON.stringify(signed));
    } catch (error) {
      // The list is in use all the same; only a restart without the platform would miss it.
      logger.warn(
        { file, errorCode: (error as NodeJS.ErrnoException).code ?? 'unknown' },
        'platform sync could not write its list cache',
      );
    }
  };

  const belowFloor = (list: TrustList): XinyiError | undefined =>
    list.version < minTrustListVersion
      ? new XinyiError('TRUST_LIST_INVALID', `trust list: version below the floor ${minTrustListVersion}`, {
          details: {
            reason: PlatformSyncRefusal.TRUST_LIST_BELOW_FLOOR,
            version: list.version,
            floor: minTrustListVersion,
          },
        })
      : undefined;

  /**
   * A status list is only as good as its key: when a new trust list no longer names the key that
   * signed the list held, the list is dropped at once (and from the cache), not when a new one comes.
   */
  const dropStatusListIfWithdrawn = async (list: TrustList): Promise<void> => {
    if (status === undefined || statusListSignerTrusted(status.list, list)) return;
    status = undefined;
    logger.warn({ trustListVersion: list.version }, 'status list dropped: its key was withdrawn');
    if (cacheDir !== undefined) await rm(join(cacheDir, STATUS_LIST_FILE), { force: true }).catch(() => {});
  };

  const readCached = (file: string): unknown => {
    if (cacheDir === undefined) return undefined;
    try {
      return JSON.parse(readFileSync(join(cacheDir, file), 'utf8'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        logger.warn({ file }, 'platform sync list cache unreadable; ignored');
      }
      return undefined;
    }
  };

  const loadCache = (): void => {
    const signedTrust = readCached(TRUST_LIST_FILE);
    if (signedTrust === undefined) return;
    try {
      const list = loadTrustList(signedTrust as SignedTrustList, { rootPublicKey, now: clock.now() });
      const refused = belowFloor(list);
      if (refused) throw refused;
      trust = { list, signed: signedTrust as SignedTrustList };
    } catch (error) {
      logger.warn(
        { file: TRUST_LIST_FILE, reason: isXinyiError(error) ? error.details.reason : 'unknown' },
        'cached trust list refused; ignored',
      );
      return;
    }
    const signedStatus = readCached(STATUS_LIST_FILE);
    if (signedStatus === undefined) return;
    try {
      status = {
        list: loadStatusList(signedStatus as SignedStatusList, { trustList: trust.list, now: clock.now() }),
        signed: signedStatus as SignedStatusList,
      };
    } catch (error) {
      logger.warn(
        { file: STATUS_LIST_FILE, reason: isXinyiError(error) ? error.details.reason : 'unknown' },
        'cached status list refused; ignored',
      );
    }
  };

  const download = async (
    part: PlatformSyncPart,
    fetch: () => Promise<PlatformDownload | null>,
  ): Promise<Download> => {
    try {
      return { doc: await fetch() };
    } catch (error) {
      return { error: asXinyiError(error, `platform sync: the ${part} download failed`) };
    }
  };

  const syncTrustList = async (signal: AbortSignal): Promise<TrustListSyncResult> => {
    const got = await download('trust-list', () => platform.getTrustList({ signal }));
    if ('error' in got) return { outcome: 'failed', error: got.error };
    if (got.doc === null) return listAbsent('trust-list');
    let list: TrustList;
    let signed: SignedTrustList;
    try {
      signed = parseDocument(got.doc.bytes) as SignedTrustList;
      list = loadTrustList(signed, { rootPublicKey, now: clock.now() });
    } catch (error) {
      const refused = isXinyiError(error)
        ? error
        : new XinyiError('TRUST_LIST_INVALID', 'trust list: not JSON', {
            cause: error,
            details: { reason: TrustListProblem.MALFORMED },
          });
      return { outcome: 'failed', error: refused };
    }
    const floorRefusal = belowFloor(list);
    if (floorRefusal) return { outcome: 'failed', error: floorRefusal };
    const held = trust?.list;
    if (held !== undefined && trust?.signed.payload === signed.payload) {
      return { outcome: 'unchanged', version: held.version, expiresAt: held.expiresAt };
    }
    if (
      held !== undefined &&
      (list.version < held.version || (list.version === held.version && list.issuedAt < held.issuedAt))
    ) {
      return {
        outcome: 'failed',
        error: new XinyiError('TRUST_LIST_INVALID', 'trust list: older than the one held', {
          details: {
            reason: PlatformSyncRefusal.TRUST_LIST_ROLLBACK,
            version: list.version,
            held: held.version,
          },
        }),
      };
    }
    trust = { list, signed };
    logger.info({ version: list.version, expiresAt: list.expiresAt }, 'trust list updated');
    await persist(TRUST_LIST_FILE, signed);
    await dropStatusListIfWithdrawn(list);
    return { outcome: 'updated', version: list.version, expiresAt: list.expiresAt };
  };

  const syncStatusList = async (signal: AbortSignal): Promise<StatusListSyncResult> => {
    const trustList = usableTrustList();
    if (trustList === undefined) return { outcome: 'skipped' };
    const got = await download('status-list', () => platform.getStatusList({ signal }));
    if ('error' in got) return { outcome: 'failed', error: got.error };
    if (got.doc === null) return listAbsent('status-list');
    let list: StatusList;
    let signed: SignedStatusList;
    try {
      signed = parseDocument(got.doc.bytes) as SignedStatusList;
      // Dated in the future: refused and never held or cached, so the correct lists after it are
      // not taken for rollbacks.
      list = loadStatusList(signed, { trustList, now: clock.now() });
    } catch (error) {
      const refused = isXinyiError(error)
        ? error
        : new XinyiError('STATUS_LIST_INVALID', 'status list: not JSON', {
            cause: error,
            details: { reason: StatusListProblem.MALFORMED },
          });
      return { outcome: 'failed', error: refused };
    }
    const held = status?.list;
    if (held !== undefined && status?.signed.payload === signed.payload) {
      return { outcome: 'unchanged', issuedAt: held.issuedAt };
    }
    if (held !== undefined && list.issuedAt < held.issuedAt) {
      return {
        outcome: 'failed',
        error: new XinyiError('STATUS_LIST_INVALID', 'status list: older than the one held', {
          details: { reason: PlatformSyncRefusal.STATUS_LIST_ROLLBACK },
        }),
      };
    }
    status = { list, signed };
    logger.debug({ issuedAt: list.issuedAt }, 'status list updated');
    await persist(STATUS_LIST_FILE, signed);
    return { outcome: 'updated', issuedAt: list.issuedAt };
  };

  const syncDocument = async (
    kind: TerminalDocumentKind,
    signal: AbortSignal,
  ): Promise<DocumentSyncResult> => {
    const fetchDocument = kind === 'calendar' ? platform.getCalendar : platform.getPolicyPack;
    if (options.documents === undefined || fetchDocument === undefined || usableTrustList() === undefined) {
      return { outcome: 'skipped' };
    }
    const got = await download(kind, () => fetchDocument({ signal }));
    if ('error' in got) return { outcome: 'failed', error: got.error };
    if (got.doc === null) return { outcome: 'absent' };
    try {
      const result = await options.documents.accept(kind, got.doc.bytes, 'platform');
      return { outcome: result.outcome === 'updated' ? 'updated' : 'unchanged', version: result.version };
    } catch (error) {
      return { outcome: 'failed', error: asXinyiError(error, `platform sync: the ${kind} document failed`) };
    }
  };

  const applied = (result: SnapshotApplyResult): SnapshotSyncResult => {
    logger.info(
      { kind: result.kind, sequence: result.sequence, upserted: result.upserted, deleted: result.deleted },
      'snapshot applied',
    );
    return {
      outcome: 'updated',
      kind: result.kind,
      sequence: result.sequence,
      upserted: result.upserted,
      deleted: result.deleted,
      count: result.count,
    };
  };

  const syncSnapshot = async (signal: AbortSignal): Promise<SnapshotSyncResult> => {
    if (store === undefined || snapshotKeys === undefined) return { outcome: 'skipped' };
    const publicKeys = snapshotKeys;
    let sequence: number | undefined;
    try {
      sequence = store.info()?.sequence;
    } catch (error) {
      return { outcome: 'failed', error: asXinyiError(error, 'platform sync: the snapshot store failed') };
    }
    if (sequence !== undefined) {
      const held = sequence;
      const delta = await download('snapshot', () => platform.getSnapshot({ since: String(held), signal }));
      if ('error' in delta) return { outcome: 'failed', error: delta.error };
      // An empty answer is the platform's "nothing since": no document can be zero bytes long.
      if (delta.doc !== null && delta.doc.bytes.byteLength === 0) return { outcome: 'unchanged', sequence };
      if (delta.doc !== null) {
        try {
          return applied(store.apply(delta.doc.bytes, { publicKeys }));
        } catch (error) {
          if (!isXinyiError(error, 'SNAPSHOT_SEQUENCE_MISMATCH')) {
            return {
              outcome: 'failed',
              error: asXinyiError(error, 'platform sync: the delta failed'),
              sequence,
            };
          }
        }
      }
      logger.info({ sequence }, 'no usable delta for the applied snapshot; fetching the full snapshot');
    }
    const full = await download('snapshot', () => platform.getSnapshot({ signal }));
    if ('error' in full) return { outcome: 'failed', error: full.error, sequence };
    if (full.doc === null) return { outcome: 'absent', sequence };
    try {
      return applied(store.apply(full.doc.bytes, { publicKeys }));
    } catch (error) {
      // The platform's latest is the snapshot already applied (after a 404 on an up-to-date delta).
      if (
        isXinyiError(error, 'SNAPSHOT_SEQUENCE_MISMATCH') &&
        error.details.sequence !== undefined &&
        error.details.sequence === error.details.current
      ) {
        return { outcome: 'unchanged', sequence };
      }
      return {
        outcome: 'failed',
        error: asXinyiError(error, 'platform sync: the snapshot failed'),
        sequence,
      };
    }
  };

  let running = false;
  /** Ends the schedule of `start()`: its wait at once, and no run after the one in progress. */
  let scheduling: AbortController | undefined;
  let nextSyncAt: number | null = null;
  let current: AbortController | undefined;
  /** Runs happen one at a time: the timer's, syncOnce's and stop's wait are chained here. */
  let tail: Promise<unknown> = Promise.resolve();
  let queued: { kind: RunKind; promise: Promise<PlatformSyncSummary> } | undefined;

  // A throwing listener is the listener's bug; it must not stop the sync.
  const emit = <K extends keyof PlatformSyncEventMap>(name: K, ...args: PlatformSyncEventMap[K]) => {
    try {
      (sync.emit as (name: K, ...args: PlatformSyncEventMap[K]) => boolean)(name, ...args);
    } catch (error) {
      logger.error({ event: name, error }, 'platform sync event listener threw');
    }
  };

  const runOnce = async (requested: RunKind): Promise<PlatformSyncSummary> => {
    // A status list can only be checked against a trust list: without a usable one, fetch it first.
    const kind: RunKind = requested === 'status-list' && usableTrustList() === undefined ? 'full' : requested;
    const controller = new AbortController();
    current = controller;
    const { signal } = controller;
    const startedAt = clock.now();
    const skipped = (): PlatformSyncPartResult => ({ outcome: 'skipped' });
    const trustList = kind === 'full' && !signal.aborted ? await syncTrustList(signal) : skipped();
    const statusList = signal.aborted ? skipped() : await syncStatusList(signal);
    const snapshot = kind === 'full' && !signal.aborted ? await syncSnapshot(signal) : skipped();
    const calendar = kind === 'full' && !signal.aborted ? await syncDocument('calendar', signal) : skipped();
    const policyPack =
      kind === 'full' && !signal.aborted ? await syncDocument('policy-pack', signal) : skipped();
    if (current === controller) current = undefined;
    const finishedAt = clock.now();
    const parts: [PlatformSyncPart, PlatformSyncPartResult][] = [
      ['trust-list', trustList],
      ['status-list', statusList],
      ['snapshot', snapshot],
      ['calendar', calendar],
      ['policy-pack', policyPack],
    ];
    const errors = parts.flatMap(([, r]) => (r.error ? [r.error] : []));
    const summary: PlatformSyncSummary = {
      kind,
      ok: errors.length === 0,
      startedAt,
      finishedAt,
      trustList,
      statusList,
      snapshot,
      calendar,
      policyPack,
      errors,
    };
    if (signal.aborted) return summary;
    if (summary.ok) {
      consecutiveFailures = 0;
      lastSuccessAt = finishedAt;
      emit('synced', summary);
      return summary;
    }
    consecutiveFailures++;
    const [part, first] = parts.find(([, r]) => r.error !== undefined)!;
    lastFailure = { code: first.error!.code, part, at: finishedAt };
    for (const [name, r] of parts) {
      if (r.error) {
        logger.warn(
          { part: name, code: r.error.code, reason: r.error.details.reason, status: r.error.details.status },
          'platform sync: part failed, the one held is kept',
        );
      }
    }
    emit('failed', errors[0]!, summary);
    return summary;
  };

  const enqueue = (kind: RunKind): Promise<PlatformSyncSummary> => {
    // A run that has not started yet covers this request (a full run covers a status-list one).
    if (queued !== undefined && (queued.kind === 'full' || queued.kind === kind)) return queued.promise;
    const entry = { kind, promise: undefined as unknown as Promise<PlatformSyncSummary> };
    entry.promise = tail.then(() => {
      if (queued === entry) queued = undefined;
      return runOnce(kind);
    });
    queued = entry;
    tail = entry.promise;
    return entry.promise;
  };

  const schedulePolicy: SyncSchedulePolicy = { intervalMs, statusListIntervalMs, maxBackoffMs, random };

  /** The schedule's wait: one unref'd timer (a daemon can exit), ended at once by `stop()`. */
  const waitFor = (ms: number, signal: AbortSignal | undefined): Promise<void> => {
    if (ms <= 0 || signal?.aborted) return Promise.resolve();
    nextSyncAt = clock.now() + ms;
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        nextSyncAt = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      timer.unref();
      signal?.addEventListener('abort', done, { once: true });
    });
  };

  /**
   * The schedule of `start()` on the shared retry loop (sdk/retry/retry-loop.ts): each loop runs the
   * sync due until a run goes through, the pure `nextSyncRun` deciding after every run which kind is
   * due and when (the backoff after a failure, the period after a success); `stop()`'s signal ends it.
   */
  const schedule = async (signal: AbortSignal): Promise<void> => {
    let countdown = initialSyncCountdown();
    let due: RunKind = 'full';
    const plan = (summary: PlatformSyncSummary): number => {
      const next = nextSyncRun(countdown, summary, schedulePolicy);
      countdown = next.countdown;
      due = next.kind;
      return next.delayMs;
    };
    let waitMs = 0;
    while (!signal.aborted) {
      await waitFor(waitMs, signal);
      const summary = await retryLoop(
        async () => {
          const ran = await enqueue(due);
          if (!ran.ok && !signal.aborted) throw new SyncRunFailed(ran);
          return ran;
        },
        {
          decide: ({ error }) =>
            error instanceof SyncRunFailed
              ? { retry: true, delayMs: plan(error.summary) }
              : { retry: false, delayMs: 0 },
          signal,
          sleep: waitFor,
        },
      );
      waitMs = plan(summary);
    }
  };

  class Sync extends EventEmitter<PlatformSyncEventMap> implements PlatformSync {
    syncOnce(options?: AbortOptions): Promise<PlatformSyncSummary> {
      let signal: AbortSignal | undefined;
      try {
        signal = signalOf(options, 'PlatformSync.syncOnce()');
      } catch (error) {
        return Promise.reject(error);
      }
      if (signal?.aborted) return Promise.reject(abortedError(signal, 'PlatformSync.syncOnce()'));
      return untilAborted(enqueue('full'), signal, 'PlatformSync.syncOnce()');
    }

    start(): void {
      if (running) return;
      running = true;
      const controller = new AbortController();
      scheduling = controller;
      schedule(controller.signal).catch((error: unknown) => {
        // The loop ends by stop()'s signal; anything else is a bug, logged rather than lost.
        if (!controller.signal.aborted) logger.error({ error }, 'platform sync schedule failed');
      });
    }

    async stop(): Promise<void> {
      running = false;
      scheduling?.abort();
      scheduling = undefined;
      nextSyncAt = null;
      current?.abort();
      await tail;
    }

    getTrustList(): TrustList | undefined {
      return usableTrustList();
    }

    getStatusList(): StatusList | undefined {
      return status?.list;
    }

    status(): PlatformSyncStatus {
      let snapshot: PlatformSyncStatus['snapshot'] = null;
      try {
        const info = store?.info();
        if (info) {
          const generatedAt = Date.parse(info.generatedAt);
          snapshot = {
            sequence: info.sequence,
            generatedAt,
            appliedAt: Date.parse(info.appliedAt),
            ageMs: clock.now() - generatedAt,
          };
        }
      } catch {
        // A closed or broken store has no snapshot to report; the next sync reports the failure.
      }
      return {
        running,
        lastSuccessAt,
        lastFailure: lastFailure === null ? null : { ...lastFailure },
        consecutiveFailures,
        nextSyncAt,
        trustListVersion: trust?.list.version ?? null,
        trustListExpiresAt: trust?.list.expiresAt ?? null,
        statusListAt: status?.list.issuedAt ?? null,
        snapshot,
      };
    }
  }

  const sync = new Sync();
  loadCache();
  return sync;
}
