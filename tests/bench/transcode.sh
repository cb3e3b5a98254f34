#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Transcoding on loopback, xrelayd against rtpengine (--table=-1) on the same load: calls with a
# PCMU caller and a PCMA, G722 or Opus callee, the relay transcoding both ways; channels per core
# by step (loss and CPU limits), CPU per relayed packet at a common count. Knobs: docs/bench.md.
set -u
cd "$(dirname "$0")/../.." || exit 1

B=build
HZ=$(getconf CLK_TCK)
OUT=${BENCH_OUT:-$B/bench}/transcode
PAIRS=${BENCH_TC_CODECS:-PCMA G722 opus}
STEPS=${BENCH_TC_STEPS:-50 100 150 200 300 400 600 800 1200 1600}
SECS=${BENCH_TC_SECS:-5}
WARMUP=${BENCH_TC_WARMUP:-1}
MAX_LOSS=${BENCH_TC_MAX_LOSS:-1}
MAX_CPU=${BENCH_TC_MAX_CPU:-90}
CPU_CHANNELS=${BENCH_TC_CPU_CHANNELS:-50}
TRIES=${BENCH_TRIES:-2}
RELAYS=${BENCH_RELAYS:-xrelayd rtpengine}
RELAY_CPU=${BENCH_RELAY_CPU:-0}
GEN_CPU=${BENCH_GEN_CPU:-1}
# xrelayd's XDP path could take PCMU<->PCMA into the kernel, out of the process's CPU figures;
# off by default so both relays transcode in their one media thread.
XRELAYD_ARGS="--xdp=${BENCH_TC_XDP:-off} ${XRELAYD_ARGS:-}"

# ng ports and media ranges of their own (4 ports per call: 2500 calls per relay).
XR_NG=127.0.0.1:22227
XR_PORTS="--port-min=20000 --port-max=29999"
RE_NG=127.0.0.1:22228
RE_PORTS="--port-min=40000 --port-max=49999"
GEN_PORT=61000
TOOL=tests/bench/tc_load

FAILED_CHECKS=0
ME=bench-transcode
# shellcheck source=tests/bench/lib.sh
. tests/bench/lib.sh

prepare "$TOOL" ngload


# run RELAY CODEC CHANNELS TAG: one tc_load run, its JSON in $OUT/TAG.json. Sets LOSS, CPU
# (relay % of one CPU), US (relay us per relayed packet), TX (pps sent), TARGET, CHECK (ok or
# FAIL), PTS ("PTs at B / at A"). Returns 1 when tc_load failed.
run() {
	eval "pid=\$PID_$1"
	GEN_PORT=$((GEN_PORT + 4))
	[ $GEN_PORT -lt 64900 ] || GEN_PORT=61000
	$PIN_GEN "$B/$TOOL" --server "$(ng_of "$1")" --codec "$2" --channels "$3" \
		--duration "$SECS" --warmup "$WARMUP" --port "$GEN_PORT" --pid "$pid" \
		--prefix "tc-$4" >"$OUT/$4.json" 2>"$OUT/$4.err"
	rc=$?
	LOSS=$(jget loss_pct "$OUT/$4.json")
	CPU=$(jget relay_cpu_pct "$OUT/$4.json")
	US=$(jget relay_us_per_pkt "$OUT/$4.json")
	TX=$(jget tx_pps "$OUT/$4.json")
	TARGET=$(jget target_pps "$OUT/$4.json")
	CHECK=$(jget check "$OUT/$4.json")
	PTS="$(jget pts_at_b "$OUT/$4.json")/$(jget pts_at_a "$OUT/$4.json")"
	[ -n "$CHECK" ] || CHECK=FAIL
	return $rc
}

check_quiet
ACTIVE=""
for r in $RELAYS; do
	case $r in xrelayd | rtpengine) ;; *) die "unknown relay '$r' (xrelayd, rtpengine)" ;; esac
	start_relay "$r" && ACTIVE="$ACTIVE $r"
done
[ -n "$ACTIVE" ] || die "no relay to measure"
for p in $PAIRS; do
	case $p in PCMA | G722 | opus) ;; *) die "BENCH_TC_CODECS: PCMA, G722, opus" ;; esac
done

{
	printf '%-6s %-6s' codec calls
	for r in $ACTIVE; do printf ' | %-42s' "$r: loss% cpu% us/pkt sent-pps PTs(B/A)"; done
	echo
} >"$OUT/steps.txt"

