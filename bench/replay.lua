-- wrk script: replays pre-signed request paths, one line each, every one used at most once
-- per run (each thread takes every n-th line), then prints a JSON summary line.
-- Arguments: <file of paths> <thread count>.
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  local path, nthreads = args[1], tonumber(args[2])
  requests = {}
  local kept, line_no = 0, 0
  for line in io.lines(path) do
    if line_no % nthreads == id then
      kept = kept + 1
      requests[kept] = wrk.format("GET", line)
    end
    line_no = line_no + 1
  end
  count = kept
  position = 0
  wrapped = 0
end

function request()
  position = position + 1
  if position > count then
    position = 1
    wrapped = wrapped + 1
  end
  return requests[position]
end

function done(summary, latency, _requests)
  local wraps = 0
  for _, thread in ipairs(threads) do
    wraps = wraps + thread:get("wrapped")
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH-JSON {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,' ..
    '"status":%d,"timeout":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,"wrapped":%d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max, wraps))
end
