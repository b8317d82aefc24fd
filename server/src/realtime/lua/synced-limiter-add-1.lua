-- A SyncedLimiter's count in Redis: ARGV[1] events (negative: points given
-- back) added to the window that began with the key's first event and lasts
-- ARGV[2] ms, as rate-limiter-flexible's RateLimiterRedis keeps it (same key,
-- same value), so both count together.
-- KEYS[1] the key; returns { the window's total, ms left in it }.
redis.call('SET', KEYS[1], 0, 'PX', ARGV[2], 'NX')
local total = redis.call('INCRBY', KEYS[1], ARGV[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  ttl = tonumber(ARGV[2])
end
return { total, ttl }
