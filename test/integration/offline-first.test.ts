// The whole credit chain over real parts: the mock platform on loopback HTTP serving a signed trust
// list, status list and snapshot; the terminal's HTTP client downloading them; SQLite applying the
// snapshot; signed codes verified offline. Faults: a tampered snapshot, a revoked code, a dead platform.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildSnapshot } from '../../platform/index.js';
import {
  createCreditCodeResolver,
  createHttpPlatformResolver,
  createPseudonymizer,
  createSnapshotResolver,
  createTerminal,
  loadStatusList,
  loadTrustList,
  openSnapshotStore,
} from '../../sdk/index.js';
import { createCreditIssuer, generatePopulation, startMockPlatform } from '../../simulator/index.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const NOW = Date.parse('2026-11-26T10:00:00+08:00');
const clock = { now: () => NOW };
const people = generatePopulation(30, 'offline-first', {
  blackListRate: 0,
  keyAttentionRate: 0,
  mix: { AA: 1 },
});
const pseudonymizer = createPseudonymizer('offline-first-test-key-0123');

async function rig() {
  const issuer = createCreditIssuer({ seed: 'offline-first', now: NOW - 3_600_000 });
  const snapshotKeys = generateKeyPairSync('ed25519');
  let snapshotBytes: Buffer = buildSnapshot(
    people.map((p) => ({ pseudonym: pseudonymizer.pseudonymize(p.idNumber), tier: p.tier, lists: p.lists })),
    { privateKey: snapshotKeys.privateKey, sequence: 2, generatedAt: NOW - 3_600_000 },
  );
  const platform = await startMockPlatform({
    people,
    pseudonymizer,
    keyId: 'kiosk',
    secret: 'offline-first-secret',
    clock,
    trustList: () => ({ bytes: JSON.stringify(issuer.trustList), contentType: 'application/json' }),
    statusList: () => ({
      bytes: JSON.stringify(issuer.signedStatusList(NOW - 60_000)),
      contentType: 'application/json',
    }),
    snapshotProvider: () => ({ bytes: snapshotBytes }),
  });
  cleanups.push(() => platform.close());
  const http = createHttpPlatformResolver({
    baseUrl: platform.url,
    keyId: 'kiosk',
    secret: 'offline-first-secret',
    clock,
    timeoutMs: 150,
    // The mock signs its answers with its own platform-response key, on its own trust list.
    trustList: loadTrustList(platform.issuer.trustList, {
      rootPublicKey: platform.issuer.rootPublicKey,
      now: NOW,
    }),
  });
  const dir = mkdtempSync(join(tmpdir(), 'xinyi-offline-first-'));
  const store = await openSnapshotStore({ path: join(dir, 'snapshot.sqlite') });
  cleanups.push(
    () => rmSync(dir, { recursive: true, force: true }),
    () => store.close(),
  );
  return {
    issuer,
    platform,
    http,
    store,
    snapshotKeys,
    replaceSnapshot: (bytes: Buffer) => {
      snapshotBytes = bytes;
    },
  };
}

