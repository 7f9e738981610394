-- wrk script of scripts/bench. BENCH_MODE=plain: the URL as given; get / post: the
-- step in BENCH_DRAFTS (written by `bench_driver drafts`), each request with the next
-- draft cookie of this thread's share, so connections do not queue on one draft row.
-- Prints one parseable RESULT line.

local mode = os.getenv("BENCH_MODE") or "plain"
local threads_total = tonumber(os.getenv("BENCH_THREADS") or "1")
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end

if mode ~= "plain" then
  local path, body
  local drafts = {}
  local next_draft = 0

  function init(args)
    local n = 0
    for line in io.lines(os.getenv("BENCH_DRAFTS")) do
      local kind, a, b = line:match("^(%u+)\t([^\t]*)\t?(.*)$")
      if kind == "PATH" then
        path = a
      elseif kind == "BODY" then
        body = a
      elseif kind == "C" then
        if n % threads_total == id then
          table.insert(drafts, { cookie = a, csrf = b })
        end
        n = n + 1
      end
    end
  end

  function request()
    next_draft = next_draft % #drafts + 1
    local d = drafts[next_draft]
    if mode == "get" then
      return wrk.format("GET", path, { ["Cookie"] = d.cookie })
    end
    return wrk.format("POST", path, {
      ["Cookie"] = d.cookie,
      ["Content-Type"] = "application/x-www-form-urlencoded",
    }, body .. "&csrf_token=" .. d.csrf)
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT rps=%.1f p50_ms=%.3f p99_ms=%.3f requests=%d errors=%d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests, e.connect + e.read + e.write + e.timeout + e.status))
end
