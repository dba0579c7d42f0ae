import { describe, expect, it } from 'vitest';
import { defaultHolidayCalendar } from '../../../sdk/calendar/index.js';
import type { Credential } from '../../../sdk/domain/credential.js';
import type { Decision } from '../../../sdk/domain/decision.js';
import type { SceneId } from '../../../sdk/domain/scenes.js';
import type { ListMembership } from '../../../sdk/domain/standing.js';
import type { TierCode } from '../../../sdk/domain/tiers.js';
import { isXinyiError, XinyiError } from '../../../sdk/errors.js';
import { createPseudonymizer, maskName, maskSocialCreditCode } from '../../../sdk/identity/index.js';
import type {
  DisclosureRecord,
  JournalDecisionEntry,
  JournalEventInput,
  JournalStore,
  RetentionPolicy,
  UploadRecordKind,
  UsageRecord,
} from '../../../sdk/journal/journal-store.js';
import { createMemoryJournal } from '../../../sdk/journal/memory-journal.js';
import { qingzhouPolicyPack } from '../../../sdk/policy/qingzhou-pack.js';
import { ReasonCode } from '../../../sdk/policy/reason-codes.js';
import type { CredentialSource } from '../../../sdk/terminal/credential-source.js';
import type { CreditResolver } from '../../../sdk/terminal/credit-resolver.js';
import { createInMemoryCreditProvider } from '../../../sdk/terminal/in-memory-credit-provider.js';
import { createTerminal } from '../../../sdk/terminal/terminal.js';
import type { Terminal, TerminalAlarm, TerminalOptions } from '../../../sdk/terminal/terminal-contract.js';
import { SDK_VERSION } from '../../../sdk/version.js';
import {
  generateOrganisations,
  generatePopulation,
  type SyntheticOrganisation,
} from '../../../simulator/population.js';
import { thrown } from '../../support/thrown.js';
import { until } from '../../support/until.js';

const KEY = 'terminal-journal-test-pseudonym-key-0123456789';
const pseudonymizer = createPseudonymizer(KEY);

/** A clock the test moves by hand. */
function movableClock(iso: string) {
  const clock = {
    at: Date.parse(iso),
    now: () => clock.at,
    set(to: string) {
      clock.at = Date.parse(to);
    },
  };
  return clock;
}

// Synthetic people only (generatePopulation): never hand-written personal data.
const people = generatePopulation(4, 'terminal-journal-test');
const [alice, bob, carol, dave] = people as [
  (typeof people)[number],
  (typeof people)[number],
  (typeof people)[number],
  (typeof people)[number],
];

const card = (person: { idNumber: string }, name?: string): Credential =>
  name === undefined
    ? { kind: 'id-card', idNumber: person.idNumber }
    : { kind: 'id-card', idNumber: person.idNumber, name };

function withBadCheckDigit(idNumber: string): string {
  const last = idNumber[17]!;
  return `${idNumber.slice(0, 17)}${last === '0' ? '1' : '0'}`;
}

type Clock = ReturnType<typeof movableClock>;

function platform(
  clock: Clock,
  entries: [idNumber: string, tier: TierCode, lists?: ListMembership[]][],
  name = 'platform',
) {
  return createInMemoryCreditProvider({
    name,
    clock,
    standings: entries.map(
      ([id, tier, lists]) => [pseudonymizer.pseudonymize(id), { tier, lists: lists ?? [] }] as const,
    ),
  });
}

let idCounter = 0;
function terminal(clock: Clock, scene: SceneId, overrides: Partial<TerminalOptions> = {}): Terminal {
  return createTerminal({
    terminalId: 'journal-test-terminal',
    scene,
    pseudonymizer,
    clock,
    context: scene === 'scenic-gate' ? { siteId: 'yunmenshan' } : {},
    credit: [
      platform(clock, [
        [alice.idNumber, 'AA'],
        [bob.idNumber, 'A'],
        [carol.idNumber, 'A', [{ kind: 'black' }]],
        [dave.idNumber, 'AAA'],
      ]),
    ],
    newDecisionId: () => `decision-${++idCounter}`,
    ...overrides,
  });
}

/**
 * A journal that fails like a full disk when told to: the writes (or, with `reads`, every call) throw.
 * Everything else is the memory journal's.
 */
