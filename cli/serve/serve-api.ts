import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { z } from 'zod';
import { PROMETHEUS_CONTENT_TYPE } from '../../sdk/diagnostics/metrics.js';
import type { Credential } from '../../sdk/domain/credential.js';
import type { Decision } from '../../sdk/domain/decision.js';
import { isXinyiError, XinyiError } from '../../sdk/errors.js';
import type { Logger } from '../../sdk/logger.js';
import type { DecisionContext } from '../../sdk/policy/evaluate.js';
import type { OverrideInput } from '../../sdk/terminal/terminal-contract.js';
import type { ServeConfig } from '../gate/config.js';
import { withIsoTimestamps } from '../gate/iso-timestamps.js';
import type { TerminalHost } from '../gate/terminal-host.js';
import {
  decisionView,
  emptyRequestSchema,
  overrideRequestSchema,
  overrideView,
  presentRequestSchema,
} from './api-views.js';
import type { EventLog } from './event-log.js';
import { createEventStreams } from './event-stream.js';
import {
  checkIdempotencyKey,
  decisionIdFor,
  type IdempotencyStore,
  requestHash,
} from './idempotency-store.js';
import { createRequestGuard, errorBody, sendError, statusOf } from './request-guard.js';

/**
 * `xinyi serve`'s HTTP API (`/v1`, docs/serve-api.yaml): present a credential or wait for the next
 * tap or scan, confirm use, staff override, a decision by id, devices, state, health, and the event
 * stream. Every POST carries an `Idempotency-Key`: a retry gets the first answer and never makes a
 * second decision, use or override, after a restart too.
 */

export interface ServeApiOptions {
  host: TerminalHost;
  config: ServeConfig;
  token: string;
  events: EventLog;
  idempotency: IdempotencyStore;
  /** Makes the terminal's next decision id `id` (the terminal takes it synchronously in `present()`). */
  reserveDecisionId(id: string): void;
  logger: Logger;
}

export interface ServeApi {
  handle(req: IncomingMessage, res: ServerResponse): void;
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Presents a credential a device read: answers the oldest waiting `present` call with its decision. */
  tapped(device: string, credential: Credential): void;
  /**
   * Stops: new calls get `CLOSED`, waiting `present` calls are answered `CLOSED` (nothing was decided),
   * decisions in progress are committed and answered, then the event streams close.
   */
  stop(timeoutMs: number): Promise<void>;
}

interface Answer {
  status: number;
  body: string;
}

interface Waiter {
  decisionId: string;
  resolve(tapped: { decision: Decision; device: string }): void;
  reject(error: unknown): void;
}

const JSON_HEADERS = { 'content-type': 'application/json', 'cache-control': 'no-store' };

function notFound(what: string): XinyiError {
  return new XinyiError('API_NOT_FOUND', what, { details: { status: 404 } });
}

function parseBody<T>(schema: z.ZodType<T>, body: string): T {
  let value: unknown;
  try {
    value = body === '' ? {} : JSON.parse(body);
  } catch {
    throw new XinyiError('INVALID_ARGUMENT', 'the body is not JSON', { details: { field: '(body)' } });
  }
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const field = issue.path.length === 0 ? '(body)' : issue.path.map(String).join('.');
    // The message names the field only: a refused value may be an ID number.
    throw new XinyiError('INVALID_ARGUMENT', `${field}: ${issue.message}`, { details: { field } });
  }
  return result.data;
}

