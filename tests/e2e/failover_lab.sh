#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Failover through Redis in the namespace lab (tests/e2e/netns/lib.sh): an active xrelayd writes
# its calls to a private redis-server, a standby xrelayd (same interfaces, same Redis,
# --redis-role=standby) holds them as foreign calls. RTP flows both ways through a call set up
# on the active node; the active node is killed with SIGKILL and the standby told to take over
# (ng `takeover`); the media resumes through the standby. Reported: the gap, from the packets
# the receivers missed; checked: it is bounded by the takeover time, and query and delete work
# on the new node (the call leaves Redis).
#
# `failover_lab.sh auto`: two standbys with --redis-takeover=auto and no `takeover` sent: one of
# them (and only one) notices the expired heartbeat of the killed node, claims it and takes
# over by itself; reported: the detection time and the gap. Without an argument both run.
#
# Both daemons run in the one relay namespace, with the XDP fast path off (the active node's
# kernel entries would otherwise outlive it): the killed node's sockets are gone at once, as
# they are when a relay host dies and its media address moves to the standby.
#
# Needs root, iproute2, ethtool, nsenter, jq, redis-server, redis-cli and the built daemon and
# tools. Knobs: LAB_PPS (packets/s each way, default 1000), E2E_VERBOSE=1 (logs on success).
set -u

MODE=${1:-}
case $MODE in
manual | auto) ;;
'') "$0" manual && exec "$0" auto ;;
*)
	echo "usage: $0 [manual|auto]" >&2
	exit 2
	;;
esac

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
SEND_SECS=6
[ "$MODE" = auto ] && SEND_SECS=10 # the heartbeat's TTL (3 s) and media after it
NG_A=127.0.0.1:2224 NG_B=127.0.0.1:2225 NG_C=127.0.0.1:2226
REDIS_PORT=26379 REDIS_DB=3
CPORT=40300 EPORT=42300
KEY=xrelay:call:failover-1

T=$(mktemp -d "${TMPDIR:-/tmp}/xrelay-failover.XXXXXX") || exit 1
lab_names $$

logs() {
	show_log "active xrelayd log" "$T/xrelayd-a.log" 40
	show_log "standby xrelayd log" "$T/xrelayd-b.log" 40
	[ "$MODE" = auto ] && show_log "second standby xrelayd log" "$T/xrelayd-c.log" 40
	show_log "redis-server log" "$T/redis.log" 20
	for f in "$T"/*.out; do
		[ -s "$f" ] && echo "--- ${f##*/}: $(tail -n 2 "$f")"
	done
	show_log "ng client errors" "$T/ng.err"
	show_log "last ng reply" "$T/ng.json"
}

fail() {
	# shellcheck disable=SC2034 # read by proc.sh's exit trap
	FAILED="$*"
	exit 1
}

teardown() { lab_teardown /nonexistent 1 "$T"; }
on_exit logs teardown
trap 'FAILED="interrupted"; exit 130' INT TERM

now_ms() { echo $(($(date +%s%N) / 1000000)); }

ng() { # SERVER WHAT JSON -- the reply in $T/ng.json; fails unless result is ok
	nsx "$NS_RELAY" "$NGCLI" -t 2000 -s "$1" "$3" >"$T/ng.json" 2>>"$T/ng.err" ||
		fail "$2: no ng reply"
	[ "$(jq -r .result "$T/ng.json" 2>/dev/null)" = ok ] ||
		fail "$2: $(jq -c . "$T/ng.json" 2>/dev/null || cat "$T/ng.json")"
}

rcli() { nsx "$NS_RELAY" redis-cli -p $REDIS_PORT -n $REDIS_DB "$@" 2>>"$T/ng.err"; }

sdp() { # IP PORT
	printf 'v=0\\r\\no=- 1 1 IN IP4 %s\\r\\ns=-\\r\\nc=IN IP4 %s\\r\\nt=0 0\\r\\n' "$1" "$1"
	printf 'm=audio %s RTP/AVP 0\\r\\na=sendrecv\\r\\n' "$2"
}

start_daemon() { # NAME NG-ADDR ROLE [OPTION] -- sets LAST_PID; waits until it answers ping
	lab_spawn "$T/xrelayd-$1.log" "$NS_RELAY" "$XRELAYD" --foreground --log-stderr \
		--config-file=none --log-level=debug --control-socket=none --state-dir=none \
		--interface="a/$LAB_RELAY4_A" --interface="b/$LAB_RELAY4_B" --listen-ng="$2" \
		--port-min=30000 --port-max=30999 --timeout=60 --xdp=off \
		--redis=127.0.0.1:$REDIS_PORT/$REDIS_DB --redis-role="$3" ${4:+"$4"}
	_pid=$LAST_PID _i=0
	until nsx "$NS_RELAY" "$NGCLI" -t 50 -s "$2" '{"command":"ping"}' 2>/dev/null |
		grep -q pong; do
		alive "$_pid" || fail "xrelayd ($1) exited at start"
		_i=$((_i + 1))
		[ "$_i" -le 500 ] || fail "xrelayd ($1) does not answer ng ping within 10 s"
		sleep 0.01
	done
	LAST_PID=$_pid
}

