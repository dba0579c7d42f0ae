import { backoffDelayMs } from '../retry/backoff.js';

/**
 * What went wrong with one attempt, as the retry policy sees it.
 * - `network`: no response (refused, reset, dropped connection, DNS).
 * - `stale-connection`: a kept-alive connection the server had already closed was reused (reset
 *   before any byte of a response). Says nothing about the platform: retried at once, uncharged to
 *   the circuit breaker (Node's http docs advise retrying exactly this case).
 * - `timeout`: the attempt's own timer fired before a response.
 * - `status`: the platform answered with a non-2xx status (`status` is set).
 * - `malformed`: a 2xx whose body is not the JSON the API promises.
 * - `aborted`: the caller gave up (decision deadline, terminal closing); never retried.
 * - `breaker-open`: the circuit breaker refused the attempt; never retried.
 */
export type AttemptFailureKind =
  | 'network'
  | 'stale-connection'
  | 'timeout'
  | 'status'
  | 'malformed'
  | 'aborted'
  | 'breaker-open';

export interface RetryPolicyOptions {
  /** Attempts in total, the first included. @default 3 */
  maxAttempts?: number;
  /** Backoff before the first retry, before jitter. @default 50 */
  baseDelayMs?: number;
  /** Ceiling of the exponential backoff. @default 1000 */
  maxDelayMs?: number;
  /**
   * Time a retry must still have after its delay to be worth sending; a retry that could not
   * complete before the deadline is not sent. @default 20
   */
  minAttemptMs?: number;
}

export interface RetryContext {
  /** 1-based number of the attempt that just failed. */
  attempt: number;
  kind: AttemptFailureKind;
  /** HTTP status when `kind` is `status`. */
  status?: number;
  /** The response's raw `Retry-After` header (delta-seconds or an HTTP date), if any. */
  retryAfter?: string | null;
  /** Time since the first attempt started. */
  elapsedMs: number;
  /** Budget of the whole retry loop, measured from the first attempt; `Infinity` for none. */
  deadlineMs: number;
  /** Needed only to read an HTTP-date `Retry-After`. @default Date.now() */
  nowMs?: number;
  /** Jitter source in [0, 1). @default Math.random */
  random?: () => number;
}

export interface RetryDecision {
  retry: boolean;
  /** Wait before the next attempt; 0 when not retrying. */
  delayMs: number;
  /** Why, for logs and tests: `retriable`, `not-retriable`, `attempts-exhausted`, `deadline`. */
  reason: 'retriable' | 'not-retriable' | 'attempts-exhausted' | 'deadline';
}

export const DEFAULT_RETRY_POLICY: Readonly<Required<RetryPolicyOptions>> = Object.freeze({
  maxAttempts: 3,
  baseDelayMs: 50,
  maxDelayMs: 1000,
  minAttemptMs: 20,
});

/**
 * Whether a status is worth asking again: 408 and 429 (come back later), 5xx except 501 (the
 * server will not learn the method) and 505. 400/401/403/404 and every other 4xx mean the same
 * request gets the same answer, and a 401 retried at a turnstile only delays the customer.
 */
export function isRetriableStatus(status: number): boolean {
  if (status === 408 || status === 429) return true;
  return status >= 500 && status <= 599 && status !== 501 && status !== 505;
}

/** `Retry-After` in milliseconds (RFC 9110 §10.2.3: delta-seconds or an HTTP date), or undefined when absent or unreadable. */
export function parseRetryAfterMs(value: string | null | undefined, nowMs: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // An HTTP date has a day name; `Date.parse` would read "-1" as a year.
  const at = /^[A-Za-z]{3}, /.test(trimmed) ? Date.parse(trimmed) : Number.NaN;
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

/**
 * The retry decision for one failed attempt: a pure function of the failure and the time left.
 * Retries network errors, attempt timeouts, malformed bodies, 408, 429 and retriable 5xx; never
 * other statuses, aborts or an open breaker. A stale kept-alive connection is retried with no delay.
 * The delay is exponential backoff with equal jitter
 * (half fixed, half random), or the server's `Retry-After` when it asks for longer. A retry whose
 * delay would leave less than `minAttemptMs` before the deadline is not made: the caller's
 * deadline wins over the server's wish.
 */
export function shouldRetry(context: RetryContext, options: RetryPolicyOptions = {}): RetryDecision {
  const policy = { ...DEFAULT_RETRY_POLICY, ...options };
  const retriable =
    context.kind === 'network' ||
    context.kind === 'stale-connection' ||
    context.kind === 'timeout' ||
    context.kind === 'malformed' ||
    (context.kind === 'status' && context.status !== undefined && isRetriableStatus(context.status));
  if (!retriable) return { retry: false, delayMs: 0, reason: 'not-retriable' };
  if (context.attempt >= policy.maxAttempts)
    return { retry: false, delayMs: 0, reason: 'attempts-exhausted' };

  if (context.kind === 'stale-connection') {
    if (context.elapsedMs + policy.minAttemptMs > context.deadlineMs)
      return { retry: false, delayMs: 0, reason: 'deadline' };
    return { retry: true, delayMs: 0, reason: 'retriable' };
  }
  const backoff = backoffDelayMs(context.attempt, {
    baseDelayMs: policy.baseDelayMs,
    maxDelayMs: policy.maxDelayMs,
    ...(context.random === undefined ? {} : { random: context.random }),
  });
  const askedFor =
    context.kind === 'status' && (context.status === 429 || context.status === 503)
      ? parseRetryAfterMs(context.retryAfter, context.nowMs ?? Date.now())
      : undefined;
  const delayMs = askedFor === undefined ? backoff : Math.max(askedFor, backoff);

  if (context.elapsedMs + delayMs + policy.minAttemptMs > context.deadlineMs) {
    return { retry: false, delayMs: 0, reason: 'deadline' };
  }
  return { retry: true, delayMs, reason: 'retriable' };
}
