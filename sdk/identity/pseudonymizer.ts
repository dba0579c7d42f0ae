import { createHmac } from 'node:crypto';
import { XinyiError } from '../errors.js';
import { normalizeIdNumber } from './resident-id.js';
import { normalizeSocialCreditCode } from './social-credit-code.js';

/**
 * What a pseudonymised value is: a resident ID number (GB 11643, checked), another identity document's
 * number (a foreigner's permanent residence card: upper-cased, not checked), a member / card number,
 * or an organisation's unified social credit code (GB 32100, checked). The kind is part of the HMAC
 * input, so the same characters give unrelated pseudonyms under two kinds.
 */
export type PseudonymKind = 'id-number' | 'document-number' | 'member' | 'organisation-code';

/** The scope used when none is given. */
export const DEFAULT_PSEUDONYM_SCOPE = 'xinyi-incentive-v1';

/** The shortest accepted key, in bytes (128 bits). */
export const MIN_PSEUDONYM_KEY_BYTES = 16;

export interface PseudonymizerOptions {
  /**
   * The purpose the pseudonyms serve. Pseudonyms from different scopes cannot be joined, so use one
   * scope per scheme or purpose (docs/credit-domain.md §3.2.3). Must be non-empty and contain no NUL character.
   * @default 'xinyi-incentive-v1'
   */
  scope?: string;
}

/** Turns identifiers into keyed pseudonyms. Holds its key privately: no property, `toString`, JSON or inspect output exposes it. */
export interface Pseudonymizer {
  readonly scope: string;
  /**
   * The pseudonym of `value`: base64url of the first 16 bytes of
   * HMAC-SHA-256(key, scope + '\0' + kind + '\0' + normalised value), 22 characters.
   * ID numbers are normalised with `normalizeIdNumber` (so `x` and `X` give the same pseudonym) and
   * an invalid one throws `ID_NUMBER_INVALID`; organisation codes are normalised with
   * `normalizeSocialCreditCode` and an invalid one throws `CREDENTIAL_INVALID` (`details.problem`);
   * member codes are trimmed and must not be empty (`INVALID_ARGUMENT`). No error message contains the value.
   * @param kind @default 'id-number'
   */
  pseudonymize(value: string, kind?: PseudonymKind): string;
}

const PSEUDONYM_BYTES = 16;

/**
 * Builds a {@link Pseudonymizer} from a secret key (a UTF-8 string or bytes, at least 16 bytes; the
 * bytes are copied). Throws `INVALID_OPTIONS` naming `key` or `scope` when either is missing or unusable.
 */
export function createPseudonymizer(
  key: string | Uint8Array | Buffer,
  options: PseudonymizerOptions = {},
): Pseudonymizer {
  const keyBytes = toKeyBytes(key);
  if (options === null || typeof options !== 'object') {
    throw new XinyiError('INVALID_OPTIONS', 'options must be an object when given');
  }
  const scope = options.scope ?? DEFAULT_PSEUDONYM_SCOPE;
  if (typeof scope !== 'string' || scope.length === 0 || scope.includes('\0')) {
    throw new XinyiError('INVALID_OPTIONS', 'scope must be a non-empty string without NUL characters');
  }

  const pseudonymize = (value: string, kind: PseudonymKind = 'id-number'): string => {
    const normalized = normalizeValue(value, kind);
    return createHmac('sha256', keyBytes)
      .update(`${scope}\0${kind}\0${normalized}`, 'utf8')
      .digest()
      .subarray(0, PSEUDONYM_BYTES)
      .toString('base64url');
  };

  const description = `Pseudonymizer { scope: ${JSON.stringify(scope)} }`;
  return Object.freeze({
    scope,
    pseudonymize,
    toString: () => description,
    toJSON: () => ({ scope }),
    [Symbol.for('nodejs.util.inspect.custom')]: () => description,
  });
}

function toKeyBytes(key: unknown): Buffer {
  let bytes: Buffer;
  if (typeof key === 'string') bytes = Buffer.from(key, 'utf8');
  else if (key instanceof Uint8Array) bytes = Buffer.from(key);
  else if (key === undefined || key === null) throw new XinyiError('INVALID_OPTIONS', 'key is required');
  else throw new XinyiError('INVALID_OPTIONS', 'key must be a string, Uint8Array or Buffer');
  if (bytes.length < MIN_PSEUDONYM_KEY_BYTES) {
    throw new XinyiError('INVALID_OPTIONS', `key must be at least ${MIN_PSEUDONYM_KEY_BYTES} bytes`, {
      details: { keyBytes: bytes.length, minKeyBytes: MIN_PSEUDONYM_KEY_BYTES },
    });
  }
  return bytes;
}

function normalizeValue(value: string, kind: PseudonymKind): string {
  if (typeof value !== 'string') {
    throw new XinyiError('INVALID_ARGUMENT', 'pseudonymize expects a string value');
  }
  if (kind === 'id-number') return normalizeIdNumber(value);
  if (kind === 'organisation-code') return normalizeSocialCreditCode(value);
  if (kind === 'member' || kind === 'document-number') {
    const trimmed = kind === 'member' ? value.trim() : value.trim().toUpperCase();
    if (trimmed.length === 0) throw new XinyiError('INVALID_ARGUMENT', `${kind} must not be empty`);
    return trimmed;
  }
  // The bad kind is not echoed: with swapped arguments it would be the value itself.
  throw new XinyiError(
    'INVALID_ARGUMENT',
    "kind must be 'id-number', 'document-number', 'member' or 'organisation-code'",
  );
}
