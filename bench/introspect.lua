-- POST /introspect (RFC 7662) with client_secret_basic, for one access token; a static
-- request. Usage:
--   wrk -s bench/introspect.lua http://HOST:PORT/introspect -- BASE64(id:secret) TOKEN
function init(args)
   wrk.method = "POST"
   wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
   wrk.headers["Authorization"] = "Basic " .. args[1]
   wrk.body = "token=" .. args[2]
end

function done(summary, latency, requests)
   dofile(os.getenv("BENCH_DIR") .. "/report.lua")
   report(summary, latency)
end
