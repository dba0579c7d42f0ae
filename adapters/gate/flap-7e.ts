import { XinyiError, XinyiErrorCode } from '../../sdk/errors.js';
import {
  GATE_ALARMS,
  type GateAlarm,
  type GateDirection,
  type GateState,
  type GateStatus,
} from '../../sdk/gate/gate.js';
import { type FrameFormat, ResyncFramer } from '../framing/resync-framer.js';

// The 7E/7F flap/swing-barrier main board, docs/protocols.md §3.2 (B). Only the command frame
// and its checksum are verified by the reference; the reply layout comes from reverse-engineered
// code, and the reply checksum and the meaning of its fault/gateStatus/alarm codes are unconfirmed
// (§4 item 7). Everything unconfirmed is configurable here, with the defaults documented.
//
//   host → board, 8 bytes:   7E 00 machine cmd d0 d1 d2 chk        chk = ~(sum of bytes 0..6) & 0xFF
//   board → host, 18 bytes:  7F ver machine fault gateStatus alarm L2 L1 L0 R2 R1 R0
//                            infrared cmdExec vcc u1 u2 chk        counts 24-bit big-endian

/** RS-485 line rate of the board (8N1), per the reverse-engineered code's header. */
export const FLAP_BAUD_RATE = 19_200;
export const FLAP_COMMAND_HEAD = 0x7e;
export const FLAP_REPLY_HEAD = 0x7f;
export const FLAP_COMMAND_BYTES = 8;
export const FLAP_REPLY_BYTES = 18;
export const FLAP_DEFAULT_MACHINE = 1;
/** The board's counters are 24 bits wide. */
export const FLAP_COUNTER_MODULUS = 2 ** 24;

/** Command codes (byte 3), §3.2 (B) table. */
export const FlapCommand = {
  query: 0x10,
  resetLeftCount: 0x20,
  resetRightCount: 0x21,
  /** With d0 = `FLAP_RESET_DEVICE_KEY`. */
  resetDevice: 0x35,
  /** d0 = persons. */
  leftOpen: 0x80,
  /** d0 = 01. */
  leftAlwaysOpen: 0x81,
  /** d0 = persons. */
  rightOpen: 0x82,
  /** d0 = 01: right always-open; d0 = 00: both ways always-open. */
  alwaysOpen: 0x83,
  /** Close, back to normal operation. */
  close: 0x84,
  forbidLeft: 0x88,
  forbidRight: 0x89,
  clearForbid: 0x8f,
  /** d0 = menu, d1 = value. */
  setParameter: 0x96,
} as const;

export type FlapCommandName = keyof typeof FlapCommand;
export const FLAP_RESET_DEVICE_KEY = 0x60;

/** The board's two passage directions, named as the board names them. */
export type FlapSide = 'left' | 'right';

/** Which way of the lane each side is. */
export interface FlapDirections {
  left: GateDirection;
  right: GateDirection;
}

/** Left = entry, right = exit: how the board is installed unless the site says otherwise. */
export const DEFAULT_FLAP_DIRECTIONS: Readonly<FlapDirections> = Object.freeze({
  left: 'entry',
  right: 'exit',
});

/**
 * How a reply's last byte is computed from the 17 bytes before it. The reference confirms only the
 * command's rule (`'not-sum'`); the reply is assumed to use the same one. `'none'` accepts any
 * last byte, at the price of weaker resynchronisation (every 0x7F then starts a frame).
 */
export type FlapChecksumRule = 'not-sum' | 'sum' | 'xor' | 'none' | ((body: Uint8Array) => number);

/** A host → board frame. */
export interface FlapCommandFrame {
  machine: number;
  cmd: number;
  d0: number;
  d1: number;
  d2: number;
}

/** A board → host frame, every field raw. */
export interface FlapReply {
  version: number;
  machine: number;
  fault: number;
  gateStatus: number;
  alarm: number;
  leftCount: number;
  rightCount: number;
  infrared: number;
  /** Possibly the last command the board carried out, or its result: unconfirmed, not interpreted. */
  cmdExec: number;
  vcc: number;
  u1: number;
  u2: number;
}

