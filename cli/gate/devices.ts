import { AaGateDriver } from '../../adapters/gate/aa-gate.js';
import { FlapGateDriver } from '../../adapters/gate/flap-gate.js';
import { ModbusRelayGateDriver } from '../../adapters/gate/modbus-relay-gate.js';
import { IdCardReader } from '../../adapters/id-card/reader.js';
import type { NativeModuleName } from '../../adapters/native.js';
import { HidScanner } from '../../adapters/scanner/hid-scanner.js';
import { SerialScanner } from '../../adapters/scanner/serial-scanner-driver.js';
import { SerialTransport } from '../../adapters/transport/serial-transport.js';
import { TcpTransport } from '../../adapters/transport/tcp-transport.js';
import type { Transport } from '../../adapters/transport/transport.js';
import { UdpTransport } from '../../adapters/transport/udp-transport.js';
import type { Clock } from '../../sdk/clock.js';
import type { Gate } from '../../sdk/gate/gate.js';
import type { Logger } from '../../sdk/logger.js';
import type { CredentialSource } from '../../sdk/terminal/credential-source.js';
import type { GateConfig } from './config.js';

type Devices = GateConfig['devices'];
type StreamLink = Exclude<Devices['gate']['link'], { udp: unknown }>;

/** A device the daemon opens, keeps open and closes: readers and scanners. */
export interface ManagedSource extends CredentialSource {
  open(): Promise<void>;
  close(): Promise<void>;
  readonly state: string;
}

function streamTransport(link: StreamLink, defaultBaud: number): Transport {
  if ('serial' in link) {
    return new SerialTransport({
      path: link.serial.path,
      baudRate: link.serial.baudRate ?? defaultBaud,
      ...(link.serial.parity ? { parity: link.serial.parity } : {}),
    });
  }
  return new TcpTransport({ host: link.tcp.host, port: link.tcp.port });
}

export function createGateFromConfig(config: Devices['gate'], logger: Logger): Gate {
  const common = {
    ...(config.name ? { name: config.name } : {}),
    ...(config.pollIntervalMs ? { pollIntervalMs: config.pollIntervalMs } : {}),
    logger,
  };
  switch (config.protocol) {
    case 'aa-frame': {
      const link = config.link;
      const transport =
        'udp' in link
          ? new UdpTransport({
              host: link.udp.host,
              port: link.udp.port,
              ...(link.udp.localPort === undefined ? {} : { localPort: link.udp.localPort }),
            })
          : streamTransport(link, 9600);
      return new AaGateDriver({
        transport,
        ...(config.address === undefined ? {} : { address: config.address }),
        ...common,
      });
    }
    case 'flap-7e':
      return new FlapGateDriver({
        transport: streamTransport(config.link, 19_200),
        ...(config.machine === undefined ? {} : { machine: config.machine }),
        ...common,
      });
    case 'modbus-relay': {
      const link = config.link;
      return new ModbusRelayGateDriver({
        ...('serial' in link
          ? {
              path: link.serial.path,
              baudRate: link.serial.baudRate ?? 9600,
              ...(link.serial.parity ? { parity: link.serial.parity } : {}),
            }
          : { tcp: { host: link.tcp.host, port: link.tcp.port } }),
        ...(config.unitId === undefined ? {} : { unitId: config.unitId }),
        ...(config.entryCoil === undefined ? {} : { entryCoil: config.entryCoil }),
        ...(config.exitCoil === undefined ? {} : { exitCoil: config.exitCoil }),
        ...(config.pulseMs === undefined ? {} : { pulseMs: config.pulseMs }),
        ...(config.entrySensorInput === undefined ? {} : { entrySensorInput: config.entrySensorInput }),
        ...(config.exitSensorInput === undefined ? {} : { exitSensorInput: config.exitSensorInput }),
        ...common,
      });
    }
  }
}

