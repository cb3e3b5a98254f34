#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# The kernel fast path end to end: caller and callee namespaces talk through xrelayd in a relay
# namespace over veths (tests/e2e/netns/lib.sh), one IPv4 and one IPv6 call at a time: RTP and
# RTCP both ways, a re-INVITE that moves the callee, a delete. The IPv4 call is SRTP with SDES
# passthrough (the callee takes the caller's own crypto line, so the relay forwards SRTP as it
# is, in the kernel); the IPv6 one plain RTP. Run once per --xdp mode: with
# native the kernel must carry the media after latching, with off userspace carries all of it;
# what must arrive is the same in both.
#
# Needs root, iproute2, ethtool, nsenter, jq and the built daemon and tools. Knobs:
# LAB_MODES (default "native off"; "none" runs without --xdp and expects no kernel keys),
# LAB_PPS, LAB_SECS, LAB_MAX_LOSS, LAB_MAX_USERSPACE, E2E_VERBOSE=1 (logs even on success),
# XRELAYD, RTPGEN, NGCLI (other binaries).
set -u

cd "$(dirname "$0")/../.." || exit 1
ROOT=$(pwd)
# shellcheck source=tests/e2e/netns/lib.sh
. "$ROOT/tests/e2e/netns/lib.sh"

XRELAYD=${XRELAYD:-$ROOT/build/xrelayd}
RTPGEN=${RTPGEN:-$ROOT/build/rtpgen}
NGCLI=${NGCLI:-$ROOT/build/ngcli}
RELAYCTL=${RELAYCTL:-$ROOT/build/relayctl}
MODES=${LAB_MODES:-native off}
PPS=${LAB_PPS:-2000}		# RTP packets/s each way
SECS=${LAB_SECS:-1}		# seconds of RTP per phase (whole seconds)
TIMEOUT=${LAB_TIMEOUT:-6}	# xrelayd --timeout; the first phase outlasts it (kernel counters)
TALK_SECS=$((TIMEOUT + 2))
RTCP_COUNT=100			# RTCP packets each way per phase, at RTCP_PPS
RTCP_PPS=200
RTCP_DELAY=300			# ms an RTCP peer only listens before it sends (the other end binds)
MAX_LOSS=${LAB_MAX_LOSS:-5}	# packets a direction may lose to a host hiccup
MAX_USER=${LAB_MAX_USERSPACE:-50} # per stream and latching: packets userspace may see, XDP on
NG=127.0.0.1:2223		# the relay namespace's loopback: no ng on the media veths
PIN_ROOT=/sys/fs/bpf/xrelay
# Per family (read through val): endpoint ports of the caller, the callee and where the callee
# moves to; their addresses; the relay's on each side.
# shellcheck disable=SC2034
{
	CPORT_4=40000 EPORT_4=42000 APORT_4=44000
	CPORT_6=40010 EPORT_6=42010 APORT_6=44010
	CALLER_4=$LAB_CALLER4 CALLEE_4=$LAB_CALLEE4 ALT_4=$LAB_CALLEE4_ALT
	CALLER_6=$LAB_CALLER6 CALLEE_6=$LAB_CALLEE6 ALT_6=$LAB_CALLEE6_ALT
	RELAY_A_4=$LAB_RELAY4_A RELAY_B_4=$LAB_RELAY4_B
	RELAY_A_6=$LAB_RELAY6_A RELAY_B_6=$LAB_RELAY6_B
}

T=$(mktemp -d "${TMPDIR:-/tmp}/xrelay-netns.XXXXXX") || exit 1
# shellcheck source=tests/e2e/lib/proc.sh
. "$ROOT/tests/e2e/lib/proc.sh"
MODE=setup
XPID=""
PINS_EXISTED=0
[ -e "$PIN_ROOT" ] && PINS_EXISTED=1
lab_names $$

# What a failure on the XDP side needs: the veths' XDP state, the global counters, the entries.
diagnose() {
	echo "===== ip -d link (mode $MODE) ====="
	lab_link_state
	if [ -e "$PIN_ROOT/xr_global" ] && command -v bpftool >/dev/null; then
		echo "===== $PIN_ROOT/xr_global, summed over the CPUs (key: enum xr_counter) ====="
		bpftool -j map dump pinned "$PIN_ROOT/xr_global" 2>&1 |
			jq -r '.[] | (.formatted // .) | "\(.key): \([.values[].value] | add)"' \
				2>&1 | tr '\n' ' '
		echo
		echo "===== bpftool map dump pinned $PIN_ROOT/xr_fwd ====="
		bpftool map dump pinned "$PIN_ROOT/xr_fwd" 2>&1 | tail -n 80
	fi
	echo "===== statistics.kernel now, without the zero counters ====="
	nsx "$NS_RELAY" "$NGCLI" -t 1000 -s "$NG" '{"command":"statistics"}' 2>&1 |
		jq -c '.statistics.kernel | .counters |= with_entries(select(.value != 0))' 2>&1
	echo "===== bpftool net (relay namespace) ====="
	nsx "$NS_RELAY" bpftool net 2>&1
}

