-- Shared by the per-query wrk scripts: POST a GraphQL body, count bad answers.
-- Env: TOKEN (optional bearer token), MAX_TASK_ID (for random ids), GQL_PATH (default /graphql).
wrk.method = "POST"
wrk.path = os.getenv("GQL_PATH") or "/graphql"
wrk.headers["Content-Type"] = "application/json"
local token = os.getenv("TOKEN")
if token and token ~= "" then wrk.headers["Authorization"] = "Bearer " .. token end
if static_body then wrk.body = static_body end

local threads = {}
function setup(thread) table.insert(threads, thread) end

function init(args)
  bad = 0
  math.randomseed(os.time() + (tonumber(tostring({}):match("0x(%x+)"), 16) or 0) % 100000)
end

-- make_body() returns a body, and optionally the headers of that one request (a write sent
-- with another account's token); otherwise wrk.headers are sent.
if make_body then
  function request()
    local body, headers = make_body()
    return wrk.format(nil, nil, headers, body)
  end
end

-- A response is bad if it is not 200 or carries a GraphQL "errors" member.
function response(status, headers, body)
  if status ~= 200 or body:find('"errors"', 1, true) then bad = bad + 1 end
end

function done(summary, latency, requests)
  local b = 0
  for _, t in ipairs(threads) do b = b + (t:get("bad") or 0) end
  io.write(string.format("BENCH requests=%d rps=%.1f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f bad=%d sock_err=%d\n",
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, b,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout))
end
