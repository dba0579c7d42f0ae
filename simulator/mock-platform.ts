import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { CALENDAR_DOCUMENT_FORMAT, type CalendarDocumentYear } from '../sdk/calendar/calendar-document.js';
import { type Clock, systemClock } from '../sdk/clock.js';
import {
  ANSWER_SIGNATURE_HEADER,
  assertQuestionFields,
  signLookupAnswer,
} from '../sdk/credit/lookup-answer.js';
import {
  createNonceCache,
  DEFAULT_SIGNATURE_WINDOW_MS,
  verifyRequestSignature,
} from '../sdk/credit/request-signing.js';
import { buildDelta, buildSnapshot } from '../sdk/credit/snapshot-format.js';
import { signDocument } from '../sdk/documents/signed-document.js';
import { isSceneId } from '../sdk/domain/scenes.js';
import type { CreditStanding } from '../sdk/domain/standing.js';
import { XinyiError } from '../sdk/errors.js';
import { createPseudonymizer, type Pseudonymizer } from '../sdk/identity/index.js';
import {
  ChainChecker,
  type ChainHead,
  type ChainLink,
  type ChainProblem,
  canonicalJson,
  verifyChainHeadMac,
} from '../sdk/journal/journal-chain.js';
import { readKeyFile } from '../sdk/key-file.js';
import type { PolicyPack } from '../sdk/policy/pack.js';
import { POLICY_DOCUMENT_FORMAT } from '../sdk/policy/policy-document.js';
import { type CreditIssuer, createCreditIssuer } from './credit-issuer.js';
import { generatePopulation, type SyntheticOrganisation, type SyntheticPerson } from './population.js';

/** One injected misbehaviour (docs/platform-api.md, "Mock platform"). */
export type PlatformFault =
  /** Answers normally after `ms`. Combines with the other faults. */
  | { kind: 'latency'; ms: number }
  /** Never answers; the connection stays open until the client gives up or the mock closes. */
  | { kind: 'timeout' }
  /** Answers with this status and `{ error: 'injected' }`; `times` overrides the scope's. */
  | { kind: 'status'; status: 400 | 401 | 403 | 404 | 408 | 500 | 502 | 503 | 504; times?: number }
  /** 429 with `Retry-After: retryAfterSeconds`. */
  | { kind: '429'; retryAfterSeconds: number }
  /** Destroys the socket without an HTTP response. */
  | { kind: 'drop' }
  /**
   * Does the work (an upload is stored), then destroys the socket instead of answering: the answer
   * is lost on the way back, and the client cannot tell it from a `drop`.
   */
  | { kind: 'lost-response' }
  /** An upload whose `Idempotency-Key` the platform already stored gets `409` instead of `200 duplicate`. */
  | { kind: 'conflict-on-duplicate' }
  /** 200 with a truncated JSON body. */
  | { kind: 'malformed-json' }
  /** Runs the platform's clock `ms` ahead (negative: behind); signature timestamps are judged by it. */
  | { kind: 'clock-skew'; ms: number }
  /** Serves a snapshot or delta whose last signature byte is flipped (a forged or damaged download). */
  | { kind: 'bad-snapshot-signature' };

export interface FaultScope {
  /** Requests the fault applies to. @default Infinity (until `clear()`) */
  times?: number;
  /** Only requests to this path (query ignored). @default every path */
  path?: string;
}

export interface PlatformFaults {
  inject(fault: PlatformFault, scope?: FaultScope): void;
  /**
   * One step per consecutive matching request (null: answer normally); the script runs before any
   * injected fault, and the mock behaves normally once it is used up.
   */
  script(steps: readonly (PlatformFault | null)[], scope?: Pick<FaultScope, 'path'>): void;
  clear(): void;
}

/** A document served for a download endpoint. */
export interface MockDocument {
  bytes: Uint8Array | string;
  /** @default 'application/octet-stream' */
  contentType?: string;
  computedAt?: string;
}

