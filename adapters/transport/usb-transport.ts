import { isXinyiError, XinyiError } from '../../sdk/errors.js';
import { deviceOpenError } from '../device-open-error.js';
import { SAM_DEFAULT_MAX_LENGTH, SAM_HEADER_BYTES, SAM_PREAMBLE } from '../id-card/sam-frame.js';
import { loadNativeModule } from '../native.js';
import { HandleTransport } from './handle-transport.js';

// The ID-card SAM module's own USB interface (docs/id-card-readers.md, "USB readers"): full speed, bulk
// pipes. A command frame `AA AA AA 96 69 LEN_H LEN_L CMD PARA DATA CHK` goes out as its preamble and
// length on OUT pipe 0x02 and the rest (CMD … CHK) on OUT pipe 0x06; a response comes back as its
// preamble and length on IN pipe 0x81 and the rest (SW1 SW2 SW3 DATA CHK) on IN pipe 0x85.

/** The SAM module's bulk pipes, by endpoint address (§1.2). */
export interface SamUsbPipes {
  /** OUT: a command's preamble and length (7 bytes). @default 0x02 */
  headerOut: number;
  /** OUT: the rest of the command (CMD, PARA, DATA, CHK). @default 0x06 */
  bodyOut: number;
  /** IN: a response's preamble and length. @default 0x81 */
  headerIn: number;
  /** IN: the rest of the response (SW1, SW2, SW3, DATA, CHK). @default 0x85 */
  bodyIn: number;
}

export const SAM_USB_PIPES: Readonly<SamUsbPipes> = Object.freeze({
  headerOut: 0x02,
  bodyOut: 0x06,
  headerIn: 0x81,
  bodyIn: 0x85,
});

/** Result of a WebUSB `transferIn`. */
export interface UsbInTransferResult {
  data?: DataView;
  status: 'ok' | 'stall' | 'babble';
}

/** Result of a WebUSB `transferOut`. */
export interface UsbOutTransferResult {
  bytesWritten: number;
  status: 'ok' | 'stall';
}

/** An endpoint as WebUSB describes it (`USBEndpoint`). */
export interface UsbEndpointInfo {
  endpointNumber: number;
  direction: 'in' | 'out';
  type: 'bulk' | 'interrupt' | 'isochronous';
}

/** An interface as WebUSB describes it (`USBInterface`), its current alternate only. */
export interface UsbInterfaceInfo {
  interfaceNumber: number;
  alternate: { interfaceClass: number; endpoints: UsbEndpointInfo[] };
}

/**
 * The slice of a WebUSB `USBDevice` this transport uses, as the `usb` package (3.x, `WebUSB`) and
 * its stand-in in the simulator implement it. `transferIn`'s third argument is `usb`'s timeout in ms
 * (an extension of WebUSB); a transfer that times out rejects, which is not an error here.
 */
export interface UsbDeviceHandle {
  readonly vendorId: number;
  readonly productId: number;
  readonly serialNumber?: string | null;
  readonly manufacturerName?: string | null;
  readonly productName?: string | null;
  readonly configuration: { interfaces: UsbInterfaceInfo[] } | null | undefined;
  readonly opened?: boolean;
  open(): Promise<void>;
  close(): Promise<void>;
  selectConfiguration(configurationValue: number): Promise<void>;
  claimInterface(interfaceNumber: number): Promise<void>;
  releaseInterface(interfaceNumber: number): Promise<void>;
  transferOut(endpointNumber: number, data: Uint8Array): Promise<UsbOutTransferResult>;
  transferIn(endpointNumber: number, length: number, timeoutMs?: number): Promise<UsbInTransferResult>;
}

/** The slice of the `usb` package used: its WebUSB class, every device allowed. */
export interface UsbModule {
  WebUSB: new (options: { allowAllDevices: boolean }) => { getDevices(): Promise<UsbDeviceHandle[]> };
}

