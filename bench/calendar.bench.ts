// `node --import tsx bench/calendar.bench.ts` (also in `npm run bench`): the holiday calendar a decision reads, side by side in one process. Baseline: the
// bundled official calendar alone (`chinaHolidayCalendar`); against it the default calendar with
// provisional years (`defaultHolidayCalendar`) on an official and on a provisional day, the first
// classification of a provisional year, and a scenic-gate decision on each kind of day.
import { performance } from 'node:perf_hooks';
import {
  chinaHolidayCalendar,
  chinaHolidayData,
  createHolidayCalendar,
  defaultHolidayCalendar,
} from '../sdk/calendar/index.js';
import { evaluate, qingzhouPolicyPack } from '../sdk/index.js';
import { type BenchResult, figure, runAlone, summarize } from './harness.js';
import { throughput } from './stats.js';

const OFFICIAL_DAYS = ['2026-02-16', '2026-05-04', '2026-10-03', '2026-11-26'];
const PROVISIONAL_DAYS = ['2027-02-06', '2027-05-04', '2027-10-03', '2027-11-26'];

const ROUNDS = 5;
const ROUND_MS = 400;

export async function runCalendarBench(): Promise<BenchResult> {
  const decide = (date: string) => (i: number) =>
    evaluate(qingzhouPolicyPack, {
      id: 'x',
      scene: 'scenic-gate',
      standing: { tier: 'A', lists: [], source: 'platform', asOf: `${date}T09:00:00+08:00` },
      context: { siteId: 'yunmenshan' },
      now: Date.parse(`${date}T10:00:00+08:00`) + (i & 1023),
    });
  const measures: Record<string, (i: number) => unknown> = {
    baseline: (i) => chinaHolidayCalendar.dayInfo(OFFICIAL_DAYS[i & 3]!),
    official: (i) => defaultHolidayCalendar.dayInfo(OFFICIAL_DAYS[i & 3]!),
    provisional: (i) => defaultHolidayCalendar.dayInfo(PROVISIONAL_DAYS[i & 3]!),
    dueBaseline: (i) => chinaHolidayCalendar.addWorkingDays(OFFICIAL_DAYS[i & 3]!, 7),
    dueDefault: (i) => defaultHolidayCalendar.addWorkingDays(PROVISIONAL_DAYS[i & 3]!, 7),
    gateOfficial: decide('2026-11-26'),
    gateProvisional: decide('2027-11-26'),
  };
  const perRound: Record<string, number[]> = Object.fromEntries(Object.keys(measures).map((k) => [k, []]));
  // A warm-up round, then rounds round-robin over the measures.
  for (let round = -1; round < ROUNDS; round++) {
    for (const [name, fn] of Object.entries(measures)) {
      const rate = throughput(fn, ROUND_MS);
      if (round >= 0) perRound[name]!.push(rate);
    }
  }
  // A year's first classification, on a calendar nobody has asked yet (what the first decision pays);
  // each year is a round.
  const fresh = createHolidayCalendar(chinaHolidayData, { provisional: true });
  const firstMs: number[] = [];
  for (let year = 2040; year < 2060; year++) {
    const started = performance.now();
    fresh.dayInfo(`${year}-06-01`);
    firstMs.push(performance.now() - started);
  }
  const of = (name: string) => summarize(perRound[name]!);
  const official = { label: 'chinaHolidayCalendar (official only)', ...of('baseline') };
  const dueOfficial = { label: 'chinaHolidayCalendar, official days', ...of('dueBaseline') };
  return {
    bench: 'calendar',
    title: 'holiday calendar — one core; baseline: chinaHolidayCalendar (official 2024–2026 only)',
    figures: [
      figure(
        'calendar.day-info-official',
        'dayInfo, default calendar, official day',
        'lookups/s',
        of('official'),
        official,
      ),
      figure(
        'calendar.day-info-provisional',
        'dayInfo, default calendar, provisional day',
        'lookups/s',
        of('provisional'),
        official,
      ),
      figure(
        'calendar.add-working-days',
        'addWorkingDays(7), provisional days',
        'calls/s',
        of('dueDefault'),
        dueOfficial,
      ),
      figure(
        'calendar.first-provisional-year',
        'first lookup in a provisional year (once per process)',
        'ms',
        summarize(firstMs),
      ),
      figure(
        'calendar.gate-provisional',
        'scenic-gate decision, provisional day',
        'decisions/s',
        of('gateProvisional'),
        {
          label: 'the same on an official day',
          ...of('gateOfficial'),
        },
      ),
    ],
    notes: [
      `${ROUNDS} rounds of ${ROUND_MS} ms per measure after a warm-up round, round-robin; 20 provisional years for the first lookup`,
    ],
  };
}

await runAlone(import.meta.url, runCalendarBench);
