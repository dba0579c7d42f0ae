import { describe, expect, it } from 'vitest';
import {
  encodeHidPosReports,
  HID_POS_DEFAULT_PACKET_TIMEOUT_MS,
  HidPosDecoder,
  type HidPosDecoderOptions,
  type HidPosOutput,
  HONEYWELL_HID_POS_MODE_FEATURE_REPORT,
  hidPosSetupFeatureReport,
  type Symbology,
} from '../../../adapters/scanner/index.js';
import { isXinyiError } from '../../../sdk/errors.js';
import { hex, toHex } from '../id-card/helpers.js';

const BASE45 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';
const QZ1_TEXT = `QZ1:${Array.from({ length: 300 }, (_, i) => BASE45[(i * 7 + 3) % 45]).join('')}`;

/** §2.2 example report, QR "HELLO": `02 05 5D 51 31 48 45 4C 4C 4F 00 … 00 73 00 00` (64 bytes). */
const HELLO_REPORT = hex(`02 05 5D 51 31 48 45 4C 4C 4F ${'00 '.repeat(51)} 73 00 00`);

/**
 * Frames captured from a Honeywell Voyager 1602g in HID POS mode (python_hon_usbhid README, the
 * source §2.2 cites for its layout): a REVINF reply in six packets (`]X0`, Code ID 0x3F, byte 63 = 1
 * on all but the last) and the command echo with ACK (`]Z6`, Code ID 0x36).
 */
const CAPTURED = [
  '02385d583050726f64756374204e616d653a20566f79616765722031363032670d0a426f6f74205265766973696f6e3a203a20383939320d0a536f66743f0001',
  '02385d5830776172652050617274204e756d6265723a2043573030303038324242410d0a536f667477617265205265766973696f6e3a202450726f6a653f0001',
  '02385d583063745265766973696f6e3a203136333435200d0a53657269616c204e756d6265723a20313532333242314630430d0a537570706f727465643f0001',
  '02385d58302049463a20426c7565746f6f74680d0a50434220417373656d626c792049443a203030303030300d0a456e67696e65204669726d776172653f0001',
  '02385d583020547970653a204e2f412020205265766973696f6e3a204e2f4120202053657269616c204e756d6265723a204e2f41202020436865636b733f0001',
  '02095d5830756d3a204e2f410d0a00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000003f0000',
  '02085d5a36524556494e46062e000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000360000',
].map(hex);
const REVINF_TEXT =
  'Product Name: Voyager 1602g\r\nBoot Revision: : 8992\r\nSoftware Part Number: CW000082BBA\r\n' +
  'Software Revision: $ProjectRevision: 16345 \r\nSerial Number: 15232B1F0C\r\nSupported IF: Bluetooth\r\n' +
  'PCB Assembly ID: 000000\r\nEngine Firmware Type: N/A   Revision: N/A   Serial Number: N/A   Checksum: N/A';

const scanOf = (text: string, symbology: Symbology, aimId?: string) =>
  aimId === undefined
    ? { text, symbology, source: 'hid-pos' }
    : { text, symbology, source: 'hid-pos', aimId };

/** Reports 2 ms apart (well inside the packet timeout). */
function run(decoder: HidPosDecoder, reports: Uint8Array[], startMs = 0, stepMs = 2): HidPosOutput[] {
  return reports.flatMap((r, i) => decoder.push(r, startMs + i * stepMs));
}

function summary(items: HidPosOutput[]): unknown[] {
  return items.map((o) => (isXinyiError(o) ? { error: o.code, ...o.details } : o));
}

