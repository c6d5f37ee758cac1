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
# Runs 6-10 write thousands of orders and products: they only run on a
# throwaway data folder (not with BENCH_VARDIR).
# Targets: /api/version at >= 85 % of hello's req/s; < 20 MB RSS per worker
# (after runs 1-5, and again after all runs); POST /api/orders at >= 50 % of the
# pgbench rate with no lost or doubled order; the 10,000-order push in < 5 s
# with every order stored once; the full pull in < 1 s of server time (median
# of the workers' dur_ms).
# Exit status: 0 when every target is met, 1 when one is missed or a run failed.
#
# Environment: WORKERS (posd processes, also hello's), BENCH_DURATION (10s),
# BENCH_CONNECTIONS (32), BENCH_THREADS (2), BENCH_VARDIR, BENCH_PORT,
# BENCH_DB_PATH, BENCH_DB_AUTH, BENCH_PUSH_ORDERS (10000), BENCH_PULLS (5),
# KEEP_VARDIR=1 keeps a throwaway data folder.
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
hello_pid=

cleanup() {
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
# top_waits FILE: the 4 most frequent samples, as percentages
top_waits() {
	sort "$1" | uniq -c | sort -rn | awk -v n="$(wc -l <"$1")" 'NR <= 4 && n > 0 {
		c = $1; $1 = ""; printf "%s%s %.0f %%", (NR > 1 ? "; " : ""), substr($0, 2), 100 * c / n }'
}
pctl() { sort -n | awk -v q="$1" '{ v[NR] = $1 } END { if (NR) { i = int(NR * q / 100 + 0.999); if (i < 1) i = 1; print v[i] } }'; }
secs=${DURATION%s}
case $secs in ''|*[!0-9]*) secs=10 ;; esac

w_skip=
[ -n "$DEV_TOKEN" ] && [ -n "$DEV_TENANT" ] || w_skip="no device token for the demo till (see the log above)"
# thousands of orders and 20,000 products: only into a data folder of our own
[ "$own_vardir" = 1 ] || w_skip="BENCH_VARDIR is set: the write and sync runs only use a throwaway data folder"
o_rps=- o_p99=- o_line='' o_check="not run" o_ok=0 o_waits=''
g_tps=- g_p99=- g_check="not run" g_ok=0 g_waits='' g_n=-
p_ms=- p_srv=- p_max=- p_check="not run" p_ok=0
c_ms=- l_start=() l_total=() l_dur=() l_size=- l_items=- l_expect=- l_med=- l_check="not run" l_ok=0
o2_rps=- o2_p99=- o2_line=''

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
push_verdict=$(verdict lt "$p_ms" "$TARGET_PUSH_MS")
push_check_verdict=$(verdict [ "$p_ok" = 1 ])
pull_verdict=$(verdict lt "$l_med" "$TARGET_PULL_MS")
pull_check_verdict=$(verdict [ "$l_ok" = 1 ])
# $(verdict) runs in a subshell: its ok=0 is lost; count the failures here
for v in "$db_ratio_verdict" "$orders_verdict" "$pgbench_verdict" "$push_verdict" "$push_check_verdict" \
	"$pull_verdict" "$pull_check_verdict"; do
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
	echo "- $WORKERS posd worker processes (WORKERS=$WORKERS); bench/hello.c runs the"
	echo "  same number of processes behind the same nginx (\`location = /__bench/hello\`)."
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
	echo "## Targets"
	echo
	echo "| target | measured | verdict |"
	echo "|---|---|---|"
	echo "| /api/version req/s ≥ $TARGET_RATIO % of hello's | ${ratio}% | $ratio_verdict |"
	echo "| RSS per worker < 20 MB (after runs 1-5) | max $(mb "$rss_max") MB | $rss_verdict |"
	echo "| POST /api/orders req/s ≥ $TARGET_DB_RATIO % of pgbench's tps | ${db_ratio}% ($o_rps / $g_tps) | $db_ratio_verdict |"
	echo "| orders stored = 201 answers, none lost or doubled | see the check above | $orders_verdict |"
	echo "| pgbench run clean (no failed transaction, all stored) | $g_n transactions | $pgbench_verdict |"
	echo "| push of $PUSH_ORDERS orders < $((TARGET_PUSH_MS / 1000)) s | $p_ms ms | $push_verdict |"
	echo "| every pushed order stored exactly once | see the check above | $push_check_verdict |"
	echo "| full pull of $CATALOGUE_PRODUCTS products < $TARGET_PULL_MS ms server time (median dur_ms) | $l_med ms | $pull_verdict |"
	echo "| the pull carries every product | $l_items of $l_expect | $pull_check_verdict |"
	echo "| RSS per worker < 20 MB (after all runs) | max $(mb "${m2[2]}") MB | $rss2_verdict |"
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
	echo "  pull): order_submit finds products by id alone (\`LEFT JOIN products p ON"
	echo "  p.id = …\`, \`WHERE p.id = …\`), the tenant only comes from row-level security,"
	echo "  and with jsonb_array_elements estimated at 100 rows the planner hashes the"
	echo "  whole products table: with 20,007 products the INSERT INTO order_lines took"
	echo "  12 ms and the product EXISTS check 3 ms of a 20 ms order (1 ms with 7"
	echo "  products). Fix: \`p.tenant_id = t\` in those joins (the primary key"
	echo "  (tenant_id, id) then serves), or an index on products (id)."
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
