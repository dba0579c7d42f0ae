import { describe, expect, it } from 'vitest';
import { createMemoryJournal } from '../../../sdk/journal/memory-journal.js';
import { createInProcessSiteState } from '../../../sdk/site/in-process-site-state.js';
import type { SiteState } from '../../../sdk/site/site-state.js';
import { siteStateContract } from './site-state-contract.js';

const sites = new Map<string, SiteState>();
siteStateContract('in-process', {
  open: async (siteId) => {
    let store = sites.get(siteId);
    if (!store) {
      store = createInProcessSiteState();
      sites.set(siteId, store);
    }
    return store;
  },
  separatesLanes: false,
});

describe('in-process site state', () => {
  it("counts uses in the lane's journal, so the counters can be rebuilt from it", async () => {
    const journal = createMemoryJournal();
    const store = createInProcessSiteState({ journal });
    const now = Date.parse('2026-08-14T10:00:00+08:00');
    const cap = { ruleId: 'scenic.free-entry', period: 'day', limit: 1, scope: 'site' } as const;
    const request = { pseudonym: 'p-1', laneId: 'lane-a', caps: [cap], now };
    await store.commit({ ...request, reservationId: 'd-1', scene: 'scenic-gate' });
    expect(journal.usageCounts('p-1', now)).toEqual({ 'scenic.free-entry': { day: 1, month: 1, year: 1 } });
    // A store built afresh over the same journal (a restart) sees the use.
    const restarted = createInProcessSiteState({ journal });
    expect(await restarted.usage(request)).toEqual({ 'scenic.free-entry': { used: 1, pending: 0 } });
    // And a use the terminal recorded in the journal itself counts too.
    journal.recordUse({
      decisionId: 'd-2',
      pseudonym: 'p-2',
      scene: 'scenic-gate',
      ruleIds: [cap.ruleId],
      at: now,
    });
    expect(
      await restarted.reserve({ ...request, pseudonym: 'p-2', reservationId: 'd-3', ttlMs: 1000 }),
    ).toMatchObject({
      ok: false,
    });
  });
});
