import { XinyiError, XinyiErrorCode } from '../../sdk/errors.js';
import { type FrameFormat, ResyncFramer } from '../framing/resync-framer.js';

// Modbus RTU as relay boards speak it: docs/protocols.md §3.1.
//   ADU = Addr | FC | Data… | CRC_lo CRC_hi
// CRC-16/MODBUS: reflected polynomial 0xA001, init 0xFFFF, no final XOR, low byte first on the wire.
//
// Framing. On a real RS-485 line an RTU frame is delimited by silence (t3.5 = 3.5 character times,
// 1750 µs above 19200 baud); nothing in the bytes marks where a frame starts. Over a byte stream —
// a PTY, a TCP serial server, a driver's `data` events that split and join bytes arbitrarily — that
// timing is gone, so the decoders here find frames from the bytes alone: a candidate starts at a
// plausible unit id followed by a function code whose frame length is implied (fixed, or given by a
// byte-count field), and it is a frame when its CRC matches. Bytes that cannot start a frame are
// skipped; a candidate whose CRC fails is reported once (`FRAME_CHECKSUM`) and the search resumes one
// byte later, so a good frame that began inside a damaged one is still found. Function codes whose
// length is not implied by their header cannot be framed without the silence and are skipped like
// garbage. A candidate that claims more bytes than ever arrive stalls the search until `flush()`,
// which an owner calls after a silence (as a UART's idle timeout would) to give up on it.

/** Function codes this codec frames (§3.1; `stephane/libmodbus: src/modbus.h`). */
export const ModbusFunction = {
  readCoils: 0x01,
  readDiscreteInputs: 0x02,
  readHoldingRegisters: 0x03,
  readInputRegisters: 0x04,
  writeSingleCoil: 0x05,
  writeSingleRegister: 0x06,
  writeMultipleCoils: 0x0f,
  writeMultipleRegisters: 0x10,
} as const;

export type ModbusFunctionName = keyof typeof ModbusFunction;
export type ModbusFunctionCode = (typeof ModbusFunction)[ModbusFunctionName];

/** Exception codes a slave answers with (`FC | 0x80`, then the code). */
export const ModbusException = {
  illegalFunction: 0x01,
  illegalDataAddress: 0x02,
  illegalDataValue: 0x03,
  serverDeviceFailure: 0x04,
} as const;

/** §3.1: the only two values FC05 accepts; a slave rejects anything else. */
export const MODBUS_COIL_ON = 0xff00;
export const MODBUS_COIL_OFF = 0x0000;
/** Largest RTU ADU (`stephane/libmodbus: src/modbus-rtu.h`). */
export const MODBUS_MAX_ADU_BYTES = 256;
/** Highest unicast unit id; 0 is broadcast, 248–255 are reserved. */
export const MODBUS_MAX_UNIT_ID = 247;
/** Per-request quantity limits of the Modbus application protocol (they keep a reply within one ADU). */
export const MODBUS_MAX_READ_BITS = 2000;
export const MODBUS_MAX_READ_REGISTERS = 125;
export const MODBUS_MAX_WRITE_BITS = 1968;
export const MODBUS_MAX_WRITE_REGISTERS = 123;

const CRC_BYTES = 2;
const EXCEPTION_BIT = 0x80;
const FIXED_REQUEST = new Set<number>([0x01, 0x02, 0x03, 0x04, 0x05, 0x06]);
/**
 * Requests of the other public function codes of the Modbus application protocol (V1.1b3 §6), which
 * this codec frames so that a slave can answer them with exception 01 (illegal function) instead of
 * staying silent: FC07 read exception status, FC0B/FC0C comm event counter/log, FC11 report server
 * ID (`mbpoll -u`) carry no data; FC08 diagnostics a sub-function and one word; FC16 mask write an
 * address and two masks; FC18 read FIFO an address.
 */
