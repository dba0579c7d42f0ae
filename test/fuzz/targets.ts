import { createHash, type KeyObject, sign } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { AxiosResponse } from 'axios';
import fc from 'fast-check';
import {
  AA_CID1_COMMAND,
  AA_CID1_REPLY,
  AA_FRAME_BYTES,
  type AaFrame,
  AaFrameDecoder,
  decodeAaCommand,
  encodeAaCommand,
  encodeAaStatusReply,
  encodeBitsResponse,
  encodeExceptionResponse,
  encodeFlapCommand,
  encodeFlapReply,
  encodeModbusFrame,
  encodeReadCoils,
  encodeReadHoldingRegisters,
  encodeRegistersResponse,
  encodeWriteMultipleCoils,
  encodeWriteMultipleResponse,
  encodeWriteSingleCoil,
  encodeWriteSingleRegister,
  FLAP_COMMAND_BYTES,
  FLAP_REPLY_BYTES,
  type FlapChecksumRule,
  FlapCommandDecoder,
  FlapFrameDecoder,
  flapReplyToStatus,
  MODBUS_MAX_ADU_BYTES,
  ModbusRequestDecoder,
  ModbusResponseDecoder,
  parseAaStatusReply,
  parseModbusFrame,
  parseModbusRequest,
  parseModbusResponse,
} from '../../adapters/gate/index.js';
import {
  CARD_TYPE_FLAG_OFFSET,
  CARD_TYPE_FLAGS,
  encodeSamCommand,
  encodeSamResponse,
  parseAppendedAddressPayload,
  parseCardText,
  parseFindCardResponse,
  parseReadPayload,
  parseSamIdPayload,
  parseSelectCardResponse,
  SAM_DEFAULT_MAX_LENGTH,
  SAM_HEADER_BYTES,
  SAM_PREAMBLE,
  SamCommandDecoder,
  SamFrameDecoder,
  toIdCardCredential,
} from '../../adapters/id-card/index.js';
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
} from '../../adapters/scanner/index.js';
import { parseGateConfig } from '../../cli/gate/config.js';
import { CALENDAR_DOCUMENT_FORMAT, calendarDocumentKind } from '../../sdk/calendar/calendar-document.js';
import { chinaHolidayData } from '../../sdk/calendar/china-holidays.js';
import { calendarCoverage } from '../../sdk/calendar/coverage.js';
import { createHolidayCalendar, type HolidayCalendar } from '../../sdk/calendar/holiday-calendar.js';
import { BASE45_ALPHABET, decodeBase45, encodeBase45 } from '../../sdk/credit/base45.js';
import {
  CREDIT_CODE_PREFIX,
  CreditCodeRefusal,
  decodeCreditCode,
  encodeCredential,
  presentCredential,
  verifyCreditCode,
} from '../../sdk/credit/credit-code.js';
import { MalformedBody, parseDownload, parseLookup, parseUpload } from '../../sdk/credit/http-platform.js';
import {
  ANSWER_SIGNATURE_HEADER,
  type LookupQuestion,
  signLookupAnswer,
  verifyLookupAnswer,
} from '../../sdk/credit/lookup-answer.js';
import { createReplayCache } from '../../sdk/credit/replay-cache.js';
import {
  buildDelta,
  buildSnapshot,
  decodeSnapshotRecord,
  parseSnapshotHeader,
  SNAPSHOT_SIGNATURE_BYTES,
  type SnapshotRecord,
  verifySnapshot,
} from '../../sdk/credit/snapshot-format.js';
import { loadSqliteDriver, openSnapshotStore, type SnapshotStore } from '../../sdk/credit/snapshot-store.js';
import { loadStatusList, type SignedStatusList, type StatusList } from '../../sdk/credit/status-list.js';
import {
  keyIdOf,
  loadTrustList,
  type SignedTrustList,
  type TrustList,
  type TrustListContent,
} from '../../sdk/credit/trust-list.js';
import { type DocumentKeys, verifyDocument } from '../../sdk/documents/signed-document.js';
import type { OrganisationEntry } from '../../sdk/domain/credential.js';
import { SCENE_IDS } from '../../sdk/domain/scenes.js';
import type { CreditStanding } from '../../sdk/domain/standing.js';
import { TIER_CODES, type TierCode } from '../../sdk/domain/tiers.js';
import { isXinyiError, XinyiError, type XinyiErrorCode } from '../../sdk/errors.js';
import { isValidSocialCreditCode, readOrganisationCode } from '../../sdk/identity/index.js';
import { evaluate } from '../../sdk/policy/evaluate.js';
import type { PolicyPack } from '../../sdk/policy/pack.js';
import {
  POLICY_DOCUMENT_FORMAT,
  type PolicyDocument,
  policyDocumentKind,
} from '../../sdk/policy/policy-document.js';
import { qingzhouPolicyPack } from '../../sdk/policy/qingzhou-pack.js';
import { loadPolicyPack } from '../../sdk/policy/validate-pack.js';
import { createCreditIssuer } from '../../simulator/credit-issuer.js';
import { generateSocialCreditCode } from '../../simulator/population.js';
import { createRng } from '../../simulator/prng.js';
import { parseScenario } from '../../simulator/scenario.js';
import { REFERENCE_RESIDENT_TEXT } from '../adapters/id-card/fixtures.js';
import { computedYears, YEAR_2027 } from '../sdk/documents/fixtures.js';
import {
  byteStream,
  damaged,
  expectInteger,
  expectIsoTime,
  expectOneOf,
  expectTyped,
  type FuzzTarget,
  jsonish,
  mutatedJson,
  violation,
} from './harness.js';

const FRAME_ERRORS: readonly XinyiErrorCode[] = ['FRAME_LENGTH', 'FRAME_CHECKSUM'];
const T0 = Date.parse('2026-06-01T10:00:00Z');
const HOUR = 3_600_000;

/** Checks every item a stream decoder returned: a typed error with a frame code, or a valid frame. */
function checkItems<T>(items: readonly (T | XinyiError)[], where: string, valid: (item: T) => void): void {
  for (const item of items) {
    if (item instanceof Error || isXinyiError(item)) expectTyped(item, FRAME_ERRORS, where);
    else valid(item);
  }
}

function expectByte(value: unknown, what: string): void {
  expectInteger(value, 0, 255, what);
}

/** Largest `pending` seen after each push, and everything returned (flush included). */
interface StreamRun<T> {
  items: Array<T | XinyiError>;
  maxPending: number;
  pendingAfterFlush: number;
}

interface StreamDecoder<T> {
  push(chunk: Uint8Array): Array<T | XinyiError>;
  flush(): Array<T | XinyiError>;
  readonly pending: number;
}

function runStream<T>(decoder: StreamDecoder<T>, chunks: readonly Uint8Array[]): StreamRun<T> {
  const items: Array<T | XinyiError> = [];
  let maxPending = 0;
  for (const chunk of chunks) {
    items.push(...decoder.push(chunk));
    maxPending = Math.max(maxPending, decoder.pending);
  }
  items.push(...decoder.flush());
  return { items, maxPending, pendingAfterFlush: decoder.pending };
}

function expectBounded(run: { maxPending: number; pendingAfterFlush: number }, bound: number, what: string) {
  if (run.maxPending > bound) violation(`${what}: pending reached ${run.maxPending} bytes (bound ${bound})`);
  if (run.pendingAfterFlush !== 0) violation(`${what}: ${run.pendingAfterFlush} bytes pending after flush()`);
}

// ---------------------------------------------------------------------------------------------
// ID-card reader: SAM frames both ways, SAM payloads, card text

const samResponseFrame = fc
  .record({
    sw1: fc.integer({ min: 0, max: 255 }),
    sw2: fc.integer({ min: 0, max: 255 }),
    sw3: fc.constantFrom(0x90, 0x9f, 0x80, 0x81, 0x91, 0x10, 0x41),
    data: fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ minLength: 256, maxLength: 300 })),
  })
  .map(({ sw1, sw2, sw3, data }) => encodeSamResponse(sw1, sw2, sw3, data));

const samCommandFrame = fc
  .record({
    cmd: fc.constantFrom(0x20, 0x30, 0x11, 0x12, 0x60, 0x61),
    para: fc.integer({ min: 0, max: 255 }),
    data: fc.uint8Array({ maxLength: 24 }),
  })
  .map(({ cmd, para, data }) => encodeSamCommand(cmd, para, data));

const samMaxLength = fc.oneof(
  fc.constant(undefined),
  fc.integer({ min: 4, max: 64 }),
  fc.integer({ min: 4, max: 0xffff }),
);

const samStream = (frames: fc.Arbitrary<Uint8Array>) =>
  fc.record({
    maxLength: samMaxLength,
    chunks: byteStream({ frames, special: [...SAM_PREAMBLE, 0x00, 0xff], maxFloodBytes: 600 }),
  });

type SamStreamInput = { maxLength: number | undefined; chunks: Uint8Array[] };

