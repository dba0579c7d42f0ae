// One contract every JournalStore passes (memory-journal.test.ts, sqlite-journal.test.ts run it).
import { afterEach, describe, expect, it } from 'vitest';
import { chinaHolidayCalendar } from '../../../sdk/calendar/index.js';
import type { Clock } from '../../../sdk/clock.js';
import { isXinyiError } from '../../../sdk/errors.js';
import { disclosureRecordsFor } from '../../../sdk/journal/disclosure.js';
import type { DecisionUploadPayload, JournalStore } from '../../../sdk/journal/journal-store.js';
import { qingzhouPolicyPack } from '../../../sdk/policy/qingzhou-pack.js';
import { createRng } from '../../../simulator/prng.js';
import {
  DAY_MS,
  decisionFor,
  entryFor,
  type ManualClock,
  manualClock,
  organisations,
  people,
  TERMINAL_ID,
} from './fixtures.js';

export type JournalFactory = (clock: Clock) => JournalStore | Promise<JournalStore>;

export interface JournalContractOptions {
  /** Closes `journal` and opens the same store again (durable stores only). */
  reopen?: (journal: JournalStore, clock: Clock) => JournalStore | Promise<JournalStore>;
}

/** The backlog as the outbox itself says it is: every pending record listed and counted. */
export function recountedBacklog(j: JournalStore): ReturnType<JournalStore['backlog']> {
  const of = (kind: 'decisions' | 'disclosures') => {
    const pending = j.pendingUploads(kind, 1_000_000);
    return { count: pending.length, oldestAt: pending[0]?.committedAt ?? null };
  };
  return { decisions: of('decisions'), disclosures: of('disclosures') };
}

function expectCode(fn: () => unknown, code: string): void {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(isXinyiError(thrown), `expected a XinyiError ${code}, got ${String(thrown)}`).toBe(true);
  expect((thrown as { code: string }).code).toBe(code);
}

const at = (iso: string) => Date.parse(iso);

