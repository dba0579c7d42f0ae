import { describe, expect, it } from 'vitest';
import { createCreditCodeResolver } from '../../../sdk/credit/credit-code-resolver.js';
import { createReplayCache } from '../../../sdk/credit/replay-cache.js';
import { loadStatusList } from '../../../sdk/credit/status-list.js';
import { loadTrustList } from '../../../sdk/credit/trust-list.js';
import type { CreditStanding } from '../../../sdk/domain/standing.js';
import { isXinyiError, type XinyiError } from '../../../sdk/errors.js';
import type { CreditLookup, CreditResolver } from '../../../sdk/terminal/credit-resolver.js';
import { createTerminal } from '../../../sdk/terminal/terminal.js';
import { createCreditIssuer } from '../../../simulator/credit-issuer.js';

const T0 = Date.parse('2026-06-01T10:00:00+08:00');
const HOUR = 3_600_000;
const clock = { now: () => T0 };
const issuer = createCreditIssuer({ seed: 'resolver-test', now: T0 });
const trustList = loadTrustList(issuer.trustList, { rootPublicKey: issuer.rootPublicKey, now: T0 });
/** A status list issued an hour ago: what a terminal that syncs holds. */
const statusList = loadStatusList(issuer.signedStatusList(T0 - HOUR), { trustList });

const lookup = (creditCodeText?: string): CreditLookup => ({
  creditCodeText,
  scene: 'library-kiosk',
  terminalId: 't1',
  signal: new AbortController().signal,
  deadlineAt: T0 + 800,
});

