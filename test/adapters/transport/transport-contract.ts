import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Transport, TransportCloseReason } from '../../../adapters/transport/transport.js';
import { isXinyiError } from '../../../sdk/errors.js';

/** The other end of the link under test, driven by the suite. */
export interface ContractPeer {
  /** Sends bytes towards the host transport. */
  write(bytes: Uint8Array): Promise<void>;
  /** Every byte the peer has received from the host so far, in order. */
  received(): Buffer;
  /** Makes the device vanish (pull the cable, kill socat, stop the server) and keeps it gone. */
  disconnect(): Promise<void>;
}

export interface ContractFixture {
  /** A closed transport to the peer. */
  host: Transport;
  peer: ContractPeer;
  /** Releases everything the setup created; called after the host was closed. */
  cleanup(): Promise<void>;
}

export interface ContractOptions {
  /** Skips the whole suite; the reason is shown in its name. */
  skip?: string | false;
  /**
   * The peer is a loopback plug on the host's own port: `received()` is what the host reads back, and
   * it can neither write on its own nor vanish. Cases that need those are skipped with this reason.
   */
  loopback?: string | false;
}

const PATTERN_BYTES = 64 * 1024;
const WAIT_MS = 10_000;

/**
 * The behaviour every `Transport` promises (see transport.ts), run against one implementation.
 * A fresh fixture is set up for every case.
 */
export function describeTransportContract(
  name: string,
  setup: () => Promise<ContractFixture>,
  options: ContractOptions = {},
): void {
  const title = options.skip
    ? `${name}: transport contract (skipped: ${options.skip})`
    : `${name}: transport contract`;
  const loopback = options.loopback || undefined;
  const needsPeer = loopback ? it.skip : it;
  const peerCase = (caseName: string) => (loopback ? `${caseName} (skipped: ${loopback})` : caseName);

  describe.skipIf(Boolean(options.skip))(title, () => {
    let fixture: ContractFixture | undefined;
    let host: Transport;
    let peer: ContractPeer;

    beforeEach(async () => {
      fixture = await setup();
      host = fixture.host;
      peer = fixture.peer;
    });

    afterEach(async () => {
      if (!fixture) return;
      await fixture.host.close().catch(() => {});
      await fixture.cleanup();
      fixture = undefined;
    });

    it('opens, reports isOpen, and closes once with a requested close event however often close() is called', async () => {
      const reasons = recordCloses(host);
      expect(host.isOpen).toBe(false);
      await host.close();
      expect(reasons).toEqual([]);

      await host.open();
      expect(host.isOpen).toBe(true);
      await Promise.all([host.close(), host.close()]);
      await host.close();
      expect(host.isOpen).toBe(false);
      expect(reasons).toEqual([{ kind: 'requested' }]);
      expect(typeof host.description).toBe('string');
      expect(host.description).not.toBe('');
    });

    it('rejects a second open() with INVALID_ARGUMENT, whether open or still opening', async () => {
      const [first, second] = await Promise.allSettled([host.open(), host.open()]);
      expect(first.status).toBe('fulfilled');
      expect(second.status === 'rejected' && codeOf(second.reason)).toBe('INVALID_ARGUMENT');
      await expect(host.open()).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      expect(host.isOpen).toBe(true);
    });

    it('rejects write() with CLOSED before open and after close', async () => {
      await expect(host.write(Uint8Array.of(1))).rejects.toMatchObject({ code: 'CLOSED' });
      await host.open();
      await host.close();
      const error = await host.write(Uint8Array.of(1)).catch((e: unknown) => e);
      expect(isXinyiError(error, 'CLOSED')).toBe(true);
    });

    it('rejects write() of something that is not bytes with INVALID_ARGUMENT', async () => {
      await host.open();
      await expect(host.write('hello' as unknown as Uint8Array)).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      });
    });

    it('carries one 64 KiB write from host to peer intact and in order', async () => {
      await host.open();
      const bytes = pattern(PATTERN_BYTES, 1);
      await host.write(bytes);
      await waitFor(() => peer.received().length >= bytes.length, 'the peer to receive 64 KiB');
      expectSameBytes(peer.received(), bytes);
    });

    needsPeer(peerCase('carries one 64 KiB write from peer to host intact and in order'), async () => {
      const received = collect(host);
      await host.open();
      const bytes = pattern(PATTERN_BYTES, 2);
      await peer.write(bytes);
      await waitFor(() => received().length >= bytes.length, 'the host to receive 64 KiB');
      expectSameBytes(received(), bytes);
    });

    it('keeps the order of many concurrent writes of uneven sizes', async () => {
      await host.open();
      const bytes = pattern(PATTERN_BYTES, 8);
      await Promise.all(pieces(bytes).map((piece) => host.write(piece)));
      await waitFor(() => peer.received().length >= bytes.length, 'the peer to receive 64 KiB');
      expectSameBytes(peer.received(), bytes);
    });

    needsPeer(
      peerCase('carries 64 KiB both ways at once, in concurrent writes of uneven sizes'),
      async () => {
        const received = collect(host);
        await host.open();
        const outbound = pattern(PATTERN_BYTES, 3);
        const inbound = pattern(PATTERN_BYTES, 4);
        await Promise.all([
          ...pieces(outbound).map((piece) => host.write(piece)),
          ...pieces(inbound).map((piece) => peer.write(piece)),
        ]);
        await waitFor(
          () => received().length >= inbound.length && peer.received().length >= outbound.length,
          'both sides to receive 64 KiB',
        );
        expectSameBytes(received(), inbound);
        expectSameBytes(peer.received(), outbound);
      },
    );

    it('opens again after close and carries bytes again', async () => {
      const received = collect(host);
      await host.open();
      await host.write(Buffer.from('first'));
      await waitFor(() => peer.received().includes('first'), 'the first message');
      await host.close();

      await host.open();
      expect(host.isOpen).toBe(true);
      await host.write(Buffer.from('second'));
      await waitFor(() => peer.received().includes('second'), 'the second message');
      if (!loopback) {
        await peer.write(Buffer.from('reply'));
        await waitFor(() => received().includes('reply'), 'the reply');
      }
    });

    it('emits no data event once close has been emitted', async () => {
      let closed = false;
      let dataAfterClose = 0;
      let firstData: () => void = () => {};
      const arrived = new Promise<void>((resolve) => {
        firstData = resolve;
      });
      host.on('data', () => {
        if (closed) dataAfterClose++;
        firstData();
      });
      host.on('close', () => {
        closed = true;
      });
      await host.open();
      const source = loopback ? host : peer;
      // Not awaited: with nobody reading any more, a flow-controlled peer may never finish this write.
      source.write(pattern(PATTERN_BYTES, 5)).catch(() => {});
      await withTimeout(arrived, 'the first data event');
      await host.close();
      if (!loopback) void peer.write(pattern(1024, 6)).catch(() => {});
      await sleep(100);
      expect(closed).toBe(true);
      expect(dataAfterClose).toBe(0);
    });

    needsPeer(
      peerCase('reports the peer vanishing as a disconnected close, and rejects later writes'),
      async () => {
        const reasons = recordCloses(host);
        await host.open();
        const closing = nextClose(host);
        await peer.disconnect();
        const reason = await withTimeout(closing, 'the close event');
        expect(reason.kind).toBe('disconnected');
        expect(reason.kind === 'disconnected' && isXinyiError(reason.error, 'DEVICE_DISCONNECTED')).toBe(
          true,
        );
        expect(host.isOpen).toBe(false);
        await expect(host.write(Uint8Array.of(1))).rejects.toMatchObject({ code: 'DEVICE_DISCONNECTED' });
        await host.close();
        expect(reasons).toHaveLength(1);
      },
    );

    needsPeer(peerCase('rejects open() with DEVICE_NOT_FOUND while the device is missing'), async () => {
      await host.open();
      const closing = nextClose(host);
      await peer.disconnect();
      await withTimeout(closing, 'the close event');
      const error = await host.open().catch((e: unknown) => e);
      expect(isXinyiError(error, 'DEVICE_NOT_FOUND')).toBe(true);
      expect(host.isOpen).toBe(false);
      await expect(host.write(Uint8Array.of(1))).rejects.toMatchObject({ code: 'CLOSED' });
    });
  });
}

