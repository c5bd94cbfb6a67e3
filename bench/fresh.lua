-- wrk script for bench/http_throughput.py: every request a new one (`&bench_n=<counter>` appended to the
-- URL's query), so no answer can be given again from memory (graph/recall.py): each request runs the
-- whole Graph call, as a request never seen before does.
local n = 0
local base

function init(args)
  base = wrk.path
end

function request()
  n = n + 1
  return wrk.format(nil, base .. "&bench_n=" .. n)
end
