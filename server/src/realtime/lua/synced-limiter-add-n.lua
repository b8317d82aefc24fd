-- A SyncedLimiter's count in Redis, for one key or many in one call (a sync
-- sends up to 500; on a Redis Cluster the keys of one call share a hash slot).
-- ARGV[i + 1] events (negative: points given back) are added to KEYS[i], in the
-- window that began with the key's first event and lasts ARGV[1] ms, as
-- rate-limiter-flexible's RateLimiterRedis keeps it (same key, same value), so
-- both count together.
-- Returns { total of KEYS[1], ms left of KEYS[1], total of KEYS[2], ... }.
local ms = ARGV[1]
local out = {}
for i, key in ipairs(KEYS) do
  redis.call('SET', key, 0, 'PX', ms, 'NX')
  local total = redis.call('INCRBY', key, ARGV[i + 1])
  local ttl = redis.call('PTTL', key)
  if ttl < 0 then
    redis.call('PEXPIRE', key, ms)
    ttl = tonumber(ms)
  end
  out[2 * i - 1] = total
  out[2 * i] = ttl
end
return out
