-- Puts a user whose pairing fell through back in the waiting queue, at their old place.
-- KEYS[1] mq:u:<user>
-- ARGV: 1 prefix, 2 user
-- Only a user still queued (the hash exists) and in no session: one who left meanwhile is gone,
-- one paired again meanwhile keeps that session. Due for a look-up at once. Returns 1 when requeued, else 0.
local u = parseUser(redis.call('HGETALL', KEYS[1]))
if not u.mode or u.session then return 0 end
-- The caller has recorded the end of any session left pending (match-join-2, match-end-1).
redis.call('HDEL', KEYS[1], 'ended', 'closing', 'closingpeer')
if redis.call('ZSCORE', ARGV[1] .. 'wait:' .. u.mode, ARGV[2]) then return 1 end
index(ARGV[1], ARGV[2], u, u.joined, u.joined)
return 1
