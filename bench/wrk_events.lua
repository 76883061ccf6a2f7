-- wrk script: replay pre-signed device events from a file, each exactly once.
-- Line format: <timestamp>\t<signature>\t<json body>. Each wrk thread takes every Nth line.
local vendor = os.getenv("BENCH_VENDOR_KEY")
local path = os.getenv("BENCH_EVENTS_FILE")
local target = os.getenv("BENCH_TARGET") or "/api/v1/devices/events"
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  thread:set("count", 0)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  requests = {}
  local n = tonumber(os.getenv("BENCH_THREADS") or "1")
  local i = 0
  for line in io.lines(path) do
    if i % n == id then
      local ts, sig, body = line:match("^(%d+)\t([^\t]+)\t(.*)$")
      requests[#requests + 1] = wrk.format("POST", target, {
        ["Content-Type"] = "application/json",
        ["X-Vendor"] = vendor,
        ["X-Timestamp"] = ts,
        ["X-Signature"] = sig,
      }, body)
    end
    i = i + 1
  end
  index = 0
end

function request()
  index = index + 1
  if index > #requests then index = 1 end
  return requests[index]
end

function response(status, headers, body)
  if status ~= 202 then
    count = count + 1
  end
end

function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("count")
  end
  io.stderr:write(string.format("non-202 answers: %d\n", bad))
  io.write(string.format("JSON{\"requests\":%d,\"duration_us\":%d,\"non_2xx\":%d,\"errors\":%d,\"p50_us\":%d,\"p90_us\":%d,\"p99_us\":%d,\"max_us\":%d,\"bad\":%d}\n",
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, bad))
end
