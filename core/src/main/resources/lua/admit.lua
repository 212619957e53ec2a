-- Admission of a batch of claims, atomically, in ONE call. What is campaign-wide (settings,
-- flags, counters, server time, round, the campaign's token bucket) is read once per batch and
-- written once; per claim there remain the idempotency field, the citizen's record and the
-- claim's line in the batch's ONE stream entry. Every key shares the hash tag {campaignId}.
--
-- KEYS: 1 campaign  2 buckets  3 citizens  4 merchants  5 stream  6 eligible
-- ARGV: 1 the id of the Redis server the caller's connection reached (the restore gate)
--       2 the number of claims n, then per claim six values:
--         citizenId, merchantIds (comma separated, preference order), request id (a digest of
--         the caller's key or, without one, of the body), body fingerprint, tier from a verified
--         identity token (or ''), client address
-- Returns one string of space-separated tokens: 'A', the generation, the decided seq, the seq of
-- the batch's first admitted claim, then one answer per claim in order:
--   q                  admitted now, with the next seq (the batch's admitted claims, queued and
--                      prequeued, have consecutive seqs in the batch's order)
--   r:<gen>:<seq>      a repeat of an admitted claim (same idempotency field and body)
--   x                  the idempotency field was used with another body
--   p  paused   o:<opensAtMs> not open yet   c  closed   e  not eligible
--   w  too many pending claims   l  limit reached (in total or at every chosen shop)
--   t:<retryAfterMs> throttled (token bucket, the address's bucket, or a shop's queue is full)
--   s  sold out at every chosen shop
--   P:<seq>:<opensAtMs>:<first seq> prequeued: in the pre-queue of the round that opens then, whose
--                      first claim has that seq
-- or 'U' when Redis may have lost this campaign's state and it is not restored for this server
-- yet, 'N' when the campaign has no admission settings here.
--
-- Records (CampaignKeys names every field; Java's CitizenRecord and StreamEntries read them):
--   campaign hash      rate burst maxPending capFactor perCitizen perMerchant rounds minTier
--                      addrRate addrBurst forget prequeue | paused frozen | seq decided | server gen
--                      | pq '<opensAtMs>:<first seq>:<last seq>' (the pre-queue admitted last)
--                      | bucket '<tokens>:<ms>' (the campaign's token bucket)
--                      | flagsv cfgv (the PostgreSQL versions Redis holds) | revokew revokedv
--                      (revocations wanted, applied); this script reads the first six groups
--   citizens hash      <citizenId> -> '<pending>|<held>|,<merchantId>=<held there>...|;<request id>=<gen>:<seq>:<fp>...'
--                      (the citizen's last 16 admitted requests, for idempotency)
--   merchants hash     <merchantId> -> '<contingent>|<issued>|<claims queued for it>' 
--   buckets hash       <address> -> '<tokens>:<ms>', each client address's bucket (addresses only:
--                      the campaign's own is in the campaign hash, so no address can name it)
--   stream entry       g <gen>  f <first seq>  t <the server time this call judged at>
--                      d <claims, one per line:
--                      citizen TAB merchantIds TAB charged merchant TAB tier TAB request id>
--                      [o <opensAtMs>: a pre-queue's entry, drawn at that opening]
--                      (t is the claims' admission time: Redis before 7.2 takes the id's time when XADD
--                      runs, which may be a millisecond or more later, past an opening)
--
-- The pre-queue (setting 'prequeue', ms before each opening): while no round is open and the next
-- opens within that time, a claim passes every check that does not depend on stock (the address's
-- bucket, eligibility, one waiting claim per citizen, the limits) and joins the pre-queue. The
-- opening is judged by this call's server time, atomically: no entry joins after it.

--@include lib/bucket.lua

-- Written for speed: per claim the script creates as few strings and tables as it can (a claim
-- costs Redis some microseconds, and every concatenation, number formatted or table grown is a
-- measurable part of that), and reads each claim's arguments in one pass.

local n = tonumber(ARGV[2])
local cfg = redis.call('HMGET', KEYS[1], 'rate', 'burst', 'maxPending', 'capFactor', 'perCitizen', 'perMerchant',
  'rounds', 'minTier', 'addrRate', 'addrBurst', 'server', 'gen', 'forget', 'paused', 'seq', 'decided', 'prequeue', 'pq',
  'bucket')
if not cfg[1] then
  return 'N'
end
if cfg[11] ~= ARGV[1] then
  return 'U'
end
local gen = cfg[12]
local decided = cfg[16] or '0'
local format, find, match, gmatch = string.format, string.find, string.match, string.gmatch

-- a table of n slots made at once (arrays grown one slot at a time are reallocated as they grow)
local function slots(count)
  return {unpack(ARGV, 1, count)}
end

-- one pass over the claims: the distinct citizens, addresses and first choices they name
local citizenIndex, citizens, citizenCount = {}, slots(n), 0
local bucketFields, bucketIndex = {}, {}
local firstOf, wanted, wantedBy = slots(n), {}, {}
for i = 1, n do
  local at = (i - 1) * 6 + 2
  local citizen = ARGV[at + 1]
  if not citizenIndex[citizen] then
    citizenCount = citizenCount + 1
    citizens[citizenCount] = citizen
    citizenIndex[citizen] = citizenCount
  end
  local address = ARGV[at + 6]
  if not bucketIndex[address] then
    bucketFields[#bucketFields + 1] = address
    bucketIndex[address] = #bucketFields
  end
  local first = match(ARGV[at + 2], '^[^,]+') or ''
  firstOf[i] = first
  local w = wantedBy[first]
  if w then
    wantedBy[first] = w + 1
  else
    wanted[#wanted + 1] = first
    wantedBy[first] = 1
  end
end

-- one read of the citizens hash. A citizen never seen (most, at a launch) has no record: the
-- four parts stay nil and read as 0, 0, '', ''
local read = redis.call('HMGET', KEYS[3], unpack(citizens, 1, citizenCount))
local pendingOf, heldOf, heldAt, requestsOf = {}, {}, {}, {}
for k = 1, citizenCount do
  local v = read[k]
  if v then
    local p, h, at, requests = match(v, '^(%d+)|(%d+)|([^|]*)|(.*)$')
    pendingOf[k], heldOf[k], heldAt[k], requestsOf[k] = tonumber(p), tonumber(h), at, requests
  end
end

-- a citizen never seen before this batch: the record its first admission here wrote (its requests
-- are searched in it whole: only the requests part holds a ';')
local newRecord = {}

-- a request this citizen made before (in an earlier batch or earlier in this one): its answer,
-- 'r:<gen>:<seq>', or 'x' when the body differs; nil when the request is new
local function earlier(k, request, fp)
  local requests = requestsOf[k] or newRecord[k]
  if not requests or requests == '' then
    return nil
  end
  local at = find(requests, ';' .. request .. '=', 1, true)
  if not at then
    return nil
  end
  local g, sq, f = match(requests, '^([^:;]+):(%d+):([^;]*)', at + #request + 2)
  return f == fp and ('r:' .. g .. ':' .. sq) or 'x'
end

local now = nowMs()

-- the round window; rounds are "opensMs:closesMs:cumulativeReleaseBp;..."
local releasedBp, open, nextOpen = 0, false, nil
for opens, closes, cumulative in gmatch(cfg[7], '(%d+):(%d+):(%d+)') do
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

local answers = slots(n)
local paused = cfg[14] == '1'
local prequeueMs = tonumber(cfg[17] or '')
local prequeued = not open and nextOpen ~= nil and prequeueMs ~= nil and now >= nextOpen - prequeueMs
if paused or not (open or prequeued) then
  -- a repeat gets its ticket in every state of the campaign
  local refusal = paused and 'p' or (nextOpen and ('o:' .. nextOpen)) or 'c'
  for i = 1, n do
    local at = (i - 1) * 6 + 2
    answers[i] = earlier(citizenIndex[ARGV[at + 1]], ARGV[at + 3], ARGV[at + 4]) or refusal
  end
  return 'A ' .. gen .. ' ' .. decided .. ' 0 ' .. table.concat(answers, ' ')
end

local rate, burst = tonumber(cfg[1]), tonumber(cfg[2])
local maxPending, perCitizen, perMerchant = tonumber(cfg[3]), tonumber(cfg[5]), tonumber(cfg[6])
local factor = tonumber(cfg[4])
local addrRate, addrBurst = tonumber(cfg[9]), tonumber(cfg[10])
local minTier = cfg[8] and tonumber(cfg[8])

local tierOf = {}
if minTier then
  local tiers = redis.call('HMGET', KEYS[6], unpack(citizens, 1, citizenCount))
  for k = 1, citizenCount do
    tierOf[k] = tiers[k] and tonumber(tiers[k])
  end
end

local function bucketLevel(value, ratePerSecond, size)
  if not value then
    return size
  end
  local tokens, ts = match(value, '^([^:]+):(%d+)$')
  return refilled(tonumber(tokens), tonumber(ts), ratePerSecond, size, now)
end

local campaignLevel = bucketLevel(cfg[19], rate, burst)
local bucketValues = redis.call('HMGET', KEYS[2], unpack(bucketFields))
local levels = {}
for k = 1, #bucketFields do
  levels[k] = bucketLevel(bucketValues[k], addrRate, addrBurst)
end

-- merchants: a record each, '<contingent>|<issued>|<queued>'. First the first choices; then the
-- other choices of claims whose first choice could fill up within this batch (rarely needed)
local merchantIds, merchantIndex, remaining, queue, kept = {}, {}, {}, {}, {}
local function readMerchants(ids)
  if #ids == 0 then
    return
  end
  local records = redis.call('HMGET', KEYS[4], unpack(ids))
  for j = 1, #ids do
    local c, s, q = '0', '0', '0'
    if records[j] then
      c, s, q = match(records[j], '^(%d+)|(%d+)|(%d+)$')
    end
    local at = #merchantIds + 1
    merchantIds[at] = ids[j]
    merchantIndex[ids[j]] = at
    kept[at] = c .. '|' .. s .. '|'
    remaining[at] = math.floor(tonumber(c) * releasedBp / 10000) - tonumber(s)
    queue[at] = tonumber(q)
  end
end
readMerchants(wanted)
local others, asked = {}, {}
for i = 1, n do
  local at = (i - 1) * 6 + 2
  local first = firstOf[i]
  local j = merchantIndex[first]
  local k = citizenIndex[ARGV[at + 1]]
  if remaining[j] <= 0 or queue[j] + wantedBy[first] >= remaining[j] * factor or (heldAt[k] or '') ~= '' then
    for id in gmatch(ARGV[at + 2], '[^,]+') do
      if not merchantIndex[id] and not asked[id] then
        others[#others + 1] = id
        asked[id] = true
      end
    end
  end
end
readMerchants(others)

-- the vouchers a citizen holds at one shop, from the citizen's record
local function heldHere(k, merchant)
  local rest = heldAt[k]
  if not rest or rest == '' then
    return 0
  end
  local at = find(rest, ',' .. merchant .. '=', 1, true)
  if not at then
    return 0
  end
  return tonumber(match(rest, '^(%d+)', at + #merchant + 2))
end

-- the citizen's requests with one more, the oldest forgotten past 16
local function remember(requests, entry)
  requests = requests .. entry
  -- an entry is some 30 characters: counting is needed only once the string is that long
  if #requests > 400 then
    local _, count = string.gsub(requests, ';', ';')
    while count > 16 do
      requests = string.sub(requests, find(requests, ';', 2, true))
      count = count - 1
    end
  end
  return requests
end

-- small counts as text without formatting a number (pending and held are single digits)
local DIGITS = {[0] = '0', '1', '2', '3', '4', '5', '6', '7', '8', '9'}
local function count(x)
  return DIGITS[x] or format('%d', x)
end

local seq = tonumber(cfg[15] or '0')
local firstSeq = seq + 1
-- the pre-queue's first seq: of the one this opening already has, else this batch's first
local pqFirst = firstSeq
if prequeued then
  local pqOpens, first = match(cfg[18] or '', '^(%d+):(%d+):')
  if pqOpens == tostring(nextOpen) then
    pqFirst = tonumber(first)
  end
end
local lines, lineCount, written, writtenCount = slots(n), 0, slots(2 * n), 0
local touchedMerchants, touchedBuckets = {}, {}

-- admits claim of citizen k, counted in the queue of merchant `charged`: the next seq, the
-- counters, the citizen's record (written as it stands after this claim: a later claim of the
-- same citizen in this batch writes it again, and the last write wins) and the claim's line in
-- the stream entry. A citizen never seen gets the record in one concatenation
local function enqueue(k, charged, citizen, merchants, tier, request, fp)
  seq = seq + 1
  queue[charged] = queue[charged] + 1
  touchedMerchants[charged] = true
  local pending = (pendingOf[k] or 0) + 1
  pendingOf[k] = pending
  local requests = requestsOf[k] or (newRecord[k] and match(newRecord[k], '^[^|]*|[^|]*|[^|]*|(.*)$'))
  local record
  if requests then
    requests = remember(requests, ';' .. request .. '=' .. gen .. ':' .. format('%d', seq) .. ':' .. fp)
    requestsOf[k] = requests
    record = count(pending) .. '|' .. count(heldOf[k] or 0) .. '|' .. (heldAt[k] or '') .. '|' .. requests
  else
    record = count(pending) .. '|0||;' .. request .. '=' .. gen .. ':' .. format('%d', seq) .. ':' .. fp
    newRecord[k] = record
  end
  written[writtenCount + 1] = citizen
  written[writtenCount + 2] = record
  writtenCount = writtenCount + 2
  lineCount = lineCount + 1
  lines[lineCount] = citizen .. '\t' .. merchants .. '\t' .. merchantIds[charged] .. '\t' .. tier .. '\t' .. request
end

for i = 1, n do
  local at = (i - 1) * 6 + 2
  local citizen, merchants, request, fp, tier = ARGV[at + 1], ARGV[at + 2], ARGV[at + 3], ARGV[at + 4], ARGV[at + 5]
  local k = citizenIndex[citizen]
  -- idempotency first: a request seen before, in an earlier batch or in this one
  local answer = earlier(k, request, fp)
  if answer then
    answers[i] = answer
  else
    local b = bucketIndex[ARGV[at + 6]]
    if levels[b] < 1 then
      answers[i] = 't:' .. waitMs(levels[b], addrRate)
    else
      -- every attempt inside the round window costs the address a token
      levels[b] = levels[b] - 1
      touchedBuckets[b] = true
      local pending, held = pendingOf[k] or 0, heldOf[k] or 0
      local eligibleTier = tier ~= '' and tonumber(tier) or tierOf[k]
      if minTier and (not eligibleTier or eligibleTier < minTier) then
        answers[i] = 'e'
      elseif pending >= (prequeued and 1 or maxPending) then
        answers[i] = 'w'
      elseif held + pending >= perCitizen then
        answers[i] = pending > 0 and 'w' or 'l'
      elseif prequeued then
        -- stock is not judged before the draw: the claim counts in the queue of its first chosen
        -- shop where the citizen may still hold one
        local charged
        for id in gmatch(merchants, '[^,]+') do
          if not merchantIndex[id] then
            readMerchants({id})
          end
          if heldHere(k, id) < perMerchant then
            charged = merchantIndex[id]
            break
          end
        end
        if not charged then
          answers[i] = 'l'
        else
          enqueue(k, charged, citizen, merchants, tier, request, fp)
          answers[i] = 'P:' .. format('%d', seq) .. ':' .. nextOpen .. ':' .. pqFirst
        end
      else
        -- the first chosen shop, in preference order, with stock left, where this citizen may
        -- still hold one, and whose queue is below what it can still serve times the factor;
        -- stock is judged before the per-shop limit, as the allocator's ledger does. Most
        -- claims are served by their first choice, which is tried without walking the list
        local charged, anyStock, blocked = nil, false, false
        local j = merchantIndex[firstOf[i]]
        if remaining[j] > 0 and queue[j] < remaining[j] * factor and heldHere(k, firstOf[i]) < perMerchant then
          charged = j
        else
          for id in gmatch(merchants, '[^,]+') do
            if not merchantIndex[id] then
              readMerchants({id})
            end
            j = merchantIndex[id]
            if remaining[j] > 0 then
              if heldHere(k, id) >= perMerchant then
                blocked = true
              else
                anyStock = true
                if queue[j] < remaining[j] * factor then
                  charged = j
                  break
                end
              end
            end
          end
        end
        if not charged then
          answers[i] = anyStock and 't:1000' or blocked and 'l' or 's'
        elseif campaignLevel < 1 then
          answers[i] = 't:' .. waitMs(campaignLevel, rate)
        else
          campaignLevel = campaignLevel - 1
          enqueue(k, charged, citizen, merchants, tier, request, fp)
          answers[i] = 'q'
        end
      end
    end
  end
end

-- numbers given to redis.call as text made here ('%d'): Redis 7.2.0-7.2.4 turned a Lua number with
-- few significant digits into scientific notation (1.7651e+12), which no reader parses
--
-- aggregated writes: one per hash the batch changed (the addresses' buckets when any claim took a
-- token; the campaign's, in the campaign hash, when a claim was queued: only that takes its token)
if next(touchedBuckets) then
  local bucketWrite = {}
  for b in pairs(touchedBuckets) do
    bucketWrite[#bucketWrite + 1] = bucketFields[b]
    bucketWrite[#bucketWrite + 1] = levels[b] .. ':' .. now
  end
  redis.call('HSET', KEYS[2], unpack(bucketWrite))
end
if lineCount > 0 then
  if prequeued then
    redis.call('HSET', KEYS[1], 'seq', format('%d', seq), 'pq', nextOpen .. ':' .. pqFirst .. ':' .. seq)
    redis.call('XADD', KEYS[5], '*', 'g', gen, 'f', format('%d', firstSeq), 't', format('%d', now),
      'o', format('%d', nextOpen), 'd', table.concat(lines, '\n', 1, lineCount))
  else
    redis.call('HSET', KEYS[1], 'seq', format('%d', seq), 'bucket', campaignLevel .. ':' .. now)
    redis.call('XADD', KEYS[5], '*', 'g', gen, 'f', format('%d', firstSeq), 't', format('%d', now), 'd',
      table.concat(lines, '\n', 1, lineCount))
  end
  redis.call('HSET', KEYS[3], unpack(written, 1, writtenCount))
  -- the records' expiry is set again every 1024 claims: a call saved per batch
  if firstSeq == 1 or math.floor(seq / 1024) ~= math.floor((firstSeq - 1) / 1024) then
    redis.call('PEXPIREAT', KEYS[3], cfg[13])
  end
  -- only the queue changed; contingent and issued as read in this same atomic call
  local write = {}
  for j in pairs(touchedMerchants) do
    write[#write + 1] = merchantIds[j]
    write[#write + 1] = kept[j] .. format('%d', queue[j])
  end
  redis.call('HSET', KEYS[4], unpack(write))
end
return 'A ' .. gen .. ' ' .. decided .. ' ' .. firstSeq .. ' ' .. table.concat(answers, ' ')
