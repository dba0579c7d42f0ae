import type { HID } from 'node-hid';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  encodeHidPosReports,
  encodeSerialScan,
  encodeWedgeReports,
  HidPosDecoder,
  type HidPosOutput,
  KeyboardWedgeDecoder,
  type KeyboardWedgeOutput,
  SerialScannerDecoder,
  type SerialScannerDecoderOptions,
  type SerialScannerOutput,
  WEDGE_DEFAULT_LINE_GAP_MS,
} from '../../../adapters/scanner/index.js';
import { createMemoryLink, type MemoryLinkOptions } from '../../../adapters/transport/memory-transport.js';
import type { TransportCloseReason } from '../../../adapters/transport/transport.js';
import { isXinyiError } from '../../../sdk/errors.js';
import {
  NODE_HID_DISCONNECT_MESSAGE,
  type VirtualHidDevice,
  VirtualHidScanner,
  type VirtualHidScannerOptions,
  VirtualSerialScanner,
  type VirtualSerialScannerOptions,
} from '../../../simulator/devices/index.js';
import { toHex } from '../../adapters/id-card/helpers.js';

const BASE45 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';
const QZ1_TEXT = `QZ1:${Array.from({ length: 300 }, (_, i) => BASE45[(i * 7 + 3) % 45]).join('')}`;

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});

afterEach(() => {
  vi.useRealTimers();
});

function summary(items: ReadonlyArray<unknown>): unknown[] {
  return items.map((o) => (isXinyiError(o) ? { error: o.code, ...o.details } : o));
}

// ---------------------------------------------------------------------------------------------
// Serial

interface SerialRig {
  scanner: VirtualSerialScanner;
  link: ReturnType<typeof createMemoryLink>;
  decoder: SerialScannerDecoder;
  out: SerialScannerOutput[];
  chunks: Buffer[];
  closes: TransportCloseReason[];
}

/**
 * A scanner on the device end of a memory link; the host end feeds a decoder with the fake clock.
 * The decoder ends a frame at its suffix (`lineGapMs: 0`): these tests look at the scanner's bytes.
 */
async function serialRig(
  options: VirtualSerialScannerOptions = {},
  decoderOptions: SerialScannerDecoderOptions = {},
  linkOptions: MemoryLinkOptions = {},
): Promise<SerialRig> {
  const link = createMemoryLink(linkOptions);
  const scanner = new VirtualSerialScanner(options);
  const decoder = new SerialScannerDecoder({ lineGapMs: 0, ...decoderOptions });
  const rig: SerialRig = { scanner, link, decoder, out: [], chunks: [], closes: [] };
  link.host.on('data', (chunk) => {
    rig.chunks.push(chunk);
    rig.out.push(...decoder.push(chunk, Date.now()));
  });
  link.host.on('close', (reason) => rig.closes.push(reason));
  scanner.on('unplug', () => link.unplug());
  scanner.on('plug-in', () => link.plugIn());
  expect(await scanner.attach(link.device)).toBe(true);
  await link.host.open();
  return rig;
}

