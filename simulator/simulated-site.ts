import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SerialTransport } from '../adapters/transport/serial-transport.js';
import type { Clock } from '../sdk/clock.js';
import { XinyiError } from '../sdk/errors.js';
import { createPseudonymizer } from '../sdk/identity/index.js';
import type { VirtualPhone } from './credit-issuer.js';
import { cardFieldsForPerson } from './devices/card-fields.js';
import { VirtualAaGateBoard } from './devices/virtual-aa-gate.js';
import type { VirtualGateTiming } from './devices/virtual-gate-core.js';
import { VirtualIdCardReader } from './devices/virtual-id-card-reader.js';
import { VirtualSerialScanner } from './devices/virtual-serial-scanner.js';
import { type MockPlatform, startMockPlatform } from './mock-platform.js';
import { generatePopulation, type SyntheticPerson } from './population.js';
import { createPtyPair, type PtyPair } from './pty.js';

export type SiteDevice = 'id-card-reader' | 'scanner' | 'gate';

/**
 * Where the lanes of the site keep the state they share (the gate configuration's `site` block):
 * `local` (each lane its own), a SQLite file, or a Redis URL (`keyPrefix` `xinyi:yunmenshan:`).
 */
export type SimulatedSiteStore = 'local' | { sqlite: string } | { redisUrl: string };

export interface SimulatedSiteOptions {
  /** Where the PTY links, the key files and `site.json` go (created when missing). */
  dir: string;
  /** @default 'xinyi-site' */
  seed?: string;
  /** @default 40 */
  people?: number;
  /** Loopback port of the mock platform. @default 0 (any free port) */
  platformPort?: number;
  /** The gate board's mechanics (passage delay, board timeout). */
  gateTiming?: VirtualGateTiming;
  clock?: Clock;
  /** Lanes, each with its reader, scanner and gate board. @default 1 */
  lanes?: number;
  /**
   * The site store written into every lane's configuration.
   * @default 'local' for one lane, `{ sqlite: DIR/site.sqlite }` for several
   */
  store?: SimulatedSiteStore;
}

/** One lane of the site: its devices and where their PTYs are. */
export interface SimulatedLane {
  /** 0 for the first lane. */
  readonly index: number;
  /** `gate-yunmenshan-01`, `gate-yunmenshan-02`, … */
  readonly terminalId: string;
  readonly reader: VirtualIdCardReader;
  readonly scanner: VirtualSerialScanner;
  readonly gate: VirtualAaGateBoard;
  readonly paths: { idCardReader: string; scanner: string; gate: string };
  /** Places the person's card on this lane's reader, as `SimulatedSite.tap`. */
  tap(person: SyntheticPerson, holdMs?: number): Promise<void>;
  /** Sends a code text to this lane's scanner (a fresh presentation, or a screenshot of an old one). */
  scan(text: string): Promise<boolean>;
  unplug(device: SiteDevice, forMs: number): Promise<void>;
}

/** What a gate daemon needs to know to run against the site (written to `site.json`). */
export interface SiteDescription {
  idCardReaderPath: string;
  scannerPath: string;
  gatePath: string;
  platformUrl: string;
  platformKeyId: string;
  /** Files holding the secrets and public keys (PEM). */
  files: {
    pseudonymKey: string;
    platformSecret: string;
    trustRootPublicKey: string;
    snapshotPublicKey: string;
  };
  /** Every lane's terminal id and device paths (the first is the one above). */
  lanes: { terminalId: string; idCardReader: string; scanner: string; gate: string }[];
}

export interface SimulatedSite {
  readonly description: SiteDescription;
  readonly people: readonly SyntheticPerson[];
  readonly platform: MockPlatform;
  readonly reader: VirtualIdCardReader;
  readonly scanner: VirtualSerialScanner;
  readonly gate: VirtualAaGateBoard;
  /** The credit-code phone of each person the platform issued one to (listed people get none). */
  readonly phones: ReadonlyMap<string, VirtualPhone>;
  /** Every lane; `reader`, `scanner` and `gate` above are the first one's. */
  readonly lanes: readonly SimulatedLane[];
  readonly store: SimulatedSiteStore;
  /**
   * A gate daemon configuration for a lane of this site (`xinyi gate --config`), secrets as file
   * references; the first lane's by default.
   */
  gateConfig(overrides?: Record<string, unknown>, lane?: number): Record<string, unknown>;
  /** Places the person's card on the reader, takes it off after `holdMs`, and resolves once the reader can see the next card. */
  tap(person: SyntheticPerson, holdMs?: number): Promise<void>;
  /** The person shows their credit code to the scanner. */
  showCode(person: SyntheticPerson): Promise<boolean>;
  /** Pulls a device's cable; plugs it back in after `forMs`. */
  unplug(device: SiteDevice, forMs: number): Promise<void>;
  close(): Promise<void>;
}

