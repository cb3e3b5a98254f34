#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# SRTP <-> RTP bridging on loopback, xrelayd against rtpengine (--table=-1) on the same load:
# the relay encrypting (caller RTP -> callee SRTP) and decrypting (callee SRTP -> caller RTP);
# delivered packets/s by rate step, loss, CPU per packet, each run checked. Knobs: docs/bench.md.
set -u
cd "$(dirname "$0")/../.." || exit 1

B=build
HZ=$(getconf CLK_TCK)
OUT=${BENCH_OUT:-$B/bench}/srtp
RATES=${BENCH_SRTP_RATES:-20000 50000 75000 100000 125000 150000}
DIRS=${BENCH_SRTP_DIRS:-encrypt decrypt}
SUITE=${BENCH_SRTP_SUITE:-AES_CM_128_HMAC_SHA1_80}
STEP_SECS=${BENCH_STEP_SECS:-3}
MAX_LOSS=${BENCH_MAX_LOSS:-0.1}
TRIES=${BENCH_TRIES:-2}
CPU_RATE=${BENCH_CPU_RATE:-20000}
CPU_SECS=${BENCH_CPU_SECS:-5}
SIZE=${BENCH_SIZE:-172}
STREAMS=${BENCH_STREAMS:-4}
RELAYS=${BENCH_RELAYS:-xrelayd rtpengine}
RELAY_CPU=${BENCH_RELAY_CPU:-0}
GEN_CPU=${BENCH_GEN_CPU:-1}

# ng ports of their own, so that no request reaches a loopback suite's relay by mistake.
XR_NG=127.0.0.1:22225
XR_PORTS="--port-min=24000 --port-max=27999"
RE_NG=127.0.0.1:22226
RE_PORTS="--port-min=44000 --port-max=47999"
GEN_PORT=62000

case $SUITE in
AES_CM_128_HMAC_SHA1_*) KEY_BYTES=30 ;;
AES_256_CM_HMAC_SHA1_*) KEY_BYTES=46 ;;
AEAD_AES_128_GCM) KEY_BYTES=28 ;;
AEAD_AES_256_GCM) KEY_BYTES=44 ;;
*) echo "bench-srtp: BENCH_SRTP_SUITE: '$SUITE' is not a suite both relays offer" >&2 && exit 1 ;;
esac

FAILED_RUNS=0
ME=bench-srtp
# shellcheck source=tests/bench/lib.sh
. tests/bench/lib.sh

prepare rtpgen ngcli ngload


jsum() { # KEY FILE...: the sum of KEY over the files
	k=$1
	shift
	for f in "$@"; do jget "$k" "$f"; done | awk '{ s += $1 } END { printf "%d\n", s }'
}

sdp() { # PORT PROTO [EXTRA]: a one-stream PCMU SDP, escaped for a JSON string
	printf '%s' "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
	printf '%s' "m=audio $1 $2 0\r\na=rtpmap:0 PCMU/8000\r\n${3:-}"
}

# call RELAY ID CALLER_PORT CALLEE_PORT: offer from a plain RTP caller with transport-protocol
# RTP/SAVP, answer from an SRTP callee that picks the relay's SUITE line and gives its own key
# (CALLEE_KEY). Sets RA (where the caller sends), RB (where the callee sends) and RKEY (the
# relay's crypto line, "TAG SUITE inline:KEY": what the callee decrypts with).
call() {
	srv=$(ng_of "$1")
	tags="\"call-id\":\"$2\",\"from-tag\":\"caller\""
	reply=$("$B/ngcli" -s "$srv" "{\"command\":\"offer\",$tags,\"transport-protocol\":\"RTP/SAVP\",
		\"sdp\":\"$(sdp "$3" RTP/AVP)\"}")
	RB=$(echo "$reply" | grep -o 'm=audio [0-9]*' | head -n 1 | cut -d' ' -f2)
	RKEY=$(echo "$reply" | grep -o "a=crypto:[0-9]* $SUITE inline:[A-Za-z0-9+/=]*" |
		head -n 1 | cut -d: -f2-)
	if [ -z "$RB" ] || [ -z "$RKEY" ]; then
		echo "bench-srtp: $1: offer: no RTP/SAVP media with $SUITE: $reply" >&2
		return 1
	fi
	crypto="a=crypto:${RKEY%% *} $SUITE inline:$CALLEE_KEY\r\n"
	reply=$("$B/ngcli" -s "$srv" "{\"command\":\"answer\",$tags,\"to-tag\":\"callee\",
		\"sdp\":\"$(sdp "$4" RTP/SAVP "$crypto")\"}")
	RA=$(echo "$reply" | grep -o 'm=audio [0-9]*' | head -n 1 | cut -d' ' -f2)
	case $reply in
	*'"result":"ok"'*) [ -n "$RA" ] && return 0 ;;
	esac
	echo "bench-srtp: $1: answer: $reply" >&2
	return 1
}

