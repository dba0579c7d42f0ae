import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  CALENDAR_DOCUMENT_MAX_BYTES,
  calendarDocumentKind,
} from '../../../sdk/calendar/calendar-document.js';
import {
  pinnedDocumentKeys,
  SignedDocumentProblem,
  signDocument,
  verifyDocument,
} from '../../../sdk/documents/signed-document.js';
import { isXinyiError, type XinyiError } from '../../../sdk/errors.js';
import { policyDocumentKind } from '../../../sdk/policy/policy-document.js';
import { qingzhouPolicyPack } from '../../../sdk/policy/qingzhou-pack.js';
import {
  calendarContent,
  documentSigners,
  signedCalendar,
  signedPolicy,
  signRaw,
  YEAR_2027,
} from './fixtures.js';

const NOW = Date.parse('2026-12-07T10:00:00+08:00');
const signers = documentSigners();
const opts = { keys: signers.keys, now: NOW };

function refusal(run: () => unknown): XinyiError {
  try {
    run();
  } catch (error) {
    if (isXinyiError(error)) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

function calendarWith(mutate: (year: typeof YEAR_2027) => void): string {
  const year = structuredClone(YEAR_2027);
  mutate(year);
  return signedCalendar(signers.calendarKey, 3, [year]);
}

describe('verifyDocument: the envelope, key and header every kind shares', () => {
  it('takes a calendar document signed by a calendar key, and returns its version, time and years', () => {
    const doc = verifyDocument(signedCalendar(signers.calendarKey, 3), calendarDocumentKind, opts);
    expect(doc).toMatchObject({
      usage: 'calendar',
      version: 3,
      issuedAt: Date.parse('2026-11-20T02:00:00Z'),
    });
    expect(doc.content.years.map((y) => y.year)).toEqual([2027]);
    expect(doc.content.holidayYears[0]!.days.filter((d) => d.name === '春节' && d.isOffDay)).toHaveLength(8);
  });

  it.each<[string, () => string | Uint8Array, string, string]>([
    [
      'unsigned (no signature)',
      () => JSON.stringify({ payload: JSON.stringify(calendarContent(3)), kid: 'abcd0123' }),
      SignedDocumentProblem.MALFORMED,
      'signature',
    ],
    ['not JSON', () => '{"payload": "x", "kid"', SignedDocumentProblem.MALFORMED, '(document)'],
    ['a JSON array', () => '[1,2]', SignedDocumentProblem.MALFORMED, '(document)'],
    [
      'signed by a key trusted only for status lists',
      () => signedCalendar(signers.statusListKey, 3),
      SignedDocumentProblem.UNKNOWN_KEY,
      'kid',
    ],
    [
      'signed by a key nobody trusts',
      () => signedCalendar(generateKeyPairSync('ed25519').privateKey, 3),
      SignedDocumentProblem.UNKNOWN_KEY,
      'kid',
    ],
    [
      'a policy-pack key signing a calendar',
      () => signedCalendar(signers.policyKey, 3),
      SignedDocumentProblem.UNKNOWN_KEY,
      'kid',
    ],
    [
      'a payload changed after signing',
      () => {
        const envelope = JSON.parse(signedCalendar(signers.calendarKey, 3)) as Record<string, string>;
        envelope.payload = envelope.payload!.replace('"version":3', '"version":4');
        return JSON.stringify(envelope);
      },
      SignedDocumentProblem.SIGNATURE,
      'signature',
    ],
    [
      'too large (checked before parsing)',
      () => new Uint8Array(CALENDAR_DOCUMENT_MAX_BYTES + 1).fill(0x20),
      SignedDocumentProblem.TOO_LARGE,
      '(document)',
    ],
    [
      'another format',
      () => signRaw(signers.calendarKey, { ...calendarContent(3), format: 'xinyi-policy-document/1' }),
      SignedDocumentProblem.FORMAT,
      'format',
    ],
    [
      'version 0',
      () => signRaw(signers.calendarKey, { ...calendarContent(3), version: 0 }),
      SignedDocumentProblem.VERSION,
      'version',
    ],
    [
      'a fractional version',
      () => signRaw(signers.calendarKey, { ...calendarContent(3), version: 2.5 }),
      SignedDocumentProblem.VERSION,
      'version',
    ],
    [
      'issued an hour in the future',
      () =>
        signRaw(signers.calendarKey, {
          ...calendarContent(3),
          issuedAt: new Date(NOW + 3_600_000).toISOString(),
        }),
      SignedDocumentProblem.ISSUED_AT,
      'issuedAt',
    ],
    [
      'issuedAt not a time',
      () => signRaw(signers.calendarKey, { ...calendarContent(3), issuedAt: ['2026'] }),
      SignedDocumentProblem.ISSUED_AT,
      'issuedAt',
    ],
  ])('refuses %s: DOCUMENT_INVALID %s naming %s', (_label, make, reason, field) => {
    const error = refusal(() => verifyDocument(make(), calendarDocumentKind, opts));
    expect(error.code).toBe('DOCUMENT_INVALID');
    expect(error.details).toMatchObject({ reason, documentUsage: 'calendar', field });
    expect(error.message).toContain(`calendar document: ${field}:`);
  });

  it('refuses a document issued outside its key’s validity period', () => {
    const pair = generateKeyPairSync('ed25519');
    const [key] = pinnedDocumentKeys([{ usage: 'calendar', key: pair.publicKey }])('x', 'calendar');
    expect(key).toBeUndefined();
    const base = pinnedDocumentKeys([{ usage: 'calendar', key: pair.publicKey }]);
    const expired = (kid: string, usage: 'calendar') =>
      base(kid, usage).map((k) => ({ ...k, validTo: Date.parse('2026-01-01T00:00:00Z') }));
    const error = refusal(() =>
      verifyDocument(signedCalendar(pair.privateKey, 1), calendarDocumentKind, {
        keys: expired as typeof base,
        now: NOW,
      }),
    );
    expect(error.details.reason).toBe(SignedDocumentProblem.KEY_NOT_VALID);
  });

  it('verifies ES256 as well as Ed25519', () => {
    const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const keys = pinnedDocumentKeys([{ usage: 'calendar', key: pair.publicKey }]);
    const signed = JSON.stringify(signDocument(calendarContent(1), pair.privateKey));
    expect(verifyDocument(signed, calendarDocumentKind, { keys, now: NOW }).version).toBe(1);
  });
});

describe('calendar document content', () => {
  it.each<[string, (y: typeof YEAR_2027) => void, string]>([
    [
      'overlapping periods',
      (y) => (y.periods[1] = { name: '春节', from: '2027-01-03', to: '2027-01-09' }),
      'years[0].periods[1].from',
    ],
    ['a date outside its year', (y) => (y.periods[6]!.to = '2028-10-07'), 'years[0].periods[6].to'],
    [
      'a date early in the year before',
      (y) => (y.periods[0]!.from = '2026-11-30'),
      'years[0].periods[0].from',
    ],
    ['a date that does not exist', (y) => (y.periods[1]!.to = '2027-02-30'), 'years[0].periods[1].to'],
    ['a period ending before it starts', (y) => (y.periods[1]!.to = '2027-02-01'), 'years[0].periods[1].to'],
    [
      'a period of 40 days',
      (y) => (y.periods[1] = { name: '春节', from: '2027-01-20', to: '2027-02-28' }),
      'years[0].periods[1].to',
    ],
    [
      'a make-up workday on a weekday',
      (y) => (y.makeupWorkdays[0]!.date = '2027-02-17'),
      'years[0].makeupWorkdays[0].date',
    ],
    [
      'a make-up workday inside a period',
      (y) => (y.makeupWorkdays[0]!.date = '2027-02-06'),
      'years[0].makeupWorkdays[0].date',
    ],
    ['an empty period name', (y) => (y.periods[0]!.name = ' '), 'years[0].periods[0].name'],
    ['no source', (y) => ((y as { source?: string }).source = undefined), 'years[0].source'],
    ['a publication date that is not a date', (y) => (y.publishedOn = '20 Nov 2026'), 'years[0].publishedOn'],
  ])('refuses %s: CALENDAR_INVALID naming %s', (_label, mutate, path) => {
    const error = refusal(() => verifyDocument(calendarWith(mutate), calendarDocumentKind, opts));
    expect(error.code).toBe('CALENDAR_INVALID');
    expect(error.details.path).toBe(path);
    expect(error.message).toContain(path);
  });

  it('refuses years out of order and an empty list', () => {
    const y2028 = { ...structuredClone(YEAR_2027), year: 2028, periods: [], makeupWorkdays: [] };
    const unordered = signedCalendar(signers.calendarKey, 1, [y2028, YEAR_2027]);
    expect(refusal(() => verifyDocument(unordered, calendarDocumentKind, opts)).details.path).toBe(
      'years[1].year',
    );
    const empty = signedCalendar(signers.calendarKey, 1, []);
    expect(refusal(() => verifyDocument(empty, calendarDocumentKind, opts)).details.path).toBe('years');
  });

  it('takes a 元旦 arrangement that starts in the last days of December before its year', () => {
    const doc = verifyDocument(
      calendarWith((y) => {
        y.periods[0] = { name: '元旦', from: '2026-12-31', to: '2027-01-02' };
        y.makeupWorkdays.push({ name: '元旦', date: '2026-12-26' });
      }),
      calendarDocumentKind,
      opts,
    );
    expect(doc.content.holidayYears[0]!.days[0]).toEqual({
      name: '元旦',
      date: '2026-12-26',
      isOffDay: false,
    });
  });
});

describe('policy-pack document content', () => {
  it('takes a pack with an effectiveFrom, validated by loadPolicyPack', () => {
    const signed = signedPolicy(signers.policyKey, 2, qingzhouPolicyPack, '2027-01-01T00:00:00+08:00');
    const doc = verifyDocument(signed, policyDocumentKind, opts);
    expect(doc.content.effectiveFrom).toBe(Date.parse('2026-12-31T16:00:00Z'));
    expect(doc.content.pack.packId).toBe('qingzhou-xinyi');
  });

  it('without effectiveFrom it applies from its issue time', () => {
    const doc = verifyDocument(
      signedPolicy(signers.policyKey, 2, qingzhouPolicyPack),
      policyDocumentKind,
      opts,
    );
    expect(doc.content.effectiveFrom).toBe(doc.issuedAt);
  });

  it('refuses a pack that fails validation, naming the field under pack', () => {
    const pack = structuredClone(qingzhouPolicyPack);
    const n = pack.rules.findIndex((r) => r.id === 'market.discount.aa');
    (pack.rules[n]!.benefit as { payBp: number }).payBp = 12_000;
    const error = refusal(() =>
      verifyDocument(signedPolicy(signers.policyKey, 2, pack), policyDocumentKind, opts),
    );
    expect(error.code).toBe('POLICY_PACK_INVALID');
    expect(error.details.path).toBe(`pack.rules[${n}].benefit.payBp`);
    expect(error.message.startsWith(`policy pack document: pack.rules[${n}].benefit.payBp: `)).toBe(true);
  });

  it('refuses an effectiveFrom without an offset and a document without a pack', () => {
    const local = signedPolicy(signers.policyKey, 2, qingzhouPolicyPack, '2027-01-01T00:00:00');
    expect(refusal(() => verifyDocument(local, policyDocumentKind, opts)).details.path).toBe('effectiveFrom');
    const none = signRaw(signers.policyKey, {
      format: 'xinyi-policy-document/1',
      version: 1,
      issuedAt: '2026-11-20T10:00:00+08:00',
    });
    expect(refusal(() => verifyDocument(none, policyDocumentKind, opts)).details.path).toBe('pack');
  });

  it('refuses a calendar-signed policy document and a policy-signed calendar (usage is bound to the kind)', () => {
    const wrong = signedPolicy(signers.calendarKey, 2, qingzhouPolicyPack);
    expect(refusal(() => verifyDocument(wrong, policyDocumentKind, opts)).details).toMatchObject({
      reason: SignedDocumentProblem.UNKNOWN_KEY,
      documentUsage: 'policy-pack',
    });
  });
});
