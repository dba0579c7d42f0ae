import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isXinyiError } from '../../../sdk/errors.js';
import type { JournalStore, RetentionRecordType } from '../../../sdk/journal/journal-store.js';
import { createMemoryJournal } from '../../../sdk/journal/memory-journal.js';
import {
  DEFAULT_RETENTION,
  resolveRetention,
  startRetentionSchedule,
} from '../../../sdk/journal/retention.js';
import type { Logger } from '../../../sdk/logger.js';
import { DAY_MS, entryFor, manualClock } from './fixtures.js';

const HOUR_MS = 3_600_000;

function recordingLogger(): Logger & { lines: { level: string; obj: object }[] } {
  const lines: { level: string; obj: object }[] = [];
  const at = (level: string) => (obj: object) => lines.push({ level, obj });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

describe('retention defaults', () => {
  it('keeps decisions 180 days, disclosures 365, events 30 and usage 400', () => {
    expect(DEFAULT_RETENTION).toEqual({ decisions: 180, disclosures: 365, events: 30, usage: 400 });
    expect(resolveRetention({ events: 7 })).toEqual({ ...DEFAULT_RETENTION, events: 7 });
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY, '30']) {
      let error: unknown;
      try {
        resolveRetention({ decisions: bad as number });
      } catch (e) {
        error = e;
      }
      expect(isXinyiError(error, 'INVALID_ARGUMENT')).toBe(true);
    }
  });
});

describe('startRetentionSchedule', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function seeded(): { journal: JournalStore; clock: ReturnType<typeof manualClock> } {
    const clock = manualClock('2026-01-05T10:00:00+08:00');
    const journal = createMemoryJournal({ clock });
    journal.commitDecision(entryFor({ id: 'uploaded', at: clock.now() }));
    journal.commitDecision(entryFor({ id: 'pending', at: clock.now() }));
    journal.markUploaded('decisions', ['uploaded'], clock.now());
    clock.advance(200 * DAY_MS);
    return { journal, clock };
  }

  it('purges on its timer, first soon after the start, and never touches records not uploaded', () => {
    const { journal, clock } = seeded();
    const purges: Record<RetentionRecordType, number>[] = [];
    const stop = startRetentionSchedule({
      journal,
      clock,
      intervalMs: 6 * HOUR_MS,
      firstPurgeAfterMs: 1000,
      onPurge: (deleted) => purges.push(deleted),
    });
    vi.advanceTimersByTime(999);
    expect(purges).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(purges).toEqual([{ decisions: 1, disclosures: 0, events: 0, usage: 0 }]);
    expect(journal.getDecision('uploaded')).toBeUndefined();
    expect(journal.getDecision('pending')).toBeDefined();

    journal.markUploaded('decisions', ['pending'], clock.now());
    clock.advance(1);
    vi.advanceTimersByTime(6 * HOUR_MS - 1);
    expect(purges).toHaveLength(1);
    vi.advanceTimersByTime(1);
    // Uploaded just now, but decided 200 days ago: past the 180 days.
    expect(purges[1]).toEqual({ decisions: 1, disclosures: 0, events: 0, usage: 0 });

    stop();
    vi.advanceTimersByTime(10 * 6 * HOUR_MS);
    expect(purges).toHaveLength(2);
  });

  it('uses the retention it is given', () => {
    const { journal, clock } = seeded();
    const purges: Record<RetentionRecordType, number>[] = [];
    const stop = startRetentionSchedule({
      journal,
      clock,
      retention: { decisions: 365 },
      firstPurgeAfterMs: 0,
      onPurge: (d) => purges.push(d),
    });
    vi.advanceTimersByTime(0);
    expect(purges).toEqual([{ decisions: 0, disclosures: 0, events: 0, usage: 0 }]);
    expect(journal.getDecision('uploaded')).toBeDefined();
    stop();
  });

  it('does not keep the process alive', () => {
    vi.useRealTimers();
    const { journal } = seeded();
    const spy = vi.spyOn(globalThis, 'setTimeout');
    try {
      const stop = startRetentionSchedule({ journal });
      const handle = spy.mock.results[0]!.value as NodeJS.Timeout;
      expect(handle.hasRef()).toBe(false);
      stop();
    } finally {
      spy.mockRestore();
    }
  });

  it('logs a failing purge and tries again; a closed journal ends the schedule', () => {
    const { journal } = seeded();
    const logger = recordingLogger();
    let fail = true;
    const failing: JournalStore = Object.assign(Object.create(journal) as JournalStore, {
      kind: 'memory',
      purge: (now: number, retention: object) => {
        if (fail) throw Object.assign(new Error('disk'), { code: 'EIO' });
        return journal.purge(now, retention);
      },
    });
    const purges: unknown[] = [];
    startRetentionSchedule({
      journal: failing,
      logger,
      intervalMs: 1000,
      firstPurgeAfterMs: 0,
      onPurge: (d) => purges.push(d),
    });
    vi.advanceTimersByTime(0);
    expect(logger.lines).toEqual([{ level: 'warn', obj: { journal: 'memory', code: 'UNKNOWN' } }]);
    fail = false;
    vi.advanceTimersByTime(1000);
    expect(purges).toHaveLength(1);
    journal.close();
    vi.advanceTimersByTime(1000);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('refuses bad options with INVALID_OPTIONS', () => {
    const { journal } = seeded();
    const cases = [
      { journal, intervalMs: 0 },
      { journal, firstPurgeAfterMs: -1 },
      { journal, retention: { usage: -5 } },
      { journal: {} as JournalStore },
    ];
    for (const options of cases) {
      let error: unknown;
      try {
        startRetentionSchedule(options);
      } catch (e) {
        error = e;
      }
      expect(isXinyiError(error, 'INVALID_OPTIONS')).toBe(true);
    }
  });
});
