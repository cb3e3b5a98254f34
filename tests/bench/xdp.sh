#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# The XDP fast path benchmarked in the namespace lab (tests/e2e/netns/lib.sh): plain kernel
# routing (the floor of the veth path), xrelayd with XDP, xrelayd --xdp=off and rtpengine
# (--table=-1), one after the other with the same generator and load; then the program's own
# cost (BPF_PROG_RUN micro-benchmark and kernel.bpf_stats). The relays xlate, xlate-off and
# rtpengine-xlate are the same three with PCMU -> PCMA calls (translated in the XDP program, by
# xrelayd's worker, by rtpengine's transcoder). Knobs: docs/bench.md. Needs root.
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$(pwd)
# shellcheck source=tests/e2e/netns/lib.sh
. "$ROOT/tests/e2e/netns/lib.sh"

B=$ROOT/build
HZ=$(getconf CLK_TCK)
OUT=${BENCH_OUT:-$B/bench}/xdp
RELAYS=${BENCH_XDP_RELAYS:-route xdp off rtpengine}
RATES=${BENCH_XDP_RATES:-20000 50000 75000 100000 150000 200000 250000 300000}
STEP_SECS=${BENCH_STEP_SECS:-3}
MAX_LOSS=${BENCH_MAX_LOSS:-0.1}
TRIES=${BENCH_TRIES:-2}
CPU_RATE=${BENCH_XDP_CPU_RATE:-50000}
CPU_SECS=${BENCH_XDP_CPU_SECS:-5}
STATS_SECS=${BENCH_XDP_STATS_SECS:-3}
ENTRIES=${BENCH_XDP_ENTRIES:-100000}
REPEAT=${BENCH_XDP_REPEAT:-1000000}
SIZE=${BENCH_SIZE:-172}
STREAMS=${BENCH_STREAMS:-4}
RELAY_CPU=${BENCH_RELAY_CPU:-0}
GEN_CPU=${BENCH_GEN_CPU:-1}

NG=127.0.0.1:2223 # the relay namespace's loopback
CPORT=40000	  # the caller's RTP port
EPORT=42000	  # the callee's
DATE=$(date -u +%Y-%m-%d)

T=$(mktemp -d "${TMPDIR:-/tmp}/xrelay-xdpbench.XXXXXX") || exit 1
PIDS=""
STATS_OLD=""
lab_names $$

die() {
	echo "bench-xdp: $*" >&2
	exit 1
}

alive() {
	kill -0 "$1" 2>/dev/null
}