describe('Honeywell layout (§2.2)', () => {
  it('encodes QR "HELLO" as the reference report, byte for byte', () => {
    const [report, ...rest] = encodeHidPosReports('HELLO', { layout: 'honeywell', symbology: 'qr' });
    expect(rest).toEqual([]);
    expect(toHex(report!)).toBe(toHex(HELLO_REPORT));
    expect(report).toHaveLength(64);
  });

  it('decodes the reference report', () => {
    expect(new HidPosDecoder().push(HELLO_REPORT, 0)).toEqual([scanOf('HELLO', 'qr', ']Q1')]);
  });

  it('decodes the captured multi-packet frames into two messages', () => {
    const decoder = new HidPosDecoder();
    const out = run(decoder, CAPTURED);
    expect(out).toEqual([scanOf(REVINF_TEXT, 'unknown', ']X0'), scanOf('REVINF\u0006.', 'unknown', ']Z6')]);
  });

  it('decodes WebHID-style reports without the report ID byte (§2.2 note: offsets shift by one)', () => {
    const decoder = new HidPosDecoder({ reportIdIncluded: false });
    expect(
      run(
        decoder,
        CAPTURED.map((r) => r.subarray(1)),
      ),
    ).toEqual(run(new HidPosDecoder(), CAPTURED));
  });

  it('round-trips a full QZ1 code over six packets, at every packet boundary', () => {
    const reports = encodeHidPosReports(QZ1_TEXT, { layout: 'honeywell', symbology: 'qr' });
    expect(reports).toHaveLength(Math.ceil(QZ1_TEXT.length / 56));
    expect(reports.map((r) => r[63])).toEqual([1, 1, 1, 1, 1, 0]);
    for (let cut = 0; cut <= reports.length; cut++) {
      const decoder = new HidPosDecoder();
      const out = run(decoder, reports.slice(0, cut));
      if (cut < reports.length) expect(out).toEqual([]);
      out.push(...decoder.poll(cut * 2 + 1), ...run(decoder, reports.slice(cut), cut * 2 + 1));
      expect(out).toEqual([scanOf(QZ1_TEXT, 'qr', ']Q1')]);
    }
  });

  it('round-trips with any packet size, UTF-8 characters split across packets included', () => {
    const text = '信易+ 积分 QZ1:ABC';
    for (let packetSize = 1; packetSize <= 56; packetSize++) {
      const reports = encodeHidPosReports(text, { packetSize, symbology: 'data-matrix' });
      expect(run(new HidPosDecoder(), reports)).toEqual([scanOf(text, 'data-matrix', ']d1')]);
    }
  });

  it('takes the symbology from AIM, refined by the Code ID inside ]E0, or from the Code ID alone', () => {
    const decode = (options: Parameters<typeof encodeHidPosReports>[1]) =>
      new HidPosDecoder().push(encodeHidPosReports('012345678905', options)[0]!, 0);
    expect(decode({ symbology: 'upc-a' })).toEqual([scanOf('012345678905', 'upc-a', ']E0')]);
    expect(decode({ symbology: 'upc-e' })).toEqual([scanOf('012345678905', 'upc-e', ']E0')]);
    expect(decode({ symbology: 'gs1-128', codeId: 0x6a })).toEqual([
      scanOf('012345678905', 'gs1-128', ']C1'),
    ]);
    expect(decode({ symbology: 'unknown', codeId: 0x73 })).toEqual([scanOf('012345678905', 'qr')]);
    expect(decode({ symbology: 'unknown' })).toEqual([scanOf('012345678905', 'unknown')]);
  });

  it('accepts a zero-length last packet (§2.2: length 0–56)', () => {
    const reports = encodeHidPosReports('A'.repeat(56));
    const empty = Buffer.from(reports[0]!);
    empty.fill(0, 1, 2);
    empty.fill(0, 5, 61);
    reports[0]![63] = 1;
    expect(run(new HidPosDecoder(), [reports[0]!, empty])).toEqual([scanOf('A'.repeat(56), 'qr', ']Q1')]);
    expect(run(new HidPosDecoder(), [empty])).toEqual([]);
  });

  it('returns an impossible length byte as FRAME_LENGTH in place, and the next scan decodes', () => {
    const bad = Buffer.from(HELLO_REPORT);
    bad[1] = 57;
    const decoder = new HidPosDecoder();
    expect(summary(run(decoder, [bad, HELLO_REPORT]))).toEqual([
      { error: 'FRAME_LENGTH', layout: 'honeywell', declaredLength: 57, minLength: 0, maxLength: 56 },
      scanOf('HELLO', 'qr', ']Q1'),
    ]);
  });

  it('returns a short report as FRAME_LENGTH in place', () => {
    const decoder = new HidPosDecoder();
    expect(summary(run(decoder, [HELLO_REPORT.subarray(0, 63), Buffer.alloc(0), HELLO_REPORT]))).toEqual([
      { error: 'FRAME_LENGTH', layout: 'honeywell', reportBytes: 63, expectedBytes: 64 },
      { error: 'FRAME_LENGTH', layout: 'honeywell', reportBytes: 0, expectedBytes: 64 },
      scanOf('HELLO', 'qr', ']Q1'),
    ]);
  });

  it('drops a scan broken by a malformed packet and skips its remaining packets', () => {
    const reports = encodeHidPosReports(QZ1_TEXT);
    const broken = Buffer.from(reports[2]!);
    broken[1] = 0xff;
    const decoder = new HidPosDecoder();
    const out = run(decoder, [reports[0]!, reports[1]!, broken, ...reports.slice(3), ...reports]);
    expect(summary(out)).toEqual([
      { error: 'FRAME_LENGTH', layout: 'honeywell', declaredLength: 255, minLength: 0, maxLength: 56 },
      { error: 'FRAME_LENGTH', truncated: true, receivedBytes: 112 },
      scanOf(QZ1_TEXT, 'qr', ']Q1'),
    ]);
  });

  it('reports a scan whose next packet never came: on poll after the timeout, or at flush', () => {
    const reports = encodeHidPosReports(QZ1_TEXT);
    const decoder = new HidPosDecoder();
    expect(run(decoder, reports.slice(0, 2))).toEqual([]);
    expect(decoder.pending).toBe(112);
    expect(decoder.nextDeadlineMs).toBe(2 + HID_POS_DEFAULT_PACKET_TIMEOUT_MS);
    expect(decoder.poll(201)).toEqual([]);
    expect(summary(decoder.poll(202))).toEqual([
      { error: 'FRAME_LENGTH', truncated: true, receivedBytes: 112 },
    ]);
    expect(decoder.nextDeadlineMs).toBeUndefined();
    expect(run(decoder, reports, 1000)).toEqual([scanOf(QZ1_TEXT, 'qr', ']Q1')]);

    run(decoder, reports.slice(0, 1), 2000);
    expect(summary(decoder.flush())).toEqual([{ error: 'FRAME_LENGTH', truncated: true, receivedBytes: 56 }]);
  });

  it('ends a stalled scan when the next report comes after the timeout', () => {
    const reports = encodeHidPosReports(QZ1_TEXT);
    const decoder = new HidPosDecoder();
    const out = [...run(decoder, reports.slice(0, 3)), ...run(decoder, reports, 500)];
    expect(summary(out)).toEqual([
      { error: 'FRAME_LENGTH', truncated: true, receivedBytes: 168 },
      scanOf(QZ1_TEXT, 'qr', ']Q1'),
    ]);
  });

  it('starts a new scan when the AIM identifier or Code ID changes mid-scan', () => {
    const first = encodeHidPosReports(QZ1_TEXT, { symbology: 'qr' });
    const second = encodeHidPosReports('4006381333931', { symbology: 'ean-13' });
    const out = run(new HidPosDecoder(), [first[0]!, ...second]);
    expect(summary(out)).toEqual([
      { error: 'FRAME_LENGTH', truncated: true, receivedBytes: 56 },
      scanOf('4006381333931', 'ean-13', ']E0'),
    ]);
  });

  it('ignores reports with another report ID', () => {
    const decoder = new HidPosDecoder();
    const status = Buffer.from(HELLO_REPORT);
    status[0] = 0x15;
    expect(run(decoder, [status, hex('01 02 03'), HELLO_REPORT])).toEqual([scanOf('HELLO', 'qr', ']Q1')]);
    expect(decoder.ignoredReports).toBe(2);
  });

  it('guards the assembled length', () => {
    const decoder = new HidPosDecoder({ maxLength: 100 });
    const out = run(decoder, [...encodeHidPosReports(QZ1_TEXT), HELLO_REPORT]);
    expect(summary(out)).toEqual([
      { error: 'FRAME_LENGTH', layout: 'honeywell', maxLength: 100, receivedBytes: 112 },
      scanOf('HELLO', 'qr', ']Q1'),
    ]);
  });

  it('trims one suffix a scanner appended, unless told not to, and can parse an AIM prefix in the data', () => {
    const report = encodeHidPosReports('HELLO\r\n')[0]!;
    expect(new HidPosDecoder().push(report, 0)).toEqual([scanOf('HELLO', 'qr', ']Q1')]);
    expect(new HidPosDecoder({ trimSuffix: false }).push(report, 0)).toEqual([
      scanOf('HELLO\r\n', 'qr', ']Q1'),
    ]);
    const prefixed = encodeHidPosReports(']E04006381333931', { symbology: 'unknown' })[0]!;
    expect(new HidPosDecoder({ aimPrefix: true }).push(prefixed, 0)).toEqual([
      scanOf('4006381333931', 'ean-13', ']E0'),
    ]);
  });

  it('decodes latin1 when told to', () => {
    const reports = encodeHidPosReports('café', { encoding: 'latin1' });
    expect(reports[0]![1]).toBe(4);
    expect(run(new HidPosDecoder({ encoding: 'latin1' }), reports)).toEqual([scanOf('café', 'qr', ']Q1')]);
  });
});

