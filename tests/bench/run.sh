#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Benchmarks xrelayd against rtpengine on loopback: ng cycles/s, the highest forwarded rate at
# < 0.1% loss, CPU per forwarded packet, latency; then SRTP <-> RTP bridging (tests/bench/srtp.sh),
# transcoding (tests/bench/transcode.sh) and, as root, the XDP fast path in the namespace lab
# (tests/bench/xdp.sh). Knobs are environment variables (docs/bench.md).
set -u
cd "$(dirname "$0")/../.." || exit 1

B=build
HZ=$(getconf CLK_TCK)
OUT=${BENCH_OUT:-$B/bench}
RATES=${BENCH_RATES:-20000 50000 100000 150000 200000 300000}
STEP_SECS=${BENCH_STEP_SECS:-3}
MAX_LOSS=${BENCH_MAX_LOSS:-0.1}
TRIES=${BENCH_TRIES:-2}
CPU_RATE=${BENCH_CPU_RATE:-20000}
CPU_SECS=${BENCH_CPU_SECS:-5}
LAT_RATE=${BENCH_LAT_RATE:-10000}
LAT_SECS=${BENCH_LAT_SECS:-3}
CALLS=${BENCH_CALLS:-2000}
CONC=${BENCH_CONCURRENCY:-4}
SIZE=${BENCH_SIZE:-172}
STREAMS=${BENCH_STREAMS:-4}
RELAYS=${BENCH_RELAYS:-xrelayd rtpengine}
SUITES=${BENCH_SUITES:-loopback srtp transcode xdp}
RELAY_CPU=${BENCH_RELAY_CPU:-0}
GEN_CPU=${BENCH_GEN_CPU:-1}

# Each relay on its own ng port and media range; the generators' endpoints sit above the
# kernel's ephemeral range so nothing else on the host takes them.
XR_NG=127.0.0.1:22223
XR_PORTS="--port-min=20000 --port-max=39999"
RE_NG=127.0.0.1:22224
RE_PORTS="--port-min=40000 --port-max=59999"
GEN_PORT=61000

ME=bench
# shellcheck source=tests/bench/lib.sh
. tests/bench/lib.sh

# The SRTP, transcoding and XDP suites are scripts of their own; they run after the loopback relays stopped.
other_suites() {
	rc=0
	case " $SUITES " in *" srtp "*) tests/bench/srtp.sh || rc=1 ;; esac
	case " $SUITES " in *" transcode "*) tests/bench/transcode.sh || rc=1 ;; esac
	case " $SUITES " in
	*" xdp "*)
		if [ "$(id -u)" -eq 0 ]; then
			tests/bench/xdp.sh || rc=1
		else
			echo "bench: the XDP suite needs root: skipped"
		fi
		;;
	esac
	return $rc
}

case " $SUITES " in
*" loopback "*) ;;
*" srtp "* | *" transcode "* | *" xdp "*)
	other_suites
	exit
	;;
*) die "BENCH_SUITES: one or more of loopback, srtp, transcode, xdp" ;;
esac

prepare rtpgen ngload