export interface UsbTransportOptions {
  /** The reader's USB vendor id (`lsusb`, `xinyi devices`). */
  vendorId: number;
  productId: number;
  /** Tells two readers of the same model apart. */
  serialNumber?: string;
  /** The interface that carries the SAM pipes. @default 0 */
  interfaceNumber?: number;
  /** @default SAM_USB_PIPES (0x02, 0x06 out; 0x81, 0x85 in) */
  pipes?: Partial<SamUsbPipes>;
  /**
   * How long one IN transfer waits before it is sent again; an idle reader sends nothing, and a
   * transfer that times out is not an error. Bounds how long `close()` waits for the read in progress.
   * @default 250
   */
  readTimeoutMs?: number;
  /** The `usb` module; by default the optional `usb` package (3.x), loaded on the first `open()`. */
  usb?: UsbModule;
}

/** A USB device as `listUsbDevices()` reports it. */
export interface UsbDeviceInfo {
  /** Four lower-case hex digits, as serial ports report theirs. */
  vendorId: string;
  productId: string;
  manufacturer?: string;
  product?: string;
  serialNumber?: string;
  /** The interface whose bulk endpoints are the SAM module's pipes (§1.2), when one is. */
  samInterface?: number;
}

interface UsbHandle {
  device: UsbDeviceHandle;
  interfaceNumber: number;
  closing: boolean;
  reading: Promise<void>;
  /** Command bytes written but not yet a whole frame. */
  pending: Buffer;
  writes: Promise<void>;
}

const HEADER_PACKET_BYTES = 64;
/** `usb` 3.x (nusb) ends a timed-out transfer by cancelling it; libusb says TIMED_OUT. */
const TIMEOUT_ERROR = /cancel|timed? ?out/i;

const hex4 = (n: number) => n.toString(16).padStart(4, '0');

/**
 * A second-generation ID-card reader on its SAM module's USB interface (docs/id-card-readers.md),
 * as a byte stream for `IdCardReader`: written command frames are split over the two OUT pipes,
 * responses read from the two IN pipes are joined back, byte for byte, so the SAM codec sees what a
 * serial reader would send. Through the optional `usb` package (libusb-free `usb` 3.x), loaded on
 * the first `open()`.
 *
 * `open()` rejects with `NATIVE_MODULE_UNAVAILABLE` when `usb` is missing, `DEVICE_NOT_FOUND` when no
 * device has the ids (or it cannot be opened or claimed: permissions, see docs/id-card-readers.md
 * for the udev rule; another driver holding it). A device that goes away ends the open period with
 * `DEVICE_DISCONNECTED`, as any transport.
 */
export class UsbTransport extends HandleTransport<UsbHandle> {
  readonly description: string;
  readonly #vendorId: number;
  readonly #productId: number;
  readonly #serialNumber: string | undefined;
  readonly #interfaceNumber: number;
  readonly #pipes: SamUsbPipes;
  readonly #readTimeoutMs: number;
  readonly #usb: UsbModule | undefined;

