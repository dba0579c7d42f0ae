import type { EventEmitter } from 'node:events';
import { XinyiError } from '../../sdk/errors.js';
import { deviceOpenError, SERIAL_PORT_HINTS } from '../device-open-error.js';
import { loadNativeModule } from '../native.js';
import { HandleTransport } from './handle-transport.js';

export type SerialParity = 'none' | 'even' | 'odd' | 'mark' | 'space';

/** A local serial port: a UART, a USB-serial adapter, a PTY. Defaults give 115200 8N1. */
export interface SerialTransportOptions {
  /**
   * The port to open.
   * @example '/dev/ttyUSB0'
   * @example '/dev/serial/by-id/usb-FTDI_FT232R_USB_UART_A50285BI-if00-port0'
   * @example 'COM3'
   */
  path: string;
  /** @default 115200 */
  baudRate?: number;
  /** @default 8 */
  dataBits?: 5 | 6 | 7 | 8;
  /** @default 1 */
  stopBits?: 1 | 1.5 | 2;
  /** @default 'none' */
  parity?: SerialParity;
}

/** A serial port the operating system knows about, as `listSerialPorts()` reports it. */
export interface SerialPortInfo {
  /** What to pass as `SerialTransportOptions.path`. */
  path: string;
  manufacturer?: string;
  /** The USB adapter's serial number, when it has one; stable across replugging. */
  serialNumber?: string;
  /** USB vendor ID in hex, without `0x`. */
  vendorId?: string;
  /** USB product ID in hex, without `0x`. */
  productId?: string;
  pnpId?: string;
  locationId?: string;
}

// The slice of serialport@13 used here, typed locally so that no type of the optional module reaches
// ours (a consumer without it installed must still type-check).
interface SerialPortStream extends EventEmitter {
  readonly isOpen: boolean;
  readonly closing: boolean;
  readonly port?: unknown;
  open(callback: (error: Error | null) => void): void;
  write(data: Buffer, callback: (error: Error | null | undefined) => void): boolean;
  drain(callback: (error: Error | null) => void): void;
  close(callback: (error: Error | null) => void): void;
}

interface SerialPortConstructor {
  new (options: {
    path: string;
    baudRate: number;
    dataBits: 5 | 6 | 7 | 8;
    stopBits: 1 | 1.5 | 2;
    parity: SerialParity;
    autoOpen: false;
  }): SerialPortStream;
  list(): Promise<Array<Record<string, unknown>>>;
}

interface SerialPortModule {
  SerialPort?: SerialPortConstructor;
  default?: { SerialPort?: SerialPortConstructor };
}

interface PollerLike {
  poll(events?: number): void;
  listenerCount(event: string): number;
}

const DATA_BITS = [5, 6, 7, 8] as const;
const STOP_BITS = [1, 1.5, 2] as const;
const PARITIES = ['none', 'even', 'odd', 'mark', 'space'] as const;
// libuv's UV_READABLE and UV_WRITABLE, as @serialport/bindings-cpp's poller exports them.
const UV_READABLE = 1;
const UV_WRITABLE = 2;

/**
 * A local serial port through the optional `serialport` module, loaded on the first `open()`.
 * `open()` rejects with `NATIVE_MODULE_UNAVAILABLE` when serialport is missing, and with
 * `DEVICE_NOT_FOUND` (no such port), `DEVICE_PERMISSION_DENIED` or `DEVICE_BUSY` (another process
 * holds its lock) when the port cannot be opened: the path, the errno and the system's words in
 * `details` (`path`, `reason`, `osMessage`), the system error in `cause`. `write()` resolves once the bytes have left the port (`drain`).
 * Throws `INVALID_OPTIONS` naming the option when the options are unusable.
 */
export class SerialTransport extends HandleTransport<SerialPortStream> {
  readonly description: string;
  readonly #path: string;
  readonly #baudRate: number;
  readonly #dataBits: 5 | 6 | 7 | 8;
  readonly #stopBits: 1 | 1.5 | 2;
  readonly #parity: SerialParity;

  constructor(options: SerialTransportOptions) {
    super();
    if (options === null || typeof options !== 'object') {
      throw new XinyiError('INVALID_OPTIONS', 'SerialTransport options must be an object');
    }
    const { path, baudRate = 115_200, dataBits = 8, stopBits = 1, parity = 'none' } = options;
    if (typeof path !== 'string' || path.trim() === '') throw invalidOption('path', 'a non-empty string');
    if (!Number.isSafeInteger(baudRate) || baudRate <= 0)
      throw invalidOption('baudRate', 'a positive integer');
    if (!DATA_BITS.includes(dataBits)) throw invalidOption('dataBits', 'one of 5, 6, 7, 8');
    if (!STOP_BITS.includes(stopBits)) throw invalidOption('stopBits', 'one of 1, 1.5, 2');
    if (!PARITIES.includes(parity)) throw invalidOption('parity', `one of ${PARITIES.join(', ')}`);
    this.#path = path;
    this.#baudRate = baudRate;
    this.#dataBits = dataBits;
    this.#stopBits = stopBits;
    this.#parity = parity;
    const framing =
      dataBits === 8 && parity === 'none' && stopBits === 1
        ? ''
        : `,${dataBits}${parity[0]!.toUpperCase()}${stopBits}`;
    this.description = `serial:${path}@${baudRate}${framing}`;
  }

