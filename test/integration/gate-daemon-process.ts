// The gate daemon as a child process (`xinyi gate --config FILE` through tsx), with its JSON log lines
// collected, for the end-to-end tests.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { SamStatus } from '../../adapters/id-card/index.js';
import { cardFieldsForPerson } from '../../simulator/devices/card-fields.js';
import type { SyntheticPerson } from '../../simulator/population.js';
import type { SimulatedSite } from '../../simulator/simulated-site.js';
import { until as untilHolds } from '../support/until.js';

/** `xinyi gate` as a child process, its JSON log lines as they come, and its health endpoint. */
export interface DaemonProcess {
  child: ChildProcess;
  lines: Record<string, unknown>[];
  raw: string[];
  url: string;
  exited: Promise<number | null>;
}

const CLI = join(import.meta.dirname, '../../cli/xinyi.ts');

export interface SpawnDaemonOptions {
  /** `xinyi gate` (the default) or `xinyi serve`. */
  command?: 'gate' | 'serve';
  /** Node options before the CLI (e.g. `--import` of a module stand-in), after `--import tsx`. */
  nodeArgs?: string[];
  env?: NodeJS.ProcessEnv;
  /**
   * Its own process group, as a shell gives a foreground job: `interrupt()` then sends SIGINT to the
   * whole group, as Ctrl-C in a terminal does.
   */
  detached?: boolean;
  /** `node` (`node --import tsx cli/xinyi.ts`, the documented launch) or the tsx CLI, which relays signals. */
  launcher?: 'node' | 'tsx-cli';
  /** Runs it as this user and group (the test must run as root). */
  uid?: number;
  gid?: number;
}

const TSX_CLI = join(import.meta.dirname, '../../node_modules/tsx/dist/cli.mjs');

/** Spawns `xinyi gate --config FILE` (or `xinyi serve`) and collects its log lines, without waiting for anything. */
export function spawnDaemon(configFile: string, options: SpawnDaemonOptions = {}): DaemonProcess {
  const launch =
    options.launcher === 'tsx-cli'
      ? [TSX_CLI, ...(options.nodeArgs ?? []), CLI]
      : ['--import', 'tsx', ...(options.nodeArgs ?? []), CLI];
  const child = spawn(process.execPath, [...launch, options.command ?? 'gate', '--config', configFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.env ? { env: options.env } : {}),
    ...(options.detached ? { detached: true } : {}),
    ...(options.uid === undefined ? {} : { uid: options.uid }),
    ...(options.gid === undefined ? {} : { gid: options.gid }),
  });
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  let buffer = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    let nl = buffer.indexOf('\n');
    while (nl !== -1) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      raw.push(line);
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        lines.push({ unparsed: line });
      }
      nl = buffer.indexOf('\n');
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => raw.push(`stderr: ${chunk.toString('utf8')}`));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, lines, raw, url: '', exited };
}

/** Starts `xinyi gate --config FILE` (or `xinyi serve`) and resolves once it logged that it started. */
export async function startDaemon(
  configFile: string,
  startTimeoutMs = 30_000,
  options: SpawnDaemonOptions = {},
): Promise<DaemonProcess> {
  const daemon = spawnDaemon(configFile, options);
  const startedMessage = options.command === 'serve' ? 'xinyi serve started' : 'gate daemon started';
  const started = await waitFor(daemon, (l) => l.msg === startedMessage, startTimeoutMs);
  daemon.url = String(started.http);
  return daemon;
}

/** Ctrl-C: SIGINT to the daemon's whole process group when it has its own (`detached`), else to it. */
export function interrupt(daemon: DaemonProcess): void {
  if (daemon.child.exitCode !== null) return;
  process.kill(-daemon.child.pid!, 'SIGINT');
}

/** Everything the daemon wrote to stderr, joined. */
export function stderrOf(daemon: DaemonProcess): string {
  return daemon.raw
    .filter((l) => l.startsWith('stderr: '))
    .map((l) => l.slice(8))
    .join('');
}

/** The first log line from index `from` on that matches, waiting up to `timeoutMs` for it. */
export async function waitFor(
  daemon: DaemonProcess,
  predicate: (line: Record<string, unknown>) => boolean,
  timeoutMs = 10_000,
  from = 0,
): Promise<Record<string, unknown>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const seen = daemon.lines.length;
    const found = daemon.lines.slice(from).find(predicate);
    if (found) return found;
    // A daemon that has exited and whose output has all been read will log nothing more.
    const over = daemon.child.exitCode !== null && daemon.child.stdout?.readableEnded === true;
    if (Date.now() > until || (over && daemon.lines.length === seen)) {
      throw new Error(`timed out waiting for a log line; last lines:\n${daemon.raw.slice(-15).join('\n')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export async function health(daemon: DaemonProcess): Promise<Record<string, unknown>> {
  const response = await fetch(`${daemon.url}/health`);
  return (await response.json()) as Record<string, unknown>;
}

/** Waits until `check` holds (often a request to the daemon), asking again every 50 ms. */
export function until(check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  return untilHolds(check, 'the daemon', timeoutMs, 50);
}

/** SIGTERM, and the exit code once it has stopped. */
export async function stopDaemon(daemon: DaemonProcess): Promise<number | null> {
  if (daemon.child.exitCode === null) daemon.child.kill('SIGTERM');
  return daemon.exited;
}

/**
 * Ready to serve: every device ready and no alarm but the calendar's, which is up on the real date
 * whenever the official calendar ends within 60 days (gate-daemon-documents.e2e.test.ts tests it).
 */
export async function serving(daemon: DaemonProcess): Promise<boolean> {
  const h = await health(daemon);
  const alarms = (h.alarms as string[] | undefined) ?? [];
  const devices = Object.values((h.devices as Record<string, string> | undefined) ?? {});
  const calendar = h.calendar as { warning: boolean } | undefined;
  return (
    devices.length > 0 &&
    devices.every((d) => d === 'ready') &&
    alarms.every((a) => a === 'calendar-coverage') &&
    (h.status === 'ok') === (alarms.length === 0) &&
    alarms.includes('calendar-coverage') === (calendar?.warning === true)
  );
}

/**
 * The person taps their ID card: the card stays on the reader until the daemon logs the
 * `gate outcome` it leads to (returned), then is taken off, and the tap ends once the daemon's reader
 * has polled an empty field three times (it needs two to see the card gone), so that the next card
 * is a new card however slowly a loaded machine runs the daemon. Unlike `site.tap`, no fixed hold.
 */
export async function tapCard(
  site: Pick<SimulatedSite, 'reader'>,
  daemon: DaemonProcess,
  person: SyntheticPerson,
  timeoutMs = 15_000,
): Promise<Record<string, unknown>> {
  const from = daemon.lines.length;
  site.reader.placeCard(cardFieldsForPerson(person));
  try {
    return await waitFor(daemon, (l) => l.msg === 'gate outcome', timeoutMs, from);
  } finally {
    await liftCard(site);
  }
}

/**
 * Takes the card off the reader and resolves once the reader has polled an empty field three times
 * (it needs two to see the card gone), so that the next card placed is a new card.
 */
export async function liftCard(site: Pick<SimulatedSite, 'reader'>): Promise<void> {
  let emptyPolls = 0;
  const count = (e: { name: string; sw3: number }) => {
    if (e.name === 'findCard' && e.sw3 !== SamStatus.FIND_CARD_SUCCESS) emptyPolls++;
  };
  site.reader.on('response', count);
  site.reader.removeCard();
  await until(() => emptyPolls >= 3, 10_000).finally(() => site.reader.off('response', count));
}