describe('Newland layout (§2.2, FM430)', () => {
  it('encodes data at byte 2, reserved 58–61 zero, symbology ID at byte 62', () => {
    const [report] = encodeHidPosReports('HELLO', { layout: 'newland', symbology: 'qr' });
    expect(toHex(report!)).toBe(toHex(hex(`02 05 48 45 4C 4C 4F ${'00 '.repeat(55)} 51 00`)));
    expect(new HidPosDecoder({ layout: 'newland' }).push(report!, 0)).toEqual([scanOf('HELLO', 'qr')]);
  });

  it('assembles full packets (❓ no continuation flag in §2.2) at every packet boundary', () => {
    const reports = encodeHidPosReports(QZ1_TEXT, { layout: 'newland', symbology: 'qr' });
    for (let cut = 0; cut <= reports.length; cut++) {
      const decoder = new HidPosDecoder({ layout: 'newland' });
      const out = run(decoder, reports.slice(0, cut));
      out.push(...decoder.poll(cut * 2 + 1), ...run(decoder, reports.slice(cut), cut * 2 + 1));
      expect(out).toEqual([scanOf(QZ1_TEXT, 'qr')]);
    }
  });

  it('ends a scan whose last packet is full on silence (poll) or at flush', () => {
    const text = 'B'.repeat(112);
    const reports = encodeHidPosReports(text, { layout: 'newland', symbology: 'code-128' });
    const decoder = new HidPosDecoder({ layout: 'newland' });
    expect(run(decoder, reports)).toEqual([]);
    expect(decoder.poll(2 + 199)).toEqual([]);
    expect(decoder.poll(2 + 200)).toEqual([scanOf(text, 'code-128')]);
    run(decoder, reports, 1000);
    expect(decoder.flush()).toEqual([scanOf(text, 'code-128')]);
  });

  it("takes every packet as a whole scan with newlandMultiPacket 'none', and honours packetSize", () => {
    const reports = encodeHidPosReports('B'.repeat(60), { layout: 'newland' });
    expect(run(new HidPosDecoder({ layout: 'newland', newlandMultiPacket: 'none' }), reports)).toEqual([
      scanOf('B'.repeat(56), 'qr'),
      scanOf('BBBB', 'qr'),
    ]);
    const small = encodeHidPosReports(QZ1_TEXT, { layout: 'newland', packetSize: 10 });
    expect(run(new HidPosDecoder({ layout: 'newland', packetSize: 10 }), small)).toEqual([
      scanOf(QZ1_TEXT, 'qr'),
    ]);
  });

  it('refuses length 0 (§2.2 Newland: data 1–56) and short reports', () => {
    const report = encodeHidPosReports('HELLO', { layout: 'newland' })[0]!;
    const zero = Buffer.from(report);
    zero[1] = 0;
    const out = run(new HidPosDecoder({ layout: 'newland' }), [zero, report.subarray(0, 62), report]);
    expect(summary(out)).toEqual([
      { error: 'FRAME_LENGTH', layout: 'newland', declaredLength: 0, minLength: 1, maxLength: 56 },
      { error: 'FRAME_LENGTH', layout: 'newland', reportBytes: 62, expectedBytes: 63 },
      scanOf('HELLO', 'qr'),
    ]);
  });

  it('uses a code table supplied by the caller', () => {
    const report = encodeHidPosReports('HELLO', { layout: 'newland', codeId: 0x01 })[0]!;
    const codeIds = new Map<number, Symbology>([[0x01, 'aztec']]);
    expect(new HidPosDecoder({ layout: 'newland', codeIds }).push(report, 0)).toEqual([
      scanOf('HELLO', 'aztec'),
    ]);
    expect(new HidPosDecoder({ layout: 'newland' }).push(report, 0)).toEqual([scanOf('HELLO', 'unknown')]);
  });
});

