-- GET /Users?filter=userName eq "<name>": a random existing name
-- (CONFIG.name_fmt with 1..CONFIG.names), as an IdP matches a user.
function request()
   local name = string.format(CONFIG.name_fmt, math.random(CONFIG.names))
   local query = "?filter=userName%20eq%20%22" .. name .. "%22"
   return wrk.format("GET", CONFIG.base .. "/Users" .. query, header())
end
