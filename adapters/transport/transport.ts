import type { EventEmitter } from 'node:events';
import type { XinyiError } from '../../sdk/errors.js';

/** Why a transport closed: asked to (`close()`), or the device went away underneath it. */
export type TransportCloseReason =
  | { kind: 'requested' }
  | {
      kind: 'disconnected';
      /** `DEVICE_DISCONNECTED` with the original error (EIO on unplug, ECONNRESET, …) in `cause`. */
      error: XinyiError;
    };

export interface TransportEventMap {
  /** Bytes from the device, in arrival order; chunks may split or join frames arbitrarily. */
  data: [chunk: Buffer];
  /** Emitted once per open period, after which `isOpen` is false and `open()` may be called again. */
  close: [reason: TransportCloseReason];
}

/**
 * A byte link to one device: a serial port, a TCP connection to a serial device server, or the
 * in-memory link to a simulated device. Protocol code (codecs, drivers) sees only this interface.
 *
 * Contract (checked by the transport contract suite against every implementation):
 * - `open()` resolves when bytes can flow; it rejects with `DEVICE_NOT_FOUND` when the port does not
 *   exist or cannot be opened, and with `INVALID_ARGUMENT` when already open.
 * - `write()` resolves when the bytes were handed to the OS (or the link); it rejects with `CLOSED`
 *   when the transport is not open and with `DEVICE_DISCONNECTED` when the device went away.
 * - When the device disappears, pending writes reject, `isOpen` becomes false and `close` is emitted
 *   with `{ kind: 'disconnected' }`. Nothing is retried here: reconnecting is the driver's job.
 * - `close()` is idempotent, resolves once the port is released, and emits `close` with
 *   `{ kind: 'requested' }` if the transport was open.
 * - No `data` event is emitted after `close`.
 */
export interface Transport extends EventEmitter<TransportEventMap> {
  /** Human-readable, non-personal description for logs: `serial:/dev/ttyUSB0@115200`, `tcp:10.0.0.5:4001`. */
  readonly description: string;
  readonly isOpen: boolean;
  open(): Promise<void>;
  write(data: Uint8Array): Promise<void>;
  close(): Promise<void>;
}
