-- Admission of one claim, atomically, in ONE round trip. Every key shares the hash tag
-- {campaignId}, so the script is Redis-Cluster-safe.
--
-- KEYS: 1 flags  2 cfg  3 bucket  4 idempotency  5 pending-by-citizen  6 pending-by-merchant
--       7 contingent  8 issued  9 seq  10 stream  11 tickets  12 held  13 decided  14 eligible
--       15 the client address's bucket
-- ARGV: 1 ticket  2 citizenId  3 merchantIds (comma separated, preference order)
--       4 idempotency TTL (s)  5 tier from a verified identity token, or 
-- Returns one of:
--   {'paused'} {'unknown'} {'not_open', opensAtMs} {'closed'} {'not_eligible'} {'limit'} {'sold_out'}
--   {'throttled', retryAfterMs}
--   {'queued', ticket, seq, decidedSeq}   {'repeat', ticket, seq, decidedSeq}

-- 1. kill switch: read in the same atomic step that admits, so nothing passes a pause
if redis.call('HGET', KEYS[1], 'paused') == '1' then
  return {'paused'}
end

local cfg = redis.call('HMGET', KEYS[2], 'rate', 'burst', 'maxPending', 'capFactor', 'perCitizen', 'rounds', 'minTier',
  'addrRate', 'addrBurst')
if not cfg[1] then
  return {'unknown'}
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

-- 2. round window; rounds are "opensMs:closesMs:cumulativeReleaseBp;..."
local releasedBp, open, nextOpen = 0, false, nil
for opens, closes, cumulative in string.gmatch(cfg[6], '(%d+):(%d+):(%d+)') do
  opens = tonumber(opens)
  if opens <= now then
    releasedBp = tonumber(cumulative)
    if now < tonumber(closes) then
      open = true
    end
  elseif not nextOpen then
    nextOpen = opens
  end
end
if not open then
  if nextOpen then
    return {'not_open', tostring(nextOpen)}
  end
  return {'closed'}
end

-- 2b. the client address's own bucket, so that one address cannot drain the campaign's budget;
--     every attempt past the round window costs the address a token
local function refill(key, rate, burst)
  local b = redis.call('HMGET', key, 'tokens', 'ts')
  local level = tonumber(b[1] or burst)
  return math.min(burst, level + math.max(0, now - tonumber(b[2] or now)) * rate / 1000)
end
local addrRate, addrBurst = tonumber(cfg[8] or '20'), tonumber(cfg[9] or '60')
local addrTokens = refill(KEYS[15], addrRate, addrBurst)
if addrTokens < 1 then
  return {'throttled', tostring(math.ceil((1 - addrTokens) * 1000 / addrRate))}
end
redis.call('HSET', KEYS[15], 'tokens', tostring(addrTokens - 1), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[15], math.ceil(addrBurst * 1000 / addrRate) + 1000)

-- 3. idempotency: a repeat returns the same ticket and is not queued again
local existing = redis.call('GET', KEYS[4])
if existing then
  local seq = redis.call('HGET', KEYS[11], existing) or '0'
  return {'repeat', existing, seq, redis.call('GET', KEYS[13]) or '0'}
end

-- 4. eligibility, when the campaign has any (minTier set): a verified token's tier, else the list
if cfg[7] then
  local tier = ARGV[5]
  if tier == '' then
    tier = redis.call('HGET', KEYS[14], ARGV[2])
  end
  if not tier or tonumber(tier) < tonumber(cfg[7]) then
    return {'not_eligible'}
  end
end

-- 5. the citizen's pending claims, and what they already hold
local pending = tonumber(redis.call('HGET', KEYS[5], ARGV[2]) or '0')
if pending >= tonumber(cfg[3]) then
  return {'throttled', '1000'}
end
local held = tonumber(redis.call('HGET', KEYS[12], ARGV[2]) or '0')
if held + pending >= tonumber(cfg[5]) then
  if pending > 0 then
    return {'throttled', '1000'}
  end
  return {'limit'}
end

-- 6. token bucket, refilled by Redis server time
local rate, burst = tonumber(cfg[1]), tonumber(cfg[2])
local tokens = refill(KEYS[3], rate, burst)
if tokens < 1 then
  redis.call('HSET', KEYS[3], 'tokens', tostring(tokens), 'ts', tostring(now))
  return {'throttled', tostring(math.ceil((1 - tokens) * 1000 / rate))}
end

-- 7. inventory-aware cap: the first chosen merchant whose queue is below remaining x factor
local factor = tonumber(cfg[4])
local charged, anyStock = nil, false
for merchant in string.gmatch(ARGV[3], '[^,]+') do
  local contingent = tonumber(redis.call('HGET', KEYS[7], merchant) or '0')
  local issued = tonumber(redis.call('HGET', KEYS[8], merchant) or '0')
  local remaining = math.floor(contingent * releasedBp / 10000) - issued
  if remaining > 0 then
    anyStock = true
    local queued = tonumber(redis.call('HGET', KEYS[6], merchant) or '0')
    if queued < remaining * factor then
      charged = merchant
      break
    end
  end
end
if not charged then
  if anyStock then
    return {'throttled', '1000'}
  end
  return {'sold_out'}
end

-- 8. admit: append to the waiting room
redis.call('HSET', KEYS[3], 'tokens', tostring(tokens - 1), 'ts', tostring(now))
local seq = redis.call('INCR', KEYS[9])
redis.call('XADD', KEYS[10], '*', 't', ARGV[1], 'c', ARGV[2], 'm', ARGV[3], 'k', charged, 's', tostring(seq),
  'r', ARGV[5])
redis.call('HSET', KEYS[11], ARGV[1], tostring(seq))
redis.call('HINCRBY', KEYS[5], ARGV[2], 1)
redis.call('HINCRBY', KEYS[6], charged, 1)
redis.call('SET', KEYS[4], ARGV[1], 'EX', ARGV[4])
return {'queued', ARGV[1], tostring(seq), redis.call('GET', KEYS[13]) or '0'}
