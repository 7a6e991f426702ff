-- POST /login with the right password: each request is a whole password login (an argon2id
-- verification and a new session). The CSRF check is a double submit, so one cookie and its
-- token, fetched once, serve every request. A login answers 303; anything else counts as an
-- error (wrk counts only >= 400, so 200 pages are counted here). Usage:
--   wrk -s bench/login.lua http://HOST:PORT/login -- CSRF EMAIL PASSWORD
local function enc(s)
   return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

function init(args)
   wrk.method = "POST"
   wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
   wrk.headers["Cookie"] = "ferrid_csrf=" .. args[1]
   wrk.body = "csrf_token=" .. enc(args[1]) .. "&email=" .. enc(args[2]) .. "&password=" .. enc(args[3])
   not_303 = 0
end

function response(status, headers, body)
   if status ~= 303 then
      not_303 = not_303 + 1
   end
end

local threads = {}
function setup(thread)
   table.insert(threads, thread)
end

function done(summary, latency, requests)
   local bad = 0
   for _, t in ipairs(threads) do
      bad = bad + (t:get("not_303") or 0)
   end
   dofile(os.getenv("BENCH_DIR") .. "/report.lua")
   report(summary, latency, "not_303=" .. bad)
end
