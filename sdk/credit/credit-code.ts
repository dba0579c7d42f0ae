import { createHash, createPublicKey, ECDH, type KeyObject, sign, verify } from 'node:crypto';
import { CreditCodeFlag, CreditEntitlement } from '../domain/entitlements.js';
import type { CreditStanding } from '../domain/standing.js';
import { TIER_CODES, type TierCode } from '../domain/tiers.js';
import { XinyiError } from '../errors.js';
import { decodeBase45, encodeBase45 } from './base45.js';
import type { ReplayCache } from './replay-cache.js';
import { STATUS_LIST_FUTURE_SKEW_MS, type StatusList, statusListSignerTrusted } from './status-list.js';
import {
  keyIdOf,
  keyMatchesAlg,
  keyValidAt,
  signWithAlg,
  type TrustedKey,
  type TrustKeyAlg,
  type TrustList,
  verifyWithAlg,
} from './trust-list.js';

/**
 * The QZ1 signed credit code (docs/credit-domain.md §4.2): a 133-byte issuer-signed credential and a
 * 68-byte holder presentation (time + device signature), 201 bytes, as Base45 after `QZ1:`.
 *
 * Credential: 0 version<<4|alg · 1 kid[4] · 5 sub[16] · 21 tier rank · 22 flags · 23 entitlements u16 ·
 * 25 iat u32 · 29 exp u32 · 33 status index u24 · 36 holder P-256 key (compressed, 33) · 69 signature[64].
 * Presentation: 133 t u32 · 137 ES256 signature over "QZC1-PRES" ‖ SHA-256(credential) ‖ t.
 * All integers big-endian; times in seconds since the epoch.
 */

export const CREDIT_CODE_PREFIX = 'QZ1:';
export const CREDIT_CODE_VERSION = 1;
export const CREDENTIAL_LENGTH = 133;
export const PRESENTATION_LENGTH = 201;
/** Length of the text of every QZ1 code: 4 + 201 bytes in Base45 (100 × 3 + 2). */
export const CREDIT_CODE_TEXT_LENGTH = 306;

/** The alg nibble of byte 0. */
export const CreditCodeAlg = { Ed25519: 1, ES256: 2, SM2: 3 } as const;
export type CreditCodeAlg = (typeof CreditCodeAlg)[keyof typeof CreditCodeAlg];

export { CreditCodeFlag, CreditEntitlement };

/** Every reason a code is refused. */
export const CreditCodeRefusal = {
  /** Not `QZ1:` + Base45 of exactly 201 bytes, or a field out of range. */
  FORMAT: 'FORMAT',
  /** A version this verifier does not know (prefix or version nibble). */
  VERSION: 'VERSION',
  /** No verifier for the alg nibble (SM2 unless one is registered, or an unassigned number). */
  UNSUPPORTED_ALG: 'UNSUPPORTED_ALG',
  /** No credit-code key with this kid on the trust list. */
  UNKNOWN_KEY: 'UNKNOWN_KEY',
  /** Keys with this kid exist, but none is of the code's algorithm (no algorithm downgrade). */
  ALG_MISMATCH: 'ALG_MISMATCH',
  /** The key exists but its validity period does not cover the credential's issue time. */
  KEY_NOT_VALID: 'KEY_NOT_VALID',
  ISSUER_SIGNATURE: 'ISSUER_SIGNATURE',
  NOT_YET_VALID: 'NOT_YET_VALID',
  EXPIRED: 'EXPIRED',
  HOLDER_SIGNATURE: 'HOLDER_SIGNATURE',
  /** Presented more than windowPastMs ago: a screenshot or a recording. */
  PRESENTATION_STALE: 'PRESENTATION_STALE',
  /** Presented more than windowFutureMs ahead of the terminal's clock. */
  PRESENTATION_FUTURE: 'PRESENTATION_FUTURE',
  REPLAYED: 'REPLAYED',
  REVOKED: 'REVOKED',
  /**
   * The code's status index is at or past the size of the status list held: the list cannot say
   * whether it was revoked, and a code that can never be revoked is not accepted.
   */
  STATUS_INDEX_OUT_OF_RANGE: 'STATUS_INDEX_OUT_OF_RANGE',
  /** The status list held is older than `maxStatusAgeMs`: a revocation since may not be in it. */
  STATUS_STALE: 'STATUS_STALE',
  /**
   * A status list is required and none is usable: none was loaded, its signing key is no longer on
   * the trust list for `status-list`, or it is dated in the future.
   */
  STATUS_MISSING: 'STATUS_MISSING',
  /** The trust list passed its expiry since it was loaded. */
  TRUST_LIST_EXPIRED: 'TRUST_LIST_EXPIRED',
} as const;
export type CreditCodeRefusal = (typeof CreditCodeRefusal)[keyof typeof CreditCodeRefusal];

