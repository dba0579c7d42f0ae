// What every stream decoder's fuzz target checks: each item a valid frame or a typed frame error, and
// the bytes it buffers bounded while it runs and none left after flush().
import { isXinyiError, type XinyiError, type XinyiErrorCode } from '../../sdk/errors.js';
import { expectInteger, expectTyped, violation } from './harness.js';

export const FRAME_ERRORS: readonly XinyiErrorCode[] = ['FRAME_LENGTH', 'FRAME_CHECKSUM'];

/** Checks every item a stream decoder returned: a typed error with a frame code, or a valid frame. */
export function checkItems<T>(
  items: readonly (T | XinyiError)[],
  where: string,
  valid: (item: T) => void,
): void {
  for (const item of items) {
    if (item instanceof Error || isXinyiError(item)) expectTyped(item, FRAME_ERRORS, where);
    else valid(item);
  }
}

export function expectByte(value: unknown, what: string): void {
  expectInteger(value, 0, 255, what);
}

/** Largest `pending` seen after each push, and everything returned (flush included). */
export interface StreamRun<T> {
  items: Array<T | XinyiError>;
  maxPending: number;
  pendingAfterFlush: number;
}

interface StreamDecoder<T> {
  push(chunk: Uint8Array): Array<T | XinyiError>;
  flush(): Array<T | XinyiError>;
  readonly pending: number;
}

export function runStream<T>(decoder: StreamDecoder<T>, chunks: readonly Uint8Array[]): StreamRun<T> {
  const items: Array<T | XinyiError> = [];
  let maxPending = 0;
  for (const chunk of chunks) {
    items.push(...decoder.push(chunk));
    maxPending = Math.max(maxPending, decoder.pending);
  }
  items.push(...decoder.flush());
  return { items, maxPending, pendingAfterFlush: decoder.pending };
}

export function expectBounded(
  run: { maxPending: number; pendingAfterFlush: number },
  bound: number,
  what: string,
) {
  if (run.maxPending > bound) violation(`${what}: pending reached ${run.maxPending} bytes (bound ${bound})`);
  if (run.pendingAfterFlush !== 0) violation(`${what}: ${run.pendingAfterFlush} bytes pending after flush()`);
}
