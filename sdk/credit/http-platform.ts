// The only module that imports axios: every AxiosError stops here and leaves as an XinyiError. Its
// retries run on the SDK's one retry loop (sdk/retry/retry-loop.ts, p-retry).
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Agent as HttpsAgent } from 'node:https';
import { tmpdir } from 'node:os';
import { performance } from 'node:perf_hooks';
import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import { type Clock, systemClock } from '../clock.js';
import { isSceneId } from '../domain/scenes.js';
import {
  type CreditStanding,
  LIST_KINDS,
  type ListKind,
  type ListMembership,
  SUBJECT_TYPES,
  type SubjectType,
} from '../domain/standing.js';
import { TIER_CODES, type TierCode } from '../domain/tiers.js';
import { isXinyiError, XinyiError, type XinyiErrorCode } from '../errors.js';
import type { ChainHead } from '../journal/journal-chain.js';
import { type Logger, silentLogger } from '../logger.js';
import { type RetryLoopFailure, type RetryStep, retryLoop } from '../retry/retry-loop.js';
import type { CreditLookup, CreditResolver } from '../terminal/credit-resolver.js';
import {
  type ResponseByteLimits,
  type ResponseKind,
  readBoundedBody,
  responseByteLimits,
} from './bounded-body.js';
import {
  type BreakerState,
  type CircuitBreaker,
  type CircuitBreakerOptions,
  createCircuitBreaker,
} from './circuit-breaker.js';
import {
  ANSWER_SIGNATURE_HEADER,
  assertQuestionFields,
  type LookupQuestion,
  verifyLookupAnswer,
} from './lookup-answer.js';
import {
  createPlatformHttpsAgent,
  isSpkiPin,
  type PlatformTlsOptions,
  platformTransportKind,
  platformUrlProblem,
  SPKI_PIN_MISMATCH,
} from './platform-transport.js';
import { signRequest } from './request-signing.js';
import { type AttemptFailureKind, type RetryPolicyOptions, shouldRetry } from './retry-policy.js';
import type { TrustList } from './trust-list.js';

/** Paths of the platform API (docs/platform-api.md). */
export const PLATFORM_PATHS = {
  lookup: '/v1/standings/lookup',
  trustList: '/v1/trust-list',
  statusList: '/v1/status-list',
  snapshotLatest: '/v1/snapshots/latest',
  snapshotDelta: '/v1/snapshots/delta',
  decisions: '/v1/decisions',
  disclosures: '/v1/disclosures',
  calendar: '/v1/calendar',
  policyPack: '/v1/policy-pack',
} as const;

export interface HttpPlatformResolverOptions {
  /**
   * Base URL of the platform, e.g. `https://credit.example.gov.cn/api`; paths are appended to it.
   * Must be `https://`; `http://` is accepted for a loopback host (a simulator) or with
   * `allowInsecureHttp`.
   */
  baseUrl: string;
  /**
   * Accept `http://` to a host beyond loopback: requests and answers travel in clear (answers are
   * still signed). For a closed network that terminates TLS elsewhere; health and `xinyi doctor`
   * report it. @default false
   */
  allowInsecureHttp?: boolean;
  /** PEM certificates trusted for the platform instead of the system roots (a city's own CA). */
  ca?: PlatformTlsOptions['ca'];
  /**
   * SPKI SHA-256 pins (base64 of the SHA-256 of a SubjectPublicKeyInfo): the platform's certificate
   * chain must carry one of these keys, or the connection is refused. Give two (current and next key).
   */
  spkiSha256Pins?: readonly string[];
  /**
   * The trust list whose `platform-response` keys sign lookup answers (docs/platform-api.md, "Signed
   * answers"), or `getTrustList` for the current one. Without either, lookups are not sent:
   * an answer that cannot be verified is worth nothing. Downloads and uploads do not need it.
   */
  trustList?: TrustList;
  /** The current trust list, asked on every lookup (the platform sync's `getTrustList`). */
  getTrustList?: () => TrustList | undefined;
  /** How far a signed answer's time may be from this clock. @default ANSWER_TIME_WINDOW_MS (300 s) */
  answerWindowMs?: number;
  /** Byte limits per kind of answer. @default DEFAULT_RESPONSE_BYTE_LIMITS */
  maxResponseBytes?: Partial<ResponseByteLimits>;
  /**
   * Where a large download (past 1 MiB, in practice a snapshot) is spooled while it streams in, so
   * that a hostile body costs disk up to its limit rather than memory. @default os.tmpdir()
   */
  spoolDir?: string;
  /** Identifies the signing key to the platform (`X-Xinyi-Key-Id`). */
  keyId: string;
  /** The HMAC-SHA-256 secret shared with the platform for `keyId`. */
  secret: string | Uint8Array;
  /** Sent as `X-Xinyi-Terminal-Id` on downloads and uploads; lookups carry the lookup's own terminal id. */
  terminalId?: string;
  /**
   * This source's budget for one lookup, retries and backoff included; becomes `resolver.timeoutMs`
   * so the terminal moves on to the next source after it. @default 400
   */
  timeoutMs?: number;
  /** Budget of one download or upload, retries included. @default 30000 */
  transferTimeoutMs?: number;
  /** @default DEFAULT_RETRY_POLICY (3 attempts, 50 ms base backoff, 1 s cap) */
  retry?: RetryPolicyOptions;
  /**
   * Options for the breaker this resolver creates, or a breaker to share (a shared breaker's state
   * changes are not re-emitted as `breaker` events). @default 5 failures, 5 s cool-down
   */
  breaker?: CircuitBreaker | Omit<CircuitBreakerOptions, 'onStateChange' | 'clock'>;
  /** @default axios.create() */
  httpClient?: AxiosInstance;
  /** Signing timestamps and deadline arithmetic. @default systemClock */
  clock?: Clock;
  logger?: Logger;
  /** Backoff jitter in [0, 1). @default Math.random */
  random?: () => number;
  /** @default 'platform' */
  name?: string;
}