stop() { # PID -- TERM, up to 5 s, then KILL; reaps it and forgets it
	kill "$1" 2>/dev/null
	_i=0
	while alive "$1" && [ $_i -lt 50 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	alive "$1" && kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	PIDS=$(echo " $PIDS " | sed "s/ $1 / /")
}

cleanup() {
	rc=$?
	trap - EXIT INT TERM
	for p in $PIDS; do
		stop "$p"
	done
	if [ -n "$STATS_OLD" ]; then
		sysctl -q -w kernel.bpf_stats_enabled="$STATS_OLD" ||
			echo "bench-xdp: could not restore kernel.bpf_stats_enabled=$STATS_OLD" >&2
	fi
	lab_down
	rm -rf "$T"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start() { # LOG NAMESPACE CPU CMD... -- in the background, pinned; its PID in LAST_PID
	_log=$1 _ns=$2 _cpu=$3
	shift 3
	# nsenter and taskset exec the command: the PID is the command's.
	nsenter --net="/run/netns/$_ns" -- taskset -c "$_cpu" "$@" >"$_log" 2>&1 &
	LAST_PID=$!
	PIDS="$LAST_PID $PIDS"
}

# A daemon in the relay namespace with a mount namespace of its own and a fresh bpffs there:
# its pins (xrelayd's /sys/fs/bpf/xrelay) can't meet another run's, and vanish with it.
start_daemon() { # LOG CMD...
	_log=$1
	shift
	nsenter --net="/run/netns/$NS_RELAY" -- unshare --mount --propagation private \
		sh -c 'mount -t bpf bpf /sys/fs/bpf && exec taskset -c "$0" "$@"' \
		"$RELAY_CPU" "$@" >"$_log" 2>&1 &
	LAST_PID=$!
	PIDS="$LAST_PID $PIDS"
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

val() { eval "echo \${$1_$2:--}"; }

# ---- CPU accounting ----

core_busy() { # jiffies CPU RELAY_CPU was busy so far: user nice system irq softirq steal
	awk -v c="cpu$RELAY_CPU" '$1 == c { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat
}

core_total() {
	awk -v c="cpu$RELAY_CPU" '$1 == c { t = 0; for (i = 2; i <= NF; i++) t += $i; print t }' \
		/proc/stat
}

# ns on CPU of the relay's threads: its NAPI threads and every thread of the daemon (if any).
threads_ns() {
	for _t in $RELAY_NAPI ${DPID:+/proc/$DPID/task/*}; do
		case $_t in
		/proc/*) cat "$_t/schedstat" 2>/dev/null ;;
		*) cat "/proc/$_t/schedstat" 2>/dev/null ;;
		esac
	done | awk '{ s += $1 } END { printf "%.0f\n", s }'
}

per_packet() { # DELTA UNIT_NS PACKETS -- µs per packet with two decimals, "-" without packets
	awk -v d="$1" -v u="$2" -v n="${3:-0}" \
		'BEGIN { if (n > 0) printf "%.2f\n", d * u / 1000 / n; else print "-" }'
}

# ---- the lab ----

# Threaded NAPI on DEV in NAMESPACE, its kthread pinned to CPU; the thread's PID in NAPI_PID.
# /sys must be the namespace's, hence ip netns exec. The thread is told from another lab's
# veth of the same name by being new.
napi_threaded() { # NAMESPACE DEV CPU
	_before=$(ps -eo pid=,comm= | awk -v p="napi/$2-" 'index($2, p) == 1 { print $1 }')
	ip netns exec "$1" sh -c "echo 1 >/sys/class/net/$2/threaded" ||
		die "cannot make NAPI threaded on $2 (needs NAPI: GRO or XDP on the veth)"
	NAPI_PID=""
	for _p in $(ps -eo pid=,comm= | awk -v p="napi/$2-" 'index($2, p) == 1 { print $1 }'); do
		# shellcheck disable=SC2086 # one PID a word
		case " $(echo $_before) " in *" $_p "*) continue ;; esac
		[ -z "$NAPI_PID" ] || die "two new NAPI threads for $2: $NAPI_PID $_p"
		NAPI_PID=$_p
	done
	[ -n "$NAPI_PID" ] || die "no NAPI thread appeared for $2"
	taskset -p -c "$3" "$NAPI_PID" >/dev/null || die "cannot pin napi/$2 to CPU $3"
}

lab_setup() {
	lab_up $$ 2>"$T/lab.err" || die "cannot build the namespace lab: $(cat "$T/lab.err")"
	# The relay's veths get NAPI (GRO) in every run, so that their receive work runs in their
	# threads on the relay's core whether or not an XDP program is attached; TSO off, so that
	# what they send reaches the peer's NAPI (on the generators' core) rather than the
	# backlog of the sending core (veth hands TSO-capable skbs to netif_rx).
	for d in xr1 xr2; do
		nsx "$NS_RELAY" ethtool -K "$d" gro on tso off >/dev/null ||
			die "ethtool -K $d gro on tso off failed"
	done
	napi_threaded "$NS_CALLER" xr0 "$GEN_CPU"
	napi_threaded "$NS_CALLEE" xr3 "$GEN_CPU"
	napi_threaded "$NS_RELAY" xr1 "$RELAY_CPU"
	RELAY_NAPI=$NAPI_PID
	napi_threaded "$NS_RELAY" xr2 "$RELAY_CPU"
	RELAY_NAPI="$RELAY_NAPI $NAPI_PID"
}

# ---- ng ----

ng() { # WHAT JSON -- the reply in $T/ng.json; dies unless result is ok
	nsx "$NS_RELAY" "$T/ngcli" -t 2000 -s "$NG" "$2" >"$T/ng.json" 2>"$T/ng.err" ||
		die "$1: no ng reply ($(cat "$T/ng.err"))"
	[ "$(jq -r .result "$T/ng.json" 2>/dev/null)" = ok ] ||
		die "$1: $(cat "$T/ng.json")"
}

sdp() { # IP PORT FORMATS
	printf 'v=0\\r\\no=- 1 1 IN IP4 %s\\r\\ns=-\\r\\nc=IN IP4 %s\\r\\nt=0 0\\r\\n' "$1" "$1"
	printf 'm=audio %s RTP/AVP %s\\r\\na=sendrecv\\r\\n' "$2" "$3"
}

sdp_ep() { # the relay's IP:PORT in the last reply's SDP
	jq -r .sdp "$T/ng.json" | tr -d '\r' >"$T/sdp.txt"
	_ip=$(sed -n 's/^c=IN IP4 \([^ ]*\).*/\1/p' "$T/sdp.txt" | tail -n 1)
	_port=$(sed -n 's/^m=audio \([0-9]*\) .*/\1/p' "$T/sdp.txt")
	[ -n "$_ip" ] && [ -n "$_port" ] || die "no c= or m= in the relay's SDP: $(cat "$T/sdp.txt")"
	echo "$_ip:$_port"
}

# The *-xlate relays' calls: the caller offers PCMU with transcode PCMA, the callee answers
# PCMA; the caller sends PCMU whose every byte the sink checks for its PCMA translation. The
# others' calls offer and answer "0 8" and carry rtpgen's plain payload.
is_xlate() { case $1 in xlate*) return 0 ;; *-xlate) return 0 ;; esac; return 1; }

# STREAMS calls between the same two endpoints; the relay's ports in RA (where the caller
# sends) and RB (where the callee sends), as --to options.
calls_setup() { # RELAY
	RA="" RB=""
	_offer="0 8" _answer="0 8" _codec=""
	if is_xlate "$1"; then
		_offer=0 _answer=8 _codec='"codec":{"transcode":["PCMA"]},'
	fi
	_k=0
	while [ $_k -lt "$STREAMS" ]; do
		ng "$1 offer" "{\"command\":\"offer\",\"call-id\":\"xdpbench-$_k\",
			\"from-tag\":\"caller\",\"direction\":[\"a\",\"b\"],$_codec
			\"sdp\":\"$(sdp "$LAB_CALLER4" $CPORT "$_offer")\"}"
		RB="$RB --to $(sdp_ep)"
		ng "$1 answer" "{\"command\":\"answer\",\"call-id\":\"xdpbench-$_k\",
			\"from-tag\":\"caller\",\"to-tag\":\"callee\",
			\"sdp\":\"$(sdp "$LAB_CALLEE4" $EPORT "$_answer")\"}"
		RA="$RA --to $(sdp_ep)"
		_k=$((_k + 1))
	done
}

calls_delete() {
	_k=0
	while [ $_k -lt "$STREAMS" ]; do
		nsx "$NS_RELAY" "$T/ngcli" -t 1000 -s "$NG" "{\"command\":\"delete\",
			\"call-id\":\"xdpbench-$_k\",\"delete-delay\":0}" >/dev/null 2>&1
		_k=$((_k + 1))
	done
}

# ---- traffic ----

link_dropped() { # NAMESPACE DEV rx|tx
	ip -n "$1" -s -j link show dev "$2" | jq ".[0].stats64.$3.dropped // 0"
}

ethtool_stat() { # NAMESPACE DEV NAME
	nsx "$1" ethtool -S "$2" | awk -v n="$3:" '$1 == n { print $2 }'
}

udp_rcvbuf_errors() { # NAMESPACE
	nsx "$1" awk '$1 == "Udp:" && $2 ~ /^[0-9]/ { print $6 + $4 }' /proc/net/snmp
}

# Packets dropped so far, by where: "IN RELAY OUT". IN: the relay's core did not take them off
# its veth's ring in time; RELAY: the daemon's sockets overflowed; OUT: after the relay, on the
# generators' core (the callee's veth ring, the sink's socket).
drops() {
	echo $(($(link_dropped "$NS_CALLER" xr0 tx) + $(ethtool_stat "$NS_RELAY" xr1 rx_queue_0_drops))) \
		"$(udp_rcvbuf_errors "$NS_RELAY")" \
		$(($(link_dropped "$NS_RELAY" xr2 tx) + \
		$(ethtool_stat "$NS_RELAY" xr2 tx_queue_0_xdp_xmit_errors) + \
		$(udp_rcvbuf_errors "$NS_CALLEE")))
}

wait_udp() { # NAMESPACE PORT -- until something binds PORT (5 s at most)
	_i=0
	until [ -n "$(nsx "$1" ss -Hlun "sport = :$2" 2>/dev/null)" ]; do
		_i=$((_i + 1))
		[ $_i -le 50 ] || die "nothing bound port $2 in $1 within 5 s"
		sleep 0.1
	done
}

# run TAG RATE SECS: a sink at the callee, the caller sending RATE packets/s in all over the
# streams (TO: the --to options) for SECS; the relay's core and threads sampled around the
# send. Results: $T/TAG.send, $T/TAG.sink; LOSS, SENT (pps), US_CORE, US_THREADS, UNIQUE,
# WHERE (drops in/relay/out, see drops).
run() { # TAG RATE SECS TO...
	_tag=$1 _rate=$2 _secs=$3
	shift 3
	# shellcheck disable=SC2086 # RX_G711: words or none
	start "$T/$_tag.sink" "$NS_CALLEE" "$GEN_CPU" "$T/rtpgen" -j sink \
		--listen "$LAB_CALLEE4:$EPORT" --duration 0 $RX_G711
	_sink=$LAST_PID
	wait_udp "$NS_CALLEE" $EPORT
	_d0=$(drops)
	_c0=$(core_busy) _n0=$(threads_ns)
	# shellcheck disable=SC2086 # TX_G711: words or none
	nsx "$NS_CALLER" taskset -c "$GEN_CPU" "$T/rtpgen" -j send \
		--from "$LAB_CALLER4:$CPORT" "$@" --pps "$_rate" --duration "$_secs" \
		--size "$SIZE" $TX_G711 >"$T/$_tag.send" 2>&1
	_c1=$(core_busy) _n1=$(threads_ns)
	sleep 0.3 # stragglers
	stop "$_sink"
	_d1=$(drops)
	# shellcheck disable=SC2086 # three numbers each
	WHERE=$(echo $_d0 $_d1 | awk '{ printf "%d/%d/%d\n", $4 - $1, $5 - $2, $6 - $3 }')
	cp "$T/$_tag.send" "$OUT/$_tag-send.json"
	cp "$T/$_tag.sink" "$OUT/$_tag-sink.json"
	_sent=$(jget sent "$T/$_tag.send")
	UNIQUE=$(jget unique "$T/$_tag.sink")
	# A payload the relay did not translate as it should is lost, and said so.
	BAD=$(jget bad_payload "$T/$_tag.sink")
	[ "${BAD:-0}" = 0 ] || echo "bench-xdp: $_tag: $BAD payloads not translated as expected" >&2
	SENT=$(jget tx_pps "$T/$_tag.send")
	LOSS=$(awk -v s="${_sent:-0}" -v u="${UNIQUE:-0}" \
		'BEGIN { if (s > 0) printf "%.3f\n", 100 * (s - u) / s; else print 100 }')
	US_CORE=$(per_packet $((_c1 - _c0)) $((1000000000 / HZ)) "$UNIQUE")
	US_THREADS=$(per_packet $((_n1 - _n0)) 1 "$UNIQUE")
}

# The first packets latch both parties: the callee sends to the relay, then the caller does,
# and what the caller sends must reach the callee.
latch() { # RELAY
	# shellcheck disable=SC2086 # the --to options
	nsx "$NS_CALLEE" taskset -c "$GEN_CPU" "$T/rtpgen" -j send --from "$LAB_CALLEE4:$EPORT" \
		$RB --pps 200 --duration 0.3 $LATCH_G711 >"$T/latch-$1.send" 2>&1 ||
		die "$1: the callee's first packets: $(cat "$T/latch-$1.send")"
	# shellcheck disable=SC2086 # the --to options
	run "latch-$1" 1000 0.5 $RA
	[ "${UNIQUE:-0}" -gt 0 ] || die "$1: nothing arrived through the relay ($T/latch-$1.*)"
}

# ---- relays ----

start_relay() { # NAME -- sets DPID (empty for route); 1 when it can't run here
	DPID=""
	case $1 in
	route)
		nsx "$NS_RELAY" sysctl -q -w net.ipv4.conf.all.forwarding=1 || return 1
		return 0
		;;
	xdp | off | xlate | xlate-off)
		_mode=off
		case $1 in xdp | xlate) _mode=native ;; esac
		start_daemon "$OUT/$1.log" "$T/xrelayd" --foreground --log-stderr \
			--config-file=none --interface="a/$LAB_RELAY4_A" --interface="b/$LAB_RELAY4_B" \
			--listen-ng=$NG --port-min=30000 --port-max=30999 --num-threads=1 \
			--delete-delay=0 --port-quarantine=0 --log-level=warn --state-dir=none \
			--xdp="$_mode"
		;;
	rtpengine | rtpengine-xlate)
		command -v rtpengine >/dev/null || {
			echo "bench-xdp: no rtpengine (Debian's rtpengine-daemon): skipped" >&2
			return 1
		}
		start_daemon "$OUT/$1.log" rtpengine --table=-1 --config-file=none \
			--interface="a/$LAB_RELAY4_A" --interface="b/$LAB_RELAY4_B" --listen-ng=$NG \
			--port-min=30000 --port-max=30999 --num-threads=1 --delete-delay=0 \
			--foreground --log-stderr --log-level=4
		;;
	esac
	DPID=$LAST_PID
	_i=0
	until nsx "$NS_RELAY" "$T/ngcli" -t 200 -s "$NG" '{"command":"ping"}' 2>/dev/null |
		grep -q pong; do
		alive "$DPID" || die "$1 exited at start: $(tail -n 5 "$OUT/$1.log")"
		_i=$((_i + 1))
		[ $_i -le 50 ] || die "$1 does not answer ng ping within 5 s"
		sleep 0.1
	done
	return 0
}

