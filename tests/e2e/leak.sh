#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Memory under ng load: offer+answer+delete cycles (build/ngload) against two daemons side by
# side, the plain build/xrelayd and build/xrelayd-asan (AddressSanitizer + LeakSanitizer):
#  - flat (plain build; glibc's RSS is steady, ASan's allocator returns and refaults memory):
#    every ng reply stays in the reply cache for its 60 s TTL, so RSS rises during a burst by
#    design. Half the cycles, a wait until the cache is empty, the other half: the second
#    burst must reuse the first one's memory, RSS growing less than LEAK_BOUND_KB (8 MiB), where
#    anything kept per cycle would add up (>= 840 bytes a cycle at 20 000 cycles);
#  - no leak (ASan build, the same cycles): stopped with SIGTERM, it exits 0 and LeakSanitizer
#    reports nothing.
#
# Knobs: LEAK_CYCLES (20000 in make test, ~90 s; LEAK_CYCLES=100000 is the long run of
# docs/reliability.md), LEAK_BOUND_KB (8192), E2E_VERBOSE=1 (the logs even on success).
set -u

cd "$(dirname "$0")/../.." || exit 1
ROOT=$(pwd)
PLAIN_BIN=$ROOT/build/xrelayd
ASAN_BIN=$ROOT/build/xrelayd-asan
NGLOAD=$ROOT/build/ngload
CYCLES=${LEAK_CYCLES:-20000}
BOUND_KB=${LEAK_BOUND_KB:-8192}
TTL=60 # NG_CACHE_TTL (userspace/ng_cache.h)

T=$(mktemp -d "${TMPDIR:-/tmp}/xrelay-leak.XXXXXX") || exit 1
# shellcheck source=tests/e2e/lib/proc.sh
. "$ROOT/tests/e2e/lib/proc.sh"

logs() {
	show_log "xrelayd log" "$T/plain.log" 20
	show_log "xrelayd-asan log" "$T/asan.log" 20
	for f in "$T"/asan.*; do
		[ -e "$f" ] && show_log "sanitizer report" "$f" 80
	done
}

teardown() {
	rm -rf "$T"
}
on_exit logs teardown
trap 'exit 1' INT TERM

die() {
	# shellcheck disable=SC2034 # proc.sh prints it
	FAILED=$*
	exit 1
}

free_udp() { # a port from $1 on that nobody listens on
	p=$(($1 + $$ % 4000))
	while ss -Hlun "sport = :$p" 2>/dev/null | grep -q .; do p=$((p + 1)); done
	echo "$p"
}

rss_kb() { # PID
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

load() { # NG N: N cycles, 4 at a time; no error allowed; prints cycles/s
	"$NGLOAD" -j --server "$1" --calls "$2" --concurrency 4 >"$T/load.json" 2>&1 ||
		die "ngload $1: $(cat "$T/load.json")"
	errors=$(jq -r .errors "$T/load.json")
	[ "$errors" = 0 ] || die "ngload $1: $errors errors: $(jq -r .first_error "$T/load.json")"
	jq -r .cycles_per_s "$T/load.json"
}

start() { # LOG BIN NG PORT-MIN PORT-MAX: sets LAST_PID; waits for ping
	# Deleted calls go at once and their ports are reusable at once; the reaper runs once a
	# second, so a range must hold a second's worth of calls (2 port pairs each).
	spawn "$1" "$2" --foreground --log-stderr --log-level=warn --config-file=none --xdp=off \
		--control-socket=none --listen-ng="$3" --port-min="$4" --port-max="$5" \
		--delete-delay=0 --port-quarantine=0 --num-threads=2 --state-dir=none
	i=0
	until "$NGLOAD" --server "$3" --ping --timeout 100 --retries 0 >/dev/null 2>&1; do
		i=$((i + 1))
		if [ $i -ge 100 ] || ! alive "$LAST_PID"; then
			die "$2 does not answer ping on $3"
		fi
		sleep 0.1
	done
}

command -v jq >/dev/null || die "jq is needed"
make -s --no-print-directory build/xrelayd build/xrelayd-asan build/ngload >"$T/make.log" 2>&1 ||
	die "cannot build: $(tail -5 "$T/make.log")"

NG_P=127.0.0.1:$(free_udp 20000)
NG_A=127.0.0.1:$(free_udp 24000)
start "$T/plain.log" "$PLAIN_BIN" "$NG_P" 34000 47499
PPID_=$LAST_PID
export ASAN_OPTIONS="detect_leaks=1:exitcode=23:log_path=$T/asan"
start "$T/asan.log" "$ASAN_BIN" "$NG_A" 47500 60999
APID=$LAST_PID
unset ASAN_OPTIONS

half=$((CYCLES / 2))
tenth=$((CYCLES / 10))
rss0=$(rss_kb "$PPID_")
rate1=$(load "$NG_P" "$tenth")
rss_tenth=$(rss_kb "$PPID_")
rate2=$(load "$NG_P" $((half - tenth)))
rss_half=$(rss_kb "$PPID_")
arate1=$(load "$NG_A" "$half")
echo "leak: $half cycles: RSS $rss0 kB at start, $rss_tenth kB after $tenth," \
	"$rss_half kB after $half (the reply cache holds every reply for ${TTL} s);" \
	"$rate1, $rate2 cycles/s (ASan build: $arate1)"

sleep $((TTL + 2)) # every cached reply expires
rss_idle=$(rss_kb "$PPID_")
rate3=$(load "$NG_P" $((CYCLES - half)))
rss_end=$(rss_kb "$PPID_")
arate2=$(load "$NG_A" $((CYCLES - half)))
growth=$((rss_end - rss_half))
echo "leak: after the cache emptied, RSS $rss_idle kB; after $((CYCLES - half)) more cycles" \
	"(total $CYCLES) $rss_end kB: $growth kB over the first burst's peak; $rate3 cycles/s" \
	"(ASan build: $arate2)"
[ "$growth" -lt "$BOUND_KB" ] ||
	die "RSS grew $growth kB (>= $BOUND_KB kB) over a burst of the same size: memory kept per cycle"

kill -TERM "$PPID_" "$APID"
wait_exit "$APID" 30 || die "xrelayd-asan still runs 30 s after SIGTERM"
wait_exit "$PPID_" 10 || die "xrelayd still runs 10 s after SIGTERM"
reap "$PPID_"
[ "$REAPED" -eq 0 ] || die "xrelayd exited $REAPED"
reap "$APID"
[ "$REAPED" -eq 0 ] || die "xrelayd-asan exited $REAPED (23: LeakSanitizer found a leak)"
if grep -qs -e LeakSanitizer -e AddressSanitizer "$T"/asan.* "$T/asan.log"; then
	die "sanitizer report after SIGTERM"
fi
echo "leak: both exit 0; LeakSanitizer: no leak in $CYCLES cycles"
