import { describe, expect, it } from 'vitest';
import {
  encodeSamCommand,
  encodeSamResponse,
  SAM_DEFAULT_MAX_LENGTH,
  SamCommandDecoder,
  SamFrameDecoder,
  samChecksum,
} from '../../../adapters/id-card/index.js';
import { isXinyiError, XinyiError } from '../../../sdk/errors.js';
import { bytewise, feed, hex, splitAt, summarize, toHex } from './helpers.js';

// docs/protocols.md §1.3 worked example.
const FIND_CARD = 'AA AA AA 96 69 00 03 20 01 22';

// §1.4 command table: [cmd, para, data, complete frame], quoted byte-exact.
const COMMAND_VECTORS: Array<[string, number, number, number[], string]> = [
  ['reset SAM', 0x10, 0xff, [], 'AA AA AA 96 69 00 03 10 FF EC'],
  ['SAM status', 0x11, 0xff, [], 'AA AA AA 96 69 00 03 11 FF ED'],
  ['read SAM ID', 0x12, 0xff, [], 'AA AA AA 96 69 00 03 12 FF EE'],
  ['find card', 0x20, 0x01, [], 'AA AA AA 96 69 00 03 20 01 22'],
  ['select card', 0x20, 0x02, [], 'AA AA AA 96 69 00 03 20 02 21'],
  ['read base', 0x30, 0x01, [], 'AA AA AA 96 69 00 03 30 01 32'],
  ['read newest address', 0x30, 0x03, [], 'AA AA AA 96 69 00 03 30 03 30'],
  ['read base + fingerprint', 0x30, 0x10, [], 'AA AA AA 96 69 00 03 30 10 23'],
  ['baud 115200', 0x60, 0x00, [], 'AA AA AA 96 69 00 03 60 00 63'],
  ['baud 57600', 0x60, 0x01, [], 'AA AA AA 96 69 00 03 60 01 62'],
  ['baud 38400', 0x60, 0x02, [], 'AA AA AA 96 69 00 03 60 02 61'],
  ['baud 19200', 0x60, 0x03, [], 'AA AA AA 96 69 00 03 60 03 60'],
  ['baud 9600', 0x60, 0x04, [], 'AA AA AA 96 69 00 03 60 04 67'],
  ['max RF bytes 0x50', 0x61, 0xff, [0x50], 'AA AA AA 96 69 00 04 61 FF 50 CA'],
];

// §1.5 response vectors: [name, frame, sw3, data].
const RESPONSE_VECTORS: Array<[string, string, number, string]> = [
  ['find card success', 'AA AA AA 96 69 00 08 00 00 9F 00 00 00 00 97', 0x9f, '00 00 00 00'],
  [
    'select card success',
    'AA AA AA 96 69 00 0C 00 00 90 00 00 00 00 00 00 00 00 9C',
    0x90,
    '00 00 00 00 00 00 00 00',
  ],
  ['SAM status OK (derived ❓)', 'AA AA AA 96 69 00 04 00 00 90 94', 0x90, ''],
  ['find: no card (sFIND_NO_CARD)', 'AA AA AA 96 69 00 04 00 00 80 84', 0x80, ''],
  ['select: no card (sSELECT_NO_CARD)', 'AA AA AA 96 69 00 04 00 00 81 85', 0x81, ''],
  ['read: no card (sREAD_NO_CARD)', 'AA AA AA 96 69 00 04 00 00 41 45', 0x41, ''],
  ['SAM auth card failed (softs.im)', 'AA AA AA 96 69 00 04 00 00 32 36', 0x32, ''],
];

const NO_CARD = hex('AA AA AA 96 69 00 04 00 00 80 84');
const FOUND = hex('AA AA AA 96 69 00 08 00 00 9F 00 00 00 00 97');
const SELECTED = hex('AA AA AA 96 69 00 0C 00 00 90 00 00 00 00 00 00 00 00 9C');

function responses(items: ReadonlyArray<unknown>) {
  return items.filter((i) => !isXinyiError(i));
}

