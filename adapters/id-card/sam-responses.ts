import { XinyiError, XinyiErrorCode } from '../../sdk/errors.js';
import { CARD_TEXT_BYTES, trimPad } from './card-text.js';
import type { SamResponse } from './sam-frame.js';
import { describeSamStatus, SamStatus, type SamStatusInfo } from './sam-status.js';

// Payload formats: docs/protocols.md §1.5.

/** Result of find card (0x20 0x01): SW3 0x9F means a card is in the field; 0x80 is the normal "no card". */
export type SamFindCardResult =
  | { found: true /** 4-byte "IIN" (all zeros in practice). */; iin: Buffer }
  | { found: false; status: Readonly<SamStatusInfo> };

/** Result of select card (0x20 0x02): SW3 0x90 with the card's serial number. */
export type SamSelectCardResult =
  | { selected: true /** Card serial number (8 bytes, `SDT_SelectIDCard`'s pucSN). */; serialNumber: Buffer }
  | { selected: false; status: Readonly<SamStatusInfo> };

/** Interprets a find-card response. */
export function parseFindCardResponse(response: SamResponse): SamFindCardResult {
  if (response.sw3 === SamStatus.FIND_CARD_SUCCESS) return { found: true, iin: Buffer.from(response.data) };
  return { found: false, status: describeSamStatus(response.sw3) };
}

/** Interprets a select-card response. */
export function parseSelectCardResponse(response: SamResponse): SamSelectCardResult {
  if (response.sw3 === SamStatus.SUCCESS) return { selected: true, serialNumber: Buffer.from(response.data) };
  return { selected: false, status: describeSamStatus(response.sw3) };
}

/** Which read command produced a payload: 0x30 0x01 (`'base'`) or 0x30 0x10 (`'with-fingerprint'`). */
export type SamReadFormat = 'base' | 'with-fingerprint';

/** The files of a card's base message. */
export interface SamReadPayload {
  /** 256-byte card text; decode with `parseCardText`. */
  text: Buffer;
  /** WLT photo, 1024 bytes in practice; opaque (see `WltDecoder`). */
  photo: Buffer;
  /**
   * Fingerprint file (only for `'with-fingerprint'`): 1024 bytes (two 512-byte templates), 512, or
   * empty when the card holds none.
   */
  fingerprint?: Buffer;
}

function lengthError(message: string, details: Record<string, string | number | boolean>): XinyiError {
  return new XinyiError(XinyiErrorCode.FRAME_LENGTH, message, { details });
}

/**
 * Splits the data of a successful read response (SW3 0x90) into text, photo and fingerprint.
 * Layout (§1.5): `TL(2, BE) PL(2, BE) [FL(2, BE)] TEXT[TL] PHOTO[PL] [FP[FL]]`.
 * @throws XinyiError `FRAME_LENGTH` when the text length is not 256 or the declared lengths do not
 *   add up to the payload size (details name the lengths).
 */
export function parseReadPayload(data: Uint8Array, format: SamReadFormat): SamReadPayload {
  const buf = Buffer.from(data);
  const headerBytes = format === 'with-fingerprint' ? 6 : 4;
  if (buf.length < headerBytes) {
    throw lengthError('read payload is shorter than its length header', { format, dataBytes: buf.length });
  }
  const textLength = buf.readUInt16BE(0);
  const photoLength = buf.readUInt16BE(2);
  const fingerprintLength = format === 'with-fingerprint' ? buf.readUInt16BE(4) : 0;
  const expected = headerBytes + textLength + photoLength + fingerprintLength;
  if (textLength !== CARD_TEXT_BYTES || expected !== buf.length) {
    throw lengthError('read payload lengths do not add up', {
      format,
      textLength,
      photoLength,
      fingerprintLength,
      dataBytes: buf.length,
    });
  }
  const photoStart = headerBytes + textLength;
  const fpStart = photoStart + photoLength;
  const payload: SamReadPayload = {
    text: buf.subarray(headerBytes, photoStart),
    photo: buf.subarray(photoStart, fpStart),
  };
  if (format === 'with-fingerprint') payload.fingerprint = buf.subarray(fpStart);
  return payload;
}

/**
 * Builds read-response data (for the simulator): the `'with-fingerprint'` layout when `fingerprint`
 * is present (even empty), else the base layout. Pass it as `data` to `encodeSamResponse(0, 0, 0x90, …)`.
 */
export function encodeReadPayload(payload: {
  text: Uint8Array;
  photo: Uint8Array;
  fingerprint?: Uint8Array;
}): Buffer {
  const withFp = payload.fingerprint !== undefined;
  const header = Buffer.alloc(withFp ? 6 : 4);
  header.writeUInt16BE(payload.text.length, 0);
  header.writeUInt16BE(payload.photo.length, 2);
  if (payload.fingerprint !== undefined) header.writeUInt16BE(payload.fingerprint.length, 4);
  const parts = [header, payload.text, payload.photo];
  if (payload.fingerprint !== undefined) parts.push(payload.fingerprint);
  return Buffer.concat(parts);
}

/** Bytes of one appended-address record (GA/T 490 `jdzjzz1`, `jdzjzz2`, …; §1.11). */
export const APPENDED_ADDRESS_RECORD_BYTES = 70;

/** An appended address (追加住址) read with 0x30 0x03. */
export interface AppendedAddress {
  /** The newest appended address, trimmed (the first record returned). */
  address: string;
  /** Every 70-byte record in the payload, trimmed, in the order received (one in practice). */
  records: string[];
}

