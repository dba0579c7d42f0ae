import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

/** `xinyi gate` as a child process, its JSON log lines as they come, and its health endpoint. */
export interface DaemonProcess {
  child: ChildProcess;
  lines: Record<string, unknown>[];
  raw: string[];
  url: string;
  exited: Promise<number | null>;
}

const CLI = join(import.meta.dirname, '../../cli/xinyi.ts');

/** Starts `xinyi gate --config FILE` and resolves once it logged `gate daemon started`. */
export async function startDaemon(configFile: string): Promise<DaemonProcess> {
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
  const daemon: DaemonProcess = { child, lines, raw, url: '', exited };
  const started = await waitFor(daemon, (l) => l.msg === 'gate daemon started', 30_000);
  daemon.url = String(started.http);
  return daemon;
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
    const found = daemon.lines.slice(from).find(predicate);
    if (found) return found;
    if (Date.now() > until) {
      throw new Error(`timed out waiting for a log line; last lines:\n${daemon.raw.slice(-15).join('\n')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export async function health(daemon: DaemonProcess): Promise<Record<string, unknown>> {
  const response = await fetch(`${daemon.url}/health`);
  return (await response.json()) as Record<string, unknown>;
}

/** Waits until `check` holds, asking again every 50 ms. */
export async function until(check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** SIGTERM, and the exit code once it has stopped. */
export async function stopDaemon(daemon: DaemonProcess): Promise<number | null> {
  if (daemon.child.exitCode === null) daemon.child.kill('SIGTERM');
  return daemon.exited;
}
