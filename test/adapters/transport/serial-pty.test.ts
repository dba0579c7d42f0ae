import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadNativeModule } from '../../../adapters/native.js';
import { listSerialPorts, SerialTransport } from '../../../adapters/transport/serial-transport.js';
import type { Transport, TransportCloseReason } from '../../../adapters/transport/transport.js';
import { isXinyiError } from '../../../sdk/errors.js';
import { createPtyPair, isSocatAvailable, type PtyPair } from '../../../simulator/pty.js';
import { ptyRigMissing } from '../../support/pty-rig.js';
import { until } from '../../support/until.js';
import { describeTransportContract, pattern } from './transport-contract.js';

const hasSerialport = await loadNativeModule('serialport').then(
  () => true,
  () => false,
);
const ptyUnavailable = await ptyRigMissing();
const requirePty = process.env.XINYI_REQUIRE_SOCAT === '1';
const loopbackPort = process.env.XINYI_SERIAL_LOOPBACK_PORT;

function collect(transport: Transport): () => Buffer {
  const chunks: Buffer[] = [];
  transport.on('data', (chunk) => chunks.push(chunk));
  return () => Buffer.concat(chunks);
}

function nextClose(transport: Transport): Promise<TransportCloseReason> {
  return new Promise((resolve) => transport.once('close', resolve));
}

if (ptyUnavailable && requirePty) {
  describe('SerialTransport over a socat PTY pair', () => {
    it('has socat and serialport installed (XINYI_REQUIRE_SOCAT=1)', () => {
      throw new Error(`XINYI_REQUIRE_SOCAT=1 but ${ptyUnavailable}`);
    });
  });
} else {
  describeTransportContract(
    'SerialTransport over a socat PTY pair',
    async () => {
      const pair = await createPtyPair();
      const device = new SerialTransport({ path: pair.devicePath });
      const received = collect(device);
      await device.open();
      return {
        host: new SerialTransport({ path: pair.hostPath }),
        peer: {
          write: (bytes: Uint8Array) => device.write(bytes),
          received,
          disconnect: () => pair.close(),
        },
        cleanup: async () => {
          await device.close();
          await pair.close();
        },
      };
    },
    { skip: ptyUnavailable ?? false },
  );
}

describeTransportContract(
  `SerialTransport on ${loopbackPort ?? 'a real port'} with a loopback plug`,
  async () => {
    const host = new SerialTransport({ path: loopbackPort! });
    const echoed = collect(host);
    const cannot = (what: string) => () => Promise.reject(new Error(`a loopback plug cannot ${what}`));
    return {
      host,
      peer: { write: cannot('write on its own'), received: echoed, disconnect: cannot('be unplugged here') },
      cleanup: async () => {},
    };
  },
  {
    skip: loopbackPort ? false : 'set XINYI_SERIAL_LOOPBACK_PORT to a port with a TX-RX loopback plug',
    loopback: 'a loopback plug only echoes the host, and cannot be unplugged by a test',
  },
);

describe('SerialTransport options', () => {
  it('defaults to 115200 8N1 and describes itself by path and framing', () => {
    expect(new SerialTransport({ path: '/dev/ttyUSB0' }).description).toBe('serial:/dev/ttyUSB0@115200');
    expect(
      new SerialTransport({ path: '/dev/ttyS1', baudRate: 9600, dataBits: 7, parity: 'even', stopBits: 2 })
        .description,
    ).toBe('serial:/dev/ttyS1@9600,7E2');
  });

  it('rejects unusable options with INVALID_OPTIONS naming the option', () => {
    for (const [options, option] of [
      [{ path: '' }, 'path'],
      [{ path: '/dev/ttyS0', baudRate: 0 }, 'baudRate'],
      [{ path: '/dev/ttyS0', baudRate: 115_200.5 }, 'baudRate'],
      [{ path: '/dev/ttyS0', dataBits: 9 }, 'dataBits'],
      [{ path: '/dev/ttyS0', stopBits: 3 }, 'stopBits'],
      [{ path: '/dev/ttyS0', parity: 'sometimes' }, 'parity'],
    ] as const) {
      let error: unknown;
      try {
        new SerialTransport(options as never);
      } catch (e) {
        error = e;
      }
      expect(isXinyiError(error, 'INVALID_OPTIONS')).toBe(true);
      expect((error as { details: Record<string, unknown> }).details.option).toBe(option);
      expect((error as Error).message).toContain(option);
    }
  });
});

describe('createPtyPair without socat', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('rejects with SYSTEM_PROGRAM_UNAVAILABLE saying how to install socat', async () => {
    vi.stubEnv('PATH', '/xinyi-no-such-dir');
    expect(isSocatAvailable()).toBe(false);
    await expect(createPtyPair()).rejects.toMatchObject({
      code: 'SYSTEM_PROGRAM_UNAVAILABLE',
      details: { program: 'socat' },
      message: 'socat not found: apt-get install socat',
    });
  });
});

