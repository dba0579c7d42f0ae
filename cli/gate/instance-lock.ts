import { accessSync, chmodSync, constants, linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { XinyiError } from '../../sdk/errors.js';

/** What a lock file holds: who holds it, and since when. */
interface LockOwner {
  pid: number;
  /** The process's start time in clock ticks since boot (Linux `/proc/PID/stat`), against pid reuse. */
  startTicks?: number;
  resource: string;
  since: string;
  /** Who holds it, for the refusal's words: `a gate daemon`, `xinyi serve` (absent: a gate daemon). */
  holder?: string;
}

/** A lock this process holds; `release()` removes the file if it is still ours. Idempotent. */
export interface HeldLock {
  readonly file: string;
  release(): void;
}

/** The process's start time in clock ticks since boot, or undefined off Linux. */
function startTicksOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22; the command name (field 2) is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]);
    return Number.isSafeInteger(ticks) ? ticks : undefined;
  } catch {
    return undefined;
  }
}

function alive(owner: LockOwner): boolean {
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const ticks = startTicksOf(owner.pid);
  return owner.startTicks === undefined || ticks === undefined || ticks === owner.startTicks;
}

function readOwner(file: string): LockOwner | undefined {
  try {
    const owner = JSON.parse(readFileSync(file, 'utf8')) as LockOwner;
    return Number.isSafeInteger(owner.pid) && owner.pid > 0 ? owner : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Takes the lock file `file` for `resource` (words for the message: `data folder /var/lib/xinyi`,
 * `serial port /dev/ttyUSB0`), holding this process's pid and start time. A lock whose process is
 * gone (or whose pid now belongs to another process) is taken over; a live one throws
 * `ALREADY_RUNNING` "already running (pid N)". The file is created whole and at once (written aside,
 * then hard-linked in place), so a reader never sees half of it.
 */
export function acquireLock(file: string, resource: string, holder = 'a gate daemon'): HeldLock {
  const ticks = startTicksOf(process.pid);
  const mine: LockOwner = {
    pid: process.pid,
    ...(ticks === undefined ? {} : { startTicks: ticks }),
    resource,
    since: new Date().toISOString(),
    holder,
  };
  const aside = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  writeFileSync(aside, `${JSON.stringify(mine)}\n`);
  // Readable by another user's daemon, so that its refusal can name the pid (the daemon's umask is 077).
  chmodSync(aside, 0o644);
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        linkSync(aside, file);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 2) throw lockError(file, error);
      }
      const owner = readOwner(file);
      if (owner && alive(owner)) {
        throw new XinyiError(
          'ALREADY_RUNNING',
          `${owner.holder ?? 'a gate daemon'} is already running (pid ${owner.pid}) on ${resource} (lock ${file}): stop it, or give this one other devices and another dataDir`,
          { details: { pid: owner.pid, lockFile: file, resource } },
        );
      }
      // Stale (its process is gone) or unreadable: take it over.
      try {
        unlinkSync(file);
      } catch {}
    }
  } finally {
    try {
      unlinkSync(aside);
    } catch {}
  }
  let held = true;
  return {
    file,
    release() {
      if (!held) return;
      held = false;
      const owner = readOwner(file);
      if (owner?.pid === mine.pid && owner.since === mine.since) {
        try {
          unlinkSync(file);
        } catch {}
      }
    },
  };
}

function lockError(file: string, cause: unknown): XinyiError {
  return new XinyiError(
    'CONFIG_INVALID',
    `cannot create the lock file ${file}: ${(cause as Error).message}`,
    {
      cause,
      details: { lockFile: file },
    },
  );
}

/**
 * Where device locks go: `XINYI_LOCK_DIR`, else `/run/lock` (the system's lock folder, writable by
 * every user on Debian) when writable, else the temporary folder. Every daemon on the machine must
 * agree on it, whatever its data folder.
 */
export function deviceLockDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.XINYI_LOCK_DIR) return env.XINYI_LOCK_DIR;
  try {
    accessSync('/run/lock', constants.W_OK);
    return '/run/lock';
  } catch {
    return tmpdir();
  }
}

/**
 * The lock file for a device path: the path as configured, made absolute. Not where a link points:
 * a by-id link (or the simulator's PTY link) re-points when the device is plugged in again, and a lock
 * taken on the old target would then hold a device node the kernel has given to someone else. Two
 * links to one port are still kept apart at open by serialport's own exclusive lock (`DEVICE_BUSY`).
 */
export function deviceLockFile(dir: string, device: string): string {
  const name = device.startsWith('/') ? resolve(device) : device;
  return join(dir, `xinyi-gate.${name.replace(/^\/+/, '').replace(/[^A-Za-z0-9._-]+/g, '_')}.lock`);
}