export interface MockPlatformOptions {
  /** The population the platform knows. @default generatePopulation(populationSize, seed) */
  people?: readonly SyntheticPerson[];
  /** @default 'mock-platform' */
  seed?: number | string;
  /** @default 100 */
  populationSize?: number;
  /**
   * Organisations (market subjects) the platform knows, by the pseudonym of their credit code; their
   * standings carry `subjectType: 'organisation'` in lookups and snapshots. @default none
   */
  organisations?: readonly SyntheticOrganisation[];
  /** Must equal the terminals' pseudonymizer (or key), or nobody will be found. */
  pseudonymizer?: Pseudonymizer;
  pseudonymKey?: string | Uint8Array;
  /**
   * The pseudonym key as a key file, read as the gate daemon reads its `pseudonymKey` file
   * (`hex:…`, `base64:…` or raw bytes: sdk/key-file.ts, docs/gates.md "Key files").
   */
  pseudonymKeyFile?: string;
  /** The signing key id and secret the platform accepts (the secret, or `secretFile`: a key file). */
  keyId: string;
  secret?: string | Uint8Array;
  secretFile?: string;
  /** @default 0 (any free port) */
  port?: number;
  clock?: Clock;
  /** @default DEFAULT_SIGNATURE_WINDOW_MS */
  signatureWindowMs?: number;
  /** When the standings were computed. @default the time of each lookup */
  computedAt?: string;
  trustList?: () => MockDocument | undefined;
  statusList?: () => MockDocument | undefined;
  /** Replaces the published calendar document (`publishCalendar`) at `/v1/calendar`; undefined → 404. */
  calendar?: () => MockDocument | undefined;
  /** Replaces the published policy-pack document (`publishPolicyPack`) at `/v1/policy-pack`. */
  policyPack?: () => MockDocument | undefined;
  /**
   * Serve over https with this key and certificate (PEM), for tests of the client's CA bundle and
   * SPKI pins. @default plain http
   */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /**
   * Answer lookups without the answer signature, as a platform from before signed answers: clients
   * refuse every such answer (`PLATFORM_RESPONSE_INVALID`). For rehearsals and the bench's baseline.
   * @default false
   */
  unsignedAnswers?: boolean;
  /** The latest snapshot (no `since`) or the delta since a snapshot id; undefined → 404. */
  snapshotProvider?: (since?: string) => MockDocument | undefined | Promise<MockDocument | undefined>;
}

/** One request as the mock saw it, for assertions. */
export interface MockPlatformRequest {
  method: string;
  /** Path without the query. */
  path: string;
  query: string;
  keyId?: string;
  idempotencyKey?: string;
  /** The parsed JSON body, when there was one. */
  body?: unknown;
  /** The status sent; undefined when the request was dropped or never answered. */
  status?: number;
  /** The injected fault that shaped the answer. */
  fault?: PlatformFault['kind'];
  /** Server clock (skew included) at arrival. */
  atMs: number;
}

