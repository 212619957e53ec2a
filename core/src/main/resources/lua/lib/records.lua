-- The citizens' and merchants' records as the allocator's scripts rewrite them (their layout is
-- admit.lua's; see its header): the one definition publish.lua and revoked.lua include.

-- A citizen's record holding `held` vouchers (',merchantId=n...' per merchant in heldAt), its
-- pending claims lowered by `decided` (never below 0), its recent requests kept.
local function citizenRecord(old, decided, held, heldAt)
  local pending, requests = 0, ''
  if old then
    local p, r = string.match(old, '^(%d+)|[^|]*|[^|]*|(.*)$')
    pending, requests = tonumber(p), r
  end
  return math.max(0, pending - decided) .. '|' .. held .. '|' .. heldAt .. '|' .. requests
end

-- A merchant's record with `issued` vouchers (nil: as it was) and `released` claims left its queue.
local function merchantRecord(old, issued, released)
  local c, s, q = string.match(old or '0|0|0', '^(%d+)|(%d+)|(%d+)$')
  return c .. '|' .. (issued or s) .. '|' .. math.max(0, tonumber(q) - (released or 0))
end

-- Writes the records of n citizens given in ARGV from index `first`, `stride` values each:
-- citizenId, then (with stride 4) the decided claims that leave pending, then vouchers held and
-- ',merchantId=held,...'. The citizens' recent requests stay: a repeat answers with its ticket.
local function writeCitizens(key, first, n, stride)
  local fields = {}
  for k = 1, n do
    fields[k] = ARGV[first + (k - 1) * stride]
  end
  local records = redis.call('HMGET', key, unpack(fields))
  local write = {}
  for k = 1, n do
    local base = first + (k - 1) * stride
    local decided = stride == 4 and tonumber(ARGV[base + 1]) or 0
    write[#write + 1] = fields[k]
    write[#write + 1] = citizenRecord(records[k], decided, ARGV[base + stride - 2], ARGV[base + stride - 1])
  end
  redis.call('HSET', key, unpack(write))
end
