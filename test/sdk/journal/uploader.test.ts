import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createHttpPlatformResolver,
  type HttpPlatformResolverOptions,
} from '../../../sdk/credit/http-platform.js';
import { XinyiError } from '../../../sdk/errors.js';
import type { JournalStore } from '../../../sdk/journal/journal-store.js';
import { createMemoryJournal } from '../../../sdk/journal/memory-journal.js';
import { createSqliteJournal } from '../../../sdk/journal/sqlite-journal.js';
import {
  batchIdempotencyKey,
  createUploader,
  type Uploader,
  type UploaderOptions,
} from '../../../sdk/journal/uploader.js';
import { type MockPlatform, startMockPlatform } from '../../../simulator/mock-platform.js';
import {
  storedKeys,
  syntheticEntry,
  UPLOAD_KEY_ID,
  UPLOAD_PSEUDONYM_KEY,
  UPLOAD_SECRET,
  UPLOAD_TERMINAL_ID,
  uploadPeople,
} from './fixtures/upload-fixtures.js';

const DECISIONS = '/v1/decisions';
const DISCLOSURES = '/v1/disclosures';

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()!();
});

const journals: ReadonlyArray<readonly [string, () => JournalStore | Promise<JournalStore>]> = [
  ['memory', () => createMemoryJournal()],
  [
    'sqlite',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'xinyi-uploader-'));
      cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
      return createSqliteJournal({ path: join(dir, 'journal.db') });
    },
  ],
];

interface Fixture {
  mock: MockPlatform;
  journal: JournalStore;
  uploader: Uploader;
  /** Commits `count` synthetic decisions and returns their ids in commit order. */
  commit(count: number, options?: { disclosureEvery?: number }): string[];
  /** A second uploader over the same journal and platform (a restart). */
  another(overrides?: Partial<UploaderOptions>): Uploader;
}

async function setup(
  openJournal: () => JournalStore | Promise<JournalStore>,
  overrides: Partial<UploaderOptions> = {},
  client: Partial<HttpPlatformResolverOptions> = {},
): Promise<Fixture> {
  const mock = await startMockPlatform({
    pseudonymKey: UPLOAD_PSEUDONYM_KEY,
    keyId: UPLOAD_KEY_ID,
    secret: UPLOAD_SECRET,
    populationSize: 4,
  });
  cleanup.push(() => mock.close());
  const journal = await openJournal();
  cleanup.push(() => journal.close());
  const platform = createHttpPlatformResolver({
    baseUrl: mock.url,
    keyId: UPLOAD_KEY_ID,
    secret: UPLOAD_SECRET,
    terminalId: UPLOAD_TERMINAL_ID,
    transferTimeoutMs: 5_000,
    retry: { baseDelayMs: 5, maxDelayMs: 20 },
    breaker: { cooldownMs: 20 },
    ...client,
  });
  let made = 0;
  const make = (options: Partial<UploaderOptions> = {}) => {
    const uploader = createUploader({
      journal,
      platform,
      batchSize: 20,
      intervalMs: 10,
      maxBackoffMs: 80,
      ...overrides,
      ...options,
    });
    cleanup.push(() => uploader.stop());
    return uploader;
  };
  return {
    mock,
    journal,
    uploader: make(),
    commit(count, options) {
      const ids: string[] = [];
      for (let i = 0; i < count; i++) {
        const entry = syntheticEntry(made++, options);
        journal.commitDecision(entry);
        ids.push(entry.decision.id);
      }
      return ids;
    },
    another: make,
  };
}

function backlogOf(journal: JournalStore): number {
  const backlog = journal.backlog();
  return backlog.decisions.count + backlog.disclosures.count;
}

/** The idempotency keys of the upload requests to `path`, in arrival order. */
function requestKeys(mock: MockPlatform, path: string): string[] {
  return mock.requests.filter((r) => r.path === path).map((r) => r.idempotencyKey ?? '');
}

