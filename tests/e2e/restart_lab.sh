#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Restart without loss, in the namespace lab (tests/e2e/netns/lib.sh): two calls carry RTP both
# ways while xrelayd (--state-dir, XDP native) is stopped with SIGTERM and started again, then
# killed with SIGKILL and started again. One call is forwarded by the kernel (IPv4 both sides),
# the other relayed in userspace (IPv4 caller, IPv6 callee: the fast path does not bridge
# families). Counted from what the receivers got: the kernel call loses no packet at all; the
# userspace call loses no more than the measured restart times allow at the send rate. After
# each start both calls answer query, the kernel call keeps its entries (same counter slots and
# generations), and at the end they answer delete; xrelayd --cleanup then removes the program,
# the pins and the state.
#
# Needs root, iproute2, ethtool, nsenter, jq, bpftool and the built daemon and tools. Knobs:
# LAB_PPS (packets/s each way per call, default 1000), E2E_VERBOSE=1 (logs even on success),
# XRELAYD, RTPGEN, NGCLI.
set -u

cd "$(dirname "$0")/../.." || exit 1
ROOT=$(pwd)
# shellcheck source=tests/e2e/netns/lib.sh
. "$ROOT/tests/e2e/netns/lib.sh"
# shellcheck source=tests/e2e/lib/proc.sh
. "$ROOT/tests/e2e/lib/proc.sh"

XRELAYD=${XRELAYD:-$ROOT/build/xrelayd}
RTPGEN=${RTPGEN:-$ROOT/build/rtpgen}
NGCLI=${NGCLI:-$ROOT/build/ngcli}
PPS=${LAB_PPS:-1000}
SEND_SECS=9  # the traffic spans both restarts with a second or more on each side
FIRST_AT=2   # seconds of traffic before the first restart, and between the restarts
NG=127.0.0.1:2223
CPORT_K=40100 EPORT_K=42100 # the kernel call's caller and callee
CPORT_U=40200 EPORT_U=42200 # the userspace call's

T=$(mktemp -d "${TMPDIR:-/tmp}/xrelay-restart.XXXXXX") || exit 1
PIN_ROOT=/sys/fs/bpf/xrelay-restart-$$ # a private pin root: never the host's maps
STATE=$T/state
XPID=""
lab_names $$

logs() {
	show_lab_logs 60 2
	show_log "ng client errors" "$T/ng.err"
	show_log "last ng reply" "$T/ng.json"
	show_log "xr_fwd entries" "$T/entries.txt"
}

fail() {
	# shellcheck disable=SC2034 # read by proc.sh's exit trap
	FAILED="$*"
	exit 1
}

teardown() { lab_teardown "$PIN_ROOT" 0 "$T"; }
on_exit logs teardown
trap 'FAILED="interrupted"; exit 130' INT TERM

now_ms() { echo $(($(date +%s%N) / 1000000)); }

ep() { # IP PORT
	case $1 in
	*:*) echo "[$1]:$2" ;;
	*) echo "$1:$2" ;;
	esac
}

ng() { # WHAT JSON -- the reply in $T/ng.json; fails unless result is ok
	nsx "$NS_RELAY" "$NGCLI" -t 2000 -s "$NG" "$2" >"$T/ng.json" 2>>"$T/ng.err" ||
		fail "$1: no ng reply"
	[ "$(jq -r .result "$T/ng.json" 2>/dev/null)" = ok ] ||
		fail "$1: $(jq -c . "$T/ng.json" 2>/dev/null || cat "$T/ng.json")"
}

sdp() { # IP PORT
	case $1 in
	*:*) _f=IP6 ;;
	*) _f=IP4 ;;
	esac
	printf 'v=0\\r\\no=- 1 1 IN %s %s\\r\\ns=-\\r\\nc=IN %s %s\\r\\nt=0 0\\r\\n' \
		"$_f" "$1" "$_f" "$1"
	printf 'm=audio %s RTP/AVP 0\\r\\na=sendrecv\\r\\n' "$2"
}

sdp_port() { jq -r .sdp "$T/ng.json" | tr -d '\r' | sed -n 's/^m=audio \([0-9]*\) .*/\1/p'; }

