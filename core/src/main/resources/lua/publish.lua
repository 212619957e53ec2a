-- Publication of one committed allocator batch. Runs only AFTER the PostgreSQL COMMIT.
-- Idempotent: a batch whose last seq is not above the published 'decided' seq is skipped,
-- so a restarted allocator may publish its last committed batches again without harm.
--
-- KEYS: 1 decided  2 citizens  3 pending-by-merchant  4 issued  5 outcomes  6 stream
-- ARGV: 1 lastSeq  2 streamOffset  3 events channel  4 when outcomes may be forgotten (unix ms)
--       then three lists, each as a count followed by that many groups:
--       citizens (citizenId, decided claims, vouchers held, ',merchantId=held,...'),
--       merchants (merchantId, decided claims charged to its queue),
--       issued (merchantId, vouchers issued: absolute);
--       then outcomes as a count and (ticket, json) pairs.
-- The citizen record is admit.lua's: '<pending>|<held>|,<merchantId>=<held there>,...'.
local decided = tonumber(redis.call('GET', KEYS[1]) or '0')
if decided >= tonumber(ARGV[1]) then
  return 0
end
local i = 5

local n = tonumber(ARGV[i])
i = i + 1
if n > 0 then
  local fields = {}
  for k = 1, n do
    fields[k] = ARGV[i + (k - 1) * 4]
  end
  local records = redis.call('HMGET', KEYS[2], unpack(fields))
  local write, drop = {}, {}
  for k = 1, n do
    local base = i + (k - 1) * 4
    local pending = 0
    if records[k] then
      pending = tonumber(string.match(records[k], '^(%d+)|'))
    end
    pending = math.max(0, pending - tonumber(ARGV[base + 1]))
    local held = ARGV[base + 2]
    if pending == 0 and held == '0' then
      drop[#drop + 1] = fields[k]
    else
      write[#write + 1] = fields[k]
      write[#write + 1] = pending .. '|' .. held .. '|' .. ARGV[base + 3]
    end
  end
  if #write > 0 then
    redis.call('HSET', KEYS[2], unpack(write))
  end
  if #drop > 0 then
    redis.call('HDEL', KEYS[2], unpack(drop))
  end
  i = i + n * 4
end

n = tonumber(ARGV[i])
i = i + 1
for _ = 1, n do
  if redis.call('HINCRBY', KEYS[3], ARGV[i], -tonumber(ARGV[i + 1])) <= 0 then
    redis.call('HDEL', KEYS[3], ARGV[i])
  end
  i = i + 2
end

n = tonumber(ARGV[i])
i = i + 1
if n > 0 then
  local write = {}
  for k = 1, n * 2 do
    write[k] = ARGV[i + k - 1]
  end
  redis.call('HSET', KEYS[4], unpack(write))
  i = i + n * 2
end

n = tonumber(ARGV[i])
i = i + 1
local tickets = {}
if n > 0 then
  local write = {}
  for k = 1, n do
    write[#write + 1] = ARGV[i]
    write[#write + 1] = ARGV[i + 1]
    tickets[k] = ARGV[i]
    i = i + 2
  end
  redis.call('HSET', KEYS[5], unpack(write))
  redis.call('PEXPIREAT', KEYS[5], ARGV[4])
end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('XTRIM', KEYS[6], 'MINID', ARGV[2])
redis.call('PUBLISH', ARGV[3], ARGV[1] .. '|' .. table.concat(tickets, ','))
return #tickets
