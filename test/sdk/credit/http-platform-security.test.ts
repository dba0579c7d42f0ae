import { generateKeyPairSync } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createHttpPlatformResolver,
  type HttpPlatformResolverOptions,
} from '../../../sdk/credit/http-platform.js';
import { ANSWER_SIGNATURE_HEADER, signLookupAnswer } from '../../../sdk/credit/lookup-answer.js';
import { loadTrustList, type TrustList } from '../../../sdk/credit/trust-list.js';
import type { Decision } from '../../../sdk/domain/decision.js';
import { isXinyiError, type XinyiError } from '../../../sdk/errors.js';
import { createPseudonymizer } from '../../../sdk/identity/index.js';
import { createMemoryJournal } from '../../../sdk/journal/memory-journal.js';
import type { CreditLookup } from '../../../sdk/terminal/credit-resolver.js';
import { createInMemoryCreditProvider } from '../../../sdk/terminal/in-memory-credit-provider.js';
import { createTerminal } from '../../../sdk/terminal/terminal.js';
import {
  type MockPlatform,
  type MockPlatformOptions,
  startMockPlatform,
} from '../../../simulator/mock-platform.js';
import { generatePopulation } from '../../../simulator/population.js';
import {
  lookupQuestionOf,
  startTamperingProxy,
  type TamperingProxy,
} from '../../integration/tampering-proxy.js';
import { until } from '../../support/until.js';
import { createTestCertificate } from './fixtures/tls-certificate.js';

// Synthetic people only; the keys below are test keys, not secrets.
const KEY_ID = 'security-terminal-key';
const SECRET = 'http-platform-security-hmac-secret-0123';
const LOOKUP = '/v1/standings/lookup';
const pseudonymizer = createPseudonymizer('http-platform-security-pseudonym-key');
const people = generatePopulation(30, 'http-platform-security');
const black = people.find((p) => p.lists.some((l) => l.kind === 'black'))!;
const trustworthy = people.filter((p) => ['AAA', 'AA', 'A'].includes(p.tier) && p.lists.length === 0);

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()!();
});

async function mockPlatform(extra: Partial<MockPlatformOptions> = {}) {
  const mock = await startMockPlatform({ people, pseudonymizer, keyId: KEY_ID, secret: SECRET, ...extra });
  cleanup.push(() => mock.close());
  return mock;
}

function trustListOf(mock: MockPlatform): TrustList {
  return loadTrustList(mock.issuer.trustList, { rootPublicKey: mock.issuer.rootPublicKey, now: Date.now() });
}

async function proxyFor(mock: MockPlatform): Promise<TamperingProxy> {
  const proxy = await startTamperingProxy(mock.url);
  cleanup.push(() => proxy.close());
  return proxy;
}

function client(baseUrl: string, overrides: Partial<HttpPlatformResolverOptions> = {}) {
  return createHttpPlatformResolver({
    baseUrl,
    keyId: KEY_ID,
    secret: SECRET,
    timeoutMs: 2_000,
    retry: { baseDelayMs: 5, maxDelayMs: 20 },
    ...overrides,
  });
}

const lookupOf = (idNumber: string): CreditLookup => ({
  subject: { pseudonym: pseudonymizer.pseudonymize(idNumber), masked: '*' } as never,
  scene: 'scenic-gate',
  terminalId: 'gate-7',
  signal: new AbortController().signal,
  deadlineAt: Date.now() + 3_000,
});

async function failure(promise: Promise<unknown>): Promise<XinyiError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isXinyiError(error)) throw new Error(`expected an XinyiError, got ${String(error)}`);
  return error;
}

/** A terminal asking the platform through `baseUrl`, then a snapshot that knows everyone. */
function terminalThrough(baseUrl: string, trustList: TrustList) {
  const journal = createMemoryJournal();
  const platform = client(baseUrl, { trustList, timeoutMs: 600 });
  const snapshot = createInMemoryCreditProvider({
    name: 'snapshot',
    source: 'snapshot',
    standings: people.map(
      (p) => [pseudonymizer.pseudonymize(p.idNumber), { tier: p.tier, lists: p.lists }] as const,
    ),
  });
  const terminal = createTerminal({
    terminalId: 'gate-7',
    scene: 'scenic-gate',
    context: { siteId: 'yunmenshan' },
    pseudonymizer,
    credit: [platform, snapshot],
    decisionDeadlineMs: 1_500,
    journal,
  });
  cleanup.push(() => terminal.close());
  const errors: XinyiError[] = [];
  terminal.on('warning', (e) => errors.push(e));
  return {
    journal,
    errors,
    present: (idNumber: string): Promise<Decision> => terminal.present({ kind: 'id-card', idNumber }),
  };
}

