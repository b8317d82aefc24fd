-- Pushes back the lapse time of a user's sockets that are still open on the
-- calling node; places already released stay gone (XX).
-- KEYS[1] the user's set; ARGV[1] ttl ms, ARGV[2..] socket ids.
local t = redis.call('TIME')
local until_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[1])
for i = 2, #ARGV do
  redis.call('ZADD', KEYS[1], 'XX', until_ms, ARGV[i])
end
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return 1
