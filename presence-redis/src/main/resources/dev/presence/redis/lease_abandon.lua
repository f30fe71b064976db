-- Gives up a lease without a sweep: its node found that part of the store lost its data and will join
-- again and re-assert its devices; a sweep of this life would show its users leaving and coming back.
-- KEYS: 1 leases, 2 lease details.  ARGV: 1 node id, 2 life.  Returns 1 if it held the lease.
local l = readLease(ARGV[1])
if not holds(ARGV[1], ARGV[2], l) then
  return 0
end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return 1
