-- Brings Redis in line with revocations PostgreSQL holds: what the citizens of revoked vouchers
-- hold now (a freed slot lowers it), what each merchant has issued (a freed voucher's stock is
-- back in the pool), and the revoked tickets' published outcomes removed, so that their status is
-- read from PostgreSQL, which shows the revocation. Sent by the leading allocator only, after
-- the publications before it: the values are absolute, as publish.lua's are.
--
-- KEYS: 1 campaign  2 citizens  3 merchants  4 outcomes
-- ARGV: 1 the seq up to which the sender's ledger holds decisions: when Redis has taken
--       publications past it (a newer leader's), nothing is written and 0 returned
--       2 the revocations version to record as applied, or '' (a chunk before the last)
--       then citizens as a count and (citizenId, vouchers held, ',merchantId=held,...') triples,
--       merchants as a count and (merchantId, vouchers issued) pairs,
--       tickets as a count and that many tickets;
--       then the decisions channel and the campaign id: the revoked tickets are published there
--       ("revoked\ncampaignId\n0\nticket\nticket..."), so that gateways forget the outcomes they
--       heard for them.
-- The records are admit.lua's (see its header); a citizen's pending claims and recent requests stay.

--@include lib/records.lua
if tonumber(redis.call('HGET', KEYS[1], 'decided') or '0') > tonumber(ARGV[1]) then
  return 0
end
local i = 3
local n = tonumber(ARGV[i])
i = i + 1
if n > 0 then
  writeCitizens(KEYS[2], i, n, 3)
  i = i + n * 3
end

n = tonumber(ARGV[i])
i = i + 1
if n > 0 then
  local ids = {}
  for k = 1, n do
    ids[k] = ARGV[i + (k - 1) * 2]
  end
  local records = redis.call('HMGET', KEYS[3], unpack(ids))
  local write = {}
  for k = 1, n do
    -- a merchant Redis does not know is left to the next restore
    if records[k] then
      write[#write + 1] = ids[k]
      write[#write + 1] = merchantRecord(records[k], ARGV[i + (k - 1) * 2 + 1], 0)
    end
  end
  if #write > 0 then
    redis.call('HSET', KEYS[3], unpack(write))
  end
  i = i + n * 2
end

n = tonumber(ARGV[i])
i = i + 1
if n > 0 then
  local tickets = {}
  for k = 1, n do
    tickets[k] = ARGV[i + k - 1]
  end
  redis.call('HDEL', KEYS[4], unpack(tickets))
  redis.call('PUBLISH', ARGV[i + n], 'revoked\n' .. ARGV[i + n + 1] .. '\n0\n' .. table.concat(tickets, '\n'))
end
if ARGV[2] ~= '' then
  redis.call('HSET', KEYS[1], 'revokedv', ARGV[2])
end
return 1
