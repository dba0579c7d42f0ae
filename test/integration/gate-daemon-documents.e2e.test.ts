import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadGateConfig, parseGateConfig } from '../../cli/gate/config.js';
import { type GateDaemon, startGateDaemon } from '../../cli/gate/daemon.js';
import { installDocument } from '../../cli/gate/documents.js';
import type { Clock } from '../../sdk/clock.js';
import { buildSnapshot } from '../../sdk/credit/snapshot-format.js';
import { openSnapshotStore } from '../../sdk/credit/snapshot-store.js';
import type { Decision } from '../../sdk/domain/decision.js';
import { createPseudonymizer } from '../../sdk/identity/index.js';
import { createJsonLogger } from '../../sdk/logger.js';
import { qingzhouPolicyPack } from '../../sdk/policy/qingzhou-pack.js';
import { createCreditIssuer } from '../../simulator/credit-issuer.js';
import { type MockPlatform, startMockPlatform } from '../../simulator/mock-platform.js';
import { generatePopulation, type SyntheticPerson } from '../../simulator/population.js';
import { signedCalendar, signedPolicy, YEAR_2027 } from '../sdk/documents/fixtures.js';

/**
 * The gate daemon across the end of its official calendar, on a simulated clock it shares with the
 * mock platform: provisional days from 2027-01-01 00:00, official ones once a 2027 calendar arrives
 * (from the platform, or imported while the platform is down), and a staged pack taking effect, all
 * without a restart. Decisions are presented to the daemon's terminal directly (no devices needed).
 */

const PSEUDONYM_KEY = 'documents-e2e-key-0123456789abcdef';
const KEY_ID = 'gate-docs';
const SECRET = 'documents-e2e-secret';
const people = generatePopulation(30, 'documents-e2e');
/** 守信 citizens: each visits once, so the once-a-day cap never decides for them. */
const trustworthy = people.filter((p) => ['AAA', 'AA', 'A'].includes(p.tier) && p.lists.length === 0);
const citizen = trustworthy[0]!;

/** A clock the test sets; the daemon and the platform read it. */
function manualClock(iso: string): Clock & { set(iso: string): void } {
  let at = Date.parse(iso);
  return {
    now: () => at,
    set(next: string) {
      at = Date.parse(next);
    },
  };
}

const dirs: string[] = [];
const stops: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

interface Running {
  daemon: GateDaemon;
  lines: Record<string, unknown>[];
  dir: string;
  configFile: string;
}

async function startDaemon(
  clock: Clock,
  platform: MockPlatform | { url: string; rootPem: string; snapshotPem: string },
  prepare?: (dataDir: string) => Promise<void>,
): Promise<Running> {
  const dir = mkdtempSync(join(tmpdir(), 'xinyi-docs-e2e-'));
  dirs.push(dir);
  const dataDir = join(dir, 'data');
  mkdirSync(dataDir, { recursive: true });
  await prepare?.(dataDir);
  const pem = (key: { export(o: object): string | Buffer }) =>
    String(key.export({ format: 'pem', type: 'spki' }));
  const isMock = 'issuer' in platform;
  const raw = {
    terminalId: 'gate-docs-e2e',
    pseudonymKey: { value: PSEUDONYM_KEY },
    context: { siteId: 'yunmenshan' },
    dataDir,
    devices: { gate: { protocol: 'aa-frame', link: { tcp: { host: '127.0.0.1', port: 1 } } } },
    http: { host: '127.0.0.1', port: 0 },
    platform: {
      baseUrl: platform.url,
      keyId: KEY_ID,
      secret: { value: SECRET },
      trustRootPublicKey: { value: isMock ? pem(platform.issuer.rootPublicKey) : platform.rootPem },
      snapshotPublicKeys: [{ value: isMock ? pem(platform.snapshotPublicKey) : platform.snapshotPem }],
      syncIntervalMs: 150,
      statusListIntervalMs: 150,
    },
    documents: { checkIntervalMs: 100 },
  };
  const configFile = join(dir, 'gate.json');
  writeFileSync(configFile, JSON.stringify(raw));
  const lines: Record<string, unknown>[] = [];
  const daemon = await startGateDaemon({
    config: parseGateConfig(raw),
    baseDir: dir,
    clock,
    logger: createJsonLogger({ level: 'debug', write: (line) => lines.push(JSON.parse(line)) }),
  });
  stops.push(() => daemon.stop());
  return { daemon, lines, dir, configFile };
}

function tap(daemon: GateDaemon, person: SyntheticPerson): Promise<Decision> {
  return daemon.terminal.present({ kind: 'id-card', idNumber: person.idNumber, name: person.name });
}

async function platformAt(clock: Clock): Promise<MockPlatform> {
  const platform = await startMockPlatform({
    keyId: KEY_ID,
    secret: SECRET,
    pseudonymKey: PSEUDONYM_KEY,
    people,
    clock,
  });
  stops.push(() => platform.close());
  return platform;
}