/** Typed events of the platform client (`resolver.on('auth', e => …)`). */
export interface HttpPlatformEventMap {
  /** The platform refused our signature or key (401/403): a configuration or clock problem, not an outage. */
  auth: [error: XinyiError];
  /** A request finally failed after a success (or at the first request). */
  offline: [event: { reason: XinyiErrorCode; error: XinyiError }];
  /** A request succeeded after `offline`. */
  online: [];
  breaker: [change: { from: BreakerState; to: BreakerState }];
}

/** A downloaded document, as bytes: its format belongs to the module that reads it. */
export interface PlatformDownload {
  bytes: Uint8Array;
  contentType: string;
  /** `X-Xinyi-Computed-At` of the response, when the platform sent one. */
  computedAt?: string;
}

export interface TransferOptions {
  signal?: AbortSignal;
  /** @default the resolver's transferTimeoutMs */
  timeoutMs?: number;
}

/** Options of one upload. */
export interface UploadTransferOptions extends TransferOptions {
  /**
   * The signed heads of the hash chains the batch's items extend (docs/journal.md §12), sent in the
   * body as `chainHeads` so that the platform can check continuity across batches.
   */
  chainHeads?: readonly ChainHead[];
}

export interface UploadResult {
  accepted: number;
  /** True when the platform had already stored a batch under this idempotency key. */
  duplicate: boolean;
}

export interface HttpPlatformResolver extends CreditResolver, EventEmitter<HttpPlatformEventMap> {
  readonly timeoutMs: number;
  /** `https`, `loopback-http` or `insecure-http` (allowed by `allowInsecureHttp`): for health. */
  readonly transport: 'https' | 'loopback-http' | 'insecure-http';
  readonly breakerState: BreakerState;
  /** The trust list (issuer keys); null when the platform has none (404). */
  getTrustList(options?: TransferOptions): Promise<PlatformDownload | null>;
  /** The revocation status list; null when the platform has none (404). */
  getStatusList(options?: TransferOptions): Promise<PlatformDownload | null>;
  /** The signed holiday-calendar document (docs/policy-packs.md); null when the platform has none (404). */
  getCalendar(options?: TransferOptions): Promise<PlatformDownload | null>;
  /** The signed policy-pack document; null when the platform has none (404). */
  getPolicyPack(options?: TransferOptions): Promise<PlatformDownload | null>;
  /** The latest full snapshot, or the delta since a snapshot id; null when there is none (404). */
  getSnapshot(options?: TransferOptions & { since?: string }): Promise<PlatformDownload | null>;
  /** Uploads a batch of decisions; retried with the same key, so the platform stores it once. */
  uploadDecisions(
    batch: readonly unknown[],
    idempotencyKey: string,
    options?: UploadTransferOptions,
  ): Promise<UploadResult>;
  /** Uploads a batch of public-disclosure records (masked names only), idempotently like decisions. */
  uploadDisclosures(
    batch: readonly unknown[],
    idempotencyKey: string,
    options?: UploadTransferOptions,
  ): Promise<UploadResult>;
}

