import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isXinyiError } from '../../../sdk/errors.js';
import { openRedisSiteState } from '../../../sdk/site/redis-site-state.js';
import type { SiteState } from '../../../sdk/site/site-state.js';
import {
  freeLoopbackPort,
  type RedisCluster,
  type RedisServer,
  startRedisCluster,
  startRedisServer,
} from '../../../simulator/redis-server.js';
import { redisSkipReason, redisSuiteName } from './redis-fixture.js';
import { siteStateContract } from './site-state-contract.js';

const skip = redisSkipReason();
let server: RedisServer | undefined;

describe.skipIf(skip !== undefined)(redisSuiteName('Redis site state', skip), () => {
  beforeAll(async () => {
    server = await startRedisServer();
  }, 30_000);
  afterAll(async () => {
    await server?.stop();
  });

  siteStateContract('redis', {
    open: (siteId) => openRedisSiteState({ url: server!.url, keyPrefix: `test:${siteId}:` }),
    separatesLanes: true,
  });

  describe('Redis specifics', () => {
    const t0 = Date.parse('2026-08-14T10:00:00+08:00');
    const cap = { ruleId: 'scenic.free-entry', period: 'day', limit: 1, scope: 'site' } as const;
    const cityCap = { ruleId: 'city.pass', period: 'year', limit: 1, scope: 'city' } as const;
    let admin: Redis;
    beforeAll(async () => {
      const { Redis: Client } = await import('ioredis');
      admin = new Client(server!.url);
    });
    afterAll(async () => {
      await admin.quit();
    });

    it('puts every key under its prefix with an expiry, so Redis never grows without bound', async () => {
      const store = await openRedisSiteState({
        url: server!.url,
        keyPrefix: 'expiry:yunmenshan:',
        cityKeyPrefix: 'expiry:city:',
      });
      const q = { pseudonym: 'holder-1', laneId: 'lane-a', caps: [cap, cityCap], now: Date.now() };
      await store.reserve({ ...q, reservationId: 'd-1', ttlMs: 15_000 });
      await store.commit({ ...q, reservationId: 'd-2', scene: 'scenic-gate' });
      await store.reserve({ ...q, pseudonym: 'holder-2', reservationId: 'd-3', ttlMs: 15_000 });
      await store.markPresentation({
        pseudonym: 'holder-1',
        presentationId: '1786672800',
        now: q.now,
        ttlMs: 120_000,
      });
      await store.recordPassage('holder-1', 'entry', q.now);
      const keys = await admin.keys('expiry:*');
      expect(keys.length).toBeGreaterThanOrEqual(6);
      for (const key of keys) {
        expect(key.startsWith('expiry:yunmenshan:{') || key.startsWith('expiry:city:{'), key).toBe(true);
        const ttl = await admin.pttl(key);
        expect(ttl, key).toBeGreaterThan(0);
        // Nothing lives past the end of its year plus the grace day.
        expect(ttl, key).toBeLessThanOrEqual(367 * 86_400_000);
      }
      await store.close();
    });

    it('keeps two sites on one server apart, and shares city-scoped caps between them', async () => {
      const a = await openRedisSiteState({
        url: server!.url,
        keyPrefix: 'two:yunmenshan:',
        cityKeyPrefix: 'two:city:',
      });
      const b = await openRedisSiteState({
        url: server!.url,
        keyPrefix: 'two:tuoshan:',
        cityKeyPrefix: 'two:city:',
      });
      const q = { pseudonym: 'holder-3', laneId: 'lane-a', caps: [cap, cityCap], now: t0 };
      await a.commit({ ...q, reservationId: 'd-1', scene: 'scenic-gate' });
      expect(await b.usage(q)).toEqual({
        [cap.ruleId]: { used: 0, pending: 0 },
        [cityCap.ruleId]: { used: 1, pending: 0 },
      });
      await Promise.all([a.close(), b.close()]);
    });

    it('reloads its scripts on a server that has forgotten them (a fresh primary after a failover)', async () => {
      const store = await openRedisSiteState({ url: server!.url, keyPrefix: 'flush:site:' });
      const q = { pseudonym: 'holder-4', laneId: 'lane-a', caps: [cap], now: t0 };
      await store.usage(q);
      await admin.script('FLUSH');
      expect(await store.reserve({ ...q, reservationId: 'd-1', ttlMs: 15_000 })).toMatchObject({ ok: true });
      await store.close();
    });

    it('loads its scripts on every connection, so no decision waits for a NOSCRIPT round trip', async () => {
      /** EVALSHA calls the server refused (NOSCRIPT) and scripts it was sent by source, since RESETSTAT. */
      const misses = async () => {
        const stats = await admin.info('commandstats');
        return {
          noscript: Number(/cmdstat_evalsha:.*failed_calls=(\d+)/.exec(stats)?.[1] ?? 0),
          eval: Number(/cmdstat_eval:calls=(\d+)/.exec(stats)?.[1] ?? 0),
        };
      };
      await admin.script('FLUSH');
      await admin.config('RESETSTAT');
      const store = await openRedisSiteState({ url: server!.url, keyPrefix: 'load:site:' });
      const q = { pseudonym: 'holder-6', laneId: 'lane-a', caps: [cap], now: t0 };
      await store.reserve({ ...q, reservationId: 'd-1', ttlMs: 15_000, alsoCount: [cityCap] });
      await store.commit({ ...q, reservationId: 'd-1', scene: 'scenic-gate' });
      expect(await misses()).toEqual({ noscript: 0, eval: 0 });
      // A server that lost its scripts and the connection (a restart, a new primary): loaded again.
      await admin.script('FLUSH');
      await admin.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
      await admin.config('RESETSTAT');
      const until = Date.now() + 15_000;
      for (;;) {
        try {
          await store.ping();
          break;
        } catch {
          if (Date.now() > until) throw new Error('never reconnected');
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
      await store.reserve({ ...q, reservationId: 'd-2', ttlMs: 15_000 });
      expect(await misses()).toEqual({ noscript: 0, eval: 0 });
      await store.close();
    });

    it('reports version, role and persistence in its ping', async () => {
      const store = await openRedisSiteState({ url: server!.url, keyPrefix: 'ping:site:' });
      const info = await store.ping();
      expect(info).toMatchObject({ kind: 'redis', role: 'master', persistence: 'aof' });
      expect(info.version).toMatch(/^\d+\.\d+/);
      await store.close();
    });

    it('rejects fast with SITE_STATE_UNAVAILABLE when nobody listens, and recovers when a server comes', async () => {
      const port = await freeLoopbackPort();
      const started = performance.now();
      const store: SiteState = await openRedisSiteState({
        url: `redis://127.0.0.1:${port}`,
        keyPrefix: 'late:site:',
        connectTimeoutMs: 200,
      });
      expect(performance.now() - started).toBeLessThan(5_000);
      let error: unknown;
      try {
        await store.usage({ pseudonym: 'holder-5', laneId: 'lane-a', caps: [cap], now: t0 });
      } catch (e) {
        error = e;
      }
      expect(isXinyiError(error, 'SITE_STATE_UNAVAILABLE'), String(error)).toBe(true);
      const late = await startRedisServer({ port });
      try {
        // The client reconnects by itself (backoff up to 2 s).
        const until = Date.now() + 15_000;
        for (;;) {
          try {
            await store.ping();
            break;
          } catch {
            if (Date.now() > until) throw new Error('never reconnected');
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
        }
        expect(
          (await store.usage({ pseudonym: 'holder-5', laneId: 'lane-a', caps: [cap], now: t0 }))[cap.ruleId],
        ).toEqual({
          used: 0,
          pending: 0,
        });
      } finally {
        await store.close();
        await late.stop();
      }
    }, 30_000);

    it('refuses bad options with INVALID_OPTIONS', async () => {
      for (const options of [
        { keyPrefix: 'x:' },
        { url: server!.url, keyPrefix: '{site}' },
        { url: 'http://127.0.0.1:6379', keyPrefix: 'x:' },
        { url: server!.url, sentinel: { sentinels: [], name: 'x' }, keyPrefix: 'x:' },
        { sentinel: { sentinels: [{ host: '127.0.0.1', port: 0 }], name: 'x' }, keyPrefix: 'x:' },
      ]) {
        let error: unknown;
        try {
          await openRedisSiteState(options as never);
        } catch (e) {
          error = e;
        }
        expect(isXinyiError(error, 'INVALID_OPTIONS'), JSON.stringify(options)).toBe(true);
      }
    });
  });
});

describe.skipIf(skip !== undefined)(redisSuiteName('Redis Cluster site state', skip), () => {
  // Three primaries: the keys of one call (a holder's uses, reservations, presence, city caps) must
  // share a slot, or the cluster refuses the script with CROSSSLOT.
  let cluster: RedisCluster | undefined;
  beforeAll(async () => {
    cluster = await startRedisCluster({ primaries: 3 });
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  siteStateContract('redis cluster', {
    open: (siteId) =>
      openRedisSiteState({ cluster: { nodes: cluster!.seeds }, keyPrefix: `test:${siteId}:` }),
    separatesLanes: true,
  });
});
