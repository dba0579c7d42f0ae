import { describe, expect, it } from 'vitest';
import type { FrameDecoder } from '../../../adapters/framing/frame-decoder.js';
import {
  AaFrameDecoder,
  encodeAaStatusReply,
  encodeFlapReply,
  encodeRegistersResponse,
  FlapFrameDecoder,
  ModbusResponseDecoder,
} from '../../../adapters/gate/index.js';
import { encodeSamResponse, SamFrameDecoder } from '../../../adapters/id-card/index.js';
import { isXinyiError } from '../../../sdk/errors.js';
import { bytewise, hex, splitAt } from '../id-card/helpers.js';

// The garbage-reporting policy every device decoder shares (adapters/framing/frame-decoder.ts),
// checked on each of them with the same streams, so that `frameErrors` means the same everywhere.

interface Protocol {
  name: string;
  decoder: () => FrameDecoder<unknown>;
  /** Two good frames. */
  good: [Buffer, Buffer];
  /** A damaged frame (its check fails) holding a second start marker inside its bytes. */
  damagedWithInnerStart: Buffer;
  /** Noise with no start marker in it. */
  noise: Buffer;
}

function flipLast(frame: Buffer): Buffer {
  const copy = Buffer.from(frame);
  copy[copy.length - 1] = copy.at(-1)! ^ 0x5a;
  return copy;
}

const flapReply = (leftCount: number) =>
  encodeFlapReply({
    version: 1,
    machine: 1,
    fault: 0,
    gateStatus: 0,
    alarm: 0,
    leftCount,
    rightCount: 0,
    infrared: 0,
    cmdExec: 0,
    vcc: 0,
    u1: 0,
    u2: 0,
  });

const PROTOCOLS: Protocol[] = [
  {
    name: 'SAM (AA AA AA 96 69)',
    decoder: () => new SamFrameDecoder(),
    good: [encodeSamResponse(0, 0, 0x80), encodeSamResponse(0, 0, 0x9f, hex('00 00 00 00'))],
    damagedWithInnerStart: flipLast(encodeSamResponse(0, 0, 0x90, hex('AA AA AA 96 69 00 04 00 00'))),
    noise: hex('00 13 37 96 69 FF'),
  },
  {
    name: 'AA frame',
    decoder: () => new AaFrameDecoder(),
    good: [
      encodeAaStatusReply({ stateCode: 0, entryCount: 1, exitCount: 2 }, { source: 0x0b }),
      encodeAaStatusReply({ stateCode: 3, entryCount: 2, exitCount: 2 }, { source: 0x0b }),
    ],
    // Entry count 0xAA00xx puts `AA 00` at bytes 9–10: a second start inside the damaged frame.
    damagedWithInnerStart: flipLast(
      encodeAaStatusReply({ stateCode: 0, entryCount: 0xaa0001, exitCount: 0 }, { source: 0x0b }),
    ),
    noise: hex('00 13 37 55 FF'),
  },
  {
    name: '7E/7F flap reply',
    decoder: () => new FlapFrameDecoder(),
    good: [flapReply(1), flapReply(2)],
    damagedWithInnerStart: flipLast(flapReply(0x7f0000)),
    noise: hex('00 13 37 7E FF'),
  },
  {
    name: 'Modbus RTU reply',
    decoder: () => new ModbusResponseDecoder(),
    good: [encodeRegistersResponse(1, 0x03, [1, 2]), encodeRegistersResponse(1, 0x03, [3])],
    // Every byte from 1 to 247 could start a frame: 01 03 inside is one more candidate.
    damagedWithInnerStart: flipLast(encodeRegistersResponse(1, 0x03, [0x0103, 0x0204])),
    noise: hex('00 F8 FF FE 00'),
  },
];

/** Frames as hex of their fields, errors as their code. */
function shape(items: readonly unknown[]): string[] {
  return items.map((item) => (isXinyiError(item) ? item.code : JSON.stringify(item)));
}

function everySplit(stream: Buffer): Buffer[][] {
  const splits: Buffer[][] = [[stream], bytewise(stream) as Buffer[]];
  for (let at = 0; at <= stream.length; at++) splits.push(splitAt(stream, at) as Buffer[]);
  return splits;
}

function decodeAll(decoder: FrameDecoder<unknown>, chunks: readonly Uint8Array[]): unknown[] {
  const out = chunks.flatMap((chunk) => decoder.push(chunk));
  return [...out, ...decoder.flush()];
}

describe.each(PROTOCOLS)('the shared framing policy: $name', (p) => {
  const [a, b] = p.good;
  const frameA = shape(p.decoder().push(a));
  const frameB = shape(p.decoder().push(b));

  it('decodes good frames between noise silently, and counts only the noise as discarded', () => {
    const stream = Buffer.concat([p.noise, a, p.noise, b]);
    for (const chunks of everySplit(stream)) {
      const decoder = p.decoder();
      expect(shape(decodeAll(decoder, chunks))).toEqual([...frameA, ...frameB]);
      expect(decoder.discardedBytes).toBe(2 * p.noise.length);
      expect(decoder.pending).toBe(0);
    }
  });

  it('reports a damaged frame once even when a second start lies inside it, and finds the next good frame', () => {
    const stream = Buffer.concat([a, p.damagedWithInnerStart, b]);
    for (const chunks of everySplit(stream)) {
      expect(shape(decodeAll(p.decoder(), chunks))).toEqual([...frameA, 'FRAME_CHECKSUM', ...frameB]);
    }
  });

  it('reports two damaged frames that do not overlap twice', () => {
    const damaged = flipLast(a);
    const stream = Buffer.concat([damaged, p.noise, damaged, b]);
    for (const chunks of everySplit(stream)) {
      expect(shape(decodeAll(p.decoder(), chunks))).toEqual(['FRAME_CHECKSUM', 'FRAME_CHECKSUM', ...frameB]);
    }
  });

  it('a good frame ends the damaged stretch: damage right after it is reported again', () => {
    const stream = Buffer.concat([flipLast(a), b, flipLast(a)]);
    expect(shape(decodeAll(p.decoder(), [stream]))).toEqual(['FRAME_CHECKSUM', ...frameB, 'FRAME_CHECKSUM']);
  });

  it('flush() reports a frame cut short once, then is empty; reset() drops held bytes silently', () => {
    const decoder = p.decoder();
    expect(decoder.push(b.subarray(0, b.length - 1))).toEqual([]);
    expect(decoder.pending).toBe(b.length - 1);
    const flushed = decoder.flush();
    expect(shape(flushed)).toEqual(['FRAME_LENGTH']);
    expect(isXinyiError(flushed[0]) && flushed[0].details.truncated).toBe(true);
    expect(decoder.pending).toBe(0);
    expect(decoder.flush()).toEqual([]);
    decoder.push(a.subarray(0, 3));
    decoder.reset();
    expect(decoder.pending).toBe(0);
    expect(shape(decoder.push(b))).toEqual(frameB);
  });

  it('refuses a chunk that is not bytes with INVALID_ARGUMENT', () => {
    const decoder = p.decoder();
    expect(() => decoder.push('AA' as unknown as Uint8Array)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});
