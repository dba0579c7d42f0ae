import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Header names of a signed platform request (docs/platform-api.md, "Request signing"). */
export const SIGNATURE_HEADERS = {
  keyId: 'x-xinyi-key-id',
  timestamp: 'x-xinyi-timestamp',
  nonce: 'x-xinyi-nonce',
  signature: 'x-xinyi-signature',
} as const;

/** How far a request's timestamp may be from the server's clock, either way. */
export const DEFAULT_SIGNATURE_WINDOW_MS = 300_000;

export interface SignRequestInput {
  /** Upper-cased before signing. */
  method: string;
  /** Path and query exactly as sent on the request line (`/v1/snapshots/delta?since=…`). */
  path: string;
  /** The exact body bytes sent; empty for a GET. */
  body?: string | Uint8Array;
  keyId: string;
  /** The shared secret for `keyId` (UTF-8 string or bytes). */
  secret: string | Uint8Array;
  /** Epoch milliseconds; sent as whole seconds. */
  nowMs: number;
  /** @default 16 random bytes, base64url */
  nonce?: string;
  /**
   * The other headers the request will carry. Every `X-Xinyi-*` header and `Idempotency-Key` among
   * them is covered by the signature (names are case-insensitive); the rest are ignored.
   */
  headers?: Readonly<Record<string, string>>;
}

/** The four headers to add to the request (lower-case names). */
export type SignatureHeaders = Record<(typeof SIGNATURE_HEADERS)[keyof typeof SIGNATURE_HEADERS], string>;

/** Hex SHA-256 of the body bytes (the empty string's hash for no body). */
export function bodySha256Hex(body: string | Uint8Array | undefined): string {
  return createHash('sha256')
    .update(body ?? '')
    .digest('hex');
}

/** Headers a signature covers besides the request line and body: these, and every `x-xinyi-*` one. */
const SIGNED_HEADER_PREFIX = 'x-xinyi-';
const IDEMPOTENCY_KEY = 'idempotency-key';

function isSignedHeader(name: string): boolean {
  return (
    (name.startsWith(SIGNED_HEADER_PREFIX) && name !== SIGNATURE_HEADERS.signature) ||
    name === IDEMPOTENCY_KEY
  );
}

/**
 * The signed headers as canonical lines: every `x-xinyi-*` header but `x-xinyi-signature`, and
 * `idempotency-key`, as `name:value` (name lower-case, value trimmed), sorted by name, joined by LF.
 * A header given twice (an array) is joined with `,`.
 */
export function canonicalHeaderLines(
  headers: Readonly<Record<string, string | string[] | undefined>>,
): string {
  const lines: string[] = [];
  for (const [rawName, rawValue] of Object.entries(headers)) {
    const name = rawName.toLowerCase();
    if (rawValue === undefined || !isSignedHeader(name)) continue;
    const value = Array.isArray(rawValue) ? rawValue.map((v) => v.trim()).join(',') : rawValue.trim();
    lines.push(`${name}:${value}`);
  }
  return lines.sort().join('\n');
}

/**
 * The string the HMAC covers: `METHOD \n path \n timestamp \n nonce \n hex(sha256(body))`, then one
 * line per signed header ({@link canonicalHeaderLines}), so a proxy can neither add, drop nor change
 * an `X-Xinyi-*` header or the `Idempotency-Key`.
 */
export function canonicalRequestString(
  method: string,
  path: string,
  timestamp: string,
  nonce: string,
  body: string | Uint8Array | undefined,
  headers: Readonly<Record<string, string | string[] | undefined>> = {},
): string {
  return `${method.toUpperCase()}\n${path}\n${timestamp}\n${nonce}\n${bodySha256Hex(body)}\n${canonicalHeaderLines(headers)}`;
}

function hmacBase64(secret: string | Uint8Array, text: string): string {
  return createHmac('sha256', secret).update(text, 'utf8').digest('base64');
}

/**
 * Signs one request: HMAC-SHA-256 (base64) over the canonical string, with the key id alongside.
 * Returns the four signature headers; send them with exactly the `headers` given here.
 */
