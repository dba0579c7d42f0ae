import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBase45, encodeBase45 } from '../../../sdk/credit/base45.js';
import {
  CREDIT_CODE_PREFIX,
  CREDIT_CODE_TEXT_LENGTH,
  CreditCodeRefusal,
  decodeCreditCode,
  encodeCredential,
  type IssuerVerifier,
  presentCredential,
  type VerifyCreditCodeOptions,
  verifyCreditCode,
} from '../../../sdk/credit/credit-code.js';
import { createReplayCache } from '../../../sdk/credit/replay-cache.js';
import { loadStatusList, statusListSignerTrusted } from '../../../sdk/credit/status-list.js';
import {
  keyIdOf,
  loadTrustList,
  signTrustList,
  type TrustList,
  type TrustListContent,
} from '../../../sdk/credit/trust-list.js';
import { createCreditIssuer } from '../../../simulator/credit-issuer.js';

const T0 = Date.parse('2026-06-01T10:00:00Z');
const HOUR = 3_600_000;

const issuers = {
  Ed25519: createCreditIssuer({ seed: 'credit-code-test-ed', alg: 'Ed25519', now: T0 }),
  ES256: createCreditIssuer({ seed: 'credit-code-test-es', alg: 'ES256', now: T0 }),
};
const edIssuer = issuers.Ed25519;
const trustLists: Record<'Ed25519' | 'ES256', TrustList> = {
  Ed25519: loadTrustList(issuers.Ed25519.trustList, {
    rootPublicKey: issuers.Ed25519.rootPublicKey,
    now: T0,
  }),
  ES256: loadTrustList(issuers.ES256.trustList, { rootPublicKey: issuers.ES256.rootPublicKey, now: T0 }),
};
const edTrust = trustLists.Ed25519;
const edPhone = edIssuer.issue('person-1', 'AA', { now: T0 - HOUR, entitlements: 0b101 });
const edText = edPhone.present(T0);

const verify = (text: string, options: Partial<VerifyCreditCodeOptions> = {}) =>
  verifyCreditCode(text, { trustList: edTrust, now: T0, ...options });

/** Text with the payload bytes changed by `edit`. */
function edited(text: string, edit: (bytes: Uint8Array) => void): string {
  const bytes = new Uint8Array(decodeBase45(text.slice(4)));
  edit(bytes);
  return CREDIT_CODE_PREFIX + encodeBase45(bytes);
}

