// `node --import tsx bench/gate-counts.bench.ts` (also in `npm run bench`): each gate driver against its
// virtual board at the DEFAULT timings of both. Figures: persons the driver counted against persons
// the board let through for `open('exit', { count: 2 })`, and how long an open waits for the link
// while health checks (`status()`) queue behind the poll on the wire. Baseline: the board's own count,
// and one poll round trip (what an open may wait at most).
import { performance } from 'node:perf_hooks';
import { AA_GATE_SERIAL_BAUD_RATE } from '../adapters/gate/aa-frame.js';
import { AaGateDriver } from '../adapters/gate/aa-gate.js';
import { FLAP_BAUD_RATE } from '../adapters/gate/flap-7e.js';
import { FlapGateDriver } from '../adapters/gate/flap-gate.js';
import type { GateDriverBase } from '../adapters/gate/gate-driver.js';
import { ModbusRelayGateDriver } from '../adapters/gate/modbus-relay-gate.js';
import { createMemoryLink } from '../adapters/transport/memory-transport.js';
import type { Transport } from '../adapters/transport/transport.js';
import type { PassageEvent } from '../sdk/gate/gate.js';
import { VirtualAaGateBoard } from '../simulator/devices/virtual-aa-gate.js';
import { VirtualFlapGateBoard } from '../simulator/devices/virtual-flap-gate.js';
import type { VirtualGateCore } from '../simulator/devices/virtual-gate-core.js';
import { VirtualModbusRelayBoard } from '../simulator/devices/virtual-modbus-relay.js';
import { startTcpDeviceServer } from '../simulator/tcp-device-server.js';
import { until } from '../test/support/until.js';
import { type BenchResult, type Figure, figure, runAlone, single, summarize } from './harness.js';

const OPENINGS = 8;
const QUEUED_CHECKS = 3;

interface Rig {
  driver: GateDriverBase;
  core: VirtualGateCore;
  /** Resolves when the board next sees an open command (an FC05 ON, an open frame). */
  nextOpen(): Promise<void>;
  close(): Promise<void>;
}

const boards: Array<[key: string, name: string, make: () => Promise<Rig>]> = [
  [
    'aa',
    'AA-frame, 9600 baud',
    async () => {
      const link = createMemoryLink({ baudRate: AA_GATE_SERIAL_BAUD_RATE });
      const board = new VirtualAaGateBoard();
      await board.attach(link.device);
      return {
        driver: new AaGateDriver({ transport: link.host, address: board.address }),
        core: board.core,
        nextOpen: () => new Promise((resolve) => board.core.once('open-command', () => resolve())),
        close: async () => board.dispose(),
      };
    },
  ],
  [
    'flap',
    '7E/7F flap, 19200 baud',
    async () => {
      const link = createMemoryLink({ baudRate: FLAP_BAUD_RATE });
      const board = new VirtualFlapGateBoard();
      await board.attach(link.device);
      return {
        driver: new FlapGateDriver({ transport: link.host }),
        core: board.core,
        nextOpen: () => new Promise((resolve) => board.core.once('open-command', () => resolve())),
        close: async () => {
          board.detach();
          board.core.dispose();
        },
      };
    },
  ],
  [
    'modbus',
    'Modbus relay, TCP',
    async () => {
      const board = new VirtualModbusRelayBoard();
      const server = await startTcpDeviceServer({ onConnection: (t: Transport) => void board.attach(t) });
      return {
        driver: new ModbusRelayGateDriver({ tcp: { host: '127.0.0.1', port: server.port } }),
        core: board.core,
        nextOpen: () => new Promise((resolve) => board.core.once('open-command', () => resolve())),
        close: async () => {
          board.detach();
          await server.close();
          board.dispose();
        },
      };
    },
  ],
];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runGateCountsBench(): Promise<BenchResult> {
  const figures: Figure[] = [];
  for (const [key, name, make] of boards) {
    const rig = await make();
    const passages: PassageEvent[] = [];
    rig.driver.onPassage((e) => passages.push(e));
    await rig.driver.connect();
    await until(() => rig.driver.lastStatus !== undefined, `${name}: the first status`);
    const openMs: number[] = [];
    const pollMs: number[] = [];
    for (let i = 0; i < OPENINGS; i++) {
      const pollStarted = performance.now();
      await rig.driver.status();
      pollMs.push(performance.now() - pollStarted);
      const before = rig.core.stats.passages;
      const checks = Array.from({ length: QUEUED_CHECKS }, () => rig.driver.status());
      const seen = rig.nextOpen();
      const started = performance.now();
      const opening = rig.driver.open('exit', { count: 2 });
      await seen;
      openMs.push(performance.now() - started);
      await Promise.all([opening, ...checks]);
      await until(() => rig.core.stats.passages >= before + 2, `${name}: two passages`);
      // The next opening once the barrier has closed again and the driver has polled it closed.
      await until(() => rig.core.snapshot().phase === 'closed', `${name}: the barrier closed`);
      await sleep(400);
    }
    const counted = passages.reduce((n, e) => n + (e.kind === 'passed' ? e.count : 0), 0);
    figures.push(
      figure(`gate-counts.${key}.counted`, `${name}: persons counted`, 'persons', single(counted), {
        label: 'persons the board let through',
        ...single(rig.core.stats.passages),
      }),
      figure(
        `gate-counts.${key}.open-wait`,
        `${name}: open → board, ${QUEUED_CHECKS} status() queued`,
        'ms',
        summarize(openMs),
        { label: 'one poll round trip', ...summarize(pollMs) },
      ),
    );
    await rig.driver.disconnect();
    await rig.close();
  }
  return {
    bench: 'gate-counts',
    title: `gate drivers at default timings, ${OPENINGS} × open('exit', { count: 2 }) per board`,
    figures,
    notes: [
      'driver: 100 ms polls, 300 ms pulses; board: 150 ms motion, 400 ms to pass, 300 ms sensor pulses (the virtual boards)',
      `persons counted: passages the driver reported against the board's own count (ratio 1× = none missed)`,
      `open → board: from open() to the board seeing the command, with ${QUEUED_CHECKS} status() health checks ` +
        `queued behind the poll on the wire; rounds: the ${OPENINGS} openings. An open waits at most for the ` +
        'request already on the wire (one poll round trip) plus its own wire time (an AA frame is 17 ms at 9600 baud)',
    ],
  };
}

await runAlone(import.meta.url, runGateCountsBench);
