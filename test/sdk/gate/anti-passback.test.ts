import { describe, expect, it } from 'vitest';
import { AntiPassback } from '../../../sdk/gate/anti-passback.js';

function movableClock(iso: string) {
  const clock = {
    at: Date.parse(iso),
    now: () => clock.at,
    set(to: string) {
      clock.at = Date.parse(to);
    },
  };
  return clock;
}

describe('AntiPassback', () => {
  it('lets someone in once until they go out, and out only once they are in', () => {
    const ap = new AntiPassback({ clock: movableClock('2026-11-26T10:00:00+08:00') });
    expect(ap.allows('p-1', 'exit')).toBe(false);
    expect(ap.allows('p-1', 'entry')).toBe(true);
    ap.passed('p-1', 'entry');
    expect(ap.allows('p-1', 'entry')).toBe(false);
    expect(ap.allows('p-1', 'exit')).toBe(true);
    // Someone else is not affected.
    expect(ap.allows('p-2', 'entry')).toBe(true);
    ap.passed('p-1', 'exit');
    expect(ap.allows('p-1', 'entry')).toBe(true);
    expect(ap.allows('p-1', 'exit')).toBe(false);
    expect(ap.size).toBe(1);
  });

  it('forgets every presence at the Asia/Shanghai midnight', () => {
    const clock = movableClock('2026-11-26T23:00:00+08:00');
    const ap = new AntiPassback({ clock });
    ap.passed('p-1', 'entry');
    clock.set('2026-11-26T23:59:59+08:00');
    expect(ap.allows('p-1', 'entry')).toBe(false);
    // Still the 26th in UTC, already the 27th in Shanghai.
    clock.set('2026-11-27T00:00:01+08:00');
    expect(ap.allows('p-1', 'entry')).toBe(true);
    expect(ap.allows('p-1', 'exit')).toBe(false);
    expect(ap.size).toBe(0);
  });

  it('keeps presences across days when resetDaily is false', () => {
    const clock = movableClock('2026-11-26T23:00:00+08:00');
    const ap = new AntiPassback({ clock, resetDaily: false });
    ap.passed('p-1', 'entry');
    clock.set('2026-11-29T08:00:00+08:00');
    expect(ap.allows('p-1', 'entry')).toBe(false);
    expect(ap.allows('p-1', 'exit')).toBe(true);
  });

  it('forgets the least recently seen subject beyond maxSubjects', () => {
    const ap = new AntiPassback({ clock: movableClock('2026-11-26T10:00:00+08:00'), maxSubjects: 2 });
    ap.passed('a', 'entry');
    ap.passed('b', 'entry');
    // a passes again, so b is now the oldest.
    ap.passed('a', 'entry');
    ap.passed('c', 'entry');
    expect(ap.size).toBe(2);
    expect(ap.allows('b', 'entry')).toBe(true);
    expect(ap.allows('a', 'entry')).toBe(false);
    expect(ap.allows('c', 'entry')).toBe(false);
  });
});
