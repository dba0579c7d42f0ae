import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_FLAP_CODES,
  decodeFlapCommand,
  decodeFlapReply,
  encodeFlapCommand,
  encodeFlapReply,
  FLAP_REPLY_BYTES,
  FlapCommandDecoder,
  FlapFrameDecoder,
  type FlapReply,
  flapAlwaysOpen,
  flapChecksum,
  flapClearForbid,
  flapClose,
  flapCodesForStatus,
  flapForbid,
  flapOpen,
  flapQueryStatus,
  flapReplyToStatus,
  flapResetCount,
  flapResetDevice,
  flapSetParameter,
} from '../../../adapters/gate/flap-7e.js';
import { isXinyiError } from '../../../sdk/errors.js';
import { GATE_ALARMS, type GateAlarm, type GateDirection } from '../../../sdk/gate/gate.js';

function hex(text: string): Buffer {
  return Buffer.from(text.replace(/\s+/g, ''), 'hex');
}

function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes)
    .toString('hex')
    .toUpperCase()
    .replace(/(..)(?!$)/g, '$1 ');
}

function feed<T>(decoder: { push(c: Uint8Array): T[] }, chunks: Uint8Array[]): T[] {
  return chunks.flatMap((c) => decoder.push(c));
}

function splitAt(bytes: Uint8Array, ...offsets: number[]): Uint8Array[] {
  const parts: Uint8Array[] = [];
  let from = 0;
  for (const at of offsets) {
    parts.push(bytes.subarray(from, at));
    from = at;
  }
  parts.push(bytes.subarray(from));
  return parts;
}

function codesOf(items: unknown[]): string[] {
  return items.map((i) => (isXinyiError(i) ? i.code : 'frame'));
}

// docs/protocols.md §3.2 (B) command table, machine 1: [name, built by the named helper, frame].
const COMMAND_VECTORS: Array<[string, () => Buffer, string]> = [
  ['query status 0x10', () => flapQueryStatus(), '7E 00 01 10 00 00 00 70'],
  ['reset left count 0x20', () => flapResetCount('left'), '7E 00 01 20 00 00 00 60'],
  ['reset right count 0x21', () => flapResetCount('right'), '7E 00 01 21 00 00 00 5F'],
  ['reset device 0x35 60', () => flapResetDevice(), '7E 00 01 35 60 00 00 EB'],
  ['left open ×1 0x80 01', () => flapOpen('left', 1), '7E 00 01 80 01 00 00 FF'],
  ['left always-open 0x81 01', () => flapAlwaysOpen('left'), '7E 00 01 81 01 00 00 FE'],
  ['right open ×1 0x82 01', () => flapOpen('right'), '7E 00 01 82 01 00 00 FD'],
  ['right always-open 0x83 01', () => flapAlwaysOpen('right'), '7E 00 01 83 01 00 00 FC'],
  ['always-open both 0x83 00 (computed)', () => flapAlwaysOpen('both'), '7E 00 01 83 00 00 00 FD'],
  ['close / normal 0x84', () => flapClose(), '7E 00 01 84 00 00 00 FC'],
  ['forbid left 0x88', () => flapForbid('left'), '7E 00 01 88 00 00 00 F8'],
  ['forbid right 0x89', () => flapForbid('right'), '7E 00 01 89 00 00 00 F7'],
  ['clear forbid 0x8F', () => flapClearForbid(), '7E 00 01 8F 00 00 00 F1'],
];

// A reply built by the §3.2 (B) layout with the command's checksum rule (the reply rule is unconfirmed):
// ver 1, machine 1, closed, left count 258 (00 01 02), right count 3, vcc 0x18.
const REPLY = '7F 01 01 00 00 00 00 01 02 00 00 03 00 00 18 00 00 60';
const REPLY_FIELDS: FlapReply = {
  version: 1,
  machine: 1,
  fault: 0,
  gateStatus: 0,
  alarm: 0,
  leftCount: 258,
  rightCount: 3,
  infrared: 0,
  cmdExec: 0,
  vcc: 0x18,
  u1: 0,
  u2: 0,
};