// ---------------------------------------------------------------------------------------------
// Encoding (the platform and the phone)

export interface CredentialFields {
  /** 16 bytes, or their base64url text. */
  pseudonym: Uint8Array | string;
  /** Rank in the scheme the token is for: 6 = AAA … 1 = D, 0 = no tier. */
  tierRank: number;
  /** Bits of {@link CreditCodeFlag}; default 0. */
  flags?: number;
  /** Bitmap of {@link CreditEntitlement} (uint16). */
  entitlements: number;
  /** Epoch ms (stored as whole seconds, rounded down). */
  issuedAt: number;
  /** Epoch ms (stored as whole seconds, rounded down). */
  expiresAt: number;
  /** uint24. */
  statusIndex: number;
  /** The holder device's P-256 public key (a KeyObject, or its 33-byte compressed point). */
  holderPublicKey: KeyObject | Uint8Array;
}

/**
 * The holder's compressed P-256 point as a key. Decompressing it ourselves and importing a JWK takes
 * about 100 µs here against 130 µs for OpenSSL's parse of a compressed-point SPKI, and the key import
 * is the largest cost of verifying a code the terminal has not seen before.
 */
function importHolderKey(compressed: Uint8Array): KeyObject {
  const point = ECDH.convertKey(compressed, 'prime256v1', undefined, undefined, 'uncompressed') as Buffer;
  return createPublicKey({
    key: {
      kty: 'EC',
      crv: 'P-256',
      x: point.subarray(1, 33).toString('base64url'),
      y: point.subarray(33, 65).toString('base64url'),
    },
    format: 'jwk',
  });
}
const PRES_DOMAIN = Buffer.from('QZC1-PRES', 'ascii');

function argument(message: string): XinyiError {
  return new XinyiError('INVALID_ARGUMENT', message);
}

function uint(value: number, max: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 0 || value > max) {
    throw argument(`${name} must be an integer in [0, ${max}]`);
  }
  return value;
}

function seconds(ms: number, name: string): number {
  if (!Number.isFinite(ms)) throw argument(`${name} must be epoch milliseconds`);
  return uint(Math.floor(ms / 1000), 0xffffffff, `${name} (seconds)`);
}

/** The 33-byte compressed point of a P-256 public key. */
export function compressP256(key: KeyObject): Uint8Array {
  const pub = key.type === 'public' ? key : createPublicKey(key);
  if (!keyMatchesAlg(pub, 'ES256')) throw argument('the holder key must be a P-256 key');
  const jwk = pub.export({ format: 'jwk' });
  const x = Buffer.from(jwk.x ?? '', 'base64url');
  const y = Buffer.from(jwk.y ?? '', 'base64url');
  const out = new Uint8Array(33);
  out[0] = 0x02 | (y[31]! & 1);
  out.set(x, 1);
  return out;
}

/**
 * Builds and signs a 133-byte credential (the platform side). The kid is derived from the issuer key.
 * Throws `INVALID_ARGUMENT` for a field out of range or a key not of `alg`.
 */
