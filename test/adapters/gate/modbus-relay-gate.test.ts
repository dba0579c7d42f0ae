// ModbusRelayGateDriver through modbus-serial, against the virtual relay board: over a socat PTY
// pair (the real serialport stack, as a terminal opens /dev/ttyUSB0) and over loopback TCP to the
// TCP device server (a serial device server in transparent mode).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  ModbusRelayGateDriver,
  type ModbusRelayGateOptions,
} from '../../../adapters/gate/modbus-relay-gate.js';
import { encodeWriteSingleCoil } from '../../../adapters/gate/modbus-rtu.js';
import { loadNativeModule } from '../../../adapters/native.js';
import type { Transport } from '../../../adapters/transport/transport.js';
import { isXinyiError, type XinyiError } from '../../../sdk/errors.js';
import type { GateAlarmEvent, GateDeviceState, PassageEvent } from '../../../sdk/gate/gate.js';
import { VirtualGateCore } from '../../../simulator/devices/virtual-gate-core.js';
import { VirtualModbusRelayBoard } from '../../../simulator/devices/virtual-modbus-relay.js';
import { startTcpDeviceServer, type TcpDeviceServer } from '../../../simulator/tcp-device-server.js';
import { attachOverPty, describeOverPty, ptyRigMissing } from '../../support/pty-rig.js';
import { until } from '../../support/until.js';
import { toHex } from '../id-card/helpers.js';

const loads = (name: string) =>
  loadNativeModule(name).then(
    () => true,
    () => false,
  );
const hasModbusSerial = await loads('modbus-serial');
const ptyUnavailable = await ptyRigMissing(['modbus-serial']);
const tcpUnavailable = hasModbusSerial ? undefined : 'modbus-serial is not installed';

