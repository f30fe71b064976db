-- Claims, for the calling node, every other node whose lease and grace ran out, and takes over every
-- sweep whose claimer's lease and grace ran out before it finished. A caller whose own lease ran out
-- claims nothing. A claimed node leaves the leases ZSET (its renewals answer LOST, nobody else claims
-- it) for the sweeping ZSET.
-- KEYS: 1 leases, 2 lease details, 3 sweeping, 4 restart guard hash.
-- ARGV: 1 caller node id, 2 caller life, 3 the server's run id. A server restart (from an old RDB, say)
--   makes every lease in it look expired, so after a new run id nobody is claimed for one lease.
-- Returns a flat list: life, alive, node, life, alive, node...
local now = nowMillis()
local me = readLease(ARGV[1])
if not holds(ARGV[1], ARGV[2], me) or me.deadline <= now then
  return {}
end
local guard = redis.call('HMGET', KEYS[4], 'run', 'until')
if not guard[1] then
  redis.call('HSET', KEYS[4], 'run', ARGV[3], 'until', '0') -- a first run id is a fresh store, not a restart
elseif guard[1] ~= ARGV[3] then
  redis.call('HSET', KEYS[4], 'run', ARGV[3], 'until', fmt(now + me.lease))
  return {}
elseif tonumber(guard[2]) > now then
  return {}
end
local mine = me.deadline + me.grace
local claimed = {}
for _, node in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)) do
  local l = readLease(node)
  if node ~= ARGV[1] and l then
    local member = l.life .. '|' .. fmt(l.alive) .. '|' .. node
    redis.call('ZREM', KEYS[1], node)
    redis.call('ZADD', KEYS[3], mine, member)
    table.insert(claimed, l.life); table.insert(claimed, fmt(l.alive)); table.insert(claimed, node)
  elseif node ~= ARGV[1] then
    redis.call('ZREM', KEYS[1], node)
  end
end
for _, member in ipairs(redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now)) do
  local life, alive, node = string.match(member, '^([^|]*)|(%d+)|(.*)$')
  redis.call('ZADD', KEYS[3], mine, member)
  table.insert(claimed, life); table.insert(claimed, alive); table.insert(claimed, node)
end
return claimed
