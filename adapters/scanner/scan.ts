import type { BarcodeCredential, CreditCodeCredential } from '../../sdk/domain/credential.js';
import { XinyiError } from '../../sdk/errors.js';

/**
 * The symbologies the SDK names, whatever the scanner reports them as (AIM identifier, Honeywell or
 * Newland code ID, HID POS usage, zxing format). `unknown` when the scanner does not say.
 */
export const SYMBOLOGIES = [
  'qr',
  'data-matrix',
  'pdf417',
  'aztec',
  'han-xin',
  'ean-13',
  'ean-8',
  'upc-a',
  'upc-e',
  'code-128',
  'gs1-128',
  'code-39',
  'code-93',
  'codabar',
  'itf',
  'gs1-databar',
  'unknown',
] as const;
export type Symbology = (typeof SYMBOLOGIES)[number];

/** How a scan reached the SDK. */
export type ScanSource = 'keyboard-wedge' | 'hid-pos' | 'serial' | 'camera';

/** One decoded scan, before it is classified into a credential. May hold personal data: never log `text`. */
export interface Scan {
  text: string;
  symbology: Symbology;
  source: ScanSource;
  /** The AIM symbology identifier when the scanner sent one (`]Q1`, `]E0`, …). */
  aimId?: string;
  /**
   * Camera scans: the symbol's area in the frame, in square pixels (how near the camera it was held).
   * `CameraScanner` uses it to choose one credential among several codes in one frame.
   */
  areaPx?: number;
}

/**
 * Why a scanner did not turn what it read into a credential: a person typing on a keyboard-wedge
 * scanner (`typed`, `too-short`, `too-long`), a symbol whose text holds line breaks (`multi-line`:
 * one optical scan is one credential, never several), or more scans than the scanner's rate limit
 * allows (`rate-limited`).
 */
export type ScanRejectReason = 'typed' | 'too-short' | 'too-long' | 'multi-line' | 'rate-limited';

/**
 * True when the text holds a CR or LF between its first and last visible characters: several lines
 * of one symbol, which a scanner refuses. A line break at either end is a suffix, not a line.
 */
export function hasLineBreak(text: string): boolean {
  return /[\r\n]/.test(text.trim());
}

/**
 * True when the text holds nothing but whitespace and the GS1 / ISO/IEC 15434 separators (EOT, FS,
 * GS, RS): line noise or a blank symbol, never a credential.
 */
export function isBlankScanText(text: string): boolean {
  for (const ch of text) if (!SEPARATORS.has(ch) && ch.trim() !== '') return false;
  return true;
}

/** EOT, FS, GS and RS: separators of GS1 and ISO/IEC 15434 data. */
const SEPARATORS: ReadonlySet<string> = new Set(['\u0004', '\u001c', '\u001d', '\u001e']);

/** A scanner's rate limit on credentials: a burst, then one per interval. */
export interface ScanRateLimit {
  /** Credentials a scanner may hand on at once. @default 3 */
  burst?: number;
  /** Then one more each `intervalMs`. @default 1000 (60 a minute: a flap gate's pace) */
  intervalMs?: number;
}

export const DEFAULT_SCAN_RATE_LIMIT: Readonly<Required<ScanRateLimit>> = { burst: 3, intervalMs: 1000 };

/**
 * A token bucket per scanner: `burst` credentials at once, refilled at one per `intervalMs`. Bounds
 * what a runaway or malicious symbol (thousands of lines, a replayed video) can turn into decisions.
 */
export class ScanRateLimiter {
  readonly #burst: number;
  readonly #intervalMs: number;
  #tokens: number;
  #updatedMs: number | undefined;

  /** @throws XinyiError `INVALID_OPTIONS` naming the bad option. */
  constructor(owner: string, limit: ScanRateLimit = {}) {
    if (limit === null || typeof limit !== 'object') {
      throw new XinyiError('INVALID_OPTIONS', `${owner}: rateLimit must be an object or false`);
    }
    const burst = limit.burst ?? DEFAULT_SCAN_RATE_LIMIT.burst;
    const intervalMs = limit.intervalMs ?? DEFAULT_SCAN_RATE_LIMIT.intervalMs;
    if (!Number.isInteger(burst) || burst < 1) {
      throw new XinyiError('INVALID_OPTIONS', `${owner}: rateLimit.burst must be an integer ≥ 1`);
    }
    if (!Number.isFinite(intervalMs) || intervalMs <= 0) {
      throw new XinyiError('INVALID_OPTIONS', `${owner}: rateLimit.intervalMs must be a positive number`);
    }
    this.#burst = burst;
    this.#intervalMs = intervalMs;
    this.#tokens = burst;
  }

  /** Takes one credential's token at `nowMs`; false when none is left. */
  take(nowMs: number): boolean {
    if (this.#updatedMs !== undefined && nowMs > this.#updatedMs) {
      this.#tokens = Math.min(this.#burst, this.#tokens + (nowMs - this.#updatedMs) / this.#intervalMs);
    }
    this.#updatedMs = this.#updatedMs === undefined ? nowMs : Math.max(this.#updatedMs, nowMs);
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}

/** Prefixes of signed credit codes (docs/credit-domain.md §4.2: `QZ1:` + Base45). */
export const DEFAULT_CREDIT_CODE_PREFIXES: readonly string[] = ['QZ1:'];

/**
 * A signed credit code (recognised by its prefix) or a plain barcode with its symbology.
 * Verification of the code's signatures happens later, in the credit step.
 */
export function classifyScan(
  scan: Scan,
  prefixes: readonly string[] = DEFAULT_CREDIT_CODE_PREFIXES,
): CreditCodeCredential | BarcodeCredential {
  const text = scan.text.trim();
  for (const prefix of prefixes) {
    if (text.startsWith(prefix)) return { kind: 'credit-code', text };
  }
  return scan.symbology === 'unknown'
    ? { kind: 'barcode', text }
    : { kind: 'barcode', text, symbology: scan.symbology };
}

/**
 * Drops repeats of the same text within `windowMs` of its last sighting: one scan, or a code held in
 * front of a camera, gives one credential. A code seen continuously keeps its window open.
 */
export class ScanDeduplicator {
  readonly #windowMs: number;
  readonly #lastSeen = new Map<string, number>();

  constructor(windowMs: number) {
    this.#windowMs = windowMs;
  }

  /** True when `text` seen at `nowMs` is new (not seen within the window). */
  accept(text: string, nowMs: number): boolean {
    for (const [seen, at] of this.#lastSeen) if (nowMs - at > this.#windowMs) this.#lastSeen.delete(seen);
    const last = this.#lastSeen.get(text);
    this.#lastSeen.set(text, nowMs);
    return last === undefined || nowMs - last > this.#windowMs;
  }

  clear(): void {
    this.#lastSeen.clear();
  }
}
