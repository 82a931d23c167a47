-- Replays the requests of a file (BENCH_REQUESTS), one per line:
--   method TAB path TAB headers TAB body, headers as name:value joined by \31.
-- Cycles through them for wrk's duration, or with BENCH_ONCE=1 sends each once
-- and stops when the last answer is in. Answers are tallied by status (and by
-- problem code for 4xx/5xx); done() prints one line: "BENCH <json>".
local requests = {}
local count = 0
local sent = 0
local answered = 0
local once = os.getenv("BENCH_ONCE") == "1"
statuses = {}

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
  if once and answered >= count then wrk.thread:stop() end
end

function done(summary, latency, requests)
  local tally = {}
  for _, thread in ipairs(threads) do
    for key, n in pairs(thread:get("statuses")) do tally[key] = (tally[key] or 0) + n end
  end
  local parts = {}
  for key, n in pairs(tally) do parts[#parts + 1] = string.format('"%s":%d', key, n) end
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests":%d,"durationUs":%d,"socketErrors":%d,"timeouts":%d,' ..
    '"latencyUs":{"p50":%d,"p95":%d,"p99":%d,"max":%d},"statuses":{%s}}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max,
    table.concat(parts, ",")))
end