class SwitchableJournal implements JournalStore {
  readonly inner: JournalStore;
  failure: { error: () => unknown; reads: boolean } | undefined;
  constructor(inner: JournalStore) {
    this.inner = inner;
  }
  get kind() {
    return this.inner.kind;
  }
  fail(error: () => unknown = () => full(), reads = false): void {
    this.failure = { error, reads };
  }
  heal(): void {
    this.failure = undefined;
  }
  #write(): void {
    if (this.failure) throw this.failure.error();
  }
  #read(): void {
    if (this.failure?.reads) throw this.failure.error();
  }
  commitDecision(entry: JournalDecisionEntry): void {
    this.#write();
    this.inner.commitDecision(entry);
  }
  getDecision(id: string) {
    this.#read();
    return this.inner.getDecision(id);
  }
  recordUse(use: UsageRecord): number {
    this.#write();
    return this.inner.recordUse(use);
  }
  usageCounts(pseudonym: string, now: number) {
    this.#read();
    return this.inner.usageCounts(pseudonym, now);
  }
  appendEvent(event: JournalEventInput): void {
    this.#write();
    this.inner.appendEvent(event);
  }
  events(options?: { limit?: number; kind?: string }) {
    this.#read();
    return this.inner.events(options);
  }
  pendingUploads(kind: UploadRecordKind, limit: number) {
    this.#read();
    return this.inner.pendingUploads(kind, limit);
  }
  markUploaded(kind: UploadRecordKind, ids: readonly string[], at: number): void {
    this.#write();
    this.inner.markUploaded(kind, ids, at);
  }
  /** Write probes asked for, failed ones included. */
  probes = 0;
  probeWrite(): void {
    this.probes++;
    this.#write();
    this.inner.probeWrite?.();
  }
  backlog() {
    this.#read();
    return this.inner.backlog();
  }
  overdueDisclosures(now: number): DisclosureRecord[] {
    this.#read();
    return this.inner.overdueDisclosures(now);
  }
  purge(now: number, retention: RetentionPolicy) {
    this.#write();
    return this.inner.purge(now, retention);
  }
  counts() {
    this.#read();
    return this.inner.counts();
  }
  close(): void {
    this.inner.close();
  }
}

const full = () => new XinyiError('JOURNAL_FULL', 'the journal is full: could not commit a decision');

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/** The journal alarms a terminal raises (the calendar-coverage alarm is calendar-coverage.test.ts's). */
function alarmsOf(t: Terminal): TerminalAlarm[] {
  const alarms: TerminalAlarm[] = [];
  t.on('alarm', (a) => {
    if (a.kind === 'journal-unavailable') alarms.push(a);
  });
  return alarms;
}

/** Diagnostics alarms other than the calendar's: on 2026-11-26 official coverage ends in 36 days. */
function journalAlarms(t: Terminal): string[] {
  return t.diagnostics().alarms.filter((a) => a !== 'calendar-coverage');
}

