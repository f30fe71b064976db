-- Reads many records in one call (standalone only: on a cluster the keys span slots).
-- KEYS: the u:{U} records. Returns one HGETALL array per key, in order.
local result = {}
for i, key in ipairs(KEYS) do
  result[i] = redis.call('HGETALL', key)
end
return result
