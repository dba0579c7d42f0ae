// Ctrl-C at every point of the gate daemon's life, through the documented launch
// (`node --import tsx cli/xinyi.ts gate`, in its own process group as a terminal runs it): each run
// ends with exit 0, and the journal the runs share stays whole (`xinyi journal verify`), with every
// decision made before the signal in it.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifySqliteJournal } from '../../sdk/journal/verify-journal.js';
import { cardFieldsForPerson } from '../../simulator/devices/card-fields.js';
import type { SyntheticPerson } from '../../simulator/population.js';
import { isSocatAvailable } from '../../simulator/pty.js';
import { type SimulatedSite, startSimulatedSite } from '../../simulator/simulated-site.js';
import {
  type DaemonProcess,
  interrupt,
  serving,
  spawnDaemon,
  startDaemon,
  tapCard,
  until,
  waitFor,
} from './gate-daemon-process.js';

const socat = isSocatAvailable();
if (!socat && process.env.XINYI_REQUIRE_SOCAT === '1') {
  throw new Error('XINYI_REQUIRE_SOCAT=1 but socat is not installed');
}

describe.skipIf(!socat)('Ctrl-C during the gate daemon’s start-up and work', () => {
  let dir: string;
  let site: SimulatedSite;
  let configFile: string;
  let journalPath: string;
  let citizens: SyntheticPerson[];
  const running: DaemonProcess[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'xinyi-gate-sigint-'));
    site = await startSimulatedSite({ dir, people: 30 });
    citizens = site.people.filter((p) => ['AAA', 'AA', 'A'].includes(p.tier) && p.lists.length === 0);
    configFile = join(dir, 'gate.json');
    const config = site.gateConfig();
    journalPath = join(String(config.dataDir), 'journal.sqlite');
    writeFileSync(configFile, JSON.stringify(config));
  }, 60_000);

  afterAll(async () => {
    for (const daemon of running) if (daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
    await site?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function launch(file = configFile): DaemonProcess {
    const daemon = spawnDaemon(file, { detached: true });
    running.push(daemon);
    return daemon;
  }

  /** Launched, started and serving (every device ready). */
  async function launchReady(): Promise<DaemonProcess> {
    const daemon = await startDaemon(configFile, 30_000, { detached: true });
    running.push(daemon);
    await until(() => serving(daemon), 30_000);
    return daemon;
  }

  /** The journal verifies, and holds this many decisions. */
  async function journalIntact(): Promise<number> {
    const report = await verifySqliteJournal({ path: journalPath });
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    return report.checked.decisions;
  }

  /** Exit 0, and a clean stop logged as the last word. */
  async function stoppedCleanly(daemon: DaemonProcess): Promise<void> {
    const code = await daemon.exited;
    expect(code, daemon.raw.slice(-10).join('\n')).toBe(0);
    const stopped = daemon.lines.findIndex((l) => l.msg === 'gate daemon stopped');
    expect(stopped).toBeGreaterThan(0);
    // Nothing but a relayed copy of the signal after it.
    for (const line of daemon.lines.slice(stopped + 1)) {
      expect(line.msg).toBe('signal repeated by the launcher: already stopping');
    }
  }

  /** The first platform request to `path` from index `from` on. */
  const requested = (path: string, from: number) => () =>
    site.platform.requests.slice(from).some((r) => r.path === path);

  it('a first run makes two decisions and stops on Ctrl-C once ready', async () => {
    const daemon = await launchReady();
    for (const person of citizens.slice(0, 2)) {
      expect(await tapCard(site, daemon, person)).toMatchObject({ decision: 'granted' });
    }
    interrupt(daemon);
    await stoppedCleanly(daemon);
    expect(await journalIntact()).toBe(2);
  }, 120_000);

  it('before the journal and the devices are opened', async () => {
    const daemon = launch();
    await waitFor(daemon, (l) => l.msg === 'gate daemon starting', 30_000);
    interrupt(daemon);
    await stoppedCleanly(daemon);
    expect(await journalIntact()).toBe(2);
  }, 60_000);

  it('while the first platform sync is under way', async () => {
    const from = site.platform.requests.length;
    site.platform.faults.inject({ kind: 'timeout' }, { path: '/v1/trust-list' });
    try {
      const daemon = launch();
      await until(requested('/v1/trust-list', from), 30_000);
      interrupt(daemon);
      await stoppedCleanly(daemon);
    } finally {
      site.platform.faults.clear();
    }
    expect(await journalIntact()).toBe(2);
  }, 60_000);

  it('during a decision (the platform still thinking): the decision is committed first', async () => {
    const daemon = await launchReady();
    const from = site.platform.requests.length;
    site.platform.faults.inject({ kind: 'timeout' }, { path: '/v1/standings/lookup' });
    try {
      site.reader.placeCard(cardFieldsForPerson(citizens[2]!));
      await until(requested('/v1/standings/lookup', from), 30_000);
      interrupt(daemon);
      await stoppedCleanly(daemon);
    } finally {
      site.reader.removeCard();
      site.platform.faults.clear();
    }
    expect(daemon.lines.some((l) => l.msg === 'decision')).toBe(true);
    expect(await journalIntact()).toBe(3);
  }, 90_000);

  it('Ctrl-C relayed by a launcher (the same signal again moments later, as npm or tsx send it): still a clean stop', async () => {
    const daemon = await launchReady();
    const from = daemon.lines.length;
    interrupt(daemon);
    // The relay's copy comes once the first was taken (two pending at once would merge into one).
    await waitFor(daemon, (l) => l.msg === 'signal received', 10_000, from);
    daemon.child.kill('SIGINT');
    await stoppedCleanly(daemon);
    expect(daemon.lines.some((l) => l.msg === 'second signal: exiting without waiting')).toBe(false);
    expect(await journalIntact()).toBe(3);
  }, 60_000);

  it('while it waits for a journal it cannot open: exit 0, nothing started', async () => {
    const dataDir = join(dir, 'blocked-data');
    // A folder where the journal file should be: the daemon waits, gate shut, for an operator.
    mkdirSync(join(dataDir, 'journal.sqlite'), { recursive: true });
    const file = join(dir, 'gate-blocked.json');
    const config = site.gateConfig({ dataDir });
    writeFileSync(file, JSON.stringify(config));
    const daemon = launch(file);
    await waitFor(daemon, (l) => l.msg === 'journal unavailable; the gate stays shut', 30_000);
    interrupt(daemon);
    expect(await daemon.exited).toBe(0);
    expect(daemon.lines.some((l) => l.msg === 'gate daemon started')).toBe(false);
  }, 60_000);
});
