import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteSiteState } from '../../../sdk/site/sqlite-site-state.js';

// Several daemons on one host share one SQLite file: here four processes, each with its own connection.
const CHILD = join(import.meta.dirname, 'fixtures/sqlite-reserve-child.ts');
const cap = { ruleId: 'scenic.free-entry', period: 'day', limit: 3, scope: 'site' } as const;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'xinyi-site-sqlite-race-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('SQLite site state across processes', () => {
  it('loses no update when four processes reserve for the same holders at once', async () => {
    const path = join(dir, 'race.sqlite');
    // Created first, so the children do not all race to create the schema.
    await (await openSqliteSiteState({ path })).close();
    const children = Array.from({ length: 4 }, (_, i) =>
      fork(CHILD, [path, `lane-${i}`, '40'], { execArgv: ['--import', 'tsx'], stdio: 'pipe' }),
    );
    const results = await Promise.all(
      children.map(
        (child) =>
          new Promise<{ granted: Record<string, number>; unavailable: number }>((resolve, reject) => {
            child.once('message', (m) => resolve(m as never));
            child.once('error', reject);
            child.once('exit', (code) => code !== 0 && reject(new Error(`child exited ${code}`)));
          }),
      ),
    );
    const store = await openSqliteSiteState({ path, busyTimeoutMs: 5_000 });
    try {
      for (const holder of ['h-0', 'h-1', 'h-2', 'h-3', 'h-4']) {
        const granted = results.reduce((n, r) => n + (r.granted[holder] ?? 0), 0);
        const usage = await store.usage({
          pseudonym: holder,
          laneId: 'check',
          caps: [cap],
          now: Date.parse('2026-08-14T10:00:00+08:00'),
        });
        // Every reservation granted is in the file, and never more than the cap allows.
        expect(usage[cap.ruleId]!.pending).toBe(granted);
        expect(granted).toBeLessThanOrEqual(cap.limit);
      }
      // With a 40 ms busy timeout some calls may give up under load; most get through.
      const attempts = 4 * 40;
      expect(results.reduce((n, r) => n + r.unavailable, 0)).toBeLessThan(attempts / 2);
    } finally {
      await store.close();
    }
  }, 60_000);
});