const samResponses: FuzzTarget<SamStreamInput, StreamRun<unknown> & { maxLength: number }> = {
  name: 'sam-response-decoder',
  input: 'reader → host byte stream: SAM frames, damaged frames, garbage, floods, any chunking',
  arbitrary: samStream(samResponseFrame),
  codes: ['INVALID_OPTIONS', ...FRAME_ERRORS],
  run: ({ maxLength, chunks }) => {
    const decoder = new SamFrameDecoder(maxLength === undefined ? {} : { maxLength });
    const run = runStream(decoder, chunks);
    // The reader driver reads the response payloads it receives: feed each through the parsers.
    for (const item of run.items) {
      if (isXinyiError(item)) continue;
      const response = item as Parameters<typeof parseFindCardResponse>[0];
      for (const parse of [
        () => parseFindCardResponse(response),
        () => parseSelectCardResponse(response),
        () => parseReadPayload(response.data, 'base'),
        () => parseReadPayload(response.data, 'with-fingerprint'),
        () => parseSamIdPayload(response.data),
        () => parseAppendedAddressPayload(response.data),
      ]) {
        try {
          parse();
        } catch (error) {
          expectTyped(error, ['FRAME_LENGTH', 'DEVICE_STATUS', 'INVALID_ARGUMENT'], 'SAM payload parser');
        }
      }
    }
    return { ...run, maxLength: maxLength ?? SAM_DEFAULT_MAX_LENGTH };
  },
  check: (run) => {
    checkItems(run.items, 'SamFrameDecoder', (r) => {
      const frame = r as { sw1: unknown; sw2: unknown; sw3: unknown; data: unknown };
      expectByte(frame.sw1, 'sw1');
      expectByte(frame.sw2, 'sw2');
      expectByte(frame.sw3, 'sw3');
      if (!Buffer.isBuffer(frame.data)) violation('response data is not a Buffer');
      if (frame.data.length > run.maxLength - 4) violation('response data longer than maxLength allows');
    });
    expectBounded(run, SAM_HEADER_BYTES + run.maxLength, 'SamFrameDecoder');
  },
  ciRuns: 1500,
};

const samCommands: FuzzTarget<SamStreamInput, StreamRun<unknown> & { maxLength: number }> = {
  name: 'sam-command-decoder',
  input: 'host → reader byte stream (the simulator side), as sam-response-decoder',
  arbitrary: samStream(samCommandFrame),
  codes: ['INVALID_OPTIONS', ...FRAME_ERRORS],
  run: ({ maxLength, chunks }) => {
    const decoder = new SamCommandDecoder(maxLength === undefined ? {} : { maxLength });
    return { ...runStream(decoder, chunks), maxLength: maxLength ?? SAM_DEFAULT_MAX_LENGTH };
  },
  check: (run) => {
    checkItems(run.items, 'SamCommandDecoder', (c) => {
      const frame = c as { cmd: unknown; para: unknown; data: unknown };
      expectByte(frame.cmd, 'cmd');
      expectByte(frame.para, 'para');
      if (!Buffer.isBuffer(frame.data)) violation('command data is not a Buffer');
    });
    expectBounded(run, SAM_HEADER_BYTES + run.maxLength, 'SamCommandDecoder');
  },
  ciRuns: 2000,
};

const cardTypeFlag = fc.constantFrom(
  ...Object.values(CARD_TYPE_FLAGS).map((c) => c.charCodeAt(0)),
  0x20,
  0x00,
  0xff,
);

const cardTextBytes: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ minLength: 256, maxLength: 256 }),
  // The reference card, re-flagged as each card type and changed at a few places.
  fc
    .record({
      flag: cardTypeFlag,
      edits: fc.array(
        fc.record({
          at: fc.integer({ min: 0, max: 255 }),
          value: fc.oneof(
            fc.integer({ min: 0, max: 255 }),
            fc.constantFrom(0x00, 0x20, 0x30, 0x39, 0x58, 0xd8, 0xdc, 0xff),
          ),
        }),
        { maxLength: 8 },
      ),
      digits: fc.option(fc.tuple(fc.integer({ min: 0, max: 120 }), fc.stringMatching(/^[0-9X ]{1,18}$/))),
    })
    .map(({ flag, edits, digits }) => {
      const b = Buffer.from(REFERENCE_RESIDENT_TEXT);
      b[CARD_TYPE_FLAG_OFFSET] = flag;
      b[CARD_TYPE_FLAG_OFFSET + 1] = 0;
      if (digits) b.write(digits[1], digits[0] * 2, 'utf16le');
      for (const { at, value } of edits) b[at] = value;
      return b;
    }),
  fc.uint8Array({ maxLength: 300 }),
);

const cardText: FuzzTarget<{ bytes: Uint8Array; now: number; check: 'none' | 'gb11643-check-digit' }> = {
  name: 'card-text',
  input: '256-byte card text (random, reference card mutated and re-flagged, wrong sizes)',
  arbitrary: fc.record({
    bytes: cardTextBytes,
    now: fc.oneof(fc.constant(T0), fc.integer({ min: -8.64e15, max: 8.64e15 })),
    check: fc.constantFrom('none' as const, 'gb11643-check-digit' as const),
  }),
  codes: ['INVALID_ARGUMENT', 'ID_NUMBER_INVALID', 'CREDENTIAL_INVALID'],
  run: ({ bytes, now, check }) => {
    const card = parseCardText(bytes, { now, foreign2023IdCheck: check });
    return { card, credential: toIdCardCredential(card) };
  },
  check: ({ card, credential }) => {
    if (typeof card.idNumber !== 'string' || typeof card.name !== 'string')
      violation('card fields not strings');
    if (!Array.isArray(card.issues)) violation('card issues not an array');
    if (credential.kind !== 'id-card' || credential.idNumber !== card.idNumber)
      violation('credential mismatch');
  },
  ciRuns: 2000,
};

// ---------------------------------------------------------------------------------------------
// Scanners: keyboard wedge, HID POS, serial

const BASE45 = [...BASE45_ALPHABET];
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

const keyboardWedge: FuzzTarget<
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

const hidPos: FuzzTarget<
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

const serialScanner: FuzzTarget<
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

// ---------------------------------------------------------------------------------------------
// Gate boards: AA frames, 7E/7F flap frames, Modbus RTU

const aaFrames: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc
    .record({
      action: fc.constantFrom(
        'entry-open',
        'entry-hold-open',
        'entry-close',
        'exit-open',
        'exit-hold-open',
        'exit-close',
        'query-status',
      ),
      count: fc.integer({ min: 0, max: 255 }),
      source: fc.integer({ min: 0, max: 255 }),
      destination: fc.integer({ min: 1, max: 255 }),
    })
    .map(({ action, count, source, destination }) =>
      encodeAaCommand(
        action === 'exit-open' ? { action, count } : ({ action } as Parameters<typeof encodeAaCommand>[0]),
        { source, destination },
      ),
    ),
  fc
    .record({
      stateCode: fc.integer({ min: 0, max: 255 }),
      entryCount: fc.integer({ min: 0, max: 2 ** 24 - 1 }),
      exitCount: fc.integer({ min: 0, max: 2 ** 24 - 1 }),
      source: fc.integer({ min: 0, max: 255 }),
    })
    .map(({ source, ...reply }) => encodeAaStatusReply(reply, { source })),
);

const GATE_STATES = ['closed', 'opening', 'open', 'closing', 'alarm', 'self-test', 'unknown'];

function checkGateStatus(status: Record<string, unknown>): void {
  expectOneOf(status.state, GATE_STATES, 'gate state');
  expectInteger(status.entryCount, 0, 2 ** 32, 'entryCount');
  expectInteger(status.exitCount, 0, 2 ** 32, 'exitCount');
  if (!Array.isArray(status.alarms)) violation('gate status alarms not an array');
}

const aaFrame: FuzzTarget<Uint8Array[], StreamRun<AaFrame>> = {
  name: 'aa-frame-decoder',
  input: 'AA-frame byte stream both ways (commands, status replies, damaged, garbage, floods)',
  arbitrary: byteStream({ frames: aaFrames, special: [0xaa, 0x08, 0x02, 0x12, 0x00], maxFloodBytes: 200 }),
  codes: [...FRAME_ERRORS, 'INVALID_ARGUMENT'],
  run: (chunks) => runStream(new AaFrameDecoder(), chunks),
  check: (run) => {
    checkItems(run.items, 'AaFrameDecoder', (frame) => {
      for (const key of ['source', 'cid1', 'cid2', 'destination'] as const) expectByte(frame[key], key);
      if (!Buffer.isBuffer(frame.data) || frame.data.length !== 8) violation('AA frame data is not 8 bytes');
      // What the driver and the simulated board do with a frame.
      if (frame.cid1 === AA_CID1_REPLY) checkGateStatus(parseAaStatusReply(frame) as never);
      if (frame.cid1 === AA_CID1_COMMAND) decodeAaCommand(frame);
    });
    expectBounded(run, AA_FRAME_BYTES - 1, 'AaFrameDecoder');
  },
  ciRuns: 2000,
};

const flapRule = fc.constantFrom<FlapChecksumRule | undefined>(undefined, 'not-sum', 'sum', 'xor', 'none');

const flapReplyFrames = (rule: FlapChecksumRule | undefined) =>
  fc
    .record({
      version: fc.integer({ min: 0, max: 255 }),
      machine: fc.integer({ min: 0, max: 255 }),
      fault: fc.integer({ min: 0, max: 255 }),
      gateStatus: fc.integer({ min: 0, max: 255 }),
      alarm: fc.integer({ min: 0, max: 255 }),
      leftCount: fc.integer({ min: 0, max: 2 ** 24 - 1 }),
      rightCount: fc.integer({ min: 0, max: 2 ** 24 - 1 }),
      infrared: fc.integer({ min: 0, max: 255 }),
      cmdExec: fc.integer({ min: 0, max: 255 }),
      vcc: fc.integer({ min: 0, max: 255 }),
      u1: fc.integer({ min: 0, max: 255 }),
      u2: fc.integer({ min: 0, max: 255 }),
    })
    .map((reply) => encodeFlapReply(reply, rule === undefined ? {} : { replyChecksum: rule }));

