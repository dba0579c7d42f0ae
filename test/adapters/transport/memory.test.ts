import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMemoryLink } from '../../../adapters/transport/memory-transport.js';
import type { Transport, TransportCloseReason } from '../../../adapters/transport/transport.js';
import { isXinyiError } from '../../../sdk/errors.js';
import { describeTransportContract, pattern } from './transport-contract.js';

function collect(transport: Transport): () => Buffer {
  const chunks: Buffer[] = [];
  transport.on('data', (chunk) => chunks.push(chunk));
  return () => Buffer.concat(chunks);
}

function memoryFixture(options?: Parameters<typeof createMemoryLink>[0]) {
  return async () => {
    const link = createMemoryLink(options);
    const received = collect(link.device);
    await link.device.open();
    return {
      host: link.host,
      peer: {
        write: (bytes: Uint8Array) => link.device.write(bytes),
        received,
        disconnect: async () => link.unplug(),
      },
      cleanup: () => link.device.close(),
    };
  };
}

describeTransportContract('createMemoryLink', memoryFixture());
describeTransportContract(
  'createMemoryLink with wire time and FIFO chunks',
  memoryFixture({ baudRate: 20_000_000, chunkSize: 4096 }),
);

async function openLink(options?: Parameters<typeof createMemoryLink>[0]) {
  const link = createMemoryLink(options);
  await Promise.all([link.host.open(), link.device.open()]);
  return link;
}

