// The gate daemon under supervision: its configuration, each start (and restart after a SIGKILL) until
// every device is ready, its log lines tallied, and the health checks that tell a device is back.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SimulatedSite, SiteDevice } from '../../simulator/simulated-site.js';
import { type DaemonLine, DaemonProcess } from './daemon-process.js';
import { onGateDecision } from './gate-attribution.js';
import { bump, getJson, sleep } from './helpers.js';
import { DECISION_DEADLINE_MS, RESTART_RECOVERY_MS } from './limits.js';
import { type SoakRun, sinceStart } from './run-state.js';

/** The daemon's name for each device of the simulated site, as `/health` and its log lines give it. */
export const GATE_DEVICE_NAMES: Record<SiteDevice, string> = {
  'id-card-reader': 'id-card-reader',
  scanner: 'qr-scanner',
  gate: 'aa-gate',
};

/** Writes the daemon's configuration for the site (`gate.json` in `dir`) and returns its path. */
export function writeGateConfig(site: SimulatedSite, dir: string, gateDataDir: string): string {
  const base = site.gateConfig();
  const config = site.gateConfig({
    dataDir: gateDataDir,
    decisionDeadlineMs: DECISION_DEADLINE_MS,
    platform: { ...(base.platform as object), syncIntervalMs: 5_000, statusListIntervalMs: 5_000 },
    journal: { uploadIntervalMs: 1_000 },
    log: { level: 'info' },
  });
  const configFile = join(dir, 'gate.json');
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  return configFile;
}

export function closeDeviceDown(run: SoakRun, device: string, at: number): void {
  const { openDeviceDown, deviceDown } = run.daemon;
  const from = openDeviceDown.get(device);
  if (from === undefined) return;
  openDeviceDown.delete(device);
  deviceDown[device]?.push({ from, to: at });
}

function onLine(run: SoakRun, line: DaemonLine): void {
  const daemon = run.daemon;
  const text = JSON.stringify(line);
  if (text.includes('[id-number]')) run.privacy.scrubbedLogLines++;
  if (line.level === 'error') bump(daemon.errorLines, String(line.msg));
  switch (line.msg) {
    case 'decision':
      onGateDecision(run, line);
      break;
    case 'gate outcome':
      bump(run.gate.outcomes, String(line.outcome));
      break;
    case 'device state': {
      const device = String(line.device);
      if (line.state === 'ready') closeDeviceDown(run, device, Date.now());
      else if (!daemon.openDeviceDown.has(device)) daemon.openDeviceDown.set(device, Date.now());
      break;
    }
    case 'unhandled rejection':
      daemon.unhandledRejections++;
      break;
    case 'decision listener threw':
    case 'gate controller listener threw':
    case 'uploader event listener threw':
      daemon.listenerThrew++;
      break;
    default:
  }
}

/**
 * Starts a daemon (the first, or the next after a SIGKILL) and waits until `/health` reports every
 * device ready; returns how long that took. Throws when it is not within `RESTART_RECOVERY_MS`.
 */
export async function startDaemon(run: SoakRun): Promise<number> {
  const daemon = run.daemon;
  const spawnedAt = Date.now();
  daemon.incarnations++;
  const started = new DaemonProcess({
    configFile: daemon.configFile,
    incarnation: daemon.incarnations,
    logFile: join(run.dirs.logs, `daemon-${daemon.incarnations}.log`),
    onLine: (line) => onLine(run, line),
    onUnparsed: (text) => bump(daemon.errorLines, `unparsed: ${text.slice(0, 60)}`),
    onHeap: (bytes, from, spaces) => {
      if (!from.running) return;
      run.resources.daemonHeap.push({
        atMs: sinceStart(run),
        segment: from.incarnation,
        value: bytes / 2 ** 20,
      });
      run.resources.heapSpaces.push([Math.round(sinceStart(run) / 1000), from.incarnation, spaces]);
    },
  });
  daemon.current = started;
  void started.exited.then(() => {
    if (started.killedWith === undefined) daemon.unexpectedExits++;
  });
  // A new process knows no device yet: each is down until this one reports it ready.
  for (const device of Object.keys(daemon.deviceDown))
    if (!daemon.openDeviceDown.has(device)) daemon.openDeviceDown.set(device, spawnedAt);
  const until = spawnedAt + RESTART_RECOVERY_MS;
  while (Date.now() < until) {
    if (started.exitCode !== undefined) break;
    if (started.url !== '') {
      const health = await getJson(`${started.url}/health`);
      const devices = health?.devices as Record<string, string> | undefined;
      if (devices && Object.values(GATE_DEVICE_NAMES).every((d) => devices[d] === 'ready')) {
        for (const d of Object.keys(daemon.deviceDown)) closeDeviceDown(run, d, Date.now());
        return Date.now() - spawnedAt;
      }
    }
    await sleep(100);
  }
  throw new Error(
    `the gate daemon was not up with every device ready within ${RESTART_RECOVERY_MS} ms: ${started.stderrText.slice(-800)}`,
  );
}

/** Waits until the current daemon reports every device ready; false after `withinMs`. */
export async function devicesReady(run: SoakRun, withinMs: number): Promise<boolean> {
  const until = Date.now() + withinMs;
  while (Date.now() < until) {
    const daemon = run.daemon.current;
    if (daemon?.running && daemon.url !== '') {
      const health = await getJson(`${daemon.url}/health`);
      const devices = health?.devices as Record<string, string> | undefined;
      if (devices && Object.values(GATE_DEVICE_NAMES).every((d) => devices[d] === 'ready')) return true;
    }
    await sleep(100);
  }
  return false;
}
