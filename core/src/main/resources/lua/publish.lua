-- Publication of one committed allocator batch. Runs only AFTER the PostgreSQL COMMIT.
-- Idempotent: a batch whose last seq is not above the published 'decided' seq is skipped,
-- so a restarted allocator may publish its last committed batches again without harm.
--
-- A batch of a pre-queue's draw is decided out of seq order: it is published with ARGV[1]
-- 'd<opensAtMs>:<places decided>' instead, is skipped when the campaign's 'drawn' field already
-- holds that many places of that draw, and moves 'drawn', not the decided seq (claims of the draw
-- still waiting must not look passed); the draw's last batch is published with
-- 'e<opensAtMs>:<places>:<lastSeq>': skipped like a batch of that seq, it moves the decided seq,
-- trims the stream and marks every place of the draw published (a stale batch of the draw, from a
-- leader fenced off meanwhile, is then skipped).
--
-- KEYS: 1 campaign  2 citizens  3 merchants  4 outcomes  5 stream
-- ARGV: 1 lastSeq (or the draw's progress, above)  2 streamOffset  3 when outcomes may be forgotten (unix ms)
--       then three lists, each as a count followed by that many groups:
--       citizens (citizenId, decided claims, vouchers held, ',merchantId=held,...'),
--       merchants (merchantId, decided claims charged to its queue),
--       issued (merchantId, vouchers issued: absolute), both kept in the merchants' records;
--       then outcomes as a count and (ticket, json) pairs;
--       then the decisions channel ('' for none: a warm-up's scratch campaign) and the campaign id.
-- The records are admit.lua's (see its header).
-- The outcomes are also PUBLISHed, in the same atomic step that stores them, on the decisions
-- channel that every gateway process subscribes to once (its waiting pages hear their decision
-- from it, not by asking Redis): "decided\ncampaignId\nlastSeq\nticket\njson\nticket\njson...".

--@include lib/records.lua
local drawOpens, drawPlaces = string.match(ARGV[1], '^d(%d+):(%d+)$')
local endOpens, endPlaces, endSeq = string.match(ARGV[1], '^e(%d+):(%d+):(%d+)$')
local lastSeq = endSeq or ARGV[1]
if drawOpens then
  local opens, places = string.match(redis.call('HGET', KEYS[1], 'drawn') or '', '^(%d+):(%d+)$')
  if opens == drawOpens and tonumber(places) >= tonumber(drawPlaces) then
    return 0
  end
else
  local decided = tonumber(redis.call('HGET', KEYS[1], 'decided') or '0')
  if decided >= tonumber(lastSeq) then
    return 0
  end
end
local i = 4

local n = tonumber(ARGV[i])
i = i + 1
if n > 0 then
  writeCitizens(KEYS[2], i, n, 4)
  i = i + n * 4
end

-- merchants: claims released from their queues, and vouchers issued (absolute), in their records
local released, issued, ids, index = {}, {}, {}, {}
local function merchant(id)
  if not index[id] then
    ids[#ids + 1] = id
    index[id] = #ids
  end
  return index[id]
end
n = tonumber(ARGV[i])
i = i + 1
for _ = 1, n do
  released[merchant(ARGV[i])] = tonumber(ARGV[i + 1])
  i = i + 2
end
n = tonumber(ARGV[i])
i = i + 1
for _ = 1, n do
  issued[merchant(ARGV[i])] = ARGV[i + 1]
  i = i + 2
end
if #ids > 0 then
  local records = redis.call('HMGET', KEYS[3], unpack(ids))
  local write = {}
  for j = 1, #ids do
    write[#write + 1] = ids[j]
    write[#write + 1] = merchantRecord(records[j], issued[j], released[j])
  end
  redis.call('HSET', KEYS[3], unpack(write))
end

n = tonumber(ARGV[i])
i = i + 1
if n > 0 then
  local write = {}
  for k = 1, n do
    write[#write + 1] = ARGV[i]
    write[#write + 1] = ARGV[i + 1]
    i = i + 2
  end
  redis.call('HSET', KEYS[4], unpack(write))
  redis.call('PEXPIREAT', KEYS[4], ARGV[3])
  if ARGV[i] ~= '' then
    -- a draw's batch announces the decided seq as it stands (it does not move it)
    local announced = drawOpens and (redis.call('HGET', KEYS[1], 'decided') or '0') or lastSeq
    redis.call('PUBLISH', ARGV[i], 'decided\n' .. ARGV[i + 1] .. '\n' .. announced .. '\n' .. table.concat(write, '\n'))
  end
end
if drawOpens then
  redis.call('HSET', KEYS[1], 'drawn', drawOpens .. ':' .. drawPlaces)
else
  redis.call('HSET', KEYS[1], 'decided', lastSeq)
  if endOpens then
    redis.call('HSET', KEYS[1], 'drawn', endOpens .. ':' .. endPlaces)
  end
  redis.call('XTRIM', KEYS[5], 'MINID', ARGV[2])
end
return n