describe('QZ1 credit codes', () => {
  it.each(['Ed25519', 'ES256'] as const)('accepts a valid %s code and returns its standing', (alg) => {
    const phone = issuers[alg].issue('person-2', 'AAA', { now: T0 - HOUR, entitlements: 0x0003 });
    const text = phone.present(T0);
    expect(text.startsWith('QZ1:')).toBe(true);
    expect(text).toHaveLength(306);
    expect(text).toHaveLength(CREDIT_CODE_TEXT_LENGTH);
    const result = verifyCreditCode(text, { trustList: trustLists[alg], now: T0 });
    expect(result).toEqual({
      ok: true,
      standing: {
        tier: 'AAA',
        lists: [],
        source: 'credit-code',
        asOf: new Date(Math.floor((T0 - HOUR) / 1000) * 1000).toISOString(),
        codeClaims: { entitlements: 0x0003, flags: 0x01 },
      },
      pseudonym: phone.pseudonym,
      kid: issuers[alg].kid,
      entitlements: 0x0003,
      flags: 0x01,
      statusIndex: phone.statusIndex,
      expiresAt: new Date(T0 - HOUR + 48 * HOUR).toISOString(),
      presentedAt: new Date(T0).toISOString(),
    });
    expect(Buffer.from(phone.pseudonym, 'base64url')).toHaveLength(16);
  });

  it('maps the red-list flag to a red list membership and ranks to tiers', () => {
    const red = edIssuer.issue('person-red', 'B', { now: T0 - HOUR, red: true });
    const result = verify(red.present(T0));
    expect(result.ok && result.standing).toMatchObject({ tier: 'B', lists: [{ kind: 'red' }] });
    const none = edIssuer.issue('person-none', null, { now: T0 - HOUR });
    const r2 = verify(none.present(T0));
    expect(r2.ok && r2.standing.tier).toBeNull();
    const d = verify(edIssuer.issue('person-d', 'D', { now: T0 - HOUR }).present(T0));
    expect(d.ok && d.standing.tier).toBe('D');
  });

  it('decodes the structure without verifying', () => {
    const decoded = decodeCreditCode(edText);
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    expect(decoded.code).toMatchObject({
      version: 1,
      alg: 1,
      kid: edIssuer.kid,
      tierRank: 5,
      entitlements: 0b101,
      t: T0 / 1000,
      statusIndex: edPhone.statusIndex,
    });
    expect(decoded.code.bytes).toHaveLength(201);
  });

  it('refuses an expired credential with EXPIRED', () => {
    const later = T0 - HOUR + 48 * HOUR;
    expect(verify(edPhone.present(later), { now: later })).toEqual({ ok: false, reason: 'EXPIRED' });
  });

  it('refuses a credential issued in the future with NOT_YET_VALID (beyond the skew)', () => {
    const early = edIssuer.issue('person-3', 'A', { now: T0 + 10 * 60_000 });
    expect(verify(early.present(T0))).toEqual({ ok: false, reason: 'NOT_YET_VALID' });
    const slightly = edIssuer.issue('person-3', 'A', { now: T0 + 30_000 });
    expect(verify(slightly.present(T0)).ok).toBe(true);
  });

  it('refuses a code from an issuer not on the trust list with UNKNOWN_KEY', () => {
    const stranger = createCreditIssuer({ seed: 'someone-else', now: T0 });
    expect(verify(stranger.issue('x', 'AAA', { now: T0 - HOUR }).present(T0))).toEqual({
      ok: false,
      reason: 'UNKNOWN_KEY',
    });
  });

  it('refuses a code claiming another algorithm than its key has with ALG_MISMATCH', () => {
    // Ed25519 key, code claims ES256: the key's algorithm decides, there is no downgrade.
    expect(verify(edited(edText, (b) => (b[0] = 0x12)))).toEqual({ ok: false, reason: 'ALG_MISMATCH' });
    expect(verify(edited(edText, (b) => (b[0] = 0x13)))).toEqual({ ok: false, reason: 'UNSUPPORTED_ALG' });
    expect(verify(edited(edText, (b) => (b[0] = 0x1f)))).toEqual({ ok: false, reason: 'UNSUPPORTED_ALG' });
    expect(verify(edited(edText, (b) => (b[0] = 0x21)))).toEqual({ ok: false, reason: 'VERSION' });
    expect(verify(`QZ2:${edText.slice(4)}`)).toEqual({ ok: false, reason: 'VERSION' });
  });

  it('refuses a bad issuer signature with ISSUER_SIGNATURE and a bad holder signature with HOLDER_SIGNATURE', () => {
    expect(verify(edited(edText, (b) => (b[21] = 6)))).toEqual({ ok: false, reason: 'ISSUER_SIGNATURE' });
    expect(verify(edited(edText, (b) => (b[200]! ^= 1)))).toEqual({ ok: false, reason: 'HOLDER_SIGNATURE' });
  });

  it('refuses a second presentation of the same text with REPLAYED', () => {
    const replayCache = createReplayCache();
    const text = edIssuer.issue('person-4', 'A', { now: T0 - HOUR }).present(T0);
    expect(verify(text, { replayCache }).ok).toBe(true);
    expect(verify(text, { replayCache, now: T0 + 5_000 })).toEqual({ ok: false, reason: 'REPLAYED' });
    // A fresh presentation of the same credential is fine.
    expect(
      verify(edIssuer.issue('person-4', 'A', { now: T0 - HOUR }).present(T0 + 1000), { replayCache }).ok,
    ).toBe(true);
  });

  it('refuses a presentation outside the window with PRESENTATION_STALE / PRESENTATION_FUTURE', () => {
    expect(verify(edPhone.present(T0 - 91_000))).toEqual({ ok: false, reason: 'PRESENTATION_STALE' });
    expect(verify(edPhone.present(T0 - 90_000)).ok).toBe(true);
    expect(verify(edPhone.present(T0 + 31_000))).toEqual({ ok: false, reason: 'PRESENTATION_FUTURE' });
    expect(verify(edPhone.present(T0 + 30_000)).ok).toBe(true);
    expect(verify(edPhone.present(T0 - 20_000), { windowPastMs: 10_000 })).toEqual({
      ok: false,
      reason: 'PRESENTATION_STALE',
    });
  });

  it('refuses a revoked credential with REVOKED and a stale status list with STATUS_STALE', () => {
    const issuer = createCreditIssuer({ seed: 'status-test', now: T0 });
    const trustList = loadTrustList(issuer.trustList, { rootPublicKey: issuer.rootPublicKey, now: T0 });
    const keep = issuer.issue('keep', 'AA', { now: T0 - HOUR });
    const lose = issuer.issue('lose', 'AA', { now: T0 - HOUR });
    issuer.revoke(lose.statusIndex);
    const statusList = loadStatusList(issuer.signedStatusList(T0 - HOUR), { trustList });
    expect(statusList.isRevoked(lose.statusIndex)).toBe(true);
    expect(statusList.isRevoked(keep.statusIndex)).toBe(false);
    const base = { trustList, now: T0, statusList, maxStatusAgeMs: 24 * HOUR };
    expect(verifyCreditCode(keep.present(T0), base).ok).toBe(true);
    expect(verifyCreditCode(lose.present(T0), base)).toEqual({ ok: false, reason: 'REVOKED' });
    const old = loadStatusList(issuer.signedStatusList(T0 - 25 * HOUR), { trustList });
    expect(verifyCreditCode(keep.present(T0), { ...base, statusList: old })).toEqual({
      ok: false,
      reason: 'STATUS_STALE',
    });
    expect(verifyCreditCode(keep.present(T0), { ...base, statusList: undefined })).toEqual({
      ok: false,
      reason: 'STATUS_MISSING',
    });
    // A revocation counts even from a stale list.
    expect(verifyCreditCode(lose.present(T0), { ...base, statusList: old })).toEqual({
      ok: false,
      reason: 'REVOKED',
    });
  });

  it('a required status list must be usable: not dated in the future, signed by a key still trusted', () => {
    const issuer = createCreditIssuer({ seed: 'status-usable', now: T0 });
    const trustList = loadTrustList(issuer.trustList, { rootPublicKey: issuer.rootPublicKey, now: T0 });
    const phone = issuer.issue('usable', 'AA', { now: T0 - HOUR });
    const base = { trustList, now: T0, maxStatusAgeMs: 24 * HOUR };
    const current = loadStatusList(issuer.signedStatusList(T0 - HOUR), { trustList });
    expect(verifyCreditCode(phone.present(T0), { ...base, statusList: current }).ok).toBe(true);
    // Dated 10 years ahead (an issuer clock error): not a list to rely on.
    const future = loadStatusList(issuer.signedStatusList(T0 + 3650 * 24 * HOUR), { trustList });
    expect(verifyCreditCode(phone.present(T0), { ...base, statusList: future })).toEqual({
      ok: false,
      reason: 'STATUS_MISSING',
    });
    // Within the 5-minute skew it is fine.
    const skewed = loadStatusList(issuer.signedStatusList(T0 + 4 * 60_000), { trustList });
    expect(verifyCreditCode(phone.present(T0), { ...base, statusList: skewed }).ok).toBe(true);
    // A newer trust list without the status-list key: the list held says nothing any more.
    const withdrawn = loadTrustList(
      issuer.signTrustList({
        ...issuer.trustListContent,
        version: 2,
        keys: issuer.trustListContent.keys.filter((k) => k.use !== 'status-list'),
      }),
      { rootPublicKey: issuer.rootPublicKey, now: T0 },
    );
    expect(
      verifyCreditCode(phone.present(T0), { ...base, trustList: withdrawn, statusList: current }),
    ).toEqual({ ok: false, reason: 'STATUS_MISSING' });
    // Without maxStatusAgeMs the list is optional unless asked for.
    expect(verifyCreditCode(phone.present(T0), { trustList, now: T0 }).ok).toBe(true);
    expect(verifyCreditCode(phone.present(T0), { trustList, now: T0, requireStatusList: true })).toEqual({
      ok: false,
      reason: 'STATUS_MISSING',
    });
  });

  it('refuses a code whose status index is at or past the size of the list (it could never be revoked)', () => {
    const issuer = createCreditIssuer({ seed: 'status-range', now: T0, statusListSize: 1024 });
    const trustList = loadTrustList(issuer.trustList, { rootPublicKey: issuer.rootPublicKey, now: T0 });
    const statusList = loadStatusList(issuer.signedStatusList(T0 - HOUR), { trustList });
    const base = { trustList, now: T0, statusList, maxStatusAgeMs: 24 * HOUR };
    const last = issuer.issue('last', 'AA', { now: T0 - HOUR, statusIndex: 1023 });
    expect(verifyCreditCode(last.present(T0), base).ok).toBe(true);
    for (const statusIndex of [1024, 0xffffff]) {
      const beyond = issuer.issue(`beyond-${statusIndex}`, 'AA', { now: T0 - HOUR, statusIndex });
      expect(verifyCreditCode(beyond.present(T0), base)).toEqual({
        ok: false,
        reason: 'STATUS_INDEX_OUT_OF_RANGE',
      });
    }
  });

  it('refuses a code once the trust list it is checked against has expired', () => {
    const later = edTrust.expiresAt;
    expect(verify(edPhone.present(later), { now: later })).toEqual({
      ok: false,
      reason: 'TRUST_LIST_EXPIRED',
    });
  });

  it('refuses a flipped bit in every one of the 201 bytes, never accepting and never throwing', () => {
    for (const alg of ['Ed25519', 'ES256'] as const) {
      const text = issuers[alg].issue('tamper', 'AAA', { now: T0 - HOUR }).present(T0);
      const options = { trustList: trustLists[alg], now: T0 };
      expect(verifyCreditCode(text, options).ok).toBe(true);
      for (let i = 0; i < 201; i++) {
        for (const mask of [0x01, 0x80, 0xff]) {
          const result = verifyCreditCode(
            edited(text, (b) => (b[i]! ^= mask)),
            options,
          );
          expect(result.ok, `byte ${i} mask ${mask}`).toBe(false);
        }
      }
    }
  });

  it('refuses any byte value at any position (fast-check)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 1, max: 255 }), (i, delta) => {
        const result = verify(edited(edText, (b) => (b[i] = (b[i]! + delta) & 0xff)));
        expect(result.ok).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('never throws for arbitrary text, and refuses it with FORMAT or VERSION', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string().map((s) => `QZ1:${s}`),
        ),
        (text) => {
          const result = verify(text);
          expect(result.ok).toBe(false);
          expect(['FORMAT', 'VERSION']).toContain(result.ok ? '' : result.reason);
        },
      ),
    );
    fc.assert(
      fc.property(fc.integer({ min: 4, max: 305 }), fc.constantFrom(...'0AZ $%*+-./:'), (i, c) => {
        const text = edText.slice(0, i) + c + edText.slice(i + 1);
        if (text !== edText) expect(verify(text).ok).toBe(false);
      }),
    );
    for (const bad of [undefined, null, 42, {}] as unknown[]) expect(verify(bad as string).ok).toBe(false);
    expect(verify(edText.slice(0, 305))).toEqual({ ok: false, reason: 'FORMAT' });
    expect(verify(`${edText}0`)).toEqual({ ok: false, reason: 'FORMAT' });
  });

  it('a credential seen before (cached issuer check) still gets every other check', () => {
    const phone = edIssuer.issue('cached', 'A', { now: T0 - HOUR, lifetimeMs: 2 * HOUR });
    expect(verify(phone.present(T0)).ok).toBe(true);
    expect(verify(edited(phone.present(T0 + 1000), (b) => (b[150]! ^= 4)))).toEqual({
      ok: false,
      reason: 'HOLDER_SIGNATURE',
    });
    expect(verify(phone.present(T0 - 100_000))).toEqual({ ok: false, reason: 'PRESENTATION_STALE' });
    expect(verify(phone.present(T0 + HOUR), { now: T0 + HOUR })).toEqual({ ok: false, reason: 'EXPIRED' });
    expect(verify(phone.present(T0), { cacheCredentials: false })).toEqual(verify(phone.present(T0)));
  });

  it('every refusal reason is one of CreditCodeRefusal', () => {
    expect(Object.values(CreditCodeRefusal)).toEqual(Object.keys(CreditCodeRefusal));
  });

  it('throws INVALID_OPTIONS only for a missing trust list or a bad now', () => {
    expect(() => verifyCreditCode(edText, { trustList: undefined as unknown as TrustList, now: T0 })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    );
    expect(() => verify(edText, { now: Number.NaN })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    );
  });
});

