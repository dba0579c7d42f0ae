import { randomBytes } from 'node:crypto';
import { type FileHandle, mkdir, open, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { CALENDAR_DOCUMENT_MAX_BYTES } from '../calendar/calendar-document.js';
import { XinyiError } from '../errors.js';
import { POLICY_DOCUMENT_MAX_BYTES } from '../policy/policy-document.js';

/**
 * Byte limits of what the platform sends back, per kind of answer (docs/platform-api.md, "Byte
 * limits"). Every body the platform client reads goes through one reader (`readBoundedBody`) with
 * one of them; a download kind this table does not name (a document added later) gets `document`.
 */
export interface ResponseByteLimits {
  /** A lookup answer: a few hundred bytes. @default 65536 (64 KiB) */
  lookup: number;
  /** The answer to an upload (`{ accepted, duplicate }`) and error bodies. @default 65536 (64 KiB) */
  upload: number;
  /** The signed trust list: about 300 bytes per key. @default 1048576 (1 MiB, ~3,000 keys) */
  trustList: number;
  /**
   * The signed status list. The largest list the format allows (2^24 indexes) is a 2 MiB bitstring,
   * about 2.8 MiB in base64 when it does not compress. @default 4194304 (4 MiB)
   */
  statusList: number;
  /**
   * A full snapshot: 24 bytes per subject. @default 16777216 (16 MiB, ~700,000 subjects). A larger
   * city raises it, and a hostile body then costs more memory while it streams in: the socket's read
   * buffers of every byte received before the cut-off are garbage V8 collects late (measured
   * through the gate daemon, peak RSS: +33–35 MB at 16 MiB, +35–46 MB at 24 MiB, +40–42 MB at
   * 32 MiB; docs/platform-api.md, "Byte limits").
   */
  snapshot: number;
  /** A snapshot delta. @default 16777216 (16 MiB) */
  delta: number;
  /** The signed holiday-calendar document. @default CALENDAR_DOCUMENT_MAX_BYTES (256 KiB) */
  calendar: number;
  /** The signed policy-pack document. @default POLICY_DOCUMENT_MAX_BYTES (1 MiB) */
  policyPack: number;
  /** Any other signed document. @default 1048576 (1 MiB) */
  document: number;
}

export type ResponseKind = keyof ResponseByteLimits;

export const DEFAULT_RESPONSE_BYTE_LIMITS: Readonly<ResponseByteLimits> = Object.freeze({
  lookup: 64 * 1024,
  upload: 64 * 1024,
  trustList: 1024 * 1024,
  statusList: 4 * 1024 * 1024,
  snapshot: 16 * 1024 * 1024,
  delta: 16 * 1024 * 1024,
  calendar: CALENDAR_DOCUMENT_MAX_BYTES,
  policyPack: POLICY_DOCUMENT_MAX_BYTES,
  document: 1024 * 1024,
});

export const RESPONSE_KINDS = Object.keys(DEFAULT_RESPONSE_BYTE_LIMITS) as ResponseKind[];

/** Merges overrides into the defaults; throws `INVALID_OPTIONS` naming a bad one. */
export function responseByteLimits(
  overrides: Partial<ResponseByteLimits> | undefined,
  where: string,
): Readonly<ResponseByteLimits> {
  if (overrides === undefined) return DEFAULT_RESPONSE_BYTE_LIMITS;
  if (overrides === null || typeof overrides !== 'object') {
    throw new XinyiError('INVALID_OPTIONS', `${where}: maxResponseBytes must be an object`);
  }
  const limits = { ...DEFAULT_RESPONSE_BYTE_LIMITS };
  for (const [kind, value] of Object.entries(overrides)) {
    if (!RESPONSE_KINDS.includes(kind as ResponseKind)) {
      throw new XinyiError('INVALID_OPTIONS', `${where}: maxResponseBytes.${kind} is not a response kind`);
    }
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new XinyiError(
        'INVALID_OPTIONS',
        `${where}: maxResponseBytes.${kind} must be a positive whole number of bytes`,
      );
    }
    limits[kind as ResponseKind] = value;
  }
  return Object.freeze(limits);
}

function tooLarge(kind: string, limitBytes: number, how: 'declared' | 'streamed'): XinyiError {
  return new XinyiError(
    'PLATFORM_RESPONSE_TOO_LARGE',
    `platform ${kind} answer is larger than its limit of ${limitBytes} bytes (${how})`,
    { details: { kind, limitBytes, how } },
  );
}

