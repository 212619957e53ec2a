-- Raises the admission seq counter to at least ARGV[1], the last seq PostgreSQL has decided,
-- so that a Redis that lost data never hands out a seq that was already decided.
-- KEYS: 1 seq
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if current < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[1])
end
return 0
