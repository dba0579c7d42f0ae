import { afterEach, describe, expect, it } from 'vitest';
import type { Decision } from '../../../sdk/domain/decision.js';
import { createPseudonymizer } from '../../../sdk/identity/index.js';
import type { JournalStore } from '../../../sdk/journal/journal-store.js';
import { createMemoryJournal } from '../../../sdk/journal/memory-journal.js';
import { ReasonCode } from '../../../sdk/policy/reason-codes.js';
import { createInProcessSiteState } from '../../../sdk/site/in-process-site-state.js';
import type { SiteDoubleGrant } from '../../../sdk/site/site-link.js';
import type { SiteState } from '../../../sdk/site/site-state.js';
import { createTerminal } from '../../../sdk/terminal/terminal.js';
import type { Terminal, TerminalAlarm, TerminalOptions } from '../../../sdk/terminal/terminal-contract.js';
import { type FaultySiteState, faultySiteState } from '../site/faulty-site-state.js';
import { card, siteLaneCredit } from '../site/site-lane-credit.js';

// Several lanes of one scenic spot, each a terminal with its own journal, sharing one site state.
const KEY = 'terminal-site-test-pseudonym-key-0123456789';
const pseudonymizer = createPseudonymizer(KEY);
const T0 = Date.parse('2026-11-26T10:00:00+08:00');
const HOUR = 3_600_000;
const clock = { at: T0, now: () => clock.at };
const { people, issuer, credit } = siteLaneCredit('terminal-site-test', clock, pseudonymizer);
const [alice, bob, carol] = people as [
  (typeof people)[number],
  (typeof people)[number],
  (typeof people)[number],
];
const freeEntry = (d: Decision) => d.benefits.some((b) => b.ruleId === 'scenic.free-entry');
const reasonsOf = (d: Decision) => d.reasons.map((r) => r.code);

const opened: Terminal[] = [];
afterEach(async () => {
  for (const t of opened.splice(0)) await t.close();
  clock.at = T0;
});

function lane(laneId: string, siteState: SiteState | undefined, extra: Partial<TerminalOptions> = {}) {
  const journal = createMemoryJournal({ clock });
  const alarms: TerminalAlarm[] = [];
  const terminal = createTerminal({
    terminalId: laneId,
    scene: 'scenic-gate',
    context: { siteId: 'yunmenshan' },
    pseudonymizer,
    clock,
    journal,
    ...(siteState ? { siteState } : {}),
    credit: credit(),
    ...extra,
  });
  terminal.on('alarm', (a) => alarms.push(a));
  opened.push(terminal);
  return { terminal, journal, alarms };
}

/** Resolves once every use confirmed and released so far has reached the store (or been deferred). */
async function settled(...terminals: Terminal[]): Promise<void> {
  for (const t of terminals) {
    await t.site?.flush();
    await t.site?.reconcile();
  }
}

