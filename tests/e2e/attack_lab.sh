#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# RTP bleed: during a call with media both ways, a stranger on the caller's side (the lab's
# attacker namespace, tests/e2e/netns/lib.sh) sprays RTP at every port of the relay's range on
# both relay addresses, and hammers the call's ports. The parties must get all their media and
# none of the attacker's, the attacker nothing, the learned endpoints must not move and the
# drops must be counted. Once without flags (userspace drops after the learning window), once
# with strict-source (the kernel drops); per --xdp mode. IPv4.
#
# Needs root, iproute2, ethtool, nsenter, jq, ss and the built daemon and tools. Knobs:
# LAB_MODES (default "native off"), LAB_PPS (1000), LAB_MAX_LOSS (5), E2E_VERBOSE=1.
set -u

cd "$(dirname "$0")/../.." || exit 1
ROOT=$(pwd)
# shellcheck source=tests/e2e/netns/lib.sh
. "$ROOT/tests/e2e/netns/lib.sh"

XRELAYD=${XRELAYD:-$ROOT/build/xrelayd}
RTPGEN=${RTPGEN:-$ROOT/build/rtpgen}
NGCLI=${NGCLI:-$ROOT/build/ngcli}
MODES=${LAB_MODES:-native off}
PPS=${LAB_PPS:-1000}
MAX_LOSS=${LAB_MAX_LOSS:-5}
PORT_MIN=30000
PORT_MAX=30999
MEDIA_SECS=9	# RTP both ways for this long
LOOK_SECS=4	# s after the media started: the learning window (3 s) is over, look
ATTACK_PAUSE=0.5	# then attack
ATTACK_SECS=3
SPRAY_PPS=5	# per destination port of the sweep
FOCUS_PPS=400	# at the call's four relay ports together
RTCP_PPS=20
RTCP_DELAY=300
NG=127.0.0.1:2223
PIN_ROOT=/sys/fs/bpf/xrelay
CALLER=$LAB_CALLER4 CPORT=40000
CALLEE=$LAB_CALLEE4 EPORT=42000

T=$(mktemp -d "${TMPDIR:-/tmp}/xrelay-attack.XXXXXX") || exit 1
# shellcheck source=tests/e2e/lib/proc.sh
. "$ROOT/tests/e2e/lib/proc.sh"
MODE=setup
PHASE=""
XPID=""
PINS_EXISTED=0
[ -e "$PIN_ROOT" ] && PINS_EXISTED=1
LAB_ATTACKER=1
lab_names $$

fail() {
	FAILED="[$MODE $PHASE] $*"
	exit 1
}

logs() {
	show_lab_logs 60 3
	for f in ng.err ng.json before.tsv after.tsv stats.json lab.err; do
		show_log "$f" "$T/$f" 40
	done
}

teardown() { lab_teardown "$PIN_ROOT" "$PINS_EXISTED" "$T"; }
on_exit logs teardown
trap 'FAILED="interrupted"; exit 130' INT TERM

start() { lab_spawn "$@"; }	       # LOG NAMESPACE CMD...
reap_all() { lab_reap_traffic "$XPID"; } # every traffic process; fails naming the first failed

wait_udp() { # NAMESPACE PORT
	_i=0
	until [ -n "$(nsx "$1" ss -Hlun "sport = :$2" 2>/dev/null)" ]; do
		_i=$((_i + 1))
		[ "$_i" -le 50 ] || fail "nothing bound port $2 in $1 within 5 s"
		sleep 0.1
	done
}

# For $(...): a whole number, else nothing (and why on stderr), which between() rejects.
jget() { # FILE JQ-FILTER
	_v=$(jq -r "$2" "$1" 2>/dev/null)
	case $_v in
	'' | null | *[!0-9]*) echo "no count $2 in ${1##*/}: $(head -c 300 "$1")" >&2 ;;
	*) echo "$_v" ;;
	esac
}

between() { # WHAT GOT MIN MAX
	case $2 in
	'' | *[!0-9]*) fail "$1: '$2' is not a count" ;;
	esac
	if [ "$2" -lt "$3" ] || [ "$2" -gt "$4" ]; then
		fail "$1: $2, expected $3..$4"
	fi
}

