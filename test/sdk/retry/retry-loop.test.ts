import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { backoffDelayMs } from '../../../sdk/retry/backoff.js';
import { type RetryLoopFailure, retryLoop } from '../../../sdk/retry/retry-loop.js';

describe('backoffDelayMs (pure)', () => {
  it('doubles from the base up to the cap, with no jitter', () => {
    const delays = [1, 2, 3, 4, 5].map((n) =>
      backoffDelayMs(n, { baseDelayMs: 100, maxDelayMs: 1_000, jitter: 'none' }),
    );
    expect(delays).toEqual([100, 200, 400, 800, 1_000]);
  });

  it('equal jitter: between half the step and the step', () => {
    const options = { baseDelayMs: 100, maxDelayMs: 1_000 };
    expect(backoffDelayMs(3, { ...options, random: () => 0 })).toBe(200);
    expect(backoffDelayMs(3, { ...options, random: () => 0.999_999 })).toBe(400);
  });

  it('stays finite after a very long run of failures', () => {
    expect(backoffDelayMs(10_000, { baseDelayMs: 1_000, maxDelayMs: 60_000, jitter: 'none' })).toBe(60_000);
  });
});

describe('retryLoop', () => {
  beforeEach(() => {
    // p-retry measures maxRetryTime with performance.now().
    vi.useFakeTimers({
      toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'Date', 'performance'],
    });
  });
  afterEach(() => {
    expect(vi.getTimerCount()).toBe(0);
    vi.useRealTimers();
  });

  it('retries as the policy decides, waiting its delays, and resolves with the first success', async () => {
    const seen: RetryLoopFailure[] = [];
    let calls = 0;
    const result = retryLoop(
      async (attempt) => {
        calls++;
        if (attempt < 3) throw new Error(`failure ${attempt}`);
        return 'ok';
      },
      {
        decide: (failure) => {
          seen.push(failure);
          return { retry: true, delayMs: 100 * failure.attempt };
        },
      },
    );
    await vi.advanceTimersByTimeAsync(99);
    expect(calls).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toBe(2);
    await vi.advanceTimersByTimeAsync(199);
    expect(calls).toBe(2);
    await vi.advanceTimersByTimeAsync(1);
    await expect(result).resolves.toBe('ok');
    expect(seen.map((f) => [f.attempt, (f.error as Error).message])).toEqual([
      [1, 'failure 1'],
      [2, 'failure 2'],
    ]);
  });

  it('rejects with the attempt’s own error when the policy says stop — a TypeError included', async () => {
    const boom = new TypeError('not a function');
    const decide = vi.fn(() => ({ retry: false, delayMs: 0 }));
    await expect(
      retryLoop(
        async () => {
          throw boom;
        },
        { decide },
      ),
    ).rejects.toBe(boom);
    expect(decide).toHaveBeenCalledOnce();
  });

  it('an abort during the backoff wait ends the loop at once with the signal’s reason', async () => {
    const controller = new AbortController();
    let calls = 0;
    const result = retryLoop(
      async () => {
        calls++;
        throw new Error('down');
      },
      { decide: () => ({ retry: true, delayMs: 10_000 }), signal: controller.signal },
    );
    const settled = expect(result).rejects.toThrow('closing');
    await vi.advanceTimersByTimeAsync(500);
    controller.abort(new Error('closing'));
    await settled;
    expect(calls).toBe(1);
  });

  it('maxRetryTimeMs ends the loop with the last error once the budget is spent', async () => {
    let calls = 0;
    const result = retryLoop(
      async () => {
        calls++;
        throw new Error(`down ${calls}`);
      },
      { decide: () => ({ retry: true, delayMs: 400 }), maxRetryTimeMs: 1_000 },
    );
    const settled = expect(result).rejects.toThrow('down 3');
    await vi.advanceTimersByTimeAsync(1_000);
    await settled;
    expect(calls).toBe(3);
  });
});