describe('lanes sharing a site state', () => {
  it('the same card at two lanes at once: exactly one is granted, the other waits for it (CAP_PENDING)', async () => {
    const site = createInProcessSiteState();
    const a = lane('lane-a', site);
    const b = lane('lane-b', site);
    const [atA, atB] = await Promise.all([a.terminal.present(card(alice)), b.terminal.present(card(alice))]);
    expect([atA, atB].filter(freeEntry)).toHaveLength(1);
    const refused = freeEntry(atA) ? atB : atA;
    expect(refused.reasons).toContainEqual({ code: ReasonCode.CAP_PENDING, ruleId: 'scenic.free-entry' });
  });

  it('after the passage at lane A, lane B refuses with CAP_REACHED; a pending opening blocks B until released', async () => {
    const site = createInProcessSiteState();
    const a = lane('lane-a', site);
    const b = lane('lane-b', site);
    const first = await a.terminal.present(card(alice));
    expect(freeEntry(first)).toBe(true);
    expect(reasonsOf(await b.terminal.present(card(alice)))).toContain(ReasonCode.CAP_PENDING);
    // Nobody went through at A (timeout): B may open for alice now.
    a.terminal.releaseUse(first);
    await settled(a.terminal);
    clock.at += 20_000;
    const atB = await b.terminal.present(card(alice));
    expect(freeEntry(atB)).toBe(true);
    expect(b.terminal.confirmUse(atB)).toBe(1);
    await settled(b.terminal);
    clock.at += 60_000;
    expect(reasonsOf(await a.terminal.present(card(alice)))).toContain(ReasonCode.CAP_REACHED);
    // Someone else is not affected.
    expect(freeEntry(await a.terminal.present(card(bob)))).toBe(true);
  });

  it('a decision asks the store once: the reservation brings every count the decision is made with', async () => {
    const store = faultySiteState(createInProcessSiteState());
    const a = lane('lane-a', store);
    const b = lane('lane-b', store);
    let calls = store.calls;
    const granted = await a.terminal.present(card(alice));
    expect(freeEntry(granted)).toBe(true);
    expect(store.calls - calls).toBe(1);
    expect(a.terminal.confirmUse(granted)).toBe(1);
    await settled(a.terminal);
    calls = store.calls;
    const refused = await b.terminal.present(card(alice));
    expect(reasonsOf(refused)).toContain(ReasonCode.CAP_REACHED);
    expect(freeEntry(refused)).toBe(false);
    expect(refused.siteStateDegraded).toBeUndefined();
    expect(store.calls - calls).toBe(1);
  });

  it('a terminal id with spaces or CJK decides as any other (the site keys use a digest of it)', async () => {
    const site = createInProcessSiteState();
    const a = lane('云门山 东入口 1', site);
    const b = lane('云门山 东入口 2', site);
    expect(freeEntry(await a.terminal.present(card(alice)))).toBe(true);
    expect(reasonsOf(await b.terminal.present(card(alice)))).toContain(ReasonCode.CAP_PENDING);
  });

  it('a pending opening lapses after its TTL when its lane never says (a lane killed mid-opening)', async () => {
    const site = createInProcessSiteState();
    const a = lane('lane-a', site, { siteReservationTtlMs: 15_000 });
    const b = lane('lane-b', site, { siteReservationTtlMs: 15_000 });
    expect(freeEntry(await a.terminal.present(card(alice)))).toBe(true);
    clock.at += 14_999;
    expect(reasonsOf(await b.terminal.present(card(alice)))).toContain(ReasonCode.CAP_PENDING);
    clock.at += 1;
    expect(freeEntry(await b.terminal.present(card(alice)))).toBe(true);
  });

  it('a credit code shown again at another lane (a screenshot) is refused there as a replay', async () => {
    const site = createInProcessSiteState();
    const a = lane('lane-a', site);
    const b = lane('lane-b', site);
    const text = issuer
      .issue(pseudonymizer.pseudonymize(carol.idNumber), 'AA', { now: T0 - HOUR })
      .present(T0);
    const first = await a.terminal.present({ kind: 'credit-code', text });
    expect(first.outcome).toBe('granted');
    a.terminal.releaseUse(first);
    await settled(a.terminal);
    clock.at += 5_000;
    const errors: string[] = [];
    b.terminal.on('warning', (e) => errors.push(`${e.code}:${String(e.details.reason)}`));
    const replay = await b.terminal.present({ kind: 'credit-code', text });
    expect(replay.outcome).toBe('unavailable');
    expect(reasonsOf(replay)).toEqual(['CODE_REPLAYED']);
    expect(replay.subject).toBeUndefined();
    expect(errors).toContain('CODE_REFUSED:REPLAYED');
  });
});

