import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
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
import {
  type DaemonProcess,
  health,
  serving,
  startDaemon,
  tapCard,
  until,
  waitFor,
} from './gate-daemon-process.js';

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
/** The lanes' standing deadline (the terminal's default, written out: the failover test bounds decisions by it). */
const DECISION_DEADLINE_MS = 800;
/**
 * Each site-store call's budget: 250 ms, not 50, as five processes share two busy cores here, and a
 * lane whose event loop stalls past its budget decides from local state, which some tests would take
 * for a fault.
 */
const SITE_BUDGET_MS = 250;
/** The daemon's event-loop delay monitor samples every 10 ms (cli/gate/process-metrics.ts). */
const LAG_RESOLUTION_MS = 10;

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
        decisionDeadlineMs: DECISION_DEADLINE_MS,
        http: { host: '127.0.0.1', port: 0 },
        lane: { direction: i === EXIT_LANE ? 'exit' : 'entry', antiPassback: true, passageTimeoutMs: 4_000 },
      },
      i,
    );
    if (base.site !== undefined) {
      // A killed lane's pending opening lapses 5 s later, not the default 9 s: the test waits less.
      const block = {
        ...(base.site as Record<string, unknown>),
        reservationTtlMs: 5_000,
        budgetMs: SITE_BUDGET_MS,
      };
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

/**
 * What one credential became at a lane: its `gate outcome` log line. A card stays on the reader until
 * the outcome is logged (`tapCard`), however slowly a loaded machine runs the daemon.
 */
async function at(
  s: SiteUnderTest,
  lane: number,
  credential: { person: SyntheticPerson } | { code: string },
): Promise<Record<string, unknown>> {
  const daemon = s.daemons[lane]!;
  if ('person' in credential) return tapCard(s.site.lanes[lane]!, daemon, credential.person, OUTCOME_MS);
  const from = daemon.lines.length;
  const sent = s.site.lanes[lane]!.scan(credential.code);
  const outcome = await waitFor(daemon, (l) => l.msg === 'gate outcome', OUTCOME_MS, from);
  await sent;
  return outcome;
}

/**
 * `at`, for a holder this lane already opened for: a lane answers `repeat` to the same card within its
 * repeat window (5 s), so on a fast machine the card is presented again until the lane decides on it.
 * A `repeat` does not extend the window, so this ends within it.
 */
async function atAgain(
  s: SiteUnderTest,
  lane: number,
  credential: { person: SyntheticPerson },
): Promise<Record<string, unknown>> {
  for (;;) {
    const outcome = await at(s, lane, credential);
    if (outcome.outcome !== 'repeat') return outcome;
  }
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

/**
 * The longest event-loop delay the daemon saw since this was last asked (its /metrics window restarts
 * at each scrape), in ms.
 */
async function eventLoopLagMs(daemon: DaemonProcess): Promise<number> {
  const metrics = await (await fetch(`${daemon.url}/metrics`)).text();
  const seconds = /^nodejs_eventloop_lag_max_seconds (\S+)$/m.exec(metrics)?.[1];
  if (seconds === undefined) throw new Error('the daemon reports no nodejs_eventloop_lag_max_seconds');
  return Number(seconds) * 1000;
}

const opens = (s: SiteUnderTest) => s.site.lanes.reduce((n, l) => n + l.gate.core.stats.opens, 0);

/** How a store is lost mid-run and brought back. */
interface StoreOutage {
  begin(): Promise<void>;
  /** Brings it back; once back, does nothing. */
  end(): Promise<void>;
}

/** The behaviour every store must show, a lost store (`what` happened to it) included. */
function sharedSiteTests(get: () => SiteUnderTest, outage: () => StoreOutage, what: string): void {
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

  it(`${what}: lanes keep deciding (degraded, alarm); back, the uses are reconciled and the double grants reported`, async () => {
    const s = get();
    const lost = outage();
    // A failed expectation leaves no store lost behind it for the next test.
    onTestFinished(() => lost.end());
    const [used, fresh] = [s.next(), s.next()];
    const first = await at(s, 0, { person: used });
    expect(first.outcome).toBe('opened');
    await passedThrough(s, 0, first);
    // She leaves, so that anti-passback lets her in again: what stops her is the cap alone (a locked
    // SQLite file can still be read, so the lanes still see her last passage).
    const left = await at(s, EXIT_LANE, { person: used });
    expect(left.outcome).toBe('opened');
    await passedThrough(s, EXIT_LANE, left);

    await lost.begin();
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

    await lost.end();
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
      // Wherever the lanes last saw them (inside, by the entries made during the outage), they leave
      // first, so that what refuses them is the cap and not anti-passback.
      const out = await atAgain(s, EXIT_LANE, { person });
      if (out.outcome === 'opened') await passedThrough(s, EXIT_LANE, out);
      const refused = await atAgain(s, 0, { person });
      expect(refused.reasons, JSON.stringify({ out, refused })).toContain('CAP_REACHED');
    }
  }, 120_000);

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
      () => ({
        begin: () => redis.kill(),
        end: async () => {
          if (!redis.running) await redis.restart();
        },
      }),
      'Redis killed mid-run',
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
  sharedSiteTests(
    () => s,
    () => {
      // The SQLite store's outage: another process keeps the file's write lock (a backup, a stuck
      // transaction) far past the lanes' busy timeout; every reservation and commit fails meanwhile.
      let holder: Database.Database | undefined;
      return {
        async begin() {
          holder = new Database(join(s.dir, 'site.sqlite'));
          holder.prepare('BEGIN IMMEDIATE').run();
        },
        async end() {
          if (holder?.inTransaction) holder.prepare('ROLLBACK').run();
          holder?.close();
          holder = undefined;
        },
      };
    },
    'the SQLite file locked by another process mid-run',
  );
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

    it('no decision hangs past its deadline, and no use is lost after the reconciliation', async () => {
      const oldPrimary = group.primary.port;
      const passed: SyntheticPerson[] = [];
      const made: Array<{ outcome: Record<string, unknown>; lagMs: number; phase: string }> = [];
      let phase: 'before' | 'failover' | 'after' = 'before';
      const inPhase = (p: typeof phase) => made.filter((m) => m.phase === p).length;
      // Traffic before the primary is killed, all through the failover (until the sentinels name the
      // replica), and after it: however long the election takes on this machine.
      for (let i = 0; phase !== 'after' || inPhase('after') < 3; i++) {
        if (i === 3) {
          await group.primary.kill();
          phase = 'failover';
        }
        if (phase === 'failover' && (await group.currentPrimary()).port !== oldPrimary) phase = 'after';
        if (i >= 40) throw new Error(`the sentinels named no new primary in ${i} decisions`);
        const person = s.next();
        const lane = i % 3;
        await eventLoopLagMs(s.daemons[lane]!);
        const outcome = await at(s, lane, { person });
        made.push({ outcome, lagMs: await eventLoopLagMs(s.daemons[lane]!), phase });
        if (outcome.outcome === 'opened') {
          await passedThrough(s, lane, outcome);
          passed.push(person);
        }
      }
      // Decisions were made while the sentinels still named the dead primary, and some of them could
      // not reach the store: the failover was in the middle of the traffic.
      expect(inPhase('failover')).toBeGreaterThan(0);
      expect(made.some((m) => m.outcome.siteStateDegraded === true)).toBe(true);
      for (const { outcome, lagMs } of made) {
        // Each decision's own timing, as the daemon recorded it. Its waits are the standing (at most
        // the decision deadline) and the reservation (at most the site budget; an ID card makes no
        // other store call), each ending at its timer, late by at most the longest stall the daemon's
        // event loop reported over that decision: a busy machine stretches the bound, a hang does not
        // fit in it (a command left waiting on the dead primary would wait out the failover).
        const deadlineMs = DECISION_DEADLINE_MS + SITE_BUDGET_MS + 2 * (lagMs + LAG_RESOLUTION_MS);
        expect(outcome.latencyMs, JSON.stringify(outcome)).toEqual(expect.any(Number));
        expect(outcome.latencyMs as number, JSON.stringify({ outcome, lagMs })).toBeLessThanOrEqual(
          deadlineMs,
        );
      }
      // Each person came once: every one of them is let in, degraded or not.
      expect(passed).toHaveLength(made.length);
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
