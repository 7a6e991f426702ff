-- POST /token grant_type=client_credentials with client_secret_basic; a static request,
-- built once per thread. Usage:
--   wrk -s bench/client_credentials.lua http://HOST:PORT/token -- BASE64(id:secret) SCOPE
function init(args)
   wrk.method = "POST"
   wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
   wrk.headers["Authorization"] = "Basic " .. args[1]
   wrk.body = "grant_type=client_credentials&scope=" .. (args[2] or "")
end

function done(summary, latency, requests)
   dofile(os.getenv("BENCH_DIR") .. "/report.lua")
   report(summary, latency)
end