const OTHER_FIXED_REQUEST: ReadonlyMap<number, number> = new Map([
  [0x07, 4],
  [0x0b, 4],
  [0x0c, 4],
  [0x11, 4],
  [0x08, 8],
  [0x16, 10],
  [0x18, 6],
]);
/** FC14/FC15 file records: a byte count right after the function code; FC17 read/write: at offset 10. */
const COUNTED_REQUEST: ReadonlyMap<number, number> = new Map([
  [0x14, 2],
  [0x15, 2],
  [0x17, 10],
]);
/** Function codes the Modbus application protocol (V1.1b3 §5) leaves to vendors: 65–72 and 100–110. */
function isUserDefinedFunction(fc: number): boolean {
  return (fc >= 65 && fc <= 72) || (fc >= 100 && fc <= 110);
}
/** FC2B encapsulated interface; MEI type 0x0E (read device identification) has a fixed length. */
const MEI_REQUEST = 0x2b;
const MEI_READ_DEVICE_ID = 0x0e;
const WRITE_ECHO = new Set<number>([0x05, 0x06, 0x0f, 0x10]);
const KNOWN = new Set<number>(Object.values(ModbusFunction));

/** A frame the decoders found: its unit id, function code, the bytes between them and the CRC, and the whole ADU. */
export interface ModbusFrame {
  unitId: number;
  functionCode: number;
  /** The PDU data after the function code, without the CRC. A fresh copy. */
  data: Buffer;
  /** The complete ADU as received, CRC included. A fresh copy. */
  bytes: Buffer;
}

/** CRC-16/MODBUS of `bytes[start..end)`. `modbusCrc(Buffer.from('123456789'))` is 0x4B37. */
export function modbusCrc(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0xffff;
  for (let i = start; i < end; i++) {
    crc ^= bytes[i]!;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc;
}

/** True when the last two bytes of `adu` are the CRC of the rest, low byte first. */
export function hasValidModbusCrc(adu: Uint8Array): boolean {
  if (adu.length < CRC_BYTES + 2) return false;
  const end = adu.length - CRC_BYTES;
  return modbusCrc(adu, 0, end) === (adu[end]! | (adu[end + 1]! << 8));
}

function invalidArgument(argument: string, expected: string): XinyiError {
  return new XinyiError(XinyiErrorCode.INVALID_ARGUMENT, `Modbus ${argument} must be ${expected}`, {
    details: { argument },
  });
}

function checkInt(argument: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw invalidArgument(argument, `an integer ${min}..${max}`);
  }
}

/** Builds an ADU: unit id, function code, PDU data and the CRC (low byte first). */
export function encodeModbusFrame(
  unitId: number,
  functionCode: number,
  data: Uint8Array = new Uint8Array(),
): Buffer {
  checkInt('unitId', unitId, 0, 0xff);
  checkInt('functionCode', functionCode, 1, 0xff);
  if (data.length + 2 + CRC_BYTES > MODBUS_MAX_ADU_BYTES) {
    throw invalidArgument('data', `at most ${MODBUS_MAX_ADU_BYTES - 4} bytes`);
  }
  const adu = Buffer.alloc(data.length + 2 + CRC_BYTES);
  adu[0] = unitId;
  adu[1] = functionCode;
  adu.set(data, 2);
  adu.writeUInt16LE(modbusCrc(adu, 0, adu.length - CRC_BYTES), adu.length - CRC_BYTES);
  return adu;
}

function addressAndWord(address: number, word: number): Buffer {
  const data = Buffer.alloc(4);
  data.writeUInt16BE(address, 0);
  data.writeUInt16BE(word, 2);
  return data;
}

function readRequest(unitId: number, fc: number, address: number, quantity: number, max: number): Buffer {
  checkInt('address', address, 0, 0xffff);
  checkInt('quantity', quantity, 1, max);
  if (address + quantity > 0x10000) throw invalidArgument('quantity', 'within the 16-bit address space');
  return encodeModbusFrame(unitId, fc, addressAndWord(address, quantity));
}

/** FC01. `encodeReadCoils(1, 0, 8)` is `01 01 00 00 00 08 3D CC` (§3.1). */
export function encodeReadCoils(unitId: number, address: number, quantity: number): Buffer {
  return readRequest(unitId, ModbusFunction.readCoils, address, quantity, MODBUS_MAX_READ_BITS);
}

/** FC02: the board's discrete inputs (a gate's passage sensors, a fire contact). */
export function encodeReadDiscreteInputs(unitId: number, address: number, quantity: number): Buffer {
  return readRequest(unitId, ModbusFunction.readDiscreteInputs, address, quantity, MODBUS_MAX_READ_BITS);
}

