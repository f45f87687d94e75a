-- GET /Users?count=100: the first page of 100.
function request()
   return wrk.format("GET", CONFIG.base .. "/Users?count=100", header())
end
