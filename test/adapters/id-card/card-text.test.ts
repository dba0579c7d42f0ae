import { describe, expect, it } from 'vitest';
import {
  CARD_TEXT_LAYOUTS,
  type CardText,
  type CardTextField,
  detectCardType,
  encodeCardText,
  type ForeignPermanent2017CardFields,
  type ForeignPermanent2023CardFields,
  type HkMacaoTaiwanCardFields,
  parseCardText,
  type ResidentCardFields,
  toIdCardCredential,
} from '../../../adapters/id-card/index.js';
import { thrownXinyiError } from '../../support/thrown.js';
import { NOW, REFERENCE_RESIDENT_TEXT } from './fixtures.js';
import { toHex } from './helpers.js';

// Synthetic people only: names 测试甲…, numbers built with valid GB 11643 check digits.
const RESIDENT: ResidentCardFields = {
  cardType: 'resident',
  name: '测试甲',
  genderCode: '1',
  nationCode: '01',
  birthDate: '1990-03-07',
  address: '测试省示例市样板区测试路1号',
  idNumber: '110101199003071233',
  issuingAuthority: '测试市公安局示例分局',
  validFrom: '2020-01-01',
  validUntil: '2040-01-01',
};

const HMT: HkMacaoTaiwanCardFields = {
  cardType: 'hk-macao-taiwan',
  name: '测试乙',
  genderCode: '2',
  birthDate: '1988-08-08',
  address: '测试省示例市样板路2号',
  idNumber: '82000019880808004X',
  issuingAuthority: '测试市公安局',
  validFrom: '2019-05-01',
  validUntil: '2024-05-01',
  passNumber: 'T01234567',
  issueCount: '01',
};

const FOREIGN_2017: ForeignPermanent2017CardFields = {
  cardType: 'foreign-permanent-2017',
  englishName: 'TESTER, ALPHA BRAVO CHARLIE',
  name: '测试丙',
  genderCode: '1',
  birthDate: '1985-03-15',
  idNumber: 'USA110085031501',
  nationality: 'USA',
  validFrom: '2017-06-01',
  validUntil: '2027-06-01',
  cardVersion: '01',
  authorityCode: '1100',
};

const FOREIGN_2023: ForeignPermanent2023CardFields = {
  cardType: 'foreign-permanent-2023',
  name: '测试丁',
  genderCode: '2',
  renewalCount: '00',
  birthDate: '1985-03-15',
  // 46 characters: 35 in the first slot, 11 in the continuation.
  englishName: 'TESTERSON-EXAMPLE, ALPHA BRAVO CHARLIE DELTA X',
  idNumber: '911076198503150019',
  validFrom: '2023-12-01',
  validUntil: '2033-12-01',
  nationality: 'USA',
  previousNumberLink: 'A01',
};

function field(bytes: Uint8Array, f: CardTextField): string {
  return toHex(bytes.subarray(f.offset, f.offset + f.bytes));
}

