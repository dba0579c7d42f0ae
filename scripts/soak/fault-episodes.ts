// What each fault does, for one episode: the platform down, slow or lying (mock-platform faults), a
// device unplugged or sending garbage or damaged card text, the daemon SIGKILLed and restarted; and,
// after a device episode, whether every device is ready again in time.
import { VirtualSerialScanner } from '../../simulator/devices/virtual-serial-scanner.js';
import type { PlatformFault } from '../../simulator/mock-platform.js';
import type { Rng } from '../../simulator/prng.js';
import type { SiteDevice } from '../../simulator/simulated-site.js';
import type { DEVICE_FAULTS, PLATFORM_FAULTS } from './fault-kinds.js';
import { noteScannerNoise } from './gate-attribution.js';
import { closeDeviceDown, devicesReady, GATE_DEVICE_NAMES, startDaemon } from './gate-daemon.js';
import { sleep } from './helpers.js';
import { DEVICE_RECOVERY_MS } from './limits.js';
import { harvestPlatformRequests } from './platform-intake.js';
import type { SoakRun } from './run-state.js';

/** Line noise that holds no frame start (0xAA: SAM preamble and AA-frame start) and no line end (CR, LF). */
function noise(rng: Rng): Buffer {
  const bytes: number[] = [];
  const length = rng.int(4, 24);
  while (bytes.length < length) {
    const b = rng.int(0, 255);
    if (b !== 0xaa && b !== 0x0d && b !== 0x0a) bytes.push(b);
  }
  return Buffer.from(bytes);
}

async function afterDeviceEpisode(run: SoakRun, from: number): Promise<void> {
  const devices = run.devices;
  devices.episodesChecked++;
  if (await devicesReady(run, DEVICE_RECOVERY_MS)) {
    devices.recoveryTimes.push(Date.now() - from);
    // Health says ready: a device whose "ready" line is still to come is not down any more.
    for (const d of Object.keys(run.daemon.deviceDown)) closeDeviceDown(run, d, Date.now());
  } else devices.stuck++;
}

/** One platform fault for `forMs`, then the platform answers normally again. */
export async function platformEpisode(
  run: SoakRun,
  kind: (typeof PLATFORM_FAULTS)[number],
  forMs: number,
): Promise<void> {
  const { rng, people, pseudonymizer } = run;
  run.faults[kind].injected++;
  const { platform } = run.site;
  const inject = (fault: PlatformFault) => platform.faults.inject(fault);
  switch (kind) {
    case 'platform-down':
      inject(
        rng.pick<PlatformFault>([
          { kind: 'status', status: 503 },
          { kind: 'drop' },
          { kind: 'timeout' },
          { kind: 'status', status: 502 },
        ]),
      );
      break;
    case 'platform-slow':
      inject({ kind: 'latency', ms: rng.int(250, 1_500) });
      break;
    case 'platform-malformed-json':
      inject({ kind: 'malformed-json' });
      break;
    case 'platform-bad-snapshot-signature': {
      // A standing changes so that the next delta is not empty: the forged signature has something to sign.
      const person = rng.pick(people);
      platform.setStanding(pseudonymizer.pseudonymize(person.idNumber, 'id-number'), {
        tier: person.tier,
        score: person.score,
        lists: person.lists,
      });
      inject({ kind: 'bad-snapshot-signature' });
      break;
    }
    case 'platform-clock-skew': {
      const ms = rng.int(60_000, 900_000) * (rng.chance(0.5) ? 1 : -1);
      inject({ kind: 'clock-skew', ms });
      break;
    }
    case 'platform-lost-response':
      inject({ kind: 'lost-response' });
      break;
  }
  await sleep(forMs);
  platform.faults.clear();
}

/** One device fault (or a SIGKILL of the daemon) for `forMs`, then the check that every device is back. */
export async function deviceEpisode(
  run: SoakRun,
  kind: (typeof DEVICE_FAULTS)[number],
  forMs: number,
): Promise<void> {
  const { rng, site, daemon, devices } = run;
  run.faults[kind].injected++;
  const began = Date.now();
  switch (kind) {
    case 'unplug-gate':
    case 'unplug-reader':
    case 'unplug-scanner': {
      const device: SiteDevice =
        kind === 'unplug-gate' ? 'gate' : kind === 'unplug-reader' ? 'id-card-reader' : 'scanner';
      const name = GATE_DEVICE_NAMES[device];
      daemon.activeUnplugs.set(name, began);
      await site.unplug(device, forMs);
      await sleep(forMs);
      await afterDeviceEpisode(run, Date.now());
      // From the pull to the daemon's "ready": the device was down for the lane, whatever the log said.
      daemon.activeUnplugs.delete(name);
      daemon.deviceDown[name]!.push({ from: began, to: Date.now() });
      break;
    }
    case 'garbage-reader':
    case 'garbage-scanner':
    case 'garbage-gate': {
      const bytes = rng.chance(0.5) ? undefined : noise(rng);
      if (kind === 'garbage-scanner') noteScannerNoise(run, bytes ?? VirtualSerialScanner.defaultGarbage);
      const withdraw =
        kind === 'garbage-reader'
          ? site.reader.injectFault({
              kind: 'garbage',
              on: 'any',
              persistent: true,
              ...(bytes ? { bytes } : {}),
            })
          : kind === 'garbage-scanner'
            ? site.scanner.injectFault({ kind: 'garbage', persistent: true, ...(bytes ? { bytes } : {}) })
            : site.gate.injectFault({ kind: 'garbage', persistent: true, ...(bytes ? { bytes } : {}) });
      await sleep(forMs);
      withdraw();
      await afterDeviceEpisode(run, Date.now());
      break;
    }
    case 'damaged-reader': {
      // Damage the frame checksum cannot see (a garbled line lets one in 256 through): the next one
      // or two card texts change somewhere, each in a different place as line noise would; the
      // reader must read the card again, not decide on it. At most two, so the reader's third
      // attempt (retries: 2) still reads the card.
      const first = rng.int(4, 4 + 255);
      const offsets = rng.chance(0.5) ? [first] : [first, 4 + ((first - 4 + rng.int(1, 255)) % 256)];
      const withdrawals = offsets.map((offset) =>
        site.reader.injectFault({
          kind: 'checksum-blind-damage',
          on: 'readBase',
          offset,
          mask: rng.int(1, 255),
        }),
      );
      await sleep(forMs);
      for (const withdraw of withdrawals) withdraw();
      await afterDeviceEpisode(run, Date.now());
      break;
    }
    case 'daemon-sigkill': {
      const victim = daemon.current!;
      harvestPlatformRequests(run);
      const killedAt = Date.now();
      daemon.kills.push(killedAt);
      daemon.restartingSince = killedAt;
      victim.kill('SIGKILL');
      await victim.exited;
      // A supervisor (systemd's Restart=) starts it again after a moment.
      await sleep(rng.int(300, 2_000));
      let restartMs: number;
      try {
        restartMs = await startDaemon(run);
        devices.restartTimes.push(restartMs);
      } catch (error) {
        devices.stuck++;
        run.progress(`soak: ${String(error)}`);
      }
      daemon.down.push({ from: killedAt, to: Date.now() });
      daemon.restartingSince = undefined;
      devices.episodesChecked++;
      break;
    }
  }
}
