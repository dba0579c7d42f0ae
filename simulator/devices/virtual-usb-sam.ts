import { SAM_HEADER_BYTES, SAM_PREAMBLE } from '../../adapters/id-card/sam-frame.js';
import { createMemoryLink, type MemoryLink } from '../../adapters/transport/memory-transport.js';
import {
  SAM_USB_PIPES,
  type UsbDeviceHandle,
  type UsbInTransferResult,
  type UsbInterfaceInfo,
  type UsbModule,
  type UsbOutTransferResult,
} from '../../adapters/transport/usb-transport.js';
import { XinyiError } from '../../sdk/errors.js';
import type { VirtualIdCardReader } from './virtual-id-card-reader.js';

export interface VirtualUsbSamOptions {
  /** @default 0x0400 (the ids one public libusb client talks to, docs/id-card-readers.md) */
  vendorId?: number;
  /** @default 0xc35a */
  productId?: number;
  /** @default 'SIM-SAM-0001' */
  serialNumber?: string;
  /** Other devices on the bus, listed but never opened (a keyboard, a hub). */
  others?: ReadonlyArray<{ vendorId: number; productId: number; productName?: string }>;
}

/** What the stand-in saw on each pipe (for tests: the bytes are the reader's, split as §1.2 says). */
export interface VirtualUsbSamPipeLog {
  /** Bytes written to OUT 0x02 and 0x06, each transfer as one entry. */
  headerOut: Buffer[];
  bodyOut: Buffer[];
  /** Bytes handed out on IN 0x81 and 0x85, each transfer as one entry. */
  headerIn: Buffer[];
  bodyIn: Buffer[];
}

/** What a WebUSB promise rejects with when the device is gone, as `usb` 3.x words it. */
const DISCONNECTED = 'device disconnected';
/** A transfer that timed out: `usb` 3.x (nusb) cancels it. */
const TIMED_OUT = 'transfer was cancelled';
/** Full-speed bulk packets. */
const PACKET_BYTES = 64;

interface PendingIn {
  length: number;
  resolve: (result: UsbInTransferResult) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/** One IN pipe: bytes the reader sent, waiting for a transfer; transfers waiting for bytes. */
class InPipe {
  #queue: Buffer[] = [];
  readonly #waiting: PendingIn[] = [];
  readonly #log: Buffer[];

  constructor(log: Buffer[]) {
    this.#log = log;
  }

  push(bytes: Buffer): void {
    if (bytes.length > 0) this.#queue.push(bytes);
    this.#serve();
  }

  take(length: number, timeoutMs: number): Promise<UsbInTransferResult> {
    return new Promise((resolve, reject) => {
      const pending: PendingIn = {
        length,
        resolve,
        reject,
        timer: setTimeout(() => {
          const i = this.#waiting.indexOf(pending);
          if (i >= 0) this.#waiting.splice(i, 1);
          reject(new Error(TIMED_OUT));
        }, timeoutMs),
      };
      this.#waiting.push(pending);
      this.#serve();
    });
  }

  /** The device went away: every waiting transfer fails, queued bytes are lost. */
  fail(message: string): void {
    this.#queue = [];
    for (const pending of this.#waiting.splice(0)) {
      clearTimeout(pending.timer);
      pending.reject(new Error(message));
    }
  }

  #serve(): void {
    while (this.#queue.length > 0 && this.#waiting.length > 0) {
      const pending = this.#waiting.shift()!;
      clearTimeout(pending.timer);
      // A transfer completes with what the device has, at most its length (a short packet ends it).
      const all = Buffer.concat(this.#queue);
      const given = all.subarray(0, pending.length);
      this.#queue = all.length > given.length ? [Buffer.from(all.subarray(given.length))] : [];
      this.#log.push(Buffer.from(given));
      pending.resolve({ status: 'ok', data: new DataView(given.buffer, given.byteOffset, given.byteLength) });
    }
  }
}

/**
 * A stand-in for the `usb` package (its `WebUSB` class, as `UsbTransport` uses it) whose one SAM
 * device is a `VirtualIdCardReader`: what the host writes on OUT pipes 0x02 (preamble and length)
 * and 0x06 (the rest) goes to the reader byte for byte, and each response the reader writes is split
 * onto IN pipes 0x81 (preamble and length) and 0x85 (the rest), as docs/id-card-readers.md says.
 * An OUT transfer on the wrong pipe or out of order stalls, as firmware would refuse it. The
 * reader's `unplug` fault unplugs the USB device (transfers fail, it leaves `getDevices()`), and
 * `plug-in` brings it back. Pass `.module` as `UsbTransport`'s `usb` option.
 */
export class VirtualUsbSamBus {
  readonly module: UsbModule;
  readonly pipes: VirtualUsbSamPipeLog = { headerOut: [], bodyOut: [], headerIn: [], bodyIn: [] };
  readonly #reader: VirtualIdCardReader;
  readonly #device: VirtualUsbSamDevice;
  readonly #others: UsbDeviceHandle[];