describe('algorithm agility', () => {
  // A stand-in for an SM2 verifier: alg 3, keys marked SM2 on the trust list, parsed by the verifier itself.
  const sm2Spki = Buffer.from('sm2-placeholder-spki-der');
  const sm2Kid = createHash('sha256').update(sm2Spki).digest().subarray(0, 4).toString('hex');
  const content: TrustListContent = {
    ...edIssuer.trustListContent,
    keys: [
      ...edIssuer.trustListContent.keys,
      { kid: sm2Kid, alg: 'SM2', use: 'credit-code', spki: sm2Spki.toString('base64') },
    ],
  };
  const trustList = loadTrustList(edIssuer.signTrustList(content), {
    rootPublicKey: edIssuer.rootPublicKey,
    now: T0,
  });

  // Build an alg-3 code: the fields of a real credential, alg nibble 3, the SM2 kid, a fake signature.
  const holder = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const credential = Buffer.from(
    encodeCredential(
      {
        pseudonym: new Uint8Array(16),
        tierRank: 4,
        entitlements: 1,
        issuedAt: T0 - HOUR,
        expiresAt: T0 + HOUR,
        statusIndex: 7,
        holderPublicKey: holder.publicKey,
      },
      generateKeyPairSync('ed25519').privateKey,
      'Ed25519',
    ),
  );
  credential[0] = 0x13;
  Buffer.from(sm2Kid, 'hex').copy(credential, 1);
  const text = presentCredential(credential, holder.privateKey, T0);
  const fakeSm2: IssuerVerifier = {
    alg: 3,
    keyAlg: 'SM2',
    verify: (message, _signature, key) => message.length === 69 && key.spkiDer.equals(sm2Spki),
  };

  it('refuses SM2 codes with UNSUPPORTED_ALG until a verifier is registered', () => {
    expect(verifyCreditCode(text, { trustList, now: T0 })).toEqual({ ok: false, reason: 'UNSUPPORTED_ALG' });
    const result = verifyCreditCode(text, { trustList, now: T0, verifiers: [fakeSm2] });
    expect(result.ok && result.standing.tier).toBe('A');
  });

  it('a registered verifier is only used with keys of its algorithm', () => {
    const wrongKid = Buffer.from(credential);
    Buffer.from(edIssuer.kid, 'hex').copy(wrongKid, 1);
    const t2 = presentCredential(wrongKid, holder.privateKey, T0);
    expect(verifyCreditCode(t2, { trustList, now: T0, verifiers: [fakeSm2] })).toEqual({
      ok: false,
      reason: 'ALG_MISMATCH',
    });
  });
});

