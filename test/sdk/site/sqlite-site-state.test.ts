import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isXinyiError } from '../../../sdk/errors.js';
import { openSqliteSiteState } from '../../../sdk/site/sqlite-site-state.js';
import { siteStateContract } from './site-state-contract.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'xinyi-site-sqlite-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

siteStateContract('sqlite', {
  open: (siteId) => openSqliteSiteState({ path: join(dir, `${siteId}.sqlite`) }),
  separatesLanes: true,
});

const cap = { ruleId: 'scenic.free-entry', period: 'day', limit: 3, scope: 'site' } as const;

describe('SQLite site state', () => {
  it('purges expired rows as lanes write, so the file does not grow without bound', async () => {
    const path = join(dir, 'purge.sqlite');
    const store = await openSqliteSiteState({ path, purgeIntervalMs: 0 });
    const t0 = Date.parse('2026-08-14T10:00:00+08:00');
    for (let i = 0; i < 50; i++) {
      const q = { pseudonym: `h-${i}`, laneId: 'lane-a', caps: [cap], now: t0 };
      await store.reserve({ ...q, reservationId: `r-${i}`, ttlMs: 1_000 });
      await store.commit({ ...q, reservationId: `c-${i}`, scene: 'scenic-gate' });
      await store.markPresentation({ pseudonym: `h-${i}`, presentationId: '1', now: t0, ttlMs: 1_000 });
      await store.recordPassage(`h-${i}`, 'entry', t0);
    }
    const db = new Database(path, { readonly: true });
    const rows = () =>
      ['site_uses', 'site_reservations', 'site_presentations', 'site_presence'].map(
        (t) => db.prepare(`SELECT COUNT(*) FROM ${t}`).pluck().get() as number,
      );
    expect(rows()).toEqual([50, 50, 50, 50]);
    // Two days later (the counters' grace day included) one write purges everything expired.
    const later = t0 + 3 * 86_400_000;
    await store.markPresentation({ pseudonym: 'late', presentationId: '1', now: later, ttlMs: 1_000 });
    expect(rows()).toEqual([0, 0, 1, 0]);
    db.close();
    await store.close();
  });

  it('fails with SITE_STATE_UNAVAILABLE, not a hang, when another connection holds the lock', async () => {
    const path = join(dir, 'locked.sqlite');
    const store = await openSqliteSiteState({ path, busyTimeoutMs: 30 });
    const db = new Database(path);
    db.prepare('BEGIN IMMEDIATE').run();
    const started = performance.now();
    let error: unknown;
    try {
      await store.reserve({
        pseudonym: 'h-1',
        laneId: 'lane-a',
        caps: [cap],
        now: Date.now(),
        reservationId: 'r-1',
        ttlMs: 1_000,
      });
    } catch (e) {
      error = e;
    }
    const waitedMs = performance.now() - started;
    // The ping tells the same: a lane's probe must not take a file it cannot write to as back.
    let pingError: unknown;
    try {
      await store.ping();
    } catch (e) {
      pingError = e;
    }
    db.prepare('ROLLBACK').run();
    db.close();
    expect(isXinyiError(error, 'SITE_STATE_UNAVAILABLE')).toBe(true);
    expect((error as { details: Record<string, unknown> }).details.sqliteCode).toMatch(/^SQLITE_BUSY/);
    // It gave up after its busy timeout: nowhere near a second even on a loaded machine.
    expect(waitedMs).toBeLessThan(1_000);
    expect(isXinyiError(pingError, 'SITE_STATE_UNAVAILABLE'), String(pingError)).toBe(true);
    expect((await store.ping()).version).toMatch(/^3\./);
    await store.close();
  });

  it('refuses to open a path it cannot create, with SITE_STATE_UNAVAILABLE', async () => {
    let error: unknown;
    try {
      await openSqliteSiteState({ path: join(dir, 'no-such-folder', 'site.sqlite') });
    } catch (e) {
      error = e;
    }
    expect(isXinyiError(error, 'SITE_STATE_UNAVAILABLE')).toBe(true);
  });
});
