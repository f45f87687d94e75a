-- PATCH /Groups/{CONFIG.group} as Entra adds a member: "op":"Add",
-- "path":"members", one user not yet in the group, taken in order from
-- CONFIG.ids (this run's own slice of spare users; wraps if exhausted).
function request()
   local id = CONFIG.ids[(k % #CONFIG.ids) + 1]
   k = k + 1
   local body = '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],'
      .. '"Operations":[{"op":"Add","path":"members","value":[{"value":"' .. id .. '"}]}]}'
   return wrk.format("PATCH", CONFIG.base .. "/Groups/" .. CONFIG.group,
                     header({["Content-Type"] = "application/scim+json"}), body)
end
