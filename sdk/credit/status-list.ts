import type { KeyObject } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { XinyiError } from '../errors.js';
import { keyIdOf, keyValidAt, signWithAlg, type TrustList, verifyWithAlg } from './trust-list.js';

/**
 * The revocation status list (docs/credit-domain.md §4.2 step 7), after the IETF Token Status List: a
 * bitstring in which bit `i` set means the credential with status index `i` is revoked. Bit `i` is
 * bit `i % 8` (least significant first) of byte `i >> 3`. The bitstring travels gzip-compressed
 * and the list is signed by a `status-list` key of the trust list.
 */

export const STATUS_LIST_FORMAT = 'xinyi-status-list/1';

/** Largest status index the QZ1 format can carry (uint24). */
export const MAX_STATUS_INDEX = 0xffffff;

export interface StatusListContent {
  format: typeof STATUS_LIST_FORMAT;
  issuedAt: string;
  /** Number of indexes the list covers; an index at or past it is not on the list. */
  size: number;
  /** Base64 of the gzip-compressed bitstring. */
  bits: string;
}

export interface SignedStatusList {
  /** The exact JSON text that was signed. */
  payload: string;
  /** Kid of the signing `status-list` key in the trust list. */
  kid: string;
  /** Base64 signature of the UTF-8 bytes of `payload` (Ed25519, or ES256 as IEEE P1363 r‖s). */
  signature: string;
}

/** A status list whose signature and structure were checked. */
export interface StatusList {
  /** Epoch ms: when the list was issued (for staleness). */
  readonly issuedAt: number;
  /** Number of indexes the list covers: a credential with an index at or past it cannot be judged. */
  readonly size: number;
  /** True when `index` is revoked; false for an index the list does not cover. */
  isRevoked(index: number): boolean;
  /**
   * The trust-list key whose signature verified (set by `loadStatusList`). A verifier uses the list
   * only while its current trust list still names that key for `status-list`: a key withdrawn by a
   * newer trust list drops the list at once.
   */
  readonly signer?: { readonly kid: string; readonly spkiDer: Uint8Array };
}

/**
 * A list issued up to this far in the terminal's future is accepted (issuer and terminal clocks
 * drift); one dated further ahead is refused. The same tolerance as the trust list's.
 */
export const STATUS_LIST_FUTURE_SKEW_MS = 5 * 60_000;

/** `details.reason` of a `STATUS_LIST_INVALID` error. */
export const StatusListProblem = {
  MALFORMED: 'STATUS_LIST_MALFORMED',
  UNKNOWN_KEY: 'STATUS_LIST_UNKNOWN_KEY',
  SIGNATURE: 'STATUS_LIST_SIGNATURE',
  /**
   * Issued more than {@link STATUS_LIST_FUTURE_SKEW_MS} after the terminal's `now`: an issuer clock
   * error. Such a list is refused and never cached, so it cannot make every correct list after it
   * look like a rollback.
   */
  NOT_YET_VALID: 'STATUS_LIST_NOT_YET_VALID',
  /**
   * Signed by a key whose `validFrom`/`validTo` on the trust list does not cover the list's
   * `issuedAt`: a retired key (its `validTo` passed) cannot sign a fresh list that clears revocations.
   */
  KEY_NOT_VALID: 'STATUS_LIST_KEY_NOT_VALID',
} as const;
export type StatusListProblem = (typeof StatusListProblem)[keyof typeof StatusListProblem];

export interface StatusListInput {
  /** Epoch ms. */
  issuedAt: number;
  size: number;
  revoked: Iterable<number>;
}

/** Builds and signs a status list. Throws `INVALID_ARGUMENT` for an index outside [0, size). */
export function signStatusList(
  input: StatusListInput,
  privateKey: KeyObject,
  alg: 'Ed25519' | 'ES256' = privateKey.asymmetricKeyType === 'ed25519' ? 'Ed25519' : 'ES256',
): SignedStatusList {
  if (!Number.isSafeInteger(input.size) || input.size < 0 || input.size > MAX_STATUS_INDEX + 1) {
    throw new XinyiError('INVALID_ARGUMENT', 'signStatusList(): size must be an integer in [0, 2^24]');
  }
  const bits = new Uint8Array(Math.ceil(input.size / 8));
  for (const index of input.revoked) {
    if (!Number.isSafeInteger(index) || index < 0 || index >= input.size) {
      throw new XinyiError('INVALID_ARGUMENT', `signStatusList(): index ${index} outside the list`);
    }
    bits[index >> 3]! |= 1 << (index & 7);
  }
  const content: StatusListContent = {
    format: STATUS_LIST_FORMAT,
    issuedAt: new Date(input.issuedAt).toISOString(),
    size: input.size,
    bits: gzipSync(bits).toString('base64'),
  };
  const payload = JSON.stringify(content);
  return {
    payload,
    kid: keyIdOf(privateKey),
    signature: signWithAlg(alg, Buffer.from(payload, 'utf8'), privateKey).toString('base64'),
  };
}

