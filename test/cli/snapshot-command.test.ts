// How `xinyi snapshot apply` reports progress: one rewritten line on a terminal, plain lines in a log.
// The command itself, run as a process, is tested in snapshot-command.e2e.test.ts.
import { describe, expect, it } from 'vitest';
import { createApplyProgress, progressInterval } from '../../cli/snapshot-command.js';

describe('progress rendering', () => {
  it('rewrites one line on a terminal and ends it when committed', () => {
    const writes: string[] = [];
    const progress = createApplyProgress({ isTTY: true, write: (t) => writes.push(t) });
    const base = { kind: 'full', sequence: 3, total: 200 } as const;
    progress({ ...base, phase: 'verified', done: 0 });
    progress({ ...base, phase: 'applying', done: 0 });
    progress({ ...base, phase: 'applying', done: 100 });
    progress({ ...base, phase: 'committed', done: 200 });
    expect(writes).toEqual([
      'signature verified: full snapshot #3, 200 records\n',
      '\r\u001b[Kapplying 0 / 200 (0%)',
      '\r\u001b[Kapplying 100 / 200 (50%)',
      '\r\u001b[Kcommitted 200 / 200 (100%)\n',
    ]);
  });

  it('reports often enough on a terminal and about ten times in a log', () => {
    expect(progressInterval(100_000, true)).toBe(500);
    expect(progressInterval(100_000, false)).toBe(10_000);
    expect(progressInterval(0, false)).toBe(1);
  });
});