# Offer from the caller (interface a), answer from the callee (interface b, FAMILY 4 or 6).
# Prints the relay's port for the caller.
call_setup() { # CALL-ID CALLER-PORT CALLEE-IP CALLEE-PORT FAMILY
	ng "offer $1" "{\"command\":\"offer\",\"call-id\":\"$1\",\"from-tag\":\"caller\",
		\"direction\":[\"a\",\"b\"],\"address-family\":\"IP$5\",
		\"sdp\":\"$(sdp "$LAB_CALLER4" "$2")\"}"
	ng "answer $1" "{\"command\":\"answer\",\"call-id\":\"$1\",\"from-tag\":\"caller\",
		\"to-tag\":\"callee\",\"sdp\":\"$(sdp "$3" "$4")\"}"
	sdp_port
}

start_daemon() { # N -- sets XPID; waits until it answers ping
	spawn "$T/xrelayd-$1.log" nsenter --net="/run/netns/$NS_RELAY" -- "$XRELAYD" \
		--foreground --log-stderr --config-file=none --log-level=debug \
		--interface="a/$LAB_RELAY4_A" --interface="b/$LAB_RELAY4_B" --interface="b/$LAB_RELAY6_B" \
		--listen-ng=$NG --port-min=30000 --port-max=30999 --timeout=60 --xdp=native \
		--state-dir="$STATE" --pin-root="$PIN_ROOT"
	XPID=$LAST_PID
	_i=0
	until nsx "$NS_RELAY" "$NGCLI" -t 50 -s "$NG" '{"command":"ping"}' 2>/dev/null |
		grep -q pong; do
		alive "$XPID" || fail "xrelayd ($1) exited at start"
		_i=$((_i + 1))
		[ "$_i" -le 500 ] || fail "xrelayd ($1) does not answer ng ping within 10 s"
		sleep 0.01
	done
}

# The kernel's entries as "slot gen" lines, sorted: an adopted entry keeps both.
entries() {
	bpftool -j map dump pinned "$PIN_ROOT/xr_fwd" 2>>"$T/ng.err" |
		jq -r '.[] | (.formatted // .) | .value | "\(.stats_idx) \(.gen)"' | sort
}

# query both calls: each must answer, with the path each stream is expected to take.
check_calls() { # WHEN
	ng "$1: query kernel call" '{"command":"query","call-id":"restart-k"}'
	_p=$(jq -r '[.tags[].medias[].streams[] | select(.flags | index("RTP")) | .path] | join(" ")' \
		"$T/ng.json")
	[ "$_p" = "kernel kernel" ] || fail "$1: the kernel call's RTP paths are '$_p'"
	ng "$1: query userspace call" '{"command":"query","call-id":"restart-u"}'
	_p=$(jq -r '[.tags[].medias[].streams[] | select(.flags | index("RTP")) | .path] | join(" ")' \
		"$T/ng.json")
	[ "$_p" = "userspace userspace" ] || fail "$1: the userspace call's RTP paths are '$_p'"
	entries >"$T/entries.txt"
	[ "$(wc -l <"$T/entries.txt")" -ge 2 ] || fail "$1: fewer than 2 kernel entries"
	if [ -f "$T/entries.before" ]; then
		cmp -s "$T/entries.before" "$T/entries.txt" ||
			fail "$1: the kernel entries changed slot or generation (before: $(
				tr '\n' ';' <"$T/entries.before"), now: $(tr '\n' ';' <"$T/entries.txt"))"
	else
		cp "$T/entries.txt" "$T/entries.before"
	fi
}

xdp_attached() { # DEV -- 0 when the relay's DEV has an XDP program
	case $(ip -n "$NS_RELAY" -d link show dev "$1" | head -n 1) in
	*" xdp "* | *" xdpgeneric "*) return 0 ;;
	esac
	return 1
}

