import { readFileSync } from 'node:fs';
import { XinyiError } from './errors.js';

/**
 * The one encoding of a secret key file (the pseudonym key, the platform secret), read the same way
 * by the gate daemon, `xinyi journal verify` and the mock platform, so that both ends of a deployment
 * derive the same bytes (docs/gates.md, "Key files"):
 *
 * - `hex:` then hex digits: those bytes (whitespace and line breaks anywhere after the prefix ignored);
 * - `base64:` then base64 (standard or URL-safe alphabet, padding optional): those bytes;
 * - anything else is the key's raw bytes: exactly the file's bytes, except that a file that is text
 *   (valid UTF-8 without control characters other than tab and line breaks) loses its leading and
 *   trailing whitespace, so `echo "$KEY" > file` keeps working.
 *
 * A binary key is thus never read as UTF-8 (which would replace its invalid sequences with U+FFFD
 * and silently give other bytes). A binary key that happens to be text and to start or end with
 * whitespace would lose it: write binary keys with `hex:` or `base64:` to be sure.
 */

const HEX_PREFIX = 'hex:';
const BASE64_PREFIX = 'base64:';

/** Raised when a prefixed key is not what its prefix says; `details.encoding` names which. */
function encodingError(encoding: 'hex' | 'base64', problem: string): XinyiError {
  return new XinyiError('INVALID_ARGUMENT', `a ${encoding}: key ${problem}`, { details: { encoding } });
}

/** Whether `bytes` are text: valid UTF-8 with no control character but tab, CR and LF. */
function isText(bytes: Buffer): boolean {
  for (const b of bytes) {
    if ((b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) || b === 0x7f) return false;
  }
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

function startsWithAscii(bytes: Buffer, prefix: string): boolean {
  return bytes.length >= prefix.length && bytes.subarray(0, prefix.length).toString('latin1') === prefix;
}

/**
 * The key bytes a key file's content (or an environment variable's / inline value's text) stands
 * for, by the rules above. `INVALID_ARGUMENT` (never quoting the content) when a `hex:` or `base64:`
 * body is malformed or empty.
 */
export function decodeKeyFile(content: Buffer | string): Buffer {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  const leading = bytes.subarray(
    bytes.findIndex((b) => b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d),
  );
  if (startsWithAscii(leading, HEX_PREFIX)) {
    const body = leading.subarray(HEX_PREFIX.length).toString('latin1').replace(/\s+/g, '');
    if (body.length === 0) throw encodingError('hex', 'is empty after the prefix');
    if (!/^[0-9a-fA-F]*$/.test(body)) throw encodingError('hex', 'holds a character that is not a hex digit');
    if (body.length % 2 !== 0) throw encodingError('hex', 'has an odd number of hex digits');
    return Buffer.from(body, 'hex');
  }
  if (startsWithAscii(leading, BASE64_PREFIX)) {
    const body = leading.subarray(BASE64_PREFIX.length).toString('latin1').replace(/\s+/g, '');
    if (body.length === 0) throw encodingError('base64', 'is empty after the prefix');
    const standard = /^[A-Za-z0-9+/]*={0,2}$/.test(body);
    if (!standard && !/^[A-Za-z0-9_-]*={0,2}$/.test(body)) {
      throw encodingError('base64', 'holds a character outside the base64 alphabet');
    }
    const unpadded = body.replace(/=+$/, '');
    if (unpadded.length % 4 === 1) throw encodingError('base64', 'has a length no base64 text has');
    return Buffer.from(unpadded, standard ? 'base64' : 'base64url');
  }
  if (isText(bytes)) return Buffer.from(bytes.toString('utf8').trim(), 'utf8');
  return Buffer.from(bytes);
}

/**
 * Reads a key file by the rules of {@link decodeKeyFile}. A file that cannot be read throws Node's
 * own error (the caller names the field); a malformed `hex:` / `base64:` body `INVALID_ARGUMENT`.
 */
export function readKeyFile(path: string): Buffer {
  return decodeKeyFile(readFileSync(path));
}