describe('terminal with a journal: commit before acting', () => {
  it('commits every decision before present() resolves, and before the decision event', async () => {
    const clock = movableClock('2026-11-26T10:00:00+08:00');
    const journal = createMemoryJournal({ clock });
    const t = terminal(clock, 'library-kiosk', { journal });
    const seenInListener: (string | undefined)[] = [];
    t.on('decision', (d) => seenInListener.push(journal.getDecision(d.id)?.decision.id));

    const credentials: Credential[] = [
      card(alice), // granted
      card(carol), // denied: black list
      { kind: 'id-card', idNumber: withBadCheckDigit(bob.idNumber) }, // unavailable: invalid number
      { kind: 'barcode', text: '2912345678905' }, // unavailable: a member nobody knows
    ];
    const decisions: Decision[] = [];
    for (const c of credentials) {
      const d = await t.present(c);
      const record = journal.getDecision(d.id);
      expect(record, d.outcome).toBeDefined();
      expect(record!.decision).toEqual(d);
      expect(record!.terminalId).toBe('journal-test-terminal');
      decisions.push(d);
    }
    expect(decisions.map((d) => d.outcome)).toEqual(['granted', 'denied', 'unavailable', 'unavailable']);
    expect(seenInListener).toEqual(decisions.map((d) => d.id));
    expect(journal.backlog().decisions.count).toBe(4);
    expect(journal.pendingUploads('decisions', 10).map((i) => i.id)).toEqual(decisions.map((d) => d.id));
  });

  it('a failing journal rejects present() with the typed error, raises one alarm, and clears it on the next good write', async () => {
    const clock = movableClock('2026-11-26T10:00:00+08:00');
    const journal = new SwitchableJournal(createMemoryJournal({ clock }));
    const t = terminal(clock, 'library-kiosk', { journal });
    const alarms = alarmsOf(t);
    const decided: Decision[] = [];
    t.on('decision', (d) => void decided.push(d));
    const errors: string[] = [];
    t.on('warning', (e) => void errors.push(e.code));

    await t.present(card(alice));
    expect(alarms).toEqual([]);

    journal.fail();
    const first = await rejection(t.present(card(alice)));
    expect(isXinyiError(first, 'JOURNAL_FULL'), String(first)).toBe(true);
    const second = await rejection(t.present(card(bob)));
    expect(isXinyiError(second, 'JOURNAL_FULL'), String(second)).toBe(true);

    expect(alarms).toEqual([{ kind: 'journal-unavailable', active: true, code: 'JOURNAL_FULL' }]);
    // The unrecorded decisions never reached anyone who could act on them.
    expect(decided).toHaveLength(1);
    expect(journal.inner.counts().decisions).toBe(1);
    expect(errors).toEqual(['JOURNAL_FULL', 'JOURNAL_FULL']);
    expect(journalAlarms(t)).toEqual(['journal-unavailable']);

    journal.heal();
    const d = await t.present(card(bob));
    expect(journal.getDecision(d.id)).toBeDefined();
    expect(alarms).toEqual([
      { kind: 'journal-unavailable', active: true, code: 'JOURNAL_FULL' },
      { kind: 'journal-unavailable', active: false },
    ]);
    expect(journalAlarms(t)).toEqual([]);
    await t.present(card(dave));
    expect(alarms).toHaveLength(2);
  });

  it('an untyped journal failure becomes JOURNAL_UNAVAILABLE with the original as cause', async () => {
    const clock = movableClock('2026-11-26T10:00:00+08:00');
    const journal = new SwitchableJournal(createMemoryJournal({ clock }));
    const t = terminal(clock, 'library-kiosk', { journal });
    const alarms = alarmsOf(t);
    const cause = new Error('EIO: i/o error, write');
    journal.fail(() => cause);
    const error = await rejection(t.present(card(alice)));
    expect(isXinyiError(error, 'JOURNAL_UNAVAILABLE'), String(error)).toBe(true);
    expect((error as XinyiError).cause).toBe(cause);
    expect(alarms).toEqual([{ kind: 'journal-unavailable', active: true, code: 'JOURNAL_UNAVAILABLE' }]);
  });

  it('a journal that cannot be read at all (usage counters) also rejects with the typed error and raises the alarm', async () => {
    const clock = movableClock('2026-11-26T10:00:00+08:00');
    const journal = new SwitchableJournal(createMemoryJournal({ clock }));
    const t = terminal(clock, 'scenic-gate', { journal });
    const alarms = alarmsOf(t);
    journal.fail(() => new XinyiError('JOURNAL_UNAVAILABLE', 'the journal could not read usage'), true);
    const error = await rejection(t.present(card(alice)));
    expect(isXinyiError(error, 'JOURNAL_UNAVAILABLE'), String(error)).toBe(true);
    expect(alarms).toEqual([{ kind: 'journal-unavailable', active: true, code: 'JOURNAL_UNAVAILABLE' }]);
    expect(t.diagnostics().journal).toEqual({ kind: 'memory', error: 'JOURNAL_UNAVAILABLE' });

    journal.heal();
    const d = await t.present(card(alice));
    expect(alarms.at(-1)).toEqual({ kind: 'journal-unavailable', active: false });

    journal.fail(() => new Error('SQLITE_IOERR'), true);
    const lookup = thrown(() => t.confirmUse(d.id));
    expect(isXinyiError(lookup, 'JOURNAL_UNAVAILABLE'), String(lookup)).toBe(true);
    expect(alarms.at(-1)).toEqual({ kind: 'journal-unavailable', active: true, code: 'JOURNAL_UNAVAILABLE' });
  });
});

describe('terminal with a journal: the alarm ends on a write probe, with no decision', () => {
  it('probes while the alarm is on, keeps it while the probe fails, and ends it at the first probe that writes', async () => {
    const clock = movableClock('2026-11-26T10:00:00+08:00');
    const journal = new SwitchableJournal(createMemoryJournal({ clock }));
    const t = terminal(clock, 'library-kiosk', { journal, journalProbeIntervalMs: 10 });
    const alarms = alarmsOf(t);
    await t.present(card(alice));
    expect(journal.probes).toBe(0);

    journal.fail();
    await rejection(t.present(card(bob)));
    expect(alarms).toEqual([{ kind: 'journal-unavailable', active: true, code: 'JOURNAL_FULL' }]);
    // Still full: the probes fail and the alarm stays.
    await until(() => journal.probes >= 3, 'three failed probes');
    expect(alarms).toHaveLength(1);
    expect(journalAlarms(t)).toEqual(['journal-unavailable']);

    // The disk is freed; nobody presents anything. The next probe ends the alarm.
    journal.heal();
    await until(() => alarms.length === 2, 'the alarm to end');
    expect(alarms[1]).toEqual({ kind: 'journal-unavailable', active: false });
    expect(journalAlarms(t)).toEqual([]);
    expect(journal.inner.counts().decisions).toBe(1);
    await t.close();
  });

  it('a read failure (usage counters) ends the same way; a journal without probeWrite waits for a decision', async () => {
    const clock = movableClock('2026-11-26T10:00:00+08:00');
    const journal = new SwitchableJournal(createMemoryJournal({ clock }));
    const t = terminal(clock, 'scenic-gate', { journal, journalProbeIntervalMs: 10 });
    const alarms = alarmsOf(t);
    journal.fail(() => new XinyiError('JOURNAL_UNAVAILABLE', 'the journal could not read usage'), true);
    await rejection(t.present(card(alice)));
    journal.heal();
    await until(() => alarms.length === 2, 'the alarm to end');
    expect(alarms.at(-1)).toEqual({ kind: 'journal-unavailable', active: false });
    await t.close();

    const unprobed = new SwitchableJournal(createMemoryJournal({ clock }));
    Object.defineProperty(unprobed, 'probeWrite', { value: undefined });
    const bare = terminal(clock, 'library-kiosk', { journal: unprobed, journalProbeIntervalMs: 10 });
    const bareAlarms = alarmsOf(bare);
    unprobed.fail();
    await rejection(bare.present(card(alice)));
    unprobed.heal();
    await bare.present(card(bob));
    expect(bareAlarms.map((a) => a.active)).toEqual([true, false]);
    expect(unprobed.probes).toBe(0);
    await bare.close();
  });

  it('refuses a probe interval out of range', () => {
    const clock = movableClock('2026-11-26T10:00:00+08:00');
    for (const journalProbeIntervalMs of [0, 5, Number.NaN, 3_600_001]) {
      const error = thrown(() => terminal(clock, 'library-kiosk', { journalProbeIntervalMs }));
      expect(isXinyiError(error, 'INVALID_OPTIONS'), String(journalProbeIntervalMs)).toBe(true);
    }
  });
});

