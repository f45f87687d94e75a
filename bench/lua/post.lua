-- POST /Users: an Entra-like user with a unique userName per request
-- (CONFIG.prefix, the thread number and a counter).
local template = [[{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User",]]
   .. [["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],]]
   .. [["userName":"%s@example.com","externalId":"%s","active":true,]]
   .. [["displayName":"Bench User %s","name":{"givenName":"Bench","familyName":"%s"},]]
   .. [["emails":[{"value":"%s@example.com","type":"work","primary":true}],]]
   .. [["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":]]
   .. [[{"employeeNumber":"%s","department":"Engineering"}}]]

function request()
   k = k + 1
   local n = CONFIG.prefix .. tid .. "x" .. k
   local body = string.format(template, n, n, n, n, n, n)
   return wrk.format("POST", CONFIG.base .. "/Users",
                     header({["Content-Type"] = "application/scim+json"}), body)
end