function reply(overrides: Partial<FlapReply> = {}): Buffer {
  return encodeFlapReply({ ...REPLY_FIELDS, ...overrides });
}

describe('flap 7E commands', () => {
  it.each(COMMAND_VECTORS)('%s is byte-exact, by helper and by encodeFlapCommand', (_name, build, frame) => {
    const expected = hex(frame);
    expect(toHex(build())).toBe(frame);
    expect(toHex(encodeFlapCommand(1, expected[3]!, expected[4], expected[5], expected[6]))).toBe(frame);
    // The reference's check: the sum of all 8 bytes, plus one, is 0 mod 256.
    expect((expected.reduce((s, b) => s + b, 0) + 1) & 0xff).toBe(0);
    expect(flapChecksum(expected, 0, 7)).toBe(expected[7]);
  });

  it.each(COMMAND_VECTORS)('%s decodes back at every split point', (_name, _build, frame) => {
    const bytes = hex(frame);
    const fields = { machine: 1, cmd: bytes[3], d0: bytes[4], d1: bytes[5], d2: bytes[6] };
    expect(decodeFlapCommand(bytes)).toEqual(fields);
    for (let cut = 0; cut <= bytes.length; cut++) {
      expect(feed(new FlapCommandDecoder(), splitAt(bytes, cut))).toEqual([fields]);
    }
  });

  it('set parameter 0x96 carries menu and value in d0 and d1 (no reference frame; by the rule)', () => {
    // 7E + 01 + 96 + 03 + 05 = 0x11D → ~0x1D = 0xE2
    expect(toHex(flapSetParameter(3, 5))).toBe('7E 00 01 96 03 05 00 E2');
  });

  it('left open ×n carries n; other machines their own address and checksum', () => {
    expect(toHex(flapOpen('left', 3))).toBe('7E 00 01 80 03 00 00 FD');
    expect(toHex(flapQueryStatus(2))).toBe('7E 00 02 10 00 00 00 6F');
    expect(toHex(flapOpen('right', 1, 0x0b))).toBe('7E 00 0B 82 01 00 00 F3');
  });

  it('refuses out-of-range arguments with INVALID_ARGUMENT', () => {
    for (const build of [
      () => encodeFlapCommand(256, 0x10),
      () => encodeFlapCommand(1, -1),
      () => encodeFlapCommand(1, 0x80, 1.5),
      () => flapOpen('left', 0),
      () => flapOpen('left', 256),
      () => flapOpen('up' as 'left'),
      () => flapSetParameter(1, 300),
    ]) {
      expect(build).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
  });

  it('decodeFlapCommand rejects a wrong size or head (FRAME_LENGTH) and a bad checksum (FRAME_CHECKSUM)', () => {
    expect(() => decodeFlapCommand(hex('7E 00 01 10 00 00 00'))).toThrow(
      expect.objectContaining({ code: 'FRAME_LENGTH' }),
    );
    expect(() => decodeFlapCommand(hex('7F 00 01 10 00 00 00 70'))).toThrow(
      expect.objectContaining({ code: 'FRAME_LENGTH' }),
    );
    expect(() => decodeFlapCommand(hex('7E 00 01 10 00 00 00 71'))).toThrow(
      expect.objectContaining({ code: 'FRAME_CHECKSUM' }),
    );
  });
});

describe('flap 7F replies', () => {
  it('encodes and parses the 18-byte layout: 24-bit big-endian counts L2 L1 L0 / R2 R1 R0', () => {
    expect(toHex(reply())).toBe(REPLY);
    expect(decodeFlapReply(hex(REPLY))).toEqual(REPLY_FIELDS);
    const max = reply({ leftCount: 0xffffff, rightCount: 0x123456 });
    expect(toHex(max.subarray(6, 12))).toBe('FF FF FF 12 34 56');
    expect(decodeFlapReply(max)).toMatchObject({ leftCount: 16_777_215, rightCount: 0x123456 });
  });

  it('places every field at its offset', () => {
    const frame = reply({
      version: 2,
      machine: 3,
      fault: 4,
      gateStatus: 5,
      alarm: 6,
      infrared: 7,
      cmdExec: 8,
      vcc: 9,
      u1: 10,
      u2: 11,
    });
    expect(toHex(frame.subarray(0, 6))).toBe('7F 02 03 04 05 06');
    expect(toHex(frame.subarray(12, 17))).toBe('07 08 09 0A 0B');
  });

  it('refuses fields that do not fit', () => {
    expect(() => reply({ leftCount: 2 ** 24 })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() => reply({ alarm: 256 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('checks the reply with the command rule by default, or the configured rule', () => {
    const frame = hex(REPLY);
    const sum = Buffer.from(frame);
    sum[17] = frame.subarray(0, 17).reduce((s, b) => s + b, 0) & 0xff;
    const xor = Buffer.from(frame);
    xor[17] = frame.subarray(0, 17).reduce((s, b) => s ^ b, 0);
    expect(() => decodeFlapReply(sum)).toThrow(expect.objectContaining({ code: 'FRAME_CHECKSUM' }));
    expect(decodeFlapReply(sum, { replyChecksum: 'sum' })).toEqual(REPLY_FIELDS);
    expect(decodeFlapReply(xor, { replyChecksum: 'xor' })).toEqual(REPLY_FIELDS);
    expect(() => decodeFlapReply(xor, { replyChecksum: 'sum' })).toThrow(
      expect.objectContaining({ code: 'FRAME_CHECKSUM' }),
    );
    const anything = Buffer.from(frame);
    anything[17] = 0x42;
    expect(decodeFlapReply(anything, { replyChecksum: 'none' })).toEqual(REPLY_FIELDS);
    expect(decodeFlapReply(anything, { replyChecksum: () => 0x42 })).toEqual(REPLY_FIELDS);
    expect(encodeFlapReply(REPLY_FIELDS, { replyChecksum: 'xor' })[17]).toBe(xor[17]);
    expect(() => new FlapFrameDecoder({ replyChecksum: 'crc' as 'sum' })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    );
  });
});

describe('FlapFrameDecoder', () => {
  const a = reply({ leftCount: 1 });
  const b = reply({ gateStatus: 0x06, leftCount: 0x7f7f7f });
  const c = reply({ rightCount: 9, alarm: 0x62 });
  const stream = Buffer.concat([hex('00 13 37'), a, b, hex('A5'), c]);
  const expected = [a, b, c].map((f) => decodeFlapReply(f));

  it('returns every reply at every single split point', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      expect(feed(new FlapFrameDecoder(), splitAt(stream, cut))).toEqual(expected);
    }
  });

  it('returns every reply at every pair of split points, and byte by byte', () => {
    for (let i = 0; i <= stream.length; i++) {
      for (let j = i; j <= stream.length; j++) {
        expect(feed(new FlapFrameDecoder(), splitAt(stream, i, j))).toEqual(expected);
      }
    }
    const bytewise = Array.from(stream, (x) => Uint8Array.of(x));
    expect(feed(new FlapFrameDecoder(), bytewise)).toEqual(expected);
  });

  it('skips garbage without a head byte silently and counts it', () => {
    const decoder = new FlapFrameDecoder();
    expect(decoder.push(Buffer.concat([hex('00 FF 13 37 7E A5'), a]))).toEqual([expected[0]]);
    expect(decoder.discardedBytes).toBe(6);
    expect(decoder.pending).toBe(0);
  });

  it('garbage holding a 0x7F: one FRAME_CHECKSUM in its place, then the reply behind it', () => {
    for (let cut = 0; cut <= 25; cut++) {
      const bytes = Buffer.concat([hex('00 FF 13 37 7F A5 5A'), a]);
      const out = feed(new FlapFrameDecoder(), splitAt(bytes, cut));
      expect(codesOf(out)).toEqual(['FRAME_CHECKSUM', 'frame']);
      expect(out[1]).toEqual(expected[0]);
    }
  });

  it('a damaged reply: an error in its place, and the next good reply is not lost', () => {
    const damaged = Buffer.from(b);
    damaged[8] = damaged[8]! ^ 0x01;
    for (let cut = 0; cut <= 36; cut++) {
      const out = feed(new FlapFrameDecoder(), splitAt(Buffer.concat([damaged, c]), cut));
      expect(codesOf(out)).toEqual(['FRAME_CHECKSUM', 'frame']);
      expect(out[1]).toEqual(expected[2]);
    }
  });

  it('a reply cut short by the next one: the good one starting inside the claimed bytes is found', () => {
    const cutShort = a.subarray(0, 5);
    const out = new FlapFrameDecoder().push(Buffer.concat([cutShort, c]));
    expect(codesOf(out)).toEqual(['FRAME_CHECKSUM', 'frame']);
    expect(out[1]).toEqual(expected[2]);
  });

  it('reports FRAME_CHECKSUM details and never throws', () => {
    const damaged = Buffer.from(a);
    damaged[17] = damaged[17]! ^ 0xff;
    const [error] = new FlapFrameDecoder().push(damaged);
    expect(isXinyiError(error, 'FRAME_CHECKSUM')).toBe(true);
    expect((error as { details: object }).details).toMatchObject({
      direction: 'reply',
      computedChecksum: a[17],
      frameChecksum: damaged[17],
    });
  });

  it('flush() reports a reply cut short as FRAME_LENGTH and empties the decoder', () => {
    const decoder = new FlapFrameDecoder();
    expect(decoder.push(a.subarray(0, 10))).toEqual([]);
    expect(decoder.pending).toBe(10);
    const [error] = decoder.flush();
    expect(isXinyiError(error, 'FRAME_LENGTH')).toBe(true);
    expect((error as { details: object }).details).toMatchObject({
      receivedBytes: 10,
      expectedBytes: FLAP_REPLY_BYTES,
      truncated: true,
    });
    expect(decoder.pending).toBe(0);
    expect(decoder.push(b)).toEqual([expected[1]]);
    expect(decoder.flush()).toEqual([]);
  });

  it('reset() drops held bytes silently', () => {
    const decoder = new FlapFrameDecoder();
    decoder.push(a.subarray(0, 7));
    decoder.reset();
    expect(decoder.pending).toBe(0);
    expect(decoder.push(c)).toEqual([expected[2]]);
  });

  it('the command decoder resyncs the same way', () => {
    const query = flapQueryStatus();
    const open = flapOpen('left', 2);
    const bad = Buffer.from(open);
    bad[4] = 9;
    const out = feed(new FlapCommandDecoder(), [Buffer.concat([hex('00 7E 01'), query, bad, open])]);
    expect(codesOf(out)).toEqual(['FRAME_CHECKSUM', 'frame', 'FRAME_CHECKSUM', 'frame']);
    expect(out[3]).toEqual({ machine: 1, cmd: 0x80, d0: 2, d1: 0, d2: 0 });
  });
});

describe('flap reply → GateStatus (unconfirmed default code table)', () => {
  it('left = entry, right = exit by default; swapped by `directions`', () => {
    const frame = decodeFlapReply(reply({ gateStatus: 0x06, leftCount: 5, rightCount: 7 }));
    expect(flapReplyToStatus(frame)).toEqual({
      state: 'open',
      direction: 'entry',
      entryCount: 5,
      exitCount: 7,
      alarms: [],
      rawState: 0x06,
    });
    expect(flapReplyToStatus(frame, { directions: { left: 'exit', right: 'entry' } })).toMatchObject({
      direction: 'exit',
      entryCount: 7,
      exitCount: 5,
    });
  });

  it.each([
    [0x00, 0x00, { state: 'closed', alarms: [] }],
    [0x03, 0x00, { state: 'open', held: true, alarms: [] }],
    [0x04, 0x00, { state: 'open', held: true, alarms: ['fire'] }],
    [0x09, 0x00, { state: 'closing', direction: 'exit', alarms: [] }],
    [0x0a, 0x62, { state: 'closing', direction: 'entry', alarms: ['tailgating', 'anti-pinch'] }],
    [0x0d, 0x61, { state: 'opening', direction: 'exit', alarms: ['reverse'] }],
    [0x60, 0x00, { state: 'alarm', alarms: ['intrusion'] }],
    [0xff, 0x00, { state: 'self-test', alarms: [] }],
    [0x42, 0x00, { state: 'unknown', alarms: [] }],
    [0x00, 0x99, { state: 'closed', alarms: ['external'] }],
  ] as const)('gateStatus %i, alarm %i', (gateStatus, alarm, expected) => {
    const status = flapReplyToStatus(decodeFlapReply(reply({ gateStatus, alarm })));
    expect(status).toMatchObject({ ...expected, rawState: gateStatus });
  });

  it('takes a site table merged over the defaults, and validates it', () => {
    const frame = decodeFlapReply(reply({ gateStatus: 0x42, alarm: 0x07 }));
    const status = flapReplyToStatus(frame, {
      codes: { gateStatus: { 66: { state: 'opening', side: 'right' } }, alarm: { 7: ['loitering'] } },
    });
    expect(status).toMatchObject({ state: 'opening', direction: 'exit', alarms: ['loitering'] });
    expect(flapReplyToStatus(decodeFlapReply(reply()), { codes: { alarm: { 7: [] } } }).state).toBe('closed');
    for (const codes of [
      { gateStatus: { 256: { state: 'open' } } },
      { gateStatus: { 1: { state: 'open', side: 'up' } } },
      { alarm: { 1: ['smoke'] } },
    ]) {
      expect(() => flapReplyToStatus(frame, { codes: codes as never })).toThrow(
        expect.objectContaining({ code: 'INVALID_OPTIONS' }),
      );
    }
    expect(() => flapReplyToStatus(frame, { directions: { left: 'entry', right: 'entry' } })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    );
  });

  it('the default table is frozen', () => {
    expect(Object.isFrozen(DEFAULT_FLAP_CODES.gateStatus)).toBe(true);
    expect(Object.isFrozen(DEFAULT_FLAP_CODES.gateStatus[0x06])).toBe(true);
  });

  it('flapCodesForStatus picks the codes a board would send', () => {
    expect(flapCodesForStatus({ state: 'closed', alarms: [] })).toEqual({ gateStatus: 0x00, alarm: 0 });
    expect(flapCodesForStatus({ state: 'opening', direction: 'exit', alarms: [] })).toEqual({
      gateStatus: 0x0d,
      alarm: 0,
    });
    expect(flapCodesForStatus({ state: 'open', direction: 'entry', held: true, alarms: ['fire'] })).toEqual({
      gateStatus: 0x04,
      alarm: 0,
    });
    expect(flapCodesForStatus({ state: 'closing', direction: 'entry', alarms: ['tailgating'] })).toEqual({
      gateStatus: 0x08,
      alarm: 0x62,
    });
    expect(
      flapCodesForStatus(
        { state: 'open', direction: 'entry', alarms: [] },
        { directions: { left: 'exit', right: 'entry' } },
      ).gateStatus,
    ).toBe(0x07);
    // Every 'alarm' code of the default table names its alarm: a bare 'alarm' state has no code.
    expect(() => flapCodesForStatus({ state: 'alarm', alarms: [] })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});

const states = ['closed', 'opening', 'open', 'closing', 'self-test'] as const;
const statusArb = fc.record({
  state: fc.constantFrom(...states),
  direction: fc.option(fc.constantFrom<GateDirection>('entry', 'exit'), { nil: undefined }),
  held: fc.boolean(),
  alarms: fc.subarray([...GATE_ALARMS]),
});

const replyArb = fc.record({
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
});

const noisyByte = fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0x7e, 0x7f, 0x00, 0xff));

function cut(bytes: Uint8Array, points: number[]): Uint8Array[] {
  return splitAt(bytes, ...[...new Set(points.map((p) => p % (bytes.length + 1)))].sort((x, y) => x - y));
}

describe('flap codec fuzz', () => {
  it('any bytes, any chunking: only replies or typed FRAME_* errors, never a throw', () => {
    fc.assert(
      fc.property(
        fc.array(noisyByte, { maxLength: 400 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        (bytes, points) => {
          const decoder = new FlapFrameDecoder();
          const stream = Uint8Array.from(bytes);
          const out = [...feed(decoder, cut(stream, points)), ...decoder.flush()];
          for (const item of out) {
            if (isXinyiError(item)) expect(['FRAME_CHECKSUM', 'FRAME_LENGTH']).toContain(item.code);
            else expect(encodeFlapReply(item).length).toBe(FLAP_REPLY_BYTES);
          }
          const commands = new FlapCommandDecoder();
          for (const item of [...feed(commands, cut(stream, points)), ...commands.flush()]) {
            if (isXinyiError(item)) expect(['FRAME_CHECKSUM', 'FRAME_LENGTH']).toContain(item.code);
            else expect(encodeFlapCommand(item.machine, item.cmd, item.d0, item.d1, item.d2).length).toBe(8);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('replies between head-free garbage come back exactly, whatever the chunking', () => {
    const garbage = fc.uint8Array({ maxLength: 30 }).map((g) => g.filter((x) => x !== 0x7f));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(garbage, replyArb), { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (parts, points) => {
          const stream = Buffer.concat(parts.flatMap(([g, r]) => [g, encodeFlapReply(r)]));
          const out = feed(new FlapFrameDecoder(), cut(stream, points));
          expect(out).toEqual(parts.map(([, r]) => r));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a reply with one byte damaged: an error in its place and the following replies intact', () => {
    // Fields without 0x7F, so the damaged frame holds no second head that could pair with what follows.
    fc.assert(
      fc.property(
        replyArb.filter((r) => !encodeFlapReply(r).subarray(1).includes(0x7f)),
        fc.integer({ min: 1, max: 17 }),
        fc.integer({ min: 1, max: 255 }),
        fc.array(replyArb, { minLength: 1, maxLength: 3 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        (bad, at, flip, good, points) => {
          const damaged = encodeFlapReply(bad);
          damaged[at] = damaged[at]! ^ flip;
          fc.pre(damaged[at] !== 0x7f);
          const stream = Buffer.concat([damaged, ...good.map((r) => encodeFlapReply(r))]);
          const out = feed(new FlapFrameDecoder(), cut(stream, points));
          expect(codesOf(out)).toEqual(['FRAME_CHECKSUM', ...good.map(() => 'frame')]);
          expect(out.slice(1)).toEqual(good);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('flapCodesForStatus and flapReplyToStatus agree under the default table', () => {
    fc.assert(
      fc.property(statusArb, (status) => {
        const codes = flapCodesForStatus(status);
        const back = flapReplyToStatus({ ...REPLY_FIELDS, ...codes });
        expect(back.state).toBe(status.state);
        for (const alarm of back.alarms) expect(status.alarms).toContain(alarm);
        const first: GateAlarm | undefined = GATE_ALARMS.find((a) => status.alarms.includes(a));
        if (first !== undefined) expect(back.alarms).toContain(first);
        if (status.held && status.state === 'open') expect(back.held).toBe(true);
        const moving = status.state === 'opening' || status.state === 'open' || status.state === 'closing';
        if (moving && !status.held && status.direction !== undefined)
          expect(back.direction).toBe(status.direction);
      }),
      { numRuns: 300 },
    );
  });
});
