import { XinyiError, XinyiErrorCode } from '../../sdk/errors.js';

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

/**
 * The framing shared by both directions: a growable byte store, preamble search, length and
 * checksum validation and resynchronisation. Yields the counted bytes between LEN and CHK.
 */
class SamFramer {
  readonly #direction: Direction;
  readonly #minLength: number;
  readonly #maxLength: number;
  #store: Buffer = Buffer.alloc(0);
  #start = 0;
  #end = 0;
  #discarded = 0;

  constructor(direction: Direction, minLength: number, options: SamDecoderOptions) {
    const maxLength = options.maxLength ?? SAM_DEFAULT_MAX_LENGTH;
    if (!Number.isInteger(maxLength) || maxLength < minLength || maxLength > MAX_LEN_FIELD) {
      throw new XinyiError(
        XinyiErrorCode.INVALID_OPTIONS,
        `maxLength must be an integer ${minLength}..${MAX_LEN_FIELD}`,
        { details: { option: 'maxLength' } },
      );
    }
    this.#direction = direction;
    this.#minLength = minLength;
    this.#maxLength = maxLength;
  }

  get pending(): number {
    return this.#end - this.#start;
  }

  get discarded(): number {
    return this.#discarded;
  }

  push(chunk: Uint8Array, out: Array<Buffer | XinyiError>): void {
    if (chunk.length > 0) this.#append(chunk);
    this.#drain(out);
  }

  flush(out: Array<Buffer | XinyiError>): void {
    this.#drain(out);
    while (this.pending > 0) {
      if (this.pending < PREAMBLE_BYTES) {
        // Only a partial preamble is left: no frame had started, so it is garbage.
        this.#discard(this.pending);
        break;
      }
      // #drain stops only at a preamble whose frame is incomplete: report it cut short and look
      // for complete frames inside the bytes it had claimed.
      const received = this.pending;
      const details: Record<string, string | number | boolean> = {
        direction: this.#direction,
        receivedBytes: received,
        truncated: true,
      };
      if (received >= SAM_HEADER_BYTES) {
        const declared = this.#store.readUInt16BE(this.#start + PREAMBLE_BYTES);
        details.declaredLength = declared;
        details.expectedBytes = declared + SAM_HEADER_BYTES;
      }
      out.push(
        new XinyiError(XinyiErrorCode.FRAME_LENGTH, 'SAM frame cut short before its end', { details }),
      );
      this.#start += PREAMBLE_BYTES;
      this.#drain(out);
    }
    this.#compact(true);
  }

  reset(): void {
    this.#store = Buffer.alloc(0);
    this.#start = 0;
    this.#end = 0;
  }

  #append(chunk: Uint8Array): void {
    const held = this.#end - this.#start;
    if (this.#store.length - this.#end < chunk.length) {
      const needed = held + chunk.length;
      if (needed <= this.#store.length) {
        this.#store.copy(this.#store, 0, this.#start, this.#end);
      } else {
        const grown = Buffer.allocUnsafe(Math.max(needed, this.#store.length * 2, 64));
        this.#store.copy(grown, 0, this.#start, this.#end);
        this.#store = grown;
      }
      this.#start = 0;
      this.#end = held;
    }
    this.#store.set(chunk, this.#end);
    this.#end += chunk.length;
  }

  #discard(count: number): void {
    this.#start += count;
    this.#discarded += count;
  }

