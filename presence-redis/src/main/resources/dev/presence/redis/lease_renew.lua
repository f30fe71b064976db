-- Renews a lease. LOST if the store lost its data (no epoch), the lease was claimed, the node left,
-- or another life of the node joined since. A lease that ran out but was not claimed is revived.
-- KEYS: 1 leases, 2 lease details, 3 epoch.  ARGV: 1 node id, 2 life.
-- Returns {'RENEWED', deadline, now, epoch} or {'LOST', now}.
local now = nowMillis()
local epoch = redis.call('GET', KEYS[3])
local l = readLease(ARGV[1])
if not epoch or not holds(ARGV[1], ARGV[2], l) then
  return {'LOST', fmt(now)}
end
l.deadline = now + l.lease
l.alive = now
writeLease(ARGV[1], l)
redis.call('ZADD', KEYS[1], l.deadline + l.grace, ARGV[1])
return {'RENEWED', fmt(l.deadline), fmt(now), epoch}
