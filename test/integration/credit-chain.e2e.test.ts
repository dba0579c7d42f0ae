// The credit chain against an adversary, through the real gate daemon: `xinyi gate` as a child
// process against a simulated site (virtual ID-card reader, QR scanner and AA-frame gate board on
// socat PTYs, the mock platform on loopback), with a tampering proxy on loopback in front of the
// platform where the attack is on the wire. Each case checks the gate (opened or not), the decision's
// reasons and what health and the journal say.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANSWER_SIGNATURE_HEADER } from '../../sdk/credit/lookup-answer.js';
import { createSqliteJournal } from '../../sdk/journal/sqlite-journal.js';
import type { VirtualPhone } from '../../simulator/credit-issuer.js';
import type { SyntheticPerson } from '../../simulator/population.js';
import { isSocatAvailable } from '../../simulator/pty.js';
import { type SimulatedSite, startSimulatedSite } from '../../simulator/simulated-site.js';
import {
  type DaemonProcess,
  health,
  serving,
  startDaemon,
  stopDaemon,
  tapCard,
  until,
  waitFor,
} from './gate-daemon-process.js';
import { lookupQuestionOf, startTamperingProxy, type TamperingProxy } from './tampering-proxy.js';

const socat = isSocatAvailable();
if (!socat && process.env.XINYI_REQUIRE_SOCAT === '1') {
  throw new Error('XINYI_REQUIRE_SOCAT=1 but socat is not installed');
}

const DAY = 86_400_000;
const LOOKUP = '/v1/standings/lookup';
const trustworthy = (p: SyntheticPerson) => ['AAA', 'AA', 'A'].includes(p.tier) && p.lists.length === 0;

type Health = {
  status: string;
  alarms: string[];
  warnings: string[];
  credit?: {
    trustListVersion: number | null;
    statusListIssuedAt: string | null;
    statusListAgeMs: number | null;
    lastSyncSuccessAt: string | null;
  };
};
const healthOf = (daemon: DaemonProcess) => health(daemon) as Promise<Health>;

