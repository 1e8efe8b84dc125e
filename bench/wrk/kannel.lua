-- Kannel's callbacks into `recall serve` under load (scripts/bench-webhooks):
-- inbound SMS (the sms-service get-url) and delivery reports (the dlr-url),
-- as bearerbox/smsbox would send them.
--
-- Environment (set by scripts/bench-webhooks):
--   RECALL_BENCH_SECRET    the Kannel webhook secret (RECALL_KANNEL_WEBHOOK_SECRET)
--   RECALL_BENCH_PHONES    file of patients' numbers, URL-encoded E.164, one per line;
--                          each STOP comes from a number no other STOP of the run uses
--   RECALL_BENCH_MESSAGES  file of message ids the worker has sent (for delivery reports)
--   RECALL_BENCH_PRACTICE  the practice's number, URL-encoded ("%2B12175550100")
--   RECALL_BENCH_MIX       "mixed": per 10 requests 3 STOP, 1 HELP, 1 free text, 5 DLRs;
--                          "stop": STOP only
--   RECALL_BENCH_RUN       a tag unique to the run: the server ignores a Kannel id it has seen
--                          (a provider's retry), so ids must not repeat across runs
--   RECALL_BENCH_PACE_MS   a pause after each response on every connection (0: unpaced);
--                          c connections at p ms each offer about c * 1000 / (p + latency) req/s
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("thread_id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

local function lines(path)
  local out = {}
  if path == nil or path == "" then return out end
  local f = io.open(path, "r")
  if f == nil then return out end
  for line in f:lines() do
    if line ~= "" then table.insert(out, line) end
  end
  f:close()
  return out
end

function init(args)
  secret = os.getenv("RECALL_BENCH_SECRET")
  practice = os.getenv("RECALL_BENCH_PRACTICE") or "%2B12175550100"
  mix = os.getenv("RECALL_BENCH_MIX") or "mixed"
  run = os.getenv("RECALL_BENCH_RUN") or "0"  -- Kannel message ids (%I) must differ between runs
  pace = tonumber(os.getenv("RECALL_BENCH_PACE_MS") or "0")
  threads_total = tonumber(os.getenv("RECALL_BENCH_THREADS") or "1")
  phones = lines(os.getenv("RECALL_BENCH_PHONES"))
  messages = lines(os.getenv("RECALL_BENCH_MESSAGES"))
  counter = 0
  phone_at = thread_id  -- this thread's numbers: thread_id, thread_id + T, ...
  message_at = thread_id
  stops, stops_ok, helps, texts, dlrs, non_200, reused = 0, 0, 0, 0, 0, 0, 0
  base = "/v1/webhooks/kannel/" .. secret
end

local function inbound(from, text)
  return wrk.format("GET", base .. "/sms?from=" .. from .. "&to=" .. practice .. "&text=" .. text ..
                    "&id=bench-" .. run .. "-" .. thread_id .. "-" .. counter)
end

local function stop()
  if phone_at >= #phones then reused = reused + 1 end
  local from = phones[(phone_at % #phones) + 1]
  phone_at = phone_at + threads_total
  stops = stops + 1
  return inbound(from, "STOP")
end

function request()
  counter = counter + 1
  if mix == "stop" then return stop() end
  local slot = counter % 10
  if slot < 3 then return stop() end
  if slot == 3 then
    helps = helps + 1
    return inbound(phones[((counter * 7919) % #phones) + 1], "HELP")
  end
  if slot == 4 then
    texts = texts + 1
    return inbound(phones[((counter * 104729) % #phones) + 1], "Can%20I%20come%20in%20Tuesday%20afternoon%3F")
  end
  dlrs = dlrs + 1
  local id = messages[(message_at % #messages) + 1]
  message_at = message_at + threads_total
  return wrk.format("GET", base .. "/dlr?msg=" .. id .. "&status=1&smsc_id=bench&time=1764694800")
end

function delay()
  return pace
end

-- A STOP answered 200 with the opt-out reply was committed before the answer
-- (the webhook replies only after the revocation's transaction).
function response(status, headers, body)
  if status ~= 200 then
    non_200 = non_200 + 1
  elseif body ~= nil and body:find("unsubscribed", 1, true) then
    stops_ok = stops_ok + 1
  end
end

function done(summary, latency, requests)
  local t = {stops = 0, stops_ok = 0, helps = 0, texts = 0, dlrs = 0, non_200 = 0, reused = 0}
  for _, thread in ipairs(threads) do
    for k, _ in pairs(t) do t[k] = t[k] + (thread:get(k) or 0) end
  end
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"seconds":%.2f,"rps":%.1f,"p50_ms":%.2f,"p90_ms":%.2f,"p99_ms":%.2f,"max_ms":%.2f,' ..
    '"stops_sent":%d,"stops_committed":%d,"helps":%d,"texts":%d,"dlrs":%d,"non_200":%d,"socket_errors":%d,"stop_numbers_reused":%d}\n',
    summary.requests, seconds, summary.requests / seconds, latency:percentile(50) / 1000,
    latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    t.stops, t.stops_ok, t.helps, t.texts, t.dlrs, t.non_200, e.connect + e.read + e.write + e.timeout, t.reused))
end
