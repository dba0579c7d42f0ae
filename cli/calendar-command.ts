import { parseArgs } from 'node:util';
import { chinaHolidayData, defaultHolidayCalendar } from '../sdk/calendar/china-holidays.js';
import { calendarCoverage } from '../sdk/calendar/coverage.js';
import type { HolidayCalendar } from '../sdk/calendar/holiday-calendar.js';
import { STATUTORY_RULE_EDITIONS } from '../sdk/calendar/provisional-holidays.js';
import { type Clock, shanghaiDate, systemClock } from '../sdk/clock.js';
import { configPath, loadGateConfig } from './gate/config.js';
import { documentFiles, installDocument, offlineDocuments, readDocumentFiles } from './gate/documents.js';
import { usageError } from './usage.js';

/** One off period, or the make-up workdays, of a year as the calendar classifies its days. */
export interface CalendarYearView {
  year: number;
  provisional: boolean;
  /** The notice (official) or the rules (provisional) the days come from. */
  source: string;
  periods: { name: string; from: string; to: string; days: number }[];
  makeupWorkdays: { name: string; date: string }[];
}

export interface CalendarView {
  version: string;
  today: string;
  officialYears: readonly number[];
  officialThrough: string | null;
  officialDaysLeft: number;
  provisionalToday: boolean;
  warning: boolean;
  year: CalendarYearView | null;
}

function yearView(
  calendar: HolidayCalendar,
  year: number,
  sources: ReadonlyMap<number, string>,
): CalendarYearView | null {
  if (year < calendar.coverage.fromYear || year > calendar.coverage.toYear) return null;
  const provisional = !calendar.officialYears.includes(year);
  const periods: CalendarYearView['periods'] = [];
  const makeupWorkdays: CalendarYearView['makeupWorkdays'] = [];
  for (let ms = Date.UTC(year, 0, 1); ms <= Date.UTC(year, 11, 31); ms += 86_400_000) {
    const date = new Date(ms).toISOString().slice(0, 10);
    const info = calendar.dayInfo(date);
    if (info.kind === 'makeup-workday') makeupWorkdays.push({ name: info.holidayName ?? '', date });
    if (info.kind !== 'statutory-holiday') continue;
    const last = periods.at(-1);
    const previous = new Date(ms - 86_400_000).toISOString().slice(0, 10);
    if (last && last.name === info.holidayName && last.to === previous) {
      last.to = date;
      last.days++;
    } else {
      periods.push({ name: info.holidayName ?? '', from: date, to: date, days: 1 });
    }
  }
  const edition = STATUTORY_RULE_EDITIONS.find(
    (e) => year >= e.fromYear && (e.toYear === undefined || year <= e.toYear),
  );
  const source = provisional
    ? `computed from ${edition?.basis ?? 'the statutory rules'}: the State Council's notice may differ; make-up workdays unknown`
    : (sources.get(year) ?? 'bundled State Council notice');
  return { year, provisional, source, periods, makeupWorkdays };
}

/** The calendar view `xinyi calendar show` prints. */
export async function calendarView(options: {
  configFile?: string;
  year?: number;
  clock?: Clock;
}): Promise<CalendarView> {
  const clock = options.clock ?? systemClock;
  let calendar = defaultHolidayCalendar;
  const sources = new Map<number, string>(
    chinaHolidayData.years.map(
      (y) => [y.year, `bundled: ${y.papers?.[0] ?? 'State Council notice'}`] as const,
    ),
  );
  if (options.configFile !== undefined) {
    const { config, baseDir } = loadGateConfig(options.configFile);
    const dataDir = configPath(baseDir, config.dataDir);
    const keeper = offlineDocuments(config, baseDir, dataDir, clock);
    await readDocumentFiles(keeper, documentFiles(config, baseDir, dataDir));
    calendar = keeper.calendar();
    for (const y of keeper.calendarDocumentYears()) {
      sources.set(y.year, `calendar document: ${y.source}, published ${y.publishedOn}`);
    }
  }
  const coverage = calendarCoverage(calendar, clock.now());
  const year = options.year ?? Number(shanghaiDate(clock.now()).slice(0, 4));
  return {
    version: calendar.version,
    today: coverage.today,
    officialYears: calendar.officialYears,
    officialThrough: coverage.officialThrough,
    officialDaysLeft: coverage.officialDaysLeft,
    provisionalToday: coverage.provisionalToday,
    warning: coverage.warning,
    year: yearView(calendar, year, sources),
  };
}

