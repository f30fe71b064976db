-- Ends the sweep of one life of a node: forgets the claim and, unless the node joined again since,
-- its lease details. KEYS: 1 leases, 2 lease details, 3 sweeping, 4 the life's slot set.
-- ARGV: 1 node id, 2 life, 3 alive.
redis.call('ZREM', KEYS[3], ARGV[2] .. '|' .. ARGV[3] .. '|' .. ARGV[1])
local l = readLease(ARGV[1])
if l and l.life == ARGV[2] then
  redis.call('HDEL', KEYS[2], ARGV[1])
end
redis.call('DEL', KEYS[4])
return 1
