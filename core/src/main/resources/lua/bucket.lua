-- Token buckets refilled by Redis server time, for attempts that failed (forged codes, wrong
-- keys). Every bucket named must hold a whole token for the call to pass.
--
-- KEYS: the buckets
-- ARGV: 1 ratePerSecond  2 burst  3 cost (0 only checks)  4 TTL of an idle bucket (s)
-- Returns {1, 0} when allowed (cost taken from every bucket), {0, retryAfterMs} otherwise.
local rate, burst, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local levels, waitMs = {}, 0
for i, key in ipairs(KEYS) do
  local b = redis.call('HMGET', key, 'tokens', 'ts')
  local tokens = tonumber(b[1] or burst)
  tokens = math.min(burst, tokens + math.max(0, now - tonumber(b[2] or now)) * rate / 1000)
  levels[i] = tokens
  if tokens < 1 then
    waitMs = math.max(waitMs, math.ceil((1 - tokens) * 1000 / rate))
  end
end
if waitMs > 0 then
  return {0, waitMs}
end
if cost > 0 then
  for i, key in ipairs(KEYS) do
    redis.call('HSET', key, 'tokens', tostring(levels[i] - cost), 'ts', tostring(now))
    redis.call('EXPIRE', key, ARGV[4])
  end
end
return {1, 0}
