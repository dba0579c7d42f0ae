export {
  CALENDAR_DOCUMENT_FORMAT,
  CALENDAR_DOCUMENT_MAX_BYTES,
  type CalendarDocument,
  type CalendarDocumentContent,
  type CalendarDocumentYear,
  type CalendarMakeupWorkday,
  type CalendarPeriod,
  calendarDocumentKind,
  parseCalendarDocument,
} from './calendar-document.js';
export { chinaHolidayCalendar, chinaHolidayData, defaultHolidayCalendar } from './china-holidays.js';
export { CALENDAR_WARNING_DAYS, type CalendarCoverage, calendarCoverage } from './coverage.js';
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
