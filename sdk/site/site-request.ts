import { shanghaiDate } from '../clock.js';
import { XinyiError } from '../errors.js';
import { shanghaiPeriods } from '../journal/usage-periods.js';
import type { CapPeriod, CapScope, SiteCap, SiteSubjectQuery, SiteUsage } from './site-state.js';

/**
 * Checks shared by every site store: arguments are validated before anything is read or written, and
 * the key parts they become (pseudonym, lane, rule) are restricted to characters that cannot break a
 * key: no `{`/`}` (a Redis Cluster hash tag) and no separators of our own beyond `:`.
 */

const KEY_PART = /^[A-Za-z0-9_.:-]{1,128}$/;
const SCOPES: readonly CapScope[] = ['lane', 'site', 'city'];
const PERIODS: readonly CapPeriod[] = ['day', 'month', 'year'];
/** A counter outlives its period by a day, so a use reconciled just after midnight is still judged. */
export const COUNTER_GRACE_MS = 86_400_000;
/** Longest reservation or presentation a store accepts: an hour. */
export const MAX_SITE_TTL_MS = 3_600_000;

function invalid(message: string, field: string): XinyiError {
  return new XinyiError('INVALID_ARGUMENT', `site state: ${message}`, { details: { field } });
}

export function validateKeyPart(value: unknown, field: string): string {
  if (typeof value !== 'string' || !KEY_PART.test(value)) {
    throw invalid(`${field} must be 1–128 letters, digits or _ . : -`, field);
  }
  return value;
}

export function validateTime(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw invalid(`${field} must be epoch milliseconds`, field);
  }
  return value;
}

export function validateTtl(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0 || value > MAX_SITE_TTL_MS) {
    throw invalid(`${field} must be a whole number of ms in (0, ${MAX_SITE_TTL_MS}]`, field);
  }
  return value;
}

function validateCap(cap: unknown, i: number, list = 'caps'): SiteCap {
  const field = `${list}[${i}]`;
  if (cap === null || typeof cap !== 'object') throw invalid(`${field} must be an object`, field);
  const c = cap as Partial<SiteCap>;
  validateKeyPart(c.ruleId, `${field}.ruleId`);
  if (!PERIODS.includes(c.period as CapPeriod)) {
    throw invalid(`${field}.period must be day, month or year`, `${field}.period`);
  }
  if (!SCOPES.includes(c.scope as CapScope)) {
    throw invalid(`${field}.scope must be lane, site or city`, `${field}.scope`);
  }
  if (typeof c.limit !== 'number' || !Number.isSafeInteger(c.limit) || c.limit < 1) {
    throw invalid(`${field}.limit must be a positive integer`, `${field}.limit`);
  }
  return c as SiteCap;
}

export function validateQuery(query: SiteSubjectQuery): void {
  if (query === null || typeof query !== 'object') throw invalid('the request must be an object', 'request');
  validateKeyPart(query.pseudonym, 'pseudonym');
  validateKeyPart(query.laneId, 'laneId');
  validateTime(query.now, 'now');
  if (!Array.isArray(query.caps)) throw invalid('caps must be an array', 'caps');
  const seen = new Set<string>();
  query.caps.forEach((cap, i) => {
    validateCap(cap, i);
    if (seen.has(cap.ruleId)) throw invalid(`caps[${i}].ruleId ${cap.ruleId} is listed twice`, 'caps');
    seen.add(cap.ruleId);
  });
}

/**
 * The caps a reservation counts: `caps` (reserved) and then those of `alsoCount` not among them,
 * validated like `caps`.
 */
export function countedCaps(request: {
  caps: readonly SiteCap[];
  alsoCount?: readonly SiteCap[];
}): SiteCap[] {
  const extra = request.alsoCount;
  if (extra === undefined) return [...request.caps];
  if (!Array.isArray(extra)) throw invalid('alsoCount must be an array', 'alsoCount');
  const seen = new Set(request.caps.map((cap) => cap.ruleId));
  const out = [...request.caps];
  extra.forEach((cap, i) => {
    const c = validateCap(cap, i, 'alsoCount');
    if (seen.has(c.ruleId)) return;
    seen.add(c.ruleId);
    out.push(c);
  });
  return out;
}

/** `2026-08-14`, `2026-08` or `2026`: the Asia/Shanghai period of `at`. */
export function periodKey(period: CapPeriod, at: number): string {
  const date = shanghaiDate(at);
  return period === 'day' ? date : period === 'month' ? date.slice(0, 7) : date.slice(0, 4);
}

/** Epoch ms at which the Asia/Shanghai period containing `at` ends. */
export function periodEnd(period: CapPeriod, at: number): number {
  const p = shanghaiPeriods(at);
  return period === 'day' ? p.dayEnd : period === 'month' ? p.monthEnd : p.yearEnd;
}

/** The end of the Asia/Shanghai day containing `at` (presence is forgotten then). */
export function dayEnd(at: number): number {
  return shanghaiPeriods(at).dayEnd;
}

/** The part of a counter's key that says whose counter it is: the lane's, the site's or the city's. */
export function scopeKey(scope: CapScope, laneId: string): string {
  return scope === 'lane' ? `lane:${laneId}` : scope;
}

export function emptyUsage(caps: readonly SiteCap[]): SiteUsage {
  const usage: SiteUsage = {};
  for (const cap of caps) usage[cap.ruleId] = { used: 0, pending: 0 };
  return usage;
}
