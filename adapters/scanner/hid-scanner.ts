import { accessSync, constants } from 'node:fs';
import { XinyiError } from '../../sdk/errors.js';
import { type DeviceNodeAccess, deviceOpenError, HID_DEVICE_HINTS } from '../device-open-error.js';
import { loadNativeModule } from '../native.js';
import {
  HID_POS_USAGE_PAGE,
  HidPosDecoder,
  type HidPosDecoderOptions,
  type HidPosLayout,
  hidPosSetupFeatureReport,
} from './hid-pos.js';
import { KeyboardWedgeDecoder, type KeyboardWedgeDecoderOptions } from './keyboard-wedge.js';
import { type ScanDecoder, ScannerBase, type ScannerCommonOptions } from './scan-pipeline.js';

/** A device record as node-hid's `devices()` lists it (the fields this driver uses). */
export interface HidDeviceInfo {
  vendorId: number;
  productId: number;
  path?: string;
  serialNumber?: string;
  product?: string;
  usagePage?: number;
  usage?: number;
  interface?: number;
}

/** An open device, as node-hid's `HID` class has it. */
export interface HidDeviceHandle {
  on(event: 'data', listener: (data: Buffer) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  sendFeatureReport(data: number[] | Buffer): number;
  close(): void;
}

/** The part of the node-hid module this driver uses; tests pass the simulator's stand-in. */
export interface NodeHidModule {
  devices(): HidDeviceInfo[];
  HID: new (path: string) => HidDeviceHandle;
}

export interface HidScannerOptions extends ScannerCommonOptions {
  /** Which device: by path, or by vendor/product id, usage page and serial number (first match). */
  match: { path?: string; vendorId?: number; productId?: number; usagePage?: number; serialNumber?: string };
  /**
   * `hid-pos` for a HID POS scanner (usage page 0x8C, §2.2), `keyboard-wedge` for one that types
   * (boot keyboard reports, §2.1). @default 'hid-pos' when the matched device is on page 0x8C, else 'keyboard-wedge'
   */
  mode?: 'hid-pos' | 'keyboard-wedge';
  /** HID POS report layout. @default 'honeywell' */
  layout?: HidPosLayout;
  hidPos?: Omit<HidPosDecoderOptions, 'layout'>;
  keyboard?: KeyboardWedgeDecoderOptions;
  /** The node-hid module; loaded lazily when absent, so the SDK works on machines without libusb. */
  hid?: NodeHidModule;
  /**
   * How the device node is looked at when node-hid does not say why it cannot open it (its libusb
   * backend and older releases throw `cannot open device with path …` alone): a missing node is
   * `DEVICE_NOT_FOUND` (ENOENT), one this user may not read and write `DEVICE_PERMISSION_DENIED`
   * (EACCES). Called as `fs.accessSync(path, mode)`: returns when the node may be used, throws an errno
   * error when not. @default fs.accessSync
   */
  access?: (path: string, mode: number) => void;
}

/**
 * A USB scanner read through node-hid, in HID POS or keyboard-wedge mode. Finds the device by its
 * ids, sends the set-up feature report a HID POS scanner needs, and reconnects when it is unplugged
 * (`disconnect` with `DEVICE_DISCONNECTED`). One `scan` event per scan, de-duplicated and classified.
 */
export class HidScanner extends ScannerBase {
  protected decoder: ScanDecoder;
  readonly #options: HidScannerOptions;
  #hid: NodeHidModule | undefined;
  #device: HidDeviceHandle | undefined;
  #mode: 'hid-pos' | 'keyboard-wedge' | undefined;

  constructor(options: HidScannerOptions) {
    if (!options || typeof options !== 'object' || !options.match || typeof options.match !== 'object') {
      throw new XinyiError(
        'INVALID_OPTIONS',
        'HidScanner: match ({ path } or { vendorId, productId }) is required',
      );
    }
    const { match } = options;
    if (match.path === undefined && match.vendorId === undefined && match.usagePage === undefined) {
      throw new XinyiError('INVALID_OPTIONS', 'HidScanner: match needs a path, a vendorId or a usagePage');
    }
    super(options, 'hid-scanner', 'HidScanner');
    this.#options = options;
    this.#mode = options.mode;
    this.decoder = this.#makeDecoder(options.mode ?? 'hid-pos');
  }

  /** The mode in use (decided from the device's usage page when not given). */
  get mode(): 'hid-pos' | 'keyboard-wedge' | undefined {
    return this.#mode;
  }