describe('layouts (§1.8, §1.10)', () => {
  it.each(Object.entries(CARD_TEXT_LAYOUTS))(
    '%s tiles all 256 bytes without gaps or overlaps',
    (_t, layout) => {
      const fields = Object.values(layout as Record<string, CardTextField>).sort(
        (a, b) => a.offset - b.offset,
      );
      let at = 0;
      for (const f of fields) {
        expect(f.offset).toBe(at);
        expect(f.bytes % 2).toBe(0);
        at += f.bytes;
      }
      expect(at).toBe(256);
    },
  );

  it('places the fields at the reference offsets', () => {
    expect(CARD_TEXT_LAYOUTS.resident).toMatchObject({
      name: { offset: 0, bytes: 30 },
      genderCode: { offset: 30, bytes: 2 },
      nationCode: { offset: 32, bytes: 4 },
      birthDate: { offset: 36, bytes: 16 },
      address: { offset: 52, bytes: 70 },
      idNumber: { offset: 122, bytes: 36 },
      issuingAuthority: { offset: 158, bytes: 30 },
      validFrom: { offset: 188, bytes: 16 },
      validUntil: { offset: 204, bytes: 16 },
      reserved: { offset: 220, bytes: 36 },
    });
    expect(CARD_TEXT_LAYOUTS['hk-macao-taiwan']).toMatchObject({
      passNumber: { offset: 220, bytes: 18 },
      issueCount: { offset: 238, bytes: 4 },
      cardTypeFlag: { offset: 248, bytes: 2 },
    });
    expect(CARD_TEXT_LAYOUTS['foreign-permanent-2017']).toMatchObject({
      englishName: { offset: 0, bytes: 120 },
      genderCode: { offset: 120, bytes: 2 },
      idNumber: { offset: 122, bytes: 30 },
      nationality: { offset: 152, bytes: 6 },
      name: { offset: 158, bytes: 30 },
      birthDate: { offset: 220, bytes: 16 },
      cardVersion: { offset: 236, bytes: 4 },
      authorityCode: { offset: 240, bytes: 8 },
    });
    expect(CARD_TEXT_LAYOUTS['foreign-permanent-2023']).toMatchObject({
      renewalCount: { offset: 32, bytes: 4 },
      englishName1: { offset: 52, bytes: 70 },
      englishName2: { offset: 220, bytes: 22 },
      nationality: { offset: 242, bytes: 6 },
      previousNumberLink: { offset: 250, bytes: 6 },
    });
  });
});

describe('parseCardText: the §1.8 reference sample', () => {
  it('decodes every field', () => {
    expect(parseCardText(REFERENCE_RESIDENT_TEXT, { now: NOW })).toEqual({
      cardType: 'resident',
      name: '张三',
      genderCode: '1',
      gender: 'male',
      genderName: '男',
      nationCode: '01',
      nation: '汉',
      birthDate: '1949-12-31',
      address: '北京市西城区某某街道1号',
      idNumber: '11010519491231002X',
      idNumberValid: true,
      issuingAuthority: '北京市公安局西城分局',
      validFrom: '2015-01-01',
      validUntil: '2035-01-01',
      longTerm: false,
      // The reference's sample pairs gender '1' with sequence 002, which GB 11643 reserves for
      // women; the parser reports that rather than hiding it.
      issues: [{ field: 'genderCode', code: 'id-gender-mismatch' }],
    });
  });

  it('re-encodes byte-exact', () => {
    const parsed = parseCardText(REFERENCE_RESIDENT_TEXT, { now: NOW });
    expect(toHex(encodeCardText(parsed))).toBe(toHex(REFERENCE_RESIDENT_TEXT));
  });

  it('is a resident card (no J/I/Y flag at byte 248)', () => {
    expect(detectCardType(REFERENCE_RESIDENT_TEXT)).toBe('resident');
  });
});

