import { describe, expect, it } from 'vitest';
import { createReplayCache } from '../../../sdk/credit/replay-cache.js';

describe('createReplayCache', () => {
  it('refuses a key seen within the TTL and forgets it afterwards', () => {
    const cache = createReplayCache({ ttlMs: 1000 });
    expect(cache.checkAndRecord('a', 0)).toBe(true);
    expect(cache.checkAndRecord('a', 999)).toBe(false);
    expect(cache.checkAndRecord('b', 500)).toBe(true);
    expect(cache.checkAndRecord('a', 1000)).toBe(true);
    expect(cache.size).toBe(2);
    cache.checkAndRecord('c', 1600);
    expect(cache.size).toBe(2); // 'b' expired at 1500
  });

  it('stays within its bound, dropping the oldest entry', () => {
    const cache = createReplayCache({ ttlMs: 60_000, maxEntries: 3 });
    for (const key of ['a', 'b', 'c', 'd']) cache.checkAndRecord(key, 0);
    expect(cache.size).toBe(3);
    expect(cache.checkAndRecord('a', 1)).toBe(true);
    expect(cache.checkAndRecord('d', 1)).toBe(false);
    cache.clear();
    expect(cache.size).toBe(0);
  });

  it('rejects bad options', () => {
    expect(() => createReplayCache({ ttlMs: 0 })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    );
    expect(() => createReplayCache({ maxEntries: 1.5 })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    );
  });
});
