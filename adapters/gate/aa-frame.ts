import { XinyiError } from '../../sdk/errors.js';
import type { GateAlarm, GateDirection, GateState, GateStatus } from '../../sdk/gate/gate.js';
import { type FrameFormat, ResyncFramer } from '../framing/resync-framer.js';

// The AA-frame gate board: docs/protocols.md §3.2 (A), from ysjr-2002/GZ-SpotGate
// (GZ-SpotGate/Core/GateReader.cs, Tcp/TcpGateConnection.cs, GZ-SpotGate2/Core/GateUdpComServer.cs).
//
//   [0]=AA [1]=00 [2]=source [3]=CID1 (02 command, 12 reply) [4]=CID2 (00) [5]=destination (00 broadcast)
//   [6]=LEN (08) [7..14]=DATA[8] [15]=CHK = (sum of bytes 1..14) & 0xFF
//
// The same 16-byte layout carries both directions.

/** Every frame is 16 bytes, both ways. */
export const AA_FRAME_BYTES = 16;
/** [0] of every frame. */
export const AA_FRAME_SYNC = 0xaa;
/** Byte [6]: the DATA length, always 8. */
export const AA_FRAME_DATA_LENGTH = 0x08;
/** [3] of a host → board command. */
export const AA_CID1_COMMAND = 0x02;
/** [3] of a board → host reply. */
export const AA_CID1_REPLY = 0x12;
/** [5] of an open/close command sent to every board on the bus. A status query cannot be broadcast. */
export const AA_BROADCAST_ADDRESS = 0x00;
/** [2] of the host's commands in the reference host code (and [5] of the board's replies). */
export const AA_DEFAULT_HOST_ADDRESS = 0x01;
/** The board address the reference host code queries (`TcpGateConnection.AskGateState`: dest 11). */
export const AA_DEFAULT_GATE_ADDRESS = 0x0b;

/** Serial settings of the board (GateReader.cs): 9600 8N1. */
export const AA_GATE_SERIAL_BAUD_RATE = 9600;
/** TCP port of the board's network module (GateConnectionPool.cs). */
export const AA_GATE_TCP_PORT = 1005;
/** UDP port the board listens on (GateUdpComServer.cs). */
export const AA_GATE_UDP_PORT = 1004;
/** The reference host binds UDP port 10000 + its channel number for each gate (GateUdpComServer.cs). */
export const AA_HOST_UDP_PORT_BASE = 10_000;

/** Counters are 24-bit big-endian (bytes 9–11 entry, 12–14 exit). */
export const AA_COUNTER_MODULUS = 2 ** 24;

/** The gate state codes of byte 7 of a reply (§3.2 A, `GateUdpComServer.cs`). */
export const AaGateStateCode = {
  CLOSED_IDLE: 0x00,
  CLOSED_FIRE: 0x01,
  CLOSED_POWER_LOSS: 0x02,
  OPEN_IDLE: 0x03,
  OPEN_FIRE: 0x04,
  OPEN_MANUAL: 0x05,
  OPEN_ENTRY: 0x06,
  OPEN_EXIT: 0x07,
  ENTRY_CLOSING: 0x08,
  EXIT_CLOSING: 0x09,
  ENTRY_CLOSING_ANTI_PINCH: 0x0a,
  EXIT_CLOSING_ANTI_PINCH: 0x0b,
  ENTRY_OPENING: 0x0c,
  EXIT_OPENING: 0x0d,
  ENTRY_PUSH_OPENING: 0x0e,
  EXIT_PUSH_OPENING: 0x0f,
  LOITERING_ALARM: 0x5f,
  INTRUSION_ALARM: 0x60,
  REVERSE_ALARM: 0x61,
  TAILGATING_ALARM: 0x62,
  EXTERNAL_ALARM: 0x63,
  SELF_TEST: 0xff,
} as const;

export type AaGateStateCode = (typeof AaGateStateCode)[keyof typeof AaGateStateCode];

