import { XinyiError, XinyiErrorCode } from '../../sdk/errors.js';
import { type FrameFormat, ResyncFramer } from '../framing/resync-framer.js';

// Frame layout: docs/protocols.md §1.3.
//   host → reader:  AA AA AA 96 69 | LEN_H LEN_L | CMD | PARA | DATA… | CHK
//   reader → host:  AA AA AA 96 69 | LEN_H LEN_L | SW1 | SW2 | SW3 | DATA… | CHK
// LEN is big-endian and counts every byte after itself, CHK included; CHK is the XOR of
// LEN_H through the last DATA byte (the preamble is excluded).

/** The 5-byte preamble that starts every SAM frame in both directions (§1.3). */
export const SAM_PREAMBLE: readonly number[] = Object.freeze([0xaa, 0xaa, 0xaa, 0x96, 0x69]);

/** Bytes before the counted part of a frame: preamble (5) + LEN (2). Total frame size = LEN + 7. */
export const SAM_HEADER_BYTES = 7;

/** Smallest possible LEN of a command frame: CMD + PARA + CHK. */
export const SAM_MIN_COMMAND_LENGTH = 3;

/** Smallest possible LEN of a response frame: SW1 + SW2 + SW3 + CHK. */
export const SAM_MIN_RESPONSE_LENGTH = 4;

/** Largest LEN documented in §1.5: read text + photo + 1024-byte fingerprint (0x090A, 2321-byte frame). */
export const SAM_MAX_DOCUMENTED_LENGTH = 0x090a;

/**
 * Default upper bound on LEN accepted by the decoders. Above the largest documented response
 * (`SAM_MAX_DOCUMENTED_LENGTH`) to leave room for vendor extensions, yet far below 0xFFFF so that a
 * corrupted length field is rejected at once instead of swallowing the frames that follow.
 */
export const SAM_DEFAULT_MAX_LENGTH = 0x1000;

const PREAMBLE = Buffer.from(SAM_PREAMBLE);
const PREAMBLE_BYTES = PREAMBLE.length;
const MAX_LEN_FIELD = 0xffff;

/** A reader → host frame: the status words and the payload (checksum stripped). */
export interface SamResponse {
  /** SW1 forwarded from the card's APDU response; normally 0x00. */
  sw1: number;
  /** SW2 forwarded from the card's APDU response; normally 0x00. */
  sw2: number;
  /** The reader/SAM's own status code; see `describeSamStatus` (§1.6). */
  sw3: number;
  /** Payload after SW3, without the checksum. A fresh copy the caller may keep. */
  data: Buffer;
}

/** A host → reader frame (the command direction), as the simulator sees it. */
export interface SamCommandFrame {
  cmd: number;
  para: number;
  /** Payload after PARA, without the checksum. A fresh copy the caller may keep. */
  data: Buffer;
}

/** Options for `SamFrameDecoder` and `SamCommandDecoder`. */
export interface SamDecoderOptions {
  /**
   * Largest LEN field accepted. A frame declaring more is reported as `FRAME_LENGTH` as soon as its
   * header arrives and decoding resumes after its preamble.
   * @default SAM_DEFAULT_MAX_LENGTH (4096)
   */
  maxLength?: number;
}

/** XOR of `bytes[start..end)`: the SAM checksum when applied to LEN_H … last DATA byte. */
export function samChecksum(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let x = 0;
  for (let i = start; i < end; i++) x ^= bytes[i]!;
  return x;
}

function assertByte(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xff) {
    throw new XinyiError(XinyiErrorCode.INVALID_ARGUMENT, `${name} must be an integer 0..255`, {
      details: { argument: name },
    });
  }
}

