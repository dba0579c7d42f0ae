// ID-card reader: SAM frames both ways, SAM payloads, card text.
import fc from 'fast-check';
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
} from '../../../adapters/id-card/index.js';
import { isXinyiError } from '../../../sdk/errors.js';
import { REFERENCE_RESIDENT_TEXT } from '../../adapters/id-card/fixtures.js';
import { byteStream, expectTyped, type FuzzTarget, violation } from '../harness.js';
import {
  checkItems,
  expectBounded,
  expectByte,
  FRAME_ERRORS,
  runStream,
  type StreamRun,
} from '../stream-checks.js';
import { T0 } from './credit-fixtures.js';

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

export const samResponses: FuzzTarget<SamStreamInput, StreamRun<unknown> & { maxLength: number }> = {
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

export const samCommands: FuzzTarget<SamStreamInput, StreamRun<unknown> & { maxLength: number }> = {
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

export const cardText: FuzzTarget<{ bytes: Uint8Array; now: number; check: 'none' | 'gb11643-check-digit' }> =
  {
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
