import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Credential } from '../../../sdk/domain/credential.js';
import type { Decision } from '../../../sdk/domain/decision.js';
import type { CreditStanding, ListMembership } from '../../../sdk/domain/standing.js';
import type { TierCode } from '../../../sdk/domain/tiers.js';
import { isXinyiError, XinyiError } from '../../../sdk/errors.js';
import { createPseudonymizer } from '../../../sdk/identity/index.js';
import type { Logger } from '../../../sdk/logger.js';
import { qingzhouPolicyPack } from '../../../sdk/policy/qingzhou-pack.js';
import type { CreditLookup, CreditResolver } from '../../../sdk/terminal/credit-resolver.js';
import {
  createInMemoryCreditProvider,
  type InMemoryCreditProvider,
} from '../../../sdk/terminal/in-memory-credit-provider.js';
import { createTerminal } from '../../../sdk/terminal/terminal.js';
import type { Terminal, TerminalOptions } from '../../../sdk/terminal/terminal-contract.js';
import { generatePopulation } from '../../../simulator/population.js';
import { thrown } from '../../support/thrown.js';

const KEY = 'terminal-test-pseudonym-key-0123456789';
const NOW = Date.parse('2026-11-26T10:00:00+08:00');
const clock = { now: () => NOW };
const pseudonymizer = createPseudonymizer(KEY);

// Synthetic people only (generatePopulation): never hand-written personal data.
const [alice, bob, carol, dave] = generatePopulation(4, 'terminal-test') as [
  ReturnType<typeof generatePopulation>[number],
  ReturnType<typeof generatePopulation>[number],
  ReturnType<typeof generatePopulation>[number],
  ReturnType<typeof generatePopulation>[number],
];

const idCard = (idNumber: string): Credential => ({ kind: 'id-card', idNumber });
const pseudonymOf = (idNumber: string) => pseudonymizer.pseudonymize(idNumber);

/** The same number with a wrong check character. */
function withBadCheckDigit(idNumber: string): string {
  const last = idNumber[17]!;
  return `${idNumber.slice(0, 17)}${last === '0' ? '1' : '0'}`;
}

function provider(
  entries: [idNumber: string, tier: TierCode | null, lists?: ListMembership[]][],
  options: { name?: string; source?: 'platform' | 'snapshot' | 'credit-code'; latencyMs?: number } = {},
): InMemoryCreditProvider {
  return createInMemoryCreditProvider({
    clock,
    ...options,
    standings: entries.map(([id, tier, lists]) => [pseudonymOf(id), { tier, lists: lists ?? [] }] as const),
  });
}

function terminal(overrides: Partial<TerminalOptions> = {}): Terminal {
  return createTerminal({
    terminalId: 'test-terminal-01',
    scene: 'library-kiosk',
    pseudonymKey: KEY,
    clock,
    newDecisionId: () => 'decision-id',
    ...overrides,
  });
}

/** Records every event of a terminal, in order. */
function recordEvents(t: Terminal) {
  const log: { name: string; payload: unknown }[] = [];
  for (const name of ['decision', 'warning', 'offline', 'online', 'device'] as const) {
    t.on(name, (payload: unknown) => void log.push({ name, payload }));
  }
  const of = (name: string) => log.filter((e) => e.name === name).map((e) => e.payload);
  return { log, of };
}

function resolver(name: string, resolve: (lookup: CreditLookup) => Promise<CreditStanding | null>) {
  const lookups: CreditLookup[] = [];
  const r: CreditResolver & { lookups: CreditLookup[] } = {
    name,
    lookups,
    resolve: (lookup) => {
      lookups.push(lookup);
      return resolve(lookup);
    },
  };
  return r;
}

function expectOptionError(options: unknown, option: RegExp): void {
  const error = thrown(() => createTerminal(options as TerminalOptions));
  expect(isXinyiError(error, 'INVALID_OPTIONS'), String(error)).toBe(true);
  expect((error as Error).message).toMatch(option);
}

afterEach(() => {
  vi.useRealTimers();
});

