import { describe, expect, it } from 'vitest';
import { reconnectPolicy, reconnectStep, reopenWithBackoff } from '../../adapters/reconnect.js';

/** A sleep that records what it was asked to wait and returns at once: no real time passes. */
function recordingSleep() {
  const waits: number[] = [];
  return { waits, sleep: async (ms: number) => void waits.push(ms) };
}

describe('reconnectStep (pure)', () => {
  const policy = reconnectPolicy('test', { initialDelayMs: 500, maxDelayMs: 3_000, maxAttempts: 4 });

  it('doubles the wait after each failure up to the maximum, and stops when the attempts run out', () => {
    expect([1, 2, 3].map((attempt) => reconnectStep(attempt, policy))).toEqual([
      { retry: true, delayMs: 1_000 },
      { retry: true, delayMs: 2_000 },
      { retry: true, delayMs: 3_000 },
    ]);
    expect(reconnectStep(4, policy).retry).toBe(false);
  });

  it('retries for ever with maxAttempts 0', () => {
    expect(reconnectStep(10_000, { ...policy, maxAttempts: 0 })).toEqual({ retry: true, delayMs: 3_000 });
  });
});

describe('reopenWithBackoff', () => {
  it('waits the initial delay, then the policy’s delays between failures, until open succeeds', async () => {
    const { waits, sleep } = recordingSleep();
    const failures: Array<[number, unknown]> = [];
    let calls = 0;
    const reopened = await reopenWithBackoff(
      async () => {
        calls++;
        // A TypeError from a native binding is retried like any other failure.
        if (calls < 4) throw calls === 2 ? new TypeError('binding') : new Error('ENOENT');
      },
      reconnectPolicy('test', { initialDelayMs: 100, maxDelayMs: 300 }),
      sleep,
      () => true,
      (attempt, error) => failures.push([attempt, (error as Error).message]),
    );
    expect(reopened).toBe(true);
    expect(calls).toBe(4);
    expect(waits).toEqual([100, 200, 300, 300]);
    expect(failures).toEqual([
      [1, 'ENOENT'],
      [2, 'binding'],
      [3, 'ENOENT'],
    ]);
  });

  it('gives up after maxAttempts and resolves false', async () => {
    const { waits, sleep } = recordingSleep();
    let calls = 0;
    const reopened = await reopenWithBackoff(
      async () => {
        calls++;
        throw new Error('EACCES');
      },
      reconnectPolicy('test', { initialDelayMs: 10, maxDelayMs: 1_000, maxAttempts: 3 }),
      sleep,
      () => true,
    );
    expect(reopened).toBe(false);
    expect(calls).toBe(3);
    expect(waits).toEqual([10, 20, 40]);
  });

  it('stops without another attempt once the driver no longer wants the device', async () => {
    const { sleep } = recordingSleep();
    let wanted = true;
    let calls = 0;
    const failures: number[] = [];
    const reopened = await reopenWithBackoff(
      async () => {
        calls++;
        wanted = calls < 2;
        throw new Error('gone');
      },
      reconnectPolicy('test', {}),
      sleep,
      () => wanted,
      (attempt) => failures.push(attempt),
    );
    expect(reopened).toBe(false);
    expect(calls).toBe(2);
    expect(failures).toEqual([1]);
  });

  it('closed during the initial wait: no attempt at all', async () => {
    let wanted = true;
    let calls = 0;
    const reopened = await reopenWithBackoff(
      async () => void calls++,
      reconnectPolicy('test', {}),
      async () => {
        wanted = false;
      },
      () => wanted,
    );
    expect(reopened).toBe(false);
    expect(calls).toBe(0);
  });

  it('an open that succeeds after the driver was closed reports false', async () => {
    let wanted = true;
    const reopened = await reopenWithBackoff(
      async () => {
        wanted = false;
      },
      reconnectPolicy('test', {}),
      async () => {},
      () => wanted,
    );
    expect(reopened).toBe(false);
  });
});