function printView(view: CalendarView): void {
  console.log(`calendar ${view.version}`);
  console.log(`official years: ${view.officialYears.join(' ') || 'none'}`);
  console.log(
    view.officialThrough === null
      ? `today ${view.today} is provisional: no official arrangement covers it`
      : `official through ${view.officialThrough}: ${view.officialDaysLeft} days from today (${view.today})`,
  );
  if (view.warning)
    console.log('WARNING: official coverage ends within 60 days or has ended: import the next notice');
  const y = view.year;
  if (y === null) {
    console.log('that year is outside the calendar (2008–2100 computed, official years as above)');
    return;
  }
  console.log(`\n${y.year}: ${y.provisional ? 'PROVISIONAL' : 'official'} — ${y.source}`);
  for (const p of y.periods) {
    console.log(`  ${p.name.padEnd(4, '　')}  ${p.from} – ${p.to}  ${p.days} day${p.days === 1 ? '' : 's'}`);
  }
  if (y.makeupWorkdays.length > 0) {
    console.log(`  make-up workdays: ${y.makeupWorkdays.map((m) => `${m.date} (${m.name})`).join(', ')}`);
  } else if (y.provisional) {
    console.log('  make-up workdays: none known (调休 cannot be computed)');
  }
}

/** `xinyi calendar show|import`. */
export async function calendarCommand(argv: string[]): Promise<void> {
  const { values, positionals: all } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { config: { type: 'string', short: 'c' }, json: { type: 'boolean' } },
    strict: true,
  });
  const [sub, ...positionals] = all;
  if (sub === 'show') {
    if (positionals.length > 1) throw usageError('calendar', 'show takes at most one YEAR');
    const year = positionals[0] === undefined ? undefined : Number(positionals[0]);
    if (year !== undefined && !(Number.isInteger(year) && year >= 1000 && year <= 9999)) {
      throw usageError('calendar', 'YEAR must be a four-digit year');
    }
    const view = await calendarView({
      ...(values.config === undefined ? {} : { configFile: values.config }),
      ...(year === undefined ? {} : { year }),
    });
    if (values.json) console.log(JSON.stringify(view, null, 2));
    else printView(view);
    return;
  }
  if (sub === 'import') {
    if (positionals.length !== 1) throw usageError('calendar', 'import takes one FILE');
    if (values.config === undefined)
      throw usageError('calendar', 'import needs --config FILE (the gate configuration)');
    const { config, baseDir } = loadGateConfig(values.config);
    const result = await installDocument({
      kind: 'calendar',
      file: positionals[0]!,
      config,
      baseDir,
      clock: systemClock,
    });
    if (values.json) console.log(JSON.stringify(result, null, 2));
    else {
      console.log(
        `${result.outcome} calendar document version ${result.version}${result.previousVersion === undefined ? '' : ` (held before: ${result.previousVersion})`} at ${result.path}`,
      );
      if (result.years) {
        const { added, rewritten, removed } = result.years;
        console.log(
          `years added: ${added.join(' ') || '—'}; rewritten: ${rewritten.join(' ') || '—'}; dropped: ${removed.join(' ') || '—'}`,
        );
      }
    }
    return;
  }
  throw usageError('calendar', sub === undefined ? 'say show or import' : `unknown subcommand '${sub}'`);
}