export function createServeApi(options: ServeApiOptions): ServeApi {
  const { host, config, events, idempotency, logger } = options;
  const { terminal, journal, clock } = host;
  const guard = createRequestGuard({
    token: options.token,
    listenHost: config.http.host,
    ...(config.http.allowedHosts ? { allowedHosts: config.http.allowedHosts } : {}),
    allowedOrigins: config.api.allowedOrigins,
  });
  const streams = createEventStreams({ log: events, maxClients: config.api.maxEventClients });
  const waiters: Waiter[] = [];
  /** Where each decision in progress came from: a device's name, or `api`. */
  const origins = new Map<string, string>();
  const inProgress = new Set<Promise<unknown>>();
  /** Requests being answered, by idempotency key: a concurrent retry waits for the same answer. */
  const answering = new Map<string, { hash: string; answer: Promise<{ answer: Answer; keep: boolean }> }>();
  let stopping = false;

  const track = <T>(promise: Promise<T>): Promise<T> => {
    inProgress.add(promise);
    const done = () => inProgress.delete(promise);
    promise.then(done, done);
    return promise;
  };

  /** Decides with the given id, so the idempotency key reserved for it finds it after a crash. */
  const present = (decisionId: string, credential: Credential, origin: string, context?: DecisionContext) => {
    origins.set(decisionId, origin);
    options.reserveDecisionId(decisionId);
    const deciding = terminal.present(credential, context);
    return track(deciding.finally(() => origins.delete(decisionId)));
  };

  terminal.on('decision', (decision) => {
    events.append('decision', decisionView(decision, origins.get(decision.id) ?? 'sdk'));
  });
  terminal.on('override', (record) => events.append('override', overrideView(record)));
  terminal.on('device', (e) =>
    events.append('device', { device: e.device, state: e.state, ...(e.reason ? { reason: e.reason } : {}) }),
  );
  terminal.on('alarm', (a) =>
    events.append('alarm', { kind: a.kind, active: a.active, ...(a.code ? { code: a.code } : {}) }),
  );

  const readBody = (req: IncomingMessage): Promise<string> =>
    new Promise((resolve, reject) => {
      const limit = config.api.maxBodyBytes;
      const tooLarge = () =>
        new XinyiError('API_BODY_TOO_LARGE', `the body is larger than api.maxBodyBytes (${limit})`, {
          details: { limitBytes: limit },
        });
      const declared = Number(req.headers['content-length'] ?? 0);
      if (declared > limit) return reject(tooLarge());
      const type = req.headers['content-type'] ?? '';
      if (declared > 0 && !/^application\/json\b/i.test(type)) {
        return reject(
          new XinyiError('INVALID_ARGUMENT', 'Content-Type must be application/json', {
            details: { field: 'content-type' },
          }),
        );
      }
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > limit) {
          req.destroy();
          reject(tooLarge());
          return;
        }
        chunks.push(chunk);
      });
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      req.on('error', reject);
    });

  const json = (status: number, value: unknown): Answer => ({ status, body: JSON.stringify(value) });

  const decisionRecord = (id: string) => {
    const record = journal.getDecision(id);
    if (record === undefined) throw notFound(`no decision with id ${id} in this terminal's journal`);
    return record;
  };

  const waitForTap = (
    decisionId: string,
    timeoutMs: number,
  ): Promise<{ decision: Decision; device: string }> =>
    new Promise((resolve, reject) => {
      const waiter: Waiter = {
        decisionId,
        resolve: (d) => {
          clearTimeout(timer);
          resolve(d);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const timer = setTimeout(() => {
        const at = waiters.indexOf(waiter);
        if (at !== -1) waiters.splice(at, 1);
        reject(
          new XinyiError('WAIT_TIMEOUT', `no card tapped and no code scanned within ${timeoutMs} ms`, {
            details: { timeoutMs },
          }),
        );
      }, timeoutMs);
      waiters.push(waiter);
    });

  /** The POST operations; `decisionId` is the id reserved for the key (present only). */
  const operations = {
    async present(body: string, decisionId: string): Promise<Answer> {
      const request = parseBody(presentRequestSchema, body);
      if (request.wait && request.wait.timeoutMs > config.api.maxWaitMs) {
        throw new XinyiError(
          'INVALID_ARGUMENT',
          `wait.timeoutMs: at most api.maxWaitMs (${config.api.maxWaitMs})`,
          {
            details: { field: 'wait.timeoutMs' },
          },
        );
      }
      const context = request.context as DecisionContext | undefined;
      if (request.credential) {
        const decision = await present(decisionId, request.credential as Credential, 'api', context);
        return json(200, decisionView(decision, 'api'));
      }
      const tapped = await track(waitForTap(decisionId, request.wait!.timeoutMs));
      return json(200, decisionView(tapped.decision, tapped.device));
    },
    confirmUse(body: string, id: string): Answer {
      parseBody(emptyRequestSchema, body);
      decisionRecord(id);
      const usesCounted = terminal.confirmUse(id);
      events.append('use-confirmed', { decisionId: id, usesCounted });
      return json(200, { decisionId: id, usesCounted });
    },
    override(body: string, id: string): Answer {
      const request = parseBody(overrideRequestSchema, body);
      decisionRecord(id);
      const record = terminal.recordOverride(id, request as unknown as OverrideInput);
      return json(200, overrideView(record));
    },
  };

  /**
   * Runs a POST once per idempotency key and sends its answer; a retry (or a concurrent duplicate) gets
   * the same answer. A `present`'s decision id comes from the key and the request, so a retry whose
   * stored answer was lost (a crash, a power loss) finds the decision in the journal. A `durable`
   * answer is on disk before it is sent; any other is stored just after it is sent, in the same turn
   * of the event loop (no other request runs in between), so the caller does not wait for the write.
   */
  const idempotent = async (
    req: IncomingMessage,
    path: string,
    durable: boolean,
    run: (body: string, decisionId: string) => Promise<Answer> | Answer,
    send: (answer: Answer, replayed: boolean) => void,
  ): Promise<void> => {
    const key = checkIdempotencyKey(req.headers['idempotency-key']);
    const body = await readBody(req);
    const hash = requestHash('POST', path, body);
    const reused = () =>
      new XinyiError('IDEMPOTENCY_KEY_INVALID', 'this Idempotency-Key was used for another request', {
        details: { problem: 'reused', header: 'idempotency-key' },
      });
    const running = answering.get(key);
    if (running) {
      if (running.hash !== hash) throw reused();
      send((await running.answer).answer, true);
      return;
    }
    const stored = idempotency.get(key, clock.now());
    if (stored && stored.requestHash !== hash) throw reused();
    if (stored) {
      send({ status: stored.status, body: stored.body }, true);
      return;
    }
    const decisionId = decisionIdFor(terminal.terminalId, key, hash);
    const sendAndKeep = (answer: Answer, replayed: boolean, keep: boolean) => {
      const store = () => idempotency.put(key, { requestHash: hash, ...answer }, clock.now(), durable);
      if (keep && durable) store();
      send(answer, replayed);
      if (!keep || durable) return;
      try {
        store();
      } catch (error) {
        // Answered already; a retry then finds a present's decision in the journal.
        logger.warn({ code: toXinyiError(error).code }, 'idempotency key not stored');
      }
    };
    const committed = path === '/v1/present' ? journal.getDecision(decisionId) : undefined;
    if (committed) {
      sendAndKeep(json(200, decisionView(committed.decision)), true, true);
      return;
    }
    const answer = (async (): Promise<{ answer: Answer; keep: boolean }> => {
      try {
        return { answer: await run(body, decisionId), keep: true };
      } catch (error) {
        const e = toXinyiError(error);
        const status = statusOf(e);
        // Nothing was done (no decision, use or override) after 408 or 5xx: the key may be tried again.
        return { answer: { status, body: errorBody(e) }, keep: status !== 408 && status < 500 };
      }
    })();
    answering.set(key, { hash, answer });
    let outcome: { answer: Answer; keep: boolean };
    try {
      outcome = await answer;
    } finally {
      answering.delete(key);
    }
    sendAndKeep(outcome.answer, false, outcome.keep);
  };

  const route = async (req: IncomingMessage, res: ServerResponse, cors: Record<string, string>) => {
    const url = new URL(req.url ?? '/', 'http://service');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    const send = (answer: Answer, extra: Record<string, string> = {}) =>
      res.writeHead(answer.status, { ...JSON_HEADERS, ...cors, ...extra }).end(answer.body);
    const sendReplayed = (answer: Answer, replayed: boolean) =>
      send(answer, replayed ? { 'idempotent-replayed': 'true' } : {});
    const decisionPath = /^\/v1\/decisions\/([A-Za-z0-9-]{1,64})(\/confirm-use|\/override)?$/.exec(path);
    const allow = (methods: string) => {
      if (method === methods) return true;
      throw new XinyiError('API_NOT_FOUND', `${method} ${path}: use ${methods}`, {
        details: { status: 405, allow: methods },
      });
    };
    if (method === 'POST' && stopping) throw new XinyiError('CLOSED', 'the service is stopping');

    if (path === '/v1/health' && allow('GET')) {
      // Instants as ISO 8601 UTC, as the gate daemon's /health gives them.
      send(json(200, withIsoTimestamps(host.health())));
    } else if (path === '/v1/devices' && allow('GET')) {
      const known = terminal.diagnostics().devices;
      const problems = host.health().deviceProblems;
      const devices = [...host.devices].map(([name, state]) => ({
        name,
        state: known[name]?.state ?? state,
        ...(known[name]?.reason ? { reason: known[name].reason } : {}),
        ...(known[name]?.since ? { since: known[name].since } : {}),
        // Why it does not open (path, the system's words, whether the service still tries).
        ...(problems[name] ? { problem: problems[name] } : {}),
      }));
      send(json(200, { devices }));
    } else if (path === '/v1/state' && allow('GET')) {
      const health = host.health();
      const diagnostics = terminal.diagnostics();
      send(
        json(200, {
          terminalId: terminal.terminalId,
          scene: terminal.scene,
          status: health.status,
          policy: diagnostics.policy,
          calendarVersion: diagnostics.calendarVersion,
          decisions: diagnostics.decisions,
          waiting: waiters.length,
          events: { epoch: events.epoch, lastSeq: events.lastSeq, oldestSeq: events.oldestSeq },
          alarms: health.alarms,
        }),
      );
    } else if (path === '/v1/metrics' && allow('GET')) {
      res.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE, ...cors }).end(host.renderMetrics());
    } else if (path === '/v1/present' && allow('POST')) {
      await idempotent(req, path, false, (body, id) => operations.present(body, id), sendReplayed);
    } else if (decisionPath && decisionPath[2] === undefined && allow('GET')) {
      const record = decisionRecord(decisionPath[1]!);
      send(json(200, decisionView(record.decision)));
    } else if (decisionPath && allow('POST')) {
      const id = decisionPath[1]!;
      // An override is kept on disk before it is answered: nothing else could tell a retry it was made.
      const override = decisionPath[2] === '/override';
      const run = override ? operations.override : operations.confirmUse;
      await idempotent(req, path, override, (body) => run(body, id), sendReplayed);
    } else if (path === '/v1/events' && allow('GET')) {
      streams.serveSse(req, res, cors);
    } else {
      throw notFound(`${method} ${path}: no such endpoint (the API is under /v1, docs/serve-api.yaml)`);
    }
  };

  return {
    handle(req, res) {
      let cors: Record<string, string> = {};
      try {
        const origin = guard.checkSource(req);
        cors = guard.corsHeaders(origin);
        if (req.method === 'OPTIONS') {
          // A browser's preflight carries no token; the call that follows must.
          res.writeHead(origin === undefined ? 404 : 204, cors).end();
          return;
        }
        guard.checkToken(req);
      } catch (error) {
        req.resume();
        sendError(res, toXinyiError(error), cors);
        return;
      }
      route(req, res, cors).catch((error: unknown) => {
        const e = toXinyiError(error);
        if (statusOf(e) >= 500 && e.code !== 'CLOSED') {
          logger.error({ code: e.code, err: e.message, cause: String(e.cause ?? '') }, 'API call failed');
        }
        const allow = e.details.allow;
        sendError(res, e, { ...cors, ...(typeof allow === 'string' ? { allow } : {}) });
      });
    },
    upgrade(req, socket, head) {
      const refuse = (e: XinyiError) => {
        socket.end(
          `HTTP/1.1 ${statusOf(e)} Refused\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n${errorBody(e)}`,
        );
      };
      socket.on('error', () => socket.destroy());
      try {
        guard.checkSource(req);
        if (String(req.headers.upgrade).toLowerCase() !== 'websocket') {
          // java.net.http asks for h2c on http:// unless told HTTP_1_1; the service speaks HTTP/1.1.
          throw new XinyiError(
            'INVALID_ARGUMENT',
            `Upgrade: ${String(req.headers.upgrade).slice(0, 16)} is not served; send HTTP/1.1 without Upgrade (java.net.http: HttpClient.Version.HTTP_1_1)`,
            { details: { header: 'upgrade' } },
          );
        }
        guard.checkToken(req);
        if (new URL(req.url ?? '/', 'http://service').pathname !== '/v1/events/ws') {
          throw notFound('WebSocket: the event stream is /v1/events/ws');
        }
        if (stopping) throw new XinyiError('CLOSED', 'the service is stopping');
      } catch (error) {
        refuse(toXinyiError(error));
        return;
      }
      streams.upgrade(req, socket, head, undefined);
    },
    tapped(device, credential) {
      if (stopping) return;
      events.append('credential', { device, kind: credential.kind });
      const waiter = waiters.shift();
      const decisionId = waiter?.decisionId ?? randomUUID();
      present(decisionId, credential, device).then(
        (decision) => waiter?.resolve({ decision, device }),
        (error: unknown) => {
          logger.warn({ device, code: toXinyiError(error).code }, 'credential could not be decided');
          waiter?.reject(error);
        },
      );
    },
    async stop(timeoutMs) {
      stopping = true;
      for (const waiter of waiters.splice(0)) {
        waiter.reject(
          new XinyiError('CLOSED', 'the service is stopping: nothing was decided, present again'),
        );
      }
      await Promise.race([
        Promise.allSettled([...inProgress]),
        new Promise((resolve) => setTimeout(resolve, timeoutMs)),
      ]);
      streams.close();
    },
  };
}

function toXinyiError(error: unknown): XinyiError {
  if (isXinyiError(error)) {
    // The SDK's "unknown id" is the API's 404.
    if (error.code === 'INVALID_ARGUMENT' && /no committed decision has this id/.test(error.message)) {
      return notFound("no decision with this id in this terminal's journal");
    }
    return error;
  }
  return new XinyiError('API_INTERNAL_ERROR', 'the request could not be served (see the service log)', {
    cause: error,
  });
}
