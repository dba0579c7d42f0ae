import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type EncodeWedgeOptions,
  encodeWedgeKeystrokes,
  encodeWedgeReports,
  isWedgeRejection,
  KeyboardWedgeDecoder,
  type KeyboardWedgeDecoderOptions,
  type KeyboardWedgeOutput,
  WEDGE_DEFAULT_BREAK_GAP_MS,
  WEDGE_DEFAULT_END_SILENCE_MS,
  WEDGE_DEFAULT_LINE_GAP_MS,
  WEDGE_DEFAULT_MIN_LENGTH,
} from '../../../adapters/scanner/index.js';
import { hasLineBreak } from '../../../adapters/scanner/scan.js';
import { isXinyiError } from '../../../sdk/errors.js';
import { hex, toHex } from '../id-card/helpers.js';

const BASE45 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';
/** A QZ1-style credit code: the prefix and 300 characters covering the whole Base45 alphabet. */
const QZ1_TEXT = `QZ1:${Array.from({ length: 300 }, (_, i) => BASE45[(i * 7 + 3) % 45]).join('')}`;
const RELEASE = hex('00 00 00 00 00 00 00 00');

type Timed = [report: Buffer, atMs: number];

/**
 * What a wedge scanner sends for `text`: a press every `intervalMs` (10 ms: Honeywell HF680 /
 * Voyager 1400g, §2.1), each release half an interval after its press.
 */
function timedKeystrokes(
  text: string,
  {
    startMs = 0,
    intervalMs = 10,
    ...options
  }: EncodeWedgeOptions & { startMs?: number; intervalMs?: number } = {},
): Timed[] {
  const out: Timed[] = [];
  encodeWedgeKeystrokes(text, options).forEach(({ press, release }, i) => {
    const at = startMs + i * intervalMs;
    out.push([press, at]);
    if (release !== undefined) out.push([release, at + intervalMs / 2]);
  });
  return out;
}

/** Pushes every report at its time and nothing else (no poll). */
function feed(decoder: KeyboardWedgeDecoder, timed: Timed[]): KeyboardWedgeOutput[] {
  return timed.flatMap(([report, at]) => decoder.push(report, at));
}

/**
 * `feed`, then the keyboard stays quiet `WEDGE_DEFAULT_LINE_GAP_MS` after the last report and the
 * decoder is polled then, as a driver's timer would: a scan's Enter has ended it.
 */
function run(decoder: KeyboardWedgeDecoder, timed: Timed[]): KeyboardWedgeOutput[] {
  const out = feed(decoder, timed);
  return [...out, ...decoder.poll((timed.at(-1)?.[1] ?? 0) + WEDGE_DEFAULT_LINE_GAP_MS)];
}

function press(modifier: number, ...keys: number[]): Buffer {
  const report = Buffer.alloc(8);
  report[0] = modifier;
  keys.forEach((k, i) => {
    report[2 + i] = k;
  });
  return report;
}

const scanOf = (text: string, extra: Partial<{ symbology: string; aimId: string }> = {}) => ({
  text,
  symbology: 'unknown',
  source: 'keyboard-wedge',
  ...extra,
});

