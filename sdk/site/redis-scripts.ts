import { createHash } from 'node:crypto';

/**
 * The Lua scripts of the Redis site state. Each runs atomically on the server, so a check and the
 * write it allows cannot interleave with another lane's. Keys come in pairs per cap: the SET of use
 * ids committed in the period, and the ZSET of reservation ids scored by their expiry. Every key gets
 * an expiry (PEXPIRE, relative, so that the server's clock never turns a lane's time into an instant
 * expiry). All keys of one call share the holder's hash tag, so they live in one Cluster slot.
 */

export interface RedisScript {
  readonly source: string;
  readonly sha1: string;
}

function script(source: string): RedisScript {
  return { source, sha1: createHash('sha1').update(source).digest('hex') };
}

/**
 * KEYS: uses₁, reservations₁, uses₂, reservations₂, …
 * ARGV: now, except-id → { used₁, pending₁, used₂, pending₂, … }
 */
export const USAGE_SCRIPT = script(`
local now = tonumber(ARGV[1])
local except = ARGV[2]
local out = {}
for i = 1, #KEYS / 2 do
  local uses, reservations = KEYS[2 * i - 1], KEYS[2 * i]
  local pending = redis.call('ZCOUNT', reservations, '(' .. now, '+inf')
  if except ~= '' then
    local score = redis.call('ZSCORE', reservations, except)
    if score and tonumber(score) > now then pending = pending - 1 end
  end
  out[2 * i - 1] = redis.call('SCARD', uses)
  out[2 * i] = pending
end
return out
`);

/**
 * Check-and-reserve, and the counts the lane decides with, in one call.
 * KEYS: uses₁, reservations₁, … for the n caps to reserve, then the same pair for each cap only counted
 * ARGV: now, reservation id, expiresAt, reservation ttl ms, n, limit₁, …, limitₙ
 * → { reserved (1/0), used₁, pending₁, … } for every cap (pending not counting this id)
 */
export const RESERVE_SCRIPT = script(`
local now = tonumber(ARGV[1])
local id = ARGV[2]
local expiresAt = tonumber(ARGV[3])
local ttl = tonumber(ARGV[4])
local n = tonumber(ARGV[5])
local out = { 1 }
for i = 1, #KEYS / 2 do
  local uses, reservations = KEYS[2 * i - 1], KEYS[2 * i]
  local used = redis.call('SCARD', uses)
  local pending = redis.call('ZCOUNT', reservations, '(' .. now, '+inf')
  local score = redis.call('ZSCORE', reservations, id)
  if score and tonumber(score) > now then pending = pending - 1 end
  out[2 * i] = used
  out[2 * i + 1] = pending
  if i <= n and used + pending >= tonumber(ARGV[5 + i]) then out[1] = 0 end
end
if out[1] == 1 then
  for i = 1, n do
    local reservations = KEYS[2 * i]
    redis.call('ZREMRANGEBYSCORE', reservations, '-inf', now)
    redis.call('ZADD', reservations, expiresAt, id)
    if redis.call('PTTL', reservations) < ttl then redis.call('PEXPIRE', reservations, ttl) end
  end
end
return out
`);

/**
 * KEYS: uses₁, reservations₁, …
 * ARGV: now, use id, counter ttl ms₁, counter ttl ms₂, …
 * → { added₁, used₁, pending₁, … }
 */
export const COMMIT_SCRIPT = script(`
local now = tonumber(ARGV[1])
local id = ARGV[2]
local out = {}
for i = 1, #KEYS / 2 do
  local uses, reservations = KEYS[2 * i - 1], KEYS[2 * i]
  redis.call('ZREM', reservations, id)
  local added = redis.call('SADD', uses, id)
  redis.call('PEXPIRE', uses, ARGV[2 + i])
  out[3 * i - 2] = added
  out[3 * i - 1] = redis.call('SCARD', uses)
  out[3 * i] = redis.call('ZCOUNT', reservations, '(' .. now, '+inf')
end
return out
`);

/** KEYS: reservations₁, reservations₂, …  ARGV: reservation id → number removed. */
export const RELEASE_SCRIPT = script(`
local removed = 0
for i = 1, #KEYS do removed = removed + redis.call('ZREM', KEYS[i], ARGV[1]) end
return removed
`);

/** Every script: loaded on each connection, so a decision never pays a NOSCRIPT round trip. */
export const SITE_SCRIPTS: readonly RedisScript[] = [
  USAGE_SCRIPT,
  RESERVE_SCRIPT,
  COMMIT_SCRIPT,
  RELEASE_SCRIPT,
];