async function refusal(resolver: CreditResolver, text: string): Promise<XinyiError> {
  try {
    await resolver.resolve(lookup(text));
  } catch (error) {
    if (isXinyiError(error)) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('createCreditCodeResolver', () => {
  it('returns null without a code, the standing for a valid code', async () => {
    const resolver = createCreditCodeResolver({ trustList, statusList, clock });
    expect(resolver.name).toBe('credit-code');
    expect(await resolver.resolve(lookup())).toBeNull();
    const phone = issuer.issue('alice', 'AA', { now: T0 - HOUR });
    expect(await resolver.resolve(lookup(phone.present(T0)))).toMatchObject({
      tier: 'AA',
      source: 'credit-code',
      lists: [],
      codeClaims: { entitlements: 0xff, flags: 0x01 },
    });
  });

  it('requires a status list by default: none, or one older than 24 h, refuses every code', async () => {
    const phone = issuer.issue('erin', 'AA', { now: T0 - HOUR });
    const none = createCreditCodeResolver({ trustList, clock });
    expect((await refusal(none, phone.present(T0))).details.reason).toBe('STATUS_MISSING');
    const dayOld = loadStatusList(issuer.signedStatusList(T0 - 24 * HOUR), { trustList });
    const justFresh = createCreditCodeResolver({ trustList, statusList: dayOld, clock });
    expect(await justFresh.resolve(lookup(phone.present(T0)))).not.toBeNull();
    const tooOld = loadStatusList(issuer.signedStatusList(T0 - 24 * HOUR - 1000), { trustList });
    const stale = createCreditCodeResolver({ trustList, statusList: tooOld, clock });
    expect((await refusal(stale, phone.present(T0 + 1000))).details.reason).toBe('STATUS_STALE');
    // Configurable, and explicitly optional where revocation is checked another way.
    const tight = createCreditCodeResolver({ trustList, statusList, clock, maxStatusAgeMs: 30 * 60_000 });
    expect((await refusal(tight, phone.present(T0 + 2000))).details.reason).toBe('STATUS_STALE');
    const optional = createCreditCodeResolver({ trustList, clock, requireStatusList: false });
    expect(await optional.resolve(lookup(phone.present(T0 + 3000)))).not.toBeNull();
    expect(() => createCreditCodeResolver({ trustList, maxStatusAgeMs: 0 })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    );
  });

  it('throws CODE_REFUSED with the reason for a refused code, CODE_SIGNATURE_INVALID for a bad signature', async () => {
    const resolver = createCreditCodeResolver({
      trustList,
      statusList,
      clock,
      replayCache: createReplayCache(),
    });
    const text = issuer.issue('bob', 'A', { now: T0 - HOUR }).present(T0);
    await resolver.resolve(lookup(text));
    const replayed = await refusal(resolver, text);
    expect(replayed.code).toBe('CODE_REFUSED');
    expect(replayed.details.reason).toBe('REPLAYED');
    const last = text.at(-1) === '0' ? '1' : '0';
    const bad = await refusal(resolver, text.slice(0, -1) + last);
    expect(['CODE_SIGNATURE_INVALID', 'CODE_REFUSED']).toContain(bad.code);
    const garbage = await refusal(resolver, 'QZ1:not-a-code');
    expect(garbage).toMatchObject({ code: 'CODE_REFUSED', details: { reason: 'FORMAT' } });
  });

  it('uses the current trust and status lists from the getters', async () => {
    let status = loadStatusList(issuer.signedStatusList(T0), { trustList });
    const resolver = createCreditCodeResolver({
      getTrustList: () => trustList,
      getStatusList: () => status,
      clock,
      maxStatusAgeMs: 24 * HOUR,
    });
    const phone = issuer.issue('carol', 'AAA', { now: T0 - HOUR });
    expect(await resolver.resolve(lookup(phone.present(T0)))).not.toBeNull();
    issuer.revoke(phone.statusIndex);
    status = loadStatusList(issuer.signedStatusList(T0), { trustList });
    const revoked = await refusal(resolver, phone.present(T0 + 1000));
    expect(revoked.details.reason).toBe('REVOKED');
    const none = createCreditCodeResolver({ getTrustList: () => undefined, clock });
    await expect(none.resolve(lookup(phone.present(T0)))).rejects.toMatchObject({
      code: 'CREDIT_UNAVAILABLE',
    });
  });

  it('refuses to be created without a trust list', () => {
    expect(() => createCreditCodeResolver({} as never)).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    );
  });

  it('in a terminal: a refused code is recorded and yields normal service, never another source’s standing', async () => {
    const generous: CreditResolver = {
      name: 'platform',
      // A well-behaved source answers only for a subject; a code scan carries none.
      resolve: async (l): Promise<CreditStanding | null> =>
        l.subject ? { tier: 'AAA', lists: [], source: 'platform', asOf: new Date(T0).toISOString() } : null,
    };
    const terminal = createTerminal({
      terminalId: 't1',
      scene: 'library-kiosk',
      pseudonymKey: 'credit-code-resolver-test-key-0123456789',
      clock,
      credit: [createCreditCodeResolver({ trustList, statusList, clock }), generous],
    });
    const errors: unknown[] = [];
    terminal.on('warning', (e) => errors.push(e));
    const phone = issuer.issue('dave', 'AAA', { now: T0 - HOUR });
    const good = await terminal.present({ kind: 'credit-code', text: phone.present(T0) });
    expect(good.standingSource).toBe('credit-code');
    expect(good.effectiveTier).toBe('AAA');
    const stale = await terminal.present({ kind: 'credit-code', text: phone.present(T0 - 5 * 60_000) });
    expect(stale.standingSource).toBe('none');
    expect(stale.effectiveTier).toBeNull();
    expect(stale.benefits).toEqual([]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'CODE_REFUSED', details: { reason: 'PRESENTATION_STALE' } });
    await terminal.close();
  });

  it('in a terminal: no status list is STATUS_MISSING, unavailable, with the neutral text', async () => {
    const terminal = createTerminal({
      terminalId: 't1',
      scene: 'library-kiosk',
      pseudonymKey: 'credit-code-resolver-test-key-0123456789',
      clock,
      credit: [createCreditCodeResolver({ trustList, clock })],
    });
    const phone = issuer.issue('frank', 'AAA', { now: T0 - HOUR });
    const d = await terminal.present({ kind: 'credit-code', text: phone.present(T0) });
    expect(d.outcome).toBe('unavailable');
    expect(d.reasons).toEqual([{ code: 'STATUS_MISSING' }]);
    expect(d.benefits).toEqual([]);
    expect(d.explanation.citizen).toBe('暂时无法确认信用信息，按常规流程办理。');
    await terminal.close();
  });
  it("names the code's holder by pseudonym, so a daily cap counts the holder across fresh presentations", async () => {
    const { createMemoryJournal } = await import('../../../sdk/journal/memory-journal.js');
    let now = T0;
    const moving = { now: () => now };
    const journal = createMemoryJournal();
    const terminal = createTerminal({
      terminalId: 'gate-1',
      scene: 'scenic-gate',
      context: { siteId: 'yunmenshan' },
      pseudonymKey: 'holder-test-key-0123456789abcdef',
      credit: [createCreditCodeResolver({ trustList, statusList, clock: moving })],
      clock: moving,
      journal,
    });
    const phone = issuer.issue('holder-1', 'AA', { now: T0 - HOUR });
    const other = issuer.issue('holder-2', 'AA', { now: T0 - HOUR });
    const first = await terminal.present({ kind: 'credit-code', text: phone.present(now) });
    expect(first.outcome).toBe('granted');
    expect(first.subject).toMatchObject({ masked: '码******' });
    expect(first.subject?.pseudonym).toMatch(/^code:/);
    expect(terminal.confirmUse(first)).toBe(1);
    now += 60_000;
    // A fresh presentation of the same holder's code: the once-a-day free entry is used.
    const second = await terminal.present({ kind: 'credit-code', text: phone.present(now) });
    expect(second.subject?.pseudonym).toBe(first.subject?.pseudonym);
    expect(second.reasons.map((r) => r.code)).toContain('CAP_REACHED');
    // Another holder is another subject.
    const third = await terminal.present({ kind: 'credit-code', text: other.present(now) });
    expect(third.subject?.pseudonym).not.toBe(first.subject?.pseudonym);
    expect(third.outcome).toBe('granted');
    await terminal.close();
  });
});
