-- A BatchedLimiter's count for one key and window: ARGV[1] events added,
-- the key kept ARGV[2] ms (two windows). What MULTI INCRBY PEXPIRE EXEC did,
-- as one script call: ioredis builds a pipeline object for every MULTI.
-- KEYS[1] the key; returns the window's total.
local total = redis.call('INCRBY', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return total
