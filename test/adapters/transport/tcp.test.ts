import { connect, createServer, type Server, type Socket } from 'node:net';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { TcpTransport } from '../../../adapters/transport/tcp-transport.js';
import type { Transport, TransportCloseReason } from '../../../adapters/transport/transport.js';
import { isXinyiError } from '../../../sdk/errors.js';
import { startTcpDeviceServer, type TcpDeviceServer } from '../../../simulator/tcp-device-server.js';
import { describeTransportContract } from './transport-contract.js';

async function waitFor<T>(find: () => T | undefined, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function nextClose(transport: Transport): Promise<TransportCloseReason> {
  return new Promise((resolve) => transport.once('close', resolve));
}

/** A port nothing listens on: bound once by us, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/**
 * A loopback port whose connects hang: a listener in a worker thread that blocks before accepting
 * anything, with its accept queue (backlog 1) filled, so the kernel drops further SYNs.
 */
async function unansweredListener(): Promise<{ port: number; close: () => Promise<void> }> {
  const gate = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(
    `const { createServer } = require('node:net');
     const { parentPort, workerData } = require('node:worker_threads');
     const server = createServer();
     server.listen({ host: '127.0.0.1', port: 0, backlog: 1 }, () => {
       parentPort.postMessage(server.address().port);
       Atomics.wait(workerData, 0, 0);
     });`,
    { eval: true, workerData: gate },
  );
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  const fillers: Socket[] = [];
  const close = async () => {
    for (const socket of fillers) socket.destroy();
    Atomics.store(gate, 0, 1);
    Atomics.notify(gate, 0);
    await worker.terminate();
  };
  for (let i = 0; i < 8; i++) {
    const socket = connect({ host: '127.0.0.1', port });
    socket.on('error', () => {});
    fillers.push(socket);
    const connected = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 100);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    if (!connected) return { port, close };
  }
  await close();
  throw new Error('could not fill the accept queue of the unanswered listener');
}

describeTransportContract('TcpTransport to startTcpDeviceServer', async () => {
  const connections: Transport[] = [];
  const chunks: Buffer[] = [];
  const server = await startTcpDeviceServer({
    onConnection: (transport) => {
      connections.push(transport);
      transport.on('data', (chunk) => chunks.push(chunk));
    },
  });
  let queue: Promise<unknown> = Promise.resolve();
  return {
    host: new TcpTransport({ host: '127.0.0.1', port: server.port }),
    peer: {
      // Writes go to the newest open connection, in the order they were made, even while that
      // connection is still being accepted.
      write: (bytes) => {
        const started = queue
          .then(() =>
            waitFor(() => [...connections].reverse().find((c) => c.isOpen), 'an accepted connection'),
          )
          .then((connection) => ({ done: connection.write(bytes) }));
        queue = started.catch(() => {});
        return started.then(({ done }) => done);
      },
      received: () => Buffer.concat(chunks),
      disconnect: () => server.close(),
    },
    cleanup: () => server.close(),
  };
});

