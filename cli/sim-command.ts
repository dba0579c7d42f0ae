import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { SerialTransport } from '../adapters/transport/serial-transport.js';
import { XinyiError } from '../sdk/errors.js';
import { maskIdNumber } from '../sdk/identity/index.js';
import { VirtualIdCardReader, type VirtualIdCardReaderFault } from '../simulator/devices/index.js';
import { generatePopulation } from '../simulator/population.js';
import { createPtyPair, isSocatAvailable, type PtyPair } from '../simulator/pty.js';
import { startTcpDeviceServer, type TcpDeviceServer } from '../simulator/tcp-device-server.js';
import { siteCommand } from './site-command.js';
import { usageError } from './usage.js';

const FAULTS: Record<string, (on?: string) => VirtualIdCardReaderFault> = {
  garbage: (on) => ({ kind: 'garbage', on: (on ?? 'any') as never }),
  'bad-checksum': (on) => ({ kind: 'bad-checksum', on: (on ?? 'read') as never }),
  'checksum-blind-damage': (on) => ({ kind: 'checksum-blind-damage', on: (on ?? 'readBase') as never }),
  slow: (on) => ({ kind: 'slow', delayMs: 5_000, on: (on ?? 'read') as never }),
  'no-reply': (on) => ({ kind: 'no-reply', on: (on ?? 'read') as never }),
  'card-pulled-mid-read': () => ({ kind: 'card-pulled-mid-read' }),
  unplug: () => ({ kind: 'unplug', forMs: 2_000 }),
  'read-failed': (on) => ({ kind: 'status', sw3: 0x41, on: (on ?? 'read') as never }),
  'auth-failed': (on) => ({ kind: 'status', sw3: 0x31, on: (on ?? 'read') as never }),
  'sam-fault': () => ({ kind: 'status', sw3: 0x60, on: 'any', persistent: true }),
};

/** `xinyi sim`: runs until `quit`, the end of stdin with nothing exposed, or SIGINT/SIGTERM. */
export async function simCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      pty: { type: 'boolean' },
      tcp: { type: 'string' },
      seed: { type: 'string' },
      people: { type: 'string' },
      site: { type: 'string' },
      'platform-port': { type: 'string' },
      'http-port': { type: 'string' },
      ui: { type: 'boolean' },
      port: { type: 'string' },
      scenario: { type: 'string' },
      'no-lane': { type: 'boolean' },
      lanes: { type: 'string' },
      redis: { type: 'string' },
    },
    strict: true,
  });
  if (values.site !== undefined || values.ui || values.scenario !== undefined) {
    return siteCommand({
      dir: values.site,
      platformPort: values['platform-port'],
      httpPort: values['http-port'],
      seed: values.seed,
      people: values.people,
      ui: values.ui,
      port: values.port,
      scenario: values.scenario,
      lane: !values['no-lane'],
      lanes: values.lanes,
      redis: values.redis,
    });
  }
  if (values.lanes !== undefined || values.redis !== undefined) {
    throw usageError('sim', '--lanes and --redis go with --site DIR (or --ui, --scenario)');
  }
  if (!values.pty && values.tcp === undefined) {
    throw usageError('sim', 'give --pty, --tcp PORT or both, or --site DIR');
  }
  const people = generatePopulation(Number(values.people ?? 20), values.seed ?? 'xinyi-sim');
  const device = new VirtualIdCardReader();
  device.on('command', (e) => console.log(`  ← ${e.name}`));
  device.on('response', (e) =>
    console.log(
      `  → sw3 0x${e.sw3.toString(16)} (${e.bytes} bytes)${e.faults.length ? ` faults: ${e.faults.join(',')}` : ''}`,
    ),
  );

  let pair: PtyPair | undefined;
  let server: TcpDeviceServer | undefined;
  if (values.pty) {
    if (!isSocatAvailable()) {
      throw new XinyiError(
        'SYSTEM_PROGRAM_UNAVAILABLE',
        'xinyi sim --pty needs socat: apt-get install socat',
        {
          details: { program: 'socat' },
        },
      );
    }
    pair = await createPtyPair();
    const paths = { devicePath: pair.devicePath, hostPath: pair.hostPath };
    const end = new SerialTransport({ path: pair.devicePath });
    // Pulling the cable of a PTY is killing socat; plugging it back is a new pair on the same paths.
    device.on('unplug', () => void pair?.close());
    device.on('plug-in', async () => {
      pair = await createPtyPair(paths);
      await device.attach(end);
    });
    await device.attach(end);
    console.log(`pty ${pair.hostPath}  (open it at 115200 8N1)`);
  }
  if (values.tcp !== undefined) {
    server = await startTcpDeviceServer({
      port: Number(values.tcp),
      onConnection: (t) => void device.attach(t),
    });
    console.log(`tcp 127.0.0.1:${server.port}`);
  }

  let next = 0;
  const stop = async () => {
    device.detach();
    await server?.close();
    await pair?.close();
  };
  await new Promise<void>((resolve) => {
    const lines = createInterface({ input: process.stdin });
    const finish = () => {
      lines.close();
      // readline leaves stdin open, which would keep the process alive after `quit`.
      process.stdin.destroy();
      resolve();
    };
    process.once('SIGINT', finish);
    process.once('SIGTERM', finish);
    lines.on('line', (line) => {
      const [command, arg, on] = line.trim().split(/\s+/);
      switch (command) {
        case 'tap': {
          const index = arg === undefined ? next++ % people.length : Number(arg);
          const person = people[index];
          if (!person) {
            console.log(`no person ${arg}; there are ${people.length}`);
            break;
          }
          device.placeCard(person);
          console.log(`card ${index} placed: ${maskIdNumber(person.idNumber)} (${person.tier})`);
          break;
        }
        case 'remove':
          device.removeCard();
          console.log('card removed');
          break;
        case 'fault': {
          const make = arg === undefined ? undefined : FAULTS[arg];
          if (!make) {
            console.log(`faults: ${Object.keys(FAULTS).join(', ')}`);
            break;
          }
          device.injectFault(make(on));
          console.log(`fault ${arg} armed`);
          break;
        }
        case 'people':
          for (const [i, p] of people.entries()) {
            console.log(`${String(i).padStart(3)}  ${maskIdNumber(p.idNumber)}  ${p.tier}`);
          }
          break;
        case 'quit':
          finish();
          break;
        case undefined:
        case '':
          break;
        default:
          console.log('commands: tap [N] | remove | fault KIND [ON] | people | quit');
      }
    });
  });
  await stop();
}