# An entry no call owns (10.11.1.1:30999, counter slot 4000), as a run that died between a
# delete and its entry's removal would leave: the next start must remove it.
stale_entry() {
	_z4="00 00 00 00" _z8="00 00 00 00 00 00 00 00"
	_z16="$_z8 $_z8"
	# struct xr_fwd_entry (include/xrelay/abi.h): addresses, ports, family 4, flags 0,
	# stats_idx 4000, pt_allow 0, no translation (xlate, its PTs, padding), gen 1.
	# shellcheck disable=SC2086 # hex bytes, one word each
	bpftool map update pinned "$PIN_ROOT/xr_fwd" key hex 0a 0b 01 01 $_z4 $_z4 $_z4 79 17 04 00 \
		value hex $_z16 $_z16 $_z16 00 00 00 00 00 00 04 00 $_z4 a0 0f 00 00 \
		$_z16 $_z8 00 00 00 00 00 00 00 01 2>>"$T/ng.err" || fail "bpftool cannot add an entry"
}

restart() { # N SIGNAL -- sets RESTART_MS: from the signal to the new daemon's first pong
	_t0=$(now_ms)
	kill -s "$2" "$XPID"
	_i=0
	while alive "$XPID"; do # finer than wait_exit: the start follows at once, as systemd's would
		_i=$((_i + 1))
		[ "$_i" -le 1000 ] || fail "xrelayd still runs 10 s after SIG$2"
		sleep 0.01
	done
	reap "$XPID"
	case $2 in
	TERM) [ "$REAPED" -eq 0 ] || fail "xrelayd exited with $REAPED after SIGTERM" ;;
	esac
	for dev in xr1 xr2; do
		xdp_attached $dev || fail "SIG$2: no XDP program on $dev while xrelayd is down"
	done
	stale_entry
	start_daemon "$1"
	RESTART_MS=$(($(now_ms) - _t0))
}

jnum() { # FILE FILTER -- a whole number, or the test fails naming it
	_v=$(jq -r "$2" "$1" 2>/dev/null)
	case $_v in
	'' | *[!0-9]*) fail "no $2 in ${1##*/}: $(head -c 300 "$1")" ;;
	esac
	echo "$_v"
}

# Lost packets per direction of one call, from its receivers: the callee's echo counted what
# reached it, the caller's sender what came back (distinct sequence numbers).
lost() { # NAME -- sets LOST_FWD, LOST_REV
	_sent=$(jnum "$T/send-$1.out" .sent)
	_got=$(jnum "$T/echo-$1.out" .received)
	_echoed=$(jnum "$T/echo-$1.out" .echoed)
	_back=$(jnum "$T/send-$1.out" .unique)
	[ "$(jnum "$T/send-$1.out" .duplicates)" -eq 0 ] || fail "$1: duplicates at the caller"
	[ "$_got" -le "$_sent" ] || fail "$1: the callee got $_got of $_sent (duplicates)"
	[ "$_sent" -ge $((PPS * SEND_SECS * 9 / 10)) ] ||
		fail "$1: the caller sent only $_sent packets"
	LOST_FWD=$((_sent - _got))
	LOST_REV=$((_echoed - _back))
}

lab_check_tools >"$T/tools" || fail "$(cat "$T/tools")"
for c in jq bpftool; do
	command -v "$c" >/dev/null 2>&1 || fail "$c not found (tools/install-deps installs it)"
done
for b in "$XRELAYD" "$RTPGEN" "$NGCLI"; do
	[ -x "$b" ] || fail "$b not built (make)"
done
lab_up $$ 2>"$T/lab.err" || fail "cannot build the namespace lab: $(cat "$T/lab.err")"

start_daemon 1
RA_K=$(call_setup restart-k $CPORT_K "$LAB_CALLEE4" $EPORT_K 4)
RA_U=$(call_setup restart-u $CPORT_U "$LAB_CALLEE6" $EPORT_U 6)
if [ -z "$RA_K" ] || [ -z "$RA_U" ]; then
	fail "call setup: $(cat "$T/ng.json")"
fi

# Echo at the callees, paced senders at the callers, for the whole test.
_d=$((SEND_SECS + 2))
spawn "$T/echo-k.out" nsenter --net="/run/netns/$NS_CALLEE" -- "$RTPGEN" -j echo \
	--listen "$(ep "$LAB_CALLEE4" $EPORT_K)" --duration $_d
spawn "$T/echo-u.out" nsenter --net="/run/netns/$NS_CALLEE" -- "$RTPGEN" -j echo \
	--listen "$(ep "$LAB_CALLEE6" $EPORT_U)" --duration $_d
