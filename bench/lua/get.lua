-- GET /Users/{id}: a random id among CONFIG.ids (existing users).
function request()
   local id = CONFIG.ids[math.random(#CONFIG.ids)]
   return wrk.format("GET", CONFIG.base .. "/Users/" .. id, header())
end
