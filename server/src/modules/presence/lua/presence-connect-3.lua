-- KEYS[1] sockets:<user> (hash socket -> node|state), KEYS[2] node:<node> (set of user|socket), KEYS[3] online (set)
-- ARGV[1] user, ARGV[2] socket, ARGV[3] node, ARGV[4] state ('online' | 'away')
-- Returns {before, after} statuses of the user over all their sockets.
local before = status(KEYS[1])
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3] .. '|' .. ARGV[4])
redis.call('SADD', KEYS[2], ARGV[1] .. '|' .. ARGV[2])
redis.call('SADD', KEYS[3], ARGV[1])
return {before, status(KEYS[1])}
