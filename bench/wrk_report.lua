-- wrk script: prints one JSON line at the end. No per-response callback: wrk would
-- copy every body into Lua, load-generator work on the cores the server runs on.
-- Non-2xx answers show as HTTP errors (status >= 400, counted by wrk) or as bytes
-- per request that differ from the probed 200 (bench/load.py checks both).
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "bytes": %d, "p50_ms": %.2f, ' ..
    '"p95_ms": %.2f, "p99_ms": %.2f, "http_errors": %d, "socket_errors": %d}\n',
    summary.requests, summary.duration / 1e6, summary.bytes,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, e.status,
    e.connect + e.read + e.write + e.timeout))
end
