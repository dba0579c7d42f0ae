import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  encodeSamCommand,
  encodeSamResponse,
  SAM_PREAMBLE,
  SamCommandDecoder,
  SamFrameDecoder,
} from '../../../adapters/id-card/index.js';
import { isXinyiError } from '../../../sdk/errors.js';
import { summarize } from './helpers.js';

const PREAMBLE = Buffer.from(SAM_PREAMBLE);

/** Bytes biased towards preamble fragments, so the fuzzer reaches the resync paths. */
const noisyByte = fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0xaa, 0x96, 0x69, 0x00));
const noisyBytes = (maxLength: number) =>
  fc
    .array(
      fc.oneof(
        { weight: 4, arbitrary: noisyByte.map((b) => [b]) },
        { weight: 1, arbitrary: fc.constant([...SAM_PREAMBLE]) },
        { weight: 1, arbitrary: fc.subarray([...SAM_PREAMBLE], { minLength: 1 }) },
      ),
      { maxLength },
    )
    .map((parts) => Uint8Array.from(parts.flat()));

/** Garbage that holds no complete preamble (partial ones are allowed). */
const preambleFreeGarbage = noisyBytes(80).filter((g) => Buffer.from(g).indexOf(PREAMBLE) < 0);

const responseFrame = fc
  .record({
    sw1: fc.integer({ min: 0, max: 255 }),
    sw2: fc.integer({ min: 0, max: 255 }),
    sw3: fc.integer({ min: 0, max: 255 }),
    data: fc.uint8Array({ maxLength: 64 }),
  })
  .map(({ sw1, sw2, sw3, data }) => ({
    frame: encodeSamResponse(sw1, sw2, sw3, data),
    expected: { sw1, sw2, sw3, data: Buffer.from(data) },
  }));

function preambleOffsets(stream: Buffer): number[] {
  const found: number[] = [];
  for (let at = stream.indexOf(PREAMBLE); at >= 0; at = stream.indexOf(PREAMBLE, at + 1)) found.push(at);
  return found;
}

/** Cuts `bytes` into chunks at the (sorted, deduplicated) cut points. */
function cut(bytes: Uint8Array, points: number[]): Uint8Array[] {
  const sorted = [...new Set(points.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const p of sorted) {
    chunks.push(bytes.subarray(from, p));
    from = p;
  }
  chunks.push(bytes.subarray(from));
  return chunks;
}

const cutPoints = fc.array(fc.nat(), { maxLength: 12 });

describe('SamFrameDecoder (fuzz)', () => {
  it('never throws on random chunks and returns only responses or XinyiErrors; flush empties it', () => {
    fc.assert(
      fc.property(fc.array(noisyBytes(200), { maxLength: 8 }), (chunks) => {
        const d = new SamFrameDecoder();
        const out = chunks.flatMap((c) => d.push(c));
        out.push(...d.flush());
        for (const item of out) {
          if (isXinyiError(item)) expect(['FRAME_LENGTH', 'FRAME_CHECKSUM']).toContain(item.code);
          else expect(Buffer.isBuffer(item.data)).toBe(true);
        }
        expect(d.pending).toBe(0);
      }),
      { numRuns: 500 },
    );
  });

  it('always recovers a valid frame appended after random garbage, at any chunking', () => {
    fc.assert(
      fc.property(preambleFreeGarbage, responseFrame, cutPoints, (garbage, { frame, expected }, points) => {
        const stream = Buffer.concat([garbage, frame]);
        const d = new SamFrameDecoder();
        const out = cut(stream, points).flatMap((c) => d.push(c));
        expect(out).toEqual([expected]);
        expect(d.pending).toBe(0);
        expect(d.discardedBytes).toBe(garbage.length);
      }),
      { numRuns: 500 },
    );
  });

  it('gives the same output however a noisy stream (full preambles, valid frames) is chunked', () => {
    const piece = fc.oneof(
      noisyBytes(40),
      responseFrame.map((r) => r.frame),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 8 }), cutPoints, (pieces, points) => {
        const stream = Buffer.concat(pieces);
        const whole = new SamFrameDecoder();
        const reference = [...whole.push(stream), ...whole.flush()];
        const chunked = new SamFrameDecoder();
        const out = [...cut(stream, points).flatMap((c) => chunked.push(c)), ...chunked.flush()];
        expect(summarize(out)).toEqual(summarize(reference));
        expect(chunked.discardedBytes).toBe(whole.discardedBytes);
      }),
      { numRuns: 500 },
    );
  });

  it('a frame with a corrupted checksum becomes FRAME_CHECKSUM in place; every other frame survives', () => {
    const item = fc.record({
      garbage: preambleFreeGarbage,
      response: responseFrame,
      corrupt: fc.boolean(),
      flip: fc.integer({ min: 1, max: 255 }),
    });
    fc.assert(
      fc.property(fc.array(item, { minLength: 1, maxLength: 6 }), cutPoints, (items, points) => {
        const parts: Buffer[] = [];
        const expected: unknown[] = [];
        const frameStarts: number[] = [];
        let offset = 0;
        for (const { garbage, response, corrupt, flip } of items) {
          const frame = Buffer.from(response.frame);
          if (corrupt) frame[frame.length - 1] = frame.at(-1)! ^ flip;
          parts.push(Buffer.from(garbage), frame);
          frameStarts.push(offset + garbage.length);
          offset += garbage.length + frame.length;
          expected.push(corrupt ? { error: 'FRAME_CHECKSUM' } : summarize([response.expected])[0]);
        }
        const stream = Buffer.concat(parts);
        // A corrupted frame is rescanned from just after its preamble, so a preamble formed by
        // chance elsewhere (e.g. a CHK flipped to 0xAA followed by garbage "AA AA 96 69") would be
        // decoded too and legitimately add an error; this property is about streams without one.
        fc.pre(preambleOffsets(stream).join() === frameStarts.join());
        const d = new SamFrameDecoder();
        const out = cut(stream, points).flatMap((c) => d.push(c));
        expect(summarize(out)).toMatchObject(expected);
        expect(out).toHaveLength(expected.length);
      }),
      { numRuns: 300 },
    );
  });
});

describe('SamCommandDecoder (fuzz)', () => {
  it('never throws and recovers a command after preamble-free garbage', () => {
    const command = fc.record({
      cmd: fc.integer({ min: 0, max: 255 }),
      para: fc.integer({ min: 0, max: 255 }),
      data: fc.uint8Array({ maxLength: 16 }),
    });
    fc.assert(
      fc.property(preambleFreeGarbage, command, cutPoints, (garbage, { cmd, para, data }, points) => {
        const stream = Buffer.concat([garbage, encodeSamCommand(cmd, para, data)]);
        const d = new SamCommandDecoder();
        const out = cut(stream, points).flatMap((c) => d.push(c));
        expect(out).toEqual([{ cmd, para, data: Buffer.from(data) }]);
      }),
      { numRuns: 300 },
    );
  });
});