function encodeFrame(head: readonly number[], data: Uint8Array | undefined): Buffer {
  const dataBytes = data?.length ?? 0;
  const len = head.length + dataBytes + 1;
  if (len > MAX_LEN_FIELD) {
    throw new XinyiError(
      XinyiErrorCode.INVALID_ARGUMENT,
      'SAM frame data does not fit the 16-bit LEN field',
      {
        details: { argument: 'data', dataBytes, maxDataBytes: MAX_LEN_FIELD - head.length - 1 },
      },
    );
  }
  const frame = Buffer.alloc(SAM_HEADER_BYTES + len);
  PREAMBLE.copy(frame, 0);
  frame.writeUInt16BE(len, PREAMBLE_BYTES);
  frame.set(head, SAM_HEADER_BYTES);
  if (data !== undefined) frame.set(data, SAM_HEADER_BYTES + head.length);
  frame[frame.length - 1] = samChecksum(frame, PREAMBLE_BYTES, frame.length - 1);
  return frame;
}

/**
 * Builds a complete host → reader frame: preamble, big-endian LEN (CMD + PARA + data + CHK),
 * CMD, PARA, data and the XOR checksum (§1.3). For example `encodeSamCommand(0x20, 0x01)` is
 * `AA AA AA 96 69 00 03 20 01 22` (find card).
 * @throws XinyiError `INVALID_ARGUMENT` when `cmd`/`para` is not a byte or `data` is too long.
 */
export function encodeSamCommand(cmd: number, para: number, data?: Uint8Array): Buffer {
  assertByte('cmd', cmd);
  assertByte('para', para);
  return encodeFrame([cmd, para], data);
}

/**
 * Builds a complete reader → host frame (for the simulator): preamble, LEN, SW1, SW2, SW3, data, CHK.
 * For example `encodeSamResponse(0, 0, 0x80)` is `AA AA AA 96 69 00 04 00 00 80 84` (no card).
 * @throws XinyiError `INVALID_ARGUMENT` when a status word is not a byte or `data` is too long.
 */
export function encodeSamResponse(sw1: number, sw2: number, sw3: number, data?: Uint8Array): Buffer {
  assertByte('sw1', sw1);
  assertByte('sw2', sw2);
  assertByte('sw3', sw3);
  return encodeFrame([sw1, sw2, sw3], data);
}

type Direction = 'response' | 'command';

function samFormat<T>(
  direction: Direction,
  minLength: number,
  options: SamDecoderOptions,
  decode: (body: Buffer) => T,
): FrameFormat<T> {
  const maxLength = options.maxLength ?? SAM_DEFAULT_MAX_LENGTH;
  if (!Number.isInteger(maxLength) || maxLength < minLength || maxLength > MAX_LEN_FIELD) {
    throw new XinyiError(
      XinyiErrorCode.INVALID_OPTIONS,
      `maxLength must be an integer ${minLength}..${MAX_LEN_FIELD}`,
      { details: { option: 'maxLength' } },
    );
  }
  return {
    // The preamble cannot overlap itself, so the next frame can start right after a rejected one's.
    markerBytes: PREAMBLE_BYTES,
    findStart(bytes, from, end) {
      const view = bytes.subarray(from, end);
      const at = view.indexOf(PREAMBLE);
      return at >= 0 ? from + at : end - partialPreambleSuffix(view);
    },
    measure(bytes, at, available) {
      if (available < PREAMBLE_BYTES) return 'partial';
      if (available < SAM_HEADER_BYTES) return { needBytes: SAM_HEADER_BYTES };
      const len = bytes.readUInt16BE(at + PREAMBLE_BYTES);
      if (len < minLength || len > maxLength) {
        const invalid = new XinyiError(
          XinyiErrorCode.FRAME_LENGTH,
          'SAM frame declares an impossible length',
          {
            details: { direction, declaredLength: len, minLength, maxLength },
          },
        );
        return { invalid, spanBytes: SAM_HEADER_BYTES };
      }
      return { frameBytes: SAM_HEADER_BYTES + len };
    },
    check(frame) {
      const computed = samChecksum(frame, PREAMBLE_BYTES, frame.length - 1);
      const received = frame[frame.length - 1]!;
      if (computed === received) return undefined;
      // Resumed right after the preamble, not after the declared end: if LEN itself was corrupted,
      // the next good frame may start inside the bytes this one claimed.
      return new XinyiError(XinyiErrorCode.FRAME_CHECKSUM, 'SAM frame checksum does not match its content', {
        details: {
          direction,
          declaredLength: frame.length - SAM_HEADER_BYTES,
          computedChecksum: computed,
          frameChecksum: received,
        },
      });
    },
    decode(frame) {
      return decode(Buffer.from(frame.subarray(SAM_HEADER_BYTES, frame.length - 1)));
    },
    cutShort(bytes, at, available) {
      const details: Record<string, string | number | boolean> = {
        direction,
        receivedBytes: available,
        truncated: true,
      };
      if (available >= SAM_HEADER_BYTES) {
        const declared = bytes.readUInt16BE(at + PREAMBLE_BYTES);
        details.declaredLength = declared;
        details.expectedBytes = declared + SAM_HEADER_BYTES;
      }
      return new XinyiError(XinyiErrorCode.FRAME_LENGTH, 'SAM frame cut short before its end', { details });
    },
  };
}