describe('VirtualSerialScanner', () => {
  it('writes [AIM] text suffix exactly as encodeSerialScan, and the decoder gets the scan back', async () => {
    const rig = await serialRig({ aim: true, suffix: 'CRLF' });
    const done = rig.scanner.scan(QZ1_TEXT);
    await vi.advanceTimersByTimeAsync(0);
    expect(await done).toBe(true);
    expect(toHex(Buffer.concat(rig.chunks))).toBe(
      toHex(encodeSerialScan(QZ1_TEXT, { aim: true, suffix: 'CRLF' })),
    );
    expect(rig.out).toEqual([{ text: QZ1_TEXT, symbology: 'qr', source: 'serial', aimId: ']Q1' }]);
    expect(rig.scanner.stats).toMatchObject({ scans: 1, bytesSent: QZ1_TEXT.length + 5 });
  });

  it('round-trips over a 9600 8N1 link (§2.3 default) delivered in 16-byte UART chunks', async () => {
    const rig = await serialRig({}, {}, { baudRate: 9600, chunkSize: 16 });
    const done = rig.scanner.scan(QZ1_TEXT, { aim: true, symbology: 'qr' });
    await vi.advanceTimersByTimeAsync(400); // 306 bytes at 960 bytes/s ≈ 319 ms
    expect(await done).toBe(true);
    expect(rig.chunks.length).toBe(Math.ceil((QZ1_TEXT.length + 4) / 16));
    expect(rig.out).toEqual([{ text: QZ1_TEXT, symbology: 'qr', source: 'serial', aimId: ']Q1' }]);
  });

  it('with no suffix, the decoder ends the scan after 300 ms of silence (§2.3)', async () => {
    const rig = await serialRig({ suffix: 'none' }, { suffix: 'none' });
    void rig.scanner.scan('QZ1:ABC');
    await vi.advanceTimersByTimeAsync(0);
    expect(rig.out).toEqual([]);
    await vi.advanceTimersByTimeAsync(299);
    rig.out.push(...rig.decoder.poll(Date.now()));
    expect(rig.out).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    rig.out.push(...rig.decoder.poll(Date.now()));
    expect(rig.out).toEqual([{ text: 'QZ1:ABC', symbology: 'unknown', source: 'serial' }]);
  });

  it('garbage fault: noise, silence, then the scan, which still decodes', async () => {
    const rig = await serialRig();
    rig.scanner.injectFault({ kind: 'garbage' });
    const done = rig.scanner.scan('QZ1:ABC');
    await vi.advanceTimersByTimeAsync(499);
    expect(toHex(Buffer.concat(rig.chunks))).toBe('00 FF 13 37 A5 5A');
    await vi.advanceTimersByTimeAsync(1);
    expect(await done).toBe(true);
    // The noise is framed on its own by the silence; the host sees junk, then the real scan.
    expect(rig.out).toHaveLength(2);
    expect(rig.out[0]).not.toMatchObject({ text: 'QZ1:ABC' });
    expect(rig.out[1]).toEqual({ text: 'QZ1:ABC', symbology: 'unknown', source: 'serial' });
    expect(rig.scanner.stats.faultsApplied.garbage).toBe(1);
  });

  it('split fault: the scan arrives in pieces with delays and still decodes', async () => {
    const rig = await serialRig({ aim: true });
    rig.scanner.injectFault({ kind: 'split', chunkBytes: 7, delayMs: 25 });
    const done = rig.scanner.scan(QZ1_TEXT);
    await vi.advanceTimersByTimeAsync(25 * 44);
    expect(await done).toBe(true);
    expect(rig.chunks.length).toBe(Math.ceil((QZ1_TEXT.length + 4) / 7));
    expect(rig.out).toEqual([{ text: QZ1_TEXT, symbology: 'qr', source: 'serial', aimId: ']Q1' }]);
  });

  it('unplug fault mid-scan: the link drops, the host sees a partial frame, and plug-in brings it back', async () => {
    const rig = await serialRig();
    rig.scanner.injectFault({ kind: 'unplug', afterBytes: 10, forMs: 1000 });
    const done = rig.scanner.scan(QZ1_TEXT);
    await vi.advanceTimersByTimeAsync(0);
    expect(await done).toBe(false);
    expect(rig.link.plugged).toBe(false);
    expect(rig.closes).toEqual([
      { kind: 'disconnected', error: expect.objectContaining({ code: 'DEVICE_DISCONNECTED' }) },
    ]);
    expect(Buffer.concat(rig.chunks).toString()).toBe(QZ1_TEXT.slice(0, 10));
    expect(rig.decoder.flush()).toEqual([
      { text: QZ1_TEXT.slice(0, 10), symbology: 'unknown', source: 'serial' },
    ]);
    expect(await rig.scanner.scan('QZ1:LOST')).toBe(false);

    await vi.advanceTimersByTimeAsync(1000);
    expect(rig.link.plugged).toBe(true);
    expect(rig.link.device.isOpen).toBe(true);
    await rig.link.host.open();
    const again = rig.scanner.scan('QZ1:BACK');
    await vi.advanceTimersByTimeAsync(0);
    expect(await again).toBe(true);
    expect(rig.out).toEqual([{ text: 'QZ1:BACK', symbology: 'unknown', source: 'serial' }]);
  });

  it('applies a fault to `times` scans, withdraws it on request, and combines different kinds', async () => {
    const rig = await serialRig();
    rig.scanner.injectFault({ kind: 'split', chunkBytes: 2, delayMs: 1, times: 2 });
    const withdraw = rig.scanner.injectFault({ kind: 'garbage', gapMs: 400 });
    withdraw();
    void rig.scanner.scan('AAAAA');
    void rig.scanner.scan('BBBBB');
    void rig.scanner.scan('CCCCC');
    // Three scans, each after the previous one's 100 ms re-read delay.
    await vi.advanceTimersByTimeAsync(300);
    expect(rig.chunks.map((c) => c.length)).toEqual([2, 2, 2, 2, 2, 2, 6]);
    expect(rig.out.map((o) => (o as { text: string }).text)).toEqual(['AAAAA', 'BBBBB', 'CCCCC']);
    expect(rig.scanner.stats.faultsApplied).toEqual({ garbage: 0, split: 2, unplug: 0 });
  });

  it('does nothing when not attached or when its end is closed; counts host bytes', async () => {
    const lonely = new VirtualSerialScanner();
    expect(await lonely.scan('QZ1:ABC')).toBe(false);
    const rig = await serialRig();
    await rig.link.host.write(Buffer.from([0x16, 0x54, 0x0d]));
    await vi.advanceTimersByTimeAsync(0);
    expect(rig.scanner.stats.bytesReceived).toBe(3);
    rig.scanner.detach();
    expect(rig.link.device.isOpen).toBe(false);
    expect(await rig.scanner.scan('QZ1:ABC')).toBe(false);
  });

  it('rejects bad options and faults', () => {
    expect(() => new VirtualSerialScanner({ suffix: 'ETX' as never })).toThrow(/suffix/);
    expect(() => new VirtualSerialScanner({ symbology: 'maxicode' as never })).toThrow(/symbology/);
    const scanner = new VirtualSerialScanner();
    expect(() => scanner.injectFault({ kind: 'noise' } as never)).toThrow(/fault.kind/);
    expect(() => scanner.injectFault({ kind: 'split', chunkBytes: 0 })).toThrow(/chunkBytes/);
    expect(() => scanner.injectFault({ kind: 'unplug', times: 0 })).toThrow(/times/);
    expect(() => scanner.scan('x', { suffix: 'TAB' as never })).toThrow(/suffix/);
  });
});