/** FC03. `encodeReadHoldingRegisters(1, 0, 2)` is `01 03 00 00 00 02 C4 0B` (§3.1). */
export function encodeReadHoldingRegisters(unitId: number, address: number, quantity: number): Buffer {
  return readRequest(
    unitId,
    ModbusFunction.readHoldingRegisters,
    address,
    quantity,
    MODBUS_MAX_READ_REGISTERS,
  );
}

/** FC04. `encodeReadInputRegisters(1, 0, 2)` is `01 04 00 00 00 02 71 CB` (§3.1). */
export function encodeReadInputRegisters(unitId: number, address: number, quantity: number): Buffer {
  return readRequest(unitId, ModbusFunction.readInputRegisters, address, quantity, MODBUS_MAX_READ_REGISTERS);
}

/** FC05 with 0xFF00 (on) or 0x0000 (off). `encodeWriteSingleCoil(1, 0, true)` is `01 05 00 00 FF 00 8C 3A`. */
export function encodeWriteSingleCoil(unitId: number, address: number, on: boolean): Buffer {
  checkInt('address', address, 0, 0xffff);
  if (typeof on !== 'boolean') throw invalidArgument('on', 'a boolean');
  return encodeModbusFrame(
    unitId,
    ModbusFunction.writeSingleCoil,
    addressAndWord(address, on ? MODBUS_COIL_ON : MODBUS_COIL_OFF),
  );
}

/** FC06. `encodeWriteSingleRegister(1, 1, 3)` is `01 06 00 01 00 03 98 0B` (§3.1). */
export function encodeWriteSingleRegister(unitId: number, address: number, value: number): Buffer {
  checkInt('address', address, 0, 0xffff);
  checkInt('value', value, 0, 0xffff);
  return encodeModbusFrame(unitId, ModbusFunction.writeSingleRegister, addressAndWord(address, value));
}

/** Packs bits LSB-first into bytes, as FC01/FC02 replies and FC0F requests carry them. */
export function packModbusBits(bits: readonly boolean[]): Buffer {
  const bytes = Buffer.alloc(Math.ceil(bits.length / 8));
  bits.forEach((bit, i) => {
    if (bit) bytes[i >> 3] = bytes[i >> 3]! | (1 << (i & 7));
  });
  return bytes;
}

/** Unpacks `count` bits LSB-first (default: every bit of `bytes`). */
export function unpackModbusBits(bytes: Uint8Array, count = bytes.length * 8): boolean[] {
  return Array.from({ length: count }, (_, i) => ((bytes[i >> 3] ?? 0) & (1 << (i & 7))) !== 0);
}

/** FC0F. `encodeWriteMultipleCoils(1, 0, Array(8).fill(true))` is `01 0F 00 00 00 08 01 FF BE D5` (§3.1). */
export function encodeWriteMultipleCoils(
  unitId: number,
  address: number,
  states: readonly boolean[],
): Buffer {
  checkInt('address', address, 0, 0xffff);
  if (!Array.isArray(states) || states.some((s) => typeof s !== 'boolean')) {
    throw invalidArgument('states', 'an array of booleans');
  }
  checkInt('states.length', states.length, 1, MODBUS_MAX_WRITE_BITS);
  if (address + states.length > 0x10000) throw invalidArgument('states', 'within the 16-bit address space');
  const packed = packModbusBits(states);
  const data = Buffer.concat([addressAndWord(address, states.length), Buffer.of(packed.length), packed]);
  return encodeModbusFrame(unitId, ModbusFunction.writeMultipleCoils, data);
}

// ---------------------------------------------------------------------------------------------
// Replies (the slave's side, for the simulator)

/** FC01/FC02 reply. `encodeBitsResponse(1, 1, [true, …, true (bit 6), false])` is `01 01 01 41 91 B8`. */
export function encodeBitsResponse(
  unitId: number,
  functionCode: 0x01 | 0x02,
  bits: readonly boolean[],
): Buffer {
  checkInt('bits.length', bits.length, 1, MODBUS_MAX_READ_BITS);
  const packed = packModbusBits(bits);
  return encodeModbusFrame(unitId, functionCode, Buffer.concat([Buffer.of(packed.length), packed]));
}

/** FC03/FC04 reply: a byte count, then each register big-endian. */
export function encodeRegistersResponse(
  unitId: number,
  functionCode: 0x03 | 0x04,
  values: readonly number[],
): Buffer {
  checkInt('values.length', values.length, 1, MODBUS_MAX_READ_REGISTERS);
  const data = Buffer.alloc(1 + values.length * 2);
  data[0] = values.length * 2;
  values.forEach((value, i) => {
    checkInt('value', value, 0, 0xffff);
    data.writeUInt16BE(value, 1 + i * 2);
  });
  return encodeModbusFrame(unitId, functionCode, data);
}