/** Length of the longest suffix of `view` that is a proper prefix of the preamble (0..4). */
function partialPreambleSuffix(view: Uint8Array): number {
  for (let k = Math.min(PREAMBLE_BYTES - 1, view.length); k > 0; k--) {
    let match = true;
    for (let i = 0; i < k; i++) {
      if (view[view.length - k + i] !== PREAMBLE[i]) {
        match = false;
        break;
      }
    }
    if (match) return k;
  }
  return 0;
}

/**
 * Incremental, sans-I/O decoder for reader → host SAM frames (§1.3), with the shared framing
 * behaviour of `FrameDecoder` (adapters/framing/frame-decoder.ts):
 *
 * - `push(chunk)` accepts any split of the byte stream and returns, in order, every frame that
 *   chunk completed; a partial preamble at the end of a chunk is kept until the next one decides it.
 * - A frame with an impossible LEN (below 4 or above `maxLength`, reported as soon as the header
 *   arrives) or a wrong checksum is returned as an `XinyiError` (`FRAME_LENGTH` / `FRAME_CHECKSUM`,
 *   with `details.declaredLength`) in its place — never thrown — and decoding resumes right after
 *   that frame's preamble, so the next good frame is not lost.
 * - `pending > 0` after a reply should have been complete means the frame is still incomplete;
 *   a driver that times out calls `flush()` to report it and recover any frame behind it.
 */
export class SamFrameDecoder extends ResyncFramer<SamResponse> {
  /** @throws XinyiError `INVALID_OPTIONS` when `maxLength` is out of range. */
  constructor(options: SamDecoderOptions = {}) {
    super(samFormat('response', SAM_MIN_RESPONSE_LENGTH, options, toResponse));
  }
}

/**
 * Incremental decoder for host → reader frames (`{ cmd, para, data }`), for the simulator's side
 * of the link. Same chunking, resync and error behaviour as `SamFrameDecoder`; the smallest
 * possible LEN is 3 (CMD + PARA + CHK).
 */
export class SamCommandDecoder extends ResyncFramer<SamCommandFrame> {
  /** @throws XinyiError `INVALID_OPTIONS` when `maxLength` is out of range. */
  constructor(options: SamDecoderOptions = {}) {
    super(samFormat('command', SAM_MIN_COMMAND_LENGTH, options, toCommand));
  }
}

function toResponse(body: Buffer): SamResponse {
  return { sw1: body[0]!, sw2: body[1]!, sw3: body[2]!, data: body.subarray(3) };
}

function toCommand(body: Buffer): SamCommandFrame {
  return { cmd: body[0]!, para: body[1]!, data: body.subarray(2) };
}