// ---------------------------------------------------------------------------------------------
// HID

interface HidRig<T> {
  scanner: VirtualHidScanner;
  device: VirtualHidDevice;
  reports: Buffer[];
  out: T[];
  errors: Error[];
}

/** Opens a handle like a host would and feeds every report to `decode` with the fake clock. */
async function hidRig<T>(
  options: VirtualHidScannerOptions,
  decode: (report: Buffer, atMs: number) => T[],
): Promise<HidRig<T>> {
  const scanner = new VirtualHidScanner(options);
  const device = scanner.open();
  const rig: HidRig<T> = { scanner, device, reports: [], out: [], errors: [] };
  device.on('data', (report: Buffer) => {
    rig.reports.push(report);
    rig.out.push(...decode(report, Date.now()));
  });
  device.on('error', (error: Error) => rig.errors.push(error));
  await vi.advanceTimersByTimeAsync(0); // node-hid starts reading on the next tick
  return rig;
}

function posRig(
  options: VirtualHidScannerOptions = {},
  decoder = new HidPosDecoder({ layout: options.layout }),
) {
  return hidRig<HidPosOutput>(options, (r, at) => decoder.push(r, at)).then((rig) => ({ ...rig, decoder }));
}

/** As a driver does, the decoder is also polled when it says what it holds ends (a held Enter, silence). */
async function wedgeRig(options: VirtualHidScannerOptions = {}, decoder = new KeyboardWedgeDecoder()) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    clearTimeout(timer);
    const due = decoder.nextDeadlineMs;
    if (due === undefined) return;
    timer = setTimeout(() => {
      rig.out.push(...decoder.poll(Date.now()));
      arm();
    }, due - Date.now());
  };
  const rig = await hidRig<KeyboardWedgeOutput>({ mode: 'keyboard-wedge', ...options }, (r, at) => {
    const out = decoder.push(r, at);
    arm();
    return out;
  });
  return { ...rig, decoder };
}

