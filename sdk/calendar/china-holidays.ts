import { createHolidayCalendar, type HolidayCalendarData, type HolidayYear } from './holiday-calendar.js';

type ListedDay = HolidayYear['days'][number];

/** Every day from `from` to `to` inclusive, as off days of the period `name`. */
function offPeriod(name: string, from: string, to: string): ListedDay[] {
  const days: ListedDay[] = [];
  const endMs = Date.parse(`${to}T00:00:00Z`);
  for (let ms = Date.parse(`${from}T00:00:00Z`); ms <= endMs; ms += 86_400_000) {
    days.push({ name, date: new Date(ms).toISOString().slice(0, 10), isOffDay: true });
  }
  return days;
}

function makeupWorkdays(name: string, ...dates: string[]): ListedDay[] {
  return dates.map((date) => ({ name, date, isOffDay: false }));
}

function year(year: number, paper: string, ...groups: ListedDay[][]): HolidayYear {
  const days = groups.flat().sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  return { year, papers: [paper], days };
}

/**
 * Mainland China's public-holiday arrangements (放假调休 and 调休补班) for 2024–2026, transcribed
 * from the State Council General Office notices and cross-checked day by day against the
 * `chinese-days` 1.5.7 data set. Listed in the holiday-cn format; a new year is added by appending
 * the next notice and bumping `version`.
 */
export const chinaHolidayData: HolidayCalendarData = {
  version: 'cn-holidays-2024.2026.1',
  years: [
    // 国办发明电〔2023〕7号
    year(
      2024,
      'https://www.gov.cn/zhengce/zhengceku/202310/content_6911528.htm',
      offPeriod('元旦', '2024-01-01', '2024-01-01'),
      offPeriod('春节', '2024-02-10', '2024-02-17'),
      makeupWorkdays('春节', '2024-02-04', '2024-02-18'),
      offPeriod('清明节', '2024-04-04', '2024-04-06'),
      makeupWorkdays('清明节', '2024-04-07'),
      offPeriod('劳动节', '2024-05-01', '2024-05-05'),
      makeupWorkdays('劳动节', '2024-04-28', '2024-05-11'),
      offPeriod('端午节', '2024-06-10', '2024-06-10'),
      offPeriod('中秋节', '2024-09-15', '2024-09-17'),
      makeupWorkdays('中秋节', '2024-09-14'),
      offPeriod('国庆节', '2024-10-01', '2024-10-07'),
      makeupWorkdays('国庆节', '2024-09-29', '2024-10-12'),
    ),
    // 国办发明电〔2024〕12号
    year(
      2025,
      'https://www.gov.cn/zhengce/zhengceku/202411/content_6986383.htm',
      offPeriod('元旦', '2025-01-01', '2025-01-01'),
      offPeriod('春节', '2025-01-28', '2025-02-04'),
      makeupWorkdays('春节', '2025-01-26', '2025-02-08'),
      offPeriod('清明节', '2025-04-04', '2025-04-06'),
      offPeriod('劳动节', '2025-05-01', '2025-05-05'),
      makeupWorkdays('劳动节', '2025-04-27'),
      offPeriod('端午节', '2025-05-31', '2025-06-02'),
      // The notice merges 国庆节 and 中秋节 (10-06) into one period; holiday-cn names it
      // '国庆节、中秋节'. It is named '国庆节' here so rules that exclude '国庆节' match all eight days.
      offPeriod('国庆节', '2025-10-01', '2025-10-08'),
      makeupWorkdays('国庆节', '2025-09-28', '2025-10-11'),
    ),
    // 国办发明电〔2025〕7号
    year(
      2026,
      'https://www.gov.cn/zhengce/zhengceku/202511/content_7047091.htm',
      offPeriod('元旦', '2026-01-01', '2026-01-03'),
      makeupWorkdays('元旦', '2026-01-04'),
      offPeriod('春节', '2026-02-15', '2026-02-23'),
      makeupWorkdays('春节', '2026-02-14', '2026-02-28'),
      offPeriod('清明节', '2026-04-04', '2026-04-06'),
      offPeriod('劳动节', '2026-05-01', '2026-05-05'),
      makeupWorkdays('劳动节', '2026-05-09'),
      offPeriod('端午节', '2026-06-19', '2026-06-21'),
      offPeriod('中秋节', '2026-09-25', '2026-09-27'),
      offPeriod('国庆节', '2026-10-01', '2026-10-07'),
      makeupWorkdays('国庆节', '2026-09-20', '2026-10-10'),
    ),
  ],
};

/**
 * The bundled official arrangements alone (coverage 2024–2026): every other date is `unknown`.
 * For a terminal that must refuse to guess.
 */
export const chinaHolidayCalendar = createHolidayCalendar(chinaHolidayData);

/**
 * The default of `evaluate` and `createTerminal`: the bundled official years, and every other year
 * the statutory rules cover (2008–2100) computed as provisional (`DayInfo.provisional`). What a rule
 * does on a provisional day is its `calendar.onProvisionalDay`.
 */
export const defaultHolidayCalendar = createHolidayCalendar(chinaHolidayData, { provisional: true });