describe('signed lookup answers', () => {
  it('a signed answer to this question is taken', async () => {
    const mock = await mockPlatform();
    const standing = await client(mock.url, { trustList: trustListOf(mock) }).resolve(
      lookupOf(trustworthy[0]!.idNumber),
    );
    expect(standing).toMatchObject({ source: 'platform', tier: trustworthy[0]!.tier });
  });

  it('an answer rewritten on the way (AAA, no lists, for a black-listed citizen) is refused; the snapshot decides; the refusal is journalled', async () => {
    const mock = await mockPlatform();
    const proxy = await proxyFor(mock);
    proxy.setRule({
      path: LOOKUP,
      answer: (ex) => {
        const body = JSON.parse(ex.body.toString('utf8')) as { computedAt: string };
        const forged = { found: true, computedAt: body.computedAt, standing: { tier: 'AAA', lists: [] } };
        return { status: 200, headers: ex.headers, body: Buffer.from(JSON.stringify(forged)) };
      },
    });
    const t = terminalThrough(proxy.url, trustListOf(mock));
    const d = await t.present(black.idNumber);
    expect(d.standingSource).toBe('snapshot');
    expect(d.outcome).toBe('denied');
    expect(d.benefits).toEqual([]);
    expect(d.reasons).toEqual([{ code: 'LIST_BLOCK' }]);
    expect(t.errors.map((e) => [e.code, e.details.reason])).toEqual([
      ['PLATFORM_RESPONSE_INVALID', 'SIGNATURE'],
    ]);
    // Not asked again: a forged answer is not a transient fault.
    expect(proxy.ruleHits).toBe(1);
    // Kept with the decision it did not make, in the journal (and uploaded with it).
    expect(d.refusedAnswers).toEqual([
      { source: 'platform', code: 'PLATFORM_RESPONSE_INVALID', reason: 'SIGNATURE' },
    ]);
    expect(t.journal.getDecision(d.id)?.decision.refusedAnswers).toEqual(d.refusedAnswers);
  });

  it('an answer stripped of its signature is refused (SIGNATURE_MISSING)', async () => {
    const mock = await mockPlatform();
    const proxy = await proxyFor(mock);
    proxy.setRule({
      path: LOOKUP,
      answer: (ex) => {
        const headers = { ...ex.headers };
        delete headers[ANSWER_SIGNATURE_HEADER];
        return { status: ex.status, headers, body: ex.body };
      },
    });
    const error = await failure(
      client(proxy.url, { trustList: trustListOf(mock) }).resolve(lookupOf(black.idNumber)),
    );
    expect(error).toMatchObject({
      code: 'PLATFORM_RESPONSE_INVALID',
      details: { reason: 'SIGNATURE_MISSING' },
    });
  });

  it('a validly signed answer for another pseudonym, or for an earlier request, is refused (SIGNATURE)', async () => {
    const mock = await mockPlatform();
    const proxy = await proxyFor(mock);
    const trustList = trustListOf(mock);
    const platform = client(proxy.url, { trustList });
    // The attacker records a trustworthy citizen's signed answer...
    const good = trustworthy[0]!;
    await platform.resolve(lookupOf(good.idNumber));
    const recorded = proxy.exchanges.find(
      (ex) => lookupQuestionOf(ex).pseudonym === pseudonymizer.pseudonymize(good.idNumber),
    )!;
    proxy.setRule({
      path: LOOKUP,
      answer: () => ({ status: 200, headers: recorded.headers, body: recorded.body }),
    });
    // ...and plays it back to the black-listed citizen's lookup,
    const other = await failure(platform.resolve(lookupOf(black.idNumber)));
    expect(other).toMatchObject({ code: 'PLATFORM_RESPONSE_INVALID', details: { reason: 'SIGNATURE' } });
    // and to a later lookup of the same citizen (another request nonce).
    const later = await failure(platform.resolve(lookupOf(good.idNumber)));
    expect(later).toMatchObject({ code: 'PLATFORM_RESPONSE_INVALID', details: { reason: 'SIGNATURE' } });
  });

  it('an answer signed by a key the trust list does not name for platform-response is refused (UNKNOWN_KEY)', async () => {
    const mock = await mockPlatform();
    const proxy = await proxyFor(mock);
    const attacker = generateKeyPairSync('ed25519').privateKey;
    proxy.setRule({
      path: LOOKUP,
      answer: (ex) => {
        const question = lookupQuestionOf(ex) as { pseudonym: string; scene: string; terminalId: string };
        const body = Buffer.from(
          JSON.stringify({
            found: true,
            computedAt: new Date().toISOString(),
            standing: { tier: 'AAA', lists: [] },
          }),
        );
        const signature = signLookupAnswer(
          { ...question, nonce: String(ex.requestHeaders['x-xinyi-nonce']) },
          body,
          { privateKey: attacker, nowMs: Date.now() },
        );
        return {
          status: 200,
          headers: { 'content-type': 'application/json', [ANSWER_SIGNATURE_HEADER]: signature },
          body,
        };
      },
    });
    const error = await failure(
      client(proxy.url, { trustList: trustListOf(mock) }).resolve(lookupOf(black.idNumber)),
    );
    expect(error).toMatchObject({ code: 'PLATFORM_RESPONSE_INVALID', details: { reason: 'UNKNOWN_KEY' } });
    // The status-list key is on the trust list, but not for this use.
    proxy.setRule({
      path: LOOKUP,
      answer: (ex) => {
        const question = lookupQuestionOf(ex) as { pseudonym: string; scene: string; terminalId: string };
        const signature = signLookupAnswer(
          { ...question, nonce: String(ex.requestHeaders['x-xinyi-nonce']) },
          ex.body,
          { privateKey: mock.issuer.statusListPrivateKey, nowMs: Date.now() },
        );
        return {
          status: 200,
          headers: { ...ex.headers, [ANSWER_SIGNATURE_HEADER]: signature },
          body: ex.body,
        };
      },
    });
    const wrongUse = await failure(
      client(proxy.url, { trustList: trustListOf(mock) }).resolve(lookupOf(black.idNumber)),
    );
    expect(wrongUse.details.reason).toBe('UNKNOWN_KEY');
  });

  it('an answer dated outside the window is refused (TIME)', async () => {
    const mock = await mockPlatform();
    mock.faults.inject({ kind: 'clock-skew', ms: 10_000 });
    const error = await failure(
      client(mock.url, { trustList: trustListOf(mock), answerWindowMs: 2_000 }).resolve(
        lookupOf(black.idNumber),
      ),
    );
    expect(error).toMatchObject({ code: 'PLATFORM_RESPONSE_INVALID', details: { reason: 'TIME' } });
  });

  it('without a trust list no lookup is sent: an answer that cannot be verified is worth nothing', async () => {
    const mock = await mockPlatform();
    const error = await failure(
      client(mock.url, { getTrustList: () => undefined }).resolve(lookupOf(black.idNumber)),
    );
    expect(error).toMatchObject({ code: 'CREDIT_UNAVAILABLE', details: { reason: 'no-trust-list' } });
    expect(mock.requests).toHaveLength(0);
  });
});