/**
 * A host → board command (§3.2 A's table; DATA bytes 7, 8, 9):
 * - `entry-open`: 00 00, one person in (the entry command carries no count);
 * - `entry-hold-open`: 00 01, always open until `entry-close`;
 * - `entry-close`: 00 02;
 * - `exit-open`: 00 03 nn, `count` persons out (the reference host sends 0 by default; what a board
 *   makes of 0 is not documented);
 * - `exit-hold-open`: 00 04;
 * - `exit-close`: 00 05 (GZ-SpotGate2; v1's TCP code wrongly reused 04);
 * - `query-status`: FF 00, to one board's address (never broadcast).
 */
export type AaCommand =
  | { action: 'entry-open' }
  | { action: 'entry-hold-open' }
  | { action: 'entry-close' }
  | { action: 'exit-open'; count: number }
  | { action: 'exit-hold-open' }
  | { action: 'exit-close' }
  | { action: 'query-status' };

export type AaCommandAction = AaCommand['action'];

/** Who a frame is from and to. */
export interface AaAddressing {
  /** [2]. @default AA_DEFAULT_HOST_ADDRESS (0x01) for commands; required for replies */
  source?: number;
  /**
   * [5]. For commands, `AA_BROADCAST_ADDRESS` (0x00) reaches every board, except for `query-status`,
   * which needs the board's own address. For replies, the host's address.
   * @default 0x00 for commands, AA_DEFAULT_HOST_ADDRESS (0x01) for replies
   */
  destination?: number;
}

/** One decoded frame, either direction. */
export interface AaFrame {
  /** [2] */
  source: number;
  /** [3]: `AA_CID1_COMMAND` or `AA_CID1_REPLY`. */
  cid1: number;
  /** [4] */
  cid2: number;
  /** [5] */
  destination: number;
  /** Bytes [7..14]: the 8 DATA bytes, a fresh copy the caller may keep. */
  data: Buffer;
}

/** What a status reply carries (byte 7, bytes 9–11, bytes 12–14). */
export interface AaStatusReply {
  stateCode: number;
  entryCount: number;
  exitCount: number;
}

const COMMAND_DATA: Record<Exclude<AaCommandAction, 'exit-open'>, readonly [number, number]> = {
  'entry-open': [0x00, 0x00],
  'entry-hold-open': [0x00, 0x01],
  'entry-close': [0x00, 0x02],
  'exit-hold-open': [0x00, 0x04],
  'exit-close': [0x00, 0x05],
  'query-status': [0xff, 0x00],
};
const EXIT_OPEN_DATA = [0x00, 0x03] as const;
const ACTIONS: ReadonlySet<string> = new Set([...Object.keys(COMMAND_DATA), 'exit-open']);

/** `(sum of bytes[1..14]) & 0xFF`: the AA frame checksum, over a 16-byte frame (or its first 15 bytes). */
export function aaChecksum(frame: Uint8Array): number {
  let sum = 0;
  for (let i = 1; i < AA_FRAME_BYTES - 1; i++) sum += frame[i] ?? 0;
  return sum & 0xff;
}

function assertByte(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xff) {
    throw new XinyiError('INVALID_ARGUMENT', `${name} must be an integer 0..255`, {
      details: { argument: name },
    });
  }
}

function buildFrame(source: number, cid1: number, destination: number, data: readonly number[]): Buffer {
  const frame = Buffer.alloc(AA_FRAME_BYTES);
  frame[0] = AA_FRAME_SYNC;
  frame[2] = source;
  frame[3] = cid1;
  frame[5] = destination;
  frame[6] = AA_FRAME_DATA_LENGTH;
  frame.set(data, 7);
  frame[15] = aaChecksum(frame);
  return frame;
}

