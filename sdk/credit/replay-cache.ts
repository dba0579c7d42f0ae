import { XinyiError } from '../errors.js';

/**
 * A per-terminal memory of presentations already accepted (docs/credit-domain.md §4.2 step 6), keyed by
 * SHA-256(credential) ‖ t. An entry must outlive the presentation window, so `ttlMs` should be at
 * least windowPastMs + windowFutureMs of the verifier (default 120 s = 90 s + 30 s).
 */
export interface ReplayCache {
  readonly ttlMs: number;
  /**
   * Records `key` at `nowMs`. Returns true when the key was new (the presentation may proceed) and
   * false when it was seen within the TTL (a replay).
   */
  checkAndRecord(key: string, nowMs: number): boolean;
  /** Live entries (after dropping the expired ones as of the last call). */
  readonly size: number;
  clear(): void;
}

export interface ReplayCacheOptions {
  /** How long an entry is remembered; default 120 000 ms. */
  ttlMs?: number;
  /**
   * Bound on memory; default 100 000. When full, the oldest entry is dropped even if still live —
   * size it above the number of scans a terminal can see in one TTL.
   */
  maxEntries?: number;
}

/** Creates a {@link ReplayCache}. Throws `INVALID_OPTIONS` for a non-positive TTL or bound. */
export function createReplayCache(options: ReplayCacheOptions = {}): ReplayCache {
  const ttlMs = options.ttlMs ?? 120_000;
  const maxEntries = options.maxEntries ?? 100_000;
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw new XinyiError('INVALID_OPTIONS', 'createReplayCache(): ttlMs must be a positive number');
  }
  if (!Number.isSafeInteger(maxEntries) || maxEntries <= 0) {
    throw new XinyiError('INVALID_OPTIONS', 'createReplayCache(): maxEntries must be a positive integer');
  }
  // Insertion order is (nearly) expiry order, so expired entries are dropped from the front.
  const entries = new Map<string, number>();
  const sweep = (nowMs: number) => {
    for (const [key, expiresAt] of entries) {
      if (expiresAt > nowMs) break;
      entries.delete(key);
    }
  };
  return {
    ttlMs,
    checkAndRecord(key, nowMs) {
      sweep(nowMs);
      const expiresAt = entries.get(key);
      if (expiresAt !== undefined && expiresAt > nowMs) return false;
      entries.delete(key);
      entries.set(key, nowMs + ttlMs);
      if (entries.size > maxEntries) {
        const oldest = entries.keys().next();
        if (!oldest.done) entries.delete(oldest.value);
      }
      return true;
    },
    get size() {
      return entries.size;
    },
    clear() {
      entries.clear();
    },
  };
}
