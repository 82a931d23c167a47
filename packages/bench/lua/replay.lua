-- Replays the requests of a file (BENCH_REQUESTS), one per line:
--   method TAB path TAB headers TAB body, headers as name:value joined by \31.
-- Cycles through them for wrk's duration, or with BENCH_ONCE=1 sends each once:
-- when the last answer is in it prints "BENCH-SENT" so that the caller stops wrk
-- with SIGINT (wrk's main thread otherwise sleeps out -d), and the span from the
-- first request to the last answer, not -d, is the run's duration. Answers are
-- tallied by status (and by problem code for 4xx/5xx); done() prints one line,
-- "BENCH <json>".
local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clock, bench_timespec *now);
]]
local clock = ffi.new("bench_timespec")
local function now_us()
  ffi.C.clock_gettime(1, clock) -- CLOCK_MONOTONIC
  return tonumber(clock.tv_sec) * 1000000 + math.floor(tonumber(clock.tv_nsec) / 1000)
end
local requests = {}
local count = 0
local sent = 0
local answered = 0
local once = os.getenv("BENCH_ONCE") == "1"
-- Read by done() through thread:get, so global.
statuses = {}
first_sent_us = 0
last_answer_us = 0

local threads = {}
function setup(thread)
  threads[#threads + 1] = thread
end

function init(args)
  for line in io.lines(os.getenv("BENCH_REQUESTS")) do
    local method, path, header_text, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
    local headers = {}
    for name, value in header_text:gmatch("([^:\31]+):([^\31]*)") do headers[name] = value end
    if body == "" then body = nil else headers["content-type"] = "application/json" end
    count = count + 1
    requests[count] = wrk.format(method, path, headers, body)
  end
end

-- wrk calls request() once before the run, on thread 0, only to count pipelined
-- requests; that call sends nothing, so it must not use one up. Run with -t1.
local verified = false

function request()
  if not verified then
    verified = true
    return requests[1]
  end
  -- An empty request leaves the connection idle: once mode sends nothing twice.
  if once and sent >= count then return "" end
  sent = sent + 1
  if sent == 1 then first_sent_us = now_us() end
  return requests[(sent - 1) % count + 1]
end

function response(status, headers, body)
  local key = tostring(status)
  if status >= 400 then
    local code = body and body:match('"code":"([^"]*)"')
    if code then key = key .. " " .. code end
  end
  statuses[key] = (statuses[key] or 0) + 1
  answered = answered + 1
  if once and answered == count then
    last_answer_us = now_us()
    io.stdout:write("BENCH-SENT\n")
    io.stdout:flush()
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local tally = {}
  local span_us = summary.duration
  for _, thread in ipairs(threads) do
    for key, n in pairs(thread:get("statuses")) do tally[key] = (tally[key] or 0) + n end
    if once then span_us = thread:get("last_answer_us") - thread:get("first_sent_us") end
  end
  local parts = {}
  for key, n in pairs(tally) do parts[#parts + 1] = string.format('"%s":%d', key, n) end
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests":%d,"durationUs":%d,"socketErrors":%d,"timeouts":%d,' ..
    '"latencyUs":{"p50":%d,"p95":%d,"p99":%d,"max":%d},"statuses":{%s}}\n',
    summary.requests, span_us, e.connect + e.read + e.write, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max,
    table.concat(parts, ",")))
end