fail() {
	FAILED="[$MODE] $*"
	[ -e "/run/netns/$NS_RELAY" ] && diagnose >"$T/diag.txt" 2>&1
	exit 1
}

logs() {
	show_lab_logs 80 3
	show_log "ng client errors" "$T/ng.err"
	show_log "last ng reply" "$T/ng.json"
	show_log "last query" "$T/query.json"
	show_log "last statistics" "$T/stats.json"
	show_log "diagnosis at the failure" "$T/diag.txt" 400
}

teardown() { lab_teardown "$PIN_ROOT" "$PINS_EXISTED" "$T"; }
on_exit logs teardown
trap 'FAILED="interrupted"; exit 130' INT TERM

start() { lab_spawn "$@"; }	       # LOG NAMESPACE CMD...
reap_all() { lab_reap_traffic "$XPID"; } # every traffic process; fails naming the first failed

wait_udp() { # NAMESPACE IP PORT -- polls up to 5 s until something binds IP:PORT
	_i=0
	until [ -n "$(nsx "$1" ss -Hlun "sport = :$3" 2>/dev/null)" ]; do
		_i=$((_i + 1))
		[ "$_i" -le 50 ] || fail "nothing bound $2 port $3 in $1 within 5 s"
		sleep 0.1
	done
}

ep() { # IP PORT -- IP:PORT, or [IP]:PORT for IPv6
	case $1 in
	*:*) echo "[$1]:$2" ;;
	*) echo "$1:$2" ;;
	esac
}

val() { # FAMILY NAME -- the value of NAME_FAMILY
	eval "echo \"\$${2}_$1\""
}

# One value from a JSON file, for $(...): when it is missing, the reason goes to $T/jget.err
# and the value is empty, which the checks below turn into a failure naming it.
jget() { # FILE JQ-FILTER
	_v=$(jq -r "$2" "$1" 2>/dev/null)
	if [ -z "$_v" ] || [ "$_v" = null ]; then
		echo "no $2 in ${1##*/}: $(head -c 300 "$1")" >"$T/jget.err"
		_v=""
	fi
	echo "$_v"
}

count() { # WHAT VALUE -- fails unless VALUE is a whole number
	case ${2#-} in
	'' | *[!0-9]*) fail "$1: '$2' is not a count ($(cat "$T/jget.err" 2>/dev/null))" ;;
	esac
}

# ---- ng ----

ng() { # WHAT JSON -- one request; the reply in $T/ng.json; fails unless result is ok
	nsx "$NS_RELAY" "$NGCLI" -t 2000 -s "$NG" "$2" >"$T/ng.json" 2>>"$T/ng.err" ||
		fail "$1: no ng reply"
	[ "$(jq -r .result "$T/ng.json" 2>/dev/null)" = ok ] ||
		fail "$1: $(jq -c . "$T/ng.json" 2>/dev/null || cat "$T/ng.json")"
}

# SDES keys (30 bytes of key and salt, base64) of the SRTP IPv4 call's parties.
KEY_CALLER=QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNk
KEY_CALLEE=YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXpBQkNE

sdp() { # IP PORT VERSION [KEY] -- an audio SDP, escaped for a JSON string; SRTP with KEY
	case $1 in
	*:*) _f=IP6 ;;
	*) _f=IP4 ;;
	esac
	printf 'v=0\\r\\no=- 1 %s IN %s %s\\r\\ns=-\\r\\nc=IN %s %s\\r\\nt=0 0\\r\\n' \
		"$3" "$_f" "$1" "$_f" "$1"
	if [ -n "${4:-}" ]; then
		printf 'm=audio %s RTP/SAVP 0 8\\r\\na=sendrecv\\r\\n' "$2"
		printf 'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:%s\\r\\n' "$4"
	else
		printf 'm=audio %s RTP/AVP 0 8\\r\\na=sendrecv\\r\\n' "$2"
	fi
}