describe.each(journals)('uploader with the %s journal', (_name, openJournal) => {
  it('uploads decisions in commit order across batches, then disclosures, each item keyed by its id', async () => {
    const f = await setup(openJournal);
    const ids = f.commit(95, { disclosureEvery: 10 });
    const uploaded: Array<{ kind: string; count: number }> = [];
    f.uploader.on('uploaded', ({ kind, count }) => uploaded.push({ kind, count }));

    const result = await f.uploader.flush();

    expect(result).toEqual({ uploaded: 95 + 10, backlog: 0 });
    expect(storedKeys(f.mock.uploads.decisions)).toEqual(ids);
    const disclosureIds = ids.filter((_, i) => i % 10 === 0).map((id) => `${id}:qz-scenic-free-entry`);
    expect(storedKeys(f.mock.uploads.disclosures)).toEqual(disclosureIds);
    // Five decision batches of at most 20, then one of disclosures; the batch key is the hash of its ids.
    expect(uploaded).toEqual([
      ...[20, 20, 20, 20, 15].map((count) => ({ kind: 'decisions', count })),
      { kind: 'disclosures', count: 10 },
    ]);
    expect(f.mock.requests.map((r) => r.path)).toEqual([...Array(5).fill(DECISIONS), DISCLOSURES]);
    expect(requestKeys(f.mock, DECISIONS)).toEqual(
      [0, 20, 40, 60, 80].map((at) => batchIdempotencyKey('decisions', ids.slice(at, at + 20))),
    );
    const first = (f.mock.requests[0]!.body as { items: Array<Record<string, unknown>> }).items[0]!;
    expect(first.key).toBe(ids[0]);
    expect((first.decision as { id: string }).id).toBe(ids[0]);
    expect(f.journal.getDecision(ids[94]!)?.uploadedAt).not.toBeNull();
    expect(f.uploader.state).toBe('online');
    expect(f.uploader.stats).toMatchObject({ uploaded: 105, duplicates: 0, failures: 0, lastError: null });

    // Pseudonyms and masked forms only: not one synthetic ID number or name reached the platform.
    const sent = JSON.stringify(f.mock.requests.map((r) => r.body));
    for (const person of uploadPeople) {
      expect(sent).not.toContain(person.idNumber);
      expect(sent).not.toContain(person.name);
    }
  });

  it('keeps decisions while the platform is down, raises the backlog alarm once, then drains in order', async () => {
    const f = await setup(openJournal, { backlogAlarmThreshold: 50 });
    const events: string[] = [];
    const offline: XinyiError[] = [];
    const alarms: Array<{ count: number; threshold: number }> = [];
    f.uploader.on('online', () => events.push('online'));
    f.uploader.on('offline', ({ error }) => {
      events.push('offline');
      offline.push(error);
    });
    f.uploader.on('backlog-alarm', (alarm) => {
      events.push('backlog-alarm');
      alarms.push(alarm);
    });
    f.uploader.on('backlog-cleared', () => events.push('backlog-cleared'));

    f.mock.faults.inject({ kind: 'drop' });
    const ids = f.commit(30);
    f.uploader.start();
    await vi.waitFor(() => expect(f.uploader.state).toBe('offline'));
    expect(offline[0]).toMatchObject({ code: 'CREDIT_UNAVAILABLE' });

    // The terminal keeps deciding while the uploader backs off: the backlog grows past the threshold.
    ids.push(...f.commit(40));
    ids.push(...f.commit(40));
    await vi.waitFor(() => expect(alarms).toHaveLength(1));
    expect(alarms[0]).toEqual({ count: 110, threshold: 50 });
    const failuresWhileDown = f.uploader.stats.failures;
    await vi.waitFor(() => expect(f.uploader.stats.failures).toBeGreaterThan(failuresWhileDown + 2));
    expect(f.mock.uploads.decisions).toEqual([]);
    expect(backlogOf(f.journal)).toBe(110);
    expect(f.uploader.stats.backlogAlarm).toBe(true);

    f.mock.faults.clear();
    await vi.waitFor(() => expect(backlogOf(f.journal)).toBe(0), { timeout: 10_000 });
    await vi.waitFor(() => expect(events.at(-1)).toBe('backlog-cleared'));

    expect(storedKeys(f.mock.uploads.decisions)).toEqual(ids);
    for (const count of f.mock.uploads.receivedByKey.decisions.values()) expect(count).toBe(1);
    expect(events).toEqual(['offline', 'backlog-alarm', 'online', 'backlog-cleared']);
    expect(f.uploader.state).toBe('online');
    expect(f.uploader.stats).toMatchObject({ uploaded: 110, backlogAlarm: false, consecutiveFailures: 0 });
    expect(f.uploader.stats.lastError).toBe('CREDIT_UNAVAILABLE');
  });

  it('treats a 409 for a batch the platform already has as delivered', async () => {
    const f = await setup(openJournal);
    const ids = f.commit(12);
    // Every attempt's answer is lost: the platform has the batch, the journal does not know it.
    f.mock.faults.inject({ kind: 'lost-response' }, { times: 3, path: DECISIONS });
    const lost = await f.uploader.flush();
    expect(lost.error?.code).toBe('CREDIT_UNAVAILABLE');
    expect(lost.backlog).toBe(12);
    expect(storedKeys(f.mock.uploads.decisions)).toEqual(ids);

    f.mock.faults.inject({ kind: 'conflict-on-duplicate' }, { path: DECISIONS });
    const result = await f.uploader.flush();

    expect(result).toEqual({ uploaded: 12, backlog: 0 });
    expect(f.mock.requests.at(-1)?.status).toBe(409);
    expect(new Set(requestKeys(f.mock, DECISIONS))).toEqual(new Set([batchIdempotencyKey('decisions', ids)]));
    expect(storedKeys(f.mock.uploads.decisions)).toEqual(ids);
    expect(f.uploader.stats).toMatchObject({ uploaded: 12, duplicates: 12, failures: 1 });
    expect(f.journal.pendingUploads('decisions', 100)).toEqual([]);
  });

  it('retries a batch whose answer was lost under the same key, and the platform stores each item once', async () => {
    const f = await setup(openJournal);
    const ids = f.commit(25);
    f.mock.faults.inject({ kind: 'lost-response' }, { times: 1, path: DECISIONS });

    const result = await f.uploader.flush();

    expect(result).toEqual({ uploaded: 25, backlog: 0 });
    const firstKey = batchIdempotencyKey('decisions', ids.slice(0, 20));
    expect(requestKeys(f.mock, DECISIONS)).toEqual([
      firstKey,
      firstKey,
      batchIdempotencyKey('decisions', ids.slice(20)),
    ]);
    expect(f.mock.requests.map((r) => r.status)).toEqual([undefined, 200, 200]);
    expect(storedKeys(f.mock.uploads.decisions)).toEqual(ids);
    const received = f.mock.uploads.receivedByKey.decisions;
    expect(received.size).toBe(25);
    for (const id of ids) expect(received.get(id)).toBe(ids.indexOf(id) < 20 ? 2 : 1);
    expect(f.uploader.stats).toMatchObject({ uploaded: 25, duplicates: 20, failures: 0 });
  });

  it('stop() lets the batch in flight finish and be marked: nothing lost, nothing sent twice', async () => {
    const f = await setup(openJournal);
    const ids = f.commit(50);
    f.mock.faults.inject({ kind: 'latency', ms: 200 }, { times: 1, path: DECISIONS });
    f.uploader.start();
    await vi.waitFor(() => expect(f.mock.requests).toHaveLength(1));

    await f.uploader.stop();

    expect(f.mock.requests).toHaveLength(1);
    expect(f.mock.requests[0]!.status).toBe(200);
    expect(f.journal.backlog().decisions.count).toBe(30);
    expect(f.journal.getDecision(ids[19]!)?.uploadedAt).not.toBeNull();
    expect(f.journal.getDecision(ids[20]!)?.uploadedAt).toBeNull();

    const restarted = f.another();
    expect(await restarted.flush()).toEqual({ uploaded: 30, backlog: 0 });
    expect(storedKeys(f.mock.uploads.decisions)).toEqual(ids);
    for (const id of ids) expect(f.mock.uploads.receivedByKey.decisions.get(id)).toBe(1);
  });
});