describe('createTerminal: options', () => {
  const base = { terminalId: 'gate-1', scene: 'scenic-gate', pseudonymKey: KEY };

  it('accepts a minimal set of options, with a key or a ready pseudonymizer', () => {
    const t = createTerminal(base as TerminalOptions);
    expect(t.terminalId).toBe('gate-1');
    expect(t.scene).toBe('scenic-gate');
    expect(t.offlineSources()).toEqual([]);
    expect(() => createTerminal({ terminalId: 'x', scene: 'bank-counter', pseudonymizer })).not.toThrow();
    expect(() => createTerminal({ ...(base as TerminalOptions), decisionDeadlineMs: 60_000 })).not.toThrow();
  });

  const unknownSubject = async (): Promise<null> => null;

  it.each<[string, unknown, RegExp]>([
    ['not an object', undefined, /options/],
    ['null', null, /options/],
    ['no terminalId', { ...base, terminalId: undefined }, /terminalId/],
    ['an empty terminalId', { ...base, terminalId: '' }, /terminalId/],
    ['a blank terminalId', { ...base, terminalId: '   ' }, /terminalId/],
    ['a numeric terminalId', { ...base, terminalId: 7 }, /terminalId/],
    ['an unknown scene', { ...base, scene: 'casino' }, /scene/],
    ['no scene', { ...base, scene: undefined }, /scene/],
    ['no pseudonymKey', { ...base, pseudonymKey: undefined }, /pseudonymKey/],
    ['a short pseudonymKey', { ...base, pseudonymKey: 'too-short' }, /pseudonymKey/],
    ['a non-string pseudonymKey', { ...base, pseudonymKey: 12345 }, /pseudonymKey/],
    ['decisionDeadlineMs 0', { ...base, decisionDeadlineMs: 0 }, /decisionDeadlineMs/],
    ['a negative decisionDeadlineMs', { ...base, decisionDeadlineMs: -1 }, /decisionDeadlineMs/],
    ['decisionDeadlineMs NaN', { ...base, decisionDeadlineMs: Number.NaN }, /decisionDeadlineMs/],
    [
      'decisionDeadlineMs Infinity',
      { ...base, decisionDeadlineMs: Number.POSITIVE_INFINITY },
      /decisionDeadlineMs/,
    ],
    ['decisionDeadlineMs above a minute', { ...base, decisionDeadlineMs: 60_001 }, /decisionDeadlineMs/],
    ['decisionDeadlineMs as a string', { ...base, decisionDeadlineMs: '800' }, /decisionDeadlineMs/],
    ['credit not an array', { ...base, credit: { name: 'x', resolve: unknownSubject } }, /credit/],
    ['a credit entry that is empty', { ...base, credit: [{}] }, /credit\[0\]/],
    ['a credit entry that is null', { ...base, credit: [null] }, /credit\[0\]/],
    [
      'a credit entry without a name',
      { ...base, credit: [{ name: 'ok', resolve: unknownSubject }, { resolve: unknownSubject }] },
      /credit\[1\]/,
    ],
    ['a credit entry without resolve', { ...base, credit: [{ name: 'platform' }] }, /credit\[0\]/],
  ])('refuses %s with INVALID_OPTIONS naming the option', (_label, options, option) => {
    expectOptionError(options, option);
  });

  it('refuses a bad policy pack at start-up, not at the first customer', () => {
    const policy = structuredClone(qingzhouPolicyPack);
    policy.rules[0]!.id = 'Not Valid';
    const error = thrown(() => createTerminal({ ...(base as TerminalOptions), policy }));
    expect(error).toMatchObject({ code: 'POLICY_PACK_INVALID' });
  });
});

