#!/usr/bin/env bash
# `make test`: a throwaway stack (free port, temporary data folder) running the
# sanitizer build of the workers; C unit tests, fuzz targets, API tests over
# HTTP through nginx, browser tests in headless Chromium.  Tears everything
# down whatever happens and ends with one summary line.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VARDIR=$(mktemp -d /tmp/pos-test.XXXXXX)
chmod 755 "$VARDIR"
PORT=${TEST_PORT:-$(bash -c ". '$ROOT/scripts/lib.sh'; free_port")}
WORKERS=${WORKERS:-4}
POS_SIGNUP=${POS_SIGNUP:-licence}
export POS_PG_FAST=1
. "$ROOT/scripts/lib.sh"
POSCTL=$ROOT/build/asan/posctl
SAN=$VARDIR/san
ARTIFACTS=$ROOT/tests/artifacts
FUZZ_TIME=${FUZZ_TIME:-30}
mkdir -p "$SAN" "$ARTIFACTS"
# Sanitizer reports go to files so a report from any worker fails the run.
export ASAN_OPTIONS="log_path=$SAN/asan:detect_leaks=1:abort_on_error=1:strict_string_checks=1"
export UBSAN_OPTIONS="log_path=$SAN/ubsan:print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="suppressions=$ROOT/tests/lsan.supp:print_suppressions=0"

passed=0
failed=0
failures=()
note_pass() { passed=$((passed + $1)); }
note_fail() { failed=$((failed + $1)); failures+=("$2"); }

cleanup() {
	stack_down >/dev/null 2>&1
	if [ "${KEEP_VARDIR:-0}" != 1 ]; then rm -rf "$VARDIR"; else say "kept $VARDIR"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

section() { printf '\n=== %s\n' "$*"; }

# --- C unit tests (cmocka), sanitizer build -------------------------------
section "C unit tests (ASan+UBSan)"
for t in "$ROOT"/build/asan/tests/test_*; do
	[ -x "$t" ] || continue
	out=$(cd "$ROOT" && "$t" 2>&1)
	rc=$?
	printf '%s\n' "$out" | grep -E '^\[  (PASSED|FAILED)|^\[  ERROR|^\[  FAILED  \] |ERROR|runtime error' || true
	p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -n 1)
	f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -n 1)
	note_pass "${p:-0}"
	if [ -n "$f" ] && [ "$f" != 0 ]; then
		note_fail "$f" "$(basename "$t")"
	elif [ $rc -ne 0 ]; then
		printf '%s\n' "$out" | tail -n 30
		note_fail 1 "$(basename "$t") (exit $rc)"
	fi
done

# --- fuzz targets, bounded -------------------------------------------------
section "fuzz targets (${FUZZ_TIME}s each)"
for fz in "$ROOT"/build/fuzz/fuzz_*; do
	[ -x "$fz" ] || continue
	name=$(basename "$fz")
	corpus=$VARDIR/corpus-$name
	mkdir -p "$corpus"
	seeds=$ROOT/tests/fuzz/corpus/${name#fuzz_}
	if (cd "$VARDIR" && ASAN_OPTIONS=detect_leaks=1 "$fz" -max_total_time="$FUZZ_TIME" -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=0 "$corpus" $( [ -d "$seeds" ] && echo "$seeds" ) \
		>"$VARDIR/$name.log" 2>&1); then
		echo "ok  $name ($(grep -c . "$corpus"/* 2>/dev/null | wc -l) corpus files)"
		note_pass 1
	else
		tail -n 40 "$VARDIR/$name.log"
		cp "$VARDIR"/crash-* "$ARTIFACTS"/ 2>/dev/null
		note_fail 1 "$name"
	fi
done

# --- the stack: PostgreSQL, sanitizer workers, nginx -----------------------
section "stack on 127.0.0.1:$PORT, data in $VARDIR"
if ! stack_up "$ROOT/build/asan/posd"; then
	tail -n 40 "$VARDIR/log/posd.log" 2>/dev/null
	note_fail 1 "stack start"
else
	export POS_SUPERADMIN_EMAIL=${POS_SUPERADMIN_EMAIL:-admin@pos.test}
	export POS_SUPERADMIN_PASSWORD=${POS_SUPERADMIN_PASSWORD:-superadmin-password-1}
	"$POSCTL" create-superadmin || note_fail 1 "create-superadmin"
	export BASE_URL="http://127.0.0.1:$PORT" ROOT VARDIR PORT ARTIFACTS POSCTL
	for suite in api browser webkit; do
		files=$(ls "$ROOT"/tests/$suite/*.test.mjs 2>/dev/null)
		[ -n "$files" ] || continue
		section "$suite tests (node --test)"
		(cd "$ROOT" && node --test --test-reporter=tap --test-concurrency=1 $files) \
			>"$VARDIR/$suite.tap" 2>&1
		rc=$?
		grep -E '^not ok|^# (tests|pass|fail|skipped)' "$VARDIR/$suite.tap" | sed 's/^/  /'
		grep -B2 -A30 '^not ok' "$VARDIR/$suite.tap" | head -n 120
		p=$(sed -n 's/^# pass \([0-9]*\)/\1/p' "$VARDIR/$suite.tap" | tail -n 1)
		f=$(sed -n 's/^# fail \([0-9]*\)/\1/p' "$VARDIR/$suite.tap" | tail -n 1)
		note_pass "${p:-0}"
		if [ "${f:-0}" != 0 ]; then
			note_fail "$f" "$suite tests"
		elif [ $rc -ne 0 ] || [ -z "$p" ]; then
			tail -n 40 "$VARDIR/$suite.tap"
			note_fail 1 "$suite tests (runner exit $rc)"
		fi
	done
fi
cp "$VARDIR/log/posd.log" "$ARTIFACTS/posd.log" 2>/dev/null
stack_down

# --- sanitizer reports from the workers ------------------------------------
section "sanitizer reports"
if ls "$SAN"/* >/dev/null 2>&1; then
	for f in "$SAN"/*; do echo "--- $f"; head -n 60 "$f"; cp "$f" "$ARTIFACTS/"; done
	note_fail "$(ls "$SAN" | wc -l)" "sanitizer reports"
else
	echo "none"
	note_pass 1
fi

echo
[ ${#failures[@]} -gt 0 ] && printf 'failed: %s\n' "${failures[@]}"
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