const flapReply: FuzzTarget<
  { rule: FlapChecksumRule | undefined; chunks: Uint8Array[] },
  StreamRun<object>
> = {
  name: 'flap-reply-decoder',
  input: '7F board → host replies (every checksum rule), damaged, garbage, floods',
  arbitrary: flapRule.chain((rule) =>
    fc.record({
      rule: fc.constant(rule),
      chunks: byteStream({
        frames: flapReplyFrames(rule),
        special: [0x7f, 0x7e, 0x00, 0xff],
        maxFloodBytes: 200,
      }),
    }),
  ),
  codes: [...FRAME_ERRORS, 'INVALID_OPTIONS'],
  run: ({ rule, chunks }) =>
    runStream(new FlapFrameDecoder(rule === undefined ? {} : { replyChecksum: rule }), chunks),
  check: (run) => {
    checkItems(run.items, 'FlapFrameDecoder', (reply) => {
      for (const [key, value] of Object.entries(reply as Record<string, number>))
        expectInteger(value, 0, 2 ** 24 - 1, `reply.${key}`);
      checkGateStatus(flapReplyToStatus(reply as never) as never);
    });
    expectBounded(run, FLAP_REPLY_BYTES - 1, 'FlapFrameDecoder');
  },
  ciRuns: 2000,
};

const flapCommandFrames = fc
  .tuple(
    fc.integer({ min: 0, max: 255 }),
    fc.integer({ min: 0, max: 255 }),
    fc.integer({ min: 0, max: 255 }),
    fc.integer({ min: 0, max: 255 }),
    fc.integer({ min: 0, max: 255 }),
  )
  .map(([machine, cmd, d0, d1, d2]) => encodeFlapCommand(machine, cmd, d0, d1, d2));

const flapCommand: FuzzTarget<Uint8Array[], StreamRun<object>> = {
  name: 'flap-command-decoder',
  input: '7E host → board commands (the simulated board side), damaged, garbage, floods',
  arbitrary: byteStream({ frames: flapCommandFrames, special: [0x7e, 0x7f, 0x00, 0xff], maxFloodBytes: 200 }),
  codes: FRAME_ERRORS,
  run: (chunks) => runStream(new FlapCommandDecoder(), chunks),
  check: (run) => {
    checkItems(run.items, 'FlapCommandDecoder', (command) => {
      for (const key of ['machine', 'cmd', 'd0', 'd1', 'd2'])
        expectByte((command as Record<string, number>)[key], `command.${key}`);
    });
    expectBounded(run, FLAP_COMMAND_BYTES - 1, 'FlapCommandDecoder');
  },
  ciRuns: 2000,
};

const unitId = fc.integer({ min: 0, max: 250 });
const address = fc.integer({ min: 0, max: 0xffff });
const modbusRequests: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc
    .tuple(unitId, address, fc.integer({ min: 0, max: 2100 }))
    .map(([u, a, q]) => encodeModbusFrame(u, 1, Buffer.from([a >> 8, a & 0xff, q >> 8, q & 0xff]))),
  fc
    .tuple(unitId, fc.integer({ min: 0, max: 0xff00 }), fc.integer({ min: 1, max: 125 }))
    .map(([u, a, q]) => encodeReadHoldingRegisters(u, a, q)),
  fc
    .tuple(unitId, fc.integer({ min: 0, max: 0xf000 }), fc.integer({ min: 1, max: 2000 }))
    .map(([u, a, q]) => encodeReadCoils(u, a, q)),
  fc.tuple(unitId, address, fc.boolean()).map(([u, a, on]) => encodeWriteSingleCoil(u, a, on)),
  fc.tuple(unitId, address, address).map(([u, a, v]) => encodeWriteSingleRegister(u, a, v)),
  fc
    .tuple(
      unitId,
      fc.integer({ min: 0, max: 0xff00 }),
      fc.array(fc.boolean(), { minLength: 1, maxLength: 80 }),
    )
    .map(([u, a, s]) => encodeWriteMultipleCoils(u, a, s)),
  fc
    .tuple(unitId, fc.integer({ min: 1, max: 0x7f }), fc.uint8Array({ maxLength: 20 }))
    .map(([u, f, d]) => encodeModbusFrame(u, f, d)),
);

const modbusResponses: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc
    .tuple(
      fc.integer({ min: 1, max: 247 }),
      fc.constantFrom(1 as const, 2 as const),
      fc.array(fc.boolean(), { minLength: 1, maxLength: 60 }),
    )
    .map(([u, f, bits]) => encodeBitsResponse(u, f, bits)),
  fc
    .tuple(
      fc.integer({ min: 1, max: 247 }),
      fc.constantFrom(3 as const, 4 as const),
      fc.array(address, { minLength: 1, maxLength: 30 }),
    )
    .map(([u, f, values]) => encodeRegistersResponse(u, f, values)),
  fc
    .tuple(
      fc.integer({ min: 1, max: 247 }),
      fc.constantFrom(0x0f as const, 0x10 as const),
      address,
      fc.integer({ min: 1, max: 120 }),
    )
    .map(([u, f, a, q]) => encodeWriteMultipleResponse(u, f, Math.min(a, 0xffff - q), q)),
  fc
    .tuple(fc.integer({ min: 1, max: 247 }), address, fc.boolean())
    .map(([u, a, on]) => encodeWriteSingleCoil(u, a, on)),
  fc
    .tuple(
      fc.integer({ min: 1, max: 247 }),
      fc.constantFrom(1, 2, 3, 4, 5, 6, 15, 16),
      fc.integer({ min: 1, max: 11 }),
    )
    .map(([u, f, e]) => encodeExceptionResponse(u, f, e)),
);

type ModbusFrameLike = { unitId: number; functionCode: number; data: Buffer; bytes: Buffer };

function checkModbusFrame(frame: ModbusFrameLike): void {
  expectByte(frame.unitId, 'unitId');
  expectByte(frame.functionCode, 'functionCode');
  if (frame.bytes.length < 4 || frame.bytes.length > MODBUS_MAX_ADU_BYTES) violation('Modbus ADU length');
  if (frame.data.length !== frame.bytes.length - 4) violation('Modbus data length');
}

const modbusStream = (frames: fc.Arbitrary<Uint8Array>) =>
  fc.record({
    chunks: byteStream({
      frames,
      special: [0x01, 0x03, 0x05, 0x0f, 0x10, 0x83, 0xff, 0x00],
      maxFloodBytes: 600,
    }),
    whole: fc.oneof(frames, damaged(frames), fc.uint8Array({ maxLength: 300 })),
  });

const modbusRequest: FuzzTarget<{ chunks: Uint8Array[]; whole: Uint8Array }, StreamRun<ModbusFrameLike>> = {
  name: 'modbus-request-decoder',
  input: 'Modbus RTU requests (the simulated relay board side) in a noisy stream, and whole ADUs',
  arbitrary: modbusStream(modbusRequests),
  codes: [...FRAME_ERRORS, 'INVALID_ARGUMENT'],
  run: ({ chunks, whole }) => {
    const run = runStream(new ModbusRequestDecoder(), chunks);
    try {
      run.items.push(parseModbusFrame(whole));
    } catch (error) {
      expectTyped(error, FRAME_ERRORS, 'parseModbusFrame');
    }
    return run;
  },
  check: (run) => {
    checkItems(run.items, 'ModbusRequestDecoder', (frame) => {
      checkModbusFrame(frame);
      const request = parseModbusRequest(frame);
      if (typeof request.kind !== 'string') violation('request without a kind');
    });
    expectBounded(run, MODBUS_MAX_ADU_BYTES, 'ModbusRequestDecoder');
  },
  ciRuns: 1500,
};

const modbusResponse: FuzzTarget<{ chunks: Uint8Array[]; whole: Uint8Array }, StreamRun<ModbusFrameLike>> = {
  name: 'modbus-response-decoder',
  input: 'Modbus RTU replies and exceptions (the gate driver side) in a noisy stream, and whole ADUs',
  arbitrary: modbusStream(modbusResponses),
  codes: [...FRAME_ERRORS, 'INVALID_ARGUMENT', 'DEVICE_STATUS', 'GATE_COMMAND_FAILED'],
  run: ({ chunks, whole }) => {
    const run = runStream(new ModbusResponseDecoder(), chunks);
    try {
      run.items.push(parseModbusFrame(whole));
    } catch (error) {
      expectTyped(error, FRAME_ERRORS, 'parseModbusFrame');
    }
    for (const item of run.items) {
      if (isXinyiError(item)) continue;
      try {
        parseModbusResponse(item);
      } catch (error) {
        expectTyped(error, ['FRAME_LENGTH', 'DEVICE_STATUS', 'INVALID_ARGUMENT'], 'parseModbusResponse');
      }
    }
    return run;
  },
  check: (run) => {
    checkItems(run.items, 'ModbusResponseDecoder', checkModbusFrame);
    expectBounded(run, MODBUS_MAX_ADU_BYTES, 'ModbusResponseDecoder');
  },
  ciRuns: 1500,
};

