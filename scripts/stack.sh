#!/usr/bin/env bash
# One stack operation by name, for tests that take parts of the stack away
# and bring them back: scripts/stack.sh pg_down | pg_up | nginx_down | nginx_up |
# workers_down | workers_up [BIN].  Uses VARDIR/PORT from the environment.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/scripts/lib.sh"
case "${1:-}" in
pg_up|pg_down|nginx_up|nginx_down|workers_up|workers_down|events_up|events_down|migrate)
	"$@" ;;
*)
	echo "usage: $0 pg_up|pg_down|nginx_up|nginx_down|workers_up [BIN]|workers_down|migrate" >&2
	exit 2 ;;
esac
