import { afterEach, describe, expect, it } from 'vitest';
import {
  AA_GATE_SERIAL_BAUD_RATE,
  type AaFrame,
  AaFrameDecoder,
  decodeAaCommand,
  encodeAaStatusReply,
} from '../../../adapters/gate/aa-frame.js';
import { AaGateDriver, type AaGateDriverOptions } from '../../../adapters/gate/aa-gate.js';
import { createMemoryLink, type MemoryLink } from '../../../adapters/transport/memory-transport.js';
import { SerialTransport } from '../../../adapters/transport/serial-transport.js';
import { TcpTransport } from '../../../adapters/transport/tcp-transport.js';
import type { Transport } from '../../../adapters/transport/transport.js';
import { UdpTransport } from '../../../adapters/transport/udp-transport.js';
import { isXinyiError, type XinyiError } from '../../../sdk/errors.js';
import type { GateAlarmEvent, GateDeviceState, PassageEvent } from '../../../sdk/gate/gate.js';
import {
  VirtualAaGateBoard,
  type VirtualAaGateBoardOptions,
} from '../../../simulator/devices/virtual-aa-gate.js';
import { startTcpDeviceServer } from '../../../simulator/tcp-device-server.js';
import { startUdpDeviceServer } from '../../../simulator/udp-device-server.js';
import { attachOverPty, describeOverPty, ptyRigMissing } from '../../support/pty-rig.js';
import { until } from '../../support/until.js';
import { toHex } from '../id-card/helpers.js';

const TIMING = { motionMs: 20, passDelayMs: 40, openTimeoutMs: 120, alarmMs: 80 };
const DRIVER_OPTIONS = {
  pollIntervalMs: 10,
  commandTimeoutMs: 150,
  maxMissedPolls: 3,
  reconnect: { initialDelayMs: 20, maxDelayMs: 100 },
} satisfies Partial<AaGateDriverOptions>;

const ptyUnavailable = await ptyRigMissing();

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface GateRig {
  board: VirtualAaGateBoard;
  driver: AaGateDriver;
  passages: PassageEvent[];
  alarms: GateAlarmEvent[];
  states: GateDeviceState[];
  close(): Promise<void>;
}

interface RigOptions {
  board?: VirtualAaGateBoardOptions;
  driver?: Partial<Omit<AaGateDriverOptions, 'transport'>>;
}

type RigFactory = (options?: RigOptions) => Promise<GateRig>;

function makeRig(
  board: VirtualAaGateBoard,
  transport: Transport,
  options: RigOptions,
  release: () => Promise<void>,
): GateRig {
  const driver = new AaGateDriver({ ...DRIVER_OPTIONS, ...options.driver, transport });
  const rig: GateRig = {
    board,
    driver,
    passages: [],
    alarms: [],
    states: [],
    close: async () => {
      await driver.disconnect();
      board.dispose();
      await release();
    },
  };
  driver.onPassage((event) => rig.passages.push(event));
  driver.onAlarm((event) => rig.alarms.push(event));
  driver.onState((state) => rig.states.push(state));
  return rig;
}

function newBoard(options: RigOptions): VirtualAaGateBoard {
  return new VirtualAaGateBoard({ timing: TIMING, replyDelayMs: 1, selfTestMs: 30, ...options.board });
}

const memoryRig: RigFactory = async (options = {}) => {
  const link = createMemoryLink();
  const board = newBoard(options);
  board.on('unplug', () => link.unplug());
  board.on('plug-in', () => link.plugIn());
  await board.attach(link.device);
  return makeRig(board, link.host, options, async () => {});
};

const ptyRig: RigFactory = async (options = {}) => {
  const board = newBoard(options);
  const link = await attachOverPty(board, AA_GATE_SERIAL_BAUD_RATE);
  const host = new SerialTransport({ path: link.hostPath, baudRate: AA_GATE_SERIAL_BAUD_RATE });
  return makeRig(board, host, options, () => link.close());
};

const tcpRig: RigFactory = async (options = {}) => {
  const board = newBoard(options);
  const server = await startTcpDeviceServer({ onConnection: (transport) => void board.attach(transport) });
  // The board's network module goes down with it: its connection drops.
  board.on('unplug', () => void board.transport?.close());
  const host = new TcpTransport({ host: '127.0.0.1', port: server.port });
  return makeRig(board, host, options, () => server.close());
};

const udpRig: RigFactory = async (options = {}) => {
  const board = newBoard(options);
  const server = await startUdpDeviceServer();
  // Nothing to disconnect over UDP: the board just goes silent.
  await board.attach(server.transport);
  const host = new UdpTransport({ host: '127.0.0.1', port: server.port });
  return makeRig(board, host, options, () => server.close());
};

function passagesOf(rig: GateRig, kind: PassageEvent['kind']): PassageEvent[] {
  return rig.passages.filter((p) => p.kind === kind);
}

