import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Clock } from '../../../sdk/clock.js';
import { createCreditCodeResolver } from '../../../sdk/credit/credit-code-resolver.js';
import {
  createHttpPlatformResolver,
  type HttpPlatformResolver,
  type PlatformDownload,
} from '../../../sdk/credit/http-platform.js';
import {
  createPlatformSync,
  type PlatformSync,
  type PlatformSyncOptions,
  PlatformSyncRefusal,
  type PlatformSyncSource,
} from '../../../sdk/credit/platform-sync.js';
import { openSnapshotStore, type SnapshotStore } from '../../../sdk/credit/snapshot-store.js';
import { TrustListProblem } from '../../../sdk/credit/trust-list.js';
import { isXinyiError, type XinyiError } from '../../../sdk/errors.js';
import { createPseudonymizer } from '../../../sdk/identity/index.js';
import type { CreditLookup } from '../../../sdk/terminal/credit-resolver.js';
import { createCreditIssuer } from '../../../simulator/credit-issuer.js';
import { type MockDocument, type MockPlatform, startMockPlatform } from '../../../simulator/mock-platform.js';
import { generatePopulation } from '../../../simulator/population.js';

// Synthetic people only; the keys below are test keys, not secrets.
const KEY_ID = 'sync-terminal-key';
const SECRET = 'platform-sync-test-hmac-secret-0123456789';
const pseudonymizer = createPseudonymizer('platform-sync-test-pseudonym-key-01');
const people = generatePopulation(20, 'platform-sync-test');
const pseudonymOf = (i: number) => pseudonymizer.pseudonymize(people[i]!.idNumber);

interface Fixture {
  mock: MockPlatform;
  http: HttpPlatformResolver;
  store: SnapshotStore;
  dir: string;
  cacheDir: string;
  /** When set, served at /v1/trust-list instead of the mock issuer's own list. */
  trustDoc?: MockDocument;
  sync: PlatformSync;
  newSync(overrides?: Partial<PlatformSyncOptions>): PlatformSync;
  requests(path: string): number;
}

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  while (cleanup.length > 0) await cleanup.pop()!();
});

async function setup(overrides: Partial<PlatformSyncOptions> = {}): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'xinyi-platform-sync-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const fixture = { dir, cacheDir: join(dir, 'lists') } as Fixture;
  const mock = await startMockPlatform({
    people,
    pseudonymizer,
    keyId: KEY_ID,
    secret: SECRET,
    trustList: () =>
      fixture.trustDoc ?? { bytes: JSON.stringify(mock.issuer.trustList), contentType: 'application/json' },
  });
  cleanup.push(() => mock.close());
  // One attempt and a breaker that never opens: this suite is about the sync, not the client's retries.
  const http = createHttpPlatformResolver({
    baseUrl: mock.url,
    keyId: KEY_ID,
    secret: SECRET,
    retry: { maxAttempts: 1 },
    breaker: { failureThreshold: 1_000_000 },
  });
  const store = await openSnapshotStore({ path: join(dir, 'snapshot.sqlite') });
  cleanup.push(() => store.close());
  const syncs: PlatformSync[] = [];
  cleanup.push(async () => {
    for (const s of syncs) await s.stop();
  });
  Object.assign(fixture, {
    mock,
    http,
    store,
    newSync: (more: Partial<PlatformSyncOptions> = {}) => {
      const sync = createPlatformSync({
        platform: http,
        rootPublicKey: mock.issuer.rootPublicKey,
        snapshotPublicKeys: mock.snapshotPublicKey,
        store,
        cache: { dir: fixture.cacheDir },
        ...overrides,
        ...more,
      });
      syncs.push(sync);
      return sync;
    },
    requests: (path: string) => mock.requests.filter((r) => r.path === path).length,
  });
  fixture.sync = fixture.newSync();
  return fixture;
}

const lookup = (creditCodeText: string): CreditLookup => ({
  creditCodeText,
  scene: 'scenic-gate',
  terminalId: 'gate-1',
  signal: new AbortController().signal,
  deadlineAt: Date.now() + 800,
});

