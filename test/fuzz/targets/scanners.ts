// Scanners: keyboard wedge, HID POS, serial.
import fc from 'fast-check';
import {
  encodeHidPosReports,
  encodeSerialScan,
  encodeWedgeReports,
  HidPosDecoder,
  type HidPosLayout,
  KeyboardWedgeDecoder,
  SerialScannerDecoder,
  type SerialSuffix,
  SYMBOLOGIES,
} from '../../../adapters/scanner/index.js';
import { isXinyiError } from '../../../sdk/errors.js';
import { byteStream, damaged, expectOneOf, expectTyped, type FuzzTarget, violation } from '../harness.js';
import { expectBounded } from '../stream-checks.js';
import { BASE45 } from './credit-fixtures.js';

const scanText = fc.oneof(
  fc.array(fc.constantFrom(...BASE45), { minLength: 1, maxLength: 120 }).map((c) => `QZ1:${c.join('')}`),
  fc.string({ minLength: 1, maxLength: 40 }),
  fc.string({ minLength: 1, maxLength: 20, unit: 'binary' }),
);

/** Arrival-time gaps biased to the decoders' thresholds (40, 200, 300 ms), with jumps and reversals. */
const gapMs = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 60 }) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 400 }) },
  { weight: 1, arbitrary: fc.constantFrom(39, 40, 41, 199, 200, 201, 299, 300, 301, 1e9) },
  { weight: 1, arbitrary: fc.integer({ min: -500, max: -1 }) },
);

interface TimedRun<T> {
  items: T[];
  maxPending: number;
  pendingAfterFlush: number;
}

interface TimedDecoder<T> {
  push(data: Uint8Array, atMs: number): T[];
  poll(nowMs: number): T[];
  flush(): T[];
  readonly pending: number;
}

function runTimed<T>(
  decoder: TimedDecoder<T>,
  events: ReadonlyArray<{ data: Uint8Array; gap: number; poll: boolean }>,
): TimedRun<T> {
  const items: T[] = [];
  let t = 1_000_000;
  let maxPending = 0;
  for (const { data, gap, poll } of events) {
    t += gap;
    items.push(...(poll ? decoder.poll(t) : decoder.push(data, t)));
    maxPending = Math.max(maxPending, decoder.pending);
  }
  items.push(...decoder.flush());
  return { items, maxPending, pendingAfterFlush: decoder.pending };
}

const timedEvents = (data: fc.Arbitrary<Uint8Array>, maxLength: number) =>
  fc.array(fc.record({ data, gap: gapMs, poll: fc.boolean() }), {
    maxLength,
  });

function checkScan(scan: Record<string, unknown>, source: string): void {
  if (typeof scan.text !== 'string' || scan.text.length === 0)
    violation('scan text is empty or not a string');
  expectOneOf(scan.symbology, SYMBOLOGIES, 'scan symbology');
  if (scan.source !== source) violation(`scan source is ${String(scan.source)}`);
  if (scan.aimId !== undefined && (typeof scan.aimId !== 'string' || scan.aimId.length !== 3)) {
    violation(`aimId is ${String(scan.aimId)}`);
  }
}

/** One keystroke chunk: real keys of a scan, rollover, chords, junk usages, wrong sizes. */
const wedgeReport: fc.Arbitrary<Uint8Array> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .tuple(
        fc.constantFrom(0x00, 0x02, 0x20, 0x22, 0x01, 0x40),
        fc.array(
          fc.oneof(fc.constant(0), fc.integer({ min: 0x04, max: 0x38 }), fc.integer({ min: 0, max: 255 })),
          {
            minLength: 6,
            maxLength: 6,
          },
        ),
      )
      .map(([modifier, keys]) => Uint8Array.from([modifier, 0, ...keys])),
  },
  { weight: 1, arbitrary: fc.constant(new Uint8Array(8)) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 12 }) },
);

