import { describe, expect, it } from 'vitest';
import {
  encodeSerialScan,
  SERIAL_DEFAULT_LINE_GAP_MS,
  SERIAL_DEFAULT_SILENCE_MS,
  SerialScannerDecoder,
  type SerialScannerDecoderOptions,
  type SerialScannerOutput,
  type SerialSuffix,
  type Symbology,
} from '../../../adapters/scanner/index.js';
import { isXinyiError, type XinyiError } from '../../../sdk/errors.js';
import { bytewise, hex, splitAt, toHex } from '../id-card/helpers.js';

const BASE45 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';
const QZ1_TEXT = `QZ1:${Array.from({ length: 300 }, (_, i) => BASE45[(i * 7 + 3) % 45]).join('')}`;

const scanOf = (text: string, symbology: Symbology = 'unknown', aimId?: string) =>
  aimId === undefined ? { text, symbology, source: 'serial' } : { text, symbology, source: 'serial', aimId };

/**
 * Chunks 1 ms apart (far inside the silence timeout), then a poll once the line gap after the last
 * chunk has passed, which ends a frame whose suffix came last.
 */
function run(decoder: SerialScannerDecoder, chunks: Uint8Array[], startMs = 0): SerialScannerOutput[] {
  const out = chunks.flatMap((c, i) => decoder.push(c, startMs + i));
  out.push(...decoder.poll(startMs + chunks.length - 1 + SERIAL_DEFAULT_LINE_GAP_MS));
  return out;
}

function summary(items: SerialScannerOutput[]): unknown[] {
  return items.map((o) => (isXinyiError(o) ? { error: o.code, ...o.details } : o));
}

describe('encodeSerialScan (§2.3)', () => {
  it('sends optional AIM prefix, text and suffix (CR by default)', () => {
    expect(toHex(encodeSerialScan('HELLO'))).toBe('48 45 4C 4C 4F 0D');
    expect(toHex(encodeSerialScan('HELLO', { aim: true }))).toBe('5D 51 31 48 45 4C 4C 4F 0D');
    expect(toHex(encodeSerialScan('12', { suffix: 'CRLF', aim: true, symbology: 'ean-8' }))).toBe(
      '5D 45 34 31 32 0D 0A',
    );
    expect(toHex(encodeSerialScan('12', { suffix: 'LF' }))).toBe('31 32 0A');
    expect(toHex(encodeSerialScan('12', { suffix: 'none', aim: true, symbology: 'unknown' }))).toBe('31 32');
    expect(toHex(encodeSerialScan('é', { encoding: 'latin1' }))).toBe('E9 0D');
    expect(() => encodeSerialScan('x', { suffix: 'ETX' as never })).toThrow(/suffix/);
  });
});

