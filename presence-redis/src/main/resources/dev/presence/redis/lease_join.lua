-- Joins as a node: creates the epoch if the store has none, takes over an earlier life of the same
-- node id that was not claimed yet (the joiner sweeps it before it serves), and starts the new lease.
-- KEYS: 1 leases, 2 lease details, 3 sweeping, 4 epoch.
-- ARGV: 1 node id, 2 new life, 3 lease ms, 4 grace ms, 5 '1' if this client saw an epoch before (a
--   missing one then means the store lost its data), else '0'. 6 '1' if this client found that a cluster
--   master lost its data (its sentinel vanished) while the epoch survived: the epoch then moves up to the
--   TIME-based base, so the lost users' new versions are above their old ones.
-- Returns {epoch, deadline, now, earlier life or '', its alive or '', then life, alive of each stalled sweep
-- of this node taken over}, or {'BUSY'} while another live node is sweeping an earlier life of this node
-- (its removals would also remove the new life's devices, which carry the same node id: join waits).
local node, life, lease, grace = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local now = nowMillis()
local stalled = {}
local sweeps = redis.call('ZRANGE', KEYS[3], 0, -1, 'WITHSCORES')
for i = 1, #sweeps, 2 do
  local sweptLife, sweptAlive, sweptNode = string.match(sweeps[i], '^([^|]*)|(%d+)|(.*)$')
  if sweptNode == node then
    if tonumber(sweeps[i + 1]) > now then
      return {'BUSY'}
    end
    table.insert(stalled, {member = sweeps[i], life = sweptLife, alive = sweptAlive})
  end
end
for _, s in ipairs(stalled) do
  redis.call('ZADD', KEYS[3], now + lease + grace, s.member) -- the claimer died: the joiner sweeps it now
end
local epoch = redis.call('GET', KEYS[4])
if not epoch then
  -- After a loss, versions start at TIME in ms times 1000: above every earlier version unless a user
  -- changed more than 1000 times per millisecond, and below 2^53 (exact in JavaScript) until 2255.
  epoch = '0'
  if ARGV[5] == '1' then epoch = fmt(now * 1000) end
  redis.call('SET', KEYS[4], epoch)
elseif ARGV[6] == '1' and tonumber(epoch) < now * 1000 then
  epoch = fmt(now * 1000)
  redis.call('SET', KEYS[4], epoch)
end
local earlierLife, earlierAlive = '', ''
local earlier = readLease(node)
if earlier and redis.call('ZSCORE', KEYS[1], node) then
  earlierLife, earlierAlive = earlier.life, fmt(earlier.alive)
  redis.call('ZREM', KEYS[1], node)
  redis.call('ZADD', KEYS[3], now + lease + grace, earlierLife .. '|' .. earlierAlive .. '|' .. node)
end
local deadline = now + lease
writeLease(node, {life = life, deadline = deadline, lease = lease, grace = grace, alive = now, state = 'alive'})
redis.call('ZADD', KEYS[1], deadline + grace, node)
local reply = {epoch, fmt(deadline), fmt(now), earlierLife, earlierAlive}
for _, s in ipairs(stalled) do
  table.insert(reply, s.life)
  table.insert(reply, s.alive)
end
return reply
