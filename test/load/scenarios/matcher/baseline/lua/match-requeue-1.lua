-- Puts a user whose pairing fell through back in the waiting queue, at their old place.
-- KEYS[1] mq:u:<user>
-- ARGV: 1 prefix, 2 user
-- Only a user still queued (the hash exists) and in no session: one who left meanwhile is gone,
-- one paired again meanwhile keeps that session. Returns 1 when requeued, else 0.
local mode = redis.call('HGET', KEYS[1], 'mode')
if not mode or redis.call('HEXISTS', KEYS[1], 'session') == 1 then return 0 end
local joined = redis.call('HGET', KEYS[1], 'joined')
redis.call('ZADD', ARGV[1] .. 'mq:wait:' .. mode, 'NX', joined, ARGV[2])
return 1
