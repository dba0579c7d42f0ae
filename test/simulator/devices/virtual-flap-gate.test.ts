import { afterEach, describe, expect, it } from 'vitest';
import {
  encodeFlapCommand,
  encodeFlapReply,
  FlapFrameDecoder,
  type FlapReply,
  flapAlwaysOpen,
  flapClearForbid,
  flapClose,
  flapForbid,
  flapOpen,
  flapQueryStatus,
  flapResetCount,
  flapResetDevice,
  flapSetParameter,
} from '../../../adapters/gate/flap-7e.js';
import { createMemoryLink, type MemoryLink } from '../../../adapters/transport/memory-transport.js';
import { isXinyiError } from '../../../sdk/errors.js';
import {
  VirtualFlapGateBoard,
  type VirtualFlapGateBoardOptions,
} from '../../../simulator/devices/virtual-flap-gate.js';
import { until } from '../../support/until.js';

const TIMING = { motionMs: 20, passDelayMs: 40, openTimeoutMs: 150, alarmMs: 200 };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Rig {
  link: MemoryLink;
  board: VirtualFlapGateBoard;
  /** Every byte the host received, in order. */
  received: Buffer[];
  replies: FlapReply[];
  /** Writes a frame; resolves with the reply it got, or undefined when none came within 60 ms. */
  ask(frame: Buffer): Promise<FlapReply | undefined>;
  query(): Promise<FlapReply>;
}

const rigs: Rig[] = [];
afterEach(async () => {
  for (const rig of rigs.splice(0)) {
    rig.board.detach();
    rig.board.core.dispose();
    await rig.link.host.close();
  }
});

async function makeRig(options: VirtualFlapGateBoardOptions = {}): Promise<Rig> {
  const link = createMemoryLink();
  const board = new VirtualFlapGateBoard({ timing: TIMING, selfTestMs: 60, ...options });
  expect(await board.attach(link.device)).toBe(true);
  await link.host.open();
  const decoder = new FlapFrameDecoder();
  const rig: Rig = {
    link,
    board,
    received: [],
    replies: [],
    async ask(frame) {
      const before = rig.replies.length;
      await link.host.write(frame);
      const start = Date.now();
      while (rig.replies.length === before && Date.now() - start < 60) await sleep(2);
      return rig.replies[before];
    },
    async query() {
      const reply = await rig.ask(flapQueryStatus(board.machine));
      if (reply === undefined) throw new Error('no reply to the query');
      return reply;
    },
  };
  link.host.on('data', (chunk) => {
    rig.received.push(chunk);
    for (const item of decoder.push(chunk)) if (!isXinyiError(item)) rig.replies.push(item);
  });
  rigs.push(rig);
  return rig;
}