export function encodeCredential(
  fields: CredentialFields,
  issuerPrivateKey: KeyObject,
  alg: 'Ed25519' | 'ES256',
): Uint8Array {
  if (issuerPrivateKey.type !== 'private' || !keyMatchesAlg(issuerPrivateKey, alg)) {
    throw argument(`encodeCredential(): the issuer key is not an ${alg} private key`);
  }
  const sub =
    typeof fields.pseudonym === 'string' ? Buffer.from(fields.pseudonym, 'base64url') : fields.pseudonym;
  if (sub.length !== 16) throw argument('encodeCredential(): pseudonym must be 16 bytes');
  const holder =
    fields.holderPublicKey instanceof Uint8Array
      ? fields.holderPublicKey
      : compressP256(fields.holderPublicKey);
  if (holder.length !== 33 || (holder[0] !== 2 && holder[0] !== 3)) {
    throw argument('encodeCredential(): holderPublicKey must be a 33-byte compressed P-256 point');
  }
  const out = Buffer.alloc(CREDENTIAL_LENGTH);
  out[0] = (CREDIT_CODE_VERSION << 4) | CreditCodeAlg[alg];
  Buffer.from(keyIdOf(issuerPrivateKey), 'hex').copy(out, 1);
  out.set(sub, 5);
  out[21] = uint(fields.tierRank, 255, 'tierRank');
  out[22] = uint(fields.flags ?? 0, 255, 'flags');
  out.writeUInt16BE(uint(fields.entitlements, 0xffff, 'entitlements'), 23);
  out.writeUInt32BE(seconds(fields.issuedAt, 'issuedAt'), 25);
  out.writeUInt32BE(seconds(fields.expiresAt, 'expiresAt'), 29);
  out.writeUIntBE(uint(fields.statusIndex, 0xffffff, 'statusIndex'), 33, 3);
  out.set(holder, 36);
  const signature = signWithAlg(alg, out.subarray(0, 69), issuerPrivateKey);
  signature.copy(out, 69);
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

function presentationMessage(credentialHash: Uint8Array, tBytes: Uint8Array): Buffer {
  return Buffer.concat([PRES_DOMAIN, credentialHash, tBytes]);
}

/**
 * The phone side: signs the presentation time `tMs` with the holder's P-256 private key and returns
 * the `QZ1:` text to show as a QR code. Throws `INVALID_ARGUMENT` for a bad credential or key.
 */
export function presentCredential(credential: Uint8Array, holderPrivateKey: KeyObject, tMs: number): string {
  if (credential.length !== CREDENTIAL_LENGTH)
    throw argument('presentCredential(): credential must be 133 bytes');
  if (holderPrivateKey.type !== 'private' || !keyMatchesAlg(holderPrivateKey, 'ES256')) {
    throw argument('presentCredential(): the holder key must be a P-256 private key');
  }
  const t = Buffer.alloc(4);
  t.writeUInt32BE(seconds(tMs, 't'), 0);
  const hash = createHash('sha256').update(credential).digest();
  const signature = sign('sha256', presentationMessage(hash, t), {
    key: holderPrivateKey,
    dsaEncoding: 'ieee-p1363',
  });
  return CREDIT_CODE_PREFIX + encodeBase45(Buffer.concat([credential, t, signature]));
}

// ---------------------------------------------------------------------------------------------
// Decoding

/** The fields of a code, read without checking anything but structure. */
export interface DecodedCreditCode {
  version: number;
  alg: number;
  /** Hex. */
  kid: string;
  /** Base64url of the 16-byte sub. */
  pseudonym: string;
  tierRank: number;
  flags: number;
  entitlements: number;
  /** Seconds. */
  iat: number;
  exp: number;
  statusIndex: number;
  /** 33-byte compressed P-256 point. */
  holderKey: Uint8Array;
  /** Seconds. */
  t: number;
  /** The 201 bytes. */
  bytes: Uint8Array;
}

export type DecodeResult = { ok: true; code: DecodedCreditCode } | { ok: false; reason: CreditCodeRefusal };

/** Parses a `QZ1:` text. Never throws: a bad text gives FORMAT, another version VERSION. */
export function decodeCreditCode(text: string): DecodeResult {
  if (typeof text !== 'string') return { ok: false, reason: CreditCodeRefusal.FORMAT };
  if (!text.startsWith(CREDIT_CODE_PREFIX)) {
    return { ok: false, reason: /^QZ\d+:/.test(text) ? CreditCodeRefusal.VERSION : CreditCodeRefusal.FORMAT };
  }
  if (text.length !== CREDIT_CODE_TEXT_LENGTH) return { ok: false, reason: CreditCodeRefusal.FORMAT };
  let bytes: Uint8Array;
  try {
    bytes = decodeBase45(text.slice(CREDIT_CODE_PREFIX.length));
  } catch {
    return { ok: false, reason: CreditCodeRefusal.FORMAT };
  }
  if (bytes.length !== PRESENTATION_LENGTH) return { ok: false, reason: CreditCodeRefusal.FORMAT };
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const version = b[0]! >> 4;
  if (version !== CREDIT_CODE_VERSION) return { ok: false, reason: CreditCodeRefusal.VERSION };
  return {
    ok: true,
    code: {
      version,
      alg: b[0]! & 0x0f,
      kid: b.toString('hex', 1, 5),
      pseudonym: b.toString('base64url', 5, 21),
      tierRank: b[21]!,
      flags: b[22]!,
      entitlements: b.readUInt16BE(23),
      iat: b.readUInt32BE(25),
      exp: b.readUInt32BE(29),
      statusIndex: b.readUIntBE(33, 3),
      holderKey: bytes.subarray(36, 69),
      t: b.readUInt32BE(133),
      bytes,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Verification

/**
 * Verifies issuer signatures of one algorithm. The built-in ones cover Ed25519 (1) and ES256 (2);
 * register one for SM2 (3), e.g. on `sm-crypto-v2`, through `verifiers` — it receives the trust-list
 * key, whose `spkiDer` it parses itself.
 */
export interface IssuerVerifier {
  /** The alg nibble it handles. */
  readonly alg: number;
  /** The trust-list algorithm a key must have to be used with this verifier. */
  readonly keyAlg: TrustKeyAlg;
  verify(message: Uint8Array, signature: Uint8Array, key: TrustedKey): boolean;
}

export const ed25519Verifier: IssuerVerifier = {
  alg: CreditCodeAlg.Ed25519,
  keyAlg: 'Ed25519',
  verify: (message, signature, key) =>
    key.publicKey !== null && verifyWithAlg('Ed25519', message, signature, key.publicKey),
};

export const es256Verifier: IssuerVerifier = {
  alg: CreditCodeAlg.ES256,
  keyAlg: 'ES256',
  verify: (message, signature, key) =>
    key.publicKey !== null && verifyWithAlg('ES256', message, signature, key.publicKey),
};

export interface VerifyCreditCodeOptions {
  trustList: TrustList;
  /** Epoch ms: the terminal's (synchronised) clock. */
  now: number;
  /** Without one, replays are not detected: every terminal should pass one. */
  replayCache?: ReplayCache;
  /** Without one, revocation is not checked (unless `requireStatusList` demands a list). */
  statusList?: StatusList;
  /**
   * A status list older than this refuses the code with STATUS_STALE; set, it also makes the list
   * required unless `requireStatusList` is false. The terminal's resolver defaults it to
   * {@link DEFAULT_MAX_STATUS_AGE_MS}.
   */
  maxStatusAgeMs?: number;
  /**
   * No usable status list (none, signed by a key the trust list no longer names, or dated in the
   * future) refuses the code with STATUS_MISSING. @default true when `maxStatusAgeMs` is set
   */
  requireStatusList?: boolean;
  /** Default 90 000. */
  windowPastMs?: number;
  /** Default 30 000. */
  windowFutureMs?: number;
  /** Tolerance for a credential issued "in the future" by a drifting issuer clock; default 60 000. */
  clockSkewMs?: number;
  /** Extra issuer verifiers by alg nibble (an SM2 one); they replace built-ins with the same alg. */
  verifiers?: readonly IssuerVerifier[];
  /**
   * Remember credentials whose issuer signature verified (per trust list, keyed by SHA-256 of the
   * 133 bytes, at most 4096) so a phone presenting the same credential again costs one signature
   * check instead of two plus a key import. Default true; not used with custom `verifiers`.
   */
  cacheCredentials?: boolean;
}

/**
 * Default `maxStatusAgeMs` of the terminal's credit-code resolver and the gate daemon: 24 hours.
 *
 * Revocation reaches an offline terminal only through the status list, so the list's age is how long
 * a revoked code may still be honoured. Credentials live 24–72 h (48 h by default,
 * docs/credit-codes.md): a limit as long as the lifetime would make revocation meaningless for a
 * terminal that stopped syncing, since the code would expire before the terminal learnt of it. 24 h
 * is the shortest lifetime, half the default one, and leaves a terminal that syncs every minute a
 * full day of platform outage before credit codes stop granting incentives.
 */
export const DEFAULT_MAX_STATUS_AGE_MS = 24 * 3_600_000;

export interface VerifiedCreditCode {
  ok: true;
  standing: CreditStanding;
  /** Base64url of the 16-byte sub. */
  pseudonym: string;
  kid: string;
  /** Bitmap of {@link CreditEntitlement}. */
  entitlements: number;
  flags: number;
  statusIndex: number;
  /** ISO. */
  expiresAt: string;
  /** ISO: the holder's presentation time. */
  presentedAt: string;
}

export type VerifyCreditCodeResult = VerifiedCreditCode | { ok: false; reason: CreditCodeRefusal };

const BUILT_IN: ReadonlyMap<number, IssuerVerifier> = new Map([
  [ed25519Verifier.alg, ed25519Verifier],
  [es256Verifier.alg, es256Verifier],
]);

/** Tier from the 1–6 rank of the Shandong pattern (6 = AAA); 0 = none. */
function tierOfRank(rank: number): TierCode | null | undefined {
  if (rank === 0) return null;
  return TIER_CODES[TIER_CODES.length - rank];
}

/**
 * Per trust list (weakly held, so a replaced list drops its entries): SHA-256 of credentials whose
 * issuer signature verified → the imported holder key. Bounded; the oldest entry goes first.
 */
const VERIFIED_CREDENTIALS = new WeakMap<TrustList, Map<string, KeyObject>>();
const VERIFIED_CACHE_SIZE = 4096;

const refuse = (reason: CreditCodeRefusal): { ok: false; reason: CreditCodeRefusal } => ({
  ok: false,
  reason,
});

/**
 * Verifies a scanned `QZ1:` code (docs/credit-domain.md §4.2, steps 1–7) and returns the standing it
 * carries, or the first reason to refuse it. Never throws for bad input; throws `INVALID_OPTIONS`
 * only for a missing trust list or a non-numeric `now`.
 *
 * Order: structure → trust list still valid → algorithm → key lookup (all keys with the kid) →
 * issuer signature → iat/exp → holder signature → presentation window → status → replay. The replay
 * cache records only codes that passed every other check.
 */
export function verifyCreditCode(text: string, options: VerifyCreditCodeOptions): VerifyCreditCodeResult {
  const { trustList, now } = options;
  if (trustList === null || typeof trustList !== 'object' || typeof trustList.keysFor !== 'function') {
    throw new XinyiError('INVALID_OPTIONS', 'verifyCreditCode(): trustList must be a loaded TrustList');
  }
  if (!Number.isFinite(now))
    throw new XinyiError('INVALID_OPTIONS', 'verifyCreditCode(): now must be epoch ms');
  try {
    return verifyDecoded(text, options);
  } catch {
    // Belt and braces: whatever slipped through is a malformed code, not a crash at the gate.
    return refuse(CreditCodeRefusal.FORMAT);
  }
}

function verifyDecoded(text: string, options: VerifyCreditCodeOptions): VerifyCreditCodeResult {
  const { trustList, now } = options;
  const decoded = decodeCreditCode(text);
  if (!decoded.ok) return decoded;
  const code = decoded.code;
  const bytes = code.bytes;

  if (now >= trustList.expiresAt) return refuse(CreditCodeRefusal.TRUST_LIST_EXPIRED);

  const credential = bytes.subarray(0, CREDENTIAL_LENGTH);
  const hash = createHash('sha256').update(credential).digest();
  const iatMs = code.iat * 1000;
  // A credential whose issuer signature already verified under this trust list (same bytes, same
  // SHA-256) skips the issuer check and the holder-key import; every other check still runs.
  const cacheable = options.cacheCredentials !== false && options.verifiers === undefined;
  const hashKey = cacheable ? hash.toString('base64') : '';
  let verified = cacheable ? VERIFIED_CREDENTIALS.get(trustList) : undefined;
  let holderKey = verified?.get(hashKey);
  if (holderKey === undefined) {
    let verifier = BUILT_IN.get(code.alg);
    if (options.verifiers) for (const v of options.verifiers) if (v.alg === code.alg) verifier = v;
    if (!verifier) return refuse(CreditCodeRefusal.UNSUPPORTED_ALG);

    const candidates = trustList.keysFor(code.kid, 'credit-code');
    if (candidates.length === 0) return refuse(CreditCodeRefusal.UNKNOWN_KEY);
    const ofAlg = candidates.filter((k) => k.alg === verifier.keyAlg);
    if (ofAlg.length === 0) return refuse(CreditCodeRefusal.ALG_MISMATCH);
    const usable = ofAlg.filter((k) => keyValidAt(k, iatMs));
    if (usable.length === 0) return refuse(CreditCodeRefusal.KEY_NOT_VALID);
    const signed = bytes.subarray(0, 69);
    const issuerSignature = bytes.subarray(69, CREDENTIAL_LENGTH);
    if (!usable.some((k) => verifier.verify(signed, issuerSignature, k))) {
      return refuse(CreditCodeRefusal.ISSUER_SIGNATURE);
    }
    try {
      holderKey = importHolderKey(code.holderKey);
    } catch {
      return refuse(CreditCodeRefusal.HOLDER_SIGNATURE);
    }
    if (cacheable) {
      if (!verified) {
        verified = new Map();
        VERIFIED_CREDENTIALS.set(trustList, verified);
      }
      verified.set(hashKey, holderKey);
      if (verified.size > VERIFIED_CACHE_SIZE) {
        const oldest = verified.keys().next();
        if (!oldest.done) verified.delete(oldest.value);
      }
    }
  }

  const tier = tierOfRank(code.tierRank);
  if (tier === undefined) return refuse(CreditCodeRefusal.FORMAT);
  if (iatMs > now + (options.clockSkewMs ?? 60_000)) return refuse(CreditCodeRefusal.NOT_YET_VALID);
  if (now >= code.exp * 1000) return refuse(CreditCodeRefusal.EXPIRED);

  let holderOk = false;
  try {
    holderOk = verify(
      'sha256',
      presentationMessage(hash, bytes.subarray(133, 137)),
      { key: holderKey, dsaEncoding: 'ieee-p1363' },
      bytes.subarray(137, PRESENTATION_LENGTH),
    );
  } catch {
    holderOk = false;
  }
  if (!holderOk) return refuse(CreditCodeRefusal.HOLDER_SIGNATURE);

  const tMs = code.t * 1000;
  // t has whole-second resolution: a presentation in the current second is never "future".
  if (tMs < now - (options.windowPastMs ?? 90_000)) return refuse(CreditCodeRefusal.PRESENTATION_STALE);
  if (tMs > now + (options.windowFutureMs ?? 30_000)) return refuse(CreditCodeRefusal.PRESENTATION_FUTURE);

  const statusRefusal = checkStatus(code.statusIndex, trustList, now, options);
  if (statusRefusal !== undefined) return refuse(statusRefusal);

  if (options.replayCache && !options.replayCache.checkAndRecord(`${hash.toString('hex')}:${code.t}`, now)) {
    return refuse(CreditCodeRefusal.REPLAYED);
  }

  const red = (code.flags & CreditCodeFlag.RED_LIST) !== 0;
  return {
    ok: true,
    standing: {
      tier,
      lists: red ? [{ kind: 'red' }] : [],
      source: 'credit-code',
      asOf: new Date(iatMs).toISOString(),
      codeClaims: { entitlements: code.entitlements, flags: code.flags },
    },
    pseudonym: code.pseudonym,
    kid: code.kid,
    entitlements: code.entitlements,
    flags: code.flags,
    statusIndex: code.statusIndex,
    expiresAt: new Date(code.exp * 1000).toISOString(),
    presentedAt: new Date(tMs).toISOString(),
  };
}

/**
 * Revocation, in this order: a list whose signer the trust list still names says whether the index
 * is covered and revoked (a revocation counts even from a stale list); then, when a list is
 * required, it must be usable (trusted signer, not dated in the future) and not older than
 * `maxStatusAgeMs`.
 */
function checkStatus(
  statusIndex: number,
  trustList: TrustList,
  now: number,
  options: VerifyCreditCodeOptions,
): CreditCodeRefusal | undefined {
  const { statusList, maxStatusAgeMs } = options;
  const required = options.requireStatusList ?? maxStatusAgeMs !== undefined;
  const trusted = statusList !== undefined && statusListSignerTrusted(statusList, trustList);
  if (statusList !== undefined && trusted) {
    if (statusIndex >= statusList.size) return CreditCodeRefusal.STATUS_INDEX_OUT_OF_RANGE;
    if (statusList.isRevoked(statusIndex)) return CreditCodeRefusal.REVOKED;
  }
  const usable = trusted && statusList.issuedAt <= now + STATUS_LIST_FUTURE_SKEW_MS;
  if (!usable) return required ? CreditCodeRefusal.STATUS_MISSING : undefined;
  if (maxStatusAgeMs !== undefined && now - statusList.issuedAt > maxStatusAgeMs) {
    return CreditCodeRefusal.STATUS_STALE;
  }
  return undefined;
}
