import { createHash, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { XinyiError } from '../errors.js';

/**
 * The signed trust list (docs/credit-domain.md §4.2 step 1): the issuer keys a terminal accepts, each
 * bound to one algorithm and one use, signed by a root key the terminal pins. Nothing on the list
 * is trusted until the root signature verified.
 */

export const TRUST_LIST_FORMAT = 'xinyi-trust-list/1';

/** `SM2` is reserved: the list may carry such keys, a verifier for them must be registered separately. */
export type TrustKeyAlg = 'Ed25519' | 'ES256' | 'SM2';
/**
 * `calendar` and `policy-pack` sign the documents of `sdk/documents` (holiday calendars, policy
 * packs); `platform-response` signs the platform's lookup answers (docs/platform-api.md, "Signed
 * answers").
 */
export type TrustKeyUse =
  | 'credit-code'
  | 'snapshot'
  | 'status-list'
  | 'calendar'
  | 'policy-pack'
  | 'platform-response';

const ALGS: readonly string[] = ['Ed25519', 'ES256', 'SM2'];
const USES: readonly string[] = [
  'credit-code',
  'snapshot',
  'status-list',
  'calendar',
  'policy-pack',
  'platform-response',
];
/**
 * A use this release does not know, spelt like one: the key is left out (trusted for nothing), so a
 * platform that adds a document kind does not make every deployed terminal refuse its trust list.
 */
const FUTURE_USE = /^[a-z][a-z0-9-]{0,39}$/;

export interface TrustListKeyEntry {
  /** Lower-case hex of the first 4 bytes of SHA-256 of the SPKI DER. */
  kid: string;
  alg: TrustKeyAlg;
  use: TrustKeyUse;
  /** Base64 of the SPKI DER. */
  spki: string;
  /** ISO times bounding when the key may have signed (checked against a credential's issue time). */
  validFrom?: string;
  validTo?: string;
}

export interface TrustListContent {
  format: typeof TRUST_LIST_FORMAT;
  /** Increases with every list the root signs. */
  version: number;
  issuedAt: string;
  expiresAt: string;
  keys: TrustListKeyEntry[];
}

/** The list as shipped: the exact JSON text that was signed, and a detached Ed25519 signature over it. */
export interface SignedTrustList {
  payload: string;
  /** Base64 Ed25519 signature of the UTF-8 bytes of `payload`. */
  signature: string;
}

/** A key of a verified trust list, ready to verify with. */
export interface TrustedKey {
  kid: string;
  alg: TrustKeyAlg;
  use: TrustKeyUse;
  spkiDer: Buffer;
  /** Null for an SM2 key: Node cannot load one reliably (§4.3); an SM2 verifier uses `spkiDer`. */
  publicKey: KeyObject | null;
  /** Epoch ms; absent means open. */
  validFrom?: number;
  validTo?: number;
}

/** Whether a key's validity period (when it has one) covers the instant `atMs` (epoch ms). */
export function keyValidAt(key: Pick<TrustedKey, 'validFrom' | 'validTo'>, atMs: number): boolean {
  return (
    (key.validFrom === undefined || atMs >= key.validFrom) &&
    (key.validTo === undefined || atMs <= key.validTo)
  );
}

/** A trust list whose root signature, structure and validity period were checked. */
export interface TrustList {
  readonly version: number;
  /** Epoch ms. */
  readonly issuedAt: number;
  /** Epoch ms. */
  readonly expiresAt: number;
  readonly keys: readonly TrustedKey[];
  /** Every key with this kid and use (kids may collide: a verifier must try them all, as HCERT requires). */
  keysFor(kid: string, use: TrustKeyUse): readonly TrustedKey[];
}

/** `details.reason` of a `TRUST_LIST_INVALID` error. */
export const TrustListProblem = {
  MALFORMED: 'TRUST_LIST_MALFORMED',
  SIGNATURE: 'TRUST_LIST_SIGNATURE',
  EXPIRED: 'TRUST_LIST_EXPIRED',
  NOT_YET_VALID: 'TRUST_LIST_NOT_YET_VALID',
} as const;
export type TrustListProblem = (typeof TrustListProblem)[keyof typeof TrustListProblem];

/** A public key as a KeyObject, SPKI DER bytes, base64 SPKI DER or PEM text. */
export type PublicKeyInput = KeyObject | Uint8Array | string;

/** Lower-case hex of the first 4 bytes of SHA-256 of the SPKI DER: the kid of the QZ1 format. */
export function keyIdOf(key: PublicKeyInput): string {
  return createHash('sha256').update(spkiDerOf(key)).digest().subarray(0, 4).toString('hex');
}

/** The SPKI DER of a public key (or of the public half of a private key). */
export function spkiDerOf(key: PublicKeyInput): Buffer {
  if (key instanceof Uint8Array) return Buffer.from(key);
  return toPublicKey(key).export({ format: 'der', type: 'spki' });
}

/** Loads a public key; throws `INVALID_ARGUMENT` for one Node cannot parse. */
export function toPublicKey(key: PublicKeyInput): KeyObject {
  try {
    if (typeof key === 'string') {
      return key.includes('-----BEGIN')
        ? createPublicKey(key)
        : createPublicKey({ key: Buffer.from(key, 'base64'), format: 'der', type: 'spki' });
    }
    if (key instanceof Uint8Array)
      return createPublicKey({ key: Buffer.from(key), format: 'der', type: 'spki' });
    return key.type === 'public' ? key : createPublicKey(key);
  } catch (cause) {
    throw new XinyiError('INVALID_ARGUMENT', 'not a usable public key', { cause });
  }
}

/** Signs with Ed25519 (pure) or ES256 (SHA-256, IEEE P1363 r‖s: always 64 bytes). */
export function signWithAlg(alg: 'Ed25519' | 'ES256', message: Uint8Array, privateKey: KeyObject): Buffer {
  return alg === 'Ed25519'
    ? sign(null, message, privateKey)
    : sign('sha256', message, { key: privateKey, dsaEncoding: 'ieee-p1363' });
}

/** Verifies an Ed25519 or ES256 (P1363) signature; false, never a throw, for a malformed one. */
export function verifyWithAlg(
  alg: 'Ed25519' | 'ES256',
  message: Uint8Array,
  signature: Uint8Array,
  publicKey: KeyObject,
): boolean {
  try {
    return alg === 'Ed25519'
      ? verify(null, message, publicKey, signature)
      : verify('sha256', message, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature);
  } catch {
    return false;
  }
}

/** True when `key` is of the kind `alg` names (an ES256 key must be on P-256). */
export function keyMatchesAlg(key: KeyObject, alg: TrustKeyAlg): boolean {
  if (alg === 'Ed25519') return key.asymmetricKeyType === 'ed25519';
  if (alg === 'ES256') {
    return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
  }
  return false;
}

/** Signs a trust list with the root's Ed25519 private key. Throws `INVALID_ARGUMENT` for a non-Ed25519 key. */
export function signTrustList(content: TrustListContent, rootPrivateKey: KeyObject): SignedTrustList {
  if (rootPrivateKey.type !== 'private' || rootPrivateKey.asymmetricKeyType !== 'ed25519') {
    throw new XinyiError('INVALID_ARGUMENT', 'signTrustList(): the root key must be an Ed25519 private key');
  }
  const payload = JSON.stringify(content);
  return { payload, signature: sign(null, Buffer.from(payload, 'utf8'), rootPrivateKey).toString('base64') };
}

export interface LoadTrustListOptions {
  /** The pinned root public key (Ed25519). */
  rootPublicKey: PublicKeyInput;
  /** Epoch ms: the list must be valid now. */
  now: number;
}

function invalid(reason: TrustListProblem, message: string): XinyiError {
  return new XinyiError('TRUST_LIST_INVALID', message, { details: { reason } });
}

function isoMs(value: unknown, field: string): number {
  const ms = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(ms))
    throw invalid(TrustListProblem.MALFORMED, `trust list: ${field} is not an ISO time`);
  return ms;
}