// ---------------------------------------------------------------------------------------------
// Credit codes, trust lists, status lists

const issuers = {
  Ed25519: createCreditIssuer({ seed: 'fuzz-ed', alg: 'Ed25519', now: T0 }),
  ES256: createCreditIssuer({ seed: 'fuzz-es', alg: 'ES256', now: T0 }),
};
const trustLists = {
  Ed25519: loadTrustList(issuers.Ed25519.trustList, {
    rootPublicKey: issuers.Ed25519.rootPublicKey,
    now: T0,
  }),
  ES256: loadTrustList(issuers.ES256.trustList, { rootPublicKey: issuers.ES256.rootPublicKey, now: T0 }),
};
const statusLists = {
  Ed25519: loadStatusList(issuers.Ed25519.signedStatusList(T0), { trustList: trustLists.Ed25519 }),
  ES256: loadStatusList(issuers.ES256.signedStatusList(T0), { trustList: trustLists.ES256 }),
};

/** A pool of valid codes to mutate: both algorithms, every tier, red flags, revoked indexes. */
const validCodes: Array<{ alg: 'Ed25519' | 'ES256'; text: string }> = [];
for (const alg of ['Ed25519', 'ES256'] as const) {
  const tiers: Array<TierCode | null> = [...TIER_CODES, null];
  tiers.forEach((tier, i) => {
    const phone = issuers[alg].issue(`fuzz-${alg}-${i}`, tier, {
      now: T0 - HOUR,
      red: i % 2 === 0,
      entitlements: (i * 37) & 0xff,
    });
    validCodes.push({ alg, text: phone.present(T0) });
  });
}

const holderKey = createCreditIssuer({ seed: 'fuzz-holder', alg: 'ES256', now: T0 }).issuerPrivateKey;

/** A code signed with the real keys but with any field values: reaches every check after the signatures. */
const signedOddCode = fc
  .record({
    alg: fc.constantFrom('Ed25519' as const, 'ES256' as const),
    pseudonym: fc.uint8Array({ minLength: 16, maxLength: 16 }),
    tierRank: fc.oneof(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 255 })),
    flags: fc.integer({ min: 0, max: 255 }),
    entitlements: fc.integer({ min: 0, max: 0xffff }),
    issuedAt: fc.oneof(
      fc.constant(T0 - HOUR),
      fc.integer({ min: 0, max: 2 ** 32 - 1 }).map((s) => s * 1000),
    ),
    lifetime: fc.oneof(fc.constant(48 * HOUR), fc.integer({ min: -2 * HOUR, max: 2 ** 31 })),
    statusIndex: fc.oneof(fc.integer({ min: 0, max: 70_000 }), fc.constant(0xffffff)),
    presentedAt: fc.oneof(
      fc.constant(T0),
      fc.integer({ min: -200_000, max: 200_000 }).map((d) => T0 + d),
    ),
  })
  .map((f) => {
    const issuer = issuers[f.alg];
    const expiresAt = Math.min(Math.max(0, f.issuedAt + f.lifetime), (2 ** 32 - 1) * 1000);
    const credential = encodeCredential(
      {
        pseudonym: f.pseudonym,
        tierRank: f.tierRank,
        flags: f.flags,
        entitlements: f.entitlements,
        issuedAt: f.issuedAt,
        expiresAt,
        statusIndex: f.statusIndex,
        holderPublicKey: holderKey,
      },
      issuer.issuerPrivateKey,
      f.alg,
    );
    return { alg: f.alg, text: presentCredential(credential, holderKey, Math.max(0, f.presentedAt)) };
  });

const codeText = fc.oneof(
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 320, unit: 'binary' }) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.constantFrom('QZ1:', 'QZ2:', 'QZ1', 'qz1:'),
        fc.array(fc.constantFrom(...BASE45), { minLength: 300, maxLength: 304 }),
      )
      .map(([prefix, c]) => `${prefix}${c.join('')}`),
  },
  // A valid code changed at the text level…
  {
    weight: 4,
    arbitrary: fc
      .tuple(
        fc.constantFrom(...validCodes),
        fc.array(fc.tuple(fc.nat(), fc.oneof(fc.constantFrom(...BASE45), fc.string({ maxLength: 2 }))), {
          maxLength: 3,
        }),
      )
      .map(([code, edits]) => {
        let text = code.text;
        for (const [at, s] of edits) {
          const i = at % (text.length + 1);
          text = text.slice(0, i) + s + text.slice(i + (s.length === 1 ? 1 : 0));
        }
        return text;
      }),
  },
  // …or at the byte level (fields, signatures), re-encoded.
  {
    weight: 4,
    arbitrary: fc
      .tuple(
        fc.constantFrom(...validCodes),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 4,
        }),
      )
      .map(([code, edits]) => {
        const bytes = Buffer.from(decodeBase45(code.text.slice(CREDIT_CODE_PREFIX.length)));
        for (const [at, value] of edits) bytes[at] = value;
        return CREDIT_CODE_PREFIX + encodeBase45(bytes);
      }),
  },
  { weight: 1, arbitrary: fc.constantFrom(...validCodes).map((c) => c.text) },
  { weight: 1, arbitrary: signedOddCode.map((c) => c.text) },
);

type CodeInput = {
  text: string;
  alg: 'Ed25519' | 'ES256';
  nowOffsetMs: number;
  status: boolean;
  maxStatusAgeMs: number | undefined;
  replay: boolean;
  cache: boolean;
};

const creditCode: FuzzTarget<CodeInput, ReturnType<typeof verifyCreditCode>> = {
  name: 'credit-code',
  input: 'scanned text: random, Base45 of the right length, valid QZ1 codes mutated and re-signed',
  arbitrary: fc.record({
    text: codeText,
    alg: fc.constantFrom('Ed25519' as const, 'ES256' as const),
    nowOffsetMs: fc.oneof(fc.constant(0), fc.integer({ min: -3 * HOUR, max: 400 * 24 * HOUR })),
    status: fc.boolean(),
    maxStatusAgeMs: fc.option(fc.integer({ min: 0, max: 2 * HOUR }), { nil: undefined }),
    replay: fc.boolean(),
    cache: fc.boolean(),
  }),
  codes: [],
  run: (input) =>
    verifyCreditCode(input.text, {
      trustList: trustLists[input.alg],
      now: T0 + input.nowOffsetMs,
      ...(input.status ? { statusList: statusLists[input.alg] } : {}),
      ...(input.maxStatusAgeMs === undefined ? {} : { maxStatusAgeMs: input.maxStatusAgeMs }),
      ...(input.replay ? { replayCache: createReplayCache() } : {}),
      cacheCredentials: input.cache,
    }),
  check: (result, input) => {
    if (!result.ok) {
      expectOneOf(result.reason, Object.values(CreditCodeRefusal), 'refusal reason');
      if (result.reason === CreditCodeRefusal.FORMAT) {
        // FORMAT after a clean decode can only mean a tier rank out of range, or a throw that the
        // verifier's catch-all turned into FORMAT: an untyped throw in disguise.
        const decoded = decodeCreditCode(input.text);
        if (decoded.ok && decoded.code.tierRank <= TIER_CODES.length) {
          violation('FORMAT refusal for a well-formed code: an exception was swallowed');
        }
      }
      return;
    }
    checkStanding(result.standing, 'credit-code');
    if (result.pseudonym.length !== 22) violation('pseudonym is not 22 characters');
    expectIsoTime(result.expiresAt, 'expiresAt');
    expectIsoTime(result.presentedAt, 'presentedAt');
  },
  ciRuns: 1000,
};

function checkStanding(standing: CreditStanding, source: string): void {
  if (standing.tier !== null) expectOneOf(standing.tier, TIER_CODES, 'tier');
  if (standing.source !== source) violation(`standing source ${standing.source}`);
  expectIsoTime(standing.asOf, 'asOf');
  if (!Array.isArray(standing.lists)) violation('lists not an array');
  for (const list of standing.lists) {
    expectOneOf(list.kind, ['red', 'black', 'key-attention'], 'list kind');
    if (list.domain !== undefined && typeof list.domain !== 'string') violation('list domain not a string');
  }
  if (standing.score !== undefined && !Number.isFinite(standing.score)) {
    violation(`score is ${standing.score}`);
  }
}

/** Valid trust-list contents to mutate. */
const trustContents = fc.constantFrom(issuers.Ed25519.trustListContent, issuers.ES256.trustListContent);

/** A JSON text with non-finite numbers written as a JSON text can carry them (`1e999`). */
function toJsonText(value: unknown): string {
  const text = JSON.stringify(value, (_key, v) =>
    typeof v === 'number' && !Number.isFinite(v) ? (Number.isNaN(v) ? 'NaN!' : v > 0 ? 'INF!' : '-INF!') : v,
  ) as string | undefined;
  return (text ?? 'null').replaceAll('"INF!"', '1e999').replaceAll('"-INF!"', '-1e999');
}

