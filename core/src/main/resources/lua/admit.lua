-- Admission of a batch of claims, atomically, in ONE call. Campaign-wide state (flags, config,
-- server time, round, the campaign's token bucket) is read once per batch and written once; per
-- claim there remain the idempotency record, the citizen's record and the claim's line in the
-- batch's ONE stream entry. Every key shares the hash tag {campaignId}.
--
-- KEYS: 1 flags  2 cfg  3 buckets  4 idempotency  5 citizens  6 contingent  7 issued
--       8 pending-by-merchant  9 seq  10 stream  11 decided  12 eligible
-- ARGV: 1 the id of the Redis server the caller's connection reached (the restore gate)
--       2 the number of claims n, then per claim six values:
--         citizenId, merchantIds (comma separated, preference order), idempotency field,
--         body fingerprint, tier from a verified identity token (or ''), client address
-- Returns one string of space-separated tokens: 'A', the generation, the decided seq, then one
-- answer per claim in order:
--   q:<seq>            admitted now
--   r:<gen>:<seq>      a repeat of an admitted claim (same idempotency field and body)
--   x                  the idempotency field was used with another body
--   p  paused   o:<opensAtMs> not open yet   c  closed   e  not eligible
--   w  too many pending claims   l  limit reached (in total or at every chosen shop)
--   t:<retryAfterMs> throttled (token bucket, the address's bucket, or a shop's queue is full)
--   s  sold out at every chosen shop
-- or 'U' when Redis may have lost this campaign's state and it is not restored for this server
-- yet, 'N' when the campaign has no admission settings here.
--
-- Records (CampaignKeys documents each; Java's CitizenRecord reads and writes the citizen's):
--   idempotency field -> '<gen>:<seq>:<fingerprint>'
--   citizen           -> '<pending>|<held>|,<merchantId>=<held there>,...'
--   bucket            -> '<tokens>:<ms>' (field '~' is the campaign's, others are addresses)
--   stream entry      -> g <gen>  f <first seq>  d <claims, one per line:
--                        citizen TAB merchantIds TAB charged merchant TAB tier>

--@include lib/bucket.lua

local n = tonumber(ARGV[2])
local cfg = redis.call('HMGET', KEYS[2], 'rate', 'burst', 'maxPending', 'capFactor', 'perCitizen', 'perMerchant',
  'rounds', 'minTier', 'addrRate', 'addrBurst', 'server', 'gen', 'forget')
if not cfg[1] then
  return 'N'
end
if cfg[11] ~= ARGV[1] then
  return 'U'
end
local gen = cfg[12]

local ARGS = 6
local function arg(i, k)
  return ARGV[2 + (i - 1) * ARGS + k]
end

-- idempotency first: a repeat gets its ticket in every state of the campaign
local idemFields = {}
for i = 1, n do
  idemFields[i] = arg(i, 3)
end
local idem = redis.call('HMGET', KEYS[4], unpack(idemFields))
local decided = redis.call('GET', KEYS[11]) or '0'

local answers = {}
local pendingWork = {}
local anyNew = false
for i = 1, n do
  local existing = idem[i]
  if existing then
    local g, s, fp = string.match(existing, '^([^:]+):(%d+):(.*)$')
    if fp == arg(i, 4) then
      answers[i] = 'r:' .. g .. ':' .. s
    else
      answers[i] = 'x'
    end
  else
    anyNew = true
  end
end

local now = nowMs()
local paused = redis.call('HGET', KEYS[1], 'paused') == '1'

-- the round window; rounds are "opensMs:closesMs:cumulativeReleaseBp;..."
local releasedBp, open, nextOpen = 0, false, nil
for opens, closes, cumulative in string.gmatch(cfg[7], '(%d+):(%d+):(%d+)') do
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

if not anyNew or paused or not open then
  local refusal = paused and 'p' or (nextOpen and ('o:' .. nextOpen)) or 'c'
  for i = 1, n do
    if not answers[i] then
      answers[i] = anyNew and refusal or answers[i]
    end
  end
  return 'A ' .. gen .. ' ' .. decided .. ' ' .. table.concat(answers, ' ')
end

local rate, burst = tonumber(cfg[1]), tonumber(cfg[2])
local maxPending, perCitizen, perMerchant = tonumber(cfg[3]), tonumber(cfg[5]), tonumber(cfg[6])
local factor = tonumber(cfg[4])
local addrRate, addrBurst = tonumber(cfg[9]), tonumber(cfg[10])
local minTier = cfg[8] and tonumber(cfg[8])

-- what the batch names: its addresses, citizens and merchants, each read once
local bucketFields, bucketIndex = {'~'}, {['~'] = 1}
local citizenFields, citizenIndex = {}, {}
local merchantFields, merchantIndex = {}, {}
for i = 1, n do
  if not answers[i] then
    local address, citizen = arg(i, 6), arg(i, 1)
    if not bucketIndex[address] then
      bucketFields[#bucketFields + 1] = address
      bucketIndex[address] = #bucketFields
    end
    if not citizenIndex[citizen] then
      citizenFields[#citizenFields + 1] = citizen
      citizenIndex[citizen] = #citizenFields
    end
    for m in string.gmatch(arg(i, 2), '[^,]+') do
      if not merchantIndex[m] then
        merchantFields[#merchantFields + 1] = m
        merchantIndex[m] = #merchantFields
      end
    end
  end
end

local function bucketLevel(value, ratePerSecond, size)
  if not value then
    return size
  end
  local tokens, ts = string.match(value, '^([^:]+):(%d+)$')
  return refilled(tonumber(tokens), tonumber(ts), ratePerSecond, size, now)
end

local bucketValues = redis.call('HMGET', KEYS[3], unpack(bucketFields))
local levels = {}
levels[1] = bucketLevel(bucketValues[1], rate, burst)
for k = 2, #bucketFields do
  levels[k] = bucketLevel(bucketValues[k], addrRate, addrBurst)
end

local citizenValues = redis.call('HMGET', KEYS[5], unpack(citizenFields))
local pendingOf, heldOf, heldAt = {}, {}, {}
for k = 1, #citizenFields do
  local v = citizenValues[k]
  if v then
    local p, h, rest = string.match(v, '^(%d+)|(%d+)|(.*)$')
    pendingOf[k], heldOf[k], heldAt[k] = tonumber(p), tonumber(h), rest
  else
    pendingOf[k], heldOf[k], heldAt[k] = 0, 0, ''
  end
end
local tierOf = {}
if minTier then
  local tiers = redis.call('HMGET', KEYS[12], unpack(citizenFields))
  for k = 1, #citizenFields do
    tierOf[k] = tiers[k] and tonumber(tiers[k])
  end
end

local contingent = redis.call('HMGET', KEYS[6], unpack(merchantFields))
local issued = redis.call('HMGET', KEYS[7], unpack(merchantFields))
local queued = redis.call('HMGET', KEYS[8], unpack(merchantFields))
local remaining, queue = {}, {}
for k = 1, #merchantFields do
  remaining[k] = math.floor(tonumber(contingent[k] or '0') * releasedBp / 10000) - tonumber(issued[k] or '0')
  queue[k] = tonumber(queued[k] or '0')
end

-- the vouchers a citizen holds at one shop, from the citizen's record
local function heldHere(k, merchant)
  local rest = heldAt[k]
  if rest == '' then
    return 0
  end
  local at = string.find(rest, ',' .. merchant .. '=', 1, true)
  if not at then
    return 0
  end
  return tonumber(string.match(rest, '^(%d+)', at + #merchant + 2))
end

local seq = tonumber(redis.call('GET', KEYS[9]) or '0')
local firstSeq = seq + 1
local lines = {}
local newIdem = {}
local touchedCitizens, touchedMerchants, touchedBuckets = {}, {}, {}
local seenIdem = {}

for i = 1, n do
  if not answers[i] then
    local citizen, merchants, field, fp, tier, address = arg(i, 1), arg(i, 2), arg(i, 3), arg(i, 4), arg(i, 5), arg(i, 6)
    local repeatOf = seenIdem[field]
    if repeatOf then
      -- the same field twice in one batch: the second is a repeat of the first
      answers[i] = repeatOf.fp == fp and ('r:' .. gen .. ':' .. repeatOf.seq) or 'x'
    else
      local b = bucketIndex[address]
      local k = citizenIndex[citizen]
      if levels[b] < 1 then
        answers[i] = 't:' .. waitMs(levels[b], addrRate)
      else
        -- every attempt inside the round window costs the address a token
        levels[b] = levels[b] - 1
        touchedBuckets[b] = true
        local eligibleTier = tier ~= '' and tonumber(tier) or tierOf[k]
        if minTier and (not eligibleTier or eligibleTier < minTier) then
          answers[i] = 'e'
        elseif pendingOf[k] >= maxPending then
          answers[i] = 'w'
        elseif heldOf[k] + pendingOf[k] >= perCitizen then
          answers[i] = pendingOf[k] > 0 and 'w' or 'l'
        else
          -- the first chosen shop, in preference order, where this citizen may still hold one
          -- and whose queue is below what it can still serve times the factor
          local charged, anyAllowed, anyStock = nil, false, false
          for m in string.gmatch(merchants, '[^,]+') do
            if heldHere(k, m) < perMerchant then
              anyAllowed = true
              local j = merchantIndex[m]
              if remaining[j] > 0 then
                anyStock = true
                if queue[j] < remaining[j] * factor then
                  charged = j
                  break
                end
              end
            end
          end
          if not anyAllowed then
            answers[i] = 'l'
          elseif levels[1] < 1 then
            answers[i] = 't:' .. waitMs(levels[1], rate)
          elseif not charged then
            answers[i] = anyStock and 't:1000' or 's'
          else
            levels[1] = levels[1] - 1
            seq = seq + 1
            queue[charged] = queue[charged] + 1
            touchedMerchants[charged] = true
            pendingOf[k] = pendingOf[k] + 1
            touchedCitizens[k] = true
            newIdem[#newIdem + 1] = field
            newIdem[#newIdem + 1] = gen .. ':' .. seq .. ':' .. fp
            seenIdem[field] = {seq = seq, fp = fp}
            lines[#lines + 1] = citizen .. '\t' .. merchants .. '\t' .. merchantFields[charged] .. '\t' .. tier
            answers[i] = 'q:' .. seq
          end
        end
      end
    end
  end
end

-- aggregated writes: one per hash the batch changed
local bucketWrite = {'~', levels[1] .. ':' .. now}
for b in pairs(touchedBuckets) do
  bucketWrite[#bucketWrite + 1] = bucketFields[b]
  bucketWrite[#bucketWrite + 1] = levels[b] .. ':' .. now
end
redis.call('HSET', KEYS[3], unpack(bucketWrite))
if #lines > 0 then
  redis.call('SET', KEYS[9], seq)
  redis.call('XADD', KEYS[10], '*', 'g', gen, 'f', firstSeq, 'd', table.concat(lines, '\n'))
  redis.call('HSET', KEYS[4], unpack(newIdem))
  redis.call('PEXPIREAT', KEYS[4], cfg[13])
  local citizenWrite = {}
  for k in pairs(touchedCitizens) do
    citizenWrite[#citizenWrite + 1] = citizenFields[k]
    citizenWrite[#citizenWrite + 1] = pendingOf[k] .. '|' .. heldOf[k] .. '|' .. heldAt[k]
  end
  redis.call('HSET', KEYS[5], unpack(citizenWrite))
  redis.call('PEXPIREAT', KEYS[5], cfg[13])
  local merchantWrite = {}
  for j in pairs(touchedMerchants) do
    merchantWrite[#merchantWrite + 1] = merchantFields[j]
    merchantWrite[#merchantWrite + 1] = queue[j]
  end
  redis.call('HSET', KEYS[8], unpack(merchantWrite))
end
return 'A ' .. gen .. ' ' .. decided .. ' ' .. table.concat(answers, ' ')
