import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GateConfig, parseGateConfig, redactConfig } from '../../cli/gate/config.js';
import { checkSiteStore, describeSite, openSiteStore, siteLaneOptions } from '../../cli/gate/site-store.js';
import { isXinyiError } from '../../sdk/errors.js';
import { freeLoopbackPort, type RedisServer, startRedisServer } from '../../simulator/redis-server.js';
import { redisSkipReason, redisSuiteName } from '../sdk/site/redis-fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'xinyi-site-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function config(site: unknown, lane: Record<string, unknown> = {}): GateConfig {
  return parseGateConfig({
    terminalId: 'lane-1',
    pseudonymKey: { value: 'site-config-test-key-0123456789' },
    dataDir: join(dir, 'data'),
    devices: { gate: { protocol: 'aa-frame', link: { tcp: { host: '127.0.0.1', port: 4001 } } } },
    lane,
    ...(site === undefined ? {} : { site }),
  });
}

function configError(site: unknown): string {
  let error: unknown;
  try {
    config(site);
  } catch (e) {
    error = e;
  }
  expect(isXinyiError(error, 'CONFIG_INVALID'), String(error)).toBe(true);
  return (error as Error).message;
}

describe('the site block of the gate configuration', () => {
  it('defaults to local, with reservations held for the passage timeout plus 5 s', () => {
    const c = config(undefined, { passageTimeoutMs: 8_000 });
    expect(c.site).toBe('local');
    expect(siteLaneOptions(c)).toEqual({ siteReservationTtlMs: 13_000 });
    expect(describeSite(c)).toBe('local');
  });

  it('takes a SQLite file, a Redis URL, Sentinel or Cluster, with the lane options', () => {
    const sqlite = config({ sqlite: 'site.sqlite', budgetMs: 40, onSiteStateDown: 'deny-capped' });
    expect(siteLaneOptions(sqlite)).toEqual({
      siteStateBudgetMs: 40,
      onSiteStateDown: 'deny-capped',
      siteReservationTtlMs: 15_000,
    });
    expect(
      describeSite(config({ redis: { url: 'redis://10.0.0.5:6379/2' }, keyPrefix: 'xinyi:yunmenshan:' })),
    ).toBe('redis 10.0.0.5:6379/2 (xinyi:yunmenshan:)');
    const sentinel = config({
      redis: {
        sentinel: {
          sentinels: [
            { host: '10.0.0.5', port: 26379 },
            { host: '10.0.0.6', port: 26379 },
          ],
          name: 'xinyi-site',
          sentinelPassword: { env: 'XINYI_SENTINEL_PASSWORD' },
        },
      },
      password: { file: 'redis.password' },
      keyPrefix: 'xinyi:yunmenshan:',
      reservationTtlMs: 20_000,
    });
    expect(describeSite(sentinel)).toBe(
      'redis sentinel xinyi-site via 10.0.0.5:26379,10.0.0.6:26379 (xinyi:yunmenshan:)',
    );
    expect(siteLaneOptions(sentinel).siteReservationTtlMs).toBe(20_000);
    expect(
      describeSite(config({ redis: { cluster: { nodes: [{ host: 'r1', port: 7000 }] } }, keyPrefix: 'x:' })),
    ).toBe('redis cluster r1:7000 (x:)');
  });

  it('refuses a URL holding a password in clear, and prints a secret URL redacted', () => {
    expect(configError({ redis: { url: 'redis://:s3cret@10.0.0.5:6379' }, keyPrefix: 'x:' })).not.toContain(
      's3cret',
    );
    expect(configError({ redis: { url: 'redis://:s3cret@10.0.0.5:6379' }, keyPrefix: 'x:' })).toMatch(
      /site\.redis\.url/,
    );
    const c = config({ redis: { url: { value: 'redis://:s3cret@10.0.0.5:6379' } }, keyPrefix: 'x:' });
    expect(JSON.stringify(redactConfig(c))).not.toContain('s3cret');
    expect(describeSite(c)).not.toContain('s3cret');
  });

  it('names a bad site block by its path', () => {
    expect(configError({ redis: { url: 'http://10.0.0.5' }, keyPrefix: 'x:' })).toMatch(/site/);
    expect(configError({ redis: { url: 'redis://10.0.0.5' } })).toMatch(/site/);
    expect(configError({ redis: { url: 'redis://10.0.0.5' }, keyPrefix: '{site}' })).toMatch(/site/);
    expect(configError({ sqlite: 'site.sqlite', onSiteStateDown: 'panic' })).toMatch(/site/);
    expect(configError('shared')).toMatch(/site/);
  });
});

