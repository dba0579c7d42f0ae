import { XinyiError, XinyiErrorCode } from '../../sdk/errors.js';
import type { Scan, Symbology } from './scan.js';
import {
  AIM_ID_LENGTH,
  aimIdForSymbology,
  codeIdForSymbology,
  HONEYWELL_CODE_IDS,
  NEWLAND_CODE_IDS,
  parseAimPrefix,
  symbologyFromAim,
} from './symbology.js';

// USB HID POS input reports, usage page 0x8C (docs/protocols.md §2.2). Offsets include the
// report ID byte, as hidapi / node-hid deliver it for a device with numbered reports.
//
// Honeywell (64 bytes):  0 ID=0x02 | 1 len (0–56) | 2–4 AIM `]xy` | 5–60 data | 61 Code ID | 62 0 | 63 more?
// Newland FM430:         0 ID=0x02 | 1 len (1–56) | 2–57 data | 58–61 reserved | 62 symbology ID

/** HID usage page of bar code scanners (§2.2). */
export const HID_POS_USAGE_PAGE = 0x8c;
/** Usage of the Bar Code Scanner application collection (§2.2): a scanner is page 0x8C usage 0x02. */
export const HID_POS_SCANNER_USAGE = 0x02;
/** Report ID of the scanned-data input report in both layouts (§2.2). */
export const HID_POS_REPORT_ID = 0x02;
/** Size of the input report, report ID included (§2.2). */
export const HID_POS_REPORT_BYTES = 64;
/** Largest data length one packet carries (§2.2: 56 in both layouts). */
export const HID_POS_MAX_PACKET_DATA = 56;

const LENGTH_AT = 1;
const HONEYWELL_AIM_AT = 2;
const HONEYWELL_DATA_AT = 5;
const HONEYWELL_CODE_ID_AT = 61;
const HONEYWELL_CONTINUED_AT = 63;
const NEWLAND_DATA_AT = 2;
const NEWLAND_SYMBOLOGY_AT = 62;
/** The Newland layout names bytes up to 62; a report must reach that far. */
const NEWLAND_MIN_REPORT_BYTES = NEWLAND_SYMBOLOGY_AT + 1;
const AIM_FLAG = 0x5d; // `]`

/**
 * Feature report that puts some Honeywell/Youjie units into HID POS mode: report ID 0xFE, payload
 * `01` (§2.2, WebHidBarcodeScanner sends it to every Honeywell device on open). In node-hid's form,
 * report ID first: `sendFeatureReport([0xfe, 0x01])`.
 */
export const HONEYWELL_HID_POS_MODE_FEATURE_REPORT: readonly number[] = Object.freeze([0xfe, 0x01]);

/** Default wait for the next packet of a multi-packet scan (❓ not in §2.2; USB polls every 1–10 ms). */
export const HID_POS_DEFAULT_PACKET_TIMEOUT_MS = 200;
/** Default maximum assembled scan, in bytes. */
export const HID_POS_DEFAULT_MAX_LENGTH = 8192;

/** The two input report layouts of §2.2. */
export type HidPosLayout = 'honeywell' | 'newland';

/** Text encoding of scan data. */
export type ScanTextEncoding = 'utf8' | 'latin1';

/**
 * The feature report (node-hid form, report ID first) a scanner of `layout` needs before it sends
 * HID POS reports, or undefined when none is documented (Newland: §2.2 names none).
 */
export function hidPosSetupFeatureReport(layout: HidPosLayout): Buffer | undefined {
  return layout === 'honeywell' ? Buffer.from(HONEYWELL_HID_POS_MODE_FEATURE_REPORT) : undefined;
}