# The party's key in the SDP the relay sent: passthrough keeps the other party's line as is.
expect_key() { # WHAT KEY
	grep -q "^a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:$2\$" "$T/sdp.txt" ||
		fail "$1: the relay's SDP lacks the key line 1 inline:$2: $(cat "$T/sdp.txt")"
}

key() { # FAMILY WHO -- the SDES key of the IPv4 call's party WHO (CALLER/CALLEE), else none
	[ "$1" = 4 ] && eval "echo \$KEY_$2"
}

# Reads the relay's SDP in the last reply: R_IP, R_PORT (RTP) and R_RTCP.
read_sdp() {
	jq -r .sdp "$T/ng.json" | tr -d '\r' >"$T/sdp.txt"
	R_IP=$(sed -n 's/^c=IN IP[46] \([^ ]*\).*/\1/p' "$T/sdp.txt" | tail -n 1)
	R_PORT=$(sed -n 's/^m=audio \([0-9]*\) .*/\1/p' "$T/sdp.txt")
	R_RTCP=$(sed -n 's/^a=rtcp:\([0-9]*\).*/\1/p' "$T/sdp.txt")
	if [ -z "$R_IP" ] || [ -z "$R_PORT" ]; then
		fail "no c= or m= in the relay's SDP: $(cat "$T/sdp.txt")"
	fi
	[ -n "$R_RTCP" ] || R_RTCP=$((R_PORT + 1))
}

call_id() { # FAMILY
	echo "lab-$MODE-$1-$$"
}

# Offer from the caller (towards interface b), answer from the callee. Sets RA_*/RB_* (the
# relay's ports facing the caller, and the callee) for the family.
call_setup() { # FAMILY
	_f=$1
	ng "offer IPv$_f" "{\"command\":\"offer\",\"call-id\":\"$(call_id "$_f")\",
		\"from-tag\":\"caller\",\"direction\":[\"a\",\"b\"],
		\"sdp\":\"$(sdp "$(val "$_f" CALLER)" "$(val "$_f" CPORT)" 1 "$(key "$_f" CALLER)")\"}"
	read_sdp
	[ "$R_IP" = "$(val "$_f" RELAY_B)" ] ||
		fail "offer IPv$_f: the callee is told $R_IP, not interface b's $(val "$_f" RELAY_B)"
	if [ "$_f" = 4 ]; then expect_key "offer IPv4" "$KEY_CALLER"; fi
	eval "RB_$_f=\$R_PORT RBC_$_f=\$R_RTCP"
	ng "answer IPv$_f" "{\"command\":\"answer\",\"call-id\":\"$(call_id "$_f")\",
		\"from-tag\":\"caller\",\"to-tag\":\"callee\",
		\"sdp\":\"$(sdp "$(val "$_f" CALLEE)" "$(val "$_f" EPORT)" 1 "$(key "$_f" CALLEE)")\"}"
	read_sdp
	[ "$R_IP" = "$(val "$_f" RELAY_A)" ] ||
		fail "answer IPv$_f: the caller is told $R_IP, not interface a's $(val "$_f" RELAY_A)"
	if [ "$_f" = 4 ]; then expect_key "answer IPv4" "$KEY_CALLEE"; fi
	eval "RA_$_f=\$R_PORT RAC_$_f=\$R_RTCP"
}

# re-INVITE from the callee: it now receives at ALT:APORT; the caller answers unchanged.
call_move() { # FAMILY
	_f=$1
	ng "re-offer IPv$_f" "{\"command\":\"offer\",\"call-id\":\"$(call_id "$_f")\",
		\"from-tag\":\"callee\",\"to-tag\":\"caller\",\"direction\":[\"b\",\"a\"],
		\"sdp\":\"$(sdp "$(val "$_f" ALT)" "$(val "$_f" APORT)" 2 "$(key "$_f" CALLEE)")\"}"
	read_sdp
	[ "$R_IP" = "$(val "$_f" RELAY_A)" ] ||
		fail "re-offer IPv$_f: the caller is told $R_IP, not $(val "$_f" RELAY_A)"
	eval "RA_$_f=\$R_PORT RAC_$_f=\$R_RTCP"
	ng "re-answer IPv$_f" "{\"command\":\"answer\",\"call-id\":\"$(call_id "$_f")\",
		\"from-tag\":\"callee\",\"to-tag\":\"caller\",
		\"sdp\":\"$(sdp "$(val "$_f" CALLER)" "$(val "$_f" CPORT)" 2 "$(key "$_f" CALLER)")\"}"
	read_sdp
	[ "$R_IP" = "$(val "$_f" RELAY_B)" ] ||
		fail "re-answer IPv$_f: the callee is told $R_IP, not $(val "$_f" RELAY_B)"
	eval "RB_$_f=\$R_PORT RBC_$_f=\$R_RTCP"
}

