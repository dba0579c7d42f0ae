import { isIPv6, connect as netConnect, type Socket } from 'node:net';
import { XinyiError } from '../../sdk/errors.js';
import { HandleTransport } from './handle-transport.js';
import type { Transport } from './transport.js';

/** Where a serial device server (a Moxa NPort, a USR-TCP232 box, …) listens for the terminal. */
export interface TcpTransportOptions {
  /** Host name or IP address of the device server. */
  host: string;
  /** TCP port of the serial channel, e.g. 4001 for the first port of an NPort in TCP server mode. */
  port: number;
  /**
   * How long `open()` waits for the connection before rejecting with `DEVICE_NOT_FOUND`.
   * @default 3000
   */
  connectTimeoutMs?: number;
  /**
   * Sends TCP keep-alive probes after 10 s of silence, so a device server that lost power is noticed
   * as a disconnect instead of hours later.
   * @default true
   */
  keepAlive?: boolean;
  /**
   * Disables Nagle's algorithm so short protocol frames leave at once.
   * @default true
   */
  noDelay?: boolean;
}

const KEEP_ALIVE_IDLE_MS = 10_000;
// A device server that accepted a FIN but never answers it must not hold close() up for long.
const CLOSE_GRACE_MS = 2_000;

abstract class SocketTransport extends HandleTransport<Socket> {
  protected abstract connect(): Promise<Socket>;

  protected async openHandle(): Promise<Socket> {
    const socket = await this.connect();
    this.listen(socket);
    return socket;
  }

  /** Routes a socket's data and its end to the open period it belongs to. */
  protected listen(socket: Socket): void {
    socket.on('data', (chunk: Buffer) => this.received(socket, chunk));
    socket.on('error', (error) => this.lost(socket, error));
    socket.on('end', () => this.lost(socket, new Error('the other side closed the connection')));
    socket.on('close', () => this.lost(socket, new Error('the connection closed')));
  }

  protected writeHandle(socket: Socket, data: Buffer, done: (error?: Error | null) => void): void {
    socket.write(data, done);
  }

  protected releaseHandle(socket: Socket, why: 'requested' | 'lost'): Promise<void> {
    if (why === 'requested') return endSocket(socket);
    socket.destroy();
    return Promise.resolve();
  }

  protected disconnected(cause: Error & { code?: string }): XinyiError {
    const code = cause.code;
    return new XinyiError(
      'DEVICE_DISCONNECTED',
      `${this.description} was disconnected${code ? ` (${code})` : ''}`,
      code ? { cause, details: { code } } : { cause },
    );
  }
}

/**
 * A connection to one channel of a serial device server over TCP (raw socket mode, no RFC 2217).
 * `open()` rejects with `DEVICE_NOT_FOUND` when the server refuses, is unreachable or does not accept
 * within `connectTimeoutMs`; a reset, broken pipe or the server ending the connection while open is a
 * disconnect. Throws `INVALID_OPTIONS` naming the option when the options are unusable.
 */
export class TcpTransport extends SocketTransport {
  readonly description: string;
  readonly #host: string;
  readonly #port: number;
  readonly #connectTimeoutMs: number;
  readonly #keepAlive: boolean;
  readonly #noDelay: boolean;

  constructor(options: TcpTransportOptions) {
    super();
    if (options === null || typeof options !== 'object') {
      throw new XinyiError('INVALID_OPTIONS', 'TcpTransport options must be an object');
    }
    const { host, port, connectTimeoutMs = 3000, keepAlive = true, noDelay = true } = options;
    if (typeof host !== 'string' || host.trim() === '') throw invalidOption('host', 'a non-empty string');
    if (!Number.isInteger(port) || port < 1 || port > 65_535) {
      throw invalidOption('port', 'an integer from 1 to 65535');
    }
    if (!Number.isFinite(connectTimeoutMs) || connectTimeoutMs <= 0) {
      throw invalidOption('connectTimeoutMs', 'a positive number of milliseconds');
    }
    if (typeof keepAlive !== 'boolean') throw invalidOption('keepAlive', 'a boolean');
    if (typeof noDelay !== 'boolean') throw invalidOption('noDelay', 'a boolean');
    this.#host = host;
    this.#port = port;
    this.#connectTimeoutMs = connectTimeoutMs;
    this.#keepAlive = keepAlive;
    this.#noDelay = noDelay;
    this.description = `tcp:${isIPv6(host) ? `[${host}]` : host}:${port}`;
  }

  protected connect(): Promise<Socket> {
    return new Promise<Socket>((resolve, reject) => {
      const socket = netConnect({ host: this.#host, port: this.#port });
      const fail = (cause: Error & { code?: string }) => {
        clearTimeout(timer);
        socket.destroy();
        const code = cause.code ?? 'UNKNOWN';
        reject(
          new XinyiError('DEVICE_NOT_FOUND', `cannot connect to ${this.description} (${code})`, {
            cause,
            details: { code },
          }),
        );
      };
      const timer = setTimeout(() => {
        const cause: Error & { code?: string } = new Error(
          `no connection within ${this.#connectTimeoutMs} ms`,
        );
        cause.code = 'ETIMEDOUT';
        fail(cause);
      }, this.#connectTimeoutMs);
      socket.once('error', fail);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.off('error', fail);
        socket.setKeepAlive(this.#keepAlive, KEEP_ALIVE_IDLE_MS);
        socket.setNoDelay(this.#noDelay);
        resolve(socket);
      });
    });
  }
}

class AcceptedSocketTransport extends SocketTransport {
  readonly description: string;

  constructor(socket: Socket) {
    super();
    const address = socket.remoteAddress ?? 'unknown';
    this.description = `tcp-peer:${isIPv6(address) ? `[${address}]` : address}:${socket.remotePort ?? 0}`;
    socket.setNoDelay(true);
    this.listen(socket);
    this.adopt(socket);
  }

  protected connect(): Promise<Socket> {
    return Promise.reject(
      new XinyiError(
        'DEVICE_NOT_FOUND',
        `${this.description} was accepted by a server and cannot be reopened: the host must connect again`,
      ),
    );
  }
}

/**
 * Wraps a socket a server accepted as an already-open `Transport` (the device's end of a connection).
 * Once closed it cannot be reopened: `open()` then rejects with `DEVICE_NOT_FOUND`.
 */
export function adoptAcceptedSocket(socket: Socket): Transport {
  return new AcceptedSocketTransport(socket);
}

function endSocket(socket: Socket): Promise<void> {
  return new Promise<void>((resolve) => {
    if (socket.closed) {
      resolve();
      return;
    }
    const grace = setTimeout(() => socket.destroy(), CLOSE_GRACE_MS);
    socket.once('close', () => {
      clearTimeout(grace);
      resolve();
    });
    socket.end(() => socket.destroy());
  });
}

function invalidOption(option: string, expected: string): XinyiError {
  return new XinyiError('INVALID_OPTIONS', `TcpTransport: ${option} must be ${expected}`, {
    details: { option },
  });
}
