-- Shared by the presence scripts (prepended when they are loaded): a user's
-- status over all their sockets, from their hash of socket -> node|state.
local function status(key)
  local vals = redis.call('HVALS', key)
  if #vals == 0 then return 'offline' end
  for _, v in ipairs(vals) do
    if string.sub(v, -7) == '|online' then return 'online' end
  end
  return 'away'
end