export interface MockPlatform {
  readonly url: string;
  readonly port: number;
  readonly faults: PlatformFaults;
  /** Every request so far, in arrival order. */
  readonly requests: MockPlatformRequest[];
  /**
   * Accepted upload batches by endpoint, in order, each holding only the items the platform did not
   * already have (a replayed batch, or an item whose `key` is already stored, is not stored again),
   * and per item `key` how many signed uploads carried it (retries and replays included).
   */
  readonly uploads: {
    decisions: unknown[][];
    disclosures: unknown[][];
    receivedByKey: { decisions: Map<string, number>; disclosures: Map<string, number> };
  };
  /**
   * What the platform found wrong in the terminals' hash chains (docs/journal.md §12), in arrival
   * order: a record whose content does not hash to its link (`rewrite`), a link that does not follow
   * the last one received from that terminal (`gap`), a head whose signature does not verify
   * (`bad-signature`), or a batch's `chainHeads` entry that is not its last link (`head-mismatch`).
   * Flagged records are stored all the same: the platform keeps what it received, and the flag.
   */
  readonly chainProblems: ChainProblem[];
  /** Sets (or with null removes) the standing returned for a pseudonym. */
  setStanding(pseudonym: string, standing: Omit<CreditStanding, 'source' | 'asOf'> | null): void;
  /**
   * From now on serves `provider()` at `/v1/trust-list` or `/v1/status-list` instead of the
   * platform's own document (a newer trust list, an old or future-dated status list); null restores
   * the platform's own.
   */
  replaceDocument(
    path: '/v1/trust-list' | '/v1/status-list',
    provider: (() => MockDocument | undefined) | null,
  ): void;
  /**
   * The platform's credit-code issuer: its root key verifies the trust list served at
   * `/v1/trust-list`; `issuer.issue(...)` gives citizens phones; `issuer.revoke(i)` shows in
   * `/v1/status-list`. Present unless `trustList`/`statusList` callbacks replace the built-in lists.
   */
  readonly issuer: CreditIssuer;
  /** Verifies the snapshots and deltas the mock generates (unless `snapshotProvider` replaces them). */
  readonly snapshotPublicKey: KeyObject;
  /** The sequence number of the current snapshot: every `setStanding` makes a new one. */
  readonly snapshotSequence: number;
  /**
   * Signs (with the issuer's `calendar` key) and serves a calendar document of these years at
   * `/v1/calendar`, with the next version unless one is given. Returns the version. Nothing is
   * published until this is called (404).
   */
  publishCalendar(years: readonly CalendarDocumentYear[], options?: { version?: number }): number;
  /**
   * Signs (with the issuer's `policy-pack` key) and serves a policy-pack document at `/v1/policy-pack`,
   * applying from `effectiveFrom` (ISO with offset; default: its issue time). Returns the version.
   */
  publishPolicyPack(pack: PolicyPack, options?: { version?: number; effectiveFrom?: string }): number;
  close(): Promise<void>;
}

type Stored = Omit<CreditStanding, 'source' | 'asOf'>;
type Entry = { fault: PlatformFault; remaining: number; path?: string };
type UploadKind = 'decisions' | 'disclosures';

const ENDING_FAULTS = new Set<PlatformFault['kind']>([
  'timeout',
  'status',
  '429',
  'drop',
  'lost-response',
  'malformed-json',
]);

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** The `bad-snapshot-signature` fault: the same document with its last (signature) byte flipped. */
function corruptIf(
  faults: readonly PlatformFault[],
  doc: MockDocument | undefined,
): MockDocument | undefined {
  if (!doc || !faults.some((f) => f.kind === 'bad-snapshot-signature')) return doc;
  const bytes = Buffer.from(doc.bytes);
  bytes[bytes.length - 1]! ^= 0xff;
  return { ...doc, bytes };
}

function parseJsonBody(raw: Buffer): unknown {
  if (raw.length === 0) return undefined;
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    return undefined;
  }
}

/**
 * A credit platform on 127.0.0.1 that speaks the whole platform API over a synthetic population,
 * checks request signatures (timestamp window, nonce replay), and misbehaves on request: latency,
 * no answer, error statuses, 429 with Retry-After, dropped connections, answers lost after the work
 * was done, 409 for replayed uploads, malformed JSON, a skewed clock. Uploads are idempotent per
 * batch (`Idempotency-Key`) and per item (`key`). State is per instance.
 */