describe('offline-first credit chain over HTTP', () => {
  it('downloads and applies the signed snapshot; when the platform dies the snapshot answers within the deadline', async () => {
    const r = await rig();
    const download = await r.http.getSnapshot();
    r.store.apply(Buffer.from(download!.bytes), { publicKeys: r.snapshotKeys.publicKey });
    expect(r.store.info()?.count).toBe(people.length);

    const terminal = createTerminal({
      terminalId: 'kiosk-1',
      scene: 'library-kiosk',
      pseudonymizer,
      clock,
      credit: [r.http, createSnapshotResolver(r.store)],
      decisionDeadlineMs: 400,
    });
    cleanups.push(() => terminal.close());
    const person = people[0]!;
    const online = await terminal.present({ kind: 'id-card', idNumber: person.idNumber });
    expect(online.standingSource).toBe('platform');

    r.platform.faults.inject({ kind: 'timeout' }, { times: 100 });
    const started = Date.now();
    const offline = await terminal.present({ kind: 'id-card', idNumber: person.idNumber });
    expect(Date.now() - started).toBeLessThan(400);
    expect(offline.standingSource).toBe('snapshot');
    expect(offline.outcome).toBe('granted');
    expect(offline.standingAgeMs).toBe(3_600_000);
  });

  it('a snapshot download whose signature does not verify is refused and the previous snapshot stays whole', async () => {
    const r = await rig();
    r.store.apply(Buffer.from((await r.http.getSnapshot())!.bytes), { publicKeys: r.snapshotKeys.publicKey });
    const forged = buildSnapshot(
      [{ pseudonym: pseudonymizer.pseudonymize(people[1]!.idNumber), tier: 'AAA', lists: [] }],
      {
        privateKey: generateKeyPairSync('ed25519').privateKey,
        sequence: 3,
        generatedAt: NOW,
      },
    );
    r.replaceSnapshot(forged);
    const download = await r.http.getSnapshot();
    expect(() =>
      r.store.apply(Buffer.from(download!.bytes), { publicKeys: r.snapshotKeys.publicKey }),
    ).toThrow(expect.objectContaining({ code: 'SNAPSHOT_SIGNATURE_INVALID' }));
    expect(r.store.info()).toMatchObject({ sequence: 2, count: people.length });
  });

  it('codes verify offline from the downloaded trust list; a code revoked in the downloaded status list is refused', async () => {
    const r = await rig();
    const trustDoc = await r.http.getTrustList();
    const trustList = loadTrustList(JSON.parse(Buffer.from(trustDoc!.bytes).toString('utf8')), {
      rootPublicKey: r.issuer.rootPublicKey,
      now: NOW,
    });
    const good = r.issuer.issue('holder-1', 'AA', { statusIndex: 1, now: NOW - 3_600_000 });
    const revoked = r.issuer.issue('holder-2', 'AAA', { statusIndex: 2, now: NOW - 3_600_000 });
    r.issuer.revoke(2);
    const statusDoc = await r.http.getStatusList();
    const statusList = loadStatusList(JSON.parse(Buffer.from(statusDoc!.bytes).toString('utf8')), {
      trustList,
    });

    const terminal = createTerminal({
      terminalId: 'gate-1',
      scene: 'scenic-gate',
      pseudonymizer,
      clock,
      context: { siteId: 'ouyuan' },
      credit: [createCreditCodeResolver({ trustList, statusList, clock }), r.http],
    });
    cleanups.push(() => terminal.close());
    r.platform.faults.inject({ kind: 'status', status: 503 }, { times: 100 }); // the gate is offline
    const ok = await terminal.present({ kind: 'credit-code', text: good.present(NOW) });
    expect(ok.standingSource).toBe('credit-code');
    expect(ok.benefits.map((b) => b.kind)).toEqual(['free-entry']);
    const refused = await terminal.present({ kind: 'credit-code', text: revoked.present(NOW) });
    expect(refused.outcome).toBe('unavailable');
    expect(refused.reasons).toEqual([{ code: 'CODE_REVOKED' }]);
    // A screenshot shown again: the same presentation twice is a replay.
    const again = await terminal.present({ kind: 'credit-code', text: good.present(NOW) });
    expect(again.reasons).toEqual([{ code: 'CODE_REPLAYED' }]);
  });

  it('the mock platform generates signed snapshots and deltas itself; a damaged download is refused', async () => {
    const platform = await startMockPlatform({
      people,
      pseudonymizer,
      keyId: 'kiosk',
      secret: 's3cret',
      clock,
    });
    cleanups.push(() => platform.close());
    const http = createHttpPlatformResolver({
      baseUrl: platform.url,
      keyId: 'kiosk',
      secret: 's3cret',
      clock,
    });
    const dir = mkdtempSync(join(tmpdir(), 'xinyi-mock-snapshot-'));
    const store = await openSnapshotStore({ path: join(dir, 'snapshot.sqlite') });
    cleanups.push(
      () => rmSync(dir, { recursive: true, force: true }),
      () => store.close(),
    );
    const keys = { publicKeys: platform.snapshotPublicKey };

    store.apply(Buffer.from((await http.getSnapshot())!.bytes), keys);
    const first = store.info()!;
    expect(first.count).toBe(people.length * 2); // ID-number and member-card pseudonyms

    const someone = pseudonymizer.pseudonymize(people[3]!.idNumber);
    const gone = pseudonymizer.pseudonymize(people[4]!.idNumber);
    platform.setStanding(someone, { tier: 'D', lists: [{ kind: 'black' }] });
    platform.setStanding(gone, null);
    platform.faults.inject({ kind: 'bad-snapshot-signature' }, { times: 1 });
    const damaged = await http.getSnapshot({ since: String(first.sequence) });
    expect(() => store.apply(Buffer.from(damaged!.bytes), keys)).toThrow(
      expect.objectContaining({ code: 'SNAPSHOT_SIGNATURE_INVALID' }),
    );
    store.apply(Buffer.from((await http.getSnapshot({ since: String(first.sequence) }))!.bytes), keys);
    expect(store.info()).toMatchObject({ sequence: platform.snapshotSequence, count: people.length * 2 - 1 });
    expect(store.lookup(someone)).toMatchObject({ tier: 'D', lists: [{ kind: 'black' }] });
    expect(store.lookup(gone)).toBeNull();

    const trust = loadTrustList(
      JSON.parse(Buffer.from((await http.getTrustList())!.bytes).toString('utf8')),
      {
        rootPublicKey: platform.issuer.rootPublicKey,
        now: NOW,
      },
    );
    expect(trust.keys.length).toBeGreaterThan(0);
  });
});