function describeAaGateScenarios(name: string, factory: RigFactory): void {
  describe(`AaGateDriver with the virtual board over ${name}`, () => {
    let rig: GateRig | undefined;
    const start = async (options?: RigOptions) => {
      rig = await factory(options);
      await rig.driver.connect();
      await until(() => rig!.driver.lastStatus !== undefined, 'the first status');
      return rig;
    };
    afterEach(async () => {
      await rig?.close();
      rig = undefined;
    });

    it('opens for entry and reports the person through', async () => {
      const r = await start();
      expect(r.driver.deviceState).toBe('ready');
      await r.driver.open('entry');
      await until(() => r.passages.length === 1, 'the passage');
      expect(r.passages[0]).toMatchObject({ kind: 'passed', direction: 'entry', count: 1 });
      expect(r.board.core.stats).toMatchObject({ opens: 1, passages: 1 });
      expect((await r.driver.status()).entryCount).toBe(1);
    });

    it('opens for two persons out and counts both', async () => {
      const r = await start();
      await r.driver.open('exit', { count: 2 });
      await until(() => r.board.core.stats.passages === 2, 'two persons through');
      await until(
        () => passagesOf(r, 'passed').reduce((n, p) => n + (p.kind === 'passed' ? p.count : 0), 0) === 2,
        'two counted',
      );
      expect(r.passages.every((p) => p.direction === 'exit')).toBe(true);
    });

    it('reports not-passed when nobody comes', async () => {
      const r = await start();
      r.board.core.queueBehaviour('no-pass');
      await r.driver.open('entry');
      await until(() => r.passages.length === 1, 'the end of the opening');
      expect(r.passages[0]).toMatchObject({ kind: 'not-passed', direction: 'entry' });
    });

    it('reports a tailgate as two persons through and a tailgating alarm', async () => {
      const r = await start();
      r.board.core.queueBehaviour('tailgate');
      await r.driver.open('entry');
      await until(() => r.passages.length === 1, 'the passage');
      expect(r.passages[0]).toMatchObject({ kind: 'passed', direction: 'entry', count: 2 });
      await until(() => r.alarms.some((a) => a.alarm === 'tailgating' && !a.active), 'the alarm to clear');
      expect(r.alarms.filter((a) => a.alarm === 'tailgating').map((a) => a.active)).toEqual([true, false]);
    });

    it('reports a person who steps back out as pushed-back', async () => {
      const r = await start();
      r.board.core.queueBehaviour('push-back');
      await r.driver.open('exit');
      await until(() => r.passages.length === 1, 'the end of the opening');
      expect(r.passages[0]).toMatchObject({ kind: 'pushed-back', direction: 'exit' });
      expect(r.alarms).toContainEqual(expect.objectContaining({ alarm: 'reverse', active: true }));
    });

    it('rides out the board losing power: reconnecting, then ready, and it keeps working', async () => {
      const r = await start();
      // Long enough for maxMissedPolls timeouts, the only sign of a dead board over UDP.
      r.board.injectFault({ kind: 'unplug', forMs: 800 });
      await until(() => r.states.includes('reconnecting'), 'reconnecting');
      await until(() => r.board.powered, 'power back');
      await until(() => r.driver.deviceState === 'ready', 'ready again');
      let status = await r.driver.status().catch(() => undefined);
      while (status === undefined) {
        await until(() => r.driver.deviceState === 'ready', 'ready again');
        status = await r.driver.status().catch(() => undefined);
      }
      await r.driver.open('entry');
      await until(() => r.passages.length === 1, 'a passage after the power cut');
      expect(r.passages[0]).toMatchObject({ kind: 'passed', direction: 'entry', count: 1 });
      expect(r.driver.deviceState).toBe('ready');
    });

    it('still works with garbage before every reply', async () => {
      const r = await start();
      r.board.injectFault({ kind: 'garbage', persistent: true });
      await r.driver.open('entry');
      await until(() => r.passages.length === 1, 'the passage');
      expect(r.passages[0]).toMatchObject({ kind: 'passed', count: 1 });
      expect(r.driver.stats.frameErrors).toBeGreaterThan(0);
      expect(r.states).not.toContain('reconnecting');
    });
  });
}

describeAaGateScenarios('the in-memory link', memoryRig);
describeAaGateScenarios('loopback TCP', tcpRig);
describeAaGateScenarios('loopback UDP', udpRig);

describeOverPty('AaGateDriver over a socat PTY pair', ptyUnavailable, () =>
  describeAaGateScenarios('a socat PTY (serialport, 9600 8N1)', ptyRig),
);

/** A scripted board on the far end of a memory link: records frames and answers as told. */
interface RawBoard {
  link: MemoryLink;
  frames: AaFrame[];
  /** Bytes to answer a status query with; undefined stays mute. */
  answer: (query: AaFrame) => Buffer | undefined;
}