const trustListInput: fc.Arbitrary<{ signed: unknown; nowOffsetMs: number }> = fc.record({
  signed: fc.oneof(
    // Payloads signed by the pinned root: the parser behind the signature check is reached.
    {
      weight: 6,
      arbitrary: fc
        .oneof({ weight: 4, arbitrary: mutatedJson(trustContents) }, { weight: 1, arbitrary: jsonish })
        .map((doc) => issuers.Ed25519.signTrustList(doc as TrustListContent)),
    },
    {
      weight: 1,
      arbitrary: fc
        .oneof(fc.string(), mutatedJson(trustContents).map(toJsonText))
        .map((payload) => ({ ...issuers.Ed25519.signTrustList({} as TrustListContent), payload })),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        payload: fc.oneof(fc.string(), jsonish),
        signature: fc.oneof(fc.base64String(), jsonish),
      }),
    },
    { weight: 1, arbitrary: jsonish },
  ),
  nowOffsetMs: fc.oneof(fc.constant(0), fc.integer({ min: -HOUR, max: 400 * 24 * HOUR })),
});

const trustList: FuzzTarget<{ signed: unknown; nowOffsetMs: number }, TrustList> = {
  name: 'trust-list',
  input: 'signed trust lists: any JSON and mutated valid contents, signed by the root; garbage envelopes',
  arbitrary: trustListInput,
  codes: ['TRUST_LIST_INVALID'],
  run: ({ signed, nowOffsetMs }) =>
    loadTrustList(signed as SignedTrustList, {
      rootPublicKey: issuers.Ed25519.rootPublicKey,
      now: T0 + nowOffsetMs,
    }),
  check: (list, { nowOffsetMs }) => {
    expectInteger(list.version, 0, Number.MAX_SAFE_INTEGER, 'version');
    if (!Number.isFinite(list.issuedAt) || !(T0 + nowOffsetMs < list.expiresAt)) violation('validity period');
    for (const key of list.keys) {
      expectOneOf(key.alg, ['Ed25519', 'ES256', 'SM2'], 'key alg');
      expectOneOf(
        key.use,
        ['credit-code', 'snapshot', 'status-list', 'calendar', 'policy-pack', 'platform-response'],
        'key use',
      );
      if (typeof key.kid !== 'string') violation('kid not a string');
      if (key.alg !== 'SM2' && key.publicKey === null) violation(`${key.alg} key without a public key`);
      for (const bound of [key.validFrom, key.validTo]) {
        if (bound !== undefined && !Number.isFinite(bound)) violation('key validity bound not finite');
      }
      if (!list.keysFor(key.kid, key.use).includes(key)) violation('keysFor does not find a listed key');
    }
  },
  ciRuns: 800,
};

const statusKey = issuers.Ed25519.statusListPrivateKey;
const validStatusContent = JSON.parse(issuers.Ed25519.signedStatusList(T0).payload) as Record<
  string,
  unknown
>;

function signStatusPayload(payload: string): SignedStatusList {
  const template = issuers.Ed25519.signedStatusList(T0);
  return {
    payload,
    kid: template.kid,
    signature: sign(null, Buffer.from(payload, 'utf8'), statusKey).toString('base64'),
  };
}

/** Bitstrings: gzip of any bytes, damaged gzip, not gzip at all, and gzip bombs past the cap. */
const GZIP_BOMB = gzipSync(Buffer.alloc(2 ** 21 + 1)).toString('base64');

const statusBits = fc.oneof(
  { weight: 4, arbitrary: fc.uint8Array({ maxLength: 64 }).map((b) => gzipSync(b).toString('base64')) },
  {
    weight: 4,
    arbitrary: damaged(fc.uint8Array({ maxLength: 64 }).map((b) => gzipSync(b))).map((b) =>
      Buffer.from(b).toString('base64'),
    ),
  },
  { weight: 4, arbitrary: fc.base64String({ maxLength: 40 }) },
  // Past the 2 MiB cap, and empty.
  { weight: 1, arbitrary: fc.constantFrom(GZIP_BOMB, gzipSync(Buffer.alloc(0)).toString('base64')) },
);

const statusList: FuzzTarget<{ signed: unknown; probes: number[] }, StatusList> = {
  name: 'status-list',
  input: 'signed status lists: mutated contents and bitstrings signed by the list key; garbage envelopes',
  arbitrary: fc.record({
    signed: fc.oneof(
      {
        weight: 6,
        arbitrary: fc
          .tuple(
            mutatedJson(fc.constant(validStatusContent)),
            statusBits,
            fc.boolean(),
            fc.integer({ min: 0, max: 600 }),
          )
          .map(([doc, bits, replaceBits, size]) => {
            if (replaceBits && doc !== null && typeof doc === 'object' && !Array.isArray(doc)) {
              Object.assign(doc as object, { bits, size });
            }
            return signStatusPayload(toJsonText(doc));
          }),
      },
      { weight: 1, arbitrary: jsonish.map((doc) => signStatusPayload(toJsonText(doc))) },
      {
        weight: 1,
        arbitrary: fc.record({
          payload: fc.oneof(fc.string(), jsonish),
          kid: fc.oneof(fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF') }), jsonish),
          signature: fc.oneof(fc.base64String(), jsonish),
        }),
      },
      { weight: 1, arbitrary: jsonish },
    ),
    probes: fc.array(fc.oneof(fc.integer({ min: -2, max: 70_000 }), fc.double()), { maxLength: 6 }),
  }),
  codes: ['STATUS_LIST_INVALID'],
  run: ({ signed }) => loadStatusList(signed as SignedStatusList, { trustList: trustLists.Ed25519 }),
  check: (list, { probes }) => {
    expectInteger(list.size, 0, 2 ** 24, 'size');
    if (!Number.isFinite(list.issuedAt)) violation('issuedAt not finite');
    for (const probe of probes) {
      if (typeof list.isRevoked(probe) !== 'boolean') violation('isRevoked did not return a boolean');
    }
  },
  ciRuns: 500,
};

// ---------------------------------------------------------------------------------------------
// Platform responses

function response(status: number, data: unknown, headers: Record<string, unknown> = {}): AxiosResponse {
  return { status, statusText: '', data, headers, config: {} } as unknown as AxiosResponse;
}

const validLookups = [
  { found: false, computedAt: '2026-06-01T09:00:00Z' },
  {
    found: true,
    computedAt: '2026-06-01T09:00:00+08:00',
    standing: { tier: 'AA', score: 812, lists: [{ kind: 'red' }, { kind: 'black', domain: 'tourism' }] },
  },
  { found: true, computedAt: '2026-06-01T09:00:00Z', standing: { tier: null, lists: [] } },
];
const validUploads = [
  { accepted: 3, duplicate: false },
  { accepted: 0, duplicate: true },
];

const platformBody = (valid: readonly unknown[]) =>
  fc.oneof(
    { weight: 4, arbitrary: mutatedJson(fc.constantFrom(...valid)).map(toJsonText) },
    { weight: 1, arbitrary: jsonish.map(toJsonText) },
    { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
    { weight: 1, arbitrary: fc.constantFrom(...valid).map((v) => toJsonText(v).slice(0, -1)) },
  );

type PlatformInput =
  | { kind: 'lookup'; body: string }
  | { kind: 'upload'; body: string }
  | { kind: 'download'; status: number; body: Uint8Array; headers: Record<string, unknown> };

/** The translation `createHttpPlatformResolver` applies at its boundary (a malformed body is CREDIT_UNAVAILABLE). */
function asPlatformError<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof MalformedBody) {
      throw new XinyiError('CREDIT_UNAVAILABLE', `malformed response (${error.message})`, { cause: error });
    }
    throw error;
  }
}

const platformResponse: FuzzTarget<PlatformInput, unknown> = {
  name: 'platform-response',
  input: 'platform lookup/upload bodies (mutated valid JSON, any JSON, cut, not JSON) and downloads',
  arbitrary: fc.oneof(
    fc.record({ kind: fc.constant('lookup' as const), body: platformBody(validLookups) }),
    fc.record({ kind: fc.constant('upload' as const), body: platformBody(validUploads) }),
    fc.record({
      kind: fc.constant('download' as const),
      status: fc.constantFrom(200, 204, 404),
      body: fc.uint8Array({ maxLength: 64 }),
      headers: fc.dictionary(
        fc.constantFrom('content-type', 'x-xinyi-computed-at', 'etag'),
        fc.oneof(fc.string(), jsonish),
        { maxKeys: 3 },
      ),
    }),
  ),
  codes: ['CREDIT_UNAVAILABLE'],
  run: (input) => {
    switch (input.kind) {
      case 'lookup':
        return asPlatformError(() => parseLookup(response(200, input.body)));
      case 'upload':
        return asPlatformError(() => parseUpload(response(200, input.body)));
      default:
        return asPlatformError(() =>
          parseDownload(response(input.status, new Uint8Array(input.body).buffer, input.headers)),
        );
    }
  },
  check: (output, input) => {
    if (input.kind === 'lookup') {
      if (output !== null) checkStanding(output as CreditStanding, 'platform');
    } else if (input.kind === 'upload') {
      const upload = output as { accepted: unknown; duplicate: unknown };
      if (!Number.isFinite(upload.accepted)) violation(`accepted is ${String(upload.accepted)}`);
      if (typeof upload.duplicate !== 'boolean') violation('duplicate not a boolean');
    } else if (output !== null) {
      const download = output as { bytes: unknown; contentType: unknown; computedAt?: unknown };
      if (!(download.bytes instanceof Uint8Array)) violation('download bytes not a Uint8Array');
      if (typeof download.contentType !== 'string') violation('contentType not a string');
    }
  },
  ciRuns: 2000,
};

// ---------------------------------------------------------------------------------------------
// Signed lookup answers: the answer-signature header and the verification of an answer

