-- Ends a user's session (if any) and takes them out of, or back into, the queue.
-- KEYS[1] mq:u:<user>
-- ARGV: 1 prefix, 2 user, 3 now ms, 4 cooldown ms, 5 'requeue' | 'park' | 'leave', 6 socket guard ('' = any)
-- 'park' keeps the user queued but out of the waiting set (joined = now), so no pass pairs them
-- until match-requeue-1 puts them back: a skip records the end of its session first.
-- With a socket guard, nothing happens unless that socket is the one queued (a disconnect of
-- another device must not end the session). Returns {'ended' | 'ignored', session, peer}.
local prefix, user, now, cooldown = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local h = redis.call('HGETALL', KEYS[1])
local u = {}
for k = 1, #h, 2 do u[h[k]] = h[k + 1] end
if u.mode == nil then return {'ignored', '', ''} end
if ARGV[6] ~= '' and u.socket ~= ARGV[6] then return {'ignored', '', ''} end
local session, peer = u.session or '', u.peer or ''
if session ~= '' then
  local pk = prefix .. 'mq:u:' .. peer
  if redis.call('HGET', pk, 'session') == session then redis.call('HDEL', pk, 'session', 'peer') end
  redis.call('ZADD', prefix .. 'mq:cool:' .. user, now + cooldown, peer)
  redis.call('ZADD', prefix .. 'mq:cool:' .. peer, now + cooldown, user)
  redis.call('PEXPIRE', prefix .. 'mq:cool:' .. user, cooldown)
  redis.call('PEXPIRE', prefix .. 'mq:cool:' .. peer, cooldown)
  redis.call('HDEL', KEYS[1], 'session', 'peer')
end
local wait = prefix .. 'mq:wait:' .. u.mode
if ARGV[5] == 'requeue' then
  redis.call('ZADD', wait, now, user)
  redis.call('HSET', KEYS[1], 'joined', tostring(now))
elseif ARGV[5] == 'park' then
  redis.call('ZREM', wait, user)
  redis.call('HSET', KEYS[1], 'joined', tostring(now))
else
  redis.call('ZREM', wait, user)
  redis.call('DEL', KEYS[1])
  if u.node then redis.call('SREM', prefix .. 'mq:node:' .. u.node, user) end
end
return {'ended', session, peer}
