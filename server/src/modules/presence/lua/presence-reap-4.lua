-- Removes every socket a dead node left behind.
-- KEYS[1] node:<node>, KEYS[2] online, KEYS[3] lastseen, KEYS[4] nodes (set of node ids)
-- ARGV[1] key prefix of sockets:<user> hashes, ARGV[2] node id, ARGV[3] now (ms)
-- Returns a flat list user, status, user, status... of users whose status changed.
-- (Builds user keys from the prefix: fine on one Redis, which is what Pairly runs; a Redis
-- Cluster would need the user hashes and the node set in one hash slot.)
local out = {}
for _, member in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local sep = string.find(member, '|', 1, true)
  local user = string.sub(member, 1, sep - 1)
  local sock = string.sub(member, sep + 1)
  local key = ARGV[1] .. user
  local before = status(key)
  redis.call('HDEL', key, sock)
  local after = status(key)
  if after == 'offline' then
    redis.call('SREM', KEYS[2], user)
    redis.call('HSET', KEYS[3], user, ARGV[3])
  end
  if after ~= before then
    table.insert(out, user)
    table.insert(out, after)
  end
end
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[4], ARGV[2])
return out