stop_relay() { # NAME
	if [ "$1" = route ]; then
		nsx "$NS_RELAY" sysctl -q -w net.ipv4.conf.all.forwarding=0
		return 0
	fi
	calls_delete
	stop "$DPID"
	DPID=""
	# A daemon that died hard leaves its program attached: the next relay must not meet it.
	for d in xr1 xr2; do
		ip -n "$NS_RELAY" link set dev "$d" xdp off 2>/dev/null
	done
}

xdp_prog_id() { # of the relay's xr1
	ip -n "$NS_RELAY" -d -j link show dev xr1 | jq -r '.[0].xdp.prog.id // empty'
}

# kernel.bpf_stats_enabled on for one run: the program's run_time_ns / run_cnt on veth.
bpf_stats_run() { # RELAY
	_id=$(xdp_prog_id)
	[ -n "$_id" ] || die "xdp: no program on the relay's xr1"
	STATS_OLD=$(sysctl -n kernel.bpf_stats_enabled) || die "no kernel.bpf_stats_enabled"
	sysctl -q -w kernel.bpf_stats_enabled=1 || die "cannot set kernel.bpf_stats_enabled"
	bpftool -j prog show id "$_id" >"$T/prog0.json"
	measure "$1" "stats-$1" "$CPU_RATE" "$STATS_SECS"
	bpftool -j prog show id "$_id" >"$T/prog1.json"
	sysctl -q -w kernel.bpf_stats_enabled="$STATS_OLD" && STATS_OLD=""
	STATS_NS=$(jq -s '(.[1].run_time_ns // 0) - (.[0].run_time_ns // 0)' \
		"$T/prog0.json" "$T/prog1.json")
	STATS_CNT=$(jq -s '(.[1].run_cnt // 0) - (.[0].run_cnt // 0)' \
		"$T/prog0.json" "$T/prog1.json")
	STATS_PER=$(awk -v t="$STATS_NS" -v n="$STATS_CNT" \
		'BEGIN { if (n > 0) printf "%.0f\n", t / n; else print "-" }')
	setv "NSRUN_$(var_of "$1")" "$STATS_PER"
	setv "NRUNS_$(var_of "$1")" "$STATS_CNT"
	echo "bench-xdp: $1: kernel.bpf_stats over $STATS_CNT runs at $CPU_RATE pps:" \
		"$STATS_PER ns per run (run_time_ns / run_cnt)"
}