export function signRequest(input: SignRequestInput): SignatureHeaders {
  const timestamp = String(Math.floor(input.nowMs / 1000));
  const nonce = input.nonce ?? randomBytes(16).toString('base64url');
  const own = {
    [SIGNATURE_HEADERS.keyId]: input.keyId,
    [SIGNATURE_HEADERS.timestamp]: timestamp,
    [SIGNATURE_HEADERS.nonce]: nonce,
  };
  const signature = hmacBase64(
    input.secret,
    canonicalRequestString(input.method, input.path, timestamp, nonce, input.body, {
      ...input.headers,
      ...own,
    }),
  );
  return { ...own, [SIGNATURE_HEADERS.signature]: signature };
}

/** Why a signature was refused; sent back as `{ error }` in the 401 body. */
export type SignatureProblem =
  | 'missing-signature'
  | 'unknown-key'
  | 'stale-timestamp'
  | 'replayed-nonce'
  | 'bad-signature';

export interface VerifyRequestInput {
  method: string;
  path: string;
  body?: string | Uint8Array;
  /** Request headers as Node gives them (lower-case names). */
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The secret for a key id, or undefined for an unknown key. */
  secretFor: (keyId: string) => string | Uint8Array | undefined;
  /** The server's time, epoch milliseconds. */
  nowMs: number;
  /** @default DEFAULT_SIGNATURE_WINDOW_MS */
  windowMs?: number;
  /** Nonces seen inside the window; omit to skip the replay check. */
  nonces?: NonceCache;
}

export type VerifyResult = { ok: true; keyId: string } | { ok: false; problem: SignatureProblem };

/**
 * Remembers nonces for as long as their timestamps stay inside the window, so a captured request
 * cannot be replayed while it would still pass the timestamp check.
 */
export interface NonceCache {
  /** False when `keyId` + `nonce` was already seen; otherwise records it until `expiresAtMs`. */
  add(keyId: string, nonce: string, expiresAtMs: number, nowMs: number): boolean;
}

export function createNonceCache(): NonceCache {
  const seen = new Map<string, number>();
  let pruneAt = 1024;
  return {
    add(keyId, nonce, expiresAtMs, nowMs) {
      // Amortised: a full sweep only each time the map has doubled since the last one.
      if (seen.size >= pruneAt) {
        for (const [k, exp] of seen) if (exp < nowMs) seen.delete(k);
        pruneAt = Math.max(1024, seen.size * 2);
      }
      const key = `${keyId}\0${nonce}`;
      const expiry = seen.get(key);
      if (expiry !== undefined && expiry >= nowMs) return false;
      seen.set(key, expiresAtMs);
      return true;
    },
  };
}

function header(headers: VerifyRequestInput['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Server-side check of a signed request: key id known, timestamp in the window, nonce fresh, HMAC
 * equal over the request line, body and every `X-Xinyi-*` and `Idempotency-Key` header received.
 */
export function verifyRequestSignature(input: VerifyRequestInput): VerifyResult {
  const keyId = header(input.headers, SIGNATURE_HEADERS.keyId);
  const timestamp = header(input.headers, SIGNATURE_HEADERS.timestamp);
  const nonce = header(input.headers, SIGNATURE_HEADERS.nonce);
  const signature = header(input.headers, SIGNATURE_HEADERS.signature);
  if (!keyId || !timestamp || !nonce || !signature) return { ok: false, problem: 'missing-signature' };
  const secret = input.secretFor(keyId);
  if (secret === undefined) return { ok: false, problem: 'unknown-key' };
  const windowMs = input.windowMs ?? DEFAULT_SIGNATURE_WINDOW_MS;
  const sentMs = Number(timestamp) * 1000;
  if (!/^\d{1,12}$/.test(timestamp) || Math.abs(input.nowMs - sentMs) > windowMs) {
    return { ok: false, problem: 'stale-timestamp' };
  }
  const expected = Buffer.from(
    hmacBase64(
      secret,
      canonicalRequestString(input.method, input.path, timestamp, nonce, input.body, input.headers),
    ),
  );
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    return { ok: false, problem: 'bad-signature' };
  }
  // Only a correctly signed request burns its nonce: forged ones must not evict real traffic.
  if (input.nonces && !input.nonces.add(keyId, nonce, sentMs + windowMs, input.nowMs)) {
    return { ok: false, problem: 'replayed-nonce' };
  }
  return { ok: true, keyId };
}
