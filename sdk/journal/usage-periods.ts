import { shanghaiDate } from '../clock.js';
import type { UsageCounts } from '../policy/evaluate.js';

/** Half-open epoch-millisecond ranges `[start, end)` of the Asia/Shanghai day, month and year. */
export interface ShanghaiPeriods {
  dayStart: number;
  dayEnd: number;
  monthStart: number;
  monthEnd: number;
  yearStart: number;
  yearEnd: number;
}

// China Standard Time has had no daylight saving since 1991 (see clock.ts), so a fixed offset is exact.
const SHANGHAI_OFFSET_MS = 8 * 60 * 60 * 1000;
const DAY_MS = 86_400_000;

/** The Asia/Shanghai day, month and year containing `now` (epoch ms), whatever the host's time zone. */
export function shanghaiPeriods(now: number): ShanghaiPeriods {
  const dayStart = Math.floor((now + SHANGHAI_OFFSET_MS) / DAY_MS) * DAY_MS - SHANGHAI_OFFSET_MS;
  const date = shanghaiDate(now);
  const year = Number(date.slice(0, 4));
  const month = Number(date.slice(5, 7)) - 1;
  return {
    dayStart,
    dayEnd: dayStart + DAY_MS,
    monthStart: Date.UTC(year, month, 1) - SHANGHAI_OFFSET_MS,
    monthEnd: Date.UTC(year, month + 1, 1) - SHANGHAI_OFFSET_MS,
    yearStart: Date.UTC(year, 0, 1) - SHANGHAI_OFFSET_MS,
    yearEnd: Date.UTC(year + 1, 0, 1) - SHANGHAI_OFFSET_MS,
  };
}

/** One counted use, as the stores keep it. */
export interface CountedUse {
  ruleId: string;
  at: number;
}

/**
 * Folds uses into `UsageCounts` for the periods of `now`. Every rule with a use in the year gets all
 * three periods (zero where none), so a cap reads a number rather than a missing key.
 */
export function tallyUsage(uses: Iterable<CountedUse>, now: number): UsageCounts {
  const p = shanghaiPeriods(now);
  const counts: Record<string, { day: number; month: number; year: number }> = {};
  for (const use of uses) {
    if (use.at < p.yearStart || use.at >= p.yearEnd) continue;
    let c = counts[use.ruleId];
    if (c === undefined) {
      c = { day: 0, month: 0, year: 0 };
      counts[use.ruleId] = c;
    }
    c.year++;
    if (use.at >= p.monthStart && use.at < p.monthEnd) c.month++;
    if (use.at >= p.dayStart && use.at < p.dayEnd) c.day++;
  }
  return counts;
}
