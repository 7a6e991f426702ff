-- POST /token grant_type=refresh_token. Refresh tokens rotate at every use and a reused one
-- revokes its family, so no token is ever sent twice: each thread holds a queue of live
-- tokens, seeded from the pool file (thread i takes every i-th line); request() takes one,
-- response() puts back the new one the server returned. Every connection has one request
-- in flight, so a thread needs at least connections/threads tokens (+1: wrk calls request()
-- once on thread 0 to check the script, and that token is never sent).
-- Usage:
--   wrk -s bench/refresh_token.lua http://HOST:PORT/token -- POOL_FILE THREADS BASE64(id:secret)
local threads = {}
local count = 0

function setup(thread)
   thread:set("tid", count)
   count = count + 1
   table.insert(threads, thread)
end

function init(args)
   local nthreads = tonumber(args[2])
   auth = "Basic " .. args[3]
   queue = {}
   failed = 0   -- responses without a new refresh token
   starved = 0  -- requests sent with no token at hand (the pool was too small)
   local i = 0
   for line in io.lines(args[1]) do
      if line ~= "" then
         if i % nthreads == tid then
            table.insert(queue, line)
         end
         i = i + 1
      end
   end
end

local headers = nil

function request()
   if headers == nil then
      headers = {
         ["Content-Type"] = "application/x-www-form-urlencoded",
         ["Authorization"] = auth,
      }
   end
   local token = table.remove(queue)
   if token == nil then
      starved = starved + 1
      token = ""
   end
   -- Tokens are base64url: nothing to escape in a form value.
   return wrk.format("POST", nil, headers, "grant_type=refresh_token&refresh_token=" .. token)
end

function response(status, hdrs, body)
   local token = body:match('"refresh_token"%s*:%s*"([^"]+)"')
   if token then
      table.insert(queue, token)
   else
      failed = failed + 1
   end
end

function done(summary, latency, requests)
   local failed_total, starved_total = 0, 0
   for _, thread in ipairs(threads) do
      failed_total = failed_total + thread:get("failed")
      starved_total = starved_total + thread:get("starved")
   end
   dofile(os.getenv("BENCH_DIR") .. "/report.lua")
   report(summary, latency, string.format("no_new_token=%d starved=%d", failed_total, starved_total))
end
