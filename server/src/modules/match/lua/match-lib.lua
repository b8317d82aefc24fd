-- Shared by every match script (prepended when the scripts are defined, as an include).
-- Keys below are under the key prefix the scripts get as ARGV[1] (`<REDIS_PREFIX>mq:`, whose `mq` is a
-- hash tag in a Redis Cluster, so every key they build is in the slot of the keys they declare).
-- The waiting users of a mode are indexed three ways, all sorted by the time they joined:
--   mq:wait:<mode>              everyone waiting (sizes, requeue at one's old place)
--   mq:b:<mode>:<gender>:<seeks>:<i|->  a bucket: waiters of one gender seeking one sorted set of
--                                genders ('' = not given / anyone), with interests (i) or without (-);
--                                mq:bk:<mode> lists the non-empty buckets
--   mq:i:<mode>:<interest>:<bucket>  waiters of that bucket who joined with that interest
-- and mq:due:<mode> holds who needs a look-up and from when (a join, a requeue, or the moment a
-- fall-back wait or a cooldown ends). A look-up reads only buckets whose gender and seeks fit, so
-- waiters nobody can pair (or who fit nobody) cost nothing to anyone else's pairing.
local function parseUser(h)
  local u = {}
  for k = 1, #h, 2 do u[h[k]] = h[k + 1] end
  return u
end
local function bucketOf(u)
  return (u.gender or '') .. ':' .. (u.seeks or '') .. ':' .. ((u.interests or '') ~= '' and 'i' or '-')
end
local function eachInterest(u, f)
  if u.interests and u.interests ~= '' then
    for i in string.gmatch(u.interests, '[^,]+') do f(i) end
  end
end
local function unindex(prefix, id, u)
  local mode = u.mode
  local b = bucketOf(u)
  local bk = prefix .. 'b:' .. mode .. ':' .. b
  redis.call('ZREM', bk, id)
  if redis.call('EXISTS', bk) == 0 then redis.call('SREM', prefix .. 'bk:' .. mode, b) end
  eachInterest(u, function(i) redis.call('ZREM', prefix .. 'i:' .. mode .. ':' .. i .. ':' .. b, id) end)
  redis.call('ZREM', prefix .. 'wait:' .. mode, id)
  redis.call('ZREM', prefix .. 'due:' .. mode, id)
end
local function index(prefix, id, u, joined, due)
  local mode = u.mode
  local b = bucketOf(u)
  redis.call('ZADD', prefix .. 'wait:' .. mode, joined, id)
  redis.call('ZADD', prefix .. 'b:' .. mode .. ':' .. b, joined, id)
  redis.call('SADD', prefix .. 'bk:' .. mode, b)
  eachInterest(u, function(i) redis.call('ZADD', prefix .. 'i:' .. mode .. ':' .. i .. ':' .. b, joined, id) end)
  redis.call('ZADD', prefix .. 'due:' .. mode, due, id)
end
