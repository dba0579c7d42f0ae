/** Where modules get the time from; tests pass a fixed or stepping clock. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** China Standard Time has been UTC+8 without daylight saving since 1991. */
const SHANGHAI_OFFSET_MS = 8 * 60 * 60 * 1000;

/**
 * The calendar date (YYYY-MM-DD) of an instant in Asia/Shanghai, whatever the host's time zone.
 * A fixed offset is exact for every date the SDK handles and avoids Intl on the decision hot path.
 */
export function shanghaiDate(epochMs: number): string {
  const day = Math.floor((epochMs + SHANGHAI_OFFSET_MS) / DAY_MS);
  if (day !== lastDay) {
    lastDay = day;
    lastDate = new Date(day * DAY_MS).toISOString().slice(0, 10);
  }
  return lastDate;
}

const DAY_MS = 86_400_000;
// Decisions come in runs on the same day: remembering the last day keeps Date off the hot path.
let lastDay = Number.NaN;
let lastDate = '';

/** Day of week (0 = Sunday) of a YYYY-MM-DD date. */
export function dayOfWeek(isoDate: string): number {
  return new Date(`${isoDate}T00:00:00Z`).getUTCDay();
}
