-- Pairs the users of one mode who are due for a look-up, atomically: nobody is paired twice, whoever runs it.
-- KEYS[1] mq:due:<mode> (zset user -> when a look-up is due)
-- ARGV: 1 prefix, 2 mode, 3 now ms, 4 fall-back ms, 5 due users per pass, 6 window per index,
--       7.. fresh session ids (one per pair at most)
-- Rules: both sides' gender and age preferences, no block either way, no cooldown either way;
-- a shared interest first; after the fall-back wait (either side), or when neither has interests, anyone;
-- of those, whoever has waited longest. A due user finds a partner among the first and last `window`/2
-- waiters of each index that fits them (their interests within the buckets whose gender and seeks
-- fit both ways, then those buckets), so a look-up costs the same with 10 or 10,000 waiters nobody can pair. One who finds
-- nobody is due again when a fall-back wait or a cooldown that stood in the way ends, else waits to be
-- found by the next comer's look-up.
-- Returns a flat list: user, peer, session, common interests, user's interests, peer's interests, ...
-- (user = whichever of the two waited longer).
local prefix, mode, now, fallback = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local perPass, win = tonumber(ARGV[5]), tonumber(ARGV[6])
local due = KEYS[1]
local half = math.max(1, math.floor(perPass / 2))
local ids = redis.call('ZRANGEBYSCORE', due, '-inf', now, 'LIMIT', 0, half)
do
  local seen = {}
  for _, id in ipairs(ids) do seen[id] = true end
  for _, id in ipairs(redis.call('ZREVRANGEBYSCORE', due, now, '-inf', 'LIMIT', 0, perPass - half)) do
    if not seen[id] then ids[#ids + 1] = id end
  end
end
if #ids == 0 then return {} end

local function set(s)
  local t = {}
  if s and s ~= '' then for item in string.gmatch(s, '[^,]+') do t[item] = true end end
  return t
end
local cache = {}
local function load(id)
  local u = cache[id]
  if u ~= nil then return u end
  u = parseUser(redis.call('HGETALL', prefix .. 'u:' .. id))
  if u.mode == nil or u.session ~= nil then
    u = false
  else
    u.id = id
    u.interestSet = set(u.interests)
    u.hasInterests = u.interests ~= nil and u.interests ~= ''
    u.seekSet = set(u.seeks)
    u.seeksAny = u.seeks == nil or u.seeks == ''
    u.blockedSet = set(u.blocked)
    u.age, u.amin, u.amax, u.joined = tonumber(u.age), tonumber(u.amin), tonumber(u.amax), tonumber(u.joined)
  end
  cache[id] = u
  return u
end
local buckets = {}
for _, b in ipairs(redis.call('SMEMBERS', prefix .. 'bk:' .. mode)) do
  local g, s, i = string.match(b, '^([^:]*):([^:]*):(.)$')
  buckets[#buckets + 1] = { name = b, key = prefix .. 'b:' .. mode .. ':' .. b, gender = g, seekSet = set(s), seeksAny = s == '', interests = i == 'i' }
end
local function seeksGender(seekSet, seeksAny, gender) return seeksAny or (gender ~= '' and seekSet[gender] == true) end
local function accepts(a, b) return seeksGender(a.seekSet, a.seeksAny, b.gender or '') and b.age >= a.amin and b.age <= a.amax end
local function window(key)
  local out = redis.call('ZRANGE', key, 0, math.floor(win / 2) - 1)
  if #out >= math.floor(win / 2) then
    local total = redis.call('ZCARD', key)
    if total > #out then
      for _, id in ipairs(redis.call('ZRANGE', key, math.max(#out, total - math.ceil(win / 2)), -1)) do out[#out + 1] = id end
    end
  end
  return out
end

local taken = {}
-- 'ok', or 'no', or 'cool' and until when.
local function check(a, id)
  if id == a.id or taken[id] then return 'no' end
  local b = load(id)
  if not b or a.blockedSet[id] or b.blockedSet[a.id] or not accepts(a, b) or not accepts(b, a) then return 'no' end
  local c1 = tonumber(redis.call('ZSCORE', prefix .. 'cool:' .. a.id, id) or '0')
  local c2 = tonumber(redis.call('ZSCORE', prefix .. 'cool:' .. id, a.id) or '0')
  local c = math.max(c1, c2)
  if c > now then return 'cool', c end
  return 'ok', b
end

local out = {}
local nextSession = 7
for _, id in ipairs(ids) do
  if not ARGV[nextSession] then break end
  local a = not taken[id] and load(id)
  if not a then
    if not taken[id] then redis.call('ZREM', due, id) end
  else
    local best, retry = nil, nil
    local function later(t) if retry == nil or t < retry then retry = t end end
    -- Reads indexes oldest head first, the first fitting user of each; an index whose longest
    -- waiter came after the best found so far cannot beat it.
    local function scan(list)
      table.sort(list, function(x, y) return x.head < y.head end)
      for _, f in ipairs(list) do
        if best ~= nil and best.joined <= f.head then break end
        local cands = f.all and window(f.key) or redis.call('ZRANGEBYSCORE', f.key, '-inf', now - fallback, 'LIMIT', 0, win)
        for _, cid in ipairs(cands) do
          local r, b = check(a, cid)
          if r == 'ok' then
            if best == nil or b.joined < best.joined then best = b end
            break
          elseif r == 'cool' then later(b) end
        end
      end
    end
    local fitting = {}
    for _, bk in ipairs(buckets) do
      if seeksGender(a.seekSet, a.seeksAny, bk.gender) and seeksGender(bk.seekSet, bk.seeksAny, a.gender or '') then
        fitting[#fitting + 1] = bk
      end
    end
    -- A shared interest first: each of a's interests within each fitting bucket with interests.
    local list = {}
    for i in pairs(a.interestSet) do
      for _, bk in ipairs(fitting) do
        if bk.interests then
          local key = prefix .. 'i:' .. mode .. ':' .. i .. ':' .. bk.name
          local head = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
          if #head > 0 then list[#list + 1] = { key = key, all = true, head = tonumber(head[2]) } end
        end
      end
    end
    scan(list)
    local anyoneNow = now - a.joined >= fallback
    if best == nil then
      if a.hasInterests and not anyoneNow then later(a.joined + fallback) end
      -- Then the fitting buckets, each only in the part a may be paired with now: everyone once a
      -- has waited out the fall-back (or when neither side has interests), else those who have.
      list = {}
      for _, bk in ipairs(fitting) do
        local head = redis.call('ZRANGE', bk.key, 0, 0, 'WITHSCORES')
        if #head > 0 then
          local all = anyoneNow or (not a.hasInterests and not bk.interests)
          local headJoined = tonumber(head[2])
          if all or headJoined <= now - fallback then
            list[#list + 1] = { key = bk.key, all = all, head = headJoined }
          else
            later(headJoined + fallback)
          end
        end
      end
      scan(list)
    end
    if best ~= nil then
      local session = ARGV[nextSession]
      nextSession = nextSession + 1
      local first, second = a, best
      if best.joined < a.joined then first, second = best, a end
      taken[a.id], taken[best.id] = true, true
      unindex(prefix, a.id, a)
      unindex(prefix, best.id, best)
      redis.call('HSET', prefix .. 'u:' .. first.id, 'session', session, 'peer', second.id)
      redis.call('HSET', prefix .. 'u:' .. second.id, 'session', session, 'peer', first.id)
      local common = {}
      for k in pairs(first.interestSet) do if second.interestSet[k] then common[#common + 1] = k end end
      table.sort(common)
      out[#out + 1] = first.id
      out[#out + 1] = second.id
      out[#out + 1] = session
      out[#out + 1] = table.concat(common, ',')
      out[#out + 1] = first.interests or ''
      out[#out + 1] = second.interests or ''
    elseif retry ~= nil then
      redis.call('ZADD', due, retry, a.id)
    else
      redis.call('ZREM', due, a.id)
    end
  end
end
return out
