import { EventEmitter } from 'node:events';
import { XinyiError } from '../../sdk/errors.js';
import type { Transport, TransportEventMap } from './transport.js';

/** How the in-memory link imitates a UART. Without options bytes cross it on the next microtask, whole. */
export interface MemoryLinkOptions {
  /**
   * Models wire time. Each direction then delivers bytes no faster than `baudRate / 10` bytes per
   * second (8N1: ten bits a byte), one write after another, and `write()` resolves once the write's
   * last byte has arrived, as a `SerialTransport` write resolves after `drain`. Time is kept with
   * `setTimeout` (one timer per delivered chunk, never per byte), so `vi.useFakeTimers()` drives it;
   * a delivery is due at the first whole millisecond at or after its ideal arrival time.
   * @default undefined (no wire time)
   * @example 115200 // 1295 bytes then take 112.4 ms and arrive at 113 ms
   */
  baudRate?: number;
  /**
   * Splits each delivery into `data` events of at most this many bytes, like a UART FIFO raising one
   * interrupt per fill. With `baudRate`, each chunk arrives when its own last byte would.
   * @default undefined (a write arrives as one chunk)
   */
  chunkSize?: number;
}

/**
 * Two `Transport` ends joined by an in-memory wire: what the terminal opens (`host`) and what a
 * simulated device opens (`device`). State is per link; links never share anything.
 *
 * Bytes flow only while both ends are open: a write to an end whose peer is not open resolves and the
 * bytes are dropped, like a UART transmitting with nobody listening; bytes in flight when either end
 * closes are dropped too.
 */
export interface MemoryLink {
  /** The terminal's end, handed to a driver. */
  readonly host: Transport;
  /** The simulated device's end. */
  readonly device: Transport;
  /**
   * Pulls the cable: every open end emits `close` with `{ kind: 'disconnected' }` before this returns,
   * pending writes reject with `DEVICE_DISCONNECTED`, and `open()` on either end rejects with
   * `DEVICE_NOT_FOUND` until `plugIn()`. Does nothing when already unplugged.
   */
  unplug(): void;
  /** Puts the cable back. The ends stay closed until opened again. Does nothing when plugged. */
  plugIn(): void;
  readonly plugged: boolean;
}

/**
 * Creates a link between a host end and a device end, plugged in and with both ends closed.
 * Throws `INVALID_OPTIONS` naming `baudRate` or `chunkSize` when one is not a positive integer.
 */
export function createMemoryLink(options: MemoryLinkOptions = {}): MemoryLink {
  if (options === null || typeof options !== 'object') {
    throw new XinyiError('INVALID_OPTIONS', 'options must be an object when given');
  }
  const { baudRate, chunkSize } = options;
  for (const [name, value] of [
    ['baudRate', baudRate],
    ['chunkSize', chunkSize],
  ] as const) {
    if (value !== undefined && !(Number.isSafeInteger(value) && value > 0)) {
      throw new XinyiError('INVALID_OPTIONS', `${name} must be a positive integer, got ${String(value)}`, {
        details: { option: name },
      });
    }
  }
  const link = new Link(baudRate, chunkSize);
  return {
    host: link.host,
    device: link.device,
    unplug: () => link.unplug(),
    plugIn: () => {
      link.plugged = true;
    },
    get plugged() {
      return link.plugged;
    },
  };
}

class Link {
  plugged = true;
  readonly host: MemoryEnd;
  readonly device: MemoryEnd;

  constructor(baudRate: number | undefined, chunkSize: number | undefined) {
    const toDevice = new Wire(baudRate, chunkSize, (chunk) => this.device.receive(chunk));
    const toHost = new Wire(baudRate, chunkSize, (chunk) => this.host.receive(chunk));
    this.host = new MemoryEnd('memory:host', this, toDevice, toHost);
    this.device = new MemoryEnd('memory:device', this, toHost, toDevice);
  }

  peerOf(end: MemoryEnd): MemoryEnd {
    return end === this.host ? this.device : this.host;
  }

  unplug(): void {
    if (!this.plugged) return;
    this.plugged = false;
    const cause = new Error('memory link unplugged');
    this.host.disconnect(cause);
    this.device.disconnect(cause);
  }
}

type EndState = 'closed' | 'opening' | 'open';

class MemoryEnd extends EventEmitter<TransportEventMap> implements Transport {
  readonly description: string;
  readonly #link: Link;
  readonly #outgoing: Wire;
  readonly #incoming: Wire;
  #state: EndState = 'closed';
  #attempt = 0;
  #disconnectError: XinyiError | undefined;

  constructor(description: string, link: Link, outgoing: Wire, incoming: Wire) {
    super();
    this.description = description;
    this.#link = link;
    this.#outgoing = outgoing;
    this.#incoming = incoming;
  }

  get isOpen(): boolean {
    return this.#state === 'open';
  }