interface PlatformRequest<T> {
  method: 'GET' | 'POST';
  path: string;
  body?: string;
  budgetMs: number;
  signal?: AbortSignal;
  idempotencyKey?: string;
  /** How `parse` gets the body in `response.data`: a string, or a Uint8Array. */
  responseType: 'text' | 'arraybuffer';
  /** Which byte limit the answer is read under. */
  limit: ResponseKind;
  /** Statuses handed to `parse` (2xx always are). */
  accept?: readonly number[];
  /**
   * Throws `MalformedBody` for a body that breaks the API's promise, `PLATFORM_RESPONSE_INVALID` for
   * one that is not authenticated. `received` has the exact body bytes and the attempt's nonce.
   */
  parse: (response: AxiosResponse, received: { body: Buffer; nonce: string }) => T;
}

/** Thrown by the response parsers; exported for the fuzz harness (test/fuzz). */
export class MalformedBody extends Error {}

/** A failed attempt, for the retry decision; the loop's caller gets `failure.error`. */
class FailedAttempt extends Error {
  constructor(readonly failure: Failure) {
    super(failure.error.message);
  }
}

interface Failure {
  kind: AttemptFailureKind;
  error: XinyiError;
  status?: number;
  retryAfter?: string | null;
  /**
   * Not retried, and a platform fault for the breaker: an answer too large or not authenticated, a
   * TLS certificate or pin refused. Asking again would cost the budget for the same answer.
   */
  final?: boolean;
}

/** TLS failures that asking again cannot mend (`code` of the socket error). */
const TLS_REFUSALS: ReadonlySet<string> = new Set([
  SPKI_PIN_MISMATCH,
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
]);

function optionError(message: string): XinyiError {
  return new XinyiError('INVALID_OPTIONS', `createHttpPlatformResolver: ${message}`);
}

function validate(options: HttpPlatformResolverOptions): void {
  if (options === null || typeof options !== 'object') throw optionError('options must be an object');
  if (options.allowInsecureHttp !== undefined && typeof options.allowInsecureHttp !== 'boolean') {
    throw optionError('allowInsecureHttp must be a boolean');
  }
  const urlProblem = platformUrlProblem(options.baseUrl, options.allowInsecureHttp === true);
  if (urlProblem !== undefined) throw optionError(`baseUrl ${urlProblem}`);
  const https = platformTransportKind(options.baseUrl) === 'https';
  if (options.spkiSha256Pins !== undefined) {
    if (
      !Array.isArray(options.spkiSha256Pins) ||
      options.spkiSha256Pins.length === 0 ||
      !options.spkiSha256Pins.every(isSpkiPin)
    ) {
      throw optionError('spkiSha256Pins must be base64 SHA-256 digests (44 characters each)');
    }
    if (!https) throw optionError('spkiSha256Pins needs an https:// baseUrl');
  }
  if (options.ca !== undefined && !https) throw optionError('ca needs an https:// baseUrl');
  if (options.getTrustList !== undefined && typeof options.getTrustList !== 'function') {
    throw optionError('getTrustList must be a function');
  }
  if (
    options.trustList !== undefined &&
    (options.trustList === null || typeof options.trustList.keysFor !== 'function')
  ) {
    throw optionError('trustList must be a loaded TrustList');
  }
  if (typeof options.keyId !== 'string' || options.keyId === '')
    throw optionError('keyId must be a non-empty string');
  if (
    !(typeof options.secret === 'string' || options.secret instanceof Uint8Array) ||
    options.secret.length === 0
  ) {
    throw optionError('secret must be a non-empty string or byte array');
  }
  for (const name of ['timeoutMs', 'transferTimeoutMs', 'answerWindowMs'] as const) {
    const value = options[name];
    if (value !== undefined && (!Number.isFinite(value) || value <= 0)) {
      throw optionError(`${name} must be a positive number of milliseconds`);
    }
  }
}

function header(response: AxiosResponse, name: string): string | undefined {
  const value: unknown = response.headers[name];
  return typeof value === 'string' ? value : undefined;
}

function parseJson(response: AxiosResponse): Record<string, unknown> {
  let body: unknown;
  try {
    body = JSON.parse(String(response.data));
  } catch {
    throw new MalformedBody('response body is not JSON');
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new MalformedBody('response body is not a JSON object');
  }
  return body as Record<string, unknown>;
}