async function rawBoard(): Promise<RawBoard> {
  const link = createMemoryLink();
  const decoder = new AaFrameDecoder();
  const raw: RawBoard = {
    link,
    frames: [],
    answer: () => encodeAaStatusReply({ stateCode: 0, entryCount: 258, exitCount: 3 }, { source: 0x0b }),
  };
  link.device.on('data', (chunk) => {
    for (const item of decoder.push(chunk)) {
      if (isXinyiError(item)) continue;
      raw.frames.push(item);
      if (decodeAaCommand(item)?.action !== 'query-status') continue;
      const reply = raw.answer(item);
      if (reply) void link.device.write(reply);
    }
  });
  await link.device.open();
  return raw;
}

/** The 16 bytes of a frame the raw board received. */
function bytesOf(frame: AaFrame): string {
  const bytes = Buffer.alloc(16);
  bytes.set([0xaa, 0x00, frame.source, frame.cid1, frame.cid2, frame.destination, 0x08], 0);
  bytes.set(frame.data, 7);
  let sum = 0;
  for (let i = 1; i < 15; i++) sum += bytes[i]!;
  bytes[15] = sum & 0xff;
  return toHex(bytes);
}

function commandsOf(raw: RawBoard): string[] {
  return raw.frames.filter((f) => decodeAaCommand(f)?.action !== 'query-status').map(bytesOf);
}

