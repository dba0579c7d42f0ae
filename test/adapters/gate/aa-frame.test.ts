import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AA_FRAME_BYTES,
  type AaCommand,
  type AaFrame,
  AaFrameDecoder,
  AaGateStateCode,
  aaChecksum,
  decodeAaCommand,
  encodeAaCommand,
  encodeAaStatusReply,
  parseAaStatusReply,
} from '../../../adapters/gate/aa-frame.js';
import { isXinyiError, XinyiError } from '../../../sdk/errors.js';
import type { GateStatus } from '../../../sdk/gate/gate.js';
import { bytewise, hex, toHex } from '../id-card/helpers.js';

// Every frame of docs/protocols.md §3.2 (A)'s table, and the sample reply built from its rules.
const COMMAND_VECTORS: ReadonlyArray<{
  name: string;
  command: AaCommand;
  destination?: number;
  frame: string;
}> = [
  {
    name: 'entry open once',
    command: { action: 'entry-open' },
    frame: 'AA 00 01 02 00 00 08 00 00 00 00 00 00 00 00 0B',
  },
  {
    name: 'entry hold-open',
    command: { action: 'entry-hold-open' },
    frame: 'AA 00 01 02 00 00 08 00 01 00 00 00 00 00 00 0C',
  },
  {
    name: 'entry close',
    command: { action: 'entry-close' },
    frame: 'AA 00 01 02 00 00 08 00 02 00 00 00 00 00 00 0D',
  },
  {
    name: 'exit open, count 0',
    command: { action: 'exit-open', count: 0 },
    frame: 'AA 00 01 02 00 00 08 00 03 00 00 00 00 00 00 0E',
  },
  {
    name: 'exit open, count 1',
    command: { action: 'exit-open', count: 1 },
    frame: 'AA 00 01 02 00 00 08 00 03 01 00 00 00 00 00 0F',
  },
  {
    name: 'exit hold-open',
    command: { action: 'exit-hold-open' },
    frame: 'AA 00 01 02 00 00 08 00 04 00 00 00 00 00 00 0F',
  },
  {
    name: 'exit close (00 05, not v1’s 04)',
    command: { action: 'exit-close' },
    frame: 'AA 00 01 02 00 00 08 00 05 00 00 00 00 00 00 10',
  },
  {
    name: 'query status to gate 0x0B',
    command: { action: 'query-status' },
    destination: 0x0b,
    frame: 'AA 00 01 02 00 0B 08 FF 00 00 00 00 00 00 00 15',
  },
];
const SAMPLE_REPLY = 'AA 00 0B 12 00 01 08 00 00 00 01 02 00 00 03 2C';

/** The 16 bytes a decoded frame came from. */
function frameBytes(frame: AaFrame): Buffer {
  const bytes = Buffer.alloc(AA_FRAME_BYTES);
  bytes[0] = 0xaa;
  bytes[2] = frame.source;
  bytes[3] = frame.cid1;
  bytes[4] = frame.cid2;
  bytes[5] = frame.destination;
  bytes[6] = 0x08;
  bytes.set(frame.data, 7);
  bytes[15] = aaChecksum(bytes);
  return bytes;
}

/** A comparable summary: frames as hex, errors as their code. */
function summarize(items: Array<AaFrame | XinyiError>): string[] {
  return items.map((item) => (item instanceof XinyiError ? item.code : toHex(frameBytes(item))));
}

function feedAll(chunks: Uint8Array[], decoder = new AaFrameDecoder()): Array<AaFrame | XinyiError> {
  return chunks.flatMap((chunk) => decoder.push(chunk));
}

