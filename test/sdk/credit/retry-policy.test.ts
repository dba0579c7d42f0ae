import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RETRY_POLICY,
  isRetriableStatus,
  parseRetryAfterMs,
  type RetryContext,
  shouldRetry,
} from '../../../sdk/credit/retry-policy.js';

const base: RetryContext = {
  attempt: 1,
  kind: 'network',
  elapsedMs: 0,
  deadlineMs: 10_000,
  random: () => 0.5,
};
const ctx = (over: Partial<RetryContext>): RetryContext => ({ ...base, ...over });

describe('isRetriableStatus', () => {
  it.each([408, 429, 500, 502, 503, 504, 599])('retries %i', (status) => {
    expect(isRetriableStatus(status)).toBe(true);
  });
  it.each([400, 401, 403, 404, 409, 422, 501, 505, 200, 302])('never retries %i', (status) => {
    expect(isRetriableStatus(status)).toBe(false);
  });
});

describe('parseRetryAfterMs', () => {
  const now = Date.parse('2026-11-26T02:00:00Z');
  it('reads delta-seconds', () => {
    expect(parseRetryAfterMs('2', now)).toBe(2000);
    expect(parseRetryAfterMs(' 0 ', now)).toBe(0);
  });
  it('reads an HTTP date relative to now, never negative', () => {
    expect(parseRetryAfterMs('Thu, 26 Nov 2026 02:00:03 GMT', now)).toBe(3000);
    expect(parseRetryAfterMs('Thu, 26 Nov 2026 01:00:00 GMT', now)).toBe(0);
  });
  it('ignores absent or unreadable values', () => {
    expect(parseRetryAfterMs(undefined, now)).toBeUndefined();
    expect(parseRetryAfterMs(null, now)).toBeUndefined();
    expect(parseRetryAfterMs('soon', now)).toBeUndefined();
    expect(parseRetryAfterMs('-1', now)).toBeUndefined();
  });
});

describe('shouldRetry', () => {
  it.each(['network', 'timeout', 'malformed'] as const)('retries a %s failure', (kind) => {
    expect(shouldRetry(ctx({ kind }))).toMatchObject({ retry: true, reason: 'retriable' });
  });

  it.each([408, 429, 500, 502, 503, 504])('retries status %i', (status) => {
    expect(shouldRetry(ctx({ kind: 'status', status })).retry).toBe(true);
  });

  it.each([400, 401, 403, 404])('never retries status %i, whatever the time left', (status) => {
    expect(shouldRetry(ctx({ kind: 'status', status, deadlineMs: Number.POSITIVE_INFINITY }))).toEqual({
      retry: false,
      delayMs: 0,
      reason: 'not-retriable',
    });
  });

  it('never retries an abort, an open breaker or a status-less status failure', () => {
    expect(shouldRetry(ctx({ kind: 'aborted' })).reason).toBe('not-retriable');
    expect(shouldRetry(ctx({ kind: 'breaker-open' })).reason).toBe('not-retriable');
    expect(shouldRetry(ctx({ kind: 'status' })).reason).toBe('not-retriable');
  });

  it('retries a stale kept-alive connection at once, within the attempts and the deadline', () => {
    expect(shouldRetry(ctx({ kind: 'stale-connection', random: () => 0.9 }))).toEqual({
      retry: true,
      delayMs: 0,
      reason: 'retriable',
    });
    expect(
      shouldRetry(ctx({ kind: 'stale-connection', attempt: DEFAULT_RETRY_POLICY.maxAttempts })).reason,
    ).toBe('attempts-exhausted');
    expect(shouldRetry(ctx({ kind: 'stale-connection', elapsedMs: 390, deadlineMs: 400 })).reason).toBe(
      'deadline',
    );
  });

  it('stops after maxAttempts', () => {
    expect(shouldRetry(ctx({ attempt: DEFAULT_RETRY_POLICY.maxAttempts })).reason).toBe('attempts-exhausted');
    expect(shouldRetry(ctx({ attempt: 4 }), { maxAttempts: 5 }).retry).toBe(true);
    expect(shouldRetry(ctx({ attempt: 1 }), { maxAttempts: 1 }).reason).toBe('attempts-exhausted');
  });

  it('backs off exponentially with equal jitter, capped', () => {
    const policy = { baseDelayMs: 100, maxDelayMs: 1000, maxAttempts: 10 };
    const at = (attempt: number, r: number) => shouldRetry(ctx({ attempt, random: () => r }), policy).delayMs;
    expect(at(1, 0)).toBe(50);
    expect(at(1, 0.999999)).toBe(100);
    expect(at(2, 0)).toBe(100);
    expect(at(3, 0)).toBe(200);
    expect(at(3, 0.5)).toBe(300);
    expect(at(8, 0)).toBe(500);
    expect(at(8, 0.999999)).toBe(1000);
  });

  it('waits at least as long as Retry-After asks on 429 and 503', () => {
    expect(shouldRetry(ctx({ kind: 'status', status: 429, retryAfter: '1' })).delayMs).toBe(1000);
    expect(shouldRetry(ctx({ kind: 'status', status: 503, retryAfter: '2' })).delayMs).toBe(2000);
    // A Retry-After of 0 does not remove the backoff.
    expect(shouldRetry(ctx({ kind: 'status', status: 429, retryAfter: '0' })).delayMs).toBe(38);
    // Only 429 and 503 carry a meaningful Retry-After here.
    expect(shouldRetry(ctx({ kind: 'status', status: 500, retryAfter: '5' })).delayMs).toBe(38);
  });

  it('does not retry when the delay would overrun the deadline', () => {
    const asked = ctx({ kind: 'status', status: 429, retryAfter: '1', elapsedMs: 100 });
    expect(shouldRetry({ ...asked, deadlineMs: 1500 }).retry).toBe(true);
    expect(shouldRetry({ ...asked, deadlineMs: 1110 })).toEqual({
      retry: false,
      delayMs: 0,
      reason: 'deadline',
    });
    expect(shouldRetry(ctx({ elapsedMs: 390, deadlineMs: 400 })).reason).toBe('deadline');
    expect(
      shouldRetry(ctx({ elapsedMs: 390, deadlineMs: 400 }), { minAttemptMs: 0, baseDelayMs: 4 }).retry,
    ).toBe(true);
  });

  it('is pure: the same context gives the same answer', () => {
    const c = ctx({ kind: 'status', status: 502, attempt: 2 });
    expect(shouldRetry(c)).toEqual(shouldRetry(c));
  });
});