function parseLists(value: unknown): ListMembership[] {
  if (!Array.isArray(value)) throw new MalformedBody('standing.lists is not an array');
  return value.map((item: unknown) => {
    const entry = item as { kind?: unknown; domain?: unknown } | null;
    if (!entry || !(LIST_KINDS as readonly unknown[]).includes(entry.kind))
      throw new MalformedBody('bad list kind');
    if (entry.domain !== undefined && typeof entry.domain !== 'string')
      throw new MalformedBody('bad list domain');
    return entry.domain === undefined
      ? { kind: entry.kind as ListKind }
      : { kind: entry.kind as ListKind, domain: entry.domain };
  });
}

/**
 * `{ found: false, computedAt }` or `{ found: true, computedAt, standing: { tier, score?, lists, subjectType? } }`
 * (`subjectType` `'person'` or `'organisation'`; absent: a person).
 * Exported for the fuzz harness (test/fuzz), like `parseUpload` and `parseDownload`.
 */
export function parseLookup(response: AxiosResponse): CreditStanding | null {
  const body = parseJson(response);
  if (typeof body.computedAt !== 'string' || Number.isNaN(Date.parse(body.computedAt))) {
    throw new MalformedBody('computedAt missing');
  }
  if (body.found === false) return null;
  if (body.found !== true) throw new MalformedBody('found missing');
  const standing = body.standing as
    | { tier?: unknown; score?: unknown; lists?: unknown; subjectType?: unknown }
    | undefined;
  if (!standing || typeof standing !== 'object') throw new MalformedBody('standing missing');
  if (standing.tier !== null && !TIER_CODES.includes(standing.tier as TierCode)) {
    throw new MalformedBody('bad tier');
  }
  // A JSON number can still be infinite (`1e999`).
  if (
    standing.score !== undefined &&
    (typeof standing.score !== 'number' || !Number.isFinite(standing.score))
  ) {
    throw new MalformedBody('bad score');
  }
  if (standing.subjectType !== undefined && !SUBJECT_TYPES.includes(standing.subjectType as SubjectType)) {
    throw new MalformedBody('bad subjectType');
  }
  const result: CreditStanding = {
    tier: standing.tier as TierCode | null,
    lists: parseLists(standing.lists),
    source: 'platform',
    asOf: body.computedAt,
  };
  if (typeof standing.score === 'number') result.score = standing.score;
  if (standing.subjectType !== undefined) result.subjectType = standing.subjectType as SubjectType;
  return result;
}

export function parseUpload(response: AxiosResponse): UploadResult {
  const body = parseJson(response);
  const accepted = body.accepted;
  if (typeof accepted !== 'number' || !Number.isSafeInteger(accepted) || accepted < 0) {
    throw new MalformedBody('accepted missing');
  }
  return { accepted, duplicate: body.duplicate === true };
}

export function parseDownload(response: AxiosResponse): PlatformDownload | null {
  if (response.status === 404) return null;
  const data = response.data as ArrayBuffer | Uint8Array;
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
  const download: PlatformDownload = {
    bytes,
    contentType: header(response, 'content-type') ?? 'application/octet-stream',
  };
  const computedAt = header(response, 'x-xinyi-computed-at');
  if (computedAt !== undefined) download.computedAt = computedAt;
  return download;
}

/**
 * A reset on a kept-alive connection before any response: the server closed it as idle while this
 * request was being written (Node's http docs: retry when `req.reusedSocket` and `ECONNRESET`).
 */
/**
 * What an error from the HTTP stack may carry out of the SDK: its name, message and code. An axios
 * error holds the request's config (the signature headers, the body with the pseudonym) and the
 * socket; none of that may reach a log, an event or a host's error report.
 */
export function strippedTransportCause(cause: unknown): unknown {
  if (!(cause instanceof Error) || isXinyiError(cause)) return cause;
  const stripped = new Error(cause.message);
  if (cause.name !== stripped.name) stripped.name = cause.name;
  const code = (cause as { code?: unknown }).code;
  if (typeof code === 'string') (stripped as Error & { code?: string }).code = code;
  stripped.stack = `${cause.name}: ${cause.message}`;
  return stripped;
}

function isStaleKeepAlive(cause: unknown, code: string): boolean {
  if (code !== 'ECONNRESET' && code !== 'EPIPE') return false;
  const request = axios.isAxiosError(cause)
    ? (cause.request as { reusedSocket?: unknown } | undefined)
    : undefined;
  return request?.reusedSocket === true;
}