describe('confirmUse', () => {
  it('counts a granted decision once, by object or by id', async () => {
    const clock = movableClock('2026-11-26T10:00:00+08:00');
    const journal = createMemoryJournal({ clock });
    const t = terminal(clock, 'library-kiosk', { journal });
    const d = await t.present(card(alice)); // AA: loan limit and loan extension
    expect(d.benefits.length).toBe(2);
    const pseudonym = d.subject!.pseudonym;
    expect(t.confirmUse(d)).toBe(2);
    expect(t.confirmUse(d)).toBe(0);
    expect(t.confirmUse(d.id)).toBe(0);
    const counts = journal.usageCounts(pseudonym, clock.now());
    for (const b of d.benefits) expect(counts[b.ruleId]).toEqual({ day: 1, month: 1, year: 1 });

    const again = await t.present(card(alice));
    expect(t.confirmUse(again.id)).toBe(2);
    expect(journal.usageCounts(pseudonym, clock.now())[d.benefits[0]!.ruleId]!.day).toBe(2);
  });

  it('counts nothing for a denied decision, nor without a journal', async () => {
    const clock = movableClock('2026-11-26T10:00:00+08:00');
    const journal = createMemoryJournal({ clock });
    const t = terminal(clock, 'library-kiosk', { journal });
    const denied = await t.present(card(carol));
    expect(denied.outcome).toBe('denied');
    expect(t.confirmUse(denied)).toBe(0);
    expect(t.confirmUse(denied.id)).toBe(0);
    expect(journal.counts().usage).toBe(0);

    const bare = terminal(clock, 'library-kiosk');
    const granted = await bare.present(card(alice));
    expect(granted.outcome).toBe('granted');
    expect(bare.confirmUse(granted)).toBe(0);
    expect(bare.confirmUse('no-such-decision')).toBe(0);
  });

  it('throws INVALID_ARGUMENT for an id the journal does not hold', () => {
    const clock = movableClock('2026-11-26T10:00:00+08:00');
    const t = terminal(clock, 'library-kiosk', { journal: createMemoryJournal({ clock }) });
    const error = thrown(() => t.confirmUse('decision-that-never-was'));
    expect(isXinyiError(error, 'INVALID_ARGUMENT'), String(error)).toBe(true);
  });

  it('a failing journal makes confirmUse throw the typed error and raises the alarm', async () => {
    const clock = movableClock('2026-11-26T10:00:00+08:00');
    const journal = new SwitchableJournal(createMemoryJournal({ clock }));
    const t = terminal(clock, 'library-kiosk', { journal });
    const alarms = alarmsOf(t);
    const d = await t.present(card(alice));
    journal.fail();
    const error = thrown(() => t.confirmUse(d));
    expect(isXinyiError(error, 'JOURNAL_FULL'), String(error)).toBe(true);
    expect(alarms).toEqual([{ kind: 'journal-unavailable', active: true, code: 'JOURNAL_FULL' }]);
    journal.heal();
    expect(t.confirmUse(d)).toBe(2);
    expect(alarms.at(-1)).toEqual({ kind: 'journal-unavailable', active: false });
  });

  it('the scenic free-entry cap (once a day) counts only confirmed entries, and resets at the Asia/Shanghai midnight', async () => {
    // A Thursday with no holiday near it.
    const clock = movableClock('2026-11-26T10:00:00+08:00');
    const journal = createMemoryJournal({ clock });
    const t = terminal(clock, 'scenic-gate', { journal });
    const freeEntry = (d: Decision) => d.benefits.some((b) => b.ruleId === 'scenic.free-entry');

    const first = await t.present(card(alice));
    expect(freeEntry(first)).toBe(true);
    // While its opening is pending, the day's entry is held for it: a second presentation is refused.
    const meanwhile = await t.present(card(alice));
    expect(meanwhile.reasons).toContainEqual({ code: ReasonCode.CAP_PENDING, ruleId: 'scenic.free-entry' });
    expect(meanwhile.explanation.citizen).toContain('其他通道');
    // Never confirmed (the person did not pass; the lane releases it): the day's entry is not spent.
    t.releaseUse(first);
    const retry = await t.present(card(alice));
    expect(freeEntry(retry)).toBe(true);
    expect(t.confirmUse(retry)).toBe(1);

    clock.set('2026-11-26T15:00:00+08:00');
    const secondEntry = await t.present(card(alice));
    expect(secondEntry.outcome).toBe('denied');
    expect(secondEntry.reasons).toContainEqual({ code: ReasonCode.CAP_REACHED, ruleId: 'scenic.free-entry' });
    expect(t.confirmUse(secondEntry)).toBe(0);
    // Someone else is not affected by alice's entry.
    expect(freeEntry(await t.present(card(bob)))).toBe(true);

    clock.set('2026-11-26T23:59:59+08:00');
    expect(freeEntry(await t.present(card(alice)))).toBe(false);

    // Still 2026-11-26 in UTC, already the 27th in Shanghai: a new day.
    clock.set('2026-11-27T00:00:01+08:00');
    const nextDay = await t.present(card(alice));
    expect(freeEntry(nextDay)).toBe(true);
    expect(t.confirmUse(nextDay)).toBe(1);
    clock.set('2026-11-27T09:00:00+08:00');
    expect(freeEntry(await t.present(card(alice)))).toBe(false);
  });
});

