-- KEYS[1] sockets:<user>; ARGV[1] socket, ARGV[2] node, ARGV[3] state
local before = status(KEYS[1])
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. '|' .. ARGV[3])
end
return {before, status(KEYS[1])}
