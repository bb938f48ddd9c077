-- wrk script of bench/load/run.sh: one case, described by the environment.
--   LOAD_METHOD          GET (default) or POST
--   LOAD_PATHS           file of request paths, one a line, used in turn
--   LOAD_BODIES          POST only: file of JSON bodies, one a line, used in turn
--   LOAD_TOKEN           the bearer token
--   LOAD_IF_NONE_MATCH   optional If-None-Match value (the 304 artefact pull)
-- Each thread starts at its own line. done() prints one line for run.sh:
--   RESULT requests=… seconds=… rps=… p50_ms=… p99_ms=… max_ms=… status_errors=… socket_errors=… bytes_per_request=…
-- status_errors is wrk's count of answers with a status of 400 or more (everything not 2xx/3xx);
-- socket_errors adds up connect, read, write errors and timeouts.

local threads = {}
local counter = 0

function setup(thread)
  thread:set("offset", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local paths, bodies = {}, {}
local method = "GET"
local turn = 0

local function read_lines(file)
  local out = {}
  for line in io.lines(file) do
    if line ~= "" then out[#out + 1] = line end
  end
  if #out == 0 then error(file .. " has no lines") end
  return out
end

function init(args)
  method = os.getenv("LOAD_METHOD") or "GET"
  paths = read_lines(os.getenv("LOAD_PATHS"))
  local body_file = os.getenv("LOAD_BODIES")
  if body_file ~= nil and body_file ~= "" then
    bodies = read_lines(body_file)
    wrk.headers["Content-Type"] = "application/json"
  end
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("LOAD_TOKEN")
  local etag = os.getenv("LOAD_IF_NONE_MATCH")
  if etag ~= nil and etag ~= "" then wrk.headers["If-None-Match"] = etag end
  -- spread the threads over the lists
  turn = (tonumber(offset) or 0) * 7919
end

function request()
  turn = turn + 1
  local path = paths[turn % #paths + 1]
  local body = nil
  if #bodies > 0 then body = bodies[turn % #bodies + 1] end
  return wrk.format(method, path, nil, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  local seconds = summary.duration / 1e6
  local n = summary.requests
  io.write(string.format(
    "RESULT requests=%d seconds=%.2f rps=%.0f p50_ms=%.2f p99_ms=%.2f max_ms=%.2f status_errors=%d socket_errors=%d bytes_per_request=%.0f\n",
    n, seconds, n / seconds,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    e.status, e.connect + e.read + e.write + e.timeout,
    n > 0 and summary.bytes / n or 0))
end