describe('AaGateDriver on the wire', () => {
  const drivers: AaGateDriver[] = [];
  afterEach(async () => {
    for (const driver of drivers.splice(0)) await driver.disconnect();
  });
  const driverFor = (transport: Transport, options: Partial<AaGateDriverOptions> = {}) => {
    const driver = new AaGateDriver({ ...DRIVER_OPTIONS, ...options, transport });
    drivers.push(driver);
    return driver;
  };

  it('polls with the reference status query and reads the sample reply', async () => {
    const raw = await rawBoard();
    const driver = driverFor(raw.link.host);
    await driver.connect();
    expect(await driver.status()).toEqual({
      state: 'closed',
      entryCount: 258,
      exitCount: 3,
      alarms: [],
      rawState: 0,
    });
    expect(bytesOf(raw.frames[0]!)).toBe('AA 00 01 02 00 0B 08 FF 00 00 00 00 00 00 00 15');
  });

  it('sends the reference frames for open, hold-open and close, broadcast by default, without waiting for an ack', async () => {
    const raw = await rawBoard();
    const driver = driverFor(raw.link.host);
    await driver.connect();
    await driver.open('entry');
    await driver.open('exit', { count: 1 });
    await driver.open('entry', { hold: true });
    await driver.open('exit', { hold: true });
    await driver.close();
    await driver.close('exit');
    await driver.close('entry');
    await until(() => commandsOf(raw).length === 8, 'eight commands');
    expect(commandsOf(raw)).toEqual([
      'AA 00 01 02 00 00 08 00 00 00 00 00 00 00 00 0B',
      'AA 00 01 02 00 00 08 00 03 01 00 00 00 00 00 0F',
      'AA 00 01 02 00 00 08 00 01 00 00 00 00 00 00 0C',
      'AA 00 01 02 00 00 08 00 04 00 00 00 00 00 00 0F',
      'AA 00 01 02 00 00 08 00 02 00 00 00 00 00 00 0D',
      'AA 00 01 02 00 00 08 00 05 00 00 00 00 00 00 10',
      'AA 00 01 02 00 00 08 00 05 00 00 00 00 00 00 10',
      'AA 00 01 02 00 00 08 00 02 00 00 00 00 00 00 0D',
    ]);
  });

  it('addresses commands and queries as configured', async () => {
    const raw = await rawBoard();
    raw.answer = () => encodeAaStatusReply({ stateCode: 0, entryCount: 0, exitCount: 0 }, { source: 0x21 });
    const driver = driverFor(raw.link.host, {
      address: 0x21,
      hostAddress: 0x05,
      commandDestination: 'address',
    });
    await driver.connect();
    await driver.open('exit', { count: 3 });
    await until(() => commandsOf(raw).length === 1, 'the command');
    expect(commandsOf(raw)).toEqual(['AA 00 05 02 00 21 08 00 03 03 00 00 00 00 00 36']);
    expect(bytesOf(raw.frames[0]!)).toBe('AA 00 05 02 00 21 08 FF 00 00 00 00 00 00 00 2F');
    expect((await driver.status()).state).toBe('closed');
  });

  it('refuses an entry opening for more than one person, and an exit count beyond a byte, sending nothing', async () => {
    const raw = await rawBoard();
    const driver = driverFor(raw.link.host);
    await driver.connect();
    await expect(driver.open('entry', { count: 2 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(driver.open('exit', { count: 256 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await sleep(20);
    expect(commandsOf(raw)).toEqual([]);
    expect(driver.deviceState).toBe('ready');
  });

  it('ignores replies from another board and frames nobody asked for', async () => {
    const raw = await rawBoard();
    const other = encodeAaStatusReply({ stateCode: 0x62, entryCount: 9, exitCount: 9 }, { source: 0x0c });
    const ours = encodeAaStatusReply({ stateCode: 0x06, entryCount: 1, exitCount: 0 }, { source: 0x0b });
    raw.answer = () => Buffer.concat([other, ours]);
    const driver = driverFor(raw.link.host, { pollIntervalMs: 10_000 });
    await driver.connect();
    await raw.link.device.write(ours);
    expect(await driver.status()).toMatchObject({ state: 'open', direction: 'entry', entryCount: 1 });
    expect(driver.stats.strayFrames).toBeGreaterThanOrEqual(2);
  });

  it('keeps working with a board that also answers every command', async () => {
    const rig = await memoryRig({ board: { replyToCommands: true } });
    try {
      await rig.driver.connect();
      await rig.driver.open('entry');
      await until(() => rig.passages.length === 1, 'the entry passage');
      await rig.driver.close('exit');
      await rig.driver.open('exit');
      await until(() => rig.passages.length === 2, 'the exit passage');
      expect(rig.passages.map((p) => [p.kind, p.direction])).toEqual([
        ['passed', 'entry'],
        ['passed', 'exit'],
      ]);
    } finally {
      await rig.close();
    }
  });

  it('times a status query out with DEVICE_TIMEOUT', async () => {
    const raw = await rawBoard();
    raw.answer = () => undefined;
    const driver = driverFor(raw.link.host, { pollIntervalMs: 10_000, commandTimeoutMs: 30 });
    await driver.connect();
    const error = await driver.status().catch((e: unknown) => e);
    expect(isXinyiError(error, 'DEVICE_TIMEOUT')).toBe(true);
    expect(driver.stats.timeouts).toBeGreaterThanOrEqual(1);
  });

  it('rides out fewer unanswered polls than maxMissedPolls without reconnecting', async () => {
    const rig = await memoryRig();
    try {
      await rig.driver.connect();
      rig.board.injectFault({ kind: 'no-reply', times: 2 });
      await until(() => rig.board.stats.faultsApplied['no-reply'] === 2, 'two mute polls');
      await until(() => rig.board.stats.repliesSent >= 3, 'replies again');
      expect(rig.states).toEqual(['opening', 'ready']);
    } finally {
      await rig.close();
    }
  });

  it('takes maxMissedPolls unanswered polls as a lost link and reopens it', async () => {
    const rig = await memoryRig();
    try {
      await rig.driver.connect();
      rig.board.injectFault({ kind: 'no-reply', times: 3 });
      await until(() => rig.states.includes('reconnecting'), 'reconnecting');
      await until(() => rig.driver.deviceState === 'ready', 'ready again');
      expect(rig.states).toEqual(['opening', 'ready', 'reconnecting', 'ready']);
    } finally {
      await rig.close();
    }
  });

  it('fails connect() with DEVICE_NOT_FOUND when the link is unplugged, and goes back to closed', async () => {
    const link = createMemoryLink();
    link.unplug();
    const driver = driverFor(link.host);
    const error = await driver.connect().catch((e: unknown) => e);
    expect(isXinyiError(error, 'DEVICE_NOT_FOUND')).toBe(true);
    expect(driver.deviceState).toBe('closed');
  });

  it('closes the link on disconnect() and can connect again', async () => {
    const raw = await rawBoard();
    const driver = driverFor(raw.link.host);
    await driver.connect();
    await driver.disconnect();
    expect(driver.deviceState).toBe('closed');
    expect(raw.link.host.isOpen).toBe(false);
    await expect(driver.open('entry')).rejects.toMatchObject({ code: 'CLOSED' });
    await driver.connect();
    expect((await driver.status()).entryCount).toBe(258);
  });

  it('validates its options, naming the bad one', () => {
    const transport = createMemoryLink().host;
    for (const [options, option] of [
      [{}, 'transport'],
      [{ transport, address: 0 }, 'address'],
      [{ transport, address: 300 }, 'address'],
      [{ transport, hostAddress: -1 }, 'hostAddress'],
      [{ transport, commandDestination: 'everyone' }, 'commandDestination'],
      [{ transport, commandTimeoutMs: 0 }, 'commandTimeoutMs'],
    ] as const) {
      let error: unknown;
      try {
        new AaGateDriver(options as never);
      } catch (e) {
        error = e;
      }
      expect(isXinyiError(error, 'INVALID_OPTIONS')).toBe(true);
      expect((error as XinyiError).details.option).toBe(option);
    }
  });
});
