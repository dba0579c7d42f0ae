// `npm run bench`: the holiday calendar a decision reads, side by side in one process. Baseline: the
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
import { fmt, throughput } from './stats.js';

const OFFICIAL_DAYS = ['2026-02-16', '2026-05-04', '2026-10-03', '2026-11-26'];
const PROVISIONAL_DAYS = ['2027-02-06', '2027-05-04', '2027-10-03', '2027-11-26'];

export function runCalendarBench(): void {
  console.log('holiday calendar — one core; baseline: chinaHolidayCalendar (official 2024–2026 only)');
  const baseline = throughput((i) => chinaHolidayCalendar.dayInfo(OFFICIAL_DAYS[i & 3]!));
  const official = throughput((i) => defaultHolidayCalendar.dayInfo(OFFICIAL_DAYS[i & 3]!));
  const provisional = throughput((i) => defaultHolidayCalendar.dayInfo(PROVISIONAL_DAYS[i & 3]!));
  const dueBaseline = throughput((i) => chinaHolidayCalendar.addWorkingDays(OFFICIAL_DAYS[i & 3]!, 7));
  const dueDefault = throughput((i) => defaultHolidayCalendar.addWorkingDays(PROVISIONAL_DAYS[i & 3]!, 7));
  console.log(`  dayInfo, baseline (official)             ${fmt(baseline).padStart(12)} /s`);
  console.log(
    `  dayInfo, default calendar, official day  ${fmt(official).padStart(12)} /s  ratio ${fmt(official / baseline, 2)}`,
  );
  console.log(
    `  dayInfo, default calendar, provisional   ${fmt(provisional).padStart(12)} /s  ratio ${fmt(provisional / baseline, 2)}`,
  );
  console.log(`  addWorkingDays(7), baseline              ${fmt(dueBaseline).padStart(12)} /s`);
  console.log(
    `  addWorkingDays(7), provisional days      ${fmt(dueDefault).padStart(12)} /s  ratio ${fmt(dueDefault / dueBaseline, 2)}`,
  );

  // A year's first classification, on a calendar nobody has asked yet (what the first decision pays).
  const years = 20;
  const fresh = createHolidayCalendar(chinaHolidayData, { provisional: true });
  const started = performance.now();
  for (let year = 2040; year < 2040 + years; year++) fresh.dayInfo(`${year}-06-01`);
  console.log(
    `  first lookup in a provisional year       ${fmt((performance.now() - started) / years, 2).padStart(12)} ms (computed once per process, then kept)`,
  );

  const decide = (date: string) => (i: number) =>
    evaluate(qingzhouPolicyPack, {
      id: 'x',
      scene: 'scenic-gate',
      standing: { tier: 'A', lists: [], source: 'platform', asOf: `${date}T09:00:00+08:00` },
      context: { siteId: 'yunmenshan' },
      now: Date.parse(`${date}T10:00:00+08:00`) + (i & 1023),
    });
  const gateOfficial = throughput(decide('2026-11-26'));
  const gateProvisional = throughput(decide('2027-11-26'));
  console.log(`  scenic-gate decision, official day       ${fmt(gateOfficial).padStart(12)} decisions/s`);
  console.log(
    `  scenic-gate decision, provisional day    ${fmt(gateProvisional).padStart(12)} decisions/s  ratio ${fmt(gateProvisional / gateOfficial, 2)}\n`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) runCalendarBench();
