-- Joins as a node: creates the epoch if the store has none, takes over an earlier life of the same
-- node id that was not claimed yet (the joiner sweeps it before it serves), and starts the new lease.
-- KEYS: 1 leases, 2 lease details, 3 sweeping, 4 epoch.
-- ARGV: 1 node id, 2 new life, 3 lease ms, 4 grace ms, 5 '1' if this client saw an epoch before (a
--   missing one then means the store lost its data), else '0'.
-- Returns {epoch, deadline, now, earlier life or '', its alive or ''}.
local node, life, lease, grace = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local now = nowMillis()
local epoch = redis.call('GET', KEYS[4])
if not epoch then
  -- After a loss, versions start at TIME in ms times 1000: above every earlier version unless a user
  -- changed more than 1000 times per millisecond, and below 2^53 (exact in JavaScript) until 2255.
  epoch = '0'
  if ARGV[5] == '1' then epoch = fmt(now * 1000) end
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
return {epoch, fmt(deadline), fmt(now), earlierLife, earlierAlive}
