import { performance } from 'node:perf_hooks';
import { isXinyiError, XinyiError } from '../errors.js';
import type { GateDirection } from '../gate/gate.js';
import {
  COMMIT_SCRIPT,
  RELEASE_SCRIPT,
  RESERVE_SCRIPT,
  type RedisScript,
  SITE_SCRIPTS,
  USAGE_SCRIPT,
} from './redis-scripts.js';
import {
  COUNTER_GRACE_MS,
  countedCaps,
  dayEnd,
  periodEnd,
  periodKey,
  scopeKey,
  validateKeyPart,
  validateQuery,
  validateTime,
  validateTtl,
} from './site-request.js';
import type {
  SiteCap,
  SiteCommitRequest,
  SiteCommitResult,
  SiteReserveRequest,
  SiteReserveResult,
  SiteState,
  SiteStoreInfo,
  SiteSubjectQuery,
  SiteUsage,
} from './site-state.js';

/** A Redis node's address. */
export interface RedisNodeAddress {
  host: string;
  port: number;
}

export interface RedisSiteStateOptions {
  /**
   * One server: `redis://[[username]:password@]host[:port][/db]`, or `rediss://…` for TLS. Exactly one
   * of `url`, `sentinel` and `cluster`.
   */
  url?: string;
  /**
   * Redis Sentinel: the primary of `name` is asked of the sentinels, and found again after a failover
   * (the client also listens for `+switch-master`).
   */
  sentinel?: {
    sentinels: readonly RedisNodeAddress[];
    /** The primary's name in the sentinels' configuration (`sentinel monitor NAME …`). */
    name: string;
    sentinelPassword?: string;
    db?: number;
  };
  /** Redis Cluster: seed nodes; every key of one holder carries the holder's hash tag, so one call stays in one slot. */
  cluster?: { nodes: readonly RedisNodeAddress[] };
  /** ACL user and password of the data nodes (they override the URL's). */
  username?: string;
  password?: string;
  /** TLS to the data nodes (Sentinel, Cluster; a `rediss://` URL implies it). @default false */
  tls?: boolean;
  /**
   * Every key of the site starts with this: give each site its own (`xinyi:yunmenshan:`), so sites can
   * share a server. Letters, digits and `_ . : -`, at most 64.
   */
  keyPrefix: string;
  /** Where `city`-scoped caps are counted; the same for every site of the city. @default 'xinyi:city:' */
  cityKeyPrefix?: string;
  /** How long `openRedisSiteState` waits for the first connection before it returns anyway (reconnecting in the background). @default 2000 */
  connectTimeoutMs?: number;
  /** A command not answered within this is failed by the client itself. @default 1000 */
  commandTimeoutMs?: number;
  /** For tests. @default 'ioredis' */
  moduleSpecifier?: string;
}

/** The part of an ioredis client (or cluster) this store uses. */
interface RedisClient {
  readonly status: string;
  call(command: string, ...args: (string | number)[]): Promise<unknown>;
  once(event: string, listener: (...args: unknown[]) => void): unknown;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  off(event: string, listener: (...args: unknown[]) => void): unknown;
  quit(): Promise<unknown>;
  disconnect(): void;
  /** A Cluster's nodes (`'master'`: the primaries). */
  nodes?(role: string): RedisClient[];
}

interface RedisModule {
  default?: unknown;
  Redis?: unknown;
  Cluster?: unknown;
}

type ClientConstructor = new (...args: unknown[]) => RedisClient;

const PREFIX = /^[A-Za-z0-9_.:-]{1,64}$/;

function optionError(message: string): XinyiError {
  return new XinyiError('INVALID_OPTIONS', `openRedisSiteState: ${message}`);
}