ng() { # WHAT JSON -- the reply in $T/ng.json; fails unless result is ok
	nsx "$NS_RELAY" "$NGCLI" -t 2000 -s "$NG" "$2" >"$T/ng.json" 2>>"$T/ng.err" ||
		fail "$1: no ng reply"
	[ "$(jq -r .result "$T/ng.json" 2>/dev/null)" = ok ] ||
		fail "$1: $(cat "$T/ng.json")"
}

sdp() { # IP PORT
	printf 'v=0\\r\\no=- 1 1 IN IP4 %s\\r\\ns=-\\r\\nc=IN IP4 %s\\r\\nt=0 0\\r\\n' "$1" "$1"
	printf 'm=audio %s RTP/AVP 0\\r\\na=sendrecv\\r\\n' "$2"
}

relay_port() { # the m= port of the relay's SDP in the last reply
	jq -r .sdp "$T/ng.json" | tr -d '\r' | sed -n 's/^m=audio \([0-9]*\) .*/\1/p'
}

# Offer from the caller, answer from the callee; RA: where the caller sends (interface a),
# RB: where the callee sends (interface b); RTCP on the next port.
call_setup() { # FLAGS-JSON
	CALL_ID="attack-$MODE-$PHASE-$$"
	ng offer "{\"command\":\"offer\",\"call-id\":\"$CALL_ID\",\"from-tag\":\"caller\",
		\"direction\":[\"a\",\"b\"],\"flags\":$1,\"sdp\":\"$(sdp "$CALLER" $CPORT)\"}"
	RB=$(relay_port)
	ng answer "{\"command\":\"answer\",\"call-id\":\"$CALL_ID\",\"from-tag\":\"caller\",
		\"to-tag\":\"callee\",\"flags\":$1,\"sdp\":\"$(sdp "$CALLEE" $EPORT)\"}"
	RA=$(relay_port)
	if [ -z "$RA" ] || [ -z "$RB" ]; then
		fail "no relay ports in the SDP"
	fi
}

# One line per stream: TAG COMPONENT ADDRESS PORT ERRORS PATH.
# shellcheck disable=SC2016 # jq's $t
STREAMS_TSV='.tags[] | .tag as $t | .medias[]?.streams[]? |
	[$t, (if (.flags // []) | index("RTCP") then "RTCP" else "RTP" end),
	 (.endpoint.address // "-"), (.endpoint.port // 0), (.stats.errors // 0),
	 (.path // "-")] | @tsv'

query() { # FILE -- the streams of the call, as STREAMS_TSV, in FILE
	ng query "{\"command\":\"query\",\"call-id\":\"$CALL_ID\"}"
	jq -r "$STREAMS_TSV" "$T/ng.json" | sort >"$1" || fail "unreadable query reply"
}

kcounter() { # NAME -- a kernel counter from the statistics (0 when XDP is off)
	ng statistics '{"command":"statistics"}'
	cp "$T/ng.json" "$T/stats.json"
	jget "$T/stats.json" ".statistics.kernel.counters.$1 // 0"
}

# Each party's streams latched onto its own address, and the path is the mode's.
check_learned() { # FILE WHEN
	[ "$(wc -l <"$1")" -eq 4 ] || fail "$2: $(wc -l <"$1") streams, expected 4"
	while IFS="	" read -r tag comp addr port _err path; do
		case $tag/$comp in
		caller/RTP) _want="$CALLER $CPORT" ;;
		caller/RTCP) _want="$CALLER $((CPORT + 1))" ;;
		callee/RTP) _want="$CALLEE $EPORT" ;;
		callee/RTCP) _want="$CALLEE $((EPORT + 1))" ;;
		*) fail "$2: unexpected stream $tag $comp" ;;
		esac
		[ "$addr $port" = "$_want" ] ||
			fail "$2: $tag $comp learned $addr port $port, expected $_want"
		# RTCP goes up for its statistics by default (no --rtcp-kernel here).
		case $MODE/$comp in
		native/RTP) _p=kernel ;;
		*) _p=userspace ;;
		esac
		[ "$path" = "$_p" ] || fail "$2: $tag $comp path $path, expected $_p"
	done <"$1"
}

errors_sum() { # FILE
	awk -F '\t' '{ s += $5 } END { print s + 0 }' "$1"
}

