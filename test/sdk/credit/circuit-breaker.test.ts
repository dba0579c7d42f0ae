import { describe, expect, it } from 'vitest';
import { type BreakerState, createCircuitBreaker } from '../../../sdk/credit/circuit-breaker.js';
import { isXinyiError } from '../../../sdk/errors.js';

function setup(failureThreshold = 3, cooldownMs = 1000) {
  let now = 0;
  const changes: [BreakerState, BreakerState][] = [];
  const breaker = createCircuitBreaker({
    failureThreshold,
    cooldownMs,
    clock: { now: () => now },
    onStateChange: ({ from, to }) => changes.push([from, to]),
  });
  const advance = (ms: number) => {
    now += ms;
  };
  return { breaker, changes, advance };
}

describe('createCircuitBreaker', () => {
  it('stays closed below the threshold and a success resets the count', () => {
    const { breaker } = setup();
    breaker.recordFailure();
    breaker.recordFailure();
    breaker.recordSuccess();
    breaker.recordFailure();
    breaker.recordFailure();
    expect(breaker.state).toBe('closed');
    expect(breaker.tryAcquire()).toBe(true);
  });

  it('opens after N consecutive failures and fails fast during the cool-down', () => {
    const { breaker, changes, advance } = setup();
    for (let i = 0; i < 3; i++) breaker.recordFailure();
    expect(breaker.state).toBe('open');
    expect(breaker.tryAcquire()).toBe(false);
    advance(999);
    expect(breaker.tryAcquire()).toBe(false);
    expect(changes).toEqual([['closed', 'open']]);
  });

  it('lets exactly one probe through after the cool-down; success closes', () => {
    const { breaker, changes, advance } = setup();
    for (let i = 0; i < 3; i++) breaker.recordFailure();
    advance(1000);
    expect(breaker.state).toBe('half-open');
    expect(breaker.tryAcquire()).toBe(true);
    expect(breaker.tryAcquire()).toBe(false);
    breaker.recordSuccess();
    expect(breaker.state).toBe('closed');
    expect(breaker.tryAcquire()).toBe(true);
    expect(changes).toEqual([
      ['closed', 'open'],
      ['open', 'half-open'],
      ['half-open', 'closed'],
    ]);
  });

  it('re-opens on a failed probe and waits a full cool-down again', () => {
    const { breaker, advance } = setup();
    for (let i = 0; i < 3; i++) breaker.recordFailure();
    advance(1000);
    expect(breaker.tryAcquire()).toBe(true);
    breaker.recordFailure();
    expect(breaker.state).toBe('open');
    advance(500);
    expect(breaker.tryAcquire()).toBe(false);
    advance(500);
    expect(breaker.tryAcquire()).toBe(true);
  });

  it('release() frees the probe slot without changing state', () => {
    const { breaker, advance } = setup();
    for (let i = 0; i < 3; i++) breaker.recordFailure();
    advance(1000);
    expect(breaker.tryAcquire()).toBe(true);
    breaker.release();
    expect(breaker.state).toBe('half-open');
    expect(breaker.tryAcquire()).toBe(true);
  });

  it('rejects bad options with INVALID_OPTIONS', () => {
    expect(() => createCircuitBreaker({ failureThreshold: 0 })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    );
    try {
      createCircuitBreaker({ cooldownMs: -1 });
      expect.unreachable();
    } catch (error) {
      expect(isXinyiError(error, 'INVALID_OPTIONS')).toBe(true);
    }
  });
});