/** Options for `HidPosDecoder`. */
export interface HidPosDecoderOptions {
  /** Which vendor layout the reports follow (§2.2). @default 'honeywell' */
  layout?: HidPosLayout;
  /**
   * Whether each report starts with its report ID, as hidapi/node-hid deliver numbered reports.
   * WebHID's `DataView` leaves it out (§2.2 note): set `false`, and every offset shifts down by one.
   * @default true
   */
  reportIdIncluded?: boolean;
  /** Report ID of the scanned-data report; reports with another ID are ignored. @default 0x02 */
  reportId?: number;
  /**
   * ❓ Newland only: §2.2 gives the Newland layout no continuation flag. With `'full-packet'`, a
   * packet carrying exactly `packetSize` bytes may be followed by more, and the scan ends with a
   * shorter packet or `packetTimeoutMs` of silence; with `'none'` every packet is a whole scan.
   * @default 'full-packet'
   */
  newlandMultiPacket?: 'full-packet' | 'none';
  /** ❓ Newland only: data bytes of a full packet (see `newlandMultiPacket`), 1–56. @default 56 */
  packetSize?: number;
  /**
   * Silence after which a multi-packet scan still waiting for packets ends (checked by `poll` and
   * by the next `push`): a Honeywell scan is then reported cut short (`FRAME_LENGTH`), a Newland
   * scan whose last packet was full is complete.
   * @default HID_POS_DEFAULT_PACKET_TIMEOUT_MS (200)
   */
  packetTimeoutMs?: number;
  /** Largest assembled scan in bytes; a longer one is `FRAME_LENGTH` and skipped to its end. @default 8192 */
  maxLength?: number;
  /** Encoding of the data bytes. @default 'utf8' */
  encoding?: ScanTextEncoding;
  /**
   * Take an AIM identifier at the start of the data off the text (a scanner set to prefix its data
   * with one). The Honeywell layout carries the AIM identifier in bytes 2–4 regardless.
   * @default false
   */
  aimPrefix?: boolean;
  /** Remove one trailing CR LF, CR or LF (a suffix the scanner was set to append). @default true */
  trimSuffix?: boolean;
  /**
   * Code ID byte → symbology table (Honeywell byte 61, Newland byte 62).
   * @default HONEYWELL_CODE_IDS or NEWLAND_CODE_IDS (❓) by layout
   */
  codeIds?: ReadonlyMap<number, Symbology>;
}

/** What `HidPosDecoder` returns: a scan, or an error in a malformed report's or a cut scan's place. */
export type HidPosOutput = Scan | XinyiError;

interface Assembly {
  parts: Buffer[];
  bytes: number;
  aim: Buffer;
  codeId: number;
  /** Newland: the last packet was full, so the scan may go on. */
  open: boolean;
}

/**
 * Sans-I/O decoder for HID POS scanned-data reports (§2.2) in the Honeywell or Newland layout:
 * reports in (each with its arrival time), scans out, multi-packet scans assembled.
 *
 * - Honeywell: byte 63 non-zero means more packets follow; the scan's AIM identifier (bytes 2–4)
 *   and Code ID (byte 61) are repeated in every packet, so a packet whose AIM or Code ID differs
 *   from the scan in progress starts a new scan and the old one is reported cut short. The
 *   symbology comes from the AIM identifier, refined by the Code ID where AIM cannot tell (`]E0`
 *   is EAN-13, UPC-A or UPC-E), or from the Code ID alone when there is no AIM.
 * - Newland: see `newlandMultiPacket`; the symbology comes from byte 62 (`codeIds`).
 * - Errors are returned in place, never thrown: a report shorter than its layout or with a length
 *   byte out of range (Honeywell 0–56, Newland 1–56) is `FRAME_LENGTH` (`details.declaredLength`);
 *   if a scan was being assembled it is dropped too (`details.truncated`), and its remaining
 *   packets are skipped up to its last one, so a broken scan never comes out with a gap in it.
 * - A scan still waiting for packets after `packetTimeoutMs` (see `poll`), or at `flush()`, ends.
 * - Reports with another report ID are ignored (counted in `ignoredReports`).
 */