  async open(): Promise<void> {
    if (this.#state !== 'closed') {
      throw new XinyiError('INVALID_ARGUMENT', `${this.description} is already open or opening`);
    }
    this.#disconnectError = undefined;
    if (!this.#link.plugged) throw notFound(this.description);
    this.#state = 'opening';
    const attempt = ++this.#attempt;
    // Opening real hardware is never synchronous; neither is this.
    await new Promise<void>((resolve) => queueMicrotask(resolve));
    if (this.#attempt !== attempt || this.#state !== 'opening') {
      throw new XinyiError('CLOSED', `${this.description} was closed while opening`);
    }
    if (!this.#link.plugged) {
      this.#state = 'closed';
      throw notFound(this.description);
    }
    this.#state = 'open';
  }

  async write(data: Uint8Array): Promise<void> {
    if (!(data instanceof Uint8Array)) {
      throw new XinyiError('INVALID_ARGUMENT', 'write() takes a Uint8Array or Buffer');
    }
    if (this.#state !== 'open') {
      throw this.#disconnectError ?? new XinyiError('CLOSED', `${this.description} is not open`);
    }
    if (data.length === 0 || !this.#link.peerOf(this).isOpen) return;
    await this.#outgoing.send(Buffer.from(data));
  }

  async close(): Promise<void> {
    this.#disconnectError = undefined;
    if (this.#state === 'opening') this.#state = 'closed';
    if (this.#state !== 'open') return;
    this.#state = 'closed';
    this.#outgoing.reset(new XinyiError('CLOSED', `${this.description} was closed`));
    this.#incoming.reset();
    this.emit('close', { kind: 'requested' });
  }

  receive(chunk: Buffer): void {
    if (this.#state === 'open') this.emit('data', chunk);
  }

  disconnect(cause: Error): void {
    if (this.#state !== 'open') return;
    const error = new XinyiError('DEVICE_DISCONNECTED', `${this.description} was disconnected`, { cause });
    this.#state = 'closed';
    this.#disconnectError = error;
    // The incoming wire is the peer's outgoing one: the peer's own disconnect rejects its writes.
    this.#outgoing.reset(error);
    this.emit('close', { kind: 'disconnected', error });
  }
}

function notFound(description: string): XinyiError {
  return new XinyiError('DEVICE_NOT_FOUND', `${description} is unplugged`);
}

interface Transmission {
  readonly chunks: Buffer[];
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

class Wire {
  readonly #baudRate: number | undefined;
  readonly #chunkSize: number | undefined;
  readonly #deliver: (chunk: Buffer) => void;
  readonly #queue: Transmission[] = [];
  #timer: NodeJS.Timeout | undefined;
  #pumping = false;
  #generation = 0;
  // Ideal time is kept in bytes since the wire last went idle, and compared with the whole
  // milliseconds already waited, so rounding never accumulates over a long stream of chunks.
  #bytesSent = 0;
  #waitedMs = 0;

  constructor(baudRate: number | undefined, chunkSize: number | undefined, deliver: (chunk: Buffer) => void) {
    this.#baudRate = baudRate;
    this.#chunkSize = chunkSize;
    this.#deliver = deliver;
  }

  send(bytes: Buffer): Promise<void> {
    const chunks = split(bytes, this.#chunkSize);
    if (this.#baudRate === undefined) {
      const generation = this.#generation;
      queueMicrotask(() => {
        for (const chunk of chunks) {
          if (this.#generation !== generation) return;
          this.#deliver(chunk);
        }
      });
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ chunks, resolve, reject });
      if (this.#timer === undefined && !this.#pumping) this.#pump();
    });
  }

  // Without an error, pending writes resolve: their bytes went down a wire nobody listens to.
  reset(error?: Error): void {
    this.#generation++;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#bytesSent = 0;
    this.#waitedMs = 0;
    for (const transmission of this.#queue.splice(0)) {
      if (error) transmission.reject(error);
      else transmission.resolve();
    }
  }

  #pump(): void {
    this.#pumping = true;
    try {
      this.#drainDue();
    } finally {
      this.#pumping = false;
    }
  }

  #drainDue(): void {
    const baudRate = this.#baudRate!;
    for (;;) {
      const head = this.#queue[0];
      if (!head) break;
      const chunk = head.chunks[0]!;
      const dueMs = Math.ceil(((this.#bytesSent + chunk.length) * 10_000) / baudRate) - this.#waitedMs;
      if (dueMs > 0) {
        this.#timer = setTimeout(() => {
          this.#timer = undefined;
          this.#waitedMs += dueMs;
          this.#pump();
        }, dueMs);
        return;
      }
      this.#bytesSent += chunk.length;
      head.chunks.shift();
      if (head.chunks.length === 0) {
        this.#queue.shift();
        head.resolve();
      }
      // A data listener may close an end (resetting this wire) or write again; the loop just goes on
      // with whatever the queue holds then.
      this.#deliver(chunk);
    }
    this.#bytesSent = 0;
    this.#waitedMs = 0;
  }
}

function split(bytes: Buffer, chunkSize: number | undefined): Buffer[] {
  if (chunkSize === undefined || bytes.length <= chunkSize) return [bytes];
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < bytes.length; offset += chunkSize) {
    chunks.push(bytes.subarray(offset, offset + chunkSize));
  }
  return chunks;
}
