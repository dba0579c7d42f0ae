import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpPlatformResolver, PLATFORM_PATHS } from '../../../sdk/credit/http-platform.js';
import { createPlatformSync, type PlatformSync } from '../../../sdk/credit/platform-sync.js';
import { createDocumentKeeper, type DocumentKeeper } from '../../../sdk/documents/document-keeper.js';
import { qingzhouPolicyPack } from '../../../sdk/policy/qingzhou-pack.js';
import { type MockPlatform, startMockPlatform } from '../../../simulator/mock-platform.js';
import { signedPolicy, YEAR_2027 } from '../documents/fixtures.js';

const KEY_ID = 'sync-documents-key';
const SECRET = 'platform-sync-documents-secret-0123456789';

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()!();
});

async function setup(
  extra: Partial<Parameters<typeof startMockPlatform>[0]> = {},
): Promise<{ mock: MockPlatform; keeper: DocumentKeeper; sync: PlatformSync; cacheDir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'xinyi-sync-documents-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const mock = await startMockPlatform({
    keyId: KEY_ID,
    secret: SECRET,
    pseudonymKey: 'sync-documents-pseudonym-key-01',
    populationSize: 4,
    ...extra,
  });
  cleanup.push(() => mock.close());
  const http = createHttpPlatformResolver({
    baseUrl: mock.url,
    keyId: KEY_ID,
    secret: SECRET,
    retry: { maxAttempts: 1 },
  });
  let sync: PlatformSync | undefined;
  const cacheDir = join(dir, 'cache');
  const keeper = createDocumentKeeper({
    keys: (kid, usage) => sync?.getTrustList()?.keysFor(kid, usage) ?? [],
    cacheDir,
  });
  sync = createPlatformSync({ platform: http, rootPublicKey: mock.issuer.rootPublicKey, documents: keeper });
  const running = sync;
  cleanup.push(() => running.stop());
  return { mock, keeper, sync, cacheDir };
}

describe('platform sync of the calendar and policy-pack documents', () => {
  it('fetches both on a full run after the trust list, verifies them with its keys and hands them to the keeper', async () => {
    const { mock, keeper, sync } = await setup();
    let summary = await sync.syncOnce();
    expect(summary).toMatchObject({
      ok: true,
      calendar: { outcome: 'absent' },
      policyPack: { outcome: 'absent' },
    });

    mock.publishCalendar([YEAR_2027]);
    const staged = { ...structuredClone(qingzhouPolicyPack), version: '2027.1.0' };
    mock.publishPolicyPack(staged, { effectiveFrom: '2099-01-01T00:00:00+08:00' });
    summary = await sync.syncOnce();
    expect(summary).toMatchObject({
      ok: true,
      calendar: { outcome: 'updated', version: 1 },
      policyPack: { outcome: 'updated', version: 1 },
    });
    expect(keeper.calendar().officialYears).toContain(2027);
    expect(keeper.status().policy.staged).toEqual([
      expect.objectContaining({ version: 1, policyVersion: 'qingzhou-xinyi@2027.1.0' }),
    ]);
    summary = await sync.syncOnce();
    expect(summary).toMatchObject({ calendar: { outcome: 'unchanged', version: 1 } });
    expect(mock.requests.filter((r) => r.path === PLATFORM_PATHS.calendar)).toHaveLength(3);
  });

  it('a refused document fails its part, the run reports it, and what is held stays', async () => {
    let served = '';
    const { mock, keeper, sync } = await setup({ policyPack: () => ({ bytes: served }) });
    served = signedPolicy(mock.issuer.policyPackPrivateKey, 5, qingzhouPolicyPack);
    expect((await sync.syncOnce()).policyPack).toMatchObject({ outcome: 'updated', version: 5 });
    // The platform now serves an older document: a replay.
    served = signedPolicy(mock.issuer.policyPackPrivateKey, 4, { ...qingzhouPolicyPack, version: 'old' });
    const summary = await sync.syncOnce();
    expect(summary.ok).toBe(false);
    expect(summary.policyPack.outcome).toBe('failed');
    expect(summary.errors[0]).toMatchObject({
      code: 'DOCUMENT_INVALID',
      details: { reason: 'DOCUMENT_ROLLBACK' },
    });
    expect(keeper.status().policy).toMatchObject({ documentVersion: 5 });
    expect(keeper.status().refusals).toEqual([
      expect.objectContaining({ kind: 'policy-pack', origin: 'platform' }),
    ]);
    expect(sync.status().lastFailure).toMatchObject({ part: 'policy-pack', code: 'DOCUMENT_INVALID' });
  });

  it('skips the documents without a usable trust list', async () => {
    const { mock, sync } = await setup();
    mock.publishCalendar([YEAR_2027]);
    mock.faults.inject({ kind: 'status', status: 503 }, { path: PLATFORM_PATHS.trustList });
    const summary = await sync.syncOnce();
    expect(summary.calendar).toEqual({ outcome: 'skipped' });
    expect(mock.requests.filter((r) => r.path === PLATFORM_PATHS.calendar)).toHaveLength(0);
  });

  it('a calendar larger than its limit is not read past the limit', async () => {
    const { sync } = await setup({ calendar: () => ({ bytes: 'x'.repeat(300 * 1024) }) });
    const summary = await sync.syncOnce();
    expect(summary.calendar.outcome).toBe('failed');
    // The client's one byte-limited reader refuses it, by its declared length, unread.
    expect(summary.calendar.error).toMatchObject({
      code: 'PLATFORM_RESPONSE_TOO_LARGE',
      details: { kind: 'calendar', limitBytes: 256 * 1024 },
    });
  });
});
