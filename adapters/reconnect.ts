import { XinyiError } from '../sdk/errors.js';

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
 * Calls `open` after `sleep(delay)` until it succeeds, doubling the delay up to the policy's maximum.
 * Resolves true once open, false when `stillWanted()` turns false (the driver was closed meanwhile) or
 * the attempts run out.
 */
export async function reopenWithBackoff(
  open: () => Promise<void>,
  policy: ReconnectPolicy,
  sleep: (ms: number) => Promise<void>,
  stillWanted: () => boolean,
  onFailure?: (attempt: number, error: unknown) => void,
): Promise<boolean> {
  let delay = policy.initialDelayMs;
  for (let attempt = 1; policy.maxAttempts === 0 || attempt <= policy.maxAttempts; attempt++) {
    await sleep(delay);
    if (!stillWanted()) return false;
    try {
      await open();
      return stillWanted();
    } catch (error) {
      if (!stillWanted()) return false;
      onFailure?.(attempt, error);
      delay = Math.min(delay * 2, policy.maxDelayMs);
    }
  }
  return false;
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