describe('round trips for all four layouts', () => {
  const cases: Array<
    [
      string,
      CardText['cardType'],
      (
        | ResidentCardFields
        | HkMacaoTaiwanCardFields
        | ForeignPermanent2017CardFields
        | ForeignPermanent2023CardFields
      ),
      string | null,
    ]
  > = [
    ['resident', 'resident', RESIDENT, null],
    ['hk-macao-taiwan', 'hk-macao-taiwan', HMT, '4A 00'],
    ['foreign-permanent-2017', 'foreign-permanent-2017', FOREIGN_2017, '49 00'],
    ['foreign-permanent-2023', 'foreign-permanent-2023', FOREIGN_2023, '59 00'],
  ];

  it.each(cases)(
    '%s: encode → parse gives the fields back; parse → encode gives the bytes back',
    (_n, type, fields, flag) => {
      for (const padding of ['space', 'nul'] as const) {
        const bytes = encodeCardText(fields, { padding });
        expect(bytes.length).toBe(256);
        if (flag !== null) expect(toHex(bytes.subarray(248, 250))).toBe(flag);
        expect(detectCardType(bytes)).toBe(type);
        const parsed = parseCardText(bytes, { now: NOW });
        expect(parsed).toMatchObject({ ...fields, longTerm: false, issues: [] });
        expect(encodeCardText(parsed, { padding }).equals(bytes)).toBe(true);
      }
    },
  );

  it('resident: derived fields', () => {
    expect(parseCardText(encodeCardText(RESIDENT), { now: NOW })).toMatchObject({
      gender: 'male',
      genderName: '男',
      nation: '汉',
      idNumberValid: true,
    });
  });

  it('hk-macao-taiwan: region from the 810000/820000/830000 prefix, GB 11643 check', () => {
    const card = (idNumber: string, birthDate: string, genderCode: string) =>
      parseCardText(encodeCardText({ ...HMT, idNumber, birthDate, genderCode }), { now: NOW });
    expect(card('810000199505050014', '1995-05-05', '1')).toMatchObject({
      region: 'hong-kong',
      idNumberValid: true,
      issues: [],
    });
    expect(card('82000019880808004X', '1988-08-08', '2')).toMatchObject({
      region: 'macao',
      idNumberValid: true,
      issues: [],
    });
    expect(card('830000200002290031', '2000-02-29', '1')).toMatchObject({
      region: 'taiwan',
      idNumberValid: true,
      issues: [],
    });
    // A valid mainland number is not a J-card number.
    expect(card('110101199003071233', '1990-03-07', '1')).toMatchObject({
      region: null,
      idNumberValid: false,
      issues: [{ field: 'idNumber', code: 'id-number-invalid', problem: 'prefix' }],
    });
    expect(card('810000199505050015', '1995-05-05', '1')).toMatchObject({
      idNumberValid: false,
      issues: [{ field: 'idNumber', code: 'id-number-invalid', problem: 'check-digit' }],
    });
  });

  it('hk-macao-taiwan: pass number and issue count at 220 / 238', () => {
    const bytes = encodeCardText(HMT);
    expect(bytes.toString('utf16le', 220, 238)).toBe('T01234567');
    expect(bytes.toString('utf16le', 238, 242)).toBe('01');
  });

  it('foreign-permanent-2017: no confirmed number check, English name first, birth date at 220', () => {
    const bytes = encodeCardText(FOREIGN_2017);
    expect(bytes.toString('utf16le', 0, 54)).toBe('TESTER, ALPHA BRAVO CHARLIE');
    expect(bytes.toString('utf16le', 220, 236)).toBe('19850315');
    const parsed = parseCardText(bytes, { now: NOW });
    expect(parsed).toMatchObject({ idNumberValid: null, gender: 'male' });
    const noChinese = parseCardText(encodeCardText({ ...FOREIGN_2017, name: '' }), { now: NOW });
    expect(noChinese).toMatchObject({ name: '', issues: [] });
    expect(toIdCardCredential(noChinese)).toEqual({
      kind: 'id-card',
      idNumber: 'USA110085031501',
      cardType: 'foreign-permanent-2017',
      name: 'TESTER, ALPHA BRAVO CHARLIE',
    });
  });

  it('foreign-permanent-2023: English name split 35 + 11 and joined back, a space at the split kept', () => {
    const bytes = encodeCardText(FOREIGN_2023);
    expect(bytes.toString('utf16le', 52, 122)).toBe(FOREIGN_2023.englishName.slice(0, 35));
    expect(bytes.toString('utf16le', 220, 242)).toBe(FOREIGN_2023.englishName.slice(35));
    const spaced = `${'A'.repeat(34)} ${'B'.repeat(11)}`;
    expect(spaced).toHaveLength(46);
    expect(parseCardText(encodeCardText({ ...FOREIGN_2023, englishName: spaced }))).toMatchObject({
      englishName: spaced,
    });
    const short = parseCardText(encodeCardText({ ...FOREIGN_2023, englishName: 'TESTER ALPHA' }));
    expect(short).toMatchObject({ englishName: 'TESTER ALPHA' });
    expect(
      thrownXinyiError(() => encodeCardText({ ...FOREIGN_2023, englishName: 'X'.repeat(47) })),
    ).toMatchObject({
      code: 'INVALID_ARGUMENT',
      details: { argument: 'englishName', maxChars: 46 },
    });
  });

  it('foreign-permanent-2023: number check is off by default and configurable (rules unconfirmed)', () => {
    const bytes = encodeCardText(FOREIGN_2023);
    expect(parseCardText(bytes).idNumberValid).toBeNull();
    expect(parseCardText(bytes, { foreign2023IdCheck: 'none' }).idNumberValid).toBeNull();
    expect(parseCardText(bytes, { foreign2023IdCheck: 'gb11643-check-digit' })).toMatchObject({
      idNumberValid: true,
      issues: [],
    });
    const bad = encodeCardText({ ...FOREIGN_2023, idNumber: '911076198503150018' });
    expect(parseCardText(bad, { foreign2023IdCheck: 'gb11643-check-digit' })).toMatchObject({
      idNumberValid: false,
      issues: [{ field: 'idNumber', code: 'id-number-invalid', problem: 'check-digit' }],
    });
  });
});

