#!/usr/bin/env bash
# `make bench`: throughput and latency of the local stack with wrk, on loopback,
# the database-backed writes and the till sync, and the workers' memory; writes
# bench/RESULTS.md.
#
# A throwaway stack (temporary data folder, free port, the demo café from
# `posctl seed-demo`, real durability: no POS_PG_FAST) unless BENCH_VARDIR /
# BENCH_PORT are set. The demo till POS-01 is activated once (its key is in
# $VARDIR/demo-logins.txt) and its device token is used for every run below
# that needs one. In this order:
#   1. a static file served by nginx        (the ceiling of nginx itself)
#   2. /__bench/hello, bench/hello.c         (the ceiling of nginx + libfcgi)
#   3. GET /api/version                      (the workers, no database)
#   4. GET /healthz                          (the workers, one database round trip)
#   5. GET $BENCH_DB_PATH (default /api/pos/items, the till catalogue of the demo
#      store) with the header $BENCH_DB_AUTH (default: the demo till's device
#      token; lib.sh may provide one through a function bench_auth_header)
#   6. POST /api/orders with wrk and bench/orders.lua (a new 3-line order with
#      recipe stock deduction per request), then a check in SQL that the orders
#      stored are exactly the 201 answers
#   7. pgbench with bench/orders-pgbench.sql: the same order through the SQL
#      function POST /api/orders calls (order_submit) at the same concurrency,
#      straight into PostgreSQL as pos_app: the database's own limit
#   8. POST /api/sync/push of BENCH_PUSH_ORDERS (10000) orders in batches of 500,
#      sequentially, with bench/sync-push.mjs; then a check in SQL
#   9. GET /api/sync/pull (no cursor) of a catalogue of 20,000 more products
#      (bench/catalogue-20k.sql, loaded into this throwaway database only),
#      BENCH_PULLS (5) times with curl
#  10. POST /api/orders as in 6 once more, now with that big catalogue (no
#      target: it shows whether an order's cost grows with the catalogue)
# The manager's dashboard (runs 11-13):
#  11. (between 8 and 9, so that its orders are run 6's) wrk -c$BENCH_API_CONNECTIONS
#      (8) on each of $BENCH_API_PATHS (/healthz /api/pos/items) beside the order load of run 6, without
#      and then with BENCH_STREAMS (50) event streams open (bench/event-streams.mjs,
#      GET /api/events with the till's token); each stream must get every order
#  12. BENCH_GEN_ORDERS (1,000,000) orders with lines and payments over the
#      BENCH_GEN_DAYS (90) days before today (bench/orders-1m.sql, set-based, as
#      the superuser); then rollup_fold_all(1000) until nothing is pending; then
#      a check in SQL (totals, payments, numbers, rollups = orders)
#  13. GET /dashboard with the demo owner's session (bench/owner-login.mjs, TOTP
#      from demo-logins.txt): wrk -c1 for 5 s, then wrk -c$BENCH_DASH_CONNECTIONS (4), then
#      wrk -c4 with a session per connection (bench/dashboard-sessions.lua; the
#      owner's and 3 of the demo manager's; no target);
#      GET /api/reports/sales of the last BENCH_GEN_DAYS days by day with the
#      owner's bearer token, BENCH_REPORT_REQUESTS (200) times with curl; then where
#      the dashboard's database time goes (EXPLAIN ANALYZE, auto_explain)
# Runs 6-13 write thousands of orders and products: they only run on a
# throwaway data folder (not with BENCH_VARDIR).
# Targets: /api/version at >= 85 % of hello's req/s; < 20 MB RSS per worker
# (after runs 1-5, and again after all runs); POST /api/orders at >= 50 % of the
# pgbench rate with no lost or doubled order; the 10,000-order push in < 5 s
# with every order stored once; the full pull in < 1 s of server time (median
# of the workers' dur_ms); the dashboard at -c4 p50 < 20 ms and p99 < 50 ms of
# server time (dur_ms); the 90-day sales report p99 < 100 ms (dur_ms); the API
# path's p99 < 100 ms (wrk) beside the order load with the 50 streams open; the
# history and the report check out in SQL; every stream gets every order.
# Exit status: 0 when every target is met, 1 when one is missed or a run failed.
#
# Environment: WORKERS (posd processes, also hello's), BENCH_DURATION (10s),
# BENCH_CONNECTIONS (32), BENCH_THREADS (2), BENCH_VARDIR, BENCH_PORT,
# BENCH_DB_PATH, BENCH_DB_AUTH, BENCH_PUSH_ORDERS (10000), BENCH_PULLS (5),
# BENCH_STREAMS (50), BENCH_API_PATHS (/healthz /api/pos/items), BENCH_API_CONNECTIONS (8),
# BENCH_GEN_ORDERS (1000000), BENCH_GEN_DAYS (90), BENCH_DASH_CONNECTIONS (4),
# BENCH_REPORT_REQUESTS (200), KEEP_VARDIR=1 keeps a throwaway data folder.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1

# The Makefile exports VARDIR=./var and PORT=8080 for `make run`; the benchmark
# never touches those unless asked to.
if [ -n "${BENCH_VARDIR:-}" ]; then
	VARDIR=$BENCH_VARDIR
	own_vardir=0
	mkdir -p "$VARDIR"
else
	VARDIR=$(mktemp -d /tmp/pos-bench.XXXXXX)
	own_vardir=1
fi
chmod 755 "$VARDIR"
WORKERS=${WORKERS:-4}
export VARDIR WORKERS
PORT=${BENCH_PORT:-$(bash -c ". '$ROOT/scripts/lib.sh'; free_port")}
export PORT
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"

DURATION=${BENCH_DURATION:-10s}
CONNS=${BENCH_CONNECTIONS:-32}
THREADS=${BENCH_THREADS:-2}
WRK_FLAGS="-t$THREADS -c$CONNS -d$DURATION --latency"
DB_PATH=${BENCH_DB_PATH:-/api/pos/items}
DB_AUTH=${BENCH_DB_AUTH:-}
HELLO_BIN=$ROOT/build/bench/hello
HELLO_SOCK=$VARDIR/run/hello.sock
RESULTS=$ROOT/bench/RESULTS.md
OUT=$VARDIR/bench
BASE=http://127.0.0.1:$PORT
TARGET_RATIO=85
TARGET_RSS_KB=$((20 * 1024))
TARGET_DB_RATIO=50
TARGET_PUSH_MS=5000
TARGET_PULL_MS=1000
PUSH_ORDERS=${BENCH_PUSH_ORDERS:-10000}
PUSH_BATCH=500
PULLS=${BENCH_PULLS:-5}
CATALOGUE_PRODUCTS=20000
# runs 11-13: the manager's dashboard (history, pages, reports, event streams)
GEN_ORDERS=${BENCH_GEN_ORDERS:-1000000}
GEN_DAYS=${BENCH_GEN_DAYS:-90}
STREAMS=${BENCH_STREAMS:-50}
API_PATHS=${BENCH_API_PATHS:-${BENCH_API_PATH:-/healthz /api/pos/items}}
API_CONNS=${BENCH_API_CONNECTIONS:-8}
DASH_CONNS=${BENCH_DASH_CONNECTIONS:-4}
REPORT_REQUESTS=${BENCH_REPORT_REQUESTS:-200}
TARGET_DASH_P50=20
TARGET_DASH_P99=50
TARGET_REPORT_MS=100
TARGET_API_P99=100
hello_pid=
streams_pid=