// Synthetic organisations (generateOrganisations): valid credit codes, never real ones.
const [acme, bolt, coop] = generateOrganisations(3, 'terminal-journal-test', {
  mix: { AA: 1 },
  redListRate: 0,
  blackListRate: 0,
  keyAttentionRate: 0,
}) as [SyntheticOrganisation, SyntheticOrganisation, SyntheticOrganisation];

const typed = (organisation: SyntheticOrganisation): Credential => ({
  kind: 'organisation',
  entry: 'typed',
  text: organisation.creditCode,
});

/** The platform as it knows organisations: by the pseudonym of the credit code, typed as organisations. */
function organisationPlatform(clock: Clock) {
  return createInMemoryCreditProvider({
    name: 'platform',
    clock,
    standings: [
      [
        pseudonymizer.pseudonymize(acme.creditCode, 'organisation-code'),
        { tier: 'AA', lists: [], subjectType: 'organisation' },
      ],
      [
        pseudonymizer.pseudonymize(bolt.creditCode, 'organisation-code'),
        { tier: 'A', lists: [], subjectType: 'organisation' },
      ],
      [
        pseudonymizer.pseudonymize(coop.creditCode, 'organisation-code'),
        { tier: 'AAA', lists: [{ kind: 'black' }], subjectType: 'organisation' },
      ],
    ],
  });
}

