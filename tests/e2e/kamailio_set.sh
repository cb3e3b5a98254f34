#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Scale-out as operators run it: two xrelayd instances as one Kamailio rtpengine set. Passes when
# calls spread over both, every call's delete reaches the relay that holds it, and after one
# instance is stopped every new call completes on the survivor while Kamailio disables the other.
# CALLS (default 20) calls per phase. E2E_VERBOSE=1 prints the logs even when the test passes.
set -u

cd "$(dirname "$0")/../.." || exit 1
ROOT=$(pwd)
# shellcheck source=tests/e2e/lib/kamailio.sh
. "$ROOT/tests/e2e/lib/kamailio.sh"

# Fixed because set.cfg and the sipp scenarios name them too.
PROXY_PORT=5170
UAC_PORT=5180
UAS_PORT=5190
CTL_PORT=2242
# sipp binds these although no RTP flows: below both the kernel's ephemeral ports and the media
# ranges other tests and benchmarks give their relays, so nothing running beside takes them.
UAC_MEDIA=18000
UAS_MEDIA=18100
CALLS=${CALLS:-20}
RATE=10
# Relay A keeps running; relay B is stopped before the second phase. A's node comes first in
# rtpengine_sock: the order decides which node a Call-ID's hash points to, nothing else.
NG_A=2240
NG_B=2241
NODE_A=udp:$IP:$NG_A
NODE_B=udp:$IP:$NG_B
# --delete-delay=0: a deleted call ends at once, so a relay holding no call after the calls
# have hung up proves each delete went to the relay that took the offer.
RELAY="build/xrelayd --interface=$IP --foreground --log-stderr --xdp=off --config-file=none \
--delete-delay=0 --state-dir=none"

T=$(mktemp -d "${TMPDIR:-/tmp}/xrelay-kamailio-set.XXXXXX") || exit 1

logs() {
	show_log "relay A" "$T/relay_a.log"
	show_log "relay B" "$T/relay_b.log"
	show_log "kamailio" "$T/kamailio.log"
	for ph in 1 2; do
		show_log "phase $ph sipp UAS errors" "$T/uas$ph.err"
		show_log "phase $ph sipp UAS output" "$T/uas$ph.out"
		show_log "phase $ph sipp UAC errors" "$T/uac$ph.err"
		show_log "phase $ph sipp UAC messages" "$T/uac$ph.msg"
		show_log "phase $ph sipp UAC output" "$T/uac$ph.out"
	done
	show_log "ng client errors" "$T/ng.err"
	show_log "kamcmd rtpengine.show" "$T/show.txt"
}

teardown() {
	rm -rf "$T"
}
on_exit logs teardown
trap 'exit 130' INT TERM

ng() { # PORT JSON -- one ng request to the relay on PORT; the reply as JSON
	timeout 3 build/ngcli -s "$IP:$1" "$2" 2>>"$T/ng.err"
}

start_relay() { # NAME NG_PORT PORT_MIN PORT_MAX -- PID in LAST_PID
	spawn "$T/relay_$1.log" sh -c "exec $RELAY --listen-ng=$IP:$2 --port-min=$3 --port-max=$4"
	wait_udp "$2" "$LAST_PID" "relay $1"
	i=0
	until ng "$2" '{"command":"ping"}' | jq -e '.result == "pong"' >/dev/null 2>&1; do
		alive "$LAST_PID" || fail "relay $1 exited"
		i=$((i + 1))
		[ "$i" -le 20 ] || fail "relay $1 does not answer ng ping on $IP:$2"
		sleep 0.1
	done
}

