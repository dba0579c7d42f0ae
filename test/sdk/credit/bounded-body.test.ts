import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import {
  clearSpool,
  DEFAULT_RESPONSE_BYTE_LIMITS,
  readBoundedBody,
  responseByteLimits,
  SPOOL_ABOVE_BYTES,
} from '../../../sdk/credit/bounded-body.js';
import { isXinyiError } from '../../../sdk/errors.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function spoolDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'xinyi-spool-test-'));
  dirs.push(dir);
  return dir;
}

/** A stream of `bytes` in chunks of `chunk` bytes, counting how much of it was pulled. */
function source(bytes: Buffer, chunk = 64 * 1024) {
  const pulled = { bytes: 0, destroyed: false };
  let at = 0;
  const stream = new Readable({
    read() {
      if (at >= bytes.length) return this.push(null);
      const piece = bytes.subarray(at, at + chunk);
      at += piece.length;
      pulled.bytes = at;
      this.push(piece);
    },
    destroy(error, done) {
      pulled.destroyed = true;
      done(error);
    },
  });
  return { stream, pulled };
}

async function refusal(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isXinyiError(error, 'PLATFORM_RESPONSE_TOO_LARGE'))
    throw new Error(`expected TOO_LARGE, got ${String(error)}`);
  return error;
}

describe('readBoundedBody', () => {
  it('returns a body within its limit byte for byte, split at every chunk size', async () => {
    const body = randomBytes(10_000);
    for (const chunk of [1, 7, 4096, 10_000]) {
      const { stream } = source(body, chunk);
      expect(Buffer.compare(await readBoundedBody(stream, { limitBytes: 10_000, kind: 'test' }), body)).toBe(
        0,
      );
    }
  });

  it('refuses a declared Content-Length above the limit without reading a byte', async () => {
    const { stream, pulled } = source(Buffer.alloc(1_000_000));
    const error = await refusal(
      readBoundedBody(stream, { limitBytes: 1000, kind: 'trustList', contentLength: '1000000' }),
    );
    expect(error.details).toEqual({ kind: 'trustList', limitBytes: 1000, how: 'declared' });
    expect(pulled.bytes).toBe(0);
    expect(pulled.destroyed).toBe(true);
  });

  it('does not trust a small declared length: cuts the stream off as soon as the limit is passed', async () => {
    const { stream, pulled } = source(Buffer.alloc(100 * 1024 * 1024), 64 * 1024);
    const error = await refusal(
      readBoundedBody(stream, { limitBytes: 1024 * 1024, kind: 'statusList', contentLength: '10' }),
    );
    expect(error.details).toMatchObject({ how: 'streamed', limitBytes: 1024 * 1024 });
    expect(pulled.bytes).toBeLessThanOrEqual(1024 * 1024 + 64 * 1024);
    expect(pulled.destroyed).toBe(true);
  });

  it('spools a large body to a file while it streams in, returns it whole, and removes the file', async () => {
    const dir = spoolDir();
    const body = randomBytes(3 * SPOOL_ABOVE_BYTES + 12_345);
    const { stream } = source(body, 50_000);
    const read = await readBoundedBody(stream, {
      limitBytes: 16 * 1024 * 1024,
      kind: 'snapshot',
      spoolDir: dir,
    });
    expect(Buffer.compare(read, body)).toBe(0);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a spooled body over its limit is refused and leaves no file', async () => {
    const dir = spoolDir();
    const { stream } = source(Buffer.alloc(8 * 1024 * 1024), 64 * 1024);
    await refusal(readBoundedBody(stream, { limitBytes: 4 * 1024 * 1024, kind: 'snapshot', spoolDir: dir }));
    expect(readdirSync(dir)).toEqual([]);
  });

  it('without a usable spool folder the body is still read, in memory, under its limit', async () => {
    const body = randomBytes(2 * SPOOL_ABOVE_BYTES);
    const { stream } = source(body);
    // A folder under a regular file cannot be created (ENOTDIR).
    const file = join(spoolDir(), 'a-file');
    writeFileSync(file, '');
    const read = await readBoundedBody(stream, {
      limitBytes: 4 * SPOOL_ABOVE_BYTES,
      kind: 'snapshot',
      spoolDir: join(file, 'spool'),
    });
    expect(Buffer.compare(read, body)).toBe(0);
  });

  it('an abort destroys the stream and rejects', async () => {
    const controller = new AbortController();
    const stream = new Readable({ read() {} });
    const reading = readBoundedBody(stream, { limitBytes: 100, kind: 'lookup', signal: controller.signal });
    stream.push(Buffer.from('{"a'));
    controller.abort();
    await expect(reading).rejects.toThrow(/aborted/);
    expect(stream.destroyed).toBe(true);
  });
});

describe('responseByteLimits', () => {
  it('documented defaults; overrides merge; bad ones are refused naming the kind', () => {
    expect(DEFAULT_RESPONSE_BYTE_LIMITS).toEqual({
      lookup: 65_536,
      upload: 65_536,
      trustList: 1_048_576,
      statusList: 4_194_304,
      snapshot: 16_777_216,
      delta: 16_777_216,
      calendar: 262_144,
      policyPack: 1_048_576,
      document: 1_048_576,
    });
    expect(responseByteLimits({ snapshot: 33_554_432 }, 'here').snapshot).toBe(33_554_432);
    expect(() => responseByteLimits({ lookup: 1.5 }, 'here')).toThrow(/maxResponseBytes.lookup/);
    expect(() => responseByteLimits({ pack: 1 } as never, 'here')).toThrow(/maxResponseBytes.pack/);
  });
});

describe('clearSpool', () => {
  it('removes the spool files a killed process left, and nothing else', async () => {
    const dir = spoolDir();
    const left = ['xinyi-download-0123456789abcdef.part', 'xinyi-download-fedcba9876543210.part'];
    const kept = [
      'snapshot.sqlite',
      'xinyi-download-notmine.part',
      'xinyi-download-0123456789abcdef.part.bak',
    ];
    for (const name of [...left, ...kept]) writeFileSync(join(dir, name), 'x');
    expect(await clearSpool(dir)).toBe(2);
    expect(readdirSync(dir).sort()).toEqual([...kept].sort());
    expect(await clearSpool(join(dir, 'missing'))).toBe(0);
  });
});
