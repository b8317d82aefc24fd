-- One chat text going to one conversation, for the repeat rule: counted
-- once per conversation (KEYS[1], sender + text + conversation) in the
-- recipients of that text (KEYS[2], sender + text). Same keys and values as
-- the two rate-limiter-flexible limiters it replaces (rl:moderation-repeat-seen
-- with 1 point, rl:moderation-repeats), so both count together.
-- ARGV[1] the window in ms, ARGV[2] the limit of conversations.
-- Returns 1 when the text may go, 0 when it is one conversation too many.
if not redis.call('SET', KEYS[1], 1, 'PX', ARGV[1], 'NX') then
  return 1
end
redis.call('SET', KEYS[2], 0, 'PX', ARGV[1], 'NX')
if redis.call('INCR', KEYS[2]) > tonumber(ARGV[2]) then
  return 0
end
return 1