describe('encodeSamCommand', () => {
  it('builds the §1.3 worked example (find card, CHK 0x22)', () => {
    expect(toHex(encodeSamCommand(0x20, 0x01))).toBe(FIND_CARD);
  });

  it.each(COMMAND_VECTORS)('builds §1.4 %s', (_name, cmd, para, data, frame) => {
    const encoded = encodeSamCommand(cmd, para, data.length > 0 ? Uint8Array.from(data) : undefined);
    expect(toHex(encoded)).toBe(frame);
    expect(Buffer.isBuffer(encoded)).toBe(true);
  });

  it('LEN counts CMD + PARA + data + CHK, big-endian; total = LEN + 7', () => {
    const frame = encodeSamCommand(0x01, 0x02, new Uint8Array(300));
    expect(frame.readUInt16BE(5)).toBe(2 + 300 + 1);
    expect(frame.length).toBe(300 + 10);
    expect(frame[frame.length - 1]).toBe(samChecksum(frame, 5, frame.length - 1));
  });

  it('rejects non-byte cmd/para and oversize data with INVALID_ARGUMENT', () => {
    for (const [cmd, para] of [
      [256, 0],
      [0, -1],
      [1.5, 0],
      [Number.NaN, 0],
    ] as const) {
      expect(() => encodeSamCommand(cmd, para)).toThrow(XinyiError);
      try {
        encodeSamCommand(cmd, para);
      } catch (e) {
        expect(isXinyiError(e, 'INVALID_ARGUMENT')).toBe(true);
      }
    }
    expect(() => encodeSamCommand(0, 0, new Uint8Array(0xffff - 2))).toThrow(/16-bit LEN/);
    expect(encodeSamCommand(0, 0, new Uint8Array(0xffff - 3)).readUInt16BE(5)).toBe(0xffff);
  });
});

describe('encodeSamResponse', () => {
  it.each(RESPONSE_VECTORS)('builds §1.5 %s', (_name, frame, sw3, data) => {
    expect(toHex(encodeSamResponse(0, 0, sw3, data === '' ? undefined : hex(data)))).toBe(frame);
  });

  it('rejects non-byte status words', () => {
    expect(() => encodeSamResponse(0, 0, 0x100)).toThrow(XinyiError);
    expect(() => encodeSamResponse(-1, 0, 0x90)).toThrow(XinyiError);
  });
});

