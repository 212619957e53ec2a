-- Writes a campaign's settings as PostgreSQL has them, atomically and only when newer than what
-- Redis holds (campaign.config_version): the settings, the merchants' contingents (their
-- issued and queued counts kept), and, when one was built, the eligibility list renamed into place.
-- KEYS: 1 campaign  2 merchants  3 eligible  4 the eligibility list built under a temporary name of this writer's
--       (it expires unless renamed into place)
-- ARGV: 1 version  2 the number of entries of the new list built under KEYS[4], or 'keep'  3 the number of
--       settings s, then s (field, value) pairs; a value '' removes the field; then (merchantId, contingent) pairs
-- Returns 1 when written, 0 when Redis already holds that version or a newer one; an error, and nothing
-- written, when the list built is not whole (its temporary name expired or was evicted meanwhile).
if tonumber(redis.call('HGET', KEYS[1], 'cfgv') or '-1') >= tonumber(ARGV[1]) then
  if ARGV[2] ~= 'keep' then
    redis.call('UNLINK', KEYS[4])
  end
  return 0
end
local list = ARGV[2] ~= 'keep' and tonumber(ARGV[2])
if list and list > 0 and redis.call('HLEN', KEYS[4]) ~= list then
  return redis.error_reply('ERR the eligibility list built under ' .. KEYS[4] .. ' is not whole; nothing written')
end
local s = tonumber(ARGV[3])
local set, unset = {'cfgv', ARGV[1]}, {}
for i = 4, 3 + 2 * s, 2 do
  if ARGV[i + 1] == '' then
    unset[#unset + 1] = ARGV[i]
  else
    set[#set + 1] = ARGV[i]
    set[#set + 1] = ARGV[i + 1]
  end
end
redis.call('HSET', KEYS[1], unpack(set))
if #unset > 0 then
  redis.call('HDEL', KEYS[1], unpack(unset))
end
local ids, contingents = {}, {}
for i = 4 + 2 * s, #ARGV, 2 do
  ids[#ids + 1] = ARGV[i]
  contingents[#contingents + 1] = ARGV[i + 1]
end
if #ids > 0 then
  local records = redis.call('HMGET', KEYS[2], unpack(ids))
  local write = {}
  for k = 1, #ids do
    local issued, queued = string.match(records[k] or '0|0|0', '^%d+|(%d+)|(%d+)$')
    write[#write + 1] = ids[k]
    write[#write + 1] = contingents[k] .. '|' .. issued .. '|' .. queued
  end
  redis.call('HSET', KEYS[2], unpack(write))
end
if list then
  -- the old list is freed in the background (a RENAME over it would free it while Redis waits);
  -- the new one (checked whole above) loses the expiry its temporary name carried
  redis.call('UNLINK', KEYS[3])
  if list > 0 then
    redis.call('RENAME', KEYS[4], KEYS[3])
    redis.call('PERSIST', KEYS[3])
  end
end
return 1