describe('byte limits: every answer is read under its limit, as it streams in', () => {
  const HUGE = 512 * 1024 * 1024;

  it.each([
    ['streamed (chunked, no length)', false],
    ['declared by Content-Length', true],
  ])(
    'a 512 MB trust list %s is cut off at 1 MiB with PLATFORM_RESPONSE_TOO_LARGE',
    async (_, declareLength) => {
      const mock = await mockPlatform();
      const proxy = await proxyFor(mock);
      proxy.setRule({ path: '/v1/trust-list', hostileBody: { bytes: HUGE, declareLength } });
      const error = await failure(client(proxy.url).getTrustList());
      expect(error).toMatchObject({
        code: 'PLATFORM_RESPONSE_TOO_LARGE',
        details: { kind: 'trustList', limitBytes: 1024 * 1024, how: declareLength ? 'declared' : 'streamed' },
      });
      // Not asked again, and the sender was stopped long before 512 MB (socket buffers aside).
      expect(proxy.ruleHits).toBe(1);
      await until(() => proxy.hostileBytesSent.length === 1, 'the proxy to stop sending', 5_000);
      expect(proxy.hostileBytesSent[0]!).toBeLessThan(16 * 1024 * 1024);
    },
  );

  it('a lookup answer past 64 KiB, a status list past 4 MiB and an upload answer past 64 KiB are refused', async () => {
    const mock = await mockPlatform();
    const proxy = await proxyFor(mock);
    const platform = client(proxy.url, { trustList: trustListOf(mock) });
    proxy.setRule({ path: LOOKUP, hostileBody: { bytes: HUGE, declareLength: false } });
    expect((await failure(platform.resolve(lookupOf(black.idNumber)))).details).toMatchObject({
      kind: 'lookup',
      limitBytes: 64 * 1024,
    });
    proxy.setRule({ path: '/v1/status-list', hostileBody: { bytes: HUGE, declareLength: false } });
    expect((await failure(platform.getStatusList())).details).toMatchObject({ kind: 'statusList' });
    proxy.setRule({ path: '/v1/decisions', hostileBody: { bytes: HUGE, declareLength: false } });
    expect((await failure(platform.uploadDecisions([{ key: 'd1' }], 'batch-0001'))).details).toMatchObject({
      kind: 'upload',
    });
  });

  it('a snapshot and a delta have their own limits, and every limit is configurable', async () => {
    const mock = await mockPlatform();
    const proxy = await proxyFor(mock);
    const platform = client(proxy.url, { maxResponseBytes: { snapshot: 4096, delta: 2048, trustList: 100 } });
    proxy.setRule({ path: '/v1/snapshots/latest', hostileBody: { bytes: 5000, declareLength: false } });
    expect((await failure(platform.getSnapshot())).details).toMatchObject({
      kind: 'snapshot',
      limitBytes: 4096,
    });
    proxy.setRule({ path: '/v1/snapshots/delta', hostileBody: { bytes: 5000, declareLength: true } });
    expect((await failure(platform.getSnapshot({ since: '1' }))).details).toMatchObject({
      kind: 'delta',
      limitBytes: 2048,
    });
    proxy.setRule(null);
    // The real trust list (about 700 bytes) is over a 100-byte limit too.
    expect((await failure(platform.getTrustList())).code).toBe('PLATFORM_RESPONSE_TOO_LARGE');
    expect(() => client(mock.url, { maxResponseBytes: { snapshot: 0 } })).toThrow(
      /maxResponseBytes.snapshot/,
    );
    expect(() => client(mock.url, { maxResponseBytes: { everything: 1 } as never })).toThrow(/everything/);
  });

  it('a decompression bomb (1 GiB of gzip in a small body) is counted as it inflates', async () => {
    const mock = await mockPlatform();
    const proxy = await proxyFor(mock);
    proxy.setRule({
      path: '/v1/trust-list',
      hostileBody: { bytes: 64 * 1024 * 1024, declareLength: true, gzip: true },
    });
    const error = await failure(client(proxy.url).getTrustList());
    expect(error).toMatchObject({
      code: 'PLATFORM_RESPONSE_TOO_LARGE',
      details: { kind: 'trustList', how: 'streamed' },
    });
  });
});