describe('disclosure records (信易批, at the decision)', () => {
  it('a service-window grant to a company commits one record per disclosed rule, with the masked code and a due date', async () => {
    const clock = movableClock('2026-11-26T10:00:00+08:00'); // Thursday
    const journal = createMemoryJournal({ clock });
    const t = terminal(clock, 'service-window', { journal, credit: [organisationPlatform(clock)] });
    const d = await t.present(typed(acme));
    expect(d.outcome).toBe('granted');
    expect(d.subjectType).toBe('organisation');
    expect(d.subject!.masked).toBe(maskSocialCreditCode(acme.creditCode));
    const disclosedRules = qingzhouPolicyPack.rules
      .filter((r) => r.scene === 'service-window' && r.disclosure !== undefined)
      .map((r) => r.id);
    expect(disclosedRules).toHaveLength(6);
    expect(d.disclosures.map((x) => x.ruleId).sort()).toEqual([...disclosedRules].sort());

    const pending = journal.pendingUploads('disclosures', 100);
    expect(pending.map((p) => p.id).sort()).toEqual(disclosedRules.map((r) => `${d.id}:${r}`).sort());
    for (const item of pending) {
      const record = item.payload as DisclosureRecord;
      expect(record.decisionId).toBe(d.id);
      expect(record.terminalId).toBe('journal-test-terminal');
      expect(record.scheme).toBe('信易批');
      expect(record.subjectType).toBe('organisation');
      expect(record.maskedName).toBe(d.subject!.masked);
      // Seven working days after Thursday 26 November 2026: 27, 30, 1, 2, 3, 4, 7 December.
      expect(record.dueDate).toBe('2026-12-07');
      expect(record.dueDateBasis).toBe('holiday-calendar');
      expect(record.grantedAt).toBe(d.at);
      expect(record.legalBasis).toMatch(/^《青州市“信易\+”实施方案》（青办发〔2018〕52号）“信易[批医]”$/);
      expect(JSON.stringify(record)).not.toContain(acme.creditCode.slice(1, 17));
    }
    expect(journal.backlog().disclosures.count).toBe(disclosedRules.length);
  });

  it('a person at the window is not served and not disclosed; a black-listed company gets nothing and no record', async () => {
    const clock = movableClock('2026-11-26T10:00:00+08:00');
    const journal = createMemoryJournal({ clock });
    const t = terminal(clock, 'service-window', {
      journal,
      credit: [organisationPlatform(clock), platform(clock, [[alice.idNumber, 'AAA']])],
    });
    const person = await t.present(card(alice, alice.name));
    expect(person.outcome).toBe('denied');
    expect(person.reasons).toEqual([{ code: 'SUBJECT_TYPE_NOT_COVERED' }]);
    expect(person.explanation.citizen).toBe('此处的信用优惠面向企业等市场主体，按常规流程办理。');
    // Nobody is looked up where the programme does not apply: the person's standing was never asked for.
    expect(person.standingSource).toBe('none');
    expect(person.effectiveTier).toBeNull();
    const blocked = await t.present(typed(coop));
    expect(blocked.outcome).toBe('denied');
    expect(blocked.reasons).toEqual([{ code: 'LIST_BLOCK' }]);
    expect(journal.backlog().disclosures.count).toBe(0);
  });

  it('other scenes commit no disclosure records', async () => {
    const clock = movableClock('2026-11-26T10:00:00+08:00');
    const journal = createMemoryJournal({ clock });
    const t = terminal(clock, 'library-kiosk', { journal });
    await t.present(card(alice, alice.name));
    expect(journal.backlog().disclosures.count).toBe(0);
  });
});

describe('disclosure records (信易贷, once the credit is granted)', () => {
  it('a bank decision commits no record; confirmUse commits them, granted and due from the confirmation, once', async () => {
    const clock = movableClock('2026-11-26T10:00:00+08:00');
    const journal = createMemoryJournal({ clock });
    const t = terminal(clock, 'bank-counter', { journal, credit: [organisationPlatform(clock)] });
    const d = await t.present(typed(bolt));
    expect(d.outcome).toBe('granted');
    expect(d.disclosures.map((x) => x.on)).toEqual(['use', 'use']);
    // Decided, not granted: the bank has not lent anything yet.
    expect(journal.backlog().disclosures.count).toBe(0);

    // The credit is approved the next Wednesday.
    clock.set('2026-12-02T15:00:00+08:00');
    expect(t.confirmUse(d.id)).toBe(2);
    const records = journal.pendingUploads('disclosures', 10).map((i) => i.payload as DisclosureRecord);
    expect(records.map((r) => [r.ruleId, r.grantedAt, r.dueDate])).toEqual([
      ['bank.fast-track-credit', '2026-12-02T07:00:00.000Z', '2026-12-11'],
      ['bank.rate-discount', '2026-12-02T07:00:00.000Z', '2026-12-11'],
    ]);
    expect(records.map((r) => r.benefit)).toEqual(['信用快贷（30万元以下）', '贷款利率9.5折']);
    expect(records.every((r) => r.maskedName === d.subject!.masked && r.subjectType === 'organisation')).toBe(
      true,
    );
    clock.set('2026-12-03T09:00:00+08:00');
    expect(t.confirmUse(d)).toBe(0);
    expect(journal.counts().disclosures).toBe(2);
  });

  it('a journal that fails at the confirmation keeps neither the use nor the records', async () => {
    const clock = movableClock('2026-11-26T10:00:00+08:00');
    const journal = new SwitchableJournal(createMemoryJournal({ clock }));
    const t = terminal(clock, 'bank-counter', { journal, credit: [organisationPlatform(clock)] });
    const d = await t.present(typed(acme));
    journal.fail();
    expect(
      isXinyiError(
        thrown(() => t.confirmUse(d)),
        'JOURNAL_FULL',
      ),
    ).toBe(true);
    journal.heal();
    expect(journal.counts()).toMatchObject({ usage: 0, disclosures: 0 });
    expect(t.confirmUse(d)).toBe(2);
    expect(journal.counts()).toMatchObject({ usage: 2, disclosures: 2 });
  });

  it('where a pack lends to persons, the masked name read at the decision is published at the confirmation', async () => {
    const clock = movableClock('2026-11-26T10:00:00+08:00');
    const journal = createMemoryJournal({ clock });
    const forPersons = {
      ...qingzhouPolicyPack,
      version: 'test-bank-for-persons',
      coverage: {
        ...qingzhouPolicyPack.coverage,
        'bank-counter': { fact: 'subjectType', op: 'eq', value: 'person' },
      },
    } as typeof qingzhouPolicyPack;
    const options = { journal, policy: forPersons };
    const t = terminal(clock, 'bank-counter', options);
    const d = await t.present(card(alice, alice.name));
    expect(d.outcome).toBe('granted');
    t.confirmUse(d);
    const names = journal
      .pendingUploads('disclosures', 10)
      .map((i) => (i.payload as DisclosureRecord).maskedName);
    expect(names).toEqual([maskName(alice.name), maskName(alice.name)]);
    // A terminal started afterwards never saw the name: it publishes the masked ID number instead.
    const second = await t.present(card(dave, dave.name));
    const restarted = terminal(clock, 'bank-counter', options);
    restarted.confirmUse(second.id);
    const later = journal
      .pendingUploads('disclosures', 10)
      .map((i) => i.payload as DisclosureRecord)
      .filter((r) => r.decisionId === second.id);
    expect(later.map((r) => r.maskedName)).toEqual([second.subject!.masked, second.subject!.masked]);
    expect(JSON.stringify(later)).not.toContain(dave.name);
  });
});

