// The gate daemon as a child process (`xinyi gate --config FILE` through tsx), with its JSON log lines
// collected, for the end-to-end tests.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

export interface Daemon {
  child: ChildProcess;
  lines: Record<string, unknown>[];
  raw: string[];
  url: string;
  exited: Promise<number | null>;
}

const CLI = join(import.meta.dirname, '../../cli/xinyi.ts');

/** Starts `xinyi gate --config FILE` and resolves once it logged `gate daemon started`. */
export async function startDaemon(configFile: string, startTimeoutMs = 30_000): Promise<Daemon> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'gate', '--config', configFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
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
  const daemon: Daemon = { child, lines, raw, url: '', exited };
  const started = await waitFor(daemon, (l) => l.msg === 'gate daemon started', startTimeoutMs);
  daemon.url = String(started.http);
  return daemon;
}

/** The first log line from index `from` on that `predicate` takes; rejects after `timeoutMs` with the last lines. */
export async function waitFor(
  daemon: Daemon,
  predicate: (line: Record<string, unknown>) => boolean,
  timeoutMs = 10_000,
  from = 0,
): Promise<Record<string, unknown>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const found = daemon.lines.slice(from).find(predicate);
    if (found) return found;
    if (Date.now() > until) {
      throw new Error(`timed out waiting for a log line; last lines:\n${daemon.raw.slice(-15).join('\n')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The daemon's `GET /health` answer. */
export async function health(daemon: Daemon): Promise<Record<string, unknown>> {
  const response = await fetch(`${daemon.url}/health`);
  return (await response.json()) as Record<string, unknown>;
}

/** Resolves once `check` holds, polling every 50 ms; rejects after `timeoutMs`. */
export async function until(check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Ready to serve: every device ready and no alarm but the calendar's, which is up on the real date
 * whenever the official calendar ends within 60 days (gate-daemon-documents.e2e.test.ts tests it).
 */
export async function serving(daemon: Daemon): Promise<boolean> {
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