for p in $PAIRS; do
	# Each relay must really transcode (B gets the other codec, A gets PCMU) before it is
	# measured: a short run of a few calls.
	for r in $ACTIVE; do
		setv "MAX_${p}_$r" 0
		setv "DONE_${p}_$r" ""
		if run "$r" "$p" 4 "check-$p-$r" && [ "$CHECK" = ok ]; then
			echo "$ME: $r transcodes PCMU<->$p (PTs at B/A: $PTS)"
		else
			echo "$ME: FAIL: $r does not transcode PCMU<->$p: $(tail -n 1 "$OUT/check-$p-$r.err")"
			FAILED_CHECKS=$((FAILED_CHECKS + 1))
			setv "MAX_${p}_$r" FAIL
			setv "DONE_${p}_$r" 1
		fi
	done
	# Channel steps, the relays taking turns at each; a relay stops at its first step over
	# MAX_LOSS % loss or MAX_CPU % CPU, a failed check, or under 95% of the rate sent.
	for n in $STEPS; do
		line=$(printf '%-6s %-6s' "$p" "$n")
		any=""
		for r in $ACTIVE; do
			eval "done_=\$DONE_${p}_$r"
			if [ -n "$done_" ]; then
				line="$line$(printf ' | %-42s' -)"
				continue
			fi
			any=1
			try=1
			while :; do
				run "$r" "$p" "$n" "step-$p-$r-$n-$try"
				ok=$(awk -v l="$LOSS" -v c="$CPU" -v s="$TX" -v t="$TARGET" \
					-v ml="$MAX_LOSS" -v mc="$MAX_CPU" -v k="$CHECK" \
					'BEGIN { print ((k == "ok" && l <= ml && c <= mc && s >= 0.95 * t) ? 1 : 0) }')
				[ "$ok" = 1 ] || [ "$try" -ge "$TRIES" ] && break
				echo "$ME: $r PCMU<->$p $n calls: loss $LOSS%, CPU $CPU%, check $CHECK; again"
				try=$((try + 1))
			done
			if [ "$ok" = 1 ]; then
				setv "MAX_${p}_$r" "$n"
			else
				setv "DONE_${p}_$r" 1
				# the generator, not the relay, is the limit: say so
				awk -v s="$TX" -v t="$TARGET" 'BEGIN { exit !(s < 0.95 * t) }' &&
					echo "$ME: $r PCMU<->$p $n calls: the load tool sent only $TX of $TARGET pps"
			fi
			line="$line$(printf ' | %-42s' "$(printf '%6s %5s %6s %7s %s' "$LOSS" "$CPU" \
				"$US" "$TX" "$PTS")")"
			echo "$ME: $r PCMU<->$p $n calls: loss $LOSS%, CPU $CPU%, $US us/packet," \
				"sent $TX pps, check $CHECK"
		done
		echo "$line" >>"$OUT/steps.txt"
		[ -n "$any" ] || break
	done
	# CPU per relayed packet at one count both relays carry.
	for r in $ACTIVE; do
		eval "max_=\$MAX_${p}_$r"
		[ "$max_" = FAIL ] && continue
		eval "pid=\$PID_$r"
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "$ME: $r exited (log: $OUT/$r.log)" >&2
			continue
		fi
		if run "$r" "$p" "$CPU_CHANNELS" "cpu-$p-$r" && [ "$CHECK" = ok ]; then
			setv "US_${p}_$r" "$US"
			setv "CPULOSS_${p}_$r" "$LOSS"
		fi
	done
done

{
	echo
	echo "xrelay transcoding benchmark, loopback, relay on CPU $RELAY_CPU (one media thread)," \
		"load on CPU $GEN_CPU; a call = PCMU caller <-> other-codec callee, 20 ms packets," \
		"50 pps each way (CPUs ${BUSY_RELAY}% and ${BUSY_GEN}% busy before)"
	table_head 50
	for p in $PAIRS; do
		table_row 50 "PCMU<->$p: most calls at <= $MAX_LOSS% loss, <= $MAX_CPU% CPU" "MAX_$p"
		table_row 50 "PCMU<->$p: CPU us per relayed packet, $CPU_CHANNELS calls" "US_$p"
		table_row 50 "  (loss % during that run)" "CPULOSS_$p" noratio
	done
	echo "(a step count of 0 means the first step already failed; the steps: $STEPS)"
	echo
	echo "per step (loss %, relay CPU % of one core, relay us per relayed packet, pps sent):"
	cat "$OUT/steps.txt"
	echo
	echo "reproduce: BENCH_TC_CODECS=\"$PAIRS\" BENCH_TC_STEPS=\"$STEPS\" BENCH_TC_SECS=$SECS" \
		"BENCH_TC_WARMUP=$WARMUP BENCH_TC_MAX_LOSS=$MAX_LOSS BENCH_TC_MAX_CPU=$MAX_CPU" \
		"BENCH_TC_CPU_CHANNELS=$CPU_CHANNELS BENCH_TC_XDP=${BENCH_TC_XDP:-off}" \
		"BENCH_TRIES=$TRIES tests/bench/transcode.sh"
} | sed 's/ *$//' | tee "$OUT/summary.txt"
if [ "$FAILED_CHECKS" -gt 0 ]; then
	echo "$ME: $FAILED_CHECKS relay/codec pair(s) did not transcode (FAIL above)" >&2
	exit 1
fi