describe.skipIf(!hasSerialport)(
  `SerialTransport through serialport${hasSerialport ? '' : ' (skipped: serialport is not installed)'}`,
  () => {
    it('rejects open() on a missing port with DEVICE_NOT_FOUND, the path, the errno, the system’s words and the cause', async () => {
      const port = new SerialTransport({ path: '/dev/xinyi-no-such-port' });
      const error = await port.open().catch((e: unknown) => e);
      expect(isXinyiError(error, 'DEVICE_NOT_FOUND')).toBe(true);
      expect((error as { details: Record<string, unknown> }).details).toEqual({
        path: '/dev/xinyi-no-such-port',
        reason: 'ENOENT',
        osMessage: 'No such file or directory, cannot open /dev/xinyi-no-such-port',
      });
      expect((error as Error).message).toMatch(
        /^cannot open serial port \/dev\/xinyi-no-such-port: it does not exist \(ENOENT: No such file or directory, cannot open \/dev\/xinyi-no-such-port\); check the path/,
      );
      expect((error as Error).cause).toBeInstanceOf(Error);
      expect(port.isOpen).toBe(false);
    });

    it('lists serial ports, or says what listing needs', async () => {
      const result = await listSerialPorts().catch((e: unknown) => e);
      if (Array.isArray(result)) {
        for (const info of result) expect(typeof info.path).toBe('string');
      } else {
        expect(['NATIVE_MODULE_UNAVAILABLE', 'SYSTEM_PROGRAM_UNAVAILABLE']).toContain(
          (result as { code?: unknown }).code,
        );
        expect((result as Error).message).not.toBe('');
      }
    });

    it('without udevadm, listing says which program to install (SYSTEM_PROGRAM_UNAVAILABLE)', async () => {
      vi.stubEnv('PATH', '/xinyi-no-such-dir');
      try {
        await expect(listSerialPorts()).rejects.toMatchObject({
          code: 'SYSTEM_PROGRAM_UNAVAILABLE',
          message: 'listing serial ports needs udevadm: apt-get install udev',
          details: { program: 'udevadm' },
        });
      } finally {
        vi.unstubAllEnvs();
      }
    });
  },
);

describe.skipIf(Boolean(ptyUnavailable))(
  `SerialTransport and createPtyPair${ptyUnavailable ? ` (skipped: ${ptyUnavailable})` : ''}`,
  () => {
    const cleanups: Array<() => Promise<unknown>> = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    async function ptyPair(): Promise<PtyPair> {
      const pair = await createPtyPair();
      cleanups.push(() => pair.close());
      return pair;
    }

    it('creates both links, and close() kills socat, removes them and is idempotent', async () => {
      const pair = await ptyPair();
      expect(existsSync(pair.hostPath)).toBe(true);
      expect(existsSync(pair.devicePath)).toBe(true);
      await Promise.all([pair.close(), pair.close()]);
      expect(existsSync(pair.hostPath)).toBe(false);
      expect(existsSync(pair.devicePath)).toBe(false);
    });

    it('reports socat failing to start as DEVICE_NOT_FOUND with socat’s own words', async () => {
      const error = await createPtyPair({ dir: '/xinyi-no-such-dir' }).catch((e: unknown) => e);
      expect(isXinyiError(error, 'DEVICE_NOT_FOUND')).toBe(true);
      expect((error as Error).message).toMatch(
        /^socat exited \(code \d+\) before the PTY pair was ready: .+/,
      );
    });

    it('refuses to open a port another transport holds: DEVICE_BUSY with the path and the lock failure', async () => {
      const pair = await ptyPair();
      const first = new SerialTransport({ path: pair.hostPath });
      cleanups.push(() => first.close());
      await first.open();
      const error = await new SerialTransport({ path: pair.hostPath }).open().catch((e: unknown) => e);
      expect(isXinyiError(error, 'DEVICE_BUSY')).toBe(true);
      expect((error as { details: Record<string, unknown> }).details).toMatchObject({
        path: pair.hostPath,
        reason: 'EBUSY',
        osMessage: expect.stringMatching(/Cannot lock port/),
      });
      expect((error as Error).message).toContain(
        `cannot open serial port ${pair.hostPath}: another process holds it`,
      );
    });

    it('finishes single 64 KiB writes while the same port is reading (serialport poller workaround)', async () => {
      const pair = await ptyPair();
      const host = new SerialTransport({ path: pair.hostPath });
      const device = new SerialTransport({ path: pair.devicePath });
      cleanups.push(
        () => host.close(),
        () => device.close(),
      );
      const atHost = collect(host);
      const atDevice = collect(device);
      await Promise.all([host.open(), device.open()]);
      const bytes = pattern(64 * 1024, 7);
      for (let round = 1; round <= 4; round++) {
        await host.write(bytes);
        await device.write(bytes);
        await until(
          () => atHost().length >= round * bytes.length && atDevice().length >= round * bytes.length,
          'the bytes',
        );
      }
      expect(atHost().equals(Buffer.concat([bytes, bytes, bytes, bytes]))).toBe(true);
      expect(atDevice().equals(Buffer.concat([bytes, bytes, bytes, bytes]))).toBe(true);
    });

    it('rejects a write still pending when the PTY vanishes with DEVICE_DISCONNECTED', async () => {
      const pair = await ptyPair();
      // Nobody opens the device end, so the PTY buffers fill and a large write cannot finish.
      const host = new SerialTransport({ path: pair.hostPath });
      cleanups.push(() => host.close());
      await host.open();
      let settled = false;
      const writing = host.write(pattern(1024 * 1024, 1)).finally(() => {
        settled = true;
      });
      writing.catch(() => {});
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(settled).toBe(false);

      const closing = nextClose(host);
      await pair.close();
      await expect(writing).rejects.toMatchObject({ code: 'DEVICE_DISCONNECTED' });
      const reason = await closing;
      expect(reason.kind).toBe('disconnected');
      // serialport reports the vanished PTY as libuv's "bad file descriptor" from its poller, not EIO.
      expect(reason.kind === 'disconnected' && reason.error.cause).toBeInstanceOf(Error);
    });
  },
);
