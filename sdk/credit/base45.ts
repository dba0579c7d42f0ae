import { XinyiError } from '../errors.js';

/**
 * Base45 (RFC 9285): two bytes become three characters of the QR alphanumeric set, a trailing
 * byte becomes two. Scanner modules that emit keyboard-wedge text pass these characters unharmed.
 */
export const BASE45_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';

/** Why a Base45 text could not be decoded (`details.reason` of the `INVALID_ARGUMENT` error). */
export const Base45Problem = {
  /** A character outside the 45-character alphabet (lower case included). */
  CHARACTER: 'BASE45_CHARACTER',
  /** A length of 3n + 1 characters, which no byte string encodes to. */
  LENGTH: 'BASE45_LENGTH',
  /** A group whose value exceeds 65535 (three characters) or 255 (two characters). */
  OVERFLOW: 'BASE45_OVERFLOW',
} as const;
export type Base45Problem = (typeof Base45Problem)[keyof typeof Base45Problem];

const VALUES = new Int8Array(128).fill(-1);
for (let i = 0; i < BASE45_ALPHABET.length; i++) VALUES[BASE45_ALPHABET.charCodeAt(i)] = i;

/** Encodes bytes as Base45 text. */
export function encodeBase45(bytes: Uint8Array): string {
  let out = '';
  const pairs = bytes.length - (bytes.length % 2);
  for (let i = 0; i < pairs; i += 2) {
    let n = bytes[i]! * 256 + bytes[i + 1]!;
    const c = n % 45;
    n = (n - c) / 45;
    const d = n % 45;
    const e = (n - d) / 45;
    out += BASE45_ALPHABET[c]! + BASE45_ALPHABET[d]! + BASE45_ALPHABET[e]!;
  }
  if (pairs < bytes.length) {
    const n = bytes[pairs]!;
    const c = n % 45;
    out += BASE45_ALPHABET[c]! + BASE45_ALPHABET[(n - c) / 45]!;
  }
  return out;
}

function problem(reason: Base45Problem, message: string, position: number): XinyiError {
  return new XinyiError('INVALID_ARGUMENT', message, { details: { reason, position } });
}

function valueAt(text: string, i: number): number {
  const code = text.charCodeAt(i);
  const v = code < 128 ? VALUES[code]! : -1;
  if (v < 0) throw problem(Base45Problem.CHARACTER, `base45: invalid character at position ${i}`, i);
  return v;
}

/**
 * Decodes Base45 text. Throws `INVALID_ARGUMENT` with `details.reason` one of {@link Base45Problem}
 * (and `details.position`) for text that is not canonical Base45.
 */
export function decodeBase45(text: string): Uint8Array {
  const rest = text.length % 3;
  if (rest === 1) {
    throw problem(Base45Problem.LENGTH, `base45: impossible length ${text.length}`, text.length);
  }
  const full = text.length - rest;
  const out = new Uint8Array((full / 3) * 2 + (rest === 2 ? 1 : 0));
  let o = 0;
  for (let i = 0; i < full; i += 3) {
    const n = valueAt(text, i) + valueAt(text, i + 1) * 45 + valueAt(text, i + 2) * 2025;
    if (n > 0xffff) throw problem(Base45Problem.OVERFLOW, `base45: group at position ${i} exceeds 65535`, i);
    out[o++] = n >> 8;
    out[o++] = n & 0xff;
  }
  if (rest === 2) {
    const n = valueAt(text, full) + valueAt(text, full + 1) * 45;
    if (n > 0xff) throw problem(Base45Problem.OVERFLOW, `base45: final group exceeds 255`, full);
    out[o] = n;
  }
  return out;
}
