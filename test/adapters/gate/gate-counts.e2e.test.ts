// Every gate driver against its virtual board at the DEFAULT timings of both (driver: 100 ms polls,
// 300 ms relay pulses; board: 150 ms motion, 400 ms to walk through, 300 ms sensor pulses):
// `open('exit', { count: 2 })` must count the two persons the board counted, and an alarm already
// on when the driver connects must be reported. The Modbus board once counted 2 where the driver
// saw 1 (no poll during the pulse train), and a fire contact made before connect was never reported.
import { afterEach, describe, expect, it } from 'vitest';
import { AA_GATE_SERIAL_BAUD_RATE } from '../../../adapters/gate/aa-frame.js';
import { AaGateDriver } from '../../../adapters/gate/aa-gate.js';
import { FLAP_BAUD_RATE } from '../../../adapters/gate/flap-7e.js';
import { FlapGateDriver } from '../../../adapters/gate/flap-gate.js';
import type { GateDriverBase } from '../../../adapters/gate/gate-driver.js';
import { ModbusRelayGateDriver } from '../../../adapters/gate/modbus-relay-gate.js';
import { loadNativeModule } from '../../../adapters/native.js';
import { createMemoryLink } from '../../../adapters/transport/memory-transport.js';
import type { Transport } from '../../../adapters/transport/transport.js';
import type { GateAlarmEvent, PassageEvent } from '../../../sdk/gate/gate.js';
import { VirtualAaGateBoard } from '../../../simulator/devices/virtual-aa-gate.js';
import { VirtualFlapGateBoard } from '../../../simulator/devices/virtual-flap-gate.js';
import type { VirtualGateCore } from '../../../simulator/devices/virtual-gate-core.js';
import { VirtualModbusRelayBoard } from '../../../simulator/devices/virtual-modbus-relay.js';
import { startTcpDeviceServer } from '../../../simulator/tcp-device-server.js';
import { until } from '../../support/until.js';

const hasModbusSerial = await loadNativeModule('modbus-serial').then(
  () => true,
  () => false,
);

interface Rig {
  driver: GateDriverBase;
  core: VirtualGateCore;
  close(): Promise<void>;
}

/** Each board with its default timing, on the link it is usually reached through. */
const boards: Array<[string, () => Promise<Rig>]> = [
  [
    'AA-frame board (9600 baud)',
    async () => {
      const link = createMemoryLink({ baudRate: AA_GATE_SERIAL_BAUD_RATE });
      const board = new VirtualAaGateBoard();
      await board.attach(link.device);
      const driver = new AaGateDriver({ transport: link.host, address: board.address });
      return { driver, core: board.core, close: async () => board.dispose() };
    },
  ],
  [
    '7E/7F flap board (19200 baud)',
    async () => {
      const link = createMemoryLink({ baudRate: FLAP_BAUD_RATE });
      const board = new VirtualFlapGateBoard();
      await board.attach(link.device);
      const driver = new FlapGateDriver({ transport: link.host });
      return {
        driver,
        core: board.core,
        close: async () => {
          board.detach();
          board.core.dispose();
        },
      };
    },
  ],
];
if (hasModbusSerial) {
  boards.push([
    'Modbus RTU relay board (TCP device server)',
    async () => {
      const board = new VirtualModbusRelayBoard({ alarmInputs: { fire: 7 } });
      const server = await startTcpDeviceServer({ onConnection: (t: Transport) => void board.attach(t) });
      const driver = new ModbusRelayGateDriver({
        tcp: { host: '127.0.0.1', port: server.port },
        alarmInputs: { 7: 'fire' },
      });
      return {
        driver,
        core: board.core,
        close: async () => {
          board.detach();
          await server.close();
          board.dispose();
        },
      };
    },
  ]);
}

describe.each(boards)('%s at default timings', (_name, make) => {
  let rig: Rig | undefined;
  afterEach(async () => {
    await rig?.driver.disconnect();
    await rig?.close();
    rig = undefined;
  });

  it("open('exit', { count: 2 }) counts the two persons the board let through", async () => {
    rig = await make();
    const passages: PassageEvent[] = [];
    rig.driver.onPassage((e) => passages.push(e));
    await rig.driver.connect();
    await until(() => rig!.driver.lastStatus !== undefined, 'the first poll');
    await rig.driver.open('exit', { count: 2 });
    await until(() => rig!.core.stats.passages === 2, 'two persons through the board');
    const counted = () =>
      passages.reduce((n, e) => n + (e.kind === 'passed' && e.direction === 'exit' ? e.count : 0), 0);
    // The board's counters are read by the next polls (the relay board's sensor pulses last 300 ms).
    await until(() => counted() === 2, 'the driver to count them', 3000);
    expect(passages.filter((e) => e.kind !== 'passed')).toEqual([]);
  });

  it('an alarm already on when the driver connects is reported', async () => {
    rig = await make();
    const alarms: GateAlarmEvent[] = [];
    rig.driver.onAlarm((e) => alarms.push(e));
    rig.core.raiseAlarm('fire');
    await rig.driver.connect();
    await until(() => alarms.length > 0, 'the alarm');
    expect(alarms[0]).toMatchObject({ alarm: 'fire', active: true });
    rig.core.clearAlarm('fire');
    await until(() => alarms.length > 1, 'the alarm to clear');
    expect(alarms[1]).toMatchObject({ alarm: 'fire', active: false });
  });
});