describe('SerialScannerDecoder framing', () => {
  it('round-trips a full QZ1 code with AIM prefix and CR LF, split at every byte boundary', () => {
    const bytes = encodeSerialScan(QZ1_TEXT, { aim: true, suffix: 'CRLF' });
    const expected = [scanOf(QZ1_TEXT, 'qr', ']Q1')];
    for (const suffix of ['auto', 'CRLF'] as const) {
      expect(run(new SerialScannerDecoder({ suffix, lineGapMs: 0 }), [bytes])).toEqual(expected);
      expect(run(new SerialScannerDecoder({ suffix, lineGapMs: 0 }), bytewise(bytes))).toEqual(expected);
      for (let cut = 0; cut <= bytes.length; cut++) {
        expect(run(new SerialScannerDecoder({ suffix, lineGapMs: 0 }), splitAt(bytes, cut))).toEqual(
          expected,
        );
      }
    }
  });

  it.each<[SerialSuffix, string, unknown[]]>([
    ['CR', '41 42 0D 43 44 0D', [scanOf('AB'), scanOf('CD')]],
    ['CR', '41 0A 42 0D', [scanOf('A\nB')]],
    ['LF', '41 42 0A 43 44 0A', [scanOf('AB'), scanOf('CD')]],
    ['LF', '41 0D 42 0A', [scanOf('A\rB')]],
    ['CRLF', '41 42 0D 0A 43 44 0D 0A', [scanOf('AB'), scanOf('CD')]],
    ['CRLF', '41 0D 42 0A 43 0D 0A', [scanOf('A\rB\nC')]],
    ['CRLF', '41 0D 0D 0A', [scanOf('A\r')]],
    [
      'auto',
      '41 42 0D 43 44 0A 45 46 0D 0A 47 48 0A 0D',
      [scanOf('AB'), scanOf('CD'), scanOf('EF'), scanOf('GH')],
    ],
    ['auto', '0D 0A 0D 0A 0A 0D', []],
  ])('suffix %s: %s', (suffix, input, expected) => {
    expect(run(new SerialScannerDecoder({ suffix, lineGapMs: 0 }), [hex(input)])).toEqual(expected);
    expect(run(new SerialScannerDecoder({ suffix, lineGapMs: 0 }), bytewise(hex(input)))).toEqual(expected);
  });

  it('splits frames on byte 13 as the scenic-gate reader does (§2.3), one chunk holding several frames', () => {
    const stream = Buffer.concat([
      encodeSerialScan('QZ1:AAA'),
      encodeSerialScan('QZ1:BBB'),
      encodeSerialScan('9'),
    ]);
    expect(run(new SerialScannerDecoder({ suffix: 'CR', lineGapMs: 0 }), [stream])).toEqual([
      scanOf('QZ1:AAA'),
      scanOf('QZ1:BBB'),
      scanOf('9'),
    ]);
  });

  it('maps AIM prefixes to symbologies, and keeps them as text when disabled', () => {
    const bytes = encodeSerialScan('4006381333931', { aim: true, symbology: 'ean-13' });
    expect(run(new SerialScannerDecoder(), [bytes])).toEqual([scanOf('4006381333931', 'ean-13', ']E0')]);
    expect(run(new SerialScannerDecoder({ aimPrefix: false }), [bytes])).toEqual([
      scanOf(']E04006381333931'),
    ]);
    expect(run(new SerialScannerDecoder(), [hex('5D 51 31 0D')])).toEqual([]); // AIM with no data: no scan
  });

  it('decodes UTF-8 split inside a character, and latin1 when told to', () => {
    const bytes = encodeSerialScan('信易+QZ1');
    expect(run(new SerialScannerDecoder(), splitAt(bytes, 1, 2, 4))).toEqual([scanOf('信易+QZ1')]);
    const latin = encodeSerialScan('café', { encoding: 'latin1' });
    expect(run(new SerialScannerDecoder({ encoding: 'latin1' }), [latin])).toEqual([scanOf('café')]);
    // Latin-1 read as UTF-8 is not text: line noise, or the wrong encoding set.
    const [garbled] = run(new SerialScannerDecoder(), [latin]);
    expect(isXinyiError(garbled, 'FRAME_GARBLED')).toBe(true);
    expect(run(new SerialScannerDecoder({ rejectNonText: false }), [latin])).toEqual([scanOf('caf\ufffd')]);
  });

  it('returns FRAME_GARBLED for a frame that is not text, and decodes the scan after it, split anywhere', () => {
    const noise = Buffer.from('00ff1337a55a', 'hex');
    const stream = Buffer.concat([noise, Buffer.from('\r'), encodeSerialScan(QZ1_TEXT)]);
    const splits = Array.from({ length: stream.length - 1 }, (_, i) => splitAt(stream, i + 1));
    for (const chunks of [[stream], bytewise(stream), ...splits]) {
      const out = run(new SerialScannerDecoder({ lineGapMs: 0 }), chunks);
      expect(out).toHaveLength(2);
      expect(isXinyiError(out[0], 'FRAME_GARBLED')).toBe(true);
      expect((out[0] as XinyiError).details).toEqual({ receivedBytes: 6, encoding: 'utf8' });
      expect(out[1]).toEqual(scanOf(QZ1_TEXT));
    }
    // Controls other than the GS1 / ISO 15434 separators, DEL and C1 controls are noise too.
    for (const text of ['AB\u0000C', 'AB\u0007C', 'AB\u001bC', 'AB\u007fC', 'AB\u0085C']) {
      const [out] = run(new SerialScannerDecoder(), [encodeSerialScan(text)]);
      expect(isXinyiError(out, 'FRAME_GARBLED'), JSON.stringify(text)).toBe(true);
    }
    // A GS1 element string (GS between fields) and an ISO/IEC 15434 envelope are scans.
    const gs1 = '0109501101530003\u001d10ABC123';
    const iso15434 = '[)>\u001e06\u001dP12345\u001e\u0004';
    expect(run(new SerialScannerDecoder(), [encodeSerialScan(gs1)])).toEqual([scanOf(gs1)]);
    expect(run(new SerialScannerDecoder(), [encodeSerialScan(iso15434)])).toEqual([scanOf(iso15434)]);
    expect(() => new SerialScannerDecoder({ rejectNonText: 'yes' as never })).toThrow(/rejectNonText/);
  });
});

