// Whether the Redis suites can run here, and why not: they skip with the reason in their names unless
// XINYI_REQUIRE_REDIS=1 (CI), which turns a missing server into a failure.
import { createRequire } from 'node:module';
import { isRedisSentinelAvailable, isRedisServerAvailable } from '../../../simulator/redis-server.js';

function ioredisInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve('ioredis');
    return true;
  } catch {
    return false;
  }
}

function missing(sentinel: boolean): string | undefined {
  if (!ioredisInstalled()) return 'ioredis is not installed';
  if (!isRedisServerAvailable()) return 'redis-server is not installed';
  if (sentinel && !isRedisSentinelAvailable()) return 'redis-sentinel is not installed';
  return undefined;
}

/** The reason the Redis (or Sentinel) suites cannot run, or undefined when they can. Throws under XINYI_REQUIRE_REDIS=1. */
export function redisSkipReason(options: { sentinel?: boolean } = {}): string | undefined {
  const reason = missing(options.sentinel ?? false);
  if (reason !== undefined && process.env.XINYI_REQUIRE_REDIS === '1') {
    throw new Error(`XINYI_REQUIRE_REDIS=1 but ${reason}`);
  }
  return reason;
}

/** A suite name that says why it was skipped. */
export function redisSuiteName(name: string, reason: string | undefined): string {
  return reason === undefined ? name : `${name} (skipped: ${reason})`;
}