# stream RELAY RATE SECS TAG: STREAMS calls set up over ng (all between the same two generator
# endpoints), one rtpgen pair through them at RATE packets/s in all; the JSON result goes to
# $OUT/TAG.json. Returns 1 when a call could not be set up or rtpgen failed.
stream() {
	a=127.0.0.1:$GEN_PORT
	b=127.0.0.1:$((GEN_PORT + 2))
	GEN_PORT=$((GEN_PORT + 4))
	[ $GEN_PORT -lt 65000 ] || GEN_PORT=61000
	relays=""
	k=0
	rc=0
	while [ $k -lt "$STREAMS" ]; do
		setup=$("$B/ngload" --server "$(ng_of "$1")" --setup --caller "$a" --callee "$b" \
			--call-id "bench-$4-$k" 2>"$OUT/$4.err") || {
			echo "bench: $1: setup failed: $(cat "$OUT/$4.err")" >&2
			rc=1
			break
		}
		relays="$relays --relay-a $(echo "$setup" | sed -n 's/.* relay_a=\([^ ]*\).*/\1/p')"
		relays="$relays --relay-b $(echo "$setup" | sed -n 's/.* relay_b=\([^ ]*\).*/\1/p')"
		k=$((k + 1))
	done
	if [ $rc -eq 0 ]; then
		# shellcheck disable=SC2086
		$PIN_GEN "$B/rtpgen" -j pair --a "$a" --b "$b" $relays --pps "$2" --duration "$3" \
			--size "$SIZE" >"$OUT/$4.json" 2>>"$OUT/$4.err"
		rc=$?
	fi
	while [ $k -ge 0 ]; do
		"$B/ngload" --server "$(ng_of "$1")" --delete --call-id "bench-$4-$k" \
			>/dev/null 2>&1
		k=$((k - 1))
	done
	return $rc
}

check_quiet
: >"$OUT/summary.txt"
ACTIVE=""
for r in $RELAYS; do
	case $r in xrelayd | rtpengine) ;; *) die "unknown relay '$r' (xrelayd, rtpengine)" ;; esac
	start_relay "$r" && ACTIVE="$ACTIVE $r"
done
[ -n "$ACTIVE" ] || die "no relay to measure"

# The generator alone (a to b directly): the ceiling of every pps figure below.
top=$(echo "$RATES" | tr ' ' '\n' | sed '/^$/d' | tail -n 1)
direct=""
k=0
while [ $k -lt "$STREAMS" ]; do
	direct="$direct --relay-a 127.0.0.1:60992"
	k=$((k + 1))
done
# shellcheck disable=SC2086
$PIN_GEN "$B/rtpgen" -j pair --a 127.0.0.1:60990 --b 127.0.0.1:60992 $direct \
	--pps "$top" --duration "$STEP_SECS" --size "$SIZE" >"$OUT/direct.json" 2>&1
echo "bench: generator without relay at $top pps: sent $(jget tx_pps "$OUT/direct.json") pps," \
	"loss $(jget loss_pct "$OUT/direct.json")%"

# (a) control plane
for r in $ACTIVE; do
	$PIN_GEN "$B/ngload" -j --server "$(ng_of "$r")" --calls "$CALLS" \
		--concurrency "$CONC" >"$OUT/ng-$r.json" 2>&1
	setv "NG_$r" "$(jget cycles_per_s "$OUT/ng-$r.json")"
	setv "NGERR_$r" "$(jget errors "$OUT/ng-$r.json")"
	echo "bench: $r: ng $(jget cycles_per_s "$OUT/ng-$r.json") cycles/s," \
		"$(jget errors "$OUT/ng-$r.json") errors"
done

# (b) highest rate at < MAX_LOSS % loss; the relays take turns at each step so that
# background noise on the host hits both alike.
for r in $ACTIVE; do
	eval "MAX_$r=0; DONE_$r="