query() { # FAMILY -- the reply in $T/query.json
	ng "query IPv$1" "{\"command\":\"query\",\"call-id\":\"$(call_id "$1")\"}"
	cp "$T/ng.json" "$T/query.json"
	[ -z "${LAB_TRACE:-}" ] || jq -r "$STREAMS_TSV" "$T/query.json" | sed "s/^/[$MODE] IPv$1 /" >&2
}

statistics() { # the reply in $T/stats.json; sets K_XDP, K_ENTRIES, K_FWD (tx + redirect)
	ng statistics '{"command":"statistics"}'
	cp "$T/ng.json" "$T/stats.json"
	[ "$MODE" = none ] && return 0
	K_XDP=$(jget "$T/stats.json" .statistics.kernel.xdp)
	K_ENTRIES=$(jget "$T/stats.json" '.statistics.kernel.entries // 0')
	K_FWD=$(jget "$T/stats.json" \
		'.statistics.kernel.counters // {} | (.tx // 0) + (.redirect // 0)')
	[ -n "$K_XDP" ] || fail "statistics: $(cat "$T/jget.err")"
	count "statistics.kernel.entries" "$K_ENTRIES"
	count "statistics.kernel.counters tx+redirect" "$K_FWD"
}

# ---- traffic ----

# rtpgen rtcp: sends RTCP_COUNT packets to TO (if given) after RTCP_DELAY ms for the other end
# to bind, counts what arrives until the end of the phase (0.5 s after the last packet).
rtcp_peer() { # LOG NAMESPACE LOCAL [TO]
	_ms=$((RTCP_DELAY + RTCP_COUNT * 1000 / RTCP_PPS + 500))
	_d=$(printf '%d.%03d' $((_ms / 1000)) $((_ms % 1000)))
	if [ $# -ge 4 ]; then
		start "$1" "$2" "$RTPGEN" -j rtcp --local "$3" --to "$4" --count "$RTCP_COUNT" \
			--pps "$RTCP_PPS" --delay "$RTCP_DELAY" --duration "$_d"
	else
		start "$1" "$2" "$RTPGEN" -j rtcp --local "$3" --duration "$_d"
	fi
}

# Phase 1: the callee echoes the caller's RTP; RTCP both ways from both ends.
traffic_talk() { # FAMILY
	_f=$1
	_c=$(val "$_f" CALLER) _e=$(val "$_f" CALLEE)
	_cp=$(val "$_f" CPORT) _ep=$(val "$_f" EPORT)
	start "$T/echo$_f.out" "$NS_CALLEE" "$RTPGEN" -j echo --listen "$(ep "$_e" "$_ep")" \
		--duration "$TALK_SECS.8"
	rtcp_peer "$T/rtcp-callee$_f.out" "$NS_CALLEE" "$(ep "$_e" $((_ep + 1)))" \
		"$(ep "$(val "$_f" RELAY_B)" "$(val "$_f" RBC)")"
	rtcp_peer "$T/rtcp-caller$_f.out" "$NS_CALLER" "$(ep "$_c" $((_cp + 1)))" \
		"$(ep "$(val "$_f" RELAY_A)" "$(val "$_f" RAC)")"
	wait_udp "$NS_CALLEE" "$_e" "$_ep"
	wait_udp "$NS_CALLEE" "$_e" $((_ep + 1))
	wait_udp "$NS_CALLER" "$_c" $((_cp + 1))
	start "$T/send$_f.out" "$NS_CALLER" "$RTPGEN" -j send --from "$(ep "$_c" "$_cp")" \
		--to "$(ep "$(val "$_f" RELAY_A)" "$(val "$_f" RA)")" --rtt --pps "$PPS" \
		--duration "$TALK_SECS" --wait 300
}

# Phase 2: the moved callee echoes at ALT:APORT (so the relay must send there because the SDP
# says so, not because a packet came from there first); the old address only listens.
traffic_moved() { # FAMILY
	_f=$1
	_c=$(val "$_f" CALLER) _e=$(val "$_f" CALLEE) _a=$(val "$_f" ALT)
	_cp=$(val "$_f" CPORT) _ep=$(val "$_f" EPORT) _ap=$(val "$_f" APORT)
	start "$T/old$_f.out" "$NS_CALLEE" "$RTPGEN" -j sink --listen "$(ep "$_e" "$_ep")" \
		--duration "$SECS.8"
	rtcp_peer "$T/rtcp-old$_f.out" "$NS_CALLEE" "$(ep "$_e" $((_ep + 1)))"
	rtcp_peer "$T/rtcp-callee$_f.out" "$NS_CALLEE" "$(ep "$_a" $((_ap + 1)))" \
		"$(ep "$(val "$_f" RELAY_B)" "$(val "$_f" RBC)")"
	rtcp_peer "$T/rtcp-caller$_f.out" "$NS_CALLER" "$(ep "$_c" $((_cp + 1)))" \
		"$(ep "$(val "$_f" RELAY_A)" "$(val "$_f" RAC)")"
	for _w in "$_e $_ep" "$_e $((_ep + 1))" "$_a $((_ap + 1))"; do
		# shellcheck disable=SC2086 # IP and port
		wait_udp "$NS_CALLEE" $_w
	done
	wait_udp "$NS_CALLER" "$_c" $((_cp + 1))
	start "$T/moved$_f.out" "$NS_CALLEE" "$RTPGEN" -j echo --listen "$(ep "$_a" "$_ap")" \
		--duration "$SECS.8"
	wait_udp "$NS_CALLEE" "$_a" "$_ap"
	start "$T/send$_f.out" "$NS_CALLER" "$RTPGEN" -j send --from "$(ep "$_c" "$_cp")" \
		--to "$(ep "$(val "$_f" RELAY_A)" "$(val "$_f" RA)")" --rtt --pps "$PPS" \
		--duration "$SECS" --wait 300
}

# Phase 3, after delete: the caller keeps sending; every former destination only listens.
traffic_deleted() { # FAMILY
	_f=$1
	_c=$(val "$_f" CALLER) _e=$(val "$_f" CALLEE) _a=$(val "$_f" ALT)
	_cp=$(val "$_f" CPORT) _ep=$(val "$_f" EPORT) _ap=$(val "$_f" APORT)
	start "$T/old$_f.out" "$NS_CALLEE" "$RTPGEN" -j sink --listen "$(ep "$_e" "$_ep")" \
		--duration 1.2
	start "$T/moved$_f.out" "$NS_CALLEE" "$RTPGEN" -j sink --listen "$(ep "$_a" "$_ap")" \
		--duration 1.2
	rtcp_peer "$T/rtcp-callee$_f.out" "$NS_CALLEE" "$(ep "$_a" $((_ap + 1)))"
	rtcp_peer "$T/rtcp-caller$_f.out" "$NS_CALLER" "$(ep "$_c" $((_cp + 1)))" \
		"$(ep "$(val "$_f" RELAY_A)" "$(val "$_f" RAC)")"
	for _w in "$_e $_ep" "$_a $_ap" "$_a $((_ap + 1))"; do
		# shellcheck disable=SC2086 # IP and port
		wait_udp "$NS_CALLEE" $_w
	done
	start "$T/send$_f.out" "$NS_CALLER" "$RTPGEN" -j send --from "$(ep "$_c" "$_cp")" \
		--to "$(ep "$(val "$_f" RELAY_A)" "$(val "$_f" RA)")" --rtt --pps "$PPS" \
		--duration 0.5 --wait 300
}

# ---- checks ----

at_least() { # WHAT GOT WANT
	count "$1" "$2"
	[ "$2" -ge "$3" ] || fail "$1: $2, expected at least $3"
}

at_most() { # WHAT GOT WANT
	count "$1" "$2"
	[ "$2" -le "$3" ] || fail "$1: $2, expected at most $3"
}

check_talk() { # FAMILY -- phase 1 deliveries
	_f=$1
	_sent=$(jget "$T/send$_f.out" .sent)
	at_least "IPv$_f RTP packets the caller sent" "$_sent" 1
	_got=$(jget "$T/echo$_f.out" .received)
	at_least "IPv$_f RTP caller->callee received" "$_got" $((_sent - MAX_LOSS))
	at_most "IPv$_f RTP caller->callee received" "$_got" "$_sent"
	_back=$(jget "$T/send$_f.out" .received)
	_echoed=$(jget "$T/echo$_f.out" .echoed)
	at_least "IPv$_f RTP callee->caller received" "$_back" $((_echoed - MAX_LOSS))
	at_most "IPv$_f RTP callee->caller received" "$_back" "$_echoed"
	at_most "IPv$_f RTP duplicates at the caller" "$(jget "$T/send$_f.out" .duplicates)" 0
	check_rtcp "$_f" caller callee
	check_rtcp "$_f" callee caller
}

check_rtcp() { # FAMILY FROM TO -- RTCP from FROM's peer arrived at TO's
	_s=$(jget "$T/rtcp-$2$1.out" .sent)
	_r=$(jget "$T/rtcp-$3$1.out" .rtcp)
	at_least "IPv$1 RTCP $2->$3 received" "$_r" $((_s - MAX_LOSS))
	at_most "IPv$1 RTCP $2->$3 received" "$_r" "$_s"
}

check_moved() { # FAMILY -- phase 2 deliveries: at the new endpoint, none at the old one
	_f=$1
	_sent=$(jget "$T/send$_f.out" .sent)
	_got=$(jget "$T/moved$_f.out" .received)
	at_least "IPv$_f RTP caller->moved callee received" "$_got" $((_sent - MAX_LOSS))
	at_most "IPv$_f RTP caller->moved callee received" "$_got" "$_sent"
	_msent=$(jget "$T/moved$_f.out" .echoed)
	_back=$(jget "$T/send$_f.out" .received)
	at_least "IPv$_f RTP moved callee->caller received" "$_back" $((_msent - MAX_LOSS))
	at_most "IPv$_f RTP moved callee->caller received" "$_back" "$_msent"
	at_most "IPv$_f RTP packets still sent to the old callee address" \
		"$(jget "$T/old$_f.out" .received)" 0
	at_most "IPv$_f RTCP packets still sent to the old callee address" \
		"$(jget "$T/rtcp-old$_f.out" .received)" 0
	check_rtcp "$_f" caller callee
	check_rtcp "$_f" callee caller
}

check_deleted() { # FAMILY -- phase 3: nothing arrives anywhere
	_f=$1
	at_least "IPv$_f RTP packets the caller sent" "$(jget "$T/send$_f.out" .sent)" 1
	at_most "IPv$_f RTP after delete, at the old callee address" \
		"$(jget "$T/old$_f.out" .received)" 0
	at_most "IPv$_f RTP after delete, at the moved callee" \
		"$(jget "$T/moved$_f.out" .received)" 0
	at_most "IPv$_f RTP after delete, back at the caller" \
		"$(jget "$T/send$_f.out" .received)" 0
	at_most "IPv$_f RTCP after delete, at the moved callee" \
		"$(jget "$T/rtcp-callee$_f.out" .received)" 0
	at_most "IPv$_f RTCP after delete, back at the caller" \
		"$(jget "$T/rtcp-caller$_f.out" .received)" 0
}

# One line per stream of the last query: TAG COMPONENT PATH PACKETS KERNEL_PACKETS ADDR PORT.
# shellcheck disable=SC2016 # jq's $t
STREAMS_TSV='.tags[] | .tag as $t | .medias[]?.streams[]? |
	[$t, (if (.flags // []) | index("RTCP") then "RTCP" else "RTP" end),
	 (.path // "-"), (.stats.packets // 0), (."kernel stats".packets // 0),
	 (.endpoint.address // "-"), (.endpoint.port // 0)] | @tsv'

# Which path carried each stream: with native XDP the kernel, all but at most USER packets;
# otherwise userspace, all of them. Adds the kernel packets to K_SUM.
check_paths() { # FAMILY USER [MOVED]
	_f=$1 _user=$2
	query "$_f"
	jq -r "$STREAMS_TSV" "$T/query.json" >"$T/streams.tsv" || fail "unreadable query reply"
	[ "$(wc -l <"$T/streams.tsv")" -eq 4 ] ||
		fail "IPv$_f query: $(wc -l <"$T/streams.tsv") streams, expected 4 (RTP and RTCP per tag)"
	while IFS="	" read -r tag comp path total kern addr port; do
		_s="IPv$_f $tag $comp"
		at_least "$_s: packets the relay counted" "$total" 1
		if [ "$tag" = callee ] && [ $# -ge 3 ]; then
			_want=$(val "$_f" APORT)
			[ "$comp" = RTCP ] && _want=$((_want + 1))
			[ "$addr $port" = "$(val "$_f" ALT) $_want" ] ||
				fail "$_s: endpoint $addr port $port, expected the moved $(val "$_f" ALT) $_want"
		fi
		case $MODE in
		native | generic)
			[ "$path" = kernel ] || fail "$_s: path '$path', expected kernel"
			at_least "$_s: kernel packets" "$kern" 1
			at_most "$_s: packets handled in userspace (of $total)" $((total - kern)) "$_user"
			K_SUM=$((K_SUM + kern))
			;;
		off)
			[ "$path" = userspace ] || fail "$_s: path '$path', expected userspace"
			at_most "$_s: kernel packets" "$kern" 0
			;;
		esac
	done <"$T/streams.tsv"
}

# The statistics' kernel section: the mode, the entries (over the count before the first call),
# the tx+redirect verdicts since the last check (MAX "" for no upper bound).
check_kernel() { # WHAT MIN_FORWARDED MAX_FORWARDED ENTRIES
	statistics
	case $MODE in
	native | generic)
		[ "$K_XDP" = "$MODE" ] || fail "$1: statistics.kernel.xdp '$K_XDP', expected $MODE"
		at_least "$1: kernel verdicts tx+redirect since the last check" \
			$((K_FWD - K_FWD0)) "$2"
		[ -z "$3" ] || at_most "$1: kernel verdicts tx+redirect since the last check" \
			$((K_FWD - K_FWD0)) "$3"
		[ "$K_ENTRIES" -eq $((K_ENTRIES0 + $4)) ] ||
			fail "$1: statistics.kernel.entries $K_ENTRIES, expected $((K_ENTRIES0 + $4))"
		;;
	off)
		[ "$K_XDP" = off ] || fail "$1: statistics.kernel.xdp '$K_XDP', expected off"
		at_most "$1: kernel entries" "$K_ENTRIES" 0
		at_most "$1: kernel verdicts tx+redirect" "$K_FWD" 0
		;;
	esac
	K_FWD0=${K_FWD:-0}
}

xdp_attached() { # DEV [native|generic] -- 0 when the relay's DEV has an XDP program (so)
	_l=$(ip -n "$NS_RELAY" -d link show dev "$1" | head -n 1)
	case ${2:-any} in
	native) case $_l in *" xdp "*) return 0 ;; esac ;;
	generic) case $_l in *" xdpgeneric "*) return 0 ;; esac ;;
	*) case $_l in *" xdp "* | *" xdpgeneric "* | *" xdpoffload "*) return 0 ;; esac ;;
	esac
	return 1
}

