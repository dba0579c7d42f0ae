import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqliteJournal } from '../../sdk/journal/sqlite-journal.js';
import type { SyntheticPerson } from '../../simulator/population.js';
import { isSocatAvailable } from '../../simulator/pty.js';
import { type SimulatedSite, startSimulatedSite } from '../../simulator/simulated-site.js';
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
 * The gate daemon as a separate process, against a simulated site: a virtual ID-card reader, a QR
 * scanner and an AA-frame gate board on socat PTYs (the real serialport stack), and the mock
 * platform over loopback HTTP.
 */
const socat = isSocatAvailable();
if (!socat && process.env.XINYI_REQUIRE_SOCAT === '1') {
  throw new Error('XINYI_REQUIRE_SOCAT=1 but socat is not installed');
}

const trustworthy = (p: SyntheticPerson) => ['AAA', 'AA', 'A'].includes(p.tier) && p.lists.length === 0;

describe.skipIf(!socat)('xinyi gate daemon, end to end against the simulator', () => {
  let dir: string;
  let site: SimulatedSite;
  let configFile: string;
  let daemon: DaemonProcess;
  let citizens: SyntheticPerson[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'xinyi-gate-e2e-'));
    site = await startSimulatedSite({ dir, people: 40, gateTiming: { motionMs: 40, passDelayMs: 150 } });
    citizens = site.people.filter(trustworthy);
    configFile = join(dir, 'gate.json');
    // The sample shipped in examples/, pointed at this test's site instead of /tmp/xinyi-site.
    const sample = readFileSync(join(import.meta.dirname, '../../examples/scenic-gate/gate.json'), 'utf8')
      .replaceAll('/tmp/xinyi-site', dir)
      .replace('http://127.0.0.1:18080', site.platform.url);
    const config = JSON.parse(sample) as Record<string, unknown>;
    config.http = { host: '127.0.0.1', port: 0 };
    expect(config.devices).toEqual(site.gateConfig().devices);
    writeFileSync(configFile, JSON.stringify(config));
    daemon = await startDaemon(configFile);
    await until(() => serving(daemon), 15_000);
  }, 60_000);

  afterAll(async () => {
    if (daemon && daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
    await site?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('serves health and Prometheus metrics on its local port', async () => {
    const h = await health(daemon);
    expect(h).toMatchObject({ terminalId: 'gate-yunmenshan-01' });
    expect(await serving(daemon)).toBe(true);
    expect(h.devices).toMatchObject({ 'aa-gate': 'ready', 'id-card-reader': 'ready', 'qr-scanner': 'ready' });
    const metrics = await (await fetch(`${daemon.url}/metrics`)).text();
    expect(metrics).toContain('# TYPE xinyi_decisions_total counter');
    expect(metrics).toMatch(/xinyi_device_up\{device="aa-gate"\} 1/);
    // The process itself: a starved or leaking lane PC shows here before decisions slow down.
    for (const name of [
      'nodejs_eventloop_lag_p99_seconds',
      'process_resident_memory_bytes',
      'process_open_fds',
    ]) {
      expect(metrics).toMatch(new RegExp(`^${name} \\d`, 'm'));
    }
  });

  it('a 守信 citizen taps the ID card and the gate opens; the passage counts the free entry', async () => {
    const from = daemon.lines.length;
    const opensBefore = site.gate.core.stats.opens;
    const outcome = await tapCard(site, daemon, citizens[0]!);
    expect(outcome).toMatchObject({ outcome: 'opened', decision: 'granted', source: 'platform' });
    await waitFor(daemon, (l) => l.msg === 'passage' && l.passage === 'passed', 10_000, from);
    expect(site.gate.core.stats.opens).toBe(opensBefore + 1);
  });

  it('a black-listed citizen gets the neutral message and the gate stays shut', async () => {
    const listed = site.people.find((p) => p.lists.some((l) => l.kind === 'black'))!;
    const opensBefore = site.gate.core.stats.opens;
    const outcome = await tapCard(site, daemon, listed);
    expect(outcome.outcome).toBe('shut');
    expect(outcome.decision).toBe('denied');
    expect(String(outcome.citizenMessage)).not.toMatch(/黑名单|失信|black/i);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(site.gate.core.stats.opens).toBe(opensBefore);
  });

  it('a citizen showing a credit code is let in, once, however long the code is held up', async () => {
    const person = citizens.find((p) => site.phones.has(p.id) && p !== citizens[0])!;
    const from = daemon.lines.length;
    const opensBefore = site.gate.core.stats.opens;
    await site.showCode(person);
    const outcome = await waitFor(daemon, (l) => l.msg === 'gate outcome', 10_000, from);
    expect(outcome).toMatchObject({ outcome: 'opened', source: 'credit-code' });
    // The daemon logs the outcome once the open command is written; the board (in this process)
    // counts it when the bytes come through its PTY, which may be later on a busy machine.
    await until(() => site.gate.core.stats.opens > opensBefore, 10_000);
    expect(site.gate.core.stats.opens).toBe(opensBefore + 1);
  });

  it('the platform dies mid-run and decisions continue from the snapshot', async () => {
    site.platform.faults.inject({ kind: 'status', status: 503 }, { times: 1_000_000 });
    const from = daemon.lines.length;
    const outcome = await tapCard(site, daemon, citizens[2]!);
    expect(outcome).toMatchObject({ outcome: 'opened', source: 'snapshot' });
    await waitFor(daemon, (l) => l.msg === 'passage' && l.decisionId === outcome.decisionId, 10_000, from);
    site.platform.faults.clear();
  });

  it('the gate board is unplugged and comes back; the lane works again', async () => {
    const from = daemon.lines.length;
    await site.unplug('gate', 1_500);
    await waitFor(
      daemon,
      (l) => l.msg === 'device state' && l.device === 'aa-gate' && l.state === 'reconnecting',
      10_000,
      from,
    );
    expect((await health(daemon)).status).toBe('degraded');
    await waitFor(
      daemon,
      (l) => l.msg === 'device state' && l.device === 'aa-gate' && l.state === 'ready',
      20_000,
      from,
    );
    expect((await tapCard(site, daemon, citizens[3]!)).outcome).toBe('opened');
  }, 40_000);

  it('the ID-card reader is unplugged and comes back', async () => {
    const from = daemon.lines.length;
    await site.unplug('id-card-reader', 1_000);
    await waitFor(
      daemon,
      (l) => l.msg === 'device state' && l.device === 'id-card-reader' && l.state === 'reconnecting',
      10_000,
      from,
    );
    await waitFor(
      daemon,
      (l) => l.msg === 'device state' && l.device === 'id-card-reader' && l.state === 'ready',
      20_000,
      from,
    );
    expect((await tapCard(site, daemon, citizens[4]!)).outcome).toBe('opened');
  }, 40_000);

  it('SIGTERM stops it cleanly with every decision recorded, uploaded, and no ID number in anything it wrote', async () => {
    const decided = daemon.lines.filter((l) => l.msg === 'decision').map((l) => String(l.decisionId));
    expect(decided.length).toBeGreaterThanOrEqual(6);
    daemon.child.kill('SIGTERM');
    expect(await daemon.exited).toBe(0);
    const stopped = daemon.lines.find((l) => l.msg === 'gate daemon stopped');
    expect(stopped?.decisions).toBe(decided.length);

    const journal = await createSqliteJournal({ path: join(dir, 'data', 'journal.sqlite') });
    try {
      for (const id of decided) expect(journal.getDecision(id)?.decision.id).toBe(id);
    } finally {
      journal.close();
    }
    // Uploaded to the platform (the outage's decisions after it came back, or at the stop's flush).
    const stored = site.platform.uploads.decisions.flat().map((d) => (d as { key: string }).key);
    for (const id of decided) expect(stored.filter((k) => k === id)).toHaveLength(1);

    const written = [
      daemon.raw.join('\n'),
      ...readdirSync(join(dir, 'data')).flatMap((f) =>
        f.endsWith('.sqlite') || f.endsWith('-wal')
          ? [readFileSync(join(dir, 'data', f)).toString('latin1')]
          : [],
      ),
      JSON.stringify(site.platform.uploads),
    ].join('\n');
    for (const person of site.people) {
      expect(written).not.toContain(person.idNumber);
      expect(written).not.toContain(person.name);
    }
  }, 30_000);

  it('a holiday closes the free path (the daemon clock set to 国庆节)', async () => {
    const holidayConfig = join(dir, 'gate-holiday.json');
    writeFileSync(
      holidayConfig,
      JSON.stringify(
        site.gateConfig({
          clock: { startAt: '2026-10-02T10:00:00+08:00' },
          dataDir: join(dir, 'data-holiday'),
        }),
      ),
    );
    // The platform checks request signatures against its own clock: let it share the daemon's day.
    const skewMs = Date.parse('2026-10-02T10:00:00+08:00') - Date.now();
    site.platform.faults.inject({ kind: 'clock-skew', ms: skewMs }, { times: 1_000_000 });
    const holiday = await startDaemon(holidayConfig);
    try {
      await until(() => serving(holiday), 30_000);
      const opensBefore = site.gate.core.stats.opens;
      const outcome = await tapCard(site, holiday, citizens[5]!);
      expect(outcome.reasons).toContain('HOLIDAY_EXCLUDED');
      expect(outcome.outcome).toBe('shut');
      expect(site.gate.core.stats.opens).toBe(opensBefore);
    } finally {
      holiday.child.kill('SIGTERM');
      expect(await holiday.exited).toBe(0);
      site.platform.faults.clear();
    }
  }, 60_000);
});
