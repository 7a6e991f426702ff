-- POST /register with a new address every time: a registration flood, each request one
-- argon2id hash (and one insert). Usage:
--   wrk -s bench/register_flood.lua http://HOST:PORT/register -- CSRF_TOKEN
-- The CSRF token is the value of the ferrid_csrf cookie, sent as both (double submit).
local threads = 0
function setup(thread)
   thread:set("thread_id", threads)
   threads = threads + 1
end

function init(args)
   csrf = args[1]
   sent = 0
   wrk.method = "POST"
   wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
   wrk.headers["Cookie"] = "ferrid_csrf=" .. csrf
end

function request()
   sent = sent + 1
   local body = string.format(
      "email=visitor-%d-%d-%d%%40example.com&password=quiet-harbor-lantern-qz&name=Flood&csrf_token=%s",
      thread_id, sent, math.random(1000000000), csrf)
   return wrk.format(nil, nil, nil, body)
end

function done(summary, latency, requests)
   dofile(os.getenv("BENCH_DIR") .. "/report.lua")
   report(summary, latency)
end
