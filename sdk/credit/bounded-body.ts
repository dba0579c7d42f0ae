import type { Readable } from 'node:stream';
import { CALENDAR_DOCUMENT_MAX_BYTES } from '../calendar/calendar-document.js';
import { XinyiError } from '../errors.js';
import { POLICY_DOCUMENT_MAX_BYTES } from '../policy/policy-document.js';

/**
 * Byte limits of what the platform sends back, per kind of answer (docs/platform-api.md, "Byte
 * limits"). Every body the platform client reads goes through {@link readBoundedBody} with one of
 * them; a download kind this table does not name (a document added later) gets `document`.
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
   * A full snapshot: 24 bytes per subject. @default 33554432 (32 MiB, ~1.39 million subjects); a
   * larger city raises it, and a hostile body then costs up to this much memory while it streams in.
   */
  snapshot: number;
  /** A snapshot delta. @default 33554432 (32 MiB) */
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
  snapshot: 32 * 1024 * 1024,
  delta: 32 * 1024 * 1024,
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
}

/**
 * Reads a response body, at most `limitBytes` of it. A declared `Content-Length` above the limit is
 * refused before a byte is read; the declared length is not trusted otherwise, and the stream is
 * destroyed as soon as the bytes received pass the limit. Memory held is therefore bounded by the
 * limit plus one chunk, whatever the sender does. Rejects with `PLATFORM_RESPONSE_TOO_LARGE`, or with
 * the stream's own error (a reset, an abort).
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
  const chunks: Buffer[] = [];
  let received = 0;
  try {
    for await (const chunk of stream) {
      const bytes: Buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      received += bytes.length;
      if (received > limitBytes) {
        chunks.length = 0;
        stop();
        throw tooLarge(kind, limitBytes, 'streamed');
      }
      chunks.push(bytes);
    }
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received);
}
