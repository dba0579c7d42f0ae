import { XinyiError, XinyiErrorCode } from '../../sdk/errors.js';
import type { ScanTextEncoding } from './hid-pos.js';
import { isBlankScanText, type Scan, type Symbology } from './scan.js';
import { aimIdForSymbology, parseAimPrefix } from './symbology.js';

// Serial (RS-232 / USB CDC-ACM) scanners, docs/protocols.md §2.3: plain text, an optional AIM
// prefix `]xy` at the start, and a configurable suffix, normally CR (0x0D) or CR LF; without a
// suffix a frame ends after 300 ms of silence (WebSerialBarcodeScanner).

const CR = 0x0d;
const LF = 0x0a;

/** Default silence that ends a frame (§2.3: 300 ms in WebSerialBarcodeScanner). */
export const SERIAL_DEFAULT_SILENCE_MS = 300;
/** Default maximum frame length in bytes; above every 2D symbol's capacity. */
export const SERIAL_DEFAULT_MAX_LENGTH = 8192;
/**
 * Default quiet time after a suffix before the frame ends. A scanner sends one symbol in one burst
 * (a byte every 1.04 ms at 9600 baud, USB packets 1 ms apart); two scans by hand are hundreds of ms
 * apart. More bytes within this time after a CR or LF are the next line of the same symbol.
 */
export const SERIAL_DEFAULT_LINE_GAP_MS = 30;

/**
 * How frames end. `'auto'` ends a frame at CR or LF and swallows the LF of a CR LF pair, whichever
 * suffix the scanner was set to; `'none'` relies on silence alone.
 */
export type SerialSuffix = 'CR' | 'CRLF' | 'LF' | 'auto' | 'none';

/** Options for `SerialScannerDecoder`. */
export interface SerialScannerDecoderOptions {
  /** The suffix that ends a frame. @default 'auto' */
  suffix?: SerialSuffix;
  /**
   * Silence after the last byte that ends a frame, whatever the suffix (checked by `poll(nowMs)`
   * and by the next `push`); `null` disables it (not allowed with `suffix: 'none'`).
   * @default SERIAL_DEFAULT_SILENCE_MS (300, §2.3)
   */
  silenceMs?: number | null;
  /** Take a leading AIM identifier (`]Q1`…, §2.4) off the text and name the symbology from it. @default true */
  aimPrefix?: boolean;
  /**
   * A suffix ends the frame only once the line has stayed quiet this long after it; bytes that come
   * sooner continue the same symbol, and the line break is kept in its text. A QR code whose text
   * holds CR- or LF-separated lines therefore arrives as one frame (which the scanner then refuses
   * as `multi-line`) instead of one credential per line. 0 ends the frame at the suffix at once.
   * @default SERIAL_DEFAULT_LINE_GAP_MS (30)
   */
  lineGapMs?: number;
  /**
   * Largest frame in bytes. A longer one is returned as `FRAME_LENGTH` as soon as it overflows and
   * the rest of it is skipped up to the next suffix (or silence).
   * @default SERIAL_DEFAULT_MAX_LENGTH (8192)
   */
  maxLength?: number;
  /** Encoding of the text. @default 'utf8' */
  encoding?: ScanTextEncoding;
  /**
   * A frame that cannot be a scan's text is line noise: bytes that are not valid in `encoding`,
   * control characters other than HT, CR, LF and the separators of GS1 and ISO/IEC 15434 data (EOT,
   * FS, GS, RS), or nothing but those separators and whitespace. It is returned as `FRAME_GARBLED`
   * instead of a scan. `false` passes such frames on as
   * scans (a scanner set to wrap its output in STX … ETX, say). @default true
   */
  rejectNonText?: boolean;
}

/**
 * What `SerialScannerDecoder` returns: a scan, `FRAME_LENGTH` in an overlong frame's place, or
 * `FRAME_GARBLED` in place of a frame that is not text.
 */
export type SerialScannerOutput = Scan | XinyiError;

/**
 * Sans-I/O decoder for a serial scanner's byte stream (§2.3): chunks in (each with its arrival
 * time), scans out. Chunks may split or join frames anywhere, a CR LF pair included. Empty frames
 * (a bare suffix) are skipped. Frames are decoded as text only once complete, so a multi-byte UTF-8
 * character split across chunks survives. The decoder keeps no timers: the caller calls
 * `poll(nowMs)` to end a frame on silence (`nextDeadlineMs` says when).
 */
export class SerialScannerDecoder {
  readonly #suffix: SerialSuffix;
  readonly #silenceMs: number | null;
  readonly #lineGapMs: number;
  readonly #aimPrefix: boolean;
  readonly #maxLength: number;
  readonly #encoding: ScanTextEncoding;
  readonly #rejectNonText: boolean;