/** FC0F/FC10 reply: start address and quantity. `(1, 0x0f, 0x13, 10)` is `01 0F 00 13 00 0A 24 09` (§3.1). */
export function encodeWriteMultipleResponse(
  unitId: number,
  functionCode: 0x0f | 0x10,
  address: number,
  quantity: number,
): Buffer {
  checkInt('address', address, 0, 0xffff);
  checkInt('quantity', quantity, 1, 0xffff);
  return encodeModbusFrame(unitId, functionCode, addressAndWord(address, quantity));
}

/** An exception reply. `encodeExceptionResponse(1, 0x05, 0x02)` is `01 85 02 C3 51` (§3.1). */
export function encodeExceptionResponse(unitId: number, functionCode: number, exceptionCode: number): Buffer {
  checkInt('functionCode', functionCode, 1, 0x7f);
  checkInt('exceptionCode', exceptionCode, 1, 0xff);
  return encodeModbusFrame(unitId, functionCode | EXCEPTION_BIT, Buffer.of(exceptionCode));
}

// ---------------------------------------------------------------------------------------------
// Parsing one frame

/** A request as a slave understands it, or the exception it must answer instead. */
export type ModbusRequest =
  | {
      kind: 'read-coils' | 'read-discrete-inputs' | 'read-holding-registers' | 'read-input-registers';
      unitId: number;
      functionCode: number;
      address: number;
      quantity: number;
    }
  | { kind: 'write-single-coil'; unitId: number; functionCode: number; address: number; on: boolean }
  | { kind: 'write-single-register'; unitId: number; functionCode: number; address: number; value: number }
  | { kind: 'write-multiple-coils'; unitId: number; functionCode: number; address: number; states: boolean[] }
  | {
      kind: 'write-multiple-registers';
      unitId: number;
      functionCode: number;
      address: number;
      values: number[];
    }
  /** Well framed but not acceptable: answer `encodeExceptionResponse(unitId, functionCode, exceptionCode)`. */
  | { kind: 'rejected'; unitId: number; functionCode: number; exceptionCode: number };

const READ_KINDS = {
  1: ['read-coils', MODBUS_MAX_READ_BITS],
  2: ['read-discrete-inputs', MODBUS_MAX_READ_BITS],
  3: ['read-holding-registers', MODBUS_MAX_READ_REGISTERS],
  4: ['read-input-registers', MODBUS_MAX_READ_REGISTERS],
} as const;

/**
 * What a slave makes of a request frame. Out-of-range quantities and FC05 values other than
 * 0xFF00/0x0000 are `rejected` with exception 03 (illegal data value); function codes outside
 * `ModbusFunction` with exception 01. Address ranges are the slave's business (exception 02).
 */
export function parseModbusRequest(frame: ModbusFrame): ModbusRequest {
  const { unitId, functionCode, data } = frame;
  const reject = (exceptionCode: number): ModbusRequest => ({
    kind: 'rejected',
    unitId,
    functionCode: functionCode & 0x7f,
    exceptionCode,
  });
  if (!KNOWN.has(functionCode)) return reject(ModbusException.illegalFunction);
  if (data.length < 4) return reject(ModbusException.illegalDataValue);
  const address = data.readUInt16BE(0);
  const word = data.readUInt16BE(2);
  const read = READ_KINDS[functionCode as keyof typeof READ_KINDS];
  if (read !== undefined) {
    const [kind, max] = read;
    if (data.length !== 4 || word < 1 || word > max) return reject(ModbusException.illegalDataValue);
    return { kind, unitId, functionCode, address, quantity: word };
  }
  switch (functionCode) {
    case ModbusFunction.writeSingleCoil:
      if (data.length !== 4 || (word !== MODBUS_COIL_ON && word !== MODBUS_COIL_OFF)) {
        return reject(ModbusException.illegalDataValue);
      }
      return { kind: 'write-single-coil', unitId, functionCode, address, on: word === MODBUS_COIL_ON };
    case ModbusFunction.writeSingleRegister:
      if (data.length !== 4) return reject(ModbusException.illegalDataValue);
      return { kind: 'write-single-register', unitId, functionCode, address, value: word };
    case ModbusFunction.writeMultipleCoils: {
      const byteCount = data[4];
      if (word < 1 || word > MODBUS_MAX_WRITE_BITS || byteCount !== Math.ceil(word / 8)) {
        return reject(ModbusException.illegalDataValue);
      }
      if (data.length !== 5 + byteCount) return reject(ModbusException.illegalDataValue);
      return {
        kind: 'write-multiple-coils',
        unitId,
        functionCode,
        address,
        states: unpackModbusBits(data.subarray(5), word),
      };
    }
    default: {
      const byteCount = data[4];
      if (word < 1 || word > MODBUS_MAX_WRITE_REGISTERS || byteCount !== word * 2) {
        return reject(ModbusException.illegalDataValue);
      }
      if (data.length !== 5 + byteCount) return reject(ModbusException.illegalDataValue);
      const values = Array.from({ length: word }, (_, i) => data.readUInt16BE(5 + i * 2));
      return { kind: 'write-multiple-registers', unitId, functionCode, address, values };
    }
  }
}

