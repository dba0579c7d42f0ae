// The gate daemon as an operator meets its devices: a wrong serial path, a port another program
// holds, a port it may not open, serialport not installed, and a second daemon on the same ports or
// the same data folder. Real daemon processes on the simulated site's socat PTYs.
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SerialTransport } from '../../adapters/transport/serial-transport.js';
import { runDoctor } from '../../cli/doctor-command.js';
import { createPtyPair, isSocatAvailable } from '../../simulator/pty.js';
import { type SimulatedSite, startSimulatedSite } from '../../simulator/simulated-site.js';
import {
  type DaemonProcess,
  serving,
  spawnDaemon,
  startDaemon,
  stderrOf,
  stopDaemon,
  until,
  waitFor,
} from './gate-daemon-process.js';

const socat = isSocatAvailable();
if (!socat && process.env.XINYI_REQUIRE_SOCAT === '1') {
  throw new Error('XINYI_REQUIRE_SOCAT=1 but socat is not installed');
}
const STAND_INS = join(import.meta.dirname, '../cli/fixtures/native-stand-ins.mjs');
const NOBODY = 65_534;
const isRoot = process.getuid?.() === 0;

describe.skipIf(!socat)('the gate daemon and its devices, as an operator meets them', () => {
  let dir: string;
  let site: SimulatedSite;
  const running: DaemonProcess[] = [];
  let configs = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'xinyi-gate-devices-'));
    site = await startSimulatedSite({ dir, people: 10 });
  }, 60_000);

  afterAll(async () => {
    for (const daemon of running) if (daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
    await site?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** The site's lane configuration with these changes, written to a new file. */
  function configFile(overrides: Record<string, unknown> = {}): string {
    const file = join(dir, `gate-${++configs}.json`);
    writeFileSync(
      file,
      JSON.stringify(site.gateConfig({ dataDir: join(dir, `data-${configs}`), ...overrides })),
    );
    return file;
  }

  function spawned(file: string, options: Parameters<typeof spawnDaemon>[1] = {}): DaemonProcess {
    const daemon = spawnDaemon(file, options);
    running.push(daemon);
    return daemon;
  }

  it('a wrong serial path: the log and /diagnostics name the path, DEVICE_NOT_FOUND, ENOENT and the system’s words; it keeps trying', async () => {
    const missing = join(dir, 'ttyUSB9');
    const devices = site.gateConfig().devices as Record<string, unknown>;
    const file = configFile({
      devices: { ...devices, idCardReader: { serial: { path: missing, baudRate: 115_200 } } },
    });
    const daemon = await startDaemon(file);
    running.push(daemon);
    const line = await waitFor(
      daemon,
      (l) => l.msg === 'device not available yet' && l.device === 'id-card-reader',
    );
    expect(line).toMatchObject({
      code: 'DEVICE_NOT_FOUND',
      path: missing,
      reason: 'ENOENT',
      osMessage: `No such file or directory, cannot open ${missing}`,
      err: expect.stringContaining(`cannot open serial port ${missing}: it does not exist`),
    });
    const diagnostics = (await (await fetch(`${daemon.url}/diagnostics`)).json()) as {
      health: { deviceProblems: Record<string, unknown>; devices: Record<string, string> };
    };
    expect(diagnostics.health.deviceProblems['id-card-reader']).toMatchObject({
      code: 'DEVICE_NOT_FOUND',
      path: missing,
      reason: 'ENOENT',
      retrying: true,
    });
    expect(diagnostics.health.deviceProblems['aa-gate']).toBeUndefined();
    // xinyi doctor relays it, where it used to say only that a device was not ready.
    const report = await runDoctor({ configFile: file, daemonUrl: daemon.url, timeoutMs: 5_000 });
    expect(report.problems).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^device id-card-reader: DEVICE_NOT_FOUND: cannot open serial port ${missing}: it does not exist \\(ENOENT: `,
        ),
      ),
    );
    expect(await stopDaemon(daemon)).toBe(0);
  }, 60_000);

  it('serialport not installed: it stops at once with the install command, and never retries', async () => {
    const daemon = spawned(configFile(), {
      nodeArgs: ['--import', STAND_INS],
      env: { ...process.env, XINYI_TEST_NATIVE_MODULES: 'missing' },
    });
    expect(await daemon.exited).toBe(1);
    expect(stderrOf(daemon)).toMatch(
      /^xinyi: NATIVE_MODULE_UNAVAILABLE: optional module serialport could not be loaded: install it with `npm install serialport`/,
    );
    expect(daemon.lines.some((l) => l.msg === 'gate daemon started')).toBe(false);
    expect(daemon.lines.some((l) => l.msg === 'device not available yet')).toBe(false);
  }, 60_000);

  it('a port another program holds: DEVICE_BUSY with the path and the lock failure; ready once it lets go', async () => {
    const holder = new SerialTransport({ path: site.description.scannerPath });
    await holder.open();
    try {
      const daemon = await startDaemon(configFile());
      running.push(daemon);
      const line = await waitFor(
        daemon,
        (l) => l.msg === 'device not available yet' && l.device === 'qr-scanner',
      );
      expect(line).toMatchObject({
        code: 'DEVICE_BUSY',
        path: site.description.scannerPath,
        reason: 'EBUSY',
        osMessage: expect.stringContaining('Cannot lock port'),
      });
      await holder.close();
      await until(() => serving(daemon), 30_000);
      expect(await stopDaemon(daemon)).toBe(0);
    } finally {
      await holder.close();
    }
  }, 90_000);

  describe('a second daemon', () => {
    let first: DaemonProcess;
    let firstConfig: Record<string, unknown>;

    beforeAll(async () => {
      const file = configFile();
      firstConfig = site.gateConfig({ dataDir: join(dir, `data-${configs}`) });
      first = await startDaemon(file);
      running.push(first);
      await until(() => serving(first), 30_000);
    }, 60_000);

    afterAll(async () => {
      if (first) await stopDaemon(first);
    });

    it('on the same ports (another data folder and HTTP port) stops at once: already running (pid N), exit 3', async () => {
      const second = spawned(configFile());
      expect(await second.exited).toBe(3);
      expect(stderrOf(second)).toMatch(
        new RegExp(
          `^xinyi: ALREADY_RUNNING: a gate daemon is already running \\(pid ${first.child.pid}\\) on serial port `,
        ),
      );
      const refused = second.lines.find((l) => l.msg === 'gate daemon cannot start');
      expect(refused).toMatchObject({ code: 'ALREADY_RUNNING', pid: first.child.pid });
      expect(second.lines.some((l) => l.msg === 'device not available yet')).toBe(false);
      expect(second.lines.some((l) => l.msg === 'gate daemon started')).toBe(false);
      expect(await serving(first)).toBe(true);
    }, 60_000);

    it('on the same data folder (other devices, another HTTP port) stops at once too', async () => {
      const file = join(dir, 'same-data.json');
      writeFileSync(
        file,
        JSON.stringify({
          ...firstConfig,
          terminalId: 'gate-other',
          devices: {
            gate: { protocol: 'aa-frame', link: { tcp: { host: '127.0.0.1', port: 1 } } },
            scanners: [],
          },
        }),
      );
      const second = spawned(file);
      expect(await second.exited).toBe(3);
      expect(stderrOf(second)).toContain(
        `already running (pid ${first.child.pid}) on data folder ${String(firstConfig.dataDir)}`,
      );
      expect(await serving(first)).toBe(true);
    }, 60_000);

    it('after the first was killed (SIGKILL, its locks left behind), the next one takes them over', async () => {
      first.child.kill('SIGKILL');
      await first.exited;
      const file = join(dir, 'after-kill.json');
      writeFileSync(file, JSON.stringify(firstConfig));
      const next = await startDaemon(file);
      running.push(next);
      await until(() => serving(next), 30_000);
      expect(await stopDaemon(next)).toBe(0);
    }, 90_000);
  });

  describe.skipIf(!isRoot)(
    'a port this user may not open (the daemon runs as nobody, the PTY is root’s)',
    () => {
      let home: string;
      let ptyDir: string;

      beforeAll(() => {
        home = join(dir, 'nobody');
        ptyDir = join(dir, 'pty-perm');
        mkdirSync(home, { recursive: true });
        mkdirSync(ptyDir, { recursive: true });
        chownSync(home, NOBODY, NOBODY);
        chmodSync(dir, 0o755);
      });

      /** A configuration nobody may read, with its data folder in nobody's home. */
      function nobodysConfig(name: string, devices: Record<string, unknown>): string {
        const file = join(home, `${name}.json`);
        writeFileSync(
          file,
          JSON.stringify({
            terminalId: `gate-${name}`,
            scene: 'scenic-gate',
            pseudonymKey: { value: 'permission-test-key-0123456789abcdef' },
            dataDir: join(home, `data-${name}`),
            devices,
            http: { host: '127.0.0.1', port: 0 },
          }),
        );
        chownSync(file, NOBODY, NOBODY);
        return file;
      }

      const asNobody = { env: { ...process.env, HOME: '/nonexistent' }, uid: NOBODY, gid: NOBODY };

      it('at start: DEVICE_PERMISSION_DENIED naming the path, EACCES and the group to join; it does not start', async () => {
        const pair = await createPtyPair({ dir: ptyDir });
        try {
          chmodSync(pair.hostPath, 0o600);
          const file = nobodysConfig('perm-start', {
            gate: { protocol: 'aa-frame', link: { serial: { path: pair.hostPath } } },
            scanners: [],
          });
          const daemon = spawned(file, { ...asNobody, env: { ...asNobody.env, XINYI_LOCK_DIR: home } });
          expect(await daemon.exited).toBe(1);
          expect(stderrOf(daemon)).toMatch(
            new RegExp(
              `^xinyi: DEVICE_PERMISSION_DENIED: cannot open serial port ${pair.hostPath}: permission denied \\(EACCES: .+\\); add the daemon's user to the port's group \\(usermod -aG dialout USER`,
            ),
          );
          expect(daemon.lines.find((l) => l.msg === 'gate daemon cannot start')).toMatchObject({
            code: 'DEVICE_PERMISSION_DENIED',
            path: pair.hostPath,
            reason: 'EACCES',
          });
        } finally {
          await pair.close();
        }
      }, 60_000);

      it('on a port that appears later: a few tries (udev’s moment), then left to the operator with an alarm', async () => {
        const readerPath = join(ptyDir, 'reader-later');
        const file = nobodysConfig('perm-later', {
          idCardReader: { serial: { path: readerPath } },
          gate: { protocol: 'aa-frame', link: { tcp: { host: '127.0.0.1', port: 1 } } },
          scanners: [],
        });
        const daemon = await startDaemon(file, 30_000, {
          ...asNobody,
          env: { ...asNobody.env, XINYI_LOCK_DIR: home },
        });
        running.push(daemon);
        await waitFor(daemon, (l) => l.msg === 'device not available yet' && l.reason === 'ENOENT');
        const pair = await createPtyPair({ devicePath: join(ptyDir, 'reader-device'), hostPath: readerPath });
        try {
          chmodSync(readerPath, 0o600);
          const gaveUp = await waitFor(
            daemon,
            (l) => l.msg === 'device needs the operator: not retrying until the daemon is restarted',
            60_000,
          );
          expect(gaveUp).toMatchObject({
            device: 'id-card-reader',
            code: 'DEVICE_PERMISSION_DENIED',
            attempts: 3,
          });
          const h = (await (await fetch(`${daemon.url}/health`)).json()) as Record<string, unknown>;
          expect(h.alarms).toContain('device-needs-operator');
          expect((h.deviceProblems as Record<string, unknown>)['id-card-reader']).toMatchObject({
            code: 'DEVICE_PERMISSION_DENIED',
            path: readerPath,
            reason: 'EACCES',
            retrying: false,
          });
          expect(await stopDaemon(daemon)).toBe(0);
        } finally {
          await pair.close();
        }
      }, 120_000);
    },
  );
});
