-- A SyncedLimiter's sync: synced-limiter-add-1.lua for many keys in one call
-- (one script run instead of one per key; on a Redis Cluster the keys of one
-- call share a hash slot). ARGV[1] the window in ms; ARGV[i + 1] the events
-- (negative: points given back) to add to KEYS[i].
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