describe('resident ID number validation (GB 11643)', () => {
  it.each([
    ['110101199003071234', 'check-digit'],
    ['990101199003071233', 'region'],
    ['11010119900307123', 'length'],
    ['11010119900307123A', 'format'],
  ])('flags %s as invalid (%s) instead of accepting it', (idNumber, problem) => {
    const parsed = parseCardText(encodeCardText({ ...RESIDENT, idNumber }), { now: NOW });
    expect(parsed.idNumberValid).toBe(false);
    expect(parsed.issues).toContainEqual({ field: 'idNumber', code: 'id-number-invalid', problem });
  });

  it('uses `now` to bound the birth date', () => {
    const bytes = encodeCardText({ ...RESIDENT, birthDate: '2025-01-01', idNumber: '330106202501011230' });
    expect(parseCardText(bytes, { now: Date.UTC(2026, 0, 1) }).idNumberValid).toBe(true);
    expect(parseCardText(bytes, { now: Date.UTC(2024, 0, 1) }).issues).toContainEqual({
      field: 'idNumber',
      code: 'id-number-invalid',
      problem: 'birth-date',
    });
  });

  it('accepts a lower-case x check character', () => {
    const bytes = encodeCardText({
      ...RESIDENT,
      idNumber: '11010519491231002x',
      birthDate: '1949-12-31',
      genderCode: '2',
    });
    expect(parseCardText(bytes, { now: NOW })).toMatchObject({ idNumberValid: true, issues: [] });
  });

  it('cross-checks the birth date and gender inside the number', () => {
    const parsed = parseCardText(encodeCardText({ ...RESIDENT, birthDate: '1990-03-08', genderCode: '2' }), {
      now: NOW,
    });
    expect(parsed.idNumberValid).toBe(true);
    expect(parsed.issues).toEqual([
      { field: 'birthDate', code: 'id-birth-date-mismatch' },
      { field: 'genderCode', code: 'id-gender-mismatch' },
    ]);
  });

  it('issues never carry the number or the name (safe to log)', () => {
    const parsed = parseCardText(encodeCardText({ ...RESIDENT, idNumber: '110101199003071234' }), {
      now: NOW,
    });
    const logged = JSON.stringify(parsed.issues);
    expect(logged).not.toContain('110101');
    expect(logged).not.toContain('测试甲');
  });

  it('an empty number is field-empty, not valid', () => {
    const parsed = parseCardText(encodeCardText({ ...RESIDENT, idNumber: '' }), { now: NOW });
    expect(parsed.idNumberValid).toBe(false);
    expect(parsed.issues).toContainEqual({ field: 'idNumber', code: 'field-empty' });
  });
});