describe('checking the site store (gate --check, doctor)', () => {
  it('reports a SQLite file as reachable with its SQLite version', async () => {
    const problems: string[] = [];
    const check = await checkSiteStore(config({ sqlite: join(dir, 'site.sqlite') }), dir, 2_000, problems);
    expect(check).toMatchObject({ kind: 'sqlite', reachable: true });
    expect(check.version).toMatch(/^3\./);
    expect(problems).toEqual([]);
  });

  it('lists a SQLite file it cannot open as a problem', async () => {
    const problems: string[] = [];
    const check = await checkSiteStore(
      config({ sqlite: join(dir, 'missing', 'site.sqlite') }),
      dir,
      2_000,
      problems,
    );
    expect(check).toMatchObject({ kind: 'sqlite', reachable: false, error: 'SITE_STATE_UNAVAILABLE' });
    expect(problems).toHaveLength(1);
  });
});

const skip = redisSkipReason();
describe.skipIf(skip !== undefined)(redisSuiteName('checking a Redis site store', skip), () => {
  let server: RedisServer;
  let volatile: RedisServer;
  beforeAll(async () => {
    [server, volatile] = await Promise.all([startRedisServer(), startRedisServer({ appendOnly: false })]);
  }, 30_000);
  afterAll(async () => {
    await Promise.all([server?.stop(), volatile?.stop()]);
  });

  it('reports latency, version, role and persistence; nothing wrong with an append-only primary', async () => {
    const problems: string[] = [];
    const check = await checkSiteStore(
      config({ redis: { url: server.url }, keyPrefix: 'check:' }),
      dir,
      2_000,
      problems,
    );
    expect(check).toMatchObject({ kind: 'redis', reachable: true, role: 'master', persistence: 'aof' });
    expect(check.version).toMatch(/^\d+\./);
    expect(problems).toEqual([]);
  });

  it('lists a Redis that would lose the counts on a restart', async () => {
    const problems: string[] = [];
    await checkSiteStore(config({ redis: { url: volatile.url }, keyPrefix: 'check:' }), dir, 2_000, problems);
    expect(problems).toEqual([expect.stringContaining('appendonly no')]);
  });

  it('lists a Redis nobody answers at, within its timeout', async () => {
    const problems: string[] = [];
    const url = `redis://127.0.0.1:${await freeLoopbackPort()}`;
    const check = await checkSiteStore(config({ redis: { url }, keyPrefix: 'check:' }), dir, 300, problems);
    expect(check).toMatchObject({ reachable: false, error: 'SITE_STATE_UNAVAILABLE' });
    expect(problems).toEqual([expect.stringContaining('not reachable')]);
  });

  it('opens the store from a URL kept in a secret', async () => {
    process.env.XINYI_SITE_TEST_URL = server.url;
    try {
      const store = await openSiteStore(
        config({ redis: { url: { env: 'XINYI_SITE_TEST_URL' } }, keyPrefix: 'secret:' }),
        dir,
      );
      expect((await store!.ping()).kind).toBe('redis');
      await store!.close();
    } finally {
      delete process.env.XINYI_SITE_TEST_URL;
    }
  });
});