/**
 * Bodies past this many bytes are spooled to a file while they stream in, so that memory holds at
 * most this much of a body that may yet prove too large (held in memory, a 32 MiB body cost about
 * 55 MB of RSS: the chunks held, and the garbage of the socket's read buffers).
 */
export const SPOOL_ABOVE_BYTES = 1024 * 1024;

export interface ReadBoundedBodyOptions {
  limitBytes: number;
  /** For the error: which limit (`trustList`, `lookup`, …). */
  kind: string;
  /** The response's `Content-Length`, if any: a larger declared length is refused before reading. */
  contentLength?: unknown;
  /** Aborts the read (the stream is destroyed and the read rejects). */
  signal?: AbortSignal;
  /** Destroyed with the stream when the body is refused, so no byte more is received. */
  request?: { destroy(error?: Error): unknown };
  /**
   * Where a body larger than {@link SPOOL_ABOVE_BYTES} is spooled (a file created there with mode
   * 0600 and removed before the read settles). Without it, or when the file cannot be created,
   * the body is held in memory, still under its limit.
   */
  spoolDir?: string;
}

/**
 * Reads a response body, at most `limitBytes` of it. A declared `Content-Length` above the limit is
 * refused before a byte is read; the declared length is not trusted otherwise, and the stream is
 * destroyed as soon as the bytes received pass the limit. Memory held while the body streams in is
 * at most {@link SPOOL_ABOVE_BYTES} plus a chunk when `spoolDir` is given (the rest is on disk until
 * the body has proved to be within its limit), at most `limitBytes` plus a chunk otherwise.
 * Rejects with `PLATFORM_RESPONSE_TOO_LARGE`, or with the stream's own error (a reset, an abort).
 */
export async function readBoundedBody(stream: Readable, options: ReadBoundedBodyOptions): Promise<Buffer> {
  const { limitBytes, kind } = options;
  const stop = (error?: Error) => {
    stream.destroy(error);
    options.request?.destroy(error);
  };
  const declared =
    typeof options.contentLength === 'string' && /^\d+$/.test(options.contentLength)
      ? Number(options.contentLength)
      : undefined;
  if (declared !== undefined && declared > limitBytes) {
    stop();
    throw tooLarge(kind, limitBytes, 'declared');
  }
  const onAbort = () => stop(new Error('aborted'));
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  let chunks: Buffer[] = [];
  let held = 0;
  let received = 0;
  let spool: { handle: FileHandle; path: string } | undefined;
  let spoolFailed = options.spoolDir === undefined;
  try {
    for await (const chunk of stream) {
      const bytes: Buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      received += bytes.length;
      if (received > limitBytes) {
        chunks = [];
        stop();
        throw tooLarge(kind, limitBytes, 'streamed');
      }
      chunks.push(bytes);
      held += bytes.length;
      if (held > SPOOL_ABOVE_BYTES && !spoolFailed) {
        spool ??= await openSpool(options.spoolDir!).catch(() => undefined);
        if (spool === undefined) {
          spoolFailed = true;
          continue;
        }
        await spool.handle.writev(chunks);
        chunks = [];
        held = 0;
      }
    }
    if (spool === undefined) return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received);
    if (chunks.length > 0) await spool.handle.writev(chunks);
    chunks = [];
    const body = Buffer.allocUnsafe(received);
    const { bytesRead } = await spool.handle.read(body, 0, received, 0);
    return body.subarray(0, bytesRead);
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    if (spool !== undefined) {
      await spool.handle.close().catch(() => {});
      await rm(spool.path, { force: true }).catch(() => {});
    }
  }
}

const SPOOL_FILE = /^xinyi-download-[0-9a-f]{16}\.part$/;

/**
 * Removes the spool files a process killed mid-download left in `dir` (each up to its byte limit):
 * call it at start, before any download of this process spools there. Other files are left alone.
 */
export async function clearSpool(dir: string): Promise<number> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const stale = names.filter((name) => SPOOL_FILE.test(name));
  await Promise.all(stale.map((name) => rm(join(dir, name), { force: true }).catch(() => {})));
  return stale.length;
}

async function openSpool(dir: string): Promise<{ handle: FileHandle; path: string }> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, `xinyi-download-${randomBytes(8).toString('hex')}.part`);
  return { handle: await open(path, 'wx+', 0o600), path };
}
