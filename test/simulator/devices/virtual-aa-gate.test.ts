import { afterEach, describe, expect, it } from 'vitest';
import {
  type AaCommand,
  type AaFrame,
  AaFrameDecoder,
  AaGateStateCode,
  aaChecksum,
  encodeAaCommand,
  parseAaStatusReply,
} from '../../../adapters/gate/aa-frame.js';
import { createMemoryLink, type MemoryLink } from '../../../adapters/transport/memory-transport.js';
import { isXinyiError, XinyiError } from '../../../sdk/errors.js';
import type { GateStatus } from '../../../sdk/gate/gate.js';
import {
  aaStateCodeForSnapshot,
  VirtualAaGateBoard,
  type VirtualAaGateBoardOptions,
  type VirtualAaGateFault,
} from '../../../simulator/devices/virtual-aa-gate.js';
import type { VirtualGateSnapshot } from '../../../simulator/devices/virtual-gate-core.js';
import { toHex } from '../../adapters/id-card/helpers.js';
import { until } from '../../support/until.js';

const TIMING = { motionMs: 20, passDelayMs: 40, openTimeoutMs: 100, alarmMs: 60 };

interface Host {
  board: VirtualAaGateBoard;
  link: MemoryLink;
  /** Every frame (or error) the host received. */
  received: Array<AaFrame | XinyiError>;
  /** Every raw chunk the host received. */
  raw: Buffer[];
  send(command: AaCommand, destination?: number): Promise<void>;
  /** Sends a status query to `destination` and waits for the next frame back. */
  query(destination?: number): Promise<GateStatus>;
}

const hosts: Host[] = [];
afterEach(() => {
  for (const host of hosts.splice(0)) host.board.dispose();
});

async function host(options: VirtualAaGateBoardOptions = {}): Promise<Host> {
  const link = createMemoryLink();
  const board = new VirtualAaGateBoard({ timing: TIMING, replyDelayMs: 1, selfTestMs: 30, ...options });
  await board.attach(link.device);
  await link.host.open();
  const decoder = new AaFrameDecoder();
  const h: Host = {
    board,
    link,
    received: [],
    raw: [],
    send: (command, destination) =>
      link.host.write(encodeAaCommand(command, destination === undefined ? {} : { destination })),
    query: async (destination = 0x0b) => {
      const before = h.received.length;
      await h.send({ action: 'query-status' }, destination);
      await until(() => h.received.length > before, 'a reply');
      const item = h.received[before]!;
      if (item instanceof XinyiError) throw item;
      return parseAaStatusReply(item);
    },
  };
  link.host.on('data', (chunk) => {
    h.raw.push(chunk);
    h.received.push(...decoder.push(chunk));
  });
  hosts.push(h);
  return h;
}

/** A host → board frame with any DATA, checksum fixed (to build what `encodeAaCommand` refuses). */
function commandFrame(destination: number, data: number[]): Buffer {
  const frame = Buffer.alloc(16);
  frame.set([0xaa, 0x00, 0x01, 0x02, 0x00, destination, 0x08], 0);
  frame.set(data, 7);
  frame[15] = aaChecksum(frame);
  return frame;
}

const settle = (ms = 30) => new Promise((resolve) => setTimeout(resolve, ms));

function snapshot(partial: Partial<VirtualGateSnapshot>): VirtualGateSnapshot {
  return {
    phase: 'closed',
    direction: undefined,
    held: false,
    allowance: 0,
    entryCount: 0,
    exitCount: 0,
    alarms: [],
    selfTest: false,
    ...partial,
  };
}