describe('VirtualFlapGateBoard', () => {
  it('answers a query with the 18-byte reply of a closed, idle board', async () => {
    const rig = await makeRig();
    await rig.query();
    // 7F ver=1 machine=1 fault=0 closed(00) alarm=0, counts 0, infrared 0, cmdExec 0, vcc 0x18, u1 u2 0
    expect(Buffer.concat(rig.received)).toEqual(
      Buffer.from('7F 01 01 00 00 00  00 00 00  00 00 00  00 00 18 00 00  66'.replace(/ /g, ''), 'hex'),
    );
  });

  it('left open ×1: opens the entry way, lets one person through, counts on the left, closes', async () => {
    const rig = await makeRig();
    const opens: unknown[] = [];
    rig.board.core.on('open-command', (e) => opens.push(e));
    const ack = await rig.ask(flapOpen('left', 1));
    expect(opens).toEqual([{ direction: 'entry', count: 1, hold: false }]);
    expect(ack).toMatchObject({ gateStatus: 0x0c, cmdExec: 0x80 });
    await until(() => rig.board.core.snapshot().entryCount === 1, 'passage');
    await until(() => rig.board.core.snapshot().phase === 'closed', 'closed');
    expect(await rig.query()).toMatchObject({ gateStatus: 0x00, leftCount: 1, rightCount: 0, cmdExec: 0x80 });
  });

  it('reports opening, open, closing towards the side it moves, then closed (default table)', async () => {
    const rig = await makeRig({ timing: { ...TIMING, motionMs: 60, openTimeoutMs: 100 } });
    rig.board.core.queueBehaviour('no-pass');
    const codes = [(await rig.ask(flapOpen('right', 1)))!.gateStatus];
    while (rig.board.core.stats.notPassed === 0 || rig.board.core.snapshot().phase !== 'closed') {
      codes.push((await rig.query()).gateStatus);
    }
    codes.push((await rig.query()).gateStatus);
    const changes = codes.filter((c, i) => i === 0 || c !== codes[i - 1]);
    // right = exit: 0D opening, 07 open, 09 closing, 00 closed.
    expect(changes).toEqual([0x0d, 0x07, 0x09, 0x00]);
  });

  it('open ×n lets n persons through one opening', async () => {
    const rig = await makeRig();
    await rig.ask(flapOpen('left', 3));
    await until(() => rig.board.core.snapshot().entryCount === 3, 'three passages');
    expect(rig.board.core.stats.opens).toBe(1);
  });

  it('maps sides to directions as configured', async () => {
    const rig = await makeRig({ directions: { left: 'exit', right: 'entry' } });
    const opens: unknown[] = [];
    rig.board.core.on('open-command', (e) => opens.push(e));
    await rig.ask(flapOpen('right', 1));
    await until(() => rig.board.core.snapshot().entryCount === 1, 'passage');
    expect(opens).toEqual([{ direction: 'entry', count: 1, hold: false }]);
    await until(() => rig.board.core.snapshot().phase === 'closed', 'closed');
    expect(await rig.query()).toMatchObject({ leftCount: 0, rightCount: 1 });
  });

  it('a forbidden direction refuses opening until the forbid is lifted; the other way still opens', async () => {
    const rig = await makeRig();
    const commands: Array<{ cmd: number; executed: boolean }> = [];
    rig.board.on('command', (e) => commands.push(e));
    await rig.ask(flapForbid('left'));
    expect(rig.board.forbidden).toEqual(['left']);
    const refused = await rig.ask(flapOpen('left', 1));
    expect(rig.board.core.stats.opens).toBe(0);
    expect(refused).toMatchObject({ gateStatus: 0x00, cmdExec: 0x88 });
    await rig.ask(flapAlwaysOpen('left'));
    await rig.ask(flapAlwaysOpen('both'));
    expect(rig.board.core.stats.opens).toBe(0);
    expect(rig.board.stats.refused).toBe(3);

    await rig.ask(flapOpen('right', 1));
    expect(rig.board.core.stats.opens).toBe(1);
    await rig.ask(flapClearForbid());
    expect(rig.board.forbidden).toEqual([]);
    await rig.ask(flapOpen('left', 1));
    expect(rig.board.core.stats.opens).toBe(2);
    expect(commands.map((c) => [c.cmd, c.executed])).toEqual([
      [0x88, true],
      [0x80, false],
      [0x81, false],
      [0x83, false],
      [0x82, true],
      [0x8f, true],
      [0x80, true],
    ]);

    await rig.ask(flapForbid('right'));
    expect(rig.board.forbidden).toEqual(['right']);
  });

  it('always-open holds the gate (0x03) until close / normal', async () => {
    const rig = await makeRig();
    await rig.ask(flapAlwaysOpen('both'));
    await until(() => rig.board.core.snapshot().phase === 'open', 'open');
    expect(rig.board.core.snapshot().held).toBe(true);
    expect((await rig.query()).gateStatus).toBe(0x03);
    await sleep(TIMING.passDelayMs + 20);
    expect(rig.board.core.snapshot()).toMatchObject({ phase: 'open', held: true });
    await rig.ask(flapClose());
    await until(() => rig.board.core.snapshot().phase === 'closed', 'closed');
    expect((await rig.query()).gateStatus).toBe(0x00);
  });

  it('left and right always-open hold their own side', async () => {
    const rig = await makeRig();
    const opens: unknown[] = [];
    rig.board.core.on('open-command', (e) => opens.push(e));
    await rig.ask(flapAlwaysOpen('left'));
    await rig.ask(flapAlwaysOpen('right'));
    expect(opens).toEqual([
      { direction: 'entry', count: 1, hold: true },
      { direction: 'exit', count: 1, hold: true },
    ]);
  });

  it('resets one counter at a time', async () => {
    const rig = await makeRig();
    rig.board.core.walkThrough('entry', 3);
    rig.board.core.walkThrough('exit', 2);
    expect(await rig.query()).toMatchObject({ leftCount: 3, rightCount: 2 });
    await rig.ask(flapResetCount('left'));
    expect(await rig.query()).toMatchObject({ leftCount: 0, rightCount: 2 });
    await rig.ask(flapResetCount('right'));
    expect(await rig.query()).toMatchObject({ leftCount: 0, rightCount: 0 });
  });

  it('reset device: self-test (0xFF), forbids lifted, counters kept', async () => {
    const rig = await makeRig();
    rig.board.core.walkThrough('entry', 1);
    await rig.ask(flapForbid('right'));
    await rig.ask(flapResetDevice());
    expect(await rig.query()).toMatchObject({ gateStatus: 0xff, leftCount: 1 });
    expect(rig.board.forbidden).toEqual([]);
    await until(() => !rig.board.core.snapshot().selfTest, 'self-test over');
    expect((await rig.query()).gateStatus).toBe(0x00);
    // 0x35 without the 0x60 key is not a reset.
    await rig.ask(encodeFlapCommand(1, 0x35, 0x00));
    expect((await rig.query()).gateStatus).toBe(0x00);
  });

  it('stores menu parameters', async () => {
    const rig = await makeRig();
    await rig.ask(flapSetParameter(4, 9));
    expect(rig.board.parameters.get(4)).toBe(9);
  });

  it('ignores frames for another machine and frames with a bad checksum', async () => {
    const rig = await makeRig({ machine: 2 });
    expect(await rig.ask(flapQueryStatus(1))).toBeUndefined();
    const bad = flapQueryStatus(2);
    bad[7] = bad[7]! ^ 1;
    expect(await rig.ask(bad)).toBeUndefined();
    expect(rig.board.stats.ignored).toBe(2);
    expect(await rig.query()).toMatchObject({ machine: 2 });
  });

  it('with replyToCommands false, answers only queries', async () => {
    const rig = await makeRig({ replyToCommands: false });
    expect(await rig.ask(flapOpen('left', 1))).toBeUndefined();
    expect(rig.board.core.stats.opens).toBe(1);
    expect(await rig.query()).toMatchObject({ cmdExec: 0x80 });
  });

  it('uses the configured reply checksum rule', async () => {
    const rig = await makeRig({ replyChecksum: 'xor', version: 3 });
    const expected = encodeFlapReply(
      {
        version: 3,
        machine: 1,
        fault: 0,
        gateStatus: 0,
        alarm: 0,
        leftCount: 0,
        rightCount: 0,
        infrared: 0,
        cmdExec: 0,
        vcc: 24,
        u1: 0,
        u2: 0,
      },
      { replyChecksum: 'xor' },
    );
    await rig.link.host.write(flapQueryStatus());
    await until(() => Buffer.concat(rig.received).length >= 18, 'reply');
    expect(Buffer.concat(rig.received)).toEqual(expected);
  });

  it('reports a tailgate as two counted and the tailgating alarm code', async () => {
    const rig = await makeRig();
    rig.board.core.queueBehaviour('tailgate');
    await rig.ask(flapOpen('left', 1));
    await until(() => rig.board.core.snapshot().entryCount === 2, 'tailgate');
    expect(await rig.query()).toMatchObject({ leftCount: 2, alarm: 0x62 });
  });

  describe('faults', () => {
    it('garbage: written before the next replies, as many times as asked', async () => {
      const rig = await makeRig();
      rig.board.injectFault({ kind: 'garbage', times: 2 });
      await rig.query();
      await rig.query();
      await rig.query();
      const stream = Buffer.concat(rig.received);
      const garbage = Buffer.from('00ff13377fa55a', 'hex');
      expect(stream.subarray(0, 7)).toEqual(garbage);
      expect(stream.subarray(25, 32)).toEqual(garbage);
      expect(stream.length).toBe(7 + 18 + 7 + 18 + 18);
      expect(rig.replies).toHaveLength(3);
      expect(rig.board.stats.faultsApplied.garbage).toBe(2);
    });

    it('mute: leaves N queries unanswered, still carries out commands', async () => {
      const rig = await makeRig({ replyToCommands: false });
      rig.board.injectFault({ kind: 'mute', queries: 2 });
      expect(await rig.ask(flapQueryStatus())).toBeUndefined();
      await rig.ask(flapOpen('left', 1));
      expect(await rig.ask(flapQueryStatus())).toBeUndefined();
      expect(rig.board.core.stats.opens).toBe(1);
      expect(await rig.ask(flapQueryStatus())).toBeDefined();
      expect(rig.board.stats.faultsApplied.mute).toBe(2);
    });

    it('a withdrawn fault does not apply', async () => {
      const rig = await makeRig();
      const withdraw = rig.board.injectFault({ kind: 'mute', queries: 1 });
      withdraw();
      expect(await rig.ask(flapQueryStatus())).toBeDefined();
    });

    it('unplug: power lost at the next frame, plug-in after forMs, then a self-test', async () => {
      const rig = await makeRig();
      const events: string[] = [];
      rig.board.on('unplug', ({ forMs }) => {
        events.push(`unplug ${forMs}`);
        rig.link.unplug();
      });
      rig.board.on('plug-in', () => {
        events.push('plug-in');
        rig.link.plugIn();
      });
      rig.board.core.walkThrough('exit', 4);
      rig.board.injectFault({ kind: 'unplug', forMs: 50 });
      await rig.link.host.write(flapQueryStatus());
      await until(() => events.length === 1, 'unplug');
      expect(rig.board.powered).toBe(false);
      expect(rig.link.host.isOpen).toBe(false);
      await until(() => rig.board.powered && rig.link.device.isOpen, 'plug-in');
      expect(events).toEqual(['unplug 50', 'plug-in']);
      await rig.link.host.open();
      expect(await rig.query()).toMatchObject({ gateStatus: 0xff, rightCount: 4 });
      await until(() => !rig.board.core.snapshot().selfTest, 'self-test over');
      expect((await rig.query()).gateStatus).toBe(0x00);
    });

    it('powerLoss() without forMs stays dark until restorePower()', async () => {
      const rig = await makeRig();
      rig.board.on('unplug', () => rig.link.unplug());
      rig.board.on('plug-in', () => rig.link.plugIn());
      rig.board.powerLoss();
      await sleep(30);
      expect(rig.board.powered).toBe(false);
      rig.board.restorePower();
      await until(() => rig.link.device.isOpen, 'device end reopened');
      await rig.link.host.open();
      expect((await rig.query()).gateStatus).toBe(0xff);
    });

    it('refuses unknown faults and bad counts', async () => {
      const rig = await makeRig();
      expect(() => rig.board.injectFault({ kind: 'smoke' } as never)).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
      );
      expect(() => rig.board.injectFault({ kind: 'mute', queries: 0 })).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
      );
    });
  });

  it('refuses bad options', () => {
    expect(() => new VirtualFlapGateBoard({ machine: 256 })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    );
    expect(() => new VirtualFlapGateBoard({ directions: { left: 'exit', right: 'exit' } })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    );
  });
});
