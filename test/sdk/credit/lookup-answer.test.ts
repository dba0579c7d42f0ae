import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  LOOKUP_ANSWER_CONTEXT,
  type LookupQuestion,
  lookupAnswerMessage,
  parseAnswerSignature,
  signLookupAnswer,
  verifyLookupAnswer,
} from '../../../sdk/credit/lookup-answer.js';
import {
  keyIdOf,
  loadTrustList,
  signTrustList,
  type TrustListKeyEntry,
} from '../../../sdk/credit/trust-list.js';
import { isXinyiError } from '../../../sdk/errors.js';

// The worked example of docs/platform-api.md ("Signed answers"). The key is the secret key of RFC 8032
// §7.1 test 1 (a published test key); message digest and signature were computed with
// `openssl dgst -sha256` and `openssl pkeyutl -sign -rawin`, not with this code.
const RFC8032_SEED = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60';
const exampleKey = createPrivateKey({
  key: Buffer.from(`302e020100300506032b657004220420${RFC8032_SEED}`, 'hex'),
  format: 'der',
  type: 'pkcs8',
});
const QUESTION: LookupQuestion = {
  pseudonym: 'Yk2fQ0m9c8r1T3xW5vB7nA',
  scene: 'scenic-gate',
  terminalId: 'gate-7',
  nonce: '3q2-7wAAAAAAAAAAAAAAAA',
};
const BODY = Buffer.from(
  '{"found":true,"computedAt":"2026-11-26T02:00:00.000Z","standing":{"tier":"AA","lists":[{"kind":"red"}]}}',
);
const T = 1_795_658_400;
const EXAMPLE_MESSAGE =
  'xinyi-lookup-answer/1\nYk2fQ0m9c8r1T3xW5vB7nA\nscenic-gate\ngate-7\n3q2-7wAAAAAAAAAAAAAAAA\n1795658400\n' +
  '40d58ad8f1bde13058bf1dcb09552f49264ee22f7bf83ec2c15d73e8b5b58366';
const EXAMPLE_HEADER =
  'kid=06e3fd8f;t=1795658400;sig=3a9J6XH3eafw6Cm0Vn5HSNH1SmXSSCYxso1ikMuSne/xCKx6QXpfTwPbNum4WY0Cjp/oo7B83NJFUdhYDc8RAA==';

const root = generateKeyPairSync('ed25519').privateKey;
function entry(pub: KeyObject, alg: 'Ed25519' | 'ES256', use: TrustListKeyEntry['use'], extra = {}) {
  return {
    kid: keyIdOf(pub),
    alg,
    use,
    spki: pub.export({ type: 'spki', format: 'der' }).toString('base64'),
    ...extra,
  };
}
const es256 = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
function trustListWith(keys: TrustListKeyEntry[]) {
  return loadTrustList(
    signTrustList(
      {
        format: 'xinyi-trust-list/1',
        version: 1,
        issuedAt: new Date((T - 86_400) * 1000).toISOString(),
        expiresAt: new Date((T + 86_400) * 1000).toISOString(),
        keys,
      },
      root,
    ),
    { rootPublicKey: createPublicKey(root), now: T * 1000 },
  );
}
const trustList = trustListWith([
  entry(createPublicKey(exampleKey), 'Ed25519', 'platform-response'),
  entry(createPublicKey(es256), 'ES256', 'platform-response'),
]);

const verify = (overrides: Partial<Parameters<typeof verifyLookupAnswer>[0]> = {}) =>
  verifyLookupAnswer({
    question: QUESTION,
    body: BODY,
    signatureHeader: EXAMPLE_HEADER,
    trustList,
    nowMs: T * 1000 + 400,
    ...overrides,
  });

function reasonOf(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    if (isXinyiError(error, 'PLATFORM_RESPONSE_INVALID')) return error.details.reason;
    throw error;
  }
  return 'accepted';
}

