// One contract every SiteState passes (in-process, SQLite and Redis run it).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isXinyiError } from '../../../sdk/errors.js';
import type { SiteCap, SiteState, SiteSubjectQuery } from '../../../sdk/site/site-state.js';

export interface SiteStateContractOptions {
  /**
   * Opens the store of site `siteId` for one lane: two calls with one id give two lanes' views of one
   * site (for a shared store, two connections; for the in-process store, the one instance). Each test
   * uses a site of its own.
   */
  open: (siteId: string) => Promise<SiteState>;
  /** Whether `lane`-scoped caps are kept apart per lane (the in-process store is one lane). */
  separatesLanes: boolean;
}

const T0 = Date.parse('2026-08-14T10:00:00+08:00');
const HOUR = 3_600_000;
const daily: SiteCap = { ruleId: 'scenic.free-entry', period: 'day', limit: 1, scope: 'site' };
const monthly: SiteCap = { ruleId: 'library.extra', period: 'month', limit: 2, scope: 'site' };
const perLane: SiteCap = { ruleId: 'checkout.bag', period: 'day', limit: 1, scope: 'lane' };

function query(pseudonym: string, caps: SiteCap[], now = T0, laneId = 'lane-a'): SiteSubjectQuery {
  return { pseudonym, laneId, caps, now };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

let sites = 0;
let subjects = 0;
/** A fresh holder per test, so the shared stores need no cleaning between tests. */
const holder = () => `p${Date.now().toString(36)}${(++subjects).toString(36)}x`;

export function siteStateContract(name: string, options: SiteStateContractOptions): void {
  describe(`SiteState contract: ${name}`, () => {
    const opened: SiteState[] = [];
    let siteId = '';
    beforeEach(() => {
      siteId = `site${++sites}${Date.now().toString(36)}`;
    });
    const open = async () => {
      const store = await options.open(siteId);
      opened.push(store);
      return store;
    };
    afterEach(async () => {
      for (const store of opened.splice(0)) await store.close();
    });

    it('counts nothing for a holder it has never seen', async () => {
      const s = await open();
      expect(await s.usage(query(holder(), [daily, monthly]))).toEqual({
        [daily.ruleId]: { used: 0, pending: 0 },
        [monthly.ruleId]: { used: 0, pending: 0 },
      });
      expect(await s.presence(holder(), T0)).toBeUndefined();
    });

    it('reserves up to the limit; a pending opening blocks the next one until it is committed', async () => {
      const s = await open();
      const p = holder();
      const first = await s.reserve({ ...query(p, [daily]), reservationId: 'd-1', ttlMs: 15_000 });
      expect(first).toEqual({ ok: true, usage: { [daily.ruleId]: { used: 0, pending: 0 } } });
      const second = await s.reserve({
        ...query(p, [daily], T0 + 1_000),
        reservationId: 'd-2',
        ttlMs: 15_000,
      });
      expect(second).toEqual({
        ok: false,
        full: [daily.ruleId],
        usage: { [daily.ruleId]: { used: 0, pending: 1 } },
      });
      expect(await s.usage(query(p, [daily], T0 + 1_000))).toEqual({
        [daily.ruleId]: { used: 0, pending: 1 },
      });
      // Reserving again under the same id renews it and is never refused by itself.
      expect(
        await s.reserve({ ...query(p, [daily], T0 + 2_000), reservationId: 'd-1', ttlMs: 15_000 }),
      ).toEqual({ ok: true, usage: { [daily.ruleId]: { used: 0, pending: 0 } } });
      const committed = await s.commit({
        ...query(p, [daily], T0 + 3_000),
        reservationId: 'd-1',
        scene: 'scenic-gate',
      });
      expect(committed).toEqual({
        counted: [daily.ruleId],
        overLimit: [],
        usage: { [daily.ruleId]: { used: 1, pending: 0 } },
      });
      const third = await s.reserve({
        ...query(p, [daily], T0 + 4_000),
        reservationId: 'd-3',
        ttlMs: 15_000,
      });
      expect(third).toMatchObject({ ok: false, full: [daily.ruleId] });
    });

    it('commits once per decision: a repeated commit counts nothing', async () => {
      const s = await open();
      const p = holder();
      await s.reserve({ ...query(p, [monthly]), reservationId: 'd-1', ttlMs: 15_000 });
      const request = { ...query(p, [monthly]), reservationId: 'd-1', scene: 'library-kiosk' as const };
      expect((await s.commit(request)).counted).toEqual([monthly.ruleId]);
      const again = await s.commit(request);
      expect(again.counted).toEqual([]);
      expect(again.overLimit).toEqual([]);
      expect(again.usage).toEqual({ [monthly.ruleId]: { used: 1, pending: 0 } });
    });

    it('a released reservation frees its place; releasing twice or an unknown id is harmless', async () => {
      const s = await open();
      const p = holder();
      await s.reserve({ ...query(p, [daily]), reservationId: 'd-1', ttlMs: 15_000 });
      await s.release({ ...query(p, [daily]), reservationId: 'd-1' });
      await s.release({ ...query(p, [daily]), reservationId: 'd-1' });
      await s.release({ ...query(p, [daily]), reservationId: 'never-reserved' });
      expect(await s.usage(query(p, [daily]))).toEqual({ [daily.ruleId]: { used: 0, pending: 0 } });
      expect(await s.reserve({ ...query(p, [daily]), reservationId: 'd-2', ttlMs: 15_000 })).toEqual({
        ok: true,
        usage: { [daily.ruleId]: { used: 0, pending: 0 } },
      });
    });

    it('a reservation nobody commits or releases lapses after its TTL (a lane killed mid-opening)', async () => {
      const s = await open();
      const p = holder();
      await s.reserve({ ...query(p, [daily]), reservationId: 'd-1', ttlMs: 10_000 });
      expect((await s.usage(query(p, [daily], T0 + 9_999)))[daily.ruleId]).toEqual({ used: 0, pending: 1 });
      expect((await s.usage(query(p, [daily], T0 + 10_000)))[daily.ruleId]).toEqual({ used: 0, pending: 0 });
      expect(
        await s.reserve({ ...query(p, [daily], T0 + 10_000), reservationId: 'd-2', ttlMs: 10_000 }),
      ).toEqual({ ok: true, usage: { [daily.ruleId]: { used: 0, pending: 0 } } });
      // The lapsed reservation's decision may still be committed (a late confirmation): it counts, and
      // with d-2 pending the subject is then past nothing, but a third opening is refused.
      await s.commit({ ...query(p, [daily], T0 + 11_000), reservationId: 'd-1', scene: 'scenic-gate' });
      expect(await s.usage(query(p, [daily], T0 + 11_000))).toEqual({
        [daily.ruleId]: { used: 1, pending: 1 },
      });
    });

    it('a use past the limit is still counted, and reported as over the limit (a double grant)', async () => {
      const s = await open();
      const p = holder();
      const first = await s.commit({ ...query(p, [daily]), reservationId: 'd-1', scene: 'scenic-gate' });
      expect(first).toMatchObject({ counted: [daily.ruleId], overLimit: [] });
      const second = await s.commit({
        ...query(p, [daily], T0 + 60_000),
        reservationId: 'd-2',
        scene: 'scenic-gate',
      });
      expect(second).toEqual({
        counted: [daily.ruleId],
        overLimit: [daily.ruleId],
        usage: { [daily.ruleId]: { used: 2, pending: 0 } },
      });
    });

    it('counts in Asia/Shanghai days, months and years', async () => {
      const s = await open();
      const p = holder();
      const lateEvening = Date.parse('2026-08-31T23:59:00+08:00');
      const nextMorning = Date.parse('2026-09-01T00:01:00+08:00');
      const caps = [daily, monthly];
      await s.commit({ ...query(p, caps, lateEvening), reservationId: 'd-1', scene: 'scenic-gate' });
      expect(await s.usage(query(p, caps, lateEvening + 30_000))).toEqual({
        [daily.ruleId]: { used: 1, pending: 0 },
        [monthly.ruleId]: { used: 1, pending: 0 },
      });
      // 00:01 in Shanghai is still 31 August in UTC: the new day and month start all the same.
      expect(await s.usage(query(p, caps, nextMorning))).toEqual({
        [daily.ruleId]: { used: 0, pending: 0 },
        [monthly.ruleId]: { used: 0, pending: 0 },
      });
      const midMonth = Date.parse('2026-08-20T12:00:00+08:00');
      await s.commit({ ...query(p, [monthly], midMonth), reservationId: 'd-2', scene: 'library-kiosk' });
      expect((await s.usage(query(p, [monthly], lateEvening)))[monthly.ruleId]!.used).toBe(2);
    });

    it('checks every cap of a reservation at once: one full cap reserves nothing in the others', async () => {
      const s = await open();
      const p = holder();
      await s.commit({ ...query(p, [daily]), reservationId: 'd-1', scene: 'scenic-gate' });
      const refused = await s.reserve({ ...query(p, [daily, monthly]), reservationId: 'd-2', ttlMs: 15_000 });
      expect(refused).toEqual({
        ok: false,
        full: [daily.ruleId],
        usage: { [daily.ruleId]: { used: 1, pending: 0 }, [monthly.ruleId]: { used: 0, pending: 0 } },
      });
      expect((await s.usage(query(p, [monthly])))[monthly.ruleId]).toEqual({ used: 0, pending: 0 });
    });

    it('reserves and counts in one step: the caps of alsoCount are counted, not reserved', async () => {
      const s = await open();
      const p = holder();
      await s.commit({ ...query(p, [monthly]), reservationId: 'd-0', scene: 'library-kiosk' });
      await s.reserve({ ...query(p, [monthly]), reservationId: 'd-1', ttlMs: 15_000 });
      const reserved = await s.reserve({
        ...query(p, [daily], T0 + 1_000),
        reservationId: 'd-2',
        ttlMs: 15_000,
        alsoCount: [monthly, daily],
      });
      expect(reserved).toEqual({
        ok: true,
        usage: { [daily.ruleId]: { used: 0, pending: 0 }, [monthly.ruleId]: { used: 1, pending: 1 } },
      });
      // d-2 holds a place in the daily cap only.
      expect(await s.usage(query(p, [daily, monthly], T0 + 2_000))).toEqual({
        [daily.ruleId]: { used: 0, pending: 1 },
        [monthly.ruleId]: { used: 1, pending: 1 },
      });
      const refused = await s.reserve({
        ...query(p, [daily], T0 + 3_000),
        reservationId: 'd-3',
        ttlMs: 15_000,
        alsoCount: [monthly],
      });
      expect(refused).toEqual({
        ok: false,
        full: [daily.ruleId],
        usage: { [daily.ruleId]: { used: 0, pending: 1 }, [monthly.ruleId]: { used: 1, pending: 1 } },
      });
      // Counting alone (nothing to reserve) is never refused.
      expect(
        await s.reserve({
          ...query(p, [], T0 + 4_000),
          reservationId: 'd-4',
          ttlMs: 15_000,
          alsoCount: [daily],
        }),
      ).toEqual({ ok: true, usage: { [daily.ruleId]: { used: 0, pending: 1 } } });
    });

    it('of many reservations racing for the last place, exactly one wins', async () => {
      const [a, b] = [await open(), await open()];
      const p = holder();
      const results = await Promise.all(
        Array.from({ length: 24 }, (_, i) =>
          (i % 2 === 0 ? a : b).reserve({
            ...query(p, [daily], T0 + i, i % 2 === 0 ? 'lane-a' : 'lane-b'),
            reservationId: `d-${i}`,
            ttlMs: 15_000,
          }),
        ),
      );
      expect(results.filter((r) => r.ok)).toHaveLength(1);
    });

    it('shares site-scoped caps between lanes', async () => {
      const [a, b] = [await open(), await open()];
      const p = holder();
      await a.reserve({ ...query(p, [daily], T0, 'lane-a'), reservationId: 'd-1', ttlMs: 15_000 });
      expect(
        await b.reserve({ ...query(p, [daily], T0 + 50, 'lane-b'), reservationId: 'd-2', ttlMs: 15_000 }),
      ).toMatchObject({ ok: false, full: [daily.ruleId] });
      await a.commit({
        ...query(p, [daily], T0 + 1_000, 'lane-a'),
        reservationId: 'd-1',
        scene: 'scenic-gate',
      });
      expect((await b.usage(query(p, [daily], T0 + 2_000, 'lane-b')))[daily.ruleId]).toEqual({
        used: 1,
        pending: 0,
      });
    });

    it.skipIf(!options.separatesLanes)('keeps lane-scoped caps per lane', async () => {
      const [a, b] = [await open(), await open()];
      const p = holder();
      await a.commit({
        ...query(p, [perLane], T0, 'lane-a'),
        reservationId: 'd-1',
        scene: 'supermarket-checkout',
      });
      expect((await a.usage(query(p, [perLane], T0, 'lane-a')))[perLane.ruleId]!.used).toBe(1);
      expect((await b.usage(query(p, [perLane], T0, 'lane-b')))[perLane.ruleId]!.used).toBe(0);
      expect(
        await b.reserve({ ...query(p, [perLane], T0, 'lane-b'), reservationId: 'd-2', ttlMs: 15_000 }),
      ).toEqual({ ok: true, usage: { [perLane.ruleId]: { used: 0, pending: 0 } } });
    });

    it('refuses a replayed presentation at any lane within its TTL, keyed by holder and presentation', async () => {
      const [a, b] = [await open(), await open()];
      const p = holder();
      const seen = { pseudonym: p, presentationId: '1786672800', now: T0, ttlMs: 120_000 };
      expect(await a.markPresentation(seen)).toBe(true);
      expect(await b.markPresentation({ ...seen, now: T0 + 5_000 })).toBe(false);
      expect(await a.markPresentation({ ...seen, now: T0 + 119_000 })).toBe(false);
      // Another presentation of the same holder, and the same presentation time of another holder, are new.
      expect(await b.markPresentation({ ...seen, presentationId: '1786672801', now: T0 + 1_000 })).toBe(true);
      expect(await b.markPresentation({ ...seen, pseudonym: holder() })).toBe(true);
    });

    it('keeps presence across lanes for the day', async () => {
      const [a, b] = [await open(), await open()];
      const p = holder();
      await a.recordPassage(p, 'entry', T0);
      expect(await b.presence(p, T0 + 1_000)).toBe('entry');
      await b.recordPassage(p, 'exit', T0 + 2 * HOUR);
      expect(await a.presence(p, T0 + 2 * HOUR + 1)).toBe('exit');
      await a.recordPassage(p, 'entry', T0 + 3 * HOUR);
      // Forgotten at the end of the Asia/Shanghai day.
      expect(await b.presence(p, Date.parse('2026-08-15T00:00:01+08:00'))).toBeUndefined();
    });

    it('refuses malformed requests with INVALID_ARGUMENT before touching anything', async () => {
      const s = await open();
      const bad: Array<Promise<unknown>> = [
        s.usage(query('{hash-tag}', [daily])),
        s.usage(query('', [daily])),
        s.usage({ ...query(holder(), [daily]), now: Number.NaN }),
        s.usage(query(holder(), [{ ...daily, limit: 0 }])),
        s.usage(query(holder(), [{ ...daily, scope: 'planet' as never }])),
        s.usage(query(holder(), [daily, daily])),
        s.reserve({ ...query(holder(), [daily]), reservationId: 'd-1', ttlMs: 0 }),
        s.reserve({ ...query(holder(), [daily]), reservationId: 'd 1', ttlMs: 1_000 }),
        s.reserve({
          ...query(holder(), [daily]),
          reservationId: 'd-1',
          ttlMs: 1_000,
          alsoCount: [{ ...monthly, period: 'week' as never }],
        }),
        s.markPresentation({ pseudonym: holder(), presentationId: 'x', now: T0, ttlMs: -1 }),
        s.recordPassage(holder(), 'sideways' as never, T0),
      ];
      for (const promise of bad) {
        const error = await rejection(promise);
        expect(isXinyiError(error, 'INVALID_ARGUMENT'), String(error)).toBe(true);
      }
    });

    it('answers a ping with its kind and latency, and refuses calls once closed', async () => {
      const s = await open();
      const info = await s.ping();
      expect(info.kind).toBe(s.kind);
      expect(info.latencyMs).toBeGreaterThanOrEqual(0);
      await s.close();
      const error = await rejection(s.usage(query(holder(), [daily])));
      expect(isXinyiError(error, 'CLOSED')).toBe(true);
    });
  });
}
