/**
 * The daemon's HTTP documents (`/health`, `/diagnostics`) give every instant in one format: ISO 8601
 * in UTC with milliseconds and the `Z` designator (`2026-12-07T21:05:00.000Z`), as the log lines'
 * `time` does, so an operator can line them up. The SDK's status objects hold epoch milliseconds
 * (cheap to compare); this turns them into text at the edge, by one rule: a field named `…At`, `at`
 * or `since` that holds epoch milliseconds or a date-time string is an instant. Calendar dates
 * (`today`, `officialThrough`: `YYYY-MM-DD` in Asia/Shanghai) are days, not instants, and stay.
 */

const INSTANT_KEY = /(?:At|^at|^since)$/;

function isoOf(value: unknown): unknown {
  if (typeof value === 'number' && Number.isFinite(value)) return new Date(value).toISOString();
  if (typeof value === 'string' && /^\d{4}-\d\d-\d\dT/.test(value)) {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? value : new Date(ms).toISOString();
  }
  return value;
}

/**
 * A copy of a JSON-ready document with every instant as ISO 8601 UTC (the rule above); the subtrees
 * named in `keep` (the configuration as written) are copied as they are.
 */
export function withIsoTimestamps(value: unknown, keep: ReadonlySet<string> = new Set()): unknown {
  if (Array.isArray(value)) return value.map((v) => withIsoTimestamps(v, keep));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
    if (keep.has(key)) out[key] = inner;
    else if (INSTANT_KEY.test(key) && (inner === null || typeof inner !== 'object')) out[key] = isoOf(inner);
    else out[key] = withIsoTimestamps(inner, keep);
  }
  return out;
}
