import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SerialTransport } from '../adapters/transport/serial-transport.js';
import type { Clock } from '../sdk/clock.js';
import { XinyiError } from '../sdk/errors.js';
import { createPseudonymizer } from '../sdk/identity/index.js';
import type { VirtualPhone } from './credit-issuer.js';
import { VirtualAaGateBoard } from './devices/virtual-aa-gate.js';
import type { VirtualGateTiming } from './devices/virtual-gate-core.js';
import { cardFieldsForPerson, VirtualIdCardReader } from './devices/virtual-id-card-reader.js';
import { VirtualSerialScanner } from './devices/virtual-scanners.js';
import { type MockPlatform, startMockPlatform } from './mock-platform.js';
import { generatePopulation, type SyntheticPerson } from './population.js';
import { createPtyPair, type PtyPair } from './pty.js';

export type SiteDevice = 'id-card-reader' | 'scanner' | 'gate';

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
  /** A gate daemon configuration for this site (`xinyi gate --config`), secrets as file references. */
  gateConfig(overrides?: Record<string, unknown>): Record<string, unknown>;
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
  const people = generatePopulation(options.people ?? 40, seed, {
    redListRate: 0.1,
    blackListRate: 0.1,
    keyAttentionRate: 0.05,
  });
  // A simulation key: a real deployment gets its key from the city credit office's key service.
  const pseudonymKey = `site-key:${seed}:0123456789abcdef`;
  const pseudonymizer = createPseudonymizer(pseudonymKey);
  const secret = `site-platform-secret:${seed}`;
  const platform = await startMockPlatform({
    people,
    pseudonymizer,
    keyId: 'site-terminals',
    secret,
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

  const files = {
    pseudonymKey: join(dir, 'pseudonym.key'),
    platformSecret: join(dir, 'platform.secret'),
    trustRootPublicKey: join(dir, 'trust-root.pem'),
    snapshotPublicKey: join(dir, 'snapshot.pem'),
  };
  writeFileSync(files.pseudonymKey, pseudonymKey, { mode: 0o600 });
  writeFileSync(files.platformSecret, secret, { mode: 0o600 });
  writeFileSync(
    files.trustRootPublicKey,
    platform.issuer.rootPublicKey.export({ type: 'spki', format: 'pem' }),
  );
  writeFileSync(files.snapshotPublicKey, platform.snapshotPublicKey.export({ type: 'spki', format: 'pem' }));

  const reader = new VirtualIdCardReader();
  const scanner = new VirtualSerialScanner();
  const gate = new VirtualAaGateBoard(options.gateTiming ? { timing: options.gateTiming } : {});
  const devices: Record<SiteDevice, PtyDevice> = { 'id-card-reader': reader, scanner, gate };
  const pairs = new Map<SiteDevice, PtyPair>();
  const paths = {} as Record<SiteDevice, { devicePath: string; hostPath: string }>;
  const plugIn = async (name: SiteDevice) => {
    const pair = await createPtyPair(paths[name]);
    pairs.set(name, pair);
    await devices[name].attach(new SerialTransport({ path: pair.devicePath }));
  };
  for (const name of Object.keys(devices) as SiteDevice[]) {
    paths[name] = { devicePath: join(dir, `${name}.device`), hostPath: join(dir, name) };
    await plugIn(name);
  }

  const description: SiteDescription = {
    idCardReaderPath: paths['id-card-reader'].hostPath,
    scannerPath: paths.scanner.hostPath,
    gatePath: paths.gate.hostPath,
    platformUrl: platform.url,
    platformKeyId: 'site-terminals',
    files,
  };
  writeFileSync(join(dir, 'site.json'), `${JSON.stringify(description, null, 2)}\n`);
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;

  return {
    description,
    people,
    platform,
    reader,
    scanner,
    gate,
    phones,
    gateConfig(overrides = {}) {
      return {
        terminalId: 'gate-yunmenshan-01',
        scene: 'scenic-gate',
        context: { siteId: 'yunmenshan' },
        pseudonymKey: { file: files.pseudonymKey },
        dataDir: join(dir, 'data'),
        devices: {
          idCardReader: {
            serial: { path: description.idCardReaderPath, baudRate: 115_200 },
            pollIntervalMs: 100,
          },
          scanners: [
            { type: 'serial', name: 'qr-scanner', link: { serial: { path: description.scannerPath } } },
          ],
          gate: {
            protocol: 'aa-frame',
            link: { serial: { path: description.gatePath, baudRate: 9600 } },
            address: gate.address,
            pollIntervalMs: 50,
          },
        },
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
    async tap(person, holdMs = 600) {
      const pause = (ms: number) =>
        new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            timers.delete(timer);
            resolve();
          }, ms);
          timers.add(timer);
        });
      reader.placeCard(cardFieldsForPerson(person));
      await pause(holdMs);
      if (closed) return;
      reader.removeCard();
      // The citizen walks on: long enough for the reader's polls to notice the card has gone, so the
      // next person's card is a new card.
      await pause(400);
    },
    async showCode(person) {
      const phone = phones.get(person.id);
      if (!phone) throw new XinyiError('INVALID_ARGUMENT', `${person.id} has no credit code`);
      return scanner.scan(phone.present(options.clock?.now() ?? Date.now()));
    },
    async unplug(name, forMs) {
      devices[name].detach();
      await pairs.get(name)?.close();
      pairs.delete(name);
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (!closed) void plugIn(name);
      }, forMs);
      timers.add(timer);
    },
    async close() {
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      reader.detach();
      scanner.detach();
      gate.dispose();
      await Promise.all([...pairs.values()].map((p) => p.close()));
      await platform.close();
    },
  };
}
