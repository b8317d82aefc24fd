-- KEYS[1] sockets:<user>, KEYS[2] node:<node>, KEYS[3] online, KEYS[4] lastseen (hash user -> ms)
-- ARGV[1] user, ARGV[2] socket, ARGV[3] now (ms)
local before = status(KEYS[1])
redis.call('HDEL', KEYS[1], ARGV[2])
redis.call('SREM', KEYS[2], ARGV[1] .. '|' .. ARGV[2])
local after = status(KEYS[1])
if after == 'offline' then
  redis.call('SREM', KEYS[3], ARGV[1])
  redis.call('HSET', KEYS[4], ARGV[1], ARGV[3])
end
return {before, after}