function validateAddresses(value: unknown, field: string): RedisNodeAddress[] {
  if (!Array.isArray(value) || value.length === 0) throw optionError(`${field} must list at least one node`);
  return value.map((node, i) => {
    const n = node as Partial<RedisNodeAddress> | null;
    if (
      n === null ||
      typeof n !== 'object' ||
      typeof n.host !== 'string' ||
      n.host === '' ||
      !Number.isInteger(n.port) ||
      (n.port as number) < 1 ||
      (n.port as number) > 65_535
    ) {
      throw optionError(`${field}[${i}] must be { host, port }`);
    }
    return { host: n.host, port: n.port as number };
  });
}

/** Loads ioredis on first use, so that `import 'xinyi-terminal'` works without it. */
async function loadIoredis(
  specifier: string,
): Promise<{ Redis: ClientConstructor; Cluster: ClientConstructor }> {
  let mod: RedisModule;
  try {
    mod = (await import(specifier)) as RedisModule;
  } catch (cause) {
    throw new XinyiError(
      'NATIVE_MODULE_UNAVAILABLE',
      `optional module ${specifier} could not be loaded: install it with \`npm install ioredis\` to keep the site state in Redis`,
      { cause, details: { module: specifier } },
    );
  }
  const Redis = (mod.Redis ?? mod.default) as (ClientConstructor & { Cluster?: unknown }) | undefined;
  const Cluster = (mod.Cluster ?? Redis?.Cluster) as ClientConstructor | undefined;
  if (typeof Redis !== 'function' || typeof Cluster !== 'function') {
    throw new XinyiError('NATIVE_MODULE_UNAVAILABLE', `${specifier} exports no Redis and Cluster classes`, {
      details: { module: specifier },
    });
  }
  return { Redis, Cluster };
}

function unavailable(cause: unknown, action: string): XinyiError {
  if (isXinyiError(cause)) return cause;
  const message = cause instanceof Error ? cause.message : String(cause);
  const reason = /timed? ?out/i.test(message)
    ? 'timeout'
    : /NOAUTH|WRONGPASS|NOPERM/.test(message)
      ? 'auth'
      : /READONLY/.test(message)
        ? 'replica'
        : 'connection';
  return new XinyiError('SITE_STATE_UNAVAILABLE', `the Redis site state could not ${action} (${reason})`, {
    cause,
    details: { reason },
  });
}

/**
 * The site state of lanes on several hosts, in Redis (ioredis: one server, Sentinel or Cluster).
 * Check-and-reserve, commit and release are Lua scripts (atomic on the server); presentations are
 * `SET NX PX`; presence is a key that expires at the end of the day. Every key carries the site's
 * `keyPrefix` (or `cityKeyPrefix`) and an expiry, so Redis never grows without bound. Times are the
 * lanes' (epoch ms in each request): keep the lanes' clocks in step (NTP), well within a reservation's TTL.
 *
 * Loads ioredis lazily (`NATIVE_MODULE_UNAVAILABLE`), waits up to `connectTimeoutMs` for the first
 * connection and then returns even if there is none: the client keeps reconnecting, calls meanwhile
 * reject with `SITE_STATE_UNAVAILABLE`, and the lanes decide from local state. Throws `INVALID_OPTIONS`
 * for bad options.
 */