describe('VirtualHidScanner: node-hid shape', () => {
  it('has the methods of node-hid HID (type-checked) and describes itself as a page 0x8C scanner', () => {
    const scanner = new VirtualHidScanner();
    const device: HID = scanner.open();
    for (const method of [
      'close',
      'pause',
      'resume',
      'read',
      'readSync',
      'readTimeout',
      'sendFeatureReport',
      'getFeatureReport',
      'write',
      'setNonBlocking',
      'getDeviceInfo',
      'on',
      'removeAllListeners',
    ] as const) {
      expect(typeof device[method]).toBe('function');
    }
    expect(device.getDeviceInfo()).toMatchObject({ vendorId: 0x0c2e, usagePage: 0x8c, usage: 0x02 });
    expect(new VirtualHidScanner({ layout: 'newland' }).deviceInfo).toMatchObject({
      vendorId: 0x1eab,
      productId: 0x1d10,
    });
    expect(new VirtualHidScanner({ mode: 'keyboard-wedge' }).deviceInfo).toMatchObject({
      usagePage: 1,
      usage: 6,
    });
  });

  it('records output and feature reports; getFeatureReport answers what was sent', () => {
    const scanner = new VirtualHidScanner();
    const device = scanner.open();
    expect(device.write([0xfd, 0x03, 0x16, 0x07, 0x0d])).toBe(5); // Honeywell beep (§2.2, ⚠️)
    expect(scanner.writes.map(toHex)).toEqual(['FD 03 16 07 0D']);
    expect(device.sendFeatureReport([0xfe, 0x01])).toBe(2);
    expect(scanner.modeEnabled).toBe(true);
    expect(device.getFeatureReport(0xfe, 2)).toEqual([0xfe, 0x01]);
    expect(device.getFeatureReport(0x10, 3)).toEqual([0x10, 0, 0]);
    expect(() => device.getFeatureReport(0xfe, 0)).toThrow(/greater than zero/);
  });

  it('close() removes every listener and later calls throw node-hid messages', () => {
    const device = new VirtualHidScanner().open();
    device.on('data', () => {});
    device.close();
    expect(device.listenerCount('data')).toBe(0);
    expect(() => device.write([0])).toThrow('Cannot write to closed device');
    expect(() => device.getDeviceInfo()).toThrow('Cannot access closed device');
    expect(() => device.read(() => {})).toThrow('Unable to read from a closed HID device');
    device.close();
  });

  it('keeps reports while paused, as the kernel queues them for a reader (hidraw), and hands them over on resume', async () => {
    const rig = await posRig();
    rig.device.pause();
    void rig.scanner.scan('QZ1:QUEUED');
    await vi.advanceTimersByTimeAsync(10);
    expect(rig.reports).toEqual([]);
    rig.device.resume();
    void rig.scanner.scan('QZ1:SEEN');
    await vi.advanceTimersByTimeAsync(10);
    expect(rig.out.map((o) => (o as { text: string }).text)).toEqual(['QZ1:QUEUED', 'QZ1:SEEN']);
  });

  it('hands the next report to a low-level read()', async () => {
    const scanner = new VirtualHidScanner();
    const device = scanner.open();
    const got: unknown[] = [];
    device.read((err, data) => got.push(err, data));
    void scanner.scan('HELLO');
    await vi.advanceTimersByTimeAsync(0);
    expect(got[0]).toBeNull();
    expect(toHex(got[1] as Buffer)).toBe(toHex(encodeHidPosReports('HELLO')[0]!));
  });
});