kernel_entries() { # xrelayd's statistics: entries in the kernel
	ng statistics '{"command":"statistics"}'
	jq -r '.statistics.kernel.entries // 0' "$T/ng.json"
}

background() { # % busy of the relay's core over 1 s with nothing of ours running
	_b0=$(core_busy) _t0=$(core_total)
	sleep 1
	_b1=$(core_busy) _t1=$(core_total)
	awk -v b=$((_b1 - _b0)) -v t=$((_t1 - _t0)) 'BEGIN { printf "%d\n", (t > 0 ? 100 * b / t : 0) }'
}

# Calls set up afresh and latched, for the daemons: rtpengine discards a stream's packets for
# good once its socket queue overflowed five times, so a run after a lossy one starts anew.
fresh_calls() { # RELAY
	[ "$1" = route ] && return 0
	[ -n "$RA" ] && calls_delete
	calls_setup "$1"
	latch "$1"
	TO=$RA
	if [ "$1" = xdp ] || [ "$1" = xlate ]; then
		_e=$(kernel_entries)
		[ "$_e" -ge "$STREAMS" ] 2>/dev/null ||
			die "$1: '$_e' entries in the kernel after latching, want $STREAMS or more"
	fi
}

measure() { # RELAY TAG RATE SECS -- run, with fresh calls after a lossy run
	[ "$FRESH" = 1 ] && fresh_calls "$1"
	# shellcheck disable=SC2086 # the --to options
	run "$2" "$3" "$4" $TO
	FRESH=$(awk -v l="$LOSS" -v m="$MAX_LOSS" 'BEGIN { print (l < m ? 0 : 1) }')
}

