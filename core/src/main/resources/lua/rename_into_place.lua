-- Puts a hash built under a temporary name in place of the old one, in one atomic step: the old
-- value is freed in the background (UNLINK; a RENAME over it would free a large hash while every
-- other client waits), and the temporary name's expiry is removed from the value it carried.
-- A hash that is not whole (its temporary name expired or was evicted) leaves the old one as it is.
-- KEYS: 1 the hash as built  2 its place
-- ARGV: 1 the number of fields the hash was built with
if redis.call('HLEN', KEYS[1]) ~= tonumber(ARGV[1]) then
  return redis.error_reply('ERR the hash built under ' .. KEYS[1] .. ' is not whole; ' .. KEYS[2] .. ' left as it is')
end
redis.call('UNLINK', KEYS[2])
redis.call('RENAME', KEYS[1], KEYS[2])
redis.call('PERSIST', KEYS[2])
return 1