/** Bytes whose value depends on both the offset and the 256-byte block, so reordering shows. */
export function pattern(length: number, seed: number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 31 + (i >>> 8) * 7 + seed * 13) & 0xff;
  return bytes;
}

/** Splits bytes into writes of uneven sizes, from one byte to 16 KiB. */
function pieces(bytes: Buffer): Buffer[] {
  const sizes = [1, 7, 300, 4096, 16_384, 2, 1500];
  const out: Buffer[] = [];
  for (let offset = 0, i = 0; offset < bytes.length; i++) {
    const size = sizes[i % sizes.length]!;
    out.push(bytes.subarray(offset, offset + size));
    offset += size;
  }
  return out;
}

function expectSameBytes(actual: Buffer, expected: Buffer): void {
  expect(actual.length).toBe(expected.length);
  let firstDifference = -1;
  for (let i = 0; i < expected.length; i++) {
    if (actual[i] !== expected[i]) {
      firstDifference = i;
      break;
    }
  }
  expect(firstDifference, 'offset of the first differing byte').toBe(-1);
}

function collect(transport: Transport): () => Buffer {
  const chunks: Buffer[] = [];
  transport.on('data', (chunk) => chunks.push(chunk));
  return () => Buffer.concat(chunks);
}

function recordCloses(transport: Transport): TransportCloseReason[] {
  const reasons: TransportCloseReason[] = [];
  transport.on('close', (reason) => reasons.push(reason));
  return reasons;
}

function nextClose(transport: Transport): Promise<TransportCloseReason> {
  return new Promise((resolve) => transport.once('close', resolve));
}

function codeOf(error: unknown): unknown {
  return (error as { code?: unknown } | null)?.code;
}

async function waitFor(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${WAIT_MS} ms waiting for ${what}`);
    await sleep(5);
  }
}

async function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${WAIT_MS} ms waiting for ${what}`)), WAIT_MS);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
