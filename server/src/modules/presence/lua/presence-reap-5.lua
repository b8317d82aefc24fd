-- Removes every socket a dead node left behind.
-- KEYS[1] node:<node>, KEYS[2] online, KEYS[3] lastseen (hash user -> ms), KEYS[4] nodes (set of node ids),
-- KEYS[5] beats (hash node -> ms of its last heartbeat)
-- ARGV[1] key prefix of sockets:<user> hashes, ARGV[2] node id, ARGV[3] when its users were last seen (ms),
-- or '' for the node's last heartbeat (a crashed node: the last moment it proved its sockets alive),
-- ARGV[4] '1' when a running node reaps its own stale entries (a rebuild): it stays in the node set with
-- its heartbeat time, so peers still see it lapse if it stops before its next heartbeat
-- Returns a flat list user, status, lastSeen ('' unless offline), ... of users whose status changed.
-- (Builds user keys from the prefix: every presence key carries the same hash tag, so in a Redis
-- Cluster they are in the slot of the declared keys.)
local at = ARGV[3]
if at == '' then at = redis.call('HGET', KEYS[5], ARGV[2]) or tostring(redis.call('TIME')[1] * 1000) end
local out = {}
for _, member in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local sep = string.find(member, '|', 1, true)
  local user = string.sub(member, 1, sep - 1)
  local sock = string.sub(member, sep + 1)
  local key = ARGV[1] .. user
  local before = status(key)
  redis.call('HDEL', key, sock)
  local after = status(key)
  local seen = ''
  if after == 'offline' then
    redis.call('SREM', KEYS[2], user)
    -- A disconnect seen elsewhere after the node's last heartbeat is the later sighting.
    local prev = redis.call('HGET', KEYS[3], user)
    seen = (prev and tonumber(prev) > tonumber(at)) and prev or at
    redis.call('HSET', KEYS[3], user, seen)
  end
  if after ~= before then
    table.insert(out, user)
    table.insert(out, after)
    table.insert(out, seen)
  end
end
redis.call('DEL', KEYS[1])
if ARGV[4] ~= '1' then
  redis.call('SREM', KEYS[4], ARGV[2])
  redis.call('HDEL', KEYS[5], ARGV[2])
end
return out
