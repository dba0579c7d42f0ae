// A serial (RS-232 / USB CDC-ACM) barcode scanner (docs/protocols.md §2.3): scans as text with an AIM
// prefix and a suffix.
import { EventEmitter } from 'node:events';
import {
  encodeSerialScan,
  type ScanTextEncoding,
  SYMBOLOGIES,
  type Symbology,
} from '../../adapters/scanner/index.js';
import type { Transport } from '../../adapters/transport/transport.js';
import { XinyiError, XinyiErrorCode } from '../../sdk/errors.js';
import { DevicePort } from './device-port.js';
import {
  bool,
  Clock,
  FaultQueue,
  invalid,
  nonNegative,
  oneOf,
  type ScannerFaultScope,
} from './scanner-kit.js';

/** The suffix a serial scanner appends (§2.3). */
export type VirtualSerialSuffix = 'CR' | 'CRLF' | 'LF' | 'none';

/** Options of `VirtualSerialScanner`: its programmed settings. */
export interface VirtualSerialScannerOptions {
  /** Suffix appended to every scan (§2.3: normally CR). @default 'CR' */
  suffix?: VirtualSerialSuffix;
  /** Prefix every scan with its AIM identifier (§2.4). @default false */
  aim?: boolean;
  /** Symbology of scans that do not name one. @default 'qr' */
  symbology?: Symbology;
  /** Encoding of the text on the wire. @default 'utf8' */
  encoding?: ScanTextEncoding;
  /**
   * A scanner reads one symbol at a time: the next scan is written at least this long after the
   * previous one ended, as a real engine's re-read delay keeps reads hundreds of ms apart. It keeps
   * two `scan()` calls two frames for a decoder that joins bytes arriving within its line gap.
   * @default 100
   */
  scanIntervalMs?: number;
}

/** Per-scan overrides of the scanner's settings. */
export interface VirtualSerialScanOptions {
  symbology?: Symbology;
  aim?: boolean;
  suffix?: VirtualSerialSuffix;
}

/** A misbehaviour applied to the next scan(s); faults of different kinds combine on one scan. */
export type VirtualSerialScannerFault =
  /**
   * Write `bytes` (default `00 FF 13 37 A5 5A`: noise with no suffix in it) before the scan, then
   * stay silent for `gapMs` (default 500, longer than a decoder's 300 ms frame silence, §2.3).
   */
  | ({ kind: 'garbage'; bytes?: Uint8Array; gapMs?: number } & ScannerFaultScope)
  /** Write the scan in pieces of `chunkBytes` (default 8), `delayMs` (default 10) apart. */
  | ({ kind: 'split'; chunkBytes?: number; delayMs?: number } & ScannerFaultScope)
  /**
   * Send the first `afterBytes` bytes (default 0) of the scan, then lose power: the `'unplug'`
   * event fires and the harness disconnects the link (`scanner.on('unplug', () => link.unplug())`).
   * With `forMs`, `'plug-in'` fires that much later and the scanner reopens its end.
   */
  | ({ kind: 'unplug'; afterBytes?: number; forMs?: number } & ScannerFaultScope);

/** The `kind` of a `VirtualSerialScannerFault`. */
export type VirtualSerialScannerFaultKind = VirtualSerialScannerFault['kind'];

/** Events of `VirtualSerialScanner`. None carries scan text, so they are safe to log. */
export interface VirtualSerialScannerEventMap {
  /** A scan was written (completely, or up to an unplug), with the faults applied to it. */
  scan: [event: { bytes: number; complete: boolean; faults: VirtualSerialScannerFaultKind[] }];
  /** An `unplug` fault fired: disconnect the link now (the device cannot do it itself). */
  unplug: [event: { forMs: number | undefined }];
  /** The `forMs` of an `unplug` fault elapsed: plug the link back in; the scanner then reopens its end. */
  'plug-in': [];
}

/** Counters (a snapshot). */
export interface VirtualSerialScannerStats {
  /** Scans written completely. */
  scans: number;
  /** Every byte written, garbage included. */
  bytesSent: number;
  /** Bytes the host sent to the scanner (commands are not interpreted). */
  bytesReceived: number;
  faultsApplied: Record<VirtualSerialScannerFaultKind, number>;
}

const SERIAL_FAULT_KINDS: readonly VirtualSerialScannerFaultKind[] = ['garbage', 'split', 'unplug'];
const DEFAULT_SERIAL_GARBAGE = Buffer.from('00ff1337a55a', 'hex');

