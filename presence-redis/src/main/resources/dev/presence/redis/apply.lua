-- Applies one StoreMutation to one user, exactly as UserRecord.apply does with AggregationPolicy.standard().
-- KEYS: 1 u:{U} record, 2 o:{U} ops, 3 (optional) ni:{T}:N index of the writer node, in the user's slot.
-- ARGV: 1 kind (P put, R remove device, N remove node, S set status, C clear expired status), 2 atMillis,
--   3 version base for a user never recorded, 4 client id, 5 op counter, 6 writer node ('' for status),
--   7 the writer's lease deadline in store millis ('' when not fenced), 8 user id, 9 the shard channel to
--   publish a visible change on ('' for none), 10 the origin node named in that message, 11.. per kind:
--   P: 11 device id, 12 A/I, 13 platform, 14 since, 15 max devices, 16 claim 1/0, 17 evict 1/0, 18 evict id
--   R: 11 device id.  S: 11 mode, 12 has text 1/0, 13 text, 14 expiry, 15 reassert 1/0.  C: 11 expiry.
-- Returns {'SAME', flat} or {'CHANGED', flatBefore, flatAfter}, or {'LIMIT', count, max}, or {'FENCED'}.

local userKey, opKey, indexKey = KEYS[1], KEYS[2], KEYS[3]
local kind, at, base = ARGV[1], ARGV[2], ARGV[3]
local client, counter, writer, deadline, userId = ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8]
local channel, origin = ARGV[9], ARGV[10]

local again = replayed(opKey, writer, client, counter, userKey)
if again then return again end

if deadline ~= '' and nowMillis() >= tonumber(deadline) then
  return {'FENCED'}
end

local old = loadRecord(userKey, base)
local new = {v = old.v, st = old.st, tx = old.tx, ls = old.ls, ss = old.ss, m = old.m, ct = old.ct,
  ex = old.ex, sa = old.sa, ll = old.ll, sq = old.sq, devices = old.devices}
local devicesChanged = false

local function without(removed)
  local result, changed = {}, false
  for _, d in ipairs(old.devices) do
    if removed(d) then changed = true else table.insert(result, d) end
  end
  if changed then new.devices = result; devicesChanged = true end
end

local function same()
  remember(opKey, writer, client, counter, old.flat, false)
  return {'SAME', old.flat}
end

if kind == 'P' then
  local dev = {id = ARGV[11], node = writer, act = ARGV[12], plat = ARGV[13], since = ARGV[14]}
  local max, claim, hasEvict, evictId = tonumber(ARGV[15]), ARGV[16] == '1', ARGV[17] == '1', ARGV[18]
  local result, replaced, evicted, unchanged = {}, false, false, false
  for _, e in ipairs(old.devices) do
    if hasEvict and e.id == evictId and e.id ~= dev.id and e.node == dev.node then
      evicted = true
    elseif e.id == dev.id then
      local equal = e.node == dev.node and e.act == dev.act and e.plat == dev.plat and e.since == dev.since
      if not evicted and (equal or (not claim and e.node ~= dev.node)) then
        unchanged = true
        break
      end
      dev.seq = e.seq
      table.insert(result, dev)
      replaced = true
    else
      table.insert(result, e)
    end
  end
  if not unchanged then
    if not replaced then
      if #result >= max then
        return {'LIMIT', #result, max}
      end
      new.sq = old.sq + 1
      dev.seq = new.sq
      table.insert(result, dev)
    end
    new.devices = result
    devicesChanged = true
  end
elseif kind == 'R' then
  without(function(d) return d.id == ARGV[11] and d.node == writer end)
elseif kind == 'N' then
  without(function(d) return d.node == writer end)
elseif kind == 'S' then
  if ARGV[15] == '1' and tonumber(old.sa) >= tonumber(at) then
    return same()
  end
  new.m = ARGV[11]
  new.ct = ARGV[12] == '1' and ARGV[13] or false
  new.ex = ARGV[14]
  new.sa = at
elseif kind == 'C' then
  if old.ex == '0' or old.ex ~= ARGV[11] then
    return same()
  end
  new.m = 'AUTO'; new.ct = false; new.ex = '0'; new.sa = at
else
  return redis.error_reply('unknown mutation kind ' .. tostring(kind))
end

-- The same status set again keeps the time it was first set; a re-assert of it records its time, so
-- an older re-assert arriving later cannot win (as UserRecord.apply).
local reassertedLater = kind == 'S' and ARGV[15] == '1' and tonumber(new.sa) ~= tonumber(old.sa)
if not devicesChanged and new.m == old.m and new.ct == old.ct and new.ex == old.ex and not reassertedLater then
  return same()
end

if #old.devices == 0 and #new.devices > 0 then
  new.ll = 0
elseif #new.devices < #old.devices then
  new.ll = math.max(old.ll, tonumber(at))
end

-- AggregationPolicy.standard(), called with DND or AUTO
if #new.devices == 0 then
  new.ss = 'OFFLINE'
elseif new.m == 'DND' then
  new.ss = 'DND'
else
  new.ss = 'IDLE'
  for _, d in ipairs(new.devices) do
    if d.act == 'A' then new.ss = 'ONLINE'; break end
  end
end

local visible, visibleText = new.ss, new.ct
if new.m == 'INVISIBLE' then visible = 'OFFLINE'; visibleText = false end
if visible ~= old.st or visibleText ~= old.tx then
  local since = at
  if #new.devices == 0 and devicesChanged then since = fmt(new.ll) end
  if visible ~= old.st then new.ls = since end
  new.st = visible
  new.tx = visibleText
  new.v = old.v + 1
end

local after = storeRecord(userKey, old, new)
if channel ~= '' and new.v ~= old.v then
  redis.call('SPUBLISH', channel, changeMessage(origin, userId, old, new))
end
if writer ~= '' then indexNode(indexKey, writer, userId, new.devices) end
remember(opKey, writer, client, counter, old.flat, true)
return {'CHANGED', old.flat, after}