describe('validity end 长期 (§1.8)', () => {
  it('encodes 长期 as UCS-2 7F 95 1F 67 plus padding and parses it as longTerm with validUntil null', () => {
    const bytes = encodeCardText({ ...RESIDENT, validUntil: null, longTerm: true });
    const until = CARD_TEXT_LAYOUTS.resident.validUntil;
    expect(field(bytes, until)).toBe('7F 95 1F 67 20 00 20 00 20 00 20 00 20 00 20 00');
    expect(field(encodeCardText({ ...RESIDENT, longTerm: true }, { padding: 'nul' }), until)).toBe(
      '7F 95 1F 67 00 00 00 00 00 00 00 00 00 00 00 00',
    );
    const parsed = parseCardText(bytes, { now: NOW });
    expect(parsed).toMatchObject({ validFrom: '2020-01-01', validUntil: null, longTerm: true, issues: [] });
    expect(encodeCardText(parsed).equals(bytes)).toBe(true);
  });

  it('accepts 长期 with either padding and on every card type', () => {
    for (const fields of [RESIDENT, HMT, FOREIGN_2017, FOREIGN_2023]) {
      for (const padding of ['space', 'nul'] as const) {
        const parsed = parseCardText(encodeCardText({ ...fields, longTerm: true }, { padding }), {
          now: NOW,
        });
        expect(parsed).toMatchObject({ validUntil: null, longTerm: true });
        expect(parsed.issues.filter((i) => i.field === 'validUntil')).toEqual([]);
      }
    }
  });

  it('a card with a date end is not long-term', () => {
    expect(parseCardText(encodeCardText(RESIDENT), { now: NOW })).toMatchObject({
      validUntil: '2040-01-01',
      longTerm: false,
    });
  });
});

describe('dates', () => {
  it('flags impossible calendar dates and blank dates', () => {
    const parsed = parseCardText(
      encodeCardText({ ...RESIDENT, validFrom: '2023-02-29', validUntil: null, birthDate: '19900307' }),
      { now: NOW },
    );
    expect(parsed).toMatchObject({
      birthDate: '1990-03-07',
      validFrom: null,
      validUntil: null,
      longTerm: false,
    });
    expect(parsed.issues).toEqual([
      { field: 'validFrom', code: 'date-invalid' },
      { field: 'validUntil', code: 'field-empty' },
    ]);
  });

  it('accepts 29 February in leap years only', () => {
    const leap = parseCardText(encodeCardText({ ...RESIDENT, validFrom: '2024-02-29' }), { now: NOW });
    expect(leap.validFrom).toBe('2024-02-29');
    const notLeap = parseCardText(encodeCardText({ ...RESIDENT, validFrom: '1900-02-29' }), { now: NOW });
    expect(notLeap.validFrom).toBeNull();
  });

  it('rejects a malformed date when encoding', () => {
    expect(thrownXinyiError(() => encodeCardText({ ...RESIDENT, birthDate: '1990/03/07' }))).toMatchObject({
      code: 'INVALID_ARGUMENT',
      details: { argument: 'birthDate' },
    });
  });
});

describe('gender (GB/T 2261.1)', () => {
  it.each([
    ['0', 'unknown', '未知的性别'],
    ['1', 'male', '男'],
    ['2', 'female', '女'],
    ['9', 'unspecified', '未说明的性别'],
  ])('code %s → %s / %s; stored as one UCS-2 digit', (genderCode, gender, genderName) => {
    const bytes = encodeCardText({ ...RESIDENT, genderCode });
    expect(field(bytes, CARD_TEXT_LAYOUTS.resident.genderCode)).toBe(`3${genderCode} 00`);
    const parsed = parseCardText(bytes, { now: NOW });
    expect(parsed).toMatchObject({ genderCode, gender, genderName });
  });

  it('an unknown code is reported', () => {
    const parsed = parseCardText(encodeCardText({ ...RESIDENT, genderCode: '3' }), { now: NOW });
    expect(parsed).toMatchObject({ gender: null, genderName: null });
    expect(parsed.issues).toContainEqual({ field: 'genderCode', code: 'gender-unknown' });
  });
});

describe('nations on the card (GB 3304, §1.9)', () => {
  const codes = [...Array.from({ length: 56 }, (_, i) => String(i + 1).padStart(2, '0')), '97', '98'];

  it.each(codes)('nation %s decodes to its name with no issue', (nationCode) => {
    const parsed = parseCardText(encodeCardText({ ...RESIDENT, nationCode }), { now: NOW });
    expect(parsed.cardType).toBe('resident');
    if (parsed.cardType !== 'resident') return;
    expect(parsed.nationCode).toBe(nationCode);
    expect(parsed.nation).toEqual(expect.any(String));
    expect(parsed.issues).toEqual([]);
  });

  it.each(['00', '57', '58', '99', ''])('nation %j is reported unknown', (nationCode) => {
    const parsed = parseCardText(encodeCardText({ ...RESIDENT, nationCode }), { now: NOW });
    expect(parsed).toMatchObject({ nation: null });
    expect(parsed.issues).toContainEqual({ field: 'nationCode', code: 'nation-unknown' });
  });
});

