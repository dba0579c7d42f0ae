import type { HolidayCalendar } from '../calendar/holiday-calendar.js';
import { dayOfWeek, shanghaiDate } from '../clock.js';
import type { Decision } from '../domain/decision.js';
import { SCENE_PROGRAMME } from '../domain/scenes.js';
import { XinyiError } from '../errors.js';
import { describeBenefit } from '../policy/explain.js';
import type { PolicyPack } from '../policy/pack.js';
import type { DisclosureRecord } from './journal-store.js';

export interface DisclosureInput {
  decision: Decision;
  terminalId: string;
  /** Masked holder name (`张*`); the decision's masked document number (or credit code) when absent. */
  maskedName?: string;
  /** The pack that made the decision: its labels put the granted benefit into words. */
  pack: PolicyPack;
  calendar: HolidayCalendar;
  /**
   * Which grants: those the decision made (`on: 'decision'`, granted at `decision.at`), or those a
   * confirmed use makes (`on: 'use'`, granted at `usedAtMs`). @default 'decision'
   */
  moment?: 'decision' | 'use';
  /** When the use was confirmed (epoch ms); required with `moment: 'use'`. */
  usedAtMs?: number;
}

const DAY_MS = 86_400_000;

/**
 * The date `n` working days after `isoDate` (the day after is the first counted). Days the
 * calendar covers count when they are working days (调休 make-up days included, holidays excluded);
 * a day outside its coverage counts when it is Monday–Friday, and the basis says so.
 */
export function addWorkingDaysWithFallback(
  calendar: HolidayCalendar,
  isoDate: string,
  n: number,
): { date: string; basis: 'holiday-calendar' | 'weekdays-fallback' } {
  if (!Number.isInteger(n) || n < 0) {
    throw new XinyiError('INVALID_ARGUMENT', 'the number of working days must be an integer >= 0');
  }
  const exact = calendar.addWorkingDays(isoDate, n);
  if (exact !== null) return { date: exact, basis: 'holiday-calendar' };
  let ms = Date.parse(`${isoDate}T00:00:00Z`);
  let date = isoDate;
  let counted = 0;
  while (counted < n) {
    ms += DAY_MS;
    date = new Date(ms).toISOString().slice(0, 10);
    const known = calendar.isWorkingDay(date);
    const dow = dayOfWeek(date);
    if (known ?? (dow !== 0 && dow !== 6)) counted++;
  }
  return { date, basis: 'weekdays-fallback' };
}

/**
 * The 公示 records of a decision, for one moment: one for each `decision.disclosures` entry whose `on`
 * is `moment`, with the programme of the decision's scene (信易批, 信易贷), the benefit as granted
 * (after stacking) in words, the public basis the rule cites (`disclosure.legalBasis`: the programme
 * and its clause, never the pack's internal `basis`), the subject type, and the due date: the grant's
 * Asia/Shanghai date plus the rule's working days. Throws `INVALID_ARGUMENT` for a decision without
 * a valid time, or for `moment: 'use'` without `usedAtMs`. Never throws for a date the calendar does
 * not cover: see `dueDateBasis`.
 */
export function disclosureRecordsFor(input: DisclosureInput): DisclosureRecord[] {
  const { decision, terminalId, pack, calendar } = input;
  const moment = input.moment ?? 'decision';
  const due = decision.disclosures.filter((d) => d.on === moment);
  if (due.length === 0) return [];
  const grantedMs = moment === 'use' ? input.usedAtMs : Date.parse(decision.at);
  if (grantedMs === undefined || !Number.isFinite(grantedMs)) {
    const field = moment === 'use' ? 'usedAtMs' : 'decision.at';
    throw new XinyiError('INVALID_ARGUMENT', `${field} must be a valid time`, { details: { field } });
  }
  const grantedAt = new Date(grantedMs).toISOString();
  const grantDate = shanghaiDate(grantedMs);
  const maskedName = input.maskedName ?? decision.subject?.masked ?? '';
  const records: DisclosureRecord[] = [];
  for (const { ruleId, deadlineWorkingDays, legalBasis } of due) {
    const granted = decision.benefits.find((b) => b.ruleId === ruleId);
    // evaluate lists a disclosure only for the rule whose id the granted benefit carries.
    if (granted === undefined) {
      throw new XinyiError('INVALID_ARGUMENT', `decision discloses rule ${ruleId} but grants it nothing`, {
        details: { ruleId },
      });
    }
    const { date, basis } = addWorkingDaysWithFallback(calendar, grantDate, deadlineWorkingDays);
    records.push({
      id: `${decision.id}:${ruleId}`,
      decisionId: decision.id,
      ruleId,
      terminalId,
      subjectType: decision.subjectType,
      maskedName,
      scheme: SCENE_PROGRAMME[decision.scene],
      benefit: describeBenefit(granted, pack.labels),
      grantedAt: moment === 'use' ? grantedAt : decision.at,
      legalBasis,
      dueDate: date,
      dueDateBasis: basis,
    });
  }
  return records;
}
