import type { KeyObject } from 'node:crypto';
import {
  keyIdOf,
  type PublicKeyInput,
  signWithAlg,
  type TrustedKey,
  type TrustKeyUse,
  toPublicKey,
  verifyWithAlg,
} from '../credit/trust-list.js';
import { XinyiError } from '../errors.js';

/**
 * The one path every signed document of a kind the platform publishes takes (ARCHITECTURE.md, "Signed
 * documents, one mechanism"): the envelope of the status list (`{ payload, kid, signature }`, the
 * signature over the UTF-8 bytes of `payload`), a key the trust list names for the document's usage,
 * a byte bound checked before anything is parsed, and a content header every kind shares:
 * `{ format, version, issuedAt }`. The kind's own fields are checked by the kind (`DocumentKind.parse`).
 * Ordering (no rollback) and keeping are `createDocumentSlot`'s.
 */

/** A document as shipped: the exact JSON text that was signed, the signing key's kid, the signature. */
export interface SignedDocument {
  payload: string;
  /** Kid of the signing key (trust-list kid: hex of the first 4 bytes of SHA-256 of its SPKI). */
  kid: string;
  /** Base64 signature of the UTF-8 bytes of `payload` (Ed25519, or ES256 as IEEE P1363 r‖s). */
  signature: string;
}

/** Fields every document's content starts with. */
export interface DocumentHeader {
  /** The kind and its format version, e.g. `xinyi-holiday-calendar/1`. */
  format: string;
  /** Increases with every document of the kind the issuer signs; a lower one is never taken. */
  version: number;
  /** ISO time the issuer signed it. */
  issuedAt: string;
}

/** How one kind of document is recognised and read. */
export interface DocumentKind<T> {
  /** The trust-list key usage that may sign it. */
  usage: TrustKeyUse;
  /** The `format` its content must carry. */
  format: string;
  /** Largest envelope accepted, in bytes (checked before parsing). */
  maxBytes: number;
  /**
   * Checks the kind's own fields of a content whose header is already checked and returns them
   * typed; throws a typed error (`CALENDAR_INVALID`, `POLICY_PACK_INVALID`) naming the field.
   */
  parse(content: Record<string, unknown>): T;
}

/** A document whose size, signature, header and content were checked. */
export interface VerifiedDocument<T> {
  usage: TrustKeyUse;
  version: number;
  /** Epoch ms. */
  issuedAt: number;
  kid: string;
  /** The envelope, as received: what is cached and re-verified at start. */
  signed: SignedDocument;
  content: T;
}

/** Keys that may sign documents: the trust list's `keysFor`, or `pinnedDocumentKeys`. */
export type DocumentKeys = (kid: string, usage: TrustKeyUse) => readonly TrustedKey[];

/** `details.reason` of a `DOCUMENT_INVALID` error. */
export const SignedDocumentProblem = {
  /** Larger than the kind's byte limit. */
  TOO_LARGE: 'DOCUMENT_TOO_LARGE',
  /** Not JSON, or not a `{ payload, kid, signature }` envelope of strings. */
  MALFORMED: 'DOCUMENT_MALFORMED',
  /** No key with this kid is named for the document's usage. */
  UNKNOWN_KEY: 'DOCUMENT_UNKNOWN_KEY',
  SIGNATURE: 'DOCUMENT_SIGNATURE',
  /** The document was issued outside the signing key's validity period. */
  KEY_NOT_VALID: 'DOCUMENT_KEY_NOT_VALID',
  /** The payload is not a JSON object with the kind's `format`. */
  FORMAT: 'DOCUMENT_FORMAT',
  VERSION: 'DOCUMENT_VERSION',
  /** `issuedAt` is not a time, or lies in the future (beyond 5 minutes of clock drift). */
  ISSUED_AT: 'DOCUMENT_ISSUED_AT',
  /** A lower version than the one held. */
  ROLLBACK: 'DOCUMENT_ROLLBACK',
  /** The held version with a different content. */
  CONFLICT: 'DOCUMENT_CONFLICT',
} as const;
export type SignedDocumentProblem = (typeof SignedDocumentProblem)[keyof typeof SignedDocumentProblem];

/** A document issued up to this far in the terminal's future is accepted (clock drift). */
const MAX_ISSUED_SKEW_MS = 5 * 60_000;

export function documentError(
  usage: TrustKeyUse,
  reason: SignedDocumentProblem,
  field: string,
  message: string,
  extra: Record<string, string | number> = {},
  cause?: unknown,
): XinyiError {
  return new XinyiError('DOCUMENT_INVALID', `${usage} document: ${field}: ${message}`, {
    details: { reason, documentUsage: usage, field, ...extra },
    ...(cause === undefined ? {} : { cause }),
  });
}

/**
 * Signs a document's content (header included) with an Ed25519 or ES256 private key whose public
 * half the trust list names for the kind's usage. For issuers, the mock platform and tests.
 */
export function signDocument(
  content: DocumentHeader & Record<string, unknown>,
  privateKey: KeyObject,
  alg: 'Ed25519' | 'ES256' = privateKey.asymmetricKeyType === 'ed25519' ? 'Ed25519' : 'ES256',
): SignedDocument {
  const payload = JSON.stringify(content);
  return {
    payload,
    kid: keyIdOf(privateKey),
    signature: signWithAlg(alg, Buffer.from(payload, 'utf8'), privateKey).toString('base64'),
  };
}

/**
 * Keys given directly (a gate configuration's `publicKey`, an operator's file), each for one usage,
 * as `DocumentKeys`. Throws `INVALID_ARGUMENT` for a key that is not Ed25519 or P-256.
 */
