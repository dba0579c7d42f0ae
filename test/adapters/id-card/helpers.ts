import { isXinyiError } from '../../../sdk/errors.js';

/** Parses `"AA AA 96"`-style hex (whitespace and newlines ignored) into a Buffer. */
export function hex(text: string): Buffer {
  const clean = text.replace(/\s+/g, '');
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(clean)) throw new Error(`bad hex: ${text}`);
  return Buffer.from(clean, 'hex');
}

/** Upper-case spaced hex, for readable failure messages. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes)
    .toString('hex')
    .toUpperCase()
    .replace(/(..)(?!$)/g, '$1 ');
}

interface Decoder<T> {
  push(chunk: Uint8Array): Array<T | Error>;
  flush(): Array<T | Error>;
}

/** Feeds chunks in order and collects every result (optionally flushing at the end). */
export function feed<T>(decoder: Decoder<T>, chunks: Uint8Array[], flush = false): Array<T | Error> {
  const out: Array<T | Error> = [];
  for (const c of chunks) out.push(...decoder.push(c));
  if (flush) out.push(...decoder.flush());
  return out;
}

/** Every byte as its own chunk. */
export function bytewise(bytes: Uint8Array): Uint8Array[] {
  return Array.from(bytes, (b) => Uint8Array.of(b));
}

/** Splits at the given ascending offsets. */
export function splitAt(bytes: Uint8Array, ...offsets: number[]): Uint8Array[] {
  const parts: Uint8Array[] = [];
  let from = 0;
  for (const at of offsets) {
    parts.push(bytes.subarray(from, at));
    from = at;
  }
  parts.push(bytes.subarray(from));
  return parts;
}

/** Comparable form of decoder output: errors reduced to code + details, buffers to hex. */
export function summarize(items: ReadonlyArray<unknown>): unknown[] {
  return items.map((item) => {
    if (isXinyiError(item)) return { error: item.code, details: item.details };
    const rec = item as Record<string, unknown>;
    return Object.fromEntries(
      Object.entries(rec).map(([k, v]) => [k, v instanceof Uint8Array ? toHex(v) : v]),
    );
  });
}