describe('encodeWedgeReports', () => {
  it('produces the §2.1 example for "A1⏎" byte for byte', () => {
    // §2.1: 02 00 04 00 00 00 00 00 → 00…00 → 00 00 1E 00 00 00 00 00 → 00…00 → 00 00 28 00 00 00 00 00 → 00…00
    expect(encodeWedgeReports('A1').map(toHex)).toEqual([
      '02 00 04 00 00 00 00 00',
      '00 00 00 00 00 00 00 00',
      '00 00 1E 00 00 00 00 00',
      '00 00 00 00 00 00 00 00',
      '00 00 28 00 00 00 00 00',
      '00 00 00 00 00 00 00 00',
    ]);
  });

  it('uses the right Shift (0x20) on request, Tab or no terminator, and drops releases for faults', () => {
    expect(encodeWedgeReports('a:', { shift: 'right', terminator: 'tab' }).map(toHex)).toEqual([
      '00 00 04 00 00 00 00 00',
      '00 00 00 00 00 00 00 00',
      '20 00 33 00 00 00 00 00', // `:` is shifted 0x33 (§2.1)
      '00 00 00 00 00 00 00 00',
      '00 00 2B 00 00 00 00 00',
      '00 00 00 00 00 00 00 00',
    ]);
    expect(encodeWedgeReports('ab', { terminator: 'none', dropRelease: true }).map(toHex)).toEqual([
      '00 00 04 00 00 00 00 00',
      '00 00 05 00 00 00 00 00',
    ]);
    expect(encodeWedgeReports('ab', { terminator: 'none', dropRelease: [0] })).toHaveLength(3);
  });

  it('types every Base45 character with the keys of §2.1', () => {
    const usage = (ch: string) => toHex(encodeWedgeReports(ch, { terminator: 'none' })[0]!);
    expect(usage('0')).toBe('00 00 27 00 00 00 00 00');
    expect(usage(' ')).toBe('00 00 2C 00 00 00 00 00');
    expect(usage('$')).toBe('02 00 21 00 00 00 00 00');
    expect(usage('%')).toBe('02 00 22 00 00 00 00 00');
    expect(usage('*')).toBe('02 00 25 00 00 00 00 00');
    expect(usage('+')).toBe('02 00 2E 00 00 00 00 00');
    expect(usage('-')).toBe('00 00 2D 00 00 00 00 00');
    expect(usage('.')).toBe('00 00 37 00 00 00 00 00');
    expect(usage('/')).toBe('00 00 38 00 00 00 00 00');
    expect(usage(':')).toBe('02 00 33 00 00 00 00 00');
    expect(usage(']')).toBe('00 00 30 00 00 00 00 00');
    expect(usage('=')).toBe('00 00 2E 00 00 00 00 00');
  });

  it('refuses characters the US layout cannot type, naming only their position', () => {
    try {
      encodeWedgeReports('QZ1信');
      expect.unreachable();
    } catch (error) {
      expect(isXinyiError(error, 'INVALID_ARGUMENT')).toBe(true);
      expect((error as { details: unknown }).details).toMatchObject({ argument: 'text', index: 3 });
    }
    expect(() => encodeWedgeReports('a', { terminator: 'esc' as never })).toThrow(/terminator/);
  });
});

