import { XinyiError } from '../../sdk/errors.js';
import { TransportListeners } from '../device-link.js';
import type { Transport } from '../transport/transport.js';
import { type ScanDecoder, ScannerBase, type ScannerCommonOptions } from './scan-pipeline.js';
import { SerialScannerDecoder, type SerialScannerDecoderOptions } from './serial-scanner.js';

export interface SerialScannerOptions extends ScannerCommonOptions {
  /** The scanner's port: `SerialTransport` (RS-232, USB CDC-ACM) or `TcpTransport`. */
  transport: Transport;
  /** Framing: suffix (CR, CR LF, LF), inter-byte silence, AIM prefix, text encoding (§2.3). */
  decoder?: SerialScannerDecoderOptions;
}

/**
 * A scanner that sends its scans as text on a serial port (§2.3): one `scan` event per scan,
 * de-duplicated and classified; reconnects by itself when the port disappears.
 */
export class SerialScanner extends ScannerBase {
  protected readonly decoder: ScanDecoder;
  readonly #transport: Transport;
  readonly #listeners: TransportListeners;

  constructor(options: SerialScannerOptions) {
    if (!options || typeof options !== 'object' || !options.transport) {
      throw new XinyiError('INVALID_OPTIONS', 'SerialScanner: transport is required');
    }
    super(options, 'serial-scanner', 'SerialScanner');
    this.#transport = options.transport;
    this.decoder = new SerialScannerDecoder(options.decoder);
    this.#listeners = new TransportListeners(this.#transport, {
      data: (chunk) => this.received(chunk),
      lost: (error) => this.deviceLost(error),
    });
  }

  protected openDevice(): Promise<void> {
    return this.#listeners.open();
  }

  protected releaseDevice(): Promise<void> {
    return this.#listeners.release();
  }

  protected describeDevice(): string {
    return this.#transport.description;
  }
}
