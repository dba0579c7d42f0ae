import { createServer, isIP, type Socket } from 'node:net';
import { adoptAcceptedSocket } from '../adapters/transport/tcp-transport.js';
import type { Transport } from '../adapters/transport/transport.js';
import { XinyiError } from '../sdk/errors.js';

export interface TcpDeviceServerOptions {
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
  /**
   * Called with the device's end of each accepted connection, already open. Attach `data` and
   * `close` listeners before returning: bytes may follow at once.
   */
  onConnection: (transport: Transport) => void;
}

/** A listening stand-in for a serial device server, for `TcpTransport` to connect to. */
export interface TcpDeviceServer {
  /** The port actually listened on. */
  readonly port: number;
  /**
   * Stops listening and closes every accepted connection (their transports emit `close` with
   * `{ kind: 'requested' }`; the hosts see a disconnect). Idempotent.
   */
  close(): Promise<void>;
}

/**
 * Listens on a loopback address like a serial device server in TCP server mode. Throws
 * `INVALID_OPTIONS` naming the option when `host` is not a loopback address, `port` is not 0–65535,
 * `onConnection` is missing, or the port cannot be listened on.
 */
export async function startTcpDeviceServer(options: TcpDeviceServerOptions): Promise<TcpDeviceServer> {
  if (options === null || typeof options !== 'object') {
    throw new XinyiError('INVALID_OPTIONS', 'startTcpDeviceServer options must be an object');
  }
  const { host = '127.0.0.1', port = 0, onConnection } = options;
  if (typeof host !== 'string' || !isLoopback(host)) {
    throw invalidOption('host', 'a loopback address (127.0.0.0/8, ::1 or localhost)');
  }
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw invalidOption('port', 'an integer from 0 to 65535');
  }
  if (typeof onConnection !== 'function') throw invalidOption('onConnection', 'a function');

  const connections = new Set<Transport>();
  const server = createServer((socket: Socket) => {
    const transport = adoptAcceptedSocket(socket);
    connections.add(transport);
    transport.once('close', () => connections.delete(transport));
    onConnection(transport);
  });
  await new Promise<void>((resolve, reject) => {
    const fail = (cause: Error & { code?: string }) => {
      reject(
        new XinyiError(
          'INVALID_OPTIONS',
          `cannot listen on ${host} port ${port} (${cause.code ?? 'error'})`,
          {
            cause,
            details: { option: 'port' },
          },
        ),
      );
    };
    server.once('error', fail);
    server.listen({ host, port }, () => {
      server.off('error', fail);
      resolve();
    });
  });
  const address = server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;

  let closing: Promise<void> | undefined;
  return {
    port: boundPort,
    close: () => {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        await Promise.all([...connections].map((transport) => transport.close()));
        await stopped;
      })();
      return closing;
    },
  };
}

function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

function invalidOption(option: string, expected: string): XinyiError {
  return new XinyiError('INVALID_OPTIONS', `startTcpDeviceServer: ${option} must be ${expected}`, {
    details: { option },
  });
}
