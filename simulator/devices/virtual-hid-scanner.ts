// A USB HID barcode scanner, keyboard-wedge or HID POS (docs/protocols.md §2.1, §2.2), behind a
// node-hid stand-in.
import { EventEmitter } from 'node:events';
import {
  aimIdForSymbology,
  encodeHidPosReports,
  encodeWedgeKeystrokes,
  HID_POS_MAX_PACKET_DATA,
  HID_POS_SCANNER_USAGE,
  HID_POS_USAGE_PAGE,
  type HidPosLayout,
  HONEYWELL_HID_POS_MODE_FEATURE_REPORT,
  type ScanTextEncoding,
  SYMBOLOGIES,
  type Symbology,
  type WedgeTerminator,
} from '../../adapters/scanner/index.js';
import { XinyiError, XinyiErrorCode } from '../../sdk/errors.js';
import {
  bool,
  Clock,
  FaultQueue,
  int,
  invalid,
  nonNegative,
  oneOf,
  type ScannerFaultScope,
  str,
  toBytes,
} from './scanner-kit.js';

/**
 * The `error` node-hid emits when the device disappears under a read: `"could not read from HID
 * device"` plus, on Linux hidraw, hidapi's read error (node-hid src/HID.cc ReadWorker, hidapi
 * linux/hid.c hid_read_timeout).
 */
export const NODE_HID_DISCONNECT_MESSAGE =
  'could not read from HID device: hid_read_timeout: unexpected poll error (device disconnected)';

/** A node-hid `Device` record (`HID.devices()`), as the virtual scanner describes itself. */
export interface VirtualHidDeviceInfo {
  vendorId: number;
  productId: number;
  path: string;
  serialNumber?: string;
  manufacturer?: string;
  product?: string;
  release: number;
  interface: number;
  usagePage: number;
  usage: number;
}

/** What the scanner sends: keyboard boot reports (§2.1) or HID POS reports (§2.2). */
export type VirtualHidScannerMode = 'keyboard-wedge' | 'hid-pos';

/** Options of `VirtualHidScanner`: its identity and programmed settings. */
export interface VirtualHidScannerOptions {
  /** @default 'hid-pos' */
  mode?: VirtualHidScannerMode;
  /** HID POS report layout (§2.2). @default 'honeywell' */
  layout?: HidPosLayout;
  /** @default 0x0C2E (Honeywell) for the honeywell layout, 0x1EAB (Newland) for newland (§2.2) */
  vendorId?: number;
  /** @default 0x0B8F (Voyager 1400g, WebHidBarcodeScanner) / 0x1D10 (FM430, §2.2) */
  productId?: number;
  /** The device path `open()` answers to. @default 'virtual-hid-scanner' */
  path?: string;
  /**
   * HID POS only: send nothing until the host sent feature report 0xFE `01` (§2.2: some
   * Honeywell/Youjie units need it to enter HID POS mode). Power loss forgets it.
   * @default false
   */
  requireModeFeatureReport?: boolean;
  /** Keyboard wedge: time between key presses; the release comes half-way. @default 10 (Honeywell, §2.1) */
  keyIntervalMs?: number;
  /** HID POS: time between the packets of one scan (❓ not in §2.2). @default 1 */
  packetIntervalMs?: number;
  /** Keyboard wedge: the suffix key. @default 'enter' */
  terminator?: WedgeTerminator | 'none';
  /** Keyboard wedge: type the AIM identifier (§2.4) before the text. @default false */
  aim?: boolean;
  /** Symbology of scans that do not name one. @default 'qr' */
  symbology?: Symbology;
  /** HID POS: data bytes per packet, 1–56. @default 56 */
  packetSize?: number;
  /** HID POS: text encoding. @default 'utf8' */
  encoding?: ScanTextEncoding;
  /** Message of the `error` emitted on unplug. @default NODE_HID_DISCONNECT_MESSAGE */
  disconnectMessage?: string;
}