jnum() { # FILE FILTER -- a whole number, or the test fails naming it
	_v=$(jq -r "$2" "$1" 2>/dev/null)
	case $_v in
	'' | *[!0-9]*) fail "no $2 in ${1##*/}: $(head -c 300 "$1")" ;;
	esac
	echo "$_v"
}

lab_check_tools >"$T/tools" || fail "$(cat "$T/tools")"
for c in jq redis-server redis-cli; do
	command -v "$c" >/dev/null 2>&1 || fail "$c not found (tools/install-deps installs it)"
done
for b in "$XRELAYD" "$RTPGEN" "$NGCLI"; do
	[ -x "$b" ] || fail "$b not built (make)"
done
lab_up $$ 2>"$T/lab.err" || fail "cannot build the namespace lab: $(cat "$T/lab.err")"

# Redis: private config, directory and port, inside the relay namespace, no persistence.
mkdir "$T/redis"
cat >"$T/redis.conf" <<CONF
port $REDIS_PORT
bind 127.0.0.1
dir $T/redis
save ""
appendonly no
daemonize no
notify-keyspace-events K\$gx
CONF
lab_spawn "$T/redis.log" "$NS_RELAY" redis-server "$T/redis.conf"
RPID=$LAST_PID
_i=0
until [ "$(rcli ping)" = PONG ]; do
	alive "$RPID" || fail "redis-server exited at start"
	_i=$((_i + 1))
	[ "$_i" -le 100 ] || fail "redis-server does not answer within 10 s"
	sleep 0.1
done

start_daemon a "$NG_A" active
APID=$LAST_PID
if [ "$MODE" = auto ]; then
	start_daemon b "$NG_B" standby --redis-takeover=auto
	BPID=$LAST_PID
	start_daemon c "$NG_C" standby --redis-takeover=auto
	CPID=$LAST_PID
else
	start_daemon b "$NG_B" standby
	BPID=$LAST_PID
	CPID=
fi
_i=0
until rcli get xrelay:active | grep -q "/$NG_A\$"; do
	_i=$((_i + 1))
	[ "$_i" -le 50 ] || fail "no heartbeat of the active node: '$(rcli get xrelay:active)'"
	sleep 0.1
done

ng $NG_A "offer" "{\"command\":\"offer\",\"call-id\":\"failover-1\",\"from-tag\":\"caller\",
	\"direction\":[\"a\",\"b\"],\"sdp\":\"$(sdp "$LAB_CALLER4" $CPORT)\"}"
ng $NG_A "answer" "{\"command\":\"answer\",\"call-id\":\"failover-1\",\"from-tag\":\"caller\",
	\"to-tag\":\"callee\",\"sdp\":\"$(sdp "$LAB_CALLEE4" $EPORT)\"}"
RA=$(jq -r .sdp "$T/ng.json" | tr -d '\r' | sed -n 's/^m=audio \([0-9]*\) .*/\1/p')
[ -n "$RA" ] || fail "no relay port for the caller in the answer"

spawn "$T/echo.out" nsenter --net="/run/netns/$NS_CALLEE" -- "$RTPGEN" -j echo \
	--listen "$LAB_CALLEE4:$EPORT" --duration $((SEND_SECS + 2))
sleep 0.3
spawn "$T/send.out" nsenter --net="/run/netns/$NS_CALLER" -- "$RTPGEN" -j send \
	--from "$LAB_CALLER4:$CPORT" --to "$LAB_RELAY4_A:$RA" --rtt \
	--pps "$PPS" --duration $SEND_SECS --wait 500

