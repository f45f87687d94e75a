-- Shared by every workload (bench/load.py puts a CONFIG header before this
-- file and the workload's own script after it).
--
-- Each wrk thread has its own Lua state: `tid` numbers the threads so that
-- generated userNames never collide; `k` counts this thread's requests.
-- response() keeps the first failing answer so the driver can show it;
-- done() prints one JSON line (prefix BENCHJSON) the driver parses.

local threads = {}
tid, k, bad = 0, 0, ""

function setup(thread)
   table.insert(threads, thread)
   thread:set("tid", #threads)
end

function init(args)
   math.randomseed(tid * 7919 + os.time())
end

function response(status, headers, body)
   if status >= 400 and bad == "" then
      bad = status .. " " .. string.sub(body or "", 1, 300)
   end
end

local function escape(s)
   return (string.gsub(s, '[%c"\\]', function(c) return string.format("\\u%04x", string.byte(c)) end))
end

function done(summary, latency, requests)
   local first = ""
   for _, thread in ipairs(threads) do
      local b = thread:get("bad")
      if first == "" and b and b ~= "" then first = b end
   end
   local e = summary.errors
   io.write(string.format(
      'BENCHJSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,'
      .. '"max_us":%d,"non2xx":%d,"socket_errors":%d,"first_error":"%s"}\n',
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
      latency:percentile(99), latency.max, e.status, e.connect + e.read + e.write + e.timeout,
      escape(first)))
end

function header(extra)
   local h = {["Authorization"] = CONFIG.auth, ["Accept"] = "application/scim+json"}
   for name, value in pairs(extra or {}) do h[name] = value end
   return h
end