export async function startMockPlatform(options: MockPlatformOptions): Promise<MockPlatform> {
  if (!options || typeof options.keyId !== 'string' || options.keyId === '') {
    throw new XinyiError('INVALID_OPTIONS', 'startMockPlatform: keyId must be a non-empty string');
  }
  const secret = options.secretFile === undefined ? options.secret : readKeyFile(options.secretFile);
  if (secret === undefined || secret.length === 0) {
    throw new XinyiError('INVALID_OPTIONS', 'startMockPlatform: secret (or secretFile) must not be empty');
  }
  const pseudonymKey =
    options.pseudonymKeyFile === undefined ? options.pseudonymKey : readKeyFile(options.pseudonymKeyFile);
  if (options.pseudonymizer === undefined && pseudonymKey === undefined) {
    throw new XinyiError(
      'INVALID_OPTIONS',
      'startMockPlatform: pseudonymizer (or pseudonymKey, or pseudonymKeyFile) is required',
    );
  }
  const pseudonymizer = options.pseudonymizer ?? createPseudonymizer(pseudonymKey!);
  const clock = options.clock ?? systemClock;
  const windowMs = options.signatureWindowMs ?? DEFAULT_SIGNATURE_WINDOW_MS;
  const people =
    options.people ?? generatePopulation(options.populationSize ?? 100, options.seed ?? 'mock-platform');
  const standings = new Map<string, Stored>();
  for (const person of people) {
    const standing: Stored = { tier: person.tier, score: person.score, lists: person.lists };
    standings.set(pseudonymizer.pseudonymize(person.idNumber, 'id-number'), standing);
    standings.set(pseudonymizer.pseudonymize(person.memberCode, 'member'), standing);
  }
  for (const organisation of options.organisations ?? []) {
    standings.set(pseudonymizer.pseudonymize(organisation.creditCode, 'organisation-code'), {
      tier: organisation.tier,
      score: organisation.score,
      lists: organisation.lists,
      subjectType: 'organisation',
    });
  }

  // The platform's own keys and documents: a credit-code issuer with its signed trust and status
  // lists, and signed snapshots / deltas generated from the standings as they change.
  const issuer = createCreditIssuer({
    seed: String(options.seed ?? 'mock-platform'),
    now: clock.now() - 3_600_000,
    // Dated a year back, so that a terminal whose clock rehearses a past day (`clock.startAt` in a
    // gate config) still finds it valid; it expires a year from now, as by default.
    trustListIssuedAt: clock.now() - 365 * 86_400_000,
  });
  const snapshotKeys = generateKeyPairSync('ed25519');
  let sequence = 1;
  /** Pseudonym → the sequence that last changed it (for deltas). */
  const changedAt = new Map<string, number>();
  const removedAt = new Map<string, number>();
  const snapshotRecord = (pseudonym: string, standing: Stored) => ({
    pseudonym,
    tier: standing.tier,
    lists: standing.lists,
    subjectType: standing.subjectType ?? 'person',
  });
  const snapshotDocument = (since: string | undefined): MockDocument | undefined => {
    const generatedAt = clock.now();
    if (since === undefined) {
      const bytes = buildSnapshot(
        [...standings].map(([p, st]) => snapshotRecord(p, st)),
        { privateKey: snapshotKeys.privateKey, sequence, generatedAt },
      );
      return { bytes, computedAt: new Date(generatedAt).toISOString() };
    }
    const base = Number(since);
    if (!Number.isInteger(base) || base < 1 || base > sequence) return undefined;
    // Nothing new since the terminal's sequence: an empty answer (204), not an empty delta.
    if (base === sequence) return { bytes: new Uint8Array(0) };
    const upserts = [...changedAt]
      .filter(([p, at]) => at > base && standings.has(p))
      .map(([p]) => snapshotRecord(p, standings.get(p)!));
    const deletions = [...removedAt].filter(([p, at]) => at > base && !standings.has(p)).map(([p]) => p);
    const bytes = buildDelta(
      { upserts, deletions },
      { privateKey: snapshotKeys.privateKey, sequence, baseSequence: base, generatedAt },
    );
    return { bytes, computedAt: new Date(generatedAt).toISOString() };
  };

  const published: { calendar?: MockDocument; policyPack?: MockDocument } = {};
  const versions = { calendar: 0, policyPack: 0 };

  const nonces = createNonceCache();
  const replaced = new Map<string, () => MockDocument | undefined>();
  const requests: MockPlatformRequest[] = [];
  const uploads: MockPlatform['uploads'] = {
    decisions: [],
    disclosures: [],
    receivedByKey: { decisions: new Map(), disclosures: new Map() },
  };
  const storedItemKeys = { decisions: new Set<string>(), disclosures: new Set<string>() };
  const secretFor = (id: string) => (id === options.keyId ? secret : undefined);
  // One checker for every terminal and kind: it keeps each chain's last link across batches.
  const chains = new ChainChecker(secretFor);
  const stored = { decisions: new Map(), disclosures: new Map() } satisfies Record<
    UploadKind,
    Map<string, { hash: string; accepted: number }>
  >;
  let injected: Entry[] = [];
  let script: { steps: (PlatformFault | null)[]; path?: string } | undefined;
  const timers = new Set<NodeJS.Timeout>();

  const faults: PlatformFaults = {
    inject(fault, scope = {}) {
      const times = fault.kind === 'status' && fault.times !== undefined ? fault.times : scope.times;
      injected.push({ fault, remaining: times ?? Number.POSITIVE_INFINITY, path: scope.path });
    },
    script(steps, scope = {}) {
      script = { steps: [...steps], path: scope.path };
    },
    clear() {
      injected = [];
      script = undefined;
    },
  };

  /** The faults for this request: every latency and skew that matches, and at most one ending fault. */
  const takeFaults = (path: string): PlatformFault[] => {
    if (script && (script.path === undefined || script.path === path)) {
      const step = script.steps.shift();
      if (script.steps.length === 0) script = undefined;
      return step ? [step] : [];
    }
    const taken: PlatformFault[] = [];
    let ended = false;
    for (const entry of injected) {
      if (entry.remaining <= 0 || (entry.path !== undefined && entry.path !== path)) continue;
      const ending = ENDING_FAULTS.has(entry.fault.kind);
      if (ending && ended) continue;
      ended ||= ending;
      entry.remaining--;
      taken.push(entry.fault);
    }
    injected = injected.filter((e) => e.remaining > 0);
    return taken;
  };

  const delay = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });

  const serveDocument = (res: ServerResponse, doc: MockDocument | undefined) => {
    if (doc === undefined) return sendJson(res, 404, { error: 'not-found' });
    const bytes = typeof doc.bytes === 'string' ? Buffer.from(doc.bytes, 'utf8') : Buffer.from(doc.bytes);
    if (bytes.length === 0) {
      res.writeHead(204);
      res.end();
      return;
    }
    const headers: Record<string, string | number> = {
      'content-type': doc.contentType ?? 'application/octet-stream',
      'content-length': bytes.length,
    };
    if (doc.computedAt !== undefined) headers['x-xinyi-computed-at'] = doc.computedAt;
    res.writeHead(200, headers);
    res.end(bytes);
  };

  const itemKey = (item: unknown): string | undefined => {
    const key = (item as { key?: unknown } | null)?.key;
    return typeof key === 'string' && key !== '' ? key : undefined;
  };

  /** Follows each terminal's chain through the items it did not have yet, then checks the signed heads. */
  const checkChains = (kind: UploadKind, fresh: readonly unknown[], heads: unknown) => {
    for (const item of fresh) {
      const {
        key: _key,
        chain,
        ...rest
      } = item as { key?: unknown; chain?: ChainLink } & Record<string, unknown>;
      if (chain === undefined || chain === null || typeof chain !== 'object') continue;
      const terminalId = rest.terminalId;
      if (typeof terminalId !== 'string') continue;
      const record = kind === 'decisions' ? rest.decision : rest;
      chains.add(terminalId, kind, chain, canonicalJson(record), typeof _key === 'string' ? _key : undefined);
    }
    if (!Array.isArray(heads)) return;
    for (const head of heads as ChainHead[]) {
      if (head === null || typeof head !== 'object' || typeof head.terminalId !== 'string') continue;
      const last = chains.head(head.terminalId, kind);
      const problem = (p: ChainProblem['problem']) =>
        chains.problems.push({ terminalId: head.terminalId, kind, seq: Number(head.seq), problem: p });
      if (last === undefined || last.seq !== head.seq || last.hash !== head.hash) problem('head-mismatch');
      if (
        typeof head.mac === 'string' &&
        !verifyChainHeadMac(head.mac, secretFor, head.terminalId, kind, Number(head.seq), String(head.hash))
      ) {
        problem('bad-signature');
      }
    }
  };

  const handleUpload = (
    kind: UploadKind,
    record: MockPlatformRequest,
    raw: Buffer,
    body: unknown,
    res: ServerResponse,
    conflictOnDuplicate: boolean,
  ) => {
    const key = record.idempotencyKey;
    if (key === undefined || key === '') return sendJson(res, 400, { error: 'idempotency-key-required' });
    const items = (body as { items?: unknown } | undefined)?.items;
    if (!Array.isArray(items)) return sendJson(res, 400, { error: 'items-required' });
    const received = uploads.receivedByKey[kind];
    for (const item of items) {
      const k = itemKey(item);
      if (k !== undefined) received.set(k, (received.get(k) ?? 0) + 1);
    }
    const hash = createHash('sha256').update(raw).digest('hex');
    const seen = stored[kind].get(key);
    if (seen !== undefined) {
      if (seen.hash !== hash) return sendJson(res, 409, { error: 'idempotency-key-reused' });
      if (conflictOnDuplicate) return sendJson(res, 409, { error: 'already-stored' });
      return sendJson(res, 200, { accepted: seen.accepted, duplicate: true });
    }
    stored[kind].set(key, { hash, accepted: items.length });
    // Per-item idempotency: an item whose key is already stored (sent before in another batch) is not stored again.
    const fresh = items.filter((item) => {
      const k = itemKey(item);
      if (k === undefined) return true;
      if (storedItemKeys[kind].has(k)) return false;
      storedItemKeys[kind].add(k);
      return true;
    });
    if (fresh.length > 0) uploads[kind].push(fresh);
    checkChains(kind, fresh, (body as { chainHeads?: unknown }).chainHeads);
    return sendJson(res, 200, { accepted: items.length, duplicate: false });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const raw = await readBody(req);
    const target = req.url ?? '/';
    const queryAt = target.indexOf('?');
    const path = queryAt === -1 ? target : target.slice(0, queryAt);
    const query = queryAt === -1 ? '' : target.slice(queryAt + 1);
    const taken = takeFaults(path);
    const skewMs = taken.reduce((sum, f) => sum + (f.kind === 'clock-skew' ? f.ms : 0), 0);
    const latencyMs = taken.reduce((sum, f) => sum + (f.kind === 'latency' ? f.ms : 0), 0);
    const ending = taken.find((f) => ENDING_FAULTS.has(f.kind));
    const body = parseJsonBody(raw);
    const headerValue = (name: string) => {
      const value = req.headers[name];
      return Array.isArray(value) ? value[0] : value;
    };
    const record: MockPlatformRequest = {
      method: req.method ?? 'GET',
      path,
      query,
      atMs: clock.now() + skewMs,
    };
    const keyId = headerValue('x-xinyi-key-id');
    if (keyId !== undefined) record.keyId = keyId;
    const idempotencyKey = headerValue('idempotency-key');
    if (idempotencyKey !== undefined) record.idempotencyKey = idempotencyKey;
    if (body !== undefined) record.body = body;
    const shaping =
      ending ??
      taken.find(
        (f) =>
          f.kind === 'latency' ||
          f.kind === 'clock-skew' ||
          f.kind === 'bad-snapshot-signature' ||
          f.kind === 'conflict-on-duplicate',
      );
    if (shaping !== undefined) record.fault = shaping.kind;
    requests.push(record);
    res.on('finish', () => {
      record.status = res.statusCode;
    });

    if (latencyMs > 0) await delay(latencyMs);
    if (ending?.kind === 'timeout') return;
    if (ending?.kind === 'drop') {
      req.socket.destroy();
      return;
    }
    if (ending?.kind === 'status') return sendJson(res, ending.status, { error: 'injected' });
    if (ending?.kind === '429') {
      return sendJson(
        res,
        429,
        { error: 'rate-limited' },
        { 'retry-after': String(ending.retryAfterSeconds) },
      );
    }

    const nowMs = clock.now() + skewMs;
    const verified = verifyRequestSignature({
      method: record.method,
      path: target,
      body: raw,
      headers: req.headers,
      secretFor,
      nowMs,
      windowMs,
      nonces,
    });
    if (!verified.ok) return sendJson(res, 401, { error: verified.problem, serverTime: nowMs });

    if (ending?.kind === 'malformed-json') {
      const cut = Buffer.from('{"found": true, "standing": {"tier": "A', 'utf8');
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      const lookup = body as { pseudonym?: unknown; scene?: unknown; terminalId?: unknown } | undefined;
      // A platform bug in the JSON, not in the signing: the cut body is signed like any answer.
      if (path === '/v1/standings/lookup' && lookup) {
        try {
          headers[ANSWER_SIGNATURE_HEADER] = signLookupAnswer(
            {
              pseudonym: String(lookup.pseudonym),
              scene: String(lookup.scene),
              terminalId: String(lookup.terminalId),
              nonce: headerValue('x-xinyi-nonce') ?? '',
            },
            cut,
            { privateKey: issuer.platformResponsePrivateKey, nowMs },
          );
        } catch {
          // An unsignable question is refused as unsigned: the fault shows either way.
        }
      }
      res.writeHead(200, headers);
      res.end(cut);
      return;
    }
    if (ending?.kind === 'lost-response') {
      // The route runs in full; only its answer is swallowed (headers are not flushed before `end`).
      res.writeHead = (() => res) as unknown as ServerResponse['writeHead'];
      res.end = (() => {
        req.socket.destroy();
        return res;
      }) as unknown as ServerResponse['end'];
    }
    const conflictOnDuplicate = taken.some((f) => f.kind === 'conflict-on-duplicate');

    const route = `${record.method} ${path}`;
    switch (route) {
      case 'POST /v1/standings/lookup': {
        const lookup = body as { pseudonym?: unknown; scene?: unknown; terminalId?: unknown } | undefined;
        if (typeof lookup?.pseudonym !== 'string' || lookup.pseudonym === '') {
          return sendJson(res, 400, { error: 'pseudonym-required' });
        }
        // Purpose binding (docs/credit-domain.md §3.2.1): no scene or terminal, no answer.
        if (!isSceneId(lookup.scene) || typeof lookup.terminalId !== 'string' || lookup.terminalId === '') {
          return sendJson(res, 400, { error: 'purpose-required' });
        }
        const question = {
          pseudonym: lookup.pseudonym,
          scene: lookup.scene,
          terminalId: lookup.terminalId,
          nonce: headerValue('x-xinyi-nonce') ?? '',
        };
        try {
          // A control character would make the signed answer's lines ambiguous.
          assertQuestionFields(question);
        } catch {
          return sendJson(res, 400, { error: 'purpose-required' });
        }
        const computedAt = options.computedAt ?? new Date(nowMs).toISOString();
        const standing = standings.get(lookup.pseudonym);
        const answer = Buffer.from(
          JSON.stringify(
            standing === undefined
              ? { found: false, computedAt }
              : {
                  found: true,
                  computedAt,
                  standing: { ...standing, lists: standing.lists.map((l) => ({ ...l })) },
                },
          ),
          'utf8',
        );
        // Signed over the question it answers and the exact bytes sent (docs/platform-api.md).
        res.writeHead(200, {
          'content-type': 'application/json',
          'content-length': answer.length,
          'x-xinyi-computed-at': computedAt,
          ...(options.unsignedAnswers
            ? {}
            : {
                [ANSWER_SIGNATURE_HEADER]: signLookupAnswer(question, answer, {
                  privateKey: issuer.platformResponsePrivateKey,
                  nowMs,
                }),
              }),
        });
        res.end(answer);
        return;
      }
      case 'GET /v1/trust-list':
        return serveDocument(
          res,
          replaced.has(path)
            ? replaced.get(path)!()
            : options.trustList
              ? options.trustList()
              : { bytes: JSON.stringify(issuer.trustList), contentType: 'application/json' },
        );
      case 'GET /v1/status-list':
        return serveDocument(
          res,
          replaced.has(path)
            ? replaced.get(path)!()
            : options.statusList
              ? options.statusList()
              : { bytes: JSON.stringify(issuer.signedStatusList(nowMs)), contentType: 'application/json' },
        );
      case 'GET /v1/calendar':
        return serveDocument(res, options.calendar ? options.calendar() : published.calendar);
      case 'GET /v1/policy-pack':
        return serveDocument(res, options.policyPack ? options.policyPack() : published.policyPack);
      case 'GET /v1/snapshots/latest':
        return serveDocument(
          res,
          corruptIf(
            taken,
            options.snapshotProvider ? await options.snapshotProvider() : snapshotDocument(undefined),
          ),
        );
      case 'GET /v1/snapshots/delta': {
        const since = new URLSearchParams(query).get('since');
        if (since === null || since === '') return sendJson(res, 400, { error: 'since-required' });
        return serveDocument(
          res,
          corruptIf(
            taken,
            options.snapshotProvider ? await options.snapshotProvider(since) : snapshotDocument(since),
          ),
        );
      }
      case 'POST /v1/decisions':
        return handleUpload('decisions', record, raw, body, res, conflictOnDuplicate);
      case 'POST /v1/disclosures':
        return handleUpload('disclosures', record, raw, body, res, conflictOnDuplicate);
      default:
        return sendJson(res, 404, { error: 'not-found' });
    }
  };

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) sendJson(res, 500, { error: 'internal' });
      else res.destroy();
    });
  };
  const server: Server = options.tls
    ? createHttpsServer({ key: options.tls.key, cert: options.tls.cert }, listener)
    : createServer(listener);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    faults,
    requests,
    uploads,
    chainProblems: chains.problems,
    setStanding(pseudonym, standing) {
      sequence++;
      if (standing === null) {
        standings.delete(pseudonym);
        removedAt.set(pseudonym, sequence);
      } else {
        standings.set(pseudonym, { ...standing, lists: standing.lists.map((l) => ({ ...l })) });
        changedAt.set(pseudonym, sequence);
      }
    },
    replaceDocument(path, provider) {
      if (provider === null) replaced.delete(path);
      else replaced.set(path, provider);
    },
    issuer,
    snapshotPublicKey: snapshotKeys.publicKey,
    publishCalendar(years, publishOptions = {}) {
      versions.calendar = publishOptions.version ?? versions.calendar + 1;
      const signed = signDocument(
        {
          format: CALENDAR_DOCUMENT_FORMAT,
          version: versions.calendar,
          issuedAt: new Date(clock.now()).toISOString(),
          years: structuredClone([...years]),
        },
        issuer.calendarPrivateKey,
      );
      published.calendar = { bytes: JSON.stringify(signed), contentType: 'application/json' };
      return versions.calendar;
    },
    publishPolicyPack(pack, publishOptions = {}) {
      versions.policyPack = publishOptions.version ?? versions.policyPack + 1;
      const signed = signDocument(
        {
          format: POLICY_DOCUMENT_FORMAT,
          version: versions.policyPack,
          issuedAt: new Date(clock.now()).toISOString(),
          ...(publishOptions.effectiveFrom === undefined
            ? {}
            : { effectiveFrom: publishOptions.effectiveFrom }),
          pack: structuredClone(pack),
        },
        issuer.policyPackPrivateKey,
      );
      published.policyPack = { bytes: JSON.stringify(signed), contentType: 'application/json' };
      return versions.policyPack;
    },
    get snapshotSequence() {
      return sequence;
    },
    close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
