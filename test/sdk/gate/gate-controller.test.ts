import { afterEach, describe, expect, it } from 'vitest';
import type { Credential } from '../../../sdk/domain/credential.js';
import type { ListMembership } from '../../../sdk/domain/standing.js';
import type { TierCode } from '../../../sdk/domain/tiers.js';
import { AntiPassback } from '../../../sdk/gate/anti-passback.js';
import { GateController, type GateOutcome, type GatePassage } from '../../../sdk/gate/gate-controller.js';
import { createPseudonymizer } from '../../../sdk/identity/index.js';
import type { JournalStore } from '../../../sdk/journal/journal-store.js';
import { createMemoryJournal } from '../../../sdk/journal/memory-journal.js';
import { createInMemoryCreditProvider } from '../../../sdk/terminal/in-memory-credit-provider.js';
import { createTerminal } from '../../../sdk/terminal/terminal.js';
import type { Terminal } from '../../../sdk/terminal/terminal-contract.js';
import { InProcessGate } from '../../../simulator/devices/in-process-gate.js';
import { generatePopulation } from '../../../simulator/population.js';

const KEY = 'gate-controller-test-key-0123456789';
const pseudonymizer = createPseudonymizer(KEY);
// A working day outside any holiday.
let now = Date.parse('2026-11-26T10:00:00+08:00');
const clock = { now: () => now };
const people = generatePopulation(6, 'gate-controller-test');
const [trusted, second, blackListed, lowTier, third] = people as [
  (typeof people)[number],
  (typeof people)[number],
  (typeof people)[number],
  (typeof people)[number],
  (typeof people)[number],
];

const card = (idNumber: string): Credential => ({ kind: 'id-card', idNumber });

interface Rig {
  terminal: Terminal;
  gate: InProcessGate;
  journal: JournalStore;
  controller: GateController;
  outcomes: GateOutcome[];
  passages: GatePassage[];
}

const rigs: Rig[] = [];

async function rig(
  options: {
    passageTimeoutMs?: number;
    repeatWindowMs?: number;
    antiPassback?: AntiPassback;
    direction?: 'entry' | 'exit';
  } = {},
  shared?: { journal: JournalStore; terminal: Terminal },
): Promise<Rig> {
  const standings: [string, TierCode, ListMembership[]][] = [
    [trusted.idNumber, 'AA', []],
    [second.idNumber, 'A', []],
    [blackListed.idNumber, 'A', [{ kind: 'black' }]],
    [lowTier.idNumber, 'C', []],
    [third.idNumber, 'AAA', []],
  ];
  const journal = shared?.journal ?? createMemoryJournal();
  const terminal =
    shared?.terminal ??
    createTerminal({
      terminalId: 'gate-test-01',
      scene: 'scenic-gate',
      context: { siteId: 'yunmenshan' },
      pseudonymizer,
      clock,
      journal,
      credit: [
        createInMemoryCreditProvider({
          clock,
          standings: standings.map(
            ([id, tier, lists]) => [pseudonymizer.pseudonymize(id), { tier, lists }] as const,
          ),
        }),
      ],
    });
  const gate = new InProcessGate({ motionMs: 5, passDelayMs: 15, openTimeoutMs: 60, alarmMs: 30 });
  await gate.connect();
  const controller = new GateController({ terminal, gate, journal, clock, ...options });
  const r: Rig = { terminal, gate, journal, controller, outcomes: [], passages: [] };
  controller.on('outcome', (o) => r.outcomes.push(o));
  controller.on('passage', (p) => r.passages.push(p));
  rigs.push(r);
  return r;
}

function nextPassage(r: Rig): Promise<GatePassage> {
  return new Promise((resolve) => r.controller.once('passage', resolve));
}

afterEach(async () => {
  for (const r of rigs.splice(0)) {
    await r.controller.close();
    r.gate.core.dispose();
  }
  now = Date.parse('2026-11-26T10:00:00+08:00');
});

