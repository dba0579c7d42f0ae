import { type Clock, systemClock } from '../clock.js';
import { isXinyiError, XinyiError } from '../errors.js';
import { type Logger, silentLogger } from '../logger.js';
import type { JournalStore, RetentionPolicy, RetentionRecordType } from './journal-store.js';

/**
 * Days each record type is kept by default. Usage is kept longer than a year so that yearly caps
 * always see the whole current Asia/Shanghai year.
 */
export const DEFAULT_RETENTION: Readonly<Record<RetentionRecordType, number>> = Object.freeze({
  decisions: 180,
  disclosures: 365,
  events: 30,
  usage: 400,
});

const RECORD_TYPES: readonly RetentionRecordType[] = ['decisions', 'disclosures', 'events', 'usage'];
export const DAY_MS = 86_400_000;

/** The policy with defaults filled in. Throws `INVALID_ARGUMENT` for a negative or non-finite number of days. */
export function resolveRetention(policy: RetentionPolicy = {}): Record<RetentionRecordType, number> {
  if (policy === null || typeof policy !== 'object') {
    throw new XinyiError('INVALID_ARGUMENT', 'retention must be an object');
  }
  const resolved = { ...DEFAULT_RETENTION };
  for (const type of RECORD_TYPES) {
    const days = policy[type];
    if (days === undefined) continue;
    if (typeof days !== 'number' || !Number.isFinite(days) || days < 0) {
      throw new XinyiError('INVALID_ARGUMENT', `retention.${type} must be a number of days >= 0`, {
        details: { field: `retention.${type}` },
      });
    }
    resolved[type] = days;
  }
  return resolved;
}

/** Per record type, the epoch-ms time before which a record is past its retention. */
export function retentionCutoffs(now: number, policy: RetentionPolicy): Record<RetentionRecordType, number> {
  if (typeof now !== 'number' || !Number.isFinite(now)) {
    throw new XinyiError('INVALID_ARGUMENT', 'now must be epoch milliseconds');
  }
  const days = resolveRetention(policy);
  return {
    decisions: now - days.decisions * DAY_MS,
    disclosures: now - days.disclosures * DAY_MS,
    events: now - days.events * DAY_MS,
    usage: now - days.usage * DAY_MS,
  };
}

export interface RetentionScheduleOptions {
  journal: JournalStore;
  /** @default DEFAULT_RETENTION */
  retention?: RetentionPolicy;
  /** Time between two purges. @default 21_600_000 (6 hours) */
  intervalMs?: number;
  /**
   * Delay of the first purge after the start; a terminal that restarts more often than
   * `intervalMs` still purges. @default 60_000
   */
  firstPurgeAfterMs?: number;
  /** Source of `now` for the purge. @default systemClock */
  clock?: Clock;
  /** Purge counts at info, failures at warn. @default silentLogger */
  logger?: Logger;
  /** Called after each successful purge with the counts deleted. */
  onPurge?: (deleted: Record<RetentionRecordType, number>) => void;
}

/**
 * Purges `journal` on a timer that never keeps the process alive. Records not yet uploaded are kept
 * (the store's `purge` guarantees it). A failing purge is logged and tried again at the next interval;
 * a closed journal stops the schedule. Returns the function that stops it.
 * Throws `INVALID_OPTIONS` for bad options.
 */
export function startRetentionSchedule(options: RetentionScheduleOptions): () => void {
  if (options === null || typeof options !== 'object') {
    throw new XinyiError('INVALID_OPTIONS', 'options must be an object');
  }
  const { journal } = options;
  if (journal === null || typeof journal !== 'object' || typeof journal.purge !== 'function') {
    throw new XinyiError('INVALID_OPTIONS', 'journal must be a JournalStore');
  }
  const intervalMs = options.intervalMs ?? 6 * 60 * 60 * 1000;
  if (!Number.isInteger(intervalMs) || intervalMs < 1) {
    throw new XinyiError('INVALID_OPTIONS', 'intervalMs must be a positive integer');
  }
  const firstPurgeAfterMs = options.firstPurgeAfterMs ?? 60_000;
  if (!Number.isInteger(firstPurgeAfterMs) || firstPurgeAfterMs < 0) {
    throw new XinyiError('INVALID_OPTIONS', 'firstPurgeAfterMs must be an integer >= 0');
  }
  let retention: RetentionPolicy;
  try {
    retention = resolveRetention(options.retention);
  } catch (cause) {
    throw new XinyiError('INVALID_OPTIONS', 'retention must give each record type a number of days >= 0', {
      cause,
    });
  }
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;

  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const stop = (): void => {
    stopped = true;
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
  const schedule = (delayMs: number): void => {
    if (stopped) return;
    timer = setTimeout(run, delayMs);
    timer.unref();
  };
  function run(): void {
    timer = undefined;
    try {
      const deleted = journal.purge(clock.now(), retention);
      const total = deleted.decisions + deleted.disclosures + deleted.events + deleted.usage;
      if (total > 0) logger.info({ journal: journal.kind, ...deleted }, 'journal purged past retention');
      options.onPurge?.(deleted);
    } catch (error) {
      if (isXinyiError(error, 'CLOSED')) {
        stop();
        return;
      }
      logger.warn(
        { journal: journal.kind, code: isXinyiError(error) ? error.code : 'UNKNOWN' },
        'journal purge failed; retrying at the next interval',
      );
    }
    schedule(intervalMs);
  }
  schedule(firstPurgeAfterMs);
  return stop;
}