# ---- one daemon, all phases ----

# What an operator sees of the path: relayctl over ng, in the relay namespace.
check_relayctl() {
	nsx "$NS_RELAY" "$RELAYCTL" -j -s "$NG" stream list >"$T/relayctl.json" 2>>"$T/ng.err" ||
		fail "relayctl stream list failed"
	_k=$(jq '[.[] | select(.path == "kernel")] | length' "$T/relayctl.json")
	_off=$(jq '[.[] | select(.path_reason == "xdp off")] | length' "$T/relayctl.json")
	nsx "$NS_RELAY" "$RELAYCTL" -j -s "$NG" kernel show >"$T/relayctl-k.json" 2>>"$T/ng.err" ||
		fail "relayctl kernel show failed"
	case $MODE in
	native | generic)
		if [ "$_k" -ne 8 ]; then
			show_log "relayctl stream list" "$T/relayctl.json"
			fail "relayctl stream list: $_k streams on the kernel path, expected 8"
		fi
		[ "$(jq -r .xdp "$T/relayctl-k.json")" = "$MODE" ] ||
			fail "relayctl kernel show: xdp '$(jq -r .xdp "$T/relayctl-k.json")', expected $MODE"
		[ "$(jq -r .entries "$T/relayctl-k.json")" -ge 8 ] ||
			fail "relayctl kernel show: fewer than 8 entries"
		;;
	off)
		{ [ "$_k" -eq 0 ] && [ "$_off" -eq 8 ]; } ||
			fail "relayctl stream list: $_k kernel streams and $_off 'xdp off', expected 0 and 8"
		;;
	esac
}