describe('VirtualHidScanner: HID POS', () => {
  it('sends the §2.2 Honeywell reports and the decoder assembles the QZ1 scan', async () => {
    const rig = await posRig();
    const done = rig.scanner.scan(QZ1_TEXT);
    await vi.advanceTimersByTimeAsync(10);
    expect(await done).toBe(true);
    expect(rig.reports.map(toHex)).toEqual(encodeHidPosReports(QZ1_TEXT).map(toHex));
    expect(rig.out).toEqual([{ text: QZ1_TEXT, symbology: 'qr', source: 'hid-pos', aimId: ']Q1' }]);
  });

  it('sends the Newland layout when told to', async () => {
    const rig = await posRig({ layout: 'newland', symbology: 'data-matrix' });
    void rig.scanner.scan(QZ1_TEXT);
    await vi.advanceTimersByTimeAsync(10);
    expect(rig.reports.every((r) => r.length === 64 && r[0] === 0x02)).toBe(true);
    expect(rig.out).toEqual([{ text: QZ1_TEXT, symbology: 'data-matrix', source: 'hid-pos' }]);
  });

  it('needs feature report 0xFE 01 first when configured so (§2.2); power loss forgets it', async () => {
    const rig = await posRig({ requireModeFeatureReport: true });
    expect(await rig.scanner.scan('QZ1:ABC')).toBe(false);
    expect(rig.scanner.stats.scansDropped).toBe(1);
    rig.device.sendFeatureReport(Buffer.from([0xfe, 0x01]));
    const done = rig.scanner.scan('QZ1:ABC');
    await vi.advanceTimersByTimeAsync(0);
    expect(await done).toBe(true);
    expect(rig.out).toHaveLength(1);
    rig.scanner.unplug();
    rig.scanner.plugIn();
    expect(rig.scanner.modeEnabled).toBe(false);
  });

  it('split fault: smaller packets with gaps, still one scan', async () => {
    const rig = await posRig();
    rig.scanner.injectFault({ kind: 'split', packetSize: 8, gapMs: 20 });
    const done = rig.scanner.scan(QZ1_TEXT);
    await vi.advanceTimersByTimeAsync(20 * 38);
    expect(await done).toBe(true);
    expect(rig.reports).toHaveLength(38);
    expect(rig.out).toEqual([{ text: QZ1_TEXT, symbology: 'qr', source: 'hid-pos', aimId: ']Q1' }]);
  });

  it('garbage fault: a bad-length report comes first and is FRAME_LENGTH in place', async () => {
    const rig = await posRig();
    rig.scanner.injectFault({ kind: 'garbage' });
    void rig.scanner.scan('QZ1:ABC');
    await vi.advanceTimersByTimeAsync(0);
    expect(summary(rig.out)).toEqual([
      { error: 'FRAME_LENGTH', layout: 'honeywell', declaredLength: 255, minLength: 0, maxLength: 56 },
      { text: 'QZ1:ABC', symbology: 'qr', source: 'hid-pos', aimId: ']Q1' },
    ]);
  });

  it("unplug fault mid-scan: 'error' with node-hid's message, a cut scan, and a fresh open after plug-in", async () => {
    const rig = await posRig();
    rig.scanner.injectFault({ kind: 'unplug', afterReports: 2, forMs: 500 });
    const done = rig.scanner.scan(QZ1_TEXT);
    await vi.advanceTimersByTimeAsync(1);
    expect(await done).toBe(false);
    expect(rig.errors).toEqual([]); // node-hid reports the removal from its read loop, a macrotask later
    await vi.advanceTimersByTimeAsync(1);
    expect(rig.errors.map((e) => e.message)).toEqual([NODE_HID_DISCONNECT_MESSAGE]);
    expect(NODE_HID_DISCONNECT_MESSAGE).toMatch(/^could not read from HID device/);
    expect(rig.reports).toHaveLength(2);
    expect(() => rig.device.write([0])).toThrow('Cannot write to hid device');
    expect(() => rig.scanner.open()).toThrow('cannot open device with path virtual-hid-scanner');
    await vi.advanceTimersByTimeAsync(200);
    expect(summary(rig.decoder.poll(Date.now()))).toEqual([
      { error: 'FRAME_LENGTH', truncated: true, receivedBytes: 112 },
    ]);

    await vi.advanceTimersByTimeAsync(300);
    expect(rig.scanner.plugged).toBe(true);
    // The old handle stays dead, as with node-hid: the host opens a new one.
    const reopened = rig.scanner.open();
    const out: HidPosOutput[] = [];
    reopened.on('data', (report: Buffer) => out.push(...rig.decoder.push(report, Date.now())));
    await vi.advanceTimersByTimeAsync(0);
    void rig.scanner.scan('QZ1:BACK');
    await vi.advanceTimersByTimeAsync(10);
    expect(out).toEqual([{ text: 'QZ1:BACK', symbology: 'qr', source: 'hid-pos', aimId: ']Q1' }]);
    expect(rig.reports).toHaveLength(2);
  });

  it('emits no error on a handle that was not reading', async () => {
    const scanner = new VirtualHidScanner();
    const device = scanner.open();
    const errors: Error[] = [];
    device.on('error', (e: Error) => errors.push(e));
    scanner.unplug();
    await vi.advanceTimersByTimeAsync(10);
    expect(errors).toEqual([]);
    expect(() => device.sendFeatureReport([0xfe, 1])).toThrow('could not send feature report to device');
  });
});