export class HidPosDecoder {
  readonly #layout: HidPosLayout;
  readonly #offset: number;
  readonly #reportId: number;
  readonly #newlandMultiPacket: 'full-packet' | 'none';
  readonly #packetSize: number;
  readonly #packetTimeoutMs: number;
  readonly #maxLength: number;
  readonly #encoding: ScanTextEncoding;
  readonly #aimPrefix: boolean;
  readonly #trimSuffix: boolean;
  readonly #codeIds: ReadonlyMap<number, Symbology>;

  #partial: Assembly | undefined;
  /** Skipping the rest of a scan that was already reported broken. */
  #skipping = false;
  #lastPacketMs: number | undefined;
  #ignored = 0;

  /** @throws XinyiError `INVALID_OPTIONS` naming the bad option. */
  constructor(options: HidPosDecoderOptions = {}) {
    if (options === null || typeof options !== 'object') {
      throw badOption('options', 'options must be an object when given');
    }
    const layout = options.layout ?? 'honeywell';
    if (layout !== 'honeywell' && layout !== 'newland') {
      throw badOption('layout', "layout must be 'honeywell' or 'newland'");
    }
    this.#layout = layout;
    this.#offset = flag('reportIdIncluded', options.reportIdIncluded, true) ? 0 : -1;
    this.#reportId = integer('reportId', options.reportId, HID_POS_REPORT_ID, 0, 0xff);
    const multi = options.newlandMultiPacket ?? 'full-packet';
    if (multi !== 'full-packet' && multi !== 'none') {
      throw badOption('newlandMultiPacket', "newlandMultiPacket must be 'full-packet' or 'none'");
    }
    this.#newlandMultiPacket = multi;
    this.#packetSize = integer('packetSize', options.packetSize, HID_POS_MAX_PACKET_DATA, 1, 56);
    const timeout = options.packetTimeoutMs ?? HID_POS_DEFAULT_PACKET_TIMEOUT_MS;
    if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout <= 0) {
      throw badOption('packetTimeoutMs', 'packetTimeoutMs must be a finite number > 0');
    }
    this.#packetTimeoutMs = timeout;
    this.#maxLength = integer('maxLength', options.maxLength, HID_POS_DEFAULT_MAX_LENGTH, 1, 2 ** 31);
    const encoding = options.encoding ?? 'utf8';
    if (encoding !== 'utf8' && encoding !== 'latin1') {
      throw badOption('encoding', "encoding must be 'utf8' or 'latin1'");
    }
    this.#encoding = encoding;
    this.#aimPrefix = flag('aimPrefix', options.aimPrefix, false);
    this.#trimSuffix = flag('trimSuffix', options.trimSuffix, true);
    if (options.codeIds !== undefined && !(options.codeIds instanceof Map)) {
      throw badOption('codeIds', 'codeIds must be a Map from code byte to symbology');
    }
    this.#codeIds = options.codeIds ?? (layout === 'honeywell' ? HONEYWELL_CODE_IDS : NEWLAND_CODE_IDS);
  }

  /** Data bytes of a multi-packet scan still being assembled. */
  get pending(): number {
    return this.#partial?.bytes ?? 0;
  }

  /** Reports skipped because their report ID is not the scanned-data report's. */
  get ignoredReports(): number {
    return this.#ignored;
  }

  /** When `poll` would end the scan being assembled, or undefined when none is. */
  get nextDeadlineMs(): number | undefined {
    if (this.#lastPacketMs === undefined || (this.#partial === undefined && !this.#skipping))
      return undefined;
    return this.#lastPacketMs + this.#packetTimeoutMs;
  }

  /**
   * Feeds one input report received at `atMs`; returns the scans and errors it completed, in order.
   * @throws XinyiError `INVALID_ARGUMENT` when `atMs` is not a finite number.
   */
  push(report: Uint8Array, atMs: number): HidPosOutput[] {
    assertTime('atMs', atMs);
    const out: HidPosOutput[] = [];
    this.#endOnSilence(atMs, out);
    const off = this.#offset;
    if (off === 0 && report.length > 0 && report[0] !== this.#reportId) {
      this.#ignored++;
      return out;
    }
    this.#lastPacketMs = atMs;
    const minBytes = (this.#layout === 'honeywell' ? HID_POS_REPORT_BYTES : NEWLAND_MIN_REPORT_BYTES) + off;
    if (report.length < minBytes) {
      this.#malformed(out, 'HID POS report is shorter than its layout', {
        reportBytes: report.length,
        expectedBytes: minBytes,
      });
      return out;
    }
    const len = report[LENGTH_AT + off]!;
    const minLen = this.#layout === 'honeywell' ? 0 : 1;
    if (len < minLen || len > HID_POS_MAX_PACKET_DATA) {
      this.#malformed(out, 'HID POS report declares an impossible data length', {
        declaredLength: len,
        minLength: minLen,
        maxLength: HID_POS_MAX_PACKET_DATA,
      });
      return out;
    }
    if (this.#layout === 'honeywell') this.#honeywell(report, len, out);
    else this.#newland(report, len, out);
    return out;
  }

  /** Ends a scan still waiting for packets if `nowMs` is `packetTimeoutMs` after its last packet. */
  poll(nowMs: number): HidPosOutput[] {
    assertTime('nowMs', nowMs);
    const out: HidPosOutput[] = [];
    this.#endOnSilence(nowMs, out);
    return out;
  }

  /** Ends a scan still waiting for packets now, as the packet timeout would. */
  flush(): HidPosOutput[] {
    const out: HidPosOutput[] = [];
    this.#endPartial(out);
    return out;
  }

  /** Forgets a scan in progress without reporting it. */
  reset(): void {
    this.#partial = undefined;
    this.#skipping = false;
    this.#lastPacketMs = undefined;
  }

  #endOnSilence(nowMs: number, out: HidPosOutput[]): void {
    if (this.#lastPacketMs !== undefined && nowMs - this.#lastPacketMs >= this.#packetTimeoutMs) {
      this.#endPartial(out);
    }
  }

  #endPartial(out: HidPosOutput[]): void {
    this.#skipping = false;
    const partial = this.#partial;
    if (partial === undefined) return;
    this.#partial = undefined;
    if (partial.open) this.#emit(partial, out);
    else out.push(truncated(partial.bytes));
  }

  #malformed(out: HidPosOutput[], message: string, details: Record<string, string | number | boolean>): void {
    out.push(
      new XinyiError(XinyiErrorCode.FRAME_LENGTH, message, { details: { layout: this.#layout, ...details } }),
    );
    if (this.#partial !== undefined) {
      out.push(truncated(this.#partial.bytes));
      this.#partial = undefined;
      this.#skipping = true;
    }
  }

  #honeywell(report: Uint8Array, len: number, out: HidPosOutput[]): void {
    const off = this.#offset;
    const aim = Buffer.from(report.subarray(HONEYWELL_AIM_AT + off, HONEYWELL_AIM_AT + off + AIM_ID_LENGTH));
    const codeId = report[HONEYWELL_CODE_ID_AT + off]!;
    const more = report[HONEYWELL_CONTINUED_AT + off]! !== 0;
    const data = report.subarray(HONEYWELL_DATA_AT + off, HONEYWELL_DATA_AT + off + len);
    const current = this.#partial;
    if (current !== undefined && (current.codeId !== codeId || !current.aim.equals(aim))) {
      out.push(truncated(current.bytes));
      this.#partial = undefined;
    }
    if (this.#skipping) {
      if (!more) this.#skipping = false;
      return;
    }
    this.#append(data, aim, codeId, out);
    if (!more) this.#finish(out);
  }

  #newland(report: Uint8Array, len: number, out: HidPosOutput[]): void {
    const off = this.#offset;
    const codeId = report[NEWLAND_SYMBOLOGY_AT + off]!;
    const data = report.subarray(NEWLAND_DATA_AT + off, NEWLAND_DATA_AT + off + len);
    const more = this.#newlandMultiPacket === 'full-packet' && len >= this.#packetSize;
    if (this.#skipping) {
      if (!more) this.#skipping = false;
      return;
    }
    this.#append(data, Buffer.alloc(0), codeId, out);
    if (this.#partial !== undefined) this.#partial.open = more;
    if (!more) this.#finish(out);
  }

  #append(data: Uint8Array, aim: Buffer, codeId: number, out: HidPosOutput[]): void {
    const partial = this.#partial ?? { parts: [], bytes: 0, aim, codeId, open: false };
    this.#partial = partial;
    if (partial.bytes + data.length > this.#maxLength) {
      out.push(
        new XinyiError(XinyiErrorCode.FRAME_LENGTH, 'HID POS scan is longer than maxLength', {
          details: {
            layout: this.#layout,
            maxLength: this.#maxLength,
            receivedBytes: partial.bytes + data.length,
          },
        }),
      );
      this.#partial = undefined;
      this.#skipping = true;
      return;
    }
    partial.parts.push(Buffer.from(data));
    partial.bytes += data.length;
  }

  #finish(out: HidPosOutput[]): void {
    const partial = this.#partial;
    this.#partial = undefined;
    if (this.#skipping) {
      this.#skipping = false;
      return;
    }
    if (partial !== undefined) this.#emit(partial, out);
  }

  #emit(partial: Assembly, out: HidPosOutput[]): void {
    let text = Buffer.concat(partial.parts, partial.bytes).toString(this.#encoding);
    if (this.#trimSuffix) text = text.replace(/(?:\r\n|\r|\n)$/, '');
    const codeSymbology = this.#codeIds.get(partial.codeId) ?? 'unknown';
    let aimId: string | undefined;
    let symbology: Symbology = codeSymbology;
    if (partial.aim.length === AIM_ID_LENGTH && partial.aim[0] === AIM_FLAG) {
      aimId = partial.aim.toString('latin1');
      symbology = combine(symbologyFromAim(aimId), codeSymbology);
    }
    if (this.#aimPrefix) {
      const parsed = parseAimPrefix(text);
      if (parsed.aimId !== undefined) {
        text = parsed.rest;
        aimId = parsed.aimId;
        symbology = combine(parsed.symbology, codeSymbology);
      }
    }
    if (text.length === 0) return;
    out.push(
      aimId === undefined
        ? { text, symbology, source: 'hid-pos' }
        : { text, symbology, source: 'hid-pos', aimId },
    );
  }
}

const EAN_UPC: ReadonlySet<Symbology> = new Set(['ean-13', 'upc-a', 'upc-e']);

/** AIM names the family (and GS1 variants); a Code ID tells EAN-13 from UPC-A/UPC-E inside `]E0`. */
function combine(fromAim: Symbology, fromCodeId: Symbology): Symbology {
  if (fromAim === 'unknown') return fromCodeId;
  if (fromAim === 'ean-13' && EAN_UPC.has(fromCodeId)) return fromCodeId;
  return fromAim;
}

function truncated(receivedBytes: number): XinyiError {
  return new XinyiError(XinyiErrorCode.FRAME_LENGTH, 'HID POS scan cut short before its last packet', {
    details: { truncated: true, receivedBytes },
  });
}

/** Options for `encodeHidPosReports`. */
export interface EncodeHidPosOptions {
  /** @default 'honeywell' */
  layout?: HidPosLayout;
  /** Named by the AIM identifier and Code ID (Honeywell) or the symbology ID (Newland). @default 'qr' */
  symbology?: Symbology;
  /** Data bytes per packet, 1–56; the last packet carries the rest. @default 56 */
  packetSize?: number;
  /** Honeywell: the AIM identifier to send instead of the symbology's canonical one (3 ASCII characters). */
  aimId?: string;
  /** The code byte to send instead of the symbology's entry in `codeIds`. */
  codeId?: number;
  /** Code ID table used to find the symbology's code byte. @default by layout, as in `HidPosDecoder` */
  codeIds?: ReadonlyMap<number, Symbology>;
  /** @default 'utf8' */
  encoding?: ScanTextEncoding;
}

/**
 * The 64-byte input reports (report ID first) a HID POS scanner sends for `text` (§2.2), for the
 * simulator. Honeywell: `02 len ]xy data… codeId 00 more`, e.g. QR "HELLO" is
 * `02 05 5D 51 31 48 45 4C 4C 4F 00 … 00 73 00 00`. Newland: `02 len data… 00×4 symbologyId 00`.
 * A Newland scan whose length is a multiple of `packetSize` ends with a full packet, which the
 * default decoder completes after its packet timeout.
 * @throws XinyiError `INVALID_ARGUMENT` for an empty text or a malformed option.
 */
export function encodeHidPosReports(text: string, options: EncodeHidPosOptions = {}): Buffer[] {
  if (typeof text !== 'string' || text.length === 0) {
    throw badArgument('text', 'text must be a non-empty string');
  }
  const layout = options.layout ?? 'honeywell';
  if (layout !== 'honeywell' && layout !== 'newland') {
    throw badArgument('layout', "layout must be 'honeywell' or 'newland'");
  }
  const symbology = options.symbology ?? 'qr';
  const packetSize = options.packetSize ?? HID_POS_MAX_PACKET_DATA;
  if (!Number.isInteger(packetSize) || packetSize < 1 || packetSize > HID_POS_MAX_PACKET_DATA) {
    throw badArgument('packetSize', 'packetSize must be an integer 1..56');
  }
  const encoding = options.encoding ?? 'utf8';
  if (encoding !== 'utf8' && encoding !== 'latin1') {
    throw badArgument('encoding', "encoding must be 'utf8' or 'latin1'");
  }
  const table = options.codeIds ?? (layout === 'honeywell' ? HONEYWELL_CODE_IDS : NEWLAND_CODE_IDS);
  const codeId = options.codeId ?? codeIdForSymbology(table, symbology) ?? 0;
  if (!Number.isInteger(codeId) || codeId < 0 || codeId > 0xff) {
    throw badArgument('codeId', 'codeId must be a byte');
  }
  const aimId = options.aimId ?? aimIdForSymbology(symbology);
  if (aimId !== undefined && !/^[\x20-\x7e]{3}$/.test(aimId)) {
    throw badArgument('aimId', 'aimId must be 3 printable ASCII characters');
  }
  const bytes = Buffer.from(text, encoding);
  const reports: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += packetSize) {
    const chunk = bytes.subarray(at, at + packetSize);
    const last = at + packetSize >= bytes.length;
    const report = Buffer.alloc(HID_POS_REPORT_BYTES);
    report[0] = HID_POS_REPORT_ID;
    report[LENGTH_AT] = chunk.length;
    if (layout === 'honeywell') {
      if (aimId !== undefined) report.write(aimId, HONEYWELL_AIM_AT, 'latin1');
      report.set(chunk, HONEYWELL_DATA_AT);
      report[HONEYWELL_CODE_ID_AT] = codeId;
      report[HONEYWELL_CONTINUED_AT] = last ? 0 : 1;
    } else {
      report.set(chunk, NEWLAND_DATA_AT);
      report[NEWLAND_SYMBOLOGY_AT] = codeId;
    }
    reports.push(report);
  }
  return reports;
}

function badOption(option: string, message: string): XinyiError {
  return new XinyiError(XinyiErrorCode.INVALID_OPTIONS, message, { details: { option } });
}

function badArgument(argument: string, message: string): XinyiError {
  return new XinyiError(XinyiErrorCode.INVALID_ARGUMENT, message, { details: { argument } });
}

function flag(option: string, value: boolean | undefined, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw badOption(option, `${option} must be a boolean`);
  return value;
}

function integer(
  option: string,
  value: number | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw badOption(option, `${option} must be an integer ${min}..${max}`);
  }
  return value;
}

function assertTime(argument: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw badArgument(argument, `${argument} must be a finite number of milliseconds`);
  }
}
