// Credit codes (the signed QR a phone shows), trust lists, status lists.
import { sign } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { decodeBase45, encodeBase45 } from '../../../sdk/credit/base45.js';
import {
  CREDIT_CODE_PREFIX,
  CreditCodeRefusal,
  decodeCreditCode,
  encodeCredential,
  presentCredential,
  verifyCreditCode,
} from '../../../sdk/credit/credit-code.js';
import { createReplayCache } from '../../../sdk/credit/replay-cache.js';
import { loadStatusList, type SignedStatusList, type StatusList } from '../../../sdk/credit/status-list.js';
import {
  loadTrustList,
  type SignedTrustList,
  type TrustList,
  type TrustListContent,
} from '../../../sdk/credit/trust-list.js';
import { TIER_CODES, type TierCode } from '../../../sdk/domain/tiers.js';
import { createCreditIssuer } from '../../../simulator/credit-issuer.js';
import {
  damaged,
  expectInteger,
  expectIsoTime,
  expectOneOf,
  type FuzzTarget,
  jsonish,
  mutatedJson,
  violation,
} from '../harness.js';
import {
  BASE45,
  checkStanding,
  HOUR,
  issuers,
  statusLists,
  T0,
  toJsonText,
  trustLists,
} from './credit-fixtures.js';

/** A pool of valid codes to mutate: both algorithms, every tier, red flags, revoked indexes. */
const validCodes: Array<{ alg: 'Ed25519' | 'ES256'; text: string }> = [];
for (const alg of ['Ed25519', 'ES256'] as const) {
  const tiers: Array<TierCode | null> = [...TIER_CODES, null];
  tiers.forEach((tier, i) => {
    const phone = issuers[alg].issue(`fuzz-${alg}-${i}`, tier, {
      now: T0 - HOUR,
      red: i % 2 === 0,
      entitlements: (i * 37) & 0xff,
    });
    validCodes.push({ alg, text: phone.present(T0) });
  });
}

const holderKey = createCreditIssuer({ seed: 'fuzz-holder', alg: 'ES256', now: T0 }).issuerPrivateKey;

/** A code signed with the real keys but with any field values: reaches every check after the signatures. */
const signedOddCode = fc
  .record({
    alg: fc.constantFrom('Ed25519' as const, 'ES256' as const),
    pseudonym: fc.uint8Array({ minLength: 16, maxLength: 16 }),
    tierRank: fc.oneof(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 255 })),
    flags: fc.integer({ min: 0, max: 255 }),
    entitlements: fc.integer({ min: 0, max: 0xffff }),
    issuedAt: fc.oneof(
      fc.constant(T0 - HOUR),
      fc.integer({ min: 0, max: 2 ** 32 - 1 }).map((s) => s * 1000),
    ),
    lifetime: fc.oneof(fc.constant(48 * HOUR), fc.integer({ min: -2 * HOUR, max: 2 ** 31 })),
    statusIndex: fc.oneof(fc.integer({ min: 0, max: 70_000 }), fc.constant(0xffffff)),
    presentedAt: fc.oneof(
      fc.constant(T0),
      fc.integer({ min: -200_000, max: 200_000 }).map((d) => T0 + d),
    ),
  })
  .map((f) => {
    const issuer = issuers[f.alg];
    const expiresAt = Math.min(Math.max(0, f.issuedAt + f.lifetime), (2 ** 32 - 1) * 1000);
    const credential = encodeCredential(
      {
        pseudonym: f.pseudonym,
        tierRank: f.tierRank,
        flags: f.flags,
        entitlements: f.entitlements,
        issuedAt: f.issuedAt,
        expiresAt,
        statusIndex: f.statusIndex,
        holderPublicKey: holderKey,
      },
      issuer.issuerPrivateKey,
      f.alg,
    );
    return { alg: f.alg, text: presentCredential(credential, holderKey, Math.max(0, f.presentedAt)) };
  });

