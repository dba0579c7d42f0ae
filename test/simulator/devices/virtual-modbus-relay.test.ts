import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  encodeExceptionResponse,
  encodeReadCoils,
  encodeReadDiscreteInputs,
  encodeReadHoldingRegisters,
  encodeReadInputRegisters,
  encodeWriteMultipleCoils,
  encodeWriteMultipleResponse,
  encodeWriteSingleCoil,
  ModbusResponseDecoder,
  modbusCrc,
} from '../../../adapters/gate/modbus-rtu.js';
import { createMemoryLink, type MemoryLink } from '../../../adapters/transport/memory-transport.js';
import { isXinyiError } from '../../../sdk/errors.js';
import { VirtualGateCore } from '../../../simulator/devices/virtual-gate-core.js';
import {
  VirtualModbusRelayBoard,
  type VirtualModbusRelayBoardOptions,
} from '../../../simulator/devices/virtual-modbus-relay.js';
import { bytewise, hex, toHex } from '../../adapters/id-card/helpers.js';

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});

afterEach(() => {
  vi.useRealTimers();
});

interface Rig {
  board: VirtualModbusRelayBoard;
  core: VirtualGateCore;
  link: MemoryLink;
  /** Every byte the host received, as hex chunks joined. */
  received(): string;
  /** Sends bytes from the host and returns what came back (hex), once everything settled. */
  send(bytes: Uint8Array | Uint8Array[]): Promise<string>;
}

async function rig(options: VirtualModbusRelayBoardOptions = {}): Promise<Rig> {
  const link = createMemoryLink();
  const core = new VirtualGateCore({ motionMs: 10, passDelayMs: 20, openTimeoutMs: 500, alarmMs: 100 });
  const board = new VirtualModbusRelayBoard({ core, sensorHoldMs: 50, ...options });
  board.on('unplug', () => link.unplug());
  board.on('plug-in', () => link.plugIn());
  expect(await board.attach(link.device)).toBe(true);
  await link.host.open();
  const chunks: Buffer[] = [];
  link.host.on('data', (chunk) => chunks.push(chunk));
  const received = () => toHex(Buffer.concat(chunks));
  return {
    board,
    core,
    link,
    received,
    send: async (bytes) => {
      const before = Buffer.concat(chunks).length;
      for (const chunk of Array.isArray(bytes) ? bytes : [bytes]) await link.host.write(chunk);
      await vi.advanceTimersByTimeAsync(0);
      return toHex(Buffer.concat(chunks).subarray(before));
    },
  };
}

function withCrc(body: string): Buffer {
  const bytes = hex(body);
  const crc = Buffer.alloc(2);
  crc.writeUInt16LE(modbusCrc(bytes));
  return Buffer.concat([bytes, crc]);
}