/** What a `gateStatus` code means. */
export interface FlapStateCode {
  state: GateState;
  /** Which side the barrier is open or moving to. */
  side?: FlapSide;
  held?: boolean;
  /** Alarms the code itself carries (a fire-open state, a closing stopped by anti-pinch). */
  alarms?: readonly GateAlarm[];
}

/** Meaning of the reply's `gateStatus` and `alarm` bytes. */
export interface FlapCodeTable {
  gateStatus: Readonly<Record<number, FlapStateCode>>;
  /** `alarm` byte → alarms; 0 means none unless mapped. An unmapped non-zero code reads as `external`. */
  alarm: Readonly<Record<number, readonly GateAlarm[]>>;
}

/**
 * UNCONFIRMED default code table (§4 item 7: the reference does not give protocol B's code values).
 *
 * `gateStatus` reuses the state codes of the Chinese scenic-spot board of §3.2 (A), the only such
 * table the sources give, reading its "entry" as left and "exit" as right. `alarm` reuses A's alarm
 * codes 0x5F–0x63; 0x64–0x66 (fire, power loss, anti-pinch) are this SDK's own additions so that
 * every `GateAlarm` can be reported, and come from no source. Replace either part through the
 * driver's `codes` option once a board's documentation is known.
 */
export const DEFAULT_FLAP_CODES: Readonly<FlapCodeTable> = deepFreeze({
  gateStatus: {
    0: { state: 'closed' },
    1: { state: 'closed', alarms: ['fire'] },
    2: { state: 'closed', alarms: ['power-loss'] },
    3: { state: 'open', held: true },
    4: { state: 'open', held: true, alarms: ['fire'] },
    5: { state: 'open', held: true },
    6: { state: 'open', side: 'left' },
    7: { state: 'open', side: 'right' },
    8: { state: 'closing', side: 'left' },
    9: { state: 'closing', side: 'right' },
    10: { state: 'closing', side: 'left', alarms: ['anti-pinch'] },
    11: { state: 'closing', side: 'right', alarms: ['anti-pinch'] },
    12: { state: 'opening', side: 'left' },
    13: { state: 'opening', side: 'right' },
    14: { state: 'opening', side: 'left' },
    15: { state: 'opening', side: 'right' },
    95: { state: 'alarm', alarms: ['loitering'] },
    96: { state: 'alarm', alarms: ['intrusion'] },
    97: { state: 'alarm', alarms: ['reverse'] },
    98: { state: 'alarm', alarms: ['tailgating'] },
    99: { state: 'alarm', alarms: ['external'] },
    255: { state: 'self-test' },
  },
  alarm: {
    0: [],
    95: ['loitering'],
    96: ['intrusion'],
    97: ['reverse'],
    98: ['tailgating'],
    99: ['external'],
    100: ['fire'],
    101: ['power-loss'],
    102: ['anti-pinch'],
  },
} satisfies FlapCodeTable);

/** Options of the reply decoder and `decodeFlapReply`. */
export interface FlapReplyOptions {
  /** @default 'not-sum' (the command's rule; unconfirmed for replies) */
  replyChecksum?: FlapChecksumRule;
}

/** Options of the code mapping between a reply and a `GateStatus`. */
export interface FlapStatusOptions {
  /** Merged over `DEFAULT_FLAP_CODES`, per code. */
  codes?: Partial<FlapCodeTable>;
  /** @default DEFAULT_FLAP_DIRECTIONS (left = entry) */
  directions?: FlapDirections;
}

/** `~(sum of bytes[start..end)) & 0xFF`: the command checksum (§3.2 B). */
export function flapChecksum(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let sum = 0;
  for (let i = start; i < end; i++) sum += bytes[i]!;
  return ~sum & 0xff;
}