describe('SerialScannerDecoder silence', () => {
  it('ends a suffix-less frame after 300 ms (§2.3): poll at last byte + 300, not earlier', () => {
    expect(SERIAL_DEFAULT_SILENCE_MS).toBe(300);
    const decoder = new SerialScannerDecoder({ suffix: 'none' });
    const bytes = encodeSerialScan(QZ1_TEXT, { suffix: 'none' });
    expect(run(decoder, splitAt(bytes, 100, 200), 1000)).toEqual([]);
    expect(decoder.pending).toBe(bytes.length);
    expect(decoder.nextDeadlineMs).toBe(1002 + 300);
    expect(decoder.poll(1301)).toEqual([]);
    expect(decoder.poll(1302)).toEqual([scanOf(QZ1_TEXT)]);
    expect(decoder.nextDeadlineMs).toBeUndefined();
  });

  it('ends the previous frame when the next chunk comes after the silence', () => {
    const decoder = new SerialScannerDecoder({ suffix: 'none' });
    const out = [
      ...decoder.push(Buffer.from('QZ1:AAA'), 0),
      ...decoder.push(Buffer.from('QZ1:BBB'), 299),
      ...decoder.push(Buffer.from('QZ1:CCC'), 599),
    ];
    expect(out).toEqual([scanOf('QZ1:AAAQZ1:BBB')]);
    expect(decoder.flush()).toEqual([scanOf('QZ1:CCC')]);
  });

  it('also ends an unterminated frame on silence in suffix mode, unless silenceMs is null', () => {
    const decoder = new SerialScannerDecoder({ suffix: 'CR', silenceMs: 50 });
    expect([...decoder.push(Buffer.from('ABC'), 0), ...decoder.poll(50)]).toEqual([scanOf('ABC')]);
    const strict = new SerialScannerDecoder({ suffix: 'CR', silenceMs: null, lineGapMs: 0 });
    expect([...strict.push(Buffer.from('ABC'), 0), ...strict.poll(1e9)]).toEqual([]);
    expect(strict.nextDeadlineMs).toBeUndefined();
    expect(strict.push(hex('44 0D'), 2e9)).toEqual([scanOf('ABCD')]);
  });

  it('drops a CR held back in CRLF mode when silence follows it', () => {
    const decoder = new SerialScannerDecoder({ suffix: 'CRLF' });
    expect(decoder.push(hex('41 42 0D'), 0)).toEqual([]);
    expect(decoder.pending).toBe(3);
    expect(decoder.poll(300)).toEqual([scanOf('AB')]);
  });
});

describe('SerialScannerDecoder length guard', () => {
  it('returns FRAME_LENGTH in place of an overlong frame and resyncs at the next suffix', () => {
    const decoder = new SerialScannerDecoder({ maxLength: 10, lineGapMs: 0 });
    const stream = Buffer.concat([
      encodeSerialScan('0123456789AB'),
      encodeSerialScan('QZ1:OK'),
      encodeSerialScan('0123456789'),
    ]);
    for (const chunks of [[stream], bytewise(stream)]) {
      expect(summary(run(new SerialScannerDecoder({ maxLength: 10, lineGapMs: 0 }), chunks))).toEqual([
        { error: 'FRAME_LENGTH', maxLength: 10, receivedBytes: 11 },
        scanOf('QZ1:OK'),
        scanOf('0123456789'),
      ]);
    }
    run(decoder, [stream]);
    expect(decoder.discardedBytes).toBe(12);
  });

  it('resyncs on silence when there is no suffix', () => {
    const decoder = new SerialScannerDecoder({ suffix: 'none', maxLength: 10 });
    const out = [
      ...decoder.push(Buffer.from('x'.repeat(25)), 0),
      ...decoder.push(Buffer.from('QZ1:OK'), 400),
      ...decoder.poll(700),
    ];
    expect(summary(out)).toEqual([
      { error: 'FRAME_LENGTH', maxLength: 10, receivedBytes: 11 },
      scanOf('QZ1:OK'),
    ]);
  });
});

describe('SerialScannerDecoder options', () => {
  it('rejects bad options', () => {
    const bad: SerialScannerDecoderOptions[] = [
      { suffix: 'ETX' as never },
      { silenceMs: 0 },
      { silenceMs: null, suffix: 'none' },
      { maxLength: 0 },
      { encoding: 'gbk' as never },
      { aimPrefix: 1 as never },
    ];
    for (const options of bad) expect(() => new SerialScannerDecoder(options)).toThrow(/must|cannot/);
    expect(() => new SerialScannerDecoder().poll(Number.NaN)).toThrow(/nowMs/);
  });

  it('forgets a frame in progress on reset', () => {
    const decoder = new SerialScannerDecoder({ lineGapMs: 0 });
    decoder.push(Buffer.from('garbage'), 0);
    decoder.reset();
    expect(decoder.pending).toBe(0);
    expect(decoder.push(encodeSerialScan('QZ1:OK'), 1)).toEqual([scanOf('QZ1:OK')]);
  });
});

