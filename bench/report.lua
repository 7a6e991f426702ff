-- Shared by the bench/*.lua scripts (loaded with dofile): one machine-readable line per run.
-- wrk's latency statistics are in microseconds; errors.status counts responses >= 400
-- (wrk's "Non-2xx or 3xx responses"), the other error fields count socket failures.
function report(summary, latency, extra)
   local e = summary.errors
   local secs = summary.duration / 1e6
   io.write(string.format(
      "RESULT requests=%d rps=%.1f p50_us=%d p99_us=%d non2xx=%d sockerr=%d %s\n",
      summary.requests, summary.requests / secs,
      latency:percentile(50.0), latency:percentile(99.0),
      e.status, e.connect + e.read + e.write + e.timeout, extra or ""))
end