/** Abortable sleep; rejects with `onAbort()` when the signal fires first. */
function sleep(ms: number, signal: AbortSignal, onAbort: () => Error): Promise<void> {
  if (ms <= 0) return signal.aborted ? Promise.reject(onAbort()) : Promise.resolve();
  return new Promise((resolve, reject) => {
    const abort = () => {
      clearTimeout(timer);
      reject(onAbort());
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', abort);
      resolve();
    }, ms);
    if (signal.aborted) abort();
    else signal.addEventListener('abort', abort, { once: true });
  });
}

/**
 * The credit platform as a `CreditResolver` named 'platform', plus the platform's download and upload
 * calls. Lookups are purpose-bound (`{ pseudonym, scene, terminalId }`), signed, retried by
 * the retry policy (`shouldRetry` in retry-policy.ts) within `timeoutMs` and the lookup's deadline, and guarded by a circuit breaker.
 * Every answer is read under its byte limit, and every lookup answer must carry the platform's
 * signature over the question it answers (`verifyLookupAnswer`).
 * Errors: `CREDIT_UNAUTHORIZED` (401/403, plus an `auth` event), `CREDIT_TIMEOUT` (budget or deadline
 * passed), `CREDIT_UNAVAILABLE` (network, a refused certificate or pin, other statuses, malformed
 * body, no trust list to verify a lookup with, or `details.breaker === 'open'`),
 * `PLATFORM_RESPONSE_INVALID` (a lookup answer not signed for this question) and
 * `PLATFORM_RESPONSE_TOO_LARGE`; the last two and a refused certificate are not retried.
 * Throws `INVALID_OPTIONS` for bad options, an `http://` platform beyond loopback included.
 */