/** A slave's reply, as the host reads it. */
export type ModbusResponse =
  /** FC01/FC02: every bit of the reply's bytes (a multiple of 8); the request's quantity says how many count. */
  | { kind: 'bits'; unitId: number; functionCode: 0x01 | 0x02; bits: boolean[] }
  | { kind: 'registers'; unitId: number; functionCode: 0x03 | 0x04; values: number[] }
  /** FC05/FC06: the echo (for FC05, `value` is 0xFF00 or 0x0000). */
  | { kind: 'write-single'; unitId: number; functionCode: 0x05 | 0x06; address: number; value: number }
  | { kind: 'write-multiple'; unitId: number; functionCode: 0x0f | 0x10; address: number; quantity: number };

function badReply(message: string, details: Record<string, string | number | boolean>): XinyiError {
  return new XinyiError(XinyiErrorCode.FRAME_LENGTH, `Modbus reply ${message}`, { details });
}

/**
 * Reads a reply frame. An exception reply (`FC | 0x80`, code) throws `DEVICE_STATUS` with
 * `details.exceptionCode` and `details.functionCode`; a reply whose data does not fit its function
 * code throws `FRAME_LENGTH`; a function code outside `ModbusFunction` throws `FRAME_LENGTH` too.
 */
export function parseModbusResponse(frame: ModbusFrame): ModbusResponse {
  const { unitId, functionCode, data } = frame;
  if (functionCode & EXCEPTION_BIT) {
    const exceptionCode = data[0] ?? 0;
    throw new XinyiError(XinyiErrorCode.DEVICE_STATUS, `Modbus slave answered exception ${exceptionCode}`, {
      details: { unitId, functionCode: functionCode & 0x7f, exceptionCode },
    });
  }
  switch (functionCode) {
    case 0x01:
    case 0x02:
    case 0x03:
    case 0x04: {
      const byteCount = data[0];
      if (byteCount === undefined || byteCount === 0 || data.length !== 1 + byteCount) {
        throw badReply('byte count does not match its data', { functionCode, dataBytes: data.length });
      }
      const payload = data.subarray(1);
      if (functionCode === 0x01 || functionCode === 0x02) {
        return { kind: 'bits', unitId, functionCode, bits: unpackModbusBits(payload) };
      }
      if (byteCount % 2 !== 0) throw badReply('has an odd register byte count', { functionCode, byteCount });
      const values = Array.from({ length: byteCount / 2 }, (_, i) => payload.readUInt16BE(i * 2));
      return { kind: 'registers', unitId, functionCode, values };
    }
    case 0x05:
    case 0x06:
    case 0x0f:
    case 0x10: {
      if (data.length !== 4) throw badReply('has the wrong length', { functionCode, dataBytes: data.length });
      const address = data.readUInt16BE(0);
      const word = data.readUInt16BE(2);
      if (functionCode === 0x05 || functionCode === 0x06) {
        return { kind: 'write-single', unitId, functionCode, address, value: word };
      }
      return { kind: 'write-multiple', unitId, functionCode, address, quantity: word };
    }
    default:
      throw badReply('has an unknown function code', { functionCode });
  }
}

