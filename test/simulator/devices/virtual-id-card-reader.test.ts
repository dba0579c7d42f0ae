import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type CardTextFields,
  encodeSamCommand,
  encodeSamCommandByName,
  encodeSetBaudRate,
  encodeSetMaxRfBytes,
  type ForeignPermanent2017CardFields,
  type ForeignPermanent2023CardFields,
  parseAppendedAddressPayload,
  parseCardText,
  parseReadPayload,
  parseSamIdPayload,
  type ResidentCardFields,
  type SamCommandName,
  SamFrameDecoder,
  type SamResponse,
} from '../../../adapters/id-card/index.js';
import { createMemoryLink } from '../../../adapters/transport/memory-transport.js';
import { isXinyiError } from '../../../sdk/errors.js';
import {
  cardFieldsForPerson,
  VirtualIdCardReader,
  type VirtualIdCardReaderOptions,
} from '../../../simulator/devices/index.js';
import {
  generatePopulation,
  generateResidentIdNumber,
  type SyntheticPerson,
} from '../../../simulator/population.js';
import { createRng } from '../../../simulator/prng.js';
import { NOW, READ_BASE_HEADER, REFERENCE_READ_BASE_FRAME } from '../../adapters/id-card/fixtures.js';
import { hex, toHex } from '../../adapters/id-card/helpers.js';
import { thrownXinyiError } from '../../support/thrown.js';

// Synthetic data only: people come from generatePopulation / generateResidentIdNumber, foreigner
// cards from made-up test fields.

/** Literal frames from docs/protocols.md §1.5. */
const FRAMES = {
  findOk: 'AA AA AA 96 69 00 08 00 00 9F 00 00 00 00 97',
  selectOk: 'AA AA AA 96 69 00 0C 00 00 90 00 00 00 00 00 00 00 00 9C',
  noCard: 'AA AA AA 96 69 00 04 00 00 80 84',
  samOk: 'AA AA AA 96 69 00 04 00 00 90 94',
  selectFailed: 'AA AA AA 96 69 00 04 00 00 81 85',
  readFailed: 'AA AA AA 96 69 00 04 00 00 41 45',
} as const;

/** The same status-only frame shape for other SW3 values (LEN 4, CHK = 04 ⊕ SW3). */
function statusFrame(sw3: number): string {
  return toHex(hex(`AA AA AA 96 69 00 04 00 00 ${byteHex(sw3)} ${byteHex(0x04 ^ sw3)}`));
}

function byteHex(n: number): string {
  return n.toString(16).padStart(2, '0').toUpperCase();
}

const people = generatePopulation(400, 'virtual-id-card-reader');
const mainlander = people.find((p) => !/^8[123]/.test(p.idNumber))!;
const permitHolder: SyntheticPerson = {
  ...mainlander,
  id: 'p9001',
  idNumber: generateResidentIdNumber(createRng('permit'), {
    regionCode: '820000',
    birthDate: mainlander.birthDate,
    gender: mainlander.gender,
  }),
};

const FOREIGN_2017: ForeignPermanent2017CardFields = {
  cardType: 'foreign-permanent-2017',
  englishName: 'TESTER, ALPHA BRAVO',
  name: mainlander.name,
  genderCode: mainlander.gender === 'male' ? '1' : '2',
  birthDate: mainlander.birthDate,
  idNumber: 'USA110085031501',
  nationality: 'USA',
  validFrom: '2017-06-01',
  validUntil: '2027-06-01',
  cardVersion: '01',
  authorityCode: '1100',
};

const FOREIGN_2023: ForeignPermanent2023CardFields = {
  cardType: 'foreign-permanent-2023',
  name: mainlander.name,
  genderCode: mainlander.gender === 'male' ? '1' : '2',
  renewalCount: '00',
  birthDate: mainlander.birthDate,
  englishName: 'TESTERSON-EXAMPLE, ALPHA BRAVO CHARLIE DELTA X',
  idNumber: '911076198503150019',
  validFrom: '2023-12-01',
  validUntil: '2033-12-01',
  nationality: 'USA',
  previousNumberLink: 'A01',
};