describe('card-type detection (§1.10)', () => {
  it.each([
    ['4A 00', 'hk-macao-taiwan'],
    ['49 00', 'foreign-permanent-2017'],
    ['59 00', 'foreign-permanent-2023'],
    ['20 00', 'resident'],
    ['00 00', 'resident'],
    ['4B 00', 'resident'],
    ['4A 4A', 'resident'],
  ])('flag %s → %s', (flag, type) => {
    const bytes = Buffer.from(REFERENCE_RESIDENT_TEXT);
    Buffer.from(flag.replace(/ /g, ''), 'hex').copy(bytes, 248);
    expect(detectCardType(bytes)).toBe(type);
    expect(parseCardText(bytes, { now: NOW }).cardType).toBe(type);
  });
});

describe('input checks', () => {
  it('requires exactly 256 bytes', () => {
    for (const n of [0, 255, 257, 1295]) {
      expect(thrownXinyiError(() => parseCardText(new Uint8Array(n)))).toMatchObject({
        code: 'INVALID_ARGUMENT',
        details: { bytes: n },
      });
    }
  });

  it('accepts a plain Uint8Array view at an offset', () => {
    const backing = new Uint8Array(300);
    backing.set(REFERENCE_RESIDENT_TEXT, 10);
    expect(parseCardText(backing.subarray(10, 266), { now: NOW })).toMatchObject({ name: '张三' });
  });

  it('validates options, naming them', () => {
    expect(
      thrownXinyiError(() => parseCardText(REFERENCE_RESIDENT_TEXT, { foreign2023IdCheck: 'x' as 'none' })),
    ).toMatchObject({
      code: 'INVALID_OPTIONS',
      details: { option: 'foreign2023IdCheck' },
    });
    expect(
      thrownXinyiError(() => parseCardText(REFERENCE_RESIDENT_TEXT, { now: Number.NaN })).details,
    ).toEqual({
      option: 'now',
    });
    expect(thrownXinyiError(() => encodeCardText(RESIDENT, { padding: 'tab' as 'nul' })).details).toEqual({
      option: 'padding',
    });
  });

  it('rejects values that do not fit their field', () => {
    expect(thrownXinyiError(() => encodeCardText({ ...RESIDENT, name: '测'.repeat(16) }))).toMatchObject({
      code: 'INVALID_ARGUMENT',
      details: { argument: 'name', maxChars: 15, chars: 16 },
    });
    expect(encodeCardText({ ...RESIDENT, name: '测'.repeat(15) }).length).toBe(256);
    expect(
      thrownXinyiError(() => encodeCardText({ ...RESIDENT, address: '址'.repeat(36) })).details,
    ).toMatchObject({
      argument: 'address',
      maxChars: 35,
    });
  });

  it('trims NUL and space padding, including leading padding', () => {
    const bytes = encodeCardText({ ...RESIDENT, name: ' 测试甲', address: '测试路1号 ' });
    expect(parseCardText(bytes, { now: NOW })).toMatchObject({ name: '测试甲', address: '测试路1号' });
  });
});

describe('toIdCardCredential', () => {
  it('carries the number, card type and Chinese name', () => {
    expect(toIdCardCredential(parseCardText(encodeCardText(RESIDENT), { now: NOW }))).toEqual({
      kind: 'id-card',
      idNumber: '110101199003071233',
      cardType: 'resident',
      name: '测试甲',
    });
    const y = parseCardText(encodeCardText(FOREIGN_2023));
    expect(toIdCardCredential(y)).toMatchObject({ cardType: 'foreign-permanent-2023', name: '测试丁' });
  });
});