MANAGED=0
drained() { # PHASE NAME NG_PORT -- the relay's calls so far into MANAGED; fails while it holds one
	ng "$3" '{"command":"statistics"}' >"$T/stats.json" ||
		fail "phase $1: relay $2 does not answer ng statistics"
	# shellcheck disable=SC2046 # three numbers, split on purpose
	set -- "$1" "$2" $(jq -r '.statistics | [.totalstatistics.managedsessions,
		.currentstatistics.sessionsown, .totalstatistics.regularterminatedsessions] |
		map(tostring) | join(" ")' "$T/stats.json" 2>/dev/null)
	[ $# -eq 5 ] || fail "relay $2: statistics lack the session counters: $(cat "$T/stats.json")"
	MANAGED=$3
	if [ "$4" -ne 0 ] || [ "$5" -ne "$3" ]; then
		fail "phase $1: relay $2 still holds $4 calls; $5 of its $3 calls were deleted"
	fi
}

# Kamailio's view of a node, from rtpengine.show: "0" enabled, "1" disabled.
node_disabled() { # URL
	kamcmd -s "udp:$IP:$CTL_PORT" rtpengine.show all >"$T/show.txt" 2>&1 ||
		fail "kamcmd rtpengine.show failed: $(cat "$T/show.txt")"
	awk -v url="$1" '$1 == "url:" { cur = $2 } cur == url && $1 == "disabled:" { print $2; exit }' \
		"$T/show.txt"
}

calls() { # PHASE -- CALLS calls through Kamailio; fails unless every one completes
	spawn "$T/uas$1.out" sipp -sf "$T/set_uas.xml" -i "$IP" -p "$UAS_PORT" -mi "$IP" \
		-mp "$UAS_MEDIA" -m "$CALLS" -nostdin -timeout 25 -timeout_error \
		-trace_err -error_file "$T/uas$1.err"
	pid_uas=$LAST_PID
	wait_udp "$UAS_PORT" "$pid_uas" "phase $1 sipp UAS"
	spawn "$T/uac$1.out" sipp "$IP:$PROXY_PORT" -sf "$T/set_uac.xml" -s uas -i "$IP" \
		-p "$UAC_PORT" -mi "$IP" -mp "$UAC_MEDIA" -m "$CALLS" -r "$RATE" -rp 1000 \
		-nostdin -timeout 20 -timeout_error -cid_str "xrelay-set-%p-%u@%s" \
		-trace_err -error_file "$T/uac$1.err" -trace_msg -message_file "$T/uac$1.msg"
	pid_uac=$LAST_PID
	wait_exit "$pid_uac" 22 || fail "phase $1: sipp UAC did not finish within 22 s"
	reap "$pid_uac"
	[ "$REAPED" -eq 0 ] ||
		fail "phase $1: sipp UAC exited $REAPED: not all $CALLS calls completed"
	wait_exit "$pid_uas" 5 || fail "phase $1: sipp UAS did not finish after the calls"
	reap "$pid_uas"
	[ "$REAPED" -eq 0 ] || fail "phase $1: sipp UAS exited $REAPED"
}

for c in kamailio kamcmd sipp jq ss awk timeout; do
	command -v "$c" >/dev/null || fail "$c not found (tools/install-deps installs it)"
done
for b in build/xrelayd build/ngcli; do
	[ -x "$b" ] || fail "$b not found: build it (make)"
done
for port in $PROXY_PORT $UAC_PORT $UAS_PORT $CTL_PORT $NG_A $NG_B $UAC_MEDIA $UAS_MEDIA; do
	udp_bound "$port" && fail "UDP port $port on this machine is in use already"
done

# The relays first: Kamailio's rtpengine module pings every node when it starts.
start_relay a "$NG_A" 37000 37499
start_relay b "$NG_B" 37500 37999
PID_b=$LAST_PID

start_kamailio set.cfg
wait_udp "$CTL_PORT" "$PID_kamailio" "kamailio ctl"
if [ "$(node_disabled "$NODE_A")" != 0 ] || [ "$(node_disabled "$NODE_B")" != 0 ]; then
	fail "Kamailio does not hold both relays enabled at start"
fi

cp "$DIR/set_uac.xml" "$DIR/set_uas.xml" "$T/" || fail "cannot copy the sipp scenarios to $T"

# Phase 1: both relays up. The Call-IDs differ in their call number, so their hashes spread.
calls 1
drained 1 A "$NG_A"
a1=$MANAGED
drained 1 B "$NG_B"
b1=$MANAGED
echo "phase 1: $CALLS calls completed; relay A managed $a1, relay B managed $b1"
if [ "$a1" -eq 0 ] || [ "$b1" -eq 0 ]; then
	fail "phase 1: the calls did not spread over both relays"
fi
[ $((a1 + b1)) -eq "$CALLS" ] || fail "phase 1: the relays managed $((a1 + b1)) calls, not $CALLS"

# Phase 2: relay B stops (cleanly, as on a maintenance stop). Kamailio only learns of it when a
# new call's offer to B fails; it must then disable B and send that offer to A.
kill -TERM "$PID_b"
wait_exit "$PID_b" 5 || fail "relay B still runs 5 s after SIGTERM"
reap "$PID_b"
[ "$REAPED" -eq 0 ] || fail "relay B exited $REAPED on SIGTERM"
udp_bound "$NG_B" && fail "UDP port $NG_B still bound after relay B exited"
[ "$(node_disabled "$NODE_B")" = 0 ] || fail "Kamailio disabled relay B before any call needed it"

calls 2
drained 2 A "$NG_A"
a2=$MANAGED
echo "phase 2: relay B stopped; $CALLS calls completed; relay A managed $((a2 - a1)) of them"
[ $((a2 - a1)) -eq "$CALLS" ] || fail "phase 2: relay A managed $((a2 - a1)) new calls, not $CALLS"
[ "$(node_disabled "$NODE_B")" = 1 ] || fail "Kamailio did not disable the stopped relay B"
[ "$(node_disabled "$NODE_A")" = 0 ] || fail "Kamailio disabled the surviving relay A"
echo "ok: calls spread over both relays; with one stopped, Kamailio disabled it and every new" \
	"call completed on the survivor"