cleanup() {
	[ -n "$streams_pid" ] && kill -TERM "$streams_pid" 2>/dev/null
	if [ -n "$hello_pid" ]; then
		kill -TERM "$hello_pid" 2>/dev/null
		wait "$hello_pid" 2>/dev/null
	fi
	stack_down >/dev/null 2>&1
	if [ "$own_vardir" = 1 ] && [ "${KEEP_VARDIR:-0}" != 1 ]; then
		rm -rf "$VARDIR"
	else
		say "bench: data kept in $VARDIR"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() { say "bench: $*"; exit 1; }

command -v wrk >/dev/null || die "wrk is not installed (apt-get install -y wrk)"
command -v node >/dev/null || die "node is not installed (scripts/deps.sh)"
[ -x "$ROOT/build/posd" ] || die "build/posd is missing: run make build"

# --- the bare hello-world ------------------------------------------------------
mkdir -p "$ROOT/build/bench" "$OUT" "$VARDIR/run"
# shellcheck disable=SC2046 # pkg-config prints several words on purpose
cc -std=c17 -O2 -Wall -Wextra -Werror -o "$HELLO_BIN" "$ROOT/bench/hello.c" \
	$(pkg-config --cflags --libs fcgi) || die "cannot build bench/hello.c"

# --- the stack -------------------------------------------------------------
say "bench: stack on 127.0.0.1:$PORT, data in $VARDIR, $WORKERS workers"
stack_up "$ROOT/build/posd" || die "stack did not start (logs in $VARDIR/log)"

"$HELLO_BIN" "$HELLO_SOCK" "$WORKERS" >>"$VARDIR/log/hello.log" 2>&1 &
hello_pid=$!
for _ in $(seq 1 50); do
	[ -S "$HELLO_SOCK" ] && break
	sleep 0.1
done
[ -S "$HELLO_SOCK" ] || die "hello did not open $HELLO_SOCK"

PGBENCH=$PGBIN/pgbench
[ -x "$PGBENCH" ] || die "pgbench is missing in $PGBIN (apt-get install -y postgresql-contrib)"
# SQL as the cluster's superuser for the checks (counts, row-level security
# does not hide anything from it); as pos_app for what the workers would do.
sql() { psql -X -q -At -h "$PGSOCK" -U postgres -d pos -v ON_ERROR_STOP=1 "$@"; }
sql_app() { psql -X -q -At -h "$PGSOCK" -U pos_app -d pos -v ON_ERROR_STOP=1 "$@"; }
# jget FILE EXPR: a value of the JSON in FILE (j is the parsed object)
jget() { node -e 'const j = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
	const v = eval(process.argv[2]); console.log(v === undefined || v === null ? "" : v)' "$1" "$2"; }

# The demo till POS-01: activate its key once; its device token serves the
# catalogue read, the orders, the push and the pull.
DEV_TOKEN='' DEV_ID='' DEV_STORE='' DEV_TENANT=''
# (not in a data folder given with BENCH_VARDIR: the key activates only once)
demo_key=
[ "$own_vardir" = 1 ] && demo_key=$(sed -n 's/.*device key: \([A-Z0-9-]*\).*/\1/p' "$VARDIR/demo-logins.txt" 2>/dev/null | head -n 1)
if [ "$own_vardir" != 1 ]; then
	say "bench: BENCH_VARDIR is set: the demo till is not activated"
elif [ -n "$demo_key" ]; then
	code=$(curl -s -o "$OUT/activate.json" -w '%{http_code}' -H 'Content-Type: application/json' \
		-d "{\"device_key\":\"$demo_key\"}" "$BASE/api/devices/activate")
	if [ "$code" = 200 ]; then
		DEV_TOKEN=$(jget "$OUT/activate.json" j.device_token)
		DEV_ID=$(jget "$OUT/activate.json" j.device.id)
		DEV_STORE=$(jget "$OUT/activate.json" j.device.store_id)
		DEV_TENANT=$(sql -c "SELECT tenant_id FROM stores WHERE id = '$DEV_STORE'")
	else
		say "bench: activating the demo till answered HTTP $code"
	fi
else
	say "bench: no demo till key in $VARDIR/demo-logins.txt (POS_DEMO=0, or data kept from an earlier run)"
fi
if [ -z "$DEV_TOKEN" ] || [ -z "$DEV_TENANT" ]; then
	say "bench: no device token: the write and sync runs are skipped"
fi

if [ -z "$DB_AUTH" ] && declare -F bench_auth_header >/dev/null; then
	DB_AUTH=$(bench_auth_header) || DB_AUTH=
fi
[ -z "$DB_AUTH" ] && [ -n "$DEV_TOKEN" ] && DB_AUTH="Authorization: Bearer $DEV_TOKEN"

# The static file: a real stylesheet if there is one, else any file under
# static/, else the favicon location (204 without a file).
static_path() {
	local f
	if [ -f "$ROOT/static/css/app.css" ]; then
		echo /static/css/app.css
		return
	fi
	f=$(cd "$ROOT/static" 2>/dev/null && find . -type f -size +0 \( -name '*.css' -o -name '*.js' \) \
		! -name sw.js 2>/dev/null | sort | head -n 1)
	[ -z "$f" ] && f=$(cd "$ROOT/static" 2>/dev/null && find . -type f -size +0 ! -path './errors/*' \
		2>/dev/null | sort | head -n 1)
	if [ -n "$f" ]; then
		echo "/static/${f#./}"
	else
		echo /favicon.ico
	fi
}

# --- wrk output parsing ----------------------------------------------------------
wrk_rps() { awk '/^Requests\/sec:/ { print $2 }' "$1"; }
wrk_p99() { awk '$1 == "99%" { print $2 }' "$1"; }
wrk_p50() { awk '$1 == "50%" { print $2 }' "$1"; }
# ms_of 1.20s|83.60ms|400.00us: the figure in milliseconds ("-" for anything else)
ms_of() { awk -v v="$1" 'BEGIN { if (v ~ /us$/) printf "%.2f", v / 1000; else if (v ~ /ms$/) printf "%.2f", v + 0;
	else if (v ~ /[0-9]s$/) printf "%.2f", v * 1000; else print "-" }'; }
# cpu_snapshot [EXTRA_PID]: "part pid seconds" for each process of this stack (user +
# system CPU so far, all threads): postgres (the postmaster's children), posd (the
# workers), nginx (its workers), posev, and the stream client when given
cpu_snapshot() {
	local hz part pid pm
	hz=$(getconf CLK_TCK)
	pm=$(head -n 1 "$PGDATA/postmaster.pid" 2>/dev/null)
	{
		for pid in $(pgrep -P "${pm:-0}"); do echo "postgres $pid"; done
		for pid in $(pgrep -P "$(cat "$VARDIR/run/posd.pid" 2>/dev/null || echo 0)"); do echo "posd $pid"; done
		for pid in $(pgrep -P "$(cat "$VARDIR/nginx/nginx.pid" 2>/dev/null || echo 0)"); do echo "nginx $pid"; done
		echo "posev $(cat "$VARDIR/run/posev.pid" 2>/dev/null)"
		[ -n "${1:-}" ] && echo "client $1"
	} | while read -r part pid; do
		[ -n "$pid" ] && awk -v p="$part" -v id="$pid" -v hz="$hz" '{ printf "%s %s %.2f\n", p, id, ($14 + $15) / hz }' \
			"/proc/$pid/stat" 2>/dev/null
	done
}
# cpu_delta BEFORE AFTER: "part seconds ..." used between two snapshots (by the
# processes alive at the second; one that started in between counts from 0)
cpu_delta() {
	awk 'NR == FNR { b[$1 " " $2] = $3; next } { d[$1] += $3 - b[$1 " " $2] }
		END { n = split("postgres posd nginx posev client", o, " ")
			for (i = 1; i <= n; i++) if (o[i] in d) printf "%s%s %.1f", (i > 1 ? ", " : ""), o[i], d[o[i]] }' "$1" "$2"
}
wrk_non2xx() { awk '/Non-2xx or 3xx responses:/ { print $5 }' "$1"; }
wrk_sockerr() { sed -n 's/^ *Socket errors: //p' "$1"; }
# Rows of the table, kept in parallel arrays in run order.
names=()
paths=()
rps=()
p99s=()
notes=()

# run NAME PATH [HEADER]: one wrk run after a curl check that the path answers
# 2xx (so a page of fast errors is never reported as throughput).
run() {
	local name=$1 path=$2 header=${3:-} out=$OUT/$1.txt code note=""
	local -a hdr=()
	[ -n "$header" ] && hdr=(-H "$header")
	code=$(curl -s -o /dev/null -w '%{http_code}' "${hdr[@]}" "$BASE$path")
	if [ "${code:0:1}" != 2 ]; then
		names+=("$name"); paths+=("$path"); rps+=("-"); p99s+=("-")
		notes+=("not run: GET $path answered HTTP $code")
		say "bench: $name: GET $path answered HTTP $code; not run"
		return
	fi
	say "bench: $name: wrk $WRK_FLAGS $BASE$path"
	# shellcheck disable=SC2086 # WRK_FLAGS is several words on purpose
	wrk $WRK_FLAGS "${hdr[@]}" "$BASE$path" >"$out" 2>&1
	local n2 se
	n2=$(wrk_non2xx "$out")
	se=$(wrk_sockerr "$out")
	[ "$code" != 200 ] && note="HTTP $code"
	[ -n "$n2" ] && note="${note:+$note; }$n2 non-2xx responses (figures not valid)"
	[ -n "$se" ] && note="${note:+$note; }socket errors: $se"
	names+=("$name"); paths+=("$path")
	rps+=("$(wrk_rps "$out")"); p99s+=("$(wrk_p99 "$out")"); notes+=("$note")
	printf '  %s req/s, p99 %s %s\n' "${rps[-1]:-?}" "${p99s[-1]:-?}" "$note" >&2
}

# index of a row by name, for the ratio
row() {
	local i
	for i in "${!names[@]}"; do
		[ "${names[$i]}" = "$1" ] && { echo "$i"; return; }
	done
	echo -1
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date -u '+%Y-%m-%d %H:%M:%S UTC')

STATIC=$(static_path)
run static "$STATIC"
run hello /__bench/hello
run version /api/version
run healthz /healthz
if [ -n "$DB_PATH" ] && [ -n "$DB_AUTH" ]; then
	run db_read "$DB_PATH" "$DB_AUTH"
else
	say "bench: db_read skipped: set BENCH_DB_AUTH (e.g. 'Authorization: Bearer <token>') and BENCH_DB_PATH"
	names+=(db_read); paths+=("$DB_PATH"); rps+=("-"); p99s+=("-")
	notes+=("skipped: no BENCH_DB_AUTH header given (and no bench_auth_header in lib.sh)")
fi
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# --- the workers' memory -----------------------------------------------------------
# The supervisor is the pid lib.sh recorded in $VARDIR/run/posd.pid; the workers
# are its children (other stacks on the machine, e.g. a developer's `make run`,
# run the same binary and are not counted). RSS counts
# shared pages (libraries, pages inherited from the supervisor) in every
# process; PSS divides them among the sharers.
# measure_mem: sets nworkers, rss_sum, rss_max, pss_sum, pss_max, hwm_max (the
# peak RSS of the busiest worker, VmHWM) and sup_rss, in KiB.
kb() { awk -v k="$2" '$1 == k":" { print $2 }' "/proc/$1/$3" 2>/dev/null; }
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
measure_mem() {
	local sup d pid r p h
	local -a sup_pids=() wrk_pids=()
	sup=$(cat "$VARDIR/run/posd.pid" 2>/dev/null)
	if [ -n "$sup" ] && [ -d "/proc/$sup" ]; then
		sup_pids=("$sup")
		for d in /proc/[0-9]*; do
			[ "$(awk '/^PPid:/ { print $2 }' "$d/status" 2>/dev/null)" = "$sup" ] || continue
			wrk_pids+=("${d#/proc/}")
		done
	fi
	# A single-process posd (threads, no children) is its own worker.
	[ ${#wrk_pids[@]} -eq 0 ] && wrk_pids=("${sup_pids[@]}") && sup_pids=()
	rss_sum=0 rss_max=0 pss_sum=0 pss_max=0 hwm_max=0 nworkers=0
	for pid in "${wrk_pids[@]}"; do
		r=$(kb "$pid" VmRSS status)
		p=$(kb "$pid" Pss smaps_rollup)
		h=$(kb "$pid" VmHWM status)
		[ -n "$r" ] || continue
		nworkers=$((nworkers + 1))
		rss_sum=$((rss_sum + r)); [ "$r" -gt "$rss_max" ] && rss_max=$r
		p=${p:-0}
		pss_sum=$((pss_sum + p)); [ "$p" -gt "$pss_max" ] && pss_max=$p
		h=${h:-0}
		[ "$h" -gt "$hwm_max" ] && hwm_max=$h
	done
	sup_rss=-
	[ ${#sup_pids[@]} -gt 0 ] && sup_rss=$(kb "${sup_pids[0]}" VmRSS status)
}
measure_mem
m1=("$nworkers" "$rss_sum" "$rss_max" "$pss_sum" "$pss_max" "$hwm_max" "$sup_rss")

# === writes and sync (runs 6-9) ===================================================
# They need the demo till's device token; each is checked in SQL afterwards.
LOG=$VARDIR/log/posd.log
log_mark() { wc -l <"$LOG"; }
# log_since MARK PATH: the workers' log lines for PATH written after MARK
log_since() { tail -n +"$(($1 + 1))" "$LOG" | grep -F "path=\"$2\""; }
# durations (ms) of those lines, one a line
log_durs() { log_since "$1" "$2" | sed -n 's/.* dur_ms=\([0-9.]*\).*/\1/p'; }
# settle: wait until the workers' log has stopped growing for 1 s (requests
# that were in flight when a client stopped still run to the end)
settle() {
	local a b i
	for i in $(seq 1 30); do
		a=$(log_mark); sleep 1; b=$(log_mark)
		[ "$a" = "$b" ] && return 0
	done
}
# counts: orders, order lines, payments and sale stock movements in the database
counts() {
	sql -F' ' -c "SELECT (SELECT count(*) FROM orders), (SELECT count(*) FROM order_lines),
		(SELECT count(*) FROM order_payments), (SELECT count(*) FROM stock_movements WHERE kind = 'sale')"
}
# check_ids FILE: "ids distinct found lines payments sales doubled" for the order
# ids listed in FILE (found: orders with such an id; doubled: ids stored twice)
check_ids() {
	sql -F' ' -c "CREATE TEMP TABLE ids (id uuid)" -c "\\copy ids FROM '$1'" -c "
		SELECT (SELECT count(*) FROM ids), (SELECT count(DISTINCT id) FROM ids),
		(SELECT count(*) FROM orders o WHERE o.id IN (SELECT id FROM ids)),
		(SELECT count(*) FROM order_lines l WHERE l.order_id IN (SELECT id FROM ids)),
		(SELECT count(*) FROM order_payments p WHERE p.order_id IN (SELECT id FROM ids)),
		(SELECT count(*) FROM stock_movements m WHERE m.kind = 'sale' AND m.order_id IN (SELECT id FROM ids)),
		(SELECT count(*) FROM (SELECT o.id FROM orders o WHERE o.id IN (SELECT id FROM ids)
			GROUP BY o.id HAVING count(*) > 1) d)" 2>>"$OUT/sql-errors.txt" || echo "- - - - - - -"
}
# sample_waits FILE SECONDS FILTER: what the matching backends are doing,
# sampled every 0.25 s (wait event, or CPU when none; the state)
sample_waits() {
	local end=$((SECONDS + $2))
	while [ $SECONDS -lt "$end" ]; do
		sql -c "SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU') || ' (' || state || ')'
			FROM pg_stat_activity WHERE usename = 'pos_app' AND pid <> pg_backend_pid() AND $3" 2>/dev/null
		sleep 0.25
	done >"$1"
}
# sample_queries FILE SECONDS FILTER: as sample_waits, with the start of each query
sample_queries() {
	local end=$((SECONDS + $2))
	while [ $SECONDS -lt "$end" ]; do
		sql -c "SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU') || ' (' || state || '): '
			|| regexp_replace(left(query, 45), '\s+', ' ', 'g')
			FROM pg_stat_activity WHERE usename = 'pos_app' AND pid <> pg_backend_pid() AND $3" 2>/dev/null
		sleep 0.25
	done >"$1"
}
# top_waits FILE: the 4 most frequent samples, as percentages
top_waits() {
	sort "$1" | uniq -c | sort -rn | awk -v n="$(wc -l <"$1")" 'NR <= 4 && n > 0 {
		c = $1; $1 = ""; printf "%s%s %.0f %%", (NR > 1 ? "; " : ""), substr($0, 2), 100 * c / n }'
}
pctl() { sort -n | awk -v q="$1" '{ v[NR] = $1 } END { if (NR) { i = int(NR * q / 100 + 0.999); if (i < 1) i = 1; print v[i] } }'; }
# dash_profile (run 13): where the dashboard's time goes in the database. Sets
# prof_lines (table rows: planning and execution ms of its parts, EXPLAIN
# (ANALYZE, SUMMARY) after a warm-up call, as pos_app with the tenant set),
# prof_auto and prof_generic (median ms of the last 10 of 12 report_dashboard
# calls in one session, with the default plan cache and with
# plan_cache_mode = force_generic_plan) and prof_nested (the slowest statements
# inside one call, from auto_explain with nested statements).
dash_profile() {
	local last label expr
	local -a parts
	last=$(sql -c "SELECT '$r_to'::date - 7")
	parts=(
		"report_dashboard (the whole call)|SELECT report_dashboard('$DEV_STORE')"
		"· report_hourly, today|SELECT * FROM report_hourly('$DEV_STORE', '$r_to', '$r_to')"
		"· report_hourly, the same day last week|SELECT * FROM report_hourly('$DEV_STORE', '$last', '$last')"
		"· report_top_products, today|SELECT report_top_products('$DEV_STORE', '$r_to', '$r_to', 10)"
		"rollup_fold(5000, 200) (before each page and report)|SELECT rollup_fold(5000, 200)"
		"report_sales, $GEN_DAYS days by day (the whole call)|SELECT report_sales('$DEV_STORE', '$r_from', '$r_to', 'day')"
		"· report_hourly, $GEN_DAYS days|SELECT * FROM report_hourly('$DEV_STORE', '$r_from', '$r_to')"
	)
	{
		echo "BEGIN;"
		echo "SELECT set_config('app.tenant_id', '$DEV_TENANT', true) \\g /dev/null"
		for p in "${parts[@]}"; do
			label=${p%%|*} expr=${p#*|}
			echo "$expr \\g /dev/null"
			printf '\\echo == %s\n' "$label"
			echo "EXPLAIN (ANALYZE, SUMMARY) $expr;"
		done
		echo "COMMIT;"
	} | sql_app >"$OUT/dashboard-profile.txt" 2>&1
	prof_lines=$(awk '/^== / { cur = substr($0, 4); next }
		/^Planning Time:/ { pl[cur] = $3 } /^Execution Time:/ { ex[cur] = $3; order[++n] = cur }
		END { for (i = 1; i <= n; i++) printf "| %s | %s | %s |\n", order[i], pl[order[i]], ex[order[i]] }' \
		"$OUT/dashboard-profile.txt")
	local mode
	for mode in auto force_generic_plan; do
		# the function's own setting (migration 0006) wins over the session's:
		# auto takes it off for this transaction only (rolled back)
		{
			echo "BEGIN;"
			[ "$mode" = auto ] && echo "ALTER FUNCTION report_dashboard(uuid) RESET plan_cache_mode;"
			echo "SET LOCAL ROLE pos_app;"
			echo "SET LOCAL plan_cache_mode = $mode;"
			echo "SELECT set_config('app.tenant_id', '$DEV_TENANT', true) \\g /dev/null"
			printf '\\timing on\n'
			for _ in $(seq 1 12); do echo "SELECT length(report_dashboard('$DEV_STORE')::text);"; done
			echo "ROLLBACK;"
		} | sql 2>&1 | awk '/^Time:/ { print $2 }' | tail -n +3 | head -n 10 >"$OUT/dashboard-$mode.txt"
	done
	prof_auto=$(pctl 50 <"$OUT/dashboard-auto.txt")
	prof_generic=$(pctl 50 <"$OUT/dashboard-force_generic_plan.txt")
	{
		echo "SET ROLE pos_app;"
		echo "BEGIN;"
		echo "SELECT set_config('app.tenant_id', '$DEV_TENANT', true) \\g /dev/null"
		echo "SELECT report_dashboard('$DEV_STORE') \\g /dev/null"
		echo "RESET ROLE;"
		echo "LOAD 'auto_explain';"
		echo "SET auto_explain.log_min_duration = 0; SET auto_explain.log_analyze = on;"
		echo "SET auto_explain.log_nested_statements = on; SET auto_explain.log_level = notice;"
		echo "SET ROLE pos_app;"
		echo "SELECT report_dashboard('$DEV_STORE') \\g /dev/null"
		echo "COMMIT;"
	} | sql >"$OUT/dashboard-explain.txt" 2>&1
	prof_nested=$(awk '/NOTICE:  duration: / { d = $3; want = 1; next }
		want && /^Query Text:/ { q = substr($0, 13); if (q ~ /^ *$/) { want = 2; next } }
		want == 2 && /[^ ]/ { q = $0 }
		want && q !~ /^ *$/ { gsub(/^ +| +$/, "", q); gsub(/  +/, " ", q); printf "%s ms: %s\n", d, substr(q, 1, 100); want = 0; q = "" }' \
		"$OUT/dashboard-explain.txt" | awk '$1 + 0 >= 0.1' | sort -rn | head -n 8)
}
secs=${DURATION%s}
case $secs in ''|*[!0-9]*) secs=10 ;; esac

w_skip=
[ -n "$DEV_TOKEN" ] && [ -n "$DEV_TENANT" ] || w_skip="no device token for the demo till (see the log above)"
# thousands of orders and 20,000 products: only into a data folder of our own
[ "$own_vardir" = 1 ] || w_skip="BENCH_VARDIR is set: the write and sync runs only use a throwaway data folder"
o_rps=- o_p99=- o_line='' o_check="not run" o_ok=0 o_waits=''
g_tps=- g_p99=- g_check="not run" g_ok=0 g_waits='' g_n=-
t_rps=- t_p99=- t_check="not run" t_ok=0
p_ms=- p_srv=- p_max=- p_check="not run" p_ok=0
c_ms=- l_start=() l_total=() l_dur=() l_size=- l_items=- l_expect=- l_med=- l_check="not run" l_ok=0
o2_rps=- o2_p99=- o2_line=''
declare -A EV=()
ev_note='' s_ok=0 s_check="not run" s_open=- s_min=- s_max=-
h_load_ms=- h_gen_ms=- h_ins_ms=- h_an_ms=- h_orders=- h_lines=- h_first=- h_last=- h_fold_ms=- h_folded=-
h_by='' h_vac_ms=- h_check="not run" h_ok=0 h_fold_rate=-
d1_p50=- d1_p99=- d1_n=- d_p50=- d_p99=- d_n=- d_rps=- d_wp50=- d_wp99=- d_note='' d_ok=0 d_waits=''
ds_p50=- ds_p99=- ds_n=- ds_rps=- ds_n_sessions=0
r_p50=- r_p99=- r_n=- r_cp50=- r_cp99=- r_from=- r_to=- r_check="not run" r_ok=0 r_size=-
prof_lines='' prof_auto=- prof_generic=- prof_nested=''
load_h0=- load_h1=- load_h2=-

if [ -z "$w_skip" ]; then
	# --- 6. POST /api/orders through nginx --------------------------------------------
	read -r b_orders b_lines b_pays b_sales <<<"$(counts)"
	mark=$(log_mark)
	rm -f "$OUT"/orders-ids.*
	say "bench: orders: wrk $WRK_FLAGS -s bench/orders.lua (POST) $BASE/api/orders"
	sample_waits "$OUT/orders-waits.txt" "$((secs - 2))" "backend_type = 'client backend'" &
	sampler=$!
	# shellcheck disable=SC2086 # WRK_FLAGS is several words on purpose
	BENCH_TOKEN=$DEV_TOKEN BENCH_IDS=$OUT/orders-ids wrk $WRK_FLAGS -s "$ROOT/bench/orders.lua" \
		"$BASE/api/orders" >"$OUT/orders.txt" 2>&1
	wait "$sampler"
	settle
	o_rps=$(wrk_rps "$OUT/orders.txt"); o_p99=$(wrk_p99 "$OUT/orders.txt")
	o_line=$(grep '^orders: ' "$OUT/orders.txt")
	o_sent=$(sed -n 's/.* sent=\([0-9]*\).*/\1/p' <<<"$o_line")
	o_resp=$(sed -n 's/.* responses=\([0-9]*\).*/\1/p' <<<"$o_line")
	o_201=$(sed -n 's/.* created=\([0-9]*\).*/\1/p' <<<"$o_line")
	o_other=$(sed -n 's/.* other=\([0-9]*\).*/\1/p' <<<"$o_line")
	o_srv201=$(log_since "$mark" /api/orders | grep -c ' status=201 ')
	read -r a_orders a_lines a_pays a_sales <<<"$(counts)"
	o_added=$((a_orders - b_orders))
	cat "$OUT"/orders-ids.[0-9]* >"$OUT/orders-ids.txt" 2>/dev/null
	read -r i_n i_distinct i_found i_lines i_pays i_sales i_double <<<"$(check_ids "$OUT/orders-ids.txt")"
	o_inflight=$(( ${o_sent:-0} - ${o_resp:-0} ))
	o_check="wrk got $o_201 × 201 and ${o_other:-?} other answers ($o_inflight requests unanswered when wrk stopped);"
	o_check="$o_check the workers answered 201 $o_srv201 times; orders stored: $o_added"
	o_check="$o_check (lines $((a_lines - b_lines)), payments $((a_pays - b_pays)), sale stock movements $((a_sales - b_sales)));"
	o_check="$o_check of the $i_n ids answered 201 to wrk: $i_distinct distinct, $i_found stored, $i_double stored twice,"
	o_check="$o_check with $i_lines lines, $i_pays payments, $i_sales stock movements"
	if [ -n "$o_201" ] && [ "$o_201" -gt 0 ] && [ "$o_other" = 0 ] && [ "$i_n" = "$o_201" ] \
		&& [ "$i_distinct" = "$o_201" ] && [ "$i_found" = "$o_201" ] && [ "$i_double" = 0 ] \
		&& [ "$i_lines" = $((3 * o_201)) ] && [ "$i_pays" = "$o_201" ] && [ "$i_sales" = $((3 * o_201)) ] \
		&& [ "$o_added" = "$o_srv201" ] && [ $((a_lines - b_lines)) = $((3 * o_added)) ] \
		&& [ "$o_added" -ge "$o_201" ] && [ $((o_added - o_201)) -le "$o_inflight" ]; then
		o_ok=1
	fi
	o_waits=$(top_waits "$OUT/orders-waits.txt")
	printf '  %s req/s, p99 %s; %s\n' "$o_rps" "$o_p99" "$([ $o_ok = 1 ] && echo "stored exactly once: yes" || echo "CHECK FAILED: $o_check")" >&2

	# --- 7. pgbench: the same inserts straight into PostgreSQL ---------------------
	read -r b_orders b_lines b_pays b_sales <<<"$(counts)"
	rm -f "$OUT"/pgbench-log.*
	say "bench: pgbench -M extended -c $CONNS -j $THREADS -T $secs -f bench/orders-pgbench.sql (as pos_app)"
	sample_waits "$OUT/pgbench-waits.txt" "$((secs - 2))" "application_name = 'pgbench'" &
	sampler=$!
	"$PGBENCH" -n -h "$PGSOCK" -U pos_app -M extended -c "$CONNS" -j "$THREADS" -T "$secs" \
		-D tenant="$DEV_TENANT" -D store="$DEV_STORE" -D device="$DEV_ID" \
		-f "$ROOT/bench/orders-pgbench.sql" --log --log-prefix="$OUT/pgbench-log" pos >"$OUT/pgbench.txt" 2>&1
	wait "$sampler"
	read -r a_orders a_lines a_pays a_sales <<<"$(counts)"
	g_tps=$(awk '/^tps = / { printf "%.2f", $3 }' "$OUT/pgbench.txt")
	g_n=$(awk -F': ' '/actually processed/ { print $2 }' "$OUT/pgbench.txt")
	g_fail=$(awk -F': ' '/number of failed transactions/ { split($2, a, " "); print a[1] }' "$OUT/pgbench.txt")
	g_p99=$(cat "$OUT"/pgbench-log.* 2>/dev/null | awk '{ print $3 / 1000 }' | pctl 99)
	[ -n "$g_p99" ] && g_p99="${g_p99}ms"
	g_added=$((a_orders - b_orders))
	g_check="$g_n transactions, ${g_fail:-?} failed; orders stored: $g_added (lines $((a_lines - b_lines)),"
	g_check="$g_check payments $((a_pays - b_pays)), sale stock movements $((a_sales - b_sales)))"
	if [ -n "$g_tps" ] && [ "${g_fail:-1}" = 0 ] && [ "$g_added" = "$g_n" ] && [ $((a_lines - b_lines)) = $((3 * g_n)) ] \
		&& ! grep -q 'aborted' "$OUT/pgbench.txt"; then
		g_ok=1
	fi
	g_waits=$(top_waits "$OUT/pgbench-waits.txt")
	printf '  %s tps, p99 %s; %s\n' "${g_tps:--}" "${g_p99:--}" "$g_check" >&2
	[ -n "$g_tps" ] || g_tps=-

	# --- 7b. the other way to keep the rollups: in each order's transaction ------------
	# bench/rollups-in-tx.sql: a deferred trigger updates shadow rollup tables at each
	# order's COMMIT with the aggregator's own statements; run 6's load again; the
	# shadow rollups must count every order stored; then bench/rollups-in-tx-drop.sql.
	read -r b_orders b_lines b_pays b_sales <<<"$(counts)"
	mark=$(log_mark)
	say "bench: orders with the rollups updated in each order's transaction (bench/rollups-in-tx.sql)"
	if sql -f "$ROOT/bench/rollups-in-tx.sql" >"$OUT/rollups-in-tx.txt" 2>&1; then
		# shellcheck disable=SC2086 # WRK_FLAGS is several words on purpose
		BENCH_TOKEN=$DEV_TOKEN wrk $WRK_FLAGS -s "$ROOT/bench/orders.lua" "$BASE/api/orders" >"$OUT/orders-in-tx.txt" 2>&1
		settle
		t_rps=$(wrk_rps "$OUT/orders-in-tx.txt"); t_p99=$(wrk_p99 "$OUT/orders-in-tx.txt")
		read -r a_orders a_lines a_pays a_sales <<<"$(counts)"
		t_added=$((a_orders - b_orders))
		t_srv201=$(log_since "$mark" /api/orders | grep -c ' status=201 ')
		read -r t_h t_q t_k t_m <<<"$(sql -F ' ' -c "SELECT (SELECT coalesce(sum(orders), 0) FROM bench_tx_sales_hourly),
			(SELECT coalesce(sum(qty), 0) FROM bench_tx_product_daily), (SELECT count(*) FROM bench_tx_order_costs),
			(SELECT coalesce(sum(orders), 0) FROM bench_tx_payment_daily)")"
		t_check="orders stored: $t_added (the workers answered 201 $t_srv201 times); in the shadow rollups: $t_h orders by hour,"
		t_check="$t_check $t_q items by product ($((4 * t_added)) sold), $t_k order costs, $t_m orders by payment method"
		if [ "$t_added" -gt 0 ] && [ "$t_added" = "$t_srv201" ] && [ "$t_h" = "$t_added" ] && [ "$t_k" = "$t_added" ] \
			&& [ "$t_m" = "$t_added" ] && [ "$t_q" = $((4 * t_added)) ] && [ -z "$(wrk_non2xx "$OUT/orders-in-tx.txt")" ]; then
			t_ok=1
		fi
		sql -f "$ROOT/bench/rollups-in-tx-drop.sql" >>"$OUT/rollups-in-tx.txt" 2>&1 \
			|| t_check="$t_check; DROP FAILED: $(tail -c 300 "$OUT/rollups-in-tx.txt")"
	else
		t_check="bench/rollups-in-tx.sql failed: $(tail -c 300 "$OUT/rollups-in-tx.txt")"
	fi
	printf '  %s req/s, p99 %s; %s\n' "$t_rps" "$t_p99" "$t_check" >&2

	# --- 8. POST /api/sync/push: 10,000 orders in batches of 500 ----------------------
	mark=$(log_mark)
	say "bench: push: $PUSH_ORDERS orders in batches of $PUSH_BATCH, sequential (bench/sync-push.mjs)"
	node "$ROOT/bench/sync-push.mjs" "$BASE" "$DEV_TOKEN" "$PUSH_ORDERS" "$PUSH_BATCH" "$OUT/push-ids.txt" \
		>"$OUT/push.json" 2>"$OUT/push.err"
	if [ -s "$OUT/push.json" ]; then
		p_ms=$(jget "$OUT/push.json" j.wall_ms)
		p_created=$(jget "$OUT/push.json" j.created)
		p_err=$(jget "$OUT/push.json" "j.http_errors + ' HTTP errors' + (j.first_error ? ', first: ' + j.first_error : '')")
		p_srv=$(log_durs "$mark" /api/sync/push | awk '{ s += $1 } END { printf "%.0f", s }')
		p_max=$(log_durs "$mark" /api/sync/push | pctl 100)
		read -r i_n i_distinct i_found i_lines i_pays i_sales i_double <<<"$(check_ids "$OUT/push-ids.txt")"
		p_check="$p_created of $PUSH_ORDERS answered created ($p_err); of the $i_n ids sent: $i_distinct distinct,"
		p_check="$p_check $i_found stored, $i_double stored twice, with $i_lines lines, $i_pays payments, $i_sales stock movements"
		if [ "$p_created" = "$PUSH_ORDERS" ] && [ "$i_n" = "$PUSH_ORDERS" ] && [ "$i_found" = "$PUSH_ORDERS" ] \
			&& [ "$i_distinct" = "$PUSH_ORDERS" ] && [ "$i_double" = 0 ] && [ "$i_lines" = $((3 * PUSH_ORDERS)) ]; then
			p_ok=1
		fi
	else
		p_check="sync-push.mjs failed: $(head -c 300 "$OUT/push.err")"
	fi
	printf '  %s ms wall, %s ms in the workers; %s\n' "$p_ms" "$p_srv" "$p_check" >&2

	# --- 11. event streams beside the order load (before the big catalogue of 9) -----
	# The order load of run 6 (wrk $WRK_FLAGS -s bench/orders.lua) and, from its
	# second 1 to its second 9, wrk -t1 -c$API_CONNS on each of $API_PATHS in turn
	# (the till's device token in Authorization): once without event streams, once
	# with $STREAMS streams held open by bench/event-streams.mjs (the till's device
	# token as access_token, as EventSource sends it) over all of those runs. Every
	# order is an event on every stream of the store: each stream must get all of them.
	say "bench: event streams: $API_PATHS (wrk -c$API_CONNS) under the order load, without and with $STREAMS streams"
	for ap in $API_PATHS; do
		code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $DEV_TOKEN" "$BASE$ap")
		[ "$code" = 200 ] || ev_note="GET $ap answered HTTP $code"
	done
	for phase in without with; do
		[ -n "$ev_note" ] && break
		if [ "$phase" = with ]; then
			rm -f "$OUT/streams-ready.txt"
			node "$ROOT/bench/event-streams.mjs" "$BASE" "$DEV_TOKEN" "$STREAMS" "$OUT/streams-ready.txt" \
				>"$OUT/streams.json" 2>"$OUT/streams.err" &
			streams_pid=$!
			for _ in $(seq 1 100); do
				[ -s "$OUT/streams-ready.txt" ] && break
				sleep 0.2
			done
			if ! grep -q '^ready' "$OUT/streams-ready.txt" 2>/dev/null; then
				ev_note="the streams did not open: $(cat "$OUT/streams-ready.txt" "$OUT/streams.err" 2>/dev/null | head -c 300)"
				kill -TERM "$streams_pid" 2>/dev/null
				wait "$streams_pid" 2>/dev/null
				streams_pid=
				break
			fi
		fi
		EV[$phase-orders_201]=0
		k=0
		for ap in $API_PATHS; do
			k=$((k + 1))
			key=$phase-$k
			mark=$(log_mark)
			cpu_snapshot "$streams_pid" >"$OUT/cpu-$key-0.txt"
			# shellcheck disable=SC2086 # WRK_FLAGS is several words on purpose
			BENCH_TOKEN=$DEV_TOKEN wrk $WRK_FLAGS -s "$ROOT/bench/orders.lua" "$BASE/api/orders" \
				>"$OUT/events-$key-orders.txt" 2>&1 &
			wpid=$!
			sleep 1
			wrk -t1 -c"$API_CONNS" -d"$((secs - 2))s" --latency -H "Authorization: Bearer $DEV_TOKEN" \
				"$BASE$ap" >"$OUT/events-$key-api.txt" 2>&1
			wait "$wpid"
			cpu_snapshot "$streams_pid" >"$OUT/cpu-$key-1.txt"
			settle
			EV[$key-cpu]=$(cpu_delta "$OUT/cpu-$key-0.txt" "$OUT/cpu-$key-1.txt")
			EV[$key-api_rps]=$(wrk_rps "$OUT/events-$key-api.txt")
			EV[$key-api_p50]=$(wrk_p50 "$OUT/events-$key-api.txt")
			EV[$key-api_p99]=$(wrk_p99 "$OUT/events-$key-api.txt")
			EV[$key-api_bad]="$(wrk_non2xx "$OUT/events-$key-api.txt")$(wrk_sockerr "$OUT/events-$key-api.txt")"
			EV[$key-api_srv_p99]=$(log_durs "$mark" "$ap" | pctl 99)
			EV[$key-orders_rps]=$(wrk_rps "$OUT/events-$key-orders.txt")
			EV[$key-orders_p99]=$(wrk_p99 "$OUT/events-$key-orders.txt")
			EV[$phase-orders_201]=$((EV[$phase-orders_201] + $(log_since "$mark" /api/orders | grep -c ' status=201 ')))
			[ -n "${EV[$key-api_bad]}" ] && EV[api_bad]="${EV[api_bad]:-}$ap ($phase streams): ${EV[$key-api_bad]}; "
			printf '  %s streams: %s p50 %s p99 %s (%s req/s); orders %s req/s, p99 %s; CPU s: %s\n' "$phase" \
				"$ap" "${EV[$key-api_p50]}" "${EV[$key-api_p99]}" "${EV[$key-api_rps]}" \
				"${EV[$key-orders_rps]}" "${EV[$key-orders_p99]}" "${EV[$key-cpu]}" >&2
		done
		if [ "$phase" = with ]; then
			kill -TERM "$streams_pid" 2>/dev/null
			wait "$streams_pid" 2>/dev/null
			streams_pid=
		fi
	done
	if [ -s "$OUT/streams.json" ]; then
		s_open=$(jget "$OUT/streams.json" j.open)
		s_min=$(jget "$OUT/streams.json" j.per_stream_min)
		s_max=$(jget "$OUT/streams.json" j.per_stream_max)
		s_err=$(jget "$OUT/streams.json" "j.errors + ' errors, ' + j.closed_early + ' closed early' + (j.first_error ? ' (' + j.first_error + ')' : '')")
		s_check="$s_open of $STREAMS streams open to the end ($s_err); each got $s_min-$s_max events"
		s_check="$s_check for the ${EV[with-orders_201]} orders the workers stored meanwhile"
		if [ "$s_open" = "$STREAMS" ] && [ "$s_min" = "${EV[with-orders_201]}" ] && [ "$s_max" = "$s_min" ] \
			&& [ "$(jget "$OUT/streams.json" 'j.errors + j.closed_early')" = 0 ]; then
			s_ok=1
		fi
		[ -n "${EV[api_bad]:-}" ] && s_check="$s_check; API errors: ${EV[api_bad]}"
	elif [ -n "$ev_note" ]; then
		s_check="not run: $ev_note"
	fi
	say "  $s_check"

	# --- 9. GET /api/sync/pull of a 20,000-product catalogue -------------------------
	say "bench: pull: $CATALOGUE_PRODUCTS more products (bench/catalogue-20k.sql), then $PULLS full pulls"
	t0=$(date +%s%N)
	if sql_app -v tenant="$DEV_TENANT" -f "$ROOT/bench/catalogue-20k.sql" >"$OUT/catalogue.txt" 2>&1; then
		c_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
		sql -c "ANALYZE" >/dev/null 2>&1
		l_expect=$(sql -c "SELECT count(*) FROM products WHERE tenant_id = '$DEV_TENANT'")
		mark=$(log_mark)
		: >"$OUT/pull.txt"
		for _ in $(seq 1 "$PULLS"); do
			curl -s -o "$OUT/pull.json" -H "Authorization: Bearer $DEV_TOKEN" \
				-w '%{http_code} %{time_starttransfer} %{time_total} %{size_download}\n' \
				"$BASE/api/sync/pull" >>"$OUT/pull.txt"
		done
		settle
		read -ra l_start <<<"$(awk '{ printf "%.0f ", $2 * 1000 }' "$OUT/pull.txt")"
		read -ra l_total <<<"$(awk '{ printf "%.0f ", $3 * 1000 }' "$OUT/pull.txt")"
		read -ra l_dur <<<"$(log_durs "$mark" /api/sync/pull | awk '{ printf "%.0f ", $1 }')"
		l_size=$(awk 'END { printf "%.1f", $4 / 1048576 }' "$OUT/pull.txt")
		l_items=$(jget "$OUT/pull.json" j.changes.products.length)
		l_med=$(printf '%s\n' "${l_dur[@]}" | pctl 50)
		l_codes=$(awk '{ print $1 }' "$OUT/pull.txt" | sort | uniq -c | awk '{ printf "%s%s × %s", (NR > 1 ? ", " : ""), $1, $2 }')
		l_check="HTTP $l_codes; the last body holds $l_items products of $l_expect in the database"
		if [ "$l_items" = "$l_expect" ] && [ "$(grep -vc '^200 ' "$OUT/pull.txt")" = 0 ] && [ ${#l_dur[@]} = "$PULLS" ]; then
			l_ok=1
		fi
	else
		l_check="bench/catalogue-20k.sql failed: $(tail -n 3 "$OUT/catalogue.txt")"
	fi
	printf '  dur_ms %s; curl total %s ms; %s MB; %s\n' "${l_dur[*]}" "${l_total[*]}" "$l_size" "$l_check" >&2

	# --- 10. POST /api/orders again, now with the 20,000-product catalogue -----------
	# No target: it shows whether the cost of an order grows with the catalogue.
	if [ "$l_ok" = 1 ]; then
		say "bench: orders with the $CATALOGUE_PRODUCTS-product catalogue: wrk $WRK_FLAGS -s bench/orders.lua"
		# shellcheck disable=SC2086 # WRK_FLAGS is several words on purpose
		BENCH_TOKEN=$DEV_TOKEN wrk $WRK_FLAGS -s "$ROOT/bench/orders.lua" "$BASE/api/orders" >"$OUT/orders-big.txt" 2>&1
		settle
		o2_rps=$(wrk_rps "$OUT/orders-big.txt"); o2_p99=$(wrk_p99 "$OUT/orders-big.txt")
		o2_line=$(grep '^orders: ' "$OUT/orders-big.txt")
		printf '  %s req/s, p99 %s (%s)\n' "$o2_rps" "$o2_p99" "$o2_line" >&2
	fi

	# --- 12. a sales history of GEN_ORDERS orders, folded by the aggregator ----------
	# bench/orders-1m.sql as the superuser: set-based, one transaction, orders over
	# the GEN_DAYS days before the store's today. Then, as posev does once a second,
	# rollup_fold_all(1000) until no event of the tenant is pending (whoever folds
	# first, posev or this loop: the other finds the tenant locked and skips it).
	say "bench: history: $GEN_ORDERS orders over $GEN_DAYS days (bench/orders-1m.sql), then the fold"
	load_h0=$(cut -d' ' -f1-3 /proc/loadavg)
	folded0=$(sql -c "SELECT coalesce((SELECT folded FROM rollup_watermarks WHERE tenant_id = '$DEV_TENANT'), 0)")
	t0=$(date +%s%N)
	if psql -X -q -h "$PGSOCK" -U postgres -d pos -v ON_ERROR_STOP=1 -v tenant="$DEV_TENANT" -v store="$DEV_STORE" \
		-v device="$DEV_ID" -v n="$GEN_ORDERS" -v days="$GEN_DAYS" -f "$ROOT/bench/orders-1m.sql" >"$OUT/history.txt" 2>&1; then
		h_load_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
		read -r _ h_orders _ h_lines _ h_first h_last _ h_gen_ms _ h_ins_ms _ h_an_ms <<<"$(grep '^load: ' "$OUT/history.txt")"
		printf '  loaded in %s ms (generate %s, insert %s, analyze %s): %s orders, %s lines, %s .. %s\n' "$h_load_ms" \
			"$h_gen_ms" "$h_ins_ms" "$h_an_ms" "$h_orders" "$h_lines" "$h_first" "$h_last" >&2
		pending_sql="SELECT EXISTS (SELECT FROM orders o WHERE o.tenant_id = '$DEV_TENANT' AND o.fold_xid >= w.fold_xid)
			OR EXISTS (SELECT FROM order_status_events e WHERE e.tenant_id = '$DEV_TENANT' AND e.xid >= w.fold_xid)
			FROM (SELECT coalesce((SELECT fold_xid FROM rollup_watermarks WHERE tenant_id = '$DEV_TENANT'), '0') AS fold_xid) w"
		t0=$(date +%s%N)
		h_mine=0
		while :; do
			n=$(sql -c "SELECT rollup_fold_all(1000)" 2>>"$OUT/sql-errors.txt") || n=0
			[ "${n:-0}" -gt 0 ] && h_mine=$((h_mine + n))
			[ "$(sql -c "$pending_sql")" = f ] && break
			if [ $(( ($(date +%s%N) - t0) / 1000000000 )) -ge 600 ]; then
				h_by="(gave up after 600 s)"
				break
			fi
			sleep 0.2
		done
		h_fold_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
		h_folded=$(( $(sql -c "SELECT folded FROM rollup_watermarks WHERE tenant_id = '$DEV_TENANT'") - folded0 ))
		if [ -n "$h_by" ]; then :
		elif [ "$h_mine" -gt 0 ]; then h_by="by this benchmark's rollup_fold_all(1000) call"
		else h_by="by posev's aggregator (its rollup_fold_all(1000) once a second)"
		fi
		h_fold_rate=$(awk -v n="$h_folded" -v ms="$h_fold_ms" 'BEGIN { if (ms > 0) printf "%.0f", n * 1000 / ms; else print "-" }')
		printf '  folded %s events in %s ms %s\n' "$h_folded" "$h_fold_ms" "$h_by" >&2
		# what autovacuum would do sooner or later, now rather than in the middle of run 13
		t0=$(date +%s%N)
		sql -c "VACUUM (ANALYZE) orders, order_lines, order_payments, order_status_events, order_numbers,
			rollup_order_costs, rollup_sales_hourly, rollup_product_daily, rollup_cashier_daily, rollup_payment_daily" \
			2>>"$OUT/sql-errors.txt"
		h_vac_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
		# the history as the tables' rules want it, and the rollups equal to the orders
		read -r c_n c_sub c_pay c_tot c_num c_paid c_rev c_rorders c_rrev <<<"$(sql -F' ' -c "
			WITH o AS (
				SELECT o.* FROM orders o WHERE o.tenant_id = '$DEV_TENANT' AND o.store_id = '$DEV_STORE'
				  AND o.business_date BETWEEN '$h_first' AND '$h_last'
			), l AS (
				SELECT l.order_id, sum(l.total) AS s, bool_and(l.total = l.unit_price * l.qty) AS ok
				FROM order_lines l WHERE l.tenant_id = '$DEV_TENANT' AND l.order_id IN (SELECT id FROM o) GROUP BY 1
			), p AS (
				SELECT p.order_id, sum(p.amount) AS a, sum(p.amount_base) AS b
				FROM order_payments p WHERE p.tenant_id = '$DEV_TENANT' AND p.order_id IN (SELECT id FROM o) GROUP BY 1
			)
			SELECT count(*),
			       count(*) FILTER (WHERE o.subtotal IS DISTINCT FROM l.s OR NOT l.ok),
			       count(*) FILTER (WHERE o.total IS DISTINCT FROM p.a OR o.total_base IS DISTINCT FROM p.b),
			       count(*) FILTER (WHERE o.total <> o.subtotal - o.discount),
			       count(*) - count(DISTINCT (o.business_date, o.number)),
			       count(*) FILTER (WHERE o.status = 'paid'),
			       coalesce(sum(o.total_base) FILTER (WHERE o.status = 'paid'), 0),
			       (SELECT coalesce(sum(r.orders), 0) FROM rollup_sales_hourly r WHERE r.tenant_id = '$DEV_TENANT'
			          AND r.store_id = '$DEV_STORE' AND r.day BETWEEN '$h_first' AND '$h_last'),
			       (SELECT coalesce(sum(r.revenue), 0) FROM rollup_sales_hourly r WHERE r.tenant_id = '$DEV_TENANT'
			          AND r.store_id = '$DEV_STORE' AND r.day BETWEEN '$h_first' AND '$h_last')
			FROM o LEFT JOIN l ON l.order_id = o.id LEFT JOIN p ON p.order_id = o.id" 2>>"$OUT/sql-errors.txt")"
		h_check="$c_n orders on $h_first .. $h_last; subtotal <> its lines: $c_sub; payments <> total: $c_pay;"
		h_check="$h_check total <> subtotal - discount: $c_tot; numbers repeated within a day: $c_num;"
		h_check="$h_check rollups: $c_rorders orders, revenue $c_rrev; paid orders in SQL: $c_paid, revenue $c_rev"
		if [ "$c_n" = "$GEN_ORDERS" ] && [ "$c_sub" = 0 ] && [ "$c_pay" = 0 ] && [ "$c_tot" = 0 ] && [ "$c_num" = 0 ] \
			&& [ "$c_rorders" = "$c_paid" ] && [ "$c_rrev" = "$c_rev" ] && [ "$h_by" != "(gave up after 600 s)" ]; then
			h_ok=1
		fi
		say "  vacuum $h_vac_ms ms; check: $h_check"
	else
		h_check="bench/orders-1m.sql failed: $(tail -n 3 "$OUT/history.txt")"
		say "  $h_check"
	fi
	load_h1=$(cut -d' ' -f1-3 /proc/loadavg)

	# --- 13. the dashboard home and the 90-day sales report, as the owner -----------
	# Signed in like a browser (/login, /login/2fa with the owner's TOTP) for the
	# page, and through the API (/api/auth/login, /api/auth/2fa/verify) for the
	# report; server time is the workers' dur_ms in posd.log.
	# (and 3 page sessions of the demo manager, for a run with a session per
	# connection)
	owner_secret=$(awk '$1 == "owner" { print $NF }' "$VARDIR/demo-logins.txt" 2>/dev/null)
	manager_secret=$(awk '$1 == "manager" { print $NF }' "$VARDIR/demo-logins.txt" 2>/dev/null)
	if [ "$h_load_ms" != - ] && node "$ROOT/bench/owner-login.mjs" "$BASE" owner@demo.pos demo-password-2026 "$owner_secret" \
		manager@demo.pos "$manager_secret" 3 >"$OUT/owner-login.json" 2>"$OUT/owner-login.err"; then
		owner_cookie=$(jget "$OUT/owner-login.json" j.cookie)
		owner_token=$(jget "$OUT/owner-login.json" j.token)
		jget "$OUT/owner-login.json" "j.cookies.join('\\n')" >"$OUT/cookies.txt"
		# one at a time: what one page costs
		say "bench: dashboard: wrk -t1 -c1 -d5s, then wrk -t2 -c$DASH_CONNS -d$DURATION, GET /dashboard with the owner's session"
		mark=$(log_mark)
		wrk -t1 -c1 -d5s --latency -H "Cookie: $owner_cookie" "$BASE/dashboard" >"$OUT/dashboard-c1.txt" 2>&1
		settle
		d1_p50=$(log_durs "$mark" /dashboard | pctl 50)
		d1_p99=$(log_durs "$mark" /dashboard | pctl 99)
		d1_n=$(log_durs "$mark" /dashboard | wc -l)
		mark=$(log_mark)
		sample_queries "$OUT/dashboard-waits.txt" "$((secs - 2))" "backend_type = 'client backend' AND state <> 'idle'" &
		sampler=$!
		wrk -t2 -c"$DASH_CONNS" -d"$DURATION" --latency -H "Cookie: $owner_cookie" "$BASE/dashboard" >"$OUT/dashboard.txt" 2>&1
		wait "$sampler"
		settle
		d_p50=$(log_durs "$mark" /dashboard | pctl 50)
		d_p99=$(log_durs "$mark" /dashboard | pctl 99)
		d_n=$(log_durs "$mark" /dashboard | wc -l)
		d_rps=$(wrk_rps "$OUT/dashboard.txt")
		d_wp50=$(wrk_p50 "$OUT/dashboard.txt")
		d_wp99=$(wrk_p99 "$OUT/dashboard.txt")
		n2=$(wrk_non2xx "$OUT/dashboard.txt"); se=$(wrk_sockerr "$OUT/dashboard.txt")
		n200=$(log_since "$mark" /dashboard | grep -c ' status=200 ')
		[ -n "$n2" ] && d_note="$n2 non-2xx answers"
		[ -n "$se" ] && d_note="${d_note:+$d_note; }socket errors: $se"
		[ -z "$d_note" ] && [ "$n200" = "$d_n" ] && [ "$d_n" -gt 0 ] && d_ok=1
		d_waits=$(top_waits "$OUT/dashboard-waits.txt")
		printf '  one at a time: dur_ms p50 %s p99 %s (%s pages); -c%s: dur_ms p50 %s p99 %s (%s pages, %s req/s; wrk p50 %s p99 %s) %s\n' \
			"$d1_p50" "$d1_p99" "$d1_n" "$DASH_CONNS" "$d_p50" "$d_p99" "$d_n" "$d_rps" "$d_wp50" "$d_wp99" "$d_note" >&2
		say "  the backends meanwhile: $d_waits"
		# the same with a session per connection (no target): the owner's and 3 of
		# the manager's, one wrk thread each
		ds_n_sessions=$(grep -c . "$OUT/cookies.txt")
		if [ "$ds_n_sessions" -ge 2 ]; then
			mark=$(log_mark)
			BENCH_COOKIES=$OUT/cookies.txt wrk -t"$ds_n_sessions" -c"$ds_n_sessions" -d"$DURATION" --latency \
				-s "$ROOT/bench/dashboard-sessions.lua" "$BASE/dashboard" >"$OUT/dashboard-sessions.txt" 2>&1
			settle
			ds_p50=$(log_durs "$mark" /dashboard | pctl 50)
			ds_p99=$(log_durs "$mark" /dashboard | pctl 99)
			ds_n=$(log_since "$mark" /dashboard | grep -c ' status=200 ')
			ds_rps=$(wrk_rps "$OUT/dashboard-sessions.txt")
			printf '  %s sessions, -c%s: dur_ms p50 %s p99 %s (%s pages answered 200, %s req/s)\n' "$ds_n_sessions" \
				"$ds_n_sessions" "$ds_p50" "$ds_p99" "$ds_n" "$ds_rps" >&2
		fi

		# the sales report by day over the last GEN_DAYS days (today included), one
		# request after another on one keep-alive connection
		r_to=$(sql -c "SELECT store_today('$DEV_STORE')")
		r_from=$(sql -c "SELECT store_today('$DEV_STORE') - $((GEN_DAYS - 1))")
		r_url="$BASE/api/reports/sales?from=$r_from&to=$r_to&group=day"
		say "bench: report: $REPORT_REQUESTS × GET /api/reports/sales?from=$r_from&to=$r_to&group=day (curl, one connection)"
		curl -s -o "$OUT/report.json" -H "Authorization: Bearer $owner_token" "$r_url"
		r_size=$(wc -c <"$OUT/report.json")
		args=()
		for _ in $(seq 1 "$REPORT_REQUESTS"); do args+=(-o /dev/null "$r_url"); done
		mark=$(log_mark)
		curl -s -w '%{http_code} %{time_total}\n' -H "Authorization: Bearer $owner_token" "${args[@]}" >"$OUT/report.txt"
		settle
		r_p50=$(log_durs "$mark" /api/reports/sales | pctl 50)
		r_p99=$(log_durs "$mark" /api/reports/sales | pctl 99)
		r_n=$(log_durs "$mark" /api/reports/sales | wc -l)
		r_cp50=$(awk '{ printf "%.2f\n", $2 * 1000 }' "$OUT/report.txt" | pctl 50)
		r_cp99=$(awk '{ printf "%.2f\n", $2 * 1000 }' "$OUT/report.txt" | pctl 99)
		r_codes=$(awk '{ print $1 }' "$OUT/report.txt" | sort | uniq -c | awk '{ printf "%s%s × %s", (NR > 1 ? ", " : ""), $1, $2 }')
		# the report's totals against the orders themselves
		read -r q_n q_rev <<<"$(sql -F' ' -c "SELECT count(*), coalesce(sum(o.total_base), 0)
			FROM orders o JOIN stores s ON s.tenant_id = o.tenant_id AND s.id = o.store_id
			WHERE o.tenant_id = '$DEV_TENANT' AND o.store_id = '$DEV_STORE' AND o.status = 'paid'
			  AND (o.created_at AT TIME ZONE s.time_zone)::date BETWEEN '$r_from' AND '$r_to'")"
		j_n=$(jget "$OUT/report.json" j.totals.count)
		j_rev=$(jget "$OUT/report.json" j.totals.revenue)
		j_days=$(jget "$OUT/report.json" j.items.length)
		r_check="HTTP $r_codes; $j_days days; totals $j_n orders, revenue $j_rev against $q_n and $q_rev in SQL"
		if [ "$(grep -vc '^200 ' "$OUT/report.txt")" = 0 ] && [ "$r_n" = "$REPORT_REQUESTS" ] && [ "$j_n" = "$q_n" ] \
			&& [ "$j_rev" = "$q_rev" ] && [ "$j_days" = "$GEN_DAYS" ]; then
			r_ok=1
		fi
		printf '  dur_ms p50 %s p99 %s (%s requests); curl p50 %s p99 %s ms; %s\n' "$r_p50" "$r_p99" "$r_n" "$r_cp50" "$r_cp99" "$r_check" >&2

		# where the dashboard's time goes in the database: planning and execution of
		# its parts (EXPLAIN ANALYZE, warm), the whole call repeated with the
		# default plan cache and with generic plans, and every nested statement of
		# one call (auto_explain)
		dash_profile
	else
		if [ "$h_load_ms" = - ]; then
			d_note="not run: the history (run 12) did not load"
		else
			d_note="not run: the owner's login failed: $(head -c 300 "$OUT/owner-login.err" 2>/dev/null)"
		fi
		r_check=$d_note
		say "bench: dashboard: $d_note"
	fi
	load_h2=$(cut -d' ' -f1-3 /proc/loadavg)
fi

measure_mem
m2=("$nworkers" "$rss_sum" "$rss_max" "$pss_sum" "$pss_max" "$hwm_max" "$sup_rss")
# the memory target and the figures of the table: after runs 1-5, as before
nworkers=${m1[0]} rss_sum=${m1[1]} rss_max=${m1[2]} pss_sum=${m1[3]} pss_max=${m1[4]} hwm_max=${m1[5]} sup_rss=${m1[6]}
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

# --- verdicts ------------------------------------------------------------------
ok=1
hi=$(row hello)
vi=$(row version)
ratio=-
ratio_verdict="n/a (a run is missing)"
if [ "$hi" -ge 0 ] && [ "$vi" -ge 0 ] && [ "${rps[$hi]}" != - ] && [ "${rps[$vi]}" != - ] \
	&& [ -z "${notes[$hi]}" ] && [ -z "${notes[$vi]}" ]; then
	ratio=$(awk -v a="${rps[$vi]}" -v b="${rps[$hi]}" 'BEGIN { printf "%.1f", 100 * a / b }')
	if awk -v r="$ratio" -v t="$TARGET_RATIO" 'BEGIN { exit !(r >= t) }'; then
		ratio_verdict="PASS"
	else
		ratio_verdict="FAIL"
		ok=0
	fi
else
	ok=0
fi
if [ "$nworkers" -gt 0 ]; then
	if [ "$rss_max" -lt "$TARGET_RSS_KB" ]; then rss_verdict=PASS; else rss_verdict=FAIL; ok=0; fi
else
	rss_verdict="n/a (no posd process found)"
	ok=0
fi
# Any flagged run fails the benchmark; only the optional db_read may be skipped.
for i in "${!names[@]}"; do
	case ${notes[$i]} in
	*"not valid"*|*"socket errors"*) ok=0 ;;
	"not run"*) [ "${names[$i]}" != db_read ] && ok=0 ;;
	esac
done
# verdict COMMAND...: PASS when it succeeds, else FAIL; "not run" without a device token
verdict() {
	if [ -n "$w_skip" ]; then echo "not run"
	elif "$@"; then echo PASS
	else echo FAIL
	fi
}
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "-" && b != "-" && a + 0 >= b + 0) }'; }
lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "-" && a != "" && a + 0 < b + 0) }'; }
db_ratio=-
[ "$o_rps" != - ] && [ -n "$o_rps" ] && [ "$g_tps" != - ] && \
	db_ratio=$(awk -v a="$o_rps" -v b="$g_tps" 'BEGIN { if (b > 0) printf "%.1f", 100 * a / b; else print "-" }')
db_ratio_verdict=$(verdict ge "$db_ratio" "$TARGET_DB_RATIO")
orders_verdict=$(verdict [ "$o_ok" = 1 ])
pgbench_verdict=$(verdict [ "$g_ok" = 1 ])
intx_verdict=$(verdict [ "$t_ok" = 1 ])
push_verdict=$(verdict lt "$p_ms" "$TARGET_PUSH_MS")
push_check_verdict=$(verdict [ "$p_ok" = 1 ])
pull_verdict=$(verdict lt "$l_med" "$TARGET_PULL_MS")
pull_check_verdict=$(verdict [ "$l_ok" = 1 ])
# $(verdict) runs in a subshell: its ok=0 is lost; count the failures here
# runs 11-13
history_verdict=$(verdict [ "$h_ok" = 1 ])
dash_p50_verdict=$(verdict lt "$d_p50" "$TARGET_DASH_P50")
dash_p99_verdict=$(verdict lt "$d_p99" "$TARGET_DASH_P99")
dash_ok_verdict=$(verdict [ "$d_ok" = 1 ])
report_verdict=$(verdict lt "$r_p99" "$TARGET_REPORT_MS")
report_check_verdict=$(verdict [ "$r_ok" = 1 ])
# the API target holds for the slowest of the paths
api_worst=
k=0
for ap in $API_PATHS; do
	k=$((k + 1))
	v=$(ms_of "${EV[with-$k-api_p99]:-}")
	if [ -z "$v" ] || [ "$v" = - ]; then api_worst=-; break; fi
	[ -z "$api_worst" ] || awk -v a="$v" -v b="$api_worst" 'BEGIN { exit !(a > b) }' && api_worst=$v
done
api_verdict=$(verdict lt "${api_worst:--}" "$TARGET_API_P99")
streams_verdict=$(verdict [ "$s_ok" = 1 ])
# over VALUE TARGET: " (X ms, Y % over)" when VALUE misses TARGET
over() { awk -v a="$1" -v t="$2" 'BEGIN { if (a != "-" && a != "" && a + 0 >= t + 0)
	printf " (%.1f ms, %.0f %% over)", a - t, 100 * (a - t) / t }'; }
for v in "$db_ratio_verdict" "$orders_verdict" "$pgbench_verdict" "$intx_verdict" "$push_verdict" "$push_check_verdict" \
	"$pull_verdict" "$pull_check_verdict" "$history_verdict" "$dash_p50_verdict" "$dash_p99_verdict" \
	"$dash_ok_verdict" "$report_verdict" "$report_check_verdict" "$api_verdict" "$streams_verdict"; do
	[ "$v" = PASS ] || ok=0
done
if [ "${m2[0]}" -gt 0 ] && [ "${m2[2]}" -lt "$TARGET_RSS_KB" ]; then rss2_verdict=PASS; else rss2_verdict=FAIL; ok=0; fi

# --- bench/RESULTS.md -------------------------------------------------------------
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
mem=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
v_nginx=$(nginx -v 2>&1 | sed "s/^nginx version: //")
v_wrk=$(wrk -v 2>&1 | head -n 1 | awk "{ print \$2 }")
v_pg=$("$PGBIN/postgres" --version 2>/dev/null || echo unknown)
v_kernel=$(uname -r)
commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo none)
[ -n "$(git -C "$ROOT" status --porcelain 2>/dev/null)" ] && commit="$commit (with uncommitted changes)"

{
	echo "# Benchmark results"
	echo
	echo "Written by \`make bench\` (scripts/bench.sh); each run replaces this file."
	echo
	echo "- Date: $started"
	echo "- Commit: $commit"
	echo "- Machine: $(nproc) CPUs, $cpu, $mem RAM, Linux $v_kernel"
	echo "- Versions: $v_nginx; wrk $v_wrk; $v_pg"
	echo "- Load average (1/5/15 min) before the runs: $load_before; after runs 1-5: $load_after"
	echo
	echo "## Method"
	echo
	echo "- \`wrk $WRK_FLAGS\`, one run per endpoint, HTTP/1.1 keep-alive, no"
	echo "  \`Accept-Encoding\` (so no gzip), against nginx on 127.0.0.1:$PORT."
	echo "- $WORKERS posd worker processes in the API pool (WORKERS=$WORKERS) and $ORDER_WORKERS in the"
	echo "  order pool (ORDER_WORKERS=$ORDER_WORKERS: POST /api/orders, POST /api/sync/push); the"
	echo "  memory figures count both pools. bench/hello.c runs as many processes as the API pool"
	echo "  behind the same nginx (\`location = /__bench/hello\`)."
	echo "- Everything runs on loopback on the same $(nproc)-core machine: wrk, nginx, the"
	echo "  workers and PostgreSQL share the cores, so absolute figures are lower"
	echo "  than on a dedicated server; the ratios are what to compare between runs."
	echo "  Other jobs on the machine (see load average) add noise."
	echo "- A run whose path does not first answer 2xx to curl is not run; a run with"
	echo "  non-2xx answers or socket errors is flagged and fails the benchmark."
	echo "- db_read: \`GET $DB_PATH\` with the demo till's device token (the demo café's"
	echo "  catalogue: 7 products, 3 categories, 2 modifier groups; one transaction with"
	echo "  the token check and one catalogue query per request)."
	echo "- Memory: VmRSS (/proc/PID/status) and PSS (/proc/PID/smaps_rollup) of the"
	echo "  posd worker processes after runs 1-5, and again after all runs."
	echo
	echo "## Reads"
	echo
	echo "| endpoint | path | req/s | p99 | notes |"
	echo "|---|---|---:|---:|---|"
	for i in "${!names[@]}"; do
		case ${names[$i]} in
		static) what="nginx static file" ;;
		hello) what="bare libfcgi hello (ceiling)" ;;
		version) what="workers, no database" ;;
		healthz) what="workers, 1 DB round trip" ;;
		db_read) what="workers, DB-backed read: the till catalogue of the demo store" ;;
		*) what=${names[$i]} ;;
		esac
		echo "| ${names[$i]} ($what) | \`${paths[$i]}\` | ${rps[$i]} | ${p99s[$i]} | ${notes[$i]} |"
	done
	echo
	echo "## Writes and sync"
	echo
	if [ -n "$w_skip" ]; then
		echo "Not run: $w_skip."
	else
		echo "| run | how | figure | p99 / detail |"
		echo "|---|---|---:|---|"
		echo "| POST /api/orders through nginx | wrk \`$WRK_FLAGS -s bench/orders.lua\` | $o_rps req/s | $o_p99 |"
		echo "| the same orders in pgbench | \`pgbench -M extended -c $CONNS -j $THREADS -T $secs -f bench/orders-pgbench.sql\` | $g_tps tps | ${g_p99:--} |"
		echo "| POST /api/orders with the rollups updated in each order's transaction (the way not taken; no target) | as the first orders run, with bench/rollups-in-tx.sql | $t_rps req/s | $t_p99; $(awk -v a="$t_rps" -v b="$o_rps" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.0f %% of the first orders run (the aggregator)", 100 * a / b; else print "-" }') |"
		echo "| POST /api/sync/push, $PUSH_ORDERS orders | bench/sync-push.mjs, $PUSH_BATCH a batch, one after another | $p_ms ms wall | $p_srv ms in the workers (dur_ms sum), slowest batch $p_max ms |"
		echo "| GET /api/sync/pull, full | curl × $PULLS, no cursor, $l_size MB | median $l_med ms server (dur_ms) | dur_ms ${l_dur[*]}; curl starttransfer ${l_start[*]} ms; total ${l_total[*]} ms |"
		echo "| POST /api/orders again, after the pull (catalogue of $l_expect products) | as the first orders run; no target | $o2_rps req/s | $o2_p99; ${o2_line#orders: } |"
		echo
		echo "How:"
		echo
		echo "- The demo café from \`posctl seed-demo\`; its till POS-01 activated with the key"
		echo "  in demo-logins.txt (\`POST /api/devices/activate\`); its device token in"
		echo "  \`Authorization\` for the catalogue read, the orders, the push and the pull."
		echo "  PostgreSQL with its default durability (fsync, synchronous_commit on)."
		echo "- Orders: each request a new random v4 id (math.random, seeded per wrk thread),"
		echo "  3 lines of products with recipes (Латте 1 × 500, Капучино 2 × 450, Эспрессо"
		echo "  1 × 300), discount 100, one cash payment of 1600 AZN: 3 sale stock movements"
		echo "  (beans, milk, cups) per order. Each 201's id is written down by the Lua"
		echo "  script and looked up in SQL afterwards."
		echo "  Check: $o_check."
		echo "- pgbench: the same order built in SQL (gen_random_uuid() per transaction,"
		echo "  jsonb_build_object), \`BEGIN; set_config('app.tenant_id', …, true);"
		echo "  order_submit(…); COMMIT\` as pos_app over the unix socket: the call the"
		echo "  workers make, without HTTP, nginx, JSON checks, the token check and the"
		echo "  workers' own queue. p99 from pgbench's per-transaction log."
		echo "  Check: $g_check."
		echo "- Rollups in the order's transaction (run 7b): the way the aggregator replaced,"
		echo "  measured on the same order load. bench/rollups-in-tx.sql adds a deferred trigger"
		echo "  on orders that, at each order's COMMIT, runs the aggregator's own statements"
		echo "  (rollup_line_facts, rollup_payment_facts, the same upserts, rows in key order so"
		echo "  that orders never deadlock) for that order into shadow tables shaped like the"
		echo "  rollups; posev's aggregator keeps folding meanwhile, as in run 6, so the"
		echo "  difference is the in-transaction update. Every order of a store then also holds"
		echo "  the store's hourly, cashier and payment rows and its products' rows until COMMIT."
		echo "  Dropped afterwards (bench/rollups-in-tx-drop.sql)."
		echo "  Check: $t_check."
		echo "- Push: $PUSH_ORDERS orders (the same body, fresh ids, sale times over the last"
		echo "  hour) built before the clock starts; $((PUSH_ORDERS / PUSH_BATCH)) batches posted one after another;"
		echo "  wall time from the first request to the last answer."
		echo "  Check: $p_check."
		echo "- Pull: $CATALOGUE_PRODUCTS products in 5 new categories added in one transaction as"
		echo "  pos_app (bench/catalogue-20k.sql, ${c_ms} ms; then ANALYZE), on this run's throwaway"
		echo "  database only; then $PULLS pulls one after another. Server time is the workers'"
		echo "  dur_ms in posd.log (request read to reply written)."
		echo "  Check: $l_check."
		echo "- What the database backends were doing, sampled every 0.25 s from"
		echo "  pg_stat_activity (wait event, or CPU; state):"
		echo "  - during the wrk orders run (the workers' connections): ${o_waits:--}"
		echo "  - during pgbench: ${g_waits:--}"
	fi
	echo
	echo "## The manager's dashboard: a $GEN_ORDERS-order history, the dashboard, reports, event streams"
	echo
	if [ -n "$w_skip" ]; then
		echo "Not run: $w_skip."
	else
		echo "Load average (1/5/15 min): before run 12 $load_h0; after the fold $load_h1; after run 13 $load_h2."
		echo
		echo "| run | how | figure | detail |"
		echo "|---|---|---:|---|"
		echo "| history: load $GEN_ORDERS orders over $GEN_DAYS days | bench/orders-1m.sql (psql as the superuser, one transaction) | $h_load_ms ms wall | generate $h_gen_ms ms (temporary tables), INSERT … SELECT $h_ins_ms ms, ANALYZE $h_an_ms ms; $h_orders orders, $h_lines lines, $h_first .. $h_last |"
		echo "| history: fold into the rollups | \`SELECT rollup_fold_all(1000)\` every 0.2 s until nothing is pending | $h_fold_ms ms wall | $h_folded events (≈ $h_fold_rate a second), folded $h_by; then VACUUM (ANALYZE) $h_vac_ms ms (not counted) |"
		echo "| GET /dashboard, one at a time | wrk \`-t1 -c1 -d5s --latency\`, the owner's session cookie | p50 $d1_p50 ms server (dur_ms) | p99 $d1_p99 ms; $d1_n pages |"
		echo "| GET /dashboard | wrk \`-t2 -c$DASH_CONNS -d$DURATION --latency\`, the owner's session cookie | p50 $d_p50 ms, p99 $d_p99 ms server (dur_ms) | $d_rps req/s; wrk p50 $d_wp50, p99 $d_wp99; $d_n pages${d_note:+; $d_note} |"
		echo "| GET /dashboard, a session per connection (no target) | wrk \`-t$ds_n_sessions -c$ds_n_sessions -d$DURATION --latency -s bench/dashboard-sessions.lua\`: the owner's and 3 of the manager's sessions | p50 $ds_p50 ms, p99 $ds_p99 ms server (dur_ms) | $ds_rps req/s; $ds_n pages |"
		echo "| GET /api/reports/sales?from=$r_from&to=$r_to&group=day | curl × $REPORT_REQUESTS on one keep-alive connection, the owner's bearer token | p50 $r_p50 ms, p99 $r_p99 ms server (dur_ms) | curl p50 $r_cp50 ms, p99 $r_cp99 ms; $r_size bytes |"
		for ph in without with; do
			if [ "$ph" = with ]; then what="with $STREAMS event streams open"; else what="no event stream"; fi
			k=0
			for ap in $API_PATHS; do
				k=$((k + 1))
				key=$ph-$k
				echo "| GET $ap beside POST /api/orders, $what | wrk \`-t1 -c$API_CONNS -d$((secs - 2))s --latency\` inside wrk \`$WRK_FLAGS -s bench/orders.lua\` | p99 ${EV[$key-api_p99]:--} | p50 ${EV[$key-api_p50]:--}, ${EV[$key-api_rps]:--} req/s, server p99 ${EV[$key-api_srv_p99]:--} ms; orders ${EV[$key-orders_rps]:--} req/s, p99 ${EV[$key-orders_p99]:--}; CPU s: ${EV[$key-cpu]:--} |"
			done
		done
		echo
		echo "How:"
		echo
		echo "- History (run 12): bench/orders-1m.sql writes $GEN_ORDERS orders of the demo café over the"
		echo "  $GEN_DAYS days before the store's today (Asia/Baku), set-based: temporary tables"
		echo "  generated from a hash of each order's seed, then one INSERT … SELECT each into"
		echo "  orders, order_lines, order_payments, order_status_events and order_numbers, and"
		echo "  ANALYZE, in one transaction. Days weighted by weekday (weekends busier); sale"
		echo "  times over the opening hours 08:00-22:00 with morning, lunch and evening peaks;"
		echo "  numbers 1, 2, 3 … per day in order of sale time; 1-4 lines (1.9 on average) of the"
		echo "  7 demo products, drinks with a size and sometimes an extra (unit price = price"
		echo "  + deltas); 5 % of orders 10 % off; cash 40 % (tendered, change), card 50 %, qr"
		echo "  10 %, 3 % split cash + card; 1.1 % refunded or cancelled (their -1 event written"
		echo "  as the trigger would). Per-row triggers are off during the load"
		echo "  (session_replication_role = replica, as pg_restore does): no $GEN_ORDERS NOTIFYs for"
		echo "  posev, and no per-row foreign-key lookups; every id comes from the row it"
		echo "  references, and the check below verifies the rest. No stock movements."
		echo "  Check: $h_check."
		echo "- Fold: as posev does once a second, \`rollup_fold_all(1000)\` in a loop (every 0.2 s)"
		echo "  until no order or status event of the tenant is above the watermark. A"
		echo "  transaction's events are never split, so the whole history is one fold;"
		echo "  whoever starts it first (posev or the loop) does it, the other skips the"
		echo "  locked tenant. Wall time from the load's COMMIT to nothing pending."
		echo "- Dashboard and report (run 13): the demo owner signs in with the TOTP secret of"
		echo "  demo-logins.txt, once as a browser (bench/owner-login.mjs: GET /login, POST /login,"
		echo "  POST /login/2fa: the session cookie) and once through the API (/api/auth/login,"
		echo "  /api/auth/2fa/verify: the bearer token). Today holds the orders of runs 6-11 (busier"
		echo "  than a generated day); the same weekday last week and the $GEN_DAYS-day range come"
		echo "  from the history. Server time is the workers' dur_ms in posd.log (request read"
		echo "  to reply written), percentiles over all requests of the run. What the database"
		echo "  backends were doing during the -c$DASH_CONNS run (pg_stat_activity every 0.25 s, wait"
		echo "  event or CPU, state, start of the query): ${d_waits:--}."
		echo "  Report check: $r_check."
		echo "- Event streams (run 11, between runs 8 and 9, so that the orders are those of"
		echo "  run 6, before the 20,000-product catalogue): run 6's order load for $secs s with"
		echo "  wrk -c$API_CONNS on each of $API_PATHS (the till's device token) from its second 1 to its"
		echo "  second $((secs - 1)), one path a run; once without streams, once with $STREAMS streams held by"
		echo "  bench/event-streams.mjs over those runs (GET /api/events?access_token= the till's device"
		echo "  token, one connection each, opened before the load). The orders go to the order pool"
		echo "  ($ORDER_WORKERS workers), the API paths to the API pool ($WORKERS workers). CPU s:"
		echo "  user + system time (/proc/PID/stat) over the order run of this stack's PostgreSQL"
		echo "  processes, posd workers, nginx workers, posev and the stream client (node, on this"
		echo "  machine too); the wrk processes are not counted."
		echo "  Check: $s_check."
	fi
	echo
	echo "## Targets"
	echo
	echo "| target | measured | verdict |"
	echo "|---|---|---|"
	echo "| /api/version req/s ≥ $TARGET_RATIO % of hello's | ${ratio}% | $ratio_verdict |"
	echo "| RSS per worker < 20 MB (after runs 1-5) | max $(mb "$rss_max") MB | $rss_verdict |"
	echo "| POST /api/orders req/s ≥ $TARGET_DB_RATIO % of pgbench's tps | ${db_ratio}% ($o_rps / $g_tps) | $db_ratio_verdict |"
	echo "| orders stored = 201 answers, none lost or doubled | see the check above | $orders_verdict |"
	echo "| pgbench run clean (no failed transaction, all stored) | $g_n transactions | $pgbench_verdict |"
	echo "| rollups in the order's transaction: every order stored and counted once (no speed target) | see the check above | $intx_verdict |"
	echo "| push of $PUSH_ORDERS orders < $((TARGET_PUSH_MS / 1000)) s | $p_ms ms | $push_verdict |"
	echo "| every pushed order stored exactly once | see the check above | $push_check_verdict |"
	echo "| full pull of $CATALOGUE_PRODUCTS products < $TARGET_PULL_MS ms server time (median dur_ms) | $l_med ms | $pull_verdict |"
	echo "| the pull carries every product | $l_items of $l_expect | $pull_check_verdict |"
	echo "| RSS per worker < 20 MB (after all runs) | max $(mb "${m2[2]}") MB | $rss2_verdict |"
	echo "| history of $GEN_ORDERS orders: totals, payments, numbers per day, rollups = orders | see the check above | $history_verdict |"
	echo "| GET /dashboard p50 < $TARGET_DASH_P50 ms server time (wrk -c$DASH_CONNS) | $d_p50 ms$(over "$d_p50" "$TARGET_DASH_P50") | $dash_p50_verdict |"
	echo "| GET /dashboard p99 < $TARGET_DASH_P99 ms server time (wrk -c$DASH_CONNS) | $d_p99 ms$(over "$d_p99" "$TARGET_DASH_P99") | $dash_p99_verdict |"
	echo "| every dashboard request answered 200 | $d_n pages${d_note:+; $d_note} | $dash_ok_verdict |"
	echo "| $GEN_DAYS-day sales report p99 < $TARGET_REPORT_MS ms server time | $r_p99 ms (p50 $r_p50 ms)$(over "$r_p99" "$TARGET_REPORT_MS") | $report_verdict |"
	echo "| the report's totals = the paid orders in SQL | see the check above | $report_check_verdict |"
	echo "| API p99 < $TARGET_API_P99 ms beside the order load with $STREAMS event streams (the slowest of $API_PATHS) | $api_worst ms$(k=0; for ap in $API_PATHS; do k=$((k + 1)); printf '; %s %s (without streams %s)' "$ap" "${EV[with-$k-api_p99]:--}" "${EV[without-$k-api_p99]:--}"; done)$(over "$api_worst" "$TARGET_API_P99") | $api_verdict |"
	echo "| every stream open to the end, every order an event on each | see the check above | $streams_verdict |"
	echo
	echo "Workers' memory after runs 1-5 ($nworkers workers): RSS sum $(mb "$rss_sum") MB,"
	echo "max $(mb "$rss_max") MB; PSS sum $(mb "$pss_sum") MB, max $(mb "$pss_max") MB."
	[ "$sup_rss" != - ] && echo "Supervisor RSS $(mb "$sup_rss") MB (not counted above)."
	echo "After all runs (${m2[0]} workers): RSS sum $(mb "${m2[1]}") MB, max $(mb "${m2[2]}") MB;"
	echo "PSS sum $(mb "${m2[3]}") MB, max $(mb "${m2[4]}") MB; peak RSS (VmHWM) of the busiest worker $(mb "${m2[5]}") MB."
	echo "Load average at the end: $load_end."
	echo
	echo "## Where the time goes"
	echo
	echo "Measured figures of this run first; the rest is an analysis of the SQL made"
	echo "on 2026-11-25 with auto_explain (nested statements), EXPLAIN ANALYZE and perf"
	echo "(pg_stat_statements is not installed); re-check it when migrations change."
	echo
	echo "- Orders: every order of a store takes the same order_numbers row (number per"
	echo "  store per day, an upsert +1) and the stock_levels rows of the ingredients it"
	echo "  uses, and holds them until COMMIT, so the orders of one store run one at a"
	echo "  time whatever the number of connections: in the wait samples above,"
	echo "  Lock:transactionid is those row locks. The workers hold the locks a little"
	echo "  longer than pgbench: they read the stored order back as JSON and"
	echo "  build the reply before their COMMIT (\"idle in transaction\" samples), and a"
	echo "  worker descheduled on this shared machine meanwhile stalls every other order."
	echo "- Orders with a big catalogue ($o2_rps req/s above, against $o_rps before the"
	echo "  pull): order_submit's look-ups of products and modifiers name the tenant"
	echo "  (\`p.tenant_id = t AND p.id = …\`), so the primary key (tenant_id, id) serves"
	echo "  them whatever the size of the catalogue. (An earlier version joined on p.id"
	echo "  alone and hashed the whole products table: with 20,007 products an order took"
	echo "  20 ms instead of 1 ms in the database.) What is left between the two runs is"
	echo "  the 20,000-product pull's aftermath (autovacuum, a colder cache) and the noise"
	echo "  of this shared machine."
	echo "- Rollups in the order's transaction (run 7b): $t_rps req/s against $o_rps with the"
	echo "  aggregator (run 6), p99 $t_p99 against $o_p99. Each order then also holds its"
	echo "  store's hourly, cashier and payment rollup rows and its products' rows until"
	echo "  COMMIT, on top of the order number and the stock levels, and runs the fold's"
	echo "  statements for one order (planned per call) inside that window. Against the"
	echo "  database's own rate (run 7, pgbench, no trigger) that is $(awk -v a="$t_rps" -v b="$g_tps" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.0f", 100 * a / b; else print "-" }') % (target >= $TARGET_DB_RATIO %),"
	echo "  the aggregator's $db_ratio %; and both keep the reports exact at once (reports add"
	echo "  the orders not yet folded). The aggregator stays."
	echo "- Push: the workers' time is $p_srv ms of $p_ms ms wall. order_submit_many is"
	echo "  set-based since commit 26c3263 (one statement per table for the batch). Before"
	echo "  it ran one plpgsql subtransaction (EXCEPTION block) per order and returned"
	echo "  api_order() of each (about 600 kB a batch): 10,000 orders took 25-34 s in"
	echo "  three runs; in psql 500 orders took 1.2-1.4 s that way, 0.34 s as the same"
	echo "  500 order_submit calls without the EXCEPTION block."
	echo "- Pull: api_product() is a SQL function with a sub-select, so it is not inlined"
	echo "  and runs as its own query per row: 780 ms of the 950 ms statement for 20,007"
	echo "  products. The same JSON built inline with a join for modifier_group_ids took"
	echo "  340 ms, and with json_agg/json_build_object instead of jsonb 190 ms."
	echo "- Memory: a pull of $l_size MB takes a worker to a peak of $(mb "${m2[5]}") MB RSS"
	echo "  (the PGresult plus copies of the reply) and leaves the workers at up to"
	echo "  $(mb "${m2[2]}") MB RSS: memory malloc keeps, not a leak (in a separate test,"
	echo "  repeated pulls did not grow it). Fix: malloc_trim()"
	echo "  after large replies, fewer copies, or a pull paged by cursor."
	echo "- db_read: /api/pos/items builds each of the 7 products and its modifier groups"
	echo "  through api_product()/api_modifier_group() per row as well (2-5 ms a"
	echo "  request in the workers' log when idle); a catalogue of 20,000 products would"
	echo "  cost what the pull costs, per till. It changes rarely: it can be cached per"
	echo "  tenant by change_xid, or answered with an ETag."
	if [ -z "$w_skip" ]; then
		echo "- Dashboard (run 13): one page alone costs $d1_p50 ms in the workers (median dur_ms),"
		echo "  of which the database's report_dashboard() is about $prof_generic ms (median of 10 calls in"
		echo "  one session, generic plans as deployed). At -c$DASH_CONNS the median goes to $d_p50 ms and p99 to $d_p99 ms, and alike with"
		echo "  a session per connection ($ds_p50 and $ds_p99 ms): the pages wait for CPU. wrk, nginx,"
		echo "  the workers and PostgreSQL share $(nproc) cores (and other jobs, see the load average):"
		echo "  at $d_rps pages a second that is $(awk -v r="$d_rps" -v c="$(nproc)" 'BEGIN { if (r > 0) printf "%.1f", c * 1000 / r; else print "-" }') ms of the machine per page, and the"
		echo "  backends' samples above are mostly CPU in report_dashboard(). (Before commit"
		echo "  9efeb06 the pages of one session also queued on its row: every request's"
		echo "  transaction began with UPDATE sessions SET last_seen_at; at -c4 that gave p50"
		echo "  31 ms, 111 pages a second, 61 % of the samples Lock:transactionid in that UPDATE,"
		echo "  in a run of this benchmark on 2026-11-25.)"
		echo "  In the database most of a page is"
		echo "  planning, not reading: report_hourly() and report_products() inline"
		echo "  rollup_line_facts() (the branch that adds events not folded yet: orders, stores,"
		echo "  lines, costs, two window functions) and were planned anew on every call. Measured"
		echo "  now (EXPLAIN ANALYZE, warm, as pos_app; a single EXPLAIN plans afresh):"
		echo
		echo "  | part | planning ms | execution ms |"
		echo "  |---|---:|---:|"
		printf '%s\n' "$prof_lines" | sed 's/^/  /'
		echo
		echo "  (\"the whole call\": the statements inside a function are planned during its"
		echo "  execution.) report_dashboard() with plan_cache_mode = force_generic_plan (plpgsql"
		echo "  then keeps one plan per statement; migration 0006) took $prof_generic ms against"
		echo "  $prof_auto ms with the default plan cache (the function's setting reset in a rolled-back"
		echo "  transaction)."
		echo "  The slowest statements of one call (auto_explain, nested, with its own overhead):"
		echo
		printf '%s\n' "$prof_nested" | sed 's/^/  - /'
		echo
		echo "  Since migration 0006 report_dashboard() and report_sales() run with"
		echo "  plan_cache_mode = force_generic_plan (the figures above are of that). What I would"
		echo "  change next: build the top ten in a"
		echo "  statement of report_dashboard itself rather than through the SQL function"
		echo "  report_top_products(), which is planned on every call; skip the pending-events"
		echo "  branch when the watermark is past the newest order (one index probe); and, above"
		echo "  all for many managers on one store, keep the figures of a store for a second or"
		echo "  two (keyed by the watermark and the newest order) since the page refreshes its"
		echo "  figures fragment anyway. The rollup_fold(5000, 200) before each page is cheap"
		echo "  when nothing is pending (see the table). A side check on a development stack"
		echo "  (2026-11-25, 1,000,000 orders, not part of this run, a session per connection):"
		echo "  report_dashboard() with generic plans (ALTER FUNCTION there) took the -c4 run from"
		echo "  p50 17-19 ms, p99 32-58 ms, 200 pages a second to p50 13 ms, p99 28 ms, 270 a second."
		echo "- Report (run 13): $GEN_DAYS days by day read $((GEN_DAYS * 14)) or so hourly rollup rows,"
		echo "  not the orders: p50 $r_p50 ms in the workers; again mostly planning (report_hourly is"
		echo "  planned twice per call, for the items and for the totals)."
		echo "- History (run 12): of $h_load_ms ms, $h_gen_ms ms build the temporary tables and"
		echo "  $h_ins_ms ms write the rows with their indexes (and WAL: real durability). The fold,"
		echo "  $h_fold_ms ms for $h_folded events, is one statement over the whole transaction"
		echo "  (rollup_line_facts over every line, the cost of every order kept in"
		echo "  rollup_order_costs). posev folds in a thread and on a connection of its own"
		echo "  (fcgi/posev.c, folder()), so while it folds such a batch the events still reach"
		echo "  the streams (tests/api/events.test.mjs holds a fold on a lock and sells meanwhile);"
		echo "  the reports add the orders not folded yet. Tills push 500 orders a transaction,"
		echo "  so a batch this size takes an import or a restore; left to do: let"
		echo "  rollup_fold_tenant cut a large transaction's events by order id."
		echo "- Event streams (run 11): with $STREAMS streams open, the API p99 is$(k=0; for ap in $API_PATHS; do k=$((k + 1)); printf ' %s %s (server p99 %s ms)' "$ap" "${EV[with-$k-api_p99]:--}" "${EV[with-$k-api_srv_p99]:--}"; done);"
		echo "  without them$(k=0; for ap in $API_PATHS; do k=$((k + 1)); printf ' %s %s' "$ap" "${EV[without-$k-api_p99]:--}"; done)."
		echo "  The streams take no API worker (posev is a process of its own, a thread per"
		echo "  stream); they take CPU on the same $(nproc) cores: CPU seconds over the first order"
		echo "  run, without streams: ${EV[without-1-cpu]:--}; with: ${EV[with-1-cpu]:--}. Every order is an"
		echo "  event on each of the $STREAMS streams (all of the one demo store): posev writes them,"
		echo "  nginx relays them, the client here reads them. The orders of a store run one at"
		echo "  a time on its row locks (see Orders above): $CONNS order connections make a queue"
		echo "  of orders, and before the order pool the API requests waited in that same queue for"
		echo "  the same 4 workers (2026-11-25, one pool: /healthz p99 157 ms without streams and"
		echo "  186 ms with them, server p99 3-7 ms: the time was the queue). Now POST /api/orders"
		echo "  and POST /api/sync/push go to the order pool ($ORDER_WORKERS workers, nginx map on"
		echo "  method and path) and the API pool's $WORKERS workers only share the CPU with them."
		echo "  /api/pos/items is the dearer path: 2-5 ms of the workers' time per request, mostly"
		echo "  planning the catalogue's SQL functions, so at $API_CONNS connections it queues for CPU"
		echo "  beside PostgreSQL's order work. Left to do: in posev, a condition variable per"
		echo "  store instead of one broadcast that wakes every stream thread for every event of"
		echo "  every store."
	fi
	echo
	echo "Overall: $([ $ok = 1 ] && echo PASS || echo FAIL)"
	echo
	echo "<details><summary>Raw wrk, pgbench, push and pull output</summary>"
	echo
	for i in "${!names[@]}"; do
		f=$OUT/${names[$i]}.txt
		echo "### ${names[$i]} — GET ${paths[$i]}"
		echo
		echo '```'
		if [ -f "$f" ]; then cat "$f"; else echo "(not run: ${notes[$i]})"; fi
		echo '```'
		echo
	done
	for f in events-without-orders events-without-api events-with-orders events-with-api streams history \
		dashboard-c1 dashboard dashboard-sessions report dashboard-profile; do
		[ -f "$OUT/$f.txt" ] || [ -f "$OUT/$f.json" ] || continue
		echo "### $f"
		echo
		echo '```'
		case $f in
		streams) cat "$OUT/streams.json" "$OUT/streams.err" 2>/dev/null ;;
		report) echo "curl: http_code time_total, sorted, every 20th of $REPORT_REQUESTS"
			awk '{ printf "%s %.1f ms\n", $1, $2 * 1000 }' "$OUT/report.txt" | sort -k2 -n | awk 'NR == 1 || NR % 20 == 0' ;;
		*) cat "$OUT/$f.txt" ;;
		esac
		echo '```'
		echo
	done
	for f in orders pgbench push pull orders-big; do
		[ -f "$OUT/$f.txt" ] || [ -f "$OUT/$f.json" ] || continue
		echo "### $f"
		echo
		echo '```'
		case $f in
		push) cat "$OUT/push.json" "$OUT/push.err" 2>/dev/null ;;
		pull) echo "http_code time_starttransfer time_total size_download"; cat "$OUT/pull.txt" ;;
		*) cat "$OUT/$f.txt" ;;
		esac
		echo '```'
		echo
	done
	echo "</details>"
} >"$RESULTS"

say ""
say "bench: results in bench/RESULTS.md"
sed -n '/^## Results/,/^Overall/p' "$RESULTS" >&2
[ $ok = 1 ]
