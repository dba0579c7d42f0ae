import { XinyiError } from '../../sdk/errors.js';
import { openRedisSiteState } from '../../sdk/site/redis-site-state.js';
import type { SiteState } from '../../sdk/site/site-state.js';
import { openSqliteSiteState } from '../../sdk/site/sqlite-site-state.js';
import { configPath, readSecret, type TerminalHostConfig } from './config.js';

/** The lane's budget and down policy from the `site` block (undefined fields: the terminal's defaults). */
export function siteLaneOptions(config: TerminalHostConfig): {
  siteStateBudgetMs?: number;
  onSiteStateDown?: 'local' | 'deny-capped';
  siteReservationTtlMs: number;
} {
  const site = config.site;
  // An opening holds its place until the lane's passage timeout, and a margin for the close to be sent.
  const fallbackTtl = (config.lane?.passageTimeoutMs ?? 10_000) + 5_000;
  if (site === 'local') return { siteReservationTtlMs: fallbackTtl };
  return {
    ...(site.budgetMs === undefined ? {} : { siteStateBudgetMs: site.budgetMs }),
    ...(site.onSiteStateDown === undefined ? {} : { onSiteStateDown: site.onSiteStateDown }),
    siteReservationTtlMs: site.reservationTtlMs ?? fallbackTtl,
  };
}

/** A short description of the configured store for logs and reports, with no secret in it. */
export function describeSite(config: TerminalHostConfig): string {
  const site = config.site;
  if (site === 'local') return 'local';
  if ('sqlite' in site) return `sqlite ${site.sqlite}`;
  const redis = site.redis;
  if ('sentinel' in redis) {
    return `redis sentinel ${redis.sentinel.name} via ${redis.sentinel.sentinels.map((s) => `${s.host}:${s.port}`).join(',')} (${site.keyPrefix})`;
  }
  if ('cluster' in redis) {
    return `redis cluster ${redis.cluster.nodes.map((n) => `${n.host}:${n.port}`).join(',')} (${site.keyPrefix})`;
  }
  if (typeof redis.url === 'string') {
    const url = new URL(redis.url);
    return `redis ${url.host}${url.pathname === '/' ? '' : url.pathname} (${site.keyPrefix})`;
  }
  return `redis (URL from a secret) (${site.keyPrefix})`;
}

/**
 * Opens the site store the configuration names; undefined for `local` (the terminal keeps its own,
 * over its journal). Secrets are resolved here (`CONFIG_INVALID` naming the field). A store that cannot
 * be reached is no error: Redis keeps reconnecting and the lane decides from local state meanwhile.
 */
export async function openSiteStore(
  config: TerminalHostConfig,
  baseDir: string,
  options: { connectTimeoutMs?: number } = {},
): Promise<SiteState | undefined> {
  const site = config.site;
  if (site === 'local') return undefined;
  if ('sqlite' in site) {
    return openSqliteSiteState({ path: configPath(baseDir, site.sqlite) });
  }
  const redis = site.redis;
  const password = site.password ? readSecret(site.password, baseDir, 'site.password') : undefined;
  const common = {
    keyPrefix: site.keyPrefix,
    ...(site.cityKeyPrefix ? { cityKeyPrefix: site.cityKeyPrefix } : {}),
    ...(site.username ? { username: site.username } : {}),
    ...(password ? { password } : {}),
    ...(site.tls ? { tls: true } : {}),
    ...(options.connectTimeoutMs ? { connectTimeoutMs: options.connectTimeoutMs } : {}),
  };
  try {
    if ('url' in redis) {
      const url =
        typeof redis.url === 'string' ? redis.url : readSecret(redis.url, baseDir, 'site.redis.url');
      return await openRedisSiteState({ ...common, url });
    }
    if ('sentinel' in redis) {
      const s = redis.sentinel;
      return await openRedisSiteState({
        ...common,
        sentinel: {
          sentinels: s.sentinels,
          name: s.name,
          ...(s.sentinelPassword
            ? {
                sentinelPassword: readSecret(
                  s.sentinelPassword,
                  baseDir,
                  'site.redis.sentinel.sentinelPassword',
                ),
              }
            : {}),
          ...(s.db === undefined ? {} : { db: s.db }),
        },
      });
    }
    return await openRedisSiteState({ ...common, cluster: { nodes: redis.cluster.nodes } });
  } catch (error) {
    // A URL from a secret is only checked here: name the field, never the value.
    if (error instanceof XinyiError && error.code === 'INVALID_OPTIONS') {
      throw new XinyiError(
        'CONFIG_INVALID',
        `site.redis: ${error.message.replace(/^openRedisSiteState: /, '')}`,
        {
          cause: error,
          details: { path: 'site.redis' },
        },
      );
    }
    throw error;
  }
}

/** What `xinyi gate --check` and `xinyi doctor` learn about the site store. */
export interface SiteStoreCheck {
  /** `local`, `sqlite` or `redis`. */
  kind: string;
  /** Where it is, with no secret. */
  store: string;
  reachable: boolean;
  latencyMs?: number;
  version?: string;
  role?: string;
  persistence?: string;
  /** The error code when it could not be opened or did not answer. */
  error?: string;
}

/**
 * Opens the configured site store, pings it within `timeoutMs` and closes it again; problems go into
 * `problems` as lines. `local` needs no check and is reported as reachable.
 */
export async function checkSiteStore(
  config: TerminalHostConfig,
  baseDir: string,
  timeoutMs: number,
  problems: string[],
): Promise<SiteStoreCheck> {
  const site = config.site;
  const store = describeSite(config);
  if (site === 'local') return { kind: 'local', store, reachable: true };
  const kind = 'sqlite' in site ? 'sqlite' : 'redis';
  let opened: SiteState | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    opened = await openSiteStore(config, baseDir, { connectTimeoutMs: timeoutMs });
    const state = opened!;
    const info = await Promise.race([
      state.ping(),
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(
          () => reject(new XinyiError('SITE_STATE_UNAVAILABLE', `no answer within ${timeoutMs} ms`)),
          timeoutMs,
        );
      }),
    ]);
    const check: SiteStoreCheck = {
      kind,
      store,
      reachable: true,
      latencyMs: Math.round(info.latencyMs * 1000) / 1000,
    };
    if (info.version) check.version = info.version;
    if (info.role) check.role = info.role;
    if (info.persistence) check.persistence = info.persistence;
    if (info.role !== undefined && info.role !== 'master' && info.role !== 'cluster') {
      problems.push(
        `site store ${store}: the node answering is a ${info.role}, not the primary: writes will fail`,
      );
    }
    if (info.persistence === 'no-aof') {
      problems.push(
        `site store ${store}: Redis does not log writes (appendonly no): a Redis restart would lose the site's counts`,
      );
    }
    return check;
  } catch (error) {
    const code = error instanceof XinyiError ? error.code : 'unknown';
    const reason = error instanceof XinyiError ? error.message.split('\n')[0] : String(error);
    problems.push(`site store ${store} is not reachable (${reason})`);
    return { kind, store, reachable: false, error: code };
  } finally {
    clearTimeout(timer);
    await opened?.close();
  }
}
