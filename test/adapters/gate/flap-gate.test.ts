import { afterEach, describe, expect, it } from 'vitest';
import { FLAP_BAUD_RATE } from '../../../adapters/gate/flap-7e.js';
import { FlapGateDriver, type FlapGateDriverOptions } from '../../../adapters/gate/flap-gate.js';
import { createMemoryLink } from '../../../adapters/transport/memory-transport.js';
import { SerialTransport } from '../../../adapters/transport/serial-transport.js';
import { TcpTransport } from '../../../adapters/transport/tcp-transport.js';
import type { Transport } from '../../../adapters/transport/transport.js';
import { isXinyiError } from '../../../sdk/errors.js';
import type { GateAlarmEvent, GateDeviceState, PassageEvent } from '../../../sdk/gate/gate.js';
import {
  VirtualFlapGateBoard,
  type VirtualFlapGateBoardOptions,
} from '../../../simulator/devices/virtual-flap-gate.js';
import { startTcpDeviceServer, type TcpDeviceServer } from '../../../simulator/tcp-device-server.js';
import { attachOverPty, describeOverPty, ptyRigMissing } from '../../support/pty-rig.js';
import { until } from '../../support/until.js';

const TIMING = { motionMs: 20, passDelayMs: 40, openTimeoutMs: 150, alarmMs: 300 };

const ptyUnavailable = await ptyRigMissing();

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Rig {
  board: VirtualFlapGateBoard;
  driver: FlapGateDriver;
  passages: PassageEvent[];
  alarms: GateAlarmEvent[];
  states: GateDeviceState[];
  close(): Promise<void>;
}

interface RigOptions {
  board?: VirtualFlapGateBoardOptions;
  driver?: Partial<FlapGateDriverOptions>;
}

type Wiring = (board: VirtualFlapGateBoard) => Promise<{ host: Transport; close(): Promise<void> }>;

/** The in-memory link: `unplug` pulls it, `plug-in` puts it back; the board reopens its end itself. */
const memoryWiring: Wiring = async (board) => {
  const link = createMemoryLink({ baudRate: FLAP_BAUD_RATE });
  board.on('unplug', () => link.unplug());
  board.on('plug-in', () => link.plugIn());
  await board.attach(link.device);
  return { host: link.host, close: async () => {} };
};

/** A socat PTY pair: killing socat is the USB-RS485 adapter pulled; a new pair on the same paths is it back. */
const ptyWiring: Wiring = async (board) => {
  const link = await attachOverPty(board, FLAP_BAUD_RATE);
  return {
    host: new SerialTransport({ path: link.hostPath, baudRate: FLAP_BAUD_RATE }),
    close: () => link.close(),
  };
};

/** A serial device server on loopback: power loss stops the server, plug-in starts it again on the same port. */
const tcpWiring: Wiring = async (board) => {
  const onConnection = (transport: Transport) => void board.attach(transport);
  let server: TcpDeviceServer = await startTcpDeviceServer({ onConnection });
  const port = server.port;
  let restarting: Promise<void> = Promise.resolve();
  board.on('unplug', () => {
    restarting = server.close();
  });
  board.on('plug-in', async () => {
    await restarting;
    server = await startTcpDeviceServer({ port, onConnection });
  });
  return {
    host: new TcpTransport({ host: '127.0.0.1', port, connectTimeoutMs: 500 }),
    close: async () => {
      await restarting;
      await server.close();
    },
  };
};

const rigs: Rig[] = [];
afterEach(async () => {
  for (const rig of rigs.splice(0)) await rig.close();
});

async function makeRig(wiring: Wiring, options: RigOptions = {}): Promise<Rig> {
  const board = new VirtualFlapGateBoard({ timing: TIMING, selfTestMs: 50, ...options.board });
  const wired = await wiring(board);
  const driver = new FlapGateDriver({
    transport: wired.host,
    pollIntervalMs: 10,
    commandTimeoutMs: 150,
    ackWindowMs: 30,
    reconnect: { initialDelayMs: 20, maxDelayMs: 100 },
    ...options.driver,
  });
  const rig: Rig = {
    board,
    driver,
    passages: [],
    alarms: [],
    states: [],
    close: async () => {
      await driver.disconnect();
      board.detach();
      board.core.dispose();
      await wired.close();
    },
  };
  driver.onPassage((e) => rig.passages.push(e));
  driver.onAlarm((e) => rig.alarms.push(e));
  driver.onState((s) => rig.states.push(s));
  rigs.push(rig);
  return rig;
}