describe('uploader failures', () => {
  const openMemory = () => createMemoryJournal();

  it('a 400 is UPLOAD_REJECTED: the batch stays in the outbox and is retried later with growing backoff', async () => {
    const f = await setup(openMemory, { intervalMs: 10, maxBackoffMs: 1_000, random: () => 0 });
    const ids = f.commit(5, { disclosureEvery: 2 });
    f.mock.faults.inject({ kind: 'status', status: 400 }, { path: DECISIONS });
    const offline: Array<{ code: string; error: XinyiError }> = [];
    f.uploader.on('offline', (event) => offline.push(event));

    f.uploader.start();
    await vi.waitFor(() => expect(f.uploader.stats.failures).toBeGreaterThanOrEqual(3));

    expect(offline).toHaveLength(1);
    expect(offline[0]!.code).toBe('UPLOAD_REJECTED');
    expect(offline[0]!.error).toMatchObject({
      code: 'UPLOAD_REJECTED',
      details: { kind: 'decisions', status: 400, batchSize: 5 },
    });
    expect(f.uploader.state).toBe('offline');
    expect(f.journal.backlog().decisions.count).toBe(5);
    expect(f.mock.uploads.decisions).toEqual([]);
    // A refused decision batch does not hold back the disclosures, which have a legal deadline.
    expect(storedKeys(f.mock.uploads.disclosures)).toHaveLength(3);
    // Backoff, not a hot loop: with no jitter the wait is intervalMs · 2^(n−1) / 2 after n failures in a row.
    const stats = f.uploader.stats;
    expect(stats.lastError).toBe('UPLOAD_REJECTED');
    expect(stats.nextAttemptAt! - stats.lastErrorAt!).toBe(
      Math.min(1_000, 10 * 2 ** (stats.consecutiveFailures - 1)) / 2,
    );
    // The client does not retry a 400: one request per failure.
    const decisionRequests = f.mock.requests.filter((r) => r.path === DECISIONS);
    expect(decisionRequests.length).toBeGreaterThanOrEqual(stats.failures);
    expect(decisionRequests.length).toBeLessThanOrEqual(stats.failures + 1);
    expect(new Set(decisionRequests.map((r) => r.idempotencyKey)).size).toBe(1);

    const flushed = await f.uploader.flush();
    expect(flushed.error?.code).toBe('UPLOAD_REJECTED');

    f.mock.faults.clear();
    await vi.waitFor(() => expect(f.uploader.state).toBe('online'), { timeout: 5_000 });
    await vi.waitFor(() => expect(backlogOf(f.journal)).toBe(0));
    expect(storedKeys(f.mock.uploads.decisions)).toEqual(ids);
  });

  it('flush({ signal }): an abort rejects ABORTED at once, aborts the request in flight, and is no platform failure', async () => {
    const f = await setup(openMemory);
    const ids = f.commit(3);
    // The platform takes the request and never answers (within the client's 5 s transfer budget).
    f.mock.faults.inject({ kind: 'timeout' }, { path: DECISIONS });
    const controller = new AbortController();
    const flushing = f.uploader.flush({ signal: controller.signal });
    await vi.waitFor(() => expect(f.mock.requests.filter((r) => r.path === DECISIONS)).toHaveLength(1));
    const reason = new Error('shutting down');
    controller.abort(reason);
    const error = await flushing.then(
      () => undefined,
      (thrown: unknown) => thrown as XinyiError,
    );
    expect(error?.code).toBe('ABORTED');
    expect(error?.cause).toBe(reason);
    // The request was aborted, not left running: the next flush is not queued behind it.
    f.mock.faults.clear();
    expect(await f.uploader.flush()).toEqual({ uploaded: 3, backlog: 0 });
    expect(storedKeys(f.mock.uploads.decisions)).toEqual(ids);
    // Giving up was the caller's choice: no failure counted, never offline.
    expect(f.uploader.stats).toMatchObject({ failures: 0, consecutiveFailures: 0, lastError: null });
    expect(f.uploader.state).toBe('online');
  });

  it('flush({ signal }) with a signal already aborted sends nothing; a signal that is not one is INVALID_ARGUMENT', async () => {
    const f = await setup(openMemory);
    f.commit(2);
    const aborted = AbortSignal.abort();
    await expect(f.uploader.flush({ signal: aborted })).rejects.toMatchObject({ code: 'ABORTED' });
    await expect(f.uploader.flush({ signal: 'soon' as unknown as AbortSignal })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      details: { option: 'signal' },
    });
    expect(f.mock.requests.filter((r) => r.path === DECISIONS)).toHaveLength(0);
    expect(backlogOf(f.journal)).toBe(2);
  });

  it('a flush aborted while it waits for the pass in flight starts no upload of its own', async () => {
    const f = await setup(openMemory, { intervalMs: 60_000 });
    f.commit(2);
    f.mock.faults.inject({ kind: 'latency', ms: 200 }, { path: DECISIONS });
    const first = f.uploader.flush();
    await vi.waitFor(() => expect(f.mock.requests.filter((r) => r.path === DECISIONS)).toHaveLength(1));
    // Committed after the first pass read its batch: only a second pass would send it.
    f.commit(1);
    const controller = new AbortController();
    const second = f.uploader.flush({ signal: controller.signal });
    controller.abort();
    await expect(second).rejects.toMatchObject({ code: 'ABORTED' });
    expect(await first).toEqual({ uploaded: 2, backlog: 1 });
    // Let the queued (aborted) pass come and go: it must not have uploaded the new decision.
    await f.uploader.stop();
    expect(f.mock.requests.filter((r) => r.path === DECISIONS)).toHaveLength(1);
    expect(backlogOf(f.journal)).toBe(1);
  });

  it('a 401 keeps its own code; the uploader does not call it a rejection', async () => {
    const f = await setup(openMemory);
    f.commit(3);
    f.mock.faults.inject({ kind: 'status', status: 401 }, { path: DECISIONS });
    const result = await f.uploader.flush();
    expect(result.error?.code).toBe('CREDIT_UNAUTHORIZED');
    expect(result.backlog).toBe(3);
    expect(f.uploader.state).toBe('offline');
  });

  it('a batch the journal could not mark is sent again under the same key and stored once', async () => {
    let failMarks = 1;
    const f = await setup(() => {
      const journal = createMemoryJournal();
      const markUploaded = journal.markUploaded.bind(journal);
      journal.markUploaded = (kind, ids, at) => {
        if (failMarks-- > 0) throw new XinyiError('JOURNAL_UNAVAILABLE', 'read-only database (injected)');
        markUploaded(kind, ids, at);
      };
      return journal;
    });
    const ids = f.commit(8);

    const first = await f.uploader.flush();
    expect(first.error?.code).toBe('JOURNAL_UNAVAILABLE');
    expect(first.backlog).toBe(8);
    // The platform was reached: a journal fault is not an outage.
    expect(f.uploader.state).toBe('online');
    expect(f.uploader.stats).toMatchObject({ uploaded: 0, failures: 0, lastError: 'JOURNAL_UNAVAILABLE' });

    expect(await f.uploader.flush()).toEqual({ uploaded: 8, backlog: 0 });
    expect(new Set(requestKeys(f.mock, DECISIONS))).toEqual(new Set([batchIdempotencyKey('decisions', ids)]));
    expect(f.mock.requests.map((r) => r.status)).toEqual([200, 200]);
    expect(storedKeys(f.mock.uploads.decisions)).toEqual(ids);
    expect(f.uploader.stats.duplicates).toBe(8);
  });

  it('a listener that throws does not stop the outbox from draining', async () => {
    const f = await setup(openMemory);
    const ids = f.commit(45);
    f.uploader.on('uploaded', () => {
      throw new Error('listener bug');
    });
    expect(await f.uploader.flush()).toEqual({ uploaded: 45, backlog: 0 });
    expect(storedKeys(f.mock.uploads.decisions)).toEqual(ids);
  });

  it('validates its options with INVALID_OPTIONS', () => {
    const journal = createMemoryJournal();
    const platform = { uploadDecisions: vi.fn(), uploadDisclosures: vi.fn() };
    for (const bad of [
      { journal: undefined, platform },
      { journal, platform: {} },
      { journal, platform, batchSize: 0 },
      { journal, platform, batchSize: 1.5 },
      { journal, platform, intervalMs: -1 },
      { journal, platform, backlogAlarmThreshold: 0 },
    ]) {
      expect(() => createUploader(bad as unknown as UploaderOptions)).toThrow(
        expect.objectContaining({ code: 'INVALID_OPTIONS' }),
      );
    }
    expect(createUploader({ journal, platform }).state).toBe('idle');
  });
});

