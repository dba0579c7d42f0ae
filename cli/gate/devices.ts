import { AaGateDriver } from '../../adapters/gate/aa-gate.js';
import { FlapGateDriver } from '../../adapters/gate/flap-gate.js';
import { ModbusRelayGateDriver } from '../../adapters/gate/modbus-relay-gate.js';
import { IdCardReader } from '../../adapters/id-card/reader.js';
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

export function createSourcesFromConfig(devices: Devices, clock: Clock, logger: Logger): ManagedSource[] {
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
