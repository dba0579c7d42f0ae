import { describe, expect, it } from 'vitest';
import {
  aimIdForSymbology,
  codeIdForSymbology,
  HONEYWELL_CODE_IDS,
  NEWLAND_CODE_IDS,
  parseAimPrefix,
  SYMBOLOGIES,
  type Symbology,
  symbologyFromAim,
  symbologyFromHidPosUsage,
  symbologyFromHoneywellCodeId,
  symbologyFromNewlandCodeId,
} from '../../../adapters/scanner/index.js';

// docs/protocols.md §2.4, row by row: [AIM identifier, symbology].
const AIM_TABLE: Array<[string, Symbology]> = [
  [']Q1', 'qr'], // QR model 2 (default)
  [']Q0', 'qr'], // QR model 1
  [']Q2', 'qr'], // with ECI
  [']Q3', 'qr'], // FNC1 first (GS1 QR)
  [']Q4', 'qr'],
  [']Q5', 'qr'], // FNC1 second (AIM)
  [']Q6', 'qr'],
  [']E0', 'ean-13'], // EAN-13, UPC-A, UPC-E (13-digit packet)
  [']E4', 'ean-8'],
  [']E3', 'ean-13'], // EAN/UPC with add-on
  [']C0', 'code-128'],
  [']C1', 'gs1-128'], // FNC1 in first position
  [']C2', 'code-128'], // FNC1 in second position (AIM)
  [']d1', 'data-matrix'], // ECC200
  [']d2', 'data-matrix'], // GS1 DataMatrix
  [']d3', 'data-matrix'], // AIM
  [']A0', 'code-39'],
  [']A3', 'code-39'],
  [']A4', 'code-39'],
  [']A7', 'code-39'],
  [']I0', 'itf'],
  [']I1', 'itf'],
  [']F0', 'codabar'],
  [']G0', 'code-93'],
  [']L2', 'pdf417'],
  [']z0', 'aztec'],
  [']z1', 'aztec'],
  [']z2', 'aztec'],
  [']e0', 'gs1-databar'],
  [']U0', 'unknown'], // MaxiCode: not a symbology the SDK names
  [']h0', 'han-xin'], // ⚠️ aim.js only
  [']X0', 'unknown'], // vendor-defined (Honeywell Bookland/ISSN)
];

// §2.2 Honeywell Code ID table: [byte, symbology].
const HONEYWELL_TABLE: Array<[number, Symbology]> = [
  [0x61, 'codabar'],
  [0x62, 'code-39'],
  [0x63, 'upc-a'],
  [0x64, 'ean-13'],
  [0x44, 'ean-8'],
  [0x45, 'upc-e'],
  [0x65, 'itf'],
  [0x6a, 'code-128'],
  [0x69, 'code-93'],
  [0x72, 'pdf417'],
  [0x73, 'qr'],
  [0x77, 'data-matrix'],
  [0x7a, 'aztec'],
  [0x7c, 'gs1-128'],
  [0x79, 'gs1-databar'],
  [0x7d, 'gs1-databar'],
  [0x48, 'han-xin'],
  [0x51, 'unknown'], // China Post
];

describe('AIM identifiers (§2.4)', () => {
  it.each(AIM_TABLE)('%s names %s', (aimId, symbology) => {
    expect(symbologyFromAim(aimId)).toBe(symbology);
    expect(parseAimPrefix(`${aimId}4006381333931`)).toEqual({ aimId, symbology, rest: '4006381333931' });
  });

  it('parses the identifier off a credit code and keeps the rest untouched', () => {
    expect(parseAimPrefix(']Q1QZ1:ABC $%*+-./:')).toEqual({
      aimId: ']Q1',
      symbology: 'qr',
      rest: 'QZ1:ABC $%*+-./:',
    });
    expect(parseAimPrefix(']Q1')).toEqual({ aimId: ']Q1', symbology: 'qr', rest: '' });
  });

  it('leaves text without a well-formed identifier alone', () => {
    for (const text of ['QZ1:ABC', '', ']', ']Q', '] Q1', ']1Q', ']Q-', 'x]Q1']) {
      expect(parseAimPrefix(text)).toEqual({ aimId: undefined, symbology: 'unknown', rest: text });
    }
  });

  it('takes off an identifier of the right form even when it names nothing the SDK knows', () => {
    expect(parseAimPrefix(']K0abc')).toEqual({ aimId: ']K0', symbology: 'unknown', rest: 'abc' });
    expect(symbologyFromAim(']E1')).toBe('unknown'); // add-on only packet
    expect(symbologyFromAim(']Q10')).toBe('unknown');
  });

  it('gives every named symbology an identifier that maps back to it (UPC travels as ]E0)', () => {
    for (const symbology of SYMBOLOGIES) {
      const aimId = aimIdForSymbology(symbology);
      if (symbology === 'unknown') {
        expect(aimId).toBeUndefined();
        continue;
      }
      expect(aimId).toMatch(/^\][A-Za-z][0-9A-Za-z]$/);
      const expected = symbology === 'upc-a' || symbology === 'upc-e' ? 'ean-13' : symbology;
      expect(symbologyFromAim(aimId!)).toBe(expected);
    }
  });
});

describe('Honeywell Code IDs (§2.2)', () => {
  it.each(HONEYWELL_TABLE)('code %d names %s', (code, symbology) => {
    expect(symbologyFromHoneywellCodeId(code)).toBe(symbology);
  });

  it('also knows the codes WebHidBarcodeScanner uses beyond the table: I (GS1-128), { and R', () => {
    expect(symbologyFromHoneywellCodeId(0x49)).toBe('gs1-128');
    expect(symbologyFromHoneywellCodeId(0x7b)).toBe('gs1-databar');
    expect(symbologyFromHoneywellCodeId(0x52)).toBe('pdf417');
    expect(symbologyFromHoneywellCodeId(0x00)).toBe('unknown');
  });

  it('encodes with the reference table entry first (| for GS1-128, r for PDF417)', () => {
    expect(codeIdForSymbology(HONEYWELL_CODE_IDS, 'gs1-128')).toBe(0x7c);
    expect(codeIdForSymbology(HONEYWELL_CODE_IDS, 'pdf417')).toBe(0x72);
    expect(codeIdForSymbology(HONEYWELL_CODE_IDS, 'qr')).toBe(0x73);
    expect(codeIdForSymbology(HONEYWELL_CODE_IDS, 'unknown')).toBeUndefined();
  });
});

describe('Newland symbology IDs (❓ not in the reference)', () => {
  it('maps through the default table or a table the caller supplies', () => {
    expect(symbologyFromNewlandCodeId(0x51)).toBe('qr');
    expect(symbologyFromNewlandCodeId(0x00)).toBe('unknown'); // §2.2: 0x00 = none
    const checked = new Map<number, Symbology>([[0x01, 'qr']]);
    expect(symbologyFromNewlandCodeId(0x01, checked)).toBe('qr');
    expect(symbologyFromNewlandCodeId(0x51, checked)).toBe('unknown');
    for (const [code] of NEWLAND_CODE_IDS) expect(code).toBeGreaterThan(0);
  });
});

describe('HID POS symbology usages (§2.2)', () => {
  it('names QR Code (0x11D) and Data Matrix (0x118)', () => {
    expect(symbologyFromHidPosUsage(0x11d)).toBe('qr');
    expect(symbologyFromHidPosUsage(0x118)).toBe('data-matrix');
    expect(symbologyFromHidPosUsage(0xfe)).toBe('unknown');
  });
});