/** The §1.8 reference text (张三, the textbook GB 11643 number) as fields. */
const REFERENCE_FIELDS: ResidentCardFields = {
  cardType: 'resident',
  name: '张三',
  genderCode: '1',
  nationCode: '01',
  birthDate: '1949-12-31',
  address: '北京市西城区某某街道1号',
  idNumber: '11010519491231002X',
  issuingAuthority: '北京市公安局西城分局',
  validFrom: '2015-01-01',
  validUntil: '2035-01-01',
};

/**
 * A reader on the device end of a memory link, the host end open, every byte the host receives
 * collected. Unplug events are wired to the link as the simulator harness does.
 */
async function rig(options: VirtualIdCardReaderOptions = {}) {
  const link = createMemoryLink();
  const reader = new VirtualIdCardReader(options);
  reader.on('unplug', () => link.unplug());
  reader.on('plug-in', () => link.plugIn());
  expect(await reader.attach(link.device)).toBe(true);
  await link.host.open();
  const received: Buffer[] = [];
  link.host.on('data', (chunk) => received.push(Buffer.from(chunk)));
  let seen = 0;

  /** Bytes that arrived since the last call. */
  const take = (): Buffer => {
    const all = Buffer.concat(received);
    const fresh = all.subarray(seen);
    seen = all.length;
    return Buffer.from(fresh);
  };
  /** Writes, lets `ms` of (fake) time pass, and returns what came back. */
  const send = async (bytes: Uint8Array | Uint8Array[], ms = 1_000): Promise<Buffer> => {
    for (const chunk of Array.isArray(bytes) ? bytes : [bytes]) await link.host.write(chunk);
    await vi.advanceTimersByTimeAsync(ms);
    return take();
  };
  const command = (name: Exclude<SamCommandName, 'setBaudRate' | 'setMaxRfBytes'>, ms?: number) =>
    send(encodeSamCommandByName(name), ms);
  /** find → select, as every read needs (§1.7). */
  const findAndSelect = async () => {
    expect(toHex(await command('findCard'))).toBe(FRAMES.findOk);
    expect((await command('selectCard'))[9]).toBe(0x90);
  };
  return { link, reader, send, take, command, findAndSelect };
}