describe('SamFrameDecoder', () => {
  it.each(RESPONSE_VECTORS)(
    'decodes §1.5 %s whole and split at every chunk boundary',
    (_n, frame, sw3, data) => {
      const bytes = hex(frame);
      const expected = [{ sw1: 0, sw2: 0, sw3, data: hex(data) }];
      expect(new SamFrameDecoder().push(bytes)).toEqual(expected);
      for (let i = 0; i <= bytes.length; i++) {
        const d = new SamFrameDecoder();
        expect(feed(d, splitAt(bytes, i)), `split at ${i}`).toEqual(expected);
        expect(d.pending).toBe(0);
      }
      expect(feed(new SamFrameDecoder(), bytewise(bytes))).toEqual(expected);
    },
  );

  it('returns nothing and holds the bytes while a frame is incomplete (pending)', () => {
    const d = new SamFrameDecoder();
    expect(d.push(FOUND.subarray(0, 9))).toEqual([]);
    expect(d.pending).toBe(9);
    expect(d.push(FOUND.subarray(9))).toHaveLength(1);
    expect(d.pending).toBe(0);
  });

  it('decodes back-to-back frames in one chunk, in order', () => {
    const stream = Buffer.concat([NO_CARD, FOUND, SELECTED, NO_CARD]);
    expect(summarize(new SamFrameDecoder().push(stream))).toEqual([
      { sw1: 0, sw2: 0, sw3: 0x80, data: '' },
      { sw1: 0, sw2: 0, sw3: 0x9f, data: '00 00 00 00' },
      { sw1: 0, sw2: 0, sw3: 0x90, data: '00 00 00 00 00 00 00 00' },
      { sw1: 0, sw2: 0, sw3: 0x80, data: '' },
    ]);
  });

  it('decodes a multi-frame stream identically one byte at a time and split at any two boundaries', () => {
    const stream = Buffer.concat([hex('00 13 AA'), NO_CARD, hex('AA AA'), FOUND, SELECTED, hex('FF')]);
    const expected = summarize(new SamFrameDecoder().push(stream));
    expect(expected).toHaveLength(3);
    expect(summarize(feed(new SamFrameDecoder(), bytewise(stream)))).toEqual(expected);
    for (let i = 0; i <= stream.length; i++) {
      for (let j = i; j <= stream.length; j++) {
        expect(summarize(feed(new SamFrameDecoder(), splitAt(stream, i, j))), `${i}/${j}`).toEqual(expected);
      }
    }
  });

  it('skips garbage before a preamble, including partial preambles and lone AA bytes', () => {
    const garbage = hex('00 FF 96 69 AA AA AA 96 AA AA 69 AA AA AA AA');
    const d = new SamFrameDecoder();
    const stream = Buffer.concat([garbage, FOUND]);
    for (let i = 0; i <= stream.length; i++) {
      const di = new SamFrameDecoder();
      expect(summarize(feed(di, splitAt(stream, i))), `split at ${i}`).toEqual(summarize(d.push(stream)));
      d.reset();
      expect(di.discardedBytes).toBe(garbage.length);
    }
    expect(summarize(feed(new SamFrameDecoder(), bytewise(stream)))).toEqual([
      { sw1: 0, sw2: 0, sw3: 0x9f, data: '00 00 00 00' },
    ]);
  });

  it('keeps a partial preamble at the end of a chunk and drops pure garbage', () => {
    const d = new SamFrameDecoder();
    expect(d.push(hex('01 02 03 AA AA AA 96'))).toEqual([]);
    expect(d.pending).toBe(4);
    expect(d.discardedBytes).toBe(3);
    expect(d.push(NO_CARD.subarray(4))).toHaveLength(1);
    expect(d.push(hex('12 34 56'))).toEqual([]);
    expect(d.pending).toBe(0);
  });

  it('returns FRAME_CHECKSUM in place of a corrupted frame and still decodes the next good one', () => {
    const bad = Buffer.from(FOUND);
    bad[bad.length - 1] = bad.at(-1)! ^ 0x01;
    const stream = Buffer.concat([NO_CARD, bad, SELECTED]);
    const expected = [
      { sw1: 0, sw2: 0, sw3: 0x80, data: '' },
      {
        error: 'FRAME_CHECKSUM',
        details: { direction: 'response', declaredLength: 8, computedChecksum: 0x97, frameChecksum: 0x96 },
      },
      { sw1: 0, sw2: 0, sw3: 0x90, data: '00 00 00 00 00 00 00 00' },
    ];
    const whole = new SamFrameDecoder().push(stream);
    expect(summarize(whole)).toEqual(expected);
    expect(whole[1]).toBeInstanceOf(XinyiError);
    for (let i = 0; i <= stream.length; i++) {
      expect(summarize(feed(new SamFrameDecoder(), splitAt(stream, i))), `split at ${i}`).toEqual(expected);
    }
    expect(summarize(feed(new SamFrameDecoder(), bytewise(stream)))).toEqual(expected);
  });

  it('a corrupted payload byte is a checksum error too', () => {
    const bad = Buffer.from(SELECTED);
    bad[12] = 0x42;
    expect(summarize(new SamFrameDecoder().push(Buffer.concat([bad, NO_CARD])))).toMatchObject([
      { error: 'FRAME_CHECKSUM' },
      { sw3: 0x80 },
    ]);
  });

  it('recovers a good frame that sits inside the bytes claimed by a frame whose LEN was corrupted upwards', () => {
    // LEN 0x0004 → 0x000F: the bad frame claims 22 bytes, which swallows the start of NO_CARD
    // and the whole of FOUND; the checksum fails and decoding resumes after the bad preamble.
    const bad = hex('AA AA AA 96 69 00 0F 00 00 80 84');
    const stream = Buffer.concat([bad, NO_CARD, FOUND]);
    const expected = [{ error: 'FRAME_CHECKSUM' }, { sw3: 0x80 }, { sw3: 0x9f }];
    expect(summarize(new SamFrameDecoder().push(stream))).toMatchObject(expected);
    for (let i = 0; i <= stream.length; i++) {
      expect(summarize(feed(new SamFrameDecoder(), splitAt(stream, i))), `split at ${i}`).toMatchObject(
        expected,
      );
    }
  });

  it('returns FRAME_LENGTH for an impossible length (below 4 or above maxLength) and resyncs', () => {
    const tooShort = hex('AA AA AA 96 69 00 03 00 00 90');
    const tooLong = hex('AA AA AA 96 69 FF FF 00 00 90');
    const stream = Buffer.concat([tooShort, NO_CARD, tooLong, FOUND]);
    const expected = [
      {
        error: 'FRAME_LENGTH',
        details: {
          direction: 'response',
          declaredLength: 3,
          minLength: 4,
          maxLength: SAM_DEFAULT_MAX_LENGTH,
        },
      },
      { sw1: 0, sw2: 0, sw3: 0x80, data: '' },
      {
        error: 'FRAME_LENGTH',
        details: {
          direction: 'response',
          declaredLength: 0xffff,
          minLength: 4,
          maxLength: SAM_DEFAULT_MAX_LENGTH,
        },
      },
      { sw1: 0, sw2: 0, sw3: 0x9f, data: '00 00 00 00' },
    ];
    expect(summarize(new SamFrameDecoder().push(stream))).toEqual(expected);
    for (let i = 0; i <= stream.length; i++) {
      expect(summarize(feed(new SamFrameDecoder(), splitAt(stream, i))), `split at ${i}`).toEqual(expected);
    }
    expect(summarize(feed(new SamFrameDecoder(), bytewise(stream)))).toEqual(expected);
  });

  it('reports an impossible length as soon as the header arrives, without waiting for the body', () => {
    const d = new SamFrameDecoder();
    expect(summarize(d.push(hex('AA AA AA 96 69 12 34')))).toMatchObject([
      { error: 'FRAME_LENGTH', details: { declaredLength: 0x1234 } },
    ]);
    expect(d.pending).toBe(0);
  });

  it('a preamble whose LEN bytes start the next preamble is skipped cleanly', () => {
    const stream = Buffer.concat([hex('AA AA AA 96 69'), NO_CARD]);
    expect(summarize(new SamFrameDecoder().push(stream))).toMatchObject([
      { error: 'FRAME_LENGTH', details: { declaredLength: 0xaaaa } },
      { sw3: 0x80 },
    ]);
  });

  it('honours a custom maxLength and validates it', () => {
    const d = new SamFrameDecoder({ maxLength: 6 });
    expect(summarize(d.push(Buffer.concat([FOUND, NO_CARD])))).toMatchObject([
      { error: 'FRAME_LENGTH', details: { declaredLength: 8, maxLength: 6 } },
      { sw3: 0x80 },
    ]);
    for (const maxLength of [3, 0x10000, 1.5]) {
      expect(() => new SamFrameDecoder({ maxLength })).toThrow(/maxLength/);
    }
    expect(new SamFrameDecoder({ maxLength: 0xffff }).push(NO_CARD)).toHaveLength(1);
  });

  it('flush() reports a truncated frame as FRAME_LENGTH and recovers complete frames it had claimed', () => {
    const d = new SamFrameDecoder();
    // A read-base header promising 1288 bytes, cut off, followed by a complete NO_CARD reply.
    const cut = hex('AA AA AA 96 69 05 08 00 00 90 01 00');
    expect(d.push(Buffer.concat([cut, NO_CARD]))).toEqual([]);
    expect(d.pending).toBe(cut.length + NO_CARD.length);
    expect(summarize(d.flush())).toEqual([
      {
        error: 'FRAME_LENGTH',
        details: {
          direction: 'response',
          truncated: true,
          declaredLength: 0x0508,
          expectedBytes: 1295,
          receivedBytes: cut.length + NO_CARD.length,
        },
      },
      { sw1: 0, sw2: 0, sw3: 0x80, data: '' },
    ]);
    expect(d.pending).toBe(0);
    expect(d.push(FOUND)).toHaveLength(1);
  });

  it('flush() with a cut header, a lone partial preamble, or nothing', () => {
    const d = new SamFrameDecoder();
    d.push(hex('AA AA AA 96 69 00'));
    expect(summarize(d.flush())).toEqual([
      { error: 'FRAME_LENGTH', details: { direction: 'response', truncated: true, receivedBytes: 6 } },
    ]);
    d.push(hex('AA AA AA'));
    expect(d.flush()).toEqual([]);
    expect(d.pending).toBe(0);
    expect(d.flush()).toEqual([]);
  });

  it('reset() drops held bytes silently', () => {
    const d = new SamFrameDecoder();
    d.push(FOUND.subarray(0, 10));
    d.reset();
    expect(d.pending).toBe(0);
    expect(d.push(NO_CARD)).toHaveLength(1);
    expect(d.flush()).toEqual([]);
  });

  it('hands out payload copies that later pushes cannot overwrite', () => {
    const d = new SamFrameDecoder();
    const chunk = Buffer.from(SELECTED);
    const [first] = d.push(chunk) as unknown as [{ data: Buffer }];
    chunk.fill(0x55);
    d.push(encodeSamResponse(0, 0, 0x90, Buffer.alloc(8, 0x77)));
    expect(toHex(first.data)).toBe('00 00 00 00 00 00 00 00');
  });

  it('decodes large frames fed in small chunks (growing buffer)', () => {
    const data = Buffer.from(Array.from({ length: 2314 - 4 }, (_, i) => i & 0xff));
    const frame = encodeSamResponse(0, 0, 0x90, data);
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < frame.length; i += 37) chunks.push(frame.subarray(i, i + 37));
    const out = feed(new SamFrameDecoder(), [...chunks, NO_CARD]);
    expect(responses(out)).toHaveLength(2);
    expect((out[0] as { data: Buffer }).data.equals(data)).toBe(true);
  });
});