/** Per-scan overrides. */
export interface VirtualHidScanOptions {
  symbology?: Symbology;
  /** Keyboard wedge only. */
  aim?: boolean;
  /** Keyboard wedge only. */
  terminator?: WedgeTerminator | 'none';
}

/** A misbehaviour applied to the next scan(s); faults of different kinds combine on one scan. */
export type VirtualHidScannerFault =
  /** Keyboard wedge: leave out the release reports after these keystrokes (default: all). */
  | ({ kind: 'drop-release'; keystrokes?: readonly number[] } & ScannerFaultScope)
  /**
   * HID POS: send the scan in packets of `packetSize` data bytes (default 8) with `gapMs` (default
   * 5) between them. Keyboard wedge: pause `gapMs` (default 50, above a decoder's 40 ms break,
   * §2.1) after keystroke `atKeystroke` (default: the middle one).
   */
  | ({ kind: 'split'; packetSize?: number; gapMs?: number; atKeystroke?: number } & ScannerFaultScope)
  /**
   * Send `report` before the scan (default: HID POS `02 FF 00…` — length byte 0xFF, 64 bytes;
   * keyboard `01 02 03` — 3 bytes): both are malformed, so a decoder returns `FRAME_LENGTH`.
   */
  | ({ kind: 'garbage'; report?: Uint8Array } & ScannerFaultScope)
  /** Send `afterReports` reports (default 0) of the scan, then the device is unplugged (see `unplug()`). */
  | ({ kind: 'unplug'; afterReports?: number; forMs?: number } & ScannerFaultScope);

/** The `kind` of a `VirtualHidScannerFault`. */
export type VirtualHidScannerFaultKind = VirtualHidScannerFault['kind'];

/** Counters (a snapshot). */
export interface VirtualHidScannerStats {
  /** Scans sent completely. */
  scans: number;
  /** Input reports sent (to every open handle that was reading, or to none). */
  reportsSent: number;
  /** Scans not sent because HID POS mode was not enabled (`requireModeFeatureReport`). */
  scansDropped: number;
  faultsApplied: Record<VirtualHidScannerFaultKind, number>;
}

const HID_FAULT_KINDS: readonly VirtualHidScannerFaultKind[] = ['drop-release', 'split', 'garbage', 'unplug'];

/**
 * A USB scanner as node-hid sees it. `open()` plays `new HID.HID(path)` and returns a
 * `VirtualHidDevice` with the real node-hid `HID` class shape, which emits `data` (a Buffer per
 * input report) and `error`. `scan(text)` sends keyboard boot reports (§2.1) or HID POS reports in
 * the Honeywell or Newland layout (§2.2) to every open handle, on `setTimeout` timing (fake timers
 * drive it). Scans are sent one after another in call order.
 *
 * Unplugging (`unplug()` or an `unplug` fault) does what node-hid does: every handle that is reading
 * emits `error` (`NODE_HID_DISCONNECT_MESSAGE`) and stops; its other methods then throw; `open()`
 * throws `cannot open device with path …` until `plugIn()`, after which the host must open again.
 */
export class VirtualHidScanner {
  readonly #mode: VirtualHidScannerMode;
  readonly #layout: HidPosLayout;
  readonly #info: VirtualHidDeviceInfo;
  readonly #requireMode: boolean;
  readonly #keyIntervalMs: number;
  readonly #packetIntervalMs: number;
  readonly #terminator: WedgeTerminator | 'none';
  readonly #aim: boolean;
  readonly #symbology: Symbology;
  readonly #packetSize: number;
  readonly #encoding: ScanTextEncoding;
  readonly #disconnectMessage: string;
  readonly #clock = new Clock();
  readonly #handles = new Set<HidHandle>();
  readonly #featureReports = new Map<number, Buffer>();
  readonly #writes: Buffer[] = [];
  #plugged = true;
  #modeEnabled = false;
  #queue: Promise<unknown> = Promise.resolve();
  readonly #faults = new FaultQueue<VirtualHidScannerFault>(HID_FAULT_KINDS, validateHidFault);
  #plugInTimer: ReturnType<typeof setTimeout> | undefined;
  #stats: VirtualHidScannerStats = emptyHidStats();

