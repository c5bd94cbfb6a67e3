-- wrk script for bench/token_validation.py: one connection (so one server process) walks a list of
-- tokens in order, each line "<phase> <token>": w (warm-up, not counted), c (cold: the server's first
-- sight of that token), h (warm: a token this process has validated before). It times each request
-- itself (a monotonic clock through LuaJIT's ffi), so every phase gets its own p50/p99, then prints
-- one "RESULT {json}" line and stops; bench/token_validation.py then ends wrk with SIGINT.
-- Arguments: tokens file, path prefix the token is appended to.
local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk_id, bench_timespec *tp);
]]
local ts = ffi.new("bench_timespec")
local function now_us()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1e6 + tonumber(ts.tv_nsec) / 1e3
end

local phases, tokens = {}, {}
local prefix
local answered, started = 0, 0
local times = { c = {}, h = {} }
local failed, reported = 0, false

function init(args)
  for line in io.lines(args[1]) do
    local phase, token = line:match("^(%a) (%S+)$")
    phases[#phases + 1] = phase
    tokens[#tokens + 1] = token
  end
  prefix = args[2]
end

function request()
  -- One connection, no pipelining: the request going out is always the one after the last answer.
  -- (Counted from the answers, not the calls: wrk calls request() once more to check the script.)
  -- Past the end, the last token again until wrk is stopped (those answers are not counted).
  started = now_us()
  return wrk.format("GET", prefix .. tokens[math.min(answered + 1, #tokens)])
end

local function percentile(list, q)
  if #list == 0 then return 0 end
  table.sort(list)
  return list[math.min(#list, math.floor(q * #list) + 1)]
end

local function summary(list)
  return string.format('{"n": %d, "p50_us": %.1f, "p99_us": %.1f}', #list, percentile(list, 0.5),
    percentile(list, 0.99))
end

function response(status, headers, body)
  local elapsed = now_us() - started
  answered = answered + 1
  if answered > #tokens then return end
  if status ~= 200 then
    failed = failed + 1
  end
  local phase = phases[answered]
  if times[phase] and status == 200 then
    table.insert(times[phase], elapsed)
  end
  if answered == #tokens and not reported then
    reported = true
    io.write(string.format('RESULT {"cold": %s, "warm": %s, "failed": %d}\n', summary(times.c), summary(times.h),
      failed))
    io.stdout:flush()
  end
end