describe('createMemoryLink wire time', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('delivers 1295 bytes at 115200 baud after 112.4 ms of wire time (at 113 ms), not before', async () => {
    vi.useFakeTimers();
    const link = await openLink({ baudRate: 115_200 });
    const received = collect(link.device);
    const bytes = pattern(1295, 1);
    let written = false;
    const writing = link.host.write(bytes).then(() => {
      written = true;
    });
    expect(vi.getTimerCount()).toBe(1);

    await vi.advanceTimersByTimeAsync(112);
    expect(received().length).toBe(0);
    expect(written).toBe(false);

    await vi.advanceTimersByTimeAsync(1);
    expect(received().equals(bytes)).toBe(true);
    expect(written).toBe(true);
    await writing;
    expect(vi.getTimerCount()).toBe(0);
  });

  it('serialises writes in one direction while the other direction runs at the same time', async () => {
    vi.useFakeTimers();
    const link = await openLink({ baudRate: 115_200 });
    const toDevice = collect(link.device);
    const toHost = collect(link.host);
    // 1152 bytes are exactly 100 ms at 115200 baud.
    void link.host.write(pattern(1152, 1));
    void link.host.write(pattern(1152, 2));
    void link.device.write(pattern(1152, 3));

    await vi.advanceTimersByTimeAsync(99);
    expect([toDevice().length, toHost().length]).toEqual([0, 0]);
    await vi.advanceTimersByTimeAsync(1);
    expect([toDevice().length, toHost().length]).toEqual([1152, 1152]);
    await vi.advanceTimersByTimeAsync(99);
    expect(toDevice().length).toBe(1152);
    await vi.advanceTimersByTimeAsync(1);
    expect(toDevice().equals(Buffer.concat([pattern(1152, 1), pattern(1152, 2)]))).toBe(true);
  });

  it('splits a write into FIFO-sized chunks, each arriving when its last byte would, without drift', async () => {
    vi.useFakeTimers();
    const link = await openLink({ baudRate: 115_200, chunkSize: 16 });
    const arrivals: Array<[ms: number, bytes: number]> = [];
    const start = Date.now();
    link.device.on('data', (chunk) => arrivals.push([Date.now() - start, chunk.length]));
    void link.host.write(pattern(64, 1));
    for (let ms = 0; ms < 10; ms++) {
      expect(vi.getTimerCount()).toBeLessThanOrEqual(1);
      await vi.advanceTimersByTimeAsync(1);
    }
    // 16 bytes take 1.389 ms: the chunks are due at 1.39, 2.78, 4.17 and 5.56 ms.
    expect(arrivals).toEqual([
      [2, 16],
      [3, 16],
      [5, 16],
      [6, 16],
    ]);
  });

  it('splits deliveries into chunks without wire time too, on the next microtask', async () => {
    const link = await openLink({ chunkSize: 32 });
    const sizes: number[] = [];
    link.device.on('data', (chunk) => sizes.push(chunk.length));
    await link.host.write(pattern(100, 1));
    await new Promise((resolve) => setImmediate(resolve));
    expect(sizes).toEqual([32, 32, 32, 4]);
  });

  it('delivers a write asynchronously, and a copy of the bytes as they were when written', async () => {
    const link = await openLink();
    const received = collect(link.device);
    const bytes = Buffer.from('hello');
    const writing = link.host.write(bytes);
    bytes.fill(0);
    expect(received().length).toBe(0);
    await writing;
    await new Promise((resolve) => setImmediate(resolve));
    expect(received().toString()).toBe('hello');
  });

  it('drops bytes written while the peer is not open, like a UART with nobody listening', async () => {
    const link = createMemoryLink();
    const received = collect(link.device);
    await link.host.open();
    await link.host.write(Buffer.from('lost'));
    await link.device.open();
    await new Promise((resolve) => setImmediate(resolve));
    expect(received().length).toBe(0);
    await link.host.write(Buffer.from('heard'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(received().toString()).toBe('heard');
  });

  it('drops bytes in flight when the receiver closes, and rejects the writer’s own pending writes on its close', async () => {
    vi.useFakeTimers();
    const link = await openLink({ baudRate: 9600 });
    const received = collect(link.device);
    const dropped = link.host.write(pattern(100, 1));
    await vi.advanceTimersByTimeAsync(50);
    await link.device.close();
    await expect(dropped).resolves.toBeUndefined();
    await link.device.open();
    await vi.advanceTimersByTimeAsync(500);
    expect(received().length).toBe(0);

    const pending = link.host.write(pattern(100, 2));
    await link.host.close();
    await expect(pending).rejects.toMatchObject({ code: 'CLOSED' });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('rejects options that are not positive integers with INVALID_OPTIONS naming the option', () => {
    for (const [options, option] of [
      [{ baudRate: 0 }, 'baudRate'],
      [{ baudRate: 9600.5 }, 'baudRate'],
      [{ chunkSize: -1 }, 'chunkSize'],
      [{ chunkSize: Number.NaN }, 'chunkSize'],
    ] as const) {
      let error: unknown;
      try {
        createMemoryLink(options);
      } catch (e) {
        error = e;
      }
      expect(isXinyiError(error, 'INVALID_OPTIONS')).toBe(true);
      expect((error as { details: Record<string, unknown> }).details.option).toBe(option);
      expect((error as Error).message).toContain(option);
    }
  });
});

describe('createMemoryLink unplug and plugIn', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('closes both ends as disconnected, rejects pending writes, and refuses to open until plugged in', async () => {
    vi.useFakeTimers();
    const link = await openLink({ baudRate: 9600 });
    const closes: Array<[string, TransportCloseReason]> = [];
    link.host.on('close', (reason) => closes.push(['host', reason]));
    link.device.on('close', (reason) => closes.push(['device', reason]));
    const pending = link.host.write(pattern(100, 1));
    const devicePending = link.device.write(pattern(100, 2));

    link.unplug();
    link.unplug();
    expect(link.plugged).toBe(false);
    expect(closes.map(([end, reason]) => [end, reason.kind])).toEqual([
      ['host', 'disconnected'],
      ['device', 'disconnected'],
    ]);
    const [, reason] = closes[0]!;
    expect(reason.kind === 'disconnected' && reason.error.code).toBe('DEVICE_DISCONNECTED');
    await expect(pending).rejects.toMatchObject({ code: 'DEVICE_DISCONNECTED' });
    await expect(devicePending).rejects.toMatchObject({ code: 'DEVICE_DISCONNECTED' });
    await expect(link.host.write(Uint8Array.of(1))).rejects.toMatchObject({ code: 'DEVICE_DISCONNECTED' });
    await expect(link.host.open()).rejects.toMatchObject({ code: 'DEVICE_NOT_FOUND' });
    await expect(link.device.open()).rejects.toMatchObject({ code: 'DEVICE_NOT_FOUND' });
    expect(vi.getTimerCount()).toBe(0);

    link.plugIn();
    expect(link.plugged).toBe(true);
    expect(link.host.isOpen).toBe(false);
    await Promise.all([link.host.open(), link.device.open()]);
    const received = collect(link.host);
    const echo = link.device.write(Buffer.from('back'));
    await vi.advanceTimersByTimeAsync(5);
    await echo;
    expect(received().toString()).toBe('back');
    expect(closes).toHaveLength(2);
  });

  it('makes an open() in progress fail with DEVICE_NOT_FOUND when unplugged meanwhile', async () => {
    const link = createMemoryLink();
    const opening = link.host.open();
    link.unplug();
    await expect(opening).rejects.toMatchObject({ code: 'DEVICE_NOT_FOUND' });
    expect(link.host.isOpen).toBe(false);
  });

  it('keeps links independent of each other', async () => {
    const a = await openLink();
    const b = await openLink();
    const received = collect(b.device);
    a.unplug();
    await b.host.write(Buffer.from('b'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(received().toString()).toBe('b');
    expect(b.host.isOpen).toBe(true);
  });
});
