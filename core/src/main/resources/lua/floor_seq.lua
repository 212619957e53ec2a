-- Raises the campaign's admission seq to at least ARGV[1], the last seq that exists (decided in
-- PostgreSQL or still in the stream), so that a Redis that lost data never hands out a seq twice.
-- KEYS: 1 campaign
local current = tonumber(redis.call('HGET', KEYS[1], 'seq') or '0')
if current < tonumber(ARGV[1]) then
  redis.call('HSET', KEYS[1], 'seq', ARGV[1])
end
return 0