const answerQuestions: LookupQuestion[] = [
  {
    pseudonym: 'Yk2fQ0m9c8r1T3xW5vB7nA',
    scene: 'scenic-gate',
    terminalId: 'gate-7',
    nonce: '3q2-7wAAAAAAAAAAAAAAAA',
  },
  { pseudonym: 'AAAAAAAAAAAAAAAAAAAAAA', scene: 'library-kiosk', terminalId: '图书馆-1', nonce: 'n' },
];
/** Each valid lookup body signed for each question, by each issuer's platform-response key. */
const signedAnswers = answerQuestions.flatMap((question) =>
  validLookups.flatMap((answer) =>
    (['Ed25519', 'ES256'] as const).map((alg) => {
      const body = Buffer.from(JSON.stringify(answer), 'utf8');
      const header = signLookupAnswer(question, body, {
        privateKey: issuers[alg].platformResponsePrivateKey,
        nowMs: T0,
      });
      return { alg, question, body, header };
    }),
  ),
);

type AnswerInput = {
  base: number;
  body: Uint8Array;
  header: unknown;
  question: LookupQuestion;
  nowOffsetMs: number;
};

/** A header with its fields edited: other kid, time or signature bytes, cut, doubled, reordered. */
const editedHeader = (header: string) =>
  fc.oneof(
    fc.constant(header),
    damaged(fc.constant(Buffer.from(header, 'latin1'))).map((b) => Buffer.from(b).toString('latin1')),
    fc.constantFrom(
      header.split(';').reverse().join(';'),
      `${header};${header}`,
      header.replace(/t=\d+/, 't=0'),
      header.replace(/t=\d+/, 't=999999999999'),
      header.replace(/kid=[0-9a-f]+/, 'kid=ffffffff'),
      header.toUpperCase(),
    ),
    fc.array(fc.constant(header), { minLength: 2, maxLength: 2 }),
    jsonish,
  );

const answerInput: fc.Arbitrary<AnswerInput> = fc.nat({ max: signedAnswers.length - 1 }).chain((base) => {
  const signed = signedAnswers[base]!;
  return fc.record({
    base: fc.constant(base),
    body: fc.oneof(
      { weight: 3, arbitrary: fc.constant(signed.body) },
      { weight: 2, arbitrary: damaged(fc.constant(signed.body)) },
      {
        weight: 1,
        arbitrary: mutatedJson(fc.constantFrom(...validLookups)).map((d) => Buffer.from(toJsonText(d))),
      },
      { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }) },
    ),
    header: fc.oneof(
      { weight: 3, arbitrary: editedHeader(signed.header) },
      { weight: 1, arbitrary: fc.constantFrom(...signedAnswers.map((a) => a.header)) },
      { weight: 1, arbitrary: fc.string({ maxLength: 140 }) },
    ),
    question: fc.oneof(
      { weight: 3, arbitrary: fc.constant(signed.question) },
      {
        weight: 1,
        arbitrary: fc
          .record({
            field: fc.constantFrom('pseudonym', 'scene', 'terminalId', 'nonce' as const),
            value: fc.string({ maxLength: 24 }),
          })
          .map(({ field, value }) => ({ ...signed.question, [field]: value })),
      },
      { weight: 1, arbitrary: fc.constantFrom(...answerQuestions) },
    ),
    nowOffsetMs: fc.oneof(fc.constant(0), fc.integer({ min: -400_000, max: 400_000 })),
  });
});

const signedAnswer: FuzzTarget<AnswerInput, CreditStanding | null> = {
  name: 'signed-lookup-answer',
  input: 'lookup answers with edited signature headers, damaged bodies, other questions and clocks',
  arbitrary: answerInput,
  codes: ['PLATFORM_RESPONSE_INVALID', 'CREDIT_UNAVAILABLE'],
  run: (input) => {
    const trustList = trustLists[signedAnswers[input.base]!.alg];
    verifyLookupAnswer({
      question: input.question,
      body: input.body,
      signatureHeader: input.header,
      trustList,
      nowMs: T0 + input.nowOffsetMs,
    });
    const body = Buffer.from(input.body).toString('utf8');
    return asPlatformError(() =>
      parseLookup(response(200, body, { [ANSWER_SIGNATURE_HEADER]: input.header })),
    );
  },
  check: (output, input) => {
    // Accepted means: exactly the bytes the platform signed, for exactly this question, in the window.
    const accepted = signedAnswers.filter(
      (a) =>
        Buffer.compare(a.body, Buffer.from(input.body)) === 0 &&
        a.question.pseudonym === input.question.pseudonym &&
        a.question.scene === input.question.scene &&
        a.question.terminalId === input.question.terminalId &&
        a.question.nonce === input.question.nonce,
    );
    if (accepted.length === 0) violation('an answer nobody signed for this question was accepted');
    if (Math.abs(input.nowOffsetMs) > 301_000) violation('an answer outside the time window was accepted');
    if (output !== null) checkStanding(output, 'platform');
  },
  ciRuns: 1000,
};

// ---------------------------------------------------------------------------------------------
// Offline snapshots: the format parser, and the store that applies them

const snapshotKeys = createCreditIssuer({ seed: 'fuzz-snapshot', alg: 'Ed25519', now: T0 });
const snapshotKey = snapshotKeys.rootPrivateKey;
const snapshotPublicKey = snapshotKeys.rootPublicKey;

/** Domains the builder takes; mutations of the header bytes produce the ones it would not. */
const domainName = fc.oneof(
  fc.constantFrom('tourism', 'medical', 'market'),
  fc.string({ minLength: 1, maxLength: 12 }).filter((d) => !d.includes(',') && !d.includes(':')),
);

const snapshotRecords = fc.uniqueArray(
  fc.record({
    pseudonym: fc.uint8Array({ minLength: 16, maxLength: 16 }),
    tier: fc.constantFrom(...TIER_CODES, null),
    lists: fc.array(
      fc.record(
        {
          kind: fc.constantFrom('red' as const, 'black' as const, 'key-attention' as const),
          domain: domainName,
        },
        { requiredKeys: ['kind'] },
      ),
      { maxLength: 6 },
    ),
  }),
  { maxLength: 8, selector: (r) => Buffer.from(r.pseudonym).toString('hex') },
);

/** Full snapshots and deltas, with sequences and times near and at the edges of their fields. */
const snapshotBytes = fc.oneof(
  fc
    .record({
      records: snapshotRecords,
      sequence: fc.oneof(fc.integer({ min: 1, max: 100 }), fc.constant(Number.MAX_SAFE_INTEGER)),
      generatedAt: fc.oneof(fc.constant(T0), fc.integer({ min: 0, max: 8.64e15 })),
    })
    .map(({ records, sequence, generatedAt }) =>
      buildSnapshot(records as SnapshotRecord[], { privateKey: snapshotKey, sequence, generatedAt }),
    ),
  fc
    .record({
      upserts: snapshotRecords,
      deletions: fc.uniqueArray(fc.uint8Array({ minLength: 16, maxLength: 16 }), {
        maxLength: 4,
        selector: (b) => Buffer.from(b).toString('hex'),
      }),
      base: fc.integer({ min: 1, max: 100 }),
      step: fc.integer({ min: 1, max: 5 }),
    })
    .map(({ upserts, deletions, base, step }) =>
      buildDelta(
        { upserts: upserts as SnapshotRecord[], deletions },
        { privateKey: snapshotKey, sequence: base + step, baseSequence: base, generatedAt: T0 },
      ),
    ),
);

/** Re-signs `bytes` as the platform would: Ed25519 over SHA-256 of everything before the signature. */
function resign(bytes: Uint8Array): Buffer {
  const b = Buffer.from(bytes);
  if (b.length < SNAPSHOT_SIGNATURE_BYTES) return b;
  const end = b.length - SNAPSHOT_SIGNATURE_BYTES;
  sign(null, createHash('sha256').update(b.subarray(0, end)).digest(), snapshotKey).copy(b, end);
  return b;
}

/** Header fields by offset, so mutations hit the values the parser trusts. */
const HEADER_FIELDS = [4, 5, 6, 7, 8, 12, 20, 28, 36, 40, 60, 61];

const mutatedSnapshot = fc
  .record({
    bytes: snapshotBytes,
    edits: fc.array(
      fc.oneof(
        fc.record({
          at: fc.constantFrom(...HEADER_FIELDS),
          value: fc.integer({ min: 0, max: 255 }),
          word: fc.boolean(),
        }),
        fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }), word: fc.constant(false) }),
      ),
      { maxLength: 4 },
    ),
    length: fc.option(fc.integer({ min: -80, max: 40 }), { freq: 4 }),
    resigned: fc.boolean(),
  })
  .map(({ bytes, edits, length, resigned }) => {
    let b = Buffer.from(bytes);
    for (const { at, value, word } of edits) {
      const i = at % b.length;
      if (word) b.fill(value, i, Math.min(b.length, i + 4));
      else b[i] = value;
    }
    if (length !== null) {
      b =
        length < 0
          ? b.subarray(0, Math.max(0, b.length + length))
          : Buffer.concat([b, Buffer.alloc(length, 0xab)]);
    }
    return resigned ? resign(b) : b;
  });

