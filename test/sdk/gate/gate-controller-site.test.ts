import { afterEach, describe, expect, it } from 'vitest';
import { isXinyiError } from '../../../sdk/errors.js';
import { GateController, type GateOutcome, type GatePassage } from '../../../sdk/gate/gate-controller.js';
import { createPseudonymizer } from '../../../sdk/identity/index.js';
import { createMemoryJournal } from '../../../sdk/journal/memory-journal.js';
import { ReasonCode } from '../../../sdk/policy/reason-codes.js';
import { createInProcessSiteState } from '../../../sdk/site/in-process-site-state.js';
import type { SiteState } from '../../../sdk/site/site-state.js';
import { createTerminal } from '../../../sdk/terminal/terminal.js';
import type { Terminal } from '../../../sdk/terminal/terminal-contract.js';
import { InProcessGate } from '../../../simulator/devices/in-process-gate.js';
import { card, siteLaneCredit } from '../site/site-lane-credit.js';

// Gate lanes of one site, each with its own terminal and journal, sharing presence and caps.
const pseudonymizer = createPseudonymizer('gate-controller-site-test-key-0123456789');
const T0 = Date.parse('2026-11-26T10:00:00+08:00');
const HOUR = 3_600_000;
const clock = { at: T0, now: () => clock.at };
const { people, issuer, credit } = siteLaneCredit('gate-controller-site-test', clock, pseudonymizer);
const [alice, bob] = people as [(typeof people)[number], (typeof people)[number]];

interface Lane {
  terminal: Terminal;
  gate: InProcessGate;
  controller: GateController;
  passages: GatePassage[];
}
const lanes: Lane[] = [];
afterEach(async () => {
  for (const lane of lanes.splice(0)) {
    await lane.controller.close();
    await lane.terminal.close();
    lane.gate.core.dispose();
  }
  clock.at = T0;
});

async function lane(
  laneId: string,
  siteState: SiteState | undefined,
  options: { direction?: 'entry' | 'exit'; passDelayMs?: number; passageTimeoutMs?: number } = {},
): Promise<Lane> {
  const journal = createMemoryJournal({ clock });
  const terminal = createTerminal({
    terminalId: laneId,
    scene: 'scenic-gate',
    context: { siteId: 'yunmenshan' },
    pseudonymizer,
    clock,
    journal,
    ...(siteState ? { siteState } : {}),
    credit: credit(),
  });
  const gate = new InProcessGate({
    motionMs: 5,
    passDelayMs: options.passDelayMs ?? 15,
    openTimeoutMs: 60_000,
  });
  await gate.connect();
  const controller = new GateController({
    terminal,
    gate,
    journal,
    clock,
    antiPassback: true,
    direction: options.direction ?? 'entry',
    ...(options.passageTimeoutMs ? { passageTimeoutMs: options.passageTimeoutMs } : {}),
  });
  const l: Lane = { terminal, gate, controller, passages: [] };
  controller.on('passage', (p) => l.passages.push(p));
  lanes.push(l);
  return l;
}

function passage(l: Lane, kind: GatePassage['kind']): Promise<GatePassage> {
  return new Promise((resolve) => {
    const on = (p: GatePassage) => {
      if (p.kind !== kind) return;
      l.controller.off('passage', on);
      resolve(p);
    };
    l.controller.on('passage', on);
  });
}

const kindOf = (o: GateOutcome) => o.kind;
const reasonsOf = (o: GateOutcome) => ('decision' in o ? o.decision.reasons.map((r) => r.code) : []);

describe('gate lanes sharing a site state', () => {
  it("two presentations of one holder's code a second apart open the gate once, before any passage", async () => {
    // One lane, the default site state (its journal): the person is still walking through the first opening.
    const a = await lane('lane-a', undefined, { passDelayMs: 60_000 });
    const phone = issuer.issue(pseudonymizer.pseudonymize(bob.idNumber), 'AA', { now: T0 - HOUR });
    const first = await a.controller.handle({ kind: 'credit-code', text: phone.present(clock.now()) });
    expect(kindOf(first)).toBe('opened');
    clock.at += 1_000;
    const second = await a.controller.handle({ kind: 'credit-code', text: phone.present(clock.now()) });
    expect(kindOf(second)).not.toBe('opened');
    expect(a.gate.core.stats.opens).toBe(1);
  });

  it('the same card at two entry lanes within 100 ms: exactly one opens', async () => {
    const site = createInProcessSiteState();
    const a = await lane('lane-a', site);
    const b = await lane('lane-b', site);
    const outcomes = await Promise.all([a.controller.handle(card(alice)), b.controller.handle(card(alice))]);
    expect(outcomes.map(kindOf).sort()).toEqual(['opened', 'shut']);
    expect(a.gate.core.stats.opens + b.gate.core.stats.opens).toBe(1);
    expect(reasonsOf(outcomes.find((o) => o.kind === 'shut')!)).toContain(ReasonCode.CAP_PENDING);
  });

  it('entry at lane A then exit at lane B satisfies anti-passback; a second exit or entry is refused', async () => {
    const site = createInProcessSiteState();
    const entryA = await lane('lane-a', site);
    const exitB = await lane('lane-b', site, { direction: 'exit' });
    // Not inside: the exit lane refuses (it would let a second person in on one entry).
    expect(kindOf(await exitB.controller.handle(card(alice)))).toBe('anti-passback');
    const entered = passage(entryA, 'passed');
    expect(kindOf(await entryA.controller.handle(card(alice)))).toBe('opened');
    await entered;
    await entryA.terminal.site!.flush();
    clock.at += HOUR;
    const left = passage(exitB, 'passed');
    expect(kindOf(await exitB.controller.handle(card(alice)))).toBe('opened');
    await left;
    await exitB.terminal.site!.flush();
    clock.at += 10_000;
    expect(kindOf(await exitB.controller.handle(card(alice)))).toBe('anti-passback');
    // Back at the entry: the day's free entry is used, so the gate stays shut whatever presence says.
    const again = await entryA.controller.handle(card(alice));
    expect(kindOf(again)).toBe('shut');
    expect(reasonsOf(again)).toContain(ReasonCode.CAP_REACHED);
  });

  it("an opening nobody uses frees the holder's place at the other lanes when it times out", async () => {
    const site = createInProcessSiteState();
    const a = await lane('lane-a', site, { passDelayMs: 60_000, passageTimeoutMs: 50 });
    const b = await lane('lane-b', site);
    const timedOut = passage(a, 'timeout');
    expect(kindOf(await a.controller.handle(card(alice)))).toBe('opened');
    expect(reasonsOf(await b.controller.handle(card(alice)))).toContain(ReasonCode.CAP_PENDING);
    await timedOut;
    await a.terminal.site!.flush();
    clock.at += 10_000;
    expect(kindOf(await b.controller.handle(card(alice)))).toBe('opened');
  });

  it('refuses antiPassback: true for a terminal with no site state', async () => {
    const terminal = createTerminal({ terminalId: 'bare', scene: 'scenic-gate', pseudonymizer, clock });
    const gate = new InProcessGate();
    let error: unknown;
    try {
      new GateController({ terminal, gate, antiPassback: true });
    } catch (e) {
      error = e;
    }
    expect(isXinyiError(error, 'INVALID_OPTIONS')).toBe(true);
    gate.core.dispose();
    await terminal.close();
  });
});
