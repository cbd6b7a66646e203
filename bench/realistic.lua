-- wrk script for bench/load.py's realistic mode: every request is a signed-in user
-- (their own session and CSRF cookies) asking for a claim of their team, drawn
-- with a Zipf-like popularity, as one of a weighted mix of kinds; about 5 % are
-- writes through the web form (assessments) and the API (claim edits).
--
--   wrk ... -s bench/realistic.lua URL -- DATA_FILE [KIND ...]
-- DATA_FILE is a Lua file load.py writes (users, teams, popularity, mix); KINDs,
-- if given, restrict the mix to those kinds (a breakdown row).
--
-- Each wrk thread has its own users (index modulo thread count), so the version a
-- user's next edit names is known here: edits of one draft never race each other.
-- response() sees every answer, at the cost of wrk copying each body into Lua: a
-- status >= 400 or a redirect to the login page or the second-factor gate is an
-- error.

local threads = {}
local counter = 0

function setup(thread)
  thread:set("thread_index", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local data, users, mix, total_weight
sent_by_kind = {}
ok_2xx, redirects, login_redirects, status_errors = 0, 0, 0, 0

function init(args)
  data = dofile(args[1])
  local only = {}
  for i = 2, #args do only[args[i]] = true end
  mix, total_weight = {}, 0
  for _, entry in ipairs(data.mix) do
    if #args < 2 or only[entry[1]] then
      table.insert(mix, entry)
      total_weight = total_weight + entry[2]
    end
  end
  users = {}
  for i, user in ipairs(data.users) do
    if (i - 1) % data.threads == thread_index then table.insert(users, user) end
  end
  math.randomseed(1000 + thread_index)
end

local function popular_claim(team)
  -- Binary search of the cumulative Zipf weights: rank 1 is the hottest story.
  local cdf, x = data.cdf, math.random()
  local low, high = 1, #cdf
  while low < high do
    local mid = math.floor((low + high) / 2)
    if cdf[mid] < x then low = mid + 1 else high = mid end
  end
  return data.teams[team][low]
end

local function pick_kind()
  local x = math.random() * total_weight
  for _, entry in ipairs(mix) do
    x = x - entry[2]
    if x <= 0 then return entry[1] end
  end
  return mix[#mix][1]
end

function request()
  local user = users[math.random(#users)]
  local kind = pick_kind()
  sent_by_kind[kind] = (sent_by_kind[kind] or 0) + 1
  local headers = {Cookie = user.cookie}
  if kind == "claim_page" then
    return wrk.format("GET", "/claims/" .. popular_claim(user.team) .. "/", headers)
  elseif kind == "claim_list" then
    -- Most readers stay on the first page; some page back.
    local page = math.random() < 0.7 and 1 or math.random(2, 6)
    local path = page == 1 and "/" or ("/?page=" .. page)
    return wrk.format("GET", path, headers)
  elseif kind == "timeline" then
    local path = "/claims/" .. popular_claim(user.team) .. "/timeline.svg"
    return wrk.format("GET", path, headers)
  elseif kind == "api_claim" then
    headers["Accept"] = "application/json"
    local path = "/api/v1/claims/" .. popular_claim(user.team) .. "/"
    return wrk.format("GET", path, headers)
  elseif kind == "assess" then
    -- The claim page's assessment form, as a browser posts it (redirect on success).
    local claim = popular_claim(user.team)
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    local body = "csrfmiddlewaretoken=" .. user.csrf .. "&level=" ..
      data.levels[math.random(#data.levels)] ..
      "&rationale=Bench+assessment%3A+the+evidence+so+far."
    return wrk.format("POST", "/claims/" .. claim .. "/assess/", headers, body)
  else -- "edit": the user's own draft through the API, naming the version read
    headers["Content-Type"] = "application/json"
    headers["Accept"] = "application/json"
    headers["X-CSRFToken"] = user.csrf
    local body = string.format(
      '{"version": %d, "summary": "Bench edit %d of this draft."}',
      user.version, user.version)
    user.version = user.version + 1
    return wrk.format("PATCH", "/api/v1/claims/" .. user.draft .. "/", headers, body)
  end
end

function response(status, headers, body)
  if status >= 400 then
    status_errors = status_errors + 1
  elseif status >= 300 then
    local location = headers["Location"] or headers["location"] or ""
    -- The sign-in page, or the second-factor gate (verify or enrol): the user
    -- was not let in, so the answer is not the page asked for.
    if string.find(location, "/login/", 1, true)
        or string.find(location, "/account/security/", 1, true) then
      login_redirects = login_redirects + 1
    else
      redirects = redirects + 1
    end
  else
    ok_2xx = ok_2xx + 1
  end
end

function done(summary, latency, requests)
  local totals = {ok_2xx = 0, redirects = 0, login_redirects = 0, status_errors = 0}
  local kinds = {}
  for _, thread in ipairs(threads) do
    for name, _ in pairs(totals) do
      totals[name] = totals[name] + thread:get(name)
    end
    for kind, n in pairs(thread:get("sent_by_kind")) do
      kinds[kind] = (kinds[kind] or 0) + n
    end
  end
  local parts = {}
  for kind, n in pairs(kinds) do
    table.insert(parts, string.format('"%s": %d', kind, n))
  end
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "bytes": %d, "p50_ms": %.2f, ' ..
    '"p95_ms": %.2f, "p99_ms": %.2f, "http_errors": %d, "socket_errors": %d, ' ..
    '"ok_2xx": %d, "redirects": %d, "login_redirects": %d, "status_errors": %d, ' ..
    '"sent": {%s}}\n',
    summary.requests, summary.duration / 1e6, summary.bytes,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, e.status,
    e.connect + e.read + e.write + e.timeout,
    totals.ok_2xx, totals.redirects, totals.login_redirects, totals.status_errors,
    table.concat(parts, ", ")))
end
