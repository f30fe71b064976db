-- Leaves: the lease ends now; other nodes may claim it once its grace has passed. Idempotent.
-- KEYS: 1 leases, 2 lease details.  ARGV: 1 node id, 2 life.  Returns {'LEFT' or 'GONE', now}.
local now = nowMillis()
local l = readLease(ARGV[1])
if not holds(ARGV[1], ARGV[2], l) then
  return {'GONE', fmt(now)}
end
l.deadline = now
l.alive = now
l.state = 'left'
writeLease(ARGV[1], l)
redis.call('ZADD', KEYS[1], now + l.grace, ARGV[1])
return {'LEFT', fmt(now)}