  constructor(reader: VirtualIdCardReader, options: VirtualUsbSamOptions = {}) {
    this.#reader = reader;
    this.#device = new VirtualUsbSamDevice(reader, this.pipes, options);
    this.#others = (options.others ?? []).map((o) => otherDevice(o));
    const devices = () => [...(this.#device.plugged ? [this.#device] : []), ...this.#others];
    this.module = {
      WebUSB: class {
        async getDevices(): Promise<UsbDeviceHandle[]> {
          return devices();
        }
      },
    };
  }

  /** The SAM device as `getDevices()` lists it. */
  get device(): UsbDeviceHandle & { readonly plugged: boolean } {
    return this.#device;
  }

  /** The reader's link is attached on the first `open()` of the device; this detaches it. */
  dispose(): void {
    this.#device.dispose();
    this.#reader.detach();
  }
}

class VirtualUsbSamDevice implements UsbDeviceHandle {
  readonly vendorId: number;
  readonly productId: number;
  readonly serialNumber: string;
  readonly manufacturerName = 'Xinyi simulator';
  readonly productName = 'SAM ID-card reader (virtual)';
  readonly #reader: VirtualIdCardReader;
  readonly #log: VirtualUsbSamPipeLog;
  readonly #headerIn: InPipe;
  readonly #bodyIn: InPipe;
  #link: MemoryLink | undefined;
  #opened = false;
  #claimed = false;
  #plugged = true;
  /** A header went out on 0x02; its body (this many bytes) is due on 0x06. */
  #bodyDue: number | undefined;
  /** Response bytes not yet split onto the IN pipes. */
  #response = Buffer.alloc(0);
  #bodyMissing = 0;

  constructor(reader: VirtualIdCardReader, log: VirtualUsbSamPipeLog, options: VirtualUsbSamOptions) {
    this.#reader = reader;
    this.#log = log;
    this.vendorId = options.vendorId ?? 0x0400;
    this.productId = options.productId ?? 0xc35a;
    this.serialNumber = options.serialNumber ?? 'SIM-SAM-0001';
    this.#headerIn = new InPipe(log.headerIn);
    this.#bodyIn = new InPipe(log.bodyIn);
    reader.on('unplug', this.#onUnplug);
    reader.on('plug-in', this.#onPlugIn);
  }

  get plugged(): boolean {
    return this.#plugged;
  }

  get opened(): boolean {
    return this.#opened;
  }

  get configuration(): { interfaces: UsbInterfaceInfo[] } {
    const endpoint = (address: number) => ({
      endpointNumber: address & 0x0f,
      direction: address & 0x80 ? ('in' as const) : ('out' as const),
      type: 'bulk' as const,
    });
    return {
      interfaces: [
        {
          interfaceNumber: 0,
          alternate: {
            interfaceClass: 0xff,
            endpoints: Object.values(SAM_USB_PIPES).map(endpoint),
          },
        },
      ],
    };
  }

  async open(): Promise<void> {
    this.#assertPlugged();
    if (this.#opened) return;
    this.#opened = true;
    if (this.#link === undefined) {
      // A USB link has no baud rate: a full-speed bulk pipe moves a 1295-byte read in about 1 ms.
      const link = createMemoryLink();
      link.host.on('data', (chunk) => this.#fromReader(chunk));
      await this.#reader.attach(link.device);
      await link.host.open();
      this.#link = link;
    }
  }

  async close(): Promise<void> {
    this.#opened = false;
    this.#claimed = false;
  }

  async selectConfiguration(): Promise<void> {
    this.#assertOpen();
  }

  async claimInterface(interfaceNumber: number): Promise<void> {
    this.#assertOpen();
    if (interfaceNumber !== 0) throw new Error(`interface ${interfaceNumber} not found`);
    this.#claimed = true;
  }

  async releaseInterface(): Promise<void> {
    this.#claimed = false;
  }

  async transferOut(endpointNumber: number, data: Uint8Array): Promise<UsbOutTransferResult> {
    this.#assertClaimed();
    const bytes = Buffer.from(data);
    if (endpointNumber === (SAM_USB_PIPES.headerOut & 0x0f)) {
      const ok =
        this.#bodyDue === undefined &&
        bytes.length === SAM_HEADER_BYTES &&
        SAM_PREAMBLE.every((b, i) => bytes[i] === b);
      if (!ok) return { status: 'stall', bytesWritten: 0 };
      this.#log.headerOut.push(bytes);
      this.#bodyDue = bytes.readUInt16BE(5);
      await this.#toReader(bytes);
      return { status: 'ok', bytesWritten: bytes.length };
    }
    if (endpointNumber === (SAM_USB_PIPES.bodyOut & 0x0f)) {
      if (this.#bodyDue !== bytes.length) return { status: 'stall', bytesWritten: 0 };
      this.#bodyDue = undefined;
      this.#log.bodyOut.push(bytes);
      await this.#toReader(bytes);
      return { status: 'ok', bytesWritten: bytes.length };
    }
    return { status: 'stall', bytesWritten: 0 };
  }

  async transferIn(endpointNumber: number, length: number, timeoutMs = 1000): Promise<UsbInTransferResult> {
    this.#assertClaimed();
    const size = Math.min(length, 4096);
    if (endpointNumber === (SAM_USB_PIPES.headerIn & 0x0f))
      return this.#headerIn.take(Math.min(size, PACKET_BYTES), timeoutMs);
    if (endpointNumber === (SAM_USB_PIPES.bodyIn & 0x0f)) return this.#bodyIn.take(size, timeoutMs);
    return { status: 'stall' };
  }

  dispose(): void {
    this.#reader.off('unplug', this.#onUnplug);
    this.#reader.off('plug-in', this.#onPlugIn);
    this.#headerIn.fail(DISCONNECTED);
    this.#bodyIn.fail(DISCONNECTED);
  }

  async #toReader(bytes: Buffer): Promise<void> {
    const link = this.#link;
    if (link === undefined || !link.host.isOpen) throw new Error(DISCONNECTED);
    await link.host.write(bytes);
  }

  /** Splits the reader's byte stream onto the pipes: each frame's 7-byte header, then its body. */
  #fromReader(chunk: Buffer): void {
    let bytes = Buffer.concat([this.#response, chunk]);
    while (bytes.length > 0) {
      if (this.#bodyMissing > 0) {
        const body = bytes.subarray(0, this.#bodyMissing);
        this.#bodyMissing -= body.length;
        this.#bodyIn.push(Buffer.from(body));
        bytes = bytes.subarray(body.length);
        continue;
      }
      const start = indexOfPreamble(bytes);
      if (start !== 0) {
        // Noise before a frame (a fault of the virtual reader): it comes up the header pipe as is.
        const junk = start < 0 ? bytes.length - (SAM_PREAMBLE.length - 1) : start;
        if (junk <= 0) break;
        this.#headerIn.push(Buffer.from(bytes.subarray(0, junk)));
        bytes = bytes.subarray(junk);
        continue;
      }
      if (bytes.length < SAM_HEADER_BYTES) break;
      this.#headerIn.push(Buffer.from(bytes.subarray(0, SAM_HEADER_BYTES)));
      this.#bodyMissing = bytes.readUInt16BE(5);
      bytes = bytes.subarray(SAM_HEADER_BYTES);
    }
    this.#response = Buffer.from(bytes);
  }

  readonly #onUnplug = (): void => {
    this.#plugged = false;
    this.#opened = false;
    this.#claimed = false;
    this.#bodyDue = undefined;
    this.#response = Buffer.alloc(0);
    this.#bodyMissing = 0;
    this.#headerIn.fail(DISCONNECTED);
    this.#bodyIn.fail(DISCONNECTED);
    const link = this.#link;
    this.#link = undefined;
    link?.unplug();
  };

  readonly #onPlugIn = (): void => {
    this.#plugged = true;
  };

  #assertPlugged(): void {
    if (!this.#plugged) throw new Error(DISCONNECTED);
  }

  #assertOpen(): void {
    this.#assertPlugged();
    if (!this.#opened) throw new XinyiError('INVALID_ARGUMENT', 'the USB device is not open');
  }

  #assertClaimed(): void {
    if (!this.#plugged) throw new Error(DISCONNECTED);
    if (!this.#opened || !this.#claimed) throw new Error('the interface is not claimed');
  }
}

function indexOfPreamble(bytes: Buffer): number {
  for (let i = 0; i + SAM_PREAMBLE.length <= bytes.length; i++) {
    if (SAM_PREAMBLE.every((b, j) => bytes[i + j] === b)) return i;
  }
  return -1;
}

function otherDevice(o: { vendorId: number; productId: number; productName?: string }): UsbDeviceHandle {
  const refuse = async (): Promise<never> => {
    throw new Error('LIBUSB_ERROR_ACCESS: permission denied');
  };
  return {
    vendorId: o.vendorId,
    productId: o.productId,
    productName: o.productName ?? null,
    configuration: { interfaces: [{ interfaceNumber: 0, alternate: { interfaceClass: 3, endpoints: [] } }] },
    open: refuse,
    close: async () => {},
    selectConfiguration: refuse,
    claimInterface: refuse,
    releaseInterface: async () => {},
    transferOut: refuse,
    transferIn: refuse,
  };
}
