import type { XinyiError } from '../../sdk/errors.js';

/**
 * The contract of every incremental, sans-I/O byte-stream decoder of the device protocols (SAM
 * frames of the ID-card reader, AA and 7E/7F gate boards, Modbus RTU relay boards). Each is built
 * on `ResyncFramer` (resync-framer.ts), so they share one garbage-reporting policy:
 *
 * - `push(chunk)` takes any split of the stream (a byte at a time, or many frames at once) and
 *   returns, in order, every frame the chunk completed; the result never depends on the split.
 * - A damaged frame (impossible length, failed check, or, on `flush()`, cut short) comes back as a
 *   `XinyiError` (`FRAME_LENGTH` / `FRAME_CHECKSUM`) in its place, never thrown; decoding resumes
 *   just after that frame's start marker, so a good frame that began inside the bytes it claimed
 *   is still found.
 * - **One error per damaged stretch**: a rejected candidate that starts inside the bytes of one
 *   already reported is the same damage seen again and is not reported twice. So an owner's
 *   `frameErrors` counter counts damaged stretches of the line, whatever the protocol, and a flood
 *   of start bytes gives one error per frame length of flood, not one per byte.
 * - Good frames are always returned, even inside a reported stretch.
 * - `discardedBytes` counts the bytes skipped as noise: everything that was neither part of a
 *   returned frame nor the start marker of a candidate returned as an error.
 */
export interface FrameDecoder<T> {
  /**
   * Feeds bytes; returns every frame (or error in a frame's place) they completed, in order.
   * @throws XinyiError `INVALID_ARGUMENT` when `chunk` is not a `Uint8Array`.
   */
  push(chunk: Uint8Array): Array<T | XinyiError>;
  /**
   * Ends the stream (or gives up waiting after a silence or a driver timeout): a frame left
   * incomplete is returned as `FRAME_LENGTH` with `details.truncated = true`, any complete frame
   * inside the bytes it had claimed follows it, and the decoder is left empty.
   */
  flush(): Array<T | XinyiError>;
  /** Drops every held byte silently (e.g. after the link was reopened). */
  reset(): void;
  /** Bytes held back: an incomplete frame from its start on, or a partial start marker. */
  readonly pending: number;
  /** Bytes skipped as noise since construction (see the policy above). */
  readonly discardedBytes: number;
}