const codeText = fc.oneof(
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 320, unit: 'binary' }) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.constantFrom('QZ1:', 'QZ2:', 'QZ1', 'qz1:'),
        fc.array(fc.constantFrom(...BASE45), { minLength: 300, maxLength: 304 }),
      )
      .map(([prefix, c]) => `${prefix}${c.join('')}`),
  },
  // A valid code changed at the text level…
  {
    weight: 4,
    arbitrary: fc
      .tuple(
        fc.constantFrom(...validCodes),
        fc.array(fc.tuple(fc.nat(), fc.oneof(fc.constantFrom(...BASE45), fc.string({ maxLength: 2 }))), {
          maxLength: 3,
        }),
      )
      .map(([code, edits]) => {
        let text = code.text;
        for (const [at, s] of edits) {
          const i = at % (text.length + 1);
          text = text.slice(0, i) + s + text.slice(i + (s.length === 1 ? 1 : 0));
        }
        return text;
      }),
  },
  // …or at the byte level (fields, signatures), re-encoded.
  {
    weight: 4,
    arbitrary: fc
      .tuple(
        fc.constantFrom(...validCodes),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 4,
        }),
      )
      .map(([code, edits]) => {
        const bytes = Buffer.from(decodeBase45(code.text.slice(CREDIT_CODE_PREFIX.length)));
        for (const [at, value] of edits) bytes[at] = value;
        return CREDIT_CODE_PREFIX + encodeBase45(bytes);
      }),
  },
  { weight: 1, arbitrary: fc.constantFrom(...validCodes).map((c) => c.text) },
  { weight: 1, arbitrary: signedOddCode.map((c) => c.text) },
);

type CodeInput = {
  text: string;
  alg: 'Ed25519' | 'ES256';
  nowOffsetMs: number;
  status: boolean;
  maxStatusAgeMs: number | undefined;
  replay: boolean;
  cache: boolean;
};

export const creditCode: FuzzTarget<CodeInput, ReturnType<typeof verifyCreditCode>> = {
  name: 'credit-code',
  input: 'scanned text: random, Base45 of the right length, valid QZ1 codes mutated and re-signed',
  arbitrary: fc.record({
    text: codeText,
    alg: fc.constantFrom('Ed25519' as const, 'ES256' as const),
    nowOffsetMs: fc.oneof(fc.constant(0), fc.integer({ min: -3 * HOUR, max: 400 * 24 * HOUR })),
    status: fc.boolean(),
    maxStatusAgeMs: fc.option(fc.integer({ min: 0, max: 2 * HOUR }), { nil: undefined }),
    replay: fc.boolean(),
    cache: fc.boolean(),
  }),
  codes: [],
  run: (input) =>
    verifyCreditCode(input.text, {
      trustList: trustLists[input.alg],
      now: T0 + input.nowOffsetMs,
      ...(input.status ? { statusList: statusLists[input.alg] } : {}),
      ...(input.maxStatusAgeMs === undefined ? {} : { maxStatusAgeMs: input.maxStatusAgeMs }),
      ...(input.replay ? { replayCache: createReplayCache() } : {}),
      cacheCredentials: input.cache,
    }),
  check: (result, input) => {
    if (!result.ok) {
      expectOneOf(result.reason, Object.values(CreditCodeRefusal), 'refusal reason');
      if (result.reason === CreditCodeRefusal.FORMAT) {
        // FORMAT after a clean decode can only mean a tier rank out of range, or a throw that the
        // verifier's catch-all turned into FORMAT: an untyped throw in disguise.
        const decoded = decodeCreditCode(input.text);
        if (decoded.ok && decoded.code.tierRank <= TIER_CODES.length) {
          violation('FORMAT refusal for a well-formed code: an exception was swallowed');
        }
      }
      return;
    }
    checkStanding(result.standing, 'credit-code');
    if (result.pseudonym.length !== 22) violation('pseudonym is not 22 characters');
    expectIsoTime(result.expiresAt, 'expiresAt');
    expectIsoTime(result.presentedAt, 'presentedAt');
  },
  ciRuns: 1000,
};

/** Valid trust-list contents to mutate. */
const trustContents = fc.constantFrom(issuers.Ed25519.trustListContent, issuers.ES256.trustListContent);

const trustListInput: fc.Arbitrary<{ signed: unknown; nowOffsetMs: number }> = fc.record({
  signed: fc.oneof(
    // Payloads signed by the pinned root: the parser behind the signature check is reached.
    {
      weight: 6,
      arbitrary: fc
        .oneof({ weight: 4, arbitrary: mutatedJson(trustContents) }, { weight: 1, arbitrary: jsonish })
        .map((doc) => issuers.Ed25519.signTrustList(doc as TrustListContent)),
    },
    {
      weight: 1,
      arbitrary: fc
        .oneof(fc.string(), mutatedJson(trustContents).map(toJsonText))
        .map((payload) => ({ ...issuers.Ed25519.signTrustList({} as TrustListContent), payload })),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        payload: fc.oneof(fc.string(), jsonish),
        signature: fc.oneof(fc.base64String(), jsonish),
      }),
    },
    { weight: 1, arbitrary: jsonish },
  ),
  nowOffsetMs: fc.oneof(fc.constant(0), fc.integer({ min: -HOUR, max: 400 * 24 * HOUR })),
});