describe('VirtualHidScanner: keyboard wedge', () => {
  it('types the QZ1 code at 10 ms a key (§2.1) and the wedge decoder takes it as one scan', async () => {
    const rig = await wedgeRig({ aim: true });
    const done = rig.scanner.scan(QZ1_TEXT);
    const keystrokes = QZ1_TEXT.length + 3 + 1;
    // The last keystroke is the Enter; it ends the scan once no key has followed it for 40 ms.
    await vi.advanceTimersByTimeAsync((keystrokes - 1) * 10 + WEDGE_DEFAULT_LINE_GAP_MS);
    expect(await done).toBe(true);
    expect(rig.reports.map(toHex)).toEqual(encodeWedgeReports(`]Q1${QZ1_TEXT}`).map(toHex));
    expect(rig.out).toEqual([{ text: QZ1_TEXT, symbology: 'qr', source: 'keyboard-wedge', aimId: ']Q1' }]);
  });

  it('drop-release fault: a doubled character is lost, as on a real host', async () => {
    const rig = await wedgeRig();
    rig.scanner.injectFault({ kind: 'drop-release' });
    void rig.scanner.scan('QZ1:AABB');
    await vi.advanceTimersByTimeAsync(200);
    expect(rig.reports.every((r) => r.some((b) => b !== 0))).toBe(true);
    expect(rig.out).toEqual([{ text: 'QZ1:AB', symbology: 'unknown', source: 'keyboard-wedge' }]);
  });

  it('split fault: a 50 ms pause mid-scan breaks the burst in two (§2.1: ≥ 40 ms is a break)', async () => {
    const rig = await wedgeRig();
    rig.scanner.injectFault({ kind: 'split', atKeystroke: 6 });
    void rig.scanner.scan('QZ1:ABCDEFGH');
    await vi.advanceTimersByTimeAsync(300);
    expect(rig.out).toEqual([
      { text: 'QZ1:ABC', symbology: 'unknown', source: 'keyboard-wedge' },
      { text: 'DEFGH', symbology: 'unknown', source: 'keyboard-wedge' },
    ]);
  });

  it('garbage fault: a 3-byte report is FRAME_LENGTH in place and the scan decodes', async () => {
    const rig = await wedgeRig();
    rig.scanner.injectFault({ kind: 'garbage' });
    void rig.scanner.scan('QZ1:ABC');
    await vi.advanceTimersByTimeAsync(200);
    expect(summary(rig.out)).toEqual([
      { error: 'FRAME_LENGTH', reportBytes: 3, expectedBytes: 8 },
      { text: 'QZ1:ABC', symbology: 'unknown', source: 'keyboard-wedge' },
    ]);
  });

  it('a slow keyIntervalMs looks like typing and is rejected', async () => {
    const rig = await wedgeRig({ keyIntervalMs: 120 });
    void rig.scanner.scan('QZ1:ABC');
    await vi.advanceTimersByTimeAsync(2000);
    expect(rig.out).toEqual([{ kind: 'rejected', reason: 'typed', text: 'QZ1:ABC', length: 7 }]);
  });

  it('refuses text the US layout cannot type, synchronously, without using up faults', () => {
    const scanner = new VirtualHidScanner({ mode: 'keyboard-wedge' });
    scanner.injectFault({ kind: 'garbage' });
    expect(() => scanner.scan('信')).toThrow(/US layout/);
    expect(() => new VirtualHidScanner({ mode: 'mouse' as never })).toThrow(/mode/);
    expect(() => scanner.injectFault({ kind: 'split', packetSize: 57 })).toThrow(/packetSize/);
  });
});
