-- Puts a user in the waiting queue of a mode (or refreshes their entry from another device).
-- KEYS[1] mq:u:<user> (hash), KEYS[2] mq:node:<node> (set of users queued through that node)
-- ARGV: 1 prefix, 2 user, 3 mode, 4 now ms, 5 socket, 6 node, 7 interests (comma list),
--       8 gender, 9 age, 10 seeks (sorted comma list), 11 age min, 12 age max, 13 blocked users (comma list)
-- Returns {'in_session', session}, {'queued', joined-at} (due for a look-up now), or
-- {'pending', session, peer} when a session of theirs has ended in the queue but its end may not
-- be recorded yet (their peer's skip, or their own, still on its way to PostgreSQL): the entry is
-- refreshed but stays parked, out of every index, until the caller has recorded that end and
-- requeued them (match-requeue-1). Otherwise a double tap could pair them into a new session while
-- PostgreSQL still shows the old one open.
local session = redis.call('HGET', KEYS[1], 'session')
if session then return {'in_session', session} end
local prefix, user, mode = ARGV[1], ARGV[2], ARGV[3]
local old = parseUser(redis.call('HGETALL', KEYS[1]))
local joined = redis.call('ZSCORE', prefix .. 'wait:' .. mode, user)
-- Profile, interests or mode may differ from the old entry: take it out of the old indexes first.
if old.mode then unindex(prefix, user, old) end
if old.node and old.node ~= ARGV[6] then redis.call('SREM', prefix .. 'node:' .. old.node, user) end
if not joined then joined = ARGV[4] end
local u = { mode = mode, interests = ARGV[7], gender = ARGV[8], seeks = ARGV[10] }
redis.call('HSET', KEYS[1], 'mode', mode, 'joined', joined, 'socket', ARGV[5], 'node', ARGV[6],
  'interests', ARGV[7], 'gender', ARGV[8], 'age', ARGV[9], 'seeks', ARGV[10], 'amin', ARGV[11],
  'amax', ARGV[12], 'blocked', ARGV[13])
redis.call('SADD', KEYS[2], user)
if old.ended then return {'pending', old.ended, ''} end
if old.closing then return {'pending', old.closing, old.closingpeer or ''} end
index(prefix, user, u, joined, ARGV[4])
return {'queued', tostring(joined)}
