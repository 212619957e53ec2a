-- Token buckets refilled by Redis server time: the one definition every script includes.
-- A bucket is {tokens, ts}: its level at ts (ms). A bucket never seen is full.
local function refilled(tokens, ts, ratePerSecond, burst, nowMs)
  if not tokens then
    return burst
  end
  return math.min(burst, tokens + math.max(0, nowMs - ts) * ratePerSecond / 1000)
end

-- How long until a bucket at level tokens holds one whole token.
local function waitMs(tokens, ratePerSecond)
  return math.ceil((1 - tokens) * 1000 / ratePerSecond)
end

local function nowMs()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