/**
 * Checks one whole ADU (as a silence-delimited UART read delivers it) and splits it into its
 * fields. Throws `FRAME_LENGTH` when it is shorter than 4 or longer than 256 bytes, and
 * `FRAME_CHECKSUM` when its CRC does not match — e.g. the public preset `01 06 00 00 00 64 89 D7`,
 * whose CRC is really `88 21` (§3.1).
 */
export function parseModbusFrame(adu: Uint8Array): ModbusFrame {
  if (adu.length < 4 || adu.length > MODBUS_MAX_ADU_BYTES) {
    throw new XinyiError(XinyiErrorCode.FRAME_LENGTH, 'Modbus frame has an impossible length', {
      details: { receivedBytes: adu.length },
    });
  }
  if (!hasValidModbusCrc(adu)) throw checksumError(adu, 0, adu.length);
  return frameAt(Buffer.from(adu), 0, adu.length);
}

function checksumError(bytes: Uint8Array, start: number, length: number): XinyiError {
  const end = start + length - CRC_BYTES;
  return new XinyiError(XinyiErrorCode.FRAME_CHECKSUM, 'Modbus frame CRC does not match its content', {
    details: {
      functionCode: bytes[start + 1] ?? 0,
      frameBytes: length,
      computedCrc: modbusCrc(bytes, start, end),
      frameCrc: (bytes[end] ?? 0) | ((bytes[end + 1] ?? 0) << 8),
    },
  });
}

function frameAt(bytes: Buffer, start: number, length: number): ModbusFrame {
  return {
    unitId: bytes[start]!,
    functionCode: bytes[start + 1]!,
    data: Buffer.from(bytes.subarray(start + 2, start + length - CRC_BYTES)),
    bytes: Buffer.from(bytes.subarray(start, start + length)),
  };
}

// ---------------------------------------------------------------------------------------------
// Stream decoders

/**
 * How long the frame starting at `at` is: `need` more header bytes first, a `length`, `invalid`
 * (a known function code with an impossible byte count: `headerBytes` were looked at), or
 * undefined when the bytes cannot start a frame in this direction.
 */
type Measure =
  | { need: number }
  | { length: number }
  | { invalid: string; headerBytes: number; declared: number }
  | undefined;

type Measurer = (bytes: Buffer, at: number, available: number) => Measure;

function measureRequest(bytes: Buffer, at: number, available: number): Measure {
  const fc = bytes[at + 1]!;
  if (FIXED_REQUEST.has(fc)) return { length: 8 };
  const fixed = OTHER_FIXED_REQUEST.get(fc);
  if (fixed !== undefined) return { length: fixed };
  const countAt = COUNTED_REQUEST.get(fc);
  if (countAt !== undefined) {
    if (available < countAt + 1) return { need: countAt + 1 };
    const length = countAt + 1 + bytes[at + countAt]! + CRC_BYTES;
    if (length > MODBUS_MAX_ADU_BYTES) {
      return {
        invalid: 'byte count is impossible',
        headerBytes: countAt + 1,
        declared: bytes[at + countAt]!,
      };
    }
    return { length };
  }
  if (fc === MEI_REQUEST) {
    if (available < 3) return { need: 3 };
    return bytes[at + 2] === MEI_READ_DEVICE_ID ? { length: 7 } : undefined;
  }
  if (fc !== ModbusFunction.writeMultipleCoils && fc !== ModbusFunction.writeMultipleRegisters)
    return undefined;
  if (available < 7) return { need: 7 };
  const quantity = bytes.readUInt16BE(at + 4);
  const byteCount = bytes[at + 6]!;
  const fits =
    fc === ModbusFunction.writeMultipleCoils
      ? quantity >= 1 && quantity <= MODBUS_MAX_WRITE_BITS && byteCount === Math.ceil(quantity / 8)
      : quantity >= 1 && quantity <= MODBUS_MAX_WRITE_REGISTERS && byteCount === quantity * 2;
  if (!fits)
    return { invalid: 'byte count does not match the quantity', headerBytes: 7, declared: byteCount };
  return { length: 9 + byteCount };
}