const workDir = mkdtempSync(join(tmpdir(), 'xinyi-modbus-gate-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

async function rejection(promise: Promise<unknown>): Promise<XinyiError> {
  try {
    await promise;
  } catch (error) {
    if (isXinyiError(error)) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

const ON_0 = toHex(encodeWriteSingleCoil(1, 0, true));
const OFF_0 = toHex(encodeWriteSingleCoil(1, 0, false));
const ON_1 = toHex(encodeWriteSingleCoil(1, 1, true));
const OFF_1 = toHex(encodeWriteSingleCoil(1, 1, false));

interface Rig {
  board: VirtualModbusRelayBoard;
  core: VirtualGateCore;
  driver: ModbusRelayGateDriver;
  /** Every frame the board received, as hex, in order. */
  requests: string[];
  /** The FC05 writes among `requests`. */
  coilWrites(): string[];
  passages: PassageEvent[];
  alarms: GateAlarmEvent[];
  states: GateDeviceState[];
  close(): Promise<void>;
}

type Link = (
  board: VirtualModbusRelayBoard,
) => Promise<{ where: Pick<ModbusRelayGateOptions, 'path' | 'tcp'>; close(): Promise<void> }>;

const ptyLink: Link = async (board) => {
  const link = await attachOverPty(board, 9600);
  return {
    where: { path: link.hostPath },
    close: async () => {
      board.detach();
      await link.close();
    },
  };
};

const tcpLink: Link = async (board) => {
  const onConnection = (transport: Transport) => void board.attach(transport);
  let server: TcpDeviceServer = await startTcpDeviceServer({ onConnection });
  const port = server.port;
  // The serial device server restarting: every connection drops, then it listens again.
  board.on('unplug', () => void server.close());
  board.on('plug-in', async () => {
    server = await startTcpDeviceServer({ port, onConnection });
  });
  return {
    where: { tcp: { host: '127.0.0.1', port } },
    close: async () => {
      board.detach();
      await server.close();
    },
  };
};

async function rig(link: Link, options: Partial<ModbusRelayGateOptions> = {}): Promise<Rig> {
  const core = new VirtualGateCore({ motionMs: 20, passDelayMs: 60, openTimeoutMs: 1000, alarmMs: 200 });
  const board = new VirtualModbusRelayBoard({ core, sensorHoldMs: 80, alarmInputs: { fire: 7 } });
  const requests: string[] = [];
  board.on('request', ({ bytes }) => requests.push(toHex(bytes)));
  const { where, close } = await link(board);
  const driver = new ModbusRelayGateDriver({
    ...where,
    baudRate: 9600,
    pulseMs: 40,
    pollIntervalMs: 20,
    commandTimeoutMs: 200,
    alarmInputs: { 7: 'fire' },
    reconnect: { initialDelayMs: 20, maxDelayMs: 100 },
    ...options,
  });
  const r: Rig = {
    board,
    core,
    driver,
    requests,
    coilWrites: () => requests.filter((f) => f.startsWith('01 05')),
    passages: [],
    alarms: [],
    states: [],
    close: async () => {
      await driver.disconnect();
      await close();
      board.dispose();
    },
  };
  driver.onPassage((e) => r.passages.push(e));
  driver.onAlarm((e) => r.alarms.push(e));
  driver.onState((s) => r.states.push(s));
  return r;
}

function describeDriver(name: string, link: Link) {
  describe(`ModbusRelayGateDriver over ${name}`, () => {
    let current: Rig | undefined;
    // Closing takes milliseconds; a rig that cannot close fails here at once, not after the 180 s hook timeout.
    afterEach(async () => {
      const closing = current;
      current = undefined;
      await closing?.close();
    }, 10_000);
    const start = async (options?: Partial<ModbusRelayGateOptions>) => {
      current = await rig(link, options);
      return current;
    };

    it('open pulses the entry coil ON then OFF, with only status polls on the wire between', async () => {
      const r = await start();
      await r.driver.connect();
      await until(() => r.requests.length >= 2, 'polls');
      await r.driver.open('entry');
      expect(r.coilWrites()).toEqual([ON_0, OFF_0]);
      const between = r.requests.slice(r.requests.indexOf(ON_0) + 1, r.requests.indexOf(OFF_0));
      // Polls may read the sensors during the pulse; nothing else goes between ON and OFF.
      for (const request of between) expect(request).toMatch(/^01 02 /);
      expect(r.board.coils[0]).toBe(false);
      // Polls are FC02 reads covering the sensor inputs (0, 1) and the fire input (7).
      expect(r.requests[0]).toMatch(/^01 02 00 00 00 08 /);
    });

    it('open for two persons is two pulses', async () => {
      const r = await start();
      await r.driver.connect();
      await r.driver.open('exit', { count: 2 });
      expect(r.coilWrites()).toEqual([ON_1, OFF_1, ON_1, OFF_1]);
    });

    it("a passage through the gate becomes a 'passed' event and a counter", async () => {
      const r = await start();
      await r.driver.connect();
      await r.driver.open('entry');
      await until(() => r.passages.length > 0, 'passage');
      expect(r.passages).toEqual([{ kind: 'passed', direction: 'entry', count: 1, at: expect.any(String) }]);
      expect((await r.driver.status()).entryCount).toBe(1);
      expect(r.core.stats).toMatchObject({ opens: 1, passages: 1 });
    });

    it('hold is ON with no OFF; close is OFF (both ways without a direction)', async () => {
      const r = await start();
      await r.driver.connect();
      await r.driver.open('exit', { hold: true });
      expect(r.coilWrites()).toEqual([ON_1]);
      expect(r.board.coils[1]).toBe(true);
      expect(await r.driver.status()).toMatchObject({ state: 'open', direction: 'exit', held: true });
      await r.driver.close();
      expect(r.coilWrites()).toEqual([ON_1, OFF_0, OFF_1]);
      expect(r.board.coils[1]).toBe(false);
      expect((await r.driver.status()).state).toBe('unknown');
    });

    it('an alarm input raises and clears an alarm event', async () => {
      const r = await start();
      await r.driver.connect();
      await until(() => r.driver.lastStatus !== undefined, 'first poll');
      r.core.raiseAlarm('fire');
      await until(() => r.alarms.length === 1, 'alarm');
      expect(r.alarms[0]).toMatchObject({ alarm: 'fire', active: true });
      r.core.clearAlarm('fire');
      await until(() => r.alarms.length === 2, 'alarm cleared');
      expect(r.alarms[1]).toMatchObject({ alarm: 'fire', active: false });
    });

    it('the board loses power and comes back: reconnecting, ready again, and it opens', async () => {
      const r = await start();
      await r.driver.connect();
      await until(() => r.driver.lastStatus !== undefined, 'first poll');
      r.board.unplug(150);
      await until(() => r.driver.deviceState === 'reconnecting', 'reconnecting');
      await until(() => r.driver.deviceState === 'ready', 'ready again', 6000);
      expect(r.states).toEqual(['opening', 'ready', 'reconnecting', 'ready']);
      await r.driver.open('entry');
      await until(() => r.passages.length > 0, 'passage after reconnect');
      expect(r.passages[0]).toMatchObject({ kind: 'passed', direction: 'entry' });
    });

    it('a request on the wire when the board loses power fails at once and does not hold the link', async () => {
      // A reply timeout far beyond the test's: only the link going may end the request.
      const r = await start({ pollIntervalMs: 60_000, commandTimeoutMs: 60_000 });
      await r.driver.connect();
      await until(() => r.driver.lastStatus !== undefined, 'first poll');
      r.board.mute();
      const pending = rejection(r.driver.status());
      await until(() => r.board.stats.unheard === 1, 'the request on the wire');
      r.board.unplug();
      expect((await pending).code).toBe('DEVICE_DISCONNECTED');
      await until(() => r.driver.deviceState === 'reconnecting', 'reconnecting');
      r.board.mute(false);
      await r.board.plugIn();
      await until(() => r.driver.deviceState === 'ready', 'ready again');
      // Before, modbus-serial's destroy() left that request unsettled and every later one queued behind it.
      await r.driver.open('entry');
      expect(r.coilWrites()).toEqual([ON_0, OFF_0]);
    });

    it('the OFF is sent even when the ON went unanswered', async () => {
      const r = await start();
      await r.driver.connect();
      // Lose the reply to the ON itself, not to whichever poll comes first.
      r.board.on('request', function loseOn({ bytes }) {
        if (toHex(bytes) === ON_0) {
          r.board.injectFault({ kind: 'no-reply' });
          r.board.off('request', loseOn);
        }
      });
      const error = await rejection(r.driver.open('entry'));
      expect(error.code).toBe('DEVICE_TIMEOUT');
      expect(r.coilWrites()).toEqual([ON_0, OFF_0]);
      expect(r.board.coils[0]).toBe(false);
    });

    it('an OFF the board never heard is sent again before the next poll', async () => {
      const r = await start();
      await r.driver.connect();
      r.board.on('request', function muteAfterOn({ bytes }) {
        if (toHex(bytes) === ON_0) {
          r.board.mute();
          r.board.off('request', muteAfterOn);
        }
      });
      expect((await rejection(r.driver.open('entry'))).code).toBe('DEVICE_TIMEOUT');
      expect(r.board.coils[0]).toBe(true);
      r.board.mute(false);
      await until(() => !r.board.coils[0], 'relay released');
      expect(r.coilWrites()).toEqual([ON_0, OFF_0]);
    });

    it('disconnect() during a pulse waits for its OFF', async () => {
      const r = await start({ pulseMs: 150 });
      await r.driver.connect();
      const opening = r.driver.open('entry');
      await until(() => r.board.coils[0] === true, 'relay closed');
      await r.driver.disconnect();
      expect(r.coilWrites()).toEqual([ON_0, OFF_0]);
      expect(r.board.coils[0]).toBe(false);
      await opening;
    });

    it('a reply behind line noise is still read', async () => {
      const r = await start();
      await r.driver.connect();
      r.board.injectFault({ kind: 'garbage', times: 3 });
      await r.driver.open('exit');
      expect(r.coilWrites()).toEqual([ON_1, OFF_1]);
    });

    it('a coil the board does not have: DEVICE_STATUS with Modbus exception 02', async () => {
      const r = await start({ entryCoil: 8 });
      await r.driver.connect();
      const error = await rejection(r.driver.open('entry'));
      expect(error.code).toBe('DEVICE_STATUS');
      expect(error.details.exceptionCode).toBe(2);
    });

    it('a mute board: status() rejects with DEVICE_TIMEOUT', async () => {
      const r = await start({ pollIntervalMs: 1000 });
      await r.driver.connect();
      r.board.mute();
      expect((await rejection(r.driver.status())).code).toBe('DEVICE_TIMEOUT');
      r.board.mute(false);
      expect((await r.driver.status()).alarms).toEqual([]);
    });
  });
}

describeOverPty('ModbusRelayGateDriver over a socat PTY pair', ptyUnavailable, () =>
  describeDriver('a socat PTY pair', ptyLink),
);

if (!tcpUnavailable) describeDriver('loopback TCP', tcpLink);

describe.skipIf(tcpUnavailable !== undefined)(
  `ModbusRelayGateDriver link errors${tcpUnavailable ? ` (skipped: ${tcpUnavailable})` : ''}`,
  () => {
    it('connect() to a TCP port nobody listens on rejects with DEVICE_NOT_FOUND and returns to closed', async () => {
      const server = await startTcpDeviceServer({ onConnection: () => {} });
      const port = server.port;
      await server.close();
      const driver = new ModbusRelayGateDriver({ tcp: { host: '127.0.0.1', port } });
      expect((await rejection(driver.connect())).code).toBe('DEVICE_NOT_FOUND');
      expect(driver.deviceState).toBe('closed');
    });
  },
);

describe('ModbusRelayGateDriver options', () => {
  it.each<[string, Partial<ModbusRelayGateOptions>]>([
    ['neither path nor tcp', {}],
    ['both path and tcp', { path: '/dev/ttyUSB0', tcp: { host: 'localhost', port: 4001 } }],
    ['unit id 248', { path: '/dev/ttyUSB0', unitId: 248 }],
    ['the same coil both ways', { path: '/dev/ttyUSB0', entryCoil: 2, exitCoil: 2 }],
    ['a pulse of 0 ms', { path: '/dev/ttyUSB0', pulseMs: 0 }],
    ['an unknown alarm', { path: '/dev/ttyUSB0', alarmInputs: { 7: 'smoke' as 'fire' } }],
    ['a TCP port of 0', { tcp: { host: 'localhost', port: 0 } }],
  ])('%s → INVALID_OPTIONS', (_name, options) => {
    expect(() => new ModbusRelayGateDriver(options as ModbusRelayGateOptions)).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    );
  });

  it.skipIf(ptyUnavailable !== undefined)(
    'connect() to a serial port that does not exist: DEVICE_NOT_FOUND',
    async () => {
      const driver = new ModbusRelayGateDriver({ path: join(workDir, 'no-such-port') });
      expect((await rejection(driver.connect())).code).toBe('DEVICE_NOT_FOUND');
      expect(driver.deviceState).toBe('closed');
    },
  );
});