describe('KeyboardWedgeDecoder: keys', () => {
  it('decodes the §2.1 example "A1⏎"', () => {
    const decoder = new KeyboardWedgeDecoder({ minLength: 1 });
    const reports = [
      '02 00 04 00 00 00 00 00',
      '00 00 00 00 00 00 00 00',
      '00 00 1E 00 00 00 00 00',
      '00 00 00 00 00 00 00 00',
      '00 00 28 00 00 00 00 00',
      '00 00 00 00 00 00 00 00',
    ].map(hex);
    const out = reports.flatMap((r, i) => decoder.push(r, i * 5));
    // Enter (at 20 ms) ends the scan once no key has followed it for lineGapMs.
    expect(out).toEqual([]);
    expect(decoder.poll(20 + WEDGE_DEFAULT_LINE_GAP_MS)).toEqual([scanOf('A1')]);
  });

  it('round-trips every printable ASCII character (either Shift)', () => {
    const printable = Array.from({ length: 95 }, (_, i) => String.fromCharCode(0x20 + i)).join('');
    for (const shift of ['left', 'right'] as const) {
      const decoder = new KeyboardWedgeDecoder({ aimPrefix: false });
      expect(run(decoder, timedKeystrokes(printable, { shift }))).toEqual([scanOf(printable)]);
    }
  });

  it('reads the keypad (§2.1: 0x54–0x63) and ends on keypad Enter', () => {
    const decoder = new KeyboardWedgeDecoder({ minLength: 1 });
    const usages = [0x54, 0x55, 0x56, 0x57, 0x59, 0x5a, 0x5b, 0x5c, 0x5d, 0x5e, 0x5f, 0x60, 0x61, 0x62, 0x63];
    const out: KeyboardWedgeOutput[] = [];
    usages.forEach((u, i) => {
      out.push(...decoder.push(press(0, u), i * 4), ...decoder.push(RELEASE, i * 4 + 2));
    });
    out.push(...decoder.push(press(0, 0x58), 100), ...decoder.poll(100 + WEDGE_DEFAULT_LINE_GAP_MS));
    expect(out).toEqual([scanOf('/*-+1234567890.')]);
  });

  it('ignores chords with Ctrl/Alt/GUI and keys with no character', () => {
    const decoder = new KeyboardWedgeDecoder({ minLength: 1 });
    const out = [
      ...decoder.push(press(0x01, 0x04), 0), // LCtrl+a
      ...decoder.push(press(0x40, 0x05), 5), // RAlt+b
      ...decoder.push(press(0, 0x29), 10), // Esc
      ...decoder.push(press(0, 0x2a), 15), // Backspace
      ...decoder.push(press(0, 0x39), 20), // CapsLock
      ...decoder.push(press(0, 0x06), 25), // c
      ...decoder.push(press(0, 0x28), 30), // Enter
      ...decoder.poll(30 + WEDGE_DEFAULT_LINE_GAP_MS),
    ];
    expect(out).toEqual([scanOf('c')]);
  });

  it('counts a key held across reports once (rollover) and a different key without release as a press', () => {
    const decoder = new KeyboardWedgeDecoder({ minLength: 1 });
    const out = [
      ...decoder.push(press(0x02, 0x04), 0), // A
      ...decoder.push(press(0x02, 0x04), 5), // A still held: no new press
      ...decoder.push(press(0x00, 0x04), 6), // Shift let go, A still held
      ...decoder.push(press(0x00, 0x04, 0x05), 10), // b joins in slot 2
      ...decoder.push(press(0x00, 0x05), 15), // a released
      ...decoder.push(press(0x00, 0x05, 0x04), 20), // a pressed again
      ...decoder.push(press(0x00, 0x06, 0x07), 25), // c and d new in one report: slot order
      ...decoder.push(press(0x00, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01), 30), // ErrorRollOver: ignored
      ...decoder.push(press(0x00, 0x06, 0x07), 31), // same keys as before the phantom state
      ...decoder.push(press(0x00, 0x08, 0x08, 0x08), 33), // one key listed three times: one press
      ...decoder.push(press(0x00, 0x28), 35),
      ...decoder.poll(35 + WEDGE_DEFAULT_LINE_GAP_MS),
    ];
    expect(out).toEqual([scanOf('Abacde')]);
  });

  it('loses the second of two equal characters when the release between them was dropped', () => {
    const decoder = new KeyboardWedgeDecoder({ minLength: 1 });
    expect(run(decoder, timedKeystrokes('AABB', { dropRelease: true }))).toEqual([scanOf('AB')]);
    // Dropping the release between different keys loses nothing.
    expect(run(decoder, timedKeystrokes('ABAB', { dropRelease: true, startMs: 1000 }))).toEqual([
      scanOf('ABAB'),
    ]);
    // Keystroke 1 is the second A, followed by B: harmless. Keystroke 2 is the first B: the second is lost.
    expect(run(decoder, timedKeystrokes('AABB', { dropRelease: [1], startMs: 2000 }))).toEqual([
      scanOf('AABB'),
    ]);
    expect(run(decoder, timedKeystrokes('AABB', { dropRelease: [2], startMs: 3000 }))).toEqual([
      scanOf('AAB'),
    ]);
  });

  it('ends on Enter or Tab by default, and types Tab as text when only Enter is a terminator', () => {
    const both = new KeyboardWedgeDecoder();
    expect(run(both, timedKeystrokes('12345', { terminator: 'tab' }))).toEqual([scanOf('12345')]);
    const enterOnly = new KeyboardWedgeDecoder({ terminators: ['enter'] });
    expect(run(enterOnly, timedKeystrokes('12\t345'))).toEqual([scanOf('12\t345')]);
    const tabOnly = new KeyboardWedgeDecoder({ terminators: ['tab'] });
    expect(run(tabOnly, timedKeystrokes('12\r345', { terminator: 'tab' }))).toEqual([scanOf('12\r345')]);
  });

  it('returns a report that is not 8 bytes as FRAME_LENGTH in its place and carries on', () => {
    const decoder = new KeyboardWedgeDecoder();
    const timed = timedKeystrokes('QZ1:ABCDE');
    const out = [
      ...run(decoder, timed.slice(0, 6)),
      ...decoder.push(hex('00 00 04'), 31),
      ...decoder.push(Buffer.alloc(9), 32),
      ...run(decoder, timed.slice(6)),
    ];
    expect(out.map((o) => (isXinyiError(o) ? [o.code, o.details] : o))).toEqual([
      ['FRAME_LENGTH', { reportBytes: 3, expectedBytes: 8 }],
      ['FRAME_LENGTH', { reportBytes: 9, expectedBytes: 8 }],
      scanOf('QZ1:ABCDE'),
    ]);
  });

  it('parses an AIM prefix when enabled (default) and leaves it in the text when not', () => {
    expect(run(new KeyboardWedgeDecoder(), timedKeystrokes(`]Q1${QZ1_TEXT}`))).toEqual([
      scanOf(QZ1_TEXT, { symbology: 'qr', aimId: ']Q1' }),
    ]);
    expect(run(new KeyboardWedgeDecoder({ aimPrefix: false }), timedKeystrokes(`]E04006381333931`))).toEqual([
      scanOf(']E04006381333931'),
    ]);
    expect(run(new KeyboardWedgeDecoder(), timedKeystrokes(`]E04006381333931`))).toEqual([
      scanOf('4006381333931', { symbology: 'ean-13', aimId: ']E0' }),
    ]);
  });

  it('round-trips a full QZ1 Base45 code, with a poll at every report boundary changing nothing', () => {
    const timed = timedKeystrokes(QZ1_TEXT);
    expect(run(new KeyboardWedgeDecoder(), timed)).toEqual([scanOf(QZ1_TEXT)]);
    for (let cut = 0; cut <= timed.length; cut++) {
      const decoder = new KeyboardWedgeDecoder();
      const out = feed(decoder, timed.slice(0, cut));
      const at = cut === 0 ? 0 : timed[cut - 1]![1];
      out.push(
        ...decoder.poll(at + 4),
        ...feed(decoder, timed.slice(cut)),
        ...decoder.poll(timed.at(-1)![1] + WEDGE_DEFAULT_LINE_GAP_MS),
      );
      expect(out).toEqual([scanOf(QZ1_TEXT)]);
    }
  });

  it('rejects bad options', () => {
    const bad: KeyboardWedgeDecoderOptions[] = [
      { breakGapMs: 0 },
      { endSilenceMs: Number.NaN },
      { minLength: 0 },
      { minLength: 10, maxLength: 9 },
      { terminators: ['esc' as never] },
      { aimPrefix: 'yes' as never },
      { lineGapMs: -1 },
      { lineGapMs: Number.POSITIVE_INFINITY },
      { lineGapMs: '40' as never },
      { lineGapMs: 41 },
      { breakGapMs: 20, lineGapMs: 30 },
    ];
    for (const options of bad) expect(() => new KeyboardWedgeDecoder(options)).toThrow(/must/);
    expect(() => new KeyboardWedgeDecoder().push(RELEASE, Number.NaN)).toThrow(/atMs/);
  });
});

