-- Pairs waiting users of one mode, atomically: nobody is paired twice, whoever runs it.
-- KEYS[1] mq:wait:<mode> (zset user -> joined ms: longest waiting first)
-- ARGV: 1 prefix, 2 now ms, 3 fall-back ms, 4 how many to scan, 5.. fresh session ids (one per pair at most)
-- Rules: both sides' gender and age preferences, no block either way, no cooldown either way;
-- a shared interest first; after the fall-back wait (either side), or when neither has interests, anyone.
-- Returns a flat list: user, peer, session, common interests, user's interests, peer's interests (comma lists), ...
local prefix, now, fallback, scan = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
-- The longest-waiting half and the newest half: waiters nobody can pair at the front
-- (impossible preferences) must not stop everyone behind them from being looked at.
local ids = redis.call('ZRANGE', KEYS[1], 0, math.floor(scan / 2) - 1)
local total = redis.call('ZCARD', KEYS[1])
if total > #ids then
  local seen = {}
  for _, id in ipairs(ids) do seen[id] = true end
  for _, id in ipairs(redis.call('ZRANGE', KEYS[1], math.max(#ids, total - math.ceil(scan / 2)), -1)) do
    if not seen[id] then ids[#ids + 1] = id end
  end
end
local users = {}
local function split(s)
  local t = {}
  if s and s ~= '' then for item in string.gmatch(s, '[^,]+') do t[item] = true end end
  return t
end
for i, id in ipairs(ids) do
  local h = redis.call('HGETALL', prefix .. 'mq:u:' .. id)
  local u = {}
  for k = 1, #h, 2 do u[h[k]] = h[k + 1] end
  if u.session == nil and u.mode ~= nil then
    u.id = id
    u.interestSet = split(u.interests)
    u.hasInterests = u.interests ~= nil and u.interests ~= ''
    u.seekSet = split(u.seeks)
    u.seeksAny = u.seeks == nil or u.seeks == ''
    u.blockedSet = split(u.blocked)
    u.age = tonumber(u.age)
    u.amin = tonumber(u.amin)
    u.amax = tonumber(u.amax)
    u.joined = tonumber(u.joined)
    users[#users + 1] = u
  end
end
local function accepts(a, b)
  if not a.seeksAny and (b.gender == '' or not a.seekSet[b.gender]) then return false end
  return b.age >= a.amin and b.age <= a.amax
end
local function compatible(a, b)
  if a.blockedSet[b.id] or b.blockedSet[a.id] then return false end
  if not (accepts(a, b) and accepts(b, a)) then return false end
  local c1 = redis.call('ZSCORE', prefix .. 'mq:cool:' .. a.id, b.id)
  if c1 and tonumber(c1) > now then return false end
  local c2 = redis.call('ZSCORE', prefix .. 'mq:cool:' .. b.id, a.id)
  if c2 and tonumber(c2) > now then return false end
  return true
end
local function common(a, b)
  local out = {}
  for k in pairs(a.interestSet) do if b.interestSet[k] then out[#out + 1] = k end end
  table.sort(out)
  return out
end
local taken = {}
local out = {}
local nextSession = 5
for i = 1, #users do
  local a = users[i]
  if not taken[a.id] and ARGV[nextSession] then
    local best, bestCommon, fallbackPick = nil, nil, nil
    for j = i + 1, #users do
      local b = users[j]
      if not taken[b.id] and compatible(a, b) then
        local c = common(a, b)
        if #c > 0 then best, bestCommon = b, c break end
        if fallbackPick == nil and ((not a.hasInterests and not b.hasInterests)
            or now - a.joined >= fallback or now - b.joined >= fallback) then
          fallbackPick = b
        end
      end
    end
    if best == nil and fallbackPick ~= nil then best, bestCommon = fallbackPick, {} end
    if best ~= nil then
      local session = ARGV[nextSession]
      nextSession = nextSession + 1
      taken[a.id] = true
      taken[best.id] = true
      redis.call('ZREM', KEYS[1], a.id, best.id)
      redis.call('HSET', prefix .. 'mq:u:' .. a.id, 'session', session, 'peer', best.id)
      redis.call('HSET', prefix .. 'mq:u:' .. best.id, 'session', session, 'peer', a.id)
      local joinedCommon = table.concat(bestCommon, ',')
      out[#out + 1] = a.id
      out[#out + 1] = best.id
      out[#out + 1] = session
      out[#out + 1] = joinedCommon
      out[#out + 1] = a.interests or ''
      out[#out + 1] = best.interests or ''
    end
  end
end
return out
