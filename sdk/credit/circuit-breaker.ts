import { type Clock, systemClock } from '../clock.js';
import { XinyiError } from '../errors.js';

/**
 * - `closed`: requests flow; consecutive failures are counted.
 * - `open`: requests fail fast without touching the network, until the cool-down has passed.
 * - `half-open`: one probe request is let through; its success closes the breaker, its failure opens it again.
 */
export type BreakerState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the breaker. @default 5 */
  failureThreshold?: number;
  /** Time the breaker stays open before it lets a probe through. @default 5000 */
  cooldownMs?: number;
  clock?: Clock;
  /** Called on every state change. */
  onStateChange?: (change: { from: BreakerState; to: BreakerState }) => void;
}

export interface CircuitBreaker {
  /** The current state; an open breaker whose cool-down has passed reads `half-open`. */
  readonly state: BreakerState;
  /**
   * True when a request may be sent now. In `half-open` only one caller gets true (the probe)
   * until it reports back with `recordSuccess`, `recordFailure` or `release`.
   */
  tryAcquire(): boolean;
  /** The platform answered: closes the breaker and resets the failure count. */
  recordSuccess(): void;
  /** The platform failed (no answer, 5xx, garbage): counts towards opening; a failed probe re-opens. */
  recordFailure(): void;
  /** The request ended without telling anything about the platform (the caller gave up): frees the probe slot. */
  release(): void;
}

/** A consecutive-failure circuit breaker with a clock-driven cool-down (clock injected for tests). */
export function createCircuitBreaker(options: CircuitBreakerOptions = {}): CircuitBreaker {
  const failureThreshold = options.failureThreshold ?? 5;
  const cooldownMs = options.cooldownMs ?? 5000;
  if (!Number.isInteger(failureThreshold) || failureThreshold < 1) {
    throw new XinyiError('INVALID_OPTIONS', 'failureThreshold must be a positive integer');
  }
  if (!Number.isFinite(cooldownMs) || cooldownMs < 0) {
    throw new XinyiError('INVALID_OPTIONS', 'cooldownMs must be a non-negative number of milliseconds');
  }
  const clock = options.clock ?? systemClock;
  let state: BreakerState = 'closed';
  let failures = 0;
  let openedAt = 0;
  let probeInFlight = false;

  const move = (to: BreakerState) => {
    if (to === state) return;
    const from = state;
    state = to;
    options.onStateChange?.({ from, to });
  };
  const current = (): BreakerState => {
    if (state === 'open' && clock.now() - openedAt >= cooldownMs) move('half-open');
    return state;
  };
  const open = () => {
    openedAt = clock.now();
    probeInFlight = false;
    move('open');
  };

  return {
    get state() {
      return current();
    },
    tryAcquire() {
      const now = current();
      if (now === 'closed') return true;
      if (now === 'open' || probeInFlight) return false;
      probeInFlight = true;
      return true;
    },
    recordSuccess() {
      failures = 0;
      probeInFlight = false;
      move('closed');
    },
    recordFailure() {
      if (current() === 'half-open') {
        open();
        return;
      }
      failures++;
      if (state === 'closed' && failures >= failureThreshold) open();
    },
    release() {
      probeInFlight = false;
    },
  };
}
