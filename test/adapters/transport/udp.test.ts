import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import type { Transport, TransportCloseReason } from '../../../adapters/transport/transport.js';
import { UdpTransport } from '../../../adapters/transport/udp-transport.js';
import { isXinyiError, type XinyiError } from '../../../sdk/errors.js';
import { startUdpDeviceServer, type UdpDeviceServer } from '../../../simulator/udp-device-server.js';
import { until } from '../../support/until.js';
import { pattern } from './transport-contract.js';

// The shared transport contract suite cannot run here as it stands: it expects a vanished peer to be
// reported as a disconnect, which UDP cannot see. These cases check every other clause of it.

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

function record(transport: Transport): { chunks: Buffer[]; closes: TransportCloseReason[] } {
  const seen = { chunks: [] as Buffer[], closes: [] as TransportCloseReason[] };
  transport.on('data', (chunk) => seen.chunks.push(chunk));
  transport.on('close', (reason) => seen.closes.push(reason));
  return seen;
}

async function rig(options: { maxDatagramBytes?: number; localPort?: number } = {}): Promise<{
  server: UdpDeviceServer;
  host: UdpTransport;
  device: ReturnType<typeof record>;
}> {
  const server = await startUdpDeviceServer();
  const host = new UdpTransport({ host: '127.0.0.1', port: server.port, ...options });
  cleanups.push(
    () => server.close(),
    () => host.close(),
  );
  return { server, host, device: record(server.transport) };
}

/** A UDP port nothing listens on: bound once, then released. */
async function freePort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