/**
 * Builds a host → board frame. For example `encodeAaCommand({ action: 'entry-open' })` is
 * `AA 00 01 02 00 00 08 00 00 00 00 00 00 00 00 0B`, and
 * `encodeAaCommand({ action: 'query-status' }, { destination: 0x0B })` is
 * `AA 00 01 02 00 0B 08 FF 00 00 00 00 00 00 00 15`.
 * @throws XinyiError `INVALID_ARGUMENT` for an unknown action, an address or count that is not a
 *   byte, or a status query to the broadcast address.
 */
export function encodeAaCommand(command: AaCommand, addressing: AaAddressing = {}): Buffer {
  if (command === null || typeof command !== 'object' || !ACTIONS.has(command.action)) {
    throw new XinyiError('INVALID_ARGUMENT', 'command.action is not an AA gate command', {
      details: { argument: 'command.action' },
    });
  }
  const source = addressing.source ?? AA_DEFAULT_HOST_ADDRESS;
  const destination = addressing.destination ?? AA_BROADCAST_ADDRESS;
  assertByte('source', source);
  assertByte('destination', destination);
  if (command.action === 'query-status' && destination === AA_BROADCAST_ADDRESS) {
    throw new XinyiError(
      'INVALID_ARGUMENT',
      'an AA status query needs the gate address: it cannot be broadcast',
      {
        details: { argument: 'destination' },
      },
    );
  }
  if (command.action === 'exit-open') {
    assertByte('count', command.count);
    return buildFrame(source, AA_CID1_COMMAND, destination, [...EXIT_OPEN_DATA, command.count]);
  }
  return buildFrame(source, AA_CID1_COMMAND, destination, COMMAND_DATA[command.action]);
}

/**
 * Builds a board → host status reply (for the simulator). For example
 * `encodeAaStatusReply({ stateCode: 0, entryCount: 258, exitCount: 3 }, { source: 0x0B })` is
 * `AA 00 0B 12 00 01 08 00 00 00 01 02 00 00 03 2C`.
 * @throws XinyiError `INVALID_ARGUMENT` when the state code or an address is not a byte, a counter is
 *   not an integer 0..2^24−1, or `source` is missing.
 */
