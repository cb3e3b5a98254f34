#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Runs the test suites: unit (cmocka), bpf (the XDP program on crafted packets), fuzz (short
# fixed runs), e2e (real daemon). Usage: tests/run.sh [unit|bpf|fuzz|e2e]... (all when none). Exit 1 when any test fails.
set -u
cd "$(dirname "$0")/.."
B=build
passed=0
failed=0
failures=""

run_one() { # NAME CMD...
	name=$1
	shift
	log="$B/test-logs/$(echo "$name" | tr '/ ' '__').log"
	mkdir -p "$B/test-logs"
	printf '%-48s ' "$name"
	if "$@" >"$log" 2>&1; then
		echo "ok"
		passed=$((passed + 1))
	else
		echo "FAIL (log: $log)"
		sed 's/^/    | /' "$log" | tail -40
		failed=$((failed + 1))
		failures="$failures $name"
	fi
}

suite_unit() {
	for t in "$B"/tests/unit/test_*; do
		[ -x "$t" ] || continue
		run_one "unit/${t##*/}" "$t"
	done
}

suite_bpf() {
	for t in "$B"/tests/bpf/test_*; do
		[ -x "$t" ] || continue
		case $t in *.o | *.d) continue ;; esac
		run_one "bpf/${t##*/}" "$t"
	done
}

suite_fuzz() {
	secs=${FUZZ_SECONDS:-10}
	for f in "$B"/fuzz/fuzz_*; do
		[ -x "$f" ] || continue
		n=${f##*/}
		corpus=tests/fuzz/corpus/${n#fuzz_}
		work="$B/fuzz-work/${n#fuzz_}"
		mkdir -p "$work"
		# Kept crash cases first (each must pass), then a short mutation run.
		run_one "fuzz/$n" sh -c "set -e; for c in tests/fuzz/crashes/${n#fuzz_}/*; do
			[ -f \"\$c\" ] && \"$f\" \"\$c\"; done;
			\"$f\" -max_total_time=$secs -timeout=5 -rss_limit_mb=2048 \
			-artifact_prefix=$B/fuzz-work/ \"$work\" $corpus"
	done
}

suite_e2e() {
	for t in tests/e2e/*.sh; do
		[ -x "$t" ] || continue
		run_one "e2e/${t##*/}" "$t"
	done
	for t in "$B"/tests/e2e/*; do
		[ -x "$t" ] && [ -f "$t" ] || continue
		case $t in *.o | *.d) continue ;; esac
		run_one "e2e/${t##*/}" "$t"
	done
}

[ $# -eq 0 ] && set -- unit bpf fuzz e2e
for s in "$@"; do
	case $s in
	unit) suite_unit ;;
	bpf) suite_bpf ;;
	fuzz) suite_fuzz ;;
	e2e) suite_e2e ;;
	*) echo "run.sh: unknown suite '$s' (unit, bpf, fuzz, e2e)" >&2; exit 2 ;;
	esac
done
echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] || { echo "failed:$failures"; exit 1; }
[ "$passed" -gt 0 ] || { echo "no test ran"; exit 1; }