# The sweep: every port of the range on both relay addresses, 64 per rtpgen (its maximum), from
# a port of its own; and one rtpgen at the call's four ports. Each with --rtt: what comes back.
attack() {
	_k=0
	for _ip in $LAB_RELAY4_A $LAB_RELAY4_B; do
		_p=$PORT_MIN
		while [ "$_p" -le "$PORT_MAX" ]; do
			_to="" _n=0
			while [ "$_p" -le "$PORT_MAX" ] && [ "$_n" -lt 64 ]; do
				_to="$_to --to $_ip:$_p"
				_p=$((_p + 1)) _n=$((_n + 1))
			done
			_k=$((_k + 1))
			# shellcheck disable=SC2086 # the --to list
			start "$T/spray$_k.out" "$NS_ATTACKER" "$RTPGEN" -j send \
				--from "$LAB_ATTACKER4:$((50000 + _k))" $_to --pps $((_n * SPRAY_PPS)) \
				--duration $ATTACK_SECS --ssrc $((0x0bad0000 + _k * 64)) --rtt --wait 300
		done
	done
	start "$T/focus.out" "$NS_ATTACKER" "$RTPGEN" -j send --from "$LAB_ATTACKER4:50000" \
		--to "$LAB_RELAY4_A:$RA" --to "$LAB_RELAY4_A:$((RA + 1))" \
		--to "$LAB_RELAY4_B:$RB" --to "$LAB_RELAY4_B:$((RB + 1))" --pps $FOCUS_PPS \
		--duration $ATTACK_SECS --ssrc $((0x0bad0000)) --rtt --wait 300
}

sum_field() { # FIELD FILES...
	_f=$1
	shift
	jq -s "map(.$_f) | add" "$@" 2>/dev/null
}

# One call under attack. FLAGS: the offer's and answer's flags (a JSON list).
phase() { # NAME FLAGS
	PHASE=$1
	call_setup "$2"
	_d=$((MEDIA_SECS + 1)).5
	start "$T/echo.out" "$NS_CALLEE" "$RTPGEN" -j echo --listen "$CALLEE:$EPORT" \
		--duration "$_d"
	start "$T/rtcp-callee.out" "$NS_CALLEE" "$RTPGEN" -j rtcp --local "$CALLEE:$((EPORT + 1))" \
		--to "$LAB_RELAY4_B:$((RB + 1))" --count $((RTCP_PPS * MEDIA_SECS)) \
		--pps $RTCP_PPS --delay $RTCP_DELAY --duration "$_d"
	start "$T/rtcp-caller.out" "$NS_CALLER" "$RTPGEN" -j rtcp --local "$CALLER:$((CPORT + 1))" \
		--to "$LAB_RELAY4_A:$((RA + 1))" --count $((RTCP_PPS * MEDIA_SECS)) \
		--pps $RTCP_PPS --delay $RTCP_DELAY --duration "$_d"
	wait_udp "$NS_CALLEE" $EPORT
	wait_udp "$NS_CALLEE" $((EPORT + 1))
	wait_udp "$NS_CALLER" $((CPORT + 1))
	start "$T/send.out" "$NS_CALLER" "$RTPGEN" -j send --from "$CALLER:$CPORT" \
		--to "$LAB_RELAY4_A:$RA" --rtt --pps "$PPS" --duration $MEDIA_SECS --wait 300
	sleep $LOOK_SECS
	query "$T/before.tsv"
	check_learned "$T/before.tsv" "before the attack"
	_err0=$(errors_sum "$T/before.tsv")
	_sc0=$(kcounter source_changed)
	_ss0=$(kcounter strict_source)
	sleep $ATTACK_PAUSE
	attack
	reap_all

	# The parties: all their media, and nothing else.
	_sent=$(jget "$T/send.out" .sent)
	_echoed=$(jget "$T/echo.out" .echoed)
	between "RTP packets the caller sent" "$_sent" $((PPS * MEDIA_SECS * 9 / 10)) "$_sent"
	between "RTP caller->callee at the callee" "$(jget "$T/echo.out" .received)" \
		$((_sent - MAX_LOSS)) "$_sent"
	between "RTP callee->caller at the caller" "$(jget "$T/send.out" .received)" \
		$((_echoed - MAX_LOSS)) "$_echoed"
	between "SSRCs at the caller (its own, echoed)" "$(jget "$T/send.out" .streams)" 1 1
	between "duplicates at the caller" "$(jget "$T/send.out" .duplicates)" 0 0
	for _w in caller:callee callee:caller; do
		_from=${_w%%:*} _to=${_w#*:}
		_s=$(jget "$T/rtcp-$_from.out" .sent)
		between "RTCP $_from->$_to" "$(jget "$T/rtcp-$_to.out" .rtcp)" $((_s - MAX_LOSS)) "$_s"
		between "non-RTCP packets at the $_to's RTCP port" \
			"$(jget "$T/rtcp-$_to.out" .non_rtcp)" 0 0
	done

	# The attacker: it sent, and got nothing back.
	_asent=$(sum_field sent "$T"/spray*.out "$T/focus.out")
	_fsent=$(jget "$T/focus.out" .sent)
	between "packets the attacker sent" "$_asent" \
		$(((PORT_MAX - PORT_MIN + 1) * 2 * SPRAY_PPS * ATTACK_SECS * 8 / 10)) "$_asent"
	between "packets the attacker sent at the call's ports" "$_fsent" \
		$((FOCUS_PPS * ATTACK_SECS * 8 / 10)) "$_fsent"
	between "packets the attacker received" \
		"$(sum_field received "$T"/spray*.out "$T/focus.out")" 0 0

	# The streams did not move, and the drops are counted where they happened.
	query "$T/after.tsv"
	check_learned "$T/after.tsv" "after the attack"
	_err=$(($(errors_sum "$T/after.tsv") - _err0))
	_sc=$(($(kcounter source_changed) - _sc0))
	_ss=$(($(kcounter strict_source) - _ss0))
	_min=$((_fsent * 9 / 10))
	case $MODE/$PHASE in
	native/plain) # punted by the kernel, dropped by the daemon
		between "kernel source_changed punts" "$_sc" "$_min" "$_asent"
		between "stream errors" "$_err" "$_min" "$_asent"
		between "kernel strict_source drops" "$_ss" 0 0
		;;
	native/strict) # dropped in the kernel
		between "kernel strict_source drops" "$_ss" "$_min" "$_asent"
		between "kernel source_changed punts" "$_sc" 0 0
		between "stream errors" "$_err" 0 0
		;;
	*) # no XDP: the daemon drops them
		between "stream errors" "$_err" "$_min" "$_asent"
		between "kernel source_changed + strict_source" $((_sc + _ss)) 0 0
		;;
	esac
	echo "mode $MODE, $PHASE: attacker sent $_asent ($_fsent at the call), received 0;" \
		"errors +$_err, source_changed +$_sc, strict_source +$_ss"
	ng delete "{\"command\":\"delete\",\"call-id\":\"$CALL_ID\",\"delete-delay\":0}"
}

