import { describe, expect, it } from 'vitest';
import {
  encodeAppendedAddressPayload,
  encodeReadPayload,
  encodeSamIdPayload,
  encodeSamResponse,
  formatSamId,
  parseAppendedAddressPayload,
  parseCardText,
  parseFindCardResponse,
  parseReadPayload,
  parseSamIdPayload,
  parseSelectCardResponse,
  SamFrameDecoder,
  type SamIdParts,
  type SamResponse,
} from '../../../adapters/id-card/index.js';
import { isXinyiError } from '../../../sdk/errors.js';
import { thrownXinyiError } from '../../support/thrown.js';
import { NOW, READ_BASE_HEADER, REFERENCE_READ_BASE_FRAME, REFERENCE_RESIDENT_TEXT } from './fixtures.js';
import { bytewise, feed, hex, splitAt, toHex } from './helpers.js';

function decodeOne(frame: Uint8Array): SamResponse {
  const out = new SamFrameDecoder().push(frame);
  expect(out).toHaveLength(1);
  const [r] = out;
  if (r === undefined || isXinyiError(r)) throw new Error('expected a response');
  return r;
}

const photo = Buffer.from(Array.from({ length: 1024 }, (_, i) => (i * 7) & 0xff));

describe('read base (0x30 0x01, §1.5 / §1.8)', () => {
  it('the §1.8 full response is 1295 bytes, starts with the §1.5 header and ends in CHK 0x87', () => {
    const built = encodeSamResponse(
      0,
      0,
      0x90,
      encodeReadPayload({ text: REFERENCE_RESIDENT_TEXT, photo: Buffer.alloc(1024) }),
    );
    expect(built.length).toBe(1295);
    expect(toHex(built.subarray(0, 14))).toBe(toHex(READ_BASE_HEADER));
    expect(built[1294]).toBe(0x87);
    expect(built.equals(REFERENCE_READ_BASE_FRAME)).toBe(true);
  });

  it('decodes the 1295-byte frame whole, one byte at a time and split at every chunk boundary', () => {
    const frame = REFERENCE_READ_BASE_FRAME;
    const check = (out: unknown[]) => {
      expect(out).toHaveLength(1);
      const r = out[0] as SamResponse;
      expect(r.sw3).toBe(0x90);
      const read = parseReadPayload(r.data, 'base');
      expect(read.text.equals(REFERENCE_RESIDENT_TEXT)).toBe(true);
      expect(read.photo.equals(Buffer.alloc(1024))).toBe(true);
      expect(read.fingerprint).toBeUndefined();
    };
    check(new SamFrameDecoder().push(frame));
    check(feed(new SamFrameDecoder(), bytewise(frame)));
    for (let i = 0; i <= frame.length; i++) check(feed(new SamFrameDecoder(), splitAt(frame, i)));
  });

  it('the text parses as the reference card', () => {
    const read = parseReadPayload(decodeOne(REFERENCE_READ_BASE_FRAME).data, 'base');
    expect(parseCardText(read.text, { now: NOW })).toMatchObject({ cardType: 'resident', name: '张三' });
  });

  it('rejects a text length other than 256 or lengths that do not add up, with FRAME_LENGTH', () => {
    const good = encodeReadPayload({ text: REFERENCE_RESIDENT_TEXT, photo });
    const badTl = Buffer.from(good);
    badTl.writeUInt16BE(0x00ff, 0);
    expect(thrownXinyiError(() => parseReadPayload(badTl, 'base'))).toMatchObject({
      code: 'FRAME_LENGTH',
      details: { textLength: 0xff, photoLength: 1024, dataBytes: good.length },
    });
    expect(thrownXinyiError(() => parseReadPayload(good.subarray(0, -1), 'base')).code).toBe('FRAME_LENGTH');
    expect(thrownXinyiError(() => parseReadPayload(good.subarray(0, 3), 'base')).code).toBe('FRAME_LENGTH');
    expect(thrownXinyiError(() => parseReadPayload(good, 'with-fingerprint')).code).toBe('FRAME_LENGTH');
  });
});

describe('read base + fingerprint (0x30 0x10, §1.5)', () => {
  it.each([
    [1024, 0x090a, 2321],
    [512, 0x070a, 1809],
    [0, 0x050a, 1297],
  ])('FL %i → LEN 0x%s, %i-byte frame', (fl, len, total) => {
    const fingerprint = Buffer.alloc(fl, 0x5a);
    const frame = encodeSamResponse(
      0,
      0,
      0x90,
      encodeReadPayload({ text: REFERENCE_RESIDENT_TEXT, photo, fingerprint }),
    );
    expect(frame.length).toBe(total);
    expect(frame.readUInt16BE(5)).toBe(len);
    const read = parseReadPayload(decodeOne(frame).data, 'with-fingerprint');
    expect(read.text.equals(REFERENCE_RESIDENT_TEXT)).toBe(true);
    expect(read.photo.equals(photo)).toBe(true);
    expect(read.fingerprint?.equals(fingerprint)).toBe(true);
  });

  it('starts with the prefix public code matches on (AAAAAA9669090A000090) when FL = 1024', () => {
    const frame = encodeSamResponse(
      0,
      0,
      0x90,
      encodeReadPayload({ text: REFERENCE_RESIDENT_TEXT, photo, fingerprint: Buffer.alloc(1024) }),
    );
    expect(frame.subarray(0, 10).toString('hex').toUpperCase()).toBe('AAAAAA9669090A000090');
    expect(toHex(frame.subarray(10, 16))).toBe('01 00 04 00 04 00');
  });

  it('decodes the 2321-byte frame split at every chunk boundary', () => {
    const fingerprint = Buffer.from(Array.from({ length: 1024 }, (_, i) => i & 0xff));
    const frame = encodeSamResponse(
      0,
      0,
      0x90,
      encodeReadPayload({ text: REFERENCE_RESIDENT_TEXT, photo, fingerprint }),
    );
    for (let i = 0; i <= frame.length; i++) {
      const out = feed(new SamFrameDecoder(), splitAt(frame, i)) as SamResponse[];
      expect(out).toHaveLength(1);
      expect(parseReadPayload(out[0]!.data, 'with-fingerprint').fingerprint?.equals(fingerprint)).toBe(true);
    }
  });
});