const wedgeEvents = fc.oneof(
  timedEvents(wedgeReport, 80),
  // Whole scans as a scanner types them, with gaps of any size between the keystrokes.
  fc
    .tuple(scanText, fc.constantFrom('enter' as const, 'tab' as const, 'none' as const), fc.array(gapMs))
    .map(([text, terminator, gaps]) =>
      encodeWedgeReports(text.replace(/[^\x20-\x7e]/g, 'A'), { terminator }).map((data, i) => ({
        data,
        gap: gaps[i % Math.max(1, gaps.length)] ?? 5,
        poll: false,
      })),
    ),
);

const wedgeOptions = fc.record(
  {
    minLength: fc.integer({ min: 1, max: 8 }),
    maxLength: fc.integer({ min: 8, max: 64 }),
    breakGapMs: fc.integer({ min: 1, max: 100 }),
    lineGapMs: fc.integer({ min: 0, max: 100 }),
    endSilenceMs: fc.integer({ min: 1, max: 400 }),
    terminators: fc.subarray(['enter', 'tab'] as const),
    aimPrefix: fc.boolean(),
  },
  { requiredKeys: [] },
);

type WedgeOptions = typeof wedgeOptions extends fc.Arbitrary<infer T> ? T : never;

export const keyboardWedge: FuzzTarget<
  {
    options: WedgeOptions;
    events: Array<{ data: Uint8Array; gap: number; poll: boolean }>;
  },
  TimedRun<unknown> & { maxLength: number }
> = {
  name: 'keyboard-wedge',
  input: '8-byte boot-keyboard reports (and wrong sizes) at any timing, with random decoder options',
  arbitrary: fc.record({
    options: wedgeOptions,
    events: fc.array(wedgeEvents, { maxLength: 3 }).map((e) => e.flat()),
  }),
  codes: ['INVALID_OPTIONS', 'FRAME_LENGTH'],
  run: ({ options, events }) => {
    const decoder = new KeyboardWedgeDecoder(options);
    return { ...runTimed(decoder, events), maxLength: options.maxLength ?? 8192 };
  },
  check: (run) => {
    for (const item of run.items) {
      if (isXinyiError(item)) expectTyped(item, ['FRAME_LENGTH'], 'KeyboardWedgeDecoder');
      else if ((item as { kind?: unknown }).kind === 'rejected') {
        const r = item as { reason: unknown; text: unknown; length: unknown };
        expectOneOf(r.reason, ['typed', 'too-short', 'too-long'], 'rejection reason');
        if (typeof r.text !== 'string' || typeof r.length !== 'number') violation('malformed rejection');
      } else checkScan(item as Record<string, unknown>, 'keyboard-wedge');
    }
    // What is held back is at most one burst (≤ maxLength) and the terminator held after it, plus
    // typing not yet reported (≤ maxLength).
    expectBounded(run, 2 * run.maxLength + 1, 'KeyboardWedgeDecoder');
  },
  ciRuns: 2000,
};

const hidOptions = fc.record(
  {
    layout: fc.constantFrom<HidPosLayout>('honeywell', 'newland'),
    reportIdIncluded: fc.boolean(),
    newlandMultiPacket: fc.constantFrom('full-packet' as const, 'none' as const),
    packetSize: fc.integer({ min: 1, max: 56 }),
    packetTimeoutMs: fc.integer({ min: 1, max: 400 }),
    maxLength: fc.integer({ min: 1, max: 200 }),
    encoding: fc.constantFrom('utf8' as const, 'latin1' as const),
    aimPrefix: fc.boolean(),
    trimSuffix: fc.boolean(),
  },
  { requiredKeys: ['layout'] },
);

const hidReports = (layout: HidPosLayout) =>
  fc
    .tuple(scanText, fc.integer({ min: 1, max: 56 }))
    .map(([text, packetSize]) => encodeHidPosReports(text, { layout, packetSize }));

type HidOptions = typeof hidOptions extends fc.Arbitrary<infer T> ? T : never;

export const hidPos: FuzzTarget<
  {
    options: HidOptions;
    events: Array<{ data: Uint8Array; gap: number; poll: boolean }>;
  },
  TimedRun<unknown> & { maxLength: number }
