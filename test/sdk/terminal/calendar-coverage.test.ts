import { describe, expect, it } from 'vitest';
import { toHolidayYear } from '../../../sdk/calendar/calendar-document.js';
import {
  chinaHolidayData,
  createHolidayCalendar,
  type HolidayCalendar,
} from '../../../sdk/calendar/index.js';
import { createTerminalMetrics } from '../../../sdk/diagnostics/terminal-metrics.js';
import { createPseudonymizer } from '../../../sdk/identity/index.js';
import type { PolicyPack } from '../../../sdk/policy/pack.js';
import { qingzhouPolicyPack } from '../../../sdk/policy/qingzhou-pack.js';
import { createInMemoryCreditProvider } from '../../../sdk/terminal/in-memory-credit-provider.js';
import { createTerminal } from '../../../sdk/terminal/terminal.js';
import type { TerminalAlarm } from '../../../sdk/terminal/terminal-contract.js';
import { generatePopulation } from '../../../simulator/population.js';
import { computedYears } from '../documents/fixtures.js';

const pseudonymizer = createPseudonymizer('calendar-coverage-test-key-0123456');
const person = generatePopulation(10, 'calendar-coverage').find((p) => p.tier === 'A' || p.tier === 'AA')!;

function setup(
  start: string,
  options: { calendar?: () => HolidayCalendar; policy?: (nowMs: number) => PolicyPack } = {},
) {
  let now = Date.parse(start);
  const clock = { now: () => now };
  const credit = createInMemoryCreditProvider({
    clock,
    standings: [[pseudonymizer.pseudonymize(person.idNumber, 'id-number'), { tier: person.tier, lists: [] }]],
  });
  const terminal = createTerminal({
    terminalId: 'coverage-test',
    scene: 'scenic-gate',
    context: { siteId: 'yunmenshan' },
    pseudonymizer,
    credit: [credit],
    clock,
    ...options,
  });
  const alarms: TerminalAlarm[] = [];
  terminal.on('alarm', (a) => alarms.push(a));
  return {
    terminal,
    alarms,
    set: (iso: string) => {
      now = Date.parse(iso);
    },
    present: () => terminal.present({ kind: 'id-card', idNumber: person.idNumber, name: person.name }),
  };
}

describe('terminal calendar coverage', () => {
  it('raises calendar-coverage 60 days before official coverage ends, not 61', () => {
    const t = setup('2026-11-01T12:00:00+08:00');
    expect(t.terminal.calendarCoverage()).toMatchObject({
      officialThrough: '2026-12-31',
      officialDaysLeft: 61,
      warning: false,
    });
    expect(t.alarms).toEqual([]);
    t.set('2026-11-02T00:00:00+08:00');
    expect(t.terminal.calendarCoverage()).toMatchObject({ officialDaysLeft: 60, warning: true });
    expect(t.alarms).toEqual([{ kind: 'calendar-coverage', active: true }]);
    t.terminal.calendarCoverage();
    expect(t.alarms).toHaveLength(1);
    t.set('2027-01-01T00:00:00+08:00');
    expect(t.terminal.calendarCoverage()).toMatchObject({
      officialThrough: null,
      officialDaysLeft: 0,
      provisionalToday: true,
    });
    expect(t.terminal.diagnostics().alarms).toEqual(['calendar-coverage']);
  });

  it('a decision checks coverage; a newer calendar from the provider ends the alarm without a restart', async () => {
    let calendar = createHolidayCalendar(chinaHolidayData, { provisional: true });
    const t = setup('2026-12-20T10:00:00+08:00', { calendar: () => calendar });
    await t.present();
    expect(t.alarms).toEqual([{ kind: 'calendar-coverage', active: true }]);
    calendar = createHolidayCalendar(
      {
        version: 'with-2027',
        years: [...chinaHolidayData.years, ...computedYears(2027, 2027).map(toHolidayYear)],
      },
      { provisional: true },
    );
    t.set('2026-12-20T11:00:00+08:00');
    const d = await t.present();
    expect(d.calendarVersion).toBe('with-2027+provisional-cn.2025.1');
    expect(t.alarms.at(-1)).toEqual({ kind: 'calendar-coverage', active: false });
    expect(t.terminal.diagnostics().calendar).toMatchObject({ officialThrough: '2027-12-31' });
  });

  it('the pack in force comes from the provider at each decision', async () => {
    const later = { ...structuredClone(qingzhouPolicyPack), version: '2027.9.0' };
    const switchAt = Date.parse('2027-03-01T10:00:00+08:00');
    const t = setup('2027-03-01T09:59:59+08:00', {
      policy: (nowMs) => (nowMs >= switchAt ? later : qingzhouPolicyPack),
    });
    expect((await t.present()).policyVersion).toBe('qingzhou-xinyi@2026.3.0');
    t.set('2027-03-01T10:00:00+08:00');
    expect((await t.present()).policyVersion).toBe('qingzhou-xinyi@2027.9.0');
    expect(t.terminal.diagnostics().policy.version).toBe('2027.9.0');
  });

  it('exports the days of official coverage left as Prometheus gauges', () => {
    const t = setup('2026-12-07T10:00:00+08:00');
    const metrics = createTerminalMetrics({
      terminal: t.terminal,
      clock: { now: () => Date.parse('2026-12-07T10:00:00+08:00') },
    });
    const text = metrics.render();
    expect(text).toContain('# TYPE xinyi_calendar_official_days_left gauge');
    expect(text).toMatch(/^xinyi_calendar_official_days_left 25$/m);
    expect(text).toMatch(/^xinyi_calendar_provisional_today 0$/m);
    metrics.dispose();
  });
});