function replyChecksumOf(rule: FlapChecksumRule, body: Uint8Array): number | undefined {
  if (typeof rule === 'function') return rule(body) & 0xff;
  switch (rule) {
    case 'not-sum':
      return flapChecksum(body);
    case 'sum':
      return ~flapChecksum(body) & 0xff;
    case 'xor': {
      let x = 0;
      for (const b of body) x ^= b;
      return x;
    }
    case 'none':
      return undefined;
  }
}

function checkedRule(rule: FlapChecksumRule | undefined): FlapChecksumRule {
  const value = rule ?? 'not-sum';
  if (typeof value !== 'function' && !['not-sum', 'sum', 'xor', 'none'].includes(value)) {
    throw new XinyiError(
      XinyiErrorCode.INVALID_OPTIONS,
      `replyChecksum must be 'not-sum', 'sum', 'xor', 'none' or a function`,
      {
        details: { option: 'replyChecksum' },
      },
    );
  }
  return value;
}

function assertByte(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xff) {
    throw new XinyiError(XinyiErrorCode.INVALID_ARGUMENT, `${name} must be an integer 0..255`, {
      details: { argument: name },
    });
  }
}

function assertCount(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value >= FLAP_COUNTER_MODULUS) {
    throw new XinyiError(XinyiErrorCode.INVALID_ARGUMENT, `${name} must be an integer 0..2^24-1`, {
      details: { argument: name },
    });
  }
}

function assertSide(side: unknown): asserts side is FlapSide {
  if (side !== 'left' && side !== 'right') {
    throw new XinyiError(XinyiErrorCode.INVALID_ARGUMENT, `side must be 'left' or 'right'`, {
      details: { argument: 'side' },
    });
  }
}

/**
 * Builds a command frame: `7E 00 machine cmd d0 d1 d2 chk`. For example `encodeFlapCommand(1, 0x10)`
 * is `7E 00 01 10 00 00 00 70` (query status).
 * @throws XinyiError `INVALID_ARGUMENT` when an argument is not a byte.
 */
export function encodeFlapCommand(machine: number, cmd: number, d0 = 0, d1 = 0, d2 = 0): Buffer {
  assertByte('machine', machine);
  assertByte('cmd', cmd);
  assertByte('d0', d0);
  assertByte('d1', d1);
  assertByte('d2', d2);
  const frame = Buffer.from([FLAP_COMMAND_HEAD, 0x00, machine, cmd, d0, d1, d2, 0]);
  frame[7] = flapChecksum(frame, 0, 7);
  return frame;
}

/** 0x10: ask for the 18-byte status reply. */
export function flapQueryStatus(machine = FLAP_DEFAULT_MACHINE): Buffer {
  return encodeFlapCommand(machine, FlapCommand.query);
}

/** 0x20 (left) / 0x21 (right): zero one passage counter. */
export function flapResetCount(side: FlapSide, machine = FLAP_DEFAULT_MACHINE): Buffer {
  assertSide(side);
  return encodeFlapCommand(
    machine,
    side === 'left' ? FlapCommand.resetLeftCount : FlapCommand.resetRightCount,
  );
}

/** 0x35 0x60: restart the board. */
export function flapResetDevice(machine = FLAP_DEFAULT_MACHINE): Buffer {
  return encodeFlapCommand(machine, FlapCommand.resetDevice, FLAP_RESET_DEVICE_KEY);
}

/** 0x80 n (left) / 0x82 n (right): open for `persons` (1–255). */
export function flapOpen(side: FlapSide, persons = 1, machine = FLAP_DEFAULT_MACHINE): Buffer {
  assertSide(side);
  if (!Number.isInteger(persons) || persons < 1 || persons > 0xff) {
    throw new XinyiError(XinyiErrorCode.INVALID_ARGUMENT, 'persons must be an integer 1..255', {
      details: { argument: 'persons' },
    });
  }
  return encodeFlapCommand(machine, side === 'left' ? FlapCommand.leftOpen : FlapCommand.rightOpen, persons);
}