describe('GateController', () => {
  it('opens for a trustworthy citizen, commits the decision first, and counts the use only after the passage', async () => {
    const r = await rig();
    const committedAtOpen: boolean[] = [];
    r.gate.core.on('open-command', () => {
      const last = r.outcomes.length;
      committedAtOpen.push(last === 0 && r.journal.backlog().decisions.count === 1);
    });
    const passed = nextPassage(r);
    const outcome = await r.controller.handle(card(trusted.idNumber));
    expect(outcome.kind).toBe('opened');
    expect(committedAtOpen).toEqual([true]);
    if (outcome.kind !== 'opened') return;
    const pseudonym = outcome.decision.subject!.pseudonym;
    expect(r.journal.usageCounts(pseudonym, now)).toEqual({});

    const passage = await passed;
    expect(passage).toMatchObject({ kind: 'passed', decisionId: outcome.decision.id, direction: 'entry' });
    expect(r.journal.usageCounts(pseudonym, now)['scenic.free-entry']?.day).toBe(1);
    expect(r.gate.core.stats).toMatchObject({ opens: 1, passages: 1 });
    expect(r.journal.events({ kind: 'passed' }).map((e) => e.decisionId)).toEqual([outcome.decision.id]);
  });

  it('keeps the gate shut for a black-listed citizen, with the neutral citizen message', async () => {
    const r = await rig();
    const outcome = await r.controller.handle(card(blackListed.idNumber));
    expect(outcome.kind).toBe('shut');
    if (outcome.kind !== 'shut') return;
    expect(outcome.decision.outcome).toBe('denied');
    expect(outcome.decision.explanation.citizen).not.toMatch(/黑名单|black/i);
    expect(r.gate.core.stats.opens).toBe(0);
    // The denial is journalled like every decision.
    expect(r.journal.getDecision(outcome.decision.id)).toBeDefined();
  });

  it('opens once for a credential presented again within the repeat window', async () => {
    const r = await rig({ repeatWindowMs: 1_000 });
    const [a, b] = await Promise.all([
      r.controller.handle(card(trusted.idNumber)),
      r.controller.handle(card(trusted.idNumber)),
    ]);
    expect([a.kind, b.kind].sort()).toEqual(['opened', 'repeat']);
    const c = await r.controller.handle(card(trusted.idNumber));
    expect(c.kind).toBe('repeat');
    expect(r.gate.core.stats.opens).toBe(1);
    expect(r.journal.backlog().decisions.count).toBe(1);
  });

  it('after the passage, the daily cap keeps a second entry on the same day shut', async () => {
    const r = await rig({ repeatWindowMs: 0 });
    const passed = nextPassage(r);
    expect((await r.controller.handle(card(trusted.idNumber))).kind).toBe('opened');
    await passed;
    const again = await r.controller.handle(card(trusted.idNumber));
    expect(again.kind).toBe('shut');
    if (again.kind === 'shut') expect(again.decision.reasons.map((x) => x.code)).toContain('CAP_REACHED');
    // The next day the cap starts over.
    now += 86_400_000;
    expect((await r.controller.handle(card(trusted.idNumber))).kind).toBe('opened');
  });

  it('an opening nobody passes through is closed at the timeout, recorded, and not counted as used', async () => {
    const r = await rig({ passageTimeoutMs: 30 });
    r.gate.core.setDefaultBehaviour('no-pass');
    const passage = nextPassage(r);
    const outcome = await r.controller.handle(card(trusted.idNumber));
    expect(outcome.kind).toBe('opened');
    expect(await passage).toMatchObject({ kind: 'timeout' });
    expect(r.controller.pendingOpenings).toBe(0);
    expect(r.journal.events({ kind: 'timeout' })).toHaveLength(1);
    if (outcome.kind === 'opened') {
      expect(r.journal.usageCounts(outcome.decision.subject!.pseudonym, now)).toEqual({});
    }
    // Closed by the controller (before the board's own 60 ms timeout).
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(r.gate.core.snapshot().phase).toBe('closed');
  });

  it("the board's own not-passed and pushed-back end the opening without counting a use", async () => {
    const r = await rig({ passageTimeoutMs: 5_000 });
    r.gate.core.queueBehaviour('push-back', 'no-pass');
    let passage = nextPassage(r);
    await r.controller.handle(card(trusted.idNumber));
    expect((await passage).kind).toBe('pushed-back');
    passage = nextPassage(r);
    await r.controller.handle(card(second.idNumber));
    expect((await passage).kind).toBe('not-passed');
    expect(r.journal.usageCounts(pseudonymizer.pseudonymize(trusted.idNumber), now)).toEqual({});
  });

  it('a tailgater is counted as an unmatched passage, not as a second use', async () => {
    const r = await rig();
    r.gate.core.queueBehaviour('tailgate');
    const kinds: string[] = [];
    const both = new Promise<void>((resolve) =>
      r.controller.on('passage', (p) => {
        kinds.push(p.kind);
        if (kinds.length === 2) resolve();
      }),
    );
    const alarms: string[] = [];
    r.controller.on('alarm', (a) => alarms.push(`${a.alarm}:${a.active}`));
    await r.controller.handle(card(trusted.idNumber));
    await both;
    expect(kinds).toEqual(['passed', 'unmatched']);
    expect(alarms).toContain('tailgating:true');
    expect(r.controller.stats).toMatchObject({ passed: 1, unmatched: 1 });
  });

  it('matches passages to openings in order when people queue up', async () => {
    const r = await rig();
    const ids: string[] = [];
    for (const person of [trusted, second, third]) {
      const o = await r.controller.handle(card(person.idNumber));
      if (o.kind === 'opened') ids.push(o.decision.id);
    }
    expect(ids).toHaveLength(3);
    await new Promise<void>((resolve) => {
      const check = () =>
        r.passages.filter((p) => p.kind === 'passed').length >= 3 ? resolve() : setTimeout(check, 5);
      check();
    });
    expect(r.passages.filter((p) => p.kind === 'passed').map((p) => p.decisionId)).toEqual(ids);
  });

  it('anti-passback: someone inside cannot enter again until they have gone out', async () => {
    // No daily reset: a site open round the clock.
    const antiPassback = new AntiPassback({ clock, resetDaily: false });
    const entry = await rig({ antiPassback, repeatWindowMs: 0 });
    const pseudonym = pseudonymizer.pseudonymize(third.idNumber);
    let passed = nextPassage(entry);
    expect((await entry.controller.handle(card(third.idNumber))).kind).toBe('opened');
    await passed;
    expect(antiPassback.allows(pseudonym, 'entry')).toBe(false);

    // The next day the policy grants free entry again, but they never went out.
    now += 86_400_000;
    const refused = await entry.controller.handle(card(third.idNumber));
    expect(refused.kind).toBe('anti-passback');
    expect(entry.journal.events({ kind: 'anti-passback' })).toHaveLength(1);

    // The exit lane of the same site opens for anyone identified who is inside.
    const exitGate = new InProcessGate({ motionMs: 5, passDelayMs: 15, openTimeoutMs: 60 });
    await exitGate.connect();
    const exit = new GateController({
      terminal: entry.terminal,
      gate: exitGate,
      journal: entry.journal,
      clock,
      antiPassback,
      direction: 'exit',
      repeatWindowMs: 0,
      opens: (d) => d.subject !== undefined,
    });
    try {
      const exitPassed = new Promise<GatePassage>((resolve) => exit.once('passage', resolve));
      expect((await exit.handle(card(third.idNumber))).kind).toBe('opened');
      expect((await exitPassed).kind).toBe('passed');
      // Outside now: a second "exit" (letting someone else in) is refused…
      expect((await exit.handle(card(third.idNumber))).kind).toBe('anti-passback');
    } finally {
      await exit.close();
      exitGate.core.dispose();
    }
    // …and entry opens again.
    passed = nextPassage(entry);
    expect((await entry.controller.handle(card(third.idNumber))).kind).toBe('opened');
    await passed;
  });

  it('an exit lane lets anyone out by default, whatever the decision says', async () => {
    const r = await rig({ direction: 'exit' });
    const passed = nextPassage(r);
    const outcome = await r.controller.handle(card(blackListed.idNumber));
    expect(outcome.kind).toBe('opened');
    if (outcome.kind === 'opened') expect(outcome.decision.outcome).toBe('denied');
    expect((await passed).kind).toBe('passed');
    // Leaving uses no free entry.
    expect(r.journal.usageCounts(pseudonymizer.pseudonymize(blackListed.idNumber), now)).toEqual({});
  });

  it('reports a gate that does not take the open command, and does not count it as opened', async () => {
    const r = await rig();
    r.gate.setLinkUp(false);
    const errors: string[] = [];
    r.controller.on('warning', (e) => errors.push(e.code));
    const outcome = await r.controller.handle(card(trusted.idNumber));
    expect(outcome.kind).toBe('gate-failed');
    expect(errors).toContain('CLOSED');
    expect(r.journal.events({ kind: 'gate-failed' })).toHaveLength(1);
    // Not remembered as opened: once the link is back, the same card opens.
    r.gate.setLinkUp(true);
    expect((await r.controller.handle(card(trusted.idNumber))).kind).toBe('opened');
  });

  it('close() lets a pending passage finish within the grace period', async () => {
    const r = await rig();
    await r.controller.handle(card(trusted.idNumber));
    expect(r.controller.pendingOpenings).toBe(1);
    await r.controller.close(1_000);
    expect(r.passages.map((p) => p.kind)).toEqual(['passed']);
    expect((await r.controller.handle(card(second.idNumber))).kind).toBe('failed');
  });

  it('never keeps an ID number: journal events and outcomes hold pseudonyms and masked forms only', async () => {
    const r = await rig();
    const passed = nextPassage(r);
    await r.controller.handle(card(trusted.idNumber));
    await r.controller.handle(card(blackListed.idNumber));
    await passed;
    const everything = JSON.stringify([
      r.outcomes,
      r.passages,
      r.journal.events(),
      r.journal.pendingUploads('decisions', 100),
    ]);
    for (const person of [trusted, blackListed]) {
      expect(everything).not.toContain(person.idNumber);
      expect(everything).not.toContain(person.name);
    }
  });
});
