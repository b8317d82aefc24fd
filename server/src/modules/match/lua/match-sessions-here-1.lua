-- The users queued through one node who are in a session, with it and their peer: what the orphan
-- sweep checks against PostgreSQL (MatchService.sweepOrphans). One call, not a read per user.
-- KEYS[1] mq:node:<node>
-- ARGV: 1 prefix
-- Returns { user, session, peer, user, session, peer, ... }.
local out = {}
for _, user in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local v = redis.call('HMGET', ARGV[1] .. 'u:' .. user, 'session', 'peer')
  if v[1] and v[2] then
    out[#out + 1] = user
    out[#out + 1] = v[1]
    out[#out + 1] = v[2]
  end
end
return out
