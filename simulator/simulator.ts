import { createMemoryLink, type MemoryLink } from '../adapters/transport/memory-transport.js';
import type { Transport } from '../adapters/transport/transport.js';
import type { Clock } from '../sdk/clock.js';
import { XinyiError } from '../sdk/errors.js';
import { createPseudonymizer, type Pseudonymizer } from '../sdk/identity/index.js';
import type { InMemoryCreditProvider } from '../sdk/terminal/index.js';
import { type CreditIssuer, createCreditIssuer, type VirtualPhone } from './credit-issuer.js';
import { VirtualAaGateBoard, type VirtualAaGateBoardOptions } from './devices/virtual-aa-gate.js';
import { VirtualFlapGateBoard, type VirtualFlapGateBoardOptions } from './devices/virtual-flap-gate.js';
import { VirtualIdCardReader, type VirtualIdCardReaderOptions } from './devices/virtual-id-card-reader.js';
import {
  VirtualModbusRelayBoard,
  type VirtualModbusRelayBoardOptions,
} from './devices/virtual-modbus-relay.js';
import { VirtualSerialScanner, type VirtualSerialScannerOptions } from './devices/virtual-serial-scanner.js';
import { type MockPlatform, type MockPlatformOptions, startMockPlatform } from './mock-platform.js';
import { generatePopulation, type PopulationOptions, type SyntheticPerson } from './population.js';
import { createPopulationCreditProvider } from './population-credit.js';

/** The virtual devices {@link Simulator.attach} can put on a link, by kind. */
export interface SimulatorDeviceKinds {
  'id-card-reader': { device: VirtualIdCardReader; options: VirtualIdCardReaderOptions };
  'serial-scanner': { device: VirtualSerialScanner; options: VirtualSerialScannerOptions };
  'aa-gate': { device: VirtualAaGateBoard; options: VirtualAaGateBoardOptions };
  'flap-gate': { device: VirtualFlapGateBoard; options: VirtualFlapGateBoardOptions };
  'modbus-relay': { device: VirtualModbusRelayBoard; options: VirtualModbusRelayBoardOptions };
}
export type SimulatorDeviceKind = keyof SimulatorDeviceKinds;

/** A virtual device on an in-memory link, and the host end a real adapter takes as its transport. */
export interface SimulatedDevice<K extends SimulatorDeviceKind = SimulatorDeviceKind> {
  readonly kind: K;
  /** The device side: place a card, scan a code, inject a fault. */
  readonly device: SimulatorDeviceKinds[K]['device'];
  /** Give this to the adapter (`new IdCardReader({ transport })`, `new AaGateDriver({ transport })`, …). */
  readonly transport: Transport;
  /** Pull and plug the cable (`unplug()`, `plugIn()`), as `createMemoryLink` does. */
  readonly link: MemoryLink;
}

export interface SimulatorOptions {
  /** Same seed, same people, same keys. @default 'xinyi-simulator' */
  seed?: string;
  /** How many synthetic people. @default 100 */
  people?: number;
  /** Tier mix and list rates of the population. */
  population?: PopulationOptions;
  /** The pseudonym key the terminals under test use. @default a key derived from `seed` */
  pseudonymKey?: string;
  /**
   * Starts the mock platform (a real HTTP server on loopback) with these people, keyed by the same
   * pseudonymizer: `true` for its defaults (key id `sim-terminals`, secret derived from `seed`), or
   * its options. @default false (no server; {@link Simulator.credit} answers in process)
   */
  platform?: boolean | Omit<MockPlatformOptions, 'people' | 'pseudonymizer' | 'pseudonymKey' | 'clock'>;
  /** Bytes per second of every device link (models wire time); @default unlimited */
  baudRate?: number;
  clock?: Clock;
}

/**
 * A simulated world for testing without hardware or a network: synthetic people, the pseudonymizer
 * the terminal under test must use, an in-process credit source that knows them, a credit-code
 * issuer with a phone per person, virtual devices on in-memory links, and (optionally) the mock
 * platform on loopback HTTP.
 */
export interface Simulator {
  readonly seed: string;
  readonly people: readonly SyntheticPerson[];
  readonly pseudonymizer: Pseudonymizer;
  /** A credit source for `createTerminal({ credit: [sim.credit] })` that knows every person (source `platform`). */
  readonly credit: InMemoryCreditProvider;
  /** Issues credit codes; the mock platform's issuer when the platform runs (same trust list). */
  readonly issuer: CreditIssuer;
  /** The mock platform, when `platform` was asked for. */
  readonly platform: MockPlatform | undefined;
  /** The person's phone, issuing a credential on first use; `undefined` for a black-listed person (no code). */
  phone(person: SyntheticPerson): VirtualPhone | undefined;
  /** A virtual device of this kind on a fresh in-memory link; detached again by {@link close}. */
  attach<K extends SimulatorDeviceKind>(
    kind: K,
    options?: SimulatorDeviceKinds[K]['options'],
  ): Promise<SimulatedDevice<K>>;
  /** Detaches every device and stops the platform. Idempotent. */
  close(): Promise<void>;
}