function caught(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('encodeAaCommand', () => {
  for (const vector of COMMAND_VECTORS) {
    it(`encodes ${vector.name} as in the reference table`, () => {
      const addressing = vector.destination === undefined ? {} : { destination: vector.destination };
      expect(toHex(encodeAaCommand(vector.command, addressing))).toBe(vector.frame);
    });
  }

  it('puts the source and destination addresses in bytes 2 and 5, and the checksum follows them', () => {
    const frame = encodeAaCommand({ action: 'entry-open' }, { source: 0x21, destination: 0x0b });
    expect(toHex(frame)).toBe('AA 00 21 02 00 0B 08 00 00 00 00 00 00 00 00 36');
  });

  it('puts the exit count in byte 9', () => {
    expect(toHex(encodeAaCommand({ action: 'exit-open', count: 255 }))).toBe(
      'AA 00 01 02 00 00 08 00 03 FF 00 00 00 00 00 0D',
    );
  });

  it('refuses a broadcast status query, counts and addresses that are not bytes, and unknown actions', () => {
    const cases: Array<[() => unknown, string]> = [
      [() => encodeAaCommand({ action: 'query-status' }), 'destination'],
      [() => encodeAaCommand({ action: 'exit-open', count: 256 }), 'count'],
      [() => encodeAaCommand({ action: 'exit-open', count: 1.5 }), 'count'],
      [() => encodeAaCommand({ action: 'entry-open' }, { source: -1 }), 'source'],
      [() => encodeAaCommand({ action: 'entry-open' }, { destination: 0x100 }), 'destination'],
      [() => encodeAaCommand({ action: 'open-sesame' } as unknown as AaCommand), 'command.action'],
    ];
    for (const [run, argument] of cases) {
      const error = caught(run);
      expect(isXinyiError(error, 'INVALID_ARGUMENT')).toBe(true);
      expect((error as XinyiError).details.argument).toBe(argument);
    }
  });
});

describe('aaChecksum', () => {
  it('is the low byte of the sum of bytes 1..14', () => {
    expect(aaChecksum(hex(SAMPLE_REPLY))).toBe(0x2c);
    const allFf = Buffer.alloc(16, 0xff);
    expect(aaChecksum(allFf)).toBe((14 * 0xff) & 0xff);
  });
});

describe('decodeAaCommand', () => {
  for (const vector of COMMAND_VECTORS) {
    it(`reads ${vector.name} back`, () => {
      const [frame] = new AaFrameDecoder().push(hex(vector.frame));
      if (frame === undefined || frame instanceof XinyiError) throw new Error('no frame');
      expect(decodeAaCommand(frame)).toEqual(vector.command);
      expect(frame.destination).toBe(vector.destination ?? 0);
      expect(frame.source).toBe(1);
    });
  }

  it('does not take a reply or an unlisted DATA pattern for a command', () => {
    const [reply] = new AaFrameDecoder().push(hex(SAMPLE_REPLY));
    expect(decodeAaCommand(reply as AaFrame)).toBeUndefined();
    const data = Buffer.alloc(8);
    data[1] = 0x06;
    expect(decodeAaCommand({ source: 1, cid1: 0x02, cid2: 0, destination: 0, data })).toBeUndefined();
    data[0] = 0x01;
    data[1] = 0x00;
    expect(decodeAaCommand({ source: 1, cid1: 0x02, cid2: 0, destination: 0, data })).toBeUndefined();
  });
});

describe('encodeAaStatusReply', () => {
  it('builds the sample reply: idle, 258 in, 3 out, from gate 0x0B to host 0x01', () => {
    const frame = encodeAaStatusReply({ stateCode: 0, entryCount: 258, exitCount: 3 }, { source: 0x0b });
    expect(toHex(frame)).toBe(SAMPLE_REPLY);
  });

  it('writes both counters as 24-bit big-endian', () => {
    const frame = encodeAaStatusReply(
      { stateCode: 0x62, entryCount: 0xabcdef, exitCount: 0xffffff },
      { source: 0x0b, destination: 0x01 },
    );
    expect(toHex(frame.subarray(7, 15))).toBe('62 00 AB CD EF FF FF FF');
  });

  it('refuses counters beyond 24 bits, a missing source and a state code that is not a byte', () => {
    const cases: Array<[() => unknown, string]> = [
      [
        () => encodeAaStatusReply({ stateCode: 0, entryCount: 2 ** 24, exitCount: 0 }, { source: 1 }),
        'entryCount',
      ],
      [() => encodeAaStatusReply({ stateCode: 0, entryCount: 0, exitCount: -1 }, { source: 1 }), 'exitCount'],
      [() => encodeAaStatusReply({ stateCode: 0, entryCount: 0, exitCount: 0 }, {}), 'source'],
      [
        () => encodeAaStatusReply({ stateCode: 0x100, entryCount: 0, exitCount: 0 }, { source: 1 }),
        'stateCode',
      ],
    ];
    for (const [run, argument] of cases) {
      const error = caught(run);
      expect(isXinyiError(error, 'INVALID_ARGUMENT')).toBe(true);
      expect((error as XinyiError).details.argument).toBe(argument);
    }
  });
});

describe('parseAaStatusReply', () => {
  it('reads the sample reply: closed idle, entry 258, exit 3', () => {
    expect(parseAaStatusReply(hex(SAMPLE_REPLY))).toEqual({
      state: 'closed',
      entryCount: 258,
      exitCount: 3,
      alarms: [],
      rawState: 0,
    });
  });

  const TABLE: ReadonlyArray<[number, Omit<GateStatus, 'entryCount' | 'exitCount' | 'rawState'>]> = [
    [0x00, { state: 'closed', alarms: [] }],
    [0x01, { state: 'closed', alarms: ['fire'] }],
    [0x02, { state: 'closed', alarms: ['power-loss'] }],
    [0x03, { state: 'open', alarms: [] }],
    [0x04, { state: 'open', held: true, alarms: ['fire'] }],
    [0x05, { state: 'open', held: true, alarms: [] }],
    [0x06, { state: 'open', direction: 'entry', held: false, alarms: [] }],
    [0x07, { state: 'open', direction: 'exit', held: false, alarms: [] }],
    [0x08, { state: 'closing', direction: 'entry', alarms: [] }],
    [0x09, { state: 'closing', direction: 'exit', alarms: [] }],
    [0x0a, { state: 'closing', direction: 'entry', alarms: ['anti-pinch'] }],
    [0x0b, { state: 'closing', direction: 'exit', alarms: ['anti-pinch'] }],
    [0x0c, { state: 'opening', direction: 'entry', alarms: [] }],
    [0x0d, { state: 'opening', direction: 'exit', alarms: [] }],
    [0x0e, { state: 'opening', direction: 'entry', alarms: [] }],
    [0x0f, { state: 'opening', direction: 'exit', alarms: [] }],
    [0x5f, { state: 'alarm', alarms: ['loitering'] }],
    [0x60, { state: 'alarm', alarms: ['intrusion'] }],
    [0x61, { state: 'alarm', alarms: ['reverse'] }],
    [0x62, { state: 'alarm', alarms: ['tailgating'] }],
    [0x63, { state: 'alarm', alarms: ['external'] }],
    [0xff, { state: 'self-test', alarms: [] }],
  ];

  it('covers every code of the state table, and only those', () => {
    expect(TABLE.map(([code]) => code).sort((a, b) => a - b)).toEqual(
      Object.values(AaGateStateCode).sort((a, b) => a - b),
    );
  });

  for (const [code, expected] of TABLE) {
    it(`maps state code 0x${code.toString(16).padStart(2, '0')}`, () => {
      const frame = encodeAaStatusReply({ stateCode: code, entryCount: 7, exitCount: 9 }, { source: 0x0b });
      expect(parseAaStatusReply(frame)).toEqual({ ...expected, entryCount: 7, exitCount: 9, rawState: code });
    });
  }

  it('reports a code outside the table as unknown, keeping the raw code', () => {
    const frame = encodeAaStatusReply({ stateCode: 0x42, entryCount: 0, exitCount: 0 }, { source: 0x0b });
    expect(parseAaStatusReply(frame)).toMatchObject({ state: 'unknown', alarms: [], rawState: 0x42 });
  });

  it('reads counters at their 24-bit maximum', () => {
    const frame = encodeAaStatusReply(
      { stateCode: 0, entryCount: 0xffffff, exitCount: 0x010000 },
      { source: 0x0b },
    );
    expect(parseAaStatusReply(frame)).toMatchObject({ entryCount: 16_777_215, exitCount: 65_536 });
  });

  it('refuses raw bytes that are not a valid frame, and a command frame', () => {
    const bad = hex(SAMPLE_REPLY);
    bad[15] = 0x2d;
    expect(
      isXinyiError(
        caught(() => parseAaStatusReply(bad)),
        'FRAME_CHECKSUM',
      ),
    ).toBe(true);
    expect(
      isXinyiError(
        caught(() => parseAaStatusReply(bad.subarray(0, 15))),
        'FRAME_LENGTH',
      ),
    ).toBe(true);
    const badLen = hex(SAMPLE_REPLY);
    badLen[6] = 0x07;
    badLen[15] = aaChecksum(badLen);
    expect(
      isXinyiError(
        caught(() => parseAaStatusReply(badLen)),
        'FRAME_LENGTH',
      ),
    ).toBe(true);
    const command = hex(COMMAND_VECTORS[0]!.frame);
    expect(
      isXinyiError(
        caught(() => parseAaStatusReply(command)),
        'INVALID_ARGUMENT',
      ),
    ).toBe(true);
  });
});

describe('AaFrameDecoder', () => {
  const allFrames = Buffer.concat([...COMMAND_VECTORS.map((v) => hex(v.frame)), hex(SAMPLE_REPLY)]);
  const expectedAll = [...COMMAND_VECTORS.map((v) => v.frame), SAMPLE_REPLY];

  it('decodes every reference frame in one chunk, fields and all', () => {
    const out = feedAll([allFrames]);
    expect(summarize(out)).toEqual(expectedAll);
    const reply = out.at(-1) as AaFrame;
    expect(reply).toEqual({
      source: 0x0b,
      cid1: 0x12,
      cid2: 0,
      destination: 0x01,
      data: hex('00 00 00 01 02 00 00 03'),
    });
  });

  it('decodes the same frames whatever the single split point', () => {
    for (let at = 0; at <= allFrames.length; at++) {
      const out = feedAll([allFrames.subarray(0, at), allFrames.subarray(at)]);
      expect(summarize(out), `split at ${at}`).toEqual(expectedAll);
    }
  });

  it('decodes the same frames one byte at a time, returning each with the chunk that completed it', () => {
    const decoder = new AaFrameDecoder();
    const completedAt: number[] = [];
    bytewise(allFrames).forEach((chunk, i) => {
      if (decoder.push(chunk).length > 0) completedAt.push(i);
    });
    expect(completedAt).toEqual(expectedAll.map((_, k) => k * 16 + 15));
    expect(decoder.pending).toBe(0);
  });

  it('skips noise before a frame, including an AA not followed by 00, without reporting an error', () => {
    const decoder = new AaFrameDecoder();
    const out = feedAll([hex('00 13 37 AA 55 FF AA AA'), hex(SAMPLE_REPLY)], decoder);
    expect(summarize(out)).toEqual([SAMPLE_REPLY]);
    expect(decoder.discardedBytes).toBe(8);
  });

  it('reports a false start whose LEN is not 8 as FRAME_LENGTH and finds the frame behind it', () => {
    const stream = Buffer.concat([hex('AA 00 01 02'), hex(SAMPLE_REPLY)]);
    const out = feedAll([stream]);
    expect(summarize(out)).toEqual(['FRAME_LENGTH', SAMPLE_REPLY]);
    const error = out[0] as XinyiError;
    expect(error.details.declaredLength).toBe(0x0b);
  });

  it('reports a bad checksum and still returns the good frame that follows', () => {
    const bad = hex(SAMPLE_REPLY);
    bad[12] = bad[12]! ^ 0x01;
    const out = feedAll([Buffer.concat([bad, hex(COMMAND_VECTORS[0]!.frame)])]);
    expect(summarize(out)).toEqual(['FRAME_CHECKSUM', COMMAND_VECTORS[0]!.frame]);
    expect((out[0] as XinyiError).details).toMatchObject({ computedChecksum: 0x2d, frameChecksum: 0x2c });
  });

  it('does not let a false start swallow a good frame that begins inside its 16 bytes', () => {
    // AA 00 … 08 passes the header checks; its 16 bytes reach 9 bytes into the real reply.
    const stream = Buffer.concat([hex('AA 00 00 00 00 00 08'), hex(SAMPLE_REPLY), hex(SAMPLE_REPLY)]);
    for (let at = 0; at <= stream.length; at++) {
      const out = feedAll([stream.subarray(0, at), stream.subarray(at)]);
      expect(summarize(out), `split at ${at}`).toEqual(['FRAME_CHECKSUM', SAMPLE_REPLY, SAMPLE_REPLY]);
    }
  });

  it('recovers from garbage, a bad length and a bad checksum in one stream, whatever the split', () => {
    const badChecksum = hex(COMMAND_VECTORS[7]!.frame);
    badChecksum[15] = 0x00;
    const stream = Buffer.concat([
      hex('00 FF 13 37 AA 00 A5 5A'),
      hex(SAMPLE_REPLY),
      badChecksum,
      hex(COMMAND_VECTORS[2]!.frame),
      hex('AA'),
      hex(COMMAND_VECTORS[3]!.frame),
    ]);
    const expected = [
      'FRAME_LENGTH',
      SAMPLE_REPLY,
      'FRAME_CHECKSUM',
      COMMAND_VECTORS[2]!.frame,
      COMMAND_VECTORS[3]!.frame,
    ];
    expect(summarize(feedAll(bytewise(stream)))).toEqual(expected);
    for (let a = 0; a <= stream.length; a += 3) {
      for (let b = a; b <= stream.length; b += 5) {
        const out = feedAll([stream.subarray(0, a), stream.subarray(a, b), stream.subarray(b)]);
        expect(summarize(out), `split at ${a}, ${b}`).toEqual(expected);
      }
    }
  });

  it('holds an incomplete frame, and flush() reports it cut short and empties the decoder', () => {
    const decoder = new AaFrameDecoder();
    expect(decoder.push(hex(SAMPLE_REPLY).subarray(0, 10))).toEqual([]);
    expect(decoder.pending).toBe(10);
    const flushed = decoder.flush();
    expect(summarize(flushed)).toEqual(['FRAME_LENGTH']);
    expect((flushed[0] as XinyiError).details).toMatchObject({ truncated: true, receivedBytes: 10 });
    expect(decoder.pending).toBe(0);
    expect(summarize(decoder.push(hex(SAMPLE_REPLY)))).toEqual([SAMPLE_REPLY]);
  });

  it('forgets held bytes on reset()', () => {
    const decoder = new AaFrameDecoder();
    decoder.push(hex(SAMPLE_REPLY).subarray(0, 12));
    decoder.reset();
    expect(decoder.pending).toBe(0);
    expect(summarize(decoder.push(hex(SAMPLE_REPLY)))).toEqual([SAMPLE_REPLY]);
  });

  it('returns frames whose data the caller may keep', () => {
    const decoder = new AaFrameDecoder();
    const [first] = decoder.push(hex(SAMPLE_REPLY)) as AaFrame[];
    decoder.push(encodeAaStatusReply({ stateCode: 0x62, entryCount: 1, exitCount: 1 }, { source: 0x0b }));
    expect(first!.data[0]).toBe(0);
  });
});

describe('AaFrameDecoder under fuzzing', () => {
  const anyFrame = fc
    .record({
      source: fc.integer({ min: 0, max: 255 }),
      cid1: fc.constantFrom(0x02, 0x12, 0x00, 0xaa),
      destination: fc.integer({ min: 0, max: 255 }),
      data: fc.uint8Array({ minLength: 8, maxLength: 8 }),
    })
    .map(({ source, cid1, destination, data }) =>
      frameBytes({ source, cid1, cid2: 0, destination, data: Buffer.from(data) }),
    );
  /** Bytes biased towards frame starts, LEN and sync, so the resync paths are reached. */
  const noisyBytes = fc
    .array(
      fc.oneof(
        { weight: 4, arbitrary: fc.integer({ min: 0, max: 255 }).map((b) => [b]) },
        { weight: 2, arbitrary: fc.constantFrom([0xaa], [0xaa, 0x00], [0x08], [0x00]) },
        { weight: 1, arbitrary: anyFrame.map((f) => [...f]) },
        { weight: 1, arbitrary: anyFrame.map((f) => [...f.subarray(0, 9)]) },
      ),
      { maxLength: 40 },
    )
    .map((parts) => Uint8Array.from(parts.flat()));

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

  it('never throws: every result is a well-formed frame or a typed FRAME_* error', () => {
    fc.assert(
      fc.property(noisyBytes, fc.array(fc.nat(), { maxLength: 8 }), (bytes, points) => {
        const out = feedAll(cut(bytes, points));
        for (const item of out) {
          if (item instanceof XinyiError) {
            expect(['FRAME_LENGTH', 'FRAME_CHECKSUM']).toContain(item.code);
          } else {
            expect(item.data.length).toBe(8);
            expect(Buffer.from(bytes).includes(frameBytes(item))).toBe(true);
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it('gives the same results however the stream is split', () => {
    fc.assert(
      fc.property(noisyBytes, fc.array(fc.nat(), { maxLength: 8 }), (bytes, points) => {
        expect(summarize(feedAll(cut(bytes, points)))).toEqual(summarize(feedAll([bytes])));
      }),
      { numRuns: 500 },
    );
  });

  it('recovers every frame, in order and without errors, from noise that holds no AA', () => {
    const aaFreeNoise = fc.uint8Array({ maxLength: 20 }).map((g) => g.filter((b) => b !== 0xaa));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(aaFreeNoise, anyFrame), { maxLength: 6 }),
        aaFreeNoise,
        fc.array(fc.nat(), { maxLength: 8 }),
        (pairs, tail, points) => {
          const stream = Buffer.concat([...pairs.flat(), tail]);
          const out = feedAll(cut(stream, points));
          expect(summarize(out)).toEqual(pairs.map(([, frame]) => toHex(frame)));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('parseAaStatusReply gives a status or a typed error for any 16 bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.boolean(), (bytes, fix) => {
        const frame = Buffer.from(bytes);
        if (fix) {
          frame[0] = 0xaa;
          frame[1] = 0;
          frame[3] = 0x12;
          frame[6] = 8;
          frame[15] = aaChecksum(frame);
        }
        try {
          const status = parseAaStatusReply(frame);
          expect(status.entryCount).toBeLessThan(2 ** 24);
          expect(status.rawState).toBe(frame[7]);
        } catch (error) {
          expect(isXinyiError(error)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});
