-- wrk script for bench/jukebox_bench.py: votes from many guests on many queued songs, each
-- request a random guest (their cookie), a random entry and an alternating value.
local cookies, entries = {}, {}
for line in io.lines(os.getenv("VOTE_COOKIES")) do cookies[#cookies + 1] = line end
for line in io.lines(os.getenv("VOTE_ENTRIES")) do entries[#entries + 1] = line end
local base = os.getenv("VOTE_PATH")
local n = 0

request = function()
  n = n + 1
  local value = (n % 2 == 0) and "1" or "-1"
  return wrk.format("PUT", base .. "/entries/" .. entries[math.random(#entries)] .. "/vote",
    { ["Cookie"] = cookies[math.random(#cookies)], ["Content-Type"] = "application/json" }, '{"value":' .. value .. '}')
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("VOTES %d %.3f %.2f %.2f %d\n", summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, e.status + e.connect + e.read + e.write + e.timeout))
end