/** 0x81 01 (left), 0x83 01 (right), 0x83 00 (both ways): hold open until `flapClose`. */
export function flapAlwaysOpen(side: FlapSide | 'both', machine = FLAP_DEFAULT_MACHINE): Buffer {
  if (side === 'both') return encodeFlapCommand(machine, FlapCommand.alwaysOpen, 0x00);
  assertSide(side);
  return encodeFlapCommand(
    machine,
    side === 'left' ? FlapCommand.leftAlwaysOpen : FlapCommand.alwaysOpen,
    0x01,
  );
}

/** 0x84: close, and end any always-open: back to normal operation. */
export function flapClose(machine = FLAP_DEFAULT_MACHINE): Buffer {
  return encodeFlapCommand(machine, FlapCommand.close);
}

/** 0x88 (left) / 0x89 (right): refuse openings that way until `flapClearForbid`. */
export function flapForbid(side: FlapSide, machine = FLAP_DEFAULT_MACHINE): Buffer {
  assertSide(side);
  return encodeFlapCommand(machine, side === 'left' ? FlapCommand.forbidLeft : FlapCommand.forbidRight);
}

/** 0x8F: lift every forbidden direction. */
export function flapClearForbid(machine = FLAP_DEFAULT_MACHINE): Buffer {
  return encodeFlapCommand(machine, FlapCommand.clearForbid);
}

/** 0x96 menu value: set one of the board's menu parameters (their numbering is vendor-specific). */
export function flapSetParameter(menu: number, value: number, machine = FLAP_DEFAULT_MACHINE): Buffer {
  return encodeFlapCommand(machine, FlapCommand.setParameter, menu, value);
}

/**
 * Builds a reply frame (the board's side, for the simulator). Counts must fit 24 bits.
 * @throws XinyiError `INVALID_ARGUMENT` when a field does not fit.
 */
export function encodeFlapReply(reply: FlapReply, options: FlapReplyOptions = {}): Buffer {
  const rule = checkedRule(options.replyChecksum);
  const bytes: Array<[string, number]> = [
    ['version', reply.version],
    ['machine', reply.machine],
    ['fault', reply.fault],
    ['gateStatus', reply.gateStatus],
    ['alarm', reply.alarm],
  ];
  for (const [name, value] of bytes) assertByte(name, value);
  assertCount('leftCount', reply.leftCount);
  assertCount('rightCount', reply.rightCount);
  for (const name of ['infrared', 'cmdExec', 'vcc', 'u1', 'u2'] as const) assertByte(name, reply[name]);
  const frame = Buffer.alloc(FLAP_REPLY_BYTES);
  frame[0] = FLAP_REPLY_HEAD;
  frame.set(
    bytes.map(([, v]) => v),
    1,
  );
  frame.writeUIntBE(reply.leftCount, 6, 3);
  frame.writeUIntBE(reply.rightCount, 9, 3);
  frame.set([reply.infrared, reply.cmdExec, reply.vcc, reply.u1, reply.u2], 12);
  frame[17] = replyChecksumOf(rule, frame.subarray(0, 17)) ?? 0;
  return frame;
}

function replyFields(frame: Uint8Array): FlapReply {
  const count = (at: number) => (frame[at]! << 16) | (frame[at + 1]! << 8) | frame[at + 2]!;
  return {
    version: frame[1]!,
    machine: frame[2]!,
    fault: frame[3]!,
    gateStatus: frame[4]!,
    alarm: frame[5]!,
    leftCount: count(6),
    rightCount: count(9),
    infrared: frame[12]!,
    cmdExec: frame[13]!,
    vcc: frame[14]!,
    u1: frame[15]!,
    u2: frame[16]!,
  };
}

function commandFields(frame: Uint8Array): FlapCommandFrame {
  return { machine: frame[2]!, cmd: frame[3]!, d0: frame[4]!, d1: frame[5]!, d2: frame[6]! };
}

type FrameCheck = (frame: Uint8Array) => XinyiError | undefined;

function checksumError(direction: 'reply' | 'command', computed: number, received: number): XinyiError {
  return new XinyiError(
    XinyiErrorCode.FRAME_CHECKSUM,
    `flap gate ${direction} checksum does not match its content`,
    {
      details: { direction, computedChecksum: computed, frameChecksum: received },
    },
  );
}

