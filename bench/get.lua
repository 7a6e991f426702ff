-- A static GET of the URL given to wrk (extra headers with -H). Usage:
--   BENCH_DIR=bench wrk -s bench/get.lua URL
function done(summary, latency, requests)
   dofile(os.getenv("BENCH_DIR") .. "/report.lua")
   report(summary, latency)
end