describe('trust list', () => {
  const signed = edIssuer.trustList;
  const rootPublicKey = edIssuer.rootPublicKey;
  const reasonOf = (fn: () => unknown): unknown => {
    try {
      fn();
    } catch (error) {
      return {
        code: (error as { code: string }).code,
        reason: (error as { details: { reason?: string } }).details.reason,
      };
    }
    return 'no error';
  };

  it('returns every key with a kid for a use', () => {
    expect(edTrust.keysFor(edIssuer.kid, 'credit-code')).toHaveLength(1);
    expect(edTrust.keysFor(edIssuer.kid, 'status-list')).toHaveLength(0);
    const first = edIssuer.trustListContent.keys[0]!;
    const twice = loadTrustList(
      edIssuer.signTrustList({
        ...edIssuer.trustListContent,
        keys: [first, { ...first, validTo: '2030-01-01T00:00:00Z' }],
      }),
      { rootPublicKey, now: T0 },
    );
    expect(twice.keysFor(first.kid, 'credit-code')).toHaveLength(2);
    expect(keyIdOf(edIssuer.issuerPublicKey)).toBe(edIssuer.kid);
  });

  it('refuses a list with a bad signature, an expired list and a malformed one, each with its reason', () => {
    const tampered = { ...signed, payload: signed.payload.replace('"version":1', '"version":2') };
    expect(reasonOf(() => loadTrustList(tampered, { rootPublicKey, now: T0 }))).toEqual({
      code: 'TRUST_LIST_INVALID',
      reason: 'TRUST_LIST_SIGNATURE',
    });
    const otherRoot = createCreditIssuer({ seed: 'other-root', now: T0 }).rootPublicKey;
    expect(reasonOf(() => loadTrustList(signed, { rootPublicKey: otherRoot, now: T0 }))).toEqual({
      code: 'TRUST_LIST_INVALID',
      reason: 'TRUST_LIST_SIGNATURE',
    });
    expect(reasonOf(() => loadTrustList({ ...signed, signature: '' }, { rootPublicKey, now: T0 }))).toEqual({
      code: 'TRUST_LIST_INVALID',
      reason: 'TRUST_LIST_SIGNATURE',
    });
    expect(reasonOf(() => loadTrustList(signed, { rootPublicKey, now: T0 + 400 * 24 * HOUR }))).toEqual({
      code: 'TRUST_LIST_INVALID',
      reason: 'TRUST_LIST_EXPIRED',
    });
    const first = edIssuer.trustListContent.keys[0]!;
    const badKid = edIssuer.signTrustList({
      ...edIssuer.trustListContent,
      keys: [{ ...first, kid: '00000000' }],
    });
    expect(reasonOf(() => loadTrustList(badKid, { rootPublicKey, now: T0 }))).toEqual({
      code: 'TRUST_LIST_INVALID',
      reason: 'TRUST_LIST_MALFORMED',
    });
    const badAlg = edIssuer.signTrustList({
      ...edIssuer.trustListContent,
      keys: [{ ...first, alg: 'ES256' }],
    });
    expect(reasonOf(() => loadTrustList(badAlg, { rootPublicKey, now: T0 }))).toEqual({
      code: 'TRUST_LIST_INVALID',
      reason: 'TRUST_LIST_MALFORMED',
    });
    const notAList = signTrustList({ nope: true } as unknown as TrustListContent, edIssuer.rootPrivateKey);
    expect(reasonOf(() => loadTrustList(notAList, { rootPublicKey, now: T0 }))).toEqual({
      code: 'TRUST_LIST_INVALID',
      reason: 'TRUST_LIST_MALFORMED',
    });
    expect(reasonOf(() => loadTrustList(null as never, { rootPublicKey, now: T0 }))).toEqual({
      code: 'TRUST_LIST_INVALID',
      reason: 'TRUST_LIST_MALFORMED',
    });
  });

  it('refuses a code whose key is outside its validity period with KEY_NOT_VALID', () => {
    const first = edIssuer.trustListContent.keys[0]!;
    const retired = loadTrustList(
      edIssuer.signTrustList({
        ...edIssuer.trustListContent,
        keys: [{ ...first, validTo: new Date(T0 - 2 * HOUR).toISOString() }],
      }),
      { rootPublicKey, now: T0 },
    );
    expect(verifyCreditCode(edText, { trustList: retired, now: T0 })).toEqual({
      ok: false,
      reason: 'KEY_NOT_VALID',
    });
  });

  it('refuses a signed status list whose issuedAt is not a string, with a typed error (fuzz)', () => {
    const status = edIssuer.signedStatusList(T0);
    const content = JSON.parse(status.payload) as Record<string, unknown>;
    // Date.parse([{ toString: null }]) throws a TypeError converting the array to a string.
    for (const issuedAt of [[{ toString: null }], { toString: null }, [T0]]) {
      const payload = JSON.stringify({ ...content, issuedAt });
      const signature = sign(null, Buffer.from(payload), edIssuer.statusListPrivateKey).toString('base64');
      expect(
        reasonOf(() => loadStatusList({ ...status, payload, signature }, { trustList: edTrust })),
      ).toEqual({
        code: 'STATUS_LIST_INVALID',
        reason: 'STATUS_LIST_MALFORMED',
      });
    }
  });

  it('refuses a status list signed after its key retired, and drops one held when a key retires before it', () => {
    const retiredAt = T0 - 2 * HOUR;
    const withStatusKeyUntil = (validTo: number, version: number) =>
      loadTrustList(
        edIssuer.signTrustList({
          ...edIssuer.trustListContent,
          version,
          keys: edIssuer.trustListContent.keys.map((k) =>
            k.use === 'status-list' ? { ...k, validTo: new Date(validTo).toISOString() } : k,
          ),
        }),
        { rootPublicKey, now: T0 },
      );
    const retired = withStatusKeyUntil(retiredAt, 2);
    // Whoever still holds the retired key signs a fresh list with every bit clear: refused.
    expect(
      reasonOf(() => loadStatusList(edIssuer.signedStatusList(T0 - HOUR), { trustList: retired })),
    ).toEqual({
      code: 'STATUS_LIST_INVALID',
      reason: 'STATUS_LIST_KEY_NOT_VALID',
    });
    // A list it signed while it was valid still loads.
    const before = loadStatusList(edIssuer.signedStatusList(retiredAt - HOUR), { trustList: retired });
    expect(statusListSignerTrusted(before, retired)).toBe(true);
    // A list held from before the retirement, dated after the key's new end: no longer trusted.
    const held = loadStatusList(edIssuer.signedStatusList(T0 - HOUR), { trustList: edTrust });
    expect(statusListSignerTrusted(held, edTrust)).toBe(true);
    expect(statusListSignerTrusted(held, retired)).toBe(false);
  });

  it('refuses a status list whose issuedAt has no zone or is not ISO 8601', () => {
    const status = edIssuer.signedStatusList(T0);
    const content = JSON.parse(status.payload) as Record<string, unknown>;
    const at = new Date(T0).toISOString();
    for (const issuedAt of [at.slice(0, 19), at.slice(0, 10), new Date(T0).toUTCString(), `${at} `]) {
      const payload = JSON.stringify({ ...content, issuedAt });
      const signature = sign(null, Buffer.from(payload), edIssuer.statusListPrivateKey).toString('base64');
      expect(
        reasonOf(() => loadStatusList({ ...status, payload, signature }, { trustList: edTrust })),
      ).toEqual({
        code: 'STATUS_LIST_INVALID',
        reason: 'STATUS_LIST_MALFORMED',
      });
    }
    for (const issuedAt of [at, at.replace('Z', '+08:00'), at.replace('.000Z', 'Z')]) {
      const payload = JSON.stringify({ ...content, issuedAt });
      const signature = sign(null, Buffer.from(payload), edIssuer.statusListPrivateKey).toString('base64');
      expect(() => loadStatusList({ ...status, payload, signature }, { trustList: edTrust })).not.toThrow();
    }
  });

  it('refuses a status list with a bad signature or an unknown key', () => {
    const status = edIssuer.signedStatusList(T0);
    const tampered = { ...status, payload: status.payload.replace('"size":65536', '"size":65535') };
    expect(reasonOf(() => loadStatusList(tampered, { trustList: edTrust }))).toEqual({
      code: 'STATUS_LIST_INVALID',
      reason: 'STATUS_LIST_SIGNATURE',
    });
    expect(reasonOf(() => loadStatusList(status, { trustList: trustLists.ES256 }))).toEqual({
      code: 'STATUS_LIST_INVALID',
      reason: 'STATUS_LIST_UNKNOWN_KEY',
    });
  });
});
