-- bench/report.lua: wrk's script for bench/run. Counts every answer that is
-- not 2xx (wrk itself counts only >= 400 as errors) and, when BENCH_EXPECT is
-- set, every 2xx answer whose body lacks that text; done() prints one line
-- "BENCH_JSON {...}" with the counts and the latency percentiles (µs).

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  non2xx = 0
  bad_body = 0
  expect = os.getenv("BENCH_EXPECT")
  if expect == "" then expect = nil end
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  elseif expect and not (body and string.find(body, expect, 1, true)) then
    bad_body = bad_body + 1
  end
end

function done(summary, latency, requests)
  local n2, bb = 0, 0
  for _, t in ipairs(threads) do
    n2 = n2 + (t:get("non2xx") or 0)
    bb = bb + (t:get("bad_body") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"connect_errors":%d,"read_errors":%d,"write_errors":%d,"timeouts":%d,' ..
    '"status_ge_400":%d,"non2xx":%d,"bad_body":%d,' ..
    '"mean_us":%.1f,"p50_us":%d,"p90_us":%d,"p99_us":%d,"p999_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.timeout, e.status, n2, bb,
    latency.mean, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency:percentile(99.9), latency.max))
end