describe('uploader backoff on the shared retry loop (fake timers, in-memory platform)', () => {
  /** A platform whose decision uploads fail while `down`, recording when each was tried. */
  function flakyPlatform() {
    const state = { down: true, attemptsAt: [] as number[] };
    const platform = {
      async uploadDecisions() {
        state.attemptsAt.push(Date.now());
        if (state.down) throw new XinyiError('CREDIT_UNAVAILABLE', 'platform unreachable');
        return { duplicate: false };
      },
      async uploadDisclosures() {
        return { duplicate: false };
      },
    } as unknown as UploaderOptions['platform'];
    return { state, platform };
  }

  it('retries after intervalMs · 2^(n−1), not on every tick, and delivers once the platform is back', async () => {
    vi.useFakeTimers({ now: 0 });
    try {
      const journal = createMemoryJournal();
      journal.commitDecision(syntheticEntry(0));
      const { state, platform } = flakyPlatform();
      const uploader = createUploader({
        journal,
        platform,
        intervalMs: 100,
        maxBackoffMs: 1_000,
        random: () => 0.999_999,
      });
      uploader.start();
      await vi.advanceTimersByTimeAsync(2_000);
      // Failures at 0, then after 100, 200, 400, 800 (full step with this jitter): 0, 100, 300, 700, 1500.
      expect(state.attemptsAt).toEqual([0, 100, 300, 700, 1_500]);
      expect(uploader.state).toBe('offline');
      state.down = false;
      await vi.advanceTimersByTimeAsync(1_000);
      expect(state.attemptsAt.at(-1)).toBe(2_500);
      expect(uploader.state).toBe('online');
      expect(journal.backlog().decisions.count).toBe(0);
      await uploader.stop();
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('flush() during the backoff runs at once, and stop() ends the wait', async () => {
    vi.useFakeTimers({ now: 0 });
    try {
      const journal = createMemoryJournal();
      journal.commitDecision(syntheticEntry(0));
      const { state, platform } = flakyPlatform();
      const uploader = createUploader({ journal, platform, intervalMs: 100, maxBackoffMs: 60_000 });
      uploader.start();
      await vi.advanceTimersByTimeAsync(50);
      expect(state.attemptsAt).toEqual([0]);
      const flushed = await uploader.flush();
      expect(flushed.error?.code).toBe('CREDIT_UNAVAILABLE');
      expect(state.attemptsAt).toEqual([0, 50]);
      await uploader.stop();
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});
