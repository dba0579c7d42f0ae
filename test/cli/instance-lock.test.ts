import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { acquireLock, deviceLockDir, deviceLockFile } from '../../cli/gate/instance-lock.js';
import { isXinyiError } from '../../sdk/errors.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'xinyi-lock-'));
  dirs.push(dir);
  return dir;
}

/** The pid of a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(child.stdout.toString());
}

describe('lock files of the gate daemon', () => {
  it('a second taker is refused with "already running (pid N)" while the first holds it', () => {
    const file = join(tempDir(), '.lock');
    const first = acquireLock(file, 'data folder /srv/xinyi');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({
      pid: process.pid,
      resource: 'data folder /srv/xinyi',
    });
    let error: unknown;
    try {
      acquireLock(file, 'data folder /srv/xinyi');
    } catch (e) {
      error = e;
    }
    expect(isXinyiError(error, 'ALREADY_RUNNING')).toBe(true);
    expect((error as Error).message).toContain(
      `already running (pid ${process.pid}) on data folder /srv/xinyi`,
    );
    expect((error as { details: unknown }).details).toEqual({
      pid: process.pid,
      lockFile: file,
      resource: 'data folder /srv/xinyi',
    });
    first.release();
    first.release();
    const again = acquireLock(file, 'data folder /srv/xinyi');
    again.release();
  });

  it('takes over a lock whose process is gone, or whose pid now names another process, or that is garbage', () => {
    const dir = tempDir();
    const stale = join(dir, 'stale.lock');
    writeFileSync(stale, JSON.stringify({ pid: deadPid(), resource: 'x', since: '2026-01-01T00:00:00Z' }));
    acquireLock(stale, 'x').release();

    // The pid is alive (it is this process) but it started at another time: a reused pid.
    const reused = join(dir, 'reused.lock');
    writeFileSync(
      reused,
      JSON.stringify({ pid: process.pid, startTicks: 1, resource: 'x', since: '2026-01-01T00:00:00Z' }),
    );
    acquireLock(reused, 'x').release();

    const garbage = join(dir, 'garbage.lock');
    writeFileSync(garbage, 'not json');
    acquireLock(garbage, 'x').release();
  });

  it('release() leaves a lock that another process has taken since', () => {
    const file = join(tempDir(), '.lock');
    const held = acquireLock(file, 'x');
    const other = JSON.stringify({ pid: 1, resource: 'x', since: '2026-01-01T00:00:00Z' });
    writeFileSync(file, other);
    held.release();
    expect(readFileSync(file, 'utf8')).toBe(other);
  });

  it('names a device by its configured path, not where a link points (links re-point on a replug), in XINYI_LOCK_DIR when set', () => {
    const dir = tempDir();
    const port = join(dir, 'ttyUSB0');
    writeFileSync(port, '');
    symlinkSync(port, join(dir, 'by-id-link'));
    // A daemon on the link must not hold the node the link pointed to at its start: after a replug the
    // kernel may give that node to another device, and another daemon configured with it.
    expect(deviceLockFile('/locks', join(dir, 'by-id-link'))).not.toBe(deviceLockFile('/locks', port));
    expect(deviceLockFile('/locks', `${dir}/./by-id-link`)).toBe(
      deviceLockFile('/locks', join(dir, 'by-id-link')),
    );
    expect(deviceLockFile('/locks', '/dev/xinyi-none')).toBe('/locks/xinyi-gate.dev_xinyi-none.lock');
    expect(deviceLockDir({ XINYI_LOCK_DIR: '/somewhere' })).toBe('/somewhere');
    expect(['/run/lock', tmpdir()]).toContain(deviceLockDir({}));
  });
});