export function createSourcesFromConfig(
  devices: Omit<Devices, 'gate'>,
  clock: Clock,
  logger: Logger,
): ManagedSource[] {
  const sources: ManagedSource[] = [];
  const reader = devices.idCardReader;
  if (reader) {
    sources.push(
      new IdCardReader({
        transport: streamTransport(reader, 115_200),
        name: reader.name ?? 'id-card-reader',
        ...(reader.pollIntervalMs ? { pollIntervalMs: reader.pollIntervalMs } : {}),
        logger,
      }),
    );
  }
  devices.scanners.forEach((scanner, index) => {
    const name = scanner.name ?? `scanner-${index + 1}`;
    const dedup = scanner.dedupWindowMs === undefined ? {} : { dedupWindowMs: scanner.dedupWindowMs };
    if (scanner.type === 'serial') {
      sources.push(
        new SerialScanner({ transport: streamTransport(scanner.link, 9600), name, clock, logger, ...dedup }),
      );
    } else {
      sources.push(
        new HidScanner({
          match: {
            ...(scanner.path ? { path: scanner.path } : {}),
            ...(scanner.vendorId === undefined ? {} : { vendorId: scanner.vendorId }),
            ...(scanner.productId === undefined ? {} : { productId: scanner.productId }),
          },
          ...(scanner.mode ? { mode: scanner.mode } : {}),
          name,
          clock,
          logger,
          ...dedup,
        }),
      );
    }
  });
  return sources;
}

/** A device link of the configuration as the locks and the start-up checks see it. */
export interface DeviceEndpoint {
  /** The device's name in `/health` (`aa-gate`, `id-card-reader`, `scanner-1`). */
  device: string;
  /**
   * What is locked: a serial or hidraw path. A network link has none: its device server arbitrates
   * its clients (many accept one at a time), and a host:port names no single device across machines.
   */
  lockKey?: string;
  /** For messages: `serial port /dev/ttyUSB0`, `tcp 10.0.0.7:4001`. */
  describe: string;
  serialPath?: string;
}

function linkEndpoint(device: string, link: Devices['gate']['link']): DeviceEndpoint {
  if ('serial' in link) {
    const path = link.serial.path;
    return { device, lockKey: path, describe: `serial port ${path}`, serialPath: path };
  }
  const [kind, where] = 'tcp' in link ? ['tcp', link.tcp] : ['udp', link.udp];
  return { device, describe: `${kind} ${where.host}:${where.port}` };
}

/** The devices of a terminal host's configuration: the gate daemon's have a gate, `xinyi serve`'s none. */
type HostDevices = Omit<Devices, 'gate'> & { gate?: Devices['gate'] };

/** Every device link the configuration names, by the device's name (the gate's when `gateName` is given). */
export function deviceEndpoints(devices: HostDevices, gateName?: string): DeviceEndpoint[] {
  const endpoints: DeviceEndpoint[] = [];
  if (devices.gate !== undefined && gateName !== undefined) {
    endpoints.push(linkEndpoint(gateName, devices.gate.link));
  }
  const reader = devices.idCardReader;
  if (reader) endpoints.push(linkEndpoint(reader.name ?? 'id-card-reader', reader));
  devices.scanners.forEach((scanner, index) => {
    const name = scanner.name ?? `scanner-${index + 1}`;
    if (scanner.type === 'serial') endpoints.push(linkEndpoint(name, scanner.link));
    else if (scanner.path !== undefined) {
      endpoints.push({ device: name, lockKey: scanner.path, describe: `HID device ${scanner.path}` });
    }
  });
  return endpoints;
}

/** The optional native modules the configured devices need, each loaded once at start. */
export function nativeModulesFor(devices: HostDevices): NativeModuleName[] {
  const modules = new Set<NativeModuleName>();
  const links: Devices['gate']['link'][] = [
    ...(devices.gate ? [devices.gate.link] : []),
    ...(devices.idCardReader ? [devices.idCardReader] : []),
  ];
  for (const scanner of devices.scanners) {
    if (scanner.type === 'serial') links.push(scanner.link);
    else modules.add('node-hid');
  }
  if (links.some((link) => 'serial' in link)) modules.add('serialport');
  if (devices.gate?.protocol === 'modbus-relay') modules.add('modbus-serial');
  return [...modules];
}
