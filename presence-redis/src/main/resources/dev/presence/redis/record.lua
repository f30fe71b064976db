-- Shared by the user scripts (prepended to each): reading, writing and replaying one user's record.
-- The record is the hash u:{U}. Scalars: v version, r revision (grows on every stored change, for the
-- CAS of custom policies), st/tx/ls what others see (state, text, last seen), ss self state, m mode,
-- ct custom text, ex status expiry, sa status set at, ll last left, sq last device seq.
-- Devices: d:<device id> = "<seq>|<A or I>|<platform>|<since>|<node>" (the node last: it may hold '|').
-- Absent text or last seen means null. Numbers are kept as the decimal strings Java sent.

local function fmt(n)
  return string.format('%.0f', n)
end

local function nowMillis()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function loadRecord(key, base)
  local flat = redis.call('HGETALL', key)
  local rec = {flat = flat, devices = {}}
  if #flat == 0 then
    rec.v = tonumber(base); rec.r = 0; rec.st = 'OFFLINE'; rec.tx = false; rec.ls = false
    rec.ss = 'OFFLINE'; rec.m = 'AUTO'; rec.ct = false; rec.ex = '0'; rec.sa = '0'; rec.ll = 0; rec.sq = 0
    return rec
  end
  local h = {}
  for i = 1, #flat, 2 do
    local f = flat[i]
    if string.sub(f, 1, 2) == 'd:' then
      local seq, act, plat, since, node = string.match(flat[i + 1], '^(%d+)|(%a)|(%a+)|(%-?%d+)|(.*)$')
      table.insert(rec.devices, {id = string.sub(f, 3), seq = tonumber(seq), act = act, plat = plat, since = since, node = node})
    else
      h[f] = flat[i + 1]
    end
  end
  table.sort(rec.devices, function(a, b) return a.seq < b.seq end)
  rec.v = tonumber(h.v); rec.r = tonumber(h.r); rec.st = h.st; rec.tx = h.tx or false; rec.ls = h.ls or false
  rec.ss = h.ss; rec.m = h.m; rec.ct = h.ct or false; rec.ex = h.ex; rec.sa = h.sa
  rec.ll = tonumber(h.ll); rec.sq = tonumber(h.sq)
  return rec
end

local function packDevice(d)
  return fmt(d.seq) .. '|' .. d.act .. '|' .. d.plat .. '|' .. d.since .. '|' .. d.node
end

-- Writes the changed record: every scalar, the devices that are new or changed, and removes the rest.
local function storeRecord(key, old, new)
  local keep = {}
  local args = {'v', fmt(new.v), 'r', fmt(old.r + 1), 'st', new.st, 'ss', new.ss, 'm', new.m,
    'ex', new.ex, 'sa', new.sa, 'll', fmt(new.ll), 'sq', fmt(new.sq)}
  if new.tx then table.insert(args, 'tx'); table.insert(args, new.tx) end
  if new.ls then table.insert(args, 'ls'); table.insert(args, new.ls) end
  if new.ct then table.insert(args, 'ct'); table.insert(args, new.ct) end
  for _, d in ipairs(new.devices) do
    keep[d.id] = true
    table.insert(args, 'd:' .. d.id)
    table.insert(args, packDevice(d))
  end
  local gone = {}
  if not new.tx then table.insert(gone, 'tx') end
  if not new.ls then table.insert(gone, 'ls') end
  if not new.ct then table.insert(gone, 'ct') end
  for _, d in ipairs(old.devices) do
    if not keep[d.id] then table.insert(gone, 'd:' .. d.id) end
  end
  if #gone > 0 and #old.flat > 0 then redis.call('HDEL', key, unpack(gone)) end
  redis.call('HSET', key, unpack(args))
  return redis.call('HGETALL', key)
end

-- Keeps node index key (a set of user ids) in line: the user is in it while it has a device of node.
local function indexNode(indexKey, node, userId, devices)
  if not indexKey then return end
  for _, d in ipairs(devices) do
    if d.node == node then
      redis.call('SADD', indexKey, userId)
      return
    end
  end
  redis.call('SREM', indexKey, userId)
end

-- Replays: Lettuce sends a command again after a reconnect if its answer was lost. The op hash o:{U}
-- keeps, per writer (a node id, or '' for status writes), the last op of the client that wrote it and
-- the record before it, so a replay answers what the first run did instead of running again.
local OP_TTL_MS = 600000

local function replayed(opKey, writer, client, counter, userKey)
  local last = redis.call('HGET', opKey, writer)
  if not last then return nil end
  local lastClient, lastCounter, before = string.match(last, '^([^|]*)|(%d+)|(.*)$')
  -- Only the same op is a replay: ops of one client may arrive out of their counters' order.
  if lastClient ~= client or lastCounter ~= counter then return nil end
  local now = redis.call('HGETALL', userKey)
  if before == '' then
    return {'SAME', now}
  end
  return {'CHANGED', cjson.decode(before), now}
end

local function remember(opKey, writer, client, counter, beforeFlat, changed)
  local before = ''
  if changed then
    before = cjson.encode(beforeFlat)
    if #beforeFlat == 0 then before = '[]' end
  end
  redis.call('HSET', opKey, writer, client .. '|' .. counter .. '|' .. before)
  redis.call('PEXPIRE', opKey, OP_TTL_MS)
end

-- The bus message of a visible change (BusMessages in Java reads it): length-prefixed fields, the
-- lengths in bytes, null as '-': P, origin, then user, state, text, last seen, version before and after.
local function busField(s)
  if not s then return '-' end
  return #s .. ':' .. s
end

local function changeMessage(origin, userId, old, new)
  return busField('P') .. busField(origin)
    .. busField(userId) .. busField(old.st) .. busField(old.tx) .. busField(old.ls) .. busField(fmt(old.v))
    .. busField(userId) .. busField(new.st) .. busField(new.tx) .. busField(new.ls) .. busField(fmt(new.v))
end
