import { shanghaiDate } from '../clock.js';
import type { HolidayCalendar } from './holiday-calendar.js';

/** Official coverage ending within this many days raises the calendar warning (doctor, health, alarm). */
export const CALENDAR_WARNING_DAYS = 60;

/** How far a calendar's official arrangements reach from a day on. */
export interface CalendarCoverage {
  /** The Asia/Shanghai date looked from. */
  today: string;
  /** Last day of the run of official years that holds `today`; null when today's year is not official. */
  officialThrough: string | null;
  /** Days from `today` to `officialThrough`, both counted (1 on the last official day); 0 when not official. */
  officialDaysLeft: number;
  /** Today's arrangement is computed from the statutory rules, not notified. */
  provisionalToday: boolean;
  /** The last year with an official arrangement, wherever it lies; null when there is none. */
  lastOfficialYear: number | null;
  /** Official coverage ends within `warningDays` (or has ended): a newer calendar is needed. */
  warning: boolean;
}

const DAY_MS = 86_400_000;

/** The calendar's official coverage as seen on the day of `nowMs`. */
export function calendarCoverage(
  calendar: HolidayCalendar,
  nowMs: number,
  warningDays = CALENDAR_WARNING_DAYS,
): CalendarCoverage {
  const today = shanghaiDate(nowMs);
  const official = new Set(calendar.officialYears);
  const year = Number(today.slice(0, 4));
  let officialThrough: string | null = null;
  let officialDaysLeft = 0;
  if (official.has(year)) {
    let last = year;
    while (official.has(last + 1)) last++;
    officialThrough = `${last}-12-31`;
    officialDaysLeft =
      Math.round((Date.parse(`${officialThrough}T00:00:00Z`) - Date.parse(`${today}T00:00:00Z`)) / DAY_MS) +
      1;
  }
  return {
    today,
    officialThrough,
    officialDaysLeft,
    provisionalToday: calendar.dayInfo(today).provisional === true,
    lastOfficialYear: calendar.officialYears.at(-1) ?? null,
    warning: officialDaysLeft <= warningDays,
  };
}