/**
 * Verifies a signed trust list against the pinned root key and returns it ready to use.
 * Throws `TRUST_LIST_INVALID` with `details.reason` one of {@link TrustListProblem}: a bad root
 * signature, a list outside its validity period, or a malformed list or key entry (wrong kid, a key
 * that is not of its stated algorithm). Throws `INVALID_OPTIONS` for an unusable root key.
 */
export function loadTrustList(signed: SignedTrustList, options: LoadTrustListOptions): TrustList {
  let root: KeyObject;
  try {
    root = toPublicKey(options.rootPublicKey);
  } catch (cause) {
    throw new XinyiError('INVALID_OPTIONS', 'loadTrustList(): rootPublicKey is not a usable key', { cause });
  }
  if (root.asymmetricKeyType !== 'ed25519') {
    throw new XinyiError('INVALID_OPTIONS', 'loadTrustList(): rootPublicKey must be an Ed25519 key');
  }
  if (!Number.isFinite(options.now)) {
    throw new XinyiError('INVALID_OPTIONS', 'loadTrustList(): now must be epoch milliseconds');
  }
  if (
    signed === null ||
    typeof signed !== 'object' ||
    typeof signed.payload !== 'string' ||
    typeof signed.signature !== 'string'
  ) {
    throw invalid(TrustListProblem.MALFORMED, 'trust list: expected { payload, signature } strings');
  }
  const signature = Buffer.from(signed.signature, 'base64');
  let good = false;
  try {
    good = signature.length === 64 && verify(null, Buffer.from(signed.payload, 'utf8'), root, signature);
  } catch {
    good = false;
  }
  if (!good) throw invalid(TrustListProblem.SIGNATURE, 'trust list: the root signature does not verify');

  let content: TrustListContent;
  try {
    content = JSON.parse(signed.payload) as TrustListContent;
  } catch (cause) {
    throw new XinyiError('TRUST_LIST_INVALID', 'trust list: payload is not JSON', {
      cause,
      details: { reason: TrustListProblem.MALFORMED },
    });
  }
  if (content === null || typeof content !== 'object' || content.format !== TRUST_LIST_FORMAT) {
    throw invalid(TrustListProblem.MALFORMED, `trust list: format is not ${TRUST_LIST_FORMAT}`);
  }
  if (!Number.isSafeInteger(content.version) || content.version < 0) {
    throw invalid(TrustListProblem.MALFORMED, 'trust list: version must be a non-negative integer');
  }
  const issuedAt = isoMs(content.issuedAt, 'issuedAt');
  const expiresAt = isoMs(content.expiresAt, 'expiresAt');
  if (!Array.isArray(content.keys))
    throw invalid(TrustListProblem.MALFORMED, 'trust list: keys is not an array');
  const keys = content.keys
    .map((entry, i) => loadKey(entry, i))
    .filter((key): key is TrustedKey => key !== undefined);
  if (options.now >= expiresAt) throw invalid(TrustListProblem.EXPIRED, 'trust list: expired');
  if (options.now < issuedAt - MAX_LIST_SKEW_MS) {
    throw invalid(TrustListProblem.NOT_YET_VALID, 'trust list: issued in the future');
  }

  const byKid = new Map<string, TrustedKey[]>();
  for (const key of keys) {
    const slot = `${key.use}:${key.kid}`;
    const list = byKid.get(slot);
    if (list) list.push(key);
    else byKid.set(slot, [key]);
  }
  const none: readonly TrustedKey[] = Object.freeze([]);
  return Object.freeze({
    version: content.version,
    issuedAt,
    expiresAt,
    keys: Object.freeze(keys),
    keysFor: (kid: string, use: TrustKeyUse) => byKid.get(`${use}:${kid}`) ?? none,
  });
}