async function connected(wiring: Wiring, options: RigOptions = {}): Promise<Rig> {
  const rig = await makeRig(wiring, options);
  await rig.driver.connect();
  await until(() => rig.driver.lastStatus !== undefined, 'first status');
  return rig;
}

function describeScenarios(name: string, wiring: Wiring) {
  describe(`FlapGateDriver scenarios over ${name}`, () => {
    it('open → the person walks through → passed', async () => {
      const rig = await connected(wiring);
      await rig.driver.open('entry');
      await until(() => rig.passages.length === 1, 'passage');
      expect(rig.passages[0]).toMatchObject({ kind: 'passed', direction: 'entry', count: 1 });
      expect(rig.board.core.snapshot().entryCount).toBe(1);
      await until(() => rig.driver.lastStatus?.state === 'closed', 'closed again');
      expect(rig.passages).toHaveLength(1);
      expect(rig.driver.lastStatus).toMatchObject({ entryCount: 1, exitCount: 0, alarms: [] });
    });

    it('nobody comes → the board closes → not-passed', async () => {
      const rig = await connected(wiring);
      rig.board.core.queueBehaviour('no-pass');
      await rig.driver.open('exit');
      await until(() => rig.passages.length === 1, 'not-passed');
      expect(rig.passages[0]).toMatchObject({ kind: 'not-passed', direction: 'exit' });
      expect(rig.board.core.snapshot().exitCount).toBe(0);
    });

    it('a tailgate → passed with count 2 and a tailgating alarm that clears', async () => {
      const rig = await connected(wiring);
      rig.board.core.queueBehaviour('tailgate');
      await rig.driver.open('entry');
      await until(() => rig.passages.length === 1 && rig.alarms.length >= 1, 'tailgate');
      expect(rig.passages[0]).toMatchObject({ kind: 'passed', direction: 'entry', count: 2 });
      expect(rig.alarms[0]).toMatchObject({ alarm: 'tailgating', active: true });
      await until(() => rig.alarms.length === 2, 'alarm cleared');
      expect(rig.alarms[1]).toMatchObject({ alarm: 'tailgating', active: false });
    });

    it('unplug and plug-in → reconnecting → ready, and the gate works again', async () => {
      // A self-test long enough to be seen whatever the reconnect backoff.
      const rig = await connected(wiring, { board: { selfTestMs: 1000 } });
      rig.board.core.walkThrough('entry', 5);
      await until(() => rig.passages.length === 1, 'the walk-through counted');
      rig.board.injectFault({ kind: 'unplug', forMs: 150 });
      await until(() => rig.driver.deviceState === 'reconnecting', 'reconnecting');
      await until(() => rig.driver.deviceState === 'ready', 'ready again', 8000);
      expect(rig.states).toEqual(['opening', 'ready', 'reconnecting', 'ready']);
      await until(() => rig.driver.lastStatus?.state === 'self-test', 'self-test after power-up');
      await until(() => rig.driver.lastStatus?.state === 'closed', 'self-test over');
      await rig.driver.open('entry');
      await until(() => rig.passages.length === 2, 'passage after reconnect');
      // The counters survived the power loss: no jump taken for a passage.
      expect(rig.passages.map((p) => p.kind === 'passed' && p.count)).toEqual([5, 1]);
      expect(rig.board.core.snapshot().entryCount).toBe(6);
    });

    it('garbage on the line → replies still read, the passage still seen', async () => {
      const rig = await connected(wiring);
      rig.board.injectFault({ kind: 'garbage', times: 5 });
      await rig.driver.open('entry');
      await until(() => rig.passages.length === 1, 'passage');
      expect(rig.passages[0]).toMatchObject({ kind: 'passed', count: 1 });
      await until(() => rig.board.stats.faultsApplied.garbage === 5, 'all garbage sent');
      expect(rig.driver.stats.frameErrors).toBeGreaterThanOrEqual(1);
      expect(rig.driver.deviceState).toBe('ready');
    });
  });
}

describeScenarios('the in-memory link', memoryWiring);
describeScenarios('loopback TCP', tcpWiring);

describeOverPty('FlapGateDriver over a socat PTY pair', ptyUnavailable, () =>
  describeScenarios('a socat PTY pair (serialport, 19200 8N1)', ptyWiring),
);

