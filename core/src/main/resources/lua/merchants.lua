-- Writes merchants' records ('<contingent>|<issued>|<queued>', see admit.lua) atomically, so an
-- operator's change of contingents never overwrites the queues that admission keeps.
-- KEYS: 1 merchants
-- ARGV: 1 'contingent' (set contingents, keep the rest) or 'all' (set all three: a restore)
--       then per merchant: id, contingent, and with 'all' issued and queued
local all = ARGV[1] == 'all'
local step = all and 4 or 2
local ids = {}
for i = 2, #ARGV, step do
  ids[#ids + 1] = ARGV[i]
end
if #ids == 0 then
  return 0
end
local records = redis.call('HMGET', KEYS[1], unpack(ids))
local write = {}
for k = 1, #ids do
  local base = 2 + (k - 1) * step
  local record
  if all then
    record = ARGV[base + 1] .. '|' .. ARGV[base + 2] .. '|' .. ARGV[base + 3]
  else
    local s, q = string.match(records[k] or '0|0|0', '^%d+|(%d+)|(%d+)$')
    record = ARGV[base + 1] .. '|' .. s .. '|' .. q
  end
  write[#write + 1] = ids[k]
  write[#write + 1] = record
end
redis.call('HSET', KEYS[1], unpack(write))
return #ids