/**
 * Decodes the data of a successful read-newest-address response (SW3 0x90; SW3 0x91 means the card
 * has none). ⚠️ §1.5 documents one 70-byte UCS-2 record from a single source; the payload size is
 * unconfirmed, so any even size is accepted and split into 70-byte records.
 * @throws XinyiError `FRAME_LENGTH` for an odd payload size (not UCS-2).
 */
export function parseAppendedAddressPayload(data: Uint8Array): AppendedAddress {
  if (data.length % 2 !== 0) {
    throw lengthError('appended address payload is not whole UCS-2 characters', { dataBytes: data.length });
  }
  const buf = Buffer.from(data);
  const records: string[] = [];
  for (let at = 0; at < buf.length; at += APPENDED_ADDRESS_RECORD_BYTES) {
    const end = Math.min(at + APPENDED_ADDRESS_RECORD_BYTES, buf.length);
    records.push(trimPad(buf.toString('utf16le', at, end)));
  }
  return { address: records[0] ?? '', records };
}

/**
 * Builds a 70-byte appended-address record (for the simulator), space-padded.
 * @throws XinyiError `INVALID_ARGUMENT` when the address exceeds 35 UCS-2 characters.
 */
export function encodeAppendedAddressPayload(address: string): Buffer {
  const text = Buffer.from(address, 'utf16le');
  if (text.length > APPENDED_ADDRESS_RECORD_BYTES) {
    throw new XinyiError(XinyiErrorCode.INVALID_ARGUMENT, 'appended address is longer than one record', {
      details: { argument: 'address', maxChars: APPENDED_ADDRESS_RECORD_BYTES / 2, chars: address.length },
    });
  }
  const record = Buffer.from(' '.repeat(APPENDED_ADDRESS_RECORD_BYTES / 2), 'utf16le');
  text.copy(record, 0);
  return record;
}

/** Bytes of the SAM ID payload (§1.5). */
export const SAM_ID_BYTES = 16;

/** The five numbers of a SAM ID: `u16LE, u16LE, u32LE, u32LE, u32LE` (§1.5). */
export type SamIdParts = readonly [number, number, number, number, number];

/** Options for `formatSamId` / `parseSamIdPayload`. */
export interface SamIdFormatOptions {
  /**
   * Zero-padded width of the last two numbers. Vendors disagree (§1.5 ⚠️, §4 item 1): YinanSoft
   * pads to 10, HslCommunication to 9. 10 is the default because a u32 has up to 10 digits, so
   * only 10 gives every SAM ID the same width.
   * @default 10
   */
  serialDigits?: 9 | 10;
}

/** A SAM module's identity, read with 0x12 0xFF. */
export interface SamId {
  parts: SamIdParts;
  /** The vendor display form `AA.BB-C-DDDDDDDDDD-EEEEEEEEEE`, e.g. `05.01-20230101-0000012345-0000067890`. */
  text: string;
}

/**
 * Formats SAM ID numbers the way vendor tools print them (§1.5): the first two zero-padded to 2
 * digits and joined by `.`, then `-`, the third as is, and the last two zero-padded to
 * `serialDigits`.
 * @throws XinyiError `INVALID_OPTIONS` when `serialDigits` is not 9 or 10.
 */
export function formatSamId(parts: SamIdParts, options: SamIdFormatOptions = {}): string {
  const digits = options.serialDigits ?? 10;
  if (digits !== 9 && digits !== 10) {
    throw new XinyiError(XinyiErrorCode.INVALID_OPTIONS, 'serialDigits must be 9 or 10', {
      details: { option: 'serialDigits' },
    });
  }
  const [a, b, c, d, e] = parts;
  const pad = (n: number, width: number) => String(n).padStart(width, '0');
  return `${pad(a, 2)}.${pad(b, 2)}-${c}-${pad(d, digits)}-${pad(e, digits)}`;
}

/**
 * Decodes the data of a successful SAM ID response (SW3 0x90).
 * @throws XinyiError `FRAME_LENGTH` unless the payload has 16 bytes; `INVALID_OPTIONS` for a bad option.
 */
export function parseSamIdPayload(data: Uint8Array, options: SamIdFormatOptions = {}): SamId {
  if (data.length !== SAM_ID_BYTES) {
    throw lengthError('SAM ID payload must be 16 bytes', {
      dataBytes: data.length,
      expectedBytes: SAM_ID_BYTES,
    });
  }
  const buf = Buffer.from(data);
  const parts: SamIdParts = [
    buf.readUInt16LE(0),
    buf.readUInt16LE(2),
    buf.readUInt32LE(4),
    buf.readUInt32LE(8),
    buf.readUInt32LE(12),
  ];
  return { parts, text: formatSamId(parts, options) };
}

/**
 * Builds SAM ID response data (for the simulator).
 * @throws XinyiError `INVALID_ARGUMENT` when a number does not fit its field.
 */
export function encodeSamIdPayload(parts: SamIdParts): Buffer {
  const limits = [0xffff, 0xffff, 0xffffffff, 0xffffffff, 0xffffffff];
  parts.forEach((n, i) => {
    if (!Number.isInteger(n) || n < 0 || n > limits[i]!) {
      throw new XinyiError(XinyiErrorCode.INVALID_ARGUMENT, 'SAM ID number out of range', {
        details: { argument: 'parts', index: i },
      });
    }
  });
  const buf = Buffer.alloc(SAM_ID_BYTES);
  buf.writeUInt16LE(parts[0], 0);
  buf.writeUInt16LE(parts[1], 2);
  buf.writeUInt32LE(parts[2], 4);
  buf.writeUInt32LE(parts[3], 8);
  buf.writeUInt32LE(parts[4], 12);
  return buf;
}
