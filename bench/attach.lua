-- @file bench/attach.lua  wrk: POST /v1/sip/attach of a random number each
-- request (inbound, ip mode).  The key comes from TRUNKD_BENCH_KEY.
local key = os.getenv("TRUNKD_BENCH_KEY")
math.randomseed(os.time())

request = function()
	local n = string.format("+1415%07d", math.random(0, 9999999))
	local body = '{"phone_number": "' .. n ..
		'", "directions": [{"type": "inbound"}], "service": "sip"}'
	return wrk.format("POST", "/v1/sip/attach",
		{["Authorization"] = "Bearer " .. key,
		 ["Content-Type"] = "application/json"}, body)
end