function commandCheck(frame: Uint8Array): XinyiError | undefined {
  const computed = flapChecksum(frame, 0, FLAP_COMMAND_BYTES - 1);
  const received = frame[FLAP_COMMAND_BYTES - 1]!;
  return computed === received ? undefined : checksumError('command', computed, received);
}

function replyCheck(rule: FlapChecksumRule): FrameCheck {
  return (frame) => {
    const computed = replyChecksumOf(rule, frame.subarray(0, FLAP_REPLY_BYTES - 1));
    const received = frame[FLAP_REPLY_BYTES - 1]!;
    return computed === undefined || computed === received
      ? undefined
      : checksumError('reply', computed, received);
  };
}

function exactFrame(
  frame: Uint8Array,
  head: number,
  size: number,
  direction: 'reply' | 'command',
  check: FrameCheck,
): void {
  if (frame.length !== size || frame[0] !== head) {
    throw new XinyiError(
      XinyiErrorCode.FRAME_LENGTH,
      `a flap gate ${direction} is ${size} bytes starting 0x${head.toString(16)}`,
      {
        details: { direction, receivedBytes: frame.length, expectedBytes: size },
      },
    );
  }
  const error = check(frame);
  if (error) throw error;
}

/**
 * Parses one complete 18-byte reply.
 * @throws XinyiError `FRAME_LENGTH` (wrong size or head byte) or `FRAME_CHECKSUM`.
 */
export function decodeFlapReply(frame: Uint8Array, options: FlapReplyOptions = {}): FlapReply {
  exactFrame(
    frame,
    FLAP_REPLY_HEAD,
    FLAP_REPLY_BYTES,
    'reply',
    replyCheck(checkedRule(options.replyChecksum)),
  );
  return replyFields(frame);
}

/**
 * Parses one complete 8-byte command (the board's side).
 * @throws XinyiError `FRAME_LENGTH` (wrong size or head byte) or `FRAME_CHECKSUM`.
 */
export function decodeFlapCommand(frame: Uint8Array): FlapCommandFrame {
  exactFrame(frame, FLAP_COMMAND_HEAD, FLAP_COMMAND_BYTES, 'command', commandCheck);
  return commandFields(frame);
}

/**
 * Fixed-size framing shared by both directions: find the head byte, take `size` bytes, check them.
 * A frame that fails its check gives up only its head byte, since the next good frame may start
 * inside the bytes it claimed.
 */
function fixedFormat<T>(
  head: number,
  size: number,
  direction: 'reply' | 'command',
  check: FrameCheck,
  fields: (frame: Uint8Array) => T,
): FrameFormat<T> {
  return {
    markerBytes: 1,
    findStart(bytes, from, end) {
      const at = bytes.subarray(from, end).indexOf(head);
      return at < 0 ? end : from + at;
    },
    measure: () => ({ frameBytes: size }),
    check,
    decode: fields,
    cutShort(_bytes, _at, available) {
      return new XinyiError(XinyiErrorCode.FRAME_LENGTH, `flap gate ${direction} cut short before its end`, {
        details: { direction, receivedBytes: available, expectedBytes: size, truncated: true },
      });
    },
  };
}

/**
 * Incremental, sans-I/O decoder of board → host replies (18 bytes from 0x7F), with the shared
 * framing behaviour of `FrameDecoder` (adapters/framing/frame-decoder.ts).
 *
 * - Bytes before a 0x7F are skipped (`discardedBytes`).
 * - 18 bytes from a 0x7F whose checksum fails are returned as a `FRAME_CHECKSUM` error in the frame's
 *   place, never thrown; decoding resumes at the next 0x7F after that head, so a good reply behind
 *   garbage or inside the bytes the bad one claimed is not lost.
 * - `flush()` reports a reply cut short as `FRAME_LENGTH`.
 */
