-- Shared by the lease scripts (prepended to each). Every lease key carries the tag {L}, so each
-- script runs in one slot. KEYS[1] is the ZSET of live leases: member = node id, score = the store
-- time (ms) from which the node may be claimed (its deadline plus its grace). KEYS[2] is the hash of
-- lease details: field = node id, value = "life|deadline|lease|grace|alive|state", where life is a
-- random id per join, alive the last renewal or the time the node left (the swept users' last seen),
-- state alive or left. KEYS[3] is the ZSET of claimed nodes being swept: member
-- "<life>|<alive>|<node>", score the claimer's own claimable time, so that when a claimer dies before
-- it finishes, another node takes its sweep over.

local function nowMillis()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function fmt(n)
  return string.format('%.0f', n)
end

local function readLease(node)
  local packed = redis.call('HGET', KEYS[2], node)
  if not packed then return nil end
  local life, deadline, lease, grace, alive, state = string.match(packed, '^([^|]*)|(%d+)|(%d+)|(%d+)|(%d+)|(%a+)$')
  return {life = life, deadline = tonumber(deadline), lease = tonumber(lease), grace = tonumber(grace),
    alive = tonumber(alive), state = state}
end

local function writeLease(node, l)
  redis.call('HSET', KEYS[2], node, l.life .. '|' .. fmt(l.deadline) .. '|' .. fmt(l.lease) .. '|' .. fmt(l.grace)
    .. '|' .. fmt(l.alive) .. '|' .. l.state)
end

-- Whether the node holds the live lease of that life.
local function holds(node, life, l)
  return l ~= nil and l.life == life and l.state == 'alive' and redis.call('ZSCORE', KEYS[1], node) ~= false
end