# run RELAY DIR RATE SECS TAG: STREAMS fresh calls, then one rtpgen send at RATE packets/s in
# all for SECS. encrypt: the caller sends RTP to the calls' RA, one sink per callee decrypts
# with the relay's key. decrypt: the callee sends SRTP under its key to the RB, one plain sink
# at the caller. Sets LOSS, SENT (pps sent), DELIV (pps delivered), US (relay CPU us per
# delivered packet), CHECK (ok; none: nothing arrived; FAILED: wrong packets arrived) and WHY.
# Returns 1 when it could not run.
run() {
	a=$GEN_PORT
	GEN_PORT=$((GEN_PORT + 2 * STREAMS + 2))
	[ $GEN_PORT -lt 64900 ] || GEN_PORT=62000
	CALLEE_KEY=$(head -c "$KEY_BYTES" /dev/urandom | base64 -w 0)
	eval "pid=\$PID_$1"
	tos=""
	sinks=""
	files=""
	k=0
	rc=0
	while [ $k -lt "$STREAMS" ]; do
		# Each callee its own port when it decrypts (a sink per relay key), else one.
		b=$((a + 2))
		[ "$2" = encrypt ] && b=$((a + 2 + 2 * k))
		call "$1" "srtp-$5-$k" "$a" "$b" 2>>"$OUT/$5.err" || {
			rc=1
			break
		}
		if [ "$2" = encrypt ]; then
			tos="$tos --to 127.0.0.1:$RA"
			$PIN_GEN "$B/rtpgen" -j sink --listen "127.0.0.1:$b" --duration 0 \
				--srtp-key "$RKEY" >"$OUT/$5-sink$k.json" 2>>"$OUT/$5.err" &
			sinks="$sinks $!"
			files="$files $OUT/$5-sink$k.json"
		else
			tos="$tos --to 127.0.0.1:$RB"
		fi
		k=$((k + 1))
	done
	if [ $rc -eq 0 ] && [ "$2" = decrypt ]; then
		$PIN_GEN "$B/rtpgen" -j sink --listen "127.0.0.1:$a" --duration 0 \
			>"$OUT/$5-sink.json" 2>>"$OUT/$5.err" &
		sinks=$!
		files="$OUT/$5-sink.json"
	fi
	PIDS="$PIDS $sinks"
	if [ $rc -eq 0 ]; then
		sleep 0.2 # the sinks bind
		if [ "$2" = encrypt ]; then
			from=127.0.0.1:$a
			key=""
		else
			from=127.0.0.1:$((a + 2))
			key="$SUITE inline:$CALLEE_KEY"
		fi
		t0=$(cpu_ticks "$pid")
		# shellcheck disable=SC2086
		$PIN_GEN "$B/rtpgen" -j send --from "$from" $tos --pps "$3" --duration "$4" \
			--size "$SIZE" ${key:+--srtp-key "$key"} >"$OUT/$5.json" 2>>"$OUT/$5.err" ||
			rc=1
		sleep 0.2 # stragglers
		t1=$(cpu_ticks "$pid")
	fi
	for p in $sinks; do
		kill -TERM "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	for p in $sinks; do
		PIDS=$(echo " $PIDS " | sed "s/ $p / /")
	done
	while [ $k -ge 0 ]; do
		"$B/ngcli" -s "$(ng_of "$1")" \
			"{\"command\":\"delete\",\"call-id\":\"srtp-$5-$k\"}" >/dev/null 2>&1
		k=$((k - 1))
	done
	[ $rc -eq 0 ] || return 1
	sent=$(jget sent "$OUT/$5.json")
	SENT=$(jget tx_pps "$OUT/$5.json")
	# shellcheck disable=SC2086 # $files: a list
	{
		got=$(jsum unique $files)
		samples=$(jsum latency_samples $files)
		fails=$(jsum srtp_auth_failures $files)/$(jsum srtp_replays $files)
		fails=$fails/$(jsum srtp_errors $files)
		bytes=$(jsum bytes_received $files)
		recv=$(jsum received $files)
	}
	LOSS=$(awk -v s="$sent" -v g="$got" \
		'BEGIN { printf "%.3f\n", (s > 0 ? 100 * (s - g) / s : 100) }')
	DELIV=$(awk -v p="$SENT" -v s="$sent" -v g="$got" \
		'BEGIN { printf "%.0f\n", (s > 0 ? p * g / s : 0) }')
	US=$(us_per_packet "$t0" "$t1" "$got")
	# What arrives must be what was sent: decrypted (auth failures/replays/errors 0/0/0), the
	# payload our own (every packet carries rtpgen's magic and send time), the tag gone.
	CHECK=FAILED
	if [ "$fails" != 0/0/0 ]; then
		WHY="SRTP auth failures/replays/errors $fails"
	elif [ "$got" -eq 0 ]; then
		CHECK=none WHY="nothing arrived" # a loss, not a wrong packet
	elif [ "$samples" -ne "$got" ]; then
		WHY="$((got - samples)) of $got packets not rtpgen's payload"
	elif [ "$bytes" -ne $((recv * SIZE)) ]; then
		WHY="$bytes bytes in $recv packets of $SIZE"
	else
		CHECK=ok WHY=""
	fi
	[ "$CHECK" != FAILED ] || FAILED_RUNS=$((FAILED_RUNS + 1))
	return 0
}