  #store: Buffer = Buffer.alloc(0);
  #length = 0;
  #discarding = false;
  /** The last byte was a CR: in `'CRLF'` mode it is held back, in `'auto'` it ended a frame. */
  #afterCr = false;
  #lastByteMs: number | undefined;
  #discardedBytes = 0;
  /** The suffix bytes that ended the last line, held until `lineGapMs` tells a suffix from a line break. */
  #heldSuffix: number[] = [];
  #suffixAtMs: number | undefined;

  /** @throws XinyiError `INVALID_OPTIONS` naming the bad option. */
  constructor(options: SerialScannerDecoderOptions = {}) {
    if (options === null || typeof options !== 'object') {
      throw badOption('options', 'options must be an object when given');
    }
    const suffix = options.suffix ?? 'auto';
    if (!['CR', 'CRLF', 'LF', 'auto', 'none'].includes(suffix)) {
      throw badOption('suffix', "suffix must be 'CR', 'CRLF', 'LF', 'auto' or 'none'");
    }
    this.#suffix = suffix;
    const silenceMs = options.silenceMs === undefined ? SERIAL_DEFAULT_SILENCE_MS : options.silenceMs;
    if (
      silenceMs !== null &&
      (typeof silenceMs !== 'number' || !Number.isFinite(silenceMs) || silenceMs <= 0)
    ) {
      throw badOption('silenceMs', 'silenceMs must be a finite number > 0 or null');
    }
    if (silenceMs === null && suffix === 'none') {
      throw badOption('silenceMs', "silenceMs cannot be null with suffix 'none': frames would never end");
    }
    this.#silenceMs = silenceMs;
    if (options.aimPrefix !== undefined && typeof options.aimPrefix !== 'boolean') {
      throw badOption('aimPrefix', 'aimPrefix must be a boolean');
    }
    this.#aimPrefix = options.aimPrefix ?? true;
    const lineGapMs = options.lineGapMs ?? SERIAL_DEFAULT_LINE_GAP_MS;
    if (typeof lineGapMs !== 'number' || !Number.isFinite(lineGapMs) || lineGapMs < 0) {
      throw badOption('lineGapMs', 'lineGapMs must be a finite number ≥ 0');
    }
    this.#lineGapMs = lineGapMs;
    const maxLength = options.maxLength ?? SERIAL_DEFAULT_MAX_LENGTH;
    if (!Number.isSafeInteger(maxLength) || maxLength < 1) {
      throw badOption('maxLength', 'maxLength must be a positive integer');
    }
    this.#maxLength = maxLength;
    const encoding = options.encoding ?? 'utf8';
    if (encoding !== 'utf8' && encoding !== 'latin1') {
      throw badOption('encoding', "encoding must be 'utf8' or 'latin1'");
    }
    this.#encoding = encoding;
    if (options.rejectNonText !== undefined && typeof options.rejectNonText !== 'boolean') {
      throw badOption('rejectNonText', 'rejectNonText must be a boolean');
    }
    this.#rejectNonText = options.rejectNonText ?? true;
  }

  /** Bytes of the frame in progress (a held-back CR or suffix included). */
  get pending(): number {
    return this.#length + this.#heldSuffix.length + (this.#suffix === 'CRLF' && this.#afterCr ? 1 : 0);
  }

  /** Bytes dropped so far as the overflow of frames longer than `maxLength`. */
  get discardedBytes(): number {
    return this.#discardedBytes;
  }

