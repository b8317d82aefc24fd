-- Puts a user whose pairing fell through, or whose session's end the caller has just recorded, back in
-- the waiting queue at their old place.
-- KEYS[1] mq:u:<user>
-- ARGV: 1 prefix, 2 user, 3 the session whose end the caller recorded ('' = none)
-- Only a user still queued (the hash exists) and in no session: one who left meanwhile is gone,
-- one paired again meanwhile keeps that session. Nor one left parked for another session's end (a
-- later skip of theirs, or their peer's): a late requeue from an older session's caller (a double tap's
-- second join) would let a pass pair them while PostgreSQL still shows that later session open.
-- Due for a look-up at once. Returns 1 when requeued, else 0.
local u = parseUser(redis.call('HGETALL', KEYS[1]))
if not u.mode or u.session then return 0 end
if (u.ended and u.ended ~= ARGV[3]) or (u.closing and u.closing ~= ARGV[3]) then return 0 end
redis.call('HDEL', KEYS[1], 'ended', 'closing', 'closingpeer')
if redis.call('ZSCORE', ARGV[1] .. 'wait:' .. u.mode, ARGV[2]) then return 1 end
index(ARGV[1], ARGV[2], u, u.joined, u.joined)
return 1
