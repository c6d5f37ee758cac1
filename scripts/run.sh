#!/usr/bin/env bash
# `make run`: the whole product on this machine, in the foreground.
# Ctrl-C or SIGTERM stops nginx, the workers and PostgreSQL; data stays in $VARDIR.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/scripts/lib.sh"

stopping=0
stop() {
	# a second Ctrl-C or SIGTERM (make passes its own on) must not cut the
	# clean-up short and leave PostgreSQL or nginx running
	trap '' INT TERM
	[ $stopping = 1 ] && return
	stopping=1
	say ""
	say "stopping: nginx, workers, PostgreSQL"
	[ -n "${tailpid:-}" ] && kill "$tailpid" 2>/dev/null
	stack_down
	say "stopped; data kept in $VARDIR"
}
trap stop EXIT
trap 'exit 0' INT TERM

stack_up "$ROOT/build/posd"
if [ -n "${POS_SUPERADMIN_EMAIL:-}" ] && [ -n "${POS_SUPERADMIN_PASSWORD:-}" ]; then
	"$ROOT/build/posctl" create-superadmin
fi

base="http://127.0.0.1:$PORT"
cat <<MSG

  POS is running (data in $VARDIR, logs in $VARDIR/log)

    Till        $base/pos/
    Dashboard   $base/dashboard
    Kitchen     $base/kitchen
    Onboarding  $base/onboarding
    Platform    $base/platform   (superadmin: set POS_SUPERADMIN_EMAIL/_PASSWORD)
    API docs    $base/docs
    Health      $base/healthz  (order pool: $base/healthz/orders)

MSG
[ -f "$VARDIR/demo-logins.txt" ] && cat "$VARDIR/demo-logins.txt"
say "  Ctrl-C stops everything."
tail -n 0 -F "$VARDIR/log/posd.log" &
tailpid=$!
wait "$(cat "$VARDIR/run/posd.pid")" || true