export function pinnedDocumentKeys(
  entries: readonly { usage: TrustKeyUse; key: PublicKeyInput }[],
): DocumentKeys {
  const keys: TrustedKey[] = entries.map(({ usage, key }) => {
    const publicKey = toPublicKey(key);
    const alg =
      publicKey.asymmetricKeyType === 'ed25519'
        ? 'Ed25519'
        : publicKey.asymmetricKeyType === 'ec' && publicKey.asymmetricKeyDetails?.namedCurve === 'prime256v1'
          ? 'ES256'
          : undefined;
    if (alg === undefined) {
      throw new XinyiError(
        'INVALID_ARGUMENT',
        `a ${usage} document key must be an Ed25519 or P-256 public key`,
      );
    }
    const spkiDer = publicKey.export({ format: 'der', type: 'spki' });
    return Object.freeze({ kid: keyIdOf(publicKey), alg, use: usage, spkiDer, publicKey });
  });
  return (kid, usage) => keys.filter((k) => k.kid === kid && k.use === usage);
}

/** Keys of every source, in order: the platform's trust list and the operator's pinned keys. */
export function combineDocumentKeys(...sources: readonly (DocumentKeys | undefined)[]): DocumentKeys {
  return (kid, usage) => sources.flatMap((source) => (source ? source(kid, usage) : []));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function textOf(input: Uint8Array | string): string {
  return typeof input === 'string'
    ? input
    : Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('utf8');
}

/**
 * Verifies a signed document of `kind`: the raw bytes (or text) of its envelope as downloaded or read
 * from a file. Checks, in this order: size, envelope, key (a key `keys` names for the kind's usage
 * with this kid, valid when the document was issued), signature, header (`format`, `version` a
 * positive integer, `issuedAt` not in the future), then the content (`kind.parse`).
 * Throws `DOCUMENT_INVALID` (`details.reason` a {@link SignedDocumentProblem}) or the kind's own
 * content error; never returns a document that failed any check.
 */
export function verifyDocument<T>(
  input: Uint8Array | string,
  kind: DocumentKind<T>,
  options: { keys: DocumentKeys; now: number },
): VerifiedDocument<T> {
  const { usage } = kind;
  const size = typeof input === 'string' ? Buffer.byteLength(input, 'utf8') : input.byteLength;
  if (size > kind.maxBytes) {
    throw documentError(
      usage,
      SignedDocumentProblem.TOO_LARGE,
      '(document)',
      `${size} bytes, more than ${kind.maxBytes}`,
      {
        bytes: size,
        maxBytes: kind.maxBytes,
      },
    );
  }
  let envelope: unknown;
  try {
    envelope = JSON.parse(textOf(input));
  } catch (cause) {
    throw documentError(usage, SignedDocumentProblem.MALFORMED, '(document)', 'not JSON', {}, cause);
  }
  if (!isRecord(envelope)) {
    throw documentError(
      usage,
      SignedDocumentProblem.MALFORMED,
      '(document)',
      'not a { payload, kid, signature } object',
    );
  }
  for (const field of ['payload', 'kid', 'signature'] as const) {
    if (typeof envelope[field] !== 'string' || envelope[field] === '') {
      throw documentError(usage, SignedDocumentProblem.MALFORMED, field, 'must be a non-empty string');
    }
  }
  const signed: SignedDocument = {
    payload: envelope.payload as string,
    kid: (envelope.kid as string).toLowerCase(),
    signature: envelope.signature as string,
  };
  const keys = options.keys(signed.kid, usage);
  if (keys.length === 0) {
    throw documentError(
      usage,
      SignedDocumentProblem.UNKNOWN_KEY,
      'kid',
      `no key ${signed.kid.slice(0, 16)} is trusted for ${usage} documents`,
    );
  }
  const message = Buffer.from(signed.payload, 'utf8');
  const signature = Buffer.from(signed.signature, 'base64');
  const signer = keys.find(
    (k) => k.publicKey !== null && k.alg !== 'SM2' && verifyWithAlg(k.alg, message, signature, k.publicKey),
  );
  if (signer === undefined) {
    throw documentError(usage, SignedDocumentProblem.SIGNATURE, 'signature', 'does not verify');
  }

  let content: unknown;
  try {
    content = JSON.parse(signed.payload);
  } catch (cause) {
    throw documentError(usage, SignedDocumentProblem.FORMAT, 'payload', 'not JSON', {}, cause);
  }
  if (!isRecord(content) || content.format !== kind.format) {
    throw documentError(usage, SignedDocumentProblem.FORMAT, 'format', `must be ${kind.format}`);
  }
  const version = content.version;
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) {
    throw documentError(usage, SignedDocumentProblem.VERSION, 'version', 'must be an integer of at least 1');
  }
  const issuedAt = typeof content.issuedAt === 'string' ? Date.parse(content.issuedAt) : Number.NaN;
  if (!Number.isFinite(issuedAt)) {
    throw documentError(usage, SignedDocumentProblem.ISSUED_AT, 'issuedAt', 'must be an ISO time');
  }
  if (issuedAt > options.now + MAX_ISSUED_SKEW_MS) {
    throw documentError(usage, SignedDocumentProblem.ISSUED_AT, 'issuedAt', 'lies in the future');
  }
  if (
    (signer.validFrom !== undefined && issuedAt < signer.validFrom) ||
    (signer.validTo !== undefined && issuedAt > signer.validTo)
  ) {
    throw documentError(
      usage,
      SignedDocumentProblem.KEY_NOT_VALID,
      'issuedAt',
      'outside the signing key’s validity',
    );
  }
  return Object.freeze({
    usage,
    version,
    issuedAt,
    kid: signed.kid,
    signed,
    content: kind.parse(content),
  });
}
