-- wrk script for GET /dashboard with one page session per thread
-- (scripts/bench.sh run 13, wrk -tN -cN: a thread per connection).
-- BENCH_COOKIES names a file of Cookie headers, one a line; thread i sends
-- the i-th (wrapping around).
local threads = 0

function setup(thread)
	threads = threads + 1
	thread:set("tid", threads)
end

function init(args)
	local list = {}
	for line in io.lines(os.getenv("BENCH_COOKIES")) do
		if line ~= "" then table.insert(list, line) end
	end
	wrk.headers["Cookie"] = list[(tid - 1) % #list + 1]
end
