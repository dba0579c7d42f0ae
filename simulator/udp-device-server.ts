import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIP, isIPv6 } from 'node:net';
import { HandleTransport } from '../adapters/transport/handle-transport.js';
import type { Transport } from '../adapters/transport/transport.js';
import { XinyiError } from '../sdk/errors.js';

export interface UdpDeviceServerOptions {
  /**
   * Loopback address to listen on; anything else is refused, so a simulator is never reachable from
   * the network.
   * @default '127.0.0.1'
   */
  host?: string;
  /**
   * Port to listen on; 0 picks a free one (read it from the result).
   * @default 0
   */
  port?: number;
}

/** A listening stand-in for a UDP device, for `UdpTransport` to send to. */
export interface UdpDeviceServer {
  /** The port actually listened on; it stays the same when the device's end is closed and reopened. */
  readonly port: number;
  /**
   * The device's end, already open: `data` carries every datagram received, and writes go to the
   * peer that sent the last datagram (dropped, like a UART transmitting to nobody, before any peer
   * has sent one). Closing it stops listening, as a device losing power; `open()` listens again on
   * the same port (a device powering up), and rejects with `DEVICE_NOT_FOUND` if that port was taken
   * meanwhile or after the server was closed.
   */
  readonly transport: Transport;
  /** The last peer that sent a datagram, or undefined. */
  readonly peer: { address: string; port: number } | undefined;
  /** Closes the device's end for good. Idempotent. */
  close(): Promise<void>;
}

class UdpDeviceEnd extends HandleTransport<Socket> {
  description: string;
  readonly #host: string;
  #port: number;
  #peer: RemoteInfo | undefined;
  #retired = false;

  constructor(host: string, port: number) {
    super();
    this.#host = host;
    this.#port = port;
    this.description = udpDescription(host, port);
  }

  get port(): number {
    return this.#port;
  }

  get peer(): { address: string; port: number } | undefined {
    return this.#peer && { address: this.#peer.address, port: this.#peer.port };
  }

  retire(): Promise<void> {
    this.#retired = true;
    return this.close();
  }

  protected openHandle(): Promise<Socket> {
    if (this.#retired) {
      return Promise.reject(new XinyiError('DEVICE_NOT_FOUND', `${this.description} was shut down`));
    }
    return new Promise<Socket>((resolve, reject) => {
      const socket = createSocket(isIPv6(this.#host) ? 'udp6' : 'udp4');
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
          new XinyiError('DEVICE_NOT_FOUND', `cannot listen on ${this.description} (${code})`, {
            cause,
            details: { code },
          }),
        );
      };
      socket.once('error', fail);
      socket.bind({ address: this.#host, port: this.#port }, () => {
        socket.off('error', fail);
        this.#port = socket.address().port;
        this.description = udpDescription(this.#host, this.#port);
        this.#peer = undefined;
        socket.on('message', (chunk: Buffer, from: RemoteInfo) => {
          this.#peer = from;
          this.received(socket, chunk);
        });
        // ICMP errors for answers to a host that went away: the next datagram from a host is what counts.
        socket.on('error', () => {});
        socket.on('close', () => this.lost(socket, new Error('the socket closed')));
        resolve(socket);
      });
    });
  }

  protected writeHandle(socket: Socket, data: Buffer, done: (error?: Error | null) => void): void {
    const peer = this.#peer;
    if (peer === undefined) {
      done();
      return;
    }
    try {
      socket.send(data, peer.port, peer.address, () => done());
    } catch (error) {
      done(error as Error);
    }
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

  protected disconnected(cause: Error): XinyiError {
    return new XinyiError('DEVICE_DISCONNECTED', `${this.description} stopped`, { cause });
  }
}

/**
 * Listens on a loopback UDP port like a device on the network (a gate board on port 1004), and gives
 * the simulated device a `Transport` for it. Throws `INVALID_OPTIONS` naming the option when `host`
 * is not a loopback address, `port` is not 0–65535, or the port cannot be listened on.
 */
export async function startUdpDeviceServer(options: UdpDeviceServerOptions = {}): Promise<UdpDeviceServer> {
  if (options === null || typeof options !== 'object') {
    throw new XinyiError('INVALID_OPTIONS', 'startUdpDeviceServer options must be an object');
  }
  const { host = '127.0.0.1', port = 0 } = options;
  if (typeof host !== 'string' || !isLoopback(host)) {
    throw invalidOption('host', 'a loopback address (127.0.0.0/8 or ::1)');
  }
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw invalidOption('port', 'an integer from 0 to 65535');
  }
  const end = new UdpDeviceEnd(host, port);
  try {
    await end.open();
  } catch (cause) {
    throw new XinyiError('INVALID_OPTIONS', `cannot listen on ${host} port ${port}`, {
      cause,
      details: { option: 'port' },
    });
  }
  let closing: Promise<void> | undefined;
  return {
    port: end.port,
    transport: end,
    get peer() {
      return end.peer;
    },
    close: () => {
      closing ??= end.retire();
      return closing;
    },
  };
}

// A name such as 'localhost' could resolve elsewhere for UDP; only literal loopback addresses pass.
function isLoopback(host: string): boolean {
  if (host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

function udpDescription(host: string, port: number): string {
  return `udp-device:${isIPv6(host) ? `[${host}]` : host}:${port}`;
}

function invalidOption(option: string, expected: string): XinyiError {
  return new XinyiError('INVALID_OPTIONS', `startUdpDeviceServer: ${option} must be ${expected}`, {
    details: { option },
  });
}