describe('organisation credentials', () => {
  it('an unusable code is CREDENTIAL_INVALID naming the rule, never the code, and the company is served normally', async () => {
    const clock = movableClock('2026-11-26T10:00:00+08:00');
    const journal = createMemoryJournal({ clock });
    const t = terminal(clock, 'bank-counter', { journal, credit: [organisationPlatform(clock)] });
    const errors: XinyiError[] = [];
    t.on('warning', (e) => errors.push(e));
    const code = acme.creditCode;
    const cases: [Credential, string][] = [
      [
        { kind: 'organisation', entry: 'typed', text: `${code.slice(0, 17)}${code[17] === '0' ? '1' : '0'}` },
        'check-char',
      ],
      [{ kind: 'organisation', entry: 'typed', text: code.slice(0, 17) }, 'length'],
      [{ kind: 'organisation', entry: 'scanned', text: `${code.slice(0, 9)}O${code.slice(10)}` }, 'charset'],
      [
        { kind: 'organisation', entry: 'licence-qr', text: 'https://www.gsxt.gov.cn/%7B0A1B%7D' },
        'licence-qr-without-code',
      ],
      [
        { kind: 'organisation', entry: 'licence-qr', text: `https://example.com/?c=${code}` },
        'licence-qr-unrecognised',
      ],
    ];
    for (const [credential, problem] of cases) {
      const d = await t.present(credential);
      expect(d.outcome).toBe('unavailable');
      expect(d.reasons).toEqual([{ code: 'CREDENTIAL_INVALID' }]);
      expect(d.subjectType).toBe('organisation');
      const error = errors.at(-1)!;
      expect(error.code).toBe('CREDENTIAL_INVALID');
      expect(error.details).toEqual({ problem, entry: (credential as { entry: string }).entry });
      expect(`${error.message}${JSON.stringify(d)}`).not.toContain(code.slice(2, 16));
    }
    // The same company, read from its licence QR, is served.
    const licence = await t.present({
      kind: 'organisation',
      entry: 'licence-qr',
      text: `https://www.gsxt.gov.cn/index.html?uniscid=${code}`,
    });
    expect(licence.outcome).toBe('granted');
    expect(licence.subject!.pseudonym).toBe(pseudonymizer.pseudonymize(code, 'organisation-code'));
  });

  it('a malformed organisation credential object is INVALID_ARGUMENT', async () => {
    const clock = movableClock('2026-11-26T10:00:00+08:00');
    const t = terminal(clock, 'bank-counter');
    for (const bad of [
      { kind: 'organisation', entry: 'typed' },
      { kind: 'organisation', entry: 'spoken', text: acme.creditCode },
    ]) {
      expect(isXinyiError(await rejection(t.present(bad as unknown as Credential)), 'INVALID_ARGUMENT')).toBe(
        true,
      );
    }
  });
});

/** A device the test drives: credentials and state changes on demand. */
function fakeDevice(name: string) {
  const credentialListeners = new Set<(c: Credential) => void>();
  const stateListeners = new Set<(state: string, reason?: string) => void>();
  const device: CredentialSource & {
    read(c: Credential): void;
    state(state: string, reason?: string): void;
    listeners(): number;
  } = {
    name,
    onCredential(listener) {
      credentialListeners.add(listener);
      return () => credentialListeners.delete(listener);
    },
    onState(listener) {
      stateListeners.add(listener);
      return () => stateListeners.delete(listener);
    },
    read: (c) => {
      for (const l of credentialListeners) l(c);
    },
    state: (state, reason) => {
      for (const l of stateListeners) l(state, reason);
    },
    listeners: () => credentialListeners.size + stateListeners.size,
  };
  return device;
}

