import { XinyiError } from '../sdk/errors.js';
import { backoffDelayMs } from '../sdk/retry/backoff.js';
import { type RetryStep, retryLoop } from '../sdk/retry/retry-loop.js';

/** How a driver reopens a device that disappeared. `maxAttempts: 0` retries for ever. */
export interface ReconnectPolicy {
  initialDelayMs: number;
  maxDelayMs: number;
  maxAttempts: number;
}

/** Validates `options.reconnect` of a driver, filling in the defaults (500 ms doubling to 10 s, for ever). */
export function reconnectPolicy(owner: string, given: Partial<ReconnectPolicy> | undefined): ReconnectPolicy {
  const policy = { initialDelayMs: 500, maxDelayMs: 10_000, maxAttempts: 0, ...given };
  for (const [key, value] of Object.entries(policy)) {
    const allowZero = key === 'maxAttempts';
    if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
      throw new XinyiError(
        'INVALID_OPTIONS',
        `${owner}: reconnect.${key} must be a ${allowZero ? 'non-negative' : 'positive'} number`,
      );
    }
  }
  return policy;
}

/**
 * The reconnect decision after the `attempt`-th failed reopening (1-based): retry while attempts
 * remain, after `initialDelayMs` doubled once per failure up to `maxDelayMs`. Pure.
 */
export function reconnectStep(attempt: number, policy: ReconnectPolicy): RetryStep {
  return {
    retry: policy.maxAttempts === 0 || attempt < policy.maxAttempts,
    delayMs: backoffDelayMs(attempt + 1, {
      baseDelayMs: policy.initialDelayMs,
      maxDelayMs: policy.maxDelayMs,
      jitter: 'none',
    }),
  };
}

/** Thrown by an attempt that finds the driver closed: ends the loop without counting as a failure. */
class NoLongerWanted extends Error {}

/**
 * Calls `open` after `sleep(initialDelayMs)`, then again after each failure with the delays of
 * `reconnectStep` (the shared retry loop, on p-retry), until it succeeds. Resolves true once open,
 * false when `stillWanted()` turns false (the driver was closed meanwhile) or the attempts run out.
 */
export async function reopenWithBackoff(
  open: () => Promise<void>,
  policy: ReconnectPolicy,
  sleep: (ms: number) => Promise<void>,
  stillWanted: () => boolean,
  onFailure?: (attempt: number, error: unknown) => void,
): Promise<boolean> {
  await sleep(policy.initialDelayMs);
  try {
    await retryLoop(
      async () => {
        if (!stillWanted()) throw new NoLongerWanted();
        await open();
      },
      {
        decide: ({ attempt, error }) => {
          if (error instanceof NoLongerWanted || !stillWanted()) return { retry: false, delayMs: 0 };
          onFailure?.(attempt, error);
          return reconnectStep(attempt, policy);
        },
        sleep: (ms) => sleep(ms),
      },
    );
  } catch {
    return false;
  }
  return stillWanted();
}

/** Timers a driver waits on (poll intervals, backoff), all woken at once when the driver closes. */
export class Sleeper {
  readonly #sleeps = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();

  /** Resolves after `ms`, or at once on `wakeAll()`. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          this.#sleeps.delete(entry);
          resolve();
        }, ms),
        resolve,
      };
      this.#sleeps.add(entry);
    });
  }

  wakeAll(): void {
    for (const entry of this.#sleeps) {
      clearTimeout(entry.timer);
      entry.resolve();
    }
    this.#sleeps.clear();
  }
}