  /** @throws XinyiError `INVALID_OPTIONS` naming the bad option. */
  constructor(options: VirtualHidScannerOptions = {}) {
    if (options === null || typeof options !== 'object') {
      throw new XinyiError(XinyiErrorCode.INVALID_OPTIONS, 'options must be an object when given');
    }
    this.#mode = oneOf('mode', options.mode, ['keyboard-wedge', 'hid-pos'] as const, 'hid-pos', 'option');
    this.#layout = oneOf('layout', options.layout, ['honeywell', 'newland'] as const, 'honeywell', 'option');
    const newland = this.#layout === 'newland';
    const pos = this.#mode === 'hid-pos';
    this.#info = {
      vendorId: int('vendorId', options.vendorId, newland ? 0x1eab : 0x0c2e, 0, 0xffff),
      productId: int('productId', options.productId, newland ? 0x1d10 : 0x0b8f, 0, 0xffff),
      path: str('path', options.path, 'virtual-hid-scanner'),
      manufacturer: newland ? 'Newland (simulated)' : 'Honeywell (simulated)',
      product: pos ? 'Virtual HID POS scanner' : 'Virtual keyboard-wedge scanner',
      release: 0x0100,
      interface: 0,
      // §2.2: a HID POS scanner is the page 0x8C usage 0x02 collection; a wedge is a keyboard
      // (Generic Desktop page 0x01, usage 0x06).
      usagePage: pos ? HID_POS_USAGE_PAGE : 0x01,
      usage: pos ? HID_POS_SCANNER_USAGE : 0x06,
    };
    this.#requireMode = bool('requireModeFeatureReport', options.requireModeFeatureReport, false, 'option');
    this.#keyIntervalMs = nonNegative('keyIntervalMs', options.keyIntervalMs, 10, 'option');
    this.#packetIntervalMs = nonNegative('packetIntervalMs', options.packetIntervalMs, 1, 'option');
    this.#terminator = oneOf(
      'terminator',
      options.terminator,
      ['enter', 'tab', 'none'] as const,
      'enter',
      'option',
    );
    this.#aim = bool('aim', options.aim, false, 'option');
    this.#symbology = oneOf('symbology', options.symbology, SYMBOLOGIES, 'qr', 'option');
    this.#packetSize = int(
      'packetSize',
      options.packetSize,
      HID_POS_MAX_PACKET_DATA,
      1,
      HID_POS_MAX_PACKET_DATA,
    );
    this.#encoding = oneOf('encoding', options.encoding, ['utf8', 'latin1'] as const, 'utf8', 'option');
    this.#disconnectMessage = str(
      'disconnectMessage',
      options.disconnectMessage,
      NODE_HID_DISCONNECT_MESSAGE,
    );
  }

  /** The node-hid `Device` record of this scanner, as `HID.devices()` would list it. */
  get deviceInfo(): VirtualHidDeviceInfo {
    return { ...this.#info };
  }

  /** True while plugged in. */
  get plugged(): boolean {
    return this.#plugged;
  }

  /** True once the host sent the HID POS mode feature report (0xFE `01`) since the last power-up. */
  get modeEnabled(): boolean {
    return this.#modeEnabled;
  }

  /** Output reports the host wrote (`write()`), oldest first, report ID first. */
  get writes(): readonly Buffer[] {
    return this.#writes.map((w) => Buffer.from(w));
  }

  /** The last feature report the host sent with `reportId`, report ID first, or undefined. */
  featureReport(reportId: number): Buffer | undefined {
    const report = this.#featureReports.get(reportId);
    return report === undefined ? undefined : Buffer.from(report);
  }

  /** A snapshot of the counters. */
  get stats(): VirtualHidScannerStats {
    return { ...this.#stats, faultsApplied: { ...this.#stats.faultsApplied } };
  }

  /**
   * Opens a handle, as `new HID.HID(path)` would.
   * @throws TypeError `cannot open device with path …` while unplugged (node-hid's message).
   */
  open(): VirtualHidDevice {
    if (!this.#plugged) throw new TypeError(`cannot open device with path ${this.#info.path}`);
    const device = new HidHandle(this.#port);
    this.#handles.add(device);
    return device;
  }

  /**
   * Scans `text`: sends its reports (after the scans already queued) with the faults queued for it.
   * @returns resolves true once every report was sent; false when the scanner was unplugged first,
   *   or (HID POS with `requireModeFeatureReport`) the host never enabled HID POS mode.
   * @throws XinyiError `INVALID_ARGUMENT` when the text cannot be sent in this mode (empty, or a
   *   character the US keyboard layout cannot type) or an option is malformed (synchronously).
   */
  scan(text: string, options: VirtualHidScanOptions = {}): Promise<boolean> {
    const symbology = oneOf('symbology', options.symbology, SYMBOLOGIES, this.#symbology, 'argument');
    const chosen = this.#faults.next();
    const plan =
      this.#mode === 'keyboard-wedge'
        ? this.#wedgePlan(text, symbology, options, chosen)
        : this.#posPlan(text, symbology, chosen);
    const faults = this.#faults.take();
    const run = this.#queue.then(() => this.#send(plan, faults));
    this.#queue = run;
    return run;
  }

  /**
   * Queues a fault for the next scan(s).
   * @returns a function that withdraws the fault if it has not been used up.
   * @throws XinyiError `INVALID_ARGUMENT` for an unknown kind or an out-of-range number.
   */
  injectFault(fault: VirtualHidScannerFault): () => void {
    return this.#faults.inject(fault);
  }

  /** Withdraws every queued fault. */
  clearFaults(): void {
    this.#faults.clear();
  }

  /**
   * Pulls the USB cable: scans in progress stop, the HID POS mode is forgotten, and every open
   * handle dies — those reading emit `error` on the next macrotask, as node-hid's read loop does.
   * With `forMs`, `plugIn()` follows that much later. Does nothing when already unplugged.
   */
  unplug(forMs?: number): void {
    if (!this.#plugged) return;
    this.#plugged = false;
    this.#modeEnabled = false;
    this.#clock.cancelAll();
    const handles = [...this.#handles];
    this.#handles.clear();
    for (const device of handles) device.die(this.#disconnectMessage);
    if (forMs !== undefined) {
      if (this.#plugInTimer !== undefined) clearTimeout(this.#plugInTimer);
      this.#plugInTimer = setTimeout(() => {
        this.#plugInTimer = undefined;
        this.plugIn();
      }, forMs);
    }
  }

  /** Puts the cable back; the host must `open()` again. Does nothing when plugged. */
  plugIn(): void {
    this.#plugged = true;
  }

  /** The scanner's side of its handles. */
  readonly #port: HidPort = {
    info: () => ({ ...this.#info }),
    write: (data) => {
      this.#writes.push(data);
    },
    sendFeatureReport: (data) => {
      const id = data[0] ?? 0;
      this.#featureReports.set(id, data);
      const mode = HONEYWELL_HID_POS_MODE_FEATURE_REPORT;
      if (data.length >= mode.length && mode.every((b, i) => data[i] === b)) this.#modeEnabled = true;
    },
    getFeatureReport: (id) => this.#featureReports.get(id),
    closed: (device) => {
      this.#handles.delete(device);
    },
  };

  #wedgePlan(
    text: string,
    symbology: Symbology,
    options: VirtualHidScanOptions,
    faults: VirtualHidScannerFault[],
  ): Array<[delayMs: number, report: Buffer]> {
    const aim = bool('aim', options.aim, this.#aim, 'argument');
    const terminator = oneOf(
      'terminator',
      options.terminator,
      ['enter', 'tab', 'none'] as const,
      this.#terminator,
      'argument',
    );
    const prefix = aim ? (aimIdForSymbology(symbology) ?? '') : '';
    const drop = faults.find((f) => f.kind === 'drop-release');
    const strokes = encodeWedgeKeystrokes(prefix + text, {
      terminator,
      dropRelease: drop === undefined ? false : (drop.keystrokes ?? true),
    });
    const split = faults.find((f) => f.kind === 'split');
    const pauseAfter = split === undefined ? -1 : (split.atKeystroke ?? Math.floor(strokes.length / 2));
    const timed: Array<[atMs: number, report: Buffer]> = [];
    strokes.forEach(({ press, release }, i) => {
      const at = i * this.#keyIntervalMs + (i > pauseAfter && split !== undefined ? (split.gapMs ?? 50) : 0);
      timed.push([at, press]);
      if (release !== undefined) timed.push([at + this.#keyIntervalMs / 2, release]);
    });
    const plan = timed.map(([at, report], i): [number, Buffer] => [
      i === 0 ? 0 : at - timed[i - 1]![0],
      report,
    ]);
    return plan;
  }

  #posPlan(text: string, symbology: Symbology, faults: VirtualHidScannerFault[]): Array<[number, Buffer]> {
    const split = faults.find((f) => f.kind === 'split');
    const reports = encodeHidPosReports(text, {
      layout: this.#layout,
      symbology,
      packetSize: split === undefined ? this.#packetSize : (split.packetSize ?? 8),
      encoding: this.#encoding,
    });
    const gap = split === undefined ? this.#packetIntervalMs : (split.gapMs ?? 5);
    return reports.map((r, i) => [i === 0 ? 0 : gap, r]);
  }

  async #send(plan: Array<[number, Buffer]>, faults: VirtualHidScannerFault[]): Promise<boolean> {
    if (!this.#plugged) return false;
    if (this.#mode === 'hid-pos' && this.#requireMode && !this.#modeEnabled) {
      this.#stats.scansDropped++;
      return false;
    }
    const epoch = this.#clock.epoch;
    for (const f of faults) this.#stats.faultsApplied[f.kind]++;
    const garbage = faults.find((f) => f.kind === 'garbage');
    if (garbage !== undefined) {
      this.#deliver(garbage.report === undefined ? this.#defaultGarbage() : Buffer.from(garbage.report));
    }
    const unplug = faults.find((f) => f.kind === 'unplug');
    const limit = unplug === undefined ? plan.length : Math.min(unplug.afterReports ?? 0, plan.length);
    for (let i = 0; i < limit; i++) {
      const [delayMs, report] = plan[i]!;
      if (delayMs > 0 && !(await this.#clock.sleep(delayMs, epoch))) return false;
      if (this.#clock.epoch !== epoch) return false;
      this.#deliver(report);
    }
    if (unplug !== undefined) {
      this.unplug(unplug.forMs);
      return false;
    }
    this.#stats.scans++;
    return true;
  }

  #defaultGarbage(): Buffer {
    if (this.#mode === 'keyboard-wedge') return Buffer.from([0x01, 0x02, 0x03]);
    const report = Buffer.alloc(64);
    report[0] = 0x02;
    report[1] = 0xff;
    return report;
  }

  #deliver(report: Buffer): void {
    this.#stats.reportsSent++;
    for (const device of [...this.#handles]) device.deliver(report);
  }
}

interface HidPort {
  info(): VirtualHidDeviceInfo;
  write(data: Buffer): void;
  sendFeatureReport(data: Buffer): void;
  getFeatureReport(reportId: number): Buffer | undefined;
  closed(device: HidHandle): void;
}

type ReadCallback = (err: unknown, data: Buffer) => void;

/**
 * One open handle on a `VirtualHidScanner`, with the shape of node-hid's synchronous `HID` class
 * (nodehid.js / nodehid.d.ts): events `data` (Buffer: report ID first for numbered reports, 8 bytes
 * for a keyboard) and `error`; reading starts when a `data` listener is added (on the next tick)
 * and stops on `pause()`; `close()` removes every listener. Reports sent while the handle is not
 * reading are lost. `readSync` is not supported (it would block); `readTimeout` returns `[]`.
 * Obtain one with `VirtualHidScanner.open()`.
 */
export interface VirtualHidDevice extends EventEmitter {
  /** Closes the handle: removes every listener (as node-hid does); later calls throw. Idempotent. */
  close(): void;
  /** Stops `data` events. */
  pause(): void;
  /** Resumes `data` events if there is a `data` listener. */
  resume(): void;
  /** Reads the next report into `callback` (node-hid's low-level read; the data is a Buffer). */
  read(callback: (err: unknown, data: number[]) => void): void;
  /** Not supported: a synchronous read would block the simulator's event loop. */
  readSync(): number[];
  /** Returns `[]`: no report can arrive during a synchronous call. */
  readTimeout(timeOut: number): number[];
  /** Records a feature report (report ID first) and returns its length; 0xFE `01` enables HID POS mode (§2.2). */
  sendFeatureReport(data: number[] | Buffer): number;
  /** The last feature report sent with `reportId`, padded or cut to `reportLength`, report ID first. */
  getFeatureReport(reportId: number, reportLength: number): number[];
  /** Records an output report (report ID first) and returns its length. */
  write(values: number[] | Buffer): number;
  /** Accepted and ignored. */
  setNonBlocking(noBlock: boolean): void;
  /** The scanner's `Device` record. */
  getDeviceInfo(): VirtualHidDeviceInfo;
}

// Error messages and the reading model are node-hid's own (nodehid.js, src/HID.cc), so host code
// written against node-hid meets the same behaviour here.
class HidHandle extends EventEmitter implements VirtualHidDevice {
  readonly #port: HidPort;
  #paused = true;
  #closed = false;
  #dead: string | undefined;
  #reads: ReadCallback[] = [];
  #queued: Buffer[] = [];

  constructor(port: HidPort) {
    super();
    this.#port = port;
    this.on('newListener', (event: string | symbol) => {
      if (event === 'data') process.nextTick(() => this.resume());
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#paused = true;
    this.removeAllListeners();
    this.#port.closed(this);
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    if (this.#paused && !this.#closed && this.#dead === undefined && this.listenerCount('data') > 0) {
      this.#paused = false;
      const queued = this.#queued;
      this.#queued = [];
      for (const report of queued) this.emit('data', report);
    }
  }

  read(callback: (err: unknown, data: number[]) => void): void {
    if (this.#closed) throw new Error('Unable to read from a closed HID device');
    if (this.#dead !== undefined) {
      const message = this.#dead;
      setTimeout(() => callback(new Error(message), []), 0);
      return;
    }
    // node-hid hands the callback a Buffer although its typings say number[].
    this.#reads.push(callback as unknown as ReadCallback);
  }

  readSync(): number[] {
    throw new Error('readSync is not supported by the virtual HID device');
  }

  readTimeout(_timeOut: number): number[] {
    this.#assertOpen('Cannot access closed device');
    return [];
  }

  sendFeatureReport(data: number[] | Buffer): number {
    this.#assertOpen('Cannot access closed device', 'could not send feature report to device');
    const bytes = toBytes(data);
    this.#port.sendFeatureReport(bytes);
    return bytes.length;
  }

  getFeatureReport(reportId: number, reportLength: number): number[] {
    if (!(reportLength > 0)) {
      throw new TypeError('Length parameter must be greater than zero in getFeatureReport');
    }
    this.#assertOpen('Cannot access closed device', 'could not get feature report from device');
    const out = new Array<number>(reportLength).fill(0);
    out[0] = reportId & 0xff;
    const stored = this.#port.getFeatureReport(reportId & 0xff);
    if (stored !== undefined)
      for (let i = 1; i < Math.min(reportLength, stored.length); i++) out[i] = stored[i]!;
    return out;
  }

  write(values: number[] | Buffer): number {
    this.#assertOpen('Cannot write to closed device', 'Cannot write to hid device');
    const bytes = toBytes(values);
    this.#port.write(bytes);
    return bytes.length;
  }

  setNonBlocking(_noBlock: boolean): void {
    this.#assertOpen('Cannot access closed device');
  }

  getDeviceInfo(): VirtualHidDeviceInfo {
    this.#assertOpen('Cannot access closed device');
    return this.#port.info();
  }

  deliver(report: Buffer): void {
    if (this.#closed || this.#dead !== undefined) return;
    const read = this.#reads.shift();
    if (read !== undefined) {
      read(null, Buffer.from(report));
      return;
    }
    if (!this.#paused && this.listenerCount('data') > 0) this.emit('data', Buffer.from(report));
    // Linux hidraw queues input reports (HIDRAW_BUFFER_SIZE, 64) until a reader takes them; node-hid
    // starts reading on the tick after a 'data' listener is added.
    else if (this.#queued.length < 64) this.#queued.push(Buffer.from(report));
  }

  die(message: string): void {
    if (this.#closed || this.#dead !== undefined) return;
    this.#dead = message;
    const reads = this.#reads;
    this.#reads = [];
    // A 'data' listener means node-hid's read loop runs (or is about to), and it meets the error.
    const reading = this.listenerCount('data') > 0;
    this.#paused = true;
    setTimeout(() => {
      for (const read of reads) read(new Error(message), Buffer.alloc(0));
      // node-hid: the read loop's error is emitted unless the handle is being closed.
      if (reading && !this.#closed) this.emit('error', new Error(message));
    }, 0);
  }

  #assertOpen(closedMessage: string, deadMessage?: string): void {
    if (this.#closed) throw new TypeError(closedMessage);
    if (this.#dead !== undefined && deadMessage !== undefined) throw new TypeError(deadMessage);
  }
}

/** The fields of each kind of fault (kind and scope are checked by the queue). */
function validateHidFault(fault: VirtualHidScannerFault): void {
  const index = (name: string, value: unknown, min: number) => {
    if (value !== undefined && !(Number.isInteger(value) && (value as number) >= min)) {
      throw invalid('argument', name, `${name} must be an integer ≥ ${min}`);
    }
  };
  switch (fault.kind) {
    case 'drop-release':
      if (fault.keystrokes !== undefined) {
        if (!Array.isArray(fault.keystrokes))
          throw invalid('argument', 'fault.keystrokes', 'fault.keystrokes must be an array');
        for (const k of fault.keystrokes) index('fault.keystrokes', k, 0);
      }
      break;
    case 'split':
      if (
        fault.packetSize !== undefined &&
        !(
          Number.isInteger(fault.packetSize) &&
          fault.packetSize >= 1 &&
          fault.packetSize <= HID_POS_MAX_PACKET_DATA
        )
      ) {
        throw invalid('argument', 'fault.packetSize', 'fault.packetSize must be an integer 1..56');
      }
      nonNegative('fault.gapMs', fault.gapMs, 0, 'argument');
      index('fault.atKeystroke', fault.atKeystroke, 0);
      break;
    case 'garbage':
      if (fault.report !== undefined && !(fault.report instanceof Uint8Array)) {
        throw invalid('argument', 'fault.report', 'fault.report must be a Uint8Array');
      }
      break;
    case 'unplug':
      index('fault.afterReports', fault.afterReports, 0);
      nonNegative('fault.forMs', fault.forMs, 0, 'argument');
      break;
    default:
      break;
  }
}

function emptyHidStats(): VirtualHidScannerStats {
  return {
    scans: 0,
    reportsSent: 0,
    scansDropped: 0,
    faultsApplied: { 'drop-release': 0, split: 0, garbage: 0, unplug: 0 },
  };
}
