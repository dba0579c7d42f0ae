import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  encodeHidPosReports,
  encodeSerialScan,
  encodeWedgeKeystrokes,
  HidPosDecoder,
  type HidPosLayout,
  KeyboardWedgeDecoder,
  type Scan,
  SerialScannerDecoder,
  type SerialSuffix,
  WEDGE_DEFAULT_LINE_GAP_MS,
} from '../../../adapters/scanner/index.js';

// Properties shared by the three decoders: arbitrary input never throws out of them, and after a
// quiet period the next well-formed scan decodes exactly, whatever came before it.

const BASE45 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';
const base45Text = fc
  .array(fc.constantFrom(...BASE45), { minLength: 1, maxLength: 400 })
  .map((chars) => `QZ1:${chars.join('')}`);

/** Non-decreasing arrival times (the first at 0). */
const gaps = (n: number) => fc.array(fc.integer({ min: 0, max: 300 }), { minLength: n, maxLength: n });

function times(deltas: number[]): number[] {
  const out: number[] = [];
  let t = 0;
  for (const d of deltas) {
    t += d;
    out.push(t);
  }
  return out;
}

function lastScan<T>(out: T[]): T | undefined {
  return out[out.length - 1];
}

describe('KeyboardWedgeDecoder fuzz', () => {
  /** Reports biased towards 8 bytes with real usages, so the fuzzer reaches the key logic. */
  const report = fc.oneof(
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 12 }) },
    {
      weight: 4,
      arbitrary: fc
        .tuple(
          fc.constantFrom(0x00, 0x02, 0x20, 0x22, 0x01, 0x40),
          fc.array(
            fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0x65 }), fc.integer({ min: 0, max: 255 })),
            {
              minLength: 6,
              maxLength: 6,
            },
          ),
        )
        .map(([modifier, keys]) => Uint8Array.from([modifier, 0, ...keys])),
    },
  );

  it('never throws, and decodes the next scan after silence and an all-keys-up report', () => {
    fc.assert(
      fc.property(
        fc.array(report, { maxLength: 60 }).chain((rs) => fc.tuple(fc.constant(rs), gaps(rs.length))),
        base45Text,
        fc.boolean(),
        ([reports, deltas], text, aim) => {
          const decoder = new KeyboardWedgeDecoder();
          const at = times(deltas);
          reports.forEach((r, i) => {
            decoder.push(r, at[i]!);
          });
          decoder.poll((at[at.length - 1] ?? 0) + 50);
          // A real device's last report before it goes quiet has every key up.
          let t = (at[at.length - 1] ?? 0) + 1000;
          const out = decoder.push(new Uint8Array(8), t);
          for (const { press, release } of encodeWedgeKeystrokes(aim ? `]Q1${text}` : text)) {
            t += 10;
            out.push(...decoder.push(press, t), ...decoder.push(release!, t + 5));
          }
          // The keyboard stays quiet after the Enter (pressed at t): the scan ends.
          out.push(...decoder.poll(t + WEDGE_DEFAULT_LINE_GAP_MS));
          const expected: Scan = aim
            ? { text, symbology: 'qr', source: 'keyboard-wedge', aimId: ']Q1' }
            : { text, symbology: 'unknown', source: 'keyboard-wedge' };
          expect(lastScan(out)).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never throws on arbitrary times, even going backwards', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(report, fc.double({ min: -1e6, max: 1e6, noNaN: true }))), (items) => {
        const decoder = new KeyboardWedgeDecoder();
        for (const [r, at] of items) decoder.push(r, at);
        decoder.flush();
      }),
    );
  });
});

describe('HidPosDecoder fuzz', () => {
  const layouts: HidPosLayout[] = ['honeywell', 'newland'];

  /** Garbage, plus well-formed reports cut short or with a byte changed. */
  const report = (layout: HidPosLayout) =>
    fc.oneof(
      fc.uint8Array({ maxLength: 70 }),
      fc.uint8Array({ minLength: 64, maxLength: 64 }).map((r) => {
        r[0] = 0x02;
        return r;
      }),
      fc
        .tuple(base45Text, fc.integer({ min: 0, max: 63 }), fc.integer({ min: 0, max: 255 }), fc.nat(8))
        .map(([text, at, value, pick]) => {
          const reports = encodeHidPosReports(text, { layout });
          const r = Buffer.from(reports[pick % reports.length]!);
          r[at] = value;
          return r;
        }),
      fc
        .tuple(base45Text, fc.nat(70))
        .map(([text, cut]) => encodeHidPosReports(text, { layout })[0]!.subarray(0, cut)),
    );

  for (const layout of layouts) {
    it(`${layout}: never throws, and decodes the next scan after the packet timeout`, () => {
      fc.assert(
        fc.property(
          fc
            .array(report(layout), { maxLength: 30 })
            .chain((rs) => fc.tuple(fc.constant(rs), gaps(rs.length))),
          base45Text,
          fc.integer({ min: 1, max: 56 }),
          ([reports, deltas], text, packetSize) => {
            const decoder = new HidPosDecoder({ layout, packetSize: layout === 'newland' ? packetSize : 56 });
            const at = times(deltas);
            reports.forEach((r, i) => {
              decoder.push(r, at[i]!);
            });
            const start = (at[at.length - 1] ?? 0) + 1000;
            const reportsOut = encodeHidPosReports(text, { layout, packetSize });
            const out = reportsOut.flatMap((r, i) => decoder.push(r, start + 2 * i));
            const t = start + 2 * reportsOut.length;
            out.push(...decoder.poll(t + 1000));
            expect(lastScan(out)).toEqual(
              layout === 'honeywell'
                ? { text, symbology: 'qr', source: 'hid-pos', aimId: ']Q1' }
                : { text, symbology: 'qr', source: 'hid-pos' },
            );
          },
        ),
        { numRuns: 300 },
      );
    });
  }
});

describe('SerialScannerDecoder fuzz', () => {
  const noisy = fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b));
  const suffixes: SerialSuffix[] = ['CR', 'CRLF', 'LF', 'auto', 'none'];

  it('never throws, and decodes the next frame after silence, however it is chunked', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...suffixes),
        fc.array(noisy, { maxLength: 10 }).chain((cs) => fc.tuple(fc.constant(cs), gaps(cs.length))),
        base45Text,
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.integer({ min: 8, max: 600 }),
        (suffix, [garbage, deltas], text, cuts, maxLength) => {
          const decoder = new SerialScannerDecoder({ suffix, maxLength });
          const at = times(deltas);
          garbage.forEach((g, i) => {
            decoder.push(g, at[i]!);
          });
          let t = (at[at.length - 1] ?? 0) + 1000;
          const frame = encodeSerialScan(text, {
            aim: true,
            suffix: suffix === 'auto' ? 'CRLF' : suffix === 'none' ? 'none' : suffix,
          });
          const points = [...new Set(cuts.map((c) => c % (frame.length + 1)))].sort((a, b) => a - b);
          const out = [];
          let from = 0;
          for (const p of [...points, frame.length]) {
            t += 1;
            out.push(...decoder.push(frame.subarray(from, p), t));
            from = p;
          }
          out.push(...decoder.poll(t + 1000));
          const expected =
            text.length + 3 > maxLength
              ? { code: 'FRAME_LENGTH' }
              : { text, symbology: 'qr', source: 'serial', aimId: ']Q1' };
          expect(lastScan(out)).toMatchObject(expected);
        },
      ),
      { numRuns: 300 },
    );
  });
});