describe('set-up and options', () => {
  it('sends feature report 0xFE with payload 01 to Honeywell units (§2.2), nothing to Newland', () => {
    expect(HONEYWELL_HID_POS_MODE_FEATURE_REPORT).toEqual([0xfe, 0x01]);
    expect(toHex(hidPosSetupFeatureReport('honeywell')!)).toBe('FE 01');
    expect(hidPosSetupFeatureReport('newland')).toBeUndefined();
  });

  it('rejects bad options and arguments', () => {
    const bad: HidPosDecoderOptions[] = [
      { layout: 'zebra' as never },
      { packetSize: 0 },
      { packetSize: 57 },
      { packetTimeoutMs: 0 },
      { maxLength: 0 },
      { encoding: 'gbk' as never },
      { reportId: 256 },
      { reportIdIncluded: 1 as never },
      { newlandMultiPacket: 'flag' as never },
      { codeIds: {} as never },
    ];
    for (const options of bad) expect(() => new HidPosDecoder(options)).toThrow(/must/);
    expect(() => encodeHidPosReports('')).toThrow(/non-empty/);
    expect(() => encodeHidPosReports('a', { packetSize: 57 })).toThrow(/packetSize/);
    expect(() => encodeHidPosReports('a', { aimId: ']Q' })).toThrow(/aimId/);
    expect(() => new HidPosDecoder().push(HELLO_REPORT, Number.POSITIVE_INFINITY)).toThrow(/atMs/);
  });
});