describe('VirtualModbusRelayBoard: frames in, replies out', () => {
  it('FC05 ON echoes the request byte-exact, closes the relay and opens the gate (rising edge)', async () => {
    const r = await rig();
    const opens: string[] = [];
    r.core.on('open-command', (e) => opens.push(e.direction));
    expect(await r.send(hex('01 05 00 00 FF 00 8C 3A'))).toBe('01 05 00 00 FF 00 8C 3A');
    expect(r.board.coils.slice(0, 2)).toEqual([true, false]);
    expect(opens).toEqual(['entry']);
    // Staying closed opens nothing more; releasing and closing again is a second opening.
    expect(await r.send(hex('01 05 00 00 FF 00 8C 3A'))).toBe('01 05 00 00 FF 00 8C 3A');
    expect(await r.send(hex('01 05 00 00 00 00 CD CA'))).toBe('01 05 00 00 00 00 CD CA');
    expect(await r.send(hex('01 05 00 01 FF 00 DD FA'))).toBe('01 05 00 01 FF 00 DD FA');
    expect(opens).toEqual(['entry', 'exit']);
  });

  it('a request split byte by byte is answered once', async () => {
    const r = await rig();
    expect(await r.send(bytewise(hex('01 05 00 01 FF 00 DD FA')))).toBe('01 05 00 01 FF 00 DD FA');
    expect(r.board.stats).toMatchObject({ requests: 1, replies: 1 });
  });

  it('FC0F then FC01: relays 0 and 6 read back as 01 01 01 41 91 B8 (§3.1)', async () => {
    const r = await rig();
    const write = encodeWriteMultipleCoils(1, 0, [true, false, false, false, false, false, true, false]);
    expect(await r.send(write)).toBe(toHex(encodeWriteMultipleResponse(1, 0x0f, 0, 8)));
    expect(await r.send(hex('01 01 00 00 00 08 3D CC'))).toBe('01 01 01 41 91 B8');
  });

  it('FC0F all 8 ON and OFF (§3.1) reply with address and quantity', async () => {
    const r = await rig();
    expect(await r.send(hex('01 0F 00 00 00 08 01 FF BE D5'))).toBe(
      toHex(encodeWriteMultipleResponse(1, 0x0f, 0, 8)),
    );
    expect(r.board.coils).toEqual(Array(8).fill(true));
    await r.send(hex('01 0F 00 00 00 08 01 00 FE 95'));
    expect(r.board.coils).toEqual(Array(8).fill(false));
  });

  it('FC03/FC06 read and write the holding registers', async () => {
    const r = await rig();
    expect(await r.send(hex('01 06 00 01 00 03 98 0B'))).toBe('01 06 00 01 00 03 98 0B');
    expect(await r.send(hex('01 03 00 00 00 02 C4 0B'))).toBe(toHex(withCrc('01 03 04 00 00 00 03')));
  });

  it('answers exception 02 for addresses off the board, 03 for bad values, 01 for FC04/FC10', async () => {
    const r = await rig();
    expect(await r.send(encodeWriteSingleCoil(1, 8, true))).toBe('01 85 02 C3 51');
    expect(await r.send(encodeReadDiscreteInputs(1, 4, 5))).toBe(toHex(encodeExceptionResponse(1, 2, 2)));
    expect(await r.send(encodeReadHoldingRegisters(1, 0, 9))).toBe(toHex(encodeExceptionResponse(1, 3, 2)));
    expect(await r.send(withCrc('01 05 00 00 12 34'))).toBe(toHex(encodeExceptionResponse(1, 5, 3)));
    expect(await r.send(encodeReadInputRegisters(1, 0, 2))).toBe(toHex(encodeExceptionResponse(1, 4, 1)));
    expect(r.board.coils).toEqual(Array(8).fill(false));
    expect(r.board.stats).toMatchObject({ requests: 5, replies: 5, exceptions: 5 });
  });

  it('answers exception 01 for function codes it does not implement (FC11 from mbpoll -u, FC07, FC08, FC2B…)', async () => {
    const r = await rig();
    const requests: Array<[string, number]> = [
      ['01 11', 0x11], // report server ID: what `mbpoll -u` sends
      ['01 07', 0x07],
      ['01 0B', 0x0b],
      ['01 08 00 00 12 34', 0x08],
      ['01 16 00 04 00 F2 00 25', 0x16],
      ['01 17 00 03 00 06 00 0E 00 03 06 00 FF 00 FF 00 FF', 0x17],
      ['01 14 07 06 00 04 00 01 00 02', 0x14],
      ['01 2B 0E 01 00', 0x2b],
    ];
    for (const [body, fc] of requests) {
      expect(await r.send(withCrc(body)), body).toBe(toHex(encodeExceptionResponse(1, fc, 0x01)));
    }
    // Split byte by byte, as a UART delivers it.
    expect(await r.send(bytewise(withCrc('01 11')))).toBe(toHex(encodeExceptionResponse(1, 0x11, 0x01)));
    expect(r.board.stats).toMatchObject({ exceptions: requests.length + 1 });
  });

  it('a function code of unknown length (user-defined FC41) is taken whole after the line goes quiet', async () => {
    const r = await rig();
    expect(await r.send(withCrc('01 41 DE AD BE EF'))).toBe('');
    await vi.advanceTimersByTimeAsync(60);
    expect(r.received()).toBe(toHex(encodeExceptionResponse(1, 0x41, 0x01)));
  });

  it('ignores other unit ids and damaged frames, as a real slave does', async () => {
    const r = await rig({ unitId: 3 });
    expect(await r.send(hex('01 05 00 00 FF 00 8C 3A'))).toBe('');
    expect(await r.send(hex('03 05 00 00 FF 00 8C 3B'))).toBe('');
    expect(r.board.coils[0]).toBe(false);
    expect(r.board.stats).toMatchObject({ requests: 0, replies: 0, otherUnit: 1, badFrames: 1 });
    expect(await r.send(encodeWriteSingleCoil(3, 0, true))).toBe(toHex(encodeWriteSingleCoil(3, 0, true)));
  });

  it('carries out a broadcast (unit 0) write without answering it', async () => {
    const r = await rig();
    expect(await r.send(encodeWriteSingleCoil(0, 2, true))).toBe('');
    expect(r.board.coils[2]).toBe(true);
  });

  it('drops a partial frame after the line stays quiet, then answers the next one', async () => {
    const r = await rig({ idleFlushMs: 20 });
    expect(await r.send(hex('01 05 00 00 FF'))).toBe('');
    await vi.advanceTimersByTimeAsync(25);
    expect(await r.send(hex('01 05 00 01 FF 00 DD FA'))).toBe('01 05 00 01 FF 00 DD FA');
    expect(r.board.stats.badFrames).toBe(1);
  });
});