describe('FlapGateDriver over the in-memory link', () => {
  it('a person stepping back out → pushed-back', async () => {
    const rig = await connected(memoryWiring);
    rig.board.core.queueBehaviour('push-back');
    await rig.driver.open('entry');
    await until(() => rig.passages.length === 1, 'pushed-back');
    expect(rig.passages[0]).toMatchObject({ kind: 'pushed-back', direction: 'entry' });
    expect(rig.alarms[0]).toMatchObject({ alarm: 'reverse', active: true });
  });

  it('open ×n: one command, n persons counted', async () => {
    const rig = await connected(memoryWiring);
    await rig.driver.open('exit', { count: 3 });
    await until(
      () => rig.passages.reduce((n, p) => n + (p.kind === 'passed' ? p.count : 0), 0) === 3,
      '3 passed',
    );
    expect(rig.board.core.stats.opens).toBe(1);
    await expect(rig.driver.open('exit', { count: 256 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('status() reports state, counters and alarms from the reply', async () => {
    const rig = await connected(memoryWiring);
    rig.board.core.walkThrough('entry', 7);
    rig.board.core.walkThrough('exit', 2);
    // Walking through a closed gate is an intrusion; the alarm byte carries one alarm at a time.
    await until(() => rig.driver.lastStatus?.alarms.includes('intrusion') === true, 'intrusion');
    await until(() => rig.board.core.snapshot().alarms.length === 0, 'intrusion over');
    rig.board.core.raiseAlarm('loitering');
    expect(await rig.driver.status()).toEqual({
      state: 'closed',
      entryCount: 7,
      exitCount: 2,
      alarms: ['loitering'],
      rawState: 0,
    });
    expect(rig.driver.lastReply).toMatchObject({ leftCount: 7, rightCount: 2, alarm: 0x5f, machine: 1 });
  });

  it('hold open, then close back to normal', async () => {
    const rig = await connected(memoryWiring);
    await rig.driver.open('exit', { hold: true });
    await until(() => rig.driver.lastStatus?.held === true, 'held');
    expect(rig.driver.lastStatus).toMatchObject({ state: 'open', held: true });
    await rig.driver.close('exit');
    await until(() => rig.driver.lastStatus?.state === 'closed', 'closed');
    expect(rig.passages).toEqual([]);
  });

  it('holdOpenBothWays() holds the gate until close()', async () => {
    const rig = await connected(memoryWiring);
    await rig.driver.holdOpenBothWays();
    await until(() => rig.driver.lastStatus?.held === true, 'held');
    await rig.driver.close();
    await until(() => rig.driver.lastStatus?.state === 'closed', 'closed');
  });

  it('forbid(direction): the board refuses that way; clearForbid() lifts it', async () => {
    const rig = await connected(memoryWiring);
    await rig.driver.forbid('entry');
    expect(rig.board.forbidden).toEqual(['left']);
    // Not an error at the command: whether and how the board acknowledges is unconfirmed.
    await rig.driver.open('entry');
    expect(rig.board.core.stats.opens).toBe(0);
    await rig.driver.clearForbid();
    expect(rig.board.forbidden).toEqual([]);
    await rig.driver.open('entry');
    await until(() => rig.passages.length === 1, 'passage');
  });

  it('resetCounters, resetDevice and setParameter reach the board', async () => {
    const rig = await connected(memoryWiring);
    rig.board.core.walkThrough('entry', 3);
    rig.board.core.walkThrough('exit', 4);
    await until(() => rig.passages.length === 2, 'walk-throughs counted');
    await rig.driver.resetCounters('exit');
    expect(rig.board.core.snapshot()).toMatchObject({ entryCount: 3, exitCount: 0 });
    await rig.driver.resetCounters();
    expect(rig.board.core.snapshot()).toMatchObject({ entryCount: 0, exitCount: 0 });
    await rig.driver.setParameter(2, 30);
    expect(rig.board.parameters.get(2)).toBe(30);
    await rig.driver.resetDevice();
    await until(() => rig.driver.lastStatus?.state === 'self-test', 'self-test');
    await until(() => rig.driver.lastStatus?.state === 'closed', 'back to closed');
    // Counters going back to zero are resets, not passages.
    expect(rig.passages).toHaveLength(2);
  });

  it('works with a board that answers only queries (no ack expected)', async () => {
    const rig = await connected(memoryWiring, { board: { replyToCommands: false } });
    await rig.driver.open('entry');
    await until(() => rig.passages.length === 1, 'passage');
    expect(rig.driver.stats.strayReplies).toBe(0);
  });

  it("takes a reply within the ack window as the command's answer, whatever its cmdExec", async () => {
    const rig = await connected(memoryWiring);
    await rig.driver.open('entry');
    expect(rig.driver.lastReply).toMatchObject({ cmdExec: 0x80, gateStatus: 0x0c });
    await until(() => rig.passages.length === 1, 'passage');
    // Every reply was someone's answer: none was left over to be mistaken for a later one.
    expect(rig.driver.stats.strayReplies).toBe(0);
  });

  it('with no ack window, a command reply arriving later is dropped, not taken for the next answer', async () => {
    const rig = await connected(memoryWiring, { driver: { ackWindowMs: 0, pollIntervalMs: 5000 } });
    const replies = rig.driver.stats.replies;
    await rig.driver.open('entry');
    await until(() => rig.driver.stats.strayReplies === 1, 'stray ack');
    expect(rig.driver.stats.replies).toBe(replies);
    await until(() => rig.board.core.snapshot().entryCount === 1, 'person through');
    await until(() => rig.board.core.snapshot().phase === 'closed', 'closed');
    expect(await rig.driver.status()).toMatchObject({ state: 'closed', entryCount: 1 });
  });

  it('side mapping: left = exit, right = entry', async () => {
    const directions = { left: 'exit', right: 'entry' } as const;
    const rig = await connected(memoryWiring, { board: { directions }, driver: { directions } });
    const commands: number[] = [];
    rig.board.on('command', (e) => commands.push(e.cmd));
    await rig.driver.open('entry');
    await until(() => rig.passages.length === 1, 'passage');
    expect(commands).toEqual([0x82]);
    expect(rig.passages[0]).toMatchObject({ kind: 'passed', direction: 'entry' });
    expect(rig.driver.lastReply).toMatchObject({ rightCount: 1, leftCount: 0 });
  });

  it('addresses its own machine on a shared bus', async () => {
    const rig = await connected(memoryWiring, { board: { machine: 7 }, driver: { machine: 7 } });
    expect(rig.driver.lastReply?.machine).toBe(7);
    await rig.driver.open('entry');
    await until(() => rig.passages.length === 1, 'passage');
  });

  it('a reply from another machine on the bus is not taken: DEVICE_TIMEOUT', async () => {
    const rig = await makeRig(memoryWiring, {
      board: { machine: 2 },
      driver: { machine: 3, maxMissedPolls: 1000 },
    });
    await rig.driver.connect();
    await expect(rig.driver.status()).rejects.toMatchObject({ code: 'DEVICE_TIMEOUT' });
    expect(rig.board.stats.ignored).toBeGreaterThan(0);
  });

  it('a few unanswered polls are tolerated; more take the link as lost and it is reopened', async () => {
    const rig = await connected(memoryWiring, { driver: { maxMissedPolls: 3, commandTimeoutMs: 40 } });
    rig.board.injectFault({ kind: 'mute', queries: 2 });
    await until(() => rig.board.stats.faultsApplied.mute === 2, 'muted twice');
    await sleep(60);
    expect(rig.states).toEqual(['opening', 'ready']);
    rig.board.injectFault({ kind: 'mute', queries: 3 });
    await until(() => rig.states.includes('reconnecting'), 'reconnecting');
    await until(() => rig.driver.deviceState === 'ready', 'ready again');
    await rig.driver.open('entry');
    await until(() => rig.passages.length === 1, 'passage');
  });

  it('status() rejects with DEVICE_TIMEOUT when the board stays silent', async () => {
    const rig = await connected(memoryWiring, { driver: { pollIntervalMs: 5000, commandTimeoutMs: 40 } });
    rig.board.injectFault({ kind: 'mute', queries: 1 });
    const error = await rig.driver.status().catch((e: unknown) => e);
    expect(isXinyiError(error, 'DEVICE_TIMEOUT')).toBe(true);
    expect((await rig.driver.status()).state).toBe('closed');
  });

  it('connect() rejects with DEVICE_NOT_FOUND when the board is unreachable, and stays closed', async () => {
    const link = createMemoryLink();
    link.unplug();
    const driver = new FlapGateDriver({ transport: link.host });
    await expect(driver.connect()).rejects.toMatchObject({ code: 'DEVICE_NOT_FOUND' });
    expect(driver.deviceState).toBe('closed');
    await expect(driver.open('entry')).rejects.toMatchObject({ code: 'CLOSED' });
    await expect(driver.forbid('entry')).rejects.toMatchObject({ code: 'CLOSED' });
  });

  it('refuses bad options with INVALID_OPTIONS', () => {
    const { host } = createMemoryLink();
    for (const options of [
      { transport: host, machine: 256 },
      { transport: host, commandTimeoutMs: 0 },
      { transport: host, ackWindowMs: -1 },
      { transport: host, directions: { left: 'entry', right: 'entry' } },
      { transport: host, codes: { alarm: { 1: ['smoke'] } } },
      { transport: host, replyChecksum: 'crc' },
      { transport: undefined },
    ]) {
      expect(() => new FlapGateDriver(options as never)).toThrow(
        expect.objectContaining({ code: 'INVALID_OPTIONS' }),
      );
    }
  });
});