sleep 0.3
spawn "$T/send-k.out" nsenter --net="/run/netns/$NS_CALLER" -- "$RTPGEN" -j send \
	--from "$(ep "$LAB_CALLER4" $CPORT_K)" --to "$(ep "$LAB_RELAY4_A" "$RA_K")" --rtt \
	--pps "$PPS" --duration $SEND_SECS --wait 500
spawn "$T/send-u.out" nsenter --net="/run/netns/$NS_CALLER" -- "$RTPGEN" -j send \
	--from "$(ep "$LAB_CALLER4" $CPORT_U)" --to "$(ep "$LAB_RELAY4_A" "$RA_U")" --rtt \
	--pps "$PPS" --duration $SEND_SECS --wait 500

sleep $FIRST_AT
check_calls "before the restarts"
restart 2 TERM
R1=$RESTART_MS
check_calls "after SIGTERM and start"
sleep $FIRST_AT
restart 3 KILL
R2=$RESTART_MS
check_calls "after SIGKILL and start"

for p in $PIDS; do
	[ "$p" = "$XPID" ] && continue
	reap "$p"
	[ "$REAPED" -eq 0 ] || fail "a traffic process (PID $p) exited with $REAPED"
done
lost k
K_FWD=$LOST_FWD K_REV=$LOST_REV
lost u
U_FWD=$LOST_FWD U_REV=$LOST_REV
# Generous: twice the packets sent while xrelayd was down, plus 50 for a host hiccup.
BOUND=$((PPS * (R1 + R2) * 2 / 1000 + 50))
echo "restart times: SIGTERM $R1 ms, SIGKILL $R2 ms ($PPS packets/s each way per call)"
echo "kernel call lost: caller->callee $K_FWD, callee->caller $K_REV"
echo "userspace call lost: caller->callee $U_FWD, callee->caller $U_REV (bound $BOUND)"
if [ "$K_FWD" -ne 0 ] || [ "$K_REV" -ne 0 ]; then
	fail "the kernel call lost packets: $K_FWD caller->callee, $K_REV callee->caller"
fi
if [ "$U_FWD" -gt "$BOUND" ] || [ "$U_REV" -gt "$BOUND" ]; then
	fail "the userspace call lost $U_FWD and $U_REV packets, more than $BOUND"
fi

for id in restart-k restart-u; do
	ng "delete $id" "{\"command\":\"delete\",\"call-id\":\"$id\",\"delete-delay\":0}"
	nsx "$NS_RELAY" "$NGCLI" -t 2000 -s "$NG" "{\"command\":\"query\",\"call-id\":\"$id\"}" \
		>"$T/ng.json" 2>>"$T/ng.err"
	[ "$(jq -r .result "$T/ng.json")" = error ] || fail "$id still answers query after delete"
done
[ -z "$(entries)" ] || fail "kernel entries left after both deletes: $(entries | tr '\n' ';')"
ls "$STATE"/call-* >/dev/null 2>&1 && fail "state files left after both deletes"

# A stop leaves the fast path for the next start; --cleanup removes it for good.
kill "$XPID"
wait_exit "$XPID" 10 || fail "xrelayd still runs 10 s after SIGTERM"
reap "$XPID"
nsx "$NS_RELAY" "$XRELAYD" --config-file=none --cleanup --state-dir="$STATE" \
	--pin-root="$PIN_ROOT" >"$T/cleanup.out" 2>&1 || fail "--cleanup: $(cat "$T/cleanup.out")"
for dev in xr1 xr2; do
	xdp_attached $dev && fail "an XDP program stays on $dev after --cleanup"
done
[ -e "$PIN_ROOT" ] && fail "$PIN_ROOT stays after --cleanup"
[ "$(nsx "$NS_RELAY" cat /proc/sys/net/ipv4/conf/lo/forwarding)" = 0 ] ||
	fail "--cleanup did not restore net.ipv4.conf.lo.forwarding to 0"
LEFT=$(find "$STATE" -mindepth 1 ! -name lock | tr '\n' ' ')
[ -z "$LEFT" ] || fail "--cleanup left $LEFT"
echo "restart lab: ok"
