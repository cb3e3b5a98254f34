#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# What the loopback benchmarks share (run.sh, srtp.sh): the relays started pinned and stopped by
# PID, results in variables, CPU accounting. The functions read ME, B, HZ, OUT, RELAY_CPU,
# GEN_CPU, XR_NG, XR_PORTS, RE_NG and RE_PORTS; sourcing installs the cleanup traps.

PIDS=""
cleanup() {
	for p in $PIDS; do
		kill "$p" 2>/dev/null
	done
	# Give each a few seconds to exit cleanly, then make sure.
	for p in $PIDS; do
		i=0
		while kill -0 "$p" 2>/dev/null && [ $i -lt 30 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -0 "$p" 2>/dev/null && kill -9 "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	PIDS=""
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM

die() {
	echo "$ME: $*" >&2
	exit 1
}

# jget KEY FILE: the first value of "KEY" in a one-line JSON object (our tools' output).
jget() {
	[ -f "$2" ] || return 0
	# shellcheck disable=SC2020
	tr ',{}' '\n\n\n' <"$2" | sed -n "s/^\"$1\":\"*\([^\"]*\)\"*\$/\1/p" | head -n 1
}

setv() { # NAME VALUE: per-relay results live in variables named METRIC_relay
	eval "$1=\$2"
}

ratio() { # A B: A/B with two decimals, "-" unless both are numbers and B is not 0
	awk -v a="$1" -v b="$2" 'BEGIN { n = "^[0-9]+(\\.[0-9]+)?$"
		if (a !~ n || b !~ n || b + 0 == 0) print "-"; else printf "%.2fx\n", a / b }'
}

val() { # NAME [RELAY]: the value of NAME (NAME_RELAY), "-" when unset
	if [ $# -gt 1 ]; then eval "echo \${$1_$2:--}"; else eval "echo \${$1:--}"; fi
}

table_head() { # WIDTH: the summary table's header line
	printf "%-${1}s %12s %12s %10s\n" "metric" "xrelayd" "rtpengine" "xrelayd/rtpengine"
}

# One line of a summary table: LABEL, VAR of xrelayd and of rtpengine, and their ratio (none
# with noratio); WIDTH is the label column's.
table_row() { # WIDTH LABEL VAR [noratio]
	_x=$(val "$3" xrelayd)
	_y=$(val "$3" rtpengine)
	_q=$(ratio "$_x" "$_y")
	[ $# -gt 3 ] && _q=""
	printf "%-${1}s %12s %12s %10s\n" "$2" "$_x" "$_y" "$_q"
}

ng_of() {
	case $1 in xrelayd) echo "$XR_NG" ;; rtpengine) echo "$RE_NG" ;; esac
}

start_relay() { # NAME: starts it pinned, waits for pong; sets PID_<name>
	log="$OUT/$1.log"
	case $1 in
	xrelayd)
		[ -x "$B/xrelayd" ] || { echo "$ME: $B/xrelayd missing: skipped" >&2; return 1; }
		# shellcheck disable=SC2086
		$PIN_RELAY "$B/xrelayd" --config-file=none --interface=127.0.0.1 \
			--listen-ng="$XR_NG" $XR_PORTS --num-threads=1 --delete-delay=0 \
			--port-quarantine=0 --foreground --log-stderr --log-level=warn \
			--state-dir=none ${XRELAYD_ARGS:-} >"$log" 2>&1 &
		;;
	rtpengine)
		command -v rtpengine >/dev/null || { echo "$ME: no rtpengine: skipped" >&2; return 1; }
		# shellcheck disable=SC2086
		$PIN_RELAY rtpengine --table=-1 --config-file=none --interface=127.0.0.1 \
			--listen-ng="$RE_NG" $RE_PORTS --num-threads=1 --delete-delay=0 \
			--foreground --log-stderr --log-level=4 ${RTPENGINE_ARGS:-} >"$log" 2>&1 &
		;;
	esac
	pid=$!
	PIDS="$PIDS $pid"
	setv "PID_$1" "$pid"
	i=0
	while [ $i -lt 50 ]; do
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "$ME: $1 exited at start; its log ($log):" >&2
			tail -n 5 "$log" >&2
			return 1
		fi
		"$B/ngload" --server "$(ng_of "$1")" --ping --timeout 100 --retries 0 \
			>/dev/null 2>&1 && return 0
		sleep 0.1
		i=$((i + 1))
	done
	echo "$ME: $1 does not answer ng ping on $(ng_of "$1")" >&2
	return 1
}

cpu_ticks() { # PID: utime + stime of the whole process, in clock ticks
	sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

us_per_packet() { # TICKS_BEFORE TICKS_AFTER PACKETS
	awk -v d=$(($2 - $1)) -v n="${3:-0}" -v hz="$HZ" \
		'BEGIN { if (n > 0) printf "%.2f\n", d * 1e6 / hz / n; else print "-" }'
}

cpu_sample() { # CPU: busy and total jiffies so far
	awk -v c="cpu$1" '$1 == c { t = 0; for (i = 2; i <= NF; i++) t += $i; print t - $5 - $6, t }' \
		/proc/stat
}

busy() { # "B0 T0" "B1 T1": percent busy between two cpu_sample
	echo "$1 $2" | awk '{ d = $4 - $2; printf "%d", (d > 0 ? 100 * ($3 - $1) / d : 0) }'
}

# Other work on these CPUs (builds, fuzzers) distorts every figure: says so up front, from one
# second of RELAY_CPU and GEN_CPU.
check_quiet() {
	s0=$(cpu_sample "$RELAY_CPU") g0=$(cpu_sample "$GEN_CPU")
	sleep 1
	s1=$(cpu_sample "$RELAY_CPU") g1=$(cpu_sample "$GEN_CPU")
	BUSY_RELAY=$(busy "$s0" "$s1")
	BUSY_GEN=$(busy "$g0" "$g1")
	echo "$ME: before the run, CPU $RELAY_CPU was ${BUSY_RELAY}% busy, CPU $GEN_CPU ${BUSY_GEN}%"
	if [ "$BUSY_RELAY" -gt 10 ] || [ "$BUSY_GEN" -gt 10 ]; then
		echo "$ME: WARNING: other processes use these CPUs; the figures will be distorted" >&2
	fi
	echo "$ME: results and logs in $OUT/"
}

# The tools exist, OUT is empty of an earlier run's files, and PIN_RELAY / PIN_GEN pin to
# RELAY_CPU / GEN_CPU when both CPUs exist (a one-CPU machine still gets noisier figures).
prepare() { # TOOL...
	for t in "$@"; do
		[ -x "$B/$t" ] || die "$B/$t is missing: run make first"
	done
	mkdir -p "$OUT" || die "can't create $OUT"
	rm -f "$OUT"/*.json "$OUT"/*.err "$OUT"/*.log "$OUT"/steps.txt "$OUT"/summary.txt
	if taskset -c "$RELAY_CPU" true 2>/dev/null && taskset -c "$GEN_CPU" true 2>/dev/null; then
		PIN_RELAY="taskset -c $RELAY_CPU"
		PIN_GEN="taskset -c $GEN_CPU"
	else
		echo "$ME: can't pin to CPUs $RELAY_CPU and $GEN_CPU: running unpinned" >&2
		PIN_RELAY=""
		PIN_GEN=""
	fi
}
