import { describe, expect, it } from 'vitest';
import {
  canonicalRequestString,
  createNonceCache,
  signRequest,
  verifyRequestSignature,
} from '../../../sdk/credit/request-signing.js';

// The worked example of docs/platform-api.md ("Request signing"); the expected values were computed
// with `openssl dgst -sha256` and `openssl dgst -sha256 -hmac`, not with this code.
const EXAMPLE = {
  method: 'POST',
  path: '/v1/decisions',
  body: '{"terminalId":"gate-7","items":[{"key":"d-1"}]}',
  keyId: 'terminal-key-1',
  secret: 'example-shared-secret',
  nowMs: 1_795_658_400_000,
  nonce: '3q2-7wAAAAAAAAAAAAAAAA',
  headers: { 'Idempotency-Key': 'batch-0001', 'X-Xinyi-Terminal-Id': 'gate-7' },
};
const EXAMPLE_CANONICAL = [
  'POST',
  '/v1/decisions',
  '1795658400',
  '3q2-7wAAAAAAAAAAAAAAAA',
  '37a7e6251e84502be097d33725a29620cee27c0aaa52b2e99c8359e43debd043',
  'idempotency-key:batch-0001',
  'x-xinyi-key-id:terminal-key-1',
  'x-xinyi-nonce:3q2-7wAAAAAAAAAAAAAAAA',
  'x-xinyi-terminal-id:gate-7',
  'x-xinyi-timestamp:1795658400',
].join('\n');
const EXAMPLE_SIGNATURE = 'emTyf41dJjVOlGDPnk2XTmC9Fu5zyM/hNJESJ28Ep1A=';

/** The headers as the server receives them (lower-case names). */
function received(extra: Record<string, string> = {}): Record<string, string> {
  const signed = signRequest(EXAMPLE);
  return {
    'idempotency-key': 'batch-0001',
    'x-xinyi-terminal-id': 'gate-7',
    'content-type': 'application/json',
    ...signed,
    ...extra,
  };
}

const verify = (headers: Record<string, string | undefined>) =>
  verifyRequestSignature({
    method: 'POST',
    path: EXAMPLE.path,
    body: EXAMPLE.body,
    headers,
    secretFor: (id) => (id === EXAMPLE.keyId ? EXAMPLE.secret : undefined),
    nowMs: EXAMPLE.nowMs,
  });

describe('request signing', () => {
  it('signs the documented canonical string (byte vector)', () => {
    const headers = signRequest(EXAMPLE);
    expect(headers).toEqual({
      'x-xinyi-key-id': 'terminal-key-1',
      'x-xinyi-timestamp': '1795658400',
      'x-xinyi-nonce': '3q2-7wAAAAAAAAAAAAAAAA',
      'x-xinyi-signature': EXAMPLE_SIGNATURE,
    });
    expect(
      canonicalRequestString('post', EXAMPLE.path, '1795658400', EXAMPLE.nonce, EXAMPLE.body, {
        ...EXAMPLE.headers,
        ...headers,
      }),
    ).toBe(EXAMPLE_CANONICAL);
    expect(verify(received())).toEqual({ ok: true, keyId: 'terminal-key-1' });
  });

  it.each([
    ['a changed X-Xinyi-Terminal-Id', { 'x-xinyi-terminal-id': 'gate-8' }],
    ['a changed Idempotency-Key', { 'idempotency-key': 'batch-0002' }],
    ['an added X-Xinyi-* header', { 'x-xinyi-operator': 'staff-1' }],
    ['a dropped Idempotency-Key', { 'idempotency-key': undefined }],
    ['a dropped X-Xinyi-Terminal-Id', { 'x-xinyi-terminal-id': undefined }],
  ])('refuses %s (bad-signature)', (_, change) => {
    const headers: Record<string, string | undefined> = { ...received(), ...change };
    expect(verify(headers)).toEqual({ ok: false, problem: 'bad-signature' });
  });

  it('ignores headers outside X-Xinyi-* and Idempotency-Key (a proxy may add Via or change Accept)', () => {
    expect(verify(received({ via: '1.1 proxy', accept: 'text/html' })).ok).toBe(true);
  });

  it('a GET with no extra header signs the key id, timestamp and nonce lines', () => {
    const headers = signRequest({
      ...EXAMPLE,
      method: 'GET',
      path: '/v1/trust-list',
      body: undefined,
      headers: {},
    });
    const result = verifyRequestSignature({
      method: 'GET',
      path: '/v1/trust-list',
      headers,
      secretFor: () => EXAMPLE.secret,
      nowMs: EXAMPLE.nowMs,
      nonces: createNonceCache(),
    });
    expect(result.ok).toBe(true);
  });
});
