import type { Symbology } from './scan.js';

// AIM symbology identifiers (ISO/IEC 15424): `]` + code character + modifier character.
// Table: docs/protocols.md §2.4 (zxing-cpp SymbologyIdentifier / CreateBarcode, BarcodeParser aim.js).

/** The AIM code characters of §2.4 and the symbology each names, whatever the modifier. */
const AIM_CODE_CHARS: ReadonlyMap<string, Symbology> = new Map<string, Symbology>([
  ['Q', 'qr'],
  ['d', 'data-matrix'],
  ['L', 'pdf417'],
  ['z', 'aztec'],
  // ⚠️ §2.4: aim.js maps `h` to Han Xin; zxing-cpp has it commented out.
  ['h', 'han-xin'],
  ['A', 'code-39'],
  ['I', 'itf'],
  ['F', 'codabar'],
  ['G', 'code-93'],
  ['e', 'gs1-databar'],
]);

/**
 * Canonical AIM identifier sent for each symbology (§2.4), used by the encoders and the simulator.
 * UPC-A and UPC-E travel as the 13-digit EAN packet `]E0`, so they decode back as `ean-13`.
 */
const AIM_FOR_SYMBOLOGY: Readonly<Partial<Record<Symbology, string>>> = {
  qr: ']Q1',
  'data-matrix': ']d1',
  pdf417: ']L2',
  aztec: ']z0',
  'han-xin': ']h0',
  'ean-13': ']E0',
  'ean-8': ']E4',
  'upc-a': ']E0',
  'upc-e': ']E0',
  'code-128': ']C0',
  'gs1-128': ']C1',
  'code-39': ']A0',
  'code-93': ']G0',
  codabar: ']F0',
  itf: ']I0',
  'gs1-databar': ']e0',
};

const AIM_PATTERN = /^\][A-Za-z][0-9A-Za-z]/;

/** Length of an AIM symbology identifier: `]`, code character, modifier. */
export const AIM_ID_LENGTH = 3;

/** A text split into its AIM symbology identifier (when it starts with one) and the data after it. */
export interface AimPrefix {
  /** The identifier, e.g. `]Q1`; undefined when the text does not start with one. */
  aimId: string | undefined;
  /** What the identifier names; `unknown` without an identifier or for a vendor/unlisted one (`]X0`). */
  symbology: Symbology;
  /** The text after the identifier (the whole text when there is none). */
  rest: string;
}

/**
 * The symbology an AIM identifier names (§2.4): `]Q0`–`]Q6` QR, `]E0`/`]E3` EAN-13 (also UPC-A/E
 * as a 13-digit packet), `]E4` EAN-8, `]C1` GS1-128 and other `]C` Code 128, `]d1`–`]d3` Data
 * Matrix, `]A` Code 39, `]I` ITF, `]F` Codabar, `]G` Code 93, `]L` PDF417, `]z` Aztec, `]e` GS1
 * DataBar, `]h` Han Xin. Anything else (MaxiCode `]U0`, vendor `]X…`, malformed) is `unknown`.
 */
export function symbologyFromAim(aimId: string): Symbology {
  if (aimId.length !== AIM_ID_LENGTH || !AIM_PATTERN.test(aimId)) return 'unknown';
  const code = aimId[1]!;
  const modifier = aimId[2]!;
  if (code === 'E') {
    // §2.4: ]E0 EAN-13/UPC, ]E3 EAN/UPC with add-on (combined packet), ]E4 EAN-8.
    if (modifier === '4') return 'ean-8';
    return modifier === '0' || modifier === '3' ? 'ean-13' : 'unknown';
  }
  if (code === 'C') return modifier === '1' ? 'gs1-128' : 'code-128';
  return AIM_CODE_CHARS.get(code) ?? 'unknown';
}

/**
 * Splits a leading AIM identifier (`]` + letter + letter/digit, ISO/IEC 15424) off `text`. Any
 * identifier of that form is taken off, named or not, since a scanner set to send one sends it on
 * every scan; a text that does not start with one is returned whole with `aimId` undefined.
 * @example parseAimPrefix(']Q1QZ1:ABC') // { aimId: ']Q1', symbology: 'qr', rest: 'QZ1:ABC' }
 */
export function parseAimPrefix(text: string): AimPrefix {
  if (!AIM_PATTERN.test(text)) return { aimId: undefined, symbology: 'unknown', rest: text };
  const aimId = text.slice(0, AIM_ID_LENGTH);
  return { aimId, symbology: symbologyFromAim(aimId), rest: text.slice(AIM_ID_LENGTH) };
}