describe('KeyboardWedgeDecoder: timing (burst vs typing)', () => {
  it('uses the §2.1 defaults: a 40 ms gap breaks a burst, 200 ms of silence ends a scan, 5+ characters', () => {
    expect(WEDGE_DEFAULT_BREAK_GAP_MS).toBe(40);
    expect(WEDGE_DEFAULT_END_SILENCE_MS).toBe(200);
    expect(WEDGE_DEFAULT_MIN_LENGTH).toBe(5);
  });

  it('takes the measured scanner rates of §2.1 (1, 6, 10, 19 ms between keys) as scans', () => {
    for (const intervalMs of [1, 6, 10, 19, 39]) {
      const decoder = new KeyboardWedgeDecoder();
      expect(run(decoder, timedKeystrokes('QZ1:ABC', { intervalMs }))).toEqual([scanOf('QZ1:ABC')]);
    }
  });

  it('reports a person typing (gaps ≥ 40 ms) as one rejection, not a scan', () => {
    const decoder = new KeyboardWedgeDecoder();
    const out = run(decoder, timedKeystrokes('hello world', { intervalMs: 120 }));
    expect(out).toEqual([{ kind: 'rejected', reason: 'typed', text: 'hello world', length: 11 }]);
    expect(isWedgeRejection(out[0])).toBe(true);
  });

  it('breaks at exactly breakGapMs: 39 ms keeps a burst together, 40 ms splits it', () => {
    const keys = (gap: number) => [
      ...timedKeystrokes('ABCDE', { terminator: 'none' }),
      ...timedKeystrokes('FGHIJ', { startMs: 40 + gap }),
    ];
    expect(run(new KeyboardWedgeDecoder(), keys(39))).toEqual([scanOf('ABCDEFGHIJ')]);
    // At 40 ms the first five keys are a burst of their own, ended by the gap: a scan without suffix.
    expect(run(new KeyboardWedgeDecoder(), keys(40))).toEqual([scanOf('ABCDE'), scanOf('FGHIJ')]);
  });

  it('rejects a fast burst shorter than minLength as too-short', () => {
    const decoder = new KeyboardWedgeDecoder();
    expect(run(decoder, timedKeystrokes('ab'))).toEqual([
      { kind: 'rejected', reason: 'too-short', text: 'ab', length: 2 },
    ]);
    expect(run(new KeyboardWedgeDecoder({ minLength: 2 }), timedKeystrokes('ab'))).toEqual([scanOf('ab')]);
  });

  it('reports typing before a scan first, then the scan', () => {
    const decoder = new KeyboardWedgeDecoder();
    const out = run(decoder, [
      ...timedKeystrokes('ok', { intervalMs: 150, terminator: 'none' }),
      ...timedKeystrokes(QZ1_TEXT, { startMs: 500 }),
    ]);
    expect(out).toEqual([{ kind: 'rejected', reason: 'typed', text: 'ok', length: 2 }, scanOf(QZ1_TEXT)]);
  });

  it('ends a scan without suffix on silence: poll at last key + 200 ms, not a millisecond earlier', () => {
    const decoder = new KeyboardWedgeDecoder();
    const timed = timedKeystrokes('QZ1:ABC', { terminator: 'none' });
    expect(run(decoder, timed)).toEqual([]);
    const lastKey = 60;
    expect(decoder.nextDeadlineMs).toBe(lastKey + 200);
    expect(decoder.pending).toBe(7);
    expect(decoder.poll(lastKey + 199)).toEqual([]);
    expect(decoder.poll(lastKey + 200)).toEqual([scanOf('QZ1:ABC')]);
    expect(decoder.nextDeadlineMs).toBeUndefined();
    expect(decoder.poll(lastKey + 10_000)).toEqual([]);
  });

  it('ends a scan without suffix when the next report comes after the silence', () => {
    const decoder = new KeyboardWedgeDecoder();
    const out = run(decoder, [
      ...timedKeystrokes('QZ1:ABC', { terminator: 'none' }),
      ...timedKeystrokes('QZ1:DEF', { terminator: 'none', startMs: 1000 }),
    ]);
    expect(out).toEqual([scanOf('QZ1:ABC')]);
    expect(decoder.flush()).toEqual([scanOf('QZ1:DEF')]);
    expect(decoder.flush()).toEqual([]);
  });

  it('reports a runaway burst as too-long and resumes after its end', () => {
    const decoder = new KeyboardWedgeDecoder({ maxLength: 10 });
    const out = run(decoder, [
      ...timedKeystrokes('ABCDEFGHIJKLMN'),
      ...timedKeystrokes('QZ1:ABC', { startMs: 1000 }),
    ]);
    expect(out).toEqual([{ kind: 'rejected', reason: 'too-long', text: '', length: 11 }, scanOf('QZ1:ABC')]);
  });

  it('holds typing that never pauses long enough to end to a bound, reporting it in pieces (fuzz)', () => {
    // A key every 40 ms: each is its own burst (breakGapMs), and silence (endSilenceMs) never comes.
    const decoder = new KeyboardWedgeDecoder({ maxLength: 8 });
    const out: KeyboardWedgeOutput[] = [];
    let maxPending = 0;
    for (let i = 0; i < 100; i++) {
      out.push(...decoder.push(press(0x02, 0x04), i * 40), ...decoder.push(RELEASE, i * 40 + 5));
      maxPending = Math.max(maxPending, decoder.pending);
    }
    out.push(...decoder.flush());
    expect(maxPending).toBeLessThanOrEqual(16);
    const typed = out.filter(isWedgeRejection);
    // The last piece is what flush() found: a single key after the previous piece was reported.
    expect(typed.slice(0, -1).every((r) => r.reason === 'typed')).toBe(true);
    expect(typed.length).toBeGreaterThan(5);
    expect(typed.map((r) => r.text).join('')).toBe('A'.repeat(100));
  });

  it('returns no scan for a burst that is only an AIM identifier (fuzz)', () => {
    const decoder = new KeyboardWedgeDecoder({ minLength: 1 });
    const out = run(decoder, timedKeystrokes(']Q1'));
    expect(out).toEqual([]);
    expect(run(decoder, timedKeystrokes(']Q1AB', { startMs: 1000 }))).toEqual([
      scanOf('AB', { symbology: 'qr', aimId: ']Q1' }),
    ]);
  });

  it('forgets everything on reset, held keys included', () => {
    const decoder = new KeyboardWedgeDecoder({ minLength: 1 });
    decoder.push(press(0, 0x04), 0);
    decoder.reset();
    expect(decoder.pending).toBe(0);
    // `a` is no longer held, so the same report is a new press.
    expect([
      ...decoder.push(press(0, 0x04), 10),
      ...decoder.push(press(0, 0x28), 20),
      ...decoder.poll(20 + WEDGE_DEFAULT_LINE_GAP_MS),
    ]).toEqual([scanOf('a')]);
  });
});

