import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Decision } from '../../../sdk/domain/decision.js';
import { XinyiError } from '../../../sdk/errors.js';
import { createPseudonymizer } from '../../../sdk/identity/index.js';
import type { JournalEventInput, JournalStore } from '../../../sdk/journal/journal-store.js';
import { createMemoryJournal } from '../../../sdk/journal/memory-journal.js';
import { createSqliteJournal } from '../../../sdk/journal/sqlite-journal.js';
import { createInMemoryCreditProvider } from '../../../sdk/terminal/in-memory-credit-provider.js';
import { createTerminal } from '../../../sdk/terminal/terminal.js';
import type { OverrideInput, OverrideRecord, Terminal } from '../../../sdk/terminal/terminal-contract.js';
import { generatePopulation } from '../../../simulator/population.js';
import { thrownXinyiError } from '../../support/thrown.js';

const pseudonymizer = createPseudonymizer('terminal-override-test-pseudonym-key-0123456789');
// Synthetic people only (generatePopulation): never hand-written personal data.
const [patient, lowTier, other] = generatePopulation(3, 'terminal-override-test') as [
  ReturnType<typeof generatePopulation>[number],
  ReturnType<typeof generatePopulation>[number],
  ReturnType<typeof generatePopulation>[number],
];
const NOW = Date.parse('2026-11-26T02:00:00Z');

function hospitalDesk(journal: JournalStore | undefined, clock = { now: () => NOW }): Terminal {
  let id = 0;
  return createTerminal({
    terminalId: 'desk-hospital-test',
    scene: 'hospital-admission',
    pseudonymizer,
    clock,
    credit: [
      createInMemoryCreditProvider({
        clock,
        standings: [
          [pseudonymizer.pseudonymize(patient.idNumber), { tier: 'AA', lists: [] }],
          [pseudonymizer.pseudonymize(lowTier.idNumber), { tier: 'B', lists: [] }],
        ],
      }),
    ],
    ...(journal ? { journal } : {}),
    newDecisionId: () => `decision-${++id}`,
  });
}

const review: OverrideInput = {
  staffId: 'N-0417',
  reason: '急诊入院，家属已签署缴费承诺书',
  outcome: 'granted',
  benefits: [
    { kind: 'deposit-waiver', item: 'inpatient-deposit', maxFen: 300_000 },
    { kind: 'docs-deferred' },
  ],
};