async function refusal(promise: Promise<unknown>): Promise<XinyiError> {
  try {
    await promise;
  } catch (error) {
    if (isXinyiError(error)) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('createPlatformSync against the mock platform', () => {
  it('takes the trust list, the status list and a full snapshot on the first sync', async () => {
    const f = await setup();
    const synced = once(f.sync, 'synced');
    const summary = await f.sync.syncOnce();
    expect(await synced).toEqual([summary]);
    expect(summary).toMatchObject({
      kind: 'full',
      ok: true,
      errors: [],
      trustList: { outcome: 'updated', version: 1 },
      statusList: { outcome: 'updated' },
      snapshot: { outcome: 'updated', kind: 'full', sequence: f.mock.snapshotSequence },
    });
    // Each person is known by ID number and by member code.
    expect(summary.snapshot.count).toBe(people.length * 2);
    expect(f.requests('/v1/snapshots/delta')).toBe(0);
    expect(f.sync.getTrustList()?.version).toBe(1);
    expect(f.sync.getStatusList()).toBeDefined();
    expect(f.store.lookup(pseudonymOf(0))?.tier).toBe(people[0]!.tier);
    const status = f.sync.status();
    expect(status).toMatchObject({
      running: false,
      lastFailure: null,
      consecutiveFailures: 0,
      trustListVersion: 1,
      trustListExpiresAt: f.sync.getTrustList()!.expiresAt,
      statusListAt: f.sync.getStatusList()!.issuedAt,
      snapshot: { sequence: f.mock.snapshotSequence },
    });
    expect(status.lastSuccessAt).toBe(summary.finishedAt);
  });

  it('brings a standing changed on the platform as a delta on the next sync', async () => {
    const f = await setup();
    await f.sync.syncOnce();
    const before = f.store.info()!.count;
    const tier = people[0]!.tier === 'D' ? 'AAA' : 'D';
    f.mock.setStanding(pseudonymOf(0), { tier, lists: [{ kind: 'black' }] });
    f.mock.setStanding(pseudonymOf(1), null);

    const summary = await f.sync.syncOnce();
    expect(summary.ok).toBe(true);
    expect(summary.trustList.outcome).toBe('unchanged');
    expect(summary.snapshot).toMatchObject({
      outcome: 'updated',
      kind: 'delta',
      sequence: f.mock.snapshotSequence,
      upserted: 1,
      deleted: 1,
      count: before - 1,
    });
    expect(f.mock.requests.find((r) => r.path === '/v1/snapshots/delta')?.query).toBe('since=1');
    expect(f.requests('/v1/snapshots/latest')).toBe(1);
    expect(f.store.lookup(pseudonymOf(0))).toMatchObject({ tier, lists: [{ kind: 'black' }] });
    expect(f.store.lookup(pseudonymOf(1))).toBeNull();
  });

  it('falls back to the full snapshot when the platform has no delta for the applied sequence', async () => {
    const f = await setup();
    await f.sync.syncOnce();
    f.mock.setStanding(pseudonymOf(2), { tier: 'C', lists: [] });
    f.mock.faults.inject({ kind: 'status', status: 404 }, { times: 1, path: '/v1/snapshots/delta' });
    const summary = await f.sync.syncOnce();
    expect(summary.snapshot).toMatchObject({ outcome: 'updated', kind: 'full', sequence: 2 });
    expect(f.store.lookup(pseudonymOf(2))?.tier).toBe('C');

    // Already up to date: the full snapshot is the one applied, which is not a failure.
    f.mock.faults.inject({ kind: 'status', status: 404 }, { times: 1, path: '/v1/snapshots/delta' });
    const again = await f.sync.syncOnce();
    expect(again.ok).toBe(true);
    expect(again.snapshot).toMatchObject({ outcome: 'unchanged', sequence: 2 });
  });

  it('falls back to the full snapshot when the delta is based on another sequence', async () => {
    const f = await setup();
    // A platform that answers with a delta from an older base than the terminal asked for.
    const platform: PlatformSyncSource = {
      getTrustList: (o) => f.http.getTrustList(o),
      getStatusList: (o) => f.http.getStatusList(o),
      getSnapshot: (o) =>
        f.http.getSnapshot(o?.since === undefined ? o : { ...o, since: String(Number(o.since) - 1) }),
    };
    const sync = f.newSync({ platform });
    await sync.syncOnce(); // full, sequence 1
    f.mock.setStanding(pseudonymOf(3), { tier: 'B', lists: [] });
    f.mock.setStanding(pseudonymOf(4), { tier: 'B', lists: [] });
    const summary = await sync.syncOnce(); // asks since=1, gets 404 for since=0
    expect(summary.snapshot).toMatchObject({ outcome: 'updated', kind: 'full', sequence: 3 });
    f.mock.setStanding(pseudonymOf(5), { tier: 'C', lists: [] });
    const mismatched = await sync.syncOnce(); // asks since=3, gets the delta 2 → 4
    expect(mismatched.ok).toBe(true);
    expect(mismatched.snapshot).toMatchObject({ outcome: 'updated', kind: 'full', sequence: 4 });
    expect(f.store.lookup(pseudonymOf(5))?.tier).toBe('C');
  });

  it('treats an empty answer to a delta request as nothing new', async () => {
    const f = await setup();
    const empty: PlatformDownload = { bytes: new Uint8Array(0), contentType: 'application/octet-stream' };
    const sync = f.newSync({
      platform: {
        getTrustList: (o) => f.http.getTrustList(o),
        getStatusList: (o) => f.http.getStatusList(o),
        getSnapshot: async (o) => (o?.since === undefined ? f.http.getSnapshot(o) : empty),
      },
    });
    await sync.syncOnce();
    const summary = await sync.syncOnce();
    expect(summary.ok).toBe(true);
    expect(summary.snapshot).toMatchObject({ outcome: 'unchanged', sequence: 1 });
  });

  it('reports a platform outage in the summary, keeps what it holds, and recovers', async () => {
    const f = await setup();
    await f.sync.syncOnce();
    const trustList = f.sync.getTrustList();
    const statusList = f.sync.getStatusList();
    const good = f.sync.status().lastSuccessAt;
    const tier = f.store.lookup(pseudonymOf(0))?.tier;

    f.mock.faults.inject({ kind: 'status', status: 503 });
    const failed = once(f.sync, 'failed');
    const down = await f.sync.syncOnce();
    const [event, eventSummary] = await failed;
    expect(eventSummary).toBe(down);
    expect(event).toBe(down.errors[0]);
    expect(down.ok).toBe(false);
    for (const part of [down.trustList, down.statusList, down.snapshot]) {
      expect(part.outcome).toBe('failed');
      expect(part.error).toMatchObject({ code: 'CREDIT_UNAVAILABLE', details: { status: 503 } });
      expect(isXinyiError(part.error)).toBe(true);
    }
    expect(down.errors).toHaveLength(3);
    expect(f.sync.getTrustList()).toBe(trustList);
    expect(f.sync.getStatusList()).toBe(statusList);
    expect(f.store.lookup(pseudonymOf(0))?.tier).toBe(tier);
    expect(f.sync.status()).toMatchObject({
      lastSuccessAt: good,
      lastFailure: { code: 'CREDIT_UNAVAILABLE', part: 'trust-list', at: down.finishedAt },
      consecutiveFailures: 1,
      snapshot: { sequence: 1 },
    });

    f.mock.faults.clear();
    f.mock.setStanding(pseudonymOf(0), { tier: 'AAA', lists: [] });
    const up = await f.sync.syncOnce();
    expect(up.ok).toBe(true);
    expect(up.snapshot).toMatchObject({ outcome: 'updated', kind: 'delta', sequence: 2 });
    expect(f.store.lookup(pseudonymOf(0))?.tier).toBe('AAA');
    expect(f.sync.status()).toMatchObject({
      consecutiveFailures: 0,
      lastSuccessAt: up.finishedAt,
      lastFailure: { code: 'CREDIT_UNAVAILABLE' },
    });
  });

  it('a platform that answers 404 for the status or trust list fails the run: health is not told all is well', async () => {
    const f = await setup();
    await f.sync.syncOnce();
    const good = f.sync.status().lastSuccessAt;
    const statusList = f.sync.getStatusList();
    for (const path of ['/v1/status-list', '/v1/trust-list']) {
      f.mock.faults.inject({ kind: 'status', status: 404 }, { times: 1, path });
      const run = await f.sync.syncOnce();
      expect(run.ok).toBe(false);
      const part = path === '/v1/status-list' ? run.statusList : run.trustList;
      expect(part).toMatchObject({
        outcome: 'absent',
        error: { code: 'CREDIT_UNAVAILABLE', details: { reason: 'LIST_ABSENT', status: 404 } },
      });
      expect(f.sync.status().lastSuccessAt).toBe(good);
      // The list held is kept (in the trust-list run, the platform's next status list is taken).
      if (path === '/v1/status-list') expect(f.sync.getStatusList()).toBe(statusList);
    }
    expect(f.sync.status().consecutiveFailures).toBe(2);
  });

  it('refuses a snapshot or delta with a bad signature and keeps the applied one', async () => {
    const f = await setup();
    f.mock.faults.inject({ kind: 'bad-snapshot-signature' }, { times: 1, path: '/v1/snapshots/latest' });
    const first = await f.sync.syncOnce();
    expect(first.trustList.outcome).toBe('updated');
    expect(first.snapshot).toMatchObject({
      outcome: 'failed',
      error: { code: 'SNAPSHOT_SIGNATURE_INVALID' },
    });
    expect(f.store.info()).toBeNull();

    await f.sync.syncOnce();
    const tier = f.store.lookup(pseudonymOf(0))?.tier;
    f.mock.setStanding(pseudonymOf(0), { tier: tier === 'D' ? 'AA' : 'D', lists: [] });
    f.mock.faults.inject({ kind: 'bad-snapshot-signature' }, { times: 1, path: '/v1/snapshots/delta' });
    const latestBefore = f.requests('/v1/snapshots/latest');
    const forged = await f.sync.syncOnce();
    expect(forged.snapshot).toMatchObject({
      outcome: 'failed',
      sequence: 1,
      error: { code: 'SNAPSHOT_SIGNATURE_INVALID' },
    });
    // A forged delta is not a reason to fetch the full snapshot.
    expect(f.requests('/v1/snapshots/latest')).toBe(latestBefore);
    expect(f.store.info()?.sequence).toBe(1);
    expect(f.store.lookup(pseudonymOf(0))?.tier).toBe(tier);

    const healed = await f.sync.syncOnce();
    expect(healed.snapshot).toMatchObject({ outcome: 'updated', kind: 'delta', sequence: 2 });
  });

  it('refuses a trust list signed by another root, an expired one and an older one, keeping the one held', async () => {
    const f = await setup();
    await f.sync.syncOnce();
    const held = f.sync.getTrustList();
    const json = (doc: unknown): MockDocument => ({ bytes: JSON.stringify(doc) });

    f.trustDoc = json(createCreditIssuer({ seed: 'another-root' }).trustList);
    const rogue = await f.sync.syncOnce();
    expect(rogue.trustList).toMatchObject({
      outcome: 'failed',
      error: { code: 'TRUST_LIST_INVALID', details: { reason: TrustListProblem.SIGNATURE } },
    });
    expect(f.sync.getTrustList()).toBe(held);
    // The status list is still checked, against the list held.
    expect(['updated', 'unchanged']).toContain(rogue.statusList.outcome);

    const content = f.mock.issuer.trustListContent;
    f.trustDoc = json(f.mock.issuer.signTrustList({ ...content, expiresAt: '2020-01-01T00:00:00.000Z' }));
    const expired = await f.sync.syncOnce();
    expect(expired.trustList.error?.details.reason).toBe(TrustListProblem.EXPIRED);
    expect(f.sync.getTrustList()).toBe(held);

    f.trustDoc = { bytes: 'not json' };
    const garbage = await f.sync.syncOnce();
    expect(garbage.trustList.error).toMatchObject({
      code: 'TRUST_LIST_INVALID',
      details: { reason: TrustListProblem.MALFORMED },
    });

    f.trustDoc = json(f.mock.issuer.signTrustList({ ...content, version: 2 }));
    expect((await f.sync.syncOnce()).trustList).toMatchObject({ outcome: 'updated', version: 2 });
    f.trustDoc = undefined; // the platform serves version 1 again
    const rollback = await f.sync.syncOnce();
    expect(rollback.trustList.error).toMatchObject({
      code: 'TRUST_LIST_INVALID',
      details: { reason: PlatformSyncRefusal.TRUST_LIST_ROLLBACK },
    });
    expect(f.sync.getTrustList()?.version).toBe(2);
  });

  it('after a restart while the platform is down, verifies credit codes with the cached lists', async () => {
    const f = await setup();
    f.mock.issuer.revoke(7);
    expect((await f.sync.syncOnce()).ok).toBe(true);
    expect(readdirSync(f.cacheDir).sort()).toEqual(['status-list.json', 'trust-list.json']);
    await f.sync.stop();

    f.mock.faults.inject({ kind: 'status', status: 503 });
    const restarted = f.newSync();
    expect(restarted.getTrustList()?.version).toBe(1);
    expect(restarted.getStatusList()?.isRevoked(7)).toBe(true);
    const down = await restarted.syncOnce();
    expect(down.errors[0]?.code).toBe('CREDIT_UNAVAILABLE');
    expect(restarted.getTrustList()).toBeDefined();

    const resolver = createCreditCodeResolver({
      getTrustList: restarted.getTrustList,
      getStatusList: restarted.getStatusList,
    });
    const now = Date.now();
    const phone = f.mock.issuer.issue(pseudonymOf(0), 'AA', { statusIndex: 3, now: now - 60_000 });
    expect(await resolver.resolve(lookup(phone.present(now)))).toMatchObject({
      tier: 'AA',
      source: 'credit-code',
    });
    const revoked = f.mock.issuer.issue(pseudonymOf(1), 'AA', { statusIndex: 7, now: now - 60_000 });
    expect(await refusal(resolver.resolve(lookup(revoked.present(now))))).toMatchObject({
      code: 'CODE_REFUSED',
      details: { reason: 'REVOKED' },
    });
  });

  it('stops returning the trust list it holds once that list expires', async () => {
    const f = await setup();
    let nowMs = Date.now();
    const sync = f.newSync({ clock: { now: () => nowMs } });
    await sync.syncOnce();
    const held = sync.getTrustList()!;
    nowMs = held.expiresAt - 1;
    expect(sync.getTrustList()).toBe(held);
    nowMs = held.expiresAt;
    expect(sync.getTrustList()).toBeUndefined();
    expect(sync.status()).toMatchObject({ trustListVersion: 1, trustListExpiresAt: held.expiresAt });
  });

  it('does not use a cached trust list that has expired or does not verify', async () => {
    const f = await setup();
    await f.sync.syncOnce();
    const later: Clock = { now: () => f.sync.getTrustList()!.expiresAt + 1 };
    const expired = f.newSync({ clock: later });
    expect(expired.getTrustList()).toBeUndefined();
    expect(expired.getStatusList()).toBeUndefined();
    expect(expired.status().trustListVersion).toBeNull();

    const file = join(f.cacheDir, 'trust-list.json');
    const cached = JSON.parse(readFileSync(file, 'utf8')) as { payload: string; signature: string };
    writeFileSync(
      file,
      JSON.stringify({ ...cached, payload: cached.payload.replace('"version":1', '"version":9') }),
    );
    expect(f.newSync().getTrustList()).toBeUndefined();
    writeFileSync(file, '{ torn');
    expect(f.newSync().getTrustList()).toBeUndefined();
  });

  it('refuses a status list dated in the future and never caches it: the correct lists after it are taken, across restarts', async () => {
    const f = await setup();
    await f.sync.syncOnce();
    const held = f.sync.getStatusList()!;
    const cacheFile = join(f.cacheDir, 'status-list.json');
    const cachedBefore = readFileSync(cacheFile, 'utf8');
    const tenYears = 3650 * 86_400_000;
    const future = JSON.stringify(f.mock.issuer.signedStatusList(Date.now() + tenYears));
    f.mock.replaceDocument('/v1/status-list', () => ({ bytes: future }));
    const refused = await f.sync.syncOnce();
    expect(refused.statusList).toMatchObject({
      outcome: 'failed',
      error: { code: 'STATUS_LIST_INVALID', details: { reason: 'STATUS_LIST_NOT_YET_VALID' } },
    });
    expect(f.sync.getStatusList()).toBe(held);
    expect(readFileSync(cacheFile, 'utf8')).toBe(cachedBefore);

    // The issuer's clock is fixed: its correct list is taken, not refused as a rollback.
    f.mock.replaceDocument('/v1/status-list', null);
    const fixed = await f.sync.syncOnce();
    expect(fixed.statusList.outcome).toBe('updated');
    expect(f.sync.getStatusList()!.issuedAt).toBeGreaterThanOrEqual(held.issuedAt);

    // A cache written by a version that did take such a list: dropped at start.
    writeFileSync(cacheFile, future);
    expect(f.newSync().getStatusList()).toBeUndefined();
  });

  it('a new trust list that withdraws the status-list key drops the list held at once, and from the cache', async () => {
    const f = await setup();
    await f.sync.syncOnce();
    expect(f.sync.getStatusList()).toBeDefined();
    const content = f.mock.issuer.trustListContent;
    f.trustDoc = {
      bytes: JSON.stringify(
        f.mock.issuer.signTrustList({
          ...content,
          version: 2,
          keys: content.keys.filter((k) => k.use !== 'status-list'),
        }),
      ),
    };
    const summary = await f.sync.syncOnce();
    expect(summary.trustList).toMatchObject({ outcome: 'updated', version: 2 });
    // The platform still serves the list signed by the withdrawn key: refused too.
    expect(summary.statusList.error?.details.reason).toBe('STATUS_LIST_UNKNOWN_KEY');
    expect(f.sync.getStatusList()).toBeUndefined();
    expect(f.sync.status().statusListAt).toBeNull();
    expect(existsSync(join(f.cacheDir, 'status-list.json'))).toBe(false);
    expect(f.newSync().getStatusList()).toBeUndefined();

    const resolver = createCreditCodeResolver({
      getTrustList: f.sync.getTrustList,
      getStatusList: f.sync.getStatusList,
    });
    const now = Date.now();
    const phone = f.mock.issuer.issue(pseudonymOf(0), 'AA', { statusIndex: 3, now: now - 60_000 });
    expect(await refusal(resolver.resolve(lookup(phone.present(now))))).toMatchObject({
      code: 'CODE_REFUSED',
      details: { reason: 'STATUS_MISSING' },
    });
  });

  it('a trust-list floor: a fresh terminal refuses an older list from the platform and from the cache', async () => {
    const f = await setup();
    await f.sync.syncOnce(); // leaves version 1 in the cache
    const floored = f.newSync({ minTrustListVersion: 2 });
    expect(floored.getTrustList()).toBeUndefined();
    const refused = await floored.syncOnce();
    expect(refused.trustList).toMatchObject({
      outcome: 'failed',
      error: {
        code: 'TRUST_LIST_INVALID',
        details: { reason: PlatformSyncRefusal.TRUST_LIST_BELOW_FLOOR, version: 1, floor: 2 },
      },
    });
    expect(refused.statusList.outcome).toBe('skipped');
    expect(floored.getTrustList()).toBeUndefined();

    const content = f.mock.issuer.trustListContent;
    f.trustDoc = { bytes: JSON.stringify(f.mock.issuer.signTrustList({ ...content, version: 2 })) };
    expect((await floored.syncOnce()).trustList).toMatchObject({ outcome: 'updated', version: 2 });
    expect(floored.getStatusList()).toBeDefined();
    expect(() => f.newSync({ minTrustListVersion: -1 })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    );
  });

  it('runs concurrent syncOnce calls as one run', async () => {
    const f = await setup();
    const [a, b] = await Promise.all([f.sync.syncOnce(), f.sync.syncOnce()]);
    expect(a).toBe(b);
    expect(f.requests('/v1/trust-list')).toBe(1);
  });
});

describe('createPlatformSync scheduling', () => {
  it('start() syncs at once, then the status list on its timer, backs off on failure, and stop() leaves no timer', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const f = await setup();
    const t0 = Date.now();
    const sync = f.newSync({ clock: { now: () => t0 }, random: () => 0 });
    const next = () => sync.status().nextSyncAt! - t0;
    const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

    const first = once(sync, 'synced');
    sync.start();
    sync.start();
    expect((await first)[0]).toMatchObject({ kind: 'full', ok: true });
    await settle();
    expect(vi.getTimerCount()).toBe(1);
    expect(next()).toBe(60_000);
    expect(f.requests('/v1/trust-list')).toBe(1);

    const statusRun = once(sync, 'synced');
    await vi.advanceTimersToNextTimerAsync();
    expect((await statusRun)[0]).toMatchObject({
      kind: 'status-list',
      trustList: { outcome: 'skipped' },
      statusList: { outcome: 'updated' },
      snapshot: { outcome: 'skipped' },
    });
    expect(f.requests('/v1/status-list')).toBe(2);
    expect(f.requests('/v1/trust-list')).toBe(1);
    await settle();

    // Failures wait longer each time: half of 60 s, then of 120 s (jitter 0).
    f.mock.faults.inject({ kind: 'status', status: 503 });
    for (const wait of [30_000, 60_000]) {
      const failed = once(sync, 'failed');
      await vi.advanceTimersToNextTimerAsync();
      await failed;
      await settle();
      expect(next()).toBe(wait);
    }
    expect(sync.status()).toMatchObject({ running: true, consecutiveFailures: 2 });

    await sync.stop();
    expect(vi.getTimerCount()).toBe(0);
    expect(sync.status()).toMatchObject({ running: false, nextSyncAt: null });
    const sent = f.mock.requests.length;
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(f.mock.requests.length).toBe(sent);
  });

  it('a full run that keeps failing backs off while the status list keeps its minute', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const f = await setup();
    const t0 = Date.now();
    const sync = f.newSync({ clock: { now: () => t0 }, random: () => 0 });
    const next = () => sync.status().nextSyncAt! - t0;
    const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
    // The snapshot fails, the lists do not: revocations must not wait for the snapshot's backoff.
    f.mock.faults.inject({ kind: 'status', status: 503 }, { path: '/v1/snapshots/latest' });

    const first = once(sync, 'failed');
    sync.start();
    expect((await first)[1]).toMatchObject({
      kind: 'full',
      statusList: { outcome: 'updated' },
      snapshot: { outcome: 'failed' },
    });
    await settle();
    // The full run is due again after half of 5 min (jitter 0), the status list after its minute.
    expect(next()).toBe(60_000);
    for (const wait of [60_000, 30_000]) {
      const statusRun = once(sync, 'synced');
      await vi.advanceTimersToNextTimerAsync();
      expect((await statusRun)[0].kind).toBe('status-list');
      await settle();
      expect(next()).toBe(wait);
    }
    const second = once(sync, 'failed');
    await vi.advanceTimersToNextTimerAsync();
    expect((await second)[1].kind).toBe('full');
    await settle();
    // Two full runs failed in a row: 5 min doubled, capped at maxBackoffMs (5 min), half of it with
    // jitter 0; the status list, fetched by that run, after its minute.
    expect(next()).toBe(60_000);
    for (const wait of [60_000, 30_000]) {
      const statusRun = once(sync, 'synced');
      await vi.advanceTimersToNextTimerAsync();
      expect((await statusRun)[0].kind).toBe('status-list');
      await settle();
      expect(next()).toBe(wait);
    }
    expect(sync.status()).toMatchObject({ consecutiveFailures: 0 });
    expect(f.requests('/v1/snapshots/latest')).toBe(2);
    expect(vi.getTimerCount()).toBe(1);
    await sync.stop();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('waits on an unref’d timer, so a daemon can exit', async () => {
    const f = await setup();
    const setTimeoutSpy = vi.spyOn(globalThis, 'setTimeout');
    const synced = once(f.sync, 'synced');
    f.sync.start();
    await synced;
    await new Promise<void>((resolve) => setImmediate(resolve));
    const scheduled = setTimeoutSpy.mock.calls.flatMap((call, i) =>
      call[1] === 60_000 ? [setTimeoutSpy.mock.results[i]!.value as NodeJS.Timeout] : [],
    );
    expect(scheduled).toHaveLength(1);
    expect(scheduled[0]!.hasRef()).toBe(false);
    await f.sync.stop();
    expect(f.sync.status().nextSyncAt).toBeNull();
  });

  it('stop() aborts the download in progress and emits nothing for it', async () => {
    const f = await setup();
    f.mock.faults.inject({ kind: 'timeout' }, { path: '/v1/trust-list' });
    const events: string[] = [];
    f.sync.on('synced', () => events.push('synced'));
    f.sync.on('failed', () => events.push('failed'));
    const run = f.sync.syncOnce();
    await new Promise<void>((resolve) => {
      const poll = () => (f.requests('/v1/trust-list') > 0 ? resolve() : setImmediate(poll));
      poll();
    });
    await f.sync.stop();
    const summary = await run;
    expect(summary.ok).toBe(false);
    expect(summary.statusList.outcome).toBe('skipped');
    expect(summary.snapshot.outcome).toBe('skipped');
    expect(events).toEqual([]);
    expect(f.sync.status().lastFailure).toBeNull();
  });
});

describe('createPlatformSync with a misbehaving platform object', () => {
  const issuer = createCreditIssuer({ seed: 'platform-sync-unit' });

  it('turns an untyped throw into a typed error in the summary, never a rejection', async () => {
    const sync = createPlatformSync({
      platform: {
        getTrustList: async () => {
          throw new Error('socket hang up');
        },
        getStatusList: async () => null,
        getSnapshot: async () => null,
      },
      rootPublicKey: issuer.rootPublicKey,
    });
    const failed = once(sync, 'failed');
    const summary = await sync.syncOnce();
    await failed;
    expect(summary.trustList.outcome).toBe('failed');
    expect(isXinyiError(summary.trustList.error, 'CREDIT_UNAVAILABLE')).toBe(true);
    expect(summary.statusList.outcome).toBe('skipped');
    expect(summary.snapshot.outcome).toBe('skipped');
  });

  it('syncOnce({ signal }) stops the wait with ABORTED while the platform hangs; the run ends with stop()', async () => {
    let asked = 0;
    const sync = createPlatformSync({
      platform: {
        getTrustList: ({ signal } = {}) =>
          new Promise((_, reject) => {
            asked++;
            signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
          }),
        getStatusList: async () => null,
        getSnapshot: async () => null,
      },
      rootPublicKey: issuer.rootPublicKey,
    });
    const controller = new AbortController();
    const waiting = sync.syncOnce({ signal: controller.signal });
    await vi.waitUntil(() => asked === 1);
    controller.abort(new Error('start-up budget spent'));
    await expect(waiting).rejects.toMatchObject({
      code: 'ABORTED',
      cause: expect.objectContaining({ message: 'start-up budget spent' }),
    });
    await expect(sync.syncOnce({ signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ABORTED' });
    await expect(sync.syncOnce({ signal: {} as AbortSignal })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await sync.stop();
  });

  it('refuses options it cannot work with', () => {
    const platform = {
      getTrustList: async () => null,
      getStatusList: async () => null,
      getSnapshot: async () => null,
    };
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        return isXinyiError(error) ? error.code : 'untyped';
      }
      return undefined;
    };
    const root = issuer.rootPublicKey;
    expect(code(() => createPlatformSync({ platform, rootPublicKey: 'not a key' }))).toBe('INVALID_OPTIONS');
    expect(code(() => createPlatformSync({ platform, rootPublicKey: issuer.issuerPublicKey }))).toBe(
      'INVALID_OPTIONS',
    );
    expect(code(() => createPlatformSync({ platform: {} as PlatformSyncSource, rootPublicKey: root }))).toBe(
      'INVALID_OPTIONS',
    );
    expect(
      code(() => createPlatformSync({ platform, rootPublicKey: root, store: {} as SnapshotStore })),
    ).toBe('INVALID_OPTIONS');
    expect(code(() => createPlatformSync({ platform, rootPublicKey: root, intervalMs: 0 }))).toBe(
      'INVALID_OPTIONS',
    );
    expect(code(() => createPlatformSync({ platform, rootPublicKey: root }))).toBeUndefined();
  });

  it('writes no temporary file next to the cache', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xinyi-platform-sync-cache-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const cacheDir = join(dir, 'nested', 'lists');
    const sync = createPlatformSync({
      platform: {
        getTrustList: async () => ({
          bytes: Buffer.from(JSON.stringify(issuer.trustList)),
          contentType: 'a/j',
        }),
        getStatusList: async () => ({
          bytes: Buffer.from(JSON.stringify(issuer.signedStatusList())),
          contentType: 'a/j',
        }),
        getSnapshot: async () => null,
      },
      rootPublicKey: issuer.rootPublicKey,
      cache: { dir: cacheDir },
    });
    const summary = await sync.syncOnce();
    expect(summary).toMatchObject({ ok: true, snapshot: { outcome: 'skipped' } });
    expect(readdirSync(cacheDir).sort()).toEqual(['status-list.json', 'trust-list.json']);
    expect(existsSync(join(cacheDir, 'trust-list.json.tmp'))).toBe(false);
    expect(JSON.parse(readFileSync(join(cacheDir, 'trust-list.json'), 'utf8'))).toEqual(issuer.trustList);
  });
});