# The standby must hold the call with both peers learned before the active node dies.
_i=0
while :; do
	_n=$(rcli get $KEY | jq -r '[.parties[].media[].streams[0].learned | select(. != "")] |
		length' 2>/dev/null)
	[ "${_n:-0}" -ge 2 ] && break
	_i=$((_i + 1))
	[ "$_i" -le 50 ] || fail "the call's learned peers never reached Redis: $(rcli get $KEY)"
	sleep 0.1
done
_i=0
while :; do
	ng $NG_B "standby statistics" '{"command":"statistics"}'
	[ "$(jq -r .statistics.currentstatistics.sessionsforeign "$T/ng.json")" = 1 ] && break
	_i=$((_i + 1))
	[ "$_i" -le 50 ] || fail "the standby does not hold the call as a foreign call"
	sleep 0.1
done
[ "$(jq -r .statistics.currentstatistics.sessionsown "$T/ng.json")" = 0 ] ||
	fail "the standby owns calls before the takeover"
ng $NG_B "query a foreign call" '{"command":"query","call-id":"failover-1"}'
[ "$(jq -r .foreign "$T/ng.json")" = yes ] || fail "query on the standby: not foreign"
sleep 1.5

owns() { # NG-ADDR -- the calls that node owns
	ng "$1" "statistics of $1" '{"command":"statistics"}'
	jq -r .statistics.currentstatistics.sessionsown "$T/ng.json"
}

# The failover: the active node dies; the operator (or a cluster manager) tells the standby
# (manual), or a standby notices the heartbeat's expiry by itself (auto).
T0=$(now_ms)
kill -KILL "$APID"
wait_exit "$APID" 5 || fail "the active xrelayd outlives SIGKILL"
reap "$APID"
NG_N=$NG_B
if [ "$MODE" = manual ]; then
	ng $NG_B "takeover" '{"command":"takeover"}'
	TAKEOVER_MS=$(($(now_ms) - T0))
	[ "$(jq -r .restored "$T/ng.json")" = 1 ] || fail "takeover restored no call"
	[ "$(jq -r '.["lost media"]' "$T/ng.json")" = 0 ] || fail "takeover lost media"
else
	while :; do
		[ "$(owns $NG_B)" = 1 ] && break
		[ "$(owns $NG_C)" = 1 ] && NG_N=$NG_C NG_O=$NG_B && break
		[ $(($(now_ms) - T0)) -le 10000 ] ||
			fail "no standby took over within 10 s of the SIGKILL"
		sleep 0.05
	done
	TAKEOVER_MS=$(($(now_ms) - T0))
	NG_O=${NG_O:-$NG_C}
	# The claim (SET NX) lets one standby only take over; the other follows the winner.
	[ "$(owns "$NG_O")" = 0 ] || fail "both standbys took over"
	rcli get xrelay:active | grep -q "/$NG_N\$" ||
		fail "the heartbeat is not the new node's: '$(rcli get xrelay:active)'"
	grep -q "heartbeat is gone" "$T/xrelayd-b.log" "$T/xrelayd-c.log" ||
		fail "no 'heartbeat is gone' line in the standbys' logs"
fi
[ "$(owns $NG_N)" = 1 ] || fail "the standby does not own the call after the takeover"
ng $NG_N "query after takeover" '{"command":"query","call-id":"failover-1"}'

for p in $PIDS; do # the traffic: everything but the standbys and Redis
	[ "$p" = "$BPID" ] || [ "$p" = "$CPID" ] || [ "$p" = "$RPID" ] && continue
	reap "$p"
	[ "$REAPED" -eq 0 ] || fail "a traffic process (PID $p) exited with $REAPED"
done
SENT=$(jnum "$T/send.out" .sent)
GOT=$(jnum "$T/echo.out" .received)
ECHOED=$(jnum "$T/echo.out" .echoed)
BACK=$(jnum "$T/send.out" .unique)
[ "$(jnum "$T/send.out" .duplicates)" -eq 0 ] || fail "duplicates at the caller"
[ "$SENT" -ge $((PPS * SEND_SECS * 9 / 10)) ] || fail "the caller sent only $SENT packets"
LOST_FWD=$((SENT - GOT))
LOST_REV=$((ECHOED - BACK))
# Media must have resumed: a dead relay would lose everything after the kill (about half).
MAXLOST=$((PPS * SEND_SECS / 4))
[ "$MODE" = auto ] && MAXLOST=$((PPS * SEND_SECS / 2))
[ "$LOST_FWD" -lt $MAXLOST ] || fail "media did not resume ($LOST_FWD lost)"
BOUND=$((PPS * TAKEOVER_MS * 2 / 1000 + 50))
if [ "$MODE" = manual ]; then
	echo "failover (manual): SIGKILL to takeover reply $TAKEOVER_MS ms ($PPS packets/s each way)"
else
	echo "failover (auto): SIGKILL to the new node owning the call $TAKEOVER_MS ms" \
		"($PPS packets/s each way, heartbeat TTL 3000 ms)"
fi
echo "lost caller->callee $LOST_FWD ($((LOST_FWD * 1000 / PPS)) ms gap)," \
	"callee->caller $LOST_REV (bound $BOUND)"
if [ "$LOST_FWD" -gt "$BOUND" ] || [ "$LOST_REV" -gt "$BOUND" ]; then
	fail "lost $LOST_FWD and $LOST_REV packets, more than $BOUND"
fi

ng $NG_N "delete" '{"command":"delete","call-id":"failover-1","delete-delay":0}'
_i=0
while [ "$(rcli exists $KEY)" != 0 ]; do
	_i=$((_i + 1))
	[ "$_i" -le 50 ] || fail "the deleted call stays in Redis"
	sleep 0.1
done

for p in $BPID $CPID; do
	kill "$p"
	wait_exit "$p" 10 || fail "a standby xrelayd still runs 10 s after SIGTERM"
	reap "$p"
	[ "$REAPED" -eq 0 ] || fail "a standby xrelayd exited with $REAPED"
done
kill "$RPID"
wait_exit "$RPID" 10 || fail "redis-server still runs 10 s after SIGTERM"
reap "$RPID"
echo "failover lab ($MODE): ok"