describe('KeyboardWedgeDecoder: a symbol of several lines (lineGapMs)', () => {
  // A QR code whose text holds lines: the scanner types each line break as Enter, then the next
  // line's keys at its burst pace. Other citizens' member codes, one per line.
  const LINES = ['QZ1:MEMBER-0001', 'QZ1:MEMBER-0002', 'QZ1:MEMBER-0003'];
  const MULTI = LINES.join('\r');
  // Keys 10 ms apart from 0 ms: the final Enter is pressed at MULTI.length × 10 ms.
  const lastEnterMs = MULTI.length * 10;

  it('holds a terminator for the break gap by default (40 ms, §2.1)', () => {
    expect(WEDGE_DEFAULT_LINE_GAP_MS).toBe(WEDGE_DEFAULT_BREAK_GAP_MS);
    // A shorter break gap shortens the default hold with it.
    const decoder = new KeyboardWedgeDecoder({ breakGapMs: 20 });
    feed(decoder, timedKeystrokes('QZ1:ABC'));
    expect(decoder.nextDeadlineMs).toBe(70 + 20);
  });

  it('keeps the Enter between the lines of one symbol: one scan with its line breaks, not one scan per line', () => {
    const out = run(new KeyboardWedgeDecoder(), timedKeystrokes(MULTI));
    expect(out).toEqual([scanOf(MULTI)]);
    expect(hasLineBreak((out[0] as { text: string }).text)).toBe(true);
    // The same symbol as one Enter per line used to give: a scan per line (lineGapMs 0 still does).
    expect(run(new KeyboardWedgeDecoder({ lineGapMs: 0 }), timedKeystrokes(MULTI))).toEqual(
      LINES.map((line) => scanOf(line)),
    );
  });

  it('keeps CR LF as two Enters, and a Tab inside a symbol as a tab', () => {
    // A wedge cannot tell CR from LF: both are Enter, and both stay line breaks.
    expect(run(new KeyboardWedgeDecoder(), timedKeystrokes('QZ1:A\r\nQZ1:B'))).toEqual([
      scanOf('QZ1:A\r\rQZ1:B'),
    ]);
    expect(run(new KeyboardWedgeDecoder(), timedKeystrokes('QZ1:A\tQZ1:B', { terminator: 'tab' }))).toEqual([
      scanOf('QZ1:A\tQZ1:B'),
    ]);
  });

  it('ends the scan at its Enter once lineGapMs passes without a key: not at 39 ms, at 40 ms', () => {
    const decoder = new KeyboardWedgeDecoder();
    expect(feed(decoder, timedKeystrokes(MULTI))).toEqual([]);
    expect(decoder.nextDeadlineMs).toBe(lastEnterMs + 40);
    expect(decoder.pending).toBe(MULTI.length + 1);
    expect(decoder.poll(lastEnterMs + 39)).toEqual([]);
    expect(decoder.poll(lastEnterMs + 40)).toEqual([scanOf(MULTI)]);
    expect(decoder.nextDeadlineMs).toBeUndefined();
    expect(decoder.pending).toBe(0);
  });

  it('a key 40 ms or more after the Enter starts the next scan; 39 ms is still the same symbol', () => {
    const next = (gapMs: number) => timedKeystrokes('QZ1:NEXT', { startMs: lastEnterMs + gapMs });
    expect(run(new KeyboardWedgeDecoder(), [...timedKeystrokes(MULTI), ...next(40)])).toEqual([
      scanOf(MULTI),
      scanOf('QZ1:NEXT'),
    ]);
    expect(run(new KeyboardWedgeDecoder(), [...timedKeystrokes(MULTI), ...next(39)])).toEqual([
      scanOf(`${MULTI}\rQZ1:NEXT`),
    ]);
  });

  it('gives the same one scan with the reports split at every boundary and a poll in each gap', () => {
    const timed = timedKeystrokes(MULTI);
    for (let cut = 0; cut <= timed.length; cut++) {
      const decoder = new KeyboardWedgeDecoder();
      const out = feed(decoder, timed.slice(0, cut));
      // The next report comes 5 ms after the previous one: a poll 4 ms after it is still before it.
      const at = cut === 0 ? 0 : timed[cut - 1]![1];
      out.push(
        ...decoder.poll(at + 4),
        ...feed(decoder, timed.slice(cut)),
        ...decoder.poll(timed.at(-1)![1] + WEDGE_DEFAULT_LINE_GAP_MS),
      );
      expect(out, `cut at report ${cut}`).toEqual([scanOf(MULTI)]);
    }
  });

  it('ends at once on a terminator with nothing before it, and on flush() or reset() drops the hold', () => {
    const decoder = new KeyboardWedgeDecoder({ minLength: 1 });
    // An Enter alone ends nothing (and holds nothing).
    expect(decoder.push(press(0, 0x28), 0)).toEqual([]);
    expect(decoder.nextDeadlineMs).toBeUndefined();
    feed(decoder, timedKeystrokes('QZ1:ABC', { startMs: 1000 }));
    expect(decoder.flush()).toEqual([scanOf('QZ1:ABC')]);
    feed(decoder, timedKeystrokes('QZ1:DEF', { startMs: 2000 }));
    decoder.reset();
    expect(decoder.pending).toBe(0);
    expect(decoder.poll(3000)).toEqual([]);
  });
});

