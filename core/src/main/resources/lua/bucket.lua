-- Token buckets refilled by Redis server time, for attempts that failed (forged codes, wrong
-- keys). Every bucket named must hold a whole token for the call to pass.
--
-- KEYS: the buckets
-- ARGV: 1 ratePerSecond  2 burst  3 cost (0 only checks)  4 TTL of an idle bucket (s)
-- Returns {1, 0} when allowed (cost taken from every bucket), {0, retryAfterMs} otherwise.

--@include lib/bucket.lua

local rate, burst, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local now = nowMs()
local levels, wait = {}, 0
for i, key in ipairs(KEYS) do
  local b = redis.call('HMGET', key, 'tokens', 'ts')
  levels[i] = refilled(tonumber(b[1]), tonumber(b[2]), rate, burst, now)
  if levels[i] < 1 then
    wait = math.max(wait, waitMs(levels[i], rate))
  end
end
if wait > 0 then
  return {0, wait}
end
if cost > 0 then
  for i, key in ipairs(KEYS) do
    redis.call('HSET', key, 'tokens', tostring(levels[i] - cost), 'ts', tostring(now))
    redis.call('EXPIRE', key, ARGV[4])
  end
end
return {1, 0}
