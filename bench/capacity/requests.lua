-- Requests taken in turn from a file (BENCH_REQUESTS), one a line:
-- METHOD <tab> PATH <tab> HEADER <tab> VALUE <tab> BODY (empty: none).
-- Each line is sent once per pass over the file: a refresh token is used once.
local requests = {}
local file = assert(io.open(os.getenv("BENCH_REQUESTS")))
for line in file:lines() do
  local method, path, header, value, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
  local headers = {}
  headers[header] = value
  if body == "" then
    body = nil
  else
    headers["Content-Type"] = "application/json"
  end
  table.insert(requests, wrk.format(method, path, headers, body))
end
file:close()

local turn = 0
request = function()
  turn = turn % #requests + 1
  return requests[turn]
end

done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    '{"requests": %d, "seconds": %f, "p50_ms": %f, "p99_ms": %f, "failed": %d}\n',
    summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1e3, latency:percentile(99) / 1e3,
    errors.status + errors.connect + errors.read + errors.write + errors.timeout))
end
