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
  /** Masked holder name (`张*`); the decision's masked document number when absent. */
  maskedName?: string;
  /** The pack that made the decision: the rules' scene (programme) and legal basis come from it. */
  pack: PolicyPack;
  calendar: HolidayCalendar;
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
 * The 公示 records of a decision: one for each `decision.disclosures` entry, with the programme of
 * the rule's scene (信易批, 信易贷), the benefit as granted (after stacking) in words, the rule's legal
 * basis, and the due date: the grant's Asia/Shanghai date plus the rule's working days. A rule the
 * pack does not hold throws `INVALID_ARGUMENT` (the decision was made with another pack).
 * Never throws for a date the calendar does not cover: see `dueDateBasis`.
 */
export function disclosureRecordsFor(input: DisclosureInput): DisclosureRecord[] {
  const { decision, terminalId, pack, calendar } = input;
  if (decision.disclosures.length === 0) return [];
  const grantedMs = Date.parse(decision.at);
  if (!Number.isFinite(grantedMs)) {
    throw new XinyiError('INVALID_ARGUMENT', 'decision.at must be an ISO time', {
      details: { field: 'decision.at' },
    });
  }
  const grantDate = shanghaiDate(grantedMs);
  const maskedName = input.maskedName ?? decision.subject?.masked ?? '';
  return decision.disclosures.map(({ ruleId, deadlineWorkingDays }) => {
    const rule = pack.rules.find((r) => r.id === ruleId);
    if (rule === undefined) {
      throw new XinyiError(
        'INVALID_ARGUMENT',
        `rule ${ruleId} of the decision is not in pack ${pack.packId}`,
        {
          details: { ruleId },
        },
      );
    }
    const granted = decision.benefits.find((b) => b.ruleId === ruleId);
    const { date, basis } = addWorkingDaysWithFallback(calendar, grantDate, deadlineWorkingDays);
    return {
      id: `${decision.id}:${ruleId}`,
      decisionId: decision.id,
      ruleId,
      terminalId,
      maskedName,
      scheme: SCENE_PROGRAMME[rule.scene],
      benefit: describeBenefit(granted ?? rule.benefit, pack.labels),
      grantedAt: decision.at,
      legalBasis: rule.basis,
      dueDate: date,
      dueDateBasis: basis,
    };
  });
}