describe.skipIf(!socat)('the credit chain against an adversary, through the gate daemon', () => {
  let dir: string;
  let site: SimulatedSite;
  let proxy: TamperingProxy;
  let citizens: SyntheticPerson[];
  let blackListed: SyntheticPerson[];
  /** Status indexes for phones issued by the tests (the site's own phones use 0..people-1). */
  let nextIndex = 1_000;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'xinyi-credit-chain-e2e-'));
    site = await startSimulatedSite({ dir, people: 40, gateTiming: { motionMs: 40, passDelayMs: 100 } });
    proxy = await startTamperingProxy(site.platform.url);
    citizens = site.people.filter(trustworthy);
    blackListed = site.people.filter((p) => p.lists.some((l) => l.kind === 'black'));
  }, 60_000);

  afterAll(async () => {
    await proxy?.close();
    await site?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** A gate config for a fresh terminal (its own dataDir) that syncs every second. */
  function writeConfig(
    name: string,
    platform: Record<string, unknown> = {},
    extra: Record<string, unknown> = {},
  ) {
    const base = site.gateConfig({ dataDir: join(dir, `data-${name}`) });
    const config = {
      ...base,
      platform: {
        ...(base.platform as Record<string, unknown>),
        syncIntervalMs: 1_000,
        statusListIntervalMs: 500,
        ...platform,
      },
      ...extra,
    };
    const file = join(dir, `${name}.json`);
    writeFileSync(file, JSON.stringify(config));
    return file;
  }

  /** A phone issued now by the platform (unlike the site's, with the entitlements or index asked for). */
  function phone(
    options: { entitlements?: number; flags?: number; statusIndex?: number; nowMs?: number } = {},
  ) {
    const statusIndex = options.statusIndex ?? nextIndex++;
    return site.platform.issuer.issue(`e2e-holder-${statusIndex}`, 'AAA', {
      statusIndex,
      now: (options.nowMs ?? Date.now()) - 3_600_000,
      ...(options.entitlements === undefined ? {} : { entitlements: options.entitlements }),
      ...(options.flags === undefined ? {} : { flags: options.flags }),
    });
  }

  /** Shows a code at the daemon's time and returns the outcome; the gate's opens are compared around it. */
  async function show(daemon: DaemonProcess, holder: VirtualPhone, atMs = Date.now()) {
    const opens = site.gate.core.stats.opens;
    const started = Date.now();
    for (;;) {
      const from = daemon.lines.length;
      await site.scanner.scan(holder.present(atMs + (Date.now() - started)));
      const line = await waitFor(
        daemon,
        (l) => l.msg === 'gate outcome' || (l.msg === 'scan refused' && l.reason === 'rate-limited'),
        15_000,
        from,
      );
      if (line.msg === 'gate outcome') return { outcome: line, opened: await opensSince(opens, line) };
      // The scanner takes a burst of 3 codes, then one a second (one scan, one credential): the
      // next person shows the code again once the second has passed.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }

  /**
   * Openings the gate board counted since `before`: for an `opened` outcome, once the board has
   * received the command (it travels the serial link after the log line); otherwise at once.
   */
  async function opensSince(before: number, outcome: Record<string, unknown>): Promise<number> {
    if (outcome.outcome === 'opened') await until(() => site.gate.core.stats.opens > before, 5_000);
    return site.gate.core.stats.opens - before;
  }

  /** Starts the daemon and waits until its devices are open: a scan before that would be lost. */
  async function startLane(configFile: string): Promise<DaemonProcess> {
    const daemon = await startDaemon(configFile);
    await until(async () => {
      const devices = (await health(daemon)).devices as Record<string, string> | undefined;
      return devices !== undefined && Object.values(devices).every((state) => state === 'ready');
    }, 30_000);
    return daemon;
  }

  /** Taps the person's ID card (see `tapCard`) and returns the outcome and the openings it made. */
  async function tap(daemon: DaemonProcess, person: SyntheticPerson) {
    const opens = site.gate.core.stats.opens;
    const outcome = await tapCard(site, daemon, person);
    return { outcome, opened: await opensSince(opens, outcome) };
  }

  it('status list 404: a revoked code does not open the gate; health is degraded with status-list-missing', async () => {
    site.platform.faults.inject({ kind: 'status', status: 404 }, { path: '/v1/status-list' });
    const daemon = await startLane(writeConfig('status-404'));
    try {
      await until(async () => (await healthOf(daemon)).credit?.trustListVersion === 1, 20_000);
      const revoked = phone();
      site.platform.issuer.revoke(revoked.statusIndex);
      const { outcome, opened } = await show(daemon, revoked);
      expect(outcome).toMatchObject({
        outcome: 'shut',
        decision: 'unavailable',
        reasons: ['STATUS_MISSING'],
      });
      expect(String(outcome.citizenMessage)).toBe('暂时无法确认信用信息，按常规流程办理。');
      expect(opened).toBe(0);
      const h = await healthOf(daemon);
      expect(h.status).toBe('degraded');
      expect(h.alarms).toContain('status-list-missing');
    } finally {
      site.platform.faults.clear();
      expect(await stopDaemon(daemon)).toBe(0);
    }
  }, 60_000);

  it('status list failing for 5 days (shared clock): a code revoked now does not open; alarms name the stale list and the failing sync', async () => {
    const name = 'five-days';
    const first = await startLane(writeConfig(name));
    try {
      await until(async () => (await healthOf(first)).credit?.statusListIssuedAt != null, 20_000);
    } finally {
      expect(await stopDaemon(first)).toBe(0);
    }
    // Five days later by the daemon's clock (and the platform's, for request signatures); the
    // status-list endpoint has failed all along, and a holder was revoked in the meantime.
    const startAt = Date.now() + 5 * DAY;
    site.platform.faults.inject({ kind: 'clock-skew', ms: 5 * DAY });
    site.platform.faults.inject({ kind: 'status', status: 503 }, { path: '/v1/status-list' });
    const later = await startLane(
      writeConfig(name, {}, { clock: { startAt: new Date(startAt).toISOString() } }),
    );
    // The daemon's clock started at startAt when it started, a little before we saw it start: this
    // is never ahead of it (a presentation from the future would be refused for that).
    const seenStarted = Date.now();
    const daemonNow = () => startAt + (Date.now() - seenStarted);
    try {
      const revoked = phone({ nowMs: daemonNow() });
      site.platform.issuer.revoke(revoked.statusIndex);
      await until(async () => (await healthOf(later)).alarms.includes('platform-sync-failing'), 20_000);
      const { outcome, opened } = await show(later, revoked, daemonNow());
      expect(outcome).toMatchObject({ outcome: 'shut', decision: 'unavailable', reasons: ['STATUS_STALE'] });
      expect(opened).toBe(0);
      const h = await healthOf(later);
      expect(h.status).toBe('degraded');
      expect(h.alarms).toEqual(expect.arrayContaining(['status-list-stale', 'platform-sync-failing']));
      expect(h.credit!.statusListAgeMs!).toBeGreaterThan(5 * DAY - 60_000);
      // No success since this process started; the list it holds says when the last one was.
      expect(h.credit!.lastSyncSuccessAt).toBeNull();
    } finally {
      site.platform.faults.clear();
      expect(await stopDaemon(later)).toBe(0);
    }
  }, 90_000);

  it('a fresh terminal handed a validly signed 30-day-old status list: no opening, status-list-stale', async () => {
    const revoked = phone();
    // Signed 30 days ago, before this holder was revoked.
    const old = JSON.stringify(site.platform.issuer.signedStatusList(Date.now() - 30 * DAY));
    site.platform.issuer.revoke(revoked.statusIndex);
    site.platform.replaceDocument('/v1/status-list', () => ({ bytes: old, contentType: 'application/json' }));
    const daemon = await startLane(writeConfig('thirty-days'));
    try {
      await until(async () => (await healthOf(daemon)).alarms.includes('status-list-stale'), 20_000);
      const { outcome, opened } = await show(daemon, revoked);
      expect(outcome).toMatchObject({ outcome: 'shut', reasons: ['STATUS_STALE'] });
      expect(opened).toBe(0);
    } finally {
      site.platform.replaceDocument('/v1/status-list', null);
      expect(await stopDaemon(daemon)).toBe(0);
    }
  }, 60_000);

  it('a status list dated 10 years ahead is refused and not cached; the correct list after it is taken', async () => {
    const future = JSON.stringify(site.platform.issuer.signedStatusList(Date.now() + 3650 * DAY));
    site.platform.replaceDocument('/v1/status-list', () => ({
      bytes: future,
      contentType: 'application/json',
    }));
    const name = 'future';
    const daemon = await startLane(writeConfig(name));
    const cacheFile = join(dir, `data-${name}`, 'cache', 'status-list.json');
    try {
      await waitFor(
        daemon,
        (l) => l.part === 'status-list' && l.reason === 'STATUS_LIST_NOT_YET_VALID',
        20_000,
      );
      expect((await healthOf(daemon)).alarms).toContain('status-list-missing');
      expect(existsSync(cacheFile)).toBe(false);
      const good = phone();
      expect((await show(daemon, good)).outcome).toMatchObject({
        outcome: 'shut',
        reasons: ['STATUS_MISSING'],
      });

      // The issuer's clock is put right: its lists are taken (no "rollback"), and codes work again.
      site.platform.replaceDocument('/v1/status-list', null);
      await until(async () => (await healthOf(daemon)).credit?.statusListIssuedAt != null, 20_000);
      const { outcome, opened } = await show(daemon, phone());
      expect(outcome).toMatchObject({ outcome: 'opened', source: 'credit-code' });
      expect(opened).toBe(1);
      expect(daemon.lines.some((l) => l.reason === 'STATUS_LIST_ROLLBACK')).toBe(false);
    } finally {
      site.platform.replaceDocument('/v1/status-list', null);
      expect(await stopDaemon(daemon)).toBe(0);
    }
    const cached = JSON.parse(readFileSync(cacheFile, 'utf8')) as { payload: string };
    const issuedAt = Date.parse((JSON.parse(cached.payload) as { issuedAt: string }).issuedAt);
    expect(issuedAt).toBeLessThanOrEqual(Date.now());
  }, 60_000);

  it('a trust-list floor: a fresh terminal refuses an older list, and takes the newer one', async () => {
    const daemon = await startLane(writeConfig('floor', { minTrustListVersion: 2 }));
    try {
      await waitFor(daemon, (l) => l.part === 'trust-list' && l.reason === 'TRUST_LIST_BELOW_FLOOR', 20_000);
      const h = await healthOf(daemon);
      expect(h.alarms).toEqual(expect.arrayContaining(['trust-list-missing', 'status-list-missing']));
      expect((await show(daemon, phone())).opened).toBe(0);

      const content = site.platform.issuer.trustListContent;
      const v2 = JSON.stringify(site.platform.issuer.signTrustList({ ...content, version: 2 }));
      site.platform.replaceDocument('/v1/trust-list', () => ({ bytes: v2, contentType: 'application/json' }));
      await until(async () => {
        const now = await healthOf(daemon);
        return now.credit?.trustListVersion === 2 && now.credit.statusListIssuedAt != null;
      }, 20_000);
      const { outcome, opened } = await show(daemon, phone());
      expect(outcome).toMatchObject({ outcome: 'opened', source: 'credit-code' });
      expect(opened).toBe(1);
    } finally {
      site.platform.replaceDocument('/v1/trust-list', null);
      expect(await stopDaemon(daemon)).toBe(0);
    }
  }, 60_000);

  describe('one terminal behind a man in the middle', () => {
    let daemon: DaemonProcess;
    const dataDir = () => join(dir, 'data-mitm');

    beforeAll(async () => {
      daemon = await startLane(writeConfig('mitm', { baseUrl: proxy.url }));
      // Ready, and holding a trust list, a fresh status list and the snapshot: no alarm but the
      // calendar's, which depends on today's date.
      await until(() => serving(daemon), 30_000);
    }, 60_000);

    afterAll(async () => {
      proxy.setRule(null);
      if (daemon) await stopDaemon(daemon);
    });

    it('a code with entitlements 0 and flags 0, signed by the real issuer key, does not open', async () => {
      const { outcome, opened } = await show(daemon, phone({ entitlements: 0, flags: 0 }));
      expect(outcome).toMatchObject({
        outcome: 'shut',
        decision: 'denied',
        reasons: ['ENTITLEMENT_MISSING'],
      });
      expect(String(outcome.citizenMessage)).toBe(
        '暂不符合信用优惠条件，按常规流程办理；如有疑问请至服务窗口咨询。',
      );
      expect(opened).toBe(0);
      // Every other programme but 信易游: no entry at a scenic gate either.
      expect((await show(daemon, phone({ entitlements: 0xfe }))).opened).toBe(0);
      // And the same code with the bit opens.
      expect((await show(daemon, phone({ entitlements: 0x01 }))).opened).toBe(1);
    }, 30_000);

    it('a code whose status index lies beyond the status list is refused', async () => {
      const { outcome, opened } = await show(daemon, phone({ statusIndex: 70_000 }));
      expect(outcome).toMatchObject({ outcome: 'shut', reasons: ['CODE_STATUS_INDEX_OUT_OF_RANGE'] });
      expect(opened).toBe(0);
    }, 30_000);

    it('a lookup answer rewritten to AAA for a black-listed citizen: refused, the snapshot decides, the gate stays shut', async () => {
      proxy.setRule({
        path: LOOKUP,
        answer: (ex) => {
          const body = JSON.parse(ex.body.toString('utf8')) as { computedAt: string };
          const forged = { found: true, computedAt: body.computedAt, standing: { tier: 'AAA', lists: [] } };
          return { status: 200, headers: ex.headers, body: Buffer.from(JSON.stringify(forged)) };
        },
      });
      const from = daemon.lines.length;
      const { outcome, opened } = await tap(daemon, blackListed[0]!);
      expect(outcome).toMatchObject({
        outcome: 'shut',
        decision: 'denied',
        source: 'snapshot',
        reasons: ['LIST_BLOCK'],
      });
      expect(opened).toBe(0);
      expect(proxy.ruleHits).toBe(1);
      await waitFor(
        daemon,
        (l) => l.msg === 'terminal problem' && l.code === 'PLATFORM_RESPONSE_INVALID',
        5_000,
        from,
      );
      proxy.setRule(null);
    }, 30_000);

    it('an answer for another citizen replayed, or stripped of its signature: not used; the snapshot decides', async () => {
      // A trustworthy citizen's signed answer, recorded on the wire...
      const first = citizens[0]!;
      expect((await tap(daemon, first)).outcome).toMatchObject({ outcome: 'opened', source: 'platform' });
      const recorded = proxy.exchanges.filter((ex) => ex.target === LOOKUP).at(-1)!;
      // ...played back to a black-listed citizen's lookup.
      proxy.setRule({
        path: LOOKUP,
        answer: () => ({ status: 200, headers: recorded.headers, body: recorded.body }),
      });
      const replayed = await tap(daemon, blackListed[1] ?? blackListed[0]!);
      expect(replayed.outcome).toMatchObject({
        outcome: 'shut',
        source: 'snapshot',
        reasons: ['LIST_BLOCK'],
      });
      expect(replayed.opened).toBe(0);
      // The answer played back was signed for another pseudonym than the one asked about.
      const victim = proxy.exchanges.filter((ex) => ex.target === LOOKUP).at(-1)!;
      expect(lookupQuestionOf(victim).pseudonym).not.toBe(lookupQuestionOf(recorded).pseudonym);

      proxy.setRule({
        path: LOOKUP,
        answer: (ex) => {
          const headers = { ...ex.headers };
          delete headers[ANSWER_SIGNATURE_HEADER];
          return { status: ex.status, headers, body: ex.body };
        },
      });
      const stripped = await tap(daemon, citizens[1]!);
      // The stripped answer is not used: the snapshot's standing is.
      expect(stripped.outcome).toMatchObject({ source: 'snapshot' });
      proxy.setRule(null);

      // The refusals are in the journal, each with the decision that fell back to the snapshot.
      const journal = await createSqliteJournal({ path: join(dataDir(), 'journal.sqlite'), readonly: true });
      try {
        const decided = [replayed, stripped].map(
          (t) => journal.getDecision(String(t.outcome.decisionId))?.decision,
        );
        expect(decided.map((d) => d?.standingSource)).toEqual(['snapshot', 'snapshot']);
        expect(decided.map((d) => d?.refusedAnswers)).toEqual([
          [{ source: 'platform', code: 'PLATFORM_RESPONSE_INVALID', reason: 'SIGNATURE' }],
          [{ source: 'platform', code: 'PLATFORM_RESPONSE_INVALID', reason: 'SIGNATURE_MISSING' }],
        ]);
      } finally {
        journal.close();
      }
    }, 60_000);

    it('a 512 MB hostile body on any download or lookup leaves the downloading daemon within +50 MB RSS', async () => {
      const pid = daemon.child.pid!;
      const kb = (field: string) =>
        Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) *
        1024;
      /**
       * Resets the peak (VmHWM) to the current RSS (proc(5), clear_refs "5") and returns that RSS,
       * so that the peak read afterwards is the peak of one hostile body. Where the reset is not
       * permitted, RSS is sampled every 10 ms instead.
       */
      let sampledPeak = 0;
      let peakReset = true;
      const sampler = setInterval(() => {
        try {
          sampledPeak = Math.max(sampledPeak, kb('VmRSS'));
        } catch {}
      }, 10);
      const startBody = (): number => {
        try {
          writeFileSync(`/proc/${pid}/clear_refs`, '5');
        } catch {
          peakReset = false;
        }
        sampledPeak = kb('VmRSS');
        return sampledPeak;
      };
      const hostile = { bytes: 512 * 1024 * 1024, declareLength: false };
      const refusal = (kind: string, from: number) =>
        waitFor(
          daemon,
          (l) =>
            l.msg === 'platform answer refused' &&
            l.code === 'PLATFORM_RESPONSE_TOO_LARGE' &&
            l.kind === kind,
          30_000,
          from,
        );
      const growthMb: Record<string, number> = {};
      try {
        // One body at a time (the other answers stay honest, so the circuit breaker stays closed):
        // the delta (16 MiB limit; the daemon holds a snapshot), the status list, the trust list,
        // then a lookup from an ID-card tap.
        for (const [path, kind] of [
          ['/v1/snapshots/delta', 'delta'],
          ['/v1/status-list', 'statusList'],
          ['/v1/trust-list', 'trustList'],
          [LOOKUP, 'lookup'],
        ] as const) {
          const from = daemon.lines.length;
          const base = startBody();
          proxy.setRule({ path, times: 1, hostileBody: hostile });
          if (kind === 'lookup') {
            const { outcome, opened } = await tap(daemon, citizens[2]!);
            // Decided from the snapshot: the lane keeps working.
            expect(outcome).toMatchObject({ outcome: 'opened', source: 'snapshot' });
            expect(opened).toBe(1);
          }
          await refusal(kind, from);
          const peak = peakReset ? Math.max(kb('VmHWM'), sampledPeak) : sampledPeak;
          growthMb[kind] = Math.round(((peak - base) / 1048576) * 10) / 10;
        }
      } finally {
        clearInterval(sampler);
        proxy.setRule(null);
      }
      for (const [kind, grew] of Object.entries(growthMb)) {
        expect(grew, `${kind}: RSS grew ${grew} MB (${JSON.stringify(growthMb)})`).toBeLessThan(50);
      }
      // Each hostile body was cut off near its limit (16 MiB at most), never read to its end.
      expect(proxy.hostileBytesSent).toHaveLength(4);
      for (const sent of proxy.hostileBytesSent) expect(sent).toBeLessThan(32 * 1024 * 1024);
    }, 90_000);

    it('a new trust list that withdraws the status-list key drops the status list at once', async () => {
      // The sync has recovered from the hostile bodies (the platform source itself shows offline
      // until the next lookup succeeds).
      await until(async () => {
        const { alarms } = await healthOf(daemon);
        return !alarms.includes('platform-sync-failing') && !alarms.includes('status-list-missing');
      }, 30_000);
      const content = site.platform.issuer.trustListContent;
      const withdrawn = JSON.stringify(
        site.platform.issuer.signTrustList({
          ...content,
          version: 5,
          keys: content.keys.filter((k) => k.use !== 'status-list'),
        }),
      );
      site.platform.replaceDocument('/v1/trust-list', () => ({
        bytes: withdrawn,
        contentType: 'application/json',
      }));
      try {
        await waitFor(daemon, (l) => l.msg === 'status list dropped: its key was withdrawn', 20_000);
        const h = await healthOf(daemon);
        expect(h.credit?.trustListVersion).toBe(5);
        expect(h.alarms).toContain('status-list-missing');
        const { outcome, opened } = await show(daemon, phone());
        expect(outcome).toMatchObject({ outcome: 'shut', reasons: ['STATUS_MISSING'] });
        expect(opened).toBe(0);
      } finally {
        site.platform.replaceDocument('/v1/trust-list', null);
      }
    }, 60_000);
  });
});