  /**
   * Finds and opens the device (see `ScannerBase.open`). Rejects with `NATIVE_MODULE_UNAVAILABLE`
   * when node-hid or libusb is missing, with `DEVICE_NOT_FOUND` when no device matches, and when it
   * cannot be opened with `DEVICE_NOT_FOUND`, `DEVICE_PERMISSION_DENIED` or `DEVICE_BUSY` naming the
   * path and the reason (`details.path`, `reason`, `osMessage`).
   */
  protected async openDevice(generation: number): Promise<void> {
    this.#hid ??= this.#options.hid ?? (await loadNativeModule<NodeHidModule>('node-hid'));
    const info = this.#find();
    let device: HidDeviceHandle;
    try {
      device = new this.#hid.HID(info.path!);
    } catch (cause) {
      throw deviceOpenError('HID device', info.path!, cause, HID_DEVICE_HINTS, { access: this.#access });
    }
    if (this.#mode === undefined) {
      this.#mode = info.usagePage === HID_POS_USAGE_PAGE ? 'hid-pos' : 'keyboard-wedge';
      this.decoder = this.#makeDecoder(this.#mode);
    }
    if (this.#mode === 'hid-pos') {
      const setup = hidPosSetupFeatureReport(this.#options.layout ?? 'honeywell');
      try {
        if (setup) device.sendFeatureReport(setup);
      } catch (cause) {
        // Not kept: a handle that refuses its set-up is closed before the open fails.
        closeQuietly(device);
        throw cause;
      }
    }
    this.#device = device;
    // A handle's callbacks count only in the period it was opened for: once it is lost or closed, a
    // late report or error of the dead handle is ignored.
    device.on(
      'data',
      this.forPeriod(generation, (data: Buffer) => this.received(data)),
    );
    device.on(
      'error',
      this.forPeriod(generation, (cause: Error) =>
        this.deviceLost(
          new XinyiError('DEVICE_DISCONNECTED', `${this.name}: the HID device went away`, { cause }),
        ),
      ),
    );
  }

  protected async releaseDevice(): Promise<void> {
    this.#closeDevice();
  }

  protected describeDevice(): string {
    return JSON.stringify(this.#options.match);
  }

  #makeDecoder(mode: 'hid-pos' | 'keyboard-wedge'): ScanDecoder {
    return mode === 'hid-pos'
      ? new HidPosDecoder({ ...this.#options.hidPos, layout: this.#options.layout ?? 'honeywell' })
      : new KeyboardWedgeDecoder(this.#options.keyboard);
  }

  #find(): HidDeviceInfo {
    let list: HidDeviceInfo[];
    try {
      list = this.#hid!.devices();
    } catch (cause) {
      // node-hid loads, but its binding needs libusb at the first call.
      throw new XinyiError(
        'NATIVE_MODULE_UNAVAILABLE',
        'node-hid cannot list devices: install libusb (apt-get install libusb-1.0-0)',
        {
          cause,
        },
      );
    }
    const { path, vendorId, productId, usagePage, serialNumber } = this.#options.match;
    const found = list.find(
      (d) =>
        (path === undefined || d.path === path) &&
        (vendorId === undefined || d.vendorId === vendorId) &&
        (productId === undefined || d.productId === productId) &&
        (usagePage === undefined || d.usagePage === usagePage) &&
        (serialNumber === undefined || d.serialNumber === serialNumber),
    );
    if (!found?.path && path !== undefined) throw this.#notListed(path);
    if (!found?.path) {
      throw new XinyiError(
        'DEVICE_NOT_FOUND',
        `${this.name}: no HID device matches ${JSON.stringify(this.#options.match)}`,
      );
    }
    return found;
  }

  /** A configured path node-hid does not list: missing altogether, or not a HID node it knows (a link, an input node). */
  #notListed(path: string): XinyiError {
    try {
      this.#access(path, constants.F_OK);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        return deviceOpenError('HID device', path, error, HID_DEVICE_HINTS);
      }
    }
    return new XinyiError(
      'DEVICE_NOT_FOUND',
      `cannot open HID device ${path}: node-hid lists no HID device at that path (NOT_LISTED); give the /dev/hidrawN it lists, not a link to it (xinyi devices)`,
      { details: { path, reason: 'NOT_LISTED' } },
    );
  }

  get #access(): DeviceNodeAccess {
    return this.#options.access ?? accessSync;
  }

  #closeDevice(): void {
    const device = this.#device;
    this.#device = undefined;
    if (device !== undefined) closeQuietly(device);
  }
}

function closeQuietly(device: HidDeviceHandle): void {
  try {
    device.close();
  } catch {
    // node-hid throws when closing a handle whose device is already gone.
  }
}