function checkSnapshotRecord(record: { pseudonym: string; tier: unknown; lists: unknown }): void {
  if (record.pseudonym.length !== 22) violation('record pseudonym is not 22 characters');
  if (record.tier !== null) expectOneOf(record.tier, TIER_CODES, 'record tier');
  if (!Array.isArray(record.lists) || record.lists.length > 6) violation('record lists');
}

const snapshotFormat: FuzzTarget<Uint8Array, unknown> = {
  name: 'snapshot-format',
  input: 'snapshot and delta bytes: valid ones mutated (header fields, records, length), re-signed or not',
  arbitrary: fc.oneof(
    { weight: 8, arbitrary: mutatedSnapshot },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }) },
  ),
  codes: ['SNAPSHOT_INVALID', 'SNAPSHOT_SIGNATURE_INVALID'],
  run: (bytes) => {
    const verification = verifySnapshot(bytes, snapshotPublicKey);
    if (!verification.ok) return verification;
    const records = [];
    for (let i = 0; i < verification.header.recordCount; i++) {
      records.push(decodeSnapshotRecord(bytes, verification.header, i));
    }
    return { ...verification, records };
  },
  check: (output) => {
    const result = output as
      | { ok: false; reason: string }
      | {
          ok: true;
          header: Record<string, unknown>;
          records: Array<{ pseudonym: string; tier: unknown; lists: unknown }>;
        };
    if (!result.ok) {
      expectOneOf(
        result.reason,
        ['truncated', 'wrong-format', 'unsupported-version', 'bad-signature'],
        'reason',
      );
      return;
    }
    const h = result.header;
    expectInteger(h.sequence, 1, Number.MAX_SAFE_INTEGER, 'sequence');
    expectInteger(h.baseSequence, 0, Number.MAX_SAFE_INTEGER, 'baseSequence');
    // generatedAt becomes the asOf of every standing: it must be a time a Date can hold.
    if (!Number.isFinite(new Date(h.generatedAt as number).getTime()))
      violation(`generatedAt ${h.generatedAt}`);
    for (const record of result.records) checkSnapshotRecord(record);
  },
  ciRuns: 1000,
};

interface StoreFixture {
  store: SnapshotStore;
  /** A second connection to the same file: empties it between cases, as another process could. */
  wipe: () => void;
  close: () => void;
}

let storeFixture: StoreFixture | undefined;