  /** @throws XinyiError `INVALID_OPTIONS` naming the option. */
  constructor(options: UsbTransportOptions) {
    super();
    if (options === null || typeof options !== 'object') {
      throw new XinyiError('INVALID_OPTIONS', 'UsbTransport options must be an object');
    }
    for (const key of ['vendorId', 'productId'] as const) {
      const value = options[key];
      if (!Number.isInteger(value) || value < 0 || value > 0xffff)
        throw invalidOption(key, 'an integer 0..0xffff');
    }
    if (options.serialNumber !== undefined && typeof options.serialNumber !== 'string') {
      throw invalidOption('serialNumber', 'a string');
    }
    const interfaceNumber = options.interfaceNumber ?? 0;
    if (!Number.isInteger(interfaceNumber) || interfaceNumber < 0 || interfaceNumber > 0xff) {
      throw invalidOption('interfaceNumber', 'an integer 0..255');
    }
    const pipes = { ...SAM_USB_PIPES, ...options.pipes };
    for (const [key, address] of Object.entries(pipes)) {
      const wantIn = key.endsWith('In');
      if (
        !Number.isInteger(address) ||
        (address & 0x70) !== 0 ||
        (address & 0x0f) === 0 ||
        address >= 0x80 !== wantIn
      ) {
        throw invalidOption(
          `pipes.${key}`,
          `an ${wantIn ? 'IN (0x81..0x8F)' : 'OUT (0x01..0x0F)'} endpoint address`,
        );
      }
    }
    const readTimeoutMs = options.readTimeoutMs ?? 250;
    if (!Number.isFinite(readTimeoutMs) || readTimeoutMs <= 0)
      throw invalidOption('readTimeoutMs', 'a positive number');
    this.#vendorId = options.vendorId;
    this.#productId = options.productId;
    this.#serialNumber = options.serialNumber;
    this.#interfaceNumber = interfaceNumber;
    this.#pipes = pipes;
    this.#readTimeoutMs = readTimeoutMs;
    this.#usb = options.usb;
    this.description = `usb:${hex4(this.#vendorId)}:${hex4(this.#productId)}${
      this.#serialNumber === undefined ? '' : ':serial'
    }`;
  }