describe('SerialScannerDecoder: one symbol, one frame', () => {
  // A QR code whose text holds CR-separated lines: a scanner with a CR suffix sends the lines and
  // the suffix in one burst, which once became one credential per line.
  const lines = ['MEMBER-0001', 'MEMBER-0002', 'MEMBER-0003'];

  it('keeps the lines of one burst in one frame, line breaks included, split at every chunk boundary', () => {
    const bytes = encodeSerialScan(lines.join('\r'));
    const splits = Array.from({ length: bytes.length - 1 }, (_, i) => splitAt(bytes, i + 1));
    for (const chunks of [[bytes], bytewise(bytes), ...splits]) {
      expect(run(new SerialScannerDecoder(), chunks)).toEqual([scanOf(lines.join('\r'))]);
    }
    const crlf = encodeSerialScan(lines.join('\r\n'), { suffix: 'CRLF' });
    expect(run(new SerialScannerDecoder(), bytewise(crlf))).toEqual([scanOf(lines.join('\r\n'))]);
    expect(run(new SerialScannerDecoder({ suffix: 'CRLF' }), bytewise(crlf))).toEqual([
      scanOf(lines.join('\r\n')),
    ]);
    expect(
      run(new SerialScannerDecoder({ suffix: 'LF' }), [encodeSerialScan('A\nB', { suffix: 'LF' })]),
    ).toEqual([scanOf('A\nB')]);
  });

  it('ends the frame once the line stays quiet for lineGapMs after the suffix, not before', () => {
    const decoder = new SerialScannerDecoder();
    expect(decoder.push(encodeSerialScan('QZ1:OK'), 100)).toEqual([]);
    expect(decoder.nextDeadlineMs).toBe(100 + SERIAL_DEFAULT_LINE_GAP_MS);
    expect(decoder.poll(100 + SERIAL_DEFAULT_LINE_GAP_MS - 1)).toEqual([]);
    expect(decoder.poll(100 + SERIAL_DEFAULT_LINE_GAP_MS)).toEqual([scanOf('QZ1:OK')]);
    expect(decoder.nextDeadlineMs).toBeUndefined();
  });

  it('two scans a line gap apart are two frames; one byte sooner, one frame', () => {
    const apart = new SerialScannerDecoder();
    expect([
      ...apart.push(encodeSerialScan('TICKET-1'), 0),
      ...apart.push(encodeSerialScan('TICKET-2'), SERIAL_DEFAULT_LINE_GAP_MS),
      ...apart.poll(1000),
    ]).toEqual([scanOf('TICKET-1'), scanOf('TICKET-2')]);
    const joined = new SerialScannerDecoder();
    expect([
      ...joined.push(encodeSerialScan('TICKET-1'), 0),
      ...joined.push(encodeSerialScan('TICKET-2'), SERIAL_DEFAULT_LINE_GAP_MS - 1),
      ...joined.poll(1000),
    ]).toEqual([scanOf('TICKET-1\rTICKET-2')]);
  });

  it('lineGapMs 0 ends the frame at the suffix, as before; a negative gap is refused', () => {
    expect(new SerialScannerDecoder({ lineGapMs: 0 }).push(encodeSerialScan('A\rB'), 0)).toEqual([
      scanOf('A'),
      scanOf('B'),
    ]);
    expect(() => new SerialScannerDecoder({ lineGapMs: -1 })).toThrow(/lineGapMs/);
  });

  it('a frame of nothing but separators or whitespace is FRAME_GARBLED, not a blank scan', () => {
    for (const text of ['\t', '\u001d', '\u001c\u001e', '\u0004', ' \t\u001d ', '\u001e\u0004\u001d']) {
      const out = run(new SerialScannerDecoder(), [encodeSerialScan(text)]);
      expect(out, JSON.stringify(text)).toHaveLength(1);
      expect(isXinyiError(out[0], 'FRAME_GARBLED'), JSON.stringify(text)).toBe(true);
    }
    // A separator with data around it is still a scan (GS1 element strings).
    expect(run(new SerialScannerDecoder(), [encodeSerialScan('\u001d0104912345678904')])).toEqual([
      scanOf('\u001d0104912345678904'),
    ]);
  });
});
