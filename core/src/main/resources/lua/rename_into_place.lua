-- Puts a hash built under a temporary name in place of the old one, in one atomic step: the old
-- value is freed in the background (UNLINK; a RENAME over it would free a large hash while every
-- other client waits), and the temporary name's expiry is removed from the value it carried.
-- KEYS: 1 the hash as built  2 its place
redis.call('UNLINK', KEYS[2])
redis.call('RENAME', KEYS[1], KEYS[2])
redis.call('PERSIST', KEYS[2])
return 1