interface PtyDevice {
  attach(transport: SerialTransport): Promise<boolean>;
  detach(): void;
}

/**
 * A scenic-spot site made of simulated parts, for a gate daemon running in another process: a
 * virtual SAM ID-card reader, a serial QR scanner and an AA-frame gate board on socat PTYs, and the
 * mock platform on loopback HTTP. Its `site.json` and key files let `xinyi gate --config` find it.
 */
export async function startSimulatedSite(options: SimulatedSiteOptions): Promise<SimulatedSite> {
  if (!options || typeof options.dir !== 'string' || options.dir === '') {
    throw new XinyiError('INVALID_OPTIONS', 'startSimulatedSite: dir is required');
  }
  const { dir } = options;
  const seed = options.seed ?? 'xinyi-site';
  mkdirSync(dir, { recursive: true });
  const files = {
    pseudonymKey: join(dir, 'pseudonym.key'),
    platformSecret: join(dir, 'platform.secret'),
    trustRootPublicKey: join(dir, 'trust-root.pem'),
    snapshotPublicKey: join(dir, 'snapshot.pem'),
  };
  // A simulation key (32 bytes from the seed): a real deployment gets its key from the city credit
  // office's key service. Written as a `hex:` key file, which the daemon and the platform both read.
  const pseudonymKey = createHash('sha256').update(`site-key:${seed}`).digest();
  writeFileSync(files.pseudonymKey, `hex:${pseudonymKey.toString('hex')}\n`, { mode: 0o600 });
  writeFileSync(files.platformSecret, `site-platform-secret:${seed}`, { mode: 0o600 });
  const people = generatePopulation(options.people ?? 40, seed, {
    redListRate: 0.1,
    blackListRate: 0.1,
    keyAttentionRate: 0.05,
  });
  const pseudonymizer = createPseudonymizer(pseudonymKey);
  const platform = await startMockPlatform({
    people,
    pseudonymKeyFile: files.pseudonymKey,
    keyId: 'site-terminals',
    secretFile: files.platformSecret,
    port: options.platformPort ?? 0,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const now = options.clock?.now() ?? Date.now();
  const phones = new Map<string, VirtualPhone>();
  people.forEach((person, index) => {
    if (person.lists.some((l) => l.kind === 'black' || l.kind === 'key-attention')) return;
    phones.set(
      person.id,
      platform.issuer.issue(pseudonymizer.pseudonymize(person.idNumber), person.tier, {
        red: person.lists.some((l) => l.kind === 'red'),
        statusIndex: index,
        now: now - 3_600_000,
      }),
    );
  });

  writeFileSync(
    files.trustRootPublicKey,
    platform.issuer.rootPublicKey.export({ type: 'spki', format: 'pem' }),
  );
  writeFileSync(files.snapshotPublicKey, platform.snapshotPublicKey.export({ type: 'spki', format: 'pem' }));

  const laneCount = options.lanes ?? 1;
  if (!Number.isInteger(laneCount) || laneCount < 1 || laneCount > 16) {
    throw new XinyiError('INVALID_OPTIONS', 'startSimulatedSite: lanes must be 1–16');
  }
  const store: SimulatedSiteStore =
    options.store ?? (laneCount > 1 ? { sqlite: join(dir, 'site.sqlite') } : 'local');
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });
  const pairs = new Map<string, PtyPair>();
  const lanes: SimulatedLane[] = [];
  for (let index = 0; index < laneCount; index++) {
    const reader = new VirtualIdCardReader();
    const scanner = new VirtualSerialScanner();
    const gate = new VirtualAaGateBoard(options.gateTiming ? { timing: options.gateTiming } : {});
    const devices: Record<SiteDevice, PtyDevice> = { 'id-card-reader': reader, scanner, gate };
    const paths = {} as Record<SiteDevice, { devicePath: string; hostPath: string }>;
    // The first lane keeps the names a one-lane site always had; the others are numbered.
    const suffix = index === 0 ? '' : `-${index + 1}`;
    const plugIn = async (name: SiteDevice) => {
      const pair = await createPtyPair(paths[name]);
      pairs.set(`${index}:${name}`, pair);
      await devices[name].attach(new SerialTransport({ path: pair.devicePath }));
    };
    for (const name of Object.keys(devices) as SiteDevice[]) {
      paths[name] = {
        devicePath: join(dir, `${name}${suffix}.device`),
        hostPath: join(dir, `${name}${suffix}`),
      };
      await plugIn(name);
    }
    lanes.push({
      index,
      terminalId: `gate-yunmenshan-${String(index + 1).padStart(2, '0')}`,
      reader,
      scanner,
      gate,
      paths: {
        idCardReader: paths['id-card-reader'].hostPath,
        scanner: paths.scanner.hostPath,
        gate: paths.gate.hostPath,
      },
      async tap(person, holdMs = 600) {
        reader.placeCard(cardFieldsForPerson(person));
        await pause(holdMs);
        if (closed) return;
        reader.removeCard();
        // The citizen walks on: long enough for the reader's polls to notice the card has gone, so the
        // next person's card is a new card.
        await pause(400);
      },
      scan: (text) => scanner.scan(text),
      async unplug(name, forMs) {
        devices[name].detach();
        await pairs.get(`${index}:${name}`)?.close();
        pairs.delete(`${index}:${name}`);
        const timer = setTimeout(() => {
          timers.delete(timer);
          if (!closed) void plugIn(name);
        }, forMs);
        timers.add(timer);
      },
    });
  }
  const first = lanes[0]!;
  const { reader, scanner, gate } = first;

  const description: SiteDescription = {
    idCardReaderPath: first.paths.idCardReader,
    scannerPath: first.paths.scanner,
    gatePath: first.paths.gate,
    platformUrl: platform.url,
    platformKeyId: 'site-terminals',
    files,
    lanes: lanes.map((l) => ({ terminalId: l.terminalId, ...l.paths })),
  };
  writeFileSync(join(dir, 'site.json'), `${JSON.stringify(description, null, 2)}\n`);

  return {
    description,
    people,
    platform,
    reader,
    scanner,
    gate,
    phones,
    lanes,
    store,
    gateConfig(overrides = {}, laneIndex = 0) {
      const lane = lanes[laneIndex];
      if (!lane)
        throw new XinyiError(
          'INVALID_ARGUMENT',
          `the site has ${lanes.length} lane(s), not ${laneIndex + 1}`,
        );
      const siteBlock =
        store === 'local'
          ? {}
          : 'sqlite' in store
            ? { site: { sqlite: store.sqlite } }
            : { site: { redis: { url: store.redisUrl }, keyPrefix: 'xinyi:yunmenshan:' } };
      return {
        terminalId: lane.terminalId,
        scene: 'scenic-gate',
        context: { siteId: 'yunmenshan' },
        pseudonymKey: { file: files.pseudonymKey },
        dataDir: join(dir, laneIndex === 0 ? 'data' : `data-${laneIndex + 1}`),
        devices: {
          idCardReader: {
            serial: { path: lane.paths.idCardReader, baudRate: 115_200 },
            pollIntervalMs: 100,
          },
          scanners: [{ type: 'serial', name: 'qr-scanner', link: { serial: { path: lane.paths.scanner } } }],
          gate: {
            protocol: 'aa-frame',
            link: { serial: { path: lane.paths.gate, baudRate: 9600 } },
            address: lane.gate.address,
            pollIntervalMs: 50,
          },
        },
        ...siteBlock,
        platform: {
          baseUrl: platform.url,
          keyId: 'site-terminals',
          secret: { file: files.platformSecret },
          timeoutMs: 200,
          trustRootPublicKey: { file: files.trustRootPublicKey },
          snapshotPublicKeys: [{ file: files.snapshotPublicKey }],
        },
        http: { host: '127.0.0.1', port: 0 },
        ...overrides,
      };
    },
    tap: (person, holdMs) => first.tap(person, holdMs),
    async showCode(person) {
      const phone = phones.get(person.id);
      if (!phone) throw new XinyiError('INVALID_ARGUMENT', `${person.id} has no credit code`);
      return scanner.scan(phone.present(options.clock?.now() ?? Date.now()));
    },
    unplug: (name, forMs) => first.unplug(name, forMs),
    async close() {
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      for (const lane of lanes) {
        lane.reader.detach();
        lane.scanner.detach();
        lane.gate.dispose();
      }
      await Promise.all([...pairs.values()].map((p) => p.close()));
      await platform.close();
    },
  };
}
