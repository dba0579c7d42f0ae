import type { BarcodeCredential, CreditCodeCredential } from '../../sdk/domain/credential.js';

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
}

/** Prefixes of signed credit codes (credit-domain.md §4.2: `QZ1:` + Base45). */
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