describe('diagnostics()', () => {
  it('reports versions, credit sources, devices, last errors and the journal backlog, with no personal data or key', async () => {
    const clock = movableClock('2026-11-26T10:00:00+08:00');
    const journal = createMemoryJournal({ clock });
    const deadPlatform: CreditResolver = {
      name: 'platform',
      timeoutMs: 300,
      resolve: async () => {
        throw new XinyiError('CREDIT_UNAVAILABLE', 'platform: HTTP 503');
      },
    };
    const snapshot = platform(
      clock,
      [
        [alice.idNumber, 'AA'],
        [bob.idNumber, 'A'],
      ],
      'snapshot',
    );
    // A pack that also serves persons at its windows, and a window handling a major construction
    // project (重大建设项目): persons' grants are disclosed there, so the disclosure backlog shows.
    const t = terminal(clock, 'service-window', {
      journal,
      credit: [deadPlatform, snapshot],
      decisionDeadlineMs: 700,
      policy: {
        ...qingzhouPolicyPack,
        version: 'test-major-projects',
        coverage: {
          ...qingzhouPolicyPack.coverage,
          'service-window': { fact: 'subjectType', op: 'ne', value: 'organisation' },
        },
      },
      context: { majorProject: true },
    });
    const reader = fakeDevice('id-card-reader');
    const detach = t.attach(reader);
    reader.state('ready');

    const decided = new Promise<Decision>((resolve) => t.once('decision', resolve));
    reader.read(card(alice, alice.name));
    const fromDevice = await decided;
    expect(fromDevice.outcome).toBe('granted');
    await t.present(card(bob, bob.name));
    await t.present({ kind: 'id-card', idNumber: withBadCheckDigit(carol.idNumber), name: carol.name });
    clock.set('2026-11-26T10:05:00+08:00');
    reader.state('reconnecting', 'DEVICE_DISCONNECTED');

    const diag = t.diagnostics();
    expect(diag.sdkVersion).toBe(SDK_VERSION);
    expect(diag.node).toBe(process.version);
    expect(diag.terminalId).toBe('journal-test-terminal');
    expect(diag.scene).toBe('service-window');
    expect(diag.policy).toEqual({ packId: qingzhouPolicyPack.packId, version: 'test-major-projects' });
    expect(diag.calendarVersion).toBe(defaultHolidayCalendar.version);
    expect(diag.decisionDeadlineMs).toBe(700);
    expect(diag.decisions).toEqual({ granted: 2, denied: 0, unavailable: 1 });
    expect(diag.creditSources).toEqual([
      { name: 'platform', offline: true, timeoutMs: 300 },
      { name: 'snapshot', offline: false },
    ]);
    expect(diag.devices).toEqual({
      'id-card-reader': {
        state: 'reconnecting',
        reason: 'DEVICE_DISCONNECTED',
        since: new Date(clock.now()).toISOString(),
      },
    });
    // Official coverage ends 2026-12-31, 36 days after the test's day: the calendar alarm is up.
    expect(diag.alarms).toEqual(['calendar-coverage']);
    expect(diag.calendar).toMatchObject({
      officialThrough: '2026-12-31',
      officialDaysLeft: 36,
      warning: true,
    });
    const codes = diag.lastErrors.map((e) => e.code);
    expect(codes).toContain('CREDIT_UNAVAILABLE');
    expect(codes.at(-1)).toBe('ID_NUMBER_INVALID');
    expect(diag.journal).toMatchObject({
      kind: 'memory',
      backlog: { decisions: { count: 3 }, disclosures: { count: 12 } },
      counts: { decisions: 3, disclosures: 12 },
      overdueDisclosures: 0,
    });

    // Past the due date with nothing uploaded, the records are overdue.
    clock.set('2026-12-08T09:00:00+08:00');
    expect(t.diagnostics().journal).toMatchObject({ overdueDisclosures: 12 });

    const text = JSON.stringify(t.diagnostics());
    for (const person of [alice, bob, carol]) {
      expect(text).not.toContain(person.idNumber);
      expect(text).not.toContain(person.idNumber.slice(0, 17));
      expect(text).not.toContain(person.name);
    }
    expect(text).not.toContain(KEY);

    detach();
    expect(reader.listeners()).toBe(0);
  });

  it('without a journal the journal entry is null; close() detaches every device', async () => {
    const clock = movableClock('2026-11-26T10:00:00+08:00');
    const t = terminal(clock, 'library-kiosk');
    const reader = fakeDevice('reader');
    t.attach(reader);
    expect(reader.listeners()).toBe(2);
    expect(t.diagnostics().journal).toBeNull();
    expect(t.diagnostics().devices).toEqual({});
    await t.close();
    expect(reader.listeners()).toBe(0);
  });
});
