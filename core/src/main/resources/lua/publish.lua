-- Publication of one committed allocator batch. Runs only AFTER the PostgreSQL COMMIT.
-- Idempotent: a batch whose last seq is not above the published 'decided' seq is skipped,
-- so a restarted allocator may publish its last committed batches again without harm.
--
-- KEYS: 1 decided  2 pending-by-citizen  3 pending-by-merchant  4 issued  5 held
--       6 outcomes  7 stream
-- ARGV: 1 lastSeq  2 streamOffset  3 events channel
--       then four lists, each as a count followed by that many (field, value) pairs:
--       citizen pending decrements, merchant pending decrements, issued (absolute),
--       held (absolute); then outcomes as a count and (ticket, json) pairs.
local decided = tonumber(redis.call('GET', KEYS[1]) or '0')
if decided >= tonumber(ARGV[1]) then
  return 0
end
local i = 4
local function each(apply)
  local n = tonumber(ARGV[i])
  i = i + 1
  for _ = 1, n do
    apply(ARGV[i], ARGV[i + 1])
    i = i + 2
  end
end
each(function(citizen, n)
  if redis.call('HINCRBY', KEYS[2], citizen, -tonumber(n)) <= 0 then
    redis.call('HDEL', KEYS[2], citizen)
  end
end)
each(function(merchant, n)
  if redis.call('HINCRBY', KEYS[3], merchant, -tonumber(n)) <= 0 then
    redis.call('HDEL', KEYS[3], merchant)
  end
end)
each(function(merchant, n) redis.call('HSET', KEYS[4], merchant, n) end)
each(function(citizen, n) redis.call('HSET', KEYS[5], citizen, n) end)
local tickets = {}
each(function(ticket, json)
  redis.call('HSET', KEYS[6], ticket, json)
  tickets[#tickets + 1] = ticket
end)
redis.call('SET', KEYS[1], ARGV[1])
redis.call('XTRIM', KEYS[7], 'MINID', ARGV[2])
redis.call('PUBLISH', ARGV[3], ARGV[1] .. '|' .. table.concat(tickets, ','))
return #tickets
