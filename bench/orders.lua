-- wrk script for POST /api/orders (scripts/bench.sh): one new order per request.
--
-- Each request carries a fresh random (v4) UUID, the sale time now, three lines
-- of demo products that have recipes (so stock is deducted), a discount and one
-- cash payment in AZN that adds up:
--   Латте 1 × 500 + Капучино 2 × 450 + Эспрессо 1 × 300 − discount 100 = 1600.
--
-- Environment: BENCH_TOKEN (the device token), BENCH_IDS (a file prefix: each
-- thread writes the ids answered 201 to PREFIX.N, one a line, so that the
-- benchmark can check them against the database afterwards).
-- At the end it prints one line: "orders: sent=N responses=N created=N other=N"
-- (sent − responses = requests still in flight when wrk stopped).

local token = os.getenv("BENCH_TOKEN") or ""
local ids_prefix = os.getenv("BENCH_IDS")
local threads = {}

function setup(thread)
	thread:set("tid", #threads + 1)
	table.insert(threads, thread)
end

local hex = "0123456789abcdef"
local variant = "89ab"

local function uuid4()
	local t = {}
	for i = 1, 36 do
		if i == 9 or i == 14 or i == 19 or i == 24 then
			t[i] = "-"
		elseif i == 15 then
			t[i] = "4"
		elseif i == 20 then
			local v = math.random(1, 4)
			t[i] = variant:sub(v, v)
		else
			local v = math.random(1, 16)
			t[i] = hex:sub(v, v)
		end
	end
	return table.concat(t)
end

local headers = {
	["Content-Type"] = "application/json",
	["Authorization"] = "Bearer " .. token,
}

local body_fmt = '{"id":"%s","created_at":"%s","lines":['
	.. '{"product_id":"0d1c0000-0000-4000-8000-000000000003","qty":1,"unit_price":500},'
	.. '{"product_id":"0d1c0000-0000-4000-8000-000000000002","qty":2,"unit_price":450},'
	.. '{"product_id":"0d1c0000-0000-4000-8000-000000000001","qty":1,"unit_price":300}],'
	.. '"discount":100,'
	.. '"payments":[{"method":"cash","currency":"AZN","amount":1600,"tendered":2000}]}'

function init(args)
	-- one seed per thread: the time, the thread number and an address that
	-- differs between the threads' Lua states
	local addr = tonumber(tostring({}):match("0x(%x+)") or "0", 16) or 0
	math.randomseed((os.time() * 1000 + tid * 7919 + addr) % 2147483647)
	for _ = 1, 10 do math.random() end
	sent, responses, created, other = 0, 0, 0, 0
	if ids_prefix then
		idf = io.open(ids_prefix .. "." .. tid, "w")
		idf:setvbuf("line")	-- wrk never closes the threads' Lua states
	end
end

function request()
	sent = sent + 1
	local body = string.format(body_fmt, uuid4(), os.date("!%Y-%m-%dT%H:%M:%SZ"))
	return wrk.format("POST", nil, headers, body)
end

function response(status, hdrs, body)
	responses = responses + 1
	if status == 201 then
		created = created + 1
		if idf then
			-- the stored order's id comes first in the reply (jsonb key order)
			local id = body:match('"id"%s*:%s*"([0-9a-f-]+)"')
			idf:write((id or "?"), "\n")
		end
	else
		other = other + 1
	end
end

function done(summary, latency, requests)
	local s, r, c, o = 0, 0, 0, 0
	for _, t in ipairs(threads) do
		s = s + t:get("sent")
		r = r + t:get("responses")
		c = c + t:get("created")
		o = o + t:get("other")
	end
	io.write(string.format("orders: sent=%d responses=%d created=%d other=%d\n", s, r, c, o))
end
