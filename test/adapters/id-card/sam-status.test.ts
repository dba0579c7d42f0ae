import { describe, expect, it } from 'vitest';
import {
  describeSamStatus,
  encodeSamCommandByName,
  encodeSetBaudRate,
  encodeSetMaxRfBytes,
  SAM_BAUD_RATE_PARA,
  SAM_DEFAULT_BAUD_RATE,
  SAM_STATUS_TABLE,
  type SamBaudRate,
  SamCommand,
  SamStatus,
} from '../../../adapters/id-card/index.js';
import { isXinyiError } from '../../../sdk/errors.js';
import { toHex } from './helpers.js';

// docs/protocols.md §1.6: every SW3 code with its Chinese meaning.
const SW3_TABLE: Array<[number, string]> = [
  [0x90, '操作成功'],
  [0x91, '证/卡中此项无内容'],
  [0x9f, '寻找证/卡成功'],
  [0x10, '接收业务终端数据的校验和错'],
  [0x11, '接收业务终端数据的长度错'],
  [0x21, '接收业务终端的命令错误'],
  [0x23, '越权操作'],
  [0x24, '无法识别的错误'],
  [0x31, '证/卡认证SAM失败'],
  [0x32, 'SAM认证证/卡失败'],
  [0x33, '信息验证错误'],
  [0x40, '无法识别的卡类型'],
  [0x41, '读证/卡操作失败'],
  [0x47, '取随机数失败'],
  [0x60, 'SAM自检失败，不能接收任何命令'],
  [0x66, 'SAM未经授权，无法使用'],
  [0x80, '寻找证/卡失败'],
  [0x81, '选取证/卡失败'],
];

describe('SW3 status table (§1.6)', () => {
  it('has exactly the codes of the reference, each with Chinese and English meanings', () => {
    expect([...SAM_STATUS_TABLE.keys()].sort((a, b) => a - b)).toEqual(
      SW3_TABLE.map(([c]) => c).sort((a, b) => a - b),
    );
    for (const [code, zh] of SW3_TABLE) {
      const info = describeSamStatus(code);
      expect(info).toMatchObject({ code, zh, known: true });
      expect(info.en.length).toBeGreaterThan(3);
      expect(SamStatus[info.name as keyof typeof SamStatus]).toBe(code);
    }
  });

  it('marks success codes ok', () => {
    const ok = [...SAM_STATUS_TABLE.values()].filter((s) => s.ok).map((s) => s.code);
    expect(ok.sort()).toEqual([0x90, 0x91, 0x9f]);
  });

  it('marks no-card / select / read / RF / wire faults transient and SAM or authenticity faults not', () => {
    const transient = [...SAM_STATUS_TABLE.values()].filter((s) => s.transient).map((s) => s.code);
    expect(transient.sort((a, b) => a - b)).toEqual([0x10, 0x11, 0x41, 0x47, 0x80, 0x81]);
    expect(describeSamStatus(0x80).en).toMatch(/no card/);
    for (const code of [0x60, 0x66, 0x23, 0x31, 0x32, 0x33, 0x40])
      expect(describeSamStatus(code).transient).toBe(false);
  });

  it('describes undefined codes, including the unconfirmed 0x34–0x37, as unknown', () => {
    for (const code of [0x34, 0x35, 0x36, 0x37, 0x00, 0xff]) {
      expect(describeSamStatus(code)).toMatchObject({
        code,
        name: 'UNKNOWN',
        known: false,
        ok: false,
        transient: false,
      });
    }
  });
});

describe('command constants (§1.4)', () => {
  it('carry the exact CMD/PARA values', () => {
    expect(SamCommand).toEqual({
      resetSam: { cmd: 0x10, para: 0xff },
      samStatus: { cmd: 0x11, para: 0xff },
      readSamId: { cmd: 0x12, para: 0xff },
      findCard: { cmd: 0x20, para: 0x01 },
      selectCard: { cmd: 0x20, para: 0x02 },
      readBase: { cmd: 0x30, para: 0x01 },
      readNewestAddress: { cmd: 0x30, para: 0x03 },
      readBaseWithFingerprint: { cmd: 0x30, para: 0x10 },
      setBaudRate: { cmd: 0x60, para: 0x00 },
      setMaxRfBytes: { cmd: 0x61, para: 0xff },
    });
  });

  it.each([
    ['resetSam', 'AA AA AA 96 69 00 03 10 FF EC'],
    ['samStatus', 'AA AA AA 96 69 00 03 11 FF ED'],
    ['readSamId', 'AA AA AA 96 69 00 03 12 FF EE'],
    ['findCard', 'AA AA AA 96 69 00 03 20 01 22'],
    ['selectCard', 'AA AA AA 96 69 00 03 20 02 21'],
    ['readBase', 'AA AA AA 96 69 00 03 30 01 32'],
    ['readNewestAddress', 'AA AA AA 96 69 00 03 30 03 30'],
    ['readBaseWithFingerprint', 'AA AA AA 96 69 00 03 30 10 23'],
  ] as const)('encodes %s as the §1.4 frame', (name, frame) => {
    expect(toHex(encodeSamCommandByName(name))).toBe(frame);
  });

  it.each([
    [115200, 'AA AA AA 96 69 00 03 60 00 63'],
    [57600, 'AA AA AA 96 69 00 03 60 01 62'],
    [38400, 'AA AA AA 96 69 00 03 60 02 61'],
    [19200, 'AA AA AA 96 69 00 03 60 03 60'],
    [9600, 'AA AA AA 96 69 00 03 60 04 67'],
  ] as const)('encodes set-baud %i as the §1.4 frame', (baud, frame) => {
    expect(toHex(encodeSetBaudRate(baud))).toBe(frame);
  });

  it('knows the default baud rate (§1.2) and rejects unsupported ones', () => {
    expect(SAM_DEFAULT_BAUD_RATE).toBe(115200);
    expect(Object.keys(SAM_BAUD_RATE_PARA)).toHaveLength(5);
    try {
      encodeSetBaudRate(4800 as SamBaudRate);
      expect.unreachable();
    } catch (e) {
      expect(isXinyiError(e, 'INVALID_ARGUMENT')).toBe(true);
    }
  });

  it('encodes set-max-RF-bytes 0x50 as the §1.4 frame and rejects non-bytes', () => {
    expect(toHex(encodeSetMaxRfBytes(0x50))).toBe('AA AA AA 96 69 00 04 61 FF 50 CA');
    expect(() => encodeSetMaxRfBytes(256)).toThrow(/maxBytes/);
  });
});
