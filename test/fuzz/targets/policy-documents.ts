// Policy packs, and signed documents: calendar and policy pack (sdk/documents).
import { type KeyObject, sign } from 'node:crypto';
import fc from 'fast-check';
import { CALENDAR_DOCUMENT_FORMAT, calendarDocumentKind } from '../../../sdk/calendar/calendar-document.js';
import { chinaHolidayData } from '../../../sdk/calendar/china-holidays.js';
import { calendarCoverage } from '../../../sdk/calendar/coverage.js';
import { createHolidayCalendar, type HolidayCalendar } from '../../../sdk/calendar/holiday-calendar.js';
import { keyIdOf } from '../../../sdk/credit/trust-list.js';
import { type DocumentKeys, verifyDocument } from '../../../sdk/documents/signed-document.js';
import { SCENE_IDS } from '../../../sdk/domain/scenes.js';
import { TIER_CODES } from '../../../sdk/domain/tiers.js';
import { evaluate } from '../../../sdk/policy/evaluate.js';
import type { PolicyPack } from '../../../sdk/policy/pack.js';
import {
  POLICY_DOCUMENT_FORMAT,
  type PolicyDocument,
  policyDocumentKind,
} from '../../../sdk/policy/policy-document.js';
import { qingzhouPolicyPack } from '../../../sdk/policy/qingzhou-pack.js';
import { loadPolicyPack } from '../../../sdk/policy/validate-pack.js';
import { computedYears, YEAR_2027 } from '../../sdk/documents/fixtures.js';
import { expectTyped, type FuzzTarget, jsonish, mutatedJson, violation } from '../harness.js';
import { HOUR, issuers, T0, toJsonText, trustLists } from './credit-fixtures.js';

const miniPack: PolicyPack = {
  ...qingzhouPolicyPack,
  rules: qingzhouPolicyPack.rules.slice(0, 3),
};

export const policyPackTarget: FuzzTarget<unknown, PolicyPack> = {
  name: 'policy-pack',
  input: 'policy pack JSON: the Qingzhou pack and a small pack mutated, any JSON',
  arbitrary: fc.oneof(
    { weight: 1, arbitrary: mutatedJson(fc.constant(qingzhouPolicyPack)) },
    { weight: 4, arbitrary: mutatedJson(fc.constant(miniPack)) },
    { weight: 1, arbitrary: jsonish },
  ),
  codes: ['POLICY_PACK_INVALID'],
  run: (data) => loadPolicyPack(data),
  check: (pack) => {
    // A pack the validator accepted must be one evaluate can use, in every scene.
    for (const scene of SCENE_IDS) {
      for (const tier of [TIER_CODES[0], TIER_CODES[3], null]) {
        try {
          const decision = evaluate(pack, {
            scene,
            standing: {
              tier,
              lists: tier === null ? [{ kind: 'red' }] : [],
              source: 'platform',
              asOf: '2026-06-01T09:00:00Z',
            },
            now: T0,
            context: { siteId: 'yunmenshan', amountFen: 10_000 },
          });
          if (typeof decision.outcome !== 'string') violation('decision without an outcome');
        } catch (error) {
          expectTyped(
            error,
            ['INVALID_ARGUMENT', 'CALENDAR_INVALID'],
            `evaluate(${scene}) on an accepted pack`,
          );
        }
      }
    }
  },
  ciRuns: 400,
};

const DOC_NOW = Date.parse('2027-06-01T10:00:00Z');
const documentKeys: DocumentKeys = (kid, usage) => trustLists.Ed25519.keysFor(kid, usage);
const validCalendarContent = {
  format: CALENDAR_DOCUMENT_FORMAT,
  version: 3,
  issuedAt: '2026-11-20T10:00:00+08:00',
  years: [YEAR_2027, ...computedYears(2028, 2028)],
};
const validPolicyContent = {
  format: POLICY_DOCUMENT_FORMAT,
  version: 2,
  issuedAt: '2026-11-20T10:00:00+08:00',
  effectiveFrom: '2027-01-01T00:00:00+08:00',
  pack: miniPack,
};

