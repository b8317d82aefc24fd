-- Puts a user in the waiting queue of a mode (or refreshes their entry from another device).
-- KEYS[1] mq:u:<user> (hash), KEYS[2] mq:node:<node> (set of users queued through that node)
-- ARGV: 1 prefix, 2 user, 3 mode, 4 now ms, 5 socket, 6 node, 7 interests (comma list),
--       8 gender, 9 age, 10 seeks (comma list), 11 age min, 12 age max, 13 blocked users (comma list)
-- Returns {'in_session', session} or {'queued', joined-at}.
local session = redis.call('HGET', KEYS[1], 'session')
if session then return {'in_session', session} end
local prefix, user, mode = ARGV[1], ARGV[2], ARGV[3]
local oldMode = redis.call('HGET', KEYS[1], 'mode')
if oldMode and oldMode ~= mode then redis.call('ZREM', prefix .. 'mq:wait:' .. oldMode, user) end
local oldNode = redis.call('HGET', KEYS[1], 'node')
if oldNode and oldNode ~= ARGV[6] then redis.call('SREM', prefix .. 'mq:node:' .. oldNode, user) end
local wait = prefix .. 'mq:wait:' .. mode
local joined = redis.call('ZSCORE', wait, user)
if not joined then
  joined = ARGV[4]
  redis.call('ZADD', wait, joined, user)
end
redis.call('HSET', KEYS[1], 'mode', mode, 'joined', joined, 'socket', ARGV[5], 'node', ARGV[6],
  'interests', ARGV[7], 'gender', ARGV[8], 'age', ARGV[9], 'seeks', ARGV[10], 'amin', ARGV[11],
  'amax', ARGV[12], 'blocked', ARGV[13])
redis.call('SADD', KEYS[2], user)
return {'queued', tostring(joined)}