function measureResponse(bytes: Buffer, at: number, available: number): Measure {
  const fc = bytes[at + 1]!;
  if (fc & EXCEPTION_BIT) return KNOWN.has(fc & 0x7f) ? { length: 5 } : undefined;
  if (WRITE_ECHO.has(fc)) return { length: 8 };
  if (!KNOWN.has(fc)) return undefined;
  if (available < 3) return { need: 3 };
  const byteCount = bytes[at + 2]!;
  const max = MODBUS_MAX_ADU_BYTES - 5;
  const fits = byteCount >= 1 && byteCount <= max && (fc <= 0x02 || byteCount % 2 === 0);
  if (!fits) return { invalid: 'byte count is impossible', headerBytes: 3, declared: byteCount };
  return { length: 5 + byteCount };
}

/** Modbus framing in one direction: `measure` gives the length its function code implies. */
function modbusFormat(
  measure: Measurer,
  minUnitId: number,
  silenceFramesUnknown: boolean,
): FrameFormat<ModbusFrame> {
  return {
    markerBytes: 1,
    findStart(bytes, from, end) {
      for (let at = from; at < end; at++) {
        const unitId = bytes[at]!;
        if (unitId >= minUnitId && unitId <= MODBUS_MAX_UNIT_ID) return at;
      }
      return end;
    },
    measure(bytes, at, available, final) {
      if (available < 2) return 'partial';
      const measured = measure(bytes, at, available);
      if (measured === undefined) {
        // A user-defined function code, whose length only its vendor knows: RTU frames are
        // silence-delimited, so wait for the silence; then the whole rest is one frame when its CRC
        // says so. Other unknown codes are garbage, skipped at once.
        const fc = bytes[at + 1]!;
        if (!silenceFramesUnknown || !isUserDefinedFunction(fc) || available > MODBUS_MAX_ADU_BYTES) {
          return 'noise';
        }
        if (!final) return 'partial';
        return available >= 4 && hasValidModbusCrc(bytes.subarray(at, at + available))
          ? { frameBytes: available }
          : 'noise';
      }
      if ('invalid' in measured) {
        const invalid = new XinyiError(XinyiErrorCode.FRAME_LENGTH, `Modbus frame ${measured.invalid}`, {
          details: { functionCode: bytes[at + 1]!, declaredByteCount: measured.declared },
        });
        return { invalid, spanBytes: measured.headerBytes };
      }
      return 'need' in measured ? { needBytes: measured.need } : { frameBytes: measured.length };
    },
    check(frame) {
      return hasValidModbusCrc(frame) ? undefined : checksumError(frame, 0, frame.length);
    },
    decode(frame) {
      return frameAt(frame, 0, frame.length);
    },
    cutShort(bytes, at, available, frameBytes) {
      // The line went quiet with this frame unfinished: it was cut short.
      return new XinyiError(XinyiErrorCode.FRAME_LENGTH, 'Modbus frame cut short before its end', {
        details: {
          functionCode: bytes[at + 1]!,
          receivedBytes: available,
          ...(frameBytes === undefined ? {} : { expectedBytes: frameBytes }),
          truncated: true,
        },
      });
    },
  };
}

/**
 * Finds request frames (host → slave) in a byte stream: what a virtual slave reads, with the shared
 * framing behaviour of `FrameDecoder` (adapters/framing/frame-decoder.ts). `push(chunk)` returns
 * every frame completed by the chunk, in order, with a `FRAME_CHECKSUM` or `FRAME_LENGTH` error in
 * place of a damaged one; it never throws on any input. Requests of every public function code are
 * framed, those this codec does not parse too (`parseModbusRequest` then rejects them with
 * exception 01); a function code whose length is unknown is taken whole at `flush()` when its CRC
 * matches. See the framing notes above: frames are found from their function code's implied length
 * and their CRC, not from silence, so call `flush()` after a silence to give up on a frame that will
 * never be completed.
 */
export class ModbusRequestDecoder extends ResyncFramer<ModbusFrame> {
  constructor() {
    super(modbusFormat(measureRequest, 0, true));
  }

  /** @deprecated the same as `discardedBytes`, the name every frame decoder uses. */
  get discarded(): number {
    return this.discardedBytes;
  }
}

/** Finds reply frames (slave → host) in a byte stream, exceptions included; otherwise as `ModbusRequestDecoder`. */
export class ModbusResponseDecoder extends ResyncFramer<ModbusFrame> {
  constructor() {
    super(modbusFormat(measureResponse, 1, false));
  }

  /** @deprecated the same as `discardedBytes`, the name every frame decoder uses. */
  get discarded(): number {
    return this.discardedBytes;
  }
}
