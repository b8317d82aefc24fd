-- Ends a user's session (if any) and takes them out of, or back into, the queue.
-- KEYS[1] mq:u:<user>
-- ARGV: 1 prefix, 2 user, 3 now ms, 4 cooldown ms, 5 'requeue' | 'park' | 'leave', 6 socket guard ('' = any),
--       7 session guard ('' = any): nothing happens unless the user is in that session or has it back
--       ended or closing (a pairing that could not be recorded must not end a later session); a
--       guarded requeue keeps the user's place in the queue (that pairing was never shown)
-- 'park' keeps the user queued but out of every index (joined = now), so no pass pairs them
-- until match-requeue-1 puts them back: a skip records the end of its session first.
-- With a socket guard, nothing happens unless that socket is the one queued (a disconnect of
-- another device must not end the session). Returns {'ended' | 'ignored', session, peer}.
-- The peer's hash keeps the session as 'ended' (until they join again): if the peer skips or leaves
-- before the ender has recorded the end, they get that session back and record its end themselves
-- before being requeued, so PostgreSQL never shows them in two sessions at once.
-- A parked skipper keeps their session as 'closing' (with its peer) until requeued: if their node dies
-- before recording the end, the leave that cleans up after it gets the session and peer back.
local prefix, user, now, cooldown = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local u = parseUser(redis.call('HGETALL', KEYS[1]))
if u.mode == nil then return {'ignored', '', ''} end
if ARGV[6] ~= '' and u.socket ~= ARGV[6] then return {'ignored', '', ''} end
if ARGV[7] ~= '' and u.session ~= ARGV[7] and u.ended ~= ARGV[7] and u.closing ~= ARGV[7] then return {'ignored', '', ''} end
local session, peer = u.session or '', u.peer or ''
local pending, pendingPeer = u.ended or '', ''
if pending == '' and u.closing then pending, pendingPeer = u.closing, u.closingpeer or '' end
redis.call('HDEL', KEYS[1], 'ended', 'closing', 'closingpeer')
if session ~= '' then
  local pk = prefix .. 'u:' .. peer
  if redis.call('HGET', pk, 'session') == session then
    redis.call('HDEL', pk, 'session', 'peer')
    redis.call('HSET', pk, 'ended', session)
  end
  -- A guarded end is of a pairing never recorded, so never shown: no cooldown between two who never met.
  if ARGV[7] == '' then
    redis.call('ZADD', prefix .. 'cool:' .. user, now + cooldown, peer)
    redis.call('ZADD', prefix .. 'cool:' .. peer, now + cooldown, user)
    redis.call('PEXPIRE', prefix .. 'cool:' .. user, cooldown)
    redis.call('PEXPIRE', prefix .. 'cool:' .. peer, cooldown)
  end
  redis.call('HDEL', KEYS[1], 'session', 'peer')
end
unindex(prefix, user, u)
if ARGV[5] == 'requeue' then
  -- A guarded end is of a pairing never shown: back at their old place (looked at now), not at the back.
  local joined = now
  if ARGV[7] ~= '' and u.joined then joined = tonumber(u.joined) end
  index(prefix, user, u, joined, now)
  redis.call('HSET', KEYS[1], 'joined', tostring(joined))
elseif ARGV[5] == 'park' then
  redis.call('HSET', KEYS[1], 'joined', tostring(now))
  if session ~= '' then redis.call('HSET', KEYS[1], 'closing', session, 'closingpeer', peer)
  elseif pending ~= '' then redis.call('HSET', KEYS[1], 'closing', pending, 'closingpeer', pendingPeer) end
else
  redis.call('DEL', KEYS[1])
  if u.node then redis.call('SREM', prefix .. 'node:' .. u.node, user) end
end
if session == '' then return {'ended', pending, pendingPeer} end
return {'ended', session, peer}