run_mode() { # MODE
	MODE=$1
	# RTCP through the kernel too, so that every stream's path is checked; by default it goes
	# up for the RTCP statistics (test_relay.c, attack_lab.sh).
	_xdp="--xdp=$MODE --rtcp-kernel"
	[ "$MODE" = none ] && _xdp=""
	# shellcheck disable=SC2086 # _xdp: words or none
	start "$T/xrelayd-$MODE.log" "$NS_RELAY" "$XRELAYD" --foreground --log-stderr \
		--config-file=none --interface=a/$LAB_RELAY4_A --interface=b/$LAB_RELAY4_B \
		--interface=a/$LAB_RELAY6_A --interface=b/$LAB_RELAY6_B --listen-ng=$NG \
		--port-min=30000 --port-max=30999 --port-quarantine=0 --log-level=debug \
		--timeout="$TIMEOUT" --state-dir=none $_xdp
	XPID=$LAST_PID
	_i=0
	until nsx "$NS_RELAY" "$NGCLI" -t 200 -s "$NG" '{"command":"ping"}' 2>/dev/null |
		grep -q pong; do
		alive "$XPID" || fail "xrelayd exited at start"
		_i=$((_i + 1))
		[ "$_i" -le 50 ] || fail "xrelayd does not answer ng ping within 5 s"
		sleep 0.1
	done
	for dev in xr1 xr2; do
		case $MODE in
		native | generic)
			xdp_attached $dev "$MODE" || fail "no $MODE XDP program on the relay's $dev"
			;;
		off) xdp_attached $dev && fail "an XDP program on the relay's $dev with --xdp=off" ;;
		esac
	done
	K_FWD0=0 K_ENTRIES0=0
	statistics
	K_FWD0=${K_FWD:-0} K_ENTRIES0=${K_ENTRIES:-0}

	for f in 4 6; do call_setup $f; done
	# 1. RTP and RTCP both ways, for longer than --timeout: a call the kernel carries (its
	# userspace counters stand still) must not time out; 2. which path carried them.
	for f in 4 6; do traffic_talk $f; done
	reap_all
	for f in 4 6; do check_talk $f; done
	K_SUM=0
	for f in 4 6; do check_paths $f "$MAX_USER"; done
	check_kernel "after the first media" "$K_SUM" "" 8
	check_relayctl
	K_LAST=$K_SUM

	# 3. re-INVITE: the callee moves to another address and port.
	for f in 4 6; do call_move $f; done
	for f in 4 6; do traffic_moved $f; done
	reap_all
	for f in 4 6; do check_moved $f; done
	K_SUM=0
	for f in 4 6; do check_paths $f $((2 * MAX_USER)) moved; done
	check_kernel "after the move" $((K_SUM - K_LAST)) "" 8

	# 4. delete: the media stops.
	for f in 4 6; do
		ng "delete IPv$f" "{\"command\":\"delete\",\"call-id\":\"$(call_id $f)\",
			\"delete-delay\":0}"
	done
	_i=0
	while :; do
		statistics
		[ "$MODE" = native ] || [ "$MODE" = generic ] || break
		[ "$K_ENTRIES" -eq "$K_ENTRIES0" ] && break
		_i=$((_i + 1))
		[ "$_i" -le 20 ] || fail "statistics.kernel.entries $K_ENTRIES 2 s after delete"
		sleep 0.1
	done
	for f in 4 6; do
		nsx "$NS_RELAY" "$NGCLI" -t 2000 -s "$NG" \
			"{\"command\":\"query\",\"call-id\":\"$(call_id $f)\"}" >"$T/query.json" \
			2>>"$T/ng.err"
		[ "$(jq -r .result "$T/query.json" 2>/dev/null)" = ok ] &&
			fail "IPv$f: the call is still there after delete"
	done
	K_FWD0=${K_FWD:-0}
	for f in 4 6; do traffic_deleted $f; done
	reap_all
	for f in 4 6; do check_deleted $f; done
	check_kernel "after delete" 0 0 0

	kill "$XPID"
	wait_exit "$XPID" 5 || fail "xrelayd still runs 5 s after SIGTERM"
	reap "$XPID"
	XPID=""
	[ "$REAPED" -eq 0 ] || [ "$REAPED" -eq 143 ] || fail "xrelayd exited with status $REAPED"
	for dev in xr1 xr2; do
		xdp_attached $dev && fail "the XDP program stays on the relay's $dev after exit"
	done
	echo "mode $MODE: ok"
}

lab_check_tools >"$T/tools" || fail "$(cat "$T/tools")"
for c in jq ss; do
	command -v "$c" >/dev/null 2>&1 || fail "$c not found (tools/install-deps installs it)"
done
for b in "$XRELAYD" "$RTPGEN" "$NGCLI"; do
	[ -x "$b" ] || fail "$b not built (make)"
done
case " $MODES " in
*" native "* | *" generic "* | *" off "*)
	"$XRELAYD" --help 2>&1 | grep -q -- --xdp ||
		fail "$XRELAYD has no --xdp option (LAB_MODES=none tests userspace only)"
	;;
esac
lab_up $$ 2>"$T/lab.err" || fail "cannot build the namespace lab: $(cat "$T/lab.err")"
for m in $MODES; do
	run_mode "$m"
done