const DEVICE_FACTORIES: {
  [K in SimulatorDeviceKind]: (
    options: SimulatorDeviceKinds[K]['options'],
  ) => SimulatorDeviceKinds[K]['device'];
} = {
  'id-card-reader': (options) => new VirtualIdCardReader(options),
  'serial-scanner': (options) => new VirtualSerialScanner(options),
  'aa-gate': (options) => new VirtualAaGateBoard(options),
  'flap-gate': (options) => new VirtualFlapGateBoard(options),
  'modbus-relay': (options) => new VirtualModbusRelayBoard(options),
};

function checkOptions(options: SimulatorOptions): void {
  if (options === null || typeof options !== 'object') {
    throw new XinyiError('INVALID_OPTIONS', 'createSimulator: options must be an object when given');
  }
  if (options.seed !== undefined && (typeof options.seed !== 'string' || options.seed === '')) {
    throw new XinyiError('INVALID_OPTIONS', 'createSimulator: seed must be a non-empty string', {
      details: { option: 'seed' },
    });
  }
  if (options.people !== undefined && !(Number.isSafeInteger(options.people) && options.people >= 0)) {
    throw new XinyiError(
      'INVALID_OPTIONS',
      `createSimulator: people must be a non-negative integer, got ${String(options.people)}`,
      { details: { option: 'people' } },
    );
  }
}

/**
 * The simulator's front door: builds a {@link Simulator} (and starts the mock platform when asked).
 * Throws `INVALID_OPTIONS` naming the option for a bad seed or head count.
 *
 * @example
 * const sim = await createSimulator({ seed: 'my-test', people: 20 });
 * const terminal = createTerminal({ terminalId: 'kiosk-1', scene: 'library-kiosk',
 *   pseudonymizer: sim.pseudonymizer, credit: [sim.credit] });
 * const { device, transport } = await sim.attach('id-card-reader');
 * const reader = new IdCardReader({ transport });
 * terminal.attach(reader);
 * await reader.open();
 * device.placeCard(sim.people[0]!); // → a `decision` event on the terminal
 */
export async function createSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  checkOptions(options);
  const seed = options.seed ?? 'xinyi-simulator';
  const people = generatePopulation(options.people ?? 100, seed, options.population);
  // A simulation key: a real deployment gets its key from the city credit office's key service.
  const pseudonymKey = options.pseudonymKey ?? `sim-key:${seed}:0123456789abcdef`;
  const pseudonymizer = createPseudonymizer(pseudonymKey);
  const credit = createPopulationCreditProvider(people, { pseudonymizer, clock: options.clock });
  let platform: MockPlatform | undefined;
  if (options.platform) {
    const extra = options.platform === true ? {} : options.platform;
    platform = await startMockPlatform({
      keyId: 'sim-terminals',
      secret: `sim-platform-secret:${seed}`,
      seed,
      ...extra,
      people,
      pseudonymizer,
      ...(options.clock ? { clock: options.clock } : {}),
    });
  }
  const issuer =
    platform?.issuer ?? createCreditIssuer({ seed, ...(options.clock ? { now: options.clock.now() } : {}) });
  const phones = new Map<string, VirtualPhone>();
  const attached: { device: { detach(): void }; link: MemoryLink }[] = [];
  let closed: Promise<void> | undefined;

  return {
    seed,
    people,
    pseudonymizer,
    credit,
    issuer,
    platform,
    phone(person) {
      if (person.lists.some((l) => l.kind === 'black' && l.domain === undefined)) return undefined;
      let phone = phones.get(person.id);
      if (phone === undefined) {
        phone = issuer.issue(pseudonymizer.pseudonymize(person.idNumber), person.tier, {
          red: person.lists.some((l) => l.kind === 'red'),
          ...(options.clock ? { now: options.clock.now() } : {}),
        });
        phones.set(person.id, phone);
      }
      return phone;
    },
    async attach(kind, deviceOptions) {
      if (closed) throw new XinyiError('CLOSED', 'attach: the simulator is closed');
      const factory = DEVICE_FACTORIES[kind] as (o: unknown) => SimulatorDeviceKinds[typeof kind]['device'];
      if (typeof factory !== 'function') {
        throw new XinyiError(
          'INVALID_ARGUMENT',
          `attach: kind must be one of ${Object.keys(DEVICE_FACTORIES).join(', ')}, got ${String(kind)}`,
          { details: { option: 'kind' } },
        );
      }
      const device = factory(deviceOptions ?? {});
      const link = createMemoryLink(options.baudRate === undefined ? {} : { baudRate: options.baudRate });
      await device.attach(link.device);
      attached.push({ device, link });
      return { kind, device, transport: link.host, link };
    },
    close() {
      closed ??= (async () => {
        for (const { device } of attached.splice(0)) device.detach();
        await platform?.close();
      })();
      return closed;
    },
  };
}
