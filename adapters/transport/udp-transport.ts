import { createSocket, type Socket, type SocketType } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { XinyiError } from '../../sdk/errors.js';
import { HandleTransport } from './handle-transport.js';

/** Where a UDP device (a gate board's network module, …) listens, and where the terminal listens. */
export interface UdpTransportOptions {
  /** Host name or IP address of the device. */
  host: string;
  /**
   * UDP port the device listens on.
   * @example 1004 // the AA-frame gate board (docs/protocols.md §3.2 A)
   */
  port: number;
  /**
   * Local port to send from and receive on. Some devices answer a fixed port rather than the sender's;
   * the reference AA gate host binds 10000 + its channel number.
   * @default 0 (any free port)
   */
  localPort?: number;
  /** Local address to bind. @default all interfaces of the host's address family */
  localAddress?: string;
  /**
   * Largest datagram sent; a longer write is sent as several datagrams, in order. The default fits an
   * Ethernet frame (1500 − 20 IP − 8 UDP), so nothing is fragmented on the way.
   * @default 1472
   */
  maxDatagramBytes?: number;
}

// An ICMP error the kernel reports on a connected UDP socket, for a datagram sent earlier: the
// device did not take that datagram (it is rebooting, unplugged, or a router could not reach it).
// It is no disconnect: UDP has no connection to lose, and the device may be back for the next one.
const UNREACHABLE_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENETDOWN',
]);
const MAX_UDP_PAYLOAD = 65_507;

/**
 * A UDP "link" to one device: a socket connected to `host:port`, so only that device's datagrams are
 * received and each `write` leaves as one datagram (or several, above `maxDatagramBytes`). Each
 * received datagram is one `data` event.
 *
 * UDP knows no connection, so this transport never reports a disconnect: a device that lost power, or
 * a cable pulled anywhere on the way, simply stops answering. The driver over it must count unanswered
 * requests (the gate drivers' `maxMissedPolls`) to notice a dead device and reopen. ICMP
 * "unreachable" errors for earlier datagrams are ignored for the same reason: they say one datagram
 * was lost, not that the link is gone.
 *
 * `open()` rejects with `DEVICE_NOT_FOUND` when the host name does not resolve or the local port
 * cannot be bound. Throws `INVALID_OPTIONS` naming the option when the options are unusable.
 */
export class UdpTransport extends HandleTransport<Socket> {
  readonly description: string;
  readonly #host: string;
  readonly #port: number;
  readonly #localPort: number;
  readonly #localAddress: string | undefined;
  readonly #maxDatagramBytes: number;
  readonly #type: SocketType;

  constructor(options: UdpTransportOptions) {
    super();
    if (options === null || typeof options !== 'object') {
      throw new XinyiError('INVALID_OPTIONS', 'UdpTransport options must be an object');
    }
    const { host, port, localPort = 0, localAddress, maxDatagramBytes = 1472 } = options;
    if (typeof host !== 'string' || host.trim() === '') throw invalidOption('host', 'a non-empty string');
    if (!Number.isInteger(port) || port < 1 || port > 65_535) {
      throw invalidOption('port', 'an integer from 1 to 65535');
    }
    if (!Number.isInteger(localPort) || localPort < 0 || localPort > 65_535) {
      throw invalidOption('localPort', 'an integer from 0 to 65535');
    }
    if (localAddress !== undefined && (typeof localAddress !== 'string' || localAddress === '')) {
      throw invalidOption('localAddress', 'a non-empty string');
    }
    if (!Number.isInteger(maxDatagramBytes) || maxDatagramBytes < 1 || maxDatagramBytes > MAX_UDP_PAYLOAD) {
      throw invalidOption('maxDatagramBytes', `an integer from 1 to ${MAX_UDP_PAYLOAD}`);
    }
    this.#host = host;
    this.#port = port;
    this.#localPort = localPort;
    this.#localAddress = localAddress;
    this.#maxDatagramBytes = maxDatagramBytes;
    this.#type = isIPv6(host) || (localAddress !== undefined && isIPv6(localAddress)) ? 'udp6' : 'udp4';
    this.description = `udp:${isIPv6(host) ? `[${host}]` : host}:${port}`;
  }

  protected openHandle(): Promise<Socket> {
    return new Promise<Socket>((resolve, reject) => {
      const socket = createSocket(this.#type);
      const fail = (cause: Error & { code?: string }) => {
        socket.removeAllListeners();
        socket.on('error', () => {});
        try {
          socket.close();
        } catch {
          // Already closed by the failure itself.
        }
        const code = cause.code ?? 'UNKNOWN';
        reject(
          new XinyiError('DEVICE_NOT_FOUND', `cannot open ${this.description} (${code})`, {
            cause,
            details: { code },
          }),
        );
      };
      socket.once('error', fail);
      socket.bind({ port: this.#localPort, address: this.#localAddress }, () => {
        socket.connect(this.#port, this.#host, (error?: Error) => {
          if (error) {
            fail(error);
            return;
          }
          socket.off('error', fail);
          socket.on('message', (chunk: Buffer) => this.received(socket, chunk));
          socket.on('error', (cause: Error & { code?: string }) => {
            if (!UNREACHABLE_CODES.has(cause.code ?? '')) this.lost(socket, cause);
          });
          socket.on('close', () => this.lost(socket, new Error('the socket closed')));
          resolve(socket);
        });
      });
    });
  }

  protected writeHandle(socket: Socket, data: Buffer, done: (error?: Error | null) => void): void {
    const failed = (error: Error): void => {
      this.lost(socket, error);
      done(error);
    };
    const sendFrom = (offset: number): void => {
      if (offset >= data.length) {
        done();
        return;
      }
      const end = Math.min(offset + this.#maxDatagramBytes, data.length);
      try {
        socket.send(data.subarray(offset, end), (error) => {
          if (error && !UNREACHABLE_CODES.has((error as Error & { code?: string }).code ?? '')) failed(error);
          else sendFrom(end);
        });
      } catch (error) {
        // send() throws at once on a socket that closed underneath us.
        failed(error as Error);
      }
    };
    sendFrom(0);
  }

  protected releaseHandle(socket: Socket): Promise<void> {
    return new Promise<void>((resolve) => {
      try {
        socket.close(() => resolve());
      } catch {
        resolve();
      }
    });
  }

  protected disconnected(cause: Error & { code?: string }): XinyiError {
    const code = cause.code;
    return new XinyiError(
      'DEVICE_DISCONNECTED',
      `${this.description} failed${code ? ` (${code})` : ''}`,
      code ? { cause, details: { code } } : { cause },
    );
  }
}

function invalidOption(option: string, expected: string): XinyiError {
  return new XinyiError('INVALID_OPTIONS', `UdpTransport: ${option} must be ${expected}`, {
    details: { option },
  });
}