check_quiet
ACTIVE=""
for r in $RELAYS; do
	case $r in xrelayd | rtpengine) ;; *) die "unknown relay '$r' (xrelayd, rtpengine)" ;; esac
	start_relay "$r" && ACTIVE="$ACTIVE $r"
done
[ -n "$ACTIVE" ] || die "no relay to measure"
for d in $DIRS; do
	case $d in encrypt | decrypt) ;; *) die "BENCH_SRTP_DIRS: encrypt, decrypt or both" ;; esac
done

# The generator alone at the top rate, as in the decrypt direction: encrypting, to one plain
# sink (which counts the SRTP packets as foreign RTP). In the encrypt direction the sinks
# decrypt instead: the steps' "sent" column shows where that ceiling is.
top=$(echo "$RATES" | tr ' ' '\n' | sed '/^$/d' | tail -n 1)
$PIN_GEN "$B/rtpgen" -j sink --listen 127.0.0.1:61900 --duration 0 >"$OUT/direct-sink.json" 2>&1 &
sink=$!
PIDS="$PIDS $sink"
tos=""
k=0
while [ $k -lt "$STREAMS" ]; do
	tos="$tos --to 127.0.0.1:61900"
	k=$((k + 1))
done
sleep 0.2
# shellcheck disable=SC2086
$PIN_GEN "$B/rtpgen" -j send --from 127.0.0.1:61898 $tos --pps "$top" --duration "$STEP_SECS" \
	--size "$SIZE" --srtp-key "$SUITE inline:$(head -c "$KEY_BYTES" /dev/urandom | base64 -w 0)" \
	>"$OUT/direct.json" 2>&1
sleep 0.2
kill -TERM "$sink" 2>/dev/null
wait "$sink" 2>/dev/null
echo "bench-srtp: generator without relay at $top pps, encrypting: sent" \
	"$(jget tx_pps "$OUT/direct.json") pps, received $(jget unique "$OUT/direct-sink.json")" \
	"of $(jget sent "$OUT/direct.json")"

# Rate steps, the relays taking turns at each as in the loopback suite; a relay stops at its
# first step with MAX_LOSS % loss or more, a failed check, or under 95% of the rate sent.
{
	printf '%-16s' ""
	for r in $ACTIVE; do printf ' | %-43s' "$r"; done
	printf '\n%-8s %-7s' "dir" "rate"
	for r in $ACTIVE; do printf ' | %-43s' "$(printf '%6s %9s %7s %6s %s' sent delivered \
		loss% us/pkt check)"; done
	echo
} >"$OUT/steps.txt"
for d in $DIRS; do
	for r in $ACTIVE; do
		setv "MAX_${d}_$r" 0
		setv "DONE_${d}_$r" ""
	done
