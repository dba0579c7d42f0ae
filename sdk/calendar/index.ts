export { chinaHolidayCalendar, chinaHolidayData } from './china-holidays.js';
export {
  createHolidayCalendar,
  type DayInfo,
  type DayKind,
  type HolidayCalendar,
  type HolidayCalendarData,
  type HolidayYear,
} from './holiday-calendar.js';