/** Signed contents (mutated, or any JSON) that reach the kind's parser, and garbage envelopes that do not. */
function signedDocuments(valid: unknown, key: KeyObject): fc.Arbitrary<string> {
  const signed = (content: unknown) => {
    const payload = toJsonText(content);
    return JSON.stringify({
      payload,
      kid: keyIdOf(key),
      signature: sign(null, Buffer.from(payload), key).toString('base64'),
    });
  };
  return fc.oneof(
    { weight: 6, arbitrary: mutatedJson(fc.constant(valid)).map(signed) },
    { weight: 1, arbitrary: jsonish.map(signed) },
    {
      weight: 1,
      arbitrary: fc
        .record({
          payload: fc.oneof(fc.string(), jsonish),
          kid: jsonish,
          signature: fc.oneof(fc.base64String(), jsonish),
        })
        .map(toJsonText),
    },
    { weight: 1, arbitrary: fc.oneof(fc.string(), jsonish.map(toJsonText)) },
  );
}

export const calendarDocumentTarget: FuzzTarget<string, HolidayCalendar> = {
  name: 'calendar-document',
  input: 'signed calendar documents: mutated valid contents and any JSON signed by the calendar key; garbage',
  arbitrary: signedDocuments(validCalendarContent, issuers.Ed25519.calendarPrivateKey),
  codes: ['DOCUMENT_INVALID', 'CALENDAR_INVALID'],
  run: (text) => {
    const document = verifyDocument(text, calendarDocumentKind, { keys: documentKeys, now: DOC_NOW });
    // As the keeper does: the years over the bundled ones, provisional years around them.
    const years = new Map(chinaHolidayData.years.map((y) => [y.year, y] as const));
    for (const y of document.content.holidayYears) years.set(y.year, y);
    return createHolidayCalendar(
      { version: 'fuzz', years: [...years.values()].sort((a, b) => a.year - b.year) },
      { provisional: true },
    );
  },
  check: (calendar, text) => {
    const content = JSON.parse(JSON.parse(text).payload) as {
      years: { year: number; periods: { from: string; to: string }[] }[];
    };
    for (const { year, periods } of content.years) {
      if (!calendar.officialYears.includes(year)) violation(`year ${year} not official`);
      for (const p of periods) {
        const info = calendar.dayInfo(p.from);
        if (info.kind !== 'statutory-holiday' || info.provisional)
          violation(`${p.from} not an official holiday`);
      }
    }
    const coverage = calendarCoverage(calendar, DOC_NOW);
    if (!Number.isInteger(coverage.officialDaysLeft) || coverage.officialDaysLeft < 0) violation('coverage');
  },
  ciRuns: 300,
};

export const policyDocumentTarget: FuzzTarget<string, PolicyDocument> = {
  name: 'policy-document',
  input: 'signed policy-pack documents: mutated valid contents and any JSON signed by the pack key; garbage',
  arbitrary: signedDocuments(validPolicyContent, issuers.Ed25519.policyPackPrivateKey),
  codes: ['DOCUMENT_INVALID', 'POLICY_PACK_INVALID'],
  run: (text) => verifyDocument(text, policyDocumentKind, { keys: documentKeys, now: DOC_NOW }).content,
  check: (document) => {
    if (!Number.isFinite(document.effectiveFrom)) violation('effectiveFrom not finite');
    const decision = evaluate(document.pack, {
      scene: 'scenic-gate',
      standing: { tier: 'A', lists: [], source: 'platform', asOf: new Date(DOC_NOW - HOUR).toISOString() },
      now: DOC_NOW,
      context: { siteId: 'yunmenshan' },
    });
    if (typeof decision.outcome !== 'string') violation('decision without an outcome');
  },
  ciRuns: 300,
};
