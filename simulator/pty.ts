import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants } from 'node:fs';
import { lstat, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { XinyiError } from '../sdk/errors.js';
import { killOnExit } from './child-reaper.js';

export interface PtyPairOptions {
  /**
   * Directory for the two symlinks (`xinyi-dev-<random>`, `xinyi-host-<random>`).
   * @default os.tmpdir()
   */
  dir?: string;
  /**
   * Fixed link paths instead of random ones in `dir`: a pair created again with the same paths looks,
   * to a program holding the path, like a USB adapter unplugged and plugged back in.
   */
  devicePath?: string;
  hostPath?: string;
}

/**
 * Two pseudo-terminals joined back to back by socat: bytes written to one come out of the other, so
 * a simulated device on `devicePath` and a `SerialTransport` on `hostPath` talk through the real
 * serial stack. The pair does not keep the process alive, and socat is killed when the process exits.
 */
export interface PtyPair {
  /** Symlink to the PTY the simulated device opens. */
  readonly devicePath: string;
  /** Symlink to the PTY the terminal opens, as it would open `/dev/ttyUSB0`. */
  readonly hostPath: string;
  /**
   * Kills socat and removes the links: to both ends this looks like the cable being pulled.
   * Idempotent; resolves once socat has exited.
   */
  close(): Promise<void>;
}

const READY_TIMEOUT_MS = 5_000;
const KILL_GRACE_MS = 2_000;

/** True when a `socat` executable is on the PATH. */
export function isSocatAvailable(): boolean {
  return findOnPath('socat') !== undefined;
}

/**
 * Starts `socat` with two linked raw PTYs and resolves once both links exist and socat is forwarding.
 * Rejects with `SYSTEM_PROGRAM_UNAVAILABLE` when socat is not installed and with `DEVICE_TIMEOUT` when it is not
 * ready within 5 s (socat's last words in the message).
 */
export async function createPtyPair(options: PtyPairOptions = {}): Promise<PtyPair> {
  if (options === null || typeof options !== 'object') {
    throw new XinyiError('INVALID_OPTIONS', 'createPtyPair options must be an object when given');
  }
  const { dir = tmpdir() } = options;
  if (typeof dir !== 'string' || dir === '') {
    throw new XinyiError('INVALID_OPTIONS', 'createPtyPair: dir must be a non-empty string', {
      details: { option: 'dir' },
    });
  }
  const socat = findOnPath('socat');
  if (!socat) throw socatMissing();
  const id = randomBytes(4).toString('hex');
  const devicePath = options.devicePath ?? join(dir, `xinyi-dev-${id}`);
  const hostPath = options.hostPath ?? join(dir, `xinyi-host-${id}`);
  const child = spawn(
    socat,
    ['-d', '-d', `pty,raw,echo=0,link=${devicePath}`, `pty,raw,echo=0,link=${hostPath}`],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    // A socat that could not be spawned never exits.
    child.once('error', () => resolve());
  });
  const forget = killOnExit(child);
  let log = '';
  child.stderr?.setEncoding('utf8');
  // Keep reading socat's log after start-up so a chatty socat never blocks on a full pipe.
  child.stderr?.on('data', (text: string) => {
    log = (log + text).slice(-2_000);
  });

  try {
    await waitUntilReady(child, () => log, [devicePath, hostPath]);
  } catch (error) {
    await stop(child, exited, [devicePath, hostPath], forget);
    throw error;
  }
  child.unref();
  (child.stderr as { unref?: () => void } | null)?.unref?.();

  let closing: Promise<void> | undefined;
  return {
    devicePath,
    hostPath,
    close: () => {
      closing ??= stop(child, exited, [devicePath, hostPath], forget);
      return closing;
    },
  };
}

function waitUntilReady(child: ChildProcess, log: () => string, links: string[]): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    let retry: NodeJS.Timeout | undefined;
    const finish = (error?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(retry);
      child.stderr?.off('data', onLog);
      child.off('exit', onExit);
      child.off('error', onError);
      if (error) reject(error);
      else resolve();
    };
    const onLog = () => {
      // socat logs this once both PTYs exist; the links are checked too, as callers open them by name.
      if (settled || !log().includes('starting data transfer loop')) return;
      Promise.all(links.map((link) => lstat(link))).then(
        () => finish(),
        () => {
          clearTimeout(retry);
          retry = setTimeout(onLog, 10);
        },
      );
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
      finish(
        new XinyiError(
          'DEVICE_NOT_FOUND',
          `socat exited (${signal ?? `code ${code}`}) before the PTY pair was ready: ${lastLine(log())}`,
        ),
      );
    const onError = (error: Error & { code?: string }) =>
      finish(
        error.code === 'ENOENT'
          ? socatMissing(error)
          : new XinyiError('DEVICE_NOT_FOUND', 'socat could not be started', { cause: error }),
      );
    const timer = setTimeout(
      () =>
        finish(
          new XinyiError(
            'DEVICE_TIMEOUT',
            `socat did not create the PTY pair within ${READY_TIMEOUT_MS} ms: ${lastLine(log())}`,
          ),
        ),
      READY_TIMEOUT_MS,
    );
    child.stderr?.on('data', onLog);
    child.once('exit', onExit);
    child.once('error', onError);
    onLog();
  });
}

async function stop(child: ChildProcess, exited: Promise<void>, links: string[], forget: () => void) {
  forget();
  if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    const grace = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
    await exited;
    clearTimeout(grace);
  }
  child.stderr?.destroy();
  // socat removes its links on SIGTERM, but not when it was killed harder.
  await Promise.all(links.map((link) => rm(link, { force: true })));
}

/** The executable `command` on the PATH, or undefined. */
export function findOnPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  return undefined;
}

function socatMissing(cause?: Error): XinyiError {
  return new XinyiError('SYSTEM_PROGRAM_UNAVAILABLE', 'socat not found: apt-get install socat', {
    ...(cause ? { cause } : {}),
    details: { program: 'socat' },
  });
}

function lastLine(log: string): string {
  const lines = log.trim().split('\n');
  return lines[lines.length - 1]?.trim() || '(no output)';
}