done
printf '%-10s' "rate" >"$OUT/steps.txt"
for r in $ACTIVE; do printf ' %30s' "$r: loss% (sent pps) us/pkt" >>"$OUT/steps.txt"; done
echo >>"$OUT/steps.txt"
for rate in $RATES; do
	line=$(printf '%-10s' "$rate")
	for r in $ACTIVE; do
		eval "done_=\$DONE_$r"
		if [ -n "$done_" ]; then
			line="$line $(printf ' %30s' "-")"
			continue
		fi
		# A step counts when the loss is low and the generator really sent the rate; a
		# failed step gets TRIES attempts in all, as one stall of the host can spoil it.
		try=1
		eval "pid=\$PID_$r"
		while :; do
			tag=step-$r-$rate-$try
			t0=$(cpu_ticks "$pid")
			if stream "$r" "$rate" "$STEP_SECS" "$tag"; then
				t1=$(cpu_ticks "$pid")
				loss=$(jget loss_pct "$OUT/$tag.json")
				sent=$(jget tx_pps "$OUT/$tag.json")
				us=$(us_per_packet "$t0" "$t1" "$(jget unique "$OUT/$tag.json")")
			else
				loss=100
				sent=0
				us=-
			fi
			ok=$(awk -v l="$loss" -v s="$sent" -v r="$rate" -v m="$MAX_LOSS" \
				'BEGIN { print ((l < m && s >= 0.95 * r) ? 1 : 0) }')
			[ "$ok" = 1 ] || [ "$try" -ge "$TRIES" ] && break
			echo "bench: $r at $rate pps: loss $loss%, sent $sent pps, $us us/packet; again"
			try=$((try + 1))
		done
		if [ "$ok" = 1 ]; then
			setv "MAX_$r" "$rate"
		else
			setv "DONE_$r" 1
		fi
		line="$line $(printf ' %30s' "$loss ($sent) $us")"
		echo "bench: $r at $rate pps: loss $loss%, sent $sent pps, $us us/packet"
	done
	echo "$line" >>"$OUT/steps.txt"
done

# (c) CPU per forwarded packet at a fixed rate, (d) latency at a moderate rate
for r in $ACTIVE; do
	eval "pid=\$PID_$r"
	if ! kill -0 "$pid" 2>/dev/null; then
		echo "bench: $r exited (log: $OUT/$r.log)" >&2
		continue
	fi
	t0=$(cpu_ticks "$pid")
	if stream "$r" "$CPU_RATE" "$CPU_SECS" "cpu-$r" && t1=$(cpu_ticks "$pid"); then
		setv "CPU_$r" "$(us_per_packet "$t0" "$t1" "$(jget unique "$OUT/cpu-$r.json")")"
		setv "CPULOSS_$r" "$(jget loss_pct "$OUT/cpu-$r.json")"
	fi
	if stream "$r" "$LAT_RATE" "$LAT_SECS" "lat-$r"; then
		setv "P50_$r" "$(jget latency_p50_us "$OUT/lat-$r.json")"
		setv "P99_$r" "$(jget latency_p99_us "$OUT/lat-$r.json")"
	fi
done


{
	echo
	echo "xrelay benchmark, loopback, relay on CPU $RELAY_CPU, generators on CPU $GEN_CPU," \
		"$SIZE-byte RTP, $STREAMS stream(s) (CPUs ${BUSY_RELAY}% and ${BUSY_GEN}% busy before)"
	table_head 44
	table_row 44 "ng offer+answer+delete cycles/s (c=$CONC)" NG
	table_row 44 "  (errors)" NGERR noratio
	table_row 44 "max forwarded pps at < $MAX_LOSS% loss" MAX
	table_row 44 "CPU us per forwarded packet at $CPU_RATE pps" CPU
	table_row 44 "  (loss % during that run)" CPULOSS noratio
	table_row 44 "latency p50 us at $LAT_RATE pps" P50
	table_row 44 "latency p99 us at $LAT_RATE pps" P99
	echo
	echo "loss per rate step:"
	cat "$OUT/steps.txt"
	echo
	echo "reproduce: BENCH_RATES=\"$RATES\" BENCH_STEP_SECS=$STEP_SECS BENCH_CPU_RATE=$CPU_RATE" \
		"BENCH_CPU_SECS=$CPU_SECS BENCH_LAT_RATE=$LAT_RATE BENCH_CALLS=$CALLS" \
		"BENCH_CONCURRENCY=$CONC BENCH_SIZE=$SIZE BENCH_STREAMS=$STREAMS" \
		"BENCH_TRIES=$TRIES tests/bench/run.sh"
} | tee "$OUT/summary.txt"

cleanup
other_suites