# Results live in variables METRIC_<relay>, with the dashes of the relay's name as underscores.
var_of() { echo "$1" | tr - _; }

bench_relay() { # NAME
	_r=$1
	_v=$(var_of "$1")
	TX_G711="" RX_G711="" LATCH_G711=""
	if is_xlate "$_r"; then
		TX_G711="--g711 ulaw:alaw" RX_G711="--g711 ulaw:alaw" LATCH_G711="--g711 alaw"
	fi
	BG=$(background)
	setv "BG_$_v" "$BG"
	[ "$BG" -le 10 ] ||
		echo "bench-xdp: WARNING: CPU $RELAY_CPU is $BG% busy before $_r: figures distorted" >&2
	start_relay "$_r" || return 0
	RA="" TO=""
	if [ "$_r" = route ]; then
		_k=0
		while [ $_k -lt "$STREAMS" ]; do
			TO="$TO --to $LAB_CALLEE4:$EPORT"
			_k=$((_k + 1))
		done
	fi
	FRESH=1
	ACTIVE="$ACTIVE $_r"

	# Rates step up until a step loses MAX_LOSS % or more (or the generator could not send
	# 95 % of the rate) TRIES times.
	setv "MAX_$_v" 0
	for rate in $RATES; do
		try=1
		while :; do
			measure "$_r" "step-$_r-$rate-$try" "$rate" "$STEP_SECS"
			ok=$(awk -v l="$LOSS" -v s="${SENT:-0}" -v r="$rate" -v m="$MAX_LOSS" \
				'BEGIN { print ((l < m && s >= 0.95 * r) ? 1 : 0) }')
			echo "bench-xdp: $_r at $rate pps: loss $LOSS% (dropped in/relay/out" \
				"$WHERE), sent $SENT pps, core $US_CORE us/packet, threads" \
				"$US_THREADS us/packet"
			[ "$ok" = 1 ] || [ "$try" -ge "$TRIES" ] && break
			try=$((try + 1))
		done
		printf '%-16s %7s %8s %8s %8s %8s %s\n' "$_r" "$rate" "$LOSS" "$SENT" "$US_CORE" \
			"$US_THREADS" "$WHERE" >>"$T/steps"
		[ "$ok" = 1 ] || break
		setv "MAX_$_v" "$rate"
	done

	measure "$_r" "cpu-$_r" "$CPU_RATE" "$CPU_SECS"
	setv "CORE_$_v" "$US_CORE"
	setv "THR_$_v" "$US_THREADS"
	setv "CPULOSS_$_v" "$LOSS"
	setv "P50_$_v" "$(jget latency_p50_us "$T/cpu-$_r.sink")"
	setv "P99_$_v" "$(jget latency_p99_us "$T/cpu-$_r.sink")"
	echo "bench-xdp: $_r at $CPU_RATE pps for $CPU_SECS s: core $US_CORE us/packet," \
		"threads $US_THREADS us/packet, loss $LOSS% (in/relay/out $WHERE), latency" \
		"p50/p99 $(val P50 "$_v")/$(val P99 "$_v") us"
	if { [ "$_r" = xdp ] || [ "$_r" = xlate ]; } && [ "$STATS_SECS" != 0 ]; then
		bpf_stats_run "$_r"
	fi
	stop_relay "$_r"
}