describe('find / select results (§1.5)', () => {
  it('find success: SW3 0x9F with the 4-byte IIN', () => {
    const r = parseFindCardResponse(decodeOne(hex('AA AA AA 96 69 00 08 00 00 9F 00 00 00 00 97')));
    expect(r).toEqual({ found: true, iin: Buffer.alloc(4) });
  });

  it('find: no card is SW3 0x80, transient', () => {
    const r = parseFindCardResponse(decodeOne(hex('AA AA AA 96 69 00 04 00 00 80 84')));
    expect(r).toMatchObject({ found: false, status: { code: 0x80, transient: true, zh: '寻找证/卡失败' } });
  });

  it('select success: SW3 0x90 with the 8-byte serial number', () => {
    const frame = hex('AA AA AA 96 69 00 0C 00 00 90 00 00 00 00 00 00 00 00 9C');
    expect(parseSelectCardResponse(decodeOne(frame))).toEqual({
      selected: true,
      serialNumber: Buffer.alloc(8),
    });
  });

  it('select: no card is SW3 0x81', () => {
    const r = parseSelectCardResponse(decodeOne(hex('AA AA AA 96 69 00 04 00 00 81 85')));
    expect(r).toMatchObject({ selected: false, status: { code: 0x81, name: 'SELECT_CARD_FAILED' } });
  });
});

describe('appended address (0x30 0x03, §1.5 ⚠️ / §1.11)', () => {
  it('a 70-byte UCS-2 record gives LEN 0x004A and an 81-byte frame (derived ❓)', () => {
    const payload = encodeAppendedAddressPayload('测试市示例区样板路8号');
    expect(payload.length).toBe(70);
    const frame = encodeSamResponse(0, 0, 0x90, payload);
    expect(frame.length).toBe(81);
    expect(frame.readUInt16BE(5)).toBe(0x004a);
    expect(parseAppendedAddressPayload(decodeOne(frame).data)).toEqual({
      address: '测试市示例区样板路8号',
      records: ['测试市示例区样板路8号'],
    });
  });

  it('accepts NUL padding and several records; rejects odd sizes and overlong input', () => {
    const nulPadded = Buffer.alloc(70);
    Buffer.from('测试路1号', 'utf16le').copy(nulPadded);
    const two = Buffer.concat([nulPadded, encodeAppendedAddressPayload('测试路2号')]);
    expect(parseAppendedAddressPayload(two)).toEqual({
      address: '测试路1号',
      records: ['测试路1号', '测试路2号'],
    });
    expect(parseAppendedAddressPayload(new Uint8Array(0))).toEqual({ address: '', records: [] });
    expect(thrownXinyiError(() => parseAppendedAddressPayload(new Uint8Array(71))).code).toBe('FRAME_LENGTH');
    expect(thrownXinyiError(() => encodeAppendedAddressPayload('测'.repeat(36))).code).toBe(
      'INVALID_ARGUMENT',
    );
  });

  it('SW3 0x91 (no content) is a success code', () => {
    const r = decodeOne(encodeSamResponse(0, 0, 0x91));
    expect(r.sw3).toBe(0x91);
  });
});

describe('SAM ID (0x12 0xFF, §1.5 ⚠️)', () => {
  const parts: SamIdParts = [5, 1, 20230101, 12345, 67890];

  it('16-byte payload → LEN 0x0014, 27-byte frame; u16LE u16LE u32LE u32LE u32LE', () => {
    const payload = encodeSamIdPayload(parts);
    expect(toHex(payload)).toBe('05 00 01 00 D5 AF 34 01 39 30 00 00 32 09 01 00');
    const frame = encodeSamResponse(0, 0, 0x90, payload);
    expect(frame.length).toBe(27);
    expect(frame.readUInt16BE(5)).toBe(0x0014);
    expect(parseSamIdPayload(decodeOne(frame).data)).toEqual({
      parts,
      text: '05.01-20230101-0000012345-0000067890',
    });
  });

  it('pads the last two numbers to 10 digits by default, 9 on request (vendors disagree)', () => {
    expect(formatSamId(parts, { serialDigits: 9 })).toBe('05.01-20230101-000012345-000067890');
    expect(parseSamIdPayload(encodeSamIdPayload(parts), { serialDigits: 9 }).text).toBe(
      '05.01-20230101-000012345-000067890',
    );
    expect(thrownXinyiError(() => formatSamId(parts, { serialDigits: 8 as 9 })).code).toBe('INVALID_OPTIONS');
  });

  it('reads u32 values above 2^31 unsigned', () => {
    const big: SamIdParts = [0xffff, 0, 0xffffffff, 0x80000000, 4294967295];
    expect(parseSamIdPayload(encodeSamIdPayload(big)).text).toBe('65535.00-4294967295-2147483648-4294967295');
  });

  it('rejects a payload that is not 16 bytes and parts out of range', () => {
    expect(thrownXinyiError(() => parseSamIdPayload(new Uint8Array(15)))).toMatchObject({
      code: 'FRAME_LENGTH',
      details: { dataBytes: 15, expectedBytes: 16 },
    });
    expect(thrownXinyiError(() => encodeSamIdPayload([0x10000, 0, 0, 0, 0])).code).toBe('INVALID_ARGUMENT');
  });
});
