import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SyntheticPerson } from '../../simulator/population.js';
import { isSocatAvailable } from '../../simulator/pty.js';
import {
  type RedisSentinelGroup,
  type RedisServer,
  startRedisSentinelGroup,
  startRedisServer,
} from '../../simulator/redis-server.js';
import {
  type SimulatedSite,
  type SimulatedSiteStore,
  startSimulatedSite,
} from '../../simulator/simulated-site.js';
import { redisSkipReason, redisSuiteName } from '../sdk/site/redis-fixture.js';
import { type DaemonProcess, health, serving, startDaemon, until, waitFor } from './gate-daemon-process.js';

/**
 * One scenic spot with four lanes — four `xinyi gate` daemons as child processes, each with its own
 * ID-card reader, QR scanner and AA-frame gate board on socat PTYs — sharing their site state in one
 * Redis, or in one SQLite file on the host, with the mock platform behind them. Lanes 1–3 are entry
 * lanes, lane 4 the exit; every lane has anti-passback on.
 */
const socat = isSocatAvailable();
if (!socat && process.env.XINYI_REQUIRE_SOCAT === '1') {
  throw new Error('XINYI_REQUIRE_SOCAT=1 but socat is not installed');
}
const redisSkip = redisSkipReason();
const sentinelSkip = redisSkipReason({ sentinel: true });

const LANES = 4;
const EXIT_LANE = 3;
const START_MS = 120_000;
const OUTCOME_MS = 20_000;

const trustworthy = (p: SyntheticPerson) => ['AAA', 'AA', 'A'].includes(p.tier) && p.lists.length === 0;

interface SiteUnderTest {
  dir: string;
  site: SimulatedSite;
  daemons: DaemonProcess[];
  configs: string[];
  /** Trustworthy people with a credit code, handed out one per test so no test sees another's uses. */
  next(): SyntheticPerson;
}

async function startSite(
  store: SimulatedSiteStore | undefined,
  siteBlock?: (base: Record<string, unknown>) => Record<string, unknown>,
): Promise<SiteUnderTest> {
  const dir = mkdtempSync(join(tmpdir(), 'xinyi-site-lanes-'));
  const site = await startSimulatedSite({
    dir,
    people: 80,
    lanes: LANES,
    ...(store ? { store } : {}),
    gateTiming: { motionMs: 40, passDelayMs: 150, openTimeoutMs: 1_500 },
  });
  const configs = site.lanes.map((_lane, i) => {
    const base = site.gateConfig(
      {
        http: { host: '127.0.0.1', port: 0 },
        lane: { direction: i === EXIT_LANE ? 'exit' : 'entry', antiPassback: true, passageTimeoutMs: 4_000 },
      },
      i,
    );
    if (base.site !== undefined) {
      // A killed lane's pending opening lapses 5 s later, not the default 9 s: the test waits less. The
      // budget is 250 ms, not 50: five processes share two busy cores here, and a lane whose event loop
      // stalls past its budget decides from local state, which some tests would take for a fault.
      const block = { ...(base.site as Record<string, unknown>), reservationTtlMs: 5_000, budgetMs: 250 };
      base.site = siteBlock ? siteBlock(block) : block;
    }
    const file = join(dir, `gate-${i + 1}.json`);
    writeFileSync(file, JSON.stringify(base));
    return file;
  });
  const daemons = await Promise.all(configs.map((file) => startDaemon(file, START_MS)));
  await until(async () => (await Promise.all(daemons.map((d) => serving(d)))).every(Boolean), START_MS);
  const people = site.people.filter((p) => trustworthy(p) && site.phones.has(p.id));
  let handedOut = 0;
  return {
    dir,
    site,
    daemons,
    configs,
    next() {
      const person = people[handedOut++];
      if (!person) throw new Error('the population has no more trustworthy people with a code');
      return person;
    },
  };
}