describe('KeyboardWedgeDecoder driven by timers (fake clock)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('a driver polling at nextDeadlineMs ends a suffix-less scan 200 ms after its last key', async () => {
    vi.useFakeTimers({ now: 0 });
    const decoder = new KeyboardWedgeDecoder();
    const scans: Array<[KeyboardWedgeOutput, number]> = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    const arm = () => {
      if (timer !== undefined) clearTimeout(timer);
      const due = decoder.nextDeadlineMs;
      if (due === undefined) return;
      timer = setTimeout(() => {
        for (const o of decoder.poll(Date.now())) scans.push([o, Date.now()]);
      }, due - Date.now());
    };
    for (const [report, at] of timedKeystrokes('QZ1:ABCDEF', { terminator: 'none' })) {
      setTimeout(() => {
        for (const o of decoder.push(report, Date.now())) scans.push([o, Date.now()]);
        arm();
      }, at);
    }
    await vi.advanceTimersByTimeAsync(289);
    expect(scans).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(scans).toEqual([[scanOf('QZ1:ABCDEF'), 290]]);
  });

  it('a driver polling at nextDeadlineMs hands on a scan 40 ms after its Enter, and a symbol of lines whole', async () => {
    vi.useFakeTimers({ now: 0 });
    const decoder = new KeyboardWedgeDecoder();
    const scans: Array<[KeyboardWedgeOutput, number]> = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    const arm = () => {
      if (timer !== undefined) clearTimeout(timer);
      const due = decoder.nextDeadlineMs;
      if (due === undefined) return;
      timer = setTimeout(() => {
        for (const o of decoder.poll(Date.now())) scans.push([o, Date.now()]);
        arm();
      }, due - Date.now());
    };
    const typed = [
      ...timedKeystrokes('QZ1:ABCDEF'),
      // A symbol of two lines 500 ms later.
      ...timedKeystrokes('QZ1:L1\rQZ1:L2', { startMs: 500 }),
    ];
    for (const [report, at] of typed) {
      setTimeout(() => {
        for (const o of decoder.push(report, Date.now())) scans.push([o, Date.now()]);
        arm();
      }, at);
    }
    // 'QZ1:ABCDEF' + Enter: the Enter is pressed at 100 ms.
    await vi.advanceTimersByTimeAsync(139);
    expect(scans).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(scans).toEqual([[scanOf('QZ1:ABCDEF'), 140]]);
    // The second symbol's Enter at 500 + 130 ms.
    await vi.advanceTimersByTimeAsync(669 - 140);
    expect(scans).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(scans).toEqual([
      [scanOf('QZ1:ABCDEF'), 140],
      [scanOf('QZ1:L1\rQZ1:L2'), 670],
    ]);
    expect(vi.getTimerCount()).toBe(0);
  });
});
