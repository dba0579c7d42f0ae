// present() with an AbortSignal, and close() that drains the presentations in flight within a bound.
// Fake timers throughout: the bound and the deadline are timer-driven, and no timer may be left behind.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Decision } from '../../../sdk/domain/decision.js';
import type { CreditStanding } from '../../../sdk/domain/standing.js';
import { createPseudonymizer } from '../../../sdk/identity/index.js';
import { createMemoryJournal } from '../../../sdk/journal/memory-journal.js';
import type { CreditLookup, CreditResolver } from '../../../sdk/terminal/credit-resolver.js';
import { createTerminal } from '../../../sdk/terminal/terminal.js';
import type { TerminalOptions } from '../../../sdk/terminal/terminal-contract.js';
import { generatePopulation } from '../../../simulator/population.js';

const KEY = 'terminal-lifecycle-pseudonym-key-0123456789';
const NOW = Date.parse('2026-11-26T10:00:00+08:00');
const clock = { now: () => NOW };
const pseudonymizer = createPseudonymizer(KEY);
const [alice] = generatePopulation(1, 'terminal-lifecycle');
const card = { kind: 'id-card', idNumber: alice!.idNumber } as const;

/** A platform that answers only when the test says so, and records what it was asked. */
function heldPlatform() {
  const lookups: CreditLookup[] = [];
  const answers: ((standing: CreditStanding | null) => void)[] = [];
  const resolver: CreditResolver = {
    name: 'platform',
    resolve: (lookup) => {
      lookups.push(lookup);
      return new Promise((resolve) => answers.push(resolve));
    },
  };
  const answer = () =>
    answers.shift()!({ tier: 'AA', lists: [], source: 'platform', asOf: new Date(NOW).toISOString() });
  return { resolver, lookups, answer };
}

function lane(overrides: Partial<TerminalOptions> = {}) {
  const platform = heldPlatform();
  const journal = createMemoryJournal({ clock });
  const terminal = createTerminal({
    terminalId: 'lifecycle-kiosk-1',
    scene: 'library-kiosk',
    pseudonymizer,
    credit: [platform.resolver],
    journal,
    clock,
    decisionDeadlineMs: 10_000,
    ...overrides,
  });
  return { terminal, platform, journal };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('present() with an AbortSignal', () => {
  it('rejects ABORTED at once when aborted while the platform is asked, tells the source, journals nothing', async () => {
    vi.useFakeTimers({ now: NOW });
    const { terminal, platform, journal } = lane();
    const controller = new AbortController();
    const decided = terminal.present(card, undefined, { signal: controller.signal });
    await vi.advanceTimersByTimeAsync(0);
    expect(platform.lookups).toHaveLength(1);
    expect(platform.lookups[0]!.signal.aborted).toBe(false);

    controller.abort(new Error('sale cancelled'));
    await expect(decided).rejects.toMatchObject({
      code: 'ABORTED',
      cause: expect.objectContaining({ message: 'sale cancelled' }),
    });
    expect(platform.lookups[0]!.signal.aborted).toBe(true);
    expect(journal.counts().decisions).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    await terminal.close();
  });

  it('rejects ABORTED without asking anyone when the signal is already aborted', async () => {
    const { terminal, platform, journal } = lane();
    await expect(terminal.present(card, undefined, { signal: AbortSignal.abort() })).rejects.toMatchObject({
      code: 'ABORTED',
    });
    expect(platform.lookups).toHaveLength(0);
    expect(journal.counts().decisions).toBe(0);
    await terminal.close();
  });

  it('returns the decision when the signal fires only after it was committed', async () => {
    const { terminal, platform, journal } = lane();
    const controller = new AbortController();
    terminal.once('decision', () => controller.abort());
    const decided = terminal.present(card, undefined, { signal: controller.signal });
    await vi.waitUntil(() => platform.lookups.length === 1);
    platform.answer();
    await expect(decided).resolves.toMatchObject({ outcome: 'granted' });
    expect(journal.counts().decisions).toBe(1);
    await terminal.close();
  });

  it('refuses a signal that is not an AbortSignal with INVALID_ARGUMENT', async () => {
    const { terminal } = lane();
    await expect(
      terminal.present(card, undefined, { signal: { aborted: false } as unknown as AbortSignal }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await terminal.close();
  });
});

describe('close()', () => {
  it('waits for a presentation in flight, which is journaled and returned', async () => {
    const { terminal, platform, journal } = lane();
    const decided = terminal.present(card);
    await vi.waitUntil(() => platform.lookups.length === 1);
    let closed = false;
    const closing = terminal.close().then(() => {
      closed = true;
    });
    await expect(terminal.present(card)).rejects.toMatchObject({ code: 'CLOSED' });
    await Promise.resolve();
    expect(closed).toBe(false);

    platform.answer();
    const decision: Decision = await decided;
    await closing;
    expect(decision.outcome).toBe('granted');
    expect(journal.counts().decisions).toBe(1);
  });

  it('stops what is still running at its bound: CLOSED, nothing journaled, no timer left behind', async () => {
    vi.useFakeTimers({ now: NOW });
    const { terminal, platform, journal } = lane();
    const decided = terminal.present(card);
    const outcome = decided.then(
      () => 'decided',
      (error: { code?: string }) => error.code,
    );
    await vi.advanceTimersByTimeAsync(0);
    let closed = false;
    const closing = terminal.close({ timeoutMs: 1_000 }).then(() => {
      closed = true;
    });

    await vi.advanceTimersByTimeAsync(999);
    expect(closed).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await closing;
    expect(await outcome).toBe('CLOSED');
    expect(platform.lookups[0]!.signal.aborted).toBe(true);
    expect(journal.counts().decisions).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('is idempotent: a second call waits for the same close', async () => {
    const { terminal, platform } = lane();
    const decided = terminal.present(card);
    await vi.waitUntil(() => platform.lookups.length === 1);
    const first = terminal.close();
    const second = terminal.close();
    platform.answer();
    await Promise.all([first, second, decided]);
  });

  it('refuses a negative bound with INVALID_ARGUMENT', async () => {
    const { terminal } = lane();
    await expect(terminal.close({ timeoutMs: -1 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await terminal.close();
  });
});