export async function openRedisSiteState(options: RedisSiteStateOptions): Promise<SiteState> {
  if (options === null || typeof options !== 'object') throw optionError('options must be an object');
  const modes = [options.url, options.sentinel, options.cluster].filter((m) => m !== undefined);
  if (modes.length !== 1) throw optionError('give exactly one of url, sentinel and cluster');
  if (typeof options.keyPrefix !== 'string' || !PREFIX.test(options.keyPrefix)) {
    throw optionError('keyPrefix must be 1–64 letters, digits or _ . : -');
  }
  const cityKeyPrefix = options.cityKeyPrefix ?? 'xinyi:city:';
  if (!PREFIX.test(cityKeyPrefix)) throw optionError('cityKeyPrefix must be 1–64 letters, digits or _ . : -');
  const connectTimeoutMs = options.connectTimeoutMs ?? 2_000;
  const commandTimeoutMs = options.commandTimeoutMs ?? 1_000;
  for (const [name, value] of [
    ['connectTimeoutMs', connectTimeoutMs],
    ['commandTimeoutMs', commandTimeoutMs],
  ] as const) {
    if (!Number.isInteger(value) || value <= 0 || value > 60_000) {
      throw optionError(`${name} must be a whole number of ms in (0, 60000]`);
    }
  }
  if (options.url !== undefined) {
    let parsed: URL;
    try {
      parsed = new URL(options.url);
    } catch {
      throw optionError('url must be a redis:// or rediss:// URL');
    }
    if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
      throw optionError('url must be a redis:// or rediss:// URL');
    }
  }
  const sentinels = options.sentinel
    ? validateAddresses(options.sentinel.sentinels, 'sentinel.sentinels')
    : undefined;
  if (options.sentinel && (typeof options.sentinel.name !== 'string' || options.sentinel.name === '')) {
    throw optionError('sentinel.name must name the primary');
  }
  const clusterNodes = options.cluster
    ? validateAddresses(options.cluster.nodes, 'cluster.nodes')
    : undefined;

  const { Redis, Cluster } = await loadIoredis(options.moduleSpecifier ?? 'ioredis');
  // Fail fast instead of queueing while disconnected: the lane has a budget, and a command sent later
  // than its decision would be worse than none. Retry strategies are ioredis's defaults (backoff to 2 s).
  const common = {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: commandTimeoutMs,
    connectTimeout: connectTimeoutMs,
    ...(options.username ? { username: options.username } : {}),
    ...(options.password ? { password: options.password } : {}),
    ...(options.tls ? { tls: {} } : {}),
  };
  let client: RedisClient;
  if (options.url !== undefined) {
    client = new Redis(options.url, common);
  } else if (options.sentinel) {
    client = new Redis({
      ...common,
      sentinels,
      name: options.sentinel.name,
      role: 'master',
      failoverDetector: true,
      ...(options.sentinel.sentinelPassword ? { sentinelPassword: options.sentinel.sentinelPassword } : {}),
      ...(options.sentinel.db === undefined ? {} : { db: options.sentinel.db }),
    });
  } else {
    client = new Cluster(clusterNodes, {
      enableOfflineQueue: false,
      redisOptions: common,
    });
  }
  // Without a listener an 'error' event would crash the process; failures reach callers as rejections.
  client.on('error', () => {});
  // The scripts are loaded on every connection (a restarted server, a new primary after a failover
  // has none), before any decision is sent on it: the first decision then pays no NOSCRIPT round trip.
  client.on('ready', () => loadScripts(client, options.cluster !== undefined));
  await new Promise<void>((resolve) => {
    if (client.status === 'ready') return resolve();
    const done = () => {
      clearTimeout(timer);
      client.off('ready', done);
      resolve();
    };
    const timer = setTimeout(done, connectTimeoutMs);
    client.on('ready', done);
  });
  return new RedisSiteState(client, options.keyPrefix, cityKeyPrefix, options.cluster !== undefined);
}

function loadScripts(client: RedisClient, cluster: boolean): void {
  const targets = cluster ? (client.nodes?.('master') ?? []) : [client];
  for (const target of targets) {
    for (const script of SITE_SCRIPTS) {
      // A script that did not load is sent by its source at its first use (NOSCRIPT).
      target.call('SCRIPT', 'LOAD', script.source).catch(() => {});
    }
  }
}

class RedisSiteState implements SiteState {
  readonly kind = 'redis';
  readonly #client: RedisClient;
  readonly #prefix: string;
  readonly #cityPrefix: string;
  readonly #cluster: boolean;
  #closed = false;

  constructor(client: RedisClient, prefix: string, cityPrefix: string, cluster: boolean) {
    this.#client = client;
    this.#prefix = prefix;
    this.#cityPrefix = cityPrefix;
    this.#cluster = cluster;
  }