describe('present(): decisions from the in-memory provider', () => {
  const standings = provider([
    [alice.idNumber, 'AAA'],
    [bob.idNumber, 'D'],
    [carol.idNumber, 'AAA', [{ kind: 'black' }]],
  ]);

  it('grants what the pack gives the tier', async () => {
    const t = terminal({ credit: [standings] });
    const d = await t.present(idCard(alice.idNumber));
    expect(d.outcome).toBe('granted');
    expect(d.id).toBe('decision-id');
    expect(d.scene).toBe('library-kiosk');
    expect(d.standingSource).toBe('platform');
    expect(d.effectiveTier).toBe('AAA');
    expect(d.at).toBe(new Date(NOW).toISOString());
    expect(d.policyVersion).toBe('qingzhou-xinyi@2026.3.0');
    expect(d.benefits.find((b) => b.kind === 'loan-limit')).toMatchObject({ books: 5 });
    expect(d.benefits.find((b) => b.kind === 'loan-extension')).toMatchObject({ days: 60 });
    expect(d.subject).toEqual({
      pseudonym: pseudonymOf(alice.idNumber),
      masked: `${alice.idNumber[0]}${'*'.repeat(16)}${alice.idNumber[17]}`,
    });
    expect(typeof d.latencyMs).toBe('number');
    expect(d.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('denies a low tier and a black-listed AAA alike', async () => {
    const t = terminal({ credit: [standings] });
    const low = await t.present(idCard(bob.idNumber));
    expect(low.outcome).toBe('denied');
    expect(low.benefits).toEqual([]);
    const blocked = await t.present(idCard(carol.idNumber));
    expect(blocked.outcome).toBe('denied');
    expect(blocked.reasons).toEqual([{ code: 'LIST_BLOCK' }]);
    expect(blocked.explanation.citizen).toBe(low.explanation.citizen);
  });

  it('someone no source knows is served normally: unavailable, STANDING_UNAVAILABLE', async () => {
    const d = await terminal({ credit: [standings] }).present(idCard(dave.idNumber));
    expect(d.outcome).toBe('unavailable');
    expect(d.standingSource).toBe('none');
    expect(d.reasons).toEqual([{ code: 'STANDING_UNAVAILABLE' }]);
    expect(d.subject?.pseudonym).toBe(pseudonymOf(dave.idNumber));
  });

  it('a terminal with no credit sources decides unavailable for everyone', async () => {
    const d = await terminal().present(idCard(alice.idNumber));
    expect(d.outcome).toBe('unavailable');
    expect(d.benefits).toEqual([]);
  });

  it('accepts a lower-case x and surrounding spaces as the same person', async () => {
    const withX = generatePopulation(200, 'terminal-x').find((p) => p.idNumber.endsWith('X'));
    expect(withX).toBeDefined();
    const t = terminal({ credit: [provider([[withX!.idNumber, 'AA']])] });
    const d = await t.present(idCard(` ${withX!.idNumber.toLowerCase()} `));
    expect(d.outcome).toBe('granted');
    expect(d.subject?.pseudonym).toBe(pseudonymOf(withX!.idNumber));
  });

  it('passes the subject and scene to the usage callback and honours per-subject caps', async () => {
    const calls: unknown[] = [];
    const t = terminal({
      scene: 'scenic-gate',
      context: { siteId: 'yunmenshan' },
      credit: [standings],
      usage: (subject, scene) => {
        calls.push({ pseudonym: subject.pseudonym, scene });
        return { 'scenic.free-entry': { day: 1 } };
      },
    });
    const d = await t.present(idCard(alice.idNumber));
    expect(d.outcome).toBe('denied');
    expect(d.reasons).toEqual([{ code: 'CAP_REACHED', ruleId: 'scenic.free-entry' }]);
    expect(calls).toEqual([{ pseudonym: pseudonymOf(alice.idNumber), scene: 'scenic-gate' }]);
  });

  it("emits 'decision' with the very object present() resolves with, and logs it", async () => {
    const info = vi.fn();
    const logger: Logger = { debug: vi.fn(), info, warn: vi.fn(), error: vi.fn() };
    const t = terminal({ credit: [standings], logger });
    const seen: Decision[] = [];
    t.on('decision', (d) => seen.push(d));
    const d = await t.present(idCard(alice.idNumber));
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBe(d);
    expect(info).toHaveBeenCalledWith(
      expect.objectContaining({ decisionId: 'decision-id', outcome: 'granted', source: 'platform' }),
      'decision',
    );
  });

  it('uses a fresh id per decision by default', async () => {
    const t = createTerminal({
      terminalId: 't',
      scene: 'library-kiosk',
      pseudonymKey: KEY,
      clock,
      credit: [standings],
    });
    const a = await t.present(idCard(alice.idNumber));
    const b = await t.present(idCard(alice.idNumber));
    expect(a.id).not.toBe(b.id);
    expect(a.id).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('present(): unusable credentials', () => {
  it("a foreigner's permanent residence card is pseudonymised as a document number, masked from its own characters", async () => {
    const seen: CreditLookup[] = [];
    const t = terminal({
      credit: [
        resolver('platform', async (lookup) => {
          seen.push(lookup);
          return null;
        }),
      ],
    });
    // Synthetic 2017-layout number: three letters for the country, then digits (15 characters).
    const d = await t.present({
      kind: 'id-card',
      idNumber: 'abc110087031501',
      cardType: 'foreign-permanent-2017',
    });
    expect(d.subject?.masked).toBe('A*************1');
    expect(seen[0]!.subject!.kind).toBe('document-number');
    expect(seen[0]!.subject!.pseudonym).toBe(
      pseudonymizer.pseudonymize('ABC110087031501', 'document-number'),
    );
    const empty = await t.present({ kind: 'id-card', idNumber: '  ', cardType: 'foreign-permanent-2023' });
    expect(empty.reasons).toEqual([{ code: 'CREDENTIAL_INVALID' }]);
    // What a frame damaged on the wire decodes to (found by the soak): not a number to look up.
    for (const garbled of ['\u0000ABC1100870315Z', '\ufffdBC110087031501e', 'ABC-110087031501']) {
      const bad = await t.present({ kind: 'id-card', idNumber: garbled, cardType: 'foreign-permanent-2017' });
      expect(bad.reasons).toEqual([{ code: 'CREDENTIAL_INVALID' }]);
      expect(bad.subject).toBeUndefined();
    }
  });

  it('an ID number with a wrong check digit → unavailable CREDENTIAL_INVALID and an ID_NUMBER_INVALID warning event', async () => {
    const source = resolver('platform', async () => ({
      tier: 'AAA',
      lists: [],
      source: 'platform',
      asOf: new Date(NOW).toISOString(),
    }));
    const t = terminal({ credit: [source] });
    const events = recordEvents(t);
    const bad = withBadCheckDigit(alice.idNumber);
    const d = await t.present(idCard(bad));
    expect(d.outcome).toBe('unavailable');
    expect(d.benefits).toEqual([]);
    expect(d.reasons).toEqual([{ code: 'CREDENTIAL_INVALID' }]);
    expect(d.subject).toBeUndefined();
    expect(source.lookups).toEqual([]);
    const errors = events.of('warning') as XinyiError[];
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(XinyiError);
    expect(errors[0]!.code).toBe('ID_NUMBER_INVALID');
    expect(errors[0]!.message).not.toContain(bad);
    expect(events.of('decision')).toEqual([d]);
  });

  it('an unusable credential does not crash a terminal that has no warning listener', async () => {
    const t = terminal();
    await expect(t.present(idCard(withBadCheckDigit(alice.idNumber)))).resolves.toMatchObject({
      outcome: 'unavailable',
    });
    await expect(t.present({ kind: 'barcode', text: '   ' })).resolves.toMatchObject({
      reasons: [{ code: 'CREDENTIAL_INVALID' }],
    });
  });

  it('an empty barcode → CREDENTIAL_INVALID with a warning event', async () => {
    const t = terminal();
    const events = recordEvents(t);
    const d = await t.present({ kind: 'barcode', text: '' });
    expect(d.outcome).toBe('unavailable');
    expect(d.reasons).toEqual([{ code: 'CREDENTIAL_INVALID' }]);
    expect((events.of('warning') as XinyiError[]).map((e) => e.code)).toEqual(['CREDENTIAL_INVALID']);
  });

  it.each([
    ['an unknown kind', { kind: 'x' }],
    ['null', null],
    ['a string', 'id-card'],
    ['an id-card without idNumber', { kind: 'id-card' }],
    ['a barcode whose text is not a string', { kind: 'barcode', text: 42 }],
    ['a credit code without text', { kind: 'credit-code' }],
  ])('a malformed credential (%s) → INVALID_ARGUMENT', async (_label, credential) => {
    const t = terminal();
    await expect(t.present(credential as unknown as Credential)).rejects.toSatisfy((e: unknown) =>
      isXinyiError(e, 'INVALID_ARGUMENT'),
    );
  });

  it('present() after close() → CLOSED', async () => {
    const t = terminal({ credit: [provider([[alice.idNumber, 'AAA']])] });
    await t.close();
    await expect(t.present(idCard(alice.idNumber))).rejects.toSatisfy((e: unknown) =>
      isXinyiError(e, 'CLOSED'),
    );
    await expect(t.close()).resolves.toBeUndefined();
  });
});

describe('present(): what the credit sources are asked', () => {
  it('an ID card: the lookup carries the pseudonymous subject, scene and terminal, never the raw number', async () => {
    const source = resolver('platform', async () => null);
    const t = terminal({ credit: [source], decisionDeadlineMs: 1_234 });
    await t.present({ kind: 'id-card', idNumber: alice.idNumber, name: alice.name });
    expect(source.lookups).toHaveLength(1);
    const lookup = source.lookups[0]!;
    expect(lookup.scene).toBe('library-kiosk');
    expect(lookup.terminalId).toBe('test-terminal-01');
    expect(lookup.deadlineAt).toBe(NOW + 1_234);
    expect(lookup.creditCodeText).toBeUndefined();
    expect(lookup.signal).toBeInstanceOf(AbortSignal);
    expect(lookup.subject).toMatchObject({ pseudonym: pseudonymOf(alice.idNumber), kind: 'id-number' });
    const text = JSON.stringify({ ...lookup, signal: undefined });
    expect(text).not.toContain(alice.idNumber);
    expect(text).not.toContain(alice.idNumber.slice(0, 17));
    expect(text).not.toContain(alice.idNumber.slice(6, 14));
    expect(text).not.toContain(alice.name);
  });

  it('a barcode: looked up by its member pseudonym', async () => {
    const source = resolver('members', async () => null);
    const t = terminal({ credit: [source] });
    const memberCode = alice.memberCode;
    const d = await t.present({ kind: 'barcode', text: memberCode });
    const subject = source.lookups[0]!.subject!;
    expect(subject.kind).toBe('member');
    expect(subject.pseudonym).toBe(pseudonymizer.pseudonymize(memberCode, 'member'));
    expect(subject.pseudonym).not.toBe(pseudonymizer.pseudonymize(alice.idNumber));
    expect(subject.masked).toBe(`${memberCode[0]}${'*'.repeat(memberCode.length - 2)}${memberCode.at(-1)}`);
    expect(d.subject?.pseudonym).toBe(subject.pseudonym);
  });

  it('a barcode member known to the provider gets the benefits of its tier', async () => {
    const members = createInMemoryCreditProvider({
      clock,
      standings: [[pseudonymizer.pseudonymize(bob.memberCode, 'member'), { tier: 'AA', lists: [] }]],
    });
    const d = await terminal({ credit: [members] }).present({ kind: 'barcode', text: bob.memberCode });
    expect(d.outcome).toBe('granted');
    expect(d.benefits.find((b) => b.kind === 'loan-limit')).toMatchObject({ books: 4 });
  });

  it('a credit code: the scanned text goes to the resolvers, with no subject', async () => {
    const source = resolver('credit-code', async () => null);
    await terminal({ credit: [source] }).present({ kind: 'credit-code', text: 'QZ1:payload' });
    expect(source.lookups[0]!.creditCodeText).toBe('QZ1:payload');
    expect(source.lookups[0]!.subject).toBeUndefined();
  });

  it('a resolver returning null → the next one is asked, with the same lookup', async () => {
    const first = resolver('snapshot-a', async () => null);
    const second = resolver('snapshot-b', async () => ({
      tier: 'AA',
      lists: [],
      source: 'snapshot',
      asOf: new Date(NOW - 3_600_000).toISOString(),
    }));
    const third = resolver('never-asked', async () => null);
    const t = terminal({ credit: [first, second, third] });
    const events = recordEvents(t);
    const d = await t.present(idCard(alice.idNumber));
    expect(d.outcome).toBe('granted');
    expect(d.standingSource).toBe('snapshot');
    expect(first.lookups).toHaveLength(1);
    expect(second.lookups[0]).toEqual(first.lookups[0]);
    expect(second.lookups[0]!.signal).toBe(first.lookups[0]!.signal);
    expect(third.lookups).toEqual([]);
    expect(events.of('offline')).toEqual([]);
    expect(events.of('warning')).toEqual([]);
  });
});

describe('present(): failing sources, offline and online', () => {
  it("a failing source → the next one answers; 'offline' once, then 'online' when it answers again", async () => {
    const platform = provider([[alice.idNumber, 'AAA']], { name: 'platform' });
    const snapshot = provider([[alice.idNumber, 'A']], { name: 'snapshot', source: 'snapshot' });
    platform.setFailing(true);
    const t = terminal({ credit: [platform, snapshot] });
    const events = recordEvents(t);

    const first = await t.present(idCard(alice.idNumber));
    expect(first.outcome).toBe('granted');
    expect(first.standingSource).toBe('snapshot');
    expect(first.effectiveTier).toBe('A');
    expect(events.of('offline')).toEqual([{ source: 'platform', reason: 'CREDIT_UNAVAILABLE' }]);
    expect((events.of('warning') as XinyiError[]).map((e) => e.code)).toEqual(['CREDIT_UNAVAILABLE']);
    expect(t.offlineSources()).toEqual(['platform']);

    await t.present(idCard(alice.idNumber));
    expect(events.of('offline')).toHaveLength(1); // still offline: not announced again
    expect(events.of('warning')).toHaveLength(2); // but every failure is reported
    expect(events.of('online')).toEqual([]);

    platform.setFailing(false);
    const back = await t.present(idCard(alice.idNumber));
    expect(back.standingSource).toBe('platform');
    expect(back.effectiveTier).toBe('AAA');
    expect(events.of('online')).toEqual([{ source: 'platform' }]);
    expect(t.offlineSources()).toEqual([]);

    await t.present(idCard(alice.idNumber));
    expect(events.of('online')).toHaveLength(1);
    // Order of events: offline before the first decision, online before the third.
    const names = events.log.map((e) => e.name);
    expect(names.indexOf('offline')).toBeLessThan(names.indexOf('decision'));
    expect(names.indexOf('online')).toBeGreaterThan(names.indexOf('offline'));
  });

  it('a source that answers "unknown subject" (null) after being offline also comes back online', async () => {
    const platform = provider([], { name: 'platform' });
    platform.setFailing(true);
    const t = terminal({ credit: [platform] });
    const events = recordEvents(t);
    await t.present(idCard(alice.idNumber));
    platform.setFailing(false);
    await t.present(idCard(alice.idNumber));
    expect(events.of('online')).toEqual([{ source: 'platform' }]);
  });

  it('a plain Error from a resolver is translated to CREDIT_UNAVAILABLE with the cause kept', async () => {
    const cause = new Error('socket hang up');
    const t = terminal({ credit: [resolver('platform', async () => Promise.reject(cause))] });
    const events = recordEvents(t);
    const d = await t.present(idCard(alice.idNumber));
    expect(d.reasons).toEqual([{ code: 'CREDIT_UNAVAILABLE' }]);
    const [error] = events.of('warning') as XinyiError[];
    expect(error).toBeInstanceOf(XinyiError);
    expect(error!.code).toBe('CREDIT_UNAVAILABLE');
    expect(error!.cause).toBe(cause);
    expect(events.of('offline')).toEqual([{ source: 'platform', reason: 'CREDIT_UNAVAILABLE' }]);
  });

  it("an XinyiError from a resolver keeps its code in the 'offline' event", async () => {
    const t = terminal({
      credit: [
        resolver('platform', async () => Promise.reject(new XinyiError('CREDIT_UNAUTHORIZED', 'HTTP 401'))),
      ],
    });
    const events = recordEvents(t);
    await t.present(idCard(alice.idNumber));
    expect(events.of('offline')).toEqual([{ source: 'platform', reason: 'CREDIT_UNAUTHORIZED' }]);
  });

  it('every source failing → unavailable CREDIT_UNAVAILABLE, each source offline', async () => {
    const platform = provider([[alice.idNumber, 'AAA']], { name: 'platform' });
    const snapshot = provider([[alice.idNumber, 'AAA']], { name: 'snapshot', source: 'snapshot' });
    platform.setFailing(true);
    snapshot.setFailing(true);
    const t = terminal({ credit: [platform, snapshot] });
    const events = recordEvents(t);
    const d = await t.present(idCard(alice.idNumber));
    expect(d.outcome).toBe('unavailable');
    expect(d.benefits).toEqual([]);
    expect(d.standingSource).toBe('none');
    expect(d.reasons).toEqual([{ code: 'CREDIT_UNAVAILABLE' }]);
    expect(events.of('offline')).toEqual([
      { source: 'platform', reason: 'CREDIT_UNAVAILABLE' },
      { source: 'snapshot', reason: 'CREDIT_UNAVAILABLE' },
    ]);
    expect(t.offlineSources().sort()).toEqual(['platform', 'snapshot']);
  });

  it('one source failing and the other not knowing the subject → still CREDIT_UNAVAILABLE (staff can tell)', async () => {
    const platform = provider([], { name: 'platform' });
    platform.setFailing(true);
    const t = terminal({ credit: [platform, provider([], { name: 'snapshot', source: 'snapshot' })] });
    const d = await t.present(idCard(alice.idNumber));
    expect(d.reasons).toEqual([{ code: 'CREDIT_UNAVAILABLE' }]);
  });

  // Bug: terminal.ts calls `resolver.resolve(lookup).then(...)` directly, so a resolver that throws
  // synchronously (a plain function, not `async`) makes present() reject instead of deciding
  // 'unavailable' and asking the next source, as the CreditResolver and present() contracts promise.
  it('a resolver that throws synchronously is treated as a failed source, not a failed present()', async () => {
    const syncThrower: CreditResolver = {
      name: 'platform',
      resolve: () => {
        throw new XinyiError('CREDIT_UNAVAILABLE', 'no route to host');
      },
    };
    const snapshot = provider([[alice.idNumber, 'AA']], { name: 'snapshot', source: 'snapshot' });
    const t = terminal({ credit: [syncThrower, snapshot] });
    const d = await t.present(idCard(alice.idNumber));
    expect(d.standingSource).toBe('snapshot');
    expect(t.offlineSources()).toEqual(['platform']);
  });
});

describe('present(): a refused credential', () => {
  it('a refused credit code ends the chain: no later source is asked, the source is not offline, the reason is recorded', async () => {
    const refusing = resolver('credit-code', async () => {
      throw new XinyiError('CODE_REFUSED', 'credit code refused: REPLAYED', {
        details: { reason: 'REPLAYED' },
      });
    });
    const platform = resolver('platform', async () => ({
      tier: 'AAA',
      lists: [],
      source: 'platform',
      asOf: new Date(NOW).toISOString(),
    }));
    const t = terminal({ credit: [refusing, platform] });
    const events = recordEvents(t);
    const d = await t.present({ kind: 'credit-code', text: 'QZ1:REPLAYED-CODE' });
    expect(d.outcome).toBe('unavailable');
    expect(d.benefits).toEqual([]);
    expect(d.reasons).toEqual([{ code: 'CODE_REPLAYED' }]);
    expect(d.explanation.citizen).toContain('信用码');
    expect(platform.lookups).toEqual([]);
    expect(events.of('offline')).toEqual([]);
    expect((events.of('warning') as XinyiError[]).map((e) => e.code)).toEqual(['CODE_REFUSED']);
  });
});

describe('present(): the decision deadline', () => {
  it('a resolver that never answers → unavailable CREDIT_TIMEOUT at the deadline, no timer left behind', async () => {
    vi.useFakeTimers({ now: NOW });
    const never = resolver('platform', () => new Promise<never>(() => {}));
    const t = terminal({ credit: [never], decisionDeadlineMs: 500 });
    const events = recordEvents(t);
    let decision: Decision | undefined;
    const pending = t.present(idCard(alice.idNumber)).then((d) => {
      decision = d;
      return d;
    });

    await vi.advanceTimersByTimeAsync(499);
    expect(decision).toBeUndefined();
    expect(never.lookups[0]!.signal.aborted).toBe(false);

    await vi.advanceTimersByTimeAsync(1);
    const d = await pending;
    expect(d.outcome).toBe('unavailable');
    expect(d.benefits).toEqual([]);
    expect(d.reasons).toEqual([{ code: 'CREDIT_TIMEOUT' }]);
    expect(d.standingSource).toBe('none');
    expect(never.lookups[0]!.signal.aborted).toBe(true);
    expect((events.of('warning') as XinyiError[]).map((e) => e.code)).toEqual(['CREDIT_TIMEOUT']);
    expect(events.of('offline')).toEqual([{ source: 'platform', reason: 'CREDIT_TIMEOUT' }]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('uses the default deadline of 800 ms', async () => {
    vi.useFakeTimers({ now: NOW });
    const t = terminal({ credit: [resolver('platform', () => new Promise<never>(() => {}))] });
    let settled = false;
    const pending = t.present(idCard(alice.idNumber)).finally(() => {
      settled = true;
    });
    await vi.advanceTimersByTimeAsync(799);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await expect(pending).resolves.toMatchObject({ reasons: [{ code: 'CREDIT_TIMEOUT' }] });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a slow in-memory provider is aborted at the deadline and clears its own timer', async () => {
    vi.useFakeTimers({ now: NOW });
    const slow = provider([[alice.idNumber, 'AAA']], { latencyMs: 5_000 });
    const t = terminal({ credit: [slow], decisionDeadlineMs: 800 });
    const pending = t.present(idCard(alice.idNumber));
    await vi.advanceTimersByTimeAsync(800);
    await expect(pending).resolves.toMatchObject({
      outcome: 'unavailable',
      reasons: [{ code: 'CREDIT_TIMEOUT' }],
    });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a provider that answers in time leaves no timer behind', async () => {
    vi.useFakeTimers({ now: NOW });
    const t = terminal({
      credit: [provider([[alice.idNumber, 'AAA']], { latencyMs: 300 })],
      decisionDeadlineMs: 800,
    });
    const pending = t.present(idCard(alice.idNumber));
    await vi.advanceTimersByTimeAsync(300);
    await expect(pending).resolves.toMatchObject({ outcome: 'granted' });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('the deadline covers the whole chain, not each source', async () => {
    vi.useFakeTimers({ now: NOW });
    const failsLate = resolver(
      'platform',
      () =>
        new Promise<never>((_resolve, reject) =>
          setTimeout(() => reject(new XinyiError('CREDIT_UNAVAILABLE', '503')), 500),
        ),
    );
    const snapshot = provider([[alice.idNumber, 'AAA']], {
      name: 'snapshot',
      source: 'snapshot',
      latencyMs: 500,
    });
    const t = terminal({ credit: [failsLate, snapshot], decisionDeadlineMs: 800 });
    const pending = t.present(idCard(alice.idNumber));
    await vi.advanceTimersByTimeAsync(800);
    await expect(pending).resolves.toMatchObject({ reasons: [{ code: 'CREDIT_TIMEOUT' }] });
    expect(vi.getTimerCount()).toBe(0);
  });

  it("a source's own timeoutMs leaves the rest of the deadline to the next source", async () => {
    vi.useFakeTimers({ now: NOW });
    const hanging = Object.assign(
      resolver('platform', () => new Promise<never>(() => {})),
      { timeoutMs: 300 },
    );
    const snapshot = provider([[alice.idNumber, 'AA']], {
      name: 'snapshot',
      source: 'snapshot',
      latencyMs: 100,
    });
    const t = terminal({ credit: [hanging, snapshot], decisionDeadlineMs: 800 });
    const events = recordEvents(t);
    let settled = false;
    const pending = t.present(idCard(alice.idNumber)).finally(() => {
      settled = true;
    });
    await vi.advanceTimersByTimeAsync(399);
    expect(settled).toBe(false);
    expect(hanging.lookups[0]!.signal.aborted).toBe(true);
    await vi.advanceTimersByTimeAsync(1);
    const d = await pending;
    expect(d.outcome).toBe('granted');
    expect(d.standingSource).toBe('snapshot');
    expect(events.of('offline')).toEqual([{ source: 'platform', reason: 'CREDIT_TIMEOUT' }]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a late answer after the deadline is ignored', async () => {
    vi.useFakeTimers({ now: NOW });
    const late = resolver(
      'platform',
      () =>
        new Promise<CreditStanding>((resolve) =>
          setTimeout(
            () => resolve({ tier: 'AAA', lists: [], source: 'platform', asOf: new Date(NOW).toISOString() }),
            1_000,
          ),
        ),
    );
    const t = terminal({ credit: [late], decisionDeadlineMs: 800 });
    const decisions: Decision[] = [];
    t.on('decision', (d) => decisions.push(d));
    const pending = t.present(idCard(alice.idNumber));
    await vi.advanceTimersByTimeAsync(2_000);
    await expect(pending).resolves.toMatchObject({ outcome: 'unavailable' });
    expect(decisions).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('present(): context', () => {
  it('merges the terminal context under the per-call context', async () => {
    const t = terminal({
      scene: 'scenic-gate',
      context: { siteId: 'yunmenshan' },
      credit: [provider([[alice.idNumber, 'A']])],
    });
    expect((await t.present(idCard(alice.idNumber))).outcome).toBe('granted');

    const elsewhere = await t.present(idCard(alice.idNumber), { siteId: 'taishan' });
    expect(elsewhere.outcome).toBe('denied');
    expect(elsewhere.reasons).toEqual([{ code: 'SITE_NOT_COVERED' }]);

    // A per-call context without siteId keeps the terminal's.
    expect((await t.present(idCard(alice.idNumber), { amountFen: 8_000 })).outcome).toBe('granted');
    // And the per-call override did not stick.
    expect((await t.present(idCard(alice.idNumber))).outcome).toBe('granted');
  });

  it('a per-call siteId works on a terminal without context', async () => {
    const t = terminal({ scene: 'scenic-gate', credit: [provider([[alice.idNumber, 'A']])] });
    expect((await t.present(idCard(alice.idNumber))).reasons).toEqual([{ code: 'SITE_NOT_COVERED' }]);
    expect((await t.present(idCard(alice.idNumber), { siteId: 'ouyuan' })).outcome).toBe('granted');
  });

  it('a Chinese site name is an alias of its site id, and an uncovered site looks nobody up', async () => {
    const asked: string[] = [];
    const recorder = {
      name: 'recorder',
      resolve: async (lookup: CreditLookup) => {
        asked.push(lookup.scene);
        return null;
      },
    };
    const t = terminal({
      scene: 'scenic-gate',
      context: { siteId: '井塘古村' },
      credit: [recorder, provider([[alice.idNumber, 'A']])],
    });
    expect((await t.present(idCard(alice.idNumber))).outcome).toBe('granted');
    expect(asked).toEqual(['scenic-gate']);
    const elsewhere = await t.present(idCard(alice.idNumber), { siteId: '泰山' });
    expect(elsewhere.reasons).toEqual([{ code: 'SITE_NOT_COVERED' }]);
    expect(elsewhere.standingSource).toBe('none');
    expect(asked).toEqual(['scenic-gate']);
  });

  it("warns once at start-up when its own context is outside the scene's coverage for everyone", () => {
    const warnings = (overrides: Partial<TerminalOptions>) => {
      const logger: Logger = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() };
      terminal({ ...overrides, logger });
      return (logger.warn as ReturnType<typeof vi.fn>).mock.calls;
    };
    const missing = warnings({ scene: 'scenic-gate' });
    expect(missing).toHaveLength(1);
    expect(missing[0]![0]).toEqual({ scene: 'scenic-gate', reason: 'SITE_NOT_COVERED', siteId: null });
    expect(warnings({ scene: 'scenic-gate', context: { siteId: 'taishan' } })[0]![0]).toMatchObject({
      siteId: 'taishan',
    });
    // Covered for somebody: a gate at one of the six spots (by id or name), a counter for companies.
    expect(warnings({ scene: 'scenic-gate', context: { siteId: '云门山' } })).toEqual([]);
    expect(warnings({ scene: 'bank-counter' })).toEqual([]);
    expect(warnings({ scene: 'library-kiosk' })).toEqual([]);
  });

  it('changing the options object after creation does not change the terminal', async () => {
    const context = { siteId: 'yunmenshan' };
    const credit = [provider([[alice.idNumber, 'A']])];
    const t = terminal({ scene: 'scenic-gate', context, credit });
    context.siteId = 'taishan';
    credit.length = 0;
    expect((await t.present(idCard(alice.idNumber))).outcome).toBe('granted');
  });
});
