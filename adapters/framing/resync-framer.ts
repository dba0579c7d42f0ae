import { XinyiError, XinyiErrorCode } from '../../sdk/errors.js';
import type { FrameDecoder } from './frame-decoder.js';

/**
 * What the bytes at a candidate start say about the frame there:
 * - `'partial'`: too few bytes to tell whether a frame starts here (a partial start marker), or a
 *   frame whose end only the line's silence marks; the framer waits, and drops the bytes silently
 *   as noise on `flush()` unless `measure` (called with `final`) says otherwise;
 * - `'noise'`: no frame starts here after all; the byte is skipped as noise;
 * - `{ needBytes }`: a frame starts here, and its length is known once `needBytes` bytes are in;
 * - `{ frameBytes }`: a frame of that many bytes starts here;
 * - `{ invalid, spanBytes }`: a frame starts here with a header that cannot be right (e.g. an
 *   impossible length): `invalid` is returned in its place, and `spanBytes` (the header looked at)
 *   is the stretch it covers.
 */
export type FrameMeasure =
  | 'partial'
  | 'noise'
  | { needBytes: number }
  | { frameBytes: number }
  | { invalid: XinyiError; spanBytes: number };

/** One protocol's framing rules, as `ResyncFramer` applies them. */
export interface FrameFormat<T> {
  /** Bytes a rejected candidate gives up before the search resumes: its start marker. */
  readonly markerBytes: number;
  /**
   * Index of the first possible frame start in `bytes[from, end)`, a partial start marker at the end
   * included; `end` when there is none. Bytes before it are noise. The store holds stale bytes
   * past `end`: never look at them.
   */
  findStart(bytes: Buffer, from: number, end: number): number;
  /** What the `available` bytes from `at` say (see `FrameMeasure`); `final` on `flush()`. */
  measure(bytes: Buffer, at: number, available: number, final: boolean): FrameMeasure;
  /** The error a complete candidate fails with (checksum, CRC), or undefined when it is a frame. */
  check(frame: Buffer): XinyiError | undefined;
  /** The frame's fields; `frame` is a view the framer reuses, so copy what is kept. */
  decode(frame: Buffer): T;
  /** The `FRAME_LENGTH` error (`details.truncated`) for a frame the stream ended inside. */
  cutShort(bytes: Buffer, at: number, available: number, frameBytes: number | undefined): XinyiError;
}

/**
 * The one resynchronising framer behind every device codec (see `FrameDecoder` for the behaviour
 * and the garbage-reporting policy it guarantees): a growable byte store, a start finder, the
 * format's length and check, and the bookkeeping of damaged stretches.
 */
export class ResyncFramer<T> implements FrameDecoder<T> {
  readonly #format: FrameFormat<T>;
  #store: Buffer = Buffer.alloc(0);
  #start = 0;
  #end = 0;
  #discarded = 0;
  /** Stream offset of `#store[#start]`. */
  #offset = 0;
  /** Stream offset up to which the last reported error's bytes reach: candidates before it are not reported. */
  #quietUntil = 0;

  constructor(format: FrameFormat<T>) {
    this.#format = format;
  }

  get pending(): number {
    return this.#end - this.#start;
  }

  get discardedBytes(): number {
    return this.#discarded;
  }

  push(chunk: Uint8Array): Array<T | XinyiError> {
    if (!(chunk instanceof Uint8Array)) {
      throw new XinyiError(XinyiErrorCode.INVALID_ARGUMENT, 'push() takes a Uint8Array or Buffer', {
        details: { argument: 'chunk' },
      });
    }
    const out: Array<T | XinyiError> = [];
    if (chunk.length > 0) this.#append(chunk);
    this.#drain(out, false);
    return out;
  }

  flush(): Array<T | XinyiError> {
    const out: Array<T | XinyiError> = [];
    this.#drain(out, true);
    this.#store = Buffer.alloc(0);
    return out;
  }

  reset(): void {
    this.#offset += this.#end - this.#start;
    this.#quietUntil = this.#offset;
    this.#store = Buffer.alloc(0);
    this.#start = 0;
    this.#end = 0;
  }

  #append(chunk: Uint8Array): void {
    const held = this.#end - this.#start;
    if (this.#store.length - this.#end < chunk.length) {
      if (held + chunk.length <= this.#store.length) {
        this.#store.copy(this.#store, 0, this.#start, this.#end);
      } else {
        const grown = Buffer.allocUnsafe(Math.max(held + chunk.length, this.#store.length * 2, 64));
        this.#store.copy(grown, 0, this.#start, this.#end);
        this.#store = grown;
      }
      this.#start = 0;
      this.#end = held;
    }
    this.#store.set(chunk, this.#end);
    this.#end += chunk.length;
  }

  #advance(count: number): void {
    this.#start += count;
    this.#offset += count;
  }

  #skipNoise(count: number): void {
    this.#advance(count);
    this.#discarded += count;
  }

  /** A candidate at `#start` is not a frame: report it unless it lies in a reported stretch, and step over its marker. */
  #reject(error: XinyiError, spanBytes: number, out: Array<T | XinyiError>): void {
    if (this.#offset >= this.#quietUntil) out.push(error);
    this.#quietUntil = Math.max(this.#quietUntil, this.#offset + spanBytes);
    this.#advance(Math.min(this.#format.markerBytes, this.#end - this.#start));
  }

  #drain(out: Array<T | XinyiError>, final: boolean): void {
    const format = this.#format;
    while (this.#start < this.#end) {
      const at = format.findStart(this.#store, this.#start, this.#end);
      if (at > this.#start) this.#skipNoise(at - this.#start);
      if (at >= this.#end) break;
      const available = this.#end - at;
      const measure = format.measure(this.#store, at, available, final);
      if (measure === 'partial') {
        if (!final) break;
        this.#skipNoise(1);
        continue;
      }
      if (measure === 'noise') {
        this.#skipNoise(1);
        continue;
      }
      if ('invalid' in measure) {
        this.#reject(measure.invalid, measure.spanBytes, out);
        continue;
      }
      const frameBytes = 'frameBytes' in measure ? measure.frameBytes : undefined;
      if (frameBytes === undefined || available < frameBytes) {
        if (!final) break;
        this.#reject(format.cutShort(this.#store, at, available, frameBytes), available, out);
        continue;
      }
      const frame = this.#store.subarray(at, at + frameBytes);
      const error = format.check(frame);
      if (error !== undefined) {
        this.#reject(error, frameBytes, out);
        continue;
      }
      out.push(format.decode(frame));
      this.#advance(frameBytes);
      // A good frame ends the damaged stretch: what follows it is new damage.
      this.#quietUntil = Math.min(this.#quietUntil, this.#offset);
    }
    if (this.#start === this.#end) {
      this.#start = 0;
      this.#end = 0;
    }
  }
}