/** A list issued up to this far in the terminal's future is accepted (clock drift). */
const MAX_LIST_SKEW_MS = 5 * 60_000;

function loadKey(entry: TrustListKeyEntry, i: number): TrustedKey | undefined {
  const where = `trust list: keys[${i}]`;
  if (entry === null || typeof entry !== 'object')
    throw invalid(TrustListProblem.MALFORMED, `${where} is not an object`);
  if (!ALGS.includes(entry.alg)) throw invalid(TrustListProblem.MALFORMED, `${where}.alg is not supported`);
  if (!USES.includes(entry.use)) {
    if (typeof entry.use === 'string' && FUTURE_USE.test(entry.use)) return undefined;
    throw invalid(TrustListProblem.MALFORMED, `${where}.use is not known`);
  }
  if (typeof entry.spki !== 'string' || typeof entry.kid !== 'string') {
    throw invalid(TrustListProblem.MALFORMED, `${where}: kid and spki must be strings`);
  }
  const spkiDer = Buffer.from(entry.spki, 'base64');
  const kid = createHash('sha256').update(spkiDer).digest().subarray(0, 4).toString('hex');
  if (kid !== entry.kid.toLowerCase()) {
    throw invalid(TrustListProblem.MALFORMED, `${where}.kid does not match its spki`);
  }
  let publicKey: KeyObject | null = null;
  if (entry.alg !== 'SM2') {
    try {
      publicKey = createPublicKey({ key: spkiDer, format: 'der', type: 'spki' });
    } catch (cause) {
      throw new XinyiError('TRUST_LIST_INVALID', `${where}.spki is not a public key`, {
        cause,
        details: { reason: TrustListProblem.MALFORMED },
      });
    }
    if (!keyMatchesAlg(publicKey, entry.alg)) {
      throw invalid(TrustListProblem.MALFORMED, `${where}: the key is not an ${entry.alg} key`);
    }
  }
  const key: TrustedKey = { kid, alg: entry.alg, use: entry.use, spkiDer, publicKey };
  if (entry.validFrom !== undefined) key.validFrom = isoMs(entry.validFrom, `keys[${i}].validFrom`);
  if (entry.validTo !== undefined) key.validTo = isoMs(entry.validTo, `keys[${i}].validTo`);
  return Object.freeze(key);
}