/**
 * The device side of a serial (RS-232 / USB CDC-ACM) scanner (§2.3) on any `Transport`, normally
 * the `device` end of `createMemoryLink()`: `scan(text)` writes `[AIM prefix] text suffix` as a
 * programmed scanner would. Scans are written one after another in call order; delays use
 * `setTimeout`, so fake timers drive them. Host → scanner bytes are counted and otherwise ignored.
 */
export class VirtualSerialScanner extends EventEmitter<VirtualSerialScannerEventMap> {
  readonly #suffix: VirtualSerialSuffix;
  readonly #aim: boolean;
  readonly #symbology: Symbology;
  readonly #encoding: ScanTextEncoding;
  readonly #scanIntervalMs: number;
  readonly #clock = new Clock();
  readonly #port = new DevicePort({
    onData: (chunk) => {
      this.#stats.bytesReceived += chunk.length;
    },
    onClose: () => this.#clock.cancelAll(),
    onPlugIn: () => this.emit('plug-in'),
  });
  #queue: Promise<unknown> = Promise.resolve();
  readonly #faults = new FaultQueue<VirtualSerialScannerFault>(SERIAL_FAULT_KINDS, validateSerialFault);
  #stats: VirtualSerialScannerStats = emptySerialStats();

  /** @throws XinyiError `INVALID_OPTIONS` naming the bad option. */
  constructor(options: VirtualSerialScannerOptions = {}) {
    super();
    if (options === null || typeof options !== 'object') {
      throw new XinyiError(XinyiErrorCode.INVALID_OPTIONS, 'options must be an object when given');
    }
    this.#suffix = oneOf('suffix', options.suffix, ['CR', 'CRLF', 'LF', 'none'] as const, 'CR', 'option');
    this.#aim = bool('aim', options.aim, false, 'option');
    this.#symbology = oneOf('symbology', options.symbology, SYMBOLOGIES, 'qr', 'option');
    this.#encoding = oneOf('encoding', options.encoding, ['utf8', 'latin1'] as const, 'utf8', 'option');
    const interval = options.scanIntervalMs ?? 100;
    if (!Number.isFinite(interval) || interval < 0) {
      throw new XinyiError(XinyiErrorCode.INVALID_OPTIONS, 'scanIntervalMs must be a non-negative number', {
        details: { option: 'scanIntervalMs' },
      });
    }
    this.#scanIntervalMs = interval;
  }

  /** The bytes a `garbage` fault writes when it names none: `00 FF 13 37 A5 5A`. */
  static get defaultGarbage(): Buffer {
    return Buffer.from(DEFAULT_SERIAL_GARBAGE);
  }

  /** The transport the scanner writes to, or undefined. */
  get transport(): Transport | undefined {
    return this.#port.transport;
  }

  /** A snapshot of the counters. */
  get stats(): VirtualSerialScannerStats {
    return { ...this.#stats, faultsApplied: { ...this.#stats.faultsApplied } };
  }

  /**
   * Starts writing scans to `transport`. Like a scanner powered by its cable, it opens the
   * transport itself when closed, and again after its own `'plug-in'` event. After the link was
   * unplugged and plugged in from outside, call `attach` again to power the scanner up. Attaching
   * another transport detaches the previous one first.
   * @returns resolves (never rejects) true once the transport is open, false if it could not be opened.
   */
  attach(transport: Transport): Promise<boolean> {
    return this.#port.attach(transport);
  }

  /** Stops writing to the current transport: scans in progress stop, and the transport is closed if the scanner opened it. */
  detach(): void {
    this.#clock.cancelAll();
    this.#port.detach();
  }

  /**
   * Scans `text`: writes its bytes (after the scans already queued) with the faults queued for it.
   * @returns resolves true once every byte was handed to the transport; false when the scanner is
   *   not attached, its end is not open, or the link went away (or an `unplug` fault fired) first.
   * @throws XinyiError `INVALID_ARGUMENT` for a malformed option (synchronously).
   */
  scan(text: string, options: VirtualSerialScanOptions = {}): Promise<boolean> {
    if (typeof text !== 'string') {
      throw new XinyiError(XinyiErrorCode.INVALID_ARGUMENT, 'text must be a string', {
        details: { argument: 'text' },
      });
    }
    const bytes = encodeSerialScan(text, {
      symbology: oneOf('symbology', options.symbology, SYMBOLOGIES, this.#symbology, 'argument'),
      aim: bool('aim', options.aim, this.#aim, 'argument'),
      suffix: oneOf(
        'suffix',
        options.suffix,
        ['CR', 'CRLF', 'LF', 'none'] as const,
        this.#suffix,
        'argument',
      ),
      encoding: this.#encoding,
    });
    const faults = this.#faults.take();
    const run = this.#queue.then(() => this.#send(bytes, faults));
    // The next scan waits out the re-read delay; this one resolves as soon as its bytes are written.
    this.#queue = run.then(
      (complete) => complete && this.#clock.sleep(this.#scanIntervalMs, this.#clock.epoch),
    );
    return run;
  }

  /**
   * Queues a fault for the next scan(s).
   * @returns a function that withdraws the fault if it has not been used up.
   * @throws XinyiError `INVALID_ARGUMENT` for an unknown kind or an out-of-range number.
   */
  injectFault(fault: VirtualSerialScannerFault): () => void {
    return this.#faults.inject(fault);
  }

  /** Withdraws every queued fault. */
  clearFaults(): void {
    this.#faults.clear();
  }

  async #send(bytes: Buffer, faults: VirtualSerialScannerFault[]): Promise<boolean> {
    const transport = this.#port.transport;
    if (transport === undefined || !transport.isOpen) return false;
    const epoch = this.#clock.epoch;
    const kinds = faults.map((f) => f.kind);
    for (const kind of kinds) this.#stats.faultsApplied[kind]++;
    const write = async (chunk: Uint8Array): Promise<boolean> => {
      if (chunk.length === 0) return true;
      if (this.#clock.epoch !== epoch || this.#port.transport !== transport) return false;
      try {
        await transport.write(chunk);
        this.#stats.bytesSent += chunk.length;
        return true;
      } catch {
        // The host's end went away (CLOSED / DEVICE_DISCONNECTED): the bytes are lost, as on a UART.
        return false;
      }
    };
    let sent = 0;
    const finish = (complete: boolean): boolean => {
      if (complete) this.#stats.scans++;
      this.emit('scan', { bytes: sent, complete, faults: kinds });
      return complete;
    };

    const garbage = faults.find((f) => f.kind === 'garbage');
    if (garbage !== undefined) {
      if (!(await write(garbage.bytes ?? DEFAULT_SERIAL_GARBAGE))) return finish(false);
      if (!(await this.#clock.sleep(garbage.gapMs ?? 500, epoch))) return finish(false);
    }
    const unplug = faults.find((f) => f.kind === 'unplug');
    const limit = unplug === undefined ? bytes.length : Math.min(unplug.afterBytes ?? 0, bytes.length);
    const split = faults.find((f) => f.kind === 'split');
    const step = split === undefined ? Math.max(limit, 1) : (split.chunkBytes ?? 8);
    for (let at = 0; at < limit; at += step) {
      if (at > 0 && split !== undefined && !(await this.#clock.sleep(split.delayMs ?? 10, epoch))) {
        return finish(false);
      }
      const chunk = bytes.subarray(at, Math.min(at + step, limit));
      if (!(await write(chunk))) return finish(false);
      sent += chunk.length;
    }
    if (unplug !== undefined) {
      this.#powerLoss(unplug.forMs);
      return finish(false);
    }
    return finish(true);
  }

  #powerLoss(forMs: number | undefined): void {
    this.emit('unplug', { forMs });
    if (forMs !== undefined) this.#port.plugInAfter(forMs);
  }
}

/** The fields of each kind of fault (kind and scope are checked by the queue). */
function validateSerialFault(fault: VirtualSerialScannerFault): void {
  switch (fault.kind) {
    case 'garbage':
      if (fault.bytes !== undefined && !(fault.bytes instanceof Uint8Array)) {
        throw invalid('argument', 'fault.bytes', 'fault.bytes must be a Uint8Array');
      }
      nonNegative('fault.gapMs', fault.gapMs, 0, 'argument');
      break;
    case 'split':
      if (fault.chunkBytes !== undefined && !(Number.isInteger(fault.chunkBytes) && fault.chunkBytes >= 1)) {
        throw invalid('argument', 'fault.chunkBytes', 'fault.chunkBytes must be a positive integer');
      }
      nonNegative('fault.delayMs', fault.delayMs, 0, 'argument');
      break;
    case 'unplug':
      if (fault.afterBytes !== undefined && !(Number.isInteger(fault.afterBytes) && fault.afterBytes >= 0)) {
        throw invalid('argument', 'fault.afterBytes', 'fault.afterBytes must be an integer ≥ 0');
      }
      nonNegative('fault.forMs', fault.forMs, 0, 'argument');
      break;
    default:
      break;
  }
}

function emptySerialStats(): VirtualSerialScannerStats {
  return {
    scans: 0,
    bytesSent: 0,
    bytesReceived: 0,
    faultsApplied: { garbage: 0, split: 0, unplug: 0 },
  };
}
