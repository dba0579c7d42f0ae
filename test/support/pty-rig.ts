// The socat PTY rig the device suites share: whether it can run here, the one way a suite is run,
// skipped or failed for it (XINYI_REQUIRE_SOCAT=1 in CI turns a skip into a failure), and a virtual
// device on the far end of a pair that can be unplugged and plugged back in.
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { loadNativeModule } from '../../adapters/native.js';
import { SerialTransport } from '../../adapters/transport/serial-transport.js';
import { createPtyPair, isSocatAvailable, type PtyPair } from '../../simulator/pty.js';

/**
 * Why the PTY suites cannot run here (socat or a native module missing), or undefined when they can.
 * `serialport` is always needed; name further modules (`modbus-serial`) the suite's driver loads.
 */
export async function ptyRigMissing(modules: readonly string[] = []): Promise<string | undefined> {
  if (!isSocatAvailable()) return 'socat is not installed: apt-get install socat';
  for (const name of ['serialport', ...modules]) {
    const loaded = await loadNativeModule(name as 'serialport').then(
      () => true,
      () => false,
    );
    if (!loaded) return `${name} is not installed`;
  }
  return undefined;
}

/**
 * Declares the suite `title` over a PTY pair: run when `unavailable` is undefined; otherwise failed
 * with the reason when XINYI_REQUIRE_SOCAT=1 (CI), skipped with the reason in its name when not.
 */
export function describeOverPty(title: string, unavailable: string | undefined, suite: () => void): void {
  if (unavailable === undefined) describe(title, suite);
  else if (process.env.XINYI_REQUIRE_SOCAT === '1') {
    describe(title, () => {
      it('has socat and the native modules installed (XINYI_REQUIRE_SOCAT=1)', () => {
        throw new Error(`XINYI_REQUIRE_SOCAT=1 but ${unavailable}`);
      });
    });
  } else {
    describe.skip(`${title} (skipped: ${unavailable})`, () => {
      it('needs socat and serialport', () => {});
    });
  }
}

/** What a virtual device offers the rig: the transport it speaks over and its cable events. */
export interface PluggableDevice {
  attach(transport: SerialTransport): Promise<unknown> | unknown;
  on(event: 'unplug' | 'plug-in', listener: () => void): unknown;
}

/** A device on the far end of a PTY pair; the host opens `hostPath` as it would `/dev/ttyUSB0`. */
export interface PtyDeviceLink {
  readonly hostPath: string;
  /** Kills socat and removes the links. */
  close(): Promise<void>;
}

let pairs = 0;
let workDir: string | undefined;
afterAll(() => {
  if (workDir !== undefined) rmSync(workDir, { recursive: true, force: true });
});

/**
 * Attaches `device` to one end of a new socat PTY pair at `baudRate`. The device's `unplug` kills
 * socat (the cable pulled); its `plug-in` makes a new pair on the same paths and attaches it again
 * (the adapter coming back), so a driver holding `hostPath` reconnects as it would to real hardware.
 */
export async function attachOverPty(device: PluggableDevice, baudRate?: number): Promise<PtyDeviceLink> {
  workDir ??= mkdtempSync(join(tmpdir(), 'xinyi-pty-rig-'));
  const n = pairs++;
  const paths = { devicePath: join(workDir, `dev-${n}`), hostPath: join(workDir, `host-${n}`) };
  let pair: PtyPair = await createPtyPair(paths);
  const deviceEnd = new SerialTransport({ path: pair.devicePath, ...(baudRate ? { baudRate } : {}) });
  await device.attach(deviceEnd);
  // Every unplug and plug-in runs after the one before has finished. The new pair reuses the paths:
  // made while the old socat was still exiting, its links were removed by the old socat's exit and
  // the old pair's clean-up, and the device stayed dark for good (the driver waited for ever).
  let lifecycle: Promise<void> = Promise.resolve();
  let failure: unknown;
  const inTurn = (step: () => Promise<unknown>) => {
    lifecycle = lifecycle.then(step).then(
      () => {},
      (error: unknown) => {
        failure ??= error;
      },
    );
  };
  device.on('unplug', () =>
    inTurn(async () => {
      const deviceEndClosed = deviceEnd.isOpen ? once(deviceEnd, 'close') : undefined;
      await pair.close();
      // Until its end has seen the hang-up, the device would take the dead port for an open one.
      await deviceEndClosed;
    }),
  );
  device.on('plug-in', () =>
    inTurn(async () => {
      pair = await createPtyPair(paths);
      await device.attach(deviceEnd);
    }),
  );
  return {
    hostPath: paths.hostPath,
    close: async () => {
      await lifecycle;
      await pair.close();
      // A plug-in that could not make the pair again fails the test that unplugged, not silently.
      if (failure !== undefined) throw failure;
    },
  };
}