  protected async openHandle(stillWanted: () => boolean): Promise<UsbHandle> {
    const usb = this.#usb ?? (await loadUsb());
    const devices = await listDevices(usb);
    const device = devices.find(
      (d) =>
        d.vendorId === this.#vendorId &&
        d.productId === this.#productId &&
        (this.#serialNumber === undefined || d.serialNumber === this.#serialNumber),
    );
    if (device === undefined) {
      throw new XinyiError(
        'DEVICE_NOT_FOUND',
        `no USB device ${hex4(this.#vendorId)}:${hex4(this.#productId)}`,
        {
          details: { reason: 'ENOENT' },
        },
      );
    }
    try {
      if (!device.opened) await device.open();
      if (!device.configuration) await device.selectConfiguration(1);
      await device.claimInterface(this.#interfaceNumber);
    } catch (cause) {
      await device.close().catch(() => {});
      throw openError(this.description, cause);
    }
    if (!stillWanted()) {
      await this.#release(device);
      throw new XinyiError('CLOSED', `${this.description} was closed while opening`);
    }
    const handle: UsbHandle = {
      device,
      interfaceNumber: this.#interfaceNumber,
      closing: false,
      reading: Promise.resolve(),
      pending: Buffer.alloc(0),
      writes: Promise.resolve(),
    };
    // Reading starts once the base class has adopted the handle (it ignores data before that).
    handle.reading = Promise.resolve().then(() => this.#readLoop(handle));
    return handle;
  }

  protected writeHandle(handle: UsbHandle, data: Buffer, done: (error?: Error | null) => void): void {
    handle.pending = Buffer.concat([handle.pending, data]);
    const frames = takeCommandFrames(handle);
    handle.writes = handle.writes.then(async () => {
      try {
        for (const frame of frames) {
          await this.#out(handle, this.#pipes.headerOut, frame.subarray(0, SAM_HEADER_BYTES));
          await this.#out(handle, this.#pipes.bodyOut, frame.subarray(SAM_HEADER_BYTES));
        }
        done();
      } catch (error) {
        done(error as Error);
        if (!handle.closing) this.lost(handle, error as Error);
      }
    });
  }

  protected async releaseHandle(handle: UsbHandle): Promise<void> {
    handle.closing = true;
    await handle.writes;
    await handle.reading;
    await this.#release(handle.device);
  }

  protected disconnected(cause: Error): XinyiError {
    return new XinyiError('DEVICE_DISCONNECTED', `${this.description} was disconnected`, { cause });
  }

  async #release(device: UsbDeviceHandle): Promise<void> {
    await device.releaseInterface(this.#interfaceNumber).catch(() => {});
    await device.close().catch(() => {});
  }

  async #out(handle: UsbHandle, address: number, bytes: Uint8Array): Promise<void> {
    const result = await handle.device.transferOut(address & 0x0f, bytes);
    if (result.status !== 'ok' || result.bytesWritten !== bytes.length) {
      throw new XinyiError(
        'DEVICE_DISCONNECTED',
        `${this.description}: OUT pipe 0x${address.toString(16)} ${result.status}`,
        {
          details: { status: result.status, bytesWritten: result.bytesWritten },
        },
      );
    }
  }

  /**
   * One IN transfer; undefined when it timed out (nothing to read). Rejects when the device is gone.
   */
  async #in(handle: UsbHandle, address: number, length: number): Promise<Buffer | undefined> {
    let result: UsbInTransferResult;
    try {
      result = await handle.device.transferIn(address & 0x0f, length, this.#readTimeoutMs);
    } catch (error) {
      if (TIMEOUT_ERROR.test(String((error as Error)?.message ?? error))) return undefined;
      throw error;
    }
    if (result.status !== 'ok') {
      throw new XinyiError(
        'DEVICE_DISCONNECTED',
        `${this.description}: IN pipe 0x${address.toString(16)} ${result.status}`,
      );
    }
    const view = result.data;
    return view === undefined ? Buffer.alloc(0) : Buffer.from(view.buffer, view.byteOffset, view.byteLength);
  }

  /** Header from the header pipe, then its LEN bytes from the body pipe, handed on as one chunk. */
  async #readLoop(handle: UsbHandle): Promise<void> {
    let header = Buffer.alloc(0);
    try {
      while (!handle.closing) {
        const chunk = await this.#in(handle, this.#pipes.headerIn, HEADER_PACKET_BYTES);
        if (chunk === undefined || chunk.length === 0) continue;
        header = Buffer.concat([header, chunk]);
        if (header.length < SAM_HEADER_BYTES) continue;
        const length = header.readUInt16BE(5);
        const framed = SAM_PREAMBLE.every((b, i) => header[i] === b) && length <= SAM_DEFAULT_MAX_LENGTH;
        if (!framed || header.length > SAM_HEADER_BYTES) {
          // Not a response header: hand the bytes on as they are, the SAM codec resynchronises.
          this.received(handle, header);
          header = Buffer.alloc(0);
          continue;
        }
        const parts: Buffer[] = [header];
        let missing = length;
        // A response whose header was read is read to its end even while closing: left in the body
        // pipe, it would be taken as the start of the next response's body.
        while (missing > 0) {
          const body = await this.#in(handle, this.#pipes.bodyIn, missing);
          if (body === undefined) break; // The rest never came: the codec reports a cut-short frame.
          parts.push(body);
          missing -= body.length;
        }
        header = Buffer.alloc(0);
        this.received(handle, Buffer.concat(parts));
      }
    } catch (error) {
      if (!handle.closing) this.lost(handle, error instanceof Error ? error : new Error(String(error)));
    }
  }
}

/** Whole command frames from the bytes written so far; garbage before a preamble is dropped. */
function takeCommandFrames(handle: UsbHandle): Buffer[] {
  const frames: Buffer[] = [];
  let bytes = handle.pending;
  for (;;) {
    const start = findPreamble(bytes);
    if (start < 0) {
      // Keep a possible start of a preamble at the end.
      bytes = bytes.subarray(Math.max(0, bytes.length - (SAM_PREAMBLE.length - 1)));
      break;
    }
    bytes = bytes.subarray(start);
    if (bytes.length < SAM_HEADER_BYTES) break;
    const total = SAM_HEADER_BYTES + bytes.readUInt16BE(5);
    if (bytes.length < total) break;
    frames.push(Buffer.from(bytes.subarray(0, total)));
    bytes = bytes.subarray(total);
  }
  handle.pending = Buffer.from(bytes);
  return frames;
}

function findPreamble(bytes: Buffer): number {
  for (let i = 0; i + SAM_PREAMBLE.length <= bytes.length; i++) {
    if (SAM_PREAMBLE.every((b, j) => bytes[i + j] === b)) return i;
  }
  return -1;
}

/** The interface whose bulk endpoints are the SAM pipes, if the device has one. */
export function findSamInterface(
  device: Pick<UsbDeviceHandle, 'configuration'>,
  pipes: SamUsbPipes = SAM_USB_PIPES,
): number | undefined {
  for (const iface of device.configuration?.interfaces ?? []) {
    const has = (address: number) =>
      iface.alternate.endpoints.some(
        (e) =>
          e.type === 'bulk' &&
          e.endpointNumber === (address & 0x0f) &&
          e.direction === (address & 0x80 ? 'in' : 'out'),
      );
    if (has(pipes.headerOut) && has(pipes.bodyOut) && has(pipes.headerIn) && has(pipes.bodyIn)) {
      return iface.interfaceNumber;
    }
  }
  return undefined;
}

/**
 * The USB devices this machine has, with the interface that carries the SAM pipes where there is one.
 * Rejects with `NATIVE_MODULE_UNAVAILABLE` when `usb` is missing or cannot enumerate.
 */
export async function listUsbDevices(usb?: UsbModule): Promise<UsbDeviceInfo[]> {
  const devices = await listDevices(usb ?? (await loadUsb()));
  return devices.map((device) => {
    const info: UsbDeviceInfo = { vendorId: hex4(device.vendorId), productId: hex4(device.productId) };
    if (device.manufacturerName) info.manufacturer = device.manufacturerName;
    if (device.productName) info.product = device.productName;
    if (device.serialNumber) info.serialNumber = device.serialNumber;
    const sam = findSamInterface(device);
    if (sam !== undefined) info.samInterface = sam;
    return info;
  });
}

async function listDevices(usb: UsbModule): Promise<UsbDeviceHandle[]> {
  try {
    return await new usb.WebUSB({ allowAllDevices: true }).getDevices();
  } catch (cause) {
    const why = String((cause as Error)?.message ?? cause).slice(0, 120);
    throw new XinyiError(
      'NATIVE_MODULE_UNAVAILABLE',
      `usb could not list the USB devices (${why}): it needs /sys/bus/usb and /dev/bus/usb (pass both into a container)`,
      { cause, details: { module: 'usb' } },
    );
  }
}

async function loadUsb(): Promise<UsbModule> {
  const mod = await loadNativeModule<Partial<UsbModule> & { default?: Partial<UsbModule> }>('usb');
  const WebUSB = mod.WebUSB ?? mod.default?.WebUSB;
  if (typeof WebUSB !== 'function') {
    throw new XinyiError(
      'NATIVE_MODULE_UNAVAILABLE',
      'the installed usb has no WebUSB class: install usb 3',
      {
        details: { module: 'usb' },
      },
    );
  }
  return { WebUSB };
}

function openError(description: string, cause: unknown): XinyiError {
  if (isXinyiError(cause)) return cause;
  // WebUSB errors carry no errno: libusb's words (LIBUSB_ERROR_ACCESS, LIBUSB_ERROR_BUSY) name it.
  const text = String((cause as Error)?.message ?? cause);
  const normalised = /access|permission/i.test(text)
    ? Object.assign(new Error(text), { code: 'EACCES' })
    : /busy|claimed|in use/i.test(text)
      ? Object.assign(new Error(text), { code: 'EBUSY' })
      : cause;
  const error = deviceOpenError('USB device', description, normalised, {
    DEVICE_PERMISSION_DENIED: 'see the udev rule in docs/id-card-readers.md',
    DEVICE_BUSY: 'another driver or program holds it',
  });
  return new XinyiError(error.code, error.message, { cause, details: error.details });
}

function invalidOption(option: string, expected: string): XinyiError {
  return new XinyiError('INVALID_OPTIONS', `UsbTransport: ${option} must be ${expected}`, {
    details: { option },
  });
}