describe('UdpTransport', () => {
  it('opens, and closes once with a requested close event however often close() is called', async () => {
    const { host } = await rig();
    const seen = record(host);
    await host.close();
    expect(seen.closes).toEqual([]);
    await host.open();
    expect(host.isOpen).toBe(true);
    await Promise.all([host.close(), host.close()]);
    await host.close();
    expect(host.isOpen).toBe(false);
    expect(seen.closes).toEqual([{ kind: 'requested' }]);
  });

  it('rejects a second open() with INVALID_ARGUMENT, whether open or still opening', async () => {
    const { host } = await rig();
    const [first, second] = await Promise.allSettled([host.open(), host.open()]);
    expect(first.status).toBe('fulfilled');
    expect(second.status === 'rejected' && (second.reason as XinyiError).code).toBe('INVALID_ARGUMENT');
    await expect(host.open()).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('rejects write() with CLOSED before open and after close, and non-bytes with INVALID_ARGUMENT', async () => {
    const { host } = await rig();
    await expect(host.write(Uint8Array.of(1))).rejects.toMatchObject({ code: 'CLOSED' });
    await host.open();
    await expect(host.write('hello' as unknown as Uint8Array)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await host.close();
    await expect(host.write(Uint8Array.of(1))).rejects.toMatchObject({ code: 'CLOSED' });
  });

  it('sends each write as one datagram, and receives the device’s answers', async () => {
    const { server, host, device } = await rig();
    const seen = record(host);
    await host.open();
    await host.write(Buffer.from('AA00', 'hex'));
    await host.write(Buffer.from('first frame'));
    await until(() => device.chunks.length === 2, 'two datagrams at the device');
    expect(device.chunks.map((c) => c.toString('hex'))).toEqual([
      'aa00',
      Buffer.from('first frame').toString('hex'),
    ]);
    await server.transport.write(Buffer.from('reply'));
    await until(() => seen.chunks.length === 1, 'the reply at the host');
    expect(seen.chunks[0]!.toString()).toBe('reply');
  });

  it('splits a write longer than maxDatagramBytes into datagrams, in order', async () => {
    const { host, device } = await rig({ maxDatagramBytes: 1000 });
    await host.open();
    const bytes = pattern(10_500, 7);
    await host.write(bytes);
    await until(() => device.chunks.length === 11, 'eleven datagrams');
    expect(device.chunks.map((c) => c.length)).toEqual([...Array(10).fill(1000), 500]);
    expect(Buffer.concat(device.chunks).equals(bytes)).toBe(true);
  });

  it('opens again after close and carries bytes again', async () => {
    const { server, host, device } = await rig();
    const seen = record(host);
    await host.open();
    await host.write(Buffer.from('one'));
    await until(() => device.chunks.length === 1, 'the first datagram');
    await host.close();
    await host.open();
    await host.write(Buffer.from('two'));
    await until(() => device.chunks.length === 2, 'the second datagram');
    await server.transport.write(Buffer.from('back'));
    await until(() => seen.chunks.length === 1, 'the answer');
  });

  it('emits no data event once close has been emitted', async () => {
    const { server, host } = await rig();
    let closed = false;
    let afterClose = 0;
    host.on('close', () => {
      closed = true;
    });
    host.on('data', () => {
      if (closed) afterClose++;
    });
    await host.open();
    await host.write(Buffer.from('hello'));
    await until(() => server.peer !== undefined, 'the peer');
    const flood = Array.from({ length: 50 }, () => server.transport.write(pattern(200, 1)));
    await host.close();
    await Promise.all(flood);
    await server.transport.write(pattern(200, 2));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(closed).toBe(true);
    expect(afterClose).toBe(0);
  });

  it('sends from the local port it was told to bind', async () => {
    const localPort = await freePort();
    const { server, host } = await rig({ localPort });
    await host.open();
    await host.write(Buffer.from('x'));
    await until(() => server.peer !== undefined, 'the peer');
    expect(server.peer).toEqual({ address: '127.0.0.1', port: localPort });
  });

  it('does not take a device that stopped listening for a disconnect: it just stops answering', async () => {
    const { server, host } = await rig();
    const seen = record(host);
    await host.open();
    await server.close();
    // Loopback answers with ICMP port unreachable; UDP still has no link to lose.
    for (let i = 0; i < 5; i++) {
      await host.write(Buffer.from('anyone?'));
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(host.isOpen).toBe(true);
    expect(seen.closes).toEqual([]);
  });

  it('rejects open() with DEVICE_NOT_FOUND for a host that does not resolve', async () => {
    const host = new UdpTransport({ host: 'no-such-gate.invalid', port: 1004 });
    const error = await host.open().catch((e: unknown) => e);
    expect(isXinyiError(error, 'DEVICE_NOT_FOUND')).toBe(true);
    expect(host.isOpen).toBe(false);
    await expect(host.write(Uint8Array.of(1))).rejects.toMatchObject({ code: 'CLOSED' });
  });

  it('rejects open() with DEVICE_NOT_FOUND carrying EADDRINUSE when the local port is taken', async () => {
    const server = await startUdpDeviceServer();
    cleanups.push(() => server.close());
    const host = new UdpTransport({ host: '127.0.0.1', port: 1004, localPort: server.port });
    const error = await host.open().catch((e: unknown) => e);
    expect(isXinyiError(error, 'DEVICE_NOT_FOUND')).toBe(true);
    expect((error as XinyiError).details.code).toBe('EADDRINUSE');
  });

  it('validates its options, naming the bad one', () => {
    for (const [options, option] of [
      [{ host: '', port: 1004 }, 'host'],
      [{ host: '10.0.0.5', port: 0 }, 'port'],
      [{ host: '10.0.0.5', port: 1004, localPort: 70_000 }, 'localPort'],
      [{ host: '10.0.0.5', port: 1004, localAddress: '' }, 'localAddress'],
      [{ host: '10.0.0.5', port: 1004, maxDatagramBytes: 70_000 }, 'maxDatagramBytes'],
    ] as const) {
      let error: unknown;
      try {
        new UdpTransport(options as never);
      } catch (e) {
        error = e;
      }
      expect(isXinyiError(error, 'INVALID_OPTIONS')).toBe(true);
      expect((error as XinyiError).details.option).toBe(option);
    }
  });

  it('describes itself by address', () => {
    expect(new UdpTransport({ host: '10.0.0.5', port: 1004 }).description).toBe('udp:10.0.0.5:1004');
    expect(new UdpTransport({ host: '::1', port: 1004 }).description).toBe('udp:[::1]:1004');
  });
});

describe('startUdpDeviceServer', () => {
  it('refuses to listen anywhere but on a loopback address', async () => {
    for (const host of ['0.0.0.0', '10.0.0.5', '::', 'localhost']) {
      await expect(startUdpDeviceServer({ host })).rejects.toMatchObject({
        code: 'INVALID_OPTIONS',
        details: { option: 'host' },
      });
    }
  });

  it('reports a port already in use as INVALID_OPTIONS naming port', async () => {
    const first = await startUdpDeviceServer();
    cleanups.push(() => first.close());
    await expect(startUdpDeviceServer({ port: first.port })).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
      details: { option: 'port' },
    });
  });

  it('drops answers written before any host has sent a datagram', async () => {
    const server = await startUdpDeviceServer();
    cleanups.push(() => server.close());
    expect(server.transport.isOpen).toBe(true);
    await expect(server.transport.write(Buffer.from('nobody'))).resolves.toBeUndefined();
    expect(server.peer).toBeUndefined();
  });

  it('listens again on the same port after its end was closed and reopened, until the server is closed', async () => {
    const { server, host, device } = await rig();
    await host.open();
    await server.transport.close();
    expect(server.transport.isOpen).toBe(false);
    await server.transport.open();
    expect(server.transport.isOpen).toBe(true);
    await host.write(Buffer.from('again'));
    await until(() => device.chunks.length === 1, 'the datagram after reopening');
    await Promise.all([server.close(), server.close()]);
    await expect(server.transport.open()).rejects.toMatchObject({ code: 'DEVICE_NOT_FOUND' });
  });
});
