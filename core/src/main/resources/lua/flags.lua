-- Sets the operator's flags in the campaign hash as PostgreSQL has them, but only when they are
-- newer than what Redis holds: racing operator actions, a restore and the allocator's
-- reconciliation all end with Redis in PostgreSQL's latest state, never an older one.
-- KEYS: 1 campaign
-- ARGV: 1 version (PostgreSQL's campaign.flags_version)  2 paused ('1' or '0')  3 frozen
-- Returns 1 when written, 0 when Redis already holds that version or a newer one.
if tonumber(redis.call('HGET', KEYS[1], 'flagsv') or '-1') >= tonumber(ARGV[1]) then
  return 0
end
redis.call('HSET', KEYS[1], 'flagsv', ARGV[1], 'paused', ARGV[2], 'frozen', ARGV[3])
return 1