async function stopSite(s: SiteUnderTest | undefined): Promise<void> {
  if (!s) return;
  for (const d of s.daemons)
    if (d.child.exitCode === null && d.child.signalCode === null) d.child.kill('SIGKILL');
  await Promise.all(s.daemons.map((d) => d.exited));
  await s.site.close();
  rmSync(s.dir, { recursive: true, force: true });
}

/** What one credential became at a lane: its `gate outcome` log line. */
async function at(
  s: SiteUnderTest,
  lane: number,
  credential: { person: SyntheticPerson } | { code: string },
): Promise<Record<string, unknown>> {
  const daemon = s.daemons[lane]!;
  const from = daemon.lines.length;
  const sent =
    'person' in credential
      ? s.site.lanes[lane]!.tap(credential.person)
      : s.site.lanes[lane]!.scan(credential.code);
  const outcome = await waitFor(daemon, (l) => l.msg === 'gate outcome', OUTCOME_MS, from);
  await sent;
  return outcome;
}

async function passedThrough(
  s: SiteUnderTest,
  lane: number,
  outcome: Record<string, unknown>,
): Promise<void> {
  await waitFor(
    s.daemons[lane]!,
    (l) => l.msg === 'passage' && l.decisionId === outcome.decisionId && l.passage === 'passed',
    OUTCOME_MS,
  );
}

const opens = (s: SiteUnderTest) => s.site.lanes.reduce((n, l) => n + l.gate.core.stats.opens, 0);