describe('terminal.recordOverride', () => {
  it('commits an override event for a denied decision, emits it and returns the record', async () => {
    const journal = createMemoryJournal();
    const terminal = hospitalDesk(journal);
    const decision = await terminal.present({ kind: 'id-card', idNumber: lowTier.idNumber });
    expect(decision.outcome).toBe('denied');
    const emitted: OverrideRecord[] = [];
    terminal.on('override', (record) => emitted.push(record));

    const record = terminal.recordOverride(decision.id, { ...review, reason: `  ${review.reason} ` });

    expect(record).toEqual({
      decisionId: decision.id,
      terminalId: 'desk-hospital-test',
      scene: 'hospital-admission',
      at: new Date(NOW).toISOString(),
      staffId: 'N-0417',
      outcome: 'granted',
      reason: review.reason,
      decisionOutcome: 'denied',
      benefits: review.benefits,
    });
    expect(emitted).toEqual([record]);
    const events = journal.events({ kind: 'override' });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      kind: 'override',
      decisionId: decision.id,
      at: NOW,
      detail: {
        staffId: 'N-0417',
        outcome: 'granted',
        reason: review.reason,
        decisionOutcome: 'denied',
        benefits: JSON.stringify(review.benefits),
      },
    });
    // The reviewed decision itself is left as it was decided.
    expect(journal.getDecision(decision.id)?.decision.outcome).toBe('denied');
  });

  it('records a denial on review without benefits, and every later review of the same decision', async () => {
    const journal = createMemoryJournal();
    const terminal = hospitalDesk(journal);
    const decision = await terminal.present({ kind: 'id-card', idNumber: lowTier.idNumber });
    const first = terminal.recordOverride(decision.id, {
      staffId: 'N-0417',
      reason: '复核后维持：无急诊指征',
      outcome: 'denied',
    });
    expect(first.benefits).toEqual([]);
    terminal.recordOverride(decision.id, review);
    const events = journal.events({ kind: 'override' });
    expect(events.map((e) => e.detail?.outcome)).toEqual(['denied', 'granted']);
    expect(events[0]!.detail).not.toHaveProperty('benefits');
  });

  it('keeps the override in a SQLite journal across reopening', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xinyi-override-'));
    try {
      const path = join(dir, 'journal.sqlite');
      const journal = await createSqliteJournal({ path });
      const terminal = hospitalDesk(journal);
      const decision = await terminal.present({ kind: 'id-card', idNumber: lowTier.idNumber });
      terminal.recordOverride(decision.id, review);
      journal.close();
      const reopened = await createSqliteJournal({ path, readonly: true });
      expect(reopened.events({ kind: 'override' }).map((e) => [e.decisionId, e.detail?.reason])).toEqual([
        [decision.id, review.reason],
      ]);
      reopened.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('refuses', () => {
    const journal = createMemoryJournal();
    const terminal = hospitalDesk(journal);
    let decision: Decision;
    const ready = terminal.present({ kind: 'id-card', idNumber: lowTier.idNumber }).then((d) => {
      decision = d;
    });
    afterAll(() => journal.close());

    const cases: [string, () => [string, OverrideInput], string][] = [
      ['an unknown decision id', () => ['no-such-decision', review], 'decisionId'],
      ['an empty decision id', () => ['', review], 'decisionId'],
      [
        'a missing reason',
        () => [decision.id, { ...review, reason: undefined as unknown as string }],
        'reason',
      ],
      ['a blank reason', () => [decision.id, { ...review, reason: ' \n ' }], 'reason'],
      ['an overlong reason', () => [decision.id, { ...review, reason: '理'.repeat(501) }], 'reason'],
      ['a blank staff id', () => [decision.id, { ...review, staffId: '  ' }], 'staffId'],
      [
        'an unknown outcome',
        () => [decision.id, { ...review, outcome: 'maybe' as OverrideInput['outcome'] }],
        'outcome',
      ],
      ['benefits with a denial', () => [decision.id, { ...review, outcome: 'denied' }], 'benefits'],
      [
        'a benefit of unknown kind',
        () => [decision.id, { ...review, benefits: [{ kind: 'cash-back' } as never] }],
        'benefits[0]',
      ],
    ];
    for (const [name, args, field] of cases) {
      it(name, async () => {
        await ready;
        const [id, input] = args();
        const error = thrownXinyiError(() => terminal.recordOverride(id, input));
        expect(error.code).toBe('INVALID_ARGUMENT');
        expect(error.details.field).toBe(field);
        expect(journal.events({ kind: 'override' })).toEqual([]);
      });
    }

    it('a reason or staff id holding a resident ID number, without repeating it', async () => {
      await ready;
      for (const input of [
        { ...review, reason: `家属 ${other.idNumber} 担保` },
        { ...review, staffId: other.idNumber },
      ]) {
        const error = thrownXinyiError(() => terminal.recordOverride(decision.id, input));
        expect(error.code).toBe('INVALID_ARGUMENT');
        expect(error.message).not.toContain(other.idNumber);
        expect(JSON.stringify(error.details)).not.toContain(other.idNumber);
      }
      expect(journal.events({ kind: 'override' })).toEqual([]);
    });
  });

  it('needs a journal: an override that cannot be recorded is refused', async () => {
    const terminal = hospitalDesk(undefined);
    const decision = await terminal.present({ kind: 'id-card', idNumber: patient.idNumber });
    expect(thrownXinyiError(() => terminal.recordOverride(decision.id, review)).code).toBe(
      'JOURNAL_UNAVAILABLE',
    );
  });

  it('raises the journal alarm and emits nothing when the journal cannot be written', async () => {
    const inner = createMemoryJournal();
    const failing: JournalStore = Object.assign(Object.create(inner) as JournalStore, {
      kind: inner.kind,
      getDecision: (id: string) => inner.getDecision(id),
      commitDecision: (entry: Parameters<JournalStore['commitDecision']>[0]) => inner.commitDecision(entry),
      usageCounts: (p: string, now: number) => inner.usageCounts(p, now),
      appendEvent: (_event: JournalEventInput) => {
        throw new XinyiError('JOURNAL_FULL', 'the journal is full');
      },
    });
    const terminal = hospitalDesk(failing);
    const decision = await terminal.present({ kind: 'id-card', idNumber: lowTier.idNumber });
    const alarms: string[] = [];
    const overrides: OverrideRecord[] = [];
    terminal.on('alarm', (a) => alarms.push(`${a.kind}:${a.active}`));
    terminal.on('override', (r) => overrides.push(r));
    expect(thrownXinyiError(() => terminal.recordOverride(decision.id, review)).code).toBe('JOURNAL_FULL');
    expect(alarms).toEqual(['journal-unavailable:true']);
    expect(overrides).toEqual([]);
  });

  it('still returns the record when an override listener throws', async () => {
    const journal = createMemoryJournal();
    const terminal = hospitalDesk(journal);
    const decision = await terminal.present({ kind: 'id-card', idNumber: patient.idNumber });
    terminal.on('override', () => {
      throw new Error('host bug');
    });
    const record = terminal.recordOverride(decision.id, {
      staffId: 'N-0417',
      reason: '患者要求人工复核，复核后维持原决定',
      outcome: 'granted',
    });
    expect(record.decisionOutcome).toBe('granted');
    expect(journal.events({ kind: 'override' })).toHaveLength(1);
  });
});
