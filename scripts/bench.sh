#!/usr/bin/env bash
# `make bench`: throughput and latency of the local stack with wrk, on loopback,
# and the workers' memory; writes bench/RESULTS.md.
#
# A throwaway stack (temporary data folder, free port) unless BENCH_VARDIR /
# BENCH_PORT are set. One wrk run per endpoint:
#   1. a static file served by nginx        (the ceiling of nginx itself)
#   2. /__bench/hello, bench/hello.c         (the ceiling of nginx + libfcgi)
#   3. GET /api/version                      (the workers, no database)
#   4. GET /healthz                          (the workers, one database round trip)
#   5. GET $BENCH_DB_PATH (default /api/store) with the header $BENCH_DB_AUTH
#      (e.g. "Authorization: Bearer <token>"), a database-backed read; when
#      BENCH_DB_AUTH is empty, lib.sh may provide it through a function
#      bench_auth_header (prints the header line; called once the stack is up);
#      with neither, this run is skipped with a note.
# Targets: /api/version at >= 85 % of hello's req/s; < 20 MB RSS per worker.
# Exit status: 0 when both targets are met, 1 when one is missed or a run failed.
#
# Environment: WORKERS (posd processes, also hello's), BENCH_DURATION (10s),
# BENCH_CONNECTIONS (32), BENCH_THREADS (2), BENCH_VARDIR, BENCH_PORT,
# BENCH_DB_PATH, BENCH_DB_AUTH, KEEP_VARDIR=1 keeps a throwaway data folder.
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
DB_PATH=${BENCH_DB_PATH:-/api/store}
DB_AUTH=${BENCH_DB_AUTH:-}
HELLO_BIN=$ROOT/build/bench/hello
HELLO_SOCK=$VARDIR/run/hello.sock
RESULTS=$ROOT/bench/RESULTS.md
OUT=$VARDIR/bench
BASE=http://127.0.0.1:$PORT
TARGET_RATIO=85
TARGET_RSS_KB=$((20 * 1024))
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

if [ -z "$DB_AUTH" ] && declare -F bench_auth_header >/dev/null; then
	DB_AUTH=$(bench_auth_header) || DB_AUTH=
fi

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
sup_pids=()
wrk_pids=()
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
kb() { awk -v k="$2" '$1 == k":" { print $2 }' "/proc/$1/$3" 2>/dev/null; }
rss_sum=0 rss_max=0 pss_sum=0 pss_max=0 nworkers=0
for pid in "${wrk_pids[@]}"; do
	r=$(kb "$pid" VmRSS status)
	p=$(kb "$pid" Pss smaps_rollup)
	[ -n "$r" ] || continue
	nworkers=$((nworkers + 1))
	rss_sum=$((rss_sum + r)); [ "$r" -gt "$rss_max" ] && rss_max=$r
	p=${p:-0}
	pss_sum=$((pss_sum + p)); [ "$p" -gt "$pss_max" ] && pss_max=$p
done
sup_rss=-
[ ${#sup_pids[@]} -gt 0 ] && sup_rss=$(kb "${sup_pids[0]}" VmRSS status)
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

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
	echo "- Load average (1/5/15 min) before the runs: $load_before; after: $load_after"
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
	echo "- Memory: VmRSS (/proc/PID/status) and PSS (/proc/PID/smaps_rollup) of the"
	echo "  posd worker processes after all runs."
	echo
	echo "## Results"
	echo
	echo "| endpoint | path | req/s | p99 | notes |"
	echo "|---|---|---:|---:|---|"
	for i in "${!names[@]}"; do
		case ${names[$i]} in
		static) what="nginx static file" ;;
		hello) what="bare libfcgi hello (ceiling)" ;;
		version) what="workers, no database" ;;
		healthz) what="workers, 1 DB round trip" ;;
		db_read) what="workers, DB-backed read" ;;
		*) what=${names[$i]} ;;
		esac
		echo "| ${names[$i]} ($what) | \`${paths[$i]}\` | ${rps[$i]} | ${p99s[$i]} | ${notes[$i]} |"
	done
	echo
	echo "## Targets"
	echo
	echo "| target | measured | verdict |"
	echo "|---|---|---|"
	echo "| /api/version req/s ≥ $TARGET_RATIO % of hello's | ${ratio}% | $ratio_verdict |"
	echo "| RSS per worker < 20 MB | max $(mb "$rss_max") MB | $rss_verdict |"
	echo
	echo "Workers' memory after the runs ($nworkers workers): RSS sum $(mb "$rss_sum") MB,"
	echo "max $(mb "$rss_max") MB; PSS sum $(mb "$pss_sum") MB, max $(mb "$pss_max") MB."
	[ "$sup_rss" != - ] && echo "Supervisor RSS $(mb "$sup_rss") MB (not counted above)."
	echo
	echo "Overall: $([ $ok = 1 ] && echo PASS || echo FAIL)"
	echo
	echo "<details><summary>Raw wrk output</summary>"
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
	echo "</details>"
} >"$RESULTS"

say ""
say "bench: results in bench/RESULTS.md"
sed -n '/^## Results/,/^Overall/p' "$RESULTS" >&2
[ $ok = 1 ]