  protected async openHandle(stillWanted: () => boolean): Promise<SerialPortStream> {
    const SerialPort = await loadSerialPort();
    if (!stillWanted()) throw new XinyiError('CLOSED', `${this.description} was closed while opening`);
    const port = new SerialPort({
      path: this.#path,
      baudRate: this.#baudRate,
      dataBits: this.#dataBits,
      stopBits: this.#stopBits,
      parity: this.#parity,
      autoOpen: false,
    });
    port.on('data', (chunk: Buffer) => this.received(port, chunk));
    // serialport reports an unplug as `close` with a DisconnectedError (`disconnected: true`), but a
    // write in progress fails first and surfaces as `error` (EIO, or "bad file descriptor" from the
    // poller for a vanished PTY). Whichever comes first ends this open period.
    port.on('error', (error: Error) => this.lost(port, error));
    port.on('close', (error: Error | null | undefined) =>
      this.lost(port, error ?? new Error('the port closed unexpectedly')),
    );
    try {
      await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(error) : resolve())));
    } catch (error) {
      throw deviceOpenError('serial port', this.#path, error, SERIAL_PORT_HINTS);
    }
    keepPollerWaits(port);
    return port;
  }

  protected writeHandle(port: SerialPortStream, data: Buffer, done: (error?: Error | null) => void): void {
    // Drain only after this write reached the binding: a drain issued earlier waits for the write in
    // progress, not for this one.
    port.write(data, (error) => (error ? done(error) : port.drain(done)));
  }

  protected releaseHandle(port: SerialPortStream): Promise<void> {
    return closePort(port);
  }

  protected disconnected(cause: Error): XinyiError {
    return new XinyiError('DEVICE_DISCONNECTED', `${this.description} was disconnected`, { cause });
  }
}

/**
 * Lists the serial ports the operating system reports (on Linux through udev). Rejects with
 * `NATIVE_MODULE_UNAVAILABLE` when serialport is missing or cannot enumerate ports, and with
 * `SYSTEM_PROGRAM_UNAVAILABLE` when `udevadm` is not installed.
 */
export async function listSerialPorts(): Promise<SerialPortInfo[]> {
  const SerialPort = await loadSerialPort();
  let ports: Array<Record<string, unknown>>;
  try {
    ports = await SerialPort.list();
  } catch (cause) {
    const udevMissing =
      (cause as { code?: unknown }).code === 'ENOENT' && /udevadm/.test(String((cause as Error).message));
    if (udevMissing) {
      throw new XinyiError(
        'SYSTEM_PROGRAM_UNAVAILABLE',
        'listing serial ports needs udevadm: apt-get install udev',
        {
          cause,
          details: { program: 'udevadm' },
        },
      );
    }
    throw new XinyiError('NATIVE_MODULE_UNAVAILABLE', 'serialport could not list the serial ports', {
      cause,
      details: { module: 'serialport' },
    });
  }
  return ports.flatMap((port) => {
    if (typeof port.path !== 'string') return [];
    const info: SerialPortInfo = { path: port.path };
    for (const key of [
      'manufacturer',
      'serialNumber',
      'vendorId',
      'productId',
      'pnpId',
      'locationId',
    ] as const) {
      const value = port[key];
      if (typeof value === 'string' && value !== '') info[key] = value;
    }
    return [info];
  });
}

async function loadSerialPort(): Promise<SerialPortConstructor> {
  const mod = await loadNativeModule<SerialPortModule>('serialport');
  const SerialPort = mod.SerialPort ?? mod.default?.SerialPort;
  if (typeof SerialPort !== 'function') {
    throw new XinyiError(
      'NATIVE_MODULE_UNAVAILABLE',
      'the installed serialport has no SerialPort export: install serialport 10 or later',
      { details: { module: 'serialport' } },
    );
  }
  return SerialPort;
}

// serialport 13's Unix poller (@serialport/bindings-cpp src/poller.cpp, Poller::poll) restarts the
// libuv poll with only the event just asked for. A read that starts waiting for "readable" while a write
// waits for "writable" therefore cancels the write's wait, and the write hangs until more data happens
// to arrive: with 64 KiB both ways over a PTY it hung in most runs. Asking for every event somebody is
// still waiting for restores the intended behaviour.
function keepPollerWaits(port: SerialPortStream): void {
  const poller = (port.port as { poller?: Partial<PollerLike> } | undefined)?.poller;
  if (typeof poller?.poll !== 'function' || typeof poller.listenerCount !== 'function') return;
  const { poll, listenerCount } = poller as PollerLike;
  const waiting = () =>
    (listenerCount.call(poller, 'readable') > 0 ? UV_READABLE : 0) |
    (listenerCount.call(poller, 'writable') > 0 ? UV_WRITABLE : 0);
  poller.poll = (events = 0) => poll.call(poller, events | waiting());
}

function closePort(port: SerialPortStream): Promise<void> {
  return new Promise<void>((resolve) => {
    if (port.isOpen) port.close(() => resolve());
    else if (port.closing) {
      // serialport is already closing it after a disconnect; a failed close surfaces as `error`.
      port.once('close', () => resolve());
      port.once('error', () => resolve());
    } else resolve();
  });
}

function invalidOption(option: string, expected: string): XinyiError {
  return new XinyiError('INVALID_OPTIONS', `SerialTransport: ${option} must be ${expected}`, {
    details: { option },
  });
}