function invalid(reason: StatusListProblem, message: string, cause?: unknown): XinyiError {
  return new XinyiError('STATUS_LIST_INVALID', message, { cause, details: { reason } });
}

export interface LoadStatusListOptions {
  trustList: TrustList;
  /**
   * Epoch ms: the terminal's clock. With it, a list issued more than
   * {@link STATUS_LIST_FUTURE_SKEW_MS} ahead is refused (`STATUS_LIST_NOT_YET_VALID`).
   */
  now?: number;
}

/**
 * Verifies a status list with the `status-list` keys of `trustList` (every key with the kid is
 * tried). Throws `STATUS_LIST_INVALID` with `details.reason` one of {@link StatusListProblem}.
 * Staleness is not judged here: the verifier compares `issuedAt` with its own limit.
 */
export function loadStatusList(signed: SignedStatusList, options: LoadStatusListOptions): StatusList {
  if (
    signed === null ||
    typeof signed !== 'object' ||
    typeof signed.payload !== 'string' ||
    typeof signed.kid !== 'string' ||
    typeof signed.signature !== 'string'
  ) {
    throw invalid(StatusListProblem.MALFORMED, 'status list: expected { payload, kid, signature } strings');
  }
  const keys = options.trustList.keysFor(signed.kid.toLowerCase(), 'status-list');
  if (keys.length === 0)
    throw invalid(StatusListProblem.UNKNOWN_KEY, 'status list: signing key not on the trust list');
  const message = Buffer.from(signed.payload, 'utf8');
  const signature = Buffer.from(signed.signature, 'base64');
  const verifying = keys.filter(
    (k) => k.publicKey !== null && k.alg !== 'SM2' && verifyWithAlg(k.alg, message, signature, k.publicKey),
  );
  if (verifying.length === 0)
    throw invalid(StatusListProblem.SIGNATURE, 'status list: the signature does not verify');

  let content: StatusListContent;
  let bits: Uint8Array;
  try {
    content = JSON.parse(signed.payload) as StatusListContent;
    if (content === null || typeof content !== 'object' || content.format !== STATUS_LIST_FORMAT) {
      throw new Error(`format is not ${STATUS_LIST_FORMAT}`);
    }
    if (!Number.isSafeInteger(content.size) || content.size < 0 || content.size > MAX_STATUS_INDEX + 1) {
      throw new Error('size out of range');
    }
    if (typeof content.bits !== 'string') throw new Error('bits is not a string');
    bits = gunzipSync(Buffer.from(content.bits, 'base64'), { maxOutputLength: (MAX_STATUS_INDEX + 1) / 8 });
    if (bits.length !== Math.ceil(content.size / 8)) throw new Error('bitstring length does not match size');
  } catch (cause) {
    throw invalid(StatusListProblem.MALFORMED, 'status list: malformed content', cause);
  }
  // An instant with its zone only: Date.parse reads "2026-12-07T10:00:00" as the terminal's local
  // time and accepts other forms; a non-string (an array, an object) it would convert.
  const issuedAt =
    typeof content.issuedAt === 'string' && ISO_INSTANT.test(content.issuedAt)
      ? Date.parse(content.issuedAt)
      : Number.NaN;
  if (!Number.isFinite(issuedAt))
    throw invalid(
      StatusListProblem.MALFORMED,
      'status list: issuedAt is not an ISO 8601 instant with a zone',
    );
  const signer = verifying.find((k) => keyValidAt(k, issuedAt));
  if (signer === undefined) {
    throw invalid(
      StatusListProblem.KEY_NOT_VALID,
      "status list: the signing key's validity on the trust list does not cover its issuedAt",
    );
  }
  if (options.now !== undefined && issuedAt > options.now + STATUS_LIST_FUTURE_SKEW_MS) {
    throw invalid(StatusListProblem.NOT_YET_VALID, 'status list: issued in the future (issuer clock?)');
  }
  const size = content.size;
  return Object.freeze({
    issuedAt,
    size,
    isRevoked: (index: number) =>
      Number.isInteger(index) && index >= 0 && index < size && ((bits[index >> 3]! >> (index & 7)) & 1) === 1,
    signer: Object.freeze({ kid: signer.kid, spkiDer: signer.spkiDer }),
  });
}

/**
 * True while `trustList` still names the key that signed `list` for `status-list` (same kid, same
 * key). A list without a recorded signer (built by hand) is taken as trusted.
 */
export function statusListSignerTrusted(list: StatusList, trustList: TrustList): boolean {
  const signer = list.signer;
  if (signer === undefined) return true;
  return trustList
    .keysFor(signer.kid, 'status-list')
    .some((k) => Buffer.compare(k.spkiDer, signer.spkiDer) === 0 && keyValidAt(k, list.issuedAt));
}

/** `2026-12-07T10:00:00Z`, with optional fractions of a second and a `Z` or `±hh:mm` zone. */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;
