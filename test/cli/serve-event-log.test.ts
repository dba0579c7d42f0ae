import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EventLog } from '../../cli/serve/event-log.js';
import { parseSince } from '../../cli/serve/event-stream.js';
import {
  checkIdempotencyKey,
  decisionIdFor,
  openIdempotencyStore,
  requestHash,
} from '../../cli/serve/idempotency-store.js';
import { isXinyiError } from '../../sdk/errors.js';
import { silentLogger } from '../../sdk/logger.js';
import { until } from '../support/until.js';

const dir = mkdtempSync(join(tmpdir(), 'xinyi-serve-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return isXinyiError(error) ? `${error.code}` : String(error);
  }
  return undefined;
}

describe('EventLog', () => {
  it('numbers events from 1 and gives what came after a sequence, oldest first', () => {
    const log = new EventLog({ capacity: 4, epoch: 'e1', now: () => 0 });
    const seen: number[] = [];
    log.subscribe((e) => seen.push(e.seq));
    for (let i = 0; i < 3; i++) log.append('decision', { i });
    expect(seen).toEqual([1, 2, 3]);
    expect(log.since(1).map((e) => e.data.i)).toEqual([1, 2]);
    expect(log.since(3)).toEqual([]);
    expect(log.since(0).map((e) => e.seq)).toEqual([1, 2, 3]);
  });

  it('is a ring: once an event is dropped, resuming before it is a gap, resuming after it is whole', () => {
    const log = new EventLog({ capacity: 4, epoch: 'e1', now: () => 0 });
    for (let i = 1; i <= 10; i++) log.append('decision', { i });
    expect(log.oldestSeq).toBe(7);
    expect(log.since(6).map((e) => e.seq)).toEqual([7, 8, 9, 10]);
    expect(codeOf(() => log.since(5))).toBe('EVENTS_GAP');
    // A number from before a restart (beyond the last) is a gap too, not silence.
    expect(codeOf(() => log.since(11))).toBe('EVENTS_GAP');
    expect(codeOf(() => log.since(-1))).toBe('INVALID_ARGUMENT');
  });

  it('parses since as EPOCH.SEQ or SEQ; another epoch is a gap', () => {
    const log = new EventLog({ capacity: 4, epoch: 'abc123', now: () => 0 });
    log.append('decision', {});
    expect(parseSince('abc123.1', log)).toBe(1);
    expect(parseSince('0', log)).toBe(0);
    expect(parseSince(undefined, log)).toBe(1);
    expect(codeOf(() => parseSince('other.1', log))).toBe('EVENTS_GAP');
    expect(codeOf(() => parseSince('abc123.x', log))).toBe('INVALID_ARGUMENT');
  });
});

describe('idempotency keys', () => {
  it('refuses a missing or malformed key', () => {
    expect(codeOf(() => checkIdempotencyKey(undefined))).toBe('IDEMPOTENCY_KEY_INVALID');
    expect(codeOf(() => checkIdempotencyKey('short'))).toBe('IDEMPOTENCY_KEY_INVALID');
    expect(codeOf(() => checkIdempotencyKey('has space in it'))).toBe('IDEMPOTENCY_KEY_INVALID');
    expect(checkIdempotencyKey('3f1c2e4a-0000-4000-8000-000000000001')).toBe(
      '3f1c2e4a-0000-4000-8000-000000000001',
    );
  });

  it("keeps a key's answer across a reopen until it expires", async () => {
    const path = join(dir, 'idempotency.sqlite');
    const hash = requestHash('POST', '/v1/present', '{"wait":{"timeoutMs":1000}}');
    expect(requestHash('POST', '/v1/present', '{}')).not.toBe(hash);
    let store = await openIdempotencyStore({ path, ttlMs: 1_000, logger: silentLogger });
    store.put('key-00000001', { requestHash: hash, status: 200, body: '{"id":"d1"}' }, 0, true);
    store.close();
    store = await openIdempotencyStore({ path, ttlMs: 1_000, logger: silentLogger });
    expect(store.get('key-00000001', 10)).toEqual({ requestHash: hash, status: 200, body: '{"id":"d1"}' });
    expect(store.get('key-00000001', 5_000)).toBeUndefined();
    store.close();
  });

  it('checkpoints its log on a connection of its own, never inside a put, and removes the log when closed', async () => {
    // An answer reaches the database file only when a checkpoint copies it from the write-ahead log:
    // SQLite's own would run inside a put once 1,000 pages filled the log (an fsync on the event loop).
    const path = join(dir, 'checkpointed.sqlite');
    const inFile = (key: string) => readFileSync(path).includes(Buffer.from(key));
    const store = await openIdempotencyStore({
      path,
      ttlMs: 60_000,
      logger: silentLogger,
      checkpointIntervalMs: 20,
    });
    store.put('key-checkpointed', { requestHash: 'h', status: 200, body: '{}' }, 0, false);
    expect(inFile('key-checkpointed')).toBe(false);
    await until(() => inFile('key-checkpointed'), 'the worker to checkpoint');
    store.close();
    expect(existsSync(`${path}-wal`)).toBe(false);
  });

  it("derives a present's decision id from terminal, key and request: a retry finds it, anything else differs", () => {
    const hash = requestHash('POST', '/v1/present', '{}');
    const id = decisionIdFor('till-01', 'key-00000001', hash);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(decisionIdFor('till-01', 'key-00000001', hash)).toBe(id);
    expect(decisionIdFor('till-02', 'key-00000001', hash)).not.toBe(id);
    expect(decisionIdFor('till-01', 'key-00000002', hash)).not.toBe(id);
    expect(decisionIdFor('till-01', 'key-00000001', requestHash('POST', '/v1/present', '{"a":1}'))).not.toBe(
      id,
    );
  });
});
