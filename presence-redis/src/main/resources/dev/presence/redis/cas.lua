-- Stores a record computed in Java (custom aggregation policies) if nobody changed it since it was read.
-- KEYS: 1 u:{U} record, 2 o:{U} ops, 3 (optional) ni:{T}:N index of the writer node.
-- ARGV: 1 the revision read (0 for a user never recorded), 2 client id, 3 op counter, 4 writer node
--   ('' for status), 5 the writer's lease deadline ('' when not fenced), 6 user id, 7 the shard channel
--   to publish on ('' for none), 8 the message to publish there, 9.. the new record's fields and values,
--   the revision included.
-- Returns {'CHANGED', flatBefore, flatAfter}, {'CONFLICT'} or {'FENCED'}.

local userKey, opKey, indexKey = KEYS[1], KEYS[2], KEYS[3]
local expected, client, counter, writer, deadline, userId = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]

local again = replayed(opKey, writer, client, counter, userKey)
if again then return again end

if deadline ~= '' and nowMillis() >= tonumber(deadline) then
  return {'FENCED'}
end
local revision = redis.call('HGET', userKey, 'r') or '0'
if revision ~= expected then
  return {'CONFLICT'}
end
local before = redis.call('HGETALL', userKey)
local fields = {}
local hasDevice = false
for i = 9, #ARGV, 2 do
  table.insert(fields, ARGV[i])
  table.insert(fields, ARGV[i + 1])
  if writer ~= '' and string.sub(ARGV[i], 1, 2) == 'd:' and string.match(ARGV[i + 1], '^%d+|%a|%a+|%-?%d+|(.*)$') == writer then
    hasDevice = true
  end
end
redis.call('DEL', userKey)
redis.call('HSET', userKey, unpack(fields))
if indexKey and writer ~= '' then
  if hasDevice then redis.call('SADD', indexKey, userId) else redis.call('SREM', indexKey, userId) end
end
if ARGV[7] ~= '' then redis.call('SPUBLISH', ARGV[7], ARGV[8]) end
remember(opKey, writer, client, counter, before, true)
return {'CHANGED', before, redis.call('HGETALL', userKey)}