/** The behaviour every store must show; `outage` adds the store killed mid-run and brought back. */
function sharedSiteTests(get: () => SiteUnderTest, outage?: () => RedisServer): void {
  it('the same card tapped at two lanes within 100 ms: exactly one opens', async () => {
    const s = get();
    const person = s.next();
    const before = opens(s);
    const [a, b] = await Promise.all([at(s, 0, { person }), at(s, 1, { person })]);
    expect([a.outcome, b.outcome].sort()).toEqual(['opened', 'shut']);
    expect(opens(s)).toBe(before + 1);
    const refused = a.outcome === 'shut' ? a : b;
    // Pending at the other lane, or already through it: refused either way.
    expect(refused.reasons).toEqual(
      expect.arrayContaining([expect.stringMatching(/^CAP_(PENDING|REACHED)$/)]),
    );
    await passedThrough(s, a.outcome === 'opened' ? 0 : 1, a.outcome === 'opened' ? a : b);
  }, 60_000);

  it('after the passage at lane A, lane B refuses with CAP_REACHED', async () => {
    const s = get();
    const person = s.next();
    const first = await at(s, 0, { person });
    expect(first.outcome).toBe('opened');
    await passedThrough(s, 0, first);
    const second = await at(s, 1, { person });
    expect(second).toMatchObject({ outcome: 'shut', decision: 'denied' });
    expect(second.reasons).toContain('CAP_REACHED');
  }, 60_000);

  it('a screenshot of a code already used at lane A is refused at lane B', async () => {
    const s = get();
    const person = s.next();
    const text = s.site.phones.get(person.id)!.present(Date.now());
    const first = await at(s, 0, { code: text });
    expect(first).toMatchObject({ outcome: 'opened', source: 'credit-code' });
    const replay = await at(s, 1, { code: text });
    expect(replay).toMatchObject({ outcome: 'shut', decision: 'unavailable', reasons: ['CODE_REPLAYED'] });
    await passedThrough(s, 0, first);
  }, 60_000);

  it("a pending opening at A blocks B until A's board gives up (nobody passed), then B opens", async () => {
    const s = get();
    const person = s.next();
    s.site.lanes[0]!.gate.core.queueBehaviour('no-pass');
    const first = await at(s, 0, { person });
    expect(first.outcome).toBe('opened');
    const blocked = await at(s, 1, { person });
    expect(blocked.outcome).toBe('shut');
    expect(blocked.reasons).toContain('CAP_PENDING');
    await waitFor(s.daemons[0]!, (l) => l.msg === 'passage' && l.decisionId === first.decisionId, OUTCOME_MS);
    const second = await at(s, 1, { person });
    expect(second.outcome).toBe('opened');
    await passedThrough(s, 1, second);
  }, 60_000);

  it('entry at lane A then exit at lane B satisfies anti-passback; an exit without an entry is refused', async () => {
    const s = get();
    const person = s.next();
    expect((await at(s, EXIT_LANE, { person })).outcome).toBe('anti-passback');
    const entry = await at(s, 2, { person });
    expect(entry.outcome).toBe('opened');
    await passedThrough(s, 2, entry);
    const exit = await at(s, EXIT_LANE, { person });
    expect(exit.outcome).toBe('opened');
    await passedThrough(s, EXIT_LANE, exit);
  }, 60_000);

  if (outage) {
    it('Redis killed mid-run: lanes keep deciding (degraded, alarm); back, the uses are reconciled and the double grants reported', async () => {
      const s = get();
      const redis = outage();
      const [used, fresh] = [s.next(), s.next()];
      const first = await at(s, 0, { person: used });
      expect(first.outcome).toBe('opened');
      await passedThrough(s, 0, first);

      await redis.kill();
      // Lane B never saw `used`: from its own state it lets her in again (one double grant).
      const again = await at(s, 1, { person: used });
      expect(again).toMatchObject({ outcome: 'opened', siteStateDegraded: true });
      await passedThrough(s, 1, again);
      // `fresh` enters at B and then at C, neither lane knowing of the other (one more).
      const atB = await at(s, 1, { person: fresh });
      await passedThrough(s, 1, atB);
      const atC = await at(s, 2, { person: fresh });
      expect(atC).toMatchObject({ outcome: 'opened', siteStateDegraded: true });
      await passedThrough(s, 2, atC);
      await until(
        async () => ((await health(s.daemons[1]!)).alarms as string[]).includes('site-state-unavailable'),
        15_000,
      );

      await redis.restart();
      const sites = async () =>
        Promise.all(s.daemons.map(async (d) => (await health(d)).site as Record<string, number | boolean>));
      await until(async () => (await sites()).every((x) => x.up === true && x.deferredUses === 0), 30_000);
      const totals = { reconciled: 0, doubles: 0 };
      for (const x of await sites()) {
        totals.reconciled += Number(x.reconciledUses);
        totals.doubles += Number(x.doubleGrants);
      }
      // Three uses were counted during the outage; two of them went past the once-a-day cap.
      expect(totals).toEqual({ reconciled: 3, doubles: 2 });
      for (const d of s.daemons) expect((await health(d)).alarms).not.toContain('site-state-unavailable');
      // The same in the lanes' metrics: which lane finds a double grant depends on who pushes last.
      let doubleGrantMetric = 0;
      for (const d of s.daemons) {
        const metrics = await (await fetch(`${d.url}/metrics`)).text();
        const m = /xinyi_site_double_grants_total\{rule="scenic\.free-entry"\} (\d+)/.exec(metrics);
        doubleGrantMetric += Number(m?.[1] ?? 0);
      }
      expect(doubleGrantMetric).toBe(2);
      const laneB = await (await fetch(`${s.daemons[1]!.url}/metrics`)).text();
      expect(laneB).toMatch(/xinyi_site_degraded_decisions_total\{scene="scenic-gate"\} [1-9]/);
      // No use was lost: both are refused for the rest of the day at any lane.
      for (const person of [used, fresh]) {
        const refused = await at(s, 0, { person });
        expect(refused.reasons).toContain('CAP_REACHED');
      }
    }, 120_000);
  }

  it("a SIGKILLed lane's pending opening is released by its timeout", async () => {
    const s = get();
    const person = s.next();
    s.site.lanes[2]!.gate.core.queueBehaviour('no-pass');
    const opened = await at(s, 2, { person });
    expect(opened.outcome).toBe('opened');
    s.daemons[2]!.child.kill('SIGKILL');
    await s.daemons[2]!.exited;
    const blocked = await at(s, 1, { person });
    expect(blocked.reasons).toContain('CAP_PENDING');
    // Nobody will release it: it lapses after its 5 s TTL, and then lane B opens.
    let outcome = blocked;
    await until(async () => {
      outcome = await at(s, 1, { person });
      return outcome.outcome === 'opened';
    }, 30_000);
    await passedThrough(s, 1, outcome);
  }, 60_000);
}