describe('gate daemon across the end of the official calendar (simulated clock)', () => {
  it('2026-12-31 23:59 → 00:05 provisional → the platform publishes 2027 at 00:10 → 00:15 official, no restart', async () => {
    const clock = manualClock('2026-12-31T23:59:00+08:00');
    const platform = await platformAt(clock);
    const { daemon, lines } = await startDaemon(clock, platform);
    // A fresh terminal asks the platform only once it holds the trust list that signs the answers.
    await vi.waitFor(() => expect(daemon.health().credit?.trustListVersion).toBeTypeOf('number'), {
      timeout: 10_000,
      interval: 50,
    });

    const lastDay = await tap(daemon, citizen);
    expect(lastDay).toMatchObject({
      outcome: 'granted',
      standingSource: 'platform',
      calendarProvisional: false,
    });
    const before = daemon.health();
    expect(before.calendar).toMatchObject({
      officialThrough: '2026-12-31',
      officialDaysLeft: 1,
      warning: true,
    });
    expect(before.alarms).toContain('calendar-coverage');
    expect(before.status).toBe('degraded');

    clock.set('2027-01-01T00:05:00+08:00');
    const provisional = await tap(daemon, trustworthy[1]!);
    expect(provisional).toMatchObject({ outcome: 'granted', calendarProvisional: true });
    expect(provisional.explanation.staff).toContain('日历 临时推算');
    expect(daemon.health().calendar).toMatchObject({
      officialDaysLeft: 0,
      provisionalToday: true,
      warning: true,
    });

    clock.set('2027-01-01T00:10:00+08:00');
    platform.publishCalendar([YEAR_2027]);
    await vi.waitFor(() => expect(lines.some((l) => l.msg === 'calendar updated')).toBe(true), {
      timeout: 10_000,
      interval: 50,
    });

    clock.set('2027-01-01T00:15:00+08:00');
    const official = await tap(daemon, trustworthy[2]!);
    // 元旦 is not a major holiday: free entry, now on an official day.
    expect(official).toMatchObject({ outcome: 'granted', calendarProvisional: false });
    expect(official.calendarVersion).toBe('cn-holidays-2024.2026.1+calendar-doc.1+provisional-cn.2025.1');
    const after = daemon.health();
    expect(after.calendar).toMatchObject({
      officialThrough: '2027-12-31',
      provisionalToday: false,
      warning: false,
    });
    expect(after.alarms).not.toContain('calendar-coverage');
    const metrics = await (await fetch(`${daemon.url}/metrics`)).text();
    expect(metrics).toMatch(/xinyi_calendar_official_days_left 365/);
    expect(metrics).toMatch(/xinyi_calendar_provisional_today 0/);
    expect(lines.filter((l) => l.msg === 'gate daemon started')).toHaveLength(1);
  }, 30_000);

  it('with the platform down from the start: provisional, then an imported calendar file, no restart', async () => {
    const clock = manualClock('2027-01-01T00:05:00+08:00');
    // Yesterday's run left a trust list and a snapshot in the data folder; today the platform is down.
    const issuer = createCreditIssuer({ seed: 'documents-e2e', now: Date.now() });
    const snapshotKeys = generateKeyPairSync('ed25519');
    const pseudonymizer = createPseudonymizer(PSEUDONYM_KEY);
    const down = await startMockPlatform({
      keyId: KEY_ID,
      secret: SECRET,
      pseudonymKey: PSEUDONYM_KEY,
      people,
      clock,
    });
    stops.push(() => down.close());
    down.faults.inject({ kind: 'status', status: 503 });
    const pem = (k: { export(o: object): string | Buffer }) =>
      String(k.export({ format: 'pem', type: 'spki' }));
    const { daemon, lines, configFile } = await startDaemon(
      clock,
      { url: down.url, rootPem: pem(issuer.rootPublicKey), snapshotPem: pem(snapshotKeys.publicKey) },
      async (dataDir) => {
        mkdirSync(join(dataDir, 'cache'));
        writeFileSync(join(dataDir, 'cache', 'trust-list.json'), JSON.stringify(issuer.trustList));
        const store = await openSnapshotStore({ path: join(dataDir, 'snapshot.sqlite') });
        try {
          const records = people.map((p) => ({
            pseudonym: pseudonymizer.pseudonymize(p.idNumber, 'id-number'),
            tier: p.tier,
            lists: p.lists,
          }));
          store.apply(
            buildSnapshot(records, {
              privateKey: snapshotKeys.privateKey,
              sequence: 1,
              generatedAt: Date.parse('2026-12-31T20:00:00+08:00'),
            }),
            { publicKeys: snapshotKeys.publicKey },
          );
        } finally {
          store.close();
        }
      },
    );
    const provisional = await tap(daemon, citizen);
    expect(provisional).toMatchObject({
      outcome: 'granted',
      standingSource: 'snapshot',
      calendarProvisional: true,
    });

    // The city office hands the operator a signed 2027 calendar; the operator imports it.
    const file = join(dirs.at(-1)!, 'calendar-2027.json');
    writeFileSync(file, signedCalendar(issuer.calendarPrivateKey, 4));
    const { config, baseDir } = loadGateConfig(configFile);
    const installed = await installDocument({
      kind: 'calendar',
      file,
      config,
      baseDir,
      clock: { now: Date.now },
    });
    expect(installed).toMatchObject({ outcome: 'installed', version: 4, years: { added: [2027] } });
    await vi.waitFor(() => expect(lines.some((l) => l.msg === 'calendar updated')).toBe(true), {
      timeout: 10_000,
      interval: 50,
    });
    clock.set('2027-01-01T00:15:00+08:00');
    const official = await tap(daemon, citizen);
    expect(official.calendarProvisional).toBe(false);
    expect(official.calendarVersion).toContain('calendar-doc.4');
    // An older file is refused by the import, and the daemon keeps version 4.
    writeFileSync(file, signedCalendar(issuer.calendarPrivateKey, 3));
    await expect(
      installDocument({ kind: 'calendar', file, config, baseDir, clock: { now: Date.now } }),
    ).rejects.toMatchObject({
      code: 'DOCUMENT_INVALID',
      details: { reason: 'DOCUMENT_ROLLBACK' },
    });
    expect(daemon.health().calendar.version).toContain('calendar-doc.4');
  }, 30_000);

  it('a staged pack from the platform takes effect at its effectiveFrom in the middle of a run', async () => {
    const clock = manualClock('2027-03-01T09:00:00+08:00');
    const platform = await platformAt(clock);
    const { daemon, lines } = await startDaemon(clock, platform);
    // The city stops free entry at the scenic spots from 10:00 (a new pack, staged at 09:00).
    const staged = structuredClone(qingzhouPolicyPack);
    staged.version = '2027.1.0';
    staged.rules = staged.rules.filter((r) => r.id !== 'scenic.free-entry');
    platform.publishPolicyPack(staged, { effectiveFrom: '2027-03-01T10:00:00+08:00' });
    await vi.waitFor(() => expect(lines.some((l) => l.msg === 'policy pack document taken')).toBe(true), {
      timeout: 10_000,
      interval: 50,
    });
    expect(daemon.health().policy).toEqual({
      inForce: 'qingzhou-xinyi@2026.3.0',
      documentVersion: null,
      staged: [
        { version: 1, policyVersion: 'qingzhou-xinyi@2027.1.0', effectiveFrom: '2027-03-01T02:00:00.000Z' },
      ],
    });
    const before = await tap(daemon, citizen);
    expect(before).toMatchObject({ outcome: 'granted', policyVersion: 'qingzhou-xinyi@2026.3.0' });

    clock.set('2027-03-01T10:00:00+08:00');
    const after = await tap(daemon, trustworthy[1]!);
    expect(after).toMatchObject({ outcome: 'denied', policyVersion: 'qingzhou-xinyi@2027.1.0' });
    expect(daemon.health().policy).toMatchObject({
      inForce: 'qingzhou-xinyi@2027.1.0',
      documentVersion: 1,
      staged: [],
    });
    expect(lines.find((l) => l.msg === 'policy pack in force')).toMatchObject({ documentVersion: 1 });
  }, 30_000);

  it('a forged pack from the platform is refused, the held one kept, with an alarm', async () => {
    const clock = manualClock('2027-03-01T09:00:00+08:00');
    const platform = await startMockPlatform({
      keyId: KEY_ID,
      secret: SECRET,
      pseudonymKey: PSEUDONYM_KEY,
      people,
      clock,
      // Signed with the calendar key: a key the trust list does not name for policy packs.
      policyPack: () => ({ bytes: forged }),
    });
    stops.push(() => platform.close());
    const forged = signedPolicy(platform.issuer.calendarPrivateKey, 9, qingzhouPolicyPack);
    const { daemon, lines } = await startDaemon(clock, platform);
    await vi.waitFor(() => expect(daemon.health().alarms).toContain('policy-pack-document-refused'), {
      timeout: 10_000,
      interval: 50,
    });
    expect(lines.find((l) => l.msg === 'document refused; the one held is kept')).toMatchObject({
      kind: 'policy-pack',
      origin: 'platform',
      reason: 'DOCUMENT_UNKNOWN_KEY',
    });
    expect((await tap(daemon, citizen)).policyVersion).toBe('qingzhou-xinyi@2026.3.0');
  }, 30_000);
});