export class FlapFrameDecoder extends ResyncFramer<FlapReply> {
  /** @throws XinyiError `INVALID_OPTIONS` for an unknown `replyChecksum`. */
  constructor(options: FlapReplyOptions = {}) {
    super(
      fixedFormat(
        FLAP_REPLY_HEAD,
        FLAP_REPLY_BYTES,
        'reply',
        replyCheck(checkedRule(options.replyChecksum)),
        replyFields,
      ),
    );
  }
}

/** Host → board decoder (8 bytes from 0x7E), for the simulated board. Same behaviour as `FlapFrameDecoder`. */
export class FlapCommandDecoder extends ResyncFramer<FlapCommandFrame> {
  constructor() {
    super(fixedFormat(FLAP_COMMAND_HEAD, FLAP_COMMAND_BYTES, 'command', commandCheck, commandFields));
  }
}

/** Tables already merged and validated: a driver resolves its table once, not on every poll. */
const resolvedTables = new WeakSet<object>([DEFAULT_FLAP_CODES]);

/** The defaults with `codes` merged over them, code by code. */
export function resolveFlapCodes(codes: Partial<FlapCodeTable> | undefined): FlapCodeTable {
  if (codes === undefined) return DEFAULT_FLAP_CODES;
  if (resolvedTables.has(codes)) return codes as FlapCodeTable;
  if (codes === null || typeof codes !== 'object') {
    throw new XinyiError(XinyiErrorCode.INVALID_OPTIONS, 'codes must be an object', {
      details: { option: 'codes' },
    });
  }
  const table: FlapCodeTable = {
    gateStatus: { ...DEFAULT_FLAP_CODES.gateStatus, ...codes.gateStatus },
    alarm: { ...DEFAULT_FLAP_CODES.alarm, ...codes.alarm },
  };
  for (const [code, entry] of Object.entries(table.gateStatus)) {
    if (!isByteKey(code) || entry === null || typeof entry !== 'object' || typeof entry.state !== 'string') {
      throw new XinyiError(
        XinyiErrorCode.INVALID_OPTIONS,
        'codes.gateStatus maps byte codes to { state, side?, held?, alarms? }',
        {
          details: { option: 'codes.gateStatus' },
        },
      );
    }
    if (entry.side !== undefined) assertSideOption(entry.side, 'codes.gateStatus');
    if (entry.alarms !== undefined) assertAlarms(entry.alarms, 'codes.gateStatus');
  }
  for (const [code, alarms] of Object.entries(table.alarm)) {
    if (!isByteKey(code)) {
      throw new XinyiError(XinyiErrorCode.INVALID_OPTIONS, 'codes.alarm maps byte codes to alarm lists', {
        details: { option: 'codes.alarm' },
      });
    }
    assertAlarms(alarms, 'codes.alarm');
  }
  resolvedTables.add(table);
  return table;
}

/** Validates a side mapping (`left`/`right` to different directions). */
export function resolveFlapDirections(directions: FlapDirections | undefined): FlapDirections {
  if (directions === undefined) return DEFAULT_FLAP_DIRECTIONS;
  const ok =
    directions !== null &&
    typeof directions === 'object' &&
    (directions.left === 'entry' || directions.left === 'exit') &&
    (directions.right === 'entry' || directions.right === 'exit') &&
    directions.left !== directions.right;
  if (!ok) {
    throw new XinyiError(
      XinyiErrorCode.INVALID_OPTIONS,
      `directions must map left and right to 'entry' and 'exit', one each`,
      { details: { option: 'directions' } },
    );
  }
  return { left: directions.left, right: directions.right };
}

/** The side a direction is on. */
export function flapSideOf(
  direction: GateDirection,
  directions: FlapDirections = DEFAULT_FLAP_DIRECTIONS,
): FlapSide {
  return directions.left === direction ? 'left' : 'right';
}

/**
 * A reply as a `GateStatus`, through the (unconfirmed, configurable) code table: an unknown
 * `gateStatus` code reads as state `unknown`; an unknown non-zero `alarm` code as `external`.
 * `rawState` keeps the `gateStatus` byte.
 */