describe('VirtualModbusRelayBoard: the gate behind the relays', () => {
  const readInputs = encodeReadDiscreteInputs(1, 0, 8);
  const inputBits = (reply: string) => {
    const [frame] = new ModbusResponseDecoder().push(hex(reply));
    if (frame === undefined || isXinyiError(frame)) throw new Error(`no reply frame in ${reply}`);
    return frame.data[1]!;
  };

  it('a passage holds the entry sensor input ON for sensorHoldMs', async () => {
    const r = await rig();
    await r.send(encodeWriteSingleCoil(1, 0, true));
    await vi.advanceTimersByTimeAsync(10 + 20);
    expect(r.core.stats.passages).toBe(1);
    expect(inputBits(await r.send(readInputs))).toBe(0b01);
    await vi.advanceTimersByTimeAsync(50);
    expect(inputBits(await r.send(readInputs))).toBe(0b00);
  });

  it('an exit passage drives the exit sensor; a tailgate is two pulses with OFF between', async () => {
    const r = await rig();
    r.core.queueBehaviour('tailgate');
    await r.send(encodeWriteSingleCoil(1, 1, true));
    await vi.advanceTimersByTimeAsync(30);
    const seen: number[] = [];
    for (let t = 0; t < 8; t++) {
      seen.push(inputBits(await r.send(readInputs)));
      await vi.advanceTimersByTimeAsync(25);
    }
    expect(seen).toEqual([0b10, 0b10, 0b00, 0b00, 0b10, 0b10, 0b00, 0b00]);
  });

  it('a core alarm drives its input while it lasts', async () => {
    const r = await rig({ alarmInputs: { fire: 7 } });
    r.core.raiseAlarm('fire');
    expect(inputBits(await r.send(readInputs))).toBe(0x80);
    r.core.clearAlarm('fire');
    expect(inputBits(await r.send(readInputs))).toBe(0x00);
  });

  it("openInput 'level': the gate is held open while the relay is closed and closes when it opens", async () => {
    const r = await rig({ openInput: 'level' });
    await r.send(encodeWriteSingleCoil(1, 0, true));
    await vi.advanceTimersByTimeAsync(200);
    expect(r.core.snapshot()).toMatchObject({ phase: 'open', held: true });
    await r.send(encodeWriteSingleCoil(1, 0, false));
    await vi.advanceTimersByTimeAsync(20);
    expect(r.core.snapshot().phase).toBe('closed');
  });
});

describe('VirtualModbusRelayBoard: faults', () => {
  it('garbage before the reply', async () => {
    const r = await rig();
    r.board.injectFault({ kind: 'garbage', bytes: hex('FF 00 13') });
    expect(await r.send(hex('01 05 00 00 FF 00 8C 3A'))).toBe('FF 00 13 01 05 00 00 FF 00 8C 3A');
    expect(await r.send(hex('01 05 00 00 FF 00 8C 3A'))).toBe('01 05 00 00 FF 00 8C 3A');
  });

  it('a reply with its CRC inverted, and a lost reply (the request is still carried out)', async () => {
    const r = await rig();
    r.board.injectFault({ kind: 'bad-crc' });
    expect(await r.send(hex('01 05 00 00 FF 00 8C 3A'))).toBe('01 05 00 00 FF 00 73 C5');
    r.board.injectFault({ kind: 'no-reply' });
    expect(await r.send(hex('01 05 00 01 FF 00 DD FA'))).toBe('');
    expect(r.board.coils.slice(0, 2)).toEqual([true, true]);
  });

  it('muted: nothing heard, nothing answered, until unmuted', async () => {
    const r = await rig();
    r.board.mute();
    expect(await r.send(hex('01 05 00 00 FF 00 8C 3A'))).toBe('');
    expect(r.board.coils[0]).toBe(false);
    r.board.mute(false);
    expect(await r.send(hex('01 05 00 00 FF 00 8C 3A'))).toBe('01 05 00 00 FF 00 8C 3A');
  });

  it('unplug: relays drop, the link is pulled; plug-in powers the gate up and it answers again', async () => {
    const r = await rig();
    await r.send(encodeWriteSingleCoil(1, 3, true));
    const events: string[] = [];
    r.board.on('unplug', () => events.push('unplug'));
    r.board.on('plug-in', () => events.push('plug-in'));
    r.board.unplug(100);
    expect(r.board.coils[3]).toBe(false);
    expect(r.link.plugged).toBe(false);
    expect(r.link.host.isOpen).toBe(false);
    await vi.advanceTimersByTimeAsync(100);
    expect(events).toEqual(['unplug', 'plug-in']);
    expect(r.core.snapshot().selfTest).toBe(true);
    await r.link.host.open();
    expect(await r.send(encodeReadCoils(1, 0, 8))).toBe('01 01 01 00 51 88');
  });
});
