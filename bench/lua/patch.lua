-- PATCH /Users/{id} as Entra sends it: capitalised "Replace" and the
-- boolean as a string; each pass over CONFIG.ids flips False <-> True.
function request()
   local n = #CONFIG.ids
   local id = CONFIG.ids[(k % n) + 1]
   local value = (math.floor(k / n) % 2 == 0) and "False" or "True"
   k = k + 1
   local body = '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],'
      .. '"Operations":[{"op":"Replace","path":"active","value":"' .. value .. '"}]}'
   return wrk.format("PATCH", CONFIG.base .. "/Users/" .. id,
                     header({["Content-Type"] = "application/scim+json"}), body)
end