describe('aaStateCodeForSnapshot', () => {
  const cases: Array<[string, Partial<VirtualGateSnapshot>, number]> = [
    ['closed', {}, AaGateStateCode.CLOSED_IDLE],
    ['opening for entry', { phase: 'opening', direction: 'entry' }, AaGateStateCode.ENTRY_OPENING],
    ['opening for exit', { phase: 'opening', direction: 'exit' }, AaGateStateCode.EXIT_OPENING],
    ['open for an entry passage', { phase: 'open', direction: 'entry' }, AaGateStateCode.OPEN_ENTRY],
    ['open for an exit passage', { phase: 'open', direction: 'exit' }, AaGateStateCode.OPEN_EXIT],
    ['open with no direction', { phase: 'open' }, AaGateStateCode.OPEN_IDLE],
    ['held open', { phase: 'open', direction: 'exit', held: true }, AaGateStateCode.OPEN_MANUAL],
    ['closing after entry', { phase: 'closing', direction: 'entry' }, AaGateStateCode.ENTRY_CLOSING],
    ['closing after exit', { phase: 'closing', direction: 'exit' }, AaGateStateCode.EXIT_CLOSING],
    [
      'closing on someone (anti-pinch)',
      { phase: 'closing', direction: 'exit', alarms: ['anti-pinch'] },
      AaGateStateCode.EXIT_CLOSING_ANTI_PINCH,
    ],
    ['fire, open', { phase: 'open', held: true, alarms: ['fire'] }, AaGateStateCode.OPEN_FIRE],
    ['fire, closed', { alarms: ['fire'] }, AaGateStateCode.CLOSED_FIRE],
    ['mains lost', { alarms: ['power-loss', 'fire'] }, AaGateStateCode.CLOSED_POWER_LOSS],
    [
      'tailgating',
      { phase: 'closing', direction: 'entry', alarms: ['tailgating'] },
      AaGateStateCode.TAILGATING_ALARM,
    ],
    ['reverse', { phase: 'closing', alarms: ['reverse'] }, AaGateStateCode.REVERSE_ALARM],
    ['intrusion over tailgating', { alarms: ['tailgating', 'intrusion'] }, AaGateStateCode.INTRUSION_ALARM],
    [
      'loitering',
      { phase: 'open', direction: 'entry', alarms: ['loitering'] },
      AaGateStateCode.LOITERING_ALARM,
    ],
    ['external', { alarms: ['external'] }, AaGateStateCode.EXTERNAL_ALARM],
    ['self-test, whatever else', { selfTest: true, alarms: ['fire'] }, AaGateStateCode.SELF_TEST],
  ];
  for (const [name, partial, code] of cases) {
    it(`reports ${name} as 0x${code.toString(16).padStart(2, '0')}`, () => {
      expect(aaStateCodeForSnapshot(snapshot(partial))).toBe(code);
    });
  }
});

