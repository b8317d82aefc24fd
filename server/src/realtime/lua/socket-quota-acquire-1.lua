-- A place for one socket in its user's sorted set (member: socket id,
-- score: when the place lapses, in Redis server time so nodes' clocks do not
-- matter). Lapsed places are dropped first: they belong to sockets of a node
-- that stopped refreshing them.
-- KEYS[1] the user's set; ARGV[1] socket id, ARGV[2] max places, ARGV[3] ttl ms.
-- Returns 1 when the socket has its place, 0 when the user is at the cap.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  return 0
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
