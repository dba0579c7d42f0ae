export { chinaHolidayCalendar, chinaHolidayData, defaultHolidayCalendar } from './china-holidays.js';
export {
  createHolidayCalendar,
  type DayInfo,
  type DayKind,
  type HolidayCalendar,
  type HolidayCalendarData,
  type HolidayCalendarOptions,
  type HolidayYear,
} from './holiday-calendar.js';
export {
  type HolidayAnchor,
  PROVISIONAL_RULES_VERSION,
  PROVISIONAL_YEARS,
  provisionalHolidayYear,
  STATUTORY_RULE_EDITIONS,
  type StatutoryHoliday,
  type StatutoryRuleEdition,
} from './provisional-holidays.js';