done
for rate in $RATES; do
	for d in $DIRS; do
		line=$(printf '%-8s %-7s' "$d" "$rate")
		for r in $ACTIVE; do
			eval "done_=\$DONE_${d}_$r"
			if [ -n "$done_" ]; then
				line="$line$(printf ' | %-43s' -)"
				continue
			fi
			try=1
			while :; do
				tag=step-$d-$r-$rate-$try
				if run "$r" "$d" "$rate" "$STEP_SECS" "$tag"; then
					ok=$(awk -v l="$LOSS" -v s="$SENT" -v r="$rate" -v m="$MAX_LOSS" \
						'BEGIN { print ((l < m && s >= 0.95 * r) ? 1 : 0) }')
					[ "$CHECK" = ok ] || ok=0
				else
					LOSS=100 SENT=0 DELIV=0 US=- CHECK=FAILED WHY=setup ok=0
				fi
				[ "$ok" = 1 ] || [ "$try" -ge "$TRIES" ] && break
				echo "bench-srtp: $r $d at $rate pps: loss $LOSS%, sent $SENT pps," \
					"check $CHECK${WHY:+: $WHY}; again"
				try=$((try + 1))
			done
			if [ "$ok" = 1 ]; then
				setv "MAX_${d}_$r" "$rate"
			else
				setv "DONE_${d}_$r" 1
			fi
			line="$line$(printf ' | %-43s' "$(printf '%6s %9s %7s %6s %s' "$SENT" \
				"$DELIV" "$LOSS" "$US" "$CHECK")")"
			echo "bench-srtp: $r $d at $rate pps: delivered $DELIV pps, loss $LOSS%, sent" \
				"$SENT pps, $US us/packet, check $CHECK${WHY:+: $WHY}"
		done
		echo "$line" >>"$OUT/steps.txt"
	done
done

# CPU per delivered packet at a rate both relays carry without loss.
for d in $DIRS; do
	for r in $ACTIVE; do
		eval "pid=\$PID_$r"
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "bench-srtp: $r exited (log: $OUT/$r.log)" >&2
			continue
		fi
		if run "$r" "$d" "$CPU_RATE" "$CPU_SECS" "cpu-$d-$r"; then
			setv "CPU_${d}_$r" "$US"
			setv "CPULOSS_${d}_$r" "$LOSS"
			setv "CHECK_${d}_$r" "$CHECK"
			[ "$CHECK" = ok ] || echo "bench-srtp: $r $d at $CPU_RATE pps: FAILED: $WHY" >&2
		fi
	done
done

{
	echo
	echo "xrelay SRTP benchmark, loopback, relay on CPU $RELAY_CPU, generators on CPU $GEN_CPU," \
		"$SUITE, $SIZE-byte RTP, $STREAMS call(s) (CPUs ${BUSY_RELAY}% and ${BUSY_GEN}% busy before)"
	echo "encrypt: caller RTP -> relay -> callee SRTP; decrypt: callee SRTP -> relay -> caller RTP"
	table_head 46
	for d in $DIRS; do
		table_row 46 "$d: highest rate step at < $MAX_LOSS% loss" "MAX_$d"
		table_row 46 "$d: CPU us per packet at $CPU_RATE pps" "CPU_$d"
		table_row 46 "  (loss % during that run)" "CPULOSS_$d" noratio
		table_row 46 "  (check)" "CHECK_$d" noratio
	done
	echo
	echo "per rate step:"
	cat "$OUT/steps.txt"
	echo
	echo "reproduce: BENCH_SRTP_RATES=\"$RATES\" BENCH_SRTP_DIRS=\"$DIRS\"" \
		"BENCH_SRTP_SUITE=$SUITE BENCH_STEP_SECS=$STEP_SECS BENCH_CPU_RATE=$CPU_RATE" \
		"BENCH_CPU_SECS=$CPU_SECS BENCH_SIZE=$SIZE BENCH_STREAMS=$STREAMS" \
		"BENCH_TRIES=$TRIES tests/bench/srtp.sh"
} | sed 's/ *$//' | tee "$OUT/summary.txt"
if [ "$FAILED_RUNS" -gt 0 ]; then
	echo "bench-srtp: $FAILED_RUNS run(s) delivered wrong packets (FAILED above)" >&2
	exit 1
fi
