import { EventEmitter } from 'node:events';
import { isXinyiError, XinyiError } from '../../sdk/errors.js';
import type { Transport, TransportEventMap } from './transport.js';

type HandleState = 'closed' | 'opening' | 'open' | 'closing';

interface PendingWrite {
  readonly reject: (error: Error) => void;
}

/**
 * The `Transport` contract (transport.ts) for transports built on one OS handle per open period — a
 * serial port, a socket. Subclasses open, write to and release the handle, and report its data and
 * its loss; this class keeps the states, the pending writes and the `close` events.
 */
export abstract class HandleTransport<H> extends EventEmitter<TransportEventMap> implements Transport {
  abstract readonly description: string;
  #state: HandleState = 'closed';
  #handle: H | undefined;
  #attempt = 0;
  #closing: Promise<void> | undefined;
  #disconnectError: XinyiError | undefined;
  readonly #pending = new Set<PendingWrite>();

  /**
   * Opens a new handle. `stillWanted()` turns false when `close()` was called meanwhile; the handle
   * is then released and `open()` rejects with `CLOSED`. Rejects with a typed error (`DEVICE_NOT_FOUND`).
   */
  protected abstract openHandle(stillWanted: () => boolean): Promise<H>;
  /** Sends `data`, calling `done` once it has left (or with the error that stopped it). */
  protected abstract writeHandle(handle: H, data: Buffer, done: (error?: Error | null) => void): void;
  /** Releases the handle: after `close()` (`requested`), or after it was lost (`lost`). */
  protected abstract releaseHandle(handle: H, why: 'requested' | 'lost'): Promise<void>;
  /** The `DEVICE_DISCONNECTED` error for a handle lost with `cause`. */
  protected abstract disconnected(cause: Error): XinyiError;

  get isOpen(): boolean {
    return this.#state === 'open';
  }

  async open(): Promise<void> {
    if (this.#state === 'closing') await this.#closing;
    if (this.#state !== 'closed') {
      throw new XinyiError('INVALID_ARGUMENT', `${this.description} is already open or opening`);
    }
    this.#state = 'opening';
    this.#disconnectError = undefined;
    const attempt = ++this.#attempt;
    const stillWanted = () => this.#attempt === attempt && this.#state === 'opening';
    let handle: H;
    try {
      handle = await this.openHandle(stillWanted);
    } catch (error) {
      if (stillWanted()) this.#state = 'closed';
      throw error;
    }
    if (!stillWanted()) {
      await this.releaseHandle(handle, 'requested');
      throw new XinyiError('CLOSED', `${this.description} was closed while opening`);
    }
    this.adopt(handle);
  }

  /** Takes `handle` as the open one (also for a handle opened elsewhere, such as an accepted socket). */
  protected adopt(handle: H): void {
    this.#handle = handle;
    this.#state = 'open';
  }

  /** For subclasses: bytes that arrived on `handle`. */
  protected received(handle: H, chunk: Buffer): void {
    if (this.#handle === handle && this.#state === 'open') this.emit('data', chunk);
  }

  /** For subclasses: `handle` failed or vanished; ends this open period with a disconnect. */
  protected lost(handle: H, cause: Error): void {
    if (this.#handle !== handle || this.#state !== 'open') return;
    const error = isXinyiError(cause) ? cause : this.disconnected(cause);
    this.#handle = undefined;
    this.#state = 'closing';
    this.#disconnectError = error;
    this.#rejectPending(error);
    this.#closing = this.releaseHandle(handle, 'lost').then(() => {
      this.#state = 'closed';
      this.#closing = undefined;
      this.emit('close', { kind: 'disconnected', error });
    });
  }

  write(data: Uint8Array): Promise<void> {
    if (!(data instanceof Uint8Array)) {
      return Promise.reject(new XinyiError('INVALID_ARGUMENT', 'write() takes a Uint8Array or Buffer'));
    }
    const handle = this.#handle;
    if (this.#state !== 'open' || handle === undefined) {
      return Promise.reject(
        this.#disconnectError ?? new XinyiError('CLOSED', `${this.description} is not open`),
      );
    }
    if (data.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const pending: PendingWrite = { reject };
      this.#pending.add(pending);
      this.writeHandle(handle, Buffer.from(data), (error) => {
        if (!this.#pending.delete(pending)) return;
        if (!error) resolve();
        else reject(this.#disconnectError ?? this.disconnected(error));
      });
    });
  }

  async close(): Promise<void> {
    this.#disconnectError = undefined;
    if (this.#state === 'opening') this.#state = 'closed';
    if (this.#state === 'closing') return this.#closing;
    if (this.#state !== 'open') return;
    const handle = this.#handle!;
    this.#handle = undefined;
    this.#state = 'closing';
    this.#rejectPending(new XinyiError('CLOSED', `${this.description} was closed`));
    this.#closing = this.releaseHandle(handle, 'requested').then(() => {
      this.#state = 'closed';
      this.#closing = undefined;
      this.emit('close', { kind: 'requested' });
    });
    return this.#closing;
  }

  #rejectPending(error: Error): void {
    for (const pending of this.#pending) pending.reject(error);
    this.#pending.clear();
  }
}
