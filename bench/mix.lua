-- wrk script for the Rapport benchmark (see bench/load.py).
-- Replays a tab-separated request file (METHOD \t PATH \t BODY per line); thread k of T
-- sends lines k, k+T, … (wrapping) and stops after its share of responses.
local ffi = require("ffi")
ffi.cdef[[
struct bench_timeval { long tv_sec; long tv_usec; };
int gettimeofday(struct bench_timeval *tv, void *tz);
]]
local tv = ffi.new("struct bench_timeval")
local function now_us()
  ffi.C.gettimeofday(tv, nil)
  return tonumber(tv.tv_sec) * 1000000 + tonumber(tv.tv_usec)
end

local threads = {}
local next_tid = 0

function setup(thread)
  next_tid = next_tid + 1
  thread:set("tid", next_tid)
  table.insert(threads, thread)
end

local requests = {}
local quota = 0
local pos = 0
received, non2xx, writes, first_us, last_us, statuses = 0, 0, 0, 0, 0, ""
local status_counts = {}
local finished = false

function init(args)
  local total = tonumber(os.getenv("BENCH_THREADS"))
  local auth = os.getenv("BENCH_AUTH")
  local i = 0
  for line in io.lines(os.getenv("BENCH_REQUESTS")) do
    if i % total == tid - 1 then
      local method, path, body = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
      local headers = { ["Authorization"] = auth }
      if body == "" then
        body = nil
      else
        headers["Content-Type"] = "application/json"
      end
      table.insert(requests, { wrk.format(method, path, headers, body), method == "POST" and path:find("/events") ~= nil })
    end
    i = i + 1
  end
  quota = #requests
end

function request()
  if first_us == 0 then first_us = now_us() end
  pos = pos % #requests + 1
  local r = requests[pos]
  if r[2] then writes = writes + 1 end
  return r[1]
end

function response(status, headers, body)
  if finished then return end
  received = received + 1
  status_counts[status] = (status_counts[status] or 0) + 1
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
  if received >= quota then
    finished = true
    last_us = now_us()
    local parts = {}
    for s, c in pairs(status_counts) do table.insert(parts, '"' .. s .. '":' .. c) end
    statuses = table.concat(parts, ",")
    local f = io.open(os.getenv("BENCH_DONE_DIR") .. "/done-" .. tid, "w")
    f:write(tostring(last_us))
    f:close()
    wrk.thread:stop()
  end
end

function done(summary, latency, requests_)
  local agg = { received = 0, non2xx = 0, writes = 0, first_us = nil, last_us = 0 }
  local merged = {}
  for _, t in ipairs(threads) do
    agg.received = agg.received + t:get("received")
    agg.non2xx = agg.non2xx + t:get("non2xx")
    agg.writes = agg.writes + t:get("writes")
    local f, l = t:get("first_us"), t:get("last_us")
    if agg.first_us == nil or f < agg.first_us then agg.first_us = f end
    if l > agg.last_us then agg.last_us = l end
    for s, c in string.gmatch(t:get("statuses"), '"(%d+)":(%d+)') do
      merged[s] = (merged[s] or 0) + tonumber(c)
    end
  end
  local parts = {}
  for s, c in pairs(merged) do table.insert(parts, '"' .. s .. '":' .. c) end
  local e = summary.errors
  local out = string.format(
    '{"received":%d,"non2xx":%d,"writes":%d,"first_us":%d,"last_us":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f,' ..
    '"wrk_requests":%d,"statuses":{%s},' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d,"status":%d}}',
    agg.received, agg.non2xx, agg.writes, agg.first_us or 0, agg.last_us,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
    summary.requests, table.concat(parts, ","),
    e.connect, e.read, e.write, e.timeout, e.status)
  local f = io.open(os.getenv("BENCH_RESULT"), "w")
  f:write(out)
  f:close()
end