export function encodeAaStatusReply(reply: AaStatusReply, addressing: AaAddressing): Buffer {
  if (reply === null || typeof reply !== 'object') {
    throw new XinyiError('INVALID_ARGUMENT', 'reply must be an object', { details: { argument: 'reply' } });
  }
  const source = addressing?.source;
  const destination = addressing?.destination ?? AA_DEFAULT_HOST_ADDRESS;
  assertByte('source', source);
  assertByte('destination', destination);
  assertByte('stateCode', reply.stateCode);
  const data = [reply.stateCode, 0x00];
  for (const name of ['entryCount', 'exitCount'] as const) {
    const value = reply[name];
    if (!Number.isInteger(value) || value < 0 || value >= AA_COUNTER_MODULUS) {
      throw new XinyiError('INVALID_ARGUMENT', `${name} must be an integer 0..16777215 (24 bits)`, {
        details: { argument: name },
      });
    }
    data.push((value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff);
  }
  return buildFrame(source, AA_CID1_REPLY, destination, data);
}

/**
 * What a host → board frame asks for, or undefined when it is not a command of the table (a reply, a
 * DATA pattern the reference does not list). The simulator's side of `encodeAaCommand`.
 */
export function decodeAaCommand(frame: AaFrame): AaCommand | undefined {
  if (frame.cid1 !== AA_CID1_COMMAND) return undefined;
  const [d0, d1, d2] = [frame.data[0], frame.data[1], frame.data[2]];
  if (d0 === 0xff && d1 === 0x00) return { action: 'query-status' };
  if (d0 !== 0x00) return undefined;
  switch (d1) {
    case 0x00:
      return { action: 'entry-open' };
    case 0x01:
      return { action: 'entry-hold-open' };
    case 0x02:
      return { action: 'entry-close' };
    case 0x03:
      return { action: 'exit-open', count: d2 ?? 0 };
    case 0x04:
      return { action: 'exit-hold-open' };
    case 0x05:
      return { action: 'exit-close' };
    default:
      return undefined;
  }
}

interface StateMeaning {
  state: GateState;
  direction?: GateDirection;
  held?: boolean;
  alarms: GateAlarm[];
}

// 03 "open (idle)" leaves `held` unset: the reference does not say which code a hold-open command
// shows, nor whether 03 is a held gate or one waiting for its person.
const STATE_MEANINGS: ReadonlyMap<number, StateMeaning> = new Map<number, StateMeaning>([
  [AaGateStateCode.CLOSED_IDLE, { state: 'closed', alarms: [] }],
  [AaGateStateCode.CLOSED_FIRE, { state: 'closed', alarms: ['fire'] }],
  [AaGateStateCode.CLOSED_POWER_LOSS, { state: 'closed', alarms: ['power-loss'] }],
  [AaGateStateCode.OPEN_IDLE, { state: 'open', alarms: [] }],
  [AaGateStateCode.OPEN_FIRE, { state: 'open', held: true, alarms: ['fire'] }],
  [AaGateStateCode.OPEN_MANUAL, { state: 'open', held: true, alarms: [] }],
  [AaGateStateCode.OPEN_ENTRY, { state: 'open', direction: 'entry', held: false, alarms: [] }],
  [AaGateStateCode.OPEN_EXIT, { state: 'open', direction: 'exit', held: false, alarms: [] }],
  [AaGateStateCode.ENTRY_CLOSING, { state: 'closing', direction: 'entry', alarms: [] }],
  [AaGateStateCode.EXIT_CLOSING, { state: 'closing', direction: 'exit', alarms: [] }],
  [
    AaGateStateCode.ENTRY_CLOSING_ANTI_PINCH,
    { state: 'closing', direction: 'entry', alarms: ['anti-pinch'] },
  ],
  [AaGateStateCode.EXIT_CLOSING_ANTI_PINCH, { state: 'closing', direction: 'exit', alarms: ['anti-pinch'] }],
  [AaGateStateCode.ENTRY_OPENING, { state: 'opening', direction: 'entry', alarms: [] }],
  [AaGateStateCode.EXIT_OPENING, { state: 'opening', direction: 'exit', alarms: [] }],
  [AaGateStateCode.ENTRY_PUSH_OPENING, { state: 'opening', direction: 'entry', alarms: [] }],
  [AaGateStateCode.EXIT_PUSH_OPENING, { state: 'opening', direction: 'exit', alarms: [] }],
  [AaGateStateCode.LOITERING_ALARM, { state: 'alarm', alarms: ['loitering'] }],
  [AaGateStateCode.INTRUSION_ALARM, { state: 'alarm', alarms: ['intrusion'] }],
  [AaGateStateCode.REVERSE_ALARM, { state: 'alarm', alarms: ['reverse'] }],
  [AaGateStateCode.TAILGATING_ALARM, { state: 'alarm', alarms: ['tailgating'] }],
  [AaGateStateCode.EXTERNAL_ALARM, { state: 'alarm', alarms: ['external'] }],
  [AaGateStateCode.SELF_TEST, { state: 'self-test', alarms: [] }],
]);

/**
 * Reads a status reply: the state code of byte 7 (§3.2 A's table) as state, direction, held and
 * alarms, and the 24-bit big-endian counters of bytes 9–11 (entry) and 12–14 (exit). A code outside
 * the table gives state `unknown`; `rawState` always carries the code. Takes a decoded frame or the
 * 16 raw bytes.
 * @throws XinyiError `FRAME_LENGTH` / `FRAME_CHECKSUM` for raw bytes that are not a valid frame,
 *   `INVALID_ARGUMENT` for a frame that is not a reply (CID1 ≠ 0x12).
 */
export function parseAaStatusReply(frame: AaFrame | Uint8Array): GateStatus {
  const decoded = frame instanceof Uint8Array ? decodeOneFrame(frame) : frame;
  if (decoded.cid1 !== AA_CID1_REPLY || decoded.data.length !== 8) {
    throw new XinyiError('INVALID_ARGUMENT', 'not an AA status reply (CID1 must be 0x12)', {
      details: { argument: 'frame', cid1: decoded.cid1 },
    });
  }
  const data = decoded.data;
  const code = data[0]!;
  const meaning = STATE_MEANINGS.get(code) ?? { state: 'unknown', alarms: [] };
  const status: GateStatus = {
    state: meaning.state,
    entryCount: data.readUIntBE(2, 3),
    exitCount: data.readUIntBE(5, 3),
    alarms: [...meaning.alarms],
    rawState: code,
  };
  if (meaning.direction !== undefined) status.direction = meaning.direction;
  if (meaning.held !== undefined) status.held = meaning.held;
  return status;
}

function decodeOneFrame(bytes: Uint8Array): AaFrame {
  if (bytes.length !== AA_FRAME_BYTES || bytes[0] !== AA_FRAME_SYNC || bytes[1] !== 0x00) {
    throw new XinyiError('FRAME_LENGTH', 'not a 16-byte AA frame', {
      details: { receivedBytes: bytes.length },
    });
  }
  const results = new AaFrameDecoder().push(bytes);
  const only = results[0];
  if (only === undefined) {
    throw new XinyiError('FRAME_LENGTH', 'not a 16-byte AA frame', {
      details: { receivedBytes: bytes.length },
    });
  }
  if (only instanceof XinyiError) throw only;
  return only;
}

const aaFormat: FrameFormat<AaFrame> = {
  markerBytes: 1,
  findStart(bytes, from, end) {
    const at = bytes.subarray(from, end).indexOf(AA_FRAME_SYNC);
    return at < 0 ? end : from + at;
  },
  measure(bytes, at, available) {
    if (available < 2) return 'partial';
    if (bytes[at + 1] !== 0x00) return 'noise';
    if (available < 7) return { needBytes: 7 };
    const len = bytes[at + 6]!;
    if (len !== AA_FRAME_DATA_LENGTH) {
      const invalid = new XinyiError('FRAME_LENGTH', 'AA frame declares a length other than 8', {
        details: { declaredLength: len, expectedLength: AA_FRAME_DATA_LENGTH },
      });
      return { invalid, spanBytes: 7 };
    }
    return { frameBytes: AA_FRAME_BYTES };
  },
  check(frame) {
    const computed = aaChecksum(frame);
    const received = frame[15]!;
    if (computed === received) return undefined;
    return new XinyiError('FRAME_CHECKSUM', 'AA frame checksum does not match its content', {
      details: { computedChecksum: computed, frameChecksum: received },
    });
  },
  decode(frame) {
    return {
      source: frame[2]!,
      cid1: frame[3]!,
      cid2: frame[4]!,
      destination: frame[5]!,
      data: Buffer.from(frame.subarray(7, 15)),
    };
  },
  cutShort(_bytes, _at, available) {
    return new XinyiError('FRAME_LENGTH', 'AA frame cut short before its end', {
      details: { receivedBytes: available, expectedBytes: AA_FRAME_BYTES, truncated: true },
    });
  },
};

/**
 * Incremental, sans-I/O decoder of AA frames (either direction: both share the layout), with the
 * shared framing behaviour of `FrameDecoder` (adapters/framing/frame-decoder.ts).
 *
 * - A frame starts at `AA 00`: bytes before it are skipped (counted in `discardedBytes`), and an
 *   `AA` followed by anything but `00` is skipped as noise.
 * - A frame whose LEN (byte 6) is not 8 is returned as `FRAME_LENGTH` as soon as byte 6 arrives; one
 *   whose checksum does not match as `FRAME_CHECKSUM`. Both are returned in the frame's place, never
 *   thrown, and the search resumes at the byte after that frame's `AA`: a false start in line
 *   noise must not swallow the good frame that begins inside its 16 bytes.
 */
export class AaFrameDecoder extends ResyncFramer<AaFrame> {
  constructor() {
    super(aaFormat);
  }
}
