import pRetry from 'p-retry';

/** One failed attempt, as the retry decision sees it. */
export interface RetryLoopFailure {
  /** 1-based number of the attempt that just failed. */
  attempt: number;
  /** What the attempt threw, as thrown (a `TypeError` included). */
  error: unknown;
  /** Time since the first attempt started. */
  elapsedMs: number;
}

/** What to do after a failed attempt. */
export interface RetryStep {
  retry: boolean;
  /** Wait before the next attempt; ignored when not retrying. */
  delayMs: number;
}

export interface RetryLoopOptions {
  /**
   * The retry decision for a failed attempt: a pure policy (`shouldRetry` of
   * sdk/credit/retry-policy.ts, `backoffDelayMs` of sdk/retry/backoff.ts). p-retry runs the loop and
   * adds no delay or rule of its own: unlike p-retry's default, a `TypeError` is decided here too.
   */
  decide(failure: RetryLoopFailure): RetryStep;
  /** Stops the loop: no further attempt, and a backoff wait ends at once; the loop rejects with the reason. */
  signal?: AbortSignal;
  /**
   * Budget of the whole loop from the first attempt (p-retry's `maxRetryTime`): no attempt starts
   * after it, and a wait that would end after it is not begun (the loop rejects with the last error).
   * @default Infinity
   */
  maxRetryTimeMs?: number;
  /**
   * Waits `ms` before the next attempt; rejects or resolves early when `signal` aborts (the loop then
   * stops). Drivers pass one their `close()` can wake. @default a timer
   */
  sleep?: (ms: number, signal: AbortSignal | undefined) => Promise<void>;
}

/** Carries a failure p-retry would otherwise treat by its own rules (a `TypeError`, a non-Error). */
class AttemptFailure extends Error {
  constructor(readonly original: unknown) {
    super('attempt failed');
  }
}

/**
 * Runs `attempt` until it resolves, the policy says stop (the loop rejects with the last attempt's
 * error, as thrown), or `signal` aborts (rejects with its reason). The one retry loop of the SDK, on
 * p-retry.
 */
export async function retryLoop<T>(
  attempt: (attemptNumber: number) => Promise<T>,
  options: RetryLoopOptions,
): Promise<T> {
  const sleep = options.sleep ?? timerSleep;
  const maxRetryTimeMs = options.maxRetryTimeMs ?? Number.POSITIVE_INFINITY;
  const started = performance.now();
  try {
    return await pRetry(
      async (attemptNumber) => {
        try {
          return await attempt(attemptNumber);
        } catch (error) {
          throw new AttemptFailure(error);
        }
      },
      {
        retries: Number.POSITIVE_INFINITY,
        minTimeout: 0,
        maxTimeout: 0,
        maxRetryTime: maxRetryTimeMs,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
        shouldRetry: async ({ error, attemptNumber }) => {
          const elapsedMs = performance.now() - started;
          const step = options.decide({
            attempt: attemptNumber,
            error: error instanceof AttemptFailure ? error.original : error,
            elapsedMs,
          });
          // A retry that could only start after the budget is spent is not waited for.
          if (!step.retry || elapsedMs + step.delayMs >= maxRetryTimeMs) return false;
          if (step.delayMs > 0) await sleep(step.delayMs, options.signal);
          return true;
        },
      },
    );
  } catch (error) {
    throw error instanceof AttemptFailure ? error.original : error;
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function timerSleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