function decodeOne(bytes: Uint8Array): SamResponse {
  const frames = new SamFrameDecoder().push(bytes);
  expect(frames).toHaveLength(1);
  const frame = frames[0]!;
  if (isXinyiError(frame)) throw frame;
  return frame;
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('VirtualIdCardReader: literal frames (§1.5)', () => {
  it('answers find with 0x80 when no card lies on the reader', async () => {
    const { command } = await rig();
    expect(toHex(await command('findCard'))).toBe(FRAMES.noCard);
  });

  it('answers find with 0x9F + 4 zero bytes and select with 0x90 + 8-byte serial number', async () => {
    const { reader, command } = await rig();
    reader.placeCard(mainlander);
    expect(reader.cardPresent).toBe(true);
    expect(toHex(await command('findCard'))).toBe(FRAMES.findOk);
    expect(toHex(await command('selectCard'))).toBe(FRAMES.selectOk);
  });

  it('keeps answering find with 0x9F while the card stays on the reader', async () => {
    const { reader, command, findAndSelect } = await rig();
    reader.placeCard(mainlander);
    await findAndSelect();
    expect((await command('readBase')).length).toBe(1295);
    expect(toHex(await command('findCard'))).toBe(FRAMES.findOk);
  });

  it('answers SAM status with 0x90 and no data, and reset with 0x90', async () => {
    const { command } = await rig();
    expect(toHex(await command('samStatus'))).toBe(FRAMES.samOk);
    expect(toHex(await command('resetSam'))).toBe(FRAMES.samOk);
  });

  it('answers the SAM ID with its 16-byte payload (27-byte frame)', async () => {
    const { command } = await rig();
    const frame = await command('readSamId');
    expect(frame).toHaveLength(27);
    expect(toHex(frame.subarray(0, 10))).toBe('AA AA AA 96 69 00 14 00 00 90');
    expect(parseSamIdPayload(decodeOne(frame).data).text).toBe('05.01-20230101-0000012345-0000067890');
  });

  it('takes the SAM ID from options, as numbers or raw bytes', async () => {
    const fromParts = await rig({ samId: [7, 2, 20240315, 1, 4_000_000_000] });
    const parts = parseSamIdPayload(decodeOne(await fromParts.command('readSamId')).data);
    expect(parts.parts).toEqual([7, 2, 20240315, 1, 4_000_000_000]);
    const raw = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');
    const fromBytes = await rig({ samId: raw });
    expect(decodeOne(await fromBytes.command('readSamId')).data).toEqual(raw);
  });
});

describe('VirtualIdCardReader: reading cards', () => {
  it('sends the §1.8 reference frame byte for byte (1295 bytes, CHK 0x87)', async () => {
    const { reader, command, findAndSelect } = await rig();
    reader.placeCard(REFERENCE_FIELDS, { photo: Buffer.alloc(1024) });
    await findAndSelect();
    const frame = await command('readBase');
    expect(frame).toHaveLength(1295);
    expect(toHex(frame.subarray(0, 14))).toBe(toHex(READ_BASE_HEADER));
    expect(frame.equals(REFERENCE_READ_BASE_FRAME)).toBe(true);
  });

  const cases: Array<[string, SyntheticPerson | CardTextFields, Record<string, unknown>]> = [
    [
      'resident card from a synthetic person',
      mainlander,
      {
        cardType: 'resident',
        name: mainlander.name,
        idNumber: mainlander.idNumber,
        birthDate: mainlander.birthDate,
        gender: mainlander.gender,
        idNumberValid: true,
        issues: [],
      },
    ],
    [
      'J residence permit from a synthetic person with an 82 number',
      permitHolder,
      {
        cardType: 'hk-macao-taiwan',
        name: permitHolder.name,
        idNumber: permitHolder.idNumber,
        birthDate: permitHolder.birthDate,
        gender: permitHolder.gender,
        region: 'macao',
        idNumberValid: true,
        issues: [],
      },
    ],
    [
      'I card (2017 foreigner) from fields',
      FOREIGN_2017,
      { ...FOREIGN_2017, gender: mainlander.gender, issues: [] },
    ],
    [
      'Y card (2023 foreigner) from fields',
      FOREIGN_2023,
      { ...FOREIGN_2023, gender: mainlander.gender, issues: [] },
    ],
  ];

  it.each(cases)(
    '%s: 1295-byte response whose text parses back to the fields',
    async (_label, source, expected) => {
      const { reader, command, findAndSelect } = await rig();
      const card = reader.placeCard(source);
      await findAndSelect();
      const frame = await command('readBase');
      expect(frame).toHaveLength(1295);
      expect(toHex(frame.subarray(0, 14))).toBe('AA AA AA 96 69 05 08 00 00 90 01 00 04 00');
      const payload = parseReadPayload(decodeOne(frame).data, 'base');
      expect(payload.photo).toEqual(card.photo);
      const text = parseCardText(payload.text, { now: NOW });
      expect(text).toMatchObject(expected);
      expect(text).toMatchObject(card.fields as object);
    },
  );

  it('builds deterministic, plausible card fields for a person', () => {
    const fields = cardFieldsForPerson(mainlander);
    expect(cardFieldsForPerson(mainlander)).toEqual(fields);
    expect(fields.cardType).toBe('resident');
    expect(fields.address.length).toBeLessThanOrEqual(35);
    expect(fields.issuingAuthority).toMatch(/公安局/);
    const permit = cardFieldsForPerson(permitHolder);
    expect(permit).toMatchObject({
      cardType: 'hk-macao-taiwan',
      passNumber: expect.stringMatching(/^M\d{8}$/),
    });
    for (const person of people) {
      const parsed = parseCardText(new VirtualIdCardReader().placeCard(person).text, { now: NOW });
      expect(parsed.issues).toEqual([]);
    }
  });

  it('marks the default photo as simulated filler, not WLT', async () => {
    const { reader } = await rig();
    const card = reader.placeCard(mainlander);
    expect(card.photo).toHaveLength(1024);
    expect(card.photo.subarray(0, 23).toString('latin1')).toBe('XINYI-SIMULATED-NOT-WLT');
  });

  it.each([
    [1024, 2321, 'AA AA AA 96 69 09 0A 00 00 90 01 00 04 00 04 00'],
    [512, 1809, 'AA AA AA 96 69 07 0A 00 00 90 01 00 04 00 02 00'],
    [0, 1297, 'AA AA AA 96 69 05 0A 00 00 90 01 00 04 00 00 00'],
  ] as const)('read with fingerprint: FL %i gives a %i-byte frame', async (fl, total, header) => {
    const { reader, command, findAndSelect } = await rig();
    reader.placeCard(mainlander, { fingerprint: fl });
    await findAndSelect();
    const frame = await command('readBaseWithFingerprint');
    expect(frame).toHaveLength(total);
    expect(toHex(frame.subarray(0, 16))).toBe(header);
    const payload = parseReadPayload(decodeOne(frame).data, 'with-fingerprint');
    expect(payload.fingerprint).toHaveLength(fl);
    expect(parseCardText(payload.text, { now: NOW })).toMatchObject({ idNumber: mainlander.idNumber });
  });

  it('serves explicit fingerprint bytes and rejects other sizes', async () => {
    const { reader, command, findAndSelect } = await rig();
    const fp = Buffer.alloc(512, 0x5a);
    reader.placeCard(mainlander, { fingerprint: fp });
    await findAndSelect();
    const payload = parseReadPayload(
      decodeOne(await command('readBaseWithFingerprint')).data,
      'with-fingerprint',
    );
    expect(payload.fingerprint).toEqual(fp);
    expect(
      thrownXinyiError(() => reader.placeCard(mainlander, { fingerprint: Buffer.alloc(100) })).code,
    ).toBe('INVALID_ARGUMENT');
  });

  it('answers the appended address (81 bytes), or 0x91 when the card has none', async () => {
    const { reader, command, findAndSelect } = await rig();
    reader.placeCard(mainlander, { appendedAddress: '山东省潍坊市青州市海岱路8号' });
    await findAndSelect();
    expect((await command('readBase')).length).toBe(1295);
    const frame = await command('readNewestAddress');
    expect(frame).toHaveLength(81);
    expect(parseAppendedAddressPayload(decodeOne(frame).data).address).toBe('山东省潍坊市青州市海岱路8号');

    reader.placeCard(mainlander);
    await findAndSelect();
    expect(toHex(await command('readNewestAddress'))).toBe(statusFrame(0x91));
  });

  it('accepts a raw 256-byte text', async () => {
    const { reader, command, findAndSelect } = await rig();
    const text = REFERENCE_READ_BASE_FRAME.subarray(14, 270);
    reader.placeCard(text, { photo: Buffer.alloc(1024) });
    await findAndSelect();
    expect((await command('readBase')).equals(REFERENCE_READ_BASE_FRAME)).toBe(true);
    expect(thrownXinyiError(() => reader.placeCard(Buffer.alloc(255))).code).toBe('INVALID_ARGUMENT');
  });
});

describe('VirtualIdCardReader: sequence rules (§1.7)', () => {
  it('answers select before find with 0x81 and read before select with 0x41', async () => {
    const { reader, command } = await rig();
    reader.placeCard(mainlander);
    expect(toHex(await command('selectCard'))).toBe(FRAMES.selectFailed);
    expect(toHex(await command('findCard'))).toBe(FRAMES.findOk);
    expect(toHex(await command('readBase'))).toBe(FRAMES.readFailed);
    expect(toHex(await command('readNewestAddress'))).toBe(FRAMES.readFailed);
  });

  it('answers select and read with no card with 0x81 and 0x41', async () => {
    const { command } = await rig();
    expect(toHex(await command('selectCard'))).toBe(FRAMES.selectFailed);
    expect(toHex(await command('readBase'))).toBe(FRAMES.readFailed);
  });

  it('after removeCard, find answers 0x80 and reads fail', async () => {
    const { reader, command, findAndSelect } = await rig();
    reader.placeCard(mainlander);
    await findAndSelect();
    reader.removeCard();
    expect(reader.cardPresent).toBe(false);
    expect(toHex(await command('findCard'))).toBe(FRAMES.noCard);
    expect(toHex(await command('readBase'))).toBe(FRAMES.readFailed);
  });

  it('a new card must be found and selected again, and so after a SAM reset', async () => {
    const { reader, command, findAndSelect } = await rig();
    reader.placeCard(mainlander);
    await findAndSelect();
    reader.placeCard(permitHolder);
    expect(toHex(await command('readBase'))).toBe(FRAMES.readFailed);
    await findAndSelect();
    expect(await command('resetSam')).toHaveLength(11);
    expect(toHex(await command('readBase'))).toBe(FRAMES.readFailed);
    expect(toHex(await command('selectCard'))).toBe(FRAMES.selectFailed);
  });

  it('a card removed while the read is being processed makes the read fail with 0x41', async () => {
    const { reader, link, send, take, findAndSelect } = await rig({ processingDelayMs: { read: 300 } });
    reader.placeCard(mainlander);
    await findAndSelect();
    await link.host.write(encodeSamCommandByName('readBase'));
    await vi.advanceTimersByTimeAsync(100);
    expect(take()).toHaveLength(0);
    reader.removeCard();
    expect(toHex(await send([], 500))).toBe(FRAMES.readFailed);
  });

  it('takes the processing delay before answering', async () => {
    const { reader, link, send, take, findAndSelect } = await rig({ processingDelayMs: { read: 300 } });
    reader.placeCard(mainlander);
    await findAndSelect();
    await link.host.write(encodeSamCommandByName('readBase'));
    await vi.advanceTimersByTimeAsync(290);
    expect(take()).toHaveLength(0);
    expect(await send([], 200)).toHaveLength(1295);
  });
});

describe('VirtualIdCardReader: framing', () => {
  it('answers a command that arrives one byte at a time', async () => {
    const { reader, send } = await rig();
    reader.placeCard(mainlander);
    const bytes = Array.from(encodeSamCommandByName('findCard'), (b) => Uint8Array.of(b));
    expect(toHex(await send(bytes))).toBe(FRAMES.findOk);
  });

  it('answers two commands in one chunk, in order', async () => {
    const { reader, send } = await rig();
    reader.placeCard(mainlander);
    const both = Buffer.concat([encodeSamCommandByName('findCard'), encodeSamCommandByName('selectCard')]);
    expect(toHex(await send(both))).toBe(`${FRAMES.findOk} ${FRAMES.selectOk}`);
  });

  it('answers a frame with a bad checksum with 0x10, then serves the next command', async () => {
    const { send, command } = await rig();
    expect(toHex(await send(hex('AA AA AA 96 69 00 03 20 01 21')))).toBe(statusFrame(0x10));
    expect(toHex(await command('findCard'))).toBe(FRAMES.noCard);
  });

  it('answers a frame with an impossible length with 0x11', async () => {
    const { send } = await rig();
    expect(toHex(await send(hex('AA AA AA 96 69 00 01 00')))).toBe(statusFrame(0x11));
  });

  it('answers an unknown command with 0x21 (e.g. the undocumented 20 00 of §1.4)', async () => {
    const { send, reader } = await rig();
    expect(toHex(await send(encodeSamCommand(0x20, 0x00)))).toBe(statusFrame(0x21));
    expect(reader.stats.commands.unknown).toBe(1);
  });

  it('records a baud-rate change after answering 0x90, and refuses an undefined rate', async () => {
    const { reader, send } = await rig();
    const rates: number[] = [];
    reader.on('baud-rate', (rate) => rates.push(rate));
    expect(reader.baudRate).toBe(115200);
    expect(toHex(await send(encodeSetBaudRate(9600)))).toBe(FRAMES.samOk);
    expect(reader.baudRate).toBe(9600);
    expect(rates).toEqual([9600]);
    expect(toHex(await send(encodeSamCommand(0x60, 0x07)))).toBe(statusFrame(0x21));
    expect(reader.baudRate).toBe(9600);
  });

  it('accepts set-max-RF-bytes with its one data byte', async () => {
    const { reader, send } = await rig();
    expect(toHex(await send(encodeSetMaxRfBytes(0x50)))).toBe(FRAMES.samOk);
    expect(reader.maxRfBytes).toBe(0x50);
    expect(toHex(await send(encodeSamCommand(0x61, 0xff)))).toBe(statusFrame(0x21));
  });
});

describe('VirtualIdCardReader: faults', () => {
  it('garbage: bytes before the response that a host decoder skips', async () => {
    const { reader, command } = await rig();
    reader.injectFault({ kind: 'garbage', bytes: Buffer.from([1, 2, 3]) });
    const bytes = await command('findCard');
    expect(toHex(bytes)).toBe(`01 02 03 ${FRAMES.noCard}`);
    const decoder = new SamFrameDecoder();
    expect(decoder.push(bytes)).toHaveLength(1);
    expect(decoder.discardedBytes).toBe(3);
    expect(toHex(await command('findCard'))).toBe(FRAMES.noCard);
  });

  it('garbage: default noise holds no preamble', async () => {
    const { reader, command } = await rig();
    reader.injectFault({ kind: 'garbage' });
    const bytes = await command('samStatus');
    expect(bytes.length).toBeGreaterThan(11);
    expect(bytes.indexOf(hex('AA AA AA 96 69'))).toBe(bytes.length - 11);
  });

  it('bad-checksum: the response checksum is corrupted once', async () => {
    const { reader, command } = await rig();
    reader.injectFault({ kind: 'bad-checksum' });
    const bad = new SamFrameDecoder().push(await command('findCard'));
    expect(isXinyiError(bad[0], 'FRAME_CHECKSUM')).toBe(true);
    expect(toHex(await command('findCard'))).toBe(FRAMES.noCard);
  });

  it('checksum-blind-damage: two data bytes change and the XOR checksum still matches', async () => {
    const { reader, command, findAndSelect } = await rig();
    reader.placeCard(REFERENCE_FIELDS, { photo: Buffer.alloc(1024) });
    await findAndSelect();
    reader.injectFault({ kind: 'checksum-blind-damage', on: 'readBase' });
    const damaged = await command('readBase');
    const decoded = new SamFrameDecoder().push(damaged);
    expect(decoded).toHaveLength(1);
    expect(isXinyiError(decoded[0])).toBe(false);
    const changed = [...damaged].flatMap((b, i) => (b === REFERENCE_READ_BASE_FRAME[i] ? [] : [i]));
    // The ID number's first digit ('1' → '0') and the photo's last byte.
    expect(changed).toEqual([10 + 126, 1293]);
    expect(damaged[136]).toBe(0x30);
    // Once: the next read is clean.
    await findAndSelect();
    expect((await command('readBase')).equals(REFERENCE_READ_BASE_FRAME)).toBe(true);
  });

  it('checksum-blind-damage leaves a response without a byte at its offset alone', async () => {
    const { reader, command } = await rig();
    reader.injectFault({ kind: 'checksum-blind-damage' });
    expect(toHex(await command('findCard'))).toBe(FRAMES.noCard);
  });

  it('slow: the response comes delayMs late', async () => {
    const { reader, link, take, send } = await rig();
    reader.injectFault({ kind: 'slow', delayMs: 2_000 });
    await link.host.write(encodeSamCommandByName('findCard'));
    await vi.advanceTimersByTimeAsync(1_900);
    expect(take()).toHaveLength(0);
    expect(toHex(await send([], 200))).toBe(FRAMES.noCard);
  });

  it('no-reply: nothing is sent, `times` commands in a row, then service resumes', async () => {
    const { reader, command } = await rig();
    reader.injectFault({ kind: 'no-reply', times: 2 });
    expect(await command('findCard')).toHaveLength(0);
    expect(await command('findCard')).toHaveLength(0);
    expect(toHex(await command('findCard'))).toBe(FRAMES.noCard);
    expect(reader.stats.faultsApplied['no-reply']).toBe(2);
  });

  it('status: answers the given SW3 on matching commands only; persistent until withdrawn', async () => {
    const { reader, command, findAndSelect } = await rig();
    reader.placeCard(mainlander);
    const withdraw = reader.injectFault({
      kind: 'status',
      sw3: 0x31,
      sw1: 0x6a,
      sw2: 0x82,
      on: 'read',
      persistent: true,
    });
    await findAndSelect();
    for (let i = 0; i < 3; i++) {
      const response = decodeOne(await command('readBase'));
      expect(response).toMatchObject({ sw1: 0x6a, sw2: 0x82, sw3: 0x31 });
    }
    withdraw();
    expect(await command('readBase')).toHaveLength(1295);
  });

  it('status on find: a card that is there reported missing', async () => {
    const { reader, command } = await rig();
    reader.placeCard(mainlander);
    reader.injectFault({ kind: 'status', sw3: 0x80, on: 'find' });
    expect(toHex(await command('samStatus'))).toBe(FRAMES.samOk);
    expect(toHex(await command('findCard'))).toBe(FRAMES.noCard);
    expect(toHex(await command('findCard'))).toBe(FRAMES.findOk);
  });

  it('card-pulled-mid-read: the read response stops part-way and the card is gone', async () => {
    const { reader, command, findAndSelect } = await rig();
    reader.placeCard(mainlander);
    await findAndSelect();
    reader.injectFault({ kind: 'card-pulled-mid-read', afterBytes: 600 });
    const partial = await command('readBase');
    expect(partial).toHaveLength(600);
    expect(toHex(partial.subarray(0, 14))).toBe(toHex(READ_BASE_HEADER));
    expect(reader.cardPresent).toBe(false);
    expect(toHex(await command('findCard'))).toBe(FRAMES.noCard);
  });

  it('card-pulled-mid-read waits for a read command by default', async () => {
    const { reader, command, findAndSelect } = await rig();
    reader.placeCard(mainlander);
    reader.injectFault({ kind: 'card-pulled-mid-read' });
    await findAndSelect();
    expect(reader.cardPresent).toBe(true);
    expect(await command('readBaseWithFingerprint')).toHaveLength(Math.floor(1297 / 2));
    expect(reader.cardPresent).toBe(false);
  });

  it('unplug: the link drops instead of a reply, plugs back in after forMs, and service resumes', async () => {
    const { reader, link, command, findAndSelect } = await rig();
    reader.placeCard(mainlander);
    await findAndSelect();
    const closes: string[] = [];
    link.host.on('close', (reason) => closes.push(reason.kind));
    reader.injectFault({ kind: 'unplug', forMs: 500, on: 'read' });
    await link.host.write(encodeSamCommandByName('readBase'));
    await vi.advanceTimersByTimeAsync(100);
    expect(closes).toEqual(['disconnected']);
    expect(link.plugged).toBe(false);
    await vi.advanceTimersByTimeAsync(500);
    expect(link.plugged).toBe(true);
    // The device powered itself up again; the host reconnects as its driver would.
    expect(link.device.isOpen).toBe(true);
    await link.host.open();
    // A power cycle forgets the selection: the host must find and select again.
    expect(toHex(await command('readBase'))).toBe(FRAMES.readFailed);
    await findAndSelect();
    expect(await command('readBase')).toHaveLength(1295);
    expect(reader.stats.faultsApplied.unplug).toBe(1);
  });

  it('combines faults of different kinds on one command', async () => {
    const { reader, command } = await rig();
    reader.injectFault({ kind: 'garbage', bytes: Buffer.from([0xee]) });
    reader.injectFault({ kind: 'bad-checksum' });
    const bytes = await command('findCard');
    expect(toHex(bytes)).toBe(`EE ${FRAMES.noCard.slice(0, -2)}7B`);
  });

  it('rejects malformed faults', async () => {
    const { reader } = await rig();
    const bad = [
      { kind: 'melt' },
      { kind: 'slow', delayMs: -1 },
      { kind: 'status', sw3: 256 },
      { kind: 'no-reply', times: 0 },
      { kind: 'no-reply', on: 'everything' },
      { kind: 'checksum-blind-damage', mask: 0 },
      { kind: 'checksum-blind-damage', offset: -1 },
    ];
    for (const fault of bad) {
      expect(thrownXinyiError(() => reader.injectFault(fault as never)).code).toBe('INVALID_ARGUMENT');
    }
  });
});

describe('VirtualIdCardReader: connections', () => {
  it('keeps serving when the host closes and reopens the port', async () => {
    const { reader, link, command } = await rig();
    reader.placeCard(mainlander);
    await link.host.close();
    await link.host.open();
    expect(toHex(await command('findCard'))).toBe(FRAMES.findOk);
  });

  it('serves a new link once attached to it, and no longer the old one', async () => {
    const first = await rig();
    first.reader.placeCard(mainlander);
    const second = createMemoryLink();
    expect(await first.reader.attach(second.device)).toBe(true);
    expect(first.reader.transport).toBe(second.device);
    expect(first.link.device.isOpen).toBe(false);
    await second.host.open();
    const got: Buffer[] = [];
    second.host.on('data', (c) => got.push(Buffer.from(c)));
    await second.host.write(encodeSamCommandByName('findCard'));
    await vi.advanceTimersByTimeAsync(100);
    expect(toHex(Buffer.concat(got))).toBe(FRAMES.findOk);
    expect(await first.command('findCard')).toHaveLength(0);
  });

  it('drops commands in flight when the link goes away', async () => {
    const { reader, link, command } = await rig({ processingDelayMs: { read: 300 } });
    reader.placeCard(mainlander);
    await link.host.write(encodeSamCommandByName('findCard'));
    link.unplug();
    await vi.advanceTimersByTimeAsync(100);
    expect(await reader.attach(link.device)).toBe(false);
    link.plugIn();
    // Re-attaching powers the device up again once the cable is back.
    expect(await reader.attach(link.device)).toBe(true);
    await link.host.open();
    expect(toHex(await command('findCard'))).toBe(FRAMES.findOk);
    expect(reader.stats.responsesSent).toBe(1);
  });
});

describe('VirtualIdCardReader: options and stats', () => {
  it('validates options, naming the option', () => {
    expect(
      thrownXinyiError(() => new VirtualIdCardReader({ processingDelayMs: { read: -5 } })).details,
    ).toMatchObject({
      option: 'processingDelayMs.read',
    });
    expect(
      thrownXinyiError(() => new VirtualIdCardReader({ processingDelayMs: { fast: 1 } as never })).code,
    ).toBe('INVALID_OPTIONS');
    expect(thrownXinyiError(() => new VirtualIdCardReader({ samId: Buffer.alloc(3) })).code).toBe(
      'INVALID_OPTIONS',
    );
  });

  it('counts commands by name, responses and bytes', async () => {
    const { reader, command, send } = await rig();
    reader.placeCard(mainlander);
    await command('findCard');
    await command('selectCard');
    await send(hex('AA AA AA 96 69 00 03 20 01 21'));
    const stats = reader.stats;
    expect(stats.commands).toMatchObject({ findCard: 1, selectCard: 1, invalidFrame: 1, readBase: 0 });
    expect(stats.commandsReceived).toBe(3);
    expect(stats.responsesSent).toBe(3);
    expect(stats.bytesSent).toBe(15 + 19 + 11);
    reader.resetStats();
    expect(reader.stats.commandsReceived).toBe(0);
  });

  it('emits command and response events without card content', async () => {
    const { reader, command } = await rig();
    const events: unknown[] = [];
    reader.on('command', (e) => events.push(['command', e]));
    reader.on('response', (e) => events.push(['response', e]));
    await command('findCard');
    expect(events).toEqual([
      ['command', { name: 'findCard', cmd: 0x20, para: 0x01 }],
      ['response', { name: 'findCard', sw3: 0x80, bytes: 11, faults: [] }],
    ]);
  });
});