run_mode() { # MODE
	MODE=$1
	PHASE=start
	start "$T/xrelayd-$MODE.log" "$NS_RELAY" "$XRELAYD" --foreground --log-stderr \
		--config-file=none --interface=a/$LAB_RELAY4_A --interface=b/$LAB_RELAY4_B \
		--listen-ng=$NG --port-min=$PORT_MIN --port-max=$PORT_MAX --port-quarantine=0 \
		--timeout=60 --xdp="$MODE" --state-dir=none
	XPID=$LAST_PID
	_i=0
	until nsx "$NS_RELAY" "$NGCLI" -t 200 -s "$NG" '{"command":"ping"}' 2>/dev/null |
		grep -q pong; do
		alive "$XPID" || fail "xrelayd exited at start"
		_i=$((_i + 1))
		[ "$_i" -le 50 ] || fail "xrelayd does not answer ng ping within 5 s"
		sleep 0.1
	done
	phase plain '[]'
	phase strict '["strict-source"]'
	kill "$XPID"
	wait_exit "$XPID" 5 || fail "xrelayd still runs 5 s after SIGTERM"
	reap "$XPID"
	XPID=""
}

lab_check_tools >"$T/tools" || fail "$(cat "$T/tools")"
for c in jq ss; do
	command -v "$c" >/dev/null 2>&1 || fail "$c not found (tools/install-deps installs it)"
done
for b in "$XRELAYD" "$RTPGEN" "$NGCLI"; do
	[ -x "$b" ] || fail "$b not built (make)"
done
lab_up $$ 2>"$T/lab.err" || fail "cannot build the namespace lab: $(cat "$T/lab.err")"
for m in $MODES; do
	run_mode "$m"
done