export const trustList: FuzzTarget<{ signed: unknown; nowOffsetMs: number }, TrustList> = {
  name: 'trust-list',
  input: 'signed trust lists: any JSON and mutated valid contents, signed by the root; garbage envelopes',
  arbitrary: trustListInput,
  codes: ['TRUST_LIST_INVALID'],
  run: ({ signed, nowOffsetMs }) =>
    loadTrustList(signed as SignedTrustList, {
      rootPublicKey: issuers.Ed25519.rootPublicKey,
      now: T0 + nowOffsetMs,
    }),
  check: (list, { nowOffsetMs }) => {
    expectInteger(list.version, 0, Number.MAX_SAFE_INTEGER, 'version');
    if (!Number.isFinite(list.issuedAt) || !(T0 + nowOffsetMs < list.expiresAt)) violation('validity period');
    for (const key of list.keys) {
      expectOneOf(key.alg, ['Ed25519', 'ES256', 'SM2'], 'key alg');
      expectOneOf(
        key.use,
        ['credit-code', 'snapshot', 'status-list', 'calendar', 'policy-pack', 'platform-response'],
        'key use',
      );
      if (typeof key.kid !== 'string') violation('kid not a string');
      if (key.alg !== 'SM2' && key.publicKey === null) violation(`${key.alg} key without a public key`);
      for (const bound of [key.validFrom, key.validTo]) {
        if (bound !== undefined && !Number.isFinite(bound)) violation('key validity bound not finite');
      }
      if (!list.keysFor(key.kid, key.use).includes(key)) violation('keysFor does not find a listed key');
    }
  },
  ciRuns: 800,
};

const statusKey = issuers.Ed25519.statusListPrivateKey;
const validStatusContent = JSON.parse(issuers.Ed25519.signedStatusList(T0).payload) as Record<
  string,
  unknown
>;

function signStatusPayload(payload: string): SignedStatusList {
  const template = issuers.Ed25519.signedStatusList(T0);
  return {
    payload,
    kid: template.kid,
    signature: sign(null, Buffer.from(payload, 'utf8'), statusKey).toString('base64'),
  };
}

/** Bitstrings: gzip of any bytes, damaged gzip, not gzip at all, and gzip bombs past the cap. */
const GZIP_BOMB = gzipSync(Buffer.alloc(2 ** 21 + 1)).toString('base64');

const statusBits = fc.oneof(
  { weight: 4, arbitrary: fc.uint8Array({ maxLength: 64 }).map((b) => gzipSync(b).toString('base64')) },
  {
    weight: 4,
    arbitrary: damaged(fc.uint8Array({ maxLength: 64 }).map((b) => gzipSync(b))).map((b) =>
      Buffer.from(b).toString('base64'),
    ),
  },
  { weight: 4, arbitrary: fc.base64String({ maxLength: 40 }) },
  // Past the 2 MiB cap, and empty.
  { weight: 1, arbitrary: fc.constantFrom(GZIP_BOMB, gzipSync(Buffer.alloc(0)).toString('base64')) },
);

export const statusList: FuzzTarget<{ signed: unknown; probes: number[] }, StatusList> = {
  name: 'status-list',
  input: 'signed status lists: mutated contents and bitstrings signed by the list key; garbage envelopes',
  arbitrary: fc.record({
    signed: fc.oneof(
      {
        weight: 6,
        arbitrary: fc
          .tuple(
            mutatedJson(fc.constant(validStatusContent)),
            statusBits,
            fc.boolean(),
            fc.integer({ min: 0, max: 600 }),
          )
          .map(([doc, bits, replaceBits, size]) => {
            if (replaceBits && doc !== null && typeof doc === 'object' && !Array.isArray(doc)) {
              Object.assign(doc as object, { bits, size });
            }
            return signStatusPayload(toJsonText(doc));
          }),
      },
      { weight: 1, arbitrary: jsonish.map((doc) => signStatusPayload(toJsonText(doc))) },
      {
        weight: 1,
        arbitrary: fc.record({
          payload: fc.oneof(fc.string(), jsonish),
          kid: fc.oneof(fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF') }), jsonish),
          signature: fc.oneof(fc.base64String(), jsonish),
        }),
      },
      { weight: 1, arbitrary: jsonish },
    ),
    probes: fc.array(fc.oneof(fc.integer({ min: -2, max: 70_000 }), fc.double()), { maxLength: 6 }),
  }),
  codes: ['STATUS_LIST_INVALID'],
  run: ({ signed }) => loadStatusList(signed as SignedStatusList, { trustList: trustLists.Ed25519 }),
  check: (list, { probes }) => {
    expectInteger(list.size, 0, 2 ** 24, 'size');
    if (!Number.isFinite(list.issuedAt)) violation('issuedAt not finite');
    for (const probe of probes) {
      if (typeof list.isRevoked(probe) !== 'boolean') violation('isRevoked did not return a boolean');
    }
  },
  ciRuns: 500,
};
