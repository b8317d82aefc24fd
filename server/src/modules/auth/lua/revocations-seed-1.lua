-- KEYS[1] the revocations sorted set (member session id -> expiry in ms)
-- ARGV[1] this attempt's sentinel member (added before PostgreSQL was read), ARGV[2] the "seeded" marker member,
-- ARGV[3] expiry (ms) of the sessions being loaded, ARGV[4..] their ids.
-- Loads the sessions and sets the marker only if the sentinel is still there. If it is gone, Redis lost
-- the set after PostgreSQL was read: revocations written in between may be lost too, so the caller
-- reads PostgreSQL again. Returns 1 when loaded, 0 when the caller must retry.
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  return 0
end
for i = 4, #ARGV do
  redis.call('ZADD', KEYS[1], 'GT', ARGV[3], ARGV[i])
end
redis.call('ZADD', KEYS[1], '+inf', ARGV[2])
redis.call('ZREM', KEYS[1], ARGV[1])
return 1