async function openStoreFixture(): Promise<StoreFixture> {
  // On tmpfs when there is one: the store fsyncs every commit (synchronous = FULL).
  const dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'xinyi-fuzz-'));
  const path = join(dir, 'snapshot.db');
  const store = await openSnapshotStore({ path });
  const Driver = await loadSqliteDriver();
  const db = new Driver(path);
  const wipe = db.prepare('DELETE FROM subjects');
  const wipeMeta = db.prepare('DELETE FROM snapshot_meta');
  return {
    store,
    wipe: () => {
      wipe.run();
      wipeMeta.run();
    },
    close: () => {
      store.close();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const snapshotStore: FuzzTarget<{ full: Uint8Array; delta: Uint8Array | null }, unknown> = {
  name: 'snapshot-store',
  input: 'a full snapshot then a delta, mutated and re-signed, applied to a store and looked up',
  arbitrary: fc.record({
    full: fc.oneof({ weight: 3, arbitrary: snapshotBytes }, { weight: 1, arbitrary: mutatedSnapshot }),
    delta: fc.option(mutatedSnapshot),
  }),
  codes: ['SNAPSHOT_INVALID', 'SNAPSHOT_SIGNATURE_INVALID', 'SNAPSHOT_SEQUENCE_MISMATCH'],
  setup: async () => {
    storeFixture ??= await openStoreFixture();
  },
  teardown: () => {
    storeFixture?.close();
    storeFixture = undefined;
  },
  run: ({ full, delta }) => {
    const { store, wipe } = storeFixture!;
    // A store only takes snapshots newer than the one it holds: each case starts from an empty store,
    // so that it does not depend on the cases before it.
    wipe();
    const looked: Array<{ expected: unknown; got: unknown }> = [];
    let info: unknown = null;
    for (const bytes of delta === null ? [full] : [full, delta]) {
      let result: { count: number };
      try {
        result = store.apply(bytes, { publicKeys: snapshotPublicKey });
      } catch (error) {
        if (bytes === full) throw error;
        expectTyped(error, snapshotStore.codes, 'apply(delta)');
        break;
      }
      const header = parseSnapshotHeader(bytes);
      if (typeof result.count !== 'number') violation('apply result without a count');
      info = store.info();
      for (let i = 0; i < header.recordCount; i++) {
        const record = decodeSnapshotRecord(bytes, header, i);
        looked.push({ expected: record, got: store.lookup(record.pseudonym) });
      }
    }
    return { looked, info };
  },
  check: (output) => {
    const { looked, info } = output as {
      looked: Array<{
        expected: { tier: unknown; lists: unknown };
        got: { tier: unknown; lists: unknown } | null;
      }>;
      info: { generatedAt: string } | null;
    };
    for (const { expected, got } of looked) {
      if (got === null) violation('an applied record is not found');
      if (
        JSON.stringify(got.tier) !== JSON.stringify(expected.tier) ||
        JSON.stringify(got.lists) !== JSON.stringify(expected.lists)
      ) {
        violation(`lookup returns ${JSON.stringify(got)} for the record ${JSON.stringify(expected)}`);
      }
    }
    if (info !== null) expectIsoTime(info.generatedAt, 'info().generatedAt');
  },
  ciRuns: 400,
};

// ---------------------------------------------------------------------------------------------
// Policy packs, gate configuration, scenarios

const miniPack: PolicyPack = {
  ...qingzhouPolicyPack,
  rules: qingzhouPolicyPack.rules.slice(0, 3),
};

const policyPackTarget: FuzzTarget<unknown, PolicyPack> = {
  name: 'policy-pack',
  input: 'policy pack JSON: the Qingzhou pack and a small pack mutated, any JSON',
  arbitrary: fc.oneof(
    { weight: 1, arbitrary: mutatedJson(fc.constant(qingzhouPolicyPack)) },
    { weight: 4, arbitrary: mutatedJson(fc.constant(miniPack)) },
    { weight: 1, arbitrary: jsonish },
  ),
  codes: ['POLICY_PACK_INVALID'],
  run: (data) => loadPolicyPack(data),
  check: (pack) => {
    // A pack the validator accepted must be one evaluate can use, in every scene.
    for (const scene of SCENE_IDS) {
      for (const tier of [TIER_CODES[0], TIER_CODES[3], null]) {
        try {
          const decision = evaluate(pack, {
            scene,
            standing: {
              tier,
              lists: tier === null ? [{ kind: 'red' }] : [],
              source: 'platform',
              asOf: '2026-06-01T09:00:00Z',
            },
            now: T0,
            context: { siteId: 'yunmenshan', amountFen: 10_000 },
          });
          if (typeof decision.outcome !== 'string') violation('decision without an outcome');
        } catch (error) {
          expectTyped(
            error,
            ['INVALID_ARGUMENT', 'CALENDAR_INVALID'],
            `evaluate(${scene}) on an accepted pack`,
          );
        }
      }
    }
  },
  ciRuns: 400,
};

// ---------------------------------------------------------------------------------------------
// Signed documents: calendar and policy pack (sdk/documents)

const DOC_NOW = Date.parse('2027-06-01T10:00:00Z');
const documentKeys: DocumentKeys = (kid, usage) => trustLists.Ed25519.keysFor(kid, usage);
const validCalendarContent = {
  format: CALENDAR_DOCUMENT_FORMAT,
  version: 3,
  issuedAt: '2026-11-20T10:00:00+08:00',
  years: [YEAR_2027, ...computedYears(2028, 2028)],
};
const validPolicyContent = {
  format: POLICY_DOCUMENT_FORMAT,
  version: 2,
  issuedAt: '2026-11-20T10:00:00+08:00',
  effectiveFrom: '2027-01-01T00:00:00+08:00',
  pack: miniPack,
};

/** Signed contents (mutated, or any JSON) that reach the kind's parser, and garbage envelopes that do not. */
function signedDocuments(valid: unknown, key: KeyObject): fc.Arbitrary<string> {
  const signed = (content: unknown) => {
    const payload = toJsonText(content);
    return JSON.stringify({
      payload,
      kid: keyIdOf(key),
      signature: sign(null, Buffer.from(payload), key).toString('base64'),
    });
  };
  return fc.oneof(
    { weight: 6, arbitrary: mutatedJson(fc.constant(valid)).map(signed) },
    { weight: 1, arbitrary: jsonish.map(signed) },
    {
      weight: 1,
      arbitrary: fc
        .record({
          payload: fc.oneof(fc.string(), jsonish),
          kid: jsonish,
          signature: fc.oneof(fc.base64String(), jsonish),
        })
        .map(toJsonText),
    },
    { weight: 1, arbitrary: fc.oneof(fc.string(), jsonish.map(toJsonText)) },
  );
}

const calendarDocumentTarget: FuzzTarget<string, HolidayCalendar> = {
  name: 'calendar-document',
  input: 'signed calendar documents: mutated valid contents and any JSON signed by the calendar key; garbage',
  arbitrary: signedDocuments(validCalendarContent, issuers.Ed25519.calendarPrivateKey),
  codes: ['DOCUMENT_INVALID', 'CALENDAR_INVALID'],
  run: (text) => {
    const document = verifyDocument(text, calendarDocumentKind, { keys: documentKeys, now: DOC_NOW });
    // As the keeper does: the years over the bundled ones, provisional years around them.
    const years = new Map(chinaHolidayData.years.map((y) => [y.year, y] as const));
    for (const y of document.content.holidayYears) years.set(y.year, y);
    return createHolidayCalendar(
      { version: 'fuzz', years: [...years.values()].sort((a, b) => a.year - b.year) },
      { provisional: true },
    );
  },
  check: (calendar, text) => {
    const content = JSON.parse(JSON.parse(text).payload) as {
      years: { year: number; periods: { from: string; to: string }[] }[];
    };
    for (const { year, periods } of content.years) {
      if (!calendar.officialYears.includes(year)) violation(`year ${year} not official`);
      for (const p of periods) {
        const info = calendar.dayInfo(p.from);
        if (info.kind !== 'statutory-holiday' || info.provisional)
          violation(`${p.from} not an official holiday`);
      }
    }
    const coverage = calendarCoverage(calendar, DOC_NOW);
    if (!Number.isInteger(coverage.officialDaysLeft) || coverage.officialDaysLeft < 0) violation('coverage');
  },
  ciRuns: 300,
};

const policyDocumentTarget: FuzzTarget<string, PolicyDocument> = {
  name: 'policy-document',
  input: 'signed policy-pack documents: mutated valid contents and any JSON signed by the pack key; garbage',
  arbitrary: signedDocuments(validPolicyContent, issuers.Ed25519.policyPackPrivateKey),
  codes: ['DOCUMENT_INVALID', 'POLICY_PACK_INVALID'],
  run: (text) => verifyDocument(text, policyDocumentKind, { keys: documentKeys, now: DOC_NOW }).content,
  check: (document) => {
    if (!Number.isFinite(document.effectiveFrom)) violation('effectiveFrom not finite');
    const decision = evaluate(document.pack, {
      scene: 'scenic-gate',
      standing: { tier: 'A', lists: [], source: 'platform', asOf: new Date(DOC_NOW - HOUR).toISOString() },
      now: DOC_NOW,
      context: { siteId: 'yunmenshan' },
    });
    if (typeof decision.outcome !== 'string') violation('decision without an outcome');
  },
  ciRuns: 300,
};

const exampleGateConfig = JSON.parse(
  readFileSync(new URL('../../examples/scenic-gate/gate.json', import.meta.url), 'utf8'),
);
const gateConfigVariants: unknown[] = [
  exampleGateConfig,
  {
    ...exampleGateConfig,
    devices: {
      scanners: [{ type: 'hid', mode: 'keyboard-wedge', vendorId: 0x0c2e }],
      gate: {
        protocol: 'modbus-relay',
        link: { tcp: { host: '10.0.0.5', port: 502 } },
        unitId: 1,
        pulseMs: 300,
      },
    },
    clock: { startAt: '2026-10-03T09:00:00+08:00' },
  },
  {
    terminalId: 't',
    pseudonymKey: { env: 'KEY' },
    dataDir: '/d',
    devices: { gate: { protocol: 'flap-7e', link: { serial: { path: '/dev/ttyS0' } }, machine: 1 } },
  },
];

// ---------------------------------------------------------------------------------------------
// Organisation credentials: typed codes, scanned codes, business-licence QR payloads

const ORGANISATION_PROBLEMS = [
  'length',
  'charset',
  'region',
  'organisation-code-check',
  'check-char',
  'empty',
  'too-long',
  'licence-qr-unrecognised',
  'licence-qr-without-code',
  'licence-qr-ambiguous',
] as const;

const validCreditCode = fc.integer({ min: 0, max: 2 ** 31 - 1 }).map((seed) =>
  generateSocialCreditCode(createRng(seed), {
    prefix: ['91', '92', '93', '52', '12'][seed % 5]!,
    regionCode: seed % 2 === 0 ? '370781' : '110105',
  }),
);
const creditCodeLike = fc.oneof(
  validCreditCode,
  // One or two characters replaced by anything (a misread or mistyped code).
  fc
    .tuple(validCreditCode, fc.integer({ min: 0, max: 17 }), fc.string({ minLength: 1, maxLength: 2 }))
    .map(([code, at, ch]) => code.slice(0, at) + ch + code.slice(at + 1)),
  validCreditCode.map((code) => code.toLowerCase()),
  validCreditCode.map((code) => [...code].map((c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0)).join('')),
);
const licencePayload = fc.oneof(
  creditCodeLike,
  fc
    .tuple(
      fc.constantFrom('http://', 'https://', 'HTTPS://', 'ftp://', ''),
      fc.constantFrom(
        'www.gsxt.gov.cn',
        'sd.gsxt.gov.cn',
        'gsxt.gov.cn',
        'gsxt.gov.cn.example.com',
        'example.com',
      ),
      fc.array(fc.oneof(creditCodeLike, fc.webSegment()), { maxLength: 3 }),
      fc.array(fc.tuple(fc.constantFrom('uniscid', 'code', 'x', ''), fc.oneof(creditCodeLike, fc.string())), {
        maxLength: 3,
      }),
    )
    .map(
      ([scheme, host, path, query]) =>
        `${scheme}${host}/${path.join('/')}${query.length > 0 ? `?${query.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')}` : ''}`,
    ),
  fc.string({ maxLength: 64 }),
  fc.string({ unit: 'binary', maxLength: 64 }),
  fc.string({ minLength: 2040, maxLength: 2100 }),
);

const organisationCredential: FuzzTarget<
  { entry: OrganisationEntry; text: string },
  ReturnType<typeof readOrganisationCode>
> = {
  name: 'organisation-credential',
  input: 'typed and scanned credit codes (valid, misread, full-width) and business-licence QR payloads',
  arbitrary: fc.record({ entry: fc.constantFrom('typed', 'scanned', 'licence-qr'), text: licencePayload }),
  codes: [],
  run: (input) => readOrganisationCode(input),
  check: (output, input) => {
    if ('code' in output) {
      if (
        !isValidSocialCreditCode(output.code) ||
        output.code !== output.code.toUpperCase() ||
        output.code.length !== 18
      )
        violation('a code that is not canonical and valid');
      if (input.entry !== 'licence-qr' && output.code !== input.text.normalize('NFKC').trim().toUpperCase())
        violation('a typed or scanned code other than the text');
      return;
    }
    expectOneOf(output.problem, ORGANISATION_PROBLEMS, 'problem');
  },
  ciRuns: 3000,
};

const gateConfig: FuzzTarget<unknown, unknown> = {
  name: 'gate-config',
  input: 'gate daemon configuration JSON: example configurations mutated, any JSON',
  arbitrary: fc.oneof(
    { weight: 5, arbitrary: mutatedJson(fc.constantFrom(...gateConfigVariants)) },
    { weight: 1, arbitrary: jsonish },
  ),
  codes: ['CONFIG_INVALID'],
  run: (value) => parseGateConfig(value, 'gate.json'),
  check: (config) => {
    const c = config as { terminalId: unknown; devices: { gate: { protocol: unknown } }; dataDir: unknown };
    if (typeof c.terminalId !== 'string' || typeof c.dataDir !== 'string')
      violation('required fields missing');
    expectOneOf(c.devices.gate.protocol, ['aa-frame', 'flap-7e', 'modbus-relay'], 'gate protocol');
  },
  ciRuns: 1500,
};

const exampleScenario = JSON.parse(
  readFileSync(new URL('../../examples/scenarios/every-fault.json', import.meta.url), 'utf8'),
);
const shortScenario = { name: 's', events: (exampleScenario as { events: unknown[] }).events.slice(0, 6) };

const scenario: FuzzTarget<unknown, unknown> = {
  name: 'scenario',
  input: 'simulator scenario JSON: the example scenarios mutated, any JSON',
  arbitrary: fc.oneof(
    { weight: 1, arbitrary: mutatedJson(fc.constant(exampleScenario)) },
    { weight: 4, arbitrary: mutatedJson(fc.constant(shortScenario)) },
    { weight: 1, arbitrary: jsonish },
  ),
  codes: ['CONFIG_INVALID'],
  run: (value) => parseScenario(value, 'scenario.json'),
  check: (output) => {
    const s = output as { name: unknown; events: Array<{ kind: unknown }> };
    if (typeof s.name !== 'string') violation('scenario without a name');
    for (const event of s.events) {
      expectOneOf(
        event.kind,
        ['tap', 'code', 'fault', 'unplug', 'revoke', 'clock', 'behaviour', 'wait', 'ready', 'note'],
        'event kind',
      );
    }
  },
  ciRuns: 1500,
};

/** Every fuzz target, in the order `npm run fuzz` runs them. */
export const FUZZ_TARGETS: readonly FuzzTarget<never, never>[] = [
  samResponses,
  samCommands,
  cardText,
  keyboardWedge,
  hidPos,
  serialScanner,
  creditCode,
  aaFrame,
  flapReply,
  flapCommand,
  modbusRequest,
  modbusResponse,
  platformResponse,
  signedAnswer,
  trustList,
  statusList,
  snapshotFormat,
  snapshotStore,
  policyPackTarget,
  calendarDocumentTarget,
  policyDocumentTarget,
  gateConfig,
  organisationCredential,
  scenario,
] as unknown as FuzzTarget<never, never>[];

export function findTarget(name: string): FuzzTarget<never, never> | undefined {
  return FUZZ_TARGETS.find((t) => t.name === name);
}