describe('a site store that cannot be reached', () => {
  function site(): { store: FaultySiteState; inner: SiteState } {
    const inner = createInProcessSiteState();
    return { store: faultySiteState(inner), inner };
  }

  it('a use the store could not take is pushed once it answers, with no decision to prompt it', async () => {
    const { store } = site();
    const a = lane('lane-a', store);
    const granted = await a.terminal.present(card(alice));
    expect(granted.siteStateDegraded).toBeUndefined();
    // One failed commit: the store is not taken as down (one failure in a row), the use is deferred.
    store.mode = 'down';
    expect(a.terminal.confirmUse(granted)).toBe(1);
    await a.terminal.site!.flush();
    expect(a.terminal.site!.status()).toMatchObject({ up: true, deferredUses: 1 });
    store.mode = 'up';
    const reconciled = new Promise((resolve) => a.terminal.site!.once('reconciled', resolve));
    expect(await reconciled).toEqual({ uses: 1, doubleGrants: 0 });
    expect(a.terminal.site!.status()).toMatchObject({ up: true, deferredUses: 0, reconciledUses: 1 });
    expect(reasonsOf(await lane('lane-b', store).terminal.present(card(alice)))).toContain(
      ReasonCode.CAP_REACHED,
    );
  });

  it('keeps deciding from local state (degraded, alarm), then reconciles and reports the double grants', async () => {
    const { store } = site();
    const options = { siteStateBudgetMs: 40 } as const;
    const a = lane('lane-a', store, options);
    const b = lane('lane-b', store, options);
    const c = lane('lane-c', store, options);
    const first = await a.terminal.present(card(alice));
    expect(first.siteStateDegraded).toBeUndefined();
    a.terminal.confirmUse(first);
    await settled(a.terminal);

    store.mode = 'down';
    const doubles: SiteDoubleGrant[] = [];
    for (const t of [a, b, c]) t.terminal.site!.on('double-grant', (e) => doubles.push(e));
    // Lanes B and C never saw alice: from their own state they grant her again.
    const atB = await b.terminal.present(card(alice));
    const atC = await c.terminal.present(card(alice));
    for (const d of [atB, atC]) {
      expect(freeEntry(d)).toBe(true);
      expect(d.siteStateDegraded).toBe(true);
    }
    b.terminal.confirmUse(atB);
    c.terminal.confirmUse(atC);
    // Bob is granted at B during the outage too: no double grant, his only entry today.
    const bobAtB = await b.terminal.present(card(bob));
    b.terminal.confirmUse(bobAtB);
    await settled(b.terminal, c.terminal);
    expect(b.alarms).toContainEqual({
      kind: 'site-state-unavailable',
      active: true,
      code: 'SITE_STATE_UNAVAILABLE',
    });
    expect(b.terminal.site!.status()).toMatchObject({ up: false, deferredUses: 2 });
    expect(b.journal.events({ kind: 'site-use-deferred' })).toHaveLength(2);

    store.mode = 'up';
    clock.at += 2_000;
    // The next decision's call is the probe: the store answers, and the lanes push what they counted.
    await b.terminal.present(card(carol));
    await c.terminal.present(card(carol));
    await settled(b.terminal, c.terminal);
    expect(b.alarms.at(-1)).toEqual({ kind: 'site-state-unavailable', active: false });
    expect(b.terminal.site!.status()).toMatchObject({
      up: true,
      deferredUses: 0,
      reconciledUses: 2,
      doubleGrants: 1,
    });
    expect(c.terminal.site!.status()).toMatchObject({ deferredUses: 0, reconciledUses: 1, doubleGrants: 1 });
    // Two entries for alice beyond her one: exactly two double grants, one per extra entry, none for bob.
    expect(doubles.map((d) => d.decisionId).sort()).toEqual([atB.id, atC.id].sort());
    expect(doubles.every((d) => d.ruleId === 'scenic.free-entry' && d.limit === 1)).toBe(true);
    expect(b.journal.events({ kind: 'site-double-grant' })).toMatchObject([
      { decisionId: atB.id, detail: { ruleId: 'scenic.free-entry', limit: 1 } },
    ]);
    // And the site now counts all three: no use was lost.
    clock.at += 60_000;
    expect(reasonsOf(await a.terminal.present(card(bob)))).toContain(ReasonCode.CAP_REACHED);
  });

  it('a store that never answers does not hold the decision past its budget', async () => {
    const { store } = site();
    store.mode = 'hang';
    const a = lane('lane-a', store, { siteStateBudgetMs: 25 });
    const decision = await a.terminal.present(card(alice));
    expect(decision.siteStateDegraded).toBe(true);
    expect(freeEntry(decision)).toBe(true);
  });

  it("with onSiteStateDown 'deny-capped', capped benefits are refused while the store is down", async () => {
    const { store } = site();
    store.mode = 'down';
    const a = lane('lane-a', store, { onSiteStateDown: 'deny-capped', siteStateBudgetMs: 40 });
    const decision = await a.terminal.present(card(alice));
    expect(decision.outcome).toBe('denied');
    expect(decision.siteStateDegraded).toBe(true);
    expect(decision.reasons).toContainEqual({ code: ReasonCode.CAP_UNVERIFIED, ruleId: 'scenic.free-entry' });
    expect(decision.explanation.citizen).toBe('暂时无法核对信用优惠次数，按常规流程办理。');
  });

  it('uses deferred before a restart are pushed after it, from the journal', async () => {
    const { store, inner } = site();
    store.mode = 'down';
    const journal: JournalStore = createMemoryJournal({ clock });
    const before = lane('lane-a', store, { journal, siteStateBudgetMs: 40 });
    const decision = await before.terminal.present(card(alice));
    before.terminal.confirmUse(decision);
    await settled(before.terminal);
    expect(journal.events({ kind: 'site-use-deferred' })).toHaveLength(1);
    // The lane restarts (its journal kept), and the store is back.
    store.mode = 'up';
    const after = lane('lane-a', store, { journal, siteStateBudgetMs: 40 });
    expect(after.terminal.site!.status().deferredUses).toBe(1);
    await after.terminal.site!.reconcile();
    expect(after.terminal.site!.status()).toMatchObject({
      deferredUses: 0,
      reconciledUses: 1,
      doubleGrants: 0,
    });
    expect(journal.events({ kind: 'site-use-reconciled' })).toHaveLength(1);
    const q = {
      pseudonym: decision.subject!.pseudonym,
      laneId: 'lane-b',
      caps: [{ ruleId: 'scenic.free-entry', period: 'day', limit: 1, scope: 'site' }] as const,
      now: clock.now(),
    };
    expect(await inner.usage({ ...q, caps: [...q.caps] })).toEqual({
      'scenic.free-entry': { used: 1, pending: 0 },
    });
  });
});