describe('SamCommandDecoder', () => {
  const stream = Buffer.concat(COMMAND_VECTORS.map(([, , , , frame]) => hex(frame)));
  const expected = COMMAND_VECTORS.map(([, cmd, para, data]) => ({
    cmd,
    para,
    data: toHex(Uint8Array.from(data)),
  }));

  it('decodes every §1.4 command frame, whole, one byte at a time and split at every boundary', () => {
    expect(summarize(new SamCommandDecoder().push(stream))).toEqual(expected);
    expect(summarize(feed(new SamCommandDecoder(), bytewise(stream)))).toEqual(expected);
    for (let i = 0; i <= stream.length; i++) {
      expect(summarize(feed(new SamCommandDecoder(), splitAt(stream, i))), `split at ${i}`).toEqual(expected);
    }
  });

  it('accepts LEN 3 (CMD + PARA + CHK) but not LEN 2', () => {
    const d = new SamCommandDecoder();
    expect(summarize(d.push(hex(`AA AA AA 96 69 00 02 20 22 ${FIND_CARD}`)))).toEqual([
      {
        error: 'FRAME_LENGTH',
        details: { direction: 'command', declaredLength: 2, minLength: 3, maxLength: SAM_DEFAULT_MAX_LENGTH },
      },
      { cmd: 0x20, para: 0x01, data: '' },
    ]);
  });

  it('skips garbage, reports a bad checksum in place and keeps going', () => {
    const bad = hex('AA AA AA 96 69 00 03 20 01 21'); // §1.4 (b): a public sample's wrong find-card CHK
    const s = Buffer.concat([hex('13 37 AA'), bad, hex(FIND_CARD)]);
    const want = [
      {
        error: 'FRAME_CHECKSUM',
        details: { direction: 'command', declaredLength: 3, computedChecksum: 0x22, frameChecksum: 0x21 },
      },
      { cmd: 0x20, para: 0x01, data: '' },
    ];
    for (let i = 0; i <= s.length; i++) {
      expect(summarize(feed(new SamCommandDecoder(), splitAt(s, i))), `split at ${i}`).toEqual(want);
    }
  });

  it('flush() and reset() behave as in SamFrameDecoder', () => {
    const d = new SamCommandDecoder();
    d.push(hex('AA AA AA 96 69 00 04 61 FF'));
    expect(d.pending).toBe(9);
    expect(summarize(d.flush())).toMatchObject([{ error: 'FRAME_LENGTH', details: { truncated: true } }]);
    d.push(hex('AA AA AA 96 69 00'));
    // After the truncation error its 4 remaining bytes were skipped while searching for a preamble.
    expect(d.discardedBytes).toBe(4);
    d.reset();
    expect(d.pending).toBe(0);
    expect(d.push(hex(FIND_CARD))).toHaveLength(1);
  });
});