export function journalContract(
  name: string,
  factory: JournalFactory,
  options: JournalContractOptions = {},
): void {
  describe(`JournalStore contract: ${name}`, () => {
    let journal: JournalStore | undefined;
    let clock: ManualClock;

    async function open(start?: string): Promise<JournalStore> {
      clock = manualClock(start);
      journal = await factory(clock);
      return journal;
    }

    afterEach(() => {
      journal?.close();
      journal = undefined;
    });

    it('returns a committed decision as it was, with its terminal, seq and commit time', async () => {
      const j = await open();
      const entry = entryFor({ id: 'd-1' });
      j.commitDecision(entry);
      const record = j.getDecision('d-1');
      expect(record).toEqual({
        decision: JSON.parse(JSON.stringify(entry.decision)),
        terminalId: TERMINAL_ID,
        seq: expect.any(Number),
        committedAt: clock.now(),
        uploadedAt: null,
      });
      expect(j.getDecision('no-such-decision')).toBeUndefined();
      // The journal holds its own copy: the caller's object changing later changes nothing.
      entry.decision.outcome = 'denied';
      expect(j.getDecision('d-1')!.decision.outcome).toBe('granted');
    });

    it('commits the same decision id once, with the disclosures of the first commit', async () => {
      const j = await open();
      const first = entryFor({ id: 'd-1' });
      expect(first.disclosures).toHaveLength(2);
      j.commitDecision(first);
      const seq = j.getDecision('d-1')!.seq;
      clock.advance(1000);
      j.commitDecision({
        ...entryFor({ id: 'd-1', organisation: organisations[1] }),
        terminalId: 'other-terminal',
      });
      j.commitDecision({ ...first, disclosures: [] });
      expect(j.counts()).toMatchObject({ decisions: 1, disclosures: 2 });
      const record = j.getDecision('d-1')!;
      expect(record.seq).toBe(seq);
      expect(record.terminalId).toBe(TERMINAL_ID);
      expect(record.committedAt).toBe(clock.now() - 1000);
      j.commitDecision(entryFor({ id: 'd-2' }));
      expect(j.getDecision('d-2')!.seq).toBeGreaterThan(seq);
    });

    it('numbers commits in strictly increasing seq, in commit order', async () => {
      const j = await open();
      // Ids in an order that sorts differently from commit order.
      const ids = Array.from({ length: 40 }, (_, i) => `z${(i * 7919) % 40}-${i}`);
      for (const id of ids) j.commitDecision(entryFor({ id, scene: 'library-kiosk' }));
      const seqs = ids.map((id) => j.getDecision(id)!.seq);
      for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBeGreaterThan(seqs[i - 1]!);
      expect(j.pendingUploads('decisions', 1000).map((o) => o.id)).toEqual(ids);
    });

    it('gives the oldest pending uploads first, at most `limit`, with the payload to send', async () => {
      const j = await open();
      const entries = Array.from({ length: 12 }, (_, i) =>
        entryFor({ id: `d-${i}`, organisation: organisations[i] }),
      );
      for (const e of entries) {
        j.commitDecision(e);
        clock.advance(10);
      }
      const firstFive = j.pendingUploads('decisions', 5);
      expect(firstFive.map((o) => o.id)).toEqual(['d-0', 'd-1', 'd-2', 'd-3', 'd-4']);
      expect(firstFive[0]!.payload).toEqual({
        terminalId: TERMINAL_ID,
        decision: JSON.parse(JSON.stringify(entries[0]!.decision)),
      } satisfies DecisionUploadPayload);
      expect(firstFive[1]!.committedAt).toBe(firstFive[0]!.committedAt + 10);
      // The same record yields the same payload again (retries reuse the idempotency key and body).
      expect(j.pendingUploads('decisions', 1)[0]).toEqual(firstFive[0]);
      expect(j.pendingUploads('decisions', 0)).toEqual([]);

      const disclosures = j.pendingUploads('disclosures', 3);
      expect(disclosures.map((o) => o.id)).toEqual([
        'd-0:bank.fast-track-credit',
        'd-0:bank.rate-discount',
        'd-1:bank.fast-track-credit',
      ]);
      expect(disclosures[0]!.payload).toEqual(entries[0]!.disclosures![0]);
      expect(j.pendingUploads('disclosures', 1000)).toHaveLength(24);

      j.markUploaded('decisions', ['d-0', 'd-1', 'd-3'], clock.now());
      expect(j.pendingUploads('decisions', 3).map((o) => o.id)).toEqual(['d-2', 'd-4', 'd-5']);
    });

    it('marks uploads once, ignores unknown ids, and keeps the first upload time', async () => {
      const j = await open();
      j.commitDecision(entryFor({ id: 'd-1' }));
      j.commitDecision(entryFor({ id: 'd-2' }));
      const t1 = clock.now() + 5000;
      j.markUploaded('decisions', ['d-1', 'unknown'], t1);
      j.markUploaded('decisions', ['d-1'], t1 + 1);
      expect(j.getDecision('d-1')!.uploadedAt).toBe(t1);
      expect(j.getDecision('d-2')!.uploadedAt).toBeNull();
      j.markUploaded('disclosures', ['d-2:bank.rate-discount'], t1);
      expect(j.pendingUploads('disclosures', 10).map((o) => o.id)).toEqual([
        'd-1:bank.fast-track-credit',
        'd-1:bank.rate-discount',
        'd-2:bank.fast-track-credit',
      ]);
      j.markUploaded('decisions', [], t1);
      expect(j.backlog().decisions.count).toBe(1);
    });

    it('counts the backlog per kind with the commit time of the oldest', async () => {
      const j = await open();
      expect(j.backlog()).toEqual({
        decisions: { count: 0, oldestAt: null },
        disclosures: { count: 0, oldestAt: null },
      });
      const t0 = clock.now();
      j.commitDecision(entryFor({ id: 'd-1' }));
      clock.advance(60_000);
      j.commitDecision(entryFor({ id: 'd-2', scene: 'library-kiosk' }));
      clock.advance(60_000);
      j.commitDecision(entryFor({ id: 'd-3' }));
      expect(j.backlog()).toEqual({
        decisions: { count: 3, oldestAt: t0 },
        disclosures: { count: 4, oldestAt: t0 },
      });
      j.markUploaded('decisions', ['d-1'], clock.now());
      j.markUploaded('disclosures', ['d-1:bank.fast-track-credit', 'd-1:bank.rate-discount'], clock.now());
      expect(j.backlog()).toEqual({
        decisions: { count: 2, oldestAt: t0 + 60_000 },
        disclosures: { count: 2, oldestAt: t0 + 120_000 },
      });
    });

    it('keeps the backlog equal to the outbox through commits, repeats, marks in any order and purges', async () => {
      const j = await open();
      const rng = createRng(`backlog-${name}`);
      const committed: string[] = [];
      for (let step = 0; step < 400; step++) {
        clock.advance(rng.int(1, 5000));
        const roll = rng.int(0, 99);
        if (roll < 45 || committed.length === 0) {
          const id = `d-${committed.length}`;
          // Bank grants carry two disclosure records, library ones none.
          const scene = rng.int(0, 2) === 0 ? 'library-kiosk' : 'bank-counter';
          j.commitDecision(
            entryFor({
              id,
              person: people[committed.length % people.length],
              organisation: organisations[committed.length % organisations.length],
              scene,
            }),
          );
          committed.push(id);
        } else if (roll < 55) {
          j.commitDecision(entryFor({ id: committed[rng.int(0, committed.length - 1)] }));
        } else if (roll < 85) {
          const kind = roll < 75 ? 'decisions' : 'disclosures';
          // A window of the outbox, from its front or further in, plus ids marked before or unknown.
          const pending = j.pendingUploads(kind, 30).map((o) => o.id);
          const ids = pending.filter(() => rng.int(0, 2) > 0);
          ids.push('unknown-id', ...(kind === 'decisions' ? [committed[0]!] : []));
          j.markUploaded(kind, ids, clock.now());
        } else if (roll < 90) {
          j.purge(clock.now(), { decisions: 0, disclosures: 0 });
        }
        expect(j.backlog(), `step ${step}`).toEqual(recountedBacklog(j));
      }
      expect(j.backlog().decisions.count).toBeGreaterThan(0);
    });

    it.skipIf(options.reopen === undefined)(
      'keeps the backlog across close and reopen, and keeps counting from it',
      async () => {
        let j = await open();
        const t0 = clock.now();
        for (let i = 0; i < 6; i++) {
          j.commitDecision(entryFor({ id: `d-${i}`, organisation: organisations[i] }));
          clock.advance(1000);
        }
        j.markUploaded('decisions', ['d-0', 'd-2'], clock.now());
        j.markUploaded('disclosures', ['d-0:bank.fast-track-credit'], clock.now());
        const before = j.backlog();
        expect(before).toEqual({
          decisions: { count: 4, oldestAt: t0 + 1000 },
          disclosures: { count: 11, oldestAt: t0 },
        });
        j = await options.reopen!(j, clock);
        journal = j;
        expect(j.backlog()).toEqual(before);
        j.markUploaded('decisions', ['d-1', 'd-3'], clock.now());
        j.commitDecision(entryFor({ id: 'd-after' }));
        expect(j.backlog()).toEqual(recountedBacklog(j));
        expect(j.backlog().decisions).toEqual({ count: 3, oldestAt: t0 + 4000 });
      },
    );

    it('raises disclosures not uploaded after their Asia/Shanghai due date', async () => {
      const j = await open();
      // Granted Thursday 2026-11-26: 7 working days → due Monday 2026-12-07.
      j.commitDecision(entryFor({ id: 'd-1', at: '2026-11-26T10:00:00+08:00' }));
      expect(j.pendingUploads('disclosures', 1)[0]!.payload).toMatchObject({ dueDate: '2026-12-07' });
      expect(j.overdueDisclosures(at('2026-12-07T23:59:00+08:00'))).toEqual([]);
      // 2026-12-07T16:30Z is already 2026-12-08 in Shanghai.
      const overdue = j.overdueDisclosures(at('2026-12-07T16:30:00Z'));
      expect(overdue.map((d) => d.id)).toEqual(['d-1:bank.fast-track-credit', 'd-1:bank.rate-discount']);
      expect(overdue[0]).toMatchObject({ scheme: '信易贷', maskedName: expect.stringMatching(/\*/) });
      j.markUploaded('disclosures', ['d-1:bank.fast-track-credit'], clock.now());
      expect(j.overdueDisclosures(at('2026-12-09T10:00:00+08:00')).map((d) => d.id)).toEqual([
        'd-1:bank.rate-discount',
      ]);
    });

    it('counts a use once per (decision, rule), whatever the number of confirmations', async () => {
      const j = await open();
      const pseudonym = decisionFor().subject.pseudonym;
      const use = {
        decisionId: 'd-1',
        pseudonym,
        scene: 'scenic-gate' as const,
        ruleIds: ['scenic.free-entry', 'scenic.priority-lane'],
        at: clock.now(),
      };
      expect(j.recordUse(use)).toBe(2);
      expect(j.recordUse(use)).toBe(0);
      expect(j.recordUse({ ...use, ruleIds: ['scenic.free-entry', 'scenic.extra'] })).toBe(1);
      expect(
        j.recordUse({ ...use, decisionId: 'd-2', ruleIds: ['scenic.free-entry', 'scenic.free-entry'] }),
      ).toBe(1);
      expect(j.usageCounts(pseudonym, clock.now())).toEqual({
        'scenic.free-entry': { day: 2, month: 2, year: 2 },
        'scenic.priority-lane': { day: 1, month: 1, year: 1 },
        'scenic.extra': { day: 1, month: 1, year: 1 },
      });
      expect(
        j.usageCounts(decisionFor({ organisation: organisations[5] }).subject.pseudonym, clock.now()),
      ).toEqual({});
      expect(j.counts().usage).toBe(4);
    });

    it('commits the 公示 records of grants made on use with the use, once, in the outbox and the backlog', async () => {
      const j = await open();
      // The default pack: 信易贷's grants are disclosed when the credit is granted, not at the decision.
      const { decision, subject } = decisionFor({ id: 'd-1', pack: qingzhouPolicyPack });
      const records = (usedAtMs: number) =>
        disclosureRecordsFor({
          decision,
          terminalId: TERMINAL_ID,
          pack: qingzhouPolicyPack,
          calendar: chinaHolidayCalendar,
          moment: 'use',
          usedAtMs,
        });
      j.commitDecision({
        decision,
        terminalId: TERMINAL_ID,
        disclosures: disclosureRecordsFor({
          decision,
          terminalId: TERMINAL_ID,
          pack: qingzhouPolicyPack,
          calendar: chinaHolidayCalendar,
        }),
      });
      expect(j.backlog().disclosures.count).toBe(0);
      clock.advance(DAY_MS);
      const use = {
        decisionId: 'd-1',
        pseudonym: subject.pseudonym,
        scene: 'bank-counter' as const,
        ruleIds: decision.benefits.map((b) => b.ruleId),
        at: clock.now(),
        disclosures: records(clock.now()),
      };
      expect(j.recordUse(use)).toBe(2);
      expect(j.backlog().disclosures).toEqual({ count: 2, oldestAt: clock.now() });
      const pending = j.pendingUploads('disclosures', 10);
      expect(pending.map((o) => o.id)).toEqual(['d-1:bank.fast-track-credit', 'd-1:bank.rate-discount']);
      expect(pending[0]!.payload).toMatchObject({
        grantedAt: new Date(clock.now()).toISOString(),
        subjectType: 'organisation',
        scheme: '信易贷',
      });
      // Confirmed again (a retry, a second tap): nothing new, the first records stand.
      clock.advance(60_000);
      expect(j.recordUse({ ...use, at: clock.now(), disclosures: records(clock.now()) })).toBe(0);
      expect(j.pendingUploads('disclosures', 10)).toEqual(pending);
      expect(j.counts().disclosures).toBe(2);
      // A record of another decision is refused whole: neither the use nor the record is kept.
      expect(() => j.recordUse({ ...use, decisionId: 'd-2', disclosures: records(clock.now()) })).toThrow(
        /decisionId/,
      );
      expect(j.counts().usage).toBe(2);
    });

    it('counts uses in the Asia/Shanghai day, month and year, not the UTC ones', async () => {
      const j = await open();
      const pseudonym = decisionFor().subject.pseudonym;
      const use = (decisionId: string, iso: string) =>
        j.recordUse({
          decisionId,
          pseudonym,
          scene: 'scenic-gate',
          ruleIds: ['scenic.free-entry'],
          at: at(iso),
        });
      use('d-jan', '2026-01-15T12:00:00+08:00');
      use('d-mar', '2026-03-31T23:30:00+08:00');
      // 2026-03-31T23:30+08:00 and 2026-04-01T00:10+08:00 are both 2026-03-31 in UTC.
      expect(j.usageCounts(pseudonym, at('2026-03-31T23:50:00+08:00'))).toEqual({
        'scenic.free-entry': { day: 1, month: 1, year: 2 },
      });
      expect(j.usageCounts(pseudonym, at('2026-04-01T00:10:00+08:00'))).toEqual({
        'scenic.free-entry': { day: 0, month: 0, year: 2 },
      });
      use('d-apr', '2026-04-01T00:10:00+08:00');
      expect(j.usageCounts(pseudonym, at('2026-04-01T00:10:00+08:00'))).toEqual({
        'scenic.free-entry': { day: 1, month: 1, year: 3 },
      });
      use('d-dec', '2026-12-31T23:30:00+08:00');
      expect(j.usageCounts(pseudonym, at('2026-12-31T23:59:59+08:00'))).toEqual({
        'scenic.free-entry': { day: 1, month: 1, year: 4 },
      });
      // 2027-01-01T00:10+08:00 is still 2026-12-31 in UTC: a new year in Shanghai.
      expect(j.usageCounts(pseudonym, at('2027-01-01T00:10:00+08:00'))).toEqual({});
    });

    it('appends events and returns them oldest first, filtered by kind or the latest few', async () => {
      const j = await open();
      const t = clock.now();
      j.appendEvent({ kind: 'passage', at: t, decisionId: 'd-1', detail: { direction: 'in', lane: 2 } });
      j.appendEvent({ kind: 'alarm', at: t + 1, detail: { alarm: 'tailgating', active: true } });
      j.appendEvent({ kind: 'passage', at: t + 2, decisionId: 'd-2' });
      j.appendEvent({ kind: 'gate-timeout', at: t + 3 });
      const all = j.events();
      expect(all.map((e) => e.kind)).toEqual(['passage', 'alarm', 'passage', 'gate-timeout']);
      expect(all[0]).toEqual({
        seq: expect.any(Number),
        kind: 'passage',
        at: t,
        decisionId: 'd-1',
        detail: { direction: 'in', lane: 2 },
      });
      expect(all[3]).toEqual({ seq: expect.any(Number), kind: 'gate-timeout', at: t + 3 });
      for (let i = 1; i < all.length; i++) expect(all[i]!.seq).toBeGreaterThan(all[i - 1]!.seq);
      expect(j.events({ kind: 'passage' }).map((e) => e.decisionId)).toEqual(['d-1', 'd-2']);
      expect(j.events({ limit: 2 }).map((e) => e.kind)).toEqual(['passage', 'gate-timeout']);
      expect(j.events({ kind: 'passage', limit: 1 }).map((e) => e.decisionId)).toEqual(['d-2']);
      expect(j.events({ limit: 0 })).toEqual([]);
      expect(j.counts().events).toBe(4);
    });

    it('purges uploaded records past their retention and keeps every record not yet uploaded', async () => {
      const j = await open('2026-01-05T10:00:00+08:00');
      const old = '2026-01-05T10:00:00+08:00';
      j.commitDecision(entryFor({ id: 'old-uploaded', at: old }));
      j.commitDecision(entryFor({ id: 'old-pending', at: old }));
      j.appendEvent({ kind: 'passage', at: at(old) });
      const pseudonym = decisionFor().subject.pseudonym;
      j.recordUse({
        decisionId: 'old-uploaded',
        pseudonym,
        scene: 'bank-counter',
        ruleIds: ['r'],
        at: at(old),
      });
      j.markUploaded('decisions', ['old-uploaded'], at(old));
      j.markUploaded('disclosures', ['old-uploaded:bank.fast-track-credit'], at(old));

      const recent = '2026-11-20T10:00:00+08:00';
      clock.set(recent);
      j.commitDecision(entryFor({ id: 'recent-uploaded', at: recent }));
      j.markUploaded('decisions', ['recent-uploaded'], at(recent));
      j.appendEvent({ kind: 'passage', at: at(recent) });
      j.recordUse({
        decisionId: 'recent-uploaded',
        pseudonym,
        scene: 'bank-counter',
        ruleIds: ['r'],
        at: at(recent),
      });

      const now = at('2026-11-26T10:00:00+08:00');
      // Defaults: decisions 180 days, disclosures 365, events 30, usage 400.
      expect(j.purge(now, {})).toEqual({ decisions: 1, disclosures: 0, events: 1, usage: 0 });
      expect(j.getDecision('old-uploaded')).toBeUndefined();
      expect(j.getDecision('old-pending')).toBeDefined();
      expect(j.getDecision('recent-uploaded')).toBeDefined();

      // Shorter retention: the old uploaded disclosure and old use go too; nothing pending ever does.
      expect(j.purge(now, { disclosures: 100, usage: 100, decisions: 0 })).toEqual({
        decisions: 1,
        disclosures: 1,
        events: 0,
        usage: 1,
      });
      expect(j.getDecision('recent-uploaded')).toBeUndefined();
      expect(j.getDecision('old-pending')).toBeDefined();
      expect(j.counts()).toEqual({ decisions: 1, disclosures: 5, events: 1, usage: 1 });
      expect(j.purge(now + 10_000 * DAY_MS, { decisions: 0, disclosures: 0, events: 0, usage: 0 })).toEqual({
        decisions: 0,
        disclosures: 0,
        events: 1,
        usage: 1,
      });
      expect(j.backlog().decisions.count).toBe(1);
      expect(j.backlog().disclosures.count).toBe(5);
      expectCode(() => j.purge(now, { decisions: -1 }), 'INVALID_ARGUMENT');
    });

    it('never reuses a seq, even after a purge deleted the newest records', async () => {
      const j = await open();
      j.commitDecision(entryFor({ id: 'd-1' }));
      j.commitDecision(entryFor({ id: 'd-2' }));
      const last = j.getDecision('d-2')!.seq;
      j.markUploaded('decisions', ['d-1', 'd-2'], clock.now());
      expect(j.purge(clock.now() + 1, { decisions: 0 }).decisions).toBe(2);
      j.commitDecision(entryFor({ id: 'd-3' }));
      expect(j.getDecision('d-3')!.seq).toBeGreaterThan(last);
    });

    it('refuses raw ID numbers and unmasked names, committing nothing', async () => {
      const j = await open();
      // A person's ID number and name planted in the fields of an organisation's bank decision.
      const person = people[2]!;
      const entry = entryFor({ id: 'd-raw' });
      const refused = [
        { ...entry, maskedName: person.name.length > 2 ? person.name : `${person.name}某` },
        { ...entry, maskedName: person.idNumber },
        { ...entry, decision: { ...entry.decision, subject: { pseudonym: 'p', masked: person.idNumber } } },
        {
          ...entry,
          decision: { ...entry.decision, subject: { pseudonym: person.idNumber, masked: '3**4' } },
        },
        {
          ...entry,
          decision: { ...entry.decision, explanation: { citizen: '', staff: `证件 ${person.idNumber}` } },
        },
        { ...entry, disclosures: [{ ...entry.disclosures![0]!, maskedName: person.idNumber }] },
      ];
      for (const bad of refused) expectCode(() => j.commitDecision(bad), 'INVALID_ARGUMENT');
      expectCode(
        () => j.appendEvent({ kind: 'device', at: 1, detail: { card: person.idNumber } }),
        'INVALID_ARGUMENT',
      );
      expectCode(
        () =>
          j.recordUse({
            decisionId: 'd',
            pseudonym: person.idNumber,
            scene: 'bank-counter',
            ruleIds: ['r'],
            at: 1,
          }),
        'INVALID_ARGUMENT',
      );
      expectCode(
        () =>
          j.recordUse({
            decisionId: 'd-raw',
            pseudonym: 'p',
            scene: 'bank-counter',
            ruleIds: ['r'],
            at: 1,
            disclosures: [{ ...entry.disclosures![0]!, benefit: `贷款 ${person.idNumber}` }],
          }),
        'INVALID_ARGUMENT',
      );
      expect(j.counts()).toEqual({ decisions: 0, disclosures: 0, events: 0, usage: 0 });
      j.commitDecision(entry);
      expect(j.counts().decisions).toBe(1);
    });

    it('refuses malformed arguments with INVALID_ARGUMENT', async () => {
      const j = await open();
      const entry = entryFor({ id: 'd-1' });
      expectCode(() => j.commitDecision({ ...entry, terminalId: '' }), 'INVALID_ARGUMENT');
      expectCode(
        () => j.commitDecision({ ...entry, decision: { ...entry.decision, at: 'yesterday' } }),
        'INVALID_ARGUMENT',
      );
      expectCode(
        () =>
          j.commitDecision({ ...entry, disclosures: [{ ...entry.disclosures![0]!, decisionId: 'other' }] }),
        'INVALID_ARGUMENT',
      );
      expectCode(() => j.pendingUploads('decisions', -1), 'INVALID_ARGUMENT');
      expectCode(() => j.pendingUploads('snapshots' as 'decisions', 1), 'INVALID_ARGUMENT');
      expectCode(() => j.usageCounts('p', Number.NaN), 'INVALID_ARGUMENT');
      expectCode(() => j.appendEvent({ kind: '', at: 1 }), 'INVALID_ARGUMENT');
      expect(j.counts()).toEqual({ decisions: 0, disclosures: 0, events: 0, usage: 0 });
    });

    it('throws CLOSED after close, and closing twice is harmless', async () => {
      const j = await open();
      j.commitDecision(entryFor({ id: 'd-1' }));
      j.close();
      j.close();
      expectCode(() => j.commitDecision(entryFor({ id: 'd-2' })), 'CLOSED');
      expectCode(() => j.getDecision('d-1'), 'CLOSED');
      expectCode(() => j.pendingUploads('decisions', 1), 'CLOSED');
      expectCode(() => j.backlog(), 'CLOSED');
      expectCode(() => j.counts(), 'CLOSED');
      expectCode(() => j.probeWrite!(), 'CLOSED');
    });

    it('takes a write probe without changing a record', async () => {
      const j = await open();
      j.commitDecision(entryFor({ id: 'd-1' }));
      const before = { counts: j.counts(), backlog: j.backlog(), pending: j.pendingUploads('decisions', 5) };
      expect(j.probeWrite).toBeTypeOf('function');
      j.probeWrite!();
      j.probeWrite!();
      expect({ counts: j.counts(), backlog: j.backlog(), pending: j.pendingUploads('decisions', 5) }).toEqual(
        before,
      );
    });
  });
}