  /** `{pseudonym}` is the hash tag: a holder's keys hash to one Cluster slot, whatever the prefix. */
  #subjectKey(pseudonym: string, rest: string, scope: 'city' | 'site' = 'site'): string {
    return `${scope === 'city' ? this.#cityPrefix : this.#prefix}{${pseudonym}}:${rest}`;
  }

  #capKeys(query: SiteSubjectQuery, caps: readonly SiteCap[] = query.caps): string[] {
    const keys: string[] = [];
    for (const cap of caps) {
      const scope = cap.scope === 'city' ? 'city' : 'site';
      const name = `${scopeKey(cap.scope, query.laneId)}:${cap.ruleId}:${periodKey(cap.period, query.now)}`;
      keys.push(this.#subjectKey(query.pseudonym, `u:${name}`, scope));
      keys.push(this.#subjectKey(query.pseudonym, `r:${name}`, scope));
    }
    return keys;
  }

  async #run<T>(action: string, fn: () => Promise<T>): Promise<T> {
    if (this.#closed) throw new XinyiError('CLOSED', 'the Redis site state is closed');
    try {
      return await fn();
    } catch (cause) {
      throw unavailable(cause, action);
    }
  }

  async #eval(script: RedisScript, keys: string[], args: (string | number)[]): Promise<number[]> {
    try {
      return (await this.#client.call('EVALSHA', script.sha1, keys.length, ...keys, ...args)) as number[];
    } catch (error) {
      // A server that has not seen the script yet (a fresh primary after a failover) is sent its source.
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return (await this.#client.call('EVAL', script.source, keys.length, ...keys, ...args)) as number[];
    }
  }

  #usageFrom(caps: readonly SiteCap[], values: number[], offset: number, stride: number): SiteUsage {
    const usage: SiteUsage = {};
    caps.forEach((cap, i) => {
      usage[cap.ruleId] = {
        used: Number(values[offset + i * stride]),
        pending: Math.max(0, Number(values[offset + i * stride + 1])),
      };
    });
    return usage;
  }

  async usage(query: SiteSubjectQuery): Promise<SiteUsage> {
    validateQuery(query);
    if (query.caps.length === 0) return {};
    return this.#run('read usage', async () => {
      const values = await this.#eval(USAGE_SCRIPT, this.#capKeys(query), [query.now, '']);
      return this.#usageFrom(query.caps, values, 0, 2);
    });
  }

  async reserve(request: SiteReserveRequest): Promise<SiteReserveResult> {
    validateQuery(request);
    validateKeyPart(request.reservationId, 'reservationId');
    validateTtl(request.ttlMs, 'ttlMs');
    const counted = countedCaps(request);
    if (counted.length === 0) return { ok: true, usage: {} };
    return this.#run('reserve', async () => {
      const values = await this.#eval(RESERVE_SCRIPT, this.#capKeys(request, counted), [
        request.now,
        request.reservationId,
        request.now + request.ttlMs,
        request.ttlMs,
        request.caps.length,
        ...request.caps.map((cap) => cap.limit),
      ]);
      const before = this.#usageFrom(counted, values, 1, 2);
      if (Number(values[0]) === 1) return { ok: true, usage: before };
      const full = request.caps
        .filter((cap) => before[cap.ruleId]!.used + before[cap.ruleId]!.pending >= cap.limit)
        .map((cap) => cap.ruleId);
      return { ok: false, full, usage: before };
    });
  }

  async commit(request: SiteCommitRequest): Promise<SiteCommitResult> {
    validateQuery(request);
    validateKeyPart(request.reservationId, 'reservationId');
    if (request.caps.length === 0) return { counted: [], overLimit: [], usage: {} };
    return this.#run('commit a use', async () => {
      const values = await this.#eval(COMMIT_SCRIPT, this.#capKeys(request), [
        request.now,
        request.reservationId,
        ...request.caps.map((cap) =>
          Math.max(1, periodEnd(cap.period, request.now) + COUNTER_GRACE_MS - request.now),
        ),
      ]);
      const counted: string[] = [];
      const overLimit: string[] = [];
      const usage: SiteUsage = {};
      request.caps.forEach((cap, i) => {
        const added = Number(values[3 * i]) === 1;
        const used = Number(values[3 * i + 1]);
        usage[cap.ruleId] = { used, pending: Number(values[3 * i + 2]) };
        if (added) counted.push(cap.ruleId);
        if (added && used > cap.limit) overLimit.push(cap.ruleId);
      });
      return { counted, overLimit, usage };
    });
  }

  async release(request: SiteSubjectQuery & { reservationId: string }): Promise<void> {
    validateQuery(request);
    validateKeyPart(request.reservationId, 'reservationId');
    if (request.caps.length === 0) return;
    await this.#run('release a reservation', async () => {
      const reservations = this.#capKeys(request).filter((_key, i) => i % 2 === 1);
      await this.#eval(RELEASE_SCRIPT, reservations, [request.reservationId]);
    });
  }

  async markPresentation(request: {
    pseudonym: string;
    presentationId: string;
    now: number;
    ttlMs: number;
  }): Promise<boolean> {
    validateKeyPart(request.pseudonym, 'pseudonym');
    validateKeyPart(request.presentationId, 'presentationId');
    validateTime(request.now, 'now');
    validateTtl(request.ttlMs, 'ttlMs');
    return this.#run('record a presentation', async () => {
      const key = this.#subjectKey(request.pseudonym, `seen:${request.presentationId}`);
      const reply = await this.#client.call('SET', key, '1', 'PX', request.ttlMs, 'NX');
      return reply !== null;
    });
  }

  async presence(pseudonym: string, now: number): Promise<GateDirection | undefined> {
    validateKeyPart(pseudonym, 'pseudonym');
    validateTime(now, 'now');
    return this.#run('read a presence', async () => {
      const reply = await this.#client.call('GET', this.#subjectKey(pseudonym, 'in'));
      const text = reply === null ? undefined : String(reply);
      // The key holds the day it was written on, so a lane whose clock says it is another day ignores it.
      const [direction, day] = text?.split('@') ?? [];
      if ((direction !== 'entry' && direction !== 'exit') || day !== String(dayEnd(now))) return undefined;
      return direction;
    });
  }

  async recordPassage(pseudonym: string, direction: GateDirection, now: number): Promise<void> {
    validateKeyPart(pseudonym, 'pseudonym');
    validateTime(now, 'now');
    if (direction !== 'entry' && direction !== 'exit') {
      throw new XinyiError('INVALID_ARGUMENT', "site state: direction must be 'entry' or 'exit'", {
        details: { field: 'direction' },
      });
    }
    const end = dayEnd(now);
    await this.#run('record a passage', () =>
      this.#client.call(
        'SET',
        this.#subjectKey(pseudonym, 'in'),
        `${direction}@${end}`,
        'PX',
        Math.max(1, end - now),
      ),
    );
  }

  async ping(): Promise<SiteStoreInfo> {
    return this.#run('answer a ping', async () => {
      const started = performance.now();
      await this.#client.call('PING');
      const latencyMs = performance.now() - started;
      const info: SiteStoreInfo = { kind: 'redis', latencyMs };
      const server = String(await this.#client.call('INFO', 'server'));
      const version = /redis_version:([^\r\n]+)/.exec(server)?.[1];
      if (version) info.version = version;
      const persistence = String(await this.#client.call('INFO', 'persistence'));
      info.persistence = /aof_enabled:1/.test(persistence) ? 'aof' : 'no-aof';
      if (!this.#cluster) {
        const role = (await this.#client.call('ROLE')) as unknown[];
        if (Array.isArray(role) && typeof role[0] === 'string') info.role = role[0];
      } else {
        info.role = 'cluster';
      }
      return info;
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await Promise.race([this.#client.quit(), new Promise((resolve) => setTimeout(resolve, 1_000))]);
    } catch {
      // Not connected: nothing to say goodbye to.
    }
    this.#client.disconnect();
  }
}