export function flapReplyToStatus(reply: FlapReply, options: FlapStatusOptions = {}): GateStatus {
  const codes = resolveFlapCodes(options.codes);
  const directions = resolveFlapDirections(options.directions);
  const entry = codes.gateStatus[reply.gateStatus];
  const alarmed = new Set<GateAlarm>(entry?.alarms ?? []);
  const byAlarm = codes.alarm[reply.alarm] ?? (reply.alarm === 0 ? [] : ['external']);
  for (const a of byAlarm) alarmed.add(a);
  const leftIsEntry = directions.left === 'entry';
  const status: GateStatus = {
    state: entry?.state ?? 'unknown',
    entryCount: leftIsEntry ? reply.leftCount : reply.rightCount,
    exitCount: leftIsEntry ? reply.rightCount : reply.leftCount,
    alarms: GATE_ALARMS.filter((a) => alarmed.has(a)),
    rawState: reply.gateStatus,
  };
  if (entry?.side !== undefined) status.direction = directions[entry.side];
  if (entry?.held !== undefined) status.held = entry.held;
  return status;
}

/**
 * The board's side of `flapReplyToStatus`: the `gateStatus` and `alarm` codes that report `status`
 * under `codes`. The `gateStatus` code is one of the status's state carrying no alarm the status
 * lacks, best matching its hold, then its side, then carrying most alarms; one remaining alarm,
 * the first in `GATE_ALARMS` order that has a code of its own, goes into the `alarm` byte.
 * Throws `INVALID_ARGUMENT` when no `gateStatus` code has the state.
 */
export function flapCodesForStatus(
  status: Pick<GateStatus, 'state' | 'direction' | 'held' | 'alarms'>,
  options: FlapStatusOptions = {},
): { gateStatus: number; alarm: number } {
  const codes = resolveFlapCodes(options.codes);
  const directions = resolveFlapDirections(options.directions);
  const side = status.direction === undefined ? undefined : flapSideOf(status.direction, directions);
  const held = status.held === true;
  let best: { code: number; score: number } | undefined;
  for (const [key, entry] of Object.entries(codes.gateStatus)) {
    if (entry.state !== status.state) continue;
    const carried = entry.alarms ?? [];
    if (!carried.every((a) => status.alarms.includes(a))) continue;
    // Hold first, then side, then the alarms a code carries: a gate held open reads as held even
    // though the table's held codes name no side, and a held gate still opening as plain opening.
    const score =
      ((entry.held ?? false) === held ? 100 : 0) + (entry.side === side ? 10 : 0) + carried.length;
    if (best === undefined || score > best.score) best = { code: Number(key), score };
  }
  if (best === undefined) {
    throw new XinyiError(
      XinyiErrorCode.INVALID_ARGUMENT,
      `no gateStatus code reports state ${status.state}`,
      {
        details: { argument: 'status', state: status.state },
      },
    );
  }
  const carried = codes.gateStatus[best.code]!.alarms ?? [];
  let alarm = 0;
  for (const a of GATE_ALARMS) {
    if (!status.alarms.includes(a) || carried.includes(a)) continue;
    const code = Object.entries(codes.alarm).find(([, list]) => list.length === 1 && list[0] === a)?.[0];
    if (code !== undefined) {
      alarm = Number(code);
      break;
    }
  }
  return { gateStatus: best.code, alarm };
}

function isByteKey(key: string): boolean {
  const n = Number(key);
  return Number.isInteger(n) && n >= 0 && n <= 0xff;
}

function assertSideOption(side: unknown, option: string): void {
  if (side !== 'left' && side !== 'right') {
    throw new XinyiError(XinyiErrorCode.INVALID_OPTIONS, `${option}: side must be 'left' or 'right'`, {
      details: { option },
    });
  }
}

function assertAlarms(alarms: unknown, option: string): void {
  if (!Array.isArray(alarms) || !alarms.every((a) => GATE_ALARMS.includes(a))) {
    throw new XinyiError(XinyiErrorCode.INVALID_OPTIONS, `${option}: alarms must be a list of gate alarms`, {
      details: { option },
    });
  }
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