describe.skipIf(!socat || redisSkip !== undefined)(
  redisSuiteName(
    'four gate daemons sharing one Redis',
    redisSkip ?? (socat ? undefined : 'socat is not installed'),
  ),
  () => {
    let redis: RedisServer;
    let s: SiteUnderTest;
    beforeAll(async () => {
      redis = await startRedisServer();
      s = await startSite({ redisUrl: redis.url });
    }, START_MS + 30_000);
    afterAll(async () => {
      await stopSite(s);
      await redis?.stop();
    });
    sharedSiteTests(
      () => s,
      () => redis,
    );
  },
);

describe.skipIf(!socat)('four gate daemons sharing one SQLite file on the host', () => {
  let s: SiteUnderTest;
  beforeAll(async () => {
    // Several lanes and no Redis: the simulated site puts them on DIR/site.sqlite.
    s = await startSite(undefined);
    expect(s.site.store).toEqual({ sqlite: join(s.dir, 'site.sqlite') });
  }, START_MS + 30_000);
  afterAll(async () => {
    await stopSite(s);
  });
  sharedSiteTests(() => s);
});

describe.skipIf(!socat || sentinelSkip !== undefined)(
  redisSuiteName(
    'a Sentinel failover in the middle of traffic',
    sentinelSkip ?? (socat ? undefined : 'socat is not installed'),
  ),
  () => {
    let group: RedisSentinelGroup;
    let s: SiteUnderTest;
    beforeAll(async () => {
      group = await startRedisSentinelGroup();
      s = await startSite({ redisUrl: group.primary.url }, (block) => {
        const { redis: _url, ...rest } = block;
        return { ...rest, redis: { sentinel: { sentinels: group.sentinels, name: group.name } } };
      });
    }, START_MS + 60_000);
    afterAll(async () => {
      await stopSite(s);
      await group?.stop();
    });

    it('no decision hangs, and no use is lost after the reconciliation', async () => {
      const passed: SyntheticPerson[] = [];
      const outcomes: Record<string, unknown>[] = [];
      for (let i = 0; i < 12; i++) {
        if (i === 3) await group.primary.kill();
        const person = s.next();
        const lane = i % 3;
        // Every credential gets its outcome: a lane never waits on the store past its budget.
        const outcome = await at(s, lane, { person });
        outcomes.push(outcome);
        if (outcome.outcome === 'opened') {
          await passedThrough(s, lane, outcome);
          passed.push(person);
        }
      }
      expect(outcomes).toHaveLength(12);
      // Each person came once: every one of them is let in, degraded or not.
      expect(passed).toHaveLength(12);
      await until(async () => (await group.currentPrimary()).port === group.replica.port, 60_000);
      const sites = async () =>
        Promise.all(s.daemons.map(async (d) => (await health(d)).site as Record<string, unknown>));
      await until(async () => (await sites()).every((x) => x.up === true && x.deferredUses === 0), 60_000);
      expect((await sites()).reduce((n, x) => n + Number(x.doubleGrants), 0)).toBe(0);
      // Every use reached the new primary: each of them is refused now, at another lane.
      for (const [i, person] of passed.entries()) {
        const refused = await at(s, (i + 1) % 3, { person });
        expect(refused.reasons, JSON.stringify(refused)).toContain('CAP_REACHED');
      }
    }, 300_000);
  },
);