describe('transport: https, CA bundle, SPKI pins', () => {
  it('https to a platform with its own CA and a matching pin works; a wrong pin is refused and not retried', async () => {
    const tls = createTestCertificate();
    const other = createTestCertificate();
    const mock = await mockPlatform({ tls: { key: tls.key, cert: tls.cert } });
    expect(mock.url.startsWith('https://127.0.0.1:')).toBe(true);
    const trustList = trustListOf(mock);
    const pinned = client(mock.url, { trustList, ca: tls.cert, spkiSha256Pins: [other.pin, tls.pin] });
    expect(pinned.transport).toBe('https');
    expect(await pinned.resolve(lookupOf(trustworthy[0]!.idNumber))).toMatchObject({ source: 'platform' });

    const wrongPin = client(mock.url, { trustList, ca: tls.cert, spkiSha256Pins: [other.pin] });
    const error = await failure(wrongPin.resolve(lookupOf(trustworthy[0]!.idNumber)));
    expect(error).toMatchObject({
      code: 'CREDIT_UNAVAILABLE',
      details: { reason: 'tls', errorCode: 'ERR_XINYI_SPKI_PIN_MISMATCH' },
    });
    // Without the CA the self-signed certificate is refused by Node itself.
    const noCa = await failure(client(mock.url).getTrustList());
    expect(noCa.details.reason).toBe('tls');
    const requestsBefore = mock.requests.length;
    await failure(wrongPin.getTrustList());
    expect(mock.requests.length).toBe(requestsBefore);
  });

  it('NODE_TLS_REJECT_UNAUTHORIZED=0 and HTTPS_PROXY in the environment turn off neither the pin, the CA check nor the direct route', async () => {
    const tls = createTestCertificate();
    const other = createTestCertificate();
    const mock = await mockPlatform({ tls: { key: tls.key, cert: tls.cert } });
    const trustList = trustListOf(mock);
    const saved = { tls: process.env.NODE_TLS_REJECT_UNAUTHORIZED, proxy: process.env.HTTPS_PROXY };
    process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
    // A proxy that is not there: a request sent through it would fail with ECONNREFUSED.
    process.env.HTTPS_PROXY = 'http://127.0.0.1:9';
    try {
      const wrongPin = client(mock.url, { trustList, ca: tls.cert, spkiSha256Pins: [other.pin] });
      expect(await failure(wrongPin.resolve(lookupOf(trustworthy[0]!.idNumber)))).toMatchObject({
        details: { reason: 'tls', errorCode: 'ERR_XINYI_SPKI_PIN_MISMATCH' },
      });
      expect((await failure(client(mock.url).getTrustList())).details.reason).toBe('tls');
      const pinned = client(mock.url, { trustList, ca: tls.cert, spkiSha256Pins: [tls.pin] });
      expect(await pinned.resolve(lookupOf(trustworthy[0]!.idNumber))).toMatchObject({ source: 'platform' });
    } finally {
      for (const [name, value] of [
        ['NODE_TLS_REJECT_UNAUTHORIZED', saved.tls],
        ['HTTPS_PROXY', saved.proxy],
      ] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  it('http:// is refused beyond loopback unless allowInsecureHttp says so; pins and a CA need https', () => {
    for (const baseUrl of ['http://credit.example.gov.cn/api', 'http://10.0.0.8:8080', 'ftp://127.0.0.1']) {
      expect(() => client(baseUrl)).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS' }));
    }
    expect(client('http://127.0.0.1:8080').transport).toBe('loopback-http');
    expect(client('http://localhost:8080').transport).toBe('loopback-http');
    // Only the name itself: a resolver may send other *.localhost names to DNS.
    expect(() => client('http://platform.localhost:8080')).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    );
    expect(client('http://[::1]:8080').transport).toBe('loopback-http');
    expect(client('http://credit.example.gov.cn/api', { allowInsecureHttp: true }).transport).toBe(
      'insecure-http',
    );
    expect(client('https://credit.example.gov.cn/api').transport).toBe('https');
    const pin = `${'A'.repeat(43)}=`;
    expect(() => client('http://127.0.0.1:8080', { spkiSha256Pins: [pin] })).toThrow(/spkiSha256Pins/);
    expect(() => client('https://credit.example.gov.cn', { spkiSha256Pins: ['short'] })).toThrow(
      /spkiSha256Pins/,
    );
    expect(() => client('http://127.0.0.1:8080', { ca: 'x' })).toThrow(/ca needs/);
  });
});

describe('request signature covers every X-Xinyi-* header and the Idempotency-Key', () => {
  const edits: [string, (h: Record<string, unknown>) => void][] = [
    [
      'a changed X-Xinyi-Terminal-Id',
      (h) => {
        h['x-xinyi-terminal-id'] = 'gate-99';
      },
    ],
    [
      'an added X-Xinyi-* header',
      (h) => {
        h['x-xinyi-operator'] = 'mallory';
      },
    ],
    [
      'a dropped X-Xinyi-Terminal-Id',
      (h) => {
        delete h['x-xinyi-terminal-id'];
      },
    ],
  ];
  it.each(edits)('%s on the way is refused by the platform (401 bad-signature)', async (_, edit) => {
    const mock = await mockPlatform();
    const proxy = await proxyFor(mock);
    proxy.setRule({ request: (headers) => edit(headers as Record<string, unknown>) });
    const error = await failure(
      client(proxy.url, { terminalId: 'gate-7', retry: { maxAttempts: 1 } }).getTrustList(),
    );
    expect(error).toMatchObject({
      code: 'CREDIT_UNAUTHORIZED',
      details: { status: 401, reason: 'bad-signature' },
    });
    proxy.setRule(null);
    expect(await client(proxy.url, { terminalId: 'gate-7' }).getTrustList()).not.toBeNull();
  });

  it('a changed or dropped Idempotency-Key on an upload is refused (401), so a batch cannot be stored under another key', async () => {
    const mock = await mockPlatform();
    const proxy = await proxyFor(mock);
    const platform = client(proxy.url, { terminalId: 'gate-7', retry: { maxAttempts: 1 } });
    const edits: ((h: Record<string, unknown>) => void)[] = [
      (h) => {
        h['idempotency-key'] = 'another-batch-key';
      },
      (h) => {
        delete h['idempotency-key'];
      },
    ];
    for (const edit of edits) {
      proxy.setRule({ request: (headers) => edit(headers as Record<string, unknown>) });
      const error = await failure(platform.uploadDecisions([{ key: 'd-1' }], 'batch-key-0001'));
      expect(error).toMatchObject({ code: 'CREDIT_UNAUTHORIZED', details: { reason: 'bad-signature' } });
    }
    expect(mock.uploads.decisions).toEqual([]);
    proxy.setRule(null);
    expect(await platform.uploadDecisions([{ key: 'd-1' }], 'batch-key-0001')).toEqual({
      accepted: 1,
      duplicate: false,
    });
  });
});
