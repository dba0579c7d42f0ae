// The scanner drivers against the simulator's byte-exact virtual scanners: serial over an in-memory
// link and over a socat PTY through the real serialport stack, HID through a node-hid stand-in with
// the real library's shape.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import {
  HidScanner,
  type HidScannerOptions,
  type NodeHidModule,
  type ScanEvent,
  SerialScanner,
  WEDGE_DEFAULT_END_SILENCE_MS,
  WEDGE_DEFAULT_LINE_GAP_MS,
} from '../../../adapters/scanner/index.js';
import { createMemoryLink, SerialTransport } from '../../../adapters/transport/index.js';
import type { XinyiError } from '../../../sdk/errors.js';
import { createPseudonymizer, createTerminal, type Decision } from '../../../sdk/index.js';
import { VirtualHidScanner, VirtualSerialScanner } from '../../../simulator/devices/index.js';
import { generatePopulation } from '../../../simulator/population.js';
import { attachOverPty, describeOverPty, ptyRigMissing } from '../../support/pty-rig.js';
import { slowToOpen } from '../../support/slow-to-open.js';
import { until } from '../../support/until.js';

const CREDIT_CODE = `QZ1:${'0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:'.repeat(7).slice(0, 302)}`;
const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A folder of this file's own for device nodes that are not there (created on first use). */
let scratchDir: string | undefined;
function scratch(): string {
  scratchDir ??= mkdtempSync(join(tmpdir(), 'xinyi-scanner-drivers-'));
  return scratchDir;
}
afterAll(() => {
  if (scratchDir) rmSync(scratchDir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function record(scanner: SerialScanner | HidScanner) {
  const scans: ScanEvent[] = [];
  const errors: XinyiError[] = [];
  const disconnects: XinyiError[] = [];
  scanner.on('scan', (e) => scans.push(e));
  scanner.on('warning', (e) => errors.push(e));
  scanner.on('disconnect', (e) => disconnects.push(e));
  return { scans, errors, disconnects };
}

async function serialRig(dedupWindowMs = 1500) {
  const link = createMemoryLink();
  const device = new VirtualSerialScanner();
  device.on('unplug', () => link.unplug());
  device.on('plug-in', () => link.plugIn());
  await device.attach(link.device);
  const scanner = new SerialScanner({
    transport: link.host,
    dedupWindowMs,
    reconnect: { initialDelayMs: 10 },
  });
  cleanups.push(
    () => scanner.close(),
    () => device.detach(),
  );
  return { link, device, scanner, ...record(scanner) };
}

describe('SerialScanner', () => {
  it('classifies a signed credit code by its prefix and a member card as a barcode with its symbology', async () => {
    const r = await serialRig();
    await r.scanner.open();
    await r.device.scan(CREDIT_CODE, { symbology: 'qr', aim: true });
    await r.device.scan('2900001234567', { symbology: 'ean-13', aim: true });
    await until(() => r.scans.length === 2, 'two scans');
    expect(r.scans[0]!.credential).toEqual({ kind: 'credit-code', text: CREDIT_CODE });
    expect(r.scans[1]!.credential).toEqual({ kind: 'barcode', text: '2900001234567', symbology: 'ean-13' });
  });

  it('gives one credential for a code scanned twice within the de-duplication window, two outside it', async () => {
    const r = await serialRig(200);
    await r.scanner.open();
    await r.device.scan('TICKET-0001');
    await r.device.scan('TICKET-0001');
    await until(() => r.scanner.stats.duplicates === 1, 'a duplicate');
    expect(r.scans).toHaveLength(1);
    await sleep(250);
    await r.device.scan('TICKET-0001');
    await until(() => r.scans.length === 2, 'the second scan after the window');
  });

  it('survives garbage and split writes, and reconnects after an unplug', async () => {
    const r = await serialRig();
    await r.scanner.open();
    r.device.injectFault({ kind: 'split', delayMs: 20 });
    await r.device.scan('SPLIT-SCAN-1');
    await until(() => r.scans.length === 1, 'split scan');
    expect(r.scans[0]!.scan.text).toBe('SPLIT-SCAN-1');
    r.device.injectFault({ kind: 'unplug', forMs: 40 });
    await r.device.scan('LOST-IN-THE-UNPLUG');
    await until(() => r.scanner.state === 'reconnecting', 'reconnecting');
    expect(r.disconnects[0]!.code).toBe('DEVICE_DISCONNECTED');
    await until(() => r.scanner.state === 'ready', 'ready');
    await r.device.scan('AFTER-RECONNECT');
    await until(() => r.scans.some((s) => s.scan.text === 'AFTER-RECONNECT'), 'scan after reconnect');
    expect(r.scans.map((s) => s.scan.text)).not.toContain('LOST-IN-THE-UNPLUG');
  });

  it('onState (what terminal.attach listens to): the disconnect code rides on reconnecting only', async () => {
    const r = await serialRig();
    const states: Array<[string, string | undefined]> = [];
    const stop = r.scanner.onState((state, reason) => states.push([state, reason]));
    await r.scanner.open();
    r.link.unplug();
    r.link.plugIn();
    await until(() => states.length === 4, 'reconnected');
    expect(states).toEqual([
      ['opening', undefined],
      ['ready', undefined],
      ['reconnecting', 'DEVICE_DISCONNECTED'],
      ['ready', undefined],
    ]);
    stop();
    await r.scanner.close();
    expect(states).toHaveLength(4);
  });

  it('feeds a terminal: a scanned credit code is presented as a credit-code credential', async () => {
    const r = await serialRig();
    const terminal = createTerminal({
      terminalId: 'gate-1',
      scene: 'scenic-gate',
      pseudonymizer: createPseudonymizer('scanner-test-key-0123456789'),
      credit: [
        {
          name: 'codes',
          resolve: async (lookup) =>
            lookup.creditCodeText === CREDIT_CODE
              ? { tier: 'AA', lists: [], source: 'credit-code', asOf: new Date().toISOString() }
              : null,
        },
      ],
      context: { siteId: 'tuoshan' },
    });
    cleanups.push(() => terminal.close());
    const decisions: Decision[] = [];
    terminal.on('decision', (d) => decisions.push(d));
    terminal.attach(r.scanner);
    await r.scanner.open();
    await r.device.scan(CREDIT_CODE, { symbology: 'qr' });
    await until(() => decisions.length === 1, 'decision');
    expect(decisions[0]!.standingSource).toBe('credit-code');
    expect(decisions[0]!.outcome).not.toBe('unavailable');
  });

  it('rejects bad options', () => {
    expect(() => new SerialScanner({} as never)).toThrow(/transport/);
    expect(() => new SerialScanner({ transport: createMemoryLink().host, dedupWindowMs: -1 })).toThrow(
      /dedupWindowMs/,
    );
  });
});

describeOverPty('SerialScanner over a socat PTY', await ptyRigMissing(), () => {
  it('reads scans through the real serialport stack', async () => {
    const device = new VirtualSerialScanner();
    const link = await attachOverPty(device, 9600);
    const scanner = new SerialScanner({
      transport: new SerialTransport({ path: link.hostPath, baudRate: 9600 }),
    });
    cleanups.push(
      () => link.close(),
      () => device.detach(),
      () => scanner.close(),
    );
    const { scans } = record(scanner);
    await scanner.open();
    await device.scan(CREDIT_CODE, { symbology: 'qr', aim: true, suffix: 'CRLF' });
    await device.scan('2900001234567', { symbology: 'ean-13', aim: true, suffix: 'CR' });
    await until(() => scans.length === 2, 'two scans over the PTY');
    expect(scans.map((s) => s.credential.kind)).toEqual(['credit-code', 'barcode']);
    expect(scans[0]!.scan.text).toBe(CREDIT_CODE);
  });
});

function hidModule(devices: VirtualHidScanner[]): NodeHidModule {
  return {
    devices: () => devices.filter((d) => d.plugged).map((d) => d.deviceInfo),
    HID: class {
      constructor(path: string) {
        const device = devices.find((d) => d.deviceInfo.path === path);
        if (!device) throw new Error(`cannot open device with path ${path}`);
        // biome-ignore lint/correctness/noConstructorReturn: node-hid's HID is a class; the stand-in hands back the virtual handle.
        return device.open() as never;
      }
    } as unknown as NodeHidModule['HID'],
  };
}

async function hidRig(device: VirtualHidScanner, options: Partial<HidScannerOptions> = {}) {
  const scanner = new HidScanner({
    match: { vendorId: device.deviceInfo.vendorId, productId: device.deviceInfo.productId },
    hid: hidModule([device]),
    reconnect: { initialDelayMs: 10, maxDelayMs: 20 },
    ...options,
  });
  cleanups.push(() => scanner.close());
  return { scanner, ...record(scanner) };
}

describe('HidScanner', () => {
  it('HID POS: sends the set-up feature report, assembles multi-packet scans and classifies them', async () => {
    const device = new VirtualHidScanner({
      mode: 'hid-pos',
      layout: 'honeywell',
      requireModeFeatureReport: true,
    });
    const r = await hidRig(device);
    await r.scanner.open();
    expect(r.scanner.mode).toBe('hid-pos');
    expect(device.modeEnabled).toBe(true);
    await device.scan(CREDIT_CODE, { symbology: 'qr' });
    await until(() => r.scans.length === 1, 'scan');
    expect(r.scans[0]!.credential).toEqual({ kind: 'credit-code', text: CREDIT_CODE });
    expect(r.scans[0]!.scan.symbology).toBe('qr');
  });

  it('keyboard wedge: reads a burst and survives a dropped release report; the scan is handed on 40 ms after its Enter', async () => {
    // Fake timers: the keys' pace (10 ms) against the 40 ms break gap must not depend on a busy host.
    vi.useFakeTimers({ now: 0 });
    cleanups.push(() => vi.useRealTimers());
    const device = new VirtualHidScanner({ mode: 'keyboard-wedge' });
    const r = await hidRig(device);
    await r.scanner.open();
    expect(r.scanner.mode).toBe('keyboard-wedge');
    device.injectFault({ kind: 'drop-release' });
    const typing = device.scan('MEMBER-42-XYZ');
    // 13 characters and Enter, a key every 10 ms: the Enter is pressed at 130 ms.
    await vi.advanceTimersByTimeAsync(130 + WEDGE_DEFAULT_LINE_GAP_MS - 1);
    await typing;
    expect(r.scans).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(r.scans.map((s) => s.scan.text)).toEqual(['MEMBER-42-XYZ']);
  });

  it("keyboard wedge: keys typed at a person's pace are rejected, not taken as a scan", async () => {
    // Fake timers: on real timers a busy host bunches two keys under the 40 ms break gap (a
    // `too-short` burst) or stalls past the 200 ms end silence (a second `typed`).
    vi.useFakeTimers({ now: 0 });
    cleanups.push(() => vi.useRealTimers());
    const device = new VirtualHidScanner({ mode: 'keyboard-wedge', keyIntervalMs: 120 });
    const r = await hidRig(device);
    const rejected: Array<{ reason: string; length: number }> = [];
    r.scanner.on('rejected', (e) => rejected.push({ reason: e.reason, length: e.length }));
    await r.scanner.open();
    const typing = device.scan('TYPED');
    // 5 characters and Enter, a key every 120 ms and its release 60 ms later: the Enter is let go at 660 ms.
    await vi.advanceTimersByTimeAsync(660);
    await typing;
    await vi.advanceTimersByTimeAsync(WEDGE_DEFAULT_END_SILENCE_MS);
    expect(rejected).toEqual([{ reason: 'typed', length: 5 }]);
    await vi.advanceTimersByTimeAsync(10 * WEDGE_DEFAULT_END_SILENCE_MS);
    expect(rejected).toHaveLength(1);
    expect(r.scans).toEqual([]);
  });

  it('unplug: a typed disconnect, reconnection when the device comes back, scanning resumes', async () => {
    const device = new VirtualHidScanner({ mode: 'hid-pos' });
    const r = await hidRig(device);
    await r.scanner.open();
    device.unplug(60);
    await until(() => r.scanner.state === 'reconnecting', 'reconnecting');
    expect(r.disconnects[0]!.code).toBe('DEVICE_DISCONNECTED');
    await until(() => r.scanner.state === 'ready', 'ready');
    await device.scan('AFTER-REPLUG-1', { symbology: 'code-128' });
    await until(() => r.scans.length === 1, 'scan after replug');
    expect(r.scans[0]!.credential).toEqual({
      kind: 'barcode',
      text: 'AFTER-REPLUG-1',
      symbology: 'code-128',
    });
  });

  it('open() without a matching device rejects DEVICE_NOT_FOUND; a node-hid without libusb, NATIVE_MODULE_UNAVAILABLE', async () => {
    const device = new VirtualHidScanner({ mode: 'hid-pos' });
    const r = await hidRig(device, { match: { vendorId: 0x0bad } });
    await expect(r.scanner.open()).rejects.toMatchObject({ code: 'DEVICE_NOT_FOUND' });
    expect(r.scanner.state).toBe('closed');
    const broken: NodeHidModule = {
      devices: () => {
        throw new Error('libusb-1.0.so.0: cannot open shared object file');
      },
      HID: class {} as never,
    };
    const noUsb = new HidScanner({ match: { vendorId: 1 }, hid: broken });
    await expect(noUsb.open()).rejects.toMatchObject({ code: 'NATIVE_MODULE_UNAVAILABLE' });
  });

  it('a device that refuses the set-up report: open() rejects typed, the handle is closed, the scanner closed', async () => {
    const device = new VirtualHidScanner({ mode: 'hid-pos' });
    const closed: string[] = [];
    const hid: NodeHidModule = {
      devices: () => [device.deviceInfo],
      HID: class {
        constructor() {
          const handle = device.open();
          // biome-ignore lint/correctness/noConstructorReturn: node-hid's HID is a class; the stand-in hands back a handle.
          return {
            on: handle.on.bind(handle),
            close: () => {
              closed.push('closed');
              handle.close();
            },
            sendFeatureReport: () => {
              throw Object.assign(new Error('could not send feature report'), { code: 'EPIPE' });
            },
          } as never;
        }
      } as unknown as NodeHidModule['HID'],
    };
    const r = await hidRig(device, { hid });
    await expect(r.scanner.open()).rejects.toMatchObject({
      code: 'DEVICE_NOT_FOUND',
      details: { reason: 'EPIPE' },
    });
    expect(r.scanner.state).toBe('closed');
    expect(closed).toEqual(['closed']);
  });

  it('a node node-hid cannot open: the path and the reason, from the node itself when node-hid does not say', async () => {
    const missing = join(scratch(), 'hidraw9');
    const info = { vendorId: 0x0c2e, productId: 0x0b61, path: missing, usagePage: 0x8c };
    // node-hid's libusb backend (and releases before 3) say no more than this.
    const silent: NodeHidModule = {
      devices: () => [info],
      HID: class {
        constructor(path: string) {
          throw new TypeError(`cannot open device with path ${path}`);
        }
      } as unknown as NodeHidModule['HID'],
    };
    const notThere = new HidScanner({ match: { vendorId: 0x0c2e }, hid: silent });
    const notFound = (await notThere.open().catch((e: unknown) => e)) as XinyiError;
    expect(notFound).toMatchObject({
      code: 'DEVICE_NOT_FOUND',
      details: { path: missing, reason: 'ENOENT' },
    });
    expect(notFound.message).toMatch(
      new RegExp(`^cannot open HID device ${missing}: it does not exist \\(ENOENT: `),
    );
    expect(notThere.state).toBe('closed');

    // Root may open anything, so the node's refusal is the injected access check's.
    const refused = new HidScanner({
      match: { vendorId: 0x0c2e },
      hid: silent,
      access: (path) => {
        throw Object.assign(new Error(`EACCES: permission denied, access '${path}'`), { code: 'EACCES' });
      },
    });
    await expect(refused.open()).rejects.toMatchObject({
      code: 'DEVICE_PERMISSION_DENIED',
      details: { path: missing, reason: 'EACCES' },
      message: expect.stringContaining('udev rule'),
    });
  });

  it('a configured path node-hid does not list: ENOENT when nothing is there, NOT_LISTED when something is', async () => {
    const device = new VirtualHidScanner({ mode: 'hid-pos' });
    const missing = join(scratch(), 'hidraw9');
    const absent = await hidRig(device, { match: { path: missing } });
    await expect(absent.scanner.open()).rejects.toMatchObject({
      code: 'DEVICE_NOT_FOUND',
      details: { path: missing, reason: 'ENOENT' },
      message: expect.stringContaining(`cannot open HID device ${missing}: it does not exist`),
    });
    const link = join(scratch(), 'scanner-link');
    writeFileSync(link, '');
    const other = await hidRig(device, { match: { path: link } });
    await expect(other.scanner.open()).rejects.toMatchObject({
      code: 'DEVICE_NOT_FOUND',
      details: { path: link, reason: 'NOT_LISTED' },
    });
  });

  it('needs a way to find the device', () => {
    expect(() => new HidScanner({ match: {} } as never)).toThrow(/match/);
  });
});

describe('scanners: open() and close() with an AbortSignal', () => {
  it('serial: an abort while the port opens closes the scanner again, releases the port and rejects ABORTED', async () => {
    const link = createMemoryLink();
    const slow = slowToOpen(link.host);
    const scanner = new SerialScanner({ transport: slow.transport });
    cleanups.push(() => scanner.close());
    const states: string[] = [];
    scanner.on('state', (state) => states.push(state));
    const controller = new AbortController();
    const opening = scanner.open({ signal: controller.signal });
    expect(scanner.state).toBe('opening');
    controller.abort(new Error('operator gave up'));
    slow.finish();
    await expect(opening).rejects.toMatchObject({
      code: 'ABORTED',
      message: 'SerialScanner.open() aborted',
      cause: expect.objectContaining({ message: 'operator gave up' }),
    });
    expect(scanner.state).toBe('closed');
    expect(states).toEqual(['opening', 'closed']);
    expect(link.host.isOpen).toBe(false);
  });

  it('serial: a close() that overtakes open() releases the port once it has opened', async () => {
    const link = createMemoryLink();
    const slow = slowToOpen(link.host);
    const scanner = new SerialScanner({ transport: slow.transport });
    const opening = scanner.open();
    await scanner.close();
    slow.finish();
    await opening;
    expect(scanner.state).toBe('closed');
    expect(link.host.isOpen).toBe(false);
    expect(link.host.listenerCount('data')).toBe(0);
  });

  it('serial: a signal that never fires changes nothing; close({ signal }) closes; not a signal is INVALID_ARGUMENT', async () => {
    const r = await serialRig();
    await expect(r.scanner.open({ signal: 'stop' as unknown as AbortSignal })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await r.scanner.open({ signal: new AbortController().signal });
    expect(r.scanner.state).toBe('ready');
    await r.scanner.close({ signal: new AbortController().signal });
    expect(r.scanner.state).toBe('closed');
    expect(r.link.host.isOpen).toBe(false);
  });

  it('HID: an aborted signal opens nothing: no device is listed or opened', async () => {
    const device = new VirtualHidScanner({ mode: 'hid-pos' });
    const module = hidModule([device]);
    let listed = 0;
    const r = await hidRig(device, {
      hid: {
        ...module,
        devices: () => {
          listed++;
          return module.devices();
        },
      },
    });
    await expect(r.scanner.open({ signal: AbortSignal.abort() })).rejects.toMatchObject({
      code: 'ABORTED',
      message: 'HidScanner.open() aborted',
    });
    expect(r.scanner.state).toBe('closed');
    expect(listed).toBe(0);
    await r.scanner.open({ signal: new AbortController().signal });
    expect(r.scanner.state).toBe('ready');
    expect(listed).toBe(1);
  });
});

describe('one optical scan, one credential', () => {
  // The reported symptom: one QR code whose text held CR-separated lines, two of them other
  // citizens' member codes, became one credential (and one decision) per line.
  const members = generatePopulation(40, 'multi-line-qr').map((p) => p.memberCode);

  function terminalFor(scanner: SerialScanner | HidScanner) {
    const terminal = createTerminal({
      terminalId: 'gate-multi-line',
      scene: 'scenic-gate',
      pseudonymizer: createPseudonymizer('scanner-test-key-0123456789'),
      credit: [
        {
          name: 'members',
          resolve: async () => ({
            tier: 'AA',
            lists: [],
            source: 'platform',
            asOf: new Date().toISOString(),
          }),
        },
      ],
      context: { siteId: 'tuoshan' },
    });
    cleanups.push(() => terminal.close());
    const decisions: Decision[] = [];
    terminal.on('decision', (d) => decisions.push(d));
    terminal.attach(scanner);
    return decisions;
  }

  it('serial: a QR code of 40 CR-separated member codes is refused as multi-line: no credential, no decision', async () => {
    const r = await serialRig();
    const decisions = terminalFor(r.scanner);
    const rejected: string[] = [];
    r.scanner.on('rejected', (e) => rejected.push(e.reason));
    await r.scanner.open();
    await r.device.scan(members.join('\r'), { symbology: 'qr' });
    await until(() => rejected.length === 1, 'the refusal');
    await r.device.scan('TICKET-AFTER');
    await until(() => decisions.length === 1, 'the next scan decided');
    expect(rejected).toEqual(['multi-line']);
    expect(r.scans.map((s) => s.scan.text)).toEqual(['TICKET-AFTER']);
    expect(r.scanner.stats).toMatchObject({ scans: 1, rejected: 1 });
  });

  it('HID POS: a symbol whose text holds a line break is refused the same way', async () => {
    const device = new VirtualHidScanner({ mode: 'hid-pos', layout: 'honeywell' });
    const r = await hidRig(device);
    const decisions = terminalFor(r.scanner);
    const rejected: Array<{ reason: string; length: number }> = [];
    r.scanner.on('rejected', (e) => rejected.push(e));
    await r.scanner.open();
    await device.scan(`${members[0]}\r\n${members[1]}`, { symbology: 'qr' });
    await until(() => rejected.length === 1, 'the refusal');
    expect(rejected).toEqual([{ reason: 'multi-line', length: members[0]!.length + members[1]!.length + 2 }]);
    expect(r.scans).toEqual([]);
    expect(decisions).toEqual([]);
  });

  it('keyboard wedge: a QR code of member codes typed with an Enter between them is refused as multi-line', async () => {
    vi.useFakeTimers({ now: 0 });
    cleanups.push(() => vi.useRealTimers());
    const device = new VirtualHidScanner({ mode: 'keyboard-wedge' });
    const r = await hidRig(device);
    const decisions = terminalFor(r.scanner);
    const rejected: Array<{ reason: string; length: number }> = [];
    r.scanner.on('rejected', (e) => rejected.push(e));
    await r.scanner.open();
    const text = members.slice(0, 10).join('\r');
    void device.scan(text);
    await vi.advanceTimersByTimeAsync((text.length + 1) * 10 + WEDGE_DEFAULT_LINE_GAP_MS);
    // Not one credential per line (3 scans and 7 rate-limited before the Enter was held): one refusal.
    expect(rejected).toEqual([{ reason: 'multi-line', length: text.length }]);
    expect(r.scans).toEqual([]);
    void device.scan('TICKET-AFTER');
    await vi.advanceTimersByTimeAsync(13 * 10 + WEDGE_DEFAULT_LINE_GAP_MS);
    expect(r.scans.map((s) => s.scan.text)).toEqual(['TICKET-AFTER']);
    await vi.advanceTimersByTimeAsync(0);
    expect(decisions).toHaveLength(1);
  });

  it('serial: frames of nothing but HT, GS, FS, RS or EOT are FRAME_GARBLED, never a credential', async () => {
    const r = await serialRig();
    const decisions = terminalFor(r.scanner);
    await r.scanner.open();
    for (const noise of ['\t', '\u001d\u001d', '\u001c', '\u001e\u0004', '\t\u001d\u001c\u001e\u0004']) {
      await r.device.scan(noise);
    }
    await until(() => r.errors.length === 5, 'five garbled frames');
    expect(r.errors.map((e) => e.code)).toEqual(Array(5).fill('FRAME_GARBLED'));
    expect(r.scans).toEqual([]);
    expect(decisions).toEqual([]);
  });

  it('a scanner hands on at most `burst` credentials at once, then one per interval (rate-limited)', async () => {
    let nowMs = 1_000_000;
    const device = new VirtualHidScanner({ mode: 'hid-pos', layout: 'honeywell' });
    const r = await hidRig(device, { clock: { now: () => nowMs } });
    const rejected: string[] = [];
    r.scanner.on('rejected', (e) => rejected.push(e.reason));
    await r.scanner.open();
    for (const member of members.slice(0, 5)) await device.scan(member, { symbology: 'code-128' });
    await until(() => r.scans.length + rejected.length === 5, 'five scans handled');
    expect(r.scans.map((s) => s.scan.text)).toEqual(members.slice(0, 3));
    expect(rejected).toEqual(['rate-limited', 'rate-limited']);
    nowMs += 1000;
    await device.scan(members[5]!, { symbology: 'code-128' });
    await until(() => r.scans.length === 4, 'one more after a second');
    expect(r.scanner.stats).toMatchObject({ scans: 4, rejected: 2 });
  });

  it('rateLimit: false hands on every scan; a bad limit is INVALID_OPTIONS', async () => {
    const device = new VirtualHidScanner({ mode: 'hid-pos', layout: 'honeywell' });
    const r = await hidRig(device, { clock: { now: () => 0 }, rateLimit: false });
    await r.scanner.open();
    for (const member of members.slice(0, 6)) await device.scan(member, { symbology: 'code-128' });
    await until(() => r.scans.length === 6, 'six scans');
    expect(() => new SerialScanner({ transport: createMemoryLink().host, rateLimit: { burst: 0 } })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    );
  });
});
