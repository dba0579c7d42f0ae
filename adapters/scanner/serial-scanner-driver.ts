import { isXinyiError, XinyiError } from '../../sdk/errors.js';
import { type ReconnectPolicy, reconnectPolicy, Sleeper } from '../reconnect.js';
import type { Transport, TransportCloseReason } from '../transport/transport.js';
import { type ScanDecoder, ScannerBase, type ScannerCommonOptions } from './scan-pipeline.js';
import { SerialScannerDecoder, type SerialScannerDecoderOptions } from './serial-scanner.js';

export interface SerialScannerOptions extends ScannerCommonOptions {
  /** The scanner's port: `SerialTransport` (RS-232, USB CDC-ACM) or `TcpTransport`. */
  transport: Transport;
  /** Framing: suffix (CR, CR LF, LF), inter-byte silence, AIM prefix, text encoding (§2.3). */
  decoder?: SerialScannerDecoderOptions;
  reconnect?: Partial<ReconnectPolicy>;
}

/**
 * A scanner that sends its scans as text on a serial port (§2.3): one `scan` event per scan,
 * de-duplicated and classified; reconnects by itself when the port disappears.
 */
export class SerialScanner extends ScannerBase {
  protected readonly decoder: ScanDecoder;
  readonly #transport: Transport;
  readonly #reconnect: ReconnectPolicy;
  readonly #sleeper = new Sleeper();
  #generation = 0;

  constructor(options: SerialScannerOptions) {
    if (!options || typeof options !== 'object' || !options.transport) {
      throw new XinyiError('INVALID_OPTIONS', 'SerialScanner: transport is required');
    }
    super(options, 'serial-scanner');
    this.#transport = options.transport;
    this.decoder = new SerialScannerDecoder(options.decoder);
    this.#reconnect = reconnectPolicy('SerialScanner', options.reconnect);
  }

  /** Opens the port. Rejects with `DEVICE_NOT_FOUND` (back to `closed`) when it cannot be opened. */
  async open(): Promise<void> {
    if (this.state !== 'closed')
      throw new XinyiError('INVALID_ARGUMENT', `SerialScanner.open(): scanner is ${this.state}`);
    const generation = ++this.#generation;
    this.setState('opening');
    this.#transport.on('data', this.#onData);
    this.#transport.on('close', this.#onClose);
    try {
      await this.#transport.open();
    } catch (error) {
      this.#detach();
      if (this.#generation === generation) this.setState('closed');
      throw isXinyiError(error)
        ? error
        : new XinyiError('DEVICE_NOT_FOUND', `${this.name}: cannot open port`, { cause: error });
    }
    if (this.#generation === generation) this.setState('ready');
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.#generation++;
    this.setState('closed');
    this.#sleeper.wakeAll();
    this.resetDecoder();
    this.#detach();
    await this.#transport.close();
  }

  #detach(): void {
    this.#transport.off('data', this.#onData);
    this.#transport.off('close', this.#onClose);
  }

  readonly #onData = (chunk: Buffer): void => {
    this.received(chunk);
  };

  readonly #onClose = (reason: TransportCloseReason): void => {
    if (reason.kind !== 'disconnected' || this.state === 'closed') return;
    const generation = ++this.#generation;
    this.reconnect(
      reason.error,
      () => this.#transport.open(),
      this.#reconnect,
      this.#sleeper,
      () => this.#generation === generation,
    );
  };
}