describe('signed lookup answers: the wire format', () => {
  it('the worked example: message bytes, kid and signature (byte vector)', () => {
    expect(LOOKUP_ANSWER_CONTEXT).toBe('xinyi-lookup-answer/1');
    expect(lookupAnswerMessage(QUESTION, T, BODY).toString('utf8')).toBe(EXAMPLE_MESSAGE);
    expect(lookupAnswerMessage(QUESTION, T, BODY)).toHaveLength(162);
    expect(keyIdOf(exampleKey)).toBe('06e3fd8f');
    // Ed25519 is deterministic: the same bytes as openssl's.
    expect(signLookupAnswer(QUESTION, BODY, { privateKey: exampleKey, nowMs: T * 1000 + 999 })).toBe(
      EXAMPLE_HEADER,
    );
    expect(verify()).toBe(T * 1000);
  });

  it('an ES256 platform-response key works too (P1363 r‖s)', () => {
    const header = signLookupAnswer(QUESTION, BODY, { privateKey: es256, nowMs: T * 1000 });
    expect(header).toMatch(/^kid=[0-9a-f]{8};t=1795658400;sig=[A-Za-z0-9+/]{86}==$/);
    expect(verify({ signatureHeader: header })).toBe(T * 1000);
  });

  it.each([
    ['pseudonym', { ...QUESTION, pseudonym: 'AAAAAAAAAAAAAAAAAAAAAA' }],
    ['scene', { ...QUESTION, scene: 'library-kiosk' }],
    ['terminal id', { ...QUESTION, terminalId: 'gate-8' }],
    ['nonce (another request)', { ...QUESTION, nonce: '3q2-7wAAAAAAAAAAAAAAAB' }],
  ])('an answer to another %s does not verify', (_, question) => {
    expect(reasonOf(() => verify({ question }))).toBe('SIGNATURE');
  });

  it('any changed byte of the body does not verify', () => {
    for (let i = 0; i < BODY.length; i++) {
      const body = Buffer.from(BODY);
      body[i]! ^= 0x01;
      expect(reasonOf(() => verify({ body }))).toBe('SIGNATURE');
    }
  });

  it.each([
    [undefined, 'SIGNATURE_MISSING'],
    ['', 'SIGNATURE_MISSING'],
    [[EXAMPLE_HEADER, EXAMPLE_HEADER], 'SIGNATURE_MALFORMED'],
    [`${EXAMPLE_HEADER} `, 'SIGNATURE_MALFORMED'],
    [EXAMPLE_HEADER.replace('kid=06e3fd8f', 'kid=06E3FD8F'), 'SIGNATURE_MALFORMED'],
    [EXAMPLE_HEADER.replace(';t=', '; t='), 'SIGNATURE_MALFORMED'],
    [EXAMPLE_HEADER.replace('==', '='), 'SIGNATURE_MALFORMED'],
    [EXAMPLE_HEADER.replace('kid=06e3fd8f', 'kid=00000000'), 'UNKNOWN_KEY'],
    [EXAMPLE_HEADER.replace('t=1795658400', 't=1795658401'), 'SIGNATURE'],
    [EXAMPLE_HEADER.replace('sig=3', 'sig=4'), 'SIGNATURE'],
  ])('header %j is refused with %s', (header, reason) => {
    expect(reasonOf(() => verify({ signatureHeader: header }))).toBe(reason);
  });

  it('an answer more than the window away from the terminal clock is refused (TIME)', () => {
    expect(reasonOf(() => verify({ nowMs: (T + 300) * 1000 }))).toBe('accepted');
    expect(reasonOf(() => verify({ nowMs: (T + 302) * 1000 }))).toBe('TIME');
    expect(reasonOf(() => verify({ nowMs: (T - 300) * 1000 }))).toBe('accepted');
    expect(reasonOf(() => verify({ nowMs: (T - 301) * 1000 }))).toBe('TIME');
  });

  it('a key used outside its validity period, or named for another use, is refused', () => {
    const pub = createPublicKey(exampleKey);
    const expired = trustListWith([
      entry(pub, 'Ed25519', 'platform-response', { validTo: new Date((T - 10) * 1000).toISOString() }),
    ]);
    expect(reasonOf(() => verify({ trustList: expired }))).toBe('KEY_NOT_VALID');
    const otherUse = trustListWith([entry(pub, 'Ed25519', 'status-list')]);
    expect(reasonOf(() => verify({ trustList: otherUse }))).toBe('UNKNOWN_KEY');
  });

  it('parses only the specified header form', () => {
    expect(parseAnswerSignature(EXAMPLE_HEADER)).toMatchObject({ kid: '06e3fd8f', t: T });
    expect(parseAnswerSignature(EXAMPLE_HEADER).signature).toHaveLength(64);
  });
});