# ---- main ----

[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces, XDP): skipped"
lab_check_tools >"$T/tools" || die "$(cat "$T/tools")"
for c in jq taskset unshare bpftool ss; do
	command -v "$c" >/dev/null 2>&1 || die "$c not found"
done
taskset -c "$RELAY_CPU" true 2>/dev/null && taskset -c "$GEN_CPU" true 2>/dev/null ||
	die "needs CPUs $RELAY_CPU and $GEN_CPU (BENCH_RELAY_CPU, BENCH_GEN_CPU)"
# Copies: a rebuild during the run must not swap a binary under it.
for b in xrelayd rtpgen ngcli tests/bench/xdp_prog_cost; do
	[ -x "$B/$b" ] || die "$B/$b is missing: run make first (make bench builds it)"
	cp "$B/$b" "$T/${b##*/}" || die "cannot copy $B/$b"
done
mkdir -p "$OUT" || die "cannot create $OUT"
rm -f "$OUT"/*.json "$OUT"/*.log "$OUT"/summary.txt
: >"$T/steps"

# 1. The program alone: BPF_PROG_RUN on the relay's core, before bpf_stats is touched.
if [ "$(sysctl -n kernel.bpf_stats_enabled)" != 0 ]; then
	echo "bench-xdp: kernel.bpf_stats_enabled is on: the micro-benchmark includes its cost" >&2
fi
taskset -c "$RELAY_CPU" "$T/xdp_prog_cost" --entries "$ENTRIES" --repeat "$REPEAT" \
	--size "$SIZE" >"$T/prog_cost.out" 2>&1 || die "xdp_prog_cost: $(cat "$T/prog_cost.out")"
grep -v '^{' "$T/prog_cost.out"
grep '^{' "$T/prog_cost.out" >"$OUT/prog-cost.json"

# 2. The relays in the lab.
lab_setup
echo "bench-xdp: lab $NS_CALLER / $NS_RELAY / $NS_CALLEE; relay core CPU $RELAY_CPU" \
	"(NAPI threads $RELAY_NAPI), generators on CPU $GEN_CPU; results in $OUT/"
ACTIVE=""
STATS_PER="-" STATS_CNT=0
for r in $RELAYS; do
	case $r in
	route | xdp | off | rtpengine | xlate | xlate-off | rtpengine-xlate) ;;
	*) die "unknown relay '$r'" ;;
	esac
	bench_relay "$r"
done
[ -n "$ACTIVE" ] || die "no relay measured"

# ---- report ----

name_of() {
	case $1 in
	route) echo "routing" ;;
	xdp) echo "xrelayd XDP" ;;
	off) echo "xrelayd off" ;;
	rtpengine) echo "rtpengine" ;;
	xlate) echo "XDP xlate" ;;
	xlate-off) echo "off xlate" ;;
	rtpengine-xlate) echo "rtpe. xlate" ;;
	esac
}

base_of() { # the relay that does the same without translating
	case $1 in
	xlate) echo xdp ;;
	xlate-off) echo off ;;
	rtpengine-xlate) echo rtpengine ;;
	esac
}

{
	echo
	echo "xrelay XDP benchmark, namespace lab (veth), $DATE: relay core CPU $RELAY_CPU (its" \
		"NAPI threads and the daemon), generators on CPU $GEN_CPU, $SIZE-byte RTP," \
		"$STREAMS stream(s), one way caller -> callee"
	printf '%-40s' "metric"
	for r in $ACTIVE; do printf ' %12s' "$(name_of "$r")"; done
	echo
	row() { # LABEL VAR
		printf '%-40s' "$1"
		for r in $ACTIVE; do printf ' %12s' "$(val "$2" "$(var_of "$r")")"; done
		echo
	}
	row "max pps at < $MAX_LOSS% loss (steps)" MAX
	row "core us/packet at $CPU_RATE pps" CORE
	row "  relay threads us/packet (schedstat)" THR
	row "  loss % in that run" CPULOSS
	row "latency p50 us at $CPU_RATE pps" P50
	row "latency p99 us at $CPU_RATE pps" P99
	row "core busy % before (background)" BG
	ratio_row() { # LABEL VAR -- each relay's VAR over routing's
		printf '%-40s' "$1"
		for r in $ACTIVE; do
			printf ' %12s' "$(awk -v a="$(val "$2" "$(var_of "$r")")" -v b="$(val "$2" route)" \
				'BEGIN { if (a == "-" || b == "-" || b + 0 == 0) print "-";
					else printf "%.2fx\n", a / b }')"
		done
		echo
	}
	case " $ACTIVE " in
	*" route "*)
		ratio_row "core us/packet / routing's" CORE
		ratio_row "threads us/packet / routing's" THR
		;;
	esac
	base_row() { # LABEL VAR -- each translating relay's VAR over its plain counterpart's
		printf '%-40s' "$1"
		for r in $ACTIVE; do
			_b=$(base_of "$r")
			printf ' %12s' "$(awk -v a="$(val "$2" "$(var_of "$r")")" \
				-v b="$([ -n "$_b" ] && val "$2" "$_b" || echo -)" \
				'BEGIN { if (a == "-" || b == "-" || b + 0 == 0) print "-";
					else printf "%.2fx\n", a / b }')"
		done
		echo
	}
	case " $ACTIVE " in
	*" xlate"* | *"-xlate "*)
		base_row "core us/packet / untranslated's" CORE
		base_row "threads us/packet / untranslated's" THR
		base_row "max pps / untranslated's" MAX
		ratio2() { # LABEL VAR A B -- A's VAR over B's
			printf '%-40s %12s\n' "$1" "$(awk -v a="$(val "$2" "$3")" \
				-v b="$(val "$2" "$4")" 'BEGIN { if (a == "-" || b == "-" ||
				b + 0 == 0) print "-"; else printf "%.2fx\n", a / b }')"
		}
		ratio2 "xlate-off / xlate: core us/packet" CORE xlate_off xlate
		ratio2 "xlate-off / xlate: threads us/packet" THR xlate_off xlate
		ratio2 "xlate / xlate-off: max pps" MAX xlate xlate_off
		;;
	esac
	echo
	jq -r --arg r "$REPEAT" '"XDP program alone (BPF_PROG_RUN, repeat \($r), median ns/packet): " +
		"hit \(.hit_ns[0]) with \(.entries[0]) entry, \(.hit_ns[1]) with \(.entries[1]); " +
		"punt (no entry) \(.punt_ns[0]) and \(.punt_ns[1])"' "$OUT/prog-cost.json"
	echo "XDP program on veth (kernel.bpf_stats at $CPU_RATE pps, ns per run):" \
		"xdp $(val NSRUN xdp) ($(val NRUNS xdp) runs), xlate $(val NSRUN xlate)" \
		"($(val NRUNS xlate) runs)"
	echo
	echo "rate steps: relay, rate, loss %, sent pps, core and threads us/packet, dropped in/relay/out"
	cat "$T/steps"
	echo
	echo "reproduce: BENCH_XDP_RELAYS=\"$RELAYS\" BENCH_XDP_RATES=\"$RATES\"" \
		"BENCH_STEP_SECS=$STEP_SECS BENCH_XDP_CPU_RATE=$CPU_RATE BENCH_XDP_CPU_SECS=$CPU_SECS" \
		"BENCH_XDP_STATS_SECS=$STATS_SECS BENCH_SIZE=$SIZE BENCH_STREAMS=$STREAMS" \
		"BENCH_TRIES=$TRIES tests/bench/xdp.sh"
} | tee "$OUT/summary.txt"