export function createHttpPlatformResolver(options: HttpPlatformResolverOptions): HttpPlatformResolver {
  validate(options);
  const name = options.name ?? 'platform';
  const base = options.baseUrl.replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 400;
  const transferTimeoutMs = options.transferTimeoutMs ?? 30_000;
  const http = options.httpClient ?? axios.create();
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const random = options.random ?? Math.random;
  const limits = responseByteLimits(options.maxResponseBytes, 'createHttpPlatformResolver');
  const transport = platformTransportKind(options.baseUrl)!;
  let httpsAgent: HttpsAgent;
  try {
    httpsAgent = createPlatformHttpsAgent({
      ...(options.ca === undefined ? {} : { ca: options.ca }),
      ...(options.spkiSha256Pins === undefined ? {} : { spkiSha256Pins: options.spkiSha256Pins }),
    });
  } catch (cause) {
    throw new XinyiError('INVALID_OPTIONS', 'createHttpPlatformResolver: ca is not a usable PEM bundle', {
      cause,
    });
  }
  const getTrustList = options.getTrustList ?? (() => options.trustList);
  const spoolDir = options.spoolDir ?? tmpdir();
  const events = new EventEmitter<HttpPlatformEventMap>();
  const breaker =
    options.breaker && 'tryAcquire' in options.breaker
      ? options.breaker
      : createCircuitBreaker({
          ...options.breaker,
          clock,
          onStateChange: (change) => {
            logger.info({ source: name, ...change }, 'platform circuit breaker');
            events.emit('breaker', change);
          },
        });
  let online: boolean | undefined;

  const markOnline = () => {
    if (online !== true) {
      const wasOffline = online === false;
      online = true;
      if (wasOffline) events.emit('online');
    }
  };
  const markOffline = (error: XinyiError) => {
    if (online !== false) {
      online = false;
      events.emit('offline', { reason: error.code, error });
    }
  };

  const timeoutError = (what: string, cause?: unknown) =>
    new XinyiError('CREDIT_TIMEOUT', `${name}: ${what}`, cause === undefined ? {} : { cause });

  const statusFailure = (response: AxiosResponse): Failure => {
    const status = response.status;
    let reason: string | undefined;
    try {
      const error = parseJson(response).error;
      // The platform's (or a proxy's) words go into errors, logs and health: a short code only.
      if (typeof error === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(error)) reason = error;
    } catch {
      // A non-JSON error body (a proxy's HTML page) says nothing more than its status.
    }
    const details: Record<string, string | number> = { status };
    if (reason !== undefined) details.reason = reason;
    const unauthorized = status === 401 || status === 403;
    const error = new XinyiError(
      unauthorized ? 'CREDIT_UNAUTHORIZED' : 'CREDIT_UNAVAILABLE',
      `${name}: platform answered HTTP ${status}${reason ? ` (${reason})` : ''}`,
      { details },
    );
    return { kind: 'status', status, retryAfter: header(response, 'retry-after') ?? null, error };
  };

  const transportFailure = (rawCause: unknown, loopAborted: boolean): Failure => {
    const cause = strippedTransportCause(rawCause);
    // The loop's budget or the caller's deadline ran out with the request in flight.
    if (loopAborted)
      return { kind: 'aborted', error: timeoutError('platform did not answer in time', cause) };
    // An AxiosError carries the socket's code; an error while the body streams in is the socket's own.
    const own = (rawCause as { code?: unknown } | null)?.code;
    const code = typeof own === 'string' ? own : 'unknown';
    if (isStaleKeepAlive(rawCause, code)) {
      return {
        kind: 'stale-connection',
        error: new XinyiError(
          'CREDIT_UNAVAILABLE',
          `${name}: kept-alive connection was closed by the platform`,
          {
            cause,
            details: { reason: 'network', errorCode: code },
          },
        ),
      };
    }
    if (TLS_REFUSALS.has(code)) {
      return {
        kind: 'network',
        final: true,
        error: new XinyiError(
          'CREDIT_UNAVAILABLE',
          `${name}: the platform's certificate was refused (${code})`,
          {
            cause,
            details: { reason: 'tls', errorCode: code },
          },
        ),
      };
    }
    return {
      kind: 'network',
      error: new XinyiError('CREDIT_UNAVAILABLE', `${name}: platform unreachable (${code})`, {
        cause,
        details: { reason: 'network', errorCode: code },
      }),
    };
  };

  async function execute<T>(request: PlatformRequest<T>): Promise<T> {
    const started = performance.now();
    const budget = new AbortController();
    const budgetTimer = setTimeout(() => budget.abort(), request.budgetMs);
    const loopSignal = request.signal ? AbortSignal.any([request.signal, budget.signal]) : budget.signal;
    const url = `${base}${request.path}`;
    const signedPath = (() => {
      const parsed = new URL(url);
      return `${parsed.pathname}${parsed.search}`;
    })();
    let lastError: XinyiError | undefined;

    const attemptOnce = async (): Promise<T> => {
      if (!breaker.tryAcquire()) {
        throw new FailedAttempt({
          kind: 'breaker-open',
          final: true,
          error: new XinyiError(
            'CREDIT_UNAVAILABLE',
            `${name}: circuit breaker open, not calling the platform`,
            {
              cause: lastError,
              details: { breaker: 'open' },
            },
          ),
        });
      }
      // Every X-Xinyi-* header and the Idempotency-Key are signed with the request (docs/platform-api.md).
      const signed: Record<string, string> = {};
      if (request.idempotencyKey !== undefined) signed['idempotency-key'] = request.idempotencyKey;
      if (options.terminalId !== undefined) signed['x-xinyi-terminal-id'] = options.terminalId;
      const nonce = randomBytes(16).toString('base64url');
      const headers: Record<string, string> = {
        ...signed,
        ...signRequest({
          method: request.method,
          path: signedPath,
          body: request.body,
          keyId: options.keyId,
          secret: options.secret,
          nowMs: clock.now(),
          nonce,
          headers: signed,
        }),
        accept: request.responseType === 'text' ? 'application/json' : '*/*',
      };
      if (request.body !== undefined) headers['content-type'] = 'application/json';

      let failure: Failure;
      try {
        const response = await http.request({
          method: request.method,
          url,
          data: request.body,
          headers,
          signal: loopSignal,
          // Read here, under a byte limit, as it streams in: axios must not buffer a hostile body whole.
          responseType: 'stream',
          httpsAgent,
          // Not the environment's HTTP(S)_PROXY: a loopback platform stays on loopback, and the
          // transport health and doctor report is the one used.
          proxy: false,
          // Bodies are signed and parsed here, byte for byte: axios must not re-encode or silently parse.
          transformRequest: [(data: unknown) => data],
          transformResponse: [(data: unknown) => data],
          validateStatus: () => true,
          maxRedirects: 0,
        });
        const accepted =
          (response.status >= 200 && response.status < 300) ||
          (request.accept?.includes(response.status) ?? false);
        // An error body only says why; it gets the small limit.
        const limit = accepted ? request.limit : 'upload';
        const body = await readBoundedBody(response.data, {
          limitBytes: Math.min(limits[limit], limits[request.limit]),
          kind: limit,
          contentLength: header(response, 'content-length'),
          signal: loopSignal,
          request: response.request as { destroy(error?: Error): unknown },
          spoolDir,
        });
        response.data = request.responseType === 'text' ? body.toString('utf8') : body;
        if (accepted) {
          try {
            const value = request.parse(response, { body, nonce });
            breaker.recordSuccess();
            markOnline();
            return value;
          } catch (error) {
            if (isXinyiError(error, 'PLATFORM_RESPONSE_INVALID')) {
              failure = { kind: 'malformed', final: true, error };
            } else if (error instanceof MalformedBody) {
              failure = {
                kind: 'malformed',
                error: new XinyiError(
                  'CREDIT_UNAVAILABLE',
                  `${name}: malformed response (${error.message})`,
                  {
                    cause: error,
                    details: { reason: 'malformed', status: response.status },
                  },
                ),
              };
            } else {
              throw error;
            }
          }
        } else {
          failure = statusFailure(response);
        }
      } catch (error) {
        failure = isXinyiError(error, 'PLATFORM_RESPONSE_TOO_LARGE')
          ? { kind: 'malformed', final: true, error }
          : transportFailure(error, loopSignal.aborted);
      }

      const platformFault =
        failure.kind === 'stale-connection'
          ? false
          : failure.kind !== 'status' ||
            (failure.status !== undefined && (failure.status >= 500 || [408, 429].includes(failure.status)));
      if (failure.kind === 'stale-connection') breaker.release();
      else if (platformFault) breaker.recordFailure();
      else breaker.recordSuccess();
      if (failure.error.code === 'CREDIT_UNAUTHORIZED') events.emit('auth', failure.error);
      lastError = failure.error;
      if (failure.final) {
        // Refused, not merely failed: an answer too large or not authenticated, a certificate refused.
        logger.warn(
          {
            source: name,
            path: request.path,
            code: failure.error.code,
            reason: failure.error.details.reason,
            kind: failure.error.details.kind,
          },
          'platform answer refused',
        );
      }
      throw new FailedAttempt(failure);
    };

    /** The retry decision: the pure policy (retry-policy.ts), logged. */
    const decide = ({ attempt, error }: RetryLoopFailure): RetryStep => {
      if (!(error instanceof FailedAttempt) || error.failure.final) return { retry: false, delayMs: 0 };
      const { failure } = error;

      const decision = shouldRetry(
        {
          attempt,
          kind: failure.kind,
          status: failure.status,
          retryAfter: failure.retryAfter,
          elapsedMs: performance.now() - started,
          deadlineMs: request.budgetMs,
          nowMs: clock.now(),
          random,
        },
        options.retry,
      );
      logger.debug(
        {
          source: name,
          path: request.path,
          attempt,
          kind: failure.kind,
          status: failure.status,
          retry: decision.retry,
          delayMs: decision.delayMs,
          why: decision.reason,
        },
        'platform request failed',
      );
      return decision;
    };

    try {
      return await retryLoop(attemptOnce, {
        decide,
        signal: loopSignal,
        sleep: (ms) =>
          sleep(ms, loopSignal, () => timeoutError('deadline passed while backing off', lastError)),
      });
    } catch (thrown) {
      const error = thrown instanceof FailedAttempt ? thrown.failure.error : thrown;
      const translated = isXinyiError(error)
        ? error
        : loopSignal.aborted
          ? timeoutError('lookup deadline passed', lastError ?? strippedTransportCause(error))
          : new XinyiError('CREDIT_UNAVAILABLE', `${name}: platform request failed`, {
              cause: strippedTransportCause(error),
            });
      if (!(translated.code === 'CREDIT_TIMEOUT' && request.signal?.aborted)) markOffline(translated);
      throw translated;
    } finally {
      clearTimeout(budgetTimer);
    }
  }

  const transferBudget = (transfer?: TransferOptions) => transfer?.timeoutMs ?? transferTimeoutMs;

  /** Every download goes through here, under its byte limit (`document` for a kind not named). */
  const download = (path: string, transfer?: TransferOptions, limit: ResponseKind = 'document') =>
    execute({
      method: 'GET',
      path,
      budgetMs: transferBudget(transfer),
      signal: transfer?.signal,
      responseType: 'arraybuffer',
      limit,
      accept: [404],
      parse: parseDownload,
    });

  const upload = async (
    path: string,
    batch: readonly unknown[],
    idempotencyKey: string,
    transfer?: UploadTransferOptions,
  ): Promise<UploadResult> => {
    if (!Array.isArray(batch)) throw new XinyiError('INVALID_ARGUMENT', 'batch must be an array');
    if (typeof idempotencyKey !== 'string' || !/^[\w.:-]{8,128}$/.test(idempotencyKey)) {
      throw new XinyiError('INVALID_ARGUMENT', 'idempotencyKey must be 8–128 characters of [A-Za-z0-9_.:-]');
    }
    const chainHeads = transfer?.chainHeads;
    const body = JSON.stringify(
      chainHeads === undefined || chainHeads.length === 0
        ? { terminalId: options.terminalId, items: batch }
        : { terminalId: options.terminalId, items: batch, chainHeads },
    );
    return execute({
      method: 'POST',
      path,
      body,
      budgetMs: transferBudget(transfer),
      signal: transfer?.signal,
      idempotencyKey,
      responseType: 'text',
      limit: 'upload',
      parse: parseUpload,
    });
  };

  const api: Omit<HttpPlatformResolver, keyof EventEmitter> = {
    name,
    timeoutMs,
    transport,
    get breakerState() {
      return breaker.state;
    },
    async resolve(lookup: CreditLookup): Promise<CreditStanding | null> {
      // The platform knows people by pseudonym only; a credit code's standing is in the code itself.
      const pseudonym = lookup.subject?.pseudonym;
      if (pseudonym === undefined) return null;
      if (!isSceneId(lookup.scene) || typeof lookup.terminalId !== 'string' || lookup.terminalId === '') {
        throw new XinyiError('INVALID_ARGUMENT', `${name}: a lookup needs its scene and terminal id`);
      }
      const question = { pseudonym, scene: lookup.scene, terminalId: lookup.terminalId };
      assertQuestionFields(question);
      // An answer that cannot be verified is worth nothing: without a trust list, do not ask.
      const trustList = getTrustList();
      if (trustList === undefined) {
        throw new XinyiError('CREDIT_UNAVAILABLE', `${name}: no trust list to verify lookup answers with`, {
          details: { reason: 'no-trust-list' },
        });
      }
      const budgetMs = Math.min(timeoutMs, lookup.deadlineAt - clock.now());
      if (budgetMs <= 0 || lookup.signal.aborted) throw timeoutError('no time left for the platform');
      return execute({
        method: 'POST',
        path: PLATFORM_PATHS.lookup,
        body: JSON.stringify(question),
        budgetMs,
        signal: lookup.signal,
        responseType: 'text',
        limit: 'lookup',
        parse: (response, received) => {
          const asked: LookupQuestion = { ...question, nonce: received.nonce };
          verifyLookupAnswer({
            question: asked,
            body: received.body,
            signatureHeader: response.headers[ANSWER_SIGNATURE_HEADER],
            trustList,
            nowMs: clock.now(),
            ...(options.answerWindowMs === undefined ? {} : { windowMs: options.answerWindowMs }),
          });
          return parseLookup(response);
        },
      });
    },
    getTrustList: (transfer) => download(PLATFORM_PATHS.trustList, transfer, 'trustList'),
    getStatusList: (transfer) => download(PLATFORM_PATHS.statusList, transfer, 'statusList'),
    getCalendar: (transfer) => download(PLATFORM_PATHS.calendar, transfer, 'calendar'),
    getPolicyPack: (transfer) => download(PLATFORM_PATHS.policyPack, transfer, 'policyPack'),
    getSnapshot: (transfer) =>
      transfer?.since === undefined
        ? download(PLATFORM_PATHS.snapshotLatest, transfer, 'snapshot')
        : download(
            `${PLATFORM_PATHS.snapshotDelta}?since=${encodeURIComponent(transfer.since)}`,
            transfer,
            'delta',
          ),
    uploadDecisions: (batch, key, transfer) => upload(PLATFORM_PATHS.decisions, batch, key, transfer),
    uploadDisclosures: (batch, key, transfer) => upload(PLATFORM_PATHS.disclosures, batch, key, transfer),
  };
  // The emitter itself is the client (one event style across the SDK); descriptors keep the getters.
  return Object.defineProperties(events, Object.getOwnPropertyDescriptors(api)) as HttpPlatformResolver;
}