> = {
  name: 'hid-pos',
  input: 'HID POS input reports (Honeywell/Newland, whole scans, damaged, garbage) at any timing',
  arbitrary: hidOptions.chain((options) =>
    fc.record({
      options: fc.constant(options),
      events: fc
        .array(
          fc.oneof(
            hidReports(options.layout).map((rs) => rs.map((data) => ({ data, gap: 2, poll: false }))),
            timedEvents(
              fc.oneof(
                damaged(hidReports(options.layout).map((rs) => rs[0]!)),
                fc.uint8Array({ maxLength: 70 }),
                fc.uint8Array({ minLength: 64, maxLength: 64 }).map((r) => {
                  r[0] = 0x02;
                  return r;
                }),
              ),
              12,
            ),
          ),
          { maxLength: 6 },
        )
        .map((e) =>
          e.flat().map((ev) =>
            // Reports without their ID byte, as WebHID delivers them.
            options.reportIdIncluded === false ? { ...ev, data: ev.data.subarray(1) } : ev,
          ),
        ),
    }),
  ),
  codes: ['INVALID_OPTIONS', 'FRAME_LENGTH'],
  run: ({ options, events }) => {
    const decoder = new HidPosDecoder(options);
    return { ...runTimed(decoder, events), maxLength: options.maxLength ?? 8192 };
  },
  check: (run) => {
    for (const item of run.items) {
      if (isXinyiError(item)) expectTyped(item, ['FRAME_LENGTH'], 'HidPosDecoder');
      else checkScan(item as Record<string, unknown>, 'hid-pos');
    }
    expectBounded(run, run.maxLength, 'HidPosDecoder');
  },
  ciRuns: 1500,
};

const serialOptions = fc.record(
  {
    suffix: fc.constantFrom<SerialSuffix>('CR', 'CRLF', 'LF', 'auto', 'none'),
    silenceMs: fc.integer({ min: 1, max: 400 }),
    aimPrefix: fc.boolean(),
    maxLength: fc.integer({ min: 1, max: 300 }),
    encoding: fc.constantFrom('utf8' as const, 'latin1' as const),
    rejectNonText: fc.boolean(),
  },
  { requiredKeys: [] },
);

const serialFrames = fc
  .tuple(
    scanText,
    fc.boolean(),
    fc.constantFrom('CR' as const, 'CRLF' as const, 'LF' as const, 'none' as const),
  )
  .map(([text, aim, suffix]) => encodeSerialScan(text, { aim, suffix }));

type SerialOptions = typeof serialOptions extends fc.Arbitrary<infer T> ? T : never;

export const serialScanner: FuzzTarget<
  {
    options: SerialOptions;
    events: Array<{ data: Uint8Array; gap: number; poll: boolean }>;
  },
  TimedRun<unknown> & { maxLength: number }
> = {
  name: 'serial-scanner',
  input: 'serial scanner byte stream (scans, CR/LF noise, floods) at any timing and chunking',
  arbitrary: fc.record({
    options: serialOptions,
    events: fc
      .tuple(
        byteStream({ frames: serialFrames, special: [0x0d, 0x0a, 0x5d], maxFloodBytes: 700, maxPieces: 8 }),
        fc.array(gapMs, { maxLength: 12 }),
        fc.array(fc.boolean(), { maxLength: 12 }),
      )
      .map(([chunks, gaps, polls]) =>
        chunks.map((data, i) => ({
          data,
          gap: gaps[i % Math.max(1, gaps.length)] ?? 1,
          poll: polls[i] ?? false,
        })),
      ),
  }),
  codes: ['INVALID_OPTIONS', 'FRAME_LENGTH', 'FRAME_GARBLED'],
  run: ({ options, events }) => {
    const decoder = new SerialScannerDecoder(options);
    return { ...runTimed(decoder, events), maxLength: options.maxLength ?? 8192 };
  },
  check: (run) => {
    for (const item of run.items) {
      if (isXinyiError(item)) expectTyped(item, ['FRAME_LENGTH', 'FRAME_GARBLED'], 'SerialScannerDecoder');
      else checkScan(item as Record<string, unknown>, 'serial');
    }
    // A full frame plus its suffix (CR LF) held for the line gap.
    expectBounded(run, run.maxLength + 2, 'SerialScannerDecoder');
  },
  ciRuns: 2000,
};
