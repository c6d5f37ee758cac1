#!/usr/bin/env bash
# `make fuzz`: every libFuzzer target for SECONDS each, with its checked-in
# seeds; new inputs go to a scratch corpus, crashes to tests/artifacts/.
# usage: scripts/fuzz.sh SECONDS TARGET...
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:?seconds}
shift
work=$(mktemp -d /tmp/pos-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$ROOT/tests/artifacts"
rc=0
for fz in "$@"; do
	name=$(basename "$fz")
	seeds=$ROOT/tests/fuzz/corpus/${name#fuzz_}
	mkdir -p "$work/$name"
	echo "== $name for ${seconds}s"
	if ! (cd "$work" && "$ROOT/$fz" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		"$work/$name" $( [ -d "$seeds" ] && echo "$seeds" )); then
		cp "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$ROOT/tests/artifacts/" 2>/dev/null
		echo "!! $name found a problem; inputs copied to tests/artifacts/"
		rc=1
	fi
done
exit $rc
