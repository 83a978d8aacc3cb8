-- wrk script: POST Open311 service requests, rotating over the benchmark cities (targets.lua).
-- Load with: TARGETS=.../targets.lua wrk -s bench/intake_wrk.lua ... (targets.lua is written by intake_seed.py).
dofile(os.getenv("TARGETS"))
local streets = {"N 5th St", "E Capitol Ave", "S Grand Ave", "W Jefferson St", "Monroe St"}
local counter = 0

request = function()
  counter = counter + 1
  local t = targets[(counter % #targets) + 1]
  local lat = 39.7817 + (math.random() - 0.5) * 0.1
  local lng = -89.6501 + (math.random() - 0.5) * 0.12
  local body = string.format(
    "api_key=%s&service_code=pothole&description=Pothole+%d+in+the+right+lane&lat=%.6f&long=%.6f" ..
    "&address_string=%d+%s&email=resident%d%%40example.com&first_name=Bench",
    t.key, counter, lat, lng, math.random(100, 2999), streets[(counter % #streets) + 1]:gsub(" ", "+"), counter)
  return wrk.format("POST", "/open311/v2/requests.json",
    {["Host"] = t.host .. "." .. platform_domain,
     ["Content-Type"] = "application/x-www-form-urlencoded"}, body)
end

done = function(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local bad = summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write +
              summary.errors.timeout
  io.write(string.format("RESULT %d %.1f %.1f %.1f %d\n", summary.requests, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, bad))
end