/** The AIM identifier a scanner sends for `symbology` (§2.4), or undefined for `unknown`. */
export function aimIdForSymbology(symbology: Symbology): string | undefined {
  return AIM_FOR_SYMBOLOGY[symbology];
}

/**
 * Honeywell Code ID byte (HID POS report byte 61) → symbology: §2.2's table (✅ WebHidBarcodeScanner).
 * Three entries are taken from the code of that same source rather than §2.2's table: `I` (0x49)
 * GS1-128 — where the table says `|` (0x7C), which is kept as well — `{` (0x7B) DataBar Limited and
 * `R` (0x52) MicroPDF417. China Post `Q` and codes not listed map to `unknown`.
 */
export const HONEYWELL_CODE_IDS: ReadonlyMap<number, Symbology> = new Map<number, Symbology>([
  [0x61, 'codabar'], // a
  [0x62, 'code-39'], // b
  [0x63, 'upc-a'], // c
  [0x64, 'ean-13'], // d
  [0x44, 'ean-8'], // D
  [0x45, 'upc-e'], // E
  [0x65, 'itf'], // e
  [0x6a, 'code-128'], // j
  [0x69, 'code-93'], // i
  [0x72, 'pdf417'], // r
  [0x52, 'pdf417'], // R (MicroPDF417)
  [0x73, 'qr'], // s
  [0x77, 'data-matrix'], // w
  [0x7a, 'aztec'], // z
  [0x7c, 'gs1-128'], // |
  [0x49, 'gs1-128'], // I
  [0x79, 'gs1-databar'], // y (Omni)
  [0x7b, 'gs1-databar'], // { (Limited)
  [0x7d, 'gs1-databar'], // } (Expanded)
  [0x48, 'han-xin'], // H (Chinese Sensible)
]);

/**
 * ❓ Newland symbology ID byte (FM430 HID POS report byte 62) → symbology. §2.2 gives the byte's
 * position (0x00 = none) but not its values; these are the letters of Newland's published "Code ID"
 * table as we understand it, NOT confirmed against a device. Pass `codeIds` to `HidPosDecoder` to
 * replace the table once a unit has been checked.
 */
export const NEWLAND_CODE_IDS: ReadonlyMap<number, Symbology> = new Map<number, Symbology>([
  [0x61, 'codabar'], // a
  [0x62, 'code-39'], // b
  [0x63, 'upc-a'], // c
  [0x64, 'ean-13'], // d
  [0x65, 'itf'], // e
  [0x67, 'ean-8'], // g
  [0x68, 'upc-e'], // h
  [0x6a, 'code-128'], // j
  [0x79, 'code-93'], // y
  [0x72, 'pdf417'], // r
  [0x51, 'qr'], // Q
  [0x75, 'data-matrix'], // u
]);

/**
 * HID POS usages (page 0x8C) that name a symbology, as §2.2 lists them (IOHIDUsageTables.h):
 * 0x11D QR Code, 0x118 Data Matrix. Other symbology usages of the page are not in the reference.
 */
export const HID_POS_SYMBOLOGY_USAGES: ReadonlyMap<number, Symbology> = new Map<number, Symbology>([
  [0x11d, 'qr'],
  [0x118, 'data-matrix'],
]);

/** The symbology a Honeywell Code ID names (`unknown` for 0x00 and unlisted codes). */
export function symbologyFromHoneywellCodeId(codeId: number): Symbology {
  return HONEYWELL_CODE_IDS.get(codeId) ?? 'unknown';
}

/** ❓ The symbology a Newland symbology ID names, from `table` (default `NEWLAND_CODE_IDS`). */
export function symbologyFromNewlandCodeId(
  codeId: number,
  table: ReadonlyMap<number, Symbology> = NEWLAND_CODE_IDS,
): Symbology {
  return table.get(codeId) ?? 'unknown';
}

/** The symbology a HID POS usage (page 0x8C) names, or `unknown`. */
export function symbologyFromHidPosUsage(usage: number): Symbology {
  return HID_POS_SYMBOLOGY_USAGES.get(usage) ?? 'unknown';
}

/** The first code in `table` that names `symbology` (the inverse, for encoders); undefined if none. */
export function codeIdForSymbology(
  table: ReadonlyMap<number, Symbology>,
  symbology: Symbology,
): number | undefined {
  for (const [code, named] of table) if (named === symbology) return code;
  return undefined;
}