describe('TcpTransport', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function deviceServer(): Promise<{ server: TcpDeviceServer; devices: Transport[] }> {
    const devices: Transport[] = [];
    const server = await startTcpDeviceServer({ onConnection: (t) => devices.push(t) });
    cleanups.push(() => server.close());
    return { server, devices };
  }

  it('rejects open() on a refused port with DEVICE_NOT_FOUND carrying ECONNREFUSED', async () => {
    const host = new TcpTransport({ host: '127.0.0.1', port: await closedPort() });
    const error = await host.open().catch((e: unknown) => e);
    expect(isXinyiError(error, 'DEVICE_NOT_FOUND')).toBe(true);
    expect((error as { details: Record<string, unknown> }).details.code).toBe('ECONNREFUSED');
    expect((error as Error).cause).toBeInstanceOf(Error);
    expect(host.isOpen).toBe(false);
  });

  it('gives up on an unanswered connect after connectTimeoutMs with DEVICE_NOT_FOUND', async () => {
    const listener = await unansweredListener();
    cleanups.push(listener.close);
    const host = new TcpTransport({ host: '127.0.0.1', port: listener.port, connectTimeoutMs: 200 });
    const started = Date.now();
    const error = await host.open().catch((e: unknown) => e);
    expect(isXinyiError(error, 'DEVICE_NOT_FOUND')).toBe(true);
    expect((error as { details: Record<string, unknown> }).details.code).toBe('ETIMEDOUT');
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('reports a reset connection as a disconnect carrying ECONNRESET', async () => {
    const raw: Server = createServer((socket) => {
      socket.once('data', () => socket.resetAndDestroy());
    });
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => raw.close(resolve)));
    const address = raw.address();
    if (!address || typeof address === 'string') throw new Error('no port');
    const host = new TcpTransport({ host: '127.0.0.1', port: address.port });
    await host.open();
    const closing = nextClose(host);
    await host.write(Buffer.from('poke'));
    const reason = await closing;
    expect(reason.kind).toBe('disconnected');
    if (reason.kind !== 'disconnected') return;
    expect(reason.error.code).toBe('DEVICE_DISCONNECTED');
    expect(reason.error.details.code).toBe('ECONNRESET');
  });

  it('sees the device end closing its connection as a disconnect, and the device end sees the host leave', async () => {
    const { server, devices } = await deviceServer();
    const host = new TcpTransport({ host: '127.0.0.1', port: server.port });
    const other = new TcpTransport({ host: '127.0.0.1', port: server.port });
    cleanups.push(
      () => host.close(),
      () => other.close(),
    );
    await host.open();
    const first = await waitFor(() => devices[0], 'the first connection');
    await other.open();
    const second = await waitFor(() => devices[1], 'the second connection');

    const hostClosed = nextClose(host);
    await first.close();
    expect((await hostClosed).kind).toBe('disconnected');
    expect(other.isOpen).toBe(true);

    const deviceClosed = nextClose(second);
    await other.close();
    expect((await deviceClosed).kind).toBe('disconnected');
  });

  it('hands out accepted connections already open, which cannot be reopened once closed', async () => {
    const { server, devices } = await deviceServer();
    const host = new TcpTransport({ host: '127.0.0.1', port: server.port });
    cleanups.push(() => host.close());
    await host.open();
    const device = await waitFor(() => devices[0], 'the accepted connection');
    expect(device.isOpen).toBe(true);
    expect(device.description).toMatch(/^tcp-peer:127\.0\.0\.1:\d+$/);
    await expect(device.open()).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await device.close();
    await expect(device.open()).rejects.toMatchObject({ code: 'DEVICE_NOT_FOUND' });
  });

  it('validates its options, naming the bad one', () => {
    for (const [options, option] of [
      [{ host: '', port: 4001 }, 'host'],
      [{ host: '10.0.0.5', port: 0 }, 'port'],
      [{ host: '10.0.0.5', port: 70_000 }, 'port'],
      [{ host: '10.0.0.5', port: 4001, connectTimeoutMs: -1 }, 'connectTimeoutMs'],
      [{ host: '10.0.0.5', port: 4001, keepAlive: 'yes' }, 'keepAlive'],
    ] as const) {
      let error: unknown;
      try {
        new TcpTransport(options as never);
      } catch (e) {
        error = e;
      }
      expect(isXinyiError(error, 'INVALID_OPTIONS')).toBe(true);
      expect((error as { details: Record<string, unknown> }).details.option).toBe(option);
    }
  });

  it('describes itself by address', () => {
    expect(new TcpTransport({ host: '10.0.0.5', port: 4001 }).description).toBe('tcp:10.0.0.5:4001');
    expect(new TcpTransport({ host: '::1', port: 4001 }).description).toBe('tcp:[::1]:4001');
  });
});

describe('startTcpDeviceServer', () => {
  it('refuses to listen anywhere but on loopback', async () => {
    for (const host of ['0.0.0.0', '10.0.0.5', '::']) {
      await expect(startTcpDeviceServer({ host, onConnection: () => {} })).rejects.toMatchObject({
        code: 'INVALID_OPTIONS',
        details: { option: 'host' },
      });
    }
  });

  it('reports a port already in use as INVALID_OPTIONS naming port', async () => {
    const first = await startTcpDeviceServer({ onConnection: () => {} });
    try {
      await expect(startTcpDeviceServer({ port: first.port, onConnection: () => {} })).rejects.toMatchObject({
        code: 'INVALID_OPTIONS',
        details: { option: 'port' },
      });
    } finally {
      await first.close();
    }
  });

  it('closes idempotently', async () => {
    const server = await startTcpDeviceServer({ onConnection: () => {} });
    await Promise.all([server.close(), server.close()]);
    await server.close();
  });
});