  #compact(release: boolean): void {
    if (this.#start === this.#end) {
      this.#start = 0;
      this.#end = 0;
      if (release) this.#store = Buffer.alloc(0);
    }
  }

  #drain(out: Array<Buffer | XinyiError>): void {
    for (;;) {
      const view = this.#store.subarray(this.#start, this.#end);
      const at = view.indexOf(PREAMBLE);
      if (at < 0) {
        this.#discard(view.length - partialPreambleSuffix(view));
        break;
      }
      this.#discard(at);
      if (this.pending < SAM_HEADER_BYTES) break;

      const frameStart = this.#start;
      const len = this.#store.readUInt16BE(frameStart + PREAMBLE_BYTES);
      if (len < this.#minLength || len > this.#maxLength) {
        out.push(
          new XinyiError(XinyiErrorCode.FRAME_LENGTH, 'SAM frame declares an impossible length', {
            details: {
              direction: this.#direction,
              declaredLength: len,
              minLength: this.#minLength,
              maxLength: this.#maxLength,
            },
          }),
        );
        // The preamble cannot overlap itself, so the next frame can start right after it.
        this.#start += PREAMBLE_BYTES;
        continue;
      }

      const total = SAM_HEADER_BYTES + len;
      if (this.pending < total) break;

      const chkAt = frameStart + total - 1;
      const computed = samChecksum(this.#store, frameStart + PREAMBLE_BYTES, chkAt);
      const received = this.#store[chkAt]!;
      if (computed !== received) {
        out.push(
          new XinyiError(XinyiErrorCode.FRAME_CHECKSUM, 'SAM frame checksum does not match its content', {
            details: {
              direction: this.#direction,
              declaredLength: len,
              computedChecksum: computed,
              frameChecksum: received,
            },
          }),
        );
        // Resume right after the preamble, not after the declared end: if LEN itself was
        // corrupted, the next good frame may start inside the bytes this one claimed.
        this.#start += PREAMBLE_BYTES;
        continue;
      }

      out.push(Buffer.from(this.#store.subarray(frameStart + SAM_HEADER_BYTES, chkAt)));
      this.#start = frameStart + total;
    }
    this.#compact(false);
  }
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
 * Incremental, sans-I/O decoder for reader → host SAM frames (§1.3).
 *
 * - `push(chunk)` accepts any split of the byte stream (one byte at a time, or several frames at
 *   once) and returns, in order, every frame that chunk completed.
 * - Bytes before a preamble are skipped (counted in `discardedBytes`); a partial preamble at the
 *   end of a chunk is kept until the next one decides it.
 * - A frame with an impossible LEN (below 4 or above `maxLength`) or a wrong checksum is returned
 *   as an `XinyiError` (`FRAME_LENGTH` / `FRAME_CHECKSUM`, with `details.declaredLength`) in its
 *   place — never thrown — and decoding resumes right after that frame's preamble, so the next
 *   good frame is not lost.
 * - `pending > 0` after a reply should have been complete means the frame is still incomplete;
 *   a driver that times out calls `flush()` to report it and recover any frame behind it.
 */
export class SamFrameDecoder {
  readonly #framer: SamFramer;

  /** @throws XinyiError `INVALID_OPTIONS` when `maxLength` is out of range. */
  constructor(options: SamDecoderOptions = {}) {
    this.#framer = new SamFramer('response', SAM_MIN_RESPONSE_LENGTH, options);
  }

  /** Bytes held back: an incomplete frame (from its preamble on) or a partial preamble. */
  get pending(): number {
    return this.#framer.pending;
  }

  /** Bytes skipped so far while searching for a preamble: garbage, and the rest of frames returned as errors. */
  get discardedBytes(): number {
    return this.#framer.discarded;
  }

  /** Feeds bytes; returns every frame (or error in a frame's place) completed by them, in order. */
  push(chunk: Uint8Array): Array<SamResponse | XinyiError> {
    const bodies: Array<Buffer | XinyiError> = [];
    this.#framer.push(chunk, bodies);
    return bodies.map(toResponse);
  }

  /**
   * Ends the stream (or gives up waiting, e.g. on a driver timeout): an incomplete frame is
   * returned as `FRAME_LENGTH` with `details.truncated = true`, any complete frame found inside
   * the bytes it had claimed is returned after it, and the decoder is left empty.
   */
  flush(): Array<SamResponse | XinyiError> {
    const bodies: Array<Buffer | XinyiError> = [];
    this.#framer.flush(bodies);
    return bodies.map(toResponse);
  }

  /** Drops every held byte silently (e.g. after the port was reopened). */
  reset(): void {
    this.#framer.reset();
  }
}

/**
 * Incremental decoder for host → reader frames (`{ cmd, para, data }`), for the simulator's side
 * of the link. Same chunking, resync and error behaviour as `SamFrameDecoder`; the smallest
 * possible LEN is 3 (CMD + PARA + CHK).
 */
export class SamCommandDecoder {
  readonly #framer: SamFramer;

  /** @throws XinyiError `INVALID_OPTIONS` when `maxLength` is out of range. */
  constructor(options: SamDecoderOptions = {}) {
    this.#framer = new SamFramer('command', SAM_MIN_COMMAND_LENGTH, options);
  }

  /** Bytes held back: an incomplete frame (from its preamble on) or a partial preamble. */
  get pending(): number {
    return this.#framer.pending;
  }

  /** Bytes skipped so far while searching for a preamble: garbage, and the rest of frames returned as errors. */
  get discardedBytes(): number {
    return this.#framer.discarded;
  }

  /** Feeds bytes; returns every frame (or error in a frame's place) completed by them, in order. */
  push(chunk: Uint8Array): Array<SamCommandFrame | XinyiError> {
    const bodies: Array<Buffer | XinyiError> = [];
    this.#framer.push(chunk, bodies);
    return bodies.map(toCommand);
  }

  /** Same as `SamFrameDecoder.flush`. */
  flush(): Array<SamCommandFrame | XinyiError> {
    const bodies: Array<Buffer | XinyiError> = [];
    this.#framer.flush(bodies);
    return bodies.map(toCommand);
  }

  /** Drops every held byte silently. */
  reset(): void {
    this.#framer.reset();
  }
}

function toResponse(body: Buffer | XinyiError): SamResponse | XinyiError {
  if (body instanceof XinyiError) return body;
  return { sw1: body[0]!, sw2: body[1]!, sw3: body[2]!, data: body.subarray(3) };
}

function toCommand(body: Buffer | XinyiError): SamCommandFrame | XinyiError {
  if (body instanceof XinyiError) return body;
  return { cmd: body[0]!, para: body[1]!, data: body.subarray(2) };
}