  /** When `poll` would end the frame in progress, or undefined when there is none (or no silence rule). */
  get nextDeadlineMs(): number | undefined {
    if (this.#suffixAtMs !== undefined) return this.#suffixAtMs + this.#lineGapMs;
    if (this.#silenceMs === null || this.#lastByteMs === undefined || !this.#hasPending()) return undefined;
    return this.#lastByteMs + this.#silenceMs;
  }

  /**
   * Feeds bytes received at `atMs`; returns every scan or error they completed, in order (a silence
   * before them is applied first).
   * @throws XinyiError `INVALID_ARGUMENT` when `atMs` is not a finite number.
   */
  push(chunk: Uint8Array, atMs: number): SerialScannerOutput[] {
    assertTime('atMs', atMs);
    const out: SerialScannerOutput[] = [];
    this.#endOnSilence(atMs, out);
    if (chunk.length === 0) return out;
    this.#lastByteMs = atMs;
    for (const byte of chunk) this.#byte(byte, atMs, out);
    return out;
  }

  /** Ends the frame in progress if `nowMs` is at least `silenceMs` after its last byte. */
  poll(nowMs: number): SerialScannerOutput[] {
    assertTime('nowMs', nowMs);
    const out: SerialScannerOutput[] = [];
    this.#endOnSilence(nowMs, out);
    return out;
  }

  /** Ends the frame in progress now, as silence would. */
  flush(): SerialScannerOutput[] {
    const out: SerialScannerOutput[] = [];
    this.#endFrame(out);
    this.#afterCr = false;
    return out;
  }

  /** Drops the frame in progress without reporting it (e.g. after the port was reopened). */
  reset(): void {
    this.#length = 0;
    this.#discarding = false;
    this.#afterCr = false;
    this.#lastByteMs = undefined;
    this.#heldSuffix = [];
    this.#suffixAtMs = undefined;
    this.#store = Buffer.alloc(0);
  }

  #hasPending(): boolean {
    return this.#length > 0 || this.#discarding || (this.#suffix === 'CRLF' && this.#afterCr);
  }

  #endOnSilence(nowMs: number, out: SerialScannerOutput[]): void {
    if (this.#suffixAtMs !== undefined && nowMs - this.#suffixAtMs >= this.#lineGapMs) {
      // The line stayed quiet after its suffix: the frame is complete.
      this.#endFrame(out);
      return;
    }
    if (this.#silenceMs === null || this.#lastByteMs === undefined) return;
    if (nowMs - this.#lastByteMs < this.#silenceMs) return;
    // A CR held back in 'CRLF' mode is dropped with the silence: the scanner sent CR alone.
    this.#endFrame(out);
    this.#afterCr = false;
    this.#lastByteMs = undefined;
  }

  #byte(byte: number, atMs: number, out: SerialScannerOutput[]): void {
    if (this.#suffixAtMs !== undefined) {
      if (atMs - this.#suffixAtMs >= this.#lineGapMs) this.#endFrame(out);
      else if (!this.#isSuffixTail(byte)) {
        // More of the same symbol: the suffix was a line break inside it.
        const held = this.#heldSuffix;
        this.#heldSuffix = [];
        this.#suffixAtMs = undefined;
        for (const b of held) this.#append(b, out);
      }
    }
    if (this.#suffixAtMs !== undefined) {
      // The LF of a CR LF suffix whose CR is held.
      this.#heldSuffix.push(byte);
      this.#isTerminator(byte, out);
      return;
    }
    if (!this.#isTerminator(byte, out)) return;
    if (this.#lineGapMs === 0 || this.#discarding || this.#length === 0) {
      this.#endFrame(out);
      return;
    }
    this.#heldSuffix = this.#suffix === 'CRLF' ? [CR, LF] : [byte];
    this.#suffixAtMs = atMs;
  }

  /** In `'auto'` mode, the LF right after a held CR belongs to the same suffix (CR LF). */
  #isSuffixTail(byte: number): boolean {
    return this.#suffix === 'auto' && byte === LF && this.#afterCr;
  }

  /** Applies the suffix rule to `byte`: true when it ends the frame; appends data bytes itself. */
  #isTerminator(byte: number, out: SerialScannerOutput[]): boolean {
    switch (this.#suffix) {
      case 'CR':
        if (byte === CR) return true;
        break;
      case 'LF':
        if (byte === LF) return true;
        break;
      case 'CRLF':
        if (this.#afterCr) {
          this.#afterCr = false;
          if (byte === LF) return true;
          this.#append(CR, out);
        }
        if (byte === CR) {
          this.#afterCr = true;
          return false;
        }
        break;
      case 'auto': {
        const afterCr = this.#afterCr;
        this.#afterCr = byte === CR;
        if (byte === CR) return true;
        // The LF of a CR LF pair: the CR already ended the frame.
        if (byte === LF) return !afterCr;
        break;
      }
      default:
        break;
    }
    this.#append(byte, out);
    return false;
  }

  #append(byte: number, out: SerialScannerOutput[]): void {
    if (this.#discarding) {
      this.#discardedBytes++;
      return;
    }
    if (this.#length === this.#maxLength) {
      out.push(
        new XinyiError(XinyiErrorCode.FRAME_LENGTH, 'scanner frame is longer than maxLength', {
          details: { maxLength: this.#maxLength, receivedBytes: this.#length + 1 },
        }),
      );
      this.#discardedBytes += this.#length + 1;
      this.#length = 0;
      this.#discarding = true;
      return;
    }
    if (this.#length === this.#store.length) {
      const grown = Buffer.alloc(Math.min(Math.max(64, this.#store.length * 2), this.#maxLength));
      this.#store.copy(grown, 0, 0, this.#length);
      this.#store = grown;
    }
    this.#store[this.#length++] = byte;
  }

  #endFrame(out: SerialScannerOutput[]): void {
    this.#heldSuffix = [];
    this.#suffixAtMs = undefined;
    if (this.#discarding) {
      this.#discarding = false;
      this.#length = 0;
      return;
    }
    if (this.#length === 0) return;
    const bytes = this.#store.subarray(0, this.#length);
    const raw = this.#rejectNonText ? decodeText(bytes, this.#encoding) : bytes.toString(this.#encoding);
    const length = this.#length;
    this.#length = 0;
    if (this.#store.length > 1024) this.#store = Buffer.alloc(0);
    if (raw === undefined) {
      out.push(
        new XinyiError(XinyiErrorCode.FRAME_GARBLED, 'scanner frame is not text (line noise?)', {
          details: { receivedBytes: length, encoding: this.#encoding },
        }),
      );
      return;
    }
    const scan = this.#toScan(raw);
    if (scan.text.length > 0) out.push(scan);
  }

  #toScan(raw: string): Scan {
    if (this.#aimPrefix) {
      const { aimId, symbology, rest } = parseAimPrefix(raw);
      if (aimId !== undefined) return { text: rest, symbology, source: 'serial', aimId };
    }
    return { text: raw, symbology: 'unknown', source: 'serial' };
  }
}

/** Options for `encodeSerialScan`. */
export interface EncodeSerialScanOptions {
  /** Named by the AIM prefix when `aim` is set. @default 'qr' */
  symbology?: Symbology;
  /** Prefix the data with the symbology's AIM identifier (§2.4); none for `unknown`. @default false */
  aim?: boolean;
  /** The suffix appended (§2.3). @default 'CR' */
  suffix?: 'CR' | 'CRLF' | 'LF' | 'none';
  /** @default 'utf8' */
  encoding?: ScanTextEncoding;
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });
/**
 * The controls a scan's text may hold: HT, CR and LF (whitespace a scan is trimmed of, or a suffix set
 * differently on the scanner) and EOT, FS, GS and RS (separators in GS1 and ISO/IEC 15434 data).
 */
const SCAN_CONTROLS: ReadonlySet<number> = new Set([0x04, 0x09, 0x0a, 0x0d, 0x1c, 0x1d, 0x1e]);

/** The frame's text, or undefined when it is not text: invalid in its encoding, or holding other controls. */
function decodeText(bytes: Buffer, encoding: ScanTextEncoding): string | undefined {
  let text: string;
  if (encoding === 'utf8') {
    try {
      text = STRICT_UTF8.decode(bytes);
    } catch {
      return undefined;
    }
  } else {
    text = bytes.toString('latin1');
  }
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // C0 controls other than those above, DEL and the C1 controls.
    if (c < 0x20 ? !SCAN_CONTROLS.has(c) : c >= 0x7f && c <= 0x9f) return undefined;
  }
  // Separators and whitespace alone are noise too: they would make a blank credential.
  return isBlankScanText(text) ? undefined : text;
}

/**
 * The bytes a serial scanner sends for `text` (§2.3): optional AIM prefix, the text, the suffix.
 * @example encodeSerialScan('HELLO', { aim: true }) // 5D 51 31 48 45 4C 4C 4F 0D (`]Q1HELLO\r`)
 * @throws XinyiError `INVALID_ARGUMENT` for a malformed option.
 */
export function encodeSerialScan(text: string, options: EncodeSerialScanOptions = {}): Buffer {
  if (typeof text !== 'string') throw badArgument('text', 'text must be a string');
  const suffix = options.suffix ?? 'CR';
  const tail = SUFFIX_BYTES.get(suffix);
  if (tail === undefined) throw badArgument('suffix', "suffix must be 'CR', 'CRLF', 'LF' or 'none'");
  const encoding = options.encoding ?? 'utf8';
  if (encoding !== 'utf8' && encoding !== 'latin1') {
    throw badArgument('encoding', "encoding must be 'utf8' or 'latin1'");
  }
  const aimId = options.aim === true ? aimIdForSymbology(options.symbology ?? 'qr') : undefined;
  return Buffer.concat([Buffer.from(aimId ?? '', 'latin1'), Buffer.from(text, encoding), tail]);
}

const SUFFIX_BYTES: ReadonlyMap<string, Buffer> = new Map([
  ['CR', Buffer.from([CR])],
  ['CRLF', Buffer.from([CR, LF])],
  ['LF', Buffer.from([LF])],
  ['none', Buffer.alloc(0)],
]);

function badOption(option: string, message: string): XinyiError {
  return new XinyiError(XinyiErrorCode.INVALID_OPTIONS, message, { details: { option } });
}

function badArgument(argument: string, message: string): XinyiError {
  return new XinyiError(XinyiErrorCode.INVALID_ARGUMENT, message, { details: { argument } });
}

function assertTime(argument: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw badArgument(argument, `${argument} must be a finite number of milliseconds`);
  }
}