describe('VirtualAaGateBoard', () => {
  it('answers a status query to its address from itself to the host, with both counters', async () => {
    const h = await host();
    h.board.core.walkThrough('entry', 3);
    h.board.core.walkThrough('exit', 1);
    h.board.core.clearAlarm('intrusion');
    await h.query();
    expect(toHex(h.raw[0]!)).toBe('AA 00 0B 12 00 01 08 00 00 00 00 03 00 00 01 2A');
    expect(h.board.stats.frames['query-status']).toBe(1);
    expect(h.board.stats.repliesSent).toBe(1);
  });

  it('answers at another address when configured, and ignores queries to other boards and broadcast queries', async () => {
    const h = await host({ address: 0x21 });
    await h.link.host.write(commandFrame(0x00, [0xff, 0x00]));
    await h.send({ action: 'query-status' }, 0x0b);
    await settle();
    expect(h.received).toEqual([]);
    expect(h.board.stats.frames['not-addressed']).toBe(2);
    const status = await h.query(0x21);
    expect(status.state).toBe('closed');
    expect((h.received[0] as AaFrame).source).toBe(0x21);
  });

  it('opens for entry on a broadcast entry-open, lets the person through and closes', async () => {
    const h = await host();
    const passages: unknown[] = [];
    h.board.core.on('passage', (event) => passages.push(event));
    await h.send({ action: 'entry-open' });
    await until(() => passages.length === 1, 'the passage');
    await until(() => h.board.core.snapshot().phase === 'closed', 'closed again');
    expect(passages).toEqual([{ direction: 'entry', count: 1, behaviour: 'pass' }]);
    expect((await h.query()).entryCount).toBe(1);
    expect(h.board.stats.frames['entry-open']).toBe(1);
  });

  it('reports the motion of an opening as the reference codes, in order', async () => {
    const h = await host();
    const codes: number[] = [];
    h.board.core.on('change', (s) => {
      const code = aaStateCodeForSnapshot(s);
      if (codes.at(-1) !== code) codes.push(code);
    });
    await h.send({ action: 'exit-open', count: 1 });
    await until(
      () => h.board.core.stats.passages === 1 && h.board.stateCode === 0x00,
      'closed after passing',
    );
    expect(codes).toEqual([0x0d, 0x07, 0x09, 0x00]);
  });

  it('opens exit for the count in the command, and for one person when the count is 0', async () => {
    const h = await host();
    const opens: unknown[] = [];
    h.board.core.on('open-command', (event) => opens.push(event));
    await h.send({ action: 'exit-open', count: 3 });
    await settle(5);
    await h.send({ action: 'exit-open', count: 0 });
    await until(() => opens.length === 2, 'two open commands');
    expect(opens).toEqual([
      { direction: 'exit', count: 3, hold: false },
      { direction: 'exit', count: 1, hold: false },
    ]);
  });

  it('holds open on hold-open (05) until the close of that direction', async () => {
    const h = await host();
    await h.send({ action: 'entry-hold-open' });
    await until(() => h.board.stateCode === AaGateStateCode.OPEN_MANUAL, 'held open');
    await h.send({ action: 'exit-close' });
    await settle(60);
    expect(h.board.stateCode).toBe(AaGateStateCode.OPEN_MANUAL);
    await h.send({ action: 'entry-close' });
    await until(() => h.board.stateCode === AaGateStateCode.CLOSED_IDLE, 'closed');
    const status = await h.query();
    expect(status).toMatchObject({ state: 'closed', entryCount: 0 });
  });

  it('ignores commands for other boards, unknown commands and damaged frames, without answering', async () => {
    const h = await host();
    await h.send({ action: 'entry-open' }, 0x05);
    await h.link.host.write(commandFrame(0x00, [0x00, 0x09]));
    const damaged = encodeAaCommand({ action: 'entry-open' });
    damaged[15] = damaged[15]! ^ 0xff;
    await h.link.host.write(damaged);
    await settle(60);
    expect(h.board.core.stats.opens).toBe(0);
    expect(h.received).toEqual([]);
    expect(h.board.stats.frames).toMatchObject({ 'not-addressed': 1, unknown: 1, 'invalid-frame': 1 });
  });

  it('answers commands too when replyToCommands is set', async () => {
    const h = await host({ replyToCommands: true });
    await h.send({ action: 'entry-open' });
    await until(() => h.received.length === 1, 'a reply to the command');
    expect(parseAaStatusReply(h.received[0] as AaFrame).rawState).toBeDefined();
  });

  it('writes garbage before the next reply', async () => {
    const h = await host();
    h.board.injectFault({ kind: 'garbage', bytes: Uint8Array.of(0x13, 0x37) });
    await h.query();
    expect(toHex(Buffer.concat(h.raw).subarray(0, 3))).toBe('13 37 AA');
    expect(h.board.stats.faultsApplied.garbage).toBe(1);
  });

  it('writes a default garbage that holds a false frame start, which a decoder reports and skips', async () => {
    const h = await host();
    h.board.injectFault({ kind: 'garbage' });
    await h.send({ action: 'query-status' }, 0x0b);
    await until(() => h.received.length === 2, 'the error and the reply');
    expect(h.received.map((item) => (isXinyiError(item) ? item.code : 'frame'))).toEqual([
      'FRAME_LENGTH',
      'frame',
    ]);
  });

  it('sends a reply with a bad checksum', async () => {
    const h = await host();
    h.board.injectFault({ kind: 'bad-checksum' });
    await h.send({ action: 'query-status' }, 0x0b);
    await until(() => h.received.length === 1, 'the damaged reply');
    expect(isXinyiError(h.received[0], 'FRAME_CHECKSUM')).toBe(true);
  });

  it('stays mute for as many queries as the no-reply fault says, and still obeys commands', async () => {
    const h = await host();
    h.board.injectFault({ kind: 'no-reply', times: 2 });
    await h.send({ action: 'query-status' }, 0x0b);
    await h.send({ action: 'entry-open' });
    await h.send({ action: 'query-status' }, 0x0b);
    await settle();
    expect(h.received).toEqual([]);
    expect(h.board.core.stats.opens).toBe(1);
    await h.query();
    expect(h.board.stats.faultsApplied['no-reply']).toBe(2);
  });

  it('loses power on an unplug fault, and after forMs self-tests (FF) with its counters kept', async () => {
    const h = await host({ selfTestMs: 500 });
    const events: string[] = [];
    h.board.on('unplug', () => {
      events.push('unplug');
      h.link.unplug();
    });
    h.board.on('plug-in', () => {
      events.push('plug-in');
      h.link.plugIn();
    });
    h.board.core.walkThrough('exit', 2);
    h.board.core.raiseAlarm('tailgating');
    h.board.core.raiseAlarm('external');
    h.board.injectFault({ kind: 'unplug', forMs: 80 });
    await h.send({ action: 'query-status' }, 0x0b);
    await until(() => events.length === 1, 'the unplug');
    expect(h.board.powered).toBe(false);
    expect(h.link.host.isOpen).toBe(false);
    await until(() => events.length === 2, 'the plug-in');
    await until(() => h.board.transport?.isOpen === true, 'the board to reopen its end');
    await h.link.host.open();
    const first = await h.query();
    expect(first).toMatchObject({ state: 'self-test', exitCount: 2, rawState: 0xff });
    // The alarm it was timing is forgotten; the external input is still there.
    expect(h.board.core.snapshot().alarms).toEqual(['external']);
    h.board.core.clearAlarm('external');
    await until(() => h.board.stateCode === AaGateStateCode.CLOSED_IDLE, 'the self-test to end');
    expect(await h.query()).toMatchObject({ state: 'closed', exitCount: 2 });
  });

  it('hears nothing while unpowered (over a link nobody unplugs, as UDP)', async () => {
    const h = await host();
    h.board.injectFault({ kind: 'unplug' });
    await h.send({ action: 'query-status' }, 0x0b);
    await until(() => !h.board.powered, 'the power loss');
    await h.send({ action: 'entry-open' });
    await h.send({ action: 'query-status' }, 0x0b);
    await settle();
    expect(h.received).toEqual([]);
    expect(h.board.core.stats.opens).toBe(0);
  });

  it('refuses bad options and faults, naming them', () => {
    for (const [options, option] of [
      [{ address: 0 }, 'address'],
      [{ address: 256 }, 'address'],
      [{ replyDelayMs: -1 }, 'replyDelayMs'],
      [{ replyToCommands: 'yes' }, 'replyToCommands'],
    ] as const) {
      let error: unknown;
      try {
        new VirtualAaGateBoard(options as never);
      } catch (e) {
        error = e;
      }
      expect(isXinyiError(error, 'INVALID_OPTIONS')).toBe(true);
      expect((error as XinyiError).details.option).toBe(option);
    }
    const board = new VirtualAaGateBoard();
    for (const [fault, argument] of [
      [{ kind: 'melt' }, 'fault.kind'],
      [{ kind: 'no-reply', times: 0 }, 'fault.times'],
      [{ kind: 'unplug', forMs: -5 }, 'fault.forMs'],
      [{ kind: 'garbage', bytes: 'noise' }, 'fault.bytes'],
    ] as const) {
      let error: unknown;
      try {
        board.injectFault(fault as unknown as VirtualAaGateFault);
      } catch (e) {
        error = e;
      }
      expect(isXinyiError(error, 'INVALID_ARGUMENT')).toBe(true);
      expect((error as XinyiError).details.argument).toBe(argument);
    }
    board.dispose();
  });

  it('withdraws a fault that was not used', async () => {
    const h = await host();
    const withdraw = h.board.injectFault({ kind: 'no-reply', persistent: true });
    withdraw();
    await h.query();
    expect(h.board.stats.faultsApplied['no-reply']).toBe(0);
  });
});
